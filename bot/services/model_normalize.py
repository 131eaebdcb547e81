"""Model-name normalisation: turns model names as listed and as typed on a phone into comparable keys."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# DH- and DHI- are Dahua's two sales prefixes for one device; partners rarely type them, so keys drop them.
# ATIX's "AT-" is kept in the key (an ATIX and a Dahua device must never merge) and made optional through
# the alternate key instead, like IPC-/HAC-.
VENDOR_PREFIXES = frozenset({"DH", "DHI", "DAHUA"})

# Latin letters that Cyrillic letters imitate on a label or on a phone keyboard.
_LOOKALIKE = {
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "К": "K", "М": "M", "Н": "H", "О": "O",
    "Р": "P", "С": "C", "Т": "T", "Х": "X", "У": "Y", "І": "I", "Ј": "J", "Ѕ": "S",
}

# The best single Latin guess for a Cyrillic letter that imitates nothing, typed by sound.
_SOUND_GUESS = {
    "Б": "B", "Г": "G", "Д": "D", "Ж": "J", "З": "Z", "И": "I", "Й": "Y", "Л": "L", "П": "P",
    "Ф": "F", "Ц": "C", "Ч": "CH", "Ш": "SH", "Щ": "SCH", "Ъ": "", "Ы": "Y", "Ь": "", "Э": "E",
    "Ю": "YU", "Я": "YA",
}

# Typed by sound, one Cyrillic letter stands for several Latin ones (в is V or W, с is S or C, х is H or X):
# such readings are compared in a folded alphabet where each of those groups is one letter.
FOLD = str.maketrans("CXWYQ", "SHVUK")
_SOUND_FOLDED = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Е": "E", "Ё": "E", "Ж": "J", "З": "Z",
    "И": "I", "Й": "U", "К": "K", "Л": "L", "М": "M", "Н": "N", "О": "O", "П": "P", "Р": "R",
    "С": "S", "Т": "T", "У": "U", "Ф": "F", "Х": "H", "Ц": "S", "Ч": "SH", "Ш": "SH", "Щ": "SH",
    "Ъ": "", "Ы": "U", "Ь": "", "Э": "E", "Ю": "U", "Я": "A", "І": "I",
}

# The Russian ЙЦУКЕН keys over the Latin QWERTY ones: "шзс" is what "ipc" gives with the wrong layout on.
_LAYOUT = dict(zip("ЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮЁ", "QWERTYUIOP[]ASDFGHJKL;'ZXCVBNM,.`"))
# Keys whose Latin side is punctuation no model name has: text with them was not typed in the wrong layout.
_NOT_LAYOUT = frozenset("ХЪЖЭЁБ")

_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_SEPARATORS = re.compile(r"[^0-9A-Z]+")
_DIGIT = re.compile(r"\d")
_LATIN_MODEL = re.compile(r"^[0-9A-Z][0-9A-Z.\-/_+()]*$")

# Words partners put around a model ("камера DH-IPC-…", "прошивка для nvr…"): dropped before matching.
_NOISE_WORDS = frozenset(
    """
    КАМЕРА КАМЕРЫ КАМЕРУ КАМЕР ВИДЕОКАМЕРА ВИДЕОКАМЕРЫ ВИДЕОКАМЕРУ IP-КАМЕРА IP-КАМЕРЫ IP IPКАМЕРА
    РЕГИСТРАТОР РЕГИСТРАТОРА ВИДЕОРЕГИСТРАТОР ВИДЕОРЕГИСТРАТОРА РЕГ РЕГА
    ДОМОФОН ДОМОФОНА ПАНЕЛЬ ПАНЕЛИ ВЫЗЫВНАЯ ВЫЗЫВНОЙ МОНИТОР МОНИТОРА КОММУТАТОР КОММУТАТОРА СВИТЧ
    МОДЕЛЬ МОДЕЛИ ПРОШИВКА ПРОШИВКУ ПРОШИВКИ ОБНОВЛЕНИЕ ДЛЯ НА НУЖНА НУЖНО НУЖЕН ЕСТЬ У МЕНЯ
    ПОДСКАЖИТЕ ПОЖАЛУЙСТА ПЛИЗ ДАХУА ДАХУЯ ДАХУ АТИКС DAHUA ATIX CAMERA MODEL FIRMWARE FOR
    """.split()
)


def clean_text(text: str) -> str:
    """NFKC, one space between words, no control characters: full-width and odd spaces from phones vanish."""
    if text.isascii() and text.isprintable():
        return " ".join(text.split())  # nearly every listed model: skip the Unicode work
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())


def display_name(raw: str) -> str:
    """A model as listed, tidied: Cyrillic look-alikes typed into a list are replaced by the Latin letters."""
    if raw.isascii() and raw.isprintable() and " " not in raw and raw[:1] not in "\"'*" and raw[-1:] not in "\"'*":
        return raw  # already tidy: the same object, not a copy
    name = clean_text(raw).strip(" \"'«»*")
    if _CYRILLIC.search(name):
        name = "".join(_LOOKALIKE.get(ch.upper(), ch) for ch in name)
    return name


def looks_like_model(token: str) -> bool:
    """A listed token that can be a model: Latin letters and digits, both present, at least five characters."""
    upper = display_name(token).upper()
    return len(upper) >= 5 and bool(_LATIN_MODEL.match(upper)) and bool(_DIGIT.search(upper)) and any(
        "A" <= ch <= "Z" for ch in upper
    )


@dataclass(frozen=True, slots=True)
class ModelKeys:
    """The comparable forms of one listed model."""

    key: str  # upper case, no separators, no DH-/DHI-
    alternate: str | None  # without the leading type word (IPC, HAC, AT…) partners often leave out
    segments: tuple[str, ...]  # key pieces between the separators of the written name, vendor prefix dropped


def _segments(upper: str) -> list[str]:
    return [s for s in _SEPARATORS.split(upper) if s]


def model_keys(name: str) -> ModelKeys:
    upper = display_name(name).upper()
    segments = _segments(upper)
    if len(segments) > 1 and segments[0] in VENDOR_PREFIXES:
        segments = segments[1:]
    key = "".join(segments)
    alternate = None
    if len(segments) > 1 and segments[0].isalpha():
        rest = "".join(segments[1:])
        if len(rest) >= 5 and _DIGIT.search(rest):
            alternate = rest
    return ModelKeys(key=key, alternate=alternate, segments=tuple(segments))


def boundaries(segments: tuple[str, ...], skip: int) -> tuple[frozenset[int], int]:
    """Key offsets where a written segment ends, and the offset where the first segment with digits ends.

    A query that stops exactly at a segment boundary after the model's main part ("IPC-HFW2431S-S" for
    "…-S-0280B") has only lost its tail; one that stops inside a segment ("HFW2431") names a family.
    """
    ends: set[int] = set()
    main_end = 0
    offset = 0
    for segment in segments[skip:]:
        offset += len(segment)
        ends.add(offset)
        if not main_end and _DIGIT.search(segment):
            main_end = offset
    return frozenset(ends), main_end or offset


@dataclass(frozen=True, slots=True)
class QueryForm:
    """One reading of what the partner typed."""

    key: str  # in the Latin alphabet, or in the folded alphabet when folded is set
    folded: bool  # a reading by sound: only comparable in the folded alphabet
    penalty: float  # taken off fuzzy scores: the less certain the reading, the more
    reading: str  # "latin", "lookalike", "layout" or "sound"


def _strip_vendor(segments: list[str]) -> list[list[str]]:
    """The segment lists to try: DH-/DHI- dropped, also when typed without a dash ("dhipc…")."""
    if not segments:
        return []
    if len(segments) > 1 and segments[0] in VENDOR_PREFIXES:
        return [segments[1:]]
    first = segments[0]
    variants = [segments]
    for prefix in ("DHI", "DH"):
        if first.startswith(prefix) and len(first) > len(prefix) + 2:
            variants.append([first[len(prefix):], *segments[1:]])
    return variants


def _forms_of(text: str) -> list[QueryForm]:
    upper = text.upper()
    readings: list[tuple[str, str, bool, float]]  # written text, reading, folded, penalty
    if _CYRILLIC.search(upper):
        lookalike = "".join(_LOOKALIKE.get(ch) or _SOUND_GUESS.get(ch, ch) for ch in upper)
        layout = "".join(_LAYOUT.get(ch, ch) for ch in upper)
        sound = "".join(_SOUND_FOLDED.get(ch, ch) for ch in upper)
        readings = [(lookalike, "lookalike", False, 0.0), (sound, "sound", True, 1.0)]
        if not _NOT_LAYOUT.intersection(upper):
            readings.insert(1, (layout, "layout", False, 0.0))
    else:
        readings = [(upper, "latin", False, 0.0)]
    forms: list[QueryForm] = []
    seen: set[tuple[str, bool]] = set()
    for written, reading, folded, penalty in readings:
        for segments in _strip_vendor(_segments(written)):
            key = "".join(segments)
            if folded:
                key = key.translate(FOLD)
            if key and (key, folded) not in seen:
                seen.add((key, folded))
                forms.append(QueryForm(key=key, folded=folded, penalty=penalty, reading=reading))
    return forms


def query_forms(query: str) -> list[QueryForm]:
    """Every plausible reading of a typed model, most literal first; noise words around it dropped."""
    text = clean_text(query)
    words = text.split(" ")
    kept = [w for w in words if w.upper().strip(".,:;!?") not in _NOISE_WORDS]
    return _forms_of(" ".join(kept) if kept else text)


def query_fallbacks(query: str) -> list[str]:
    """Single words worth trying when the whole text found nothing ("у меня hfw2431s-s-s2 не видит")."""
    words = [w.strip(".,:;!?\"'«»()") for w in clean_text(query).split(" ")]
    if len(words) < 2:
        return []
    return [w for w in words if _DIGIT.search(w) and len(w) >= 4][:3]


def has_digit(key: str) -> bool:
    return bool(_DIGIT.search(key))
