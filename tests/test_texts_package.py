"""bot/texts/ holds every user-facing string and depends on nothing of the bot but domain and clock."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEXTS = ROOT / "bot" / "texts"
CYRILLIC = re.compile("[А-Яа-яЁё]")
ALLOWED_BOT_MODULES = {"bot.domain", "bot.clock"}

# Modules whose Cyrillic is data, not texts: what the matchers compare partners' words with.
DATA_MODULES = {
    "bot/services/model_normalize.py": "Cyrillic look-alike and by-sound tables for model names",
    "bot/services/scope.py": "the phrases the out-of-scope matcher looks for",
    "bot/services/knowledge_lexicon.py": "stop words, stem fixes and synonyms the knowledge index compares",
    "bot/services/mail_reply.py": "the subject tag, quote headers and sign-offs the HelpDesk reply parser looks for",
}
# Single literals that are data inside modules that otherwise have none.
DATA_LITERALS = {
    "bot/services/intake_rules.py": {"АВЕКМНОРСТХУавекмнорстху"},  # look-alike letters on labels
    "bot/services/stats.py": {"сегодня", "неделя", "месяц", "год"},  # period words admins may type
    "bot/services/schedule.py": {"м", "мин", "ч", "д", "рд", r"\s*(\d+(?:\.\d+)?)\s*([a-zа-я]+)\s*"},
    "bot/services/calendar.py": {  # holiday_name markers, and the holidays package's wording
        "Перенесённый выходной", "Нерабочий день", r"перенесено с (\d{2})\.(\d{2})\.(\d{4})",
    },
}
# The sandbox and the emulator (issue 14, item 4 moves them out of the bot): their web page,
# demo script and invented people are the sandbox's own, never sent by the bot.
SANDBOX_PREFIXES = ("bot/emulator/", "bot/sandbox/", "bot/sandbox.py", "bot/demo.py")


def _modules(folder: Path):
    return sorted(folder.rglob("*.py"))


def _imported_modules(tree: ast.AST, package: str) -> set[str]:
    names = set()
    for node in ast.walk(tree):  # imports inside functions count too
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                names.add(f"{base}.{node.module}" if node.module else base)
            else:
                names.add(node.module)
    return names


def _allowed(name: str) -> bool:
    top = name.split(".")[0]
    if top == "__future__" or top in sys.stdlib_module_names:
        return True
    return name in ALLOWED_BOT_MODULES or name == "bot.texts" or name.startswith("bot.texts.")


def test_texts_is_a_package_that_imports_only_domain_and_clock():
    assert (TEXTS / "__init__.py").is_file(), "bot/texts/ must be a package"
    offending = {}
    for path in _modules(TEXTS):
        found = {n for n in _imported_modules(ast.parse(path.read_text(encoding="utf-8")), "bot.texts")
                 if not _allowed(n)}
        if found:
            offending[str(path.relative_to(ROOT))] = sorted(found)
    assert offending == {}


def test_the_checker_sees_a_service_import_even_inside_a_function():
    tree = ast.parse("def f():\n    from bot.services.schedule import to_msk\nimport html\n")
    assert {n for n in _imported_modules(tree, "bot.texts") if not _allowed(n)} == {"bot.services.schedule"}


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def cyrillic_literals(source: str) -> list[str]:
    """String literals with Cyrillic in them, docstrings and comments left out (f-string parts count)."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docs and CYRILLIC.search(node.value)]


def test_the_literal_finder_skips_docstrings_and_comments_but_not_f_strings():
    source = '"""Модуль."""\n# комментарий\ndef f(n):\n    """Функция."""\n    return f"Заявка {n}"\n'
    assert cyrillic_literals(source) == ["Заявка "]


def test_no_russian_string_is_left_outside_bot_texts():
    leftovers = {}
    for folder in ("bot", "handlers", "dialogs"):
        for path in _modules(ROOT / folder):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("bot/texts/") or rel in DATA_MODULES or rel.startswith(SANDBOX_PREFIXES):
                continue
            found = [s for s in cyrillic_literals(path.read_text(encoding="utf-8"))
                     if s not in DATA_LITERALS.get(rel, set())]
            if found:
                leftovers[rel] = found
    assert leftovers == {}


@pytest.mark.parametrize("name", ["after_hours_notice", "hours_card", "status_line", "short_moment",
                                  "status_label", "request_type_label", "stats_report", "check_problem",
                                  "scope_reply", "PARTNER_COMMANDS", "escape", "case_card", "MENU_NEW_CASE"])
def test_texts_x_reaches_every_submodule(name):
    from bot import texts

    assert getattr(texts, name, None) is not None
