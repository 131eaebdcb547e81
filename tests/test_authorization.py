"""Authorization: every button is re-checked on the server, admin commands check ids, and no
partner can change another partner's case."""

from __future__ import annotations

import pytest

from bot import texts
from bot.callbacks import CaseCb, FeedbackCb, InfoCb, PickCaseCb
from tests.flows import file_case


async def press_forged(desk, user: int, chat: int, data: str) -> dict:
    anchor = desk.emu.bot_messages(chat)[-1]
    query = await desk.emu.press_button(user, chat, anchor.message_id, data, force=True)
    await desk.settle()
    return desk.emu.callback_answer(query["id"]) or {}


async def resolved_case(desk, user):
    number = await file_case(desk, user=user)
    thread = desk.topic_of(number)
    await desk.engineer_presses("Взять", thread)
    await desk.engineer_writes("/resolve готово", thread)
    return number


async def test_feedback_buttons_check_owner_and_status(desk):
    mine = await resolved_case(desk, desk.partner)
    theirs = await resolved_case(desk, desk.partner2)
    repo = desk.sb.app.cases.cases
    # Another partner's case: refused, nothing changes.
    for action in ("solved", "unsolved"):
        answer = await press_forged(desk, desk.partner, desk.partner, FeedbackCb(action=action, case_id=theirs).pack())
        assert answer.get("text") == texts.CASE_NOT_FOUND
    answer = await press_forged(desk, desk.partner, desk.partner, FeedbackCb(action="rate", case_id=theirs, value=1).pack())
    assert answer.get("text") == texts.CASE_NOT_FOUND
    assert (await repo.get(theirs)).status.value == "resolved" and (await repo.get(theirs)).rating is None
    # One's own case, but the action no longer fits the status.
    await desk.partner_presses("Да, решена")
    answer = await press_forged(desk, desk.partner, desk.partner, FeedbackCb(action="unsolved", case_id=mine).pack())
    assert answer.get("text") == texts.FEEDBACK_TOO_LATE and (await repo.get(mine)).status.value == "closed"
    # Ratings are 1..5 only.
    answer = await press_forged(desk, desk.partner, desk.partner, FeedbackCb(action="rate", case_id=mine, value=9).pack())
    assert (await repo.get(mine)).rating is None


async def test_info_and_pick_buttons_check_the_owner(desk):
    theirs = await file_case(desk, user=desk.partner2)
    thread = desk.topic_of(theirs)
    await desk.engineer_presses("Взять", thread)
    await desk.engineer_writes("/info фото", thread)
    await file_case(desk, user=desk.partner)
    await press_forged(desk, desk.partner, desk.partner, InfoCb(case_id=theirs).pack())
    assert (await desk.sb.app.cases.cases.get(theirs)).status.value == "waiting"
    answer = await press_forged(desk, desk.partner, desk.partner, PickCaseCb(case_id=theirs).pack())
    assert answer.get("text") == texts.CASE_NOT_FOUND
    assert not any("Ответ" in t for t in desk.texts_to(desk.group, thread) if "Иван" in t)


@pytest.mark.parametrize("action", ["claim", "close", "reopen", "unclaim", "level", "canned", "reply", "reply_send",
                                    "reply_cancel"])
async def test_engineer_buttons_from_a_private_chat_do_nothing(desk, action):
    number = await file_case(desk)
    before = await desk.sb.app.cases.cases.get(number)
    await press_forged(desk, desk.partner, desk.partner, CaseCb(action=action, case_id=number, value=1).pack())
    assert await desk.sb.app.cases.cases.get(number) == before
    assert len(desk.emu.bot_messages(desk.group, desk.topic_of(number))) == 1  # only the card


async def test_engineer_actions_must_fit_the_status(desk):
    number = await file_case(desk)
    thread = desk.topic_of(number)
    # Not claimed yet: resolving or asking is refused with a hint.
    await desk.engineer_writes("/resolve всё", thread)
    assert desk.last_to(desk.group, thread).text == texts.CLAIM_FIRST_SHORT
    await desk.engineer_presses("Взять", thread)
    await desk.engineer_writes("/close", thread)
    case = await desk.sb.app.cases.cases.get(number)
    assert case.status.value == "closed"
    answer = await press_forged(desk, desk.engineer2, desk.group, CaseCb(action="claim", case_id=number).pack())
    assert "недоступно" in answer.get("text", "") or "уже ведёт" in answer.get("text", "")
    answer = await press_forged(desk, desk.engineer2, desk.group, CaseCb(action="unclaim", case_id=number).pack())
    assert "недоступно" in answer.get("text", "")
    assert (await desk.sb.app.cases.cases.get(number)).status.value == "closed"
    answer = await press_forged(desk, desk.engineer, desk.group, CaseCb(action="claim", case_id=99999).pack())
    assert answer.get("text") == texts.CASE_NOT_FOUND
