"""What admin commands ask of the desk: cases of a period and their export, bans, the engineers."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.domain import Case, Engineer
from bot.services import export
from bot.services.membership import Membership
from bot.storage.cases import CaseRepository
from bot.storage.engineers import EngineerRepository
from bot.storage.mail import MailOutboxRepository
from bot.storage.partners import PartnerRepository


class BanRefusal(enum.Enum):
    NOT_FOUND = "not_found"
    ADMIN = "admin"  # an admin cannot lock themselves (or another admin) out


@dataclass(frozen=True)
class BanResult:
    partner_id: int | None
    refusal: BanRefusal | None = None


class Administration:
    def __init__(self, *, cases: CaseRepository, partners: PartnerRepository, engineers: EngineerRepository,
                 membership: Membership, settings: Settings, mail: MailOutboxRepository | None = None) -> None:
        self.cases = cases
        self.mail = mail  # the HelpDesk copies' states
        self.partners = partners
        self.engineers = engineers
        self.membership = membership
        self.settings = settings

    async def cases_between(self, start: datetime, end: datetime) -> list[Case]:
        return await self.cases.created_between(start, end)

    async def helpdesk_copies(self, cases: list[Case]) -> dict[int, str]:
        """case id -> pending, done or failed for the HelpDesk copy; cases without one are left out."""
        return await self.mail.copy_states([case.id for case in cases]) if self.mail is not None else {}

    async def export_csv(self, cases: list[Case]) -> bytes:
        ids = [case.id for case in cases]
        return export.cases_csv(cases, await self.cases.history_for(ids), await self.cases.attachment_counts(ids),
                                await self.helpdesk_copies(cases))

    async def resolve_partner(self, target: str) -> int | None:
        """"№1042" is a case; a bare number is a user id if such a partner exists, else a case number."""
        text = target.strip().lstrip("#")
        is_case = text.startswith("№")
        text = text.lstrip("№").strip()
        if not text.isdigit():
            return None
        number = int(text)
        if not is_case and await self.partners.get(number) is not None:
            return number
        case = await self.cases.get(number)
        return case.partner_id if case else None

    async def set_banned(self, target: str, banning: bool, reason: str | None) -> BanResult:
        partner_id = await self.resolve_partner(target)
        if partner_id is None:
            return BanResult(None, BanRefusal.NOT_FOUND)
        if banning and partner_id in self.settings.admin_ids:
            return BanResult(partner_id, BanRefusal.ADMIN)
        await self.partners.set_banned(partner_id, banning, reason)
        return BanResult(partner_id)

    async def engineers_overview(self) -> list[tuple[Engineer, str, int]]:
        """Each engineer the bot has seen, their standing in the group and their open cases."""
        open_counts = await self.cases.open_counts_by_engineer()
        return [(e, await self.membership.status(e.user_id), open_counts.get(e.user_id, 0))
                for e in await self.engineers.all()]
