"""Reading a HelpDesk export of solved tickets: CSV (; or ,, UTF-8 or cp1251, BOM or not) or JSONL."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.clock import MSK
from bot.services.knowledge import HistoryRecord

COLUMNS = ("id", "created", "model", "question", "answer")
REQUIRED = ("id", "question", "answer")
DATE_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y")


class HistoryFileError(Exception):
    """The file as a whole cannot be read (no such file, no header, a required column missing)."""


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass
class HistoryFile:
    records: list[HistoryRecord] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    format: str = ""


def decode(data: bytes) -> str:
    """UTF-8 (with or without its BOM), else cp1251, the two encodings Russian exports come in."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1251")


def parse_created(value: str) -> datetime | None:
    """ISO 8601 or dd.mm.yyyy[ hh:mm[:ss]]; without an offset it is Moscow time. Empty is None."""
    text = value.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        for fmt in DATE_FORMATS:
            try:
                moment = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"created {text!r} is not a date (2024-03-01 or 01.03.2024 12:30)") from None
    return moment.replace(tzinfo=MSK) if moment.tzinfo is None else moment.astimezone(MSK)


def _record(values: dict[str, str]) -> HistoryRecord:
    """One row's values by column name; ValueError says what is wrong with it."""
    missing = [name for name in REQUIRED if not (values.get(name) or "").strip()]
    if missing:
        raise ValueError("empty " + ", ".join(missing))
    return HistoryRecord(
        id=values["id"].strip(), question=values["question"].strip(), answer=values["answer"].strip(),
        model=(values.get("model") or "").strip(), created=parse_created(values.get("created") or ""),
    )


def _add(result: HistoryFile, seen: dict[str, int], line: int, values: dict[str, str]) -> None:
    try:
        record = _record(values)
    except ValueError as exc:
        result.bad.append(BadRow(line, str(exc)))
        return
    if record.id in seen:
        result.bad.append(BadRow(line, f"id {record.id} repeats line {seen[record.id]}"))
        return
    seen[record.id] = line
    result.records.append(record)


def _parse_jsonl(text: str) -> HistoryFile:
    result, seen = HistoryFile(format="jsonl"), {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            result.bad.append(BadRow(number, f"not JSON ({exc.msg})"))
            continue
        if not isinstance(item, dict):
            result.bad.append(BadRow(number, "not a JSON object"))
            continue
        values = {str(k).strip().lower(): "" if v is None else str(v) for k, v in item.items()}
        _add(result, seen, number, values)
    return result


def _delimiter(header: str) -> str:
    return ";" if header.count(";") > header.count(",") else ","


def _parse_csv(text: str) -> HistoryFile:
    lines = text.splitlines(keepends=True)
    first = next((line for line in lines if line.strip()), "")
    if not first:
        raise HistoryFileError("the file is empty")
    delimiter = _delimiter(first)
    reader = csv.reader(lines, delimiter=delimiter)
    result, seen = HistoryFile(format=f"csv ({delimiter})"), {}
    header: list[str] | None = None
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            result.bad.append(BadRow(start, f"broken CSV ({exc})"))
            continue
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip().lstrip("\ufeff").lower() for cell in row]
            missing = [name for name in REQUIRED if name not in header]
            if missing:
                raise HistoryFileError(f"line {start}: no column {', '.join(missing)} "
                                       f"(expected {', '.join(COLUMNS)}; found {', '.join(header)})")
            continue
        if len(row) != len(header):
            result.bad.append(BadRow(start, f"{len(row)} fields, the header has {len(header)}"))
            continue
        _add(result, seen, start, dict(zip(header, row)))
    if header is None:
        raise HistoryFileError("the file is empty")
    return result


def read_history_file(path: Path) -> HistoryFile:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HistoryFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    text = decode(data)
    if path.suffix.lower() in (".jsonl", ".ndjson") or text.lstrip().startswith("{"):
        return _parse_jsonl(text)
    return _parse_csv(text)

