"""The case topics in the engineers' group: made on first need (with the card first), the shared Wishes
topic, renamed, closed and reopened, and mended when Telegram says one is gone or closed."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup, Message

from bot import keyboards, texts
from bot.clock import Clock
from bot.config import Settings
from bot.domain import Case, RequestType, Status
from bot.services import scope
from bot.services.knowledge import Found
from bot.storage.cases import CaseRepository
from bot.storage.database import Database
from bot.storage.knowledge import KnowledgeRepository
from bot.storage.kv import KeyValueRepository
from bot.storage.outbox import MessageLink, MessageLinkRepository
from bot.storage.partners import PartnerRepository

log = logging.getLogger(__name__)

WISHES_TOPIC_KEY = "wishes_thread_id"
WISHES_COLOR = 0xFFD67E


def _gone(message: str) -> bool:
    text = message.lower()
    return "thread not found" in text or "topic_deleted" in text or "topic_id_invalid" in text


class Topics:
    def __init__(
        self, *, bot: Bot, db: Database, settings: Settings, clock: Clock, cases: CaseRepository,
        partners: PartnerRepository, links: MessageLinkRepository,
    ) -> None:
        self.bot = bot
        self.db = db
        self.clock = clock
        self.cases = cases
        self.partners = partners
        self.links = links
        self.kv = KeyValueRepository(db)
        self.knowledge = KnowledgeRepository(db)
        self.group_id = settings.engineers_chat_id
        self.levels = tuple(sorted(settings.reaction_levels))
        self.forum: bool | None = None  # learnt from the first topic we try to create
        self._wishes_lock = asyncio.Lock()
        # Cases whose topic was reopened to deliver a late note: closed again once it is delivered.
        self.reclose: set[int] = set()
        # What the group shows now, as far as this process knows: an edit or a rename that would change
        # nothing is not sent (it would spend the group's budget on "message is not modified").
        self.shown_cards: dict[int, tuple[str, object]] = {}
        self.shown_titles: dict[int, str] = {}

    # --- the card ---------------------------------------------------------------------------

    async def render_card(self, case: Case, note: str | None = None) -> tuple[str, InlineKeyboardMarkup | None]:
        attachments = await self.cases.attachments(case.id)
        partner = await self.partners.get(case.partner_id)
        found = [f for f in map(Found.from_stored, await self.knowledge.similar_for(case.id)) if f is not None]
        similar = texts.similar_block(found, self.group_id) if found else None
        text = texts.case_card(case, partner, len(attachments), note=note, out_of_scope=scope.detect(case.description),
                               similar=similar, closed_by_partner=await self._closed_by_partner(case))
        return text, keyboards.case_card(case, self.levels)

    async def _closed_by_partner(self, case: Case) -> bool:
        if case.status != Status.CLOSED:
            return False
        closing = [row for row in await self.cases.history(case.id) if row["to_status"] == Status.CLOSED.value]
        return bool(closing) and closing[-1]["actor_id"] == case.partner_id

    async def post_card(self, case: Case, thread_id: int | None, note: str | None = None) -> Message:
        text, markup = await self.render_card(case, note)
        message = await self.bot.send_message(self.group_id, text, message_thread_id=thread_id, reply_markup=markup)
        self.shown_cards[case.id] = (text, markup)
        await self.cases.mark_delivered(case.id, message.message_id, self.clock.now())
        async with self.db.batch() as conn:
            await self.links.add(conn, MessageLink(case.id, "bot", self.group_id, message.message_id,
                                                   self.group_id, message.message_id, "card"))
        return message

    # --- making a topic -----------------------------------------------------------------------

    async def ensure(self, case: Case) -> int | None:
        """The case's topic, made now if it has none; None in a group without topics."""
        if case.thread_id is not None:
            return case.thread_id
        if self.forum is False:
            return None
        if case.request_type == RequestType.WISH:
            return await self._ensure_wishes(case)
        try:
            topic = await self.bot.create_forum_topic(
                self.group_id, name=texts.topic_name(case), icon_color=texts.TOPIC_COLOR
            )
        except TelegramBadRequest as exc:
            if "not a forum" in exc.message.lower():
                log.warning("The engineers' group has no topics: cases go to the group itself")
                self.forum = False
                return None
            raise
        self.forum = True
        self.shown_titles[topic.message_thread_id] = texts.topic_name(case)
        await self.cases.set_thread(case.id, topic.message_thread_id)
        return topic.message_thread_id

    async def _ensure_wishes(self, case: Case) -> int | None:
        """Wishes are gathered in one topic of their own, made on the first wish."""
        # Each wish has its own lane: two of them must not both find no topic and make one each.
        async with self._wishes_lock:
            stored = await self.kv.get(WISHES_TOPIC_KEY)
            if stored is not None:
                thread_id = int(stored)
            else:
                try:
                    topic = await self.bot.create_forum_topic(self.group_id, name=texts.WISHES_TOPIC,
                                                              icon_color=WISHES_COLOR)
                except TelegramBadRequest as exc:
                    if "not a forum" in exc.message.lower():
                        self.forum = False
                        return None
                    raise
                self.forum = True
                thread_id = topic.message_thread_id
                await self.kv.set(WISHES_TOPIC_KEY, str(thread_id))
            await self.cases.set_thread(case.id, thread_id)
            return thread_id

    # --- actions on a topic --------------------------------------------------------------------

    async def rename(self, case: Case, thread_id: int) -> bool:
        """The title shows the case as it is now; False when it already did (nothing sent)."""
        name = texts.topic_name(case)
        if self.shown_titles.get(thread_id) == name:
            return False
        await self.bot.edit_forum_topic(self.group_id, thread_id, name=name)
        self.shown_titles[thread_id] = name
        return True

    async def edit_card(self, case: Case) -> bool:
        """The card shows the case as it is now; False when it already did (nothing sent)."""
        text, markup = await self.render_card(case)
        if self.shown_cards.get(case.id) == (text, markup):
            return False
        await self.bot.edit_message_text(text, chat_id=self.group_id, message_id=case.card_message_id,
                                         reply_markup=markup)
        self.shown_cards[case.id] = (text, markup)
        return True

    async def close(self, thread_id: int) -> None:
        await self._open_or_close(self.bot.close_forum_topic, thread_id)

    async def reopen(self, thread_id: int) -> None:
        await self._open_or_close(self.bot.reopen_forum_topic, thread_id)

    async def _open_or_close(self, method, thread_id: int) -> None:
        try:
            await method(self.group_id, thread_id)
        except TelegramBadRequest as exc:
            if "topic_not_modified" not in exc.message.lower():  # already as asked
                raise

    async def close_quietly(self, case_id: int) -> None:
        case = await self.cases.get(case_id)
        if case is None or case.thread_id is None:
            return
        try:
            await self.bot.close_forum_topic(self.group_id, case.thread_id)
        except TelegramAPIError as exc:  # best effort: the note itself was delivered
            log.warning("Could not close the topic of case %s again: %s", case_id, exc)

    # --- mending -------------------------------------------------------------------------------

    async def mend(self, case_id: int, exc: TelegramBadRequest, *, for_card: bool) -> bool:
        """A deleted topic is made anew (with the case card first, unless the card is what is being
        sent), a closed one reopened; True means the item should simply be tried again."""
        case = await self.cases.get(case_id)
        if case is None:
            return False
        if _gone(exc.message):
            log.warning("Topic of case %s is gone; making a new one", case.id)
            if case.request_type == RequestType.WISH and await self.kv.get(WISHES_TOPIC_KEY) == str(case.thread_id):
                await self.kv.set(WISHES_TOPIC_KEY, None)
            await self.cases.set_thread(case.id, None)
            if not for_card:
                thread_id = await self.ensure(await self.cases.get(case.id))
                await self.post_card(await self.cases.get(case.id), thread_id, note=texts.TOPIC_RECREATED)
            return True
        if "topic_closed" in exc.message.lower():
            log.info("Topic of case %s is closed; reopening it to deliver", case.id)
            await self.reopen(case.thread_id)
            if case.status == Status.CLOSED and case.request_type != RequestType.WISH:
                # A late note on a closed case (a rating, say): deliver it, then close again.
                self.reclose.add(case.id)
            return True
        return False
