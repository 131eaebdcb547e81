"""Production calendar: the shipped 2025–2027 files, the loader's errors and the holidays-package fallback."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest

from bot.services.calendar import (
    TRANSFERRED_DAY_OFF,
    CalendarFileError,
    ProductionCalendar,
    parse_calendar_xml,
    store_calendar_file,
)

CALENDAR_DIR = Path(__file__).resolve().parents[1] / "data" / "calendar"

NY = "Новогодние каникулы"
XMAS = "Рождество Христово"
FEB23 = "День защитника Отечества"
MAR8 = "Международный женский день"
MAY1 = "Праздник Весны и Труда"
MAY9 = "День Победы"
JUN12 = "День России"
NOV4 = "День народного единства"


@pytest.fixture(scope="module")
def calendar() -> ProductionCalendar:
    return ProductionCalendar.from_directory(CALENDAR_DIR)


def _new_year(year: int, last: int) -> list[tuple[date, str, str | None, bool]]:
    return [(date(year, 1, d), "holiday", XMAS if d == 7 else NY, False) for d in range(1, last + 1)]


# (date, kind, holiday_name, shortened): every date the decrees name, and neighbours that must stay ordinary.
DAYS = [
    # 2025
    *_new_year(2025, 8),
    (date(2025, 1, 9), "working", None, False),
    (date(2025, 2, 23), "holiday", FEB23, False),  # a Sunday, a holiday in its own right
    (date(2025, 2, 24), "working", None, False),
    (date(2025, 3, 7), "shortened", None, True),
    (date(2025, 3, 8), "holiday", MAR8, False),
    (date(2025, 3, 10), "working", None, False),
    (date(2025, 4, 30), "shortened", None, True),
    (date(2025, 5, 1), "holiday", MAY1, False),
    (date(2025, 5, 2), "holiday", MAY1, False),
    (date(2025, 5, 3), "weekend", None, False),
    (date(2025, 5, 7), "working", None, False),
    (date(2025, 5, 8), "holiday", MAY9, False),
    (date(2025, 5, 9), "holiday", MAY9, False),
    (date(2025, 6, 11), "shortened", None, True),
    (date(2025, 6, 12), "holiday", JUN12, False),
    (date(2025, 6, 13), "holiday", JUN12, False),
    (date(2025, 10, 31), "working", None, False),
    (date(2025, 11, 1), "working_weekend", None, True),
    (date(2025, 11, 2), "weekend", None, False),
    (date(2025, 11, 3), "holiday", NOV4, False),
    (date(2025, 11, 4), "holiday", NOV4, False),
    (date(2025, 11, 5), "working", None, False),
    (date(2025, 12, 30), "working", None, False),
    (date(2025, 12, 31), "holiday", TRANSFERRED_DAY_OFF, False),
    # 2026
    *_new_year(2026, 8),
    (date(2026, 1, 9), "holiday", NY, False),  # moved from Saturday 3 January, part of the New Year break
    (date(2026, 1, 10), "weekend", None, False),
    (date(2026, 1, 12), "working", None, False),
    (date(2026, 2, 20), "working", None, False),
    (date(2026, 2, 23), "holiday", FEB23, False),
    (date(2026, 3, 6), "working", None, False),
    (date(2026, 3, 8), "holiday", MAR8, False),
    (date(2026, 3, 9), "holiday", MAR8, False),
    (date(2026, 4, 30), "shortened", None, True),
    (date(2026, 5, 1), "holiday", MAY1, False),
    (date(2026, 5, 4), "working", None, False),
    (date(2026, 5, 8), "shortened", None, True),
    (date(2026, 5, 9), "holiday", MAY9, False),
    (date(2026, 5, 11), "holiday", MAY9, False),
    (date(2026, 6, 11), "shortened", None, True),
    (date(2026, 6, 12), "holiday", JUN12, False),
    (date(2026, 11, 3), "shortened", None, True),
    (date(2026, 11, 4), "holiday", NOV4, False),
    (date(2026, 11, 24), "working", None, False),
    (date(2026, 11, 28), "weekend", None, False),
    (date(2026, 12, 30), "working", None, False),
    (date(2026, 12, 31), "holiday", TRANSFERRED_DAY_OFF, False),
    # 2027
    *_new_year(2027, 8),
    (date(2027, 1, 11), "working", None, False),
    (date(2027, 2, 19), "working", None, False),
    (date(2027, 2, 20), "working_weekend", None, True),
    (date(2027, 2, 22), "holiday", FEB23, False),
    (date(2027, 2, 23), "holiday", FEB23, False),
    (date(2027, 3, 5), "working", None, False),
    (date(2027, 3, 8), "holiday", MAR8, False),
    (date(2027, 4, 30), "shortened", None, True),
    (date(2027, 5, 1), "holiday", MAY1, False),
    (date(2027, 5, 3), "holiday", MAY1, False),
    (date(2027, 5, 9), "holiday", MAY9, False),
    (date(2027, 5, 10), "holiday", MAY9, False),
    (date(2027, 6, 11), "shortened", None, True),
    (date(2027, 6, 12), "holiday", JUN12, False),
    (date(2027, 6, 14), "holiday", JUN12, False),
    (date(2027, 11, 3), "shortened", None, True),
    (date(2027, 11, 4), "holiday", NOV4, False),
    (date(2027, 11, 5), "holiday", NOV4, False),
    (date(2027, 12, 31), "holiday", TRANSFERRED_DAY_OFF, False),
]


@pytest.mark.parametrize("d, kind, name, shortened", DAYS, ids=[str(row[0]) for row in DAYS])
def test_shipped_calendar_day(calendar, d, kind, name, shortened):
    day = calendar.day(d)
    assert (day.kind, day.holiday_name, day.shortened, day.source) == (kind, name, shortened, "file")


def _weekdays(*days: date) -> set[date]:
    return {d for d in days if d.weekday() < 5}


def _jan(year: int, last: int) -> list[date]:
    return [date(year, 1, d) for d in range(1, last + 1)]


# The decrees, exactly: any weekday not here works, any Saturday/Sunday not in WORKING_WEEKENDS rests.
WEEKDAYS_OFF = {
    2025: _weekdays(*_jan(2025, 8), date(2025, 5, 1), date(2025, 5, 2), date(2025, 5, 8), date(2025, 5, 9),
                    date(2025, 6, 12), date(2025, 6, 13), date(2025, 11, 3), date(2025, 11, 4), date(2025, 12, 31)),
    2026: _weekdays(*_jan(2026, 9), date(2026, 2, 23), date(2026, 3, 9), date(2026, 5, 1), date(2026, 5, 11),
                    date(2026, 6, 12), date(2026, 11, 4), date(2026, 12, 31)),
    2027: _weekdays(*_jan(2027, 8), date(2027, 2, 22), date(2027, 2, 23), date(2027, 3, 8), date(2027, 5, 3),
                    date(2027, 5, 10), date(2027, 6, 14), date(2027, 11, 4), date(2027, 11, 5), date(2027, 12, 31)),
}
SHORTENED = {
    2025: {date(2025, 3, 7), date(2025, 4, 30), date(2025, 6, 11), date(2025, 11, 1)},
    2026: {date(2026, 4, 30), date(2026, 5, 8), date(2026, 6, 11), date(2026, 11, 3)},
    2027: {date(2027, 2, 20), date(2027, 4, 30), date(2027, 6, 11), date(2027, 11, 3)},
}
WORKING_WEEKENDS = {2025: {date(2025, 11, 1)}, 2026: set(), 2027: {date(2027, 2, 20)}}


def _year_days(year: int):
    d = date(year, 1, 1)
    while d.year == year:
        yield d
        d += timedelta(days=1)


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_whole_year_matches_the_decree(calendar, year):
    days = [calendar.day(d) for d in _year_days(year)]
    assert {x.date for x in days if not x.is_working and x.date.weekday() < 5} == WEEKDAYS_OFF[year]
    assert {x.date for x in days if x.shortened} == SHORTENED[year]
    assert {x.date for x in days if x.kind == "working_weekend"} == WORKING_WEEKENDS[year]
    assert all(x.holiday_name for x in days if x.kind == "holiday")
    assert calendar.fallback_years_used == []


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_files_agree_with_holidays_package_on_days_off(calendar, year):
    # Two independent sources; a disagreement means one of them misread a decree.
    package = holidays.country_holidays("RU", years=year)
    for d in _year_days(year):
        package_off = d in package or (d.weekday() >= 5 and d not in package.weekend_workdays)
        assert calendar.day(d).is_working != package_off, d


def test_transfers_are_recorded(calendar):
    assert calendar.day(date(2026, 1, 9)).transferred_from == date(2026, 1, 3)
    assert calendar.day(date(2025, 12, 31)).transferred_from == date(2025, 1, 5)
    assert calendar.day(date(2026, 1, 5)).transferred_from is None


def test_shipped_files_name_their_years(calendar):
    assert calendar.years_from_files == [2025, 2026, 2027]
    assert calendar.file_for(2026).endswith("2026.xml")
    assert calendar.file_for(2030) is None


# --- the loader ------------------------------------------------------------------------------

HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _xml(year: int = 2030, days: str = '<day d="01.01" t="1" h="1"/>', holidays_xml: str | None = None) -> str:
    if holidays_xml is None:
        holidays_xml = '<holidays><holiday id="1" title="Новогодние каникулы"/></holidays>'
    return f'{HEADER}<calendar year="{year}" lang="ru" date="2029.09.01" country="ru">{holidays_xml}' \
           f"<days>{days}</days></calendar>"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("<calendar year=\"2030\"><days>", "not well-formed XML"),
        ("", "not well-formed XML"),
        ('<?xml version="1.0" encoding="klingon"?><calendar year="2030"/>', "cannot decode the XML"),
        (f'{HEADER}<kalendar year="2030"><days/></kalendar>', "root element is <kalendar>"),
        (_xml().replace('year="2030"', 'year="twenty"'), "calendar year='twenty' is not a number"),
        (_xml().replace('country="ru"', 'country="by"'), "country='by'"),
        (f'{HEADER}<calendar year="2030"><holidays/></calendar>', "no <days> element"),
        (_xml(days='<day d="13.01" t="1"/>'), "day d='13.01' is not a date in 2030"),
        (_xml(days='<day d="1 Jan" t="1"/>'), "day d='1 Jan' is not a MM.DD date"),
        (_xml(days='<day d="01.09" t="4"/>'), "day d=01.09: t=4, expected 1, 2 or 3"),
        (_xml(days='<day d="01.09"/>'), "day d=01.09: t=None is not a number"),
        (_xml(days='<day d="01.09" t="1" h="9"/>'), "day d=01.09: h=9 is not in <holidays>"),
        (_xml(days='<day d="01.09" t="1" f="02.30"/>'), "f='02.30' is not a date"),
        (_xml(days='<day d="01.08" t="3"/>'), "t=3 (working weekend day) but 2030-01-08 is a weekday"),
        (_xml(days='<day d="01.01" t="1"/><day d="01.01" t="2"/>'), "day d=01.01 is listed twice"),
        (_xml(holidays_xml='<holidays><holiday id="1" title=""/></holidays>'), "holiday id=1 has no title"),
    ],
)
def test_malformed_file_is_named_with_its_problem(tmp_path, text, fragment):
    path = tmp_path / "2030.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarFileError) as info:
        ProductionCalendar.from_directory(tmp_path)
    assert str(path) in str(info.value)
    assert fragment in str(info.value)
    assert info.value.source == str(path)


def test_file_name_must_match_its_year(tmp_path):
    (tmp_path / "2031.xml").write_text(_xml(2030), encoding="utf-8")
    with pytest.raises(CalendarFileError, match="file name says 2031 but calendar year=2030"):
        ProductionCalendar.from_directory(tmp_path)


def test_two_files_for_one_year_are_an_error(tmp_path):
    # xmlcalendar.ru serves "calendar.xml"; any name is fine, but only one file per year.
    (tmp_path / "2030.xml").write_text(_xml(2030), encoding="utf-8")
    (tmp_path / "calendar.xml").write_text(_xml(2030), encoding="utf-8")
    with pytest.raises(CalendarFileError, match="year 2030 is also in .*2030.xml"):
        ProductionCalendar.from_directory(tmp_path)


def test_loader_reads_any_xml_name_and_skips_other_files(tmp_path):
    (tmp_path / "calendar.xml").write_text(_xml(2030), encoding="utf-8")
    (tmp_path / "README.txt").write_text("not a calendar", encoding="utf-8")
    calendar = ProductionCalendar.from_directory(tmp_path)
    assert calendar.years_from_files == [2030]


def test_type_3_is_a_working_weekend_day_and_type_2_on_saturday_is_shortened():
    days = '<day d="01.01" t="1" h="1"/><day d="01.05" t="3"/><day d="01.12" t="2"/><day d="01.14" t="2"/>'
    parsed = parse_calendar_xml(_xml(2030, days), "x.xml")
    assert (parsed.day(date(2030, 1, 5)).kind, parsed.day(date(2030, 1, 5)).shortened) == ("working_weekend", False)
    assert (parsed.day(date(2030, 1, 12)).kind, parsed.day(date(2030, 1, 12)).shortened) == ("working_weekend", True)
    assert (parsed.day(date(2030, 1, 14)).kind, parsed.day(date(2030, 1, 14)).shortened) == ("shortened", True)
    assert parsed.day(date(2030, 1, 6)).kind == "weekend"
    assert parsed.day(date(2030, 1, 1)).holiday_name == NY


def test_unnamed_days_off_get_a_plain_label():
    days = '<day d="01.02" t="1"/><day d="01.03" t="1" f="01.06"/><day d="01.06" t="1"/>'
    parsed = parse_calendar_xml(_xml(2030, days), "x.xml")
    assert parsed.day(date(2030, 1, 2)).holiday_name == "Нерабочий день"
    assert parsed.day(date(2030, 1, 3)).holiday_name == TRANSFERRED_DAY_OFF
    # An unnamed day off listed on a Sunday is just the weekend.
    assert parsed.day(date(2030, 1, 6)).kind == "weekend"


def test_failed_reload_keeps_the_previous_calendar(tmp_path):
    (tmp_path / "2030.xml").write_text(_xml(2030), encoding="utf-8")
    calendar = ProductionCalendar.from_directory(tmp_path)
    (tmp_path / "2031.xml").write_text("<broken", encoding="utf-8")
    with pytest.raises(CalendarFileError, match="2031.xml"):
        calendar.load()
    assert calendar.years_from_files == [2030]
    assert calendar.day(date(2030, 1, 1)).source == "file"


def test_missing_directory_falls_back_for_every_year(tmp_path):
    calendar = ProductionCalendar.from_directory(tmp_path / "nowhere")
    assert calendar.years_from_files == []
    assert calendar.day(date(2026, 1, 9)).source == "fallback"


# --- fallback to the holidays package -----------------------------------------------------------

def test_year_without_file_falls_back_and_is_reported_once(calendar):
    fresh = ProductionCalendar.from_directory(CALENDAR_DIR)
    assert fresh.day(date(2027, 12, 31)).source == "file"
    assert fresh.fallback_years_used == []

    new_year = fresh.day(date(2028, 1, 3))
    assert (new_year.kind, new_year.holiday_name, new_year.source) == ("holiday", NY, "fallback")
    assert fresh.day(date(2028, 1, 1)).kind == "holiday"  # a Saturday that is a holiday itself
    assert fresh.day(date(2028, 1, 10)).kind == "working"
    assert fresh.day(date(2028, 1, 15)).kind == "weekend"
    assert fresh.day(date(2028, 6, 12)).holiday_name == JUN12
    assert fresh.fallback_years_used == [2028]

    assert fresh.pop_unreported_fallback_years() == [2028]
    assert fresh.pop_unreported_fallback_years() == []
    fresh.day(date(2029, 5, 9))
    assert fresh.pop_unreported_fallback_years() == [2029]


def test_fallback_knows_transfers_but_not_shortened_days(tmp_path):
    calendar = ProductionCalendar.from_directory(tmp_path)
    moved = calendar.day(date(2026, 1, 9))
    assert (moved.kind, moved.holiday_name, moved.transferred_from) == (
        "holiday", TRANSFERRED_DAY_OFF, date(2026, 1, 3)
    )
    saturday = calendar.day(date(2025, 11, 1))
    assert (saturday.kind, saturday.shortened, saturday.source) == ("working_weekend", False, "fallback")
    assert calendar.day(date(2026, 4, 30)).kind == "working"  # the package has no shortened days
    assert calendar.fallback_years_used == [2025, 2026]


def test_dropping_a_file_in_and_reloading_ends_the_fallback(tmp_path):
    calendar = ProductionCalendar.from_directory(tmp_path)
    assert calendar.day(date(2030, 1, 1)).source == "fallback"
    (tmp_path / "2030.xml").write_text(_xml(2030), encoding="utf-8")
    assert calendar.load() == [2030]
    assert calendar.day(date(2030, 1, 1)).source == "file"
    assert calendar.fallback_years_used == []


def test_store_uploaded_file(tmp_path):
    stored = store_calendar_file(tmp_path, _xml(2030).encode(), "calendar.xml")
    assert stored.year == 2030
    assert (tmp_path / "2030.xml").read_text(encoding="utf-8") == _xml(2030)
    with pytest.raises(CalendarFileError, match="upload.xml: not well-formed"):
        store_calendar_file(tmp_path, b"<nope", "upload.xml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2030.xml"]
