"""The production calendar of the Russian Federation: xmlcalendar.ru files, with the `holidays` package as fallback."""

from __future__ import annotations

import logging
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

log = logging.getLogger(__name__)

DayKind = Literal["working", "shortened", "weekend", "holiday", "working_weekend"]
DaySource = Literal["file", "fallback"]

# Used as holiday_name for a day off that has no holiday of its own (texts word them by `named_holiday`).
TRANSFERRED_DAY_OFF = "Перенесённый выходной"
NON_WORKING_DAY = "Нерабочий день"

# A real year file is about 3 KB; anything near this is not a calendar.
MAX_FILE_BYTES = 1_000_000
_YEAR_RANGE = range(1991, 2200)
_MMDD = re.compile(r"^(\d{2})\.(\d{2})$")
# The holidays package labels decree transfers "Выходной (перенесено с 03.01.2026)".
_FALLBACK_TRANSFER = re.compile(r"перенесено с (\d{2})\.(\d{2})\.(\d{4})")


class CalendarError(Exception):
    """The production calendar cannot be used."""


class CalendarFileError(CalendarError):
    """A calendar file is malformed; the message names the file and the problem."""

    def __init__(self, source: str | os.PathLike[str], problem: str) -> None:
        self.source = str(source)
        self.problem = problem
        super().__init__(f"{self.source}: {problem}")


@dataclass(frozen=True, slots=True)
class CalendarDay:
    date: date
    kind: DayKind
    # Set for every "holiday" day: the holiday's title, TRANSFERRED_DAY_OFF or NON_WORKING_DAY.
    holiday_name: str | None
    shortened: bool
    source: DaySource
    transferred_from: date | None = None

    @property
    def is_working(self) -> bool:
        return self.kind in ("working", "shortened", "working_weekend")

    @property
    def is_transferred_day_off(self) -> bool:
        return self.holiday_name == TRANSFERRED_DAY_OFF

    @property
    def named_holiday(self) -> str | None:
        """The holiday's own title, None for a day off that has none (the texts word those)."""
        if self.holiday_name in (TRANSFERRED_DAY_OFF, NON_WORKING_DAY):
            return None
        return self.holiday_name or None


@dataclass(frozen=True, slots=True)
class _DayEntry:
    type: int
    holiday_id: int | None
    transferred_from: date | None


@dataclass(frozen=True, slots=True)
class CalendarYear:
    """One parsed xmlcalendar file."""

    year: int
    source: str
    holidays: dict[int, str]
    entries: dict[date, _DayEntry] = field(repr=False)
    issued: str | None = None

    def day(self, d: date) -> CalendarDay:
        if d.year != self.year:
            raise ValueError(f"{d} is not in {self.year}")
        weekend = d.weekday() >= 5
        entry = self.entries.get(d)
        if entry is None:
            # xmlcalendar lists only exceptions: an unlisted Sat/Sun is a day off, an unlisted weekday works.
            return CalendarDay(d, "weekend" if weekend else "working", None, False, "file")
        if entry.type == 1:
            title = self.holidays.get(entry.holiday_id) if entry.holiday_id is not None else None
            if weekend and title is None:
                return CalendarDay(d, "weekend", None, False, "file", entry.transferred_from)
            if title is None:
                title = TRANSFERRED_DAY_OFF if entry.transferred_from is not None else NON_WORKING_DAY
            return CalendarDay(d, "holiday", title, False, "file", entry.transferred_from)
        shortened = entry.type == 2
        # t=2 "may be used for any day of the week": on a Saturday it is a working, shortened weekend day.
        kind: DayKind = "working_weekend" if weekend else ("shortened" if shortened else "working")
        return CalendarDay(d, kind, None, shortened, "file")


def _parse_mmdd(value: str | None, year: int, what: str, source: str) -> date:
    match = _MMDD.match((value or "").strip())
    if match is None:
        raise CalendarFileError(source, f"{what}={value!r} is not a MM.DD date")
    month, day = int(match[1]), int(match[2])
    try:
        return date(year, month, day)
    except ValueError:
        raise CalendarFileError(source, f"{what}={value!r} is not a date in {year}") from None


def _parse_int(value: str | None, what: str, source: str) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        raise CalendarFileError(source, f"{what}={value!r} is not a number") from None


def parse_calendar_xml(data: bytes | str, source: str | os.PathLike[str] = "<calendar>") -> CalendarYear:
    """Parse one xmlcalendar.ru document; raise CalendarFileError naming `source` and the problem."""
    src = str(source)
    if len(data) > MAX_FILE_BYTES:
        raise CalendarFileError(src, f"file is too large ({len(data)} bytes) for a production calendar")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise CalendarFileError(src, f"not well-formed XML ({exc})") from None
    except (LookupError, ValueError) as exc:  # e.g. an encoding declaration Python does not know
        raise CalendarFileError(src, f"cannot decode the XML ({exc})") from None
    if root.tag != "calendar":
        raise CalendarFileError(src, f"root element is <{root.tag}>, expected <calendar>")
    year = _parse_int(root.get("year"), "calendar year", src)
    if year not in _YEAR_RANGE:
        raise CalendarFileError(src, f"calendar year={year} is out of range")
    country = root.get("country")
    if country is not None and country.strip().lower() != "ru":
        raise CalendarFileError(src, f"country={country!r}, expected 'ru'")

    holidays: dict[int, str] = {}
    for block in root.findall("holidays"):
        for node in block.findall("holiday"):
            hid = _parse_int(node.get("id"), "holiday id", src)
            title = (node.get("title") or "").strip()
            if not title:
                raise CalendarFileError(src, f"holiday id={hid} has no title")
            if hid in holidays:
                raise CalendarFileError(src, f"holiday id={hid} is defined twice")
            holidays[hid] = title

    days_blocks = root.findall("days")
    if not days_blocks:
        raise CalendarFileError(src, "no <days> element")
    entries: dict[date, _DayEntry] = {}
    for block in days_blocks:
        for node in block.findall("day"):
            d = _parse_mmdd(node.get("d"), year, "day d", src)
            label = f"day d={node.get('d')}"
            t = _parse_int(node.get("t"), f"{label}: t", src)
            if t not in (1, 2, 3):
                raise CalendarFileError(src, f"{label}: t={t}, expected 1, 2 or 3")
            if t == 3 and d.weekday() < 5:
                raise CalendarFileError(src, f"{label}: t=3 (working weekend day) but {d} is a weekday")
            hid = None
            if node.get("h") is not None:
                hid = _parse_int(node.get("h"), f"{label}: h", src)
                if hid not in holidays:
                    raise CalendarFileError(src, f"{label}: h={hid} is not in <holidays>")
            moved = _parse_mmdd(node.get("f"), year, f"{label}: f", src) if node.get("f") is not None else None
            if d in entries:
                raise CalendarFileError(src, f"{label} is listed twice")
            entries[d] = _DayEntry(t, hid, moved)
    return CalendarYear(year, src, holidays, entries, root.get("date"))


def load_calendar_files(directory: str | os.PathLike[str]) -> dict[int, CalendarYear]:
    """Parse every *.xml in `directory`; a missing directory means no files (every year falls back)."""
    folder = Path(directory)
    if not folder.is_dir():
        log.warning("Production calendar directory %s does not exist", folder)
        return {}
    years: dict[int, CalendarYear] = {}
    for path in sorted(folder.glob("*.xml")):
        if path.name.startswith("."):
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CalendarFileError(path, f"cannot read ({exc.strerror or exc})") from None
        parsed = parse_calendar_xml(data, path)
        # "2026.xml" saying year="2027" is a mix-up the admin should see rather than a silent wrong year.
        if path.stem.isdigit() and int(path.stem) != parsed.year:
            raise CalendarFileError(path, f"file name says {path.stem} but calendar year={parsed.year}")
        if parsed.year in years:
            raise CalendarFileError(path, f"year {parsed.year} is also in {years[parsed.year].source}")
        years[parsed.year] = parsed
    return years


def store_calendar_file(directory: str | os.PathLike[str], data: bytes, filename: str = "<document>") -> CalendarYear:
    """Validate an uploaded calendar and save it as <directory>/<year>.xml (atomically); reload afterwards."""
    parsed = parse_calendar_xml(data, filename)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{parsed.year}.xml"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return CalendarYear(parsed.year, str(target), parsed.holidays, parsed.entries, parsed.issued)


class _FallbackYear:
    """A year computed by the `holidays` package: it knows decree transfers, not shortened days."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.names: dict[date, str] = {}
        self.working_weekends: set[date] = set()
        try:
            import holidays as holidays_pkg
        except ImportError:  # pragma: no cover - the package is a declared dependency
            log.error("The holidays package is missing: %s uses weekends only", year)
            return
        table = self._country_table(holidays_pkg, year)
        self.names = {d: str(name) for d, name in table.items() if d.year == year}
        self.working_weekends = {d for d in getattr(table, "weekend_workdays", set()) if d.year == year}

    @staticmethod
    def _country_table(holidays_pkg: Any, year: int) -> Any:
        try:
            return holidays_pkg.country_holidays("RU", years=year, language="ru")
        except (NotImplementedError, ValueError, TypeError):
            # Older package versions have no language argument; their names are Russian anyway.
            return holidays_pkg.country_holidays("RU", years=year)

    def day(self, d: date) -> CalendarDay:
        weekend = d.weekday() >= 5
        name = self.names.get(d)
        if name is not None:
            moved = _FALLBACK_TRANSFER.search(name)
            if moved is not None:
                frm = date(int(moved[3]), int(moved[2]), int(moved[1]))
                return CalendarDay(d, "holiday", TRANSFERRED_DAY_OFF, False, "fallback", frm)
            return CalendarDay(d, "holiday", name, False, "fallback")
        if weekend:
            kind: DayKind = "working_weekend" if d in self.working_weekends else "weekend"
            return CalendarDay(d, kind, None, False, "fallback")
        return CalendarDay(d, "working", None, False, "fallback")


class ProductionCalendar:
    """Days of the Russian production calendar: from files where present, else from the `holidays` package."""

    def __init__(self, years: Iterable[CalendarYear] = (), directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self._files: dict[int, CalendarYear] = {y.year: y for y in years}
        self._fallback: dict[int, _FallbackYear] = {}
        self._reported_fallback: set[int] = set()

    @classmethod
    def from_directory(cls, directory: str | os.PathLike[str]) -> ProductionCalendar:
        calendar = cls(directory=directory)
        calendar.load()
        return calendar

    def load(self, directory: str | os.PathLike[str] | None = None) -> list[int]:
        """(Re)read the folder; on any error raise CalendarFileError and keep the previous data."""
        folder = Path(directory) if directory is not None else self.directory
        if folder is None:
            raise CalendarError("no calendar directory given")
        files = load_calendar_files(folder)
        # Swap only after everything parsed, so a bad upload never leaves the bot half-reloaded.
        self.directory = folder
        self._files = files
        self._fallback = {y: fb for y, fb in self._fallback.items() if y not in files}
        return sorted(files)

    @property
    def years_from_files(self) -> list[int]:
        return sorted(self._files)

    @property
    def fallback_years_used(self) -> list[int]:
        """Years answered by the `holidays` package so far (no file for them)."""
        return sorted(self._fallback)

    def pop_unreported_fallback_years(self) -> list[int]:
        """Fallback years not yet reported: the bot warns the admins about each year once."""
        fresh = [y for y in self.fallback_years_used if y not in self._reported_fallback]
        self._reported_fallback.update(fresh)
        return fresh

    def file_for(self, year: int) -> str | None:
        found = self._files.get(year)
        return found.source if found is not None else None

    def day(self, d: date) -> CalendarDay:
        year_file = self._files.get(d.year)
        if year_file is not None:
            return year_file.day(d)
        fallback = self._fallback.get(d.year)
        if fallback is None:
            log.warning("No production calendar file for %s: using the holidays package", d.year)
            fallback = self._fallback[d.year] = _FallbackYear(d.year)
        return fallback.day(d)
