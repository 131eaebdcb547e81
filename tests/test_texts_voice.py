"""What the bot says is Russian in one voice: every Russian string literal of `bot/texts/` (constants and the
pieces the text functions join) is checked for gendered "(а)" forms and for English words. Names of
products and protocols are allowed; placeholders, markup, links and commands are not words."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_texts_package import cyrillic_literals

TEXTS = Path(__file__).resolve().parent.parent / "bot" / "texts"
# Names a Russian support desk writes in Latin letters: products, brands, formats, protocols.
NAMES = {
    "Dahua", "ATIX", "Telegram", "HelpDesk", "Excel", "TeamViewer", "AnyDesk", "Torus", "Support",
    "DMSS", "SmartPSS", "ConfigTool", "Outlook", "Bot", "API", "Lite", "Pro", "Plus", "Wi", "Fi", "Technology",
    "id",  # a chat's id, as admins see it in Telegram
    "xml", "xmlcalendar",  # the production calendar's source site
}
NOT_WORDS = re.compile(
    r"\{[^{}]*\}"  # format placeholders
    r"|<[^>]*>"  # markup
    r"|&\w+;"  # HTML entities
    r"|https?://\S+|\b[\w.-]+@[\w.-]+|\b[\w-]+\.(?:ru|com|txt|log|csv|xlsx|md|pdf|zip)\b"  # links, mail, files
    r"|(?<![\w])/\w+"  # commands
    r"|\b[A-Z0-9][A-Z0-9-]*[0-9][A-Z0-9-]*\b"  # model-like codes: DH-IPC-HFW2431SP, 0280B
)
LATIN_WORD = re.compile(r"\b[A-Za-z][a-z]+\b")
GENDERED = re.compile(r"\w\((?:а|ла|ась|ь)\)")


def literals() -> list[tuple[str, str]]:
    """(file, literal) for every Cyrillic string literal of bot/texts, docstrings left out."""
    return [(path.name, text) for path in sorted(TEXTS.glob("*.py"))
            for text in cyrillic_literals(path.read_text(encoding="utf-8"))]


def test_the_texts_are_many_enough_for_the_check_to_mean_something():
    assert len(literals()) > 300


def test_no_gendered_forms():
    bad = [(f, text) for f, text in literals() if GENDERED.search(text)]
    assert not bad, bad


def test_no_english_words_reach_partners_or_admins():
    bad = []
    for f, text in literals():
        words = [w for w in LATIN_WORD.findall(NOT_WORDS.sub(" ", text)) if w not in NAMES]
        if words:
            bad.append((f, words))
    assert not bad, bad
