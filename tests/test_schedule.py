"""Opening hours, working-time arithmetic, reaction times and the Russian texts about hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.clock import MSK
from bot.texts import hours as hours_text
from bot.services.calendar import CalendarDay, ProductionCalendar, parse_calendar_xml
from bot.services.schedule import (
    ReactionTime,
    Schedule,
    ScheduleError,
    parse_clock_time,
    parse_duration,
    reaction_due,
    reminder_points,
)

CALENDAR_DIR = Path(__file__).resolve().parents[1] / "data" / "calendar"


def msk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


@pytest.fixture(scope="module")
def schedule() -> Schedule:
    return Schedule(ProductionCalendar.from_directory(CALENDAR_DIR))


# --- open or closed ---------------------------------------------------------------------------

OPEN_TABLE = [
    # an ordinary Tuesday
    ("2026-11-24T06:59:59", False),
    ("2026-11-24T07:00:00", True),
    ("2026-11-24T17:59:59", True),
    ("2026-11-24T18:00:00", False),
    ("2026-11-24T00:00:00", False),
    # shortened days end at 17:00
    ("2025-03-07T16:59:59", True), ("2025-03-07T17:00:00", False),
    ("2025-04-30T16:59:59", True), ("2025-04-30T17:00:00", False),
    ("2025-06-11T16:59:59", True), ("2025-06-11T17:00:00", False),
    ("2026-04-30T16:59:59", True), ("2026-04-30T17:00:00", False),
    ("2026-05-08T16:59:59", True), ("2026-05-08T17:00:00", False),
    ("2026-06-11T16:59:59", True), ("2026-06-11T17:00:00", False),
    ("2026-11-03T16:59:59", True), ("2026-11-03T17:00:00", False),
    ("2027-04-30T16:59:59", True), ("2027-04-30T17:00:00", False),
    ("2027-06-11T16:59:59", True), ("2027-06-11T17:00:00", False),
    ("2027-11-03T16:59:59", True), ("2027-11-03T17:00:00", False),
    # working Saturdays, both shortened
    ("2025-11-01T06:59:59", False), ("2025-11-01T07:00:00", True),
    ("2025-11-01T16:59:59", True), ("2025-11-01T17:00:00", False),
    ("2027-02-20T06:59:59", False), ("2027-02-20T07:00:00", True),
    ("2027-02-20T16:59:59", True), ("2027-02-20T17:00:00", False),
    # ordinary weekend
    ("2026-11-28T10:00:00", False),
    ("2026-11-29T10:00:00", False),
]


@pytest.mark.parametrize("at, expected", OPEN_TABLE)
def test_is_open(schedule, at, expected):
    assert schedule.is_open(msk(at)) is expected
    status = schedule.status(msk(at))
    assert status.open is expected
    assert (status.closes_at is not None) is expected
    assert (status.next_open is None) is expected


def _weekday_days_off() -> list[date]:
    from tests.test_calendar import WEEKDAYS_OFF

    return sorted(d for days in WEEKDAYS_OFF.values() for d in days)


@pytest.mark.parametrize("d", _weekday_days_off(), ids=str)
def test_closed_all_day_on_every_weekday_day_off(schedule, d):
    for hour in (7, 12, 17):
        at = datetime.combine(d, time(hour), tzinfo=MSK)
        status = schedule.status(at)
        assert not status.open
        assert status.day.kind == "holiday"
        assert status.next_open is not None and status.next_open.date() > d


STATUS_TABLE = [
    # at, day kind, closes_at, next_open
    ("2026-11-24T06:59:59", "working", None, "2026-11-24T07:00:00+03:00"),
    ("2026-11-24T07:00:00", "working", "2026-11-24T18:00:00+03:00", None),
    ("2026-11-24T17:59:59", "working", "2026-11-24T18:00:00+03:00", None),
    ("2026-11-24T18:00:00", "working", None, "2026-11-25T07:00:00+03:00"),
    ("2026-11-27T18:00:00", "working", None, "2026-11-30T07:00:00+03:00"),
    ("2026-11-28T12:00:00", "weekend", None, "2026-11-30T07:00:00+03:00"),
    ("2025-12-31T23:00:00", "holiday", None, "2026-01-12T07:00:00+03:00"),
    ("2025-12-30T18:00:00", "working", None, "2026-01-12T07:00:00+03:00"),
    ("2026-01-09T12:00:00", "holiday", None, "2026-01-12T07:00:00+03:00"),
    ("2026-04-30T16:00:00", "shortened", "2026-04-30T17:00:00+03:00", None),
    ("2026-04-30T17:00:00", "shortened", None, "2026-05-04T07:00:00+03:00"),
    ("2026-05-08T17:00:00", "shortened", None, "2026-05-12T07:00:00+03:00"),
    ("2026-06-11T17:00:00", "shortened", None, "2026-06-15T07:00:00+03:00"),
    ("2025-10-31T18:00:00", "working", None, "2025-11-01T07:00:00+03:00"),
    ("2025-11-01T12:00:00", "working_weekend", "2025-11-01T17:00:00+03:00", None),
    ("2025-11-01T17:00:00", "working_weekend", None, "2025-11-05T07:00:00+03:00"),
    ("2027-02-19T18:00:00", "working", None, "2027-02-20T07:00:00+03:00"),
    ("2027-02-20T17:00:00", "working_weekend", None, "2027-02-24T07:00:00+03:00"),
    ("2027-11-03T17:00:00", "shortened", None, "2027-11-08T07:00:00+03:00"),
    ("2027-12-30T18:00:00", "working", None, "2028-01-10T07:00:00+03:00"),  # 2028 from the fallback
]


@pytest.mark.parametrize("at, kind, closes_at, next_open", STATUS_TABLE)
def test_status(schedule, at, kind, closes_at, next_open):
    status = schedule.status(msk(at))
    assert status.day.kind == kind
    assert status.closes_at == (datetime.fromisoformat(closes_at) if closes_at else None)
    assert status.next_open == (datetime.fromisoformat(next_open) if next_open else None)
    assert status.as_json_dict()["next_open"] == next_open
    assert status.as_json_dict()["closes_at"] == closes_at


def test_night_of_31_december_2025(schedule):
    nxt = schedule.next_open(msk("2025-12-31T23:00"))
    assert nxt.isoformat() == "2026-01-12T07:00:00+03:00"


def test_next_open_when_open_is_the_next_session(schedule):
    assert schedule.next_open(msk("2026-11-24T10:00")) == msk("2026-11-25T07:00")
    assert schedule.open_at_or_after(msk("2026-11-24T10:00")) == msk("2026-11-24T10:00")
    assert schedule.open_at_or_after(msk("2026-11-24T18:00")) == msk("2026-11-25T07:00")


def test_any_zone_in_moscow_out(schedule):
    utc = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 07:00 MSK
    assert schedule.is_open(utc)
    status = schedule.status(utc)
    assert status.at.utcoffset() == timedelta(hours=3)
    assert status.closes_at.isoformat() == "2026-11-24T18:00:00+03:00"
    assert schedule.add_working_time(utc, timedelta(hours=1)).isoformat() == "2026-11-24T08:00:00+03:00"


NAIVE = datetime(2026, 11, 24, 10, 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.is_open(NAIVE),
        lambda s: s.status(NAIVE),
        lambda s: s.next_open(NAIVE),
        lambda s: s.closes_at(NAIVE),
        lambda s: s.open_at_or_after(NAIVE),
        lambda s: s.add_working_time(NAIVE, timedelta(hours=1)),
        lambda s: s.working_time_between(NAIVE, msk("2026-11-25T10:00")),
        lambda s: s.working_time_between(msk("2026-11-23T10:00"), NAIVE),
        lambda s: s.add_working_days(NAIVE, 1),
        lambda s: reaction_due(s, NAIVE, "4h"),
        lambda s: hours_text.opening_phrase(s, NAIVE),
    ],
)
def test_naive_datetime_is_refused(schedule, call):
    with pytest.raises(ValueError, match="naive"):
        call(schedule)


# --- working-time arithmetic ------------------------------------------------------------------

ADD_TABLE = [
    # start, working time, due
    ("2026-11-27T17:30", timedelta(hours=1), "2026-11-30T07:30"),  # Friday 17:30 + 1 h -> Monday 7:30
    ("2026-11-27T17:00", timedelta(hours=1), "2026-11-27T18:00"),  # uses the session up exactly
    ("2026-11-24T10:00", timedelta(hours=8), "2026-11-24T18:00"),
    ("2026-11-24T10:01", timedelta(hours=8), "2026-11-25T07:01"),
    ("2026-11-24T10:00", timedelta(hours=4), "2026-11-24T14:00"),
    ("2026-11-28T12:00", timedelta(hours=4), "2026-11-30T11:00"),  # filed on Saturday
    ("2026-11-24T05:00", timedelta(hours=1), "2026-11-24T08:00"),  # filed before opening
    ("2026-11-24T20:00", timedelta(0), "2026-11-25T07:00"),
    ("2026-11-24T10:00", timedelta(0), "2026-11-24T10:00"),
    ("2026-11-24T10:00", timedelta(minutes=90), "2026-11-24T11:30"),
    # holiday blocks and shortened days
    ("2026-04-30T16:30", timedelta(hours=2), "2026-05-04T08:30"),  # shortened Thursday, then 1–3 May
    ("2026-05-08T16:00", timedelta(hours=4), "2026-05-12T10:00"),  # shortened Friday, then 9–11 May
    ("2025-12-30T17:00", timedelta(hours=4), "2026-01-12T10:00"),  # the New Year break
    ("2025-12-31T23:00", timedelta(hours=1), "2026-01-12T08:00"),
    ("2026-06-11T15:00", timedelta(hours=8), "2026-06-15T13:00"),  # 2 h on the 11th, 6 h on Monday
    ("2025-06-10T17:00", timedelta(hours=11), "2025-06-11T17:00"),  # 1 h + the shortened 11th, to its close
    # working Saturdays
    ("2025-10-31T17:00", timedelta(hours=3), "2025-11-01T09:00"),
    ("2025-11-01T16:00", timedelta(hours=4), "2025-11-05T10:00"),
    ("2027-02-19T17:00", timedelta(hours=12), "2027-02-24T08:00"),  # 1 h Fri + 10 h Sat + 1 h Wed
    # a whole week: 5 x 11 h
    ("2026-11-23T07:00", timedelta(hours=55), "2026-11-27T18:00"),
]


@pytest.mark.parametrize("start, delta, due", ADD_TABLE)
def test_add_working_time(schedule, start, delta, due):
    result = schedule.add_working_time(msk(start), delta)
    assert result == msk(due)
    assert result.tzinfo is MSK
    assert schedule.working_time_between(msk(start), result) == delta


def test_negative_working_time_is_refused(schedule):
    with pytest.raises(ValueError):
        schedule.add_working_time(msk("2026-11-24T10:00"), timedelta(hours=-1))


BETWEEN_TABLE = [
    ("2026-11-27T17:30", "2026-11-30T07:30", timedelta(hours=1)),
    ("2026-04-30T16:30", "2026-05-04T08:30", timedelta(hours=2)),
    ("2025-12-31T00:00", "2026-01-12T07:00", timedelta(0)),
    ("2026-11-23T00:00", "2026-11-30T00:00", timedelta(hours=55)),
    ("2026-04-27T00:00", "2026-05-04T00:00", timedelta(hours=4 * 11 - 1)),  # shortened 30 April, 1 May off
    ("2025-10-27T00:00", "2025-11-03T00:00", timedelta(hours=5 * 11 + 10)),  # + the working Saturday
    ("2026-11-24T12:00", "2026-11-24T12:00", timedelta(0)),
    ("2026-11-24T19:00", "2026-11-25T06:00", timedelta(0)),
    ("2026-11-25T07:30", "2026-11-24T17:30", -timedelta(hours=1)),
]


@pytest.mark.parametrize("a, b, expected", BETWEEN_TABLE)
def test_working_time_between(schedule, a, b, expected):
    assert schedule.working_time_between(msk(a), msk(b)) == expected


# Moments across all three files, in minutes, and reaction times up to two working weeks.
moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 11, 30)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=MSK)
)


@settings(max_examples=150, deadline=None)
@given(start=moments, minutes=st.integers(min_value=0, max_value=10 * 11 * 60))
def test_adding_then_measuring_gives_the_same_working_time(schedule, start, minutes):
    delta = timedelta(minutes=minutes)
    due = schedule.add_working_time(start, delta)
    assert due >= start
    assert schedule.working_time_between(start, due) == delta
    # The due time is always inside a session or at its closing time, never in the middle of the night.
    session = schedule.interval(due.date())
    assert session is not None and session.start <= due <= session.end


DAYS_TABLE = [
    # start, n working days, due
    ("2026-11-24T10:00", 5, "2026-12-01T10:00"),  # Tuesday -> next Tuesday
    ("2026-11-24T10:00", 1, "2026-11-25T10:00"),
    ("2026-11-24T10:00", 0, "2026-11-24T10:00"),
    ("2026-11-27T19:00", 5, "2026-12-07T07:00"),  # after hours: counted from Monday's opening
    ("2026-11-28T12:00", 1, "2026-12-01T07:00"),  # Saturday: Monday 7:00 + 1 day
    ("2026-04-28T10:00", 5, "2026-05-06T10:00"),  # skips 1–3 May
    ("2026-04-23T17:30", 5, "2026-04-30T17:00"),  # lands on the shortened 30 April: its closing time
    ("2025-12-29T10:00", 3, "2026-01-13T10:00"),  # over the New Year break
    ("2025-10-27T10:00", 5, "2025-11-01T10:00"),  # the working Saturday counts
    ("2027-02-18T10:00", 2, "2027-02-20T10:00"),
    ("2027-02-19T10:00", 2, "2027-02-24T10:00"),
]


@pytest.mark.parametrize("start, n, due", DAYS_TABLE)
def test_add_working_days(schedule, start, n, due):
    assert schedule.add_working_days(msk(start), n) == msk(due)


def test_negative_working_days_are_refused(schedule):
    with pytest.raises(ValueError):
        schedule.add_working_days(msk("2026-11-24T10:00"), -1)


def test_a_calendar_without_working_days_is_an_error():
    class AlwaysOff:
        def day(self, d: date) -> CalendarDay:
            return CalendarDay(d, "holiday", "Нерабочий день", False, "file")

    broken = Schedule(AlwaysOff())  # type: ignore[arg-type]
    with pytest.raises(ScheduleError, match="no working day"):
        broken.next_open(msk("2026-11-24T10:00"))
    with pytest.raises(ScheduleError):
        broken.add_working_time(msk("2026-11-24T10:00"), timedelta(hours=1))


# --- settings ---------------------------------------------------------------------------------

def test_custom_hours(schedule):
    custom = Schedule(schedule.calendar, work_start=time(9), work_end=time(18), shortened_hours=2)
    assert not custom.is_open(msk("2026-11-24T08:59"))
    assert custom.is_open(msk("2026-11-24T09:00"))
    assert custom.closes_at(msk("2026-04-30T10:00")) == msk("2026-04-30T16:00")
    assert custom.add_working_time(msk("2026-11-27T17:30"), timedelta(hours=1)) == msk("2026-11-30T09:30")


def test_no_shortening(schedule):
    plain = Schedule(schedule.calendar, shortened_hours=0)
    assert plain.closes_at(msk("2026-04-30T10:00")) == msk("2026-04-30T18:00")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"work_start": time(18), "work_end": time(7)},
        {"work_start": time(7), "work_end": time(8), "shortened_hours": 1},
        {"shortened_hours": -1},
        {"work_start": time(7, tzinfo=MSK)},
    ],
)
def test_bad_hours_are_refused(schedule, kwargs):
    with pytest.raises(ValueError):
        Schedule(schedule.calendar, **kwargs)


@pytest.mark.parametrize(
    "text, expected",
    [("7", time(7)), ("07:00", time(7)), ("7:30", time(7, 30)), ("18:00:00", time(18)), (" 09:05 ", time(9, 5))],
)
def test_parse_clock_time(text, expected):
    assert parse_clock_time(text) == expected


@pytest.mark.parametrize("text", ["", "7am", "25:00", "24:00", "7:60", "07-00"])
def test_parse_clock_time_rejects(text):
    with pytest.raises(ValueError):
        parse_clock_time(text)


# --- reaction times ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, amount, unit",
    [
        ("4h", 4, "hours"), ("8h", 8, "hours"), ("5d", 5, "days"), ("90m", 90, "minutes"),
        (" 4 H ", 4, "hours"), ("1.5h", 1.5, "hours"), ("4ч", 4, "hours"), ("5д", 5, "days"),
        ("90мин", 90, "minutes"), ("30min", 30, "minutes"),
    ],
)
def test_parse_duration(text, amount, unit):
    assert parse_duration(text) == ReactionTime(amount, unit)


@pytest.mark.parametrize("text", ["", "4", "h", "4x", "-1h", "0h", "4 hours", "1,5h", "1e3h", "99999d"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_reaction_time_str():
    assert str(parse_duration("4h")) == "4h"
    assert str(parse_duration("1.5h")) == "1.5h"
    assert str(parse_duration("5д")) == "5d"


REACTION_TABLE = [
    # the regulation's defaults: general / documentation 4h, configuration 8h, malfunction 4h, wish 5d
    ("2026-11-27T17:30", "1h", "2026-11-30T07:30"),
    ("2026-11-27T17:30", "4h", "2026-11-30T10:30"),
    ("2026-11-27T17:30", "8h", "2026-11-30T14:30"),
    ("2026-11-24T10:00", "5d", "2026-12-01T10:00"),
    ("2026-11-24T10:00", "90m", "2026-11-24T11:30"),
    ("2026-04-30T16:30", "2h", "2026-05-04T08:30"),
    ("2025-12-30T16:00", "4h", "2026-01-12T09:00"),
    ("2025-12-30T16:00", "5d", "2026-01-16T16:00"),
    ("2026-11-24T10:00", "1.5d", "2026-11-25T15:30"),  # 1 day, then half of an 11-hour day
]


@pytest.mark.parametrize("start, reaction, due", REACTION_TABLE)
def test_reaction_due(schedule, start, reaction, due):
    assert reaction_due(schedule, msk(start), reaction) == msk(due)
    assert reaction_due(schedule, msk(start), parse_duration(reaction)) == msk(due)


def test_level_change_recomputes_from_filing_time(schedule):
    filed = msk("2026-11-27T17:30")
    assert reaction_due(schedule, filed, "4h") == msk("2026-11-30T10:30")
    assert reaction_due(schedule, filed, "8h") == msk("2026-11-30T14:30")


REMINDER_TABLE = [
    # start, due, warn_at (75 % of working time, inside hours), breach_at
    ("2026-11-24T10:00", "2026-11-24T14:00", "2026-11-24T13:00", "2026-11-24T14:00"),
    ("2026-11-27T16:00", "2026-11-30T09:00", "2026-11-30T08:00", "2026-11-30T09:00"),  # over the weekend
    ("2026-11-27T14:00", "2026-11-27T18:00", "2026-11-27T17:00", "2026-11-30T07:00"),  # due at closing
    ("2026-11-27T15:00", "2026-11-30T08:00", "2026-11-30T07:00", "2026-11-30T08:00"),  # 75 % lands at 18:00 Fri
    ("2025-12-30T16:00", "2026-01-12T09:00", "2026-01-12T08:00", "2026-01-12T09:00"),
    ("2026-11-24T10:00", "2026-11-24T10:00", "2026-11-24T10:00", "2026-11-24T10:00"),
]


@pytest.mark.parametrize("start, due, warn, breach", REMINDER_TABLE)
def test_reminder_points(schedule, start, due, warn, breach):
    points = reminder_points(schedule, msk(start), msk(due))
    assert (points.warn_at, points.breach_at) == (msk(warn), msk(breach))
    assert schedule.is_open(points.warn_at) and schedule.is_open(points.breach_at)


# --- texts ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "at, phrase",
    [
        ("2025-12-31T23:00", "в понедельник, 12 января, в 7:00 МСК"),
        ("2026-11-24T05:00", "сегодня в 7:00 МСК"),
        ("2026-11-24T19:00", "завтра, 25 ноября, в 7:00 МСК"),
        ("2026-05-10T12:00", "во вторник, 12 мая, в 7:00 МСК"),
        ("2026-11-04T12:00", "завтра, 5 ноября, в 7:00 МСК"),
        ("2027-02-19T18:00", "завтра, 20 февраля, в 7:00 МСК"),
        ("2027-02-20T18:00", "в среду, 24 февраля, в 7:00 МСК"),
        ("2026-11-27T18:00", "в понедельник, 30 ноября, в 7:00 МСК"),
    ],
)
def test_opening_phrase(schedule, at, phrase):
    assert hours_text.opening_phrase(schedule, msk(at)) == phrase


@pytest.mark.parametrize(
    "moment, words",
    [
        ("2026-11-30T07:00", "в понедельник, 30 ноября"),
        ("2026-12-01T07:00", "во вторник, 1 декабря"),
        ("2026-12-02T07:00", "в среду, 2 декабря"),
        ("2026-12-03T07:00", "в четверг, 3 декабря"),
        ("2026-12-04T07:00", "в пятницу, 4 декабря"),
        ("2026-12-05T07:00", "в субботу, 5 декабря"),
        ("2026-12-06T07:00", "в воскресенье, 6 декабря"),
        ("2027-08-01T07:30", "в воскресенье, 1 августа 2027 г., в 7:30 МСК"),
    ],
)
def test_when_phrase_weekdays(moment, words):
    assert words in hours_text.when_phrase(msk(moment), msk("2026-11-27T20:00"))


def test_after_hours_notice_names_the_holiday_and_contacts(schedule):
    text = hours_text.after_hours_notice(schedule, msk("2026-06-12T10:00"))
    assert "День России" in text
    assert "в понедельник, 15 июня, в 7:00 МСК" in text
    for contact in ("8 (800) 777-36-12", "911@tdtorus.ru"):
        assert contact in text
    assert "<b>в понедельник, 15 июня, в 7:00 МСК</b>" in text


def _phone_lines(html_text: str, width: int = 38) -> int:
    """Lines on a 390 px phone: about 38 characters of visible text fit in a message bubble."""
    import re
    import textwrap
    visible = re.sub(r"<[^>]+>", "", html_text)
    return sum(len(textwrap.wrap(line, width)) or 1 for line in visible.split("\n"))


@pytest.mark.parametrize("at", ["2026-11-24T20:00", "2026-06-12T10:00", "2025-12-31T23:00", "2026-11-28T12:00"])
def test_after_hours_confirmation_fits_six_phone_lines_and_says_the_order_once_at_most(schedule, at):
    from bot.texts.intake import case_accepted
    text = case_accepted("№1002", [hours_text.after_hours_notice(schedule, msk(at))])
    assert _phone_lines(text) <= 6, text
    assert text.count("поряд") <= 1
    assert text.count("<b>") == 2  # the number and the opening time
    assert "8 (800) 777-36-12" in text


def test_confirmation_in_working_hours_has_no_contacts():
    from bot.texts.intake import case_accepted
    text = case_accepted("№1002", [])
    assert text == "✅ Заявка <b>№1002</b> принята, ответ придёт в этот чат."


@pytest.mark.parametrize(
    "at, words",
    [
        ("2026-11-24T20:00", "Сейчас у нас нерабочее время, начнём <b>завтра"),
        ("2026-11-24T05:00", "Сейчас у нас нерабочее время, начнём <b>сегодня в 7:00 МСК</b>"),
        ("2026-11-28T12:00", "Сейчас у нас выходной, начнём <b>в понедельник"),
        ("2026-01-09T12:00", "Сейчас у нас Новогодние каникулы"),
        ("2025-12-31T23:00", "Сейчас у нас Новогодние каникулы, начнём <b>в понедельник, 12 января"),
        ("2025-12-30T19:00", "Сейчас у нас Новогодние каникулы"),
    ],
)
def test_after_hours_notice_says_why(schedule, at, words):
    assert words in hours_text.after_hours_notice(schedule, msk(at))


def test_after_hours_notice_refuses_when_open(schedule):
    with pytest.raises(ValueError):
        hours_text.after_hours_notice(schedule, msk("2026-11-24T10:00"))


def test_hours_card(schedule):
    open_card = hours_text.hours_card(schedule, msk("2026-11-24T10:00"))
    assert "пн–пт 7:00–18:00 МСК" in open_card
    assert "Сейчас работаем, до 18:00 МСК" in open_card
    assert "911@tdtorus.ru" in open_card
    shortened = hours_text.hours_card(schedule, msk("2026-04-30T10:00"))
    assert "до 17:00 МСК" in shortened
    closed = hours_text.hours_card(schedule, msk("2025-12-31T23:00"))
    assert "Откроемся в понедельник, 12 января, в 7:00 МСК" in closed


def test_status_line_and_case_card_label(schedule):
    assert hours_text.status_line(schedule, msk("2026-11-24T10:00")) == "Сейчас поддержка работает, до 18:00 МСК."
    assert "откроемся завтра, 25 ноября" in hours_text.status_line(schedule, msk("2026-11-24T19:00"))
    assert hours_text.after_hours_label(schedule, msk("2026-11-24T10:00")) is None
    assert hours_text.after_hours_label(schedule, msk("2026-11-24T19:00")) == "Поступило вне рабочих часов: нерабочее время"
    assert "День России" in hours_text.after_hours_label(schedule, msk("2026-06-12T10:00"))
    assert hours_text.short_moment(msk("2026-01-12T07:30")) == "пн 12.01, 7:30"


def test_holiday_titles_from_files_are_html_escaped():
    xml = ('<calendar year="2030"><holidays><holiday id="1" title="День &lt;b&gt; &amp; Co"/></holidays>'
           '<days><day d="01.01" t="1" h="1"/></days></calendar>')
    calendar = ProductionCalendar([parse_calendar_xml(xml, "x.xml")])
    text = hours_text.after_hours_notice(Schedule(calendar), msk("2030-01-01T10:00"))
    assert "День &lt;b&gt; &amp; Co" in text
    assert "<b> &" not in text
