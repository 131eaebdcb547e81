"""Small helpers for answering button presses: the pressed message may be too old to edit."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message


async def drop_buttons(callback: CallbackQuery) -> None:
    """Remove the buttons that were pressed, so they cannot be pressed again; a message Telegram
    no longer lets the bot edit (older than 48 hours) keeps them, and the service re-checks."""
    message = callback.message
    if isinstance(message, Message) and message.reply_markup is not None:
        await message.edit_reply_markup(reply_markup=None)


async def replace_text(callback: CallbackQuery, text: str) -> None:
    message = callback.message
    if isinstance(message, Message):
        await message.edit_text(text)
