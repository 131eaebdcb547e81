"""Rate limit for error reports to admins: one report per kind of error per window, counting the rest."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.clock import Clock

DEFAULT_WINDOW = timedelta(seconds=60)
# Frames from our own packages name where an error happened; this is their common parent, a source
# checkout or site-packages alike.
PACKAGES_ROOT = Path(__file__).resolve().parents[2]
OUR_PACKAGES = frozenset({"bot", "handlers", "dialogs", "tests"})


@dataclass
class _Seen:
    reported_at: datetime
    held_back: int = 0


class ErrorReports:
    """Decides whether an error is worth a message to the admins: a failing handler hit by every
    partner would otherwise flood their chats with the same report."""

    def __init__(self, clock: Clock, window: timedelta = DEFAULT_WINDOW) -> None:
        if window <= timedelta(0):
            raise ValueError("the window must be positive")
        self.clock = clock
        self.window = window
        self._seen: dict[str, _Seen] = {}

    def admit(self, kind: str) -> int | None:
        """None when a report of this kind went out less than a window ago (this one is counted);
        otherwise report it: the number is how many of this kind were held back since the last report."""
        now = self.clock.now()
        seen = self._seen.get(kind)
        if seen is not None and now - seen.reported_at < self.window:
            seen.held_back += 1
            return None
        self._seen[kind] = _Seen(reported_at=now)
        return seen.held_back if seen is not None else 0

    def held_back(self, kind: str) -> int:
        """Errors of this kind not reported since its last report."""
        seen = self._seen.get(kind)
        return seen.held_back if seen is not None else 0


def _is_our_file(filename: str) -> bool:
    try:
        relative = Path(filename).resolve().relative_to(PACKAGES_ROOT)
    except ValueError:
        return False
    return len(relative.parts) > 1 and relative.parts[0] in OUR_PACKAGES


def error_place(exc: BaseException) -> str:
    """"file.py:function" of the innermost frame of our own code, or of the innermost frame when the
    traceback never passed through it; "?" without a traceback."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    ours = [frame for frame in frames if _is_our_file(frame.filename)]
    frame = (ours or frames)[-1]
    return f"{Path(frame.filename).name}:{frame.name}"


def error_kind(exc: BaseException) -> str:
    """What makes two errors "the same" for rate limiting: the exception type and where it was raised.
    Deliberately not the message, which may quote a partner's input."""
    return f"{type(exc).__name__} at {error_place(exc)}"
