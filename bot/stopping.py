"""SIGINT and SIGTERM for the whole process: one stop request, caught from the first line of main() to exit.

Why not `loop.add_signal_handler`, as each command did on its own before: it is installed only once
the loop runs (a SIGTERM during imports, the catalogue load or the first calls to Telegram found the
default action and killed the process with the database open); its handlers live in a per-loop
table that any later `add_signal_handler` for the same signal replaces and any
`remove_signal_handler` (ours ran before the database was closed) turns back to the default
action; and it depends on the process-wide wakeup fd, which whoever calls `signal.set_wakeup_fd`
or adds and removes a handler on another loop takes away. A signal then reaches Python (the
handler is installed) but not the loop, as seen once with the sandbox. Here the handler is a
plain Python one, installed once and kept until the process ends; it records the signal and
wakes the loop with `call_soon_threadsafe`, which needs no wakeup fd; a wakeup socket of our own
gets the main thread out of `select` when the signal lands on another thread, and a one-second
check makes the stop happen even if both were taken away."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Awaitable
from types import FrameType
from typing import Any, TypeVar

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
T = TypeVar("T")
CHECK_EVERY = 1.0  # seconds: the last resort if no wake-up reaches the loop


class StopSignals:
    """`install()` in the main thread before anything else; `async with signals.watch() as stop:`
    inside the loop gives an Event set on the first signal (at once if one came earlier)."""

    def __init__(self) -> None:
        self.received: signal.Signals | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._previous: dict[signal.Signals, Any] = {}

    def install(self) -> None:
        for sig in STOP_SIGNALS:
            # A signal the parent set to be ignored stays ignored (a background job and SIGINT).
            if signal.getsignal(sig) is not signal.SIG_IGN:
                self._previous[sig] = signal.signal(sig, self._on_signal)

    def uninstall(self) -> None:
        """For a command that runs no loop (Ctrl-C should interrupt it as usual)."""
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Only record and hand over: logging from here could interleave with a record being written.
        again = self.received is not None
        self.received = signal.Signals(signum)
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._fire, again)

    def _fire(self, again: bool = False) -> None:
        if self._event is None or self.received is None:
            return
        if not self._event.is_set():
            log.info("%s received: stopping", self.received.name)
            self._event.set()
        elif again:
            # Not a second way out: the first signal's stop is under way and ends with the
            # database closed; a stop that hangs is what SIGKILL is for.
            log.warning("%s again: already stopping", self.received.name)

    @contextlib.asynccontextmanager
    async def watch(self):
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        self._loop, self._event = loop, event
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        previous_fd = None
        with contextlib.suppress(ValueError, OSError):  # not the main thread (tests): the check still works
            previous_fd = signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
        loop.add_reader(wake_r.fileno(), _drain, wake_r)
        checker = loop.create_task(self._check())
        try:
            self._fire()  # a signal that came before the loop ran
            yield event
        finally:
            checker.cancel()
            await asyncio.gather(checker, return_exceptions=True)
            loop.remove_reader(wake_r.fileno())
            if previous_fd is not None:
                with contextlib.suppress(ValueError, OSError):
                    signal.set_wakeup_fd(previous_fd)
            wake_r.close()
            wake_w.close()
            self._loop = self._event = None
            # The handler stays: a signal during the last steps of the exit is recorded, not fatal.

    async def _check(self) -> None:
        while True:
            await asyncio.sleep(CHECK_EVERY)
            self._fire()


def _drain(sock: socket.socket) -> None:
    # The bytes are signal numbers; the handler itself has recorded which one.
    with contextlib.suppress(OSError):
        while sock.recv(64):
            pass


async def unless_stopped(stop: asyncio.Event, step: Awaitable[T]) -> tuple[bool, T | None]:
    """Runs a start-up step (a call to Telegram, the sandbox's start) unless `stop` comes first,
    which cancels it: a stop must not wait for a slow network. (done, the step's result)."""
    if stop.is_set():
        if asyncio.iscoroutine(step):
            step.close()
        elif isinstance(step, asyncio.Future):
            step.cancel()
        return False, None
    task = asyncio.ensure_future(step)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()
        raise
    finally:
        stopping.cancel()
    if task.done():
        return True, task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return False, None
