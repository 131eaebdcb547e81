"""What services need of the outside world, as plain interfaces: the adapters (bot/delivery/) talk to Telegram."""

from __future__ import annotations

from typing import Protocol

from bot.delivery.kinds import Delivery
from bot.storage.database import Batch, Transaction
from bot.storage.outbox import MessageLinkRepository, OutboxRepository

# A keyboard as plain data: rows of (label, callback data).
Rows = list[list[tuple[str, str]]]


class Outbox(Protocol):
    """The outbox as services use it: rows written inside their transactions, then a nudge to the sender.
    bot/delivery/outbox.py is the one that delivers them."""

    repo: OutboxRepository
    links: MessageLinkRepository

    async def enqueue(
        self, conn: Transaction | Batch, chat_id: int, delivery: Delivery,
        case_id: int | None = None, dedupe_key: str | None = None,
    ) -> None: ...

    def wake(self) -> None: ...


class Buttons(Protocol):
    """The keyboards a service attaches to what it queues, as plain rows (bot/keyboards.py is one):
    inline rows of (label, callback data), menu rows of labels. Only the sender builds Telegram's objects."""

    def main_menu_rows(self) -> list[list[str]]: ...

    def solved_question_rows(self, case_id: int) -> Rows: ...

    def info_done_rows(self, case_id: int) -> Rows: ...


class MailQueue(Protocol):
    """Mails to the HelpDesk, queued inside the transaction of the case change they tell of
    (bot/delivery/mail.py sends them). Absent when the bridge is off."""

    async def enqueue(
        self, conn: Transaction | Batch, case_id: int, event: str, payload: dict[str, Any],
        dedupe_key: str | None = None,
    ) -> None: ...

    def wake(self) -> None: ...
