"""Outer middlewares: keep banned partners out, remember partners as they write, and let only
members of the engineers' group act there."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.middlewares.user_context import EVENT_CONTEXT_KEY, EventContext
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message, TelegramObject, Update

from bot import texts
from bot.services.membership import Access
from bot.telegram.filters import chat_of
from bot.telegram.relaying import kind_of

log = logging.getLogger(__name__)


class BanMiddleware(BaseMiddleware):
    """On the update itself, so that every kind a banned partner can send (messages, album items,
    contacts, edits, button presses, reactions, whatever the bot subscribes to later) is stopped in
    one place. The partner gets one polite notice; a button press is answered so the spinner stops.

    Groups are left alone: in the engineers' group membership decides (`EngineerMiddleware`), and
    the bot handles nothing in other groups. my_chat_member passes: it only records that the
    partner blocked the bot, which the outbox must know whoever the partner is."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        context: EventContext | None = data.get(EVENT_CONTEXT_KEY)
        user = context.user if context is not None else None
        chat = context.chat if context is not None else None
        if (
            not isinstance(event, Update)
            or user is None
            or user.is_bot
            or (chat is not None and chat.type != "private")
            or event.my_chat_member is not None
            or user.id in data["settings"].admin_ids
        ):
            return await handler(event, data)
        partners = data["partners"]
        if not await partners.is_banned(user.id):
            return await handler(event, data)
        partner = await partners.lookup(user.id)
        if partner is None or not partner.banned:
            return await handler(event, data)
        if not partner.ban_notified:
            await partners.mark_ban_notified(user.id)
            if chat is not None:
                try:
                    await data["bot"].send_message(chat.id, texts.BANNED_NOTICE)
                except TelegramAPIError as exc:
                    log.info("Could not tell banned user %s about the ban: %s", user.id, exc)
        if event.callback_query is not None:
            try:
                await event.callback_query.answer()
            except TelegramAPIError:
                pass  # too old to answer: the client has given up on it anyway
        log.info("Ignored a %s update from banned user %s", event.event_type, user.id)
        return None


class PartnerMiddleware(BaseMiddleware):
    """Runs for private-chat messages and callbacks: records the partner and passes it to handlers
    as `partner` (banned partners never get here: `BanMiddleware`)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = getattr(event, "from_user", None)
        chat = chat_of(event)
        if user is None or chat is None or chat.type != "private" or user.is_bot:
            return await handler(event, data)
        partners = data["partners"]
        clock = data["clock"]
        partner = await partners.touch(user.id, user.first_name, user.username, clock.now())
        await data["outbox"].partner_wrote(user.id)  # they unblocked the bot: deliver what waited
        data["partner"] = partner
        return await handler(event, data)


class EngineerMiddleware(BaseMiddleware):
    """On the update itself, for everything people do in the engineers' group (messages, edits,
    commands, button presses, and whatever is subscribed later): only its members act there.
    getChatMember says who is one, cached by `Membership`. chat_member updates pass: they are
    Telegram's news about members (often about someone leaving), which keep that cache right.

    Anyone may read a public group and press its buttons, a read-only member too, and people who
    are not members may write in a discussion group that does not ask them to join: a press gets
    a short alert (only the presser sees it), a message is dropped without a word, since answering
    a stranger in a case topic would only add noise for the engineers. Other bots (and people
    posting as a channel) are ignored silently; an anonymous administrator is told why their
    message went nowhere, because they are a colleague who expects it to reach the partner.

    Telegram does not let a bot list a group's members, so /engineers shows the ones seen here."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        context: EventContext | None = data.get(EVENT_CONTEXT_KEY)
        user = context.user if context is not None else None
        chat = context.chat if context is not None else None
        group_id = data["settings"].engineers_chat_id
        if (
            not isinstance(event, Update)
            or user is None
            or chat is None
            or chat.id != group_id
            or event.chat_member is not None
            or event.my_chat_member is not None
        ):
            return await handler(event, data)
        message = event.message or event.edited_message
        if user.is_bot:
            if event.message is not None and _anonymous_admin(event.message, group_id) and _meant_for_bot(event.message):
                await data["cases"].note_in_group(texts.ANONYMOUS_ADMIN_NOT_RELAYED, _thread(event.message))
            log.info("Ignored a %s update from bot %s in the engineers' group", event.event_type, user.id)
            return None
        access = await data["membership"].access(user.id)
        if access is Access.ALLOWED:
            await data["engineers"].seen(user.id, user.first_name, user.username, data["clock"].now())
            return await handler(event, data)
        log.info("Ignored a %s update from %s in the engineers' group: membership %s",
                 event.event_type, user.id, access.value)
        if event.callback_query is not None:
            text = texts.GROUP_MEMBERS_ONLY if access is Access.DENIED else texts.MEMBERSHIP_UNCHECKED
            try:
                await event.callback_query.answer(text, show_alert=True)
            except TelegramAPIError:
                pass
        elif access is Access.UNKNOWN and message is not None and _meant_for_bot(message):
            # Most likely a colleague while Telegram stumbles: say so rather than lose the message.
            await data["cases"].note_in_group(texts.MEMBERSHIP_UNCHECKED_NOT_SENT, _thread(message))
        return None


def _anonymous_admin(message: Message, group_id: int) -> bool:
    """Telegram shows an anonymous administrator as GroupAnonymousBot with the group as sender_chat."""
    return message.sender_chat is not None and message.sender_chat.id == group_id


def _meant_for_bot(message: Message) -> bool:
    """A command, or something said in a topic or in reply that would be relayed; not a #note."""
    if kind_of(message) is None:
        return False  # service messages (a topic opened), polls, locations: nothing to relay
    text = message.text or message.caption or ""
    if text.startswith("#"):
        return False
    if text.startswith("/"):
        return True
    reply = message.reply_to_message
    return bool(message.is_topic_message or (reply is not None and reply.forum_topic_created is None))


def _thread(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None
