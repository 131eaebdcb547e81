"""CaseService on its own (no aiogram, no emulator): the transition table decides every action, and each
change queues the typed deliveries the engineers and the partner must get."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import texts
from bot.delivery.kinds import CaseCard, EditCard, SendText, TopicAction
from bot.domain import TRANSITIONS, Action, NewCase, RequestType, Status, allowed, card_actions, next_status
from bot.keyboards import case_card_rows
from bot.services.cases import CaseService
from bot.storage.partners import PartnerRepository
from tests.test_case_rules import ENGINEER, GROUP, PARTNER, PlainButtons
from tests.test_case_rules import service  # noqa: F401  (the fixture: the service over a recording outbox)


async def file(service: CaseService, key: str = "k1") -> int:
    now = service.clock.now()
    await PartnerRepository(service.db).touch(PARTNER, "Иван", None, now)
    new = NewCase(
        submit_key=key, partner_id=PARTNER, request_type=RequestType.CONFIG, brand="Dahua", model="DH-IPC-HFW2431S",
        model_matched=True, model_folders=(), serial=None, description="Не пишет по детекции", web_access=False,
        contact_name="Иван", contact_company=None, contact_phone="+79990000000", level=2, after_hours=False,
        created_at=now, due_at=now + timedelta(hours=4),
    )
    return (await service.submit(new)).case.id


async def in_status(service: CaseService, status: Status, *, owned: bool = True) -> int:
    """A case put straight into `status` (owned by the engineer unless it is new or `owned` is False)."""
    case_id = await file(service)
    if status != Status.NEW:
        fields = {"claimed_by": ENGINEER, "claimed_by_name": "Пётр"} if owned else {}
        if status == Status.WAITING:
            fields["waiting_since"] = service.clock.now()
        async with service.db.transaction() as conn:
            assert await service.cases.change_status(conn, case_id, Status.NEW, status, **fields)
    service.outbox.items.clear()
    return case_id


ACTIONS = {
    Action.CLAIM: lambda s, c: s.claim(c, ENGINEER + 1, "Анна"),
    Action.UNCLAIM: lambda s, c: s.unclaim(c, ENGINEER, "Пётр"),
    Action.ASSIGN: lambda s, c: s.assign(c, ENGINEER, "Пётр", ENGINEER, "Пётр"),
    Action.REQUEST_INFO: lambda s, c: s.request_info(c, ENGINEER, "Пётр", "фото"),
    Action.PARTNER_ANSWERED: lambda s, c: s.partner_answered(c, PARTNER),
    Action.TO_VENDOR: lambda s, c: s.to_vendor(c, ENGINEER, "Пётр", "в Dahua"),
    Action.RESOLVE: lambda s, c: s.resolve(c, ENGINEER, "Пётр", "обновили прошивку"),
    Action.CLOSE: lambda s, c: s.close(c, ENGINEER, "Пётр"),
    Action.REOPEN: lambda s, c: s.reopen(c, ENGINEER, "Пётр"),
    Action.FEEDBACK: lambda s, c: s.partner_feedback(c, PARTNER, solved=True),
    Action.RATE: lambda s, c: s.rate(c, PARTNER, 5),
}


async def outcome(service: CaseService, action: Action, case_id: int) -> bool:
    result = await ACTIONS[action](service, case_id)
    return result.won if action == Action.CLAIM else result.ok


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(ACTIONS))
async def test_the_service_allows_exactly_what_the_table_allows(service, action, status):
    case_id = await in_status(service, status)
    assert await outcome(service, action, case_id) is allowed(action, status)
    after = (await service.get(case_id)).status
    if not allowed(action, status):
        assert after == status and service.outbox.items == []
    elif action == Action.FEEDBACK:
        assert after == Status.CLOSED  # "solved" closes the case
    else:
        assert after == next_status(action, status)


@pytest.mark.parametrize("status", list(Status))
async def test_the_level_changes_only_where_the_table_allows_it(service, status):
    case_id = await in_status(service, status)
    case = await service.set_level(case_id, 1, ENGINEER, "Пётр")
    assert (case.level == 1) is allowed(Action.SET_LEVEL, status)


async def test_reopening_a_case_nobody_owns_makes_it_new_again(service):
    case_id = await in_status(service, Status.RESOLVED, owned=False)
    assert (await service.reopen(case_id, ENGINEER, "Пётр")).ok
    assert (await service.get(case_id)).status == Status.NEW


def test_every_status_has_its_icon_label_and_a_way_in_and_out():
    assert set(texts.STATUS_ICONS) == {s.value for s in Status}
    assert all(texts.status_label(s) for s in Status)
    targets = {t.target for t in TRANSITIONS} | {Status.NEW}
    sources = {t.source for t in TRANSITIONS}
    assert targets == set(Status) and sources == set(Status)


@pytest.mark.parametrize("status", list(Status))
async def test_the_cards_buttons_are_the_tables_card_actions(service, status):
    case = await service.get(await in_status(service, status))
    shown = {data.split(":")[1] for row in case_card_rows(case) for _, data in row}
    assert shown == {a.value for a in card_actions(status)}
    assert all(allowed(Action(a), status) for a in shown)


async def test_filing_queues_the_card_first_then_the_partners_confirmation(service):
    case_id = await file(service)
    assert service.outbox.items == [(GROUP, CaseCard(), case_id)]  # without `confirm` the partner is told nothing
    service.outbox.items.clear()
    now = service.clock.now()
    new = NewCase(
        submit_key="k2", partner_id=PARTNER, request_type=RequestType.CONFIG, brand="Dahua", model="M",
        model_matched=False, model_folders=(), serial=None, description="d", web_access=None, contact_name="Иван",
        contact_company=None, contact_phone="+7", level=2, after_hours=False, created_at=now, due_at=None,
    )
    second = (await service.submit(new, confirm=[])).case.id
    assert service.outbox.items == [
        (GROUP, CaseCard(), second),
        (PARTNER, SendText(texts.case_accepted(f"№{second}", []), menu=[["menu"]]), second),
    ]


async def test_resolving_queues_the_card_and_the_partners_question_and_no_rename(service):
    case_id = await in_status(service, Status.CLAIMED)
    await service.resolve(case_id, ENGINEER, "Пётр", "обновили прошивку")
    case = await service.get(case_id)
    assert service.outbox.items == [
        (GROUP, EditCard(), case_id),
        (PARTNER, SendText(texts.resolved_for_partner(case.number, "обновили прошивку"),
                           buttons=PlainButtons().solved_question_rows(case_id)), case_id),
    ]


async def test_closing_and_reopening_open_and_close_the_topic(service):
    case_id = await in_status(service, Status.RESOLVED)
    await service.close(case_id, ENGINEER, "Пётр")
    assert [d for _, d, _ in service.outbox.items if isinstance(d, TopicAction)] == [TopicAction("close")]
    service.outbox.items.clear()
    await service.reopen(case_id, ENGINEER, "Пётр")
    assert [d for _, d, _ in service.outbox.items if isinstance(d, TopicAction)] == [TopicAction("reopen")]


async def test_a_rating_and_its_comment_go_onto_the_card_not_into_the_closed_topic(service):
    case_id = await in_status(service, Status.CLOSED)
    service.outbox.items.clear()
    await service.rate(case_id, PARTNER, 4)
    await service.rating_comment(case_id, PARTNER, "Спасибо")
    assert service.outbox.items == [(GROUP, EditCard(), case_id), (GROUP, EditCard(), case_id)]
    case = await service.get(case_id)
    assert (case.rating, case.rating_comment) == (4, "Спасибо")
