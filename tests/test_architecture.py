"""The shape of the code, checked: cogs never import cogs or bot.py, the core never imports discord, every
module imports on its own, and no SQL function decides a limit (the ledger's rules are Python, once)."""

from __future__ import annotations

import ast
import dataclasses
import re
import subprocess
import sys
from pathlib import Path

from imagegen.limits import Limits
from imagegen.servers import ServerSettings
from imagegen.settings import Settings
from imagegen.storage.postgres import PostgresStorage
from imagegen.storage.sqlite import migrations

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


def test_bot_and_the_command_line_do_not_import_each_other() -> None:
    # bot.py hands the command line what it needs (how to run, how to make a bot to sync); nothing imports bot.py.
    assert "bot" not in runtime_imports(ROOT / "cli.py")
    for path in modules("cogs", "imagegen"):
        assert not {"bot", "cli"} & {name.split(".")[0] for name in runtime_imports(path)}, path


def sources() -> list[Path]:
    """Every module of the bot itself: the cogs, the core, bot.py and cli.py."""
    return [*modules("cogs", "imagegen"), ROOT / "bot.py", ROOT / "cli.py"]


def test_no_private_discord_py_attribute_is_used() -> None:
    private = {"_connection", "_params", "_state"}
    for path in sources():
        tree = ast.parse(path.read_text())
        used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        named = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
        assert not private & (used | named), f"{path} uses {private & (used | named)}"


def test_a_custom_id_is_written_only_where_its_class_defines_it() -> None:
    for path in modules("cogs"):
        tree = ast.parse(path.read_text())
        defined = {
            id(keyword.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
            for keyword in node.keywords
            if keyword.arg == "custom_id"
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) and node.values:
                node = node.values[0]
            if isinstance(node, ast.Constant) and str(node.value).startswith("imagine:"):
                assert id(node) in defined, f"{path}:{node.lineno} spells a custom id outside its class"


def test_no_handler_in_a_cog_answers_an_unexpected_error_on_its_own() -> None:
    for path in modules("cogs"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ExceptHandler) and node.type is not None and "Exception" in ast.unparse(node.type):
                calls = {ast.unparse(call.func) for call in ast.walk(node) if isinstance(call, ast.Call)}
                assert "answer_error" not in {name.rsplit(".", 1)[-1] for name in calls}, f"{path}:{node.lineno}"


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


def test_nothing_outside_the_core_touches_a_private_part_of_it() -> None:
    # The cogs, bot.py, cli.py, the tests and bench/ go through the core's front door (its public methods).
    outside = [*modules("cogs", "tests", "bench"), ROOT / "bot.py", ROOT / "cli.py"]
    for path in outside:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                owner = ast.unparse(node.value)
                assert not (owner == "core" or owner.endswith(".core")), (
                    f"{path}:{node.lineno} reaches {owner}.{node.attr}"
                )


def test_a_limit_is_declared_once_and_the_settings_embed_the_declaration() -> None:
    limits = {spec.name for spec in dataclasses.fields(Limits)}
    for holder in (Settings, ServerSettings):
        names = {spec.name for spec in dataclasses.fields(holder)}
        assert not names & limits, f"{holder.__name__} declares limits of its own: {sorted(names & limits)}"
        assert any(spec.type == "Limits" for spec in dataclasses.fields(holder))
