"""No module but bot/compat.py touches a private name of aiogram, aiosqlite or pydantic."""

from __future__ import annotations

import ast
import importlib.util
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("aiogram", "aiosqlite", "pydantic", "pydantic_core", "pydantic_settings", "magic_filter")
SCANNED = ("bot", "handlers", "dialogs", "tests", "benchmarks", "scripts")
FENCE = ROOT / "bot" / "compat.py"
# The Bot API emulator is not the bot and is becoming a package of its own that never imports `bot` (so it
# cannot use bot/compat.py); it reads aiogram's `__api_method__` to know every method's name.
NOT_THE_BOT = (ROOT / "bot" / "emulator",)
# aiogram's own dunders (a method's return type and name): not Python's, so as private as `_x`.
LIBRARY_DUNDERS = frozenset({"__returning__", "__api_method__"})
SELF = frozenset({"self", "cls"})


def _single_underscore(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name != "_"


def _defined_private_names(paths) -> frozenset[str]:
    """Every `_x` a body of code defines: functions, classes, assignment targets (`self._x = …` too), parameters."""
    names: set[str] = set()
    for path in paths:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.alias):
                names.add((node.asname or node.name).split(".")[0])
    return frozenset(name for name in names if _single_underscore(name))


@cache
def library_private_names() -> frozenset[str]:
    paths = []
    for library in LIBRARIES:
        spec = importlib.util.find_spec(library)
        if spec is not None and spec.submodule_search_locations:
            for location in spec.submodule_search_locations:
                paths.extend(Path(location).rglob("*.py"))
    return _defined_private_names(paths)


def our_files() -> list[Path]:
    files = []
    for top in SCANNED:
        files.extend(path for path in (ROOT / top).rglob("*.py") if ".venv" not in path.parts)
    return sorted(path for path in files
                  if path != FENCE and not any(path.is_relative_to(other) for other in NOT_THE_BOT))


@cache
def our_private_names() -> frozenset[str]:
    return _defined_private_names(our_files())


def private_uses(source: str, library: frozenset[str], ours: frozenset[str]) -> list[tuple[int, str]]:
    """(line, what) for each reach into a library's private names in `source`.

    `x._name` counts when a library defines `_name` and either `x` is not `self`/`cls` (someone else's
    object: ours do not reach into each other under a name a library also uses) or nothing of ours
    defines it (so it is inherited from a library class). Also: importing a private module or name of a
    library, aiogram's own dunders, and `getattr`/`setattr`-style calls with such a name as a string."""
    found = []
    tree = ast.parse(source)
    # Names bound to other modules (`import argparse`): their privates are not these libraries'.
    other_modules = {(alias.asname or alias.name).split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.Import) for alias in node.names
                     if alias.name.split(".")[0] not in LIBRARIES}
    # Names bound to these libraries' classes and modules: assigning to their attributes patches the library.
    library_objects = {(alias.asname or alias.name).split(".")[0] for node in ast.walk(tree)
                       if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names
                       if ((node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
                           ).split(".")[0] in LIBRARIES}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            name = node.attr
            if (isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name)
                    and node.value.id in library_objects):
                found.append((node.lineno, f"patch {node.value.id}.{name}"))
            elif name in LIBRARY_DUNDERS:
                found.append((node.lineno, name))
            elif isinstance(node.value, ast.Name) and node.value.id in other_modules:
                continue
            elif _single_underscore(name) and name in library:
                on_self = isinstance(node.value, ast.Name) and node.value.id in SELF
                if not on_self or name not in ours:
                    found.append((node.lineno, f"{ast.unparse(node.value)}.{name}"))
        elif isinstance(node, ast.Name) and node.id in LIBRARY_DUNDERS:
            found.append((node.lineno, node.id))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for module in modules:
                parts = module.split(".")
                if parts[0] in LIBRARIES and any(_single_underscore(part) for part in parts):
                    found.append((node.lineno, f"import {module}"))
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in LIBRARIES:
                found.extend((node.lineno, f"from {node.module} import {alias.name}")
                             for alias in node.names if _single_underscore(alias.name))
        elif isinstance(node, ast.Call):
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if callee in ("getattr", "setattr", "hasattr", "delattr"):
                for arg in node.args[1:2]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and (
                            arg.value in LIBRARY_DUNDERS or _single_underscore(arg.value) and arg.value in library):
                        found.append((node.lineno, f"{callee}(…, {arg.value!r})"))
    return found


def test_private_names_of_the_libraries_are_used_only_in_bot_compat():
    library, ours = library_private_names(), our_private_names()
    assert {"_parent_router", "_handler", "_execute", "_conn"} <= library  # the scan sees what it must
    offences = [f"{path.relative_to(ROOT)}:{line}: {what}"
                for path in our_files()
                for line, what in private_uses(path.read_text(encoding="utf-8"), library, ours)]
    assert offences == []


def test_the_fence_itself_is_where_they_are():
    found = {what for _, what in private_uses(FENCE.read_text(encoding="utf-8"), library_private_names(),
                                              our_private_names())}
    assert {"conn._execute", "conn._conn", "__returning__", "observer._handler", "patch BaseModel.model_rebuild"} <= found


def test_the_scan_catches_each_kind_of_reach():
    library = library_private_names()
    source = '''
from aiogram.dispatcher.event.handler import FilterObject
from pydantic._internal import _model_construction
import aiogram.utils._private
import argparse
from pydantic import BaseModel
BaseModel.model_rebuild = classmethod(print)
from aiogram.methods import _hidden
class Raw(GetUpdates):
    __returning__ = list
def reset(router, db, observer, monkeypatch):
    router._parent_router = None
    db.conn._execute(print, db.conn._conn)
    observer._handler.filters
    getattr(observer, "_handler")
    monkeypatch.setattr(router, "_parent_router", None)
    argparse._SubParsersAction
class Storage(BaseStorage):
    def run(self):
        return self._parent_router, self._own
    def __init__(self):
        self._own = 1
'''
    found = [what for _, what in private_uses(source, library, frozenset({"_own"}))]
    assert set(found) >= {
        "import pydantic._internal", "import aiogram.utils._private", "from aiogram.methods import _hidden",
        "__returning__", "router._parent_router", "db.conn._execute", "db.conn._conn", "observer._handler",
        "getattr(…, '_handler')", "setattr(…, '_parent_router')", "self._parent_router",
        "patch BaseModel.model_rebuild",
    }, found
    assert "self._own" not in found and not any("FilterObject" in what or "argparse" in what for what in found)
