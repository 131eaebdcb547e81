"""Errors in handlers: log them, tell the admins (rate-limited, no partner data), apologise to the partner."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import ErrorEvent, Update

from bot import texts
from bot.callbacks import CaseCb, FeedbackCb, InfoCb, PickCaseCb
from bot.services.admin_alerts import AdminAlerts
from bot.services.error_reports import ErrorReports, error_kind
from bot.routing import RouterRecipe
from bot.telegram.filters import chat_of

log = logging.getLogger(__name__)

router = RouterRecipe(__name__)  # built afresh per Dispatcher: handlers.get_routers()

CASE_CALLBACKS = (CaseCb, PickCaseCb, FeedbackCb, InfoCb)


def case_from_callback(data: str | None) -> int | None:
    for factory in CASE_CALLBACKS:
        try:
            return int(factory.unpack(data or "").case_id)
        except (TypeError, ValueError):
            continue
    return None


def case_from_fsm(data: dict[str, Any]) -> int | None:
    # Dialogs that belong to a case keep its id under "<something>_case" (info_case, rating_case).
    for key, value in data.items():
        if (key == "case_id" or key.endswith("_case")) and isinstance(value, int) and value > 0:
            return value
    return None


def private_user(update: Update) -> int | None:
    """The partner to apologise to: the sender of a private message or of a button press in a private chat."""
    event = update.message or update.callback_query
    if event is None or event.from_user is None:
        return None
    chat = chat_of(event)
    return event.from_user.id if chat is not None and chat.type == "private" else None


async def find_case(update: Update, state: FSMContext | None) -> int | None:
    if update.callback_query is not None:
        found = case_from_callback(update.callback_query.data)
        if found is not None:
            return found
    if state is None:
        return None
    try:
        return case_from_fsm(await state.get_data())
    except Exception:  # the storage may be what is failing; the report matters more than the number
        log.warning("Could not read dialog data for the error report of update %s", update.update_id)
        return None


@router.errors()
async def on_error(
    event: ErrorEvent,
    bot: Bot,
    alerts: AdminAlerts,
    error_reports: ErrorReports,
    state: FSMContext | None = None,
) -> bool:
    update, exc = event.update, event.exception
    kind = error_kind(exc)
    held_back = error_reports.admit(kind)
    if held_back is None:
        # The traceback was logged with the first report of this kind; one line is enough now.
        log.error("Update %s (%s) failed again: %s", update.update_id, update.event_type, kind)
    else:
        log.error("Update %s (%s) failed: %s", update.update_id, update.event_type, kind, exc_info=exc)
        try:
            await alerts.notify(texts.error_report(update.update_id, update.event_type, kind,
                                                   await find_case(update, state), held_back))
        except Exception:
            log.exception("Could not report the failure of update %s to the admins", update.update_id)
    # The report is queued before the apology, so once the partner has the apology the report exists.
    await apologise(bot, update)
    return True  # handled: aiogram must not log it again or pass it to the polling loop


async def apologise(bot: Bot, update: Update) -> None:
    query = update.callback_query
    if query is not None:
        try:
            await query.answer(texts.CALLBACK_SORRY)  # stops the spinner on the button
        except Exception as exc:  # already answered, or too old: the chat apology still goes out
            log.warning("Could not answer callback of update %s: %s", update.update_id, type(exc).__name__)
    user_id = private_user(update)
    if user_id is None:
        return  # the engineers' group or an update without a chat: nothing to say to partners
    try:
        await bot.send_message(user_id, texts.SORRY_ERROR)
    except Exception as exc:
        log.warning("Could not apologise for update %s: %s", update.update_id, type(exc).__name__)
