"""Firmware lookup: the partner names a model, the bot points to its folder on the file server."""

from __future__ import annotations

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import keyboards, texts
from bot.callbacks import FirmwareCb
from bot.config import Settings
from bot.routing import RouterRecipe
from dialogs.states import FirmwareLookup
from bot.telegram.filters import PrivateChat

router = RouterRecipe(__name__)  # built afresh per Dispatcher: handlers.get_routers()
router.message.filter(PrivateChat())
router.callback_query.filter(PrivateChat())

# A series or a model without its lens has up to this many members worth a button.
FAMILY_BUTTONS = 8


async def answer_lookup(message: Message, query: str, catalogue, settings: Settings) -> None:
    result = catalogue.match(query, limit=FAMILY_BUTTONS)
    markup = None
    if result.accepted is None and result.candidates:
        markup = keyboards.firmware_candidates(result, catalogue.current)
    await message.answer(
        texts.firmware_answer(result, settings.firmware_base_url), reply_markup=markup or keyboards.main_menu()
    )


@router.message(FirmwareLookup.query, F.text)
async def on_query(message: Message, state: FSMContext, catalogue, settings: Settings) -> None:
    await state.set_state(None)
    await answer_lookup(message, message.text.strip()[:100], catalogue, settings)


@router.message(FirmwareLookup.query)
async def wrong_query(message: Message) -> None:
    await message.answer(texts.FIRMWARE_HINT)


@router.callback_query(FirmwareCb.filter())
async def on_candidate(callback: CallbackQuery, callback_data: FirmwareCb, catalogue, settings: Settings) -> None:
    result = catalogue.current.pick(callback_data.entry, callback_data.version)
    if result is None:
        await callback.answer(texts.FIRMWARE_BUTTON_STALE, show_alert=True)
        return
    await callback.answer()
    await callback.message.answer(texts.firmware_answer(result, settings.firmware_base_url),
                                  reply_markup=keyboards.main_menu())
