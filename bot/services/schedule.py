"""Support-desk hours by the production calendar, and reaction times counted in working time only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from bot.clock import MSK, to_msk  # noqa: F401  (to_msk: schedule's callers import it here)
from bot.services.calendar import CalendarDay, ProductionCalendar

# The longest real run of days off is the New Year block (12 days with weekends); a calendar with two
# months of no working days is broken, and we would rather say so than loop forever.
MAX_DAYS_WITHOUT_WORK = 60


class ScheduleError(Exception):
    """The calendar gives no working time where some is needed."""


def parse_clock_time(value: str) -> time:
    """'7', '07:00', '7:30', '07:00:00' -> time; for WORK_START / WORK_END settings."""
    text = value.strip()
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?", text)
    if match is None:
        raise ValueError(f"{value!r} is not a time of day like 07:00")
    hour, minute, second = int(match[1]), int(match[2] or 0), int(match[3] or 0)
    if hour == 24 and minute == 0 and second == 0:
        raise ValueError(f"{value!r}: use 23:59 rather than 24:00")
    try:
        return time(hour, minute, second)
    except ValueError:
        raise ValueError(f"{value!r} is not a valid time of day") from None


@dataclass(frozen=True, slots=True)
class ScheduleStatus:
    at: datetime
    open: bool
    day: CalendarDay
    closes_at: datetime | None  # set when open
    next_open: datetime | None  # set when closed

    def as_json_dict(self) -> dict[str, object]:
        """The `python -m bot hours --json` contract."""
        return {
            "at": self.at.isoformat(),
            "open": self.open,
            "day": self.day.kind,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "next_open": self.next_open.isoformat() if self.next_open else None,
        }


@dataclass(frozen=True, slots=True)
class WorkingInterval:
    start: datetime
    end: datetime
    day: CalendarDay


class Schedule:
    """Opening hours: work_start..work_end on working days, one hour less (by default) on shortened days."""

    def __init__(
        self,
        calendar: ProductionCalendar,
        work_start: time = time(7),
        work_end: time = time(18),
        shortened_hours: float = 1,
    ) -> None:
        if work_start.tzinfo is not None or work_end.tzinfo is not None:
            raise ValueError("work_start/work_end are Moscow wall-clock times without tzinfo")
        if shortened_hours < 0:
            raise ValueError("shortened_hours must not be negative")
        self.calendar = calendar
        self.work_start = work_start
        self.work_end = work_end
        self.shortened_hours = shortened_hours
        self._shortening = timedelta(hours=shortened_hours)
        day_length = datetime.combine(date.min, work_end) - datetime.combine(date.min, work_start)
        # The length of an ordinary working day (11 h by default).
        self.full_day = day_length
        if day_length - self._shortening <= timedelta(0):
            raise ValueError(
                f"working hours {work_start:%H:%M}-{work_end:%H:%M} minus {shortened_hours} h leave no time"
            )

    # --- the day's hours -------------------------------------------------------------------------

    def interval(self, d: date) -> WorkingInterval | None:
        """The working hours of date `d` (Moscow), or None on a day off."""
        day = self.calendar.day(d)
        if not day.is_working:
            return None
        start = datetime.combine(d, self.work_start, tzinfo=MSK)
        end = datetime.combine(d, self.work_end, tzinfo=MSK)
        if day.shortened:
            end -= self._shortening
        return WorkingInterval(start, end, day)

    def intervals_from(self, at: datetime) -> Iterator[WorkingInterval]:
        """Working intervals that end after `at`, in order; endless, but never more than 60 days off in a row."""
        at = to_msk(at)
        d = at.date()
        days_off = 0
        while True:
            found = self.interval(d)
            if found is None:
                days_off += 1
                if days_off > MAX_DAYS_WITHOUT_WORK:
                    raise ScheduleError(f"no working day in the {MAX_DAYS_WITHOUT_WORK} days before {d}")
            else:
                days_off = 0
                if found.end > at:
                    yield found
            d += timedelta(days=1)

    # --- open / closed ---------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        at = to_msk(at)
        today = self.interval(at.date())
        return today is not None and today.start <= at < today.end

    def closes_at(self, at: datetime) -> datetime | None:
        """When the current session ends, or None when closed at `at`."""
        at = to_msk(at)
        today = self.interval(at.date())
        if today is not None and today.start <= at < today.end:
            return today.end
        return None

    def next_open(self, at: datetime) -> datetime:
        """The next opening strictly after `at` (when open now, that is the next session's start)."""
        at = to_msk(at)
        for found in self.intervals_from(at):
            if found.start > at:
                return found.start
        raise AssertionError("unreachable: intervals_from is endless")  # pragma: no cover

    def open_at_or_after(self, at: datetime) -> datetime:
        """`at` itself when open, else the next opening: where counting working time starts."""
        at = to_msk(at)
        first = next(self.intervals_from(at))
        return max(first.start, at)

    def status(self, at: datetime) -> ScheduleStatus:
        at = to_msk(at)
        closes = self.closes_at(at)
        return ScheduleStatus(
            at=at,
            open=closes is not None,
            day=self.calendar.day(at.date()),
            closes_at=closes,
            next_open=None if closes is not None else self.next_open(at),
        )

    # --- working-time arithmetic -----------------------------------------------------------------

    def add_working_time(self, start: datetime, delta: timedelta) -> datetime:
        """The moment `delta` of working time after `start`; outside hours counting starts at the next opening.

        Friday 17:30 + 1 h -> Monday 7:30. Using up a session exactly ends at its closing time
        (Friday 17:00 + 1 h -> Friday 18:00), not at the next opening.
        """
        start = to_msk(start)
        if delta < timedelta(0):
            raise ValueError("delta must not be negative")
        remaining = delta
        for found in self.intervals_from(start):
            begin = max(found.start, start)
            available = found.end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise AssertionError("unreachable: intervals_from is endless")  # pragma: no cover

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time in [a, b); negative when b is before a."""
        a, b = to_msk(a), to_msk(b)
        if b < a:
            return -self.working_time_between(b, a)
        total = timedelta(0)
        for found in self.intervals_from(a):
            if found.start >= b:
                break
            total += min(found.end, b) - max(found.start, a)
        return total

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """`n` working days after `start`: the same time of day on the n-th following working day.

        The start is first moved to the next opening when the desk is closed (Friday 19:00 counts from
        Monday 7:00). Tuesday 10:00 + 5 -> next Tuesday 10:00, skipping days off; a working weekend day
        counts. When the target is a shortened day that closes before that time of day, the due time is
        its closing time. So the allowance is n days' worth of working time, give or take a shortened hour.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        begin = self.open_at_or_after(start)
        if n == 0:
            return begin
        session = self.interval(begin.date())
        assert session is not None  # begin is an open moment, so its date is a working day
        offset = begin - session.start
        counted = 0
        for found in self.intervals_from(datetime.combine(begin.date() + timedelta(days=1), time(0), tzinfo=MSK)):
            counted += 1
            if counted == n:
                return min(found.start + offset, found.end)
        raise AssertionError("unreachable: intervals_from is endless")  # pragma: no cover


# --- reaction times ------------------------------------------------------------------------------

ReactionUnit = Literal["minutes", "hours", "days"]

_UNITS: dict[str, ReactionUnit] = {
    "m": "minutes", "min": "minutes", "м": "minutes", "мин": "minutes",
    "h": "hours", "ч": "hours",
    "d": "days", "д": "days", "рд": "days",
}
_SUFFIX = {"minutes": "m", "hours": "h", "days": "d"}


@dataclass(frozen=True, slots=True)
class ReactionTime:
    """A reaction time in working minutes, hours or days (days are counted by add_working_days)."""

    amount: float
    unit: ReactionUnit

    def __str__(self) -> str:
        return f"{self.amount:g}{_SUFFIX[self.unit]}"

    @property
    def working_delta(self) -> timedelta | None:
        """The amount of working time for minutes/hours; None for days, which are counted by calendar."""
        if self.unit == "minutes":
            return timedelta(minutes=self.amount)
        if self.unit == "hours":
            return timedelta(hours=self.amount)
        return None


def parse_duration(value: str) -> ReactionTime:
    """'4h', '8h', '5d', '90m', '1.5h' (also '4ч', '5д', '90мин') -> ReactionTime; else ValueError.

    The same shape as the REACTION_LEVELS setting accepts, so whatever settings let through parses here.
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zа-я]+)\s*", str(value).lower())
    if match is None or match[2] not in _UNITS:
        raise ValueError(f"{value!r} is not a reaction time like 4h, 90m or 5d")
    amount = float(match[1])
    if amount <= 0:
        raise ValueError(f"{value!r}: a reaction time must be positive")
    if amount > 10_000:
        raise ValueError(f"{value!r} is too long for a reaction time")
    return ReactionTime(amount, _UNITS[match[2]])


def reaction_due(schedule: Schedule, start: datetime, reaction_time: ReactionTime | str) -> datetime:
    """When a case filed at `start` is due; recompute it from the filing time when the level changes.

    Hours and minutes are working time (add_working_time); whole days go by add_working_days, and a
    fraction of a day ("1.5d") adds that share of a full working day as working time.
    """
    reaction = parse_duration(reaction_time) if isinstance(reaction_time, str) else reaction_time
    delta = reaction.working_delta
    if delta is not None:
        return schedule.add_working_time(start, delta)
    whole = int(reaction.amount)
    due = schedule.add_working_days(start, whole)
    fraction = reaction.amount - whole
    if fraction:
        due = schedule.add_working_time(due, schedule.full_day * fraction)
    return due


@dataclass(frozen=True, slots=True)
class ReminderPoints:
    """When to remind the group about an unclaimed case; both moments fall within working hours."""

    warn_at: datetime  # 75 % of the working time from filing to due
    breach_at: datetime  # the due time, or the next opening when it is due at closing time


def reminder_points(
    schedule: Schedule, start: datetime, due: datetime, fraction: float = 0.75
) -> ReminderPoints:
    """The 75 % point in working time and the breach point, moved into working hours."""
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be between 0 and 1")
    total = schedule.working_time_between(start, due)
    if total <= timedelta(0):
        warn = schedule.open_at_or_after(due)
    else:
        warn = schedule.open_at_or_after(schedule.add_working_time(start, total * fraction))
    return ReminderPoints(warn_at=warn, breach_at=schedule.open_at_or_after(due))
