"""After a case is resolved: "Is the problem solved?", then a 1–5 rating and an optional comment."""

from __future__ import annotations

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import keyboards, texts
from bot.callbacks import FeedbackCb
from bot.services import intake_rules
from bot.services.cases import CaseService
from bot.routing import RouterRecipe
from dialogs.states import Rating
from bot.telegram.ui import drop_buttons, replace_text
from bot.telegram.filters import PrivateChat

router = RouterRecipe(__name__)  # built afresh per Dispatcher: handlers.get_routers()
router.message.filter(PrivateChat())
router.callback_query.filter(PrivateChat())


@router.callback_query(FeedbackCb.filter(F.action.in_({"solved", "unsolved"})))
async def on_solved(callback: CallbackQuery, callback_data: FeedbackCb, cases: CaseService) -> None:
    solved = callback_data.action == "solved"
    # The service checks that the case is this partner's and is waiting for exactly this answer.
    outcome = await cases.partner_feedback(callback_data.case_id, callback.from_user.id, solved)
    if not outcome.ok:
        await callback.answer(outcome.message, show_alert=True)
        return
    await callback.answer()
    await drop_buttons(callback)
    if solved:
        await callback.message.answer(texts.RATE_ASK, reply_markup=keyboards.rating(callback_data.case_id))


@router.callback_query(FeedbackCb.filter(F.action == "rate"))
async def on_rate(callback: CallbackQuery, callback_data: FeedbackCb, state: FSMContext, cases: CaseService) -> None:
    outcome = await cases.rate(callback_data.case_id, callback.from_user.id, callback_data.value)
    if not outcome.ok:
        await callback.answer(outcome.message, show_alert=True)
        return
    await callback.answer()
    await replace_text(callback, f"{texts.RATE_ASK}\n\n✔️ {callback_data.value}")
    if await state.get_state() is None:
        await state.set_state(Rating.comment)
        await state.update_data(rating_case=callback_data.case_id)
    await callback.message.answer(texts.RATE_COMMENT_ASK, reply_markup=keyboards.skip_comment(callback_data.case_id))


@router.callback_query(FeedbackCb.filter(F.action == "skip"))
async def on_skip(callback: CallbackQuery, state: FSMContext) -> None:
    if await state.get_state() == Rating.comment.state:
        await state.set_state(None)
    await callback.answer()
    await drop_buttons(callback)
    await callback.message.answer(texts.RATE_THANKS, reply_markup=keyboards.main_menu())


@router.message(Rating.comment, F.text)
async def on_comment(message: Message, state: FSMContext, cases: CaseService) -> None:
    case_id = (await state.get_data()).get("rating_case")
    check = intake_rules.clean_line(message.text, 1000)
    if not check.ok:
        await message.answer(texts.RATE_HINT)
        return
    await state.set_state(None)
    if case_id:
        await cases.rating_comment(case_id, message.from_user.id, check.value)
    await message.answer(texts.RATE_THANKS, reply_markup=keyboards.main_menu())


@router.message(Rating.comment)
async def wrong_comment(message: Message, state: FSMContext) -> None:
    case_id = (await state.get_data()).get("rating_case") or 0
    await message.answer(texts.RATE_HINT, reply_markup=keyboards.skip_comment(case_id))
