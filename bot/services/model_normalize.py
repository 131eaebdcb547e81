"""Model-name normalisation: turns model names as listed and as typed on a phone into comparable keys."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

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
    ОБЪЕКТИВ ОБЪЕКТИВОМ ОБЪЕКТИВА ФОКУС LENS
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


# --- lenses: how a focal length is written by partners and encoded in model names -------------------


@dataclass(frozen=True, slots=True)
class Lens:
    """A focal length in millimetres: fixed (wide == tele), a varifocal range, or motorised of unknown range."""

    wide: float | None
    tele: float | None
    varifocal: bool = False

    @property
    def fixed(self) -> bool:
        return not self.varifocal and self.wide is not None

    def same_as(self, other: Lens) -> bool:
        if self.wide is None or other.wide is None or self.tele is None or other.tele is None:
            return False
        return abs(self.wide - other.wide) < 0.05 and abs(self.tele - other.tele) < 0.05

    def dahua_code(self) -> str | None:
        """Dahua's lens segment: 2.8 mm is 0280B; 2.7-13.5 mm is 27135 (wide in tenths, tele in tenths when
        it has a fraction, else whole millimetres: 2.7-12 is 2712, 7-35 is 7035)."""
        if self.wide is None or self.tele is None:
            return None
        if not self.varifocal:
            return f"{round(self.wide * 100):04d}B"
        tele = round(self.tele * 10) if self.tele != int(self.tele) else int(self.tele)
        return f"{round(self.wide * 10)}{tele}"


# Lens relations, best first: how a model's lens fits the one the partner wrote.
LENS_SAME, LENS_COMPATIBLE, LENS_UNKNOWN, LENS_OTHER = 0, 1, 2, 3


def lens_relation(wanted: Lens, model: Lens | None) -> int:
    if model is None:
        return LENS_UNKNOWN  # the name does not say (an NVR, or a camera listed without its lens code)
    if wanted.same_as(model):
        return LENS_SAME
    if model.wide is None and wanted.varifocal:
        return LENS_COMPATIBLE  # "-ZS" without a range, and the partner wrote a range
    return LENS_OTHER


_NUMBER = r"\d{1,2}(?:[.,]\d{1,2})?"
_QUERY_LENS = re.compile(
    r"(?<![0-9A-Za-zА-Яа-яЁё.,])"
    r"(?P<f>[fF]\s*[=/]?\s*)?"
    rf"(?P<wide>{_NUMBER})(?:\s*[-~–—]\s*(?P<tele>{_NUMBER}))?"
    r"(?P<unit>\s*(?:mm|MM|Mm|мм|ММ|Мм)\.?)?"
    r"(?![0-9A-Za-zА-Яа-яЁё])"
)


def _millimetres(text: str) -> float:
    return float(text.replace(",", "."))


class LensReading(NamedTuple):
    rest: str  # the query without the focal length
    lens: Lens
    marked: bool  # "mm", "мм" or "f" written: no listed name has them; a bare "2.8" may be part of one


def split_lens(query: str) -> LensReading | None:
    """The focal length written anywhere in a query ("2.8mm", "3,6 мм", "f2.8", "6мм", "2.7~13.5", a lone
    "3.6") and the query without it; None when there is none.

    A bare number counts only with a decimal point and standing apart (or at the very end after a dash):
    "-6" or "16" alone are more often part of a model than a lens.
    """
    text = clean_text(query)
    for found in _QUERY_LENS.finditer(text):
        wide_text, tele_text = found["wide"], found["tele"]
        marked = bool(found["f"] or found["unit"])
        decimal = any(t and ("." in t or "," in t) for t in (wide_text, tele_text))
        start, end = found.span()
        apart = start == 0 or text[start - 1] in " (["
        at_end_after_dash = start > 0 and text[start - 1] in "-_" and not text[end:].strip(" )]")
        if not (marked or (decimal and (apart or at_end_after_dash))):
            continue
        wide = _millimetres(wide_text)
        tele = _millimetres(tele_text) if tele_text else wide
        if not (0.8 <= wide <= 75 and wide <= tele <= 75) or (tele_text and tele <= wide):
            continue
        rest = (text[:start].rstrip(" -_(") + " " + text[end:].lstrip(" )]")).strip()
        if not has_digit(rest):
            continue
        return LensReading(rest, Lens(wide, tele, varifocal=bool(tele_text)), marked)
    return None


@dataclass(frozen=True, slots=True)
class ModelLens:
    """The lens a model's name encodes and where: its code's characters and their offset in the model's key."""

    lens: Lens
    code: str | None  # key characters of the lens segment ("0280B", "28", "27135"); None for a bare "-ZS"
    offset: int  # where code starts in the model's key


_DAHUA_LENS = re.compile(
    r"(?<=[^0-9A-Z])(?:(?P<fixed>\d{4})B|(?P<range>\d{4,5})|(?P<motor>Z\d{0,2}[A-Z]{0,3}))(?=$|[^0-9A-Z])"
)
_DAHUA_RANGE = re.compile(r"^(\d{2})(\d{2,3})$")
_ATIX_LENS = re.compile(r"-(\d{1,2}(?:\.\d{1,2})?)(?:-(\d{1,2}(?:\.\d{1,2})?))?(?=$|-)")


def _range_of(code: str) -> Lens | None:
    found = _DAHUA_RANGE.match(code)
    if not found:
        return None
    wide = int(found[1]) / 10
    tele_digits = found[2]
    tele = int(tele_digits) / 10 if len(tele_digits) == 3 else float(tele_digits)
    return Lens(wide, tele, varifocal=True) if 1.0 <= wide < tele <= 75 else None


def _key_offset(upper: str, position: int) -> int:
    """Where a character of a written name lands in its key: separators and a DH-/DHI- prefix do not count."""
    offset = len(_SEPARATORS.sub("", upper[:position]))
    first = _SEPARATORS.split(upper, 1)
    if len(first) > 1 and first[0] in VENDOR_PREFIXES and first[1]:
        offset -= len(first[0])
    return offset


def model_lens(name: str) -> ModelLens | None:
    """The lens a listed model names: Dahua's -0280B or -27135 segment, a motorised -Z/-ZS/-ZE, or ATIX's -2.8.

    One regular expression over the name, no splitting: this runs for every candidate a query ranks.
    """
    upper = name.upper() if name.isascii() else display_name(name).upper()
    if "." in upper or upper.startswith("AT-"):
        found = _ATIX_LENS.search(upper, upper.find("-", 3) if upper.startswith("AT-") else 0)
        if found and (found[2] or "." in found[1] or upper.startswith("AT-")):
            wide = float(found[1])
            tele = float(found[2]) if found[2] else wide
            if 0.8 <= wide <= tele <= 75 and (not found[2] or tele > wide):
                code = _SEPARATORS.sub("", found[0])
                return ModelLens(Lens(wide, tele, varifocal=bool(found[2])), code, _key_offset(upper, found.start()))
    first_digit = _DIGIT.search(upper)
    if first_digit is None:
        return None
    # A lens code follows the model's main segment: "AT-XVR-1116" is a recorder, not a 1.1-16 mm lens.
    main_end = _SEPARATORS.search(upper, first_digit.start())
    if main_end is None:
        return None
    motorised = False
    for found in _DAHUA_LENS.finditer(upper, main_end.start()):
        if found["fixed"]:
            value = int(found["fixed"])
            if 80 <= value <= 7500:
                return ModelLens(Lens(value / 100, value / 100), found[0], _key_offset(upper, found.start()))
        elif found["range"]:
            ranged = _range_of(found["range"])
            if ranged is not None:
                return ModelLens(ranged, found[0], _key_offset(upper, found.start()))
        else:
            motorised = True
    return ModelLens(Lens(None, None, varifocal=True), None, 0) if motorised else None
