"""A partner's contact details: what the intake offers again and remembers for the next case."""

from __future__ import annotations

from typing import Any

from bot.domain import Partner
from bot.storage.partners import PartnerRepository


class Contacts:
    def __init__(self, partners: PartnerRepository) -> None:
        self.partners = partners

    @staticmethod
    def known(partner: Partner | None) -> dict[str, Any] | None:
        """The contact a partner gave last time, offered for confirmation; none until it has a phone."""
        if partner is None or not partner.has_contact:
            return None
        return {"name": partner.name, "company": partner.company, "phone": partner.phone}

    async def remember(self, partner_id: int, contact: dict[str, Any]) -> None:
        """Stored once the phone is given (the last part), so the next case starts from it."""
        await self.partners.save_contact(partner_id, contact["name"], contact.get("company"), contact["phone"])
