"""The engine never depends on the Lambda handlers: they depend on it, and the local pipeline finds
them through the `feedpub.functions` entry point (feedpub.local.functions)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import feedpub
from feedpub.local.functions import load_functions

ENGINE = Path(feedpub.__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_module_of_the_engine_imports_the_handlers() -> None:
    offenders = {
        str(path.relative_to(ENGINE)): sorted(
            name for name in imported_modules(path) if name.split(".")[0] == "handlers"
        )
        for path in ENGINE.rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_importing_every_engine_module_loads_no_handler_and_reads_no_template() -> None:
    # Given a fresh interpreter that imports every module of the engine, the local pipeline included
    modules = sorted(
        "feedpub." + ".".join(path.relative_to(ENGINE).with_suffix("").parts)
        for path in ENGINE.rglob("*.py")
        if path.name != "__init__.py" and "__main__" not in path.name
    )
    probe = (
        "import builtins, importlib, sys\n"
        "opened = []\n"
        "real_open = builtins.open\n"
        "def watching(file, *args, **kwargs):\n"
        "    opened.append(str(file))\n"
        "    return real_open(file, *args, **kwargs)\n"
        "builtins.open = watching\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "handlers = [m for m in sys.modules if m.split('.')[0] == 'handlers']\n"
        "assert not handlers, f'imported {handlers}'\n"
        "assert not [f for f in opened if f.endswith('template.yaml')], 'template.yaml was read at import'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    # Then neither a handler module nor template.yaml was touched
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_local_pipeline_finds_the_installed_handlers_and_their_template() -> None:
    functions = load_functions()
    assert functions.template.name == "template.yaml"
    assert functions.template.is_file()
    assert "reconcile" in functions.schedule_actions
