"""Rules that turn what was read off a label (barcode texts, QR payloads, OCR lines) into one serial and model."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlsplit

from bot.services.catalogue import Catalogue
from bot.services.intake_rules import LOOKALIKES, check_serial, normalize_serial

# A MAC in any of the spellings printed on labels: 3C:EF:8C:12:34:56, 3C-EF-..., 3CEF.8C12.3456, 3CEF8C123456.
_HEX = "[0-9A-F]"
MAC = re.compile(rf"^(?:{_HEX}{{2}}(?:[:\-\s]?{_HEX}{{2}}){{5}}|{_HEX}{{4}}\.{_HEX}{{4}}\.{_HEX}{{4}})$")
# What a model on a label looks like: letters, digits and dashes with at least one of each kind, e.g.
# DH-IPC-HFW2431SP-S-0280B or NVR4108HS-4KS2/L. A serial has no dash, so the two never mix up.
MODEL_SHAPE = re.compile(r"^[A-Z]{1,5}(?:-[A-Z0-9/]+)*-?[A-Z]*\d[A-Z0-9/\-]*$")

SERIAL_KEYS = {"SN", "S/N", "SERIAL", "SERIALNO", "SERIALNUMBER", "SERIAL_NUMBER", "SERIAL-NUMBER", "SNO"}
MODEL_KEYS = {"MODEL", "MODELNO", "MODEL_NO", "TYPE", "PN", "P/N", "PRODUCT", "DEVICE"}
MAC_KEYS = {"MAC", "MACADDRESS", "MAC_ADDRESS", "ETH", "ETHERNET"}
# How many fields a combined payload may hold before it stops looking like a label's code.
_MAX_FIELDS = 12

SOURCES = ("barcode", "qr", "ocr")


@dataclass(frozen=True, slots=True)
class Code:
    """One thing read off the image: its text and where it came from ("barcode", "qr" or "ocr")."""

    text: str
    source: str
    # OCR reports how sure it is of each line; barcodes carry their own checksums, so they count as sure.
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class Candidate:
    value: str  # normalised
    source: str
    sure: bool  # False: it looks like a serial, but nothing on the label says it is one


@dataclass(frozen=True, slots=True)
class LabelReading:
    """What the label says. Every field is None when unsure: a wrong serial is worse than none."""

    serial: str | None = None
    model: str | None = None  # the model text as read off the label
    catalogue_model: str | None = None  # the catalogue's accepted match for it
    source: str | None = None  # "barcode" | "qr" | "ocr" | None: where the serial (else the model) came from

    @property
    def found(self) -> bool:
        return self.serial is not None or self.model is not None

    def as_dict(self) -> dict:
        return {"serial": self.serial, "model": self.model, "catalogue_model": self.catalogue_model,
                "source": self.source}


NOTHING = LabelReading()


def is_mac(text: str) -> bool:
    return bool(MAC.match(text.strip().translate(LOOKALIKES).upper()))


def is_url(text: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.\-]*://", text.strip(), re.IGNORECASE))


def split_fields(payload: str) -> tuple[list[tuple[str, str]], list[str]]:
    """A QR payload as (key, value) pairs plus the key-less pieces: `SN:…`, `sn=…` URLs, combined payloads."""
    text = payload.strip()
    pairs: list[tuple[str, str]] = []
    loose: list[str] = []
    if is_url(text):
        url = urlsplit(text)
        for part in (url.query, url.fragment):
            pairs.extend((key.strip().upper(), value.strip()) for key, value in parse_qsl(part, keep_blank_values=True))
        # A path like /d/7E0ABCDPAZ12345 carries no key: it counts, but only as a doubtful serial.
        loose.extend(piece for piece in url.path.split("/") if piece)
        return pairs, loose
    text = text.strip("{}[]()")
    pieces = [p for p in re.split(r"[;\n\r|&,]+", text) if p.strip()]
    if len(pieces) > _MAX_FIELDS:
        return [], []
    for piece in pieces:
        piece = piece.strip().strip('"\'')
        # "S/N" holds a slash and "SN 7E0…" has only a space: try the known keys before a generic split.
        match = re.match(r"^(S/N|[A-Za-z][A-Za-z_/\- ]{0,20}?)\s*[:=：]\s*(.+)$", piece)
        if match is None:
            match = re.match(r"^(S/N|SN|MAC|MODEL)\s+(\S.*)$", piece, re.IGNORECASE)
        if match:
            key = re.sub(r"[\s\"']", "", match.group(1)).upper()
            pairs.append((key, match.group(2).strip().strip('"\'')))
        else:
            loose.append(piece)
    return pairs, loose


def serial_shape(value: str, brand: str) -> bool:
    return check_serial(value, brand).ok and not is_mac(value)


def _loose_serial(text: str, source: str, brand: str) -> Candidate | None:
    """A code holding nothing but a serial-shaped text (the S/N barcode, a QR with the bare serial)."""
    if is_mac(text) or re.search(r"\s", text.strip()):
        return None
    value = normalize_serial(text)
    if brand == "Dahua":
        if not serial_shape(value, brand):
            return None
        # Dahua serials mix letters and digits; fifteen digits alone may be any other number on the box.
        sure = bool(re.search(r"[A-Z]", value)) and bool(re.search(r"\d", value))
        return Candidate(value, source, sure)
    # Other brands' serials have no fixed shape: a key-less code is never sure enough on its own.
    if serial_shape(value, brand) and not MODEL_SHAPE.match(value):
        return Candidate(value, source, False)
    return None


def candidates_from(code: Code, brand: str) -> tuple[list[Candidate], list[str]]:
    """Serial candidates and model texts found in one code."""
    serials: list[Candidate] = []
    models: list[str] = []
    if code.source == "ocr":
        return _from_ocr_line(code, brand)
    pairs, loose = split_fields(code.text) if code.source == "qr" else ([], [code.text])
    for key, value in pairs:
        if key in SERIAL_KEYS:
            normalised = normalize_serial(value)
            if serial_shape(normalised, brand):
                serials.append(Candidate(normalised, code.source, True))
            else:
                # The label itself calls it the serial but it fails the check: a misread, so doubt it all.
                serials.append(Candidate(normalised, code.source, False))
        elif key in MODEL_KEYS and re.search(r"\d", value):
            # "type=ipc" names a kind of device, not a model: every model has a digit.
            models.append(value.strip())
    for piece in loose:
        candidate = _loose_serial(piece, code.source, brand)
        if candidate is not None:
            # A path segment of a URL may be any id of the vendor's cloud: without `sn=` it is only a hint.
            serials.append(replace(candidate, sure=False) if code.source == "qr" and is_url(code.text)
                           else candidate)
            continue
        model = piece.strip().upper()
        if not is_mac(model) and MODEL_SHAPE.match(model) and "-" in model:
            models.append(piece.strip())
    return serials, models


_OCR_SERIAL = re.compile(r"(?:S/N|SN|SERIAL(?:\s*NO\.?)?)\s*[:：.]?\s*([A-Z0-9][A-Z0-9 ]{3,40})", re.IGNORECASE)
_OCR_MODEL = re.compile(r"(?:MODEL|MODEL\s*NO\.?|TYPE)\s*[:：.]?\s*(\S+)", re.IGNORECASE)
# Below this an OCR line is too likely to hold a 0 read as O, or an 8 as B.
OCR_MIN_CONFIDENCE = 0.9


def _from_ocr_line(code: Code, brand: str) -> tuple[list[Candidate], list[str]]:
    serials: list[Candidate] = []
    models: list[str] = []
    line = code.text.strip()
    if is_mac(re.sub(r"^MAC\s*[:：]?\s*", "", line, flags=re.IGNORECASE)):
        return serials, models
    serial = _OCR_SERIAL.search(line)
    if serial:
        value = normalize_serial(serial.group(1))
        if serial_shape(value, brand):
            serials.append(Candidate(value, "ocr", code.confidence >= OCR_MIN_CONFIDENCE))
    model = _OCR_MODEL.search(line)
    if model:
        models.append(model.group(1))
    elif MODEL_SHAPE.match(line.upper()) and "-" in line and not serial:
        models.append(line)
    return serials, models


def pick_serial(candidates: Iterable[Candidate]) -> Candidate | None:
    """The serial when every candidate agrees and at least one is sure; otherwise None."""
    found = list(candidates)
    values = {c.value for c in found}
    if len(values) != 1:
        return None  # none, or two different ones: a wrong serial is worse than none
    sure = [c for c in found if c.sure]
    if not sure:
        return None
    # Report the most trustworthy place it was read: a printed barcode, then a QR code, then OCR.
    return min(sure, key=lambda c: SOURCES.index(c.source))


def match_model(texts: Iterable[str], catalogue: Catalogue | None) -> tuple[str | None, str | None]:
    """The first model text the catalogue accepts, with its match; else the first one read, unmatched."""
    seen: list[str] = []
    for text in texts:
        if text not in seen:
            seen.append(text)
    if catalogue is not None:
        for text in seen:
            result = catalogue.match(text)
            if result.accepted is not None:
                return text, result.accepted.model
    return (seen[0] if seen else None), None


def pick(codes: Iterable[Code], catalogue: Catalogue | None = None, brand: str = "Dahua") -> LabelReading:
    serials: list[Candidate] = []
    models: list[tuple[str, str]] = []  # (text, source)
    for code in codes:
        found, texts = candidates_from(code, brand)
        serials.extend(found)
        models.extend((text, code.source) for text in texts)
    serial = pick_serial(serials)
    # Barcode and QR texts are exact; OCR's come last so that a misread line never hides them.
    models.sort(key=lambda item: SOURCES.index(item[1]))
    model, catalogue_model = match_model((text for text, _ in models), catalogue)
    source = serial.source if serial else next((s for t, s in models if t == model), None)
    return LabelReading(serial.value if serial else None, model, catalogue_model, source)
