"""Bad input, property-based: whatever arrives at any dialog step or in the group, the bot answers
clearly or ignores it safely, never crashes, never sends broken HTML and never leaks another
partner's data."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import texts
from bot.callbacks import CaseCb, FeedbackCb, InfoCb, IntakeCb, PickCaseCb
from bot.services.intake_draft import IntakeDraft
from dialogs.states import Intake
from tests.flows import file_case, run_dialog_to_summary

SECRET_COMPANY = "ЗАО Секрет-42"
SECRET_PHONE = "+79990004242"

NASTY = [
    "<b>жирный</b>", "<script>alert(1)</script>", "&amp; &lt; &#1234; &", "*bold* _it_ `code` [x](http://e.vil)",
    "\u202eевиг\u202c", "زاوية الكاميرا لا تعمل", "a\u200bb\u200cc\u200dd\ufeff", "🔥" * 50, "\u0000\u0007",
    "/start@other_bot", "/unknown_cmd args", "   ", "x" * 4500, "Ё" * 4096, "<i>незакрыт", "</b>",
]
text_strategy = st.one_of(
    st.sampled_from(NASTY),
    st.text(min_size=1, max_size=300),
    st.text(alphabet=st.characters(categories=["Lo", "So", "Cf", "Mn", "Zs", "Sm"]), min_size=1, max_size=80),
)
other_kinds = st.sampled_from(["sticker", "location", "poll", "dice", "contact", "big_document", "photo", "voice"])
forged_data = st.one_of(
    st.text(min_size=1, max_size=64).filter(lambda s: len(s.encode()) <= 64),
    st.builds(lambda c, v: IntakeCb(action=c, value=v).pack(), st.sampled_from(["type", "brand", "model", "serial",
              "files", "web", "contact", "company", "summary", "edit", "draft", "bc", "zz"]),
              st.text(alphabet="abcdefgh0123456789-", max_size=10)),
    st.builds(lambda a, i, v: CaseCb(action=a, case_id=i, value=v).pack(),
              st.sampled_from(["claim", "close", "reopen", "unclaim", "level", "reply", "canned", "x"]),
              st.integers(-5, 99999), st.integers(-3, 9)),
    st.builds(lambda a, i, v: FeedbackCb(action=a, case_id=i, value=v).pack(),
              st.sampled_from(["solved", "unsolved", "rate", "skip"]), st.integers(0, 2000), st.integers(-1, 9)),
    st.builds(lambda i: InfoCb(case_id=i).pack(), st.integers(0, 2000)),
    st.builds(lambda i: PickCaseCb(case_id=i).pack(), st.integers(0, 2000)),
)

STEPS = ["request_type", "brand", "brand_other", "label", "model", "serial", "description", "attachments",
         "web_access", "contact", "contact_confirm", "contact_name", "contact_company", "contact_phone", "summary", "edit", None]

DRAFT = {
    "submit_key": "fuzz", "request_type": "config", "brand": "Dahua", "model": "DH-IPC-HFW2431SP-S-0280B",
    "model_matched": True, "model_folders": [], "serial": "7J0123456789ABC",
    "description": "Камера не отправляет события на регистратор, детектор включён.", "attachments": [],
    "web_access": True, "contact": {"name": "Иван", "company": "ООО Ромашка", "phone": "+79991234567"},
}


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        # asyncio reports unclosed aiohttp sessions whenever the collector happens to find them,
        # whichever test made them; the bot's own session is closed by App.close().
        if record.name == "asyncio" and record.getMessage().startswith(("Unclosed client session", "Unclosed connector")):
            return
        self.records.append(record)


@pytest.fixture
def errors():
    # Objects an earlier test left for the garbage collector (an unclosed aiohttp session, say)
    # are reported now, before this test starts listening for errors.
    gc.collect()
    handler = Errors()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


def run_in_thread(loop: asyncio.AbstractEventLoop, test: Callable[[], None]) -> Coroutine[Any, Any, None]:
    """Hypothesis drives examples synchronously; each example's coroutine runs on the bot's loop."""
    return asyncio.to_thread(test)


def on_loop(loop: asyncio.AbstractEventLoop, coro) -> Any:
    return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)


async def send_kind(desk, user: int, kind: str, **where) -> None:
    emu = desk.emu
    if kind == "sticker":
        await emu.send_sticker(user, **where)
    elif kind == "location":
        await emu.send_location(user, **where)
    elif kind == "poll":
        await emu.send_poll(user, **where)
    elif kind == "dice":
        await emu.send_dice(user, **where)
    elif kind == "contact":
        await emu.send_contact(user, "+70000000000", "Чужой", contact_user_id=424242, **where)
    elif kind == "big_document":
        await emu.send_document(user, file_name="dump.bin", file_size=25 * 1024 * 1024, **where)
    elif kind == "photo":
        await emu.send_photo(user, caption="<b>фото</b>", **where)
    elif kind == "voice":
        await emu.send_voice(user, **where)


def check_invariants(desk, errors: Errors) -> None:
    broken = [c for c in desk.emu.calls() if c.error and ("parse entities" in c.error or "too long" in c.error)]
    assert not broken, [str(c) for c in broken[:3]]
    assert not errors.records, [r.getMessage() for r in errors.records[:3]]
    assert not desk.emu.internal_errors
    leaked = [t for t in desk.texts_to(desk.partner) if SECRET_COMPANY in t or SECRET_PHONE in t]
    assert not leaked


@pytest.mark.parametrize("step", STEPS)
async def test_any_input_at_any_step(desk, errors, step):
    # Another partner's case holds data that must never reach this partner.
    await file_case(desk, user=desk.partner2)
    await desk.sb.app.partners.save_contact(desk.partner2, "Ольга", SECRET_COMPANY, SECRET_PHONE)
    if step is None:
        await file_case(desk)  # outside a dialog with an open case: messages are relayed
    loop = asyncio.get_running_loop()
    storage = desk.sb.app.dp.storage
    key = StorageKey(bot_id=desk.sb.app.bot.id, chat_id=desk.partner, user_id=desk.partner)

    async def put_on_step() -> None:
        await storage.set_state(key, None if step is None else getattr(Intake, step))
        await storage.set_data(key, {"draft": dict(DRAFT)} if step else {})

    async def one(text: str | None, kind: str | None) -> None:
        await put_on_step()
        before = len(desk.emu.bot_messages(desk.partner))
        if text is not None and text.strip():
            await desk.emu.send_text(desk.partner, text)
        else:
            await send_kind(desk, desk.partner, kind or "sticker")
        await desk.settle()
        check_invariants(desk, errors)
        if step not in (None, "attachments"):
            # Every wrong or odd input gets an answer (in attachments a file is simply taken).
            assert len(desk.emu.bot_messages(desk.partner)) > before

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.one_of(st.tuples(text_strategy, st.none()), st.tuples(st.none(), other_kinds)))
    def property_(example):
        on_loop(loop, one(*example))

    await run_in_thread(loop, property_)


async def test_forged_callbacks_and_strangers_change_nothing(desk, errors):
    mine = await file_case(desk)
    theirs = await file_case(desk, user=desk.partner2)
    await desk.sb.app.partners.save_contact(desk.partner2, "Ольга", SECRET_COMPANY, SECRET_PHONE)
    repo = desk.sb.app.cases.cases
    snapshot = {n: await repo.get(n) for n in (mine, theirs)}
    anchor = desk.last_to_partner()
    desk.emu.add_user(7777, "Незнакомец")
    desk.emu.add_member(desk.group, 7777, status="left")
    loop = asyncio.get_running_loop()
    card = desk.card_of(theirs)

    async def one(data: str, who: str) -> None:
        if who == "partner":
            await desk.emu.press_button(desk.partner, desk.partner, anchor.message_id, data, force=True)
        elif who == "stranger_private":
            await desk.emu.press_button(7777, 7777, 1, data, force=True)
        await desk.settle()
        check_invariants(desk, errors)

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(forged_data, st.sampled_from(["partner", "stranger_private"]))
    def property_(data, who):
        on_loop(loop, one(data, who))

    await run_in_thread(loop, property_)
    for number, case in snapshot.items():
        assert await repo.get(number) == case
    # A stranger writing in the group (not a member) and commands from unknown chats do nothing.
    for text in ("/next", "/close", "/resolve всё", "привет"):
        await desk.emu.send_text(7777, text)
    await desk.settle()
    for number, case in snapshot.items():
        assert await repo.get(number) == case
    assert desk.card_of(theirs).text == card.text
    check_invariants(desk, errors)


async def test_huge_and_injected_text_reaches_the_topic_literally(desk, errors):
    number = await file_case(desk)
    thread = desk.topic_of(number)
    await desk.engineer_presses("Взять", thread)
    for text in ("<b>не жирный</b> & <script>", "x" * 4096, "Ё" * 4090):
        await desk.partner_says(text)
    await desk.sb.app.settle()
    relayed = desk.texts_to(desk.group, thread)
    assert any("<b>не жирный</b> & <script>" in t for t in relayed)
    assert sum(t.count("x") for t in relayed) >= 4096 and sum(t.count("Ё") for t in relayed) >= 4090
    check_invariants(desk, errors)


async def test_big_document_is_taken_as_an_attachment(desk, errors):
    await run_dialog_to_summary(desk)
    await desk.partner_presses("Изменить")
    await desk.partner_presses("Вложения")
    await desk.emu.send_document(desk.partner, file_name="full-dump.bin", file_size=60 * 1024 * 1024)
    await desk.settle()
    assert "Добавлено файлов: 1" in desk.last_to_partner().text
    check_invariants(desk, errors)


async def test_an_update_that_cannot_be_read_is_skipped_and_the_rest_handled(desk, caplog):
    """Telegram adds fields over time; one update the bot cannot parse must not stop the others."""
    caplog.set_level(logging.ERROR, logger="bot.polling")
    bad = desk.emu.world.updates.push_raw({"message": {"message_id": 1, "date": "вчера", "chat": {"id": "x"}}})
    await desk.partner_says("/start")
    assert "Здравствуйте" in desk.last_to_partner().text
    assert f"Update {bad.update_id} could not be read" in caplog.text
    assert await desk.sb.app.db.fetchall("SELECT update_id FROM inbox WHERE handled_at IS NULL") == []


# Zero-width space, direction marks, a variation selector, an invisible separator, a Hangul filler,
# a soft hyphen, a BOM and plain spaces: nothing a person would see.
INVISIBLE = "\u200b\u200e \ufe0f\u2063\u3164 \u00ad\u202e\ufeff\u200f"

STEP_ANSWERS = {
    "brand_other": texts.INTAKE_BRAND_OTHER,
    "model": texts.INTAKE_MODEL_HINT,
    "serial": "не подходит: номер пустой",
    "description": texts.INTAKE_DESCRIPTION_SHORT,
    "contact_name": texts.INTAKE_CONTACT_NAME_HINT,
    "contact_company": texts.INTAKE_CONTACT_COMPANY,
    "contact_phone": "не подходит: номер пустой",
}


@pytest.mark.parametrize("step", list(STEP_ANSWERS))
async def test_an_answer_of_invisible_characters_is_empty_at_every_intake_step(desk, step):
    storage = desk.sb.app.dp.storage
    key = StorageKey(bot_id=desk.sb.app.bot.id, chat_id=desk.partner, user_id=desk.partner)
    draft = {**DRAFT, "brand": "Hikvision"}
    await storage.set_state(key, getattr(Intake, step))
    await storage.set_data(key, {"draft": draft})
    before = len(desk.emu.bot_messages(desk.partner))
    # Long enough for a description, with three "words" of Hangul fillers (letters to a regex).
    await desk.partner_says(INVISIBLE * 3 if step == "description" else INVISIBLE)
    answers = desk.texts_to(desk.partner)[before:]
    assert any(STEP_ANSWERS[step] in a for a in answers), answers
    # Still on the step, and nothing of the answer was kept.
    assert await storage.get_state(key) == getattr(Intake, step).state
    # (The draft stored as version 1's dict comes back as the typed draft; the refused question's
    # message is remembered so its buttons can go later, and nothing else differs.)
    stored = IntakeDraft.from_dict((await storage.get_data(key))["draft"])
    assert stored.changed(buttons=()) == IntakeDraft.from_dict(draft)


def test_exactly_control_and_format_characters_are_stripped():
    """The ranges in bot.visible_text against this Python's Unicode data, every code point."""
    import sys
    import unicodedata

    from bot.visible_text import clean

    wrong = []
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        category = unicodedata.category(char)
        stripped = (category == "Cf" or (category == "Cc" and char not in "\t\n") or category == "Cs")
        if (clean(f"a{char}a") == "aa") != stripped:
            wrong.append(hex(code))
    assert wrong == []
    assert clean("👍\u200d👍") == "👍\u200d👍" and clean("🏴\U000e0067\U000e0062\U000e007f") == "🏴\U000e0067\U000e0062\U000e007f"


async def test_invisible_answers_are_empty_outside_the_intake_too(desk):
    """Info-request answers, a message to the case, rating comments, engineers' command texts
    and broadcasts: each gets its usual "please write it" and nothing blank is passed on."""
    number = await file_case(desk)
    thread = desk.topic_of(number)
    await desk.engineer_presses("Взять", thread)
    in_topic = len(desk.emu.bot_messages(desk.group, thread))
    await desk.partner_says(INVISIBLE)  # outside any dialog: would go to the case
    assert desk.last_to_partner().text == texts.EMPTY_MESSAGE
    await desk.engineer_writes(INVISIBLE, thread)  # nothing blank reaches the partner either
    assert desk.last_to_partner().text == texts.EMPTY_MESSAGE
    await desk.engineer_writes("/info " + INVISIBLE, thread)
    assert texts.NEEDS_ARGUMENT.split(":")[0] in desk.texts_to(desk.group, thread)[-1]
    await desk.engineer_writes("/info фото раздела Сеть", thread)
    await desk.partner_says(INVISIBLE)  # the answer to the engineer's request
    assert texts.INFO_HINT in desk.last_to_partner().text
    relayed = desk.texts_to(desk.group, thread)[in_topic:]
    assert not [t for t in relayed if "партнёр:" in t], relayed
    query = await desk.partner_presses("Готово")  # nothing was answered yet: the case still waits
    answer = desk.emu.callback_answer(query["id"])
    assert (answer["text"], answer.get("show_alert")) == (texts.INFO_NOTHING_YET, True)
    assert (await desk.sb.app.cases.cases.get(number)).status.value == "waiting"
    await desk.partner_says("Сеть: DHCP выключен, адрес 192.168.1.108")
    await desk.partner_presses("Готово")
    await desk.engineer_writes("/resolve " + INVISIBLE, thread)
    assert (await desk.sb.app.cases.cases.get(number)).status.value == "claimed"
    await desk.engineer_writes("/resolve включили отправку событий", thread)
    await desk.partner_presses("Да, решена")
    await desk.partner_presses("5")
    await desk.partner_says(INVISIBLE)
    assert desk.last_to_partner().text == texts.RATE_HINT
    assert (await desk.sb.app.cases.cases.get(number)).rating_comment is None

    await desk.emu.send_text(desk.admin, "/broadcast " + INVISIBLE)
    await desk.settle()
    assert desk.last_to(desk.admin).text == texts.BROADCAST_ASK
    await desk.emu.send_text(desk.admin, INVISIBLE)
    await desk.settle()
    assert desk.last_to(desk.admin).text == texts.BROADCAST_HINT


async def test_stored_text_keeps_no_control_or_format_characters(desk):
    desk.emu.add_user(5252, "Ал\u200bексей\u202e")
    desk.emu.add_member(desk.group, 5252)
    await desk.partner_says("📝 Новая заявка")
    await desk.partner_presses("Проблема с настройкой")
    await desk.partner_presses("Другая марка")
    await desk.partner_says("Hik\u200bvision\u2066")
    await desk.partner_says("DS-2CD\u200d2043G2-I")
    await desk.partner_presses("Нет под рукой")
    await desk.partner_says("Камера\u200b не \u202eпишет\u202c архив\x07 на диск 👨\u200d👩\u200d👧 с утра")
    await desk.emu.send_photo(desk.partner, caption="\u200b\u200b")  # a blank caption is no caption
    await desk.settle()
    await desk.partner_presses("Готово")
    await desk.partner_presses("Да")
    for answer in ("Иван\u200b Петров\ufeff", "ООО\u00a0Ромашка\u200e", "+7 999\u200b 123-45-67"):
        await desk.partner_says(answer)
    await desk.partner_presses("Отправить")
    thread = desk.topic_of(1001)
    await desk.engineer_presses("Взять", thread, user=5252)
    case = await desk.sb.app.cases.cases.get(1001)
    assert (case.brand, case.model, case.contact_name, case.contact_company, case.contact_phone) == (
        "Hikvision", "DS-2CD2043G2-I", "Иван Петров", "ООО Ромашка", "+79991234567")
    # The family emoji keeps its joiners: they are what make it one picture.
    assert case.description == "Камера не пишет архив на диск 👨\u200d👩\u200d👧 с утра"
    assert case.claimed_by_name == "Алексей"
    [attachment] = await desk.sb.app.cases.cases.attachments(1001)
    assert attachment.caption is None
    partner = await desk.sb.app.partners.get(desk.partner)
    assert (partner.name, partner.company) == ("Иван Петров", "ООО Ромашка")
