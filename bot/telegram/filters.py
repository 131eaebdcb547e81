"""Role filters: who is a partner (private chat), an engineer (the engineers' group) or an admin."""

from __future__ import annotations

from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.config import Settings


def chat_of(event: TelegramObject):
    """The chat a message, a button press, a member change or a reaction happened in."""
    if isinstance(event, Message):
        return event.chat
    if isinstance(event, CallbackQuery):
        return event.message.chat if event.message is not None else None
    return getattr(event, "chat", None)


class PrivateChat(BaseFilter):
    async def __call__(self, event: TelegramObject) -> bool:
        chat = chat_of(event)
        return chat is not None and chat.type == "private"


class EngineersChat(BaseFilter):
    """Events from the engineers' group only; the id comes from the injected settings."""

    async def __call__(self, event: TelegramObject, settings: Settings) -> bool:
        chat = chat_of(event)
        return chat is not None and settings.engineers_chat_id is not None and chat.id == settings.engineers_chat_id


class Admin(BaseFilter):
    """An admin writing in a private chat with the bot."""

    async def __call__(self, event: TelegramObject, settings: Settings) -> bool:
        chat = chat_of(event)
        user = getattr(event, "from_user", None)
        return (
            chat is not None
            and chat.type == "private"
            and user is not None
            and user.id in settings.admin_ids
        )
