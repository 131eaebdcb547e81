"""The outbox on its own: typed deliveries, their rows, and the sender against a fake Telegram (no emulator)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import fields
from datetime import timedelta
from types import SimpleNamespace

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter

from bot import keyboards, texts
from bot.app import make_schedule
from bot.config import Settings
from bot.delivery import kinds
from bot.delivery.kinds import (
    AlbumItem, CaseCard, CopyMessage, EditCaption, EditCard, EditText, MediaEntry, MediaGroup, SendFile, SendText,
    TopicAction, decode,
)
from bot.delivery.outbox import EXECUTORS, Outbox
from bot.domain import NewCase, RequestType
from bot.services.cases import CaseService
from bot.storage.cases import CaseRepository
from bot.storage.partners import PartnerRepository

GROUP = -100777
PARTNER = 7101
ADMIN = 42
ENGINEER = 501

EXAMPLES = [
    SendText("привет"),
    SendText("в тему", to_topic=True, buttons=[[("Да", "y:1"), ("Нет", "n:1")]], source=(1, 2),
             reply_to_source=(1, 1), origin="partner", link_kind="text"),
    SendText("меню", menu=[["a", "b"], ["c"]]),
    SendText("в общий", thread_id=17),
    SendText("объявление", broadcast="b1"),
    CopyMessage(5, 6),
    CopyMessage(5, 6, caption="подпись", to_topic=True, origin="engineer", source=(5, 6), reply_to_source=(5, 4)),
    MediaGroup((MediaEntry("photo", "f1", "a"), MediaEntry("photo", "f2")), to_topic=True),
    SendFile("document", "f3", "договор", to_topic=True),
    SendFile("video_note", "f4"),
    AlbumItem("mg1", 5, 7, to_topic=True, origin="partner", source=(5, 7)),
    EditText((5, 6), "новый текст", to_topic=True),
    EditCaption((5, 6), "новая подпись"),
    CaseCard(),
    EditCard(),
    TopicAction("rename"),
    TopicAction("close"),
    TopicAction("reopen"),
]


@pytest.mark.parametrize("delivery", EXAMPLES, ids=lambda d: type(d).__name__)
def test_every_delivery_survives_its_row(delivery):
    stored = json.loads(json.dumps(delivery.to_payload(), ensure_ascii=False))
    assert decode(delivery.kind, stored) == delivery


def test_rows_keep_the_shape_they_always_had():
    # Services' queries read these keys inside the JSON (edits follow a pending source, albums, broadcasts).
    assert CaseCard().to_payload() == {"to": "topic"}
    assert TopicAction("close").to_payload() == {"to": "topic", "action": "close"}
    assert SendText("x", to_topic=True, source=(1, 2), origin="partner").to_payload() == {
        "to": "topic", "text": "x", "source": [1, 2], "origin": "partner"}
    assert AlbumItem("mg", 1, 2).to_payload() == {"media_group_id": "mg", "from_chat_id": 1, "message_id": 2}
    assert SendText("x", broadcast="b").to_payload() == {"text": "x", "broadcast": "b"}
    assert MediaGroup((MediaEntry("photo", "f"),)).to_payload() == {
        "media": [{"type": "photo", "media": "f", "caption": None}]}


def test_rows_queued_by_older_versions_still_read():
    assert decode("send_message", {"text": "t", "reply_markup": keyboards.solved_question(3).model_dump(
        exclude_none=True)}).buttons == tuple(tuple(row) for row in keyboards.solved_question_rows(3))
    assert decode("send_message", {"text": "t", "reply_markup": keyboards.main_menu().model_dump(
        exclude_none=True)}).menu == tuple(tuple(row) for row in keyboards.main_menu_rows())
    assert decode("topic", {"to": "topic", "action": "rename"}) == TopicAction("rename")
    assert decode("edit_card", {"to": "topic"}) == EditCard()
    # A HelpDesk reply's file, as the bridge queued it before deliveries were typed.
    assert decode("mail_file", {"to": "topic", "file": 7, "caption": "c"}) == kinds.HelpDeskFile(7, "c", to_topic=True)
    assert kinds.HelpDeskFile(7, "c").to_payload() == {"file": 7, "caption": "c"}


def test_an_unknown_kind_or_action_is_refused():
    with pytest.raises(ValueError, match="unknown outbox item kind 'fax'"):
        decode("fax", {})
    with pytest.raises(ValueError, match="no topic action 'delete'"):
        TopicAction("delete")


def test_every_kind_has_exactly_one_executor():
    assert set(EXECUTORS) == set(kinds.KINDS.values())
    assert all(f.name != "kind" for cls in kinds.KINDS.values() for f in fields(cls))


# --- the sender against a fake Telegram ------------------------------------------------------------


class FakeTelegram:
    """Records every call by method name and answers like Telegram; `fail` raises once per method."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.fail: dict[str, list[Exception]] = {}
        self._next_id = 100
        self._next_thread = 10

    def _record(self, method: str, **kwargs):
        self.calls.append((method, kwargs))
        pending = self.fail.get(method)
        if pending:
            raise pending.pop(0)
        self._next_id += 1
        return SimpleNamespace(message_id=self._next_id)

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]

    async def send_message(self, chat_id, text, **kwargs):
        return self._record("sendMessage", chat_id=chat_id, text=text, **kwargs)

    async def edit_message_text(self, text, **kwargs):
        return self._record("editMessageText", text=text, **kwargs)

    async def copy_message(self, chat_id, from_chat_id, message_id, **kwargs):
        return self._record("copyMessage", chat_id=chat_id, from_chat_id=from_chat_id, message_id=message_id, **kwargs)

    async def create_forum_topic(self, chat_id, name, **kwargs):
        self._record("createForumTopic", chat_id=chat_id, name=name)
        self._next_thread += 1
        return SimpleNamespace(message_thread_id=self._next_thread)

    async def edit_forum_topic(self, chat_id, thread_id, name):
        return self._record("editForumTopic", chat_id=chat_id, thread_id=thread_id, name=name)

    async def close_forum_topic(self, chat_id, thread_id):
        return self._record("closeForumTopic", chat_id=chat_id, thread_id=thread_id)

    async def reopen_forum_topic(self, chat_id, thread_id):
        return self._record("reopenForumTopic", chat_id=chat_id, thread_id=thread_id)

    async def get_chat(self, chat_id):
        return SimpleNamespace(title="Инженеры")

    async def set_message_reaction(self, chat_id, message_id, reaction, **kwargs):
        return self._record("setMessageReaction", chat_id=chat_id, message_id=message_id,
                            reaction=[r.emoji for r in reaction])


class PlainButtons:
    def main_menu_rows(self):
        return keyboards.main_menu_rows()

    def solved_question_rows(self, case_id):
        return keyboards.solved_question_rows(case_id)

    def info_done_rows(self, case_id):
        return keyboards.info_done_rows(case_id)


@pytest.fixture
async def desk(db, clock):
    settings = Settings(_env_file=None, engineers_chat_id=GROUP, admin_ids=(ADMIN,), outbox_chat_interval=0,
                        outbox_group_per_minute=1000, outbox_global_per_second=0)
    telegram = FakeTelegram()
    partners = PartnerRepository(db)
    repo = CaseRepository(db)
    outbox = Outbox(bot=telegram, db=db, settings=settings, clock=clock, cases=repo, partners=partners)
    service = CaseService(db=db, cases=repo, outbox=outbox, clock=clock, settings=settings,
                          schedule=make_schedule(settings), buttons=PlainButtons())
    runner = asyncio.create_task(outbox.run())
    yield SimpleNamespace(telegram=telegram, outbox=outbox, service=service, db=db, clock=clock)
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    await outbox.stop()


async def file_case(desk) -> int:
    now = desk.clock.now()
    await PartnerRepository(desk.db).touch(PARTNER, "Иван", None, now)
    new = NewCase(
        submit_key="k1", partner_id=PARTNER, request_type=RequestType.CONFIG, brand="Dahua", model="DH-IPC-HFW2431S",
        model_matched=True, model_folders=(), serial=None, description="Не пишет по детекции", web_access=False,
        contact_name="Иван", contact_company="Вектор", contact_phone="+79990000000", level=2, after_hours=False,
        created_at=now, due_at=now + timedelta(hours=4),
    )
    case_id = (await desk.service.submit(new)).case.id
    await desk.outbox.wait_idle()
    return case_id


async def test_a_filed_case_gets_a_topic_and_its_card_with_the_claim_button(desk):
    case_id = await file_case(desk)
    assert desk.telegram.methods() == ["createForumTopic", "sendMessage"]
    topic, card = desk.telegram.calls
    case = await desk.service.get(case_id)
    assert topic[1]["name"] == texts.topic_name(case)
    assert card[1]["message_thread_id"] == case.thread_id
    assert card[1]["reply_markup"].inline_keyboard[0][0].text == texts.BTN_CLAIM
    assert case.card_message_id == desk.telegram._next_id


async def test_a_claim_edits_the_card_and_tells_the_partner_and_leaves_the_title(desk):
    case_id = await file_case(desk)
    desk.telegram.calls.clear()
    await desk.service.claim(case_id, ENGINEER, "Пётр")
    await desk.outbox.wait_idle()
    # The group's topic and the partner's chat are lanes of their own: each keeps its order.
    to_group = [(m, kw) for m, kw in desk.telegram.calls if kw.get("chat_id") == GROUP]
    to_partner = [(m, kw) for m, kw in desk.telegram.calls if kw.get("chat_id") == PARTNER]
    assert len(to_group) + len(to_partner) == len(desk.telegram.calls)
    case = await desk.service.get(case_id)
    # The title shows no status: the claim costs the group one call, the card's edit.
    assert [m for m, _ in to_group] == ["editMessageText"]
    assert to_group[0][1]["message_id"] == case.card_message_id
    assert to_group[0][1]["reply_markup"].inline_keyboard[0][0].text == texts.BTN_UNCLAIM
    assert to_group[0][1]["text"].startswith(f"📋 <b>Заявка {case.number}</b> · 🛠 в работе")
    assert [(m, kw["text"]) for m, kw in to_partner] == [
        ("sendMessage", texts.case_claimed_for_partner(case.number, "Пётр"))]


async def test_a_429_holds_the_item_and_it_is_delivered_once_afterwards(desk):
    desk.telegram.fail["sendMessage"] = [TelegramRetryAfter(method=None, message="Too Many Requests", retry_after=0)]
    async with desk.db.batch() as conn:
        await desk.outbox.enqueue(conn, PARTNER, SendText("раз"))
        await desk.outbox.enqueue(conn, PARTNER, SendText("два"))
    desk.outbox.wake()
    await desk.outbox.wait_idle()
    sent = [kw["text"] for method, kw in desk.telegram.calls if method == "sendMessage"]
    assert sent == ["раз", "раз", "два"]  # the refused one again, then in order
    assert await desk.outbox.repo.count_pending() == 0


async def test_a_deleted_topic_is_made_again_with_the_card_first(desk):
    case_id = await file_case(desk)
    old_thread = (await desk.service.get(case_id)).thread_id
    desk.telegram.calls.clear()
    desk.telegram.fail["sendMessage"] = [TelegramBadRequest(method=None, message="Bad Request: message thread not found")]
    case = await desk.service.get(case_id)
    await desk.service.note_in_topic(case, "заметка")
    await desk.outbox.wait_idle()
    assert desk.telegram.methods() == ["sendMessage", "createForumTopic", "sendMessage", "sendMessage"]
    case = await desk.service.get(case_id)
    assert case.thread_id != old_thread
    recreated, note = desk.telegram.calls[2][1], desk.telegram.calls[3][1]
    assert texts.TOPIC_RECREATED in recreated["text"] and recreated["message_thread_id"] == case.thread_id
    assert note["text"] == "заметка" and note["message_thread_id"] == case.thread_id


async def test_a_refused_item_is_failed_and_the_lane_goes_on(desk):
    desk.telegram.fail["sendMessage"] = [TelegramBadRequest(method=None, message="Bad Request: can't parse entities")]
    async with desk.db.batch() as conn:
        await desk.outbox.enqueue(conn, PARTNER, SendText("<b>сломано"))
        await desk.outbox.enqueue(conn, PARTNER, SendText("цело"))
    desk.outbox.wake()
    await desk.outbox.wait_idle()
    row = await desk.db.fetchone("SELECT state, error FROM outbox ORDER BY id LIMIT 1")
    assert (row["state"], row["error"]) == ("failed", "Bad Request: can't parse entities")
    assert [kw["text"] for _, kw in desk.telegram.calls] == ["<b>сломано", "цело"]


# --- the group's budget: nothing sent that would change nothing --------------------------------------


async def test_card_edits_waiting_together_go_out_as_one(desk):
    case_id = await file_case(desk)
    await desk.service.claim(case_id, ENGINEER, "Пётр")  # the card now differs from the one posted
    async with desk.db.batch() as conn:
        await desk.outbox.enqueue(conn, GROUP, EditCard(), case_id)
        await desk.outbox.enqueue(conn, GROUP, EditCard(), case_id)
    desk.telegram.calls.clear()
    desk.outbox.wake()
    await desk.outbox.wait_idle()
    edits = [kw for method, kw in desk.telegram.calls if method == "editMessageText"]
    assert len(edits) == 1
    assert edits[0]["reply_markup"].inline_keyboard[0][0].text == texts.BTN_UNCLAIM
    assert await desk.outbox.repo.count_pending() == 0


async def test_an_unchanged_card_or_title_is_not_sent_again(desk):
    case_id = await file_case(desk)
    await desk.service.claim(case_id, ENGINEER, "Пётр")
    await desk.outbox.wait_idle()
    assert desk.telegram.methods().count("editMessageText") == 1
    desk.telegram.calls.clear()
    async with desk.db.batch() as conn:
        await desk.outbox.enqueue(conn, GROUP, EditCard(), case_id)
        await desk.outbox.enqueue(conn, GROUP, TopicAction("rename"), case_id)
        await desk.outbox.enqueue(conn, GROUP, SendText("после", to_topic=True), case_id)
    desk.outbox.wake()
    await desk.outbox.wait_idle()
    assert desk.telegram.methods() == ["sendMessage"]  # the card and the title already show the claim
    states = await desk.db.fetchall("SELECT state FROM outbox WHERE case_id = ?", (case_id,))
    assert {row["state"] for row in states} == {"done"}


async def test_an_engineers_message_is_marked_when_delivered_and_a_later_mark_covers_earlier_ones(desk):
    case_id = await file_case(desk)
    desk.telegram.calls.clear()
    async with desk.db.batch() as conn:
        await desk.outbox.enqueue(conn, PARTNER, SendText("ответ", origin="engineer", source=(GROUP, 501)), case_id)
        await desk.outbox.enqueue(conn, PARTNER, SendText("уведомление бота"), case_id)
    desk.outbox.wake()
    await desk.outbox.wait_idle()
    marks = [kw for m, kw in desk.telegram.calls if m == "setMessageReaction"]
    assert marks == [{"chat_id": GROUP, "message_id": 501, "reaction": [texts.DELIVERED_MARK]}]
    # Two marks waiting in the case's lane: only the later goes out, it says the earlier arrived too.
    desk.telegram.calls.clear()
    async with desk.db.batch() as conn:
        for message_id in (502, 503):
            await desk.outbox.enqueue(conn, GROUP, kinds.SetReaction(message_id, texts.DELIVERED_MARK), case_id)
    desk.outbox.wake()
    await desk.outbox.wait_idle()
    assert [(m, kw["message_id"]) for m, kw in desk.telegram.calls] == [("setMessageReaction", 503)]
