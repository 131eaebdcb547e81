"""Answering an engineer's request for more information: whatever the partner sends goes to the
case topic, and "Done" (or the first message, outside this dialog) puts the case back in work."""

from __future__ import annotations

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.types import CallbackQuery, Message

from bot import keyboards, texts
from bot.callbacks import InfoCb
from bot.domain import Status
from bot.services.cases import CaseService
from bot.services.debounce import Debouncer
from bot.routing import RouterRecipe
from dialogs.states import InfoRequest
from bot.telegram.ui import drop_buttons, replace_text
from bot.telegram.filters import PrivateChat
from bot.telegram.relaying import incoming_of, partner_header

router = RouterRecipe(__name__)  # built afresh per Dispatcher: handlers.get_routers()
router.message.filter(PrivateChat())
router.callback_query.filter(PrivateChat())


class InfoDialogs:
    """Opens this dialog for a partner from outside it: the engineers' /info (handlers call it as
    the injected `info_dialogs`, so they never write a partner's dialog state themselves)."""

    def __init__(self, storage: BaseStorage) -> None:
        self.storage = storage

    async def start(self, bot_id: int, partner_id: int, case_id: int) -> bool:
        """Put the partner into the answer dialog, unless they are busy in another one (then their
        next message outside it still reaches the case). Returns whether the dialog started."""
        key = StorageKey(bot_id=bot_id, chat_id=partner_id, user_id=partner_id)
        if await self.storage.get_state(key) is not None:
            return False
        await self.storage.set_state(key, InfoRequest.answer)
        # A new request starts with nothing answered: «Готово» waits for this request's answer.
        await self.storage.update_data(key, {"info_case": case_id, "info_sent": False})
        return True


@router.message(InfoRequest.answer)
async def on_answer(
    message: Message, state: FSMContext, cases: CaseService, debouncer: Debouncer
) -> None:
    case = await cases.partners_open_case((await state.get_data()).get("info_case"), message.from_user.id)
    if case is None:
        await state.set_state(None)
        await message.answer(texts.FEEDBACK_TOO_LATE)
        return
    incoming = incoming_of(message)
    if incoming is None or incoming.kind == "sticker":
        await message.answer(texts.INFO_HINT, reply_markup=keyboards.info_done(case.id))
        return
    await cases.relay_to_topic(case, incoming, partner_header(case))
    await state.update_data(info_sent=True)

    async def acknowledge() -> None:
        await message.answer(texts.INFO_ITEM_ADDED, reply_markup=keyboards.info_done(case.id))

    debouncer.schedule(f"info:{message.chat.id}", 0.8, acknowledge)


@router.callback_query(InfoCb.filter())
async def on_done(callback: CallbackQuery, callback_data: InfoCb, state: FSMContext, cases: CaseService) -> None:
    if await state.get_state() == InfoRequest.answer.state and not (await state.get_data()).get("info_sent"):
        # The button is there from the request on; pressed before any answer, it says what to send.
        await callback.answer(texts.INFO_NOTHING_YET, show_alert=True)
        return
    # Checked on the server: the case must be this partner's and still waiting.
    outcome = await cases.partner_answered(callback_data.case_id, callback.from_user.id)
    if await state.get_state() == InfoRequest.answer.state:
        await state.set_state(None)
    await callback.answer()
    await drop_buttons(callback)
    if outcome.ok or (outcome.case is not None and outcome.case.partner_id == callback.from_user.id
                      and outcome.case.status != Status.WAITING):
        await callback.message.answer(texts.INFO_DONE, reply_markup=keyboards.main_menu())
    else:
        await callback.message.answer(texts.FEEDBACK_TOO_LATE, reply_markup=keyboards.main_menu())
