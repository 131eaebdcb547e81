"""Checks for what partners type in the intake dialog: serial numbers, phones, descriptions, models.
Every check starts from `visible_text.clean`, and an answer nobody could see counts as empty."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot import texts
from bot.domain import Brand
from bot.services.catalogue import CatalogueMatch, MatchResult
from bot.visible_text import clean, is_blank, visible_length

# Cyrillic letters that look like Latin ones on a label; partners on a Russian keyboard type them.
LOOKALIKES = str.maketrans("АВЕКМНОРСТХУавекмнорстху", "ABEKMHOPCTXYabekmhopctxy")
DAHUA_SERIAL = re.compile(r"^[A-Z0-9]{15}$")
OTHER_SERIAL = re.compile(r"^[A-Z0-9][A-Z0-9\-/]{3,39}$")


# A series or a model typed without its lens can have this many members worth a button.
MODEL_BUTTONS = 8


@dataclass(frozen=True)
class ModelChoice:
    """What the intake does with a typed model: take it (the catalogue's or as typed) or offer buttons."""

    model: str | None  # set when taken
    matched: bool = False
    folders: tuple[str, ...] = ()
    offered: tuple[CatalogueMatch, ...] = ()  # when not taken, best first; none means "not found"
    family: bool = False  # the offered ones are a series or lens variants of what was typed


def choose_model(result: MatchResult, typed: str, brand: str | None) -> ModelChoice:
    if result.accepted is not None:
        return ModelChoice(result.accepted.model, True, tuple(result.accepted.folders))
    if brand not in (Brand.DAHUA.value, Brand.ATIX.value) and (not result.candidates or result.near_miss):
        # Other brands are not in Torus's catalogue; take the model as written.
        return ModelChoice(typed)
    return ModelChoice(None, offered=tuple(result.candidates[:MODEL_BUTTONS]), family=result.family)


@dataclass(frozen=True)
class Check:
    ok: bool
    value: str = ""
    # Why the answer was refused, as a code texts.check_problem words (with `details` filled in).
    problem: str = ""
    details: dict = field(default_factory=dict)
    # What the partner typed (visible characters only), for echoing a refusal back unchanged.
    typed: str = ""


def normalize_serial(text: str) -> str:
    """Upper case, look-alike Cyrillic to Latin, spaces and stray separators removed."""
    value = clean(text).translate(LOOKALIKES).upper()
    value = re.sub(r"\s+", "", value)
    value = value.removeprefix("S/N:").removeprefix("SN:").removeprefix("S/N").removeprefix("SN")
    return value.strip(":.-")


def serial_not_at_hand(text: str | None) -> bool:
    return " ".join(clean(text).lower().strip(" .!?").split()) in texts.SERIAL_NOT_AT_HAND_ANSWERS


def check_serial(text: str, brand: str) -> Check:
    value = normalize_serial(text)
    typed = " ".join(clean(text).split())
    if is_blank(value):
        return Check(False, "", "empty", typed=typed)
    if brand == "Dahua":
        if re.search(r"[^A-Z0-9]", value):
            # The characters as the partner typed them, not after the look-alikes were swapped.
            bad = dict.fromkeys(ch for ch in typed if not ch.isspace()
                                and not re.fullmatch(r"[A-Z0-9]", ch.translate(LOOKALIKES).upper()))
            return Check(False, value, "dahua_not_latin", {"bad": "".join(bad)[:5]}, typed=typed)
        if len(value) != 15:
            return Check(False, value, "dahua_length", {"length": len(value)}, typed=typed)
        return Check(True, value)
    if not OTHER_SERIAL.match(value):
        if len(value) < 4:
            return Check(False, value, "serial_too_short", typed=typed)
        if len(value) > 40:
            return Check(False, value, "serial_too_long", typed=typed)
        return Check(False, value, "serial_characters", typed=typed)
    return Check(True, value)


def check_description(text: str) -> Check:
    value = clean(text).strip()
    words = re.findall(r"\w+", value)
    # Counted in characters a person sees: twenty variation selectors are not a description.
    if visible_length(value) < 20 or len(words) < 3:
        return Check(False, value, "description_too_short")
    return Check(True, value)


def normalize_phone(text: str) -> Check:
    """Russian numbers become +7XXXXXXXXXX; other international numbers are kept with +."""
    raw = clean(text).strip()
    if is_blank(raw):
        return Check(False, "", "empty")
    digits = re.sub(r"\D", "", raw)
    if re.search(r"[^\d\s()+\-.]", raw):
        return Check(False, raw, "phone_not_digits")
    if len(digits) == 11 and digits[0] in "78":
        return Check(True, "+7" + digits[1:])
    if len(digits) == 10 and digits[0] == "9":
        return Check(True, "+7" + digits)
    if raw.startswith("+") and 10 <= len(digits) <= 15:
        return Check(True, "+" + digits)
    return Check(False, raw, "phone_shape")


def clean_line(text: str | None, limit: int) -> Check:
    """One line of visible text (a name, a company, a brand, a comment), or "empty"."""
    value = " ".join(clean(text).split())
    if is_blank(value):
        return Check(False, "", "empty_line")
    if len(value) > limit:
        return Check(False, value, "too_long", {"limit": limit})
    return Check(True, value)
