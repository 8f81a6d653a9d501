"""The shape of the code, checked: cogs never import cogs or bot.py, the core never imports discord, every
module imports on its own, and no SQL function decides a limit (the ledger's rules are Python, once)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from imagegen.postgres import PostgresStorage
from imagegen.storage import migrations

ROOT = Path(__file__).resolve().parent.parent
# The only function the migrations may leave: the scheduler's claim (queue order and leases, not money).
SCHEDULER_FUNCTIONS = {"imagine_claim"}


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def modules(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def runtime_imports(path: Path) -> set[str]:
    """The modules ``path`` imports when it runs (what only type checking imports does not count)."""
    tree = ast.parse(path.read_text())
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def test_no_cog_imports_another_cog_or_bot() -> None:
    cogs = {module_name(path) for path in modules("cogs") if path.parent.name == "cogs" and path.stem != "__init__"}
    for path in modules("cogs"):
        imported = runtime_imports(path)
        assert "bot" not in imported, path
        others = {name for name in imported if name.split(".")[:2] != ["cogs", "utils"]} & (cogs - {module_name(path)})
        assert not others, f"{path} imports {others}"


def test_the_core_imports_nothing_from_discord() -> None:
    for path in modules("imagegen"):
        assert not [name for name in runtime_imports(path) if name.split(".")[0] == "discord"], path


def test_every_module_imports_on_its_own() -> None:
    names = [module_name(path) for path in modules("cogs", "imagegen") if path.stem != "__init__"]
    script = (
        "import importlib, sys\n"
        f"for name in {names!r} + ['bot']:\n"
        "    for loaded in [m for m in sys.modules if m.split('.')[0] in ('cogs', 'imagegen', 'bot')]:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
        "print('imported', len(sys.argv))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_migrations_leave_no_function_but_the_schedulers_claim() -> None:
    left: set[str] = set()
    for script in migrations("postgres"):
        left |= {name.lower() for name in re.findall(r"CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(\w+)", script, re.I)}
        left -= {name.lower() for name in re.findall(r"DROP\s+FUNCTION\s+(?:IF\s+EXISTS\s+)?(\w+)", script, re.I)}
    assert left == SCHEDULER_FUNCTIONS
    for script in migrations("sqlite"):
        assert not re.search(r"CREATE\s+(?:TEMP\s+)?TRIGGER", script, re.I)


async def test_a_migrated_database_has_no_sql_function_deciding_limits(tmp_path: Path, postgres_url: str) -> None:
    db = await PostgresStorage.open(postgres_url, tmp_path)
    functions = await db.pool.fetch(
        "SELECT proname FROM pg_proc JOIN pg_namespace ON pg_namespace.oid = pronamespace WHERE nspname = 'public'"
    )
    await db.close()
    assert {row["proname"] for row in functions} == SCHEDULER_FUNCTIONS
