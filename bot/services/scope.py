"""What the regulation puts outside support's duties, and spotting it in what partners write."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

INSTEAD = (
    "Что мы сделаем: разберёмся в причине, по возможности воспроизведём ситуацию на тестовом "
    "стенде и пришлём пошаговую инструкцию, как настроить нужную функцию."
)


@dataclass(frozen=True)
class Exclusion:
    key: str
    button: str          # the engineer's one-tap canned reply
    text: str            # what the partner reads (HTML-safe, no user input)
    phrases: tuple[str, ...]


EXCLUSIONS: tuple[Exclusion, ...] = (
    Exclusion(
        "spec",
        "Настройка по ТЗ",
        "Настройка оборудования по техническому заданию партнёра в обязанности поддержки не входит: "
        "проект и его настройку выполняет монтажная организация. " + INSTEAD,
        ("настроить по тз", "настройте по тз", "настройка по тз", "настроить по техническому заданию",
         "настройте по техническому заданию", "настройка по техническому заданию", "по нашему тз",
         "настроить под наш проект", "настройте под наш проект", "настройте всю систему", "настроить всю систему"),
    ),
    Exclusion(
        "firmware",
        "Удалённая прошивка",
        "Обновлять прошивку удалённо служба поддержки не может: ошибка в порядке действий или "
        "пропадание питания во время обновления могут вывести устройство из строя, поэтому прошивку "
        "партнёр обновляет сам. Проверенные прошивки лежат на нашем файловом сервере — найти папку "
        "поможет пункт «💾 Прошивки и документация».",
        ("!обновите прошивку", "прошивку удаленно", "удаленно прошивку", "прошейте", "перепрошейте",
         "прошить удаленно", "залейте прошивку", "удаленно обновить", "удаленное обновление",
         "!обновите нам", "прошивку через удаленку"),
    ),
    Exclusion(
        "desktop",
        "Удалённый рабочий стол",
        "Подключаться к компьютеру партнёра через программы удалённого рабочего стола "
        "(TeamViewer, AnyDesk, RDP и подобные) инженеры не могут. Если понадобится, инженер попросит "
        "с вашего согласия web-доступ к самому устройству для снятия данных. " + INSTEAD,
        ("teamviewer", "team viewer", "тимвьюер", "тимвивер", "anydesk", "any desk", "энидеск", "эни деск", "анидеск",
         "rdp", "удаленный рабочий стол", "удаленного рабочего стола", "удаленку на компьютер",
         "подключитесь к компьютеру", "подключиться к моему компьютеру", "rustdesk", "радмин", "radmin",
         "ammyy", "амми админ"),
    ),
    Exclusion(
        "remote_config",
        "Удалённая настройка",
        "Выполнять настройку удалённо по просьбе партнёра инженеры не могут. " + INSTEAD,
        ("настройте удаленно", "настроить удаленно", "подключитесь и настройте", "сделайте настройку за нас",
         "настройте за нас", "настроить за нас", "удаленно настроить", "зайдите и настройте",
         "подключитесь удаленно и настройте"),
    ),
)


def _words(text: str) -> list[str]:
    text = text.lower().replace("ё", "е")
    return re.sub(r"[^\w\s!]", " ", text).split()


def _similar(expected: str, word: str) -> bool:
    # Short words (по, тз, rdp) must be exact, and so must words marked "!": one letter tells
    # "обновить" (how do I update) from "обновите" (update it for me). Others may carry a typo,
    # which never changes the length by more than two letters (a cheap test before the real one).
    if expected.startswith("!"):
        return expected[1:] == word
    if len(expected) <= 4:
        return expected == word
    return abs(len(expected) - len(word)) <= 2 and fuzz.ratio(expected, word) >= 85


def _contains(phrase: list[str], words: list[str], gap: int = 3) -> bool:
    """The phrase's words in order, with at most `gap` other words between neighbours."""
    for start, word in enumerate(words):
        if not _similar(phrase[0], word):
            continue
        position = start
        for expected in phrase[1:]:
            nxt = next((k for k in range(position + 1, min(position + 2 + gap, len(words)))
                        if _similar(expected, words[k])), None)
            if nxt is None:
                break
            position = nxt
        else:
            return True
    return False


# Phrases split once, not on every message.
_PHRASES: tuple[tuple[Exclusion, tuple[list[str], ...]], ...] = tuple(
    (e, tuple(_words(p) for p in e.phrases)) for e in EXCLUSIONS
)
MAX_CHARS = 3000  # a request is stated at the start; a pasted log after it need not be scanned


def detect(text: str) -> list[Exclusion]:
    """The excluded items a text asks for, typos tolerated."""
    words = _words((text or "")[:MAX_CHARS].replace("!", " "))
    return [e for e, phrases in _PHRASES if any(_contains(p, words) for p in phrases)]


def by_index(index: int) -> Exclusion | None:
    return EXCLUSIONS[index] if 0 <= index < len(EXCLUSIONS) else None
