"""The last router: whatever no other handler took gets a helpful answer instead of silence."""

from __future__ import annotations

from aiogram import F
from aiogram.types import CallbackQuery, Message

from bot import keyboards, texts
from bot.routing import RouterRecipe
from bot.telegram.filters import PrivateChat

router = RouterRecipe(__name__)  # built afresh per Dispatcher: handlers.get_routers()


@router.message(PrivateChat(), F.text)
async def on_unknown_text(message: Message) -> None:
    await message.answer(texts.UNKNOWN_INPUT, reply_markup=keyboards.main_menu())


@router.message(PrivateChat())
async def on_unknown_content(message: Message) -> None:
    await message.answer(texts.UNSUPPORTED_CONTENT, reply_markup=keyboards.main_menu())


@router.callback_query()
async def on_stale_button(callback: CallbackQuery) -> None:
    # Old or forged buttons: answer so the client stops its spinner, and change nothing.
    await callback.answer(texts.BUTTON_STALE, show_alert=False)
