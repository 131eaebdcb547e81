"""Outer middlewares: remember partners as they write, and keep banned partners out."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot import texts

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
        chat = event.chat if isinstance(event, Message) else (
            event.message.chat if isinstance(event, CallbackQuery) and event.message else None
        )
        if user is None or chat is None or chat.type != "private" or user.is_bot:
            return await handler(event, data)
        partners = data["partners"]
        clock = data["clock"]
        partner = await partners.touch(user.id, user.first_name, user.username, clock.now())
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
