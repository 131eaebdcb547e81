"""Long polling through an inbox table, so a killed process loses no update and one busy chat
does not hold up the others.

aiogram's own polling confirms a batch (by asking for the next one) while its handlers may still
be running as tasks: a SIGKILL then drops messages Telegram will not send again. Waiting for the
whole batch before confirming would fix that but lets one slow answer (a 429 waited out) stall
every chat. So each fetched batch is first written to the inbox in one transaction, then
confirmed, and every update goes to its chat's lane (bot/lanes.py: per chat in order, chats at
once) and is marked handled in the inbox when done; on start, whatever is left unhandled is
handled first. An update Telegram sends again (the process died before asking for the next
batch, which is what confirms the last) is found in the inbox and not handled twice. The
webhook (bot/webhook.py) takes its updates through the same inbox and lanes."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramConflictError,
    TelegramUnauthorizedError,
)
from aiogram.types import Update
from pydantic import ValidationError

from bot.compat import raw_get_updates
from bot.lanes import UpdateLanes
from bot.storage.database import Database
from bot.storage.fsm import SQLiteStorage
from bot.storage.inbox import InboxRepository
from bot.stopping import unless_stopped

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0
# How long a clean stop lets updates in hand finish: a SIGTERM should end the process well within
# the 10 s a supervisor commonly gives; one cut short is still unhandled in the inbox and is
# handled after the next start.
STOP_GRACE = 5.0


# getUpdates answered as plain dicts: `_read` parses each update alone and the inbox keeps the JSON
# as it came (no second serialisation of every update).
_GetRawUpdates = raw_get_updates()


class InboxUpdates:
    """Updates taken into the inbox, then handled through per-chat lanes and marked handled:
    what polling and the webhook share."""

    def __init__(self, dp: Dispatcher, bot: Bot, db: Database, *,
                 on_flood: Callable[[int], Awaitable[None]] | None = None) -> None:
        self.dp = dp
        self.bot = bot
        self.db = db
        self.inbox = InboxRepository(db)
        # Dialog writes of an update go with its "handled" mark in one trip (when the FSM is ours).
        self.fsm = dp.fsm.storage if isinstance(dp.fsm.storage, SQLiteStorage) else None
        self.lanes = UpdateLanes(self._handle, on_flood=on_flood)
        # Updates fetched and not yet handled, counted from the moment they arrive (before the
        # inbox write and before any middleware runs), so `wait_taken` has no blind gap.
        self.fetched_through = 0
        self._pending = 0
        self._idle = asyncio.Event()  # not idle before the inbox's left-overs are in hand (`resume`)

    async def resume(self) -> None:
        """Whatever a stopped or killed run left unhandled, handled first (in order, per chat)."""
        left = []
        for update_id, payload in await self.inbox.left_over():
            update = self._parse(json.loads(payload))
            if update is None:
                await self.inbox.done(update_id)  # stored by an older version that could read it
            else:
                left.append(update)
        self._taking(left)
        if not left:
            self._idle.set()
        for update in left:
            log.info("Handling update %s left from before a restart", update.update_id)
            self.lanes.submit(update)

    async def take(self, raw: list[dict[str, Any]]) -> int | None:
        """Updates as Telegram sent them: stored in the inbox in one transaction, then each new
        one handed to its chat's lane. Once this returns they may be confirmed to Telegram;
        returns the highest update id seen."""
        ids = [item["update_id"] for item in raw if isinstance(item.get("update_id"), int)]
        if not ids:
            return None
        with self.lanes.intake():
            updates, stored = self._read(raw)
            self._taking(updates, through=max(ids))
            new = await self.inbox.add(stored)
        for update in updates:
            if update.update_id in new:
                self.lanes.submit(update)
            else:
                log.info("Update %s came again and was already taken; not handled twice", update.update_id)
                self._taken()
        return max(ids)

    def _taking(self, updates: list[Update], through: int | None = None) -> None:
        if updates:
            self._pending += len(updates)
            self._idle.clear()
        ids = [u.update_id for u in updates] + ([through] if through is not None else [])
        if ids:
            self.fetched_through = max(self.fetched_through, *ids)

    def _taken(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            self._idle.set()

    async def wait_taken(self, through: int | None, timeout: float = 10.0) -> None:
        """Until every update up to `through` has been fetched and handled (for tests and the sandbox,
        which know the last update they sent)."""
        async def taken() -> None:
            while True:
                await self._idle.wait()
                if through is None or self.fetched_through >= through:
                    return
                await asyncio.sleep(0.005)
        await asyncio.wait_for(taken(), timeout)

    async def _handle(self, update: Update) -> None:
        try:
            if self.fsm is None:
                await self._feed(update)
                await self.inbox.done(update.update_id)
                return
            unit = self.fsm.open_unit()  # in the lane task's context; its next update opens a new one
            await self._feed(update)
            statements = self.fsm.unit_statements(unit)
            ok = False
            try:
                await self.db.write(*statements, self.inbox.done_statement(update.update_id))
                ok = True
            finally:
                self.fsm.unit_written(unit, ok)
        finally:
            self._taken()

    async def _feed(self, update: Update) -> None:
        try:
            await self.dp.feed_update(self.bot, update)
        except Exception:  # error handlers have had their say; the update is done either way
            log.exception("Update %s failed", update.update_id)

    async def finish(self, timeout: float = STOP_GRACE) -> None:
        """On a clean stop, let updates being handled finish; what does not, or still waits its
        turn, stays in the inbox."""
        await self.lanes.finish(timeout)

    async def cancel(self) -> None:
        await self.lanes.cancel()

    def _read(self, raw: list[dict[str, Any]]) -> tuple[list[Update], list[tuple[int, str]]]:
        """Each update parsed on its own, and stored as Telegram sent it. One that cannot be read
        is logged and passed over: handling it cannot work, and refusing the whole batch for it
        would stop every chat."""
        updates, stored = [], []
        for item in raw:
            update = self._parse(item)
            if update is not None:
                updates.append(update)
                stored.append((update.update_id, json.dumps(item, ensure_ascii=False, separators=(",", ":"))))
        return updates, stored

    def _parse(self, item: dict[str, Any]) -> Update | None:
        try:
            return Update.model_validate(item, context={"bot": self.bot})
        except ValidationError as exc:
            log.error("Update %s could not be read and is skipped: %s", item.get("update_id"), exc)
            return None


class DurablePolling(InboxUpdates):
    def __init__(self, dp: Dispatcher, bot: Bot, db: Database, *, timeout: int = 10,
                 on_flood: Callable[[int], Awaitable[None]] | None = None) -> None:
        super().__init__(dp, bot, db, on_flood=on_flood)
        self.timeout = timeout
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()
        self.lanes.stop()  # a backlog is not worked through on the way out: the inbox keeps it

    async def run(self) -> None:
        try:
            # Start-up calls Telegram (the command menus): a stop does not wait for a slow answer.
            started, _ = await unless_stopped(
                self._stop, self.dp.emit_startup(bot=self.bot, dispatcher=self.dp, **self.dp.workflow_data))
            if started:
                await self.resume()
                await self._loop()
        except asyncio.CancelledError:
            # Killed, not stopped: drop what is in hand at once; the inbox has it for next time.
            await self.cancel()
            raise
        finally:
            await self.finish()
            await self.dp.emit_shutdown(bot=self.bot, dispatcher=self.dp, **self.dp.workflow_data)

    async def _loop(self) -> None:
        request = _GetRawUpdates(timeout=self.timeout, allowed_updates=self.dp.resolve_used_update_types())
        backoff = 1.0
        confirmed = request.offset
        stopping = asyncio.create_task(self._stop.wait())
        try:
            while not self._stop.is_set():
                confirmed = request.offset
                fetch = asyncio.create_task(self.bot(request, request_timeout=self.timeout + 30))
                done, _ = await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if stopping in done:
                    # Fetched but not yet in the inbox: unconfirmed, so Telegram sends them again.
                    fetch.cancel()
                    await asyncio.gather(fetch, return_exceptions=True)
                    return
                try:
                    raw = fetch.result()
                except TelegramUnauthorizedError:
                    log.error("Telegram refused the token; stopping")
                    raise
                except (TelegramAPIError, ClientDecodeError, OSError, asyncio.TimeoutError) as exc:
                    # ClientDecodeError: an answer that is not the Bot API's JSON (a proxy's error page).
                    level = logging.ERROR if isinstance(exc, TelegramConflictError) else logging.WARNING
                    log.log(level, "Fetching updates failed (%s); retrying in %.0f s", exc, backoff)
                    await self._sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
                    continue
                backoff = 1.0
                last = await self.take(raw)
                if last is not None:
                    request.offset = last + 1
                if self.lanes.waiting >= self.lanes.max_waiting:
                    # Back-pressure: what is not fetched waits at Telegram, unconfirmed.
                    room = asyncio.create_task(self.lanes.room())
                    await asyncio.wait({room, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    room.cancel()
        finally:
            stopping.cancel()
            if request.offset != confirmed:
                await self._confirm(request.offset)

    async def _confirm(self, offset: int | None) -> None:
        """On a clean stop, tell Telegram the updates now in the inbox are taken (limit=1,
        timeout=0: whatever it returns stays unconfirmed and comes again next time)."""
        try:
            await self.bot(_GetRawUpdates(offset=offset, limit=1, timeout=0), request_timeout=3)
        except (TelegramAPIError, ClientDecodeError, OSError, asyncio.TimeoutError) as exc:
            log.warning("Could not confirm the last updates before stopping: %s", exc)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass
