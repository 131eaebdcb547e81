"""The current time, injectable: services ask a clock instead of calling datetime.now()."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

MSK = ZoneInfo("Europe/Moscow")


def to_msk(at: datetime) -> datetime:
    """The same moment in Moscow time; naive datetimes are refused, since their zone is a guess."""
    if not isinstance(at, datetime):
        raise TypeError(f"expected a datetime, got {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()}: pass an aware one (Europe/Moscow)")
    return at.astimezone(MSK)


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime in Europe/Moscow."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(MSK)


class FixedClock:
    """A clock that stands still until moved; tests and the sandbox set "now" with it."""

    def __init__(self, at: datetime) -> None:
        self.set(at)

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(MSK)

    def advance(self, delta: timedelta) -> None:
        self._at += delta

    def now(self) -> datetime:
        return self._at


class OffsetClock:
    """Real time shifted by an offset: the sandbox's "pretend it is Saturday night" that still ticks."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("OffsetClock needs an aware datetime")
        self.offset = at - datetime.now(MSK)

    def reset(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(MSK) + self.offset
