"""The paced queue: delivers the outbox table in order per lane, within Telegram's limits; the only code
that knows about 429s, retries and chats held for an operator's fix or a partner who blocked the bot.

What an item does is not its business: an `Executor` sends one item (bot/delivery/outbox.py)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot import texts
from bot.config import Settings
from bot.delivery.kinds import Delivery, SendText
from bot.direct_retry import in_outbox
from bot.storage.database import Batch, Database, Transaction
from bot.storage.outbox import ChatHold, ChatHoldRepository, MessageLink, MessageLinkRepository, OutboxItem, OutboxRepository
from bot.storage.partners import PartnerRepository

log = logging.getLogger(__name__)

MAX_BACKOFF = 60.0
# A group the operator must fix is tried again after 10 s, 20 s, 40 s… at most every 10 minutes.
OPERATOR_FIRST_PAUSE = 10.0
OPERATOR_MAX_PAUSE = 600.0
# Holds that wait for a person rather than a timer: the outbox counts as idle while only they remain.
PARKED = ("operator", "blocked")


def operator_problem(exc: TelegramAPIError) -> str | None:
    """What an operator must fix when the engineers' group refuses the bot (a key of
    `texts.GROUP_FIXES`), or None when retrying or giving up is the right answer."""
    if isinstance(exc, TelegramMigrateToChat):
        return "migrated"
    if isinstance(exc, TelegramForbiddenError):
        return "removed"  # kicked, or not a member any more
    text = exc.message.lower()
    if "chat not found" in text:
        return "chat_not_found"
    if any(sign in text for sign in ("not enough rights", "chat_admin_required", "have no rights",
                                     "need administrator rights", "chat_write_forbidden")):
        return "rights"
    return None


class Pacer:
    """Keeps sends within Telegram's limits: about 30 a second overall, one a second per chat
    (configurable) and N a minute per group."""

    def __init__(self, chat_interval: float, group_per_minute: int, global_per_second: int = 30) -> None:
        self.chat_interval = chat_interval
        self.group_per_minute = group_per_minute
        self.global_interval = 1.0 / global_per_second if global_per_second else 0.0
        self._last_chat: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._last_global = 0.0
        self._lock = asyncio.Lock()

    def delay(self, chat_id: int, now: float) -> float:
        wait = max(0.0, self._last_global + self.global_interval - now)
        last = self._last_chat.get(chat_id)
        if last is not None:
            wait = max(wait, last + self.chat_interval - now)
        if chat_id < 0:
            sends = self._group_sends.setdefault(chat_id, deque())
            while sends and sends[0] <= now - 60:
                sends.popleft()
            if len(sends) >= self.group_per_minute:
                wait = max(wait, sends[0] + 60 - now)
        return wait

    def record(self, chat_id: int, now: float) -> None:
        self._last_global = now
        self._last_chat[chat_id] = now
        if chat_id < 0:
            self._group_sends.setdefault(chat_id, deque()).append(now)

    async def wait(self, chat_id: int) -> None:
        # The lock only makes "look and take the slot" one step; the waiting happens outside it,
        # or a group at its per-minute limit would hold every partner's chat for up to a minute.
        while True:
            async with self._lock:
                now = time.monotonic()
                pause = self.delay(chat_id, now)
                if pause <= 0:
                    self.record(chat_id, now)
                    return
            await asyncio.sleep(pause)


@dataclass
class Sent:
    """What delivering one item gave: Telegram's result (kept in the row), the message links to
    store, and other items this one delivered too (the rest of an album, edits merged into it)."""

    result: Any = None
    links: list[MessageLink] = field(default_factory=list)
    also_done: tuple[int, ...] = ()


class Executor(Protocol):
    """Sends one item; the queue decides when, and what a failure means."""

    async def execute(self, item: OutboxItem) -> Sent: ...

    async def mend(self, item: OutboxItem, exc: TelegramBadRequest) -> bool:
        """A refusal the executor can repair (a lost or closed topic): True means try the item again."""
        ...

    async def delivered(self, item: OutboxItem) -> None:
        """After the item is stored as done."""
        ...


class PacedQueue:
    def __init__(
        self, *, bot: Bot, db: Database, settings: Settings, partners: PartnerRepository,
        repo: OutboxRepository, links: MessageLinkRepository,
    ) -> None:
        self.bot = bot
        self.db = db
        self.settings = settings
        self.partners = partners
        self.repo = repo
        self.links = links
        self.holds = ChatHoldRepository(db)
        self.executor: Executor | None = None
        self._holds: dict[int, ChatHold] = {}
        self._holds_loaded = False
        self._holds_lock = asyncio.Lock()
        self.pacer = Pacer(settings.outbox_chat_interval, settings.outbox_group_per_minute,
                           settings.outbox_global_per_second)
        self.group_id = settings.engineers_chat_id
        self._wake = asyncio.Event()
        self._workers: dict[str, asyncio.Task] = {}
        # Not idle until the loop has looked at the table: items left from before a restart count.
        self._idle = asyncio.Event()

    # --- enqueueing (called by services inside their transactions) --------------------------

    async def enqueue(
        self, conn: Transaction | Batch, chat_id: int, delivery: Delivery,
        case_id: int | None = None, dedupe_key: str | None = None,
    ) -> None:
        self._idle.clear()
        await self.repo.enqueue(conn, chat_id, delivery.kind, delivery.to_payload(), case_id, dedupe_key)

    def wake(self) -> None:
        # Not idle until the loop has looked again: an item written after its last look (a batch
        # writes its enqueues when the block ends) must not be missed by `wait_idle`.
        self._idle.clear()
        self._wake.set()

    # --- the loop -------------------------------------------------------------------------------

    async def run(self) -> None:
        """Forever: start a worker for every lane with pending items whose chat is not on hold;
        each drains its lane in order."""
        await self._load_holds()
        while True:
            self._wake.clear()
            try:
                lanes = await self.repo.pending_lanes()
            except Exception:  # the database is closing; the next start resumes from the table
                log.exception("Outbox could not read the queue")
                lanes = []
            now = time.time()
            waiting = False
            # One lane per case ever filed: finished workers are dropped, not kept.
            self._workers = {lane: w for lane, w in self._workers.items() if not w.done()}
            for lane, chat_id in lanes:
                if self._hold_left(chat_id, now) > 0:
                    # A 429 ends by itself soon; an operator's fix or a partner's return may never come.
                    waiting = waiting or self._holds[chat_id].kind not in PARKED
                    continue
                waiting = True
                if lane not in self._workers:
                    self._workers[lane] = asyncio.create_task(self._drain(lane, chat_id), name=f"outbox-{lane}")
            if not waiting and not self._workers:
                self._idle.set()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._next_look(now))
            except asyncio.TimeoutError:
                pass

    def _next_look(self, now: float) -> float:
        # A hold that ends before the next regular look is looked at when it ends.
        ends = [h.not_before - now for h in self._holds.values() if h.not_before is not None and h.not_before > now]
        return max(0.01, min([1.0, *ends]))

    async def stop(self) -> None:
        workers = list(self._workers.values())
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        self._workers.clear()

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Until nothing is left that the outbox can send by itself: items held for an operator's
        fix or for a partner who blocked the bot do not count."""
        self.wake()
        await asyncio.wait_for(self._idle.wait(), timeout)

    # --- holds: chats nothing may be sent to for now ------------------------------------------

    async def _load_holds(self) -> None:
        async with self._holds_lock:
            if self._holds_loaded:
                return
            try:
                holds = await self.holds.all()
                for hold in holds.values():
                    if hold.kind == "operator" and hold.not_before is not None:
                        # A restart is what an operator does after a fix: try the group again at once.
                        hold.kind, hold.not_before = "operator-retry", None
                        await self.holds.put(hold)
            except Exception:
                log.exception("Outbox could not read its holds")
                return
            self._holds = holds
            self._holds_loaded = True

    async def flood_wait_left(self, chat_id: int) -> float:
        """Seconds Telegram still asks this chat to wait (a 429, also one noted before a restart)."""
        await self._load_holds()
        hold = self._holds.get(chat_id)
        return self._hold_left(chat_id) if hold is not None and hold.kind == "flood" else 0.0

    def _hold_left(self, chat_id: int, now: float | None = None) -> float:
        hold = self._holds.get(chat_id)
        if hold is None:
            return 0.0
        if hold.kind == "blocked":
            return float("inf")
        if hold.not_before is None:
            return 0.0
        return hold.not_before - (time.time() if now is None else now)

    async def _hold(self, hold: ChatHold) -> None:
        self._holds[hold.chat_id] = hold
        await self.holds.put(hold)

    async def _release(self, chat_id: int) -> None:
        """A send to the chat went through: whatever held it is over."""
        hold = self._holds.pop(chat_id, None)
        if hold is None:
            return
        await self.holds.delete(chat_id)
        if hold.kind in ("operator", "operator-retry") and hold.told:
            await self._tell_admins(texts.group_reachable_again(chat_id, await self._chat_title(chat_id)))

    async def _flood(self, chat_id: int, seconds: float, reason: str) -> None:
        """Telegram counts a 429 per chat: every lane of the chat waits, and so does the next start."""
        old = self._holds.get(chat_id)
        hold = ChatHold(chat_id, "flood", time.time() + seconds, reason=reason)
        if old is not None and old.kind in ("operator", "operator-retry"):
            # The operator's problem is not over because Telegram asked for a pause meanwhile.
            hold = ChatHold(chat_id, "operator-retry", hold.not_before, old.failures, old.reason, old.told)
        await self._hold(hold)

    async def note_retry_after(self, chat_id: int, seconds: float) -> None:
        """A direct answer was told to wait: the outbox's own sends to that chat wait as long."""
        if self._hold_left(chat_id) < seconds:
            await self._flood(chat_id, seconds, f"retry after {seconds} (a direct answer)")

    async def _operator_problem(self, item: OutboxItem, chat_id: int, problem: str, exc: TelegramAPIError) -> None:
        """The group refuses the bot for a reason only a person can fix: keep everything, pause
        longer each time, tell the admins once."""
        old = self._holds.get(chat_id)
        failures = (old.failures if old is not None else 0) + 1
        pause = min(OPERATOR_FIRST_PAUSE * 2 ** (failures - 1), OPERATOR_MAX_PAUSE)
        told = old.told if old is not None else False
        log.error("Outbox item %s: the group %s refuses the bot (%s); pausing %.0f s", item.id, chat_id,
                  exc.message, pause)
        await self.repo.note_attempt(item.id, exc.message)
        if not told:
            new_id = exc.migrate_to_chat_id if isinstance(exc, TelegramMigrateToChat) else None
            await self._tell_admins(texts.group_unreachable(chat_id, await self._chat_title(chat_id), problem, new_id))
            told = True
        await self._hold(ChatHold(chat_id, "operator", time.time() + pause, failures, exc.message, told))

    async def _partner_unreachable(self, item: OutboxItem, chat_id: int, exc: TelegramAPIError) -> None:
        """The partner blocked the bot: keep what they were sent, say so in the case topic once,
        and wait until they write again (`partner_wrote`)."""
        log.info("Outbox item %s: chat %s is closed to the bot (%s)", item.id, chat_id, exc.message)
        await self.repo.note_attempt(item.id, exc.message)
        await self.partners.set_blocked_bot(chat_id, True)
        await self.repo.fail_broadcasts(chat_id, exc.message)
        old = self._holds.get(chat_id)
        told = old is not None and old.kind == "blocked" and old.told
        await self._hold(ChatHold(chat_id, "blocked", None, reason=exc.message, told=True))
        if not told and item.case_id is not None and chat_id not in self.settings.admin_ids:
            async with self.db.batch() as conn:
                await self.enqueue(conn, self.group_id, SendText(texts.PARTNER_UNREACHABLE, to_topic=True), item.case_id)
            self.wake()

    async def partner_blocked_bot(self, user_id: int, blocked: bool) -> None:
        """Telegram says the partner blocked (or unblocked) the bot: broadcasts skip them meanwhile,
        and what was kept for them goes out once they unblock it."""
        await self.partners.set_blocked_bot(user_id, blocked)
        if not blocked:
            await self.partner_wrote(user_id)

    async def partner_wrote(self, user_id: int) -> None:
        """A partner's message or button press shows they have unblocked the bot: what waited
        for them goes out now. Cheap when nothing waits (no database trip)."""
        if not self._holds_loaded:
            await self._load_holds()  # an update handled before the loop has read the holds
        hold = self._holds.get(user_id)
        if hold is None or hold.kind != "blocked":
            return
        self._holds.pop(user_id, None)
        await self.holds.delete(user_id)
        log.info("Partner %s is reachable again; delivering what waited", user_id)
        self.wake()

    async def retry_held(self) -> int:
        """`/reload`: try every chat held for an operator's fix at once; how many items wait there."""
        count = 0
        for hold in list(self._holds.values()):
            if hold.kind in ("operator", "operator-retry"):
                hold.kind, hold.not_before = "operator-retry", None
                await self.holds.put(hold)
                count += await self.repo.count_pending(hold.chat_id)
        if count:
            self.wake()
        return count

    async def _tell_admins(self, text: str) -> None:
        if not self.settings.admin_ids:
            log.warning("No ADMIN_IDS to tell: %s", text)
            return
        async with self.db.batch() as conn:
            for admin_id in self.settings.admin_ids:
                await self.enqueue(conn, admin_id, SendText(text))
        self.wake()

    async def _chat_title(self, chat_id: int) -> str | None:
        try:
            return (await self.bot.get_chat(chat_id)).title
        except (TelegramAPIError, asyncio.TimeoutError):
            return None  # the chat may be exactly what is broken; its id names it then

    # --- one lane ---------------------------------------------------------------------------------

    async def _drain(self, lane: str, chat_id: int) -> None:
        in_outbox.set(True)  # this task's calls are retried here, not by the direct-answer middleware
        backoff = 1.0
        while True:
            if self._hold_left(chat_id) > 0:
                self.wake()  # the loop starts this lane again when the hold is over
                return
            item, more = await self.repo.head(lane)
            if item is None:
                self.wake()
                return
            try:
                await self.pacer.wait(chat_id)
                if self._hold_left(chat_id) > 0:
                    continue  # another lane of this chat was asked to wait meanwhile
                try:
                    sent = await self.executor.execute(item)
                except TelegramBadRequest as exc:
                    if "message is not modified" in exc.message:
                        sent = Sent()
                    elif await self.executor.mend(item, exc):  # its own failures are judged below
                        continue
                    else:
                        raise
            except TelegramRetryAfter as exc:
                log.warning("Outbox item %s: Telegram asks to wait %s s", item.id, exc.retry_after)
                await self._flood(chat_id, exc.retry_after, exc.message)
                await self.repo.note_attempt(item.id, f"retry after {exc.retry_after}")
                continue
            except (TelegramNetworkError, TelegramServerError) as exc:
                # Only this lane waits: other cases' topics and chats go on.
                log.warning("Outbox item %s: %s; retrying in %.0f s", item.id, exc, backoff)
                await self.repo.note_attempt(item.id, str(exc))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            except (TelegramForbiddenError, TelegramBadRequest, TelegramMigrateToChat) as exc:
                problem = operator_problem(exc) if chat_id < 0 else None
                if problem is not None:
                    await self._operator_problem(item, chat_id, problem, exc)
                elif chat_id > 0 and isinstance(exc, TelegramForbiddenError):
                    await self._partner_unreachable(item, chat_id, exc)
                else:
                    log.error("Outbox item %s (%s to %s) refused: %s", item.id, item.kind, chat_id, exc.message)
                    await self.repo.fail(item.id, exc.message)
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug must not stop the queue for good
                log.exception("Outbox item %s failed unexpectedly", item.id)
                await self.repo.fail(item.id, repr(exc))
                continue
            backoff = 1.0
            await self._finish(item, sent)
            if chat_id in self._holds:
                await self._release(chat_id)
            await self.executor.delivered(item)
            if not more:
                # Nothing was behind it: no need to ask again. Anything enqueued meanwhile is found
                # by the scan this wake-up starts (the scan starts no second worker while this runs).
                self.wake()
                return

    async def _finish(self, item: OutboxItem, sent: Sent) -> None:
        async with self.db.batch() as conn:
            for link in sent.links:
                await self.links.add(conn, link)
            await self.repo.finish(conn, item.id, sent.result)
            for other in sent.also_done:
                await self.repo.finish(conn, other, sent.result)
