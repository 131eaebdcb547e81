"""Long polling that confirms an update only after it was handled, so a killed process loses none.

aiogram's own polling confirms a batch (by asking for the next one) while its handlers may still
be running as tasks; a SIGKILL at that moment would drop messages Telegram will not send again.
Here every batch is handled concurrently (per-chat order is kept by the dispatcher's event
isolation) and only then is the next offset requested."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramConflictError, TelegramUnauthorizedError
from aiogram.methods import GetUpdates

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0


class DurablePolling:
    def __init__(self, dp: Dispatcher, bot: Bot, *, timeout: int = 10) -> None:
        self.dp = dp
        self.bot = bot
        self.timeout = timeout
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self, *, handle_signals: bool = False, **workflow: object) -> None:
        loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.stop)
        await self.dp.emit_startup(bot=self.bot, dispatcher=self.dp, **self.dp.workflow_data, **workflow)
        try:
            await self._loop()
        finally:
            if handle_signals:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)
            await self.dp.emit_shutdown(bot=self.bot, dispatcher=self.dp, **self.dp.workflow_data, **workflow)

    async def _loop(self) -> None:
        request = GetUpdates(timeout=self.timeout, allowed_updates=self.dp.resolve_used_update_types())
        backoff = 1.0
        confirmed = request.offset
        stopping = asyncio.create_task(self._stop.wait())
        try:
            while not self._stop.is_set():
                confirmed = request.offset
                fetch = asyncio.create_task(self.bot(request, request_timeout=self.timeout + 30))
                done, _ = await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if stopping in done:
                    # Updates fetched but not handled stay unconfirmed: the next start gets them again.
                    fetch.cancel()
                    await asyncio.gather(fetch, return_exceptions=True)
                    return
                try:
                    updates = fetch.result()
                except TelegramUnauthorizedError:
                    log.error("Telegram refused the token; stopping")
                    raise
                except (TelegramAPIError, OSError, asyncio.TimeoutError) as exc:
                    level = logging.WARNING if not isinstance(exc, TelegramConflictError) else logging.ERROR
                    log.log(level, "Fetching updates failed (%s); retrying in %.0f s", exc, backoff)
                    await self._sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
                    continue
                backoff = 1.0
                if not updates:
                    continue
                results = await asyncio.gather(
                    *(self.dp.feed_update(self.bot, update) for update in updates), return_exceptions=True
                )
                for update, result in zip(updates, results):
                    if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                        log.error("Update %s failed: %r", update.update_id, result)
                request.offset = updates[-1].update_id + 1
        finally:
            stopping.cancel()
            if request.offset != confirmed:
                await self._confirm(request.offset)

    async def _confirm(self, offset: int | None) -> None:
        """On a clean stop, tell Telegram the last handled batch is done, so the next start does
        not handle it twice (limit=1, timeout=0: whatever it returns stays unconfirmed)."""
        try:
            await self.bot(GetUpdates(offset=offset, limit=1, timeout=0), request_timeout=10)
        except (TelegramAPIError, OSError, asyncio.TimeoutError) as exc:
            log.warning("Could not confirm the last updates before stopping: %s", exc)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass
