"""Outer middlewares: remember partners as they write, and keep banned partners out."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot import texts
from handlers.filters import chat_of

log = logging.getLogger(__name__)


class PartnerMiddleware(BaseMiddleware):
    """Runs for private-chat messages and callbacks: records the partner and passes it to handlers
    as `partner`; a banned partner gets one polite notice and is then ignored."""

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
        if partner.banned and user.id not in data["settings"].admin_ids:
            if not partner.ban_notified:
                await partners.mark_ban_notified(user.id)
                if isinstance(event, Message):
                    await event.answer(texts.BANNED_NOTICE)
            if isinstance(event, CallbackQuery):
                await event.answer()
            log.info("Ignored an update from banned user %s", user.id)
            return None
        data["partner"] = partner
        return await handler(event, data)


class EngineerMiddleware(BaseMiddleware):
    """Remembers who writes or presses buttons in the engineers' group: Telegram does not let a
    bot list a group's members, so /engineers shows the ones the bot has seen."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = getattr(event, "from_user", None)
        chat = chat_of(event)
        group_id = data["settings"].engineers_chat_id
        if user is not None and not user.is_bot and chat is not None and chat.id == group_id:
            await data["engineers"].seen(user.id, user.first_name, user.username, data["clock"].now())
        return await handler(event, data)
