"""The outbox sender, a Telegram adapter: one executor per kind of delivery (bot/delivery/kinds.py),
run by the paced queue (bot/delivery/queue.py) into chats and case topics (bot/delivery/topics.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BufferedInputFile,
    InputMediaAudio,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
    ReactionTypeEmoji,
    ReplyParameters,
)

from bot import keyboards, texts
from bot.clock import Clock
from bot.config import Settings
from bot.delivery.kinds import (
    AlbumItem, CaseCard, CopyMessage, Delivery, EditCaption, EditCard, EditText, HelpDeskFile, MediaGroup, SendFile,
    SendText, SetReaction, Source, TopicAction, decode,
)
from bot.delivery.queue import PacedQueue, Sent
from bot.delivery.topics import Topics
from bot.domain import Case
from bot.storage.cases import CaseRepository
from bot.storage.database import Batch, Database, Transaction
from bot.storage.mail import MailFileRepository
from bot.storage.outbox import MessageLink, MessageLinkRepository, OutboxItem, OutboxRepository
from bot.storage.partners import PartnerRepository

log = logging.getLogger(__name__)

MEDIA_TYPES = {
    "photo": InputMediaPhoto,
    "video": InputMediaVideo,
    "document": InputMediaDocument,
    "audio": InputMediaAudio,
}
ALBUM_QUIET_SECONDS = 0.8
FILE_SENDERS = {
    "photo": "send_photo",
    "video": "send_video",
    "document": "send_document",
    "voice": "send_voice",
    "audio": "send_audio",
    "animation": "send_animation",
    "video_note": "send_video_note",
}


@dataclass(frozen=True)
class Target:
    """Where one item goes: the chat, the topic in it, and the case (read only when the item needs it)."""

    chat_id: int
    thread_id: int | None
    case: Case | None
    case_id: int | None


D = TypeVar("D", bound=Delivery)
Execute = Callable[["Outbox", OutboxItem, Any, Target], Awaitable[Sent]]
EXECUTORS: dict[type[Delivery], Execute] = {}


def executes(kind: type[D]) -> Callable[[Callable[["Outbox", OutboxItem, D, Target], Awaitable[Sent]]], Execute]:
    """Registers the one executor of a kind of delivery."""
    def register(fn):
        if kind in EXECUTORS:
            raise RuntimeError(f"{kind.__name__} has an executor already")
        EXECUTORS[kind] = fn
        return fn
    return register


class Outbox:
    def __init__(
        self,
        *,
        bot: Bot,
        db: Database,
        settings: Settings,
        clock: Clock,
        cases: CaseRepository,
        partners: PartnerRepository,
    ) -> None:
        self.bot = bot
        self.db = db
        self.settings = settings
        self.cases = cases
        self.partners = partners
        self.repo = OutboxRepository(db)
        self.links = MessageLinkRepository(db)
        self.group_id = settings.engineers_chat_id
        self.queue = PacedQueue(bot=bot, db=db, settings=settings, partners=partners, repo=self.repo, links=self.links)
        self.queue.executor = self
        self.topics = Topics(bot=bot, db=db, settings=settings, clock=clock, cases=cases, partners=partners,
                             links=self.links)
        self.pacer = self.queue.pacer
        # The HelpDesk's reply files, kept by the mail inbox until they are uploaded (HelpDeskFile).
        self.mail_files = MailFileRepository(db)

    # --- what services and handlers use -------------------------------------------------------

    async def enqueue(
        self, conn: Transaction | Batch, chat_id: int, delivery: Delivery,
        case_id: int | None = None, dedupe_key: str | None = None,
    ) -> None:
        await self.queue.enqueue(conn, chat_id, delivery, case_id, dedupe_key)

    def wake(self) -> None:
        self.queue.wake()

    async def run(self) -> None:
        await self.queue.run()

    async def stop(self) -> None:
        await self.queue.stop()

    async def wait_idle(self, timeout: float = 10.0) -> None:
        await self.queue.wait_idle(timeout)

    async def note_retry_after(self, chat_id: int, seconds: float) -> None:
        await self.queue.note_retry_after(chat_id, seconds)

    async def partner_blocked_bot(self, user_id: int, blocked: bool) -> None:
        await self.queue.partner_blocked_bot(user_id, blocked)

    async def partner_wrote(self, user_id: int) -> None:
        await self.queue.partner_wrote(user_id)

    async def flood_wait_left(self, chat_id: int) -> float:
        return await self.queue.flood_wait_left(chat_id)

    async def retry_held(self) -> int:
        return await self.queue.retry_held()

    # --- the executor the queue runs --------------------------------------------------------------

    async def execute(self, item: OutboxItem) -> Sent:
        delivery = decode(item.kind, item.payload)
        execute = EXECUTORS.get(type(delivery))
        if execute is None:
            raise ValueError(f"no executor for {type(delivery).__name__}")
        return await execute(self, item, delivery, await self._target(item, delivery))

    async def mend(self, item: OutboxItem, exc: TelegramBadRequest) -> bool:
        if item.case_id is None or item.chat_id != self.group_id:
            return False
        return await self.topics.mend(item.case_id, exc, for_card=item.kind == CaseCard.kind)

    async def delivered(self, item: OutboxItem) -> None:
        await self._mark_delivered(item)
        if item.case_id in self.topics.reclose:
            self.topics.reclose.discard(item.case_id)
            await self.topics.close_quietly(item.case_id)

    async def _mark_delivered(self, item: OutboxItem) -> None:
        """An engineer's message has reached the partner: mark it in the group with a reaction."""
        payload = item.payload
        if item.chat_id < 0 or payload.get("origin") != "engineer" or item.case_id is None:
            return
        source = payload.get("source") or (payload.get("from_chat_id"), payload.get("message_id"))
        if source[0] != self.group_id or source[1] is None:
            return
        async with self.db.batch() as conn:
            await self.enqueue(conn, self.group_id, SetReaction(int(source[1]), texts.DELIVERED_MARK), item.case_id)

    async def _target(self, item: OutboxItem, delivery: Delivery) -> Target:
        """Chat and topic the item goes to; the case's topic is made on first need. The case is
        read only when the item needs more of it than its number."""
        to_topic = getattr(delivery, "to_topic", False)
        case = await self.cases.get(item.case_id) if item.case_id is not None and to_topic else None
        if to_topic and case is not None:
            thread_id = await self.topics.ensure(case)
            if not isinstance(delivery, CaseCard) and case.card_message_id is None:
                # The card item was given up on (it comes first in the case's lane): engineers must
                # never get a topic, or a message, without the card and its "Claim" button.
                await self.topics.post_card(await self.cases.get(case.id), thread_id)
                case = await self.cases.get(case.id)
            return Target(self.group_id, thread_id, case, case.id)
        # A reply to a command in a topic that is no case's (General, or the Wishes topic).
        return Target(item.chat_id, getattr(delivery, "thread_id", None), case, item.case_id)

    async def reply_parameters(self, source: Source | None, chat_id: int) -> ReplyParameters | None:
        if not source:
            return None
        target = await self.links.counterpart(source[0], source[1], chat_id)
        if target is None:
            return None
        return ReplyParameters(message_id=target, allow_sending_without_reply=True)


def _links(
    delivery: Any, to: Target, messages: list[Message], sources: list[Source] | tuple[Source, ...] | None,
    default_kind: str,
) -> list[MessageLink]:
    result = []
    for index, message in enumerate(messages):
        if sources and index < len(sources):
            src_chat, src_id = sources[index]
        else:
            src_chat, src_id = to.chat_id, message.message_id
        result.append(MessageLink(to.case_id, delivery.origin, src_chat, src_id, to.chat_id, message.message_id,
                                  delivery.link_kind or default_kind))
    return result


def _markup(buttons, menu=None):
    if buttons:
        return keyboards.inline([list(row) for row in buttons])
    if menu:
        return keyboards.menu([list(row) for row in menu])
    return None


@executes(CaseCard)
async def _case_card(outbox: Outbox, item: OutboxItem, d: CaseCard, to: Target) -> Sent:
    message = await outbox.topics.post_card(to.case, to.thread_id)
    return Sent(message.message_id)


@executes(SendText)
async def _send_text(outbox: Outbox, item: OutboxItem, d: SendText, to: Target) -> Sent:
    message = await outbox.bot.send_message(
        to.chat_id, d.text, message_thread_id=to.thread_id, reply_markup=_markup(d.buttons, d.menu),
        reply_parameters=await outbox.reply_parameters(d.reply_to_source, to.chat_id),
    )
    return Sent(message.message_id, _links(d, to, [message], [d.source] if d.source else None, "text"))


@executes(CopyMessage)
async def _copy_message(outbox: Outbox, item: OutboxItem, d: CopyMessage, to: Target) -> Sent:
    kwargs: dict[str, Any] = {} if d.caption is None else {"caption": d.caption}
    result = await outbox.bot.copy_message(
        to.chat_id, d.from_chat_id, d.message_id, message_thread_id=to.thread_id, reply_markup=_markup(d.buttons),
        reply_parameters=await outbox.reply_parameters(d.reply_to_source, to.chat_id), **kwargs,
    )
    link = MessageLink(to.case_id, d.origin, d.from_chat_id, d.message_id, to.chat_id, result.message_id,
                       d.link_kind or "media")
    return Sent(result.message_id, [link])


@executes(MediaGroup)
async def _media_group(outbox: Outbox, item: OutboxItem, d: MediaGroup, to: Target) -> Sent:
    media = [MEDIA_TYPES[entry.type](media=entry.media, caption=entry.caption) for entry in d.media]
    messages = await outbox.bot.send_media_group(
        to.chat_id, media=media, message_thread_id=to.thread_id,
        reply_parameters=await outbox.reply_parameters(d.reply_to_source, to.chat_id),
    )
    return Sent([m.message_id for m in messages], _links(d, to, messages, d.sources, "text"))


@executes(SendFile)
async def _send_file(outbox: Outbox, item: OutboxItem, d: SendFile, to: Target) -> Sent:
    kwargs = {} if d.type == "video_note" else {"caption": d.caption}
    message = await getattr(outbox.bot, FILE_SENDERS[d.type])(
        to.chat_id, d.file_id, message_thread_id=to.thread_id, **kwargs
    )
    return Sent(message.message_id, _links(d, to, [message], None, "text"))


@executes(AlbumItem)
async def _album_item(outbox: Outbox, item: OutboxItem, d: AlbumItem, to: Target) -> Sent:
    """Album items are queued one by one as they arrive (so a crash loses none); once no new
    item has come for a moment, the whole album is copied in one call and stays an album."""
    while True:
        items = await outbox.repo.album_items(item.chat_id, d.media_group_id)
        age = await outbox.repo.seconds_since_newest(item.chat_id, d.media_group_id)
        if age >= ALBUM_QUIET_SECONDS:
            break
        await asyncio.sleep(ALBUM_QUIET_SECONDS - age)
    items.sort(key=lambda it: it.payload["message_id"])
    from_chat = items[0].payload["from_chat_id"]
    ids = [it.payload["message_id"] for it in items]
    copies = await outbox.bot.copy_messages(to.chat_id, from_chat, ids, message_thread_id=to.thread_id)
    links = [
        MessageLink(to.case_id, d.origin, from_chat, src, to.chat_id, copy.message_id, "media")
        for src, copy in zip(ids, copies)
    ]
    return Sent([c.message_id for c in copies], links, tuple(it.id for it in items if it.id != item.id))


@executes(EditText)
async def _edit_text(outbox: Outbox, item: OutboxItem, d: EditText, to: Target) -> Sent:
    target = await outbox.links.counterpart(d.source[0], d.source[1], to.chat_id)
    if target is None:
        return Sent()  # the original never reached this chat; nothing to mirror
    await outbox.bot.edit_message_text(d.text, chat_id=to.chat_id, message_id=target)
    return Sent(target)


@executes(EditCaption)
async def _edit_caption(outbox: Outbox, item: OutboxItem, d: EditCaption, to: Target) -> Sent:
    target = await outbox.links.counterpart(d.source[0], d.source[1], to.chat_id)
    if target is None:
        return Sent()
    await outbox.bot.edit_message_caption(chat_id=to.chat_id, message_id=target, caption=d.text)
    return Sent(target)


@executes(SetReaction)
async def _set_reaction(outbox: Outbox, item: OutboxItem, d: SetReaction, to: Target) -> Sent:
    if await outbox.repo.pending_after(item, SetReaction.kind):
        # A mark on a later message of this case says the partner has this one too: one call for both.
        return Sent()
    await outbox.bot.set_message_reaction(to.chat_id, d.message_id, [ReactionTypeEmoji(emoji=d.emoji)])
    return Sent()


@executes(EditCard)
async def _edit_card(outbox: Outbox, item: OutboxItem, d: EditCard, to: Target) -> Sent:
    case = to.case
    if case is None or case.card_message_id is None:
        return Sent()
    if await outbox.repo.pending_after(item, EditCard.kind):
        return Sent()  # a later edit in the lane shows the same case as it will be then: one edit for both
    await outbox.topics.edit_card(case)
    return Sent(case.card_message_id)


@executes(TopicAction)
async def _topic_action(outbox: Outbox, item: OutboxItem, d: TopicAction, to: Target) -> Sent:
    if to.case is None or to.thread_id is None:
        return Sent()
    if d.action == "rename":
        await outbox.topics.rename(to.case, to.thread_id)
    elif d.action == "close":
        await outbox.topics.close(to.thread_id)
    else:
        await outbox.topics.reopen(to.thread_id)
    return Sent()


@executes(HelpDeskFile)
async def _helpdesk_file(outbox: Outbox, item: OutboxItem, d: HelpDeskFile, to: Target) -> Sent:
    stored = await outbox.mail_files.get(d.file)
    if stored is None:
        return Sent()
    message = await outbox.bot.send_document(
        to.chat_id, BufferedInputFile(stored.data, filename=stored.file_name), caption=d.caption,
        message_thread_id=to.thread_id,
    )
    return Sent(message.message_id, [MessageLink(to.case_id, "helpdesk", to.chat_id, message.message_id, to.chat_id,
                                                 message.message_id, "media")])
