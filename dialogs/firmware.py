"""Firmware lookup: the partner names a model, the bot points to its folder on the file server."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot import keyboards, texts
from bot.config import Settings
from dialogs.states import FirmwareLookup
from handlers.filters import PrivateChat

router = Router(name=__name__)
router.message.filter(PrivateChat())


async def answer_lookup(message: Message, query: str, catalogue, settings: Settings) -> None:
    result = catalogue.match(query, limit=3)
    await message.answer(texts.firmware_answer(result, settings.firmware_base_url), reply_markup=keyboards.main_menu())


@router.message(FirmwareLookup.query, F.text)
async def on_query(message: Message, state: FSMContext, catalogue, settings: Settings) -> None:
    await state.set_state(None)
    await answer_lookup(message, message.text.strip()[:100], catalogue, settings)


@router.message(FirmwareLookup.query)
async def wrong_query(message: Message) -> None:
    await message.answer(texts.FIRMWARE_HINT)
