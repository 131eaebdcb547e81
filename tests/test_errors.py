"""Errors in handlers: the rate limiter, and end to end the apology and the admins' report."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

import pytest
from aiogram import Router
from aiogram.types import Update

from bot import texts
from bot.callbacks import CaseCb, FeedbackCb, IntakeCb
from bot.clock import MSK, FixedClock
from bot.services.error_reports import ErrorReports, error_kind, error_place
from handlers import errors
from tests.helpers import Desk

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=MSK)


# --- the limiter ---------------------------------------------------------------------------------

def test_first_error_of_a_kind_is_reported_then_held_back_within_the_window():
    clock = FixedClock(T0)
    reports = ErrorReports(clock, window=timedelta(seconds=60))
    assert reports.admit("RuntimeError at a.py:f") == 0
    clock.advance(timedelta(seconds=30))
    assert reports.admit("RuntimeError at a.py:f") is None
    assert reports.admit("RuntimeError at a.py:f") is None
    assert reports.held_back("RuntimeError at a.py:f") == 2
    # Another kind has its own window.
    assert reports.admit("KeyError at b.py:g") == 0


def test_after_the_window_the_next_report_carries_the_held_back_count():
    clock = FixedClock(T0)
    reports = ErrorReports(clock, window=timedelta(seconds=60))
    reports.admit("E")
    clock.advance(timedelta(seconds=10))
    reports.admit("E")
    reports.admit("E")
    clock.advance(timedelta(seconds=50))  # exactly one window after the report
    assert reports.admit("E") == 2
    assert reports.held_back("E") == 0
    clock.advance(timedelta(seconds=59))
    assert reports.admit("E") is None
    clock.advance(timedelta(seconds=1))
    assert reports.admit("E") == 1


def test_window_must_be_positive():
    with pytest.raises(ValueError):
        ErrorReports(FixedClock(T0), window=timedelta(0))


def _raise_here() -> None:
    raise LookupError("partner typed +7 999 123-45-67")


def test_error_kind_names_type_and_place_but_not_the_message():
    try:
        _raise_here()
    except LookupError as exc:
        assert error_place(exc) == "test_errors.py:_raise_here"
        assert error_kind(exc) == "LookupError at test_errors.py:_raise_here"
    assert error_place(RuntimeError("no traceback")) == "?"


# --- pieces of the handler -----------------------------------------------------------------------

def _user(user_id: int) -> dict:
    return {"id": user_id, "is_bot": False, "first_name": "Иван"}


def _message(chat: dict, text: str = "текст партнёра") -> dict:
    return {"message_id": 5, "date": 1, "chat": chat, "from": _user(1001), "text": text}


PRIVATE = {"id": 1001, "type": "private", "first_name": "Иван"}
GROUP = {"id": -1001000000001, "type": "supergroup", "title": "инженеры", "is_forum": True}


def test_apology_goes_only_to_private_chats():
    assert errors.private_user(Update(update_id=1, message=_message(PRIVATE))) == 1001
    assert errors.private_user(Update(update_id=2, message=_message(GROUP))) is None
    query = {"id": "q", "from": _user(1001), "chat_instance": "ci", "data": "x", "message": _message(PRIVATE)}
    assert errors.private_user(Update(update_id=3, callback_query=query)) == 1001
    query_in_group = {**query, "from": _user(2001), "message": _message(GROUP)}
    assert errors.private_user(Update(update_id=4, callback_query=query_in_group)) is None
    member = {
        "chat": PRIVATE, "from": _user(1001), "date": 1,
        "old_chat_member": {"status": "member", "user": _user(1)},
        "new_chat_member": {"status": "kicked", "user": _user(1), "until_date": 0},
    }
    assert errors.private_user(Update(update_id=5, my_chat_member=member)) is None


def test_case_number_from_callback_data_and_dialog_data():
    assert errors.case_from_callback(FeedbackCb(action="solved", case_id=7).pack()) == 7
    assert errors.case_from_callback(CaseCb(action="claim", case_id=12).pack()) == 12
    assert errors.case_from_callback(IntakeCb(action="type", value="config").pack()) is None
    assert errors.case_from_callback("garbage") is None and errors.case_from_callback(None) is None
    assert errors.case_from_fsm({"info_case": 9, "draft": {"model": "X"}}) == 9
    assert errors.case_from_fsm({"rating_case": 3}) == 3
    assert errors.case_from_fsm({"draft": {"phone": "+79991234567"}}) is None


def test_report_has_ids_only():
    update = Update(update_id=100000042, message=_message(PRIVATE, "мой телефон +7 999 123-45-67"))
    text = texts.error_report(update.update_id, update.event_type, "RuntimeError at common.py:on_my_cases", 5,
                              held_back=3)
    assert "100000042" in text and "RuntimeError" in text and "№5" in text and "3" in text
    for leak in ("телефон", "999", "Иван", "1001"):
        assert leak not in text


# --- end to end ----------------------------------------------------------------------------------

def _contains(root: Router, name: str) -> bool:
    return root.name == name or any(_contains(child, name) for child in root.sub_routers)


@pytest.fixture
def wired(desk: Desk) -> Desk:
    """The errors router and the limiter as bot/app.py wires them; added here only while it does not."""
    dp = desk.sb.app.dp
    if not _contains(dp, errors.router.name):
        dp.include_router(errors.router.build())
    if "error_reports" not in dp.workflow_data:
        dp["error_reports"] = ErrorReports(clock=desk.sb.clock)
    return desk


def _update_id_of(desk: Desk, message: dict) -> int:
    for call in desk.emu.calls("getUpdates"):
        for update in call.result or []:
            sent = update.get("message")
            if sent and sent["chat"]["id"] == message["chat"]["id"] and sent["message_id"] == message["message_id"]:
                return update["update_id"]
    raise AssertionError("the bot never fetched that message")


def _apologies(desk: Desk, user: int) -> int:
    return desk.texts_to(user).count(texts.SORRY_ERROR)


async def test_failing_handler_apologises_and_reports_to_admins_once_per_window(wired, clock, monkeypatch, caplog):
    desk = wired
    caplog.set_level(logging.INFO)

    async def broken(*args, **kwargs):
        raise RuntimeError("storage gave up for Иван +7 999 123-45-67")

    monkeypatch.setattr(desk.sb.app.dp["case_repo"], "for_partner", broken)

    first = await desk.partner_says(texts.MENU_MY_CASES)
    await desk.emu.wait_for(lambda: _apologies(desk, desk.partner) == 1, timeout=5)
    await desk.settle()
    await desk.emu.wait_for(lambda: desk.emu.bot_messages(desk.admin), timeout=5)
    partner_texts = desk.texts_to(desk.partner)
    assert not any("Traceback" in t or "RuntimeError" in t or "storage gave up" in t for t in partner_texts)

    [report] = desk.texts_to(desk.admin)
    assert str(_update_id_of(desk, first)) in report
    assert "RuntimeError" in report
    for leak in ("Мои заявки", "Иван", "Петров", "ivan_montazh", "999", "storage gave up", str(desk.partner)):
        assert leak not in report, leak

    # The same failure again within the window: the partner is told, the admins are not.
    await desk.partner_says(texts.MENU_MY_CASES)
    await desk.emu.wait_for(lambda: _apologies(desk, desk.partner) == 2, timeout=5)
    await desk.settle()
    assert len(desk.emu.bot_messages(desk.admin)) == 1

    # A window later the next failure is reported with the count of those held back.
    clock.advance(timedelta(seconds=61))
    third = await desk.partner_says("/cases")
    await desk.emu.wait_for(lambda: _apologies(desk, desk.partner) == 3, timeout=5)
    await desk.settle()
    await desk.emu.wait_for(lambda: len(desk.emu.bot_messages(desk.admin)) == 2, timeout=5)
    second_report = desk.texts_to(desk.admin)[1]
    assert str(_update_id_of(desk, third)) in second_report
    assert re.search(r"ещё 1\b", second_report)

    failures = [r for r in caplog.records if r.name == errors.__name__ and r.levelno == logging.ERROR]
    assert len(failures) == 3
    assert failures[0].exc_info and not failures[1].exc_info  # one traceback per report, not per failure
    assert str(_update_id_of(desk, first)) in failures[0].getMessage()
    # Handled: aiogram does not log the exception a second time.
    assert not [r for r in caplog.records if r.name.startswith("aiogram") and r.levelno >= logging.ERROR]


async def test_failing_button_answers_the_callback_and_names_the_case(wired, monkeypatch):
    desk = wired

    async def broken(*args, **kwargs):
        raise KeyError("case")

    monkeypatch.setattr(desk.sb.app.dp["cases"], "partner_feedback", broken)
    await desk.partner_says("/start")
    greeting = desk.last_to_partner()
    query = await desk.emu.press_button(
        desk.partner, desk.partner, greeting.message_id, FeedbackCb(action="solved", case_id=7).pack(), force=True
    )
    await desk.emu.wait_for(lambda: _apologies(desk, desk.partner) == 1, timeout=5)
    await desk.settle()
    assert desk.emu.callback_answer(query["id"])["text"] == texts.CALLBACK_SORRY
    await desk.emu.wait_for(lambda: desk.emu.bot_messages(desk.admin), timeout=5)
    [report] = desk.texts_to(desk.admin)
    assert "KeyError" in report and "№7" in report and "callback_query" in report


async def test_failure_in_the_group_says_nothing_to_partners(wired, monkeypatch):
    desk = wired

    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(desk.sb.app.dp["case_repo"], "unclaimed", broken)
    await desk.engineer_writes("/queue", thread_id=None)
    await desk.emu.wait_for(lambda: desk.emu.bot_messages(desk.admin), timeout=5)
    await desk.settle()
    assert desk.emu.bot_messages(desk.partner) == [] and desk.emu.bot_messages(desk.group) == []
    [report] = desk.texts_to(desk.admin)
    assert "RuntimeError" in report and "/queue" not in report and "Алексей" not in report
