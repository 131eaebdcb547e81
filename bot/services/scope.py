"""What the regulation puts outside support's duties, and spotting it in what partners write."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process


@dataclass(frozen=True)
class Exclusion:
    key: str  # texts.scope_button and texts.scope_reply word it for engineers and partners
    phrases: tuple[str, ...]


EXCLUSIONS: tuple[Exclusion, ...] = (
    Exclusion(
        "spec",
        ("настроить по тз", "настройте по тз", "настройка по тз", "настроить по техническому заданию",
         "настройте по техническому заданию", "настройка по техническому заданию", "по нашему тз",
         "настроить под наш проект", "настройте под наш проект", "настройте всю систему", "настроить всю систему"),
    ),
    Exclusion(
        "firmware",
        ("!обновите прошивку", "прошивку удаленно", "удаленно прошивку", "прошейте", "перепрошейте",
         "прошить удаленно", "залейте прошивку", "удаленно обновить", "удаленное обновление",
         "!обновите нам", "прошивку через удаленку"),
    ),
    Exclusion(
        "desktop",
        ("teamviewer", "team viewer", "тимвьюер", "тимвивер", "anydesk", "any desk", "энидеск", "эни деск", "анидеск",
         "rdp", "удаленный рабочий стол", "удаленного рабочего стола", "удаленку на компьютер",
         "подключитесь к компьютеру", "подключиться к моему компьютеру", "rustdesk", "радмин", "radmin",
         "ammyy", "амми админ"),
    ),
    Exclusion(
        "remote_config",
        ("настройте удаленно", "настроить удаленно", "подключитесь и настройте", "сделайте настройку за нас",
         "настройте за нас", "настроить за нас", "удаленно настроить", "зайдите и настройте",
         "подключитесь удаленно и настройте"),
    ),
)


def _words(text: str) -> list[str]:
    text = text.lower().replace("ё", "е")
    return re.sub(r"[^\w\s!]", " ", text).split()


# Phrases split once, not on every message.
_PHRASES: tuple[tuple[Exclusion, tuple[list[str], ...]], ...] = tuple(
    (e, tuple(_words(p) for p in e.phrases)) for e in EXCLUSIONS
)
_EXPECTED = {word for _, phrases in _PHRASES for phrase in phrases for word in phrase}
# Short words (по, тз, rdp) must be exact, and so must words marked "!": one letter tells
# "обновить" (how do I update) from "обновите" (update it for me). Others may carry a typo.
_EXACT = {word for word in _EXPECTED if len(word) <= 4 and not word.startswith("!")}
_BANG = {word[1:] for word in _EXPECTED if word.startswith("!")}
_FUZZY = sorted(word for word in _EXPECTED if len(word) > 4 and not word.startswith("!"))
TYPO_SCORE = 85  # rapidfuzz's ratio, 0-100
MAX_CHARS = 3000  # a request is stated at the start; a pasted log after it need not be scanned


@lru_cache(maxsize=8192)
def _matches(word: str) -> frozenset[str]:
    """The phrase words a word of the text stands for. A typo never changes the length by more
    than two letters; the scoring runs over all candidates in one call into rapidfuzz."""
    found = {word} if word in _EXACT else set()
    if word in _BANG:
        found.add("!" + word)
    for candidate, _, _ in process.extract(word, _FUZZY, scorer=fuzz.ratio, score_cutoff=TYPO_SCORE, limit=None):
        if abs(len(candidate) - len(word)) <= 2:
            found.add(candidate)
    return frozenset(found)


def _contains(phrase: list[str], words: list[frozenset[str]], gap: int = 3) -> bool:
    """The phrase's words in order, with at most `gap` other words between neighbours
    (`words` holds what each word of the text matches)."""
    for start, matched in enumerate(words):
        if phrase[0] not in matched:
            continue
        position = start
        for expected in phrase[1:]:
            nxt = next((k for k in range(position + 1, min(position + 2 + gap, len(words)))
                        if expected in words[k]), None)
            if nxt is None:
                break
            position = nxt
        else:
            return True
    return False


def detect(text: str) -> list[Exclusion]:
    """The excluded items a text asks for, typos tolerated."""
    words = [_matches(word) for word in _words((text or "")[:MAX_CHARS].replace("!", " "))]
    # Most texts hold no phrase word at all: a phrase is looked for in order only when all its words occur.
    present = frozenset().union(*words)
    return [e for e, phrases in _PHRASES
            if any(present.issuperset(p) and _contains(p, words) for p in phrases)]


def by_index(index: int) -> Exclusion | None:
    return EXCLUSIONS[index] if 0 <= index < len(EXCLUSIONS) else None
