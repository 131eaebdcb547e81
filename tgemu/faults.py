"""Injected failures: which Bot API calls fail, how, and how often."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any, Literal

FaultKind = Literal[
    "retry_after",  # 429 with parameters.retry_after
    "thread_not_found",  # 400 message thread not found
    "topic_closed",  # 400 TOPIC_CLOSED
    "chat_not_found",  # 400 chat not found
    "blocked",  # 403 bot was blocked by the user
    "migrated",  # 400 group chat was upgraded to a supergroup chat, with parameters.migrate_to_chat_id
    "server_error",  # 500 Internal Server Error (status=502 gives Bad Gateway)
    "error",  # any status and description given by the test
    "drop",  # the connection closes before anything happens
    "drop_after",  # the call takes effect, then the connection closes (the bot never hears back)
    "delay",  # the call waits `delay` seconds, then runs normally
]

_KINDS: frozenset[str] = frozenset(FaultKind.__args__)  # type: ignore[attr-defined]
_UNSET: Any = object()

_SERVER_ERRORS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


@dataclass
class Fault:
    """One injection rule; `hits` counts the calls it has spoiled so far."""

    method: str
    chat_id: int | str | None
    kind: FaultKind
    times: int | None
    probability: float | None
    retry_after: int = 3
    status: int | None = None
    description: str | None = None
    delay: float = 0.0
    thread_id: int | None = None
    lasting: bool = False
    migrate_to_chat_id: int = -1009999999999
    hits: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def matches(self, method: str, chat_id: Any) -> bool:
        if self.method == "*":
            # getUpdates only when named: a blanket fault would otherwise hit the bot's polling first.
            if method.lower() == "getupdates":
                return False
        elif self.method.lower() != method.lower():
            return False
        return self.chat_id is None or str(self.chat_id) == str(chat_id)

    def matches_thread(self, thread_id: Any) -> bool:
        return self.thread_id is None or str(self.thread_id) == str(thread_id)

    def error(self) -> tuple[int, str, dict[str, Any] | None]:
        """Status, description and parameters of the answer this fault produces."""
        if self.kind == "retry_after":
            return 429, f"Too Many Requests: retry after {self.retry_after}", {"retry_after": self.retry_after}
        if self.kind == "thread_not_found":
            return 400, "Bad Request: message thread not found", None
        if self.kind == "topic_closed":
            return 400, "Bad Request: TOPIC_CLOSED", None
        if self.kind == "chat_not_found":
            return 400, "Bad Request: chat not found", None
        if self.kind == "blocked":
            return 403, "Forbidden: bot was blocked by the user", None
        if self.kind == "migrated":
            return 400, "Bad Request: group chat was upgraded to a supergroup chat", {
                "migrate_to_chat_id": self.migrate_to_chat_id}
        if self.kind == "server_error":
            status = self.status or 500
            return status, self.description or _SERVER_ERRORS.get(status, "Internal Server Error"), None
        if self.kind == "error":
            status = self.status or 400
            return status, self.description or "Bad Request: injected error", None
        raise ValueError(f"fault kind {self.kind!r} has no error answer")


class FaultInjector:
    """The rules, consulted by the server before every Bot API call."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        # chat id -> monotonic time until which Telegram keeps answering 429 (a lasting flood wait)
        self._flood_until: dict[str, float] = {}

    def add(
        self,
        method: str = "*",
        chat_id: int | str | None = None,
        kind: FaultKind = "retry_after",
        *,
        retry_after: int = 3,
        status: int | None = None,
        description: str | None = None,
        delay: float = 0.0,
        thread_id: int | None = None,
        lasting: bool = False,
        migrate_to_chat_id: int = -1009999999999,
        times: int | None = _UNSET,
        probability: float | None = None,
        seed: int | None = None,
    ) -> Fault:
        """Spoils matching calls: the next `times` of them (default 1; None = until cleared),
        each with `probability` if given (then `times` defaults to None), reproducibly with `seed`;
        only calls into topic `thread_id` when given. A `lasting` 429 behaves as Telegram's flood
        wait does: every call to that chat is refused until `retry_after` seconds have passed."""
        if kind not in _KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(_KINDS)}")
        if times is _UNSET:
            times = None if probability is not None else 1
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for 'until cleared')")
        fault = Fault(
            method=method,
            chat_id=chat_id,
            kind=kind,
            times=times,
            probability=probability,
            retry_after=retry_after,
            status=status,
            description=description,
            delay=delay,
            thread_id=thread_id,
            lasting=lasting,
            migrate_to_chat_id=migrate_to_chat_id,
            _rng=random.Random(seed),
        )
        self._faults.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        if fault in self._faults:
            self._faults.remove(fault)

    def clear(self) -> None:
        self._faults.clear()
        self._flood_until.clear()

    def flood_wait(self, chat_id: Any, now: float) -> int | None:
        """Seconds still to wait (rounded up, as Telegram does) if a lasting 429 covers this chat."""
        until = self._flood_until.get(str(chat_id))
        if until is None or until <= now:
            return None
        return max(1, math.ceil(until - now))

    def start_flood(self, fault: Fault, chat_id: Any, now: float) -> None:
        if fault.kind == "retry_after" and fault.lasting:
            self._flood_until[str(chat_id)] = now + fault.retry_after

    @property
    def active(self) -> list[Fault]:
        return list(self._faults)

    def take(self, method: str, chat_id: Any, thread_id: Any = None) -> Fault | None:
        """The first rule that fires for this call, with its counters updated."""
        for fault in self._faults:
            if not fault.matches(method, chat_id) or not fault.matches_thread(thread_id):
                continue
            if fault.probability is not None and fault._rng.random() >= fault.probability:
                continue
            fault.hits += 1
            if fault.times is not None:
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
            return fault
        return None
