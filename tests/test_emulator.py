"""The Bot API emulator, exercised through aiogram's real HTTP session as the bot will use it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    ChatMemberAdministrator,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    ReplyParameters,
    Update,
)

from tgemu import Emulator, EmulatorError, make_png
from tgemu.formatting import EntityParseError, parse_html

TOKEN = "424242:AAEmulatorTestToken_abcdefghijklmnop"
PARTNER = 1001
ENGINEER = 2002
GROUP = -1001234567890


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator(token=TOKEN, bot_username="torus_support_bot")
    await emulator.start()
    emulator.add_user(PARTNER, "Иван", "Петров", username="ivan_p")
    emulator.add_user(ENGINEER, "Ольга", username="olga_eng")
    emulator.add_group(GROUP, "Инженеры Torus", is_forum=True)
    emulator.add_member(GROUP, ENGINEER, "administrator", rights={"can_manage_topics": True})
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
async def bot(emu: Emulator) -> AsyncIterator[Bot]:
    assert emu.base_url is not None
    session = AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url))
    client = Bot(TOKEN, session=session)
    try:
        yield client
    finally:
        await client.session.close()


async def raw_call(emu: Emulator, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    url = f"{emu.base_url}/bot{emu.token}/{method}"
    async with aiohttp.ClientSession() as http, http.post(url, data=params) as response:
        return response.status, await response.json()


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=text, callback_data=data)] for text, data in pairs]
    )


# --- basics ---------------------------------------------------------------------------------------


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 424242
    assert me.is_bot
    assert me.username == "torus_support_bot"


async def test_send_message_round_trip_is_recorded(emu: Emulator, bot: Bot) -> None:
    answer = await bot.send_message(PARTNER, "Здравствуйте, <b>Иван</b>!", parse_mode="HTML")

    assert answer.chat.id == PARTNER and answer.chat.type == "private"
    assert answer.from_user is not None and answer.from_user.id == emu.bot_id
    assert answer.text == "Здравствуйте, Иван!"
    assert answer.entities is not None and answer.entities[0].type == "bold"
    sent = emu.last_bot_message(PARTNER)
    assert sent is not None
    assert (sent.message_id, sent.text, sent.kind, sent.from_bot) == (answer.message_id, answer.text, "text", True)
    [call] = emu.calls("sendMessage")
    assert call.ok and call.chat_id == PARTNER and call.params["parse_mode"] == "HTML"


async def test_make_bot_helper_and_method_names_are_case_insensitive(emu: Emulator) -> None:
    client = emu.make_bot()
    try:
        assert (await client.get_me()).id == emu.bot_id
    finally:
        await client.session.close()
    status, body = await raw_call(emu, "SENDMESSAGE", chat_id=str(PARTNER), text="hi")
    assert status == 200 and body["ok"] and body["result"]["text"] == "hi"


async def test_unknown_method_answers_404(emu: Emulator) -> None:
    status, body = await raw_call(emu, "noSuchMethod")
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_wrong_token_answers_401(emu: Emulator) -> None:
    async with aiohttp.ClientSession() as http, http.post(f"{emu.base_url}/bot999:wrong/getMe") as response:
        assert response.status == 401
        assert await response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert emu.base_url is not None
    stranger = Bot("999:wrong", session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()
    finally:
        await stranger.session.close()


async def test_missing_text_and_unknown_chat(bot: Bot, emu: Emulator) -> None:
    status, body = await raw_call(emu, "sendMessage", chat_id=str(PARTNER))
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(777, "кто здесь?")


# --- injected faults ------------------------------------------------------------------------------


async def test_retry_after_surfaces_as_telegram_retry_after(emu: Emulator, bot: Bot) -> None:
    emu.faults.add(method="sendMessage", kind="retry_after", retry_after=7, times=1)

    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(PARTNER, "первая попытка")
    assert caught.value.retry_after == 7
    assert "Too Many Requests: retry after 7" in caught.value.message

    await bot.send_message(PARTNER, "вторая попытка")  # times=1: only the first call fails
    assert [c.status for c in emu.calls("sendMessage")] == [429, 200]
    assert [s.text for s in emu.bot_messages(PARTNER)] == ["вторая попытка"]


async def test_a_lasting_retry_after_refuses_the_chat_until_it_is_over(emu: Emulator, bot: Bot) -> None:
    emu.faults.add(method="sendMessage", chat_id=GROUP, kind="retry_after", retry_after=30, lasting=True)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(GROUP, "первая")
    # Another method to the same chat is refused too, with what is left of the pause; other chats are not.
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.create_forum_topic(GROUP, "тема")
    assert 28 <= caught.value.retry_after <= 30
    await bot.send_message(PARTNER, "другой чат")
    emu.faults.clear()  # the pause is over
    await bot.send_message(GROUP, "вторая")
    assert [c.status for c in emu.calls() if c.chat_id == GROUP] == [429, 429, 200]


async def test_faults_can_target_one_topic(emu: Emulator, bot: Bot) -> None:
    one = (await bot.create_forum_topic(GROUP, "первая")).message_thread_id
    two = (await bot.create_forum_topic(GROUP, "вторая")).message_thread_id
    emu.faults.add(method="sendMessage", chat_id=GROUP, thread_id=one, kind="server_error", times=None)
    with pytest.raises(TelegramServerError):
        await bot.send_message(GROUP, "в первую", message_thread_id=one)
    await bot.send_message(GROUP, "во вторую", message_thread_id=two)
    assert [m.text for m in emu.bot_messages(GROUP, two) if m.kind == "text"][-1] == "во вторую"


async def test_bot_demoted_or_removed_from_a_group(emu: Emulator, bot: Bot) -> None:
    emu.set_bot_member(GROUP, "member")
    with pytest.raises(TelegramBadRequest, match="not enough rights to create a topic"):
        await bot.create_forum_topic(GROUP, "тема")
    emu.set_bot_member(GROUP, "kicked")
    with pytest.raises(TelegramForbiddenError, match="bot was kicked from the supergroup chat"):
        await bot.send_message(GROUP, "есть кто?")
    updates = await bot.get_updates()
    changes = [(u.my_chat_member.old_chat_member.status, u.my_chat_member.new_chat_member.status)
               for u in updates if u.my_chat_member and u.my_chat_member.chat.id == GROUP]
    assert changes == [("administrator", "member"), ("member", "kicked")]
    emu.set_bot_member(GROUP, "administrator")
    await bot.create_forum_topic(GROUP, "тема")


async def test_thread_not_found_blocked_and_server_error(emu: Emulator, bot: Bot) -> None:
    emu.faults.add(method="sendMessage", chat_id=GROUP, kind="thread_not_found")
    emu.faults.add(method="sendMessage", chat_id=PARTNER, kind="blocked")
    emu.faults.add(method="sendPhoto", kind="server_error", status=502)

    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(GROUP, "в тему", message_thread_id=5)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(PARTNER, "привет")
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_photo(PARTNER, BufferedInputFile(make_png(10, 10), "p.png"))
    assert emu.faults.active == []


async def test_dropped_connection_is_a_network_error(emu: Emulator, bot: Bot) -> None:
    emu.faults.add(method="sendMessage", kind="drop")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(PARTNER, "потеряется")
    assert emu.bot_messages(PARTNER) == []

    # drop_after: Telegram did send it, the bot just never heard back.
    emu.faults.add(method="sendMessage", kind="drop_after")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(PARTNER, "дойдёт, но без ответа")
    assert [s.text for s in emu.bot_messages(PARTNER)] == ["дойдёт, но без ответа"]


async def test_probabilistic_faults_are_reproducible(emu: Emulator, bot: Bot) -> None:
    async def pattern(seed: int) -> list[bool]:
        emu.faults.clear()
        emu.faults.add(method="*", chat_id=PARTNER, kind="server_error", probability=0.5, seed=seed)
        outcome = []
        for i in range(12):
            try:
                await bot.send_message(PARTNER, f"#{i}")
                outcome.append(True)
            except TelegramServerError:
                outcome.append(False)
        return outcome

    first = await pattern(seed=1)
    assert True in first and False in first
    assert await pattern(seed=1) == first
    # A fault for another chat never fires here.
    emu.faults.clear()
    emu.faults.add(method="*", chat_id=GROUP, kind="server_error", times=None)
    await bot.send_message(PARTNER, "мимо")


async def test_real_block_and_users_who_never_started(emu: Emulator, bot: Bot) -> None:
    emu.block_bot(PARTNER)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(PARTNER, "вы тут?")
    updates = await bot.get_updates(timeout=0)
    assert updates[-1].my_chat_member is not None
    assert updates[-1].my_chat_member.new_chat_member.status == "kicked"

    await emu.send_text(PARTNER, "/start")  # writing again unblocks, as "Restart" does
    await bot.send_message(PARTNER, "снова на связи")

    emu.add_user(3003, "Нина", started=False)
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(3003, "здравствуйте")


# --- updates --------------------------------------------------------------------------------------


async def test_album_of_three_photos_arrives_as_three_updates(emu: Emulator, bot: Bot) -> None:
    sent = await emu.send_album(
        PARTNER,
        [{"type": "photo", "caption": "Щиток"}, {"type": "photo"}, {"type": "photo"}],
        order=[2, 0, 1],
    )
    updates = await bot.get_updates(timeout=0)

    assert len(updates) == 3
    messages = [u.message for u in updates]
    assert all(m is not None for m in messages)
    group_ids = {m.media_group_id for m in messages if m is not None}
    assert len(group_ids) == 1 and None not in group_ids
    expected_order = [sent[2]["message_id"], sent[0]["message_id"], sent[1]["message_id"]]
    assert [m.message_id for m in messages if m is not None] == expected_order
    assert [u.update_id for u in updates] == sorted(u.update_id for u in updates)
    captions = [m.caption for m in messages if m is not None]
    assert captions.count("Щиток") == 1


async def test_get_updates_offset_confirms_and_limit(emu: Emulator, bot: Bot) -> None:
    for i in range(3):
        await emu.send_text(PARTNER, f"сообщение {i}")
    first = await bot.get_updates(limit=2, timeout=0)
    assert [u.message.text for u in first if u.message] == ["сообщение 0", "сообщение 1"]
    again = await bot.get_updates(timeout=0)  # not confirmed yet: delivered again
    assert len(again) == 3
    rest = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)
    assert [u.message.text for u in rest if u.message] == ["сообщение 2"]
    assert emu.pending_updates() == 1
    await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0)
    assert emu.pending_updates() == 0


async def test_long_poll_wakes_on_update_and_on_stop(emu: Emulator, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await emu.wait_for(lambda: emu.calls("getUpdates"))
    await emu.send_text(PARTNER, "есть кто?")
    updates = await asyncio.wait_for(poll, 10)
    assert [u.message.text for u in updates if u.message] == ["есть кто?"]

    poll = asyncio.create_task(bot.get_updates(offset=updates[-1].update_id + 1, timeout=30))
    await emu.wait_for(lambda: len(emu.calls("getUpdates")) == 2)
    await emu.stop()
    assert await asyncio.wait_for(poll, 10) == []


async def test_callback_query_update_is_a_valid_aiogram_update(emu: Emulator, bot: Bot) -> None:
    question = await bot.send_message(PARTNER, "Проблема решена?", reply_markup=keyboard(("Да", "case:1:yes")))

    query = await emu.press_button(PARTNER, PARTNER, question.message_id, "case:1:yes")
    status, body = await raw_call(emu, "getUpdates")
    assert status == 200
    update = Update.model_validate(body["result"][0], context={"bot": bot})

    callback = update.callback_query
    assert callback is not None and callback.id == query["id"]
    assert callback.data == "case:1:yes"
    assert callback.chat_instance == emu.world.chat_instance(PARTNER)
    assert isinstance(callback.message, Message)
    assert callback.message.date.timestamp() > 0
    assert callback.message.reply_markup is not None

    await bot.answer_callback_query(callback.id, text="Спасибо!", show_alert=True)
    assert emu.callback_answer(callback.id) == {"text": "Спасибо!", "show_alert": True, "url": None, "cache_time": 0}
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(callback.id)


async def test_press_button_refuses_missing_buttons_unless_forced(emu: Emulator, bot: Bot) -> None:
    question = await bot.send_message(PARTNER, "Выберите", reply_markup=keyboard(("A", "a")))
    with pytest.raises(EmulatorError, match="no button"):
        await emu.press_button(PARTNER, PARTNER, question.message_id, "forged")
    forged = await emu.press_button(PARTNER, PARTNER, question.message_id, "forged", force=True)
    assert forged["data"] == "forged"

    await bot.delete_message(PARTNER, question.message_id)
    gone = await emu.press_button(PARTNER, PARTNER, question.message_id, "a", force=True)
    assert gone["message"]["date"] == 0  # InaccessibleMessage
    updates = await bot.get_updates(timeout=0)
    assert updates[-1].callback_query is not None
    assert updates[-1].callback_query.message is not None


async def test_every_kind_of_update_validates(emu: Emulator, bot: Bot) -> None:
    topic = emu.create_topic(GROUP, "Кейс 7", by=ENGINEER)
    await emu.send_text(PARTNER, "/help@torus_support_bot вопрос")
    await emu.send_photo(PARTNER, caption="фото")
    await emu.send_document(PARTNER, file_name="dump.log", data=b"trace")
    await emu.send_video(PARTNER)
    await emu.send_voice(PARTNER)
    await emu.send_sticker(PARTNER)
    await emu.send_location(PARTNER, 55.75, 37.62)
    await emu.send_contact(PARTNER, "+79990000000", "Иван")
    await emu.send_poll(PARTNER, "Когда удобно?", ["утром", "вечером"])
    await emu.send_dice(PARTNER)
    await emu.send_album(
        PARTNER, [{"type": "document", "file_name": "a.txt"}, {"type": "document", "file_name": "b.txt"}]
    )
    edited = await emu.send_text(ENGINEER, "в теме", chat_id=GROUP, thread_id=topic["message_thread_id"])
    await emu.edit_text(ENGINEER, GROUP, edited["message_id"], "в теме (исправлено)")
    emu.close_topic(GROUP, topic["message_thread_id"])  # an anonymous admin
    emu.block_bot(PARTNER)

    status, body = await raw_call(emu, "getUpdates")
    assert status == 200
    updates = [Update.model_validate(raw, context={"bot": bot}) for raw in body["result"]]
    assert len(updates) == 17
    assert updates[0].message is not None and updates[0].message.forum_topic_created is not None
    assert any(u.edited_message is not None for u in updates)
    assert updates[-1].my_chat_member is not None


# --- topics ---------------------------------------------------------------------------------------


async def test_forum_topic_lifecycle(emu: Emulator, bot: Bot) -> None:
    topic = await bot.create_forum_topic(GROUP, "Кейс 42 · Иван")
    thread = topic.message_thread_id
    assert emu.topics(GROUP)[thread].name == "Кейс 42 · Иван"
    [created] = emu.messages(GROUP, thread, include_service=True)
    assert created.message_id == thread and created.raw["forum_topic_created"]["name"] == "Кейс 42 · Иван"

    note = await bot.send_message(GROUP, "Новый кейс", message_thread_id=thread)
    assert note.message_thread_id == thread and note.is_topic_message
    assert note.reply_to_message is not None and note.reply_to_message.forum_topic_created is not None

    await bot.close_forum_topic(GROUP, thread)
    assert emu.topics(GROUP)[thread].closed
    with pytest.raises(TelegramBadRequest, match="TOPIC_CLOSED"):
        await bot.send_message(GROUP, "после закрытия", message_thread_id=thread)
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await bot.close_forum_topic(GROUP, thread)
    await bot.reopen_forum_topic(GROUP, thread)
    await bot.send_message(GROUP, "снова открыт", message_thread_id=thread)

    await bot.delete_forum_topic(GROUP, thread)
    assert emu.topics(GROUP)[thread].deleted
    assert emu.messages(GROUP, thread) == []
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(GROUP, "в удалённую", message_thread_id=thread)
    assert [s.text for s in emu.bot_messages(GROUP, thread, include_deleted=True)] == ["Новый кейс", "снова открыт"]


async def test_people_close_and_delete_topics(emu: Emulator, bot: Bot) -> None:
    thread = (await bot.create_forum_topic(GROUP, "Кейс 5")).message_thread_id
    emu.close_topic(GROUP, thread)  # by an anonymous admin
    with pytest.raises(TelegramBadRequest, match="TOPIC_CLOSED"):
        await bot.send_message(GROUP, "закрыто", message_thread_id=thread)
    [update] = await bot.get_updates(timeout=0)
    closed = update.message
    assert closed is not None and closed.forum_topic_closed is not None and closed.message_thread_id == thread
    assert closed.sender_chat is not None and closed.sender_chat.id == GROUP
    assert closed.from_user is not None and closed.from_user.username == "GroupAnonymousBot"

    with pytest.raises(EmulatorError, match="TOPIC_CLOSED"):
        await emu.send_text(PARTNER, "можно?", chat_id=GROUP, thread_id=thread)
    await emu.send_text(ENGINEER, "админам можно", chat_id=GROUP, thread_id=thread)

    emu.delete_topic(GROUP, thread, by=ENGINEER)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(GROUP, "в удалённую", message_thread_id=thread)
    later = await bot.get_updates(offset=update.update_id + 1, timeout=0)
    assert [u.message.text for u in later if u.message] == ["админам можно"]  # deletion is not announced


async def test_concurrent_requests_and_big_uploads(emu: Emulator, bot: Bot) -> None:
    answers = await asyncio.gather(*(bot.send_message(PARTNER, f"№{i}") for i in range(40)))
    assert len({a.message_id for a in answers}) == 40
    assert len(emu.bot_messages(PARTNER)) == 40

    payload = bytes(range(256)) * 12_000  # ~3 MB, over aiohttp's default 1 MB body limit
    document = await bot.send_document(PARTNER, BufferedInputFile(payload, "firmware.bin"), caption="прошивка")
    assert document.document is not None and document.document.file_name == "firmware.bin"
    assert document.document.file_size == len(payload)
    assert emu.file_bytes(document.document.file_id) == payload


async def test_topic_rights_and_non_forums(emu: Emulator, bot: Bot) -> None:
    emu.add_group(-1002, "Без прав", bot_rights={"can_manage_topics": False})
    emu.add_group(-1003, "Обычная группа", is_forum=False)
    with pytest.raises(TelegramBadRequest, match="not enough rights to create a topic"):
        await bot.create_forum_topic(-1002, "x")
    with pytest.raises(TelegramBadRequest, match="the chat is not a forum"):
        await bot.create_forum_topic(-1003, "x")
    member = await bot.get_chat_member(GROUP, emu.bot_id)
    assert isinstance(member, ChatMemberAdministrator) and member.can_manage_topics is True
    admins = await bot.get_chat_administrators(GROUP)
    assert {a.user.id for a in admins} == {emu.bot_id, ENGINEER}
    assert (await bot.get_chat_member(GROUP, PARTNER)).status == "left"


async def test_people_in_topics_and_general(emu: Emulator, bot: Bot) -> None:
    topic = await bot.create_forum_topic(GROUP, "Кейс 1")
    thread = topic.message_thread_id
    in_topic = await emu.send_text(ENGINEER, "беру", chat_id=GROUP, thread_id=thread)
    assert in_topic["message_thread_id"] == thread and in_topic["is_topic_message"] is True
    assert in_topic["reply_to_message"]["message_id"] == thread
    assert "reply_to_message" not in in_topic["reply_to_message"]

    general = await emu.send_text(ENGINEER, "всем привет", chat_id=GROUP)
    assert "message_thread_id" not in general and "is_topic_message" not in general
    reply = await emu.send_text(ENGINEER, "ответ", chat_id=GROUP, reply_to=general["message_id"])
    assert reply["message_thread_id"] == general["message_id"] and "is_topic_message" not in reply

    # A bot reply without message_thread_id stays in the replied message's topic.
    replying = ReplyParameters(message_id=in_topic["message_id"])
    answer = await bot.send_message(GROUP, "принято", reply_parameters=replying)
    assert answer.message_thread_id == thread and answer.reply_to_message is not None
    assert answer.reply_to_message.message_id == in_topic["message_id"]
    assert [s.text for s in emu.messages(GROUP, thread)] == ["беру", "принято"]


async def test_privacy_mode_when_the_bot_is_a_plain_member(emu: Emulator, bot: Bot) -> None:
    emu.add_group(-1004, "Чат партнёров", is_forum=False, bot_status="member")
    mine = await bot.send_message(-1004, "Я бот поддержки")
    await emu.send_text(PARTNER, "просто болтаем", chat_id=-1004)
    await emu.send_text(PARTNER, "/status@torus_support_bot", chat_id=-1004)
    await emu.send_text(PARTNER, "/status@other_bot", chat_id=-1004)
    await emu.send_text(PARTNER, "отвечаю боту", chat_id=-1004, reply_to=mine.message_id)
    texts = [u.message.text for u in await bot.get_updates(timeout=0) if u.message]
    assert texts == ["/status@torus_support_bot", "отвечаю боту"]


# --- files ----------------------------------------------------------------------------------------


async def test_send_media_group_with_attach_uploads(emu: Emulator, bot: Bot) -> None:
    first, second = make_png(800, 600), make_png(100, 50, (200, 10, 10))
    messages = await bot.send_media_group(
        PARTNER,
        [
            InputMediaPhoto(media=BufferedInputFile(first, "one.png"), caption="<i>схема</i>", parse_mode="HTML"),
            InputMediaPhoto(media=BufferedInputFile(second, "two.png")),
        ],
    )
    assert len(messages) == 2
    assert messages[0].media_group_id is not None and messages[0].media_group_id == messages[1].media_group_id
    assert messages[0].caption == "схема"
    assert messages[0].photo is not None and (messages[0].photo[-1].width, messages[0].photo[-1].height) == (800, 600)
    assert messages[1].photo is not None and len(messages[1].photo) == 1  # small photos have no thumbnail
    [call] = emu.calls("sendMediaGroup")
    assert all(item["media"].startswith("attach://") for item in call.params["media"])

    file = await bot.get_file(messages[0].photo[-1].file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == first

    again = await bot.send_photo(PARTNER, messages[1].photo[-1].file_id)  # a known file_id is reused
    assert again.photo is not None and again.photo[-1].file_id == messages[1].photo[-1].file_id

    with pytest.raises(TelegramBadRequest, match="media group must include 2-10 items"):
        await bot.send_media_group(PARTNER, [InputMediaPhoto(media=messages[1].photo[-1].file_id)])


async def test_get_file_downloads_a_users_photo(emu: Emulator, bot: Bot) -> None:
    picture = make_png(1024, 768)
    photo_message = await emu.send_photo(PARTNER, data=picture, caption="ошибка на экране")
    sizes = photo_message["photo"]
    assert (sizes[-1]["width"], sizes[-1]["height"]) == (1024, 768) and sizes[0]["width"] == 320

    file = await bot.get_file(sizes[-1]["file_id"])
    assert file.file_size == len(picture) and file.file_path
    data = await bot.download_file(file.file_path)
    assert data is not None and data.read() == picture


async def test_files_over_20_mb_cannot_be_fetched(emu: Emulator, bot: Bot) -> None:
    document = await emu.send_document(PARTNER, file_name="full_dump.bin", file_size=25 * 1024 * 1024)
    assert document["document"]["file_size"] == 25 * 1024 * 1024
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(document["document"]["file_id"])
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("nonsense")


async def test_copy_a_users_photo_into_a_topic(emu: Emulator, bot: Bot) -> None:
    topic = await bot.create_forum_topic(GROUP, "Кейс 9")
    original = await emu.send_photo(PARTNER, caption="Вот фото платы")

    copied = await bot.copy_message(
        GROUP,
        PARTNER,
        original["message_id"],
        message_thread_id=topic.message_thread_id,
        reply_markup=keyboard(("Взять", "claim:9")),
    )
    copy_sent = emu.message(GROUP, copied.message_id)
    assert copy_sent.from_bot and copy_sent.kind == "photo"
    assert copy_sent.thread_id == topic.message_thread_id
    assert copy_sent.caption == "Вот фото платы"
    assert copy_sent.file_ids == emu.message(PARTNER, original["message_id"]).file_ids
    assert copy_sent.button("Взять")["callback_data"] == "claim:9"
    assert "forward_origin" not in copy_sent.raw


async def test_copy_messages_keeps_albums_together(emu: Emulator, bot: Bot) -> None:
    album = await emu.send_album(PARTNER, [{"type": "photo"}, {"type": "photo"}])
    text = await emu.send_text(PARTNER, "и текст")
    ids = [m["message_id"] for m in album] + [text["message_id"]]
    copies = await bot.copy_messages(GROUP, PARTNER, ids)
    sent = [emu.message(GROUP, c.message_id) for c in copies]
    assert sent[0].media_group_id and sent[0].media_group_id == sent[1].media_group_id
    assert sent[0].media_group_id != album[0]["media_group_id"]
    assert sent[2].media_group_id is None and sent[2].text == "и текст"

    forwarded = await bot.forward_message(GROUP, PARTNER, text["message_id"])
    assert forwarded.forward_origin is not None and forwarded.forward_origin.type == "user"


# --- editing and formatting -----------------------------------------------------------------------


async def test_edit_message_text_is_recorded_and_drops_the_keyboard(emu: Emulator, bot: Bot) -> None:
    message = await bot.send_message(PARTNER, "Статус: новый", reply_markup=keyboard(("Обновить", "refresh")))
    edited = await bot.edit_message_text("Статус: в работе", chat_id=PARTNER, message_id=message.message_id)
    assert isinstance(edited, Message) and edited.edit_date is not None

    sent = emu.message(PARTNER, message.message_id)
    assert (sent.text, sent.edited) == ("Статус: в работе", 1)
    assert sent.history[0]["text"] == "Статус: новый"
    assert sent.reply_markup is None and "reply_markup" not in sent.raw  # no reply_markup in the edit

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Статус: в работе", chat_id=PARTNER, message_id=message.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=PARTNER, message_id=999)
    await bot.edit_message_reply_markup(
        chat_id=PARTNER, message_id=message.message_id, reply_markup=keyboard(("Закрыть", "close"))
    )
    assert emu.message(PARTNER, message.message_id).buttons()[0]["callback_data"] == "close"


async def test_broken_html_and_limits(emu: Emulator, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Can't find end tag"):
        await bot.send_message(PARTNER, "<b>незакрытый", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "" at byte offset 2'):
        await bot.send_message(PARTNER, "1 < 2", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(PARTNER, "Q&A", parse_mode="HTML")  # strict_html: user input not escaped
    await bot.send_message(PARTNER, "Q&amp;A &lt;3", parse_mode="HTML")
    assert emu.last_bot_message(PARTNER).text == "Q&A <3"  # type: ignore[union-attr]

    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(PARTNER, "я" * 4097)
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(PARTNER, BufferedInputFile(make_png(4, 4), "p.png"), caption="c" * 1025)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(PARTNER, "кнопка", reply_markup=keyboard(("длинная", "x" * 65)))
    assert len(emu.bot_messages(PARTNER)) == 1


def test_html_parser_follows_telegram() -> None:
    text, entities = parse_html(
        '<b>жирный</b> <a href="example.com">ссылка</a> <pre><code class="language-py">x</code></pre>'
    )
    assert text == "жирный ссылка x"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 6},
        {"type": "text_link", "offset": 7, "length": 6, "url": "http://example.com/"},
        {"type": "pre", "offset": 14, "length": 1, "language": "py"},
    ]
    assert parse_html("🏟 <i>x</i>")[1] == [{"type": "italic", "offset": 3, "length": 1}]  # UTF-16 offsets
    assert parse_html('<span class="tg-spoiler">s</span><blockquote expandable>q</blockquote>')[1] == [
        {"type": "spoiler", "offset": 0, "length": 1},
        {"type": "expandable_blockquote", "offset": 1, "length": 1},
    ]
    assert parse_html("&laquo;", strict=False)[0] == "&laquo;"  # Telegram leaves unknown entities as they are
    for broken, error in [
        ("🏟 🏟&lt;<abac>", 'Unsupported start tag "abac" at byte offset 13'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<b", "Unclosed start tag at byte offset 0"),
    ]:
        with pytest.raises(EntityParseError) as caught:
            parse_html(broken)
        assert str(caught.value) == error


# --- commands and chats ---------------------------------------------------------------------------


async def test_commands_per_scope_and_language(emu: Emulator, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Начать")])
    group_scope = BotCommandScopeChat(chat_id=GROUP)
    queue = [BotCommand(command="queue", description="Очередь")]
    await bot.set_my_commands(queue, scope=group_scope, language_code="ru")
    assert emu.commands() == [{"command": "start", "description": "Начать"}]
    assert emu.commands({"type": "chat", "chat_id": GROUP}, "ru")[0]["command"] == "queue"
    assert [c.command for c in await bot.get_my_commands(scope=group_scope, language_code="ru")] == ["queue"]
    assert emu.visible_commands(ENGINEER, GROUP)[0]["command"] == "queue"
    assert emu.visible_commands(PARTNER)[0]["command"] == "start"
    await bot.delete_my_commands()
    assert emu.commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])


async def test_get_chat_and_chat_action(emu: Emulator, bot: Bot) -> None:
    group = await bot.get_chat(GROUP)
    assert group.title == "Инженеры Torus" and group.is_forum
    private = await bot.get_chat(PARTNER)
    assert private.type == "private" and private.first_name == "Иван"
    assert await bot.send_chat_action(PARTNER, "typing")
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(PARTNER, "dancing")


async def test_inject_update_and_user_edits(emu: Emulator, bot: Bot) -> None:
    sent = await emu.send_text(PARTNER, "исходный текст")
    await emu.edit_text(PARTNER, PARTNER, sent["message_id"], "исправленный текст")
    update_id = emu.inject_update(
        {"callback_query": {"id": "1", "from": emu.world.user_dict(PARTNER), "chat_instance": "x", "data": "forged"}}
    )
    updates = await bot.get_updates(timeout=0)
    assert updates[1].edited_message is not None and updates[1].edited_message.text == "исправленный текст"
    assert updates[2].update_id == update_id and updates[2].callback_query is not None


# --- the real dispatcher -------------------------------------------------------------------------------


async def test_real_dispatcher_polling_against_the_emulator(emu: Emulator, bot: Bot) -> None:
    router = Router()

    @router.message(Command("start"))
    async def cmd_start(message: Message) -> None:
        await message.answer("Здравствуйте! Опишите проблему.")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=5)
    )
    try:
        await emu.send_text(PARTNER, "/start")
        await emu.wait_for(lambda: emu.last_bot_message(PARTNER) is not None)
        await emu.wait_idle()
        assert emu.last_bot_message(PARTNER).text == "Здравствуйте! Опишите проблему."  # type: ignore[union-attr]
        assert emu.internal_errors == []
    finally:
        await dispatcher.stop_polling()
        await asyncio.wait_for(polling, 10)


async def test_reactions_arrive_only_when_asked_for_and_in_groups_only_to_admins(emu: Emulator, bot: Bot) -> None:
    from aiogram.types import MessageReactionUpdated, ReactionTypeEmoji

    answer = await bot.send_message(PARTNER, "ответ")
    await bot.get_updates(allowed_updates=["message"], timeout=0)
    assert await emu.react(PARTNER, PARTNER, answer.message_id, "👍") is None  # not asked for: never made
    await bot.get_updates(allowed_updates=["message", "message_reaction"], timeout=0)
    assert await emu.react(PARTNER, PARTNER, answer.message_id, "👍") is None  # unchanged: nothing sent
    await emu.react(PARTNER, PARTNER, answer.message_id, "🔥")
    [update] = await bot.get_updates(timeout=0)
    reaction = update.message_reaction
    assert isinstance(reaction, MessageReactionUpdated) and reaction.user.id == PARTNER
    assert [r.emoji for r in reaction.old_reaction] == ["👍"]
    assert isinstance(reaction.new_reaction[0], ReactionTypeEmoji) and reaction.new_reaction[0].emoji == "🔥"
    # In a group only an administrator bot hears of them.
    emu.add_group(-1004, "Бот-участник", is_forum=False, bot_status="member")
    emu.add_member(-1004, ENGINEER, "member")
    post = await bot.send_message(-1004, "объявление")
    assert await emu.react(ENGINEER, -1004, post.message_id, "👍") is None
    group_post = await bot.send_message(GROUP, "в группе")
    assert (await emu.react(ENGINEER, GROUP, group_post.message_id, None)) is None  # had none to remove
    assert (await emu.react(ENGINEER, GROUP, group_post.message_id, "👍"))["user"]["id"] == ENGINEER
    with pytest.raises(EmulatorError):
        await emu.react(PARTNER, GROUP, group_post.message_id, "👍")  # not in the group


async def test_member_statuses_and_chat_member_updates(emu: Emulator, bot: Bot) -> None:
    from aiogram.types import ChatMemberBanned, ChatMemberLeft, ChatMemberRestricted, ChatMemberUpdated

    await bot.get_updates(allowed_updates=["message", "chat_member"], timeout=0)
    emu.add_member(GROUP, PARTNER, "restricted", rights={"can_send_messages": False}, by=ENGINEER)
    member = await bot.get_chat_member(GROUP, PARTNER)
    assert isinstance(member, ChatMemberRestricted) and member.is_member and not member.can_send_messages
    with pytest.raises(EmulatorError, match="may not send"):
        await emu.send_text(PARTNER, "можно?", chat_id=GROUP)
    emu.add_member(GROUP, PARTNER, "kicked", by=ENGINEER)
    assert isinstance(await bot.get_chat_member(GROUP, PARTNER), ChatMemberBanned)
    with pytest.raises(EmulatorError):
        await emu.send_text(PARTNER, "пустите", chat_id=GROUP)
    emu.add_member(GROUP, PARTNER, "left")
    assert isinstance(await bot.get_chat_member(GROUP, PARTNER), ChatMemberLeft)
    await emu.send_text(PARTNER, "я вернулся", chat_id=GROUP)  # writing joins the group
    updates = await bot.get_updates(timeout=0)
    changes = [u.chat_member for u in updates if u.chat_member is not None]
    assert all(isinstance(c, ChatMemberUpdated) for c in changes)
    assert [(c.old_chat_member.status, c.new_chat_member.status, c.from_user.id) for c in changes] == [
        ("left", "restricted", ENGINEER), ("restricted", "kicked", ENGINEER),
        ("kicked", "left", PARTNER), ("left", "member", PARTNER),
    ]
    assert updates[-1].message.text == "я вернулся"


async def test_other_bots_anonymous_admins_and_who_sees_a_group(emu: Emulator, bot: Bot) -> None:
    emu.add_other_bot(5001, "Помощник", "helper_bot")
    emu.add_other_bot(5002, "Болтун", "chatty_bot", bot_to_bot=True)
    for other in (5001, 5002):
        emu.add_member(GROUP, other, "member")
    ours = await bot.send_message(GROUP, "карточка")
    await bot.get_updates(timeout=0)
    await emu.send_text(5001, "ответ на карточку", chat_id=GROUP, reply_to=ours.message_id)  # no bot-to-bot mode
    await emu.send_text(5002, "просто так", chat_id=GROUP)  # neither a reply nor a command for us
    await emu.send_text(5002, "ответ на карточку", chat_id=GROUP, reply_to=ours.message_id)
    await emu.send_text(ENGINEER, "анонимно", chat_id=GROUP, anonymous=True)
    updates = await bot.get_updates(timeout=0)
    texts = [(u.message.from_user.id, u.message.text) for u in updates]
    assert texts == [(5002, "ответ на карточку"), (1087968824, "анонимно")]
    assert updates[1].message.sender_chat.id == GROUP
    with pytest.raises(EmulatorError, match="anonymously"):
        await emu.send_text(5002, "я не админ", chat_id=GROUP, anonymous=True)
    # A private group's buttons are for its members; a public one's for anyone not banned.
    with pytest.raises(EmulatorError, match="cannot see"):
        await emu.press_button(PARTNER, GROUP, ours.message_id, "x", force=True)
    emu.add_group(-1005, "Открытая", is_forum=False, username="open_group")
    post = await bot.send_message(-1005, "кнопка", reply_markup=keyboard(("Жми", "x")))
    await emu.press_button(PARTNER, -1005, post.message_id, "x")


async def test_set_message_reaction_follows_the_bot_api(emu: Emulator, bot: Bot) -> None:
    import inspect
    import re as regex

    from aiogram.exceptions import TelegramBadRequest
    from aiogram.types import ReactionTypeCustomEmoji, ReactionTypeEmoji

    from tgemu.botapi import REACTION_EMOJI

    # The emoji a bot may react with are exactly those aiogram's schema names.
    documented = inspect.getsource(ReactionTypeEmoji).split('"""Reaction emoji.')[1].split('"""')[0]
    assert set(regex.findall(r'"([^"]+)"', documented)) == REACTION_EMOJI
    post = await emu.send_text(ENGINEER, "ответ партнёру", chat_id=GROUP)
    assert await bot.set_message_reaction(GROUP, post["message_id"], [ReactionTypeEmoji(emoji="👌")]) is True
    sent = emu.message(GROUP, post["message_id"])
    assert (sent.reactions, sent.reactions_big) == ([{"type": "emoji", "emoji": "👌"}], False)
    for reaction, error in (
        ([ReactionTypeEmoji(emoji="✅")], "REACTION_INVALID"),
        ([ReactionTypeCustomEmoji(custom_emoji_id="5368324170671202286")], "REACTION_INVALID"),
        ([ReactionTypeEmoji(emoji="👌"), ReactionTypeEmoji(emoji="👍")], "REACTIONS_TOO_MANY"),
    ):
        with pytest.raises(TelegramBadRequest, match=error):
            await bot.set_message_reaction(GROUP, post["message_id"], reaction)
    assert sent.reactions == [{"type": "emoji", "emoji": "👌"}]  # a refused call changes nothing
    with pytest.raises(TelegramBadRequest, match="message to react not found"):
        await bot.set_message_reaction(GROUP, 99999, [ReactionTypeEmoji(emoji="👌")])
    assert await bot.set_message_reaction(GROUP, post["message_id"], []) is True
    assert sent.reactions == []
