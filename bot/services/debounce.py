"""Run a coroutine once after a burst of events has gone quiet (one answer per album)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Debouncer:
    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task] = {}
        self._running: set[asyncio.Task] = set()
        self._counters: dict[str, int] = {}

    def schedule(self, key: str, delay: float, action: Callable[[], Awaitable[None]]) -> None:
        """(Re)start the timer for `key`; only the last action scheduled runs."""
        previous = self._tasks.get(key)
        if previous is not None and not previous.done():
            previous.cancel()
        self._tasks[key] = asyncio.create_task(self._later(key, delay, action))

    async def _later(self, key: str, delay: float, action: Callable[[], Awaitable[None]]) -> None:
        await asyncio.sleep(delay)
        # From here on the action must not be cancelled by a late item of the same burst, but it
        # still counts as pending until it has finished.
        self._tasks.pop(key, None)
        task = asyncio.current_task()
        self._running.add(task)
        try:
            await action()
        except Exception:
            log.exception("Delayed action %s failed", key)
        finally:
            self._running.discard(task)

    def add(self, key: str, amount: int) -> None:
        self._counters[key] = self._counters.get(key, 0) + amount

    def take(self, key: str) -> int:
        return self._counters.pop(key, 0)

    @property
    def busy(self) -> bool:
        return bool(self._running) or any(not t.done() for t in self._tasks.values())

    async def wait_idle(self, timeout: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while self.busy:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("delayed actions still pending")
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        tasks = [*self._tasks.values(), *self._running]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
