"""Announcements to every partner, sent through the outbox, with a report to the admin at the end."""

from __future__ import annotations

import asyncio
import logging
import uuid

from bot import texts
from bot.delivery.kinds import SendText
from bot.services.ports import Outbox
from bot.storage.database import Database
from bot.storage.partners import PartnerRepository

log = logging.getLogger(__name__)


class Broadcasts:
    def __init__(self, *, db: Database, outbox: Outbox, partners: PartnerRepository, poll_interval: float = 0.5) -> None:
        self.db = db
        self.outbox = outbox
        self.partners = partners
        self.poll_interval = poll_interval
        self._watchers: set[asyncio.Task] = set()

    async def recipients(self) -> list[int]:
        """Everyone who has used the bot, except banned partners and those known to have blocked it."""
        return await self.partners.all_ids()

    async def start(self, admin_id: int, html: str, broadcast_id: str | None = None) -> tuple[str, int]:
        """Queue the announcement for every recipient, and the admin's "started", in one
        transaction; returns its id and size. The same `broadcast_id` again (the press handled a
        second time after a crash) queues nothing more."""
        broadcast_id = broadcast_id or uuid.uuid4().hex[:12]
        if await self.started(admin_id, broadcast_id):
            return broadcast_id, sum((await self.outbox.repo.broadcast_counts(broadcast_id)).values())
        recipients = [pid for pid in await self.recipients() if pid != admin_id] + [admin_id]
        async with self.db.transaction() as conn:
            await self.outbox.enqueue(conn, admin_id, SendText(texts.BROADCAST_STARTED.format(count=len(recipients))),
                                      dedupe_key=f"broadcast:{broadcast_id}:started")
            for partner_id in recipients:
                await self.outbox.enqueue(conn, partner_id, SendText(html, broadcast=broadcast_id),
                                          dedupe_key=f"broadcast:{broadcast_id}:{partner_id}")
        self.outbox.wake()
        log.info("Broadcast %s queued for %d chats", broadcast_id, len(recipients))
        self._watch(admin_id, broadcast_id)
        return broadcast_id, len(recipients)

    async def started(self, admin_id: int, broadcast_id: str) -> bool:
        """Whether this broadcast was queued; if so, its report is watched for again (a watcher
        does not survive a restart, and the report is queued once however many watch)."""
        if not any((await self.outbox.repo.broadcast_counts(broadcast_id)).values()):
            return False
        self._watch(admin_id, broadcast_id)
        return True

    def _watch(self, admin_id: int, broadcast_id: str) -> None:
        task = asyncio.create_task(self._report_when_done(admin_id, broadcast_id))
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)

    async def _report_when_done(self, admin_id: int, broadcast_id: str) -> None:
        while (counts := await self.outbox.repo.broadcast_counts(broadcast_id))["pending"]:
            await asyncio.sleep(self.poll_interval)
        async with self.db.transaction() as conn:
            await self.outbox.enqueue(conn, admin_id, SendText(texts.broadcast_report(counts)),
                                      dedupe_key=f"broadcast:{broadcast_id}:report")
        self.outbox.wake()

    async def close(self) -> None:
        for task in list(self._watchers):
            task.cancel()
        await asyncio.gather(*self._watchers, return_exceptions=True)
