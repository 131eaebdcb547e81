"""Per-chat lanes: each chat's updates handled one at a time in arrival order, different chats at once.

The handling slots are taken by lanes, not by updates, and given back after every update: a chat
with hundreds of updates waiting holds one slot at most and queues for it behind the other chats,
so a flood from one partner cannot take the slots from everybody else (with slots taken per update
before the per-chat lock, one chat's waiting updates could hold all of them). Nothing is dropped
here: every update has been written to the inbox before it is submitted, and what a stop leaves
waiting is handled after the next start."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterator
from dataclasses import dataclass, field

from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.types import Update

log = logging.getLogger(__name__)

MAX_CONCURRENT = 64  # lanes handling an update at once; more wait their turn
# Updates from one private chat waiting behind the one being handled: a person typing, an album
# (at most 10) or a few quick presses stay well below; a script or a stuck key goes past it.
FLOOD_BACKLOG = 20
# Updates waiting in all lanes together before the source (polling) stops taking more: memory
# stays bounded, and what is not fetched waits at Telegram.
MAX_WAITING = 10_000


def lane_key(update: Update) -> Hashable:
    """The key aiogram's FSM and event isolation use (chat, user, forum topic), so a lane holds
    exactly the updates that share dialog state; an update with neither chat nor user is alone."""
    context = UserContextMiddleware.resolve_event_context(update)
    chat = context.chat.id if context.chat else None
    user = context.user.id if context.user else None
    if chat is None and user is None:
        return ("update", update.update_id)
    return (chat, user, context.thread_id)


def private_chat(update: Update) -> int | None:
    context = UserContextMiddleware.resolve_event_context(update)
    if context.chat is not None and context.chat.type == "private":
        return context.chat.id
    return None


@dataclass
class _Lane:
    chat_id: int | None  # set for a private chat: the one a "please wait" goes to
    waiting: deque[Update] = field(default_factory=deque)
    told_to_wait: bool = False
    task: asyncio.Task | None = None


class UpdateLanes:
    def __init__(
        self,
        handle: Callable[[Update], Awaitable[None]],
        *,
        slots: int = MAX_CONCURRENT,
        flood_backlog: int = FLOOD_BACKLOG,
        max_waiting: int = MAX_WAITING,
        on_flood: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self._handle = handle  # must not raise: the caller logs and marks the update itself
        self._slots = asyncio.Semaphore(slots)
        self.flood_backlog = flood_backlog
        self.max_waiting = max_waiting
        self._on_flood = on_flood
        self._lanes: dict[Hashable, _Lane] = {}
        self._notices: set[asyncio.Task] = set()
        self._stopping = False
        self.waiting = 0  # submitted and not yet finished, all lanes together
        self._room = asyncio.Event()
        self._room.set()
        self._intake_quiet = asyncio.Event()
        self._intake_quiet.set()
        self._taking = 0

    @contextlib.contextmanager
    def intake(self) -> Iterator[None]:
        """Around the source's work of taking a batch in (parse, inbox write). Lanes that are
        flooded wait for it: Telegram hands out updates in one queue for all chats, so everybody
        else's updates are behind the flood's, and getting them in matters more than answering
        the flood sooner."""
        self._taking += 1
        self._intake_quiet.clear()
        try:
            yield
        finally:
            self._taking -= 1
            if self._taking == 0:
                self._intake_quiet.set()

    def submit(self, update: Update) -> None:
        key = lane_key(update)
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(chat_id=private_chat(update))
        lane.waiting.append(update)
        self.waiting += 1
        if self.waiting >= self.max_waiting:
            self._room.clear()
        if lane.task is None and not self._stopping:
            lane.task = asyncio.create_task(self._run(key, lane), name=f"lane {key}")
        # The one being handled does not count: it is not waiting.
        if len(lane.waiting) - 1 > self.flood_backlog and lane.chat_id is not None and not lane.told_to_wait:
            lane.told_to_wait = True
            log.warning("Chat %s sent more than %s updates faster than they are handled", lane.chat_id,
                        self.flood_backlog)
            if self._on_flood is not None:
                notice = asyncio.create_task(self._notify(lane.chat_id))
                self._notices.add(notice)
                notice.add_done_callback(self._notices.discard)

    async def _notify(self, chat_id: int) -> None:
        assert self._on_flood is not None
        try:
            await self._on_flood(chat_id)
        except Exception:  # the notice is a courtesy; what they sent is handled either way
            log.exception("Could not ask chat %s to wait", chat_id)

    async def _run(self, key: Hashable, lane: _Lane) -> None:
        try:
            while lane.waiting and not self._stopping:
                if len(lane.waiting) > self.flood_backlog:
                    await self._intake_quiet.wait()
                async with self._slots:  # FIFO: a lane coming back for more queues behind the others
                    if self._stopping:
                        break
                    await self._handle(lane.waiting[0])
                lane.waiting.popleft()
                self.waiting -= 1
                if self.waiting < self.max_waiting:
                    self._room.set()
        finally:
            lane.task = None
            if not lane.waiting:
                # Drained: a later burst is a new one and may be asked to wait again.
                del self._lanes[key]

    async def room(self) -> None:
        """Until fewer than `max_waiting` updates wait (the source's back-pressure)."""
        await self._room.wait()

    def stop(self) -> None:
        """Start no more updates; those being handled go on (see `finish`)."""
        self._stopping = True

    @property
    def stopping(self) -> bool:
        return self._stopping

    async def finish(self, timeout: float) -> None:
        """After `stop`: let the updates being handled end; what waits stays in the inbox."""
        self.stop()
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self._cancel_notices()

    async def cancel(self) -> None:
        """Killed, not stopped: drop what is in hand at once; the inbox keeps it for next time."""
        self.stop()
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._cancel_notices()

    async def _cancel_notices(self) -> None:
        for task in list(self._notices):
            task.cancel()
        await asyncio.gather(*self._notices, return_exceptions=True)
