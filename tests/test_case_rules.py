"""Case rules that handlers used to hold, tested on the service alone: no aiogram, no emulator."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import make_schedule
from bot.config import Settings
from bot.domain import NewCase, RequestType, Status
from bot.services.cases import CaseService, Incoming
from bot.services.membership import Access
from bot.storage.cases import CaseRepository
from bot.storage.outbox import MessageLink, MessageLinkRepository
from bot.storage.partners import PartnerRepository

GROUP = -100500
PARTNER = 7001
OTHER_PARTNER = 7002
ENGINEER = 501


class RecordingOutbox:
    """Stands in for the outbox: the service only queues into it inside its transactions."""

    def __init__(self, links: MessageLinkRepository) -> None:
        self.items: list[tuple[int, object, int | None]] = []
        self.links = links

    async def enqueue(self, conn, chat_id, delivery, case_id=None, *args, **kwargs) -> None:
        self.items.append((chat_id, delivery, case_id))

    def wake(self) -> None:
        pass


class FixedMembership:
    def __init__(self, answers: dict[int, Access]) -> None:
        self.answers = answers

    async def access(self, user_id: int) -> Access:
        return self.answers.get(user_id, Access.DENIED)


class PlainButtons:
    """Stands in for bot/keyboards.py: the rows a service queues, without aiogram."""

    def main_menu_rows(self) -> list[list[str]]:
        return [["menu"]]

    def solved_question_rows(self, case_id: int) -> list[list[tuple[str, str]]]:
        return [[("yes", f"solved:{case_id}"), ("no", f"unsolved:{case_id}")]]

    def info_done_rows(self, case_id: int) -> list[list[tuple[str, str]]]:
        return [[("done", f"info:{case_id}")]]


@pytest.fixture
def service(db, clock):
    settings = Settings(_env_file=None, engineers_chat_id=GROUP)
    return CaseService(db=db, cases=CaseRepository(db), outbox=RecordingOutbox(MessageLinkRepository(db)), clock=clock,
                       settings=settings, schedule=make_schedule(settings), buttons=PlainButtons(),
                       membership=FixedMembership({ENGINEER: Access.ALLOWED}))


async def file(service: CaseService, partner_id: int = PARTNER, key: str = "k1") -> int:
    now = service.clock.now()
    await PartnerRepository(service.db).touch(partner_id, "Иван", None, now)  # cases need their partner
    new = NewCase(
        submit_key=key, partner_id=partner_id, request_type=RequestType.CONFIG, brand="Dahua",
        model="DH-IPC-HFW2431SP-S-0280B", model_matched=True, model_folders=(), serial=None,
        description="Не пишет по детекции", web_access=False, contact_name="Иван", contact_company=None,
        contact_phone="+79990000000", level=2, after_hours=False, created_at=now, due_at=now + timedelta(hours=4),
    )
    return (await service.submit(new)).case.id


def text(message_id: int) -> Incoming:
    return Incoming(chat_id=PARTNER, message_id=message_id, kind="text", html="вот фото")


async def test_a_partner_with_one_open_case_writes_to_it_with_several_chooses(service):
    assert (await service.route_partner_message(PARTNER)).open_cases == ()
    first = await file(service, key="a")
    route = await service.route_partner_message(PARTNER)
    assert route.case is not None and route.case.id == first and not route.must_choose
    second = await file(service, key="b")
    await file(service, partner_id=OTHER_PARTNER, key="c")
    route = await service.route_partner_message(PARTNER)
    assert route.case is None and route.must_choose
    assert [c.id for c in route.open_cases] == [first, second]
    await service.claim(first, ENGINEER, "Пётр")
    await service.resolve(first, ENGINEER, "Пётр", "включили запись")
    route = await service.route_partner_message(PARTNER)
    assert route.case is not None and route.case.id == second


async def test_a_case_named_by_a_button_must_be_the_partners_and_open(service):
    mine = await file(service, key="a")
    theirs = await file(service, partner_id=OTHER_PARTNER, key="b")
    assert (await service.partners_open_case(mine, PARTNER)).id == mine
    assert await service.partners_open_case(theirs, PARTNER) is None
    assert await service.partners_open_case(None, PARTNER) is None
    assert await service.partners_open_case(99999, PARTNER) is None
    await service.claim(mine, ENGINEER, "Пётр")
    await service.close(mine, ENGINEER, "Пётр")
    assert await service.partners_open_case(mine, PARTNER) is None


async def test_the_partner_writing_back_puts_a_waiting_case_in_work_again(service):
    case_id = await file(service)
    await service.claim(case_id, ENGINEER, "Пётр")
    await service.request_info(case_id, ENGINEER, "Пётр", "фото раздела Сеть")
    waiting = await service.cases.get(case_id)
    assert waiting.status == Status.WAITING
    await service.relay_from_partner(waiting, text(10), "Иван:")
    assert (await service.cases.get(case_id)).status == Status.CLAIMED
    # A case already in work stays as it is.
    await service.relay_from_partner(await service.cases.get(case_id), text(11), "Иван:")
    assert (await service.cases.get(case_id)).status == Status.CLAIMED


async def test_only_a_member_of_the_engineers_group_can_be_assigned(service):
    from bot import texts

    case_id = await file(service)
    refused = await service.assign(case_id, 999, "Чужой", ENGINEER, "Пётр")
    assert (refused.ok, refused.message) == (False, texts.ASSIGN_NOT_MEMBER)
    assert (await service.cases.get(case_id)).claimed_by is None
    done = await service.assign(case_id, ENGINEER, "Пётр", ENGINEER, "Пётр")
    assert done.ok and (await service.cases.get(case_id)).claimed_by == ENGINEER


async def test_a_group_message_belongs_to_the_case_its_reply_names_else_to_its_topics(service, db):
    in_topic = await file(service, key="a")
    replied_to = await file(service, key="b")
    await service.cases.set_thread(in_topic, 77)
    async with db.batch() as conn:
        await service.outbox.links.add(conn, MessageLink(replied_to, "partner", PARTNER, 5, GROUP, 900, "text"))
    assert (await service.case_in_group(GROUP, None, 77)).id == in_topic
    # A reply to one of a case's messages wins, even inside another case's topic (the shared Wishes topic).
    assert (await service.case_in_group(GROUP, 900, 77)).id == replied_to
    assert (await service.case_in_group(GROUP, 901, 77)).id == in_topic
    assert await service.case_in_group(GROUP, 901, None) is None
    assert await service.case_in_group(GROUP, None, 78) is None
