"""Desk statistics for a period: counts, working-time speed, reaction breaches, ratings, models."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from bot.clock import MSK
from bot.domain import Case, Status
from bot.services.schedule import Schedule

MAX_PERIOD_DAYS = 3660


class PeriodError(ValueError):
    """The admin's period could not be read: `problem` names why (texts.period_problem words it
    for the admin), `values` are what the wording needs."""

    def __init__(self, problem: str, **values) -> None:
        super().__init__(problem, values)
        self.problem = problem
        self.values = values


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive
    end: datetime    # exclusive

    @property
    def label(self) -> str:
        last = (self.end - timedelta(microseconds=1)).date()
        return f"{self.start:%d.%m.%Y}–{last:%d.%m.%Y}"

    @property
    def days(self) -> list[date]:
        first = self.start.date()
        count = (self.end.date() - first).days + (1 if self.end.time() != time(0) else 0)
        return [first + timedelta(days=i) for i in range(max(count, 1))]


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=MSK)


def parse_date(text: str) -> date:
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise PeriodError("bad_date", text=text)


def parse_period(args: str, now: datetime, default_days: int = 30) -> Period:
    """'' (last 30 days), 'today', 'week', 'month', 'year', 'N' days, or 'FROM [TO]' dates."""
    words = args.split()
    today = now.astimezone(MSK).date()
    tomorrow = _day_start(today + timedelta(days=1))
    if not words:
        return Period(_day_start(today - timedelta(days=default_days - 1)), tomorrow)
    if len(words) == 1:
        word = words[0].lower()
        named = {"today": 1, "сегодня": 1, "week": 7, "неделя": 7, "month": 30, "месяц": 30, "year": 365, "год": 365}
        if word in named:
            return Period(_day_start(today - timedelta(days=named[word] - 1)), tomorrow)
        if re.fullmatch(r"\d{1,4}", word):
            days = int(word)
            if not 1 <= days <= MAX_PERIOD_DAYS:
                raise PeriodError("days_out_of_range", limit=MAX_PERIOD_DAYS)
            return Period(_day_start(today - timedelta(days=days - 1)), tomorrow)
    if len(words) > 2:
        raise PeriodError("too_many_words")
    first = parse_date(words[0])
    last = parse_date(words[1]) if len(words) == 2 else today
    if last < first:
        raise PeriodError("end_before_start")
    if (last - first).days > MAX_PERIOD_DAYS:
        raise PeriodError("too_long", limit=MAX_PERIOD_DAYS)
    return Period(_day_start(first), _day_start(last + timedelta(days=1)))


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5 - 1e-9)))
    return ordered[rank - 1]


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


@dataclass
class Stats:
    period: Period
    total: int = 0
    by_status: Counter = field(default_factory=Counter)
    by_type: Counter = field(default_factory=Counter)
    by_brand: Counter = field(default_factory=Counter)
    by_level: Counter = field(default_factory=Counter)
    by_day: Counter = field(default_factory=Counter)
    models: Counter = field(default_factory=Counter)
    claim_hours: list[float] = field(default_factory=list)
    resolve_hours: list[float] = field(default_factory=list)
    breaches: int = 0
    after_hours: int = 0
    ratings: list[int] = field(default_factory=list)
    bulletin_answers: int = 0  # questions a bulletin answered: «Помогло», no case filed
    by_channel: Counter = field(default_factory=Counter)  # how cases reached the desk
    helpdesk_copies: Counter = field(default_factory=Counter)  # pending, done, failed; None: no copy

    @property
    def after_hours_share(self) -> float:
        return self.after_hours / self.total if self.total else 0.0

    @property
    def rating_average(self) -> float | None:
        return sum(self.ratings) / len(self.ratings) if self.ratings else None

    @property
    def claim_median(self) -> float | None:
        return median(self.claim_hours)

    @property
    def claim_p90(self) -> float | None:
        return percentile(self.claim_hours, 0.9)

    @property
    def resolve_median(self) -> float | None:
        return median(self.resolve_hours)

    @property
    def resolve_p90(self) -> float | None:
        return percentile(self.resolve_hours, 0.9)

    @property
    def statuses_in_order(self) -> list[tuple[Status, int]]:
        """Counts by status in the lifecycle's order."""
        return sorted(self.by_status.items(), key=lambda kv: list(Status).index(kv[0]))


def compute(
    cases: list[Case], period: Period, schedule: Schedule, now: datetime, helpdesk_copies: dict[int, str] | None = None,
    bulletin_answers: int = 0,
) -> Stats:
    """Times are working hours by the production calendar, as the regulation counts them.
    `helpdesk_copies`: case id -> the state of its HelpDesk mail (Administration.helpdesk_copies);
    `bulletin_answers`: questions a bulletin answered with no case filed."""
    stats = Stats(period, bulletin_answers=bulletin_answers)
    for case in cases:
        stats.total += 1
        stats.by_channel["telegram"] += 1  # the bot takes cases in Telegram only
        stats.helpdesk_copies[(helpdesk_copies or {}).get(case.id)] += 1
        stats.by_status[case.status] += 1
        stats.by_type[case.request_type] += 1
        stats.by_brand[case.brand or "—"] += 1
        stats.by_level[case.level] += 1
        stats.by_day[case.created_at.date()] += 1
        stats.models[case.model] += 1
        if case.after_hours:
            stats.after_hours += 1
        if case.claimed_at is not None:
            stats.claim_hours.append(schedule.working_time_between(case.created_at, case.claimed_at).total_seconds() / 3600)
        if case.resolved_at is not None:
            stats.resolve_hours.append(schedule.working_time_between(case.created_at, case.resolved_at).total_seconds() / 3600)
        if case.due_at is not None:
            reacted = case.claimed_at or (None if case.status == Status.NEW else case.created_at)
            if (reacted is not None and reacted > case.due_at) or (reacted is None and now > case.due_at):
                stats.breaches += 1
        if case.rating:
            stats.ratings.append(case.rating)
    return stats
