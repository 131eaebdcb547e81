"""The layers stay apart: no import cycles in bot/, handlers/, dialogs/ (read from the source with ast)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "dialogs")
# The one place allowed to import the routers: it wires everything together.
COMPOSITION_ROOT = "bot.app"
# Being removed by issue 14 item 1 (branch i14-texts: hours_text moves into bot/texts/). The check
# below is an equality on purpose: once the cycle is gone this entry must go too, or the test fails.
KNOWN_CYCLES: list[frozenset[str]] = []  # none left: bot/texts no longer imports services


def module_files(root: Path = ROOT) -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every project module `name` imports, at module level or inside a function.

    `from a import b` counts as importing the module a.b when there is one, else a; the parent
    packages Python initialises on the way are not counted (they never see a half-built child).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package[: len(package) - node.level + 1]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    found.add(f"{base}.{alias.name}")
                elif base in modules:
                    found.add(base)
    found.discard(name)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = module_files(root)
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one member (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def package_edges(graph: dict[str, set[str]]) -> set[tuple[str, str, str, str]]:
    """(importer's package, imported package, importer, imported) across the three packages."""
    edges = set()
    for importer, imported in graph.items():
        if importer == COMPOSITION_ROOT:
            continue
        for target in imported:
            a, b = importer.split(".")[0], target.split(".")[0]
            if a != b:
                edges.add((a, b, importer, target))
    return edges


def test_the_checker_sees_cycles_through_function_level_imports(tmp_path):
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "bot" / "a.py").write_text("from bot import b\n")
    (tmp_path / "bot" / "b.py").write_text("def f():\n    from bot.a import thing\n")
    (tmp_path / "handlers" / "h.py").write_text("from dialogs.d import start\n")
    (tmp_path / "dialogs" / "d.py").write_text("def g():\n    import handlers.h\n")
    graph = import_graph(tmp_path)
    assert sorted(map(sorted, cycles(graph))) == [["bot.a", "bot.b"], ["dialogs.d", "handlers.h"]]
    assert {(a, b) for a, b, _, _ in package_edges(graph)} == {("handlers", "dialogs"), ("dialogs", "handlers")}


def test_no_import_cycle_between_modules():
    found = cycles(import_graph())
    assert sorted(map(sorted, found)) == sorted(map(sorted, KNOWN_CYCLES)), (
        "import cycles (a known one that is gone must leave KNOWN_CYCLES too)"
    )


def test_handlers_and_dialogs_do_not_import_each_other_both_ways():
    edges = package_edges(import_graph())
    between = {(a, b) for a, b, _, _ in edges if {a, b} == {"handlers", "dialogs"}}
    assert len(between) < 2, sorted(e for e in edges if {e[0], e[1]} == {"handlers", "dialogs"})


def test_only_the_composition_root_imports_the_routers():
    # Shared Telegram adapters live in bot/telegram/; the rest of bot/ never reaches up into routing.
    upward = sorted((importer, target) for a, b, importer, target in package_edges(import_graph())
                    if a == "bot" and b in ("handlers", "dialogs"))
    assert upward == []


def test_record_types_are_domain_types_and_storage_still_offers_them():
    from bot import domain
    from bot.storage import cases, engineers, partners

    assert (cases.Case, cases.Attachment, cases.NewCase, partners.Partner, engineers.Engineer) == (
        domain.Case, domain.Attachment, domain.NewCase, domain.Partner, domain.Engineer)
    assert {cls.__module__ for cls in (domain.Case, domain.Attachment, domain.NewCase, domain.Partner,
                                       domain.Engineer)} == {"bot.domain"}


def test_handlers_and_dialogs_reach_storage_only_through_services():
    graph = import_graph()
    reaching = sorted((importer, target) for importer, imported in graph.items()
                      if importer.split(".")[0] in ("handlers", "dialogs")
                      for target in imported if target == "bot.storage" or target.startswith("bot.storage."))
    assert reaching == []
