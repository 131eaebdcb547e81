"""Messages to the bot's admins (through the outbox): calendar fallbacks, and later errors."""

from __future__ import annotations

import logging

from bot import texts
from bot.config import Settings
from bot.delivery.kinds import SendText
from bot.services.ports import Outbox
from bot.services.schedule import Schedule
from bot.storage.database import Database

log = logging.getLogger(__name__)


class AdminAlerts:
    def __init__(self, *, db: Database, outbox: Outbox, settings: Settings, schedule: Schedule) -> None:
        self.db = db
        self.outbox = outbox
        self.settings = settings
        self.schedule = schedule

    async def notify(self, text: str) -> None:
        if not self.settings.admin_ids:
            log.warning("No ADMIN_IDS to tell: %s", text)
            return
        async with self.db.transaction() as conn:
            for admin_id in self.settings.admin_ids:
                await self.outbox.enqueue(conn, admin_id, SendText(text))
        self.outbox.wake()

    async def report_group_problems(self, reports) -> None:
        """One message per problem the set-up check found (bot.services.group_check.GroupReport)."""
        for report in reports:
            for problem in report.problems:
                await self.notify(texts.setup_problem(report.group_id, report.title, problem.value, report.facts.error))

    async def check_calendar(self) -> None:
        """Warn once per year answered by the `holidays` package instead of a calendar file."""
        years = self.schedule.calendar.pop_unreported_fallback_years()
        if years:
            await self.notify(texts.calendar_fallback_warning(years))
