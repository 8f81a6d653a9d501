"""The shape of the code, checked: cogs never import cogs or bot.py, the core never imports discord, and every
module imports on its own."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
