"""An admin's announcement to all partners: text, preview, confirmation."""

from __future__ import annotations

import uuid

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import keyboards, texts
from bot.callbacks import IntakeCb
from bot.services.broadcast import Broadcasts
from bot.visible_text import clean, is_blank
from bot.routing import RouterRecipe
from dialogs.states import Broadcast
from bot.telegram.ui import drop_buttons, replace_text
from bot.telegram.filters import Admin

router = RouterRecipe(__name__)  # built afresh per Dispatcher: handlers.get_routers()
router.message.filter(Admin())
router.callback_query.filter(Admin())

LIMIT = 4000


async def preview(message: Message, state: FSMContext, html: str, broadcasts: Broadcasts) -> None:
    html = clean(html)  # never part of a tag; kept out of every partner's chat
    if len(html) > LIMIT:
        await message.answer(texts.BROADCAST_TOO_LONG)
        return
    await state.set_state(Broadcast.confirm)
    await state.update_data(broadcast_html=html)
    count = len(await broadcasts.recipients())
    await message.answer(html)
    # "Send" names its broadcast: handled again after a crash, it queues nothing twice and can
    # still say the broadcast went out.
    broadcast_id = uuid.uuid4().hex[:12]
    await message.answer(texts.BROADCAST_PREVIEW.format(count=count), reply_markup=keyboards.inline([[
        (texts.BTN_BROADCAST_SEND, IntakeCb(action="bcsend", value=broadcast_id).pack()),
        (texts.BTN_BROADCAST_CANCEL, IntakeCb(action="bc", value="cancel").pack()),
    ]]))


@router.message(Command("broadcast"))
async def cmd_broadcast(message: Message, command: CommandObject, state: FSMContext, broadcasts: Broadcasts) -> None:
    if not is_blank(command.args):
        # Keep the admin's formatting: the text after the command, as HTML.
        html = message.html_text.split(maxsplit=1)[1] if len(message.html_text.split(maxsplit=1)) > 1 else ""
        await preview(message, state, html, broadcasts)
        return
    await state.set_state(Broadcast.text)
    await message.answer(texts.BROADCAST_ASK)


@router.message(Broadcast.text, F.text, ~F.text.startswith("/"))
async def on_text(message: Message, state: FSMContext, broadcasts: Broadcasts) -> None:
    if is_blank(message.text):
        await message.answer(texts.BROADCAST_HINT)
        return
    await preview(message, state, message.html_text, broadcasts)


@router.message(Broadcast.text, ~F.text.startswith("/"))
async def wrong_text(message: Message) -> None:
    await message.answer(texts.BROADCAST_HINT)


@router.callback_query(Broadcast.confirm, IntakeCb.filter(F.action == "bc"))
async def on_confirm(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, broadcasts: Broadcasts) -> None:
    """"Cancel", or "Send" on a preview shown before the buttons named their broadcast."""
    await send_or_cancel(callback, state, broadcasts, None if callback_data.value == "send" else "")


@router.callback_query(Broadcast.confirm, IntakeCb.filter(F.action == "bcsend"))
async def on_send(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, broadcasts: Broadcasts) -> None:
    await send_or_cancel(callback, state, broadcasts, callback_data.value)


async def send_or_cancel(callback: CallbackQuery, state: FSMContext, broadcasts: Broadcasts,
                         broadcast_id: str | None) -> None:
    """broadcast_id "" cancels; None sends under a new id. The "started" message is queued with
    the broadcast, and the dialog closed only after: a crash in between loses neither."""
    html = (await state.get_data()).get("broadcast_html")
    await callback.answer()
    if broadcast_id == "" or not html:
        await state.set_state(None)
        await state.update_data(broadcast_html=None)
        await drop_buttons(callback)
        await callback.message.answer(texts.BROADCAST_CANCELLED)
        return
    await broadcasts.start(callback.from_user.id, html, broadcast_id)
    await state.set_state(None)
    await state.update_data(broadcast_html=None)
    await drop_buttons(callback)


@router.callback_query(IntakeCb.filter(F.action == "bcsend"))
async def on_sent_before(callback: CallbackQuery, callback_data: IntakeCb, broadcasts: Broadcasts) -> None:
    """The press handled again after the dialog closed (after a crash, or a second press)."""
    if not await broadcasts.started(callback.from_user.id, callback_data.value):
        await callback.answer(texts.INTAKE_EXPIRED)
        return
    await callback.answer(texts.BROADCAST_ALREADY_STARTED)
    await drop_buttons(callback)
