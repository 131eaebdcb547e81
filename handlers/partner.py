"""A partner outside any dialog: what they write goes to their open case; "My cases" lists them."""

from __future__ import annotations

from dataclasses import asdict

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message

from bot import keyboards, texts
from bot.callbacks import PickCaseCb
from bot.domain import Case
from bot.services.cases import CaseService, Incoming
from bot.services.debounce import Debouncer
from bot.delivery.outbox import Outbox
from bot.routing import RouterRecipe
from bot.telegram.ui import drop_buttons, replace_text
from bot.telegram.filters import PrivateChat
from bot.telegram.relaying import incoming_of, partner_header

router = RouterRecipe(__name__)  # built afresh per Dispatcher: handlers.get_routers()
router.message.filter(PrivateChat())
router.edited_message.filter(PrivateChat())
router.callback_query.filter(PrivateChat())

MENU_TEXTS = {texts.MENU_NEW_CASE, texts.MENU_MY_CASES, texts.MENU_FIRMWARE, texts.MENU_CONTACTS}


async def relay(case: Case, incoming: Incoming, cases: CaseService, debouncer: Debouncer, message: Message) -> None:
    await cases.relay_from_partner(case, incoming, partner_header(case))

    async def acknowledge() -> None:
        await message.answer(texts.RELAYED_TO_CASE.format(number=case.number))

    # One short confirmation per burst of messages, not one per photo.
    debouncer.schedule(f"relayed:{message.chat.id}:{case.id}", 1.0, acknowledge)


@router.message(StateFilter(None), ~F.text.startswith("/"), ~F.text.in_(MENU_TEXTS))
async def on_partner_message(
    message: Message, state: FSMContext, cases: CaseService, debouncer: Debouncer
) -> None:
    incoming = incoming_of(message)
    route = await cases.route_partner_message(message.from_user.id)
    if not route.open_cases:
        await message.answer(texts.NO_OPEN_CASE, reply_markup=keyboards.main_menu())
        return
    if incoming is None or incoming.kind == "sticker":
        await message.answer(texts.EMPTY_MESSAGE if message.text is not None else texts.CANNOT_RELAY)
        return
    if route.case is not None:
        await relay(route.case, incoming, cases, debouncer, message)
        return
    # Several open cases: keep the message(s) until the partner says which case they are for.
    data = await state.get_data()
    pending = list(data.get("pending_relay", []))
    pending.append(asdict(incoming))
    await state.update_data(pending_relay=pending)

    async def ask() -> None:
        rows = [[(f"{c.number} · {c.model}"[:60], PickCaseCb(case_id=c.id).pack())] for c in route.open_cases]
        await message.answer(texts.PICK_CASE, reply_markup=keyboards.inline(rows))

    debouncer.schedule(f"pick:{message.chat.id}", 0.6, ask)


@router.callback_query(PickCaseCb.filter())
async def on_pick_case(
    callback: CallbackQuery, callback_data: PickCaseCb, state: FSMContext, cases: CaseService, debouncer: Debouncer,
) -> None:
    case = await cases.partners_open_case(callback_data.case_id, callback.from_user.id)
    if case is None:
        await callback.answer(texts.CASE_NOT_FOUND, show_alert=True)
        return
    data = await state.get_data()
    pending = data.get("pending_relay", [])
    await state.update_data(pending_relay=[])
    await callback.answer()
    await drop_buttons(callback)
    for item in pending:
        await relay(case, Incoming(**item), cases, debouncer, callback.message)
    if not pending:
        await callback.message.answer(texts.INTAKE_EXPIRED)


@router.my_chat_member()
async def on_bot_blocked(event: ChatMemberUpdated, outbox: Outbox) -> None:
    if event.chat.type == "private":
        await outbox.partner_blocked_bot(event.chat.id, event.new_chat_member.status == "kicked")


@router.edited_message()
async def on_partner_edit(edited: Message, state: FSMContext, cases: CaseService) -> None:
    incoming = incoming_of(edited)
    case = await cases.case_of_relayed(edited.chat.id, edited.message_id) if incoming else None
    if case is not None and case.partner_id == edited.from_user.id:
        await cases.mirror_edit(case, incoming, partner_header(case), to_partner=False)
    elif incoming is not None:
        # Still kept while the partner picks a case: the edit replaces it, so the new text goes.
        pending = (await state.get_data()).get("pending_relay") or []
        if any(item["message_id"] == incoming.message_id for item in pending):
            await state.update_data(pending_relay=[
                asdict(incoming) if item["message_id"] == incoming.message_id else item for item in pending
            ])
