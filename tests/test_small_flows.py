"""Issue 18: what partners and engineers read — refusals, buttons, labels and marks of the small flows."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from bot import texts
from bot.services import intake_rules
from tests.flows import MODEL, file_case, run_dialog_to_attachments


async def start_intake_to_serial(desk, brand: str = "Dahua") -> None:
    await desk.partner_says("📝 Новая заявка")
    await desk.partner_presses("Проблема с настройкой")
    await desk.partner_presses(brand)
    await desk.partner_says(MODEL)


def test_a_refused_serial_keeps_what_was_typed():
    check = intake_rules.check_serial("не уверен", "Dahua")
    assert (check.ok, check.value, check.typed, check.problem) == (False, "HEYBEPEH", "не уверен", "dahua_length")
    check = intake_rules.check_serial("сломана", "Dahua")
    assert (check.problem, check.details, check.typed) == ("dahua_not_latin", {"bad": "л"}, "сломана")


async def test_the_serial_refusal_echoes_the_serial_as_typed(desk):
    await start_intake_to_serial(desk)
    await desk.partner_says("не уверен")
    refusal = desk.texts_to(desk.partner)[-1]
    assert refusal.startswith("Серийный номер «не уверен» не подходит: у Dahua серийный номер из 15 знаков, а здесь 8.")
    assert "HEYBEPEH" not in refusal
    await desk.partner_says("7J0123456789ABC")
    await desk.partner_says("не работает")  # too short: the answer says what to add
    assert desk.last_to_partner().text == (
        "Пока мало подробностей. Допишите, пожалуйста, хотя бы одно предложение: что делали и что "
        "происходит — так инженер быстрее поможет.")


async def claimed_case(desk) -> tuple[int, int]:
    number = await file_case(desk)
    thread = desk.topic_of(number)
    await desk.engineer_presses("Взять", thread)
    return number, thread


async def test_info_request_has_done_from_the_start_and_done_needs_an_answer_first(desk):
    number, thread = await claimed_case(desk)
    await desk.engineer_writes("/info фото раздела Сеть", thread)
    ask = desk.last_to_partner()
    assert ask.text == (f"🔎 По заявке №{number} инженеру нужно:\nфото раздела Сеть\n\n"
                        "Пришлите ответ сюда — текст, фото, видео или файлы — и нажмите «Готово».")
    assert [text for text, _ in desk.buttons(ask)] == [texts.BTN_INFO_DONE]
    query = await desk.press(desk.partner, ask, texts.BTN_INFO_DONE)
    answer = desk.emu.callback_answer(query["id"])
    assert (answer["text"], answer.get("show_alert")) == (texts.INFO_NOTHING_YET, True)
    assert (await desk.sb.app.cases.cases.get(number)).status.value == "waiting"
    await desk.partner_says("Вот настройки: DHCP выключен, адрес 192.168.1.108")
    await desk.partner_presses(texts.BTN_INFO_DONE)
    assert (await desk.sb.app.cases.cases.get(number)).status.value == "claimed"
    assert desk.last_to_partner().text == texts.INFO_DONE
    # A second request waits for its own answer: «Готово» at once is refused again.
    await desk.engineer_writes("/info журнал устройства за вчера", thread)
    second = desk.last_to_partner()
    query = await desk.press(desk.partner, second, texts.BTN_INFO_DONE)
    assert desk.emu.callback_answer(query["id"])["text"] == texts.INFO_NOTHING_YET
    assert (await desk.sb.app.cases.cases.get(number)).status.value == "waiting"


async def test_level_that_the_case_already_has_is_answered(desk):
    number, thread = await claimed_case(desk)
    before = await desk.sb.app.cases.cases.get(number)
    assert before.level == 2
    await desk.engineer_writes("/level 2", thread)
    assert desk.last_to(desk.group, thread).text == texts.level_already(2)
    after = await desk.sb.app.cases.cases.get(number)
    assert (after.level, after.due_at) == (2, before.due_at)
    query = await desk.press(desk.engineer, desk.card_of(number), "✓ Уровень 2")
    assert desk.emu.callback_answer(query["id"])["text"] == texts.level_already(2)
    await desk.engineer_writes("/level 3", thread)
    assert (await desk.sb.app.cases.cases.get(number)).level == 3
    assert desk.last_to(desk.group, thread).text.startswith("📊 Уровень 3 (Алексей). Реакция до ")


async def resolved_and_confirmed(desk) -> tuple[int, int]:
    number, thread = await claimed_case(desk)
    await desk.engineer_writes("/resolve включили отправку событий на NVR", thread)
    await desk.partner_presses(texts.BTN_SOLVED)
    return number, thread


def rating_posts(desk, thread) -> list:
    return [m for m in desk.emu.bot_messages(desk.group, thread) if "Оценка" in (m.text or "")]


async def test_the_rating_is_shown_once_on_the_card_and_the_comment_joins_it(desk):
    number, thread = await resolved_and_confirmed(desk)
    await desk.partner_presses("4")
    assert "Оценка партнёра: ★★★★☆ (4/5)" in desk.card_of(number).text
    await desk.partner_says("Помогли, но не с первого раза")
    card = desk.card_of(number).text
    assert card.count("Оценка партнёра:") == 1 and "★★★★☆ (4/5)" in card
    assert "Комментарий к оценке: Помогли, но не с первого раза" in card
    # No note of its own in the (closed) topic: the card is the one place the rating is shown.
    assert [m.message_id for m in rating_posts(desk, thread)] == [desk.card_of(number).message_id]
    assert desk.last_to_partner().text == texts.RATE_THANKS


async def test_a_long_rating_comment_is_cut_on_the_card_and_kept_whole_in_the_topic(desk):
    number, thread = await resolved_and_confirmed(desk)
    await desk.partner_presses("2")
    comment = "Долго ждали ответа, " + "камера <IPC> так и перезагружается по ночам; " * 20
    await desk.partner_says(comment)
    card = desk.card_of(number).text
    assert texts.RATING_COMMENT_CUT.strip() in card and comment.strip() not in card
    full = [m.text for m in desk.emu.bot_messages(desk.group, thread) if (m.text or "").startswith("💬 Комментарий")]
    assert len(full) == 1 and full[0].endswith(comment.strip())


async def test_the_model_example_follows_the_brand(desk):
    await desk.partner_says("📝 Новая заявка")
    await desk.partner_presses("Проблема с настройкой")
    await desk.partner_presses("ATIX")
    question = desk.last_to_partner().text
    assert "(например, AT-NC-4B4M-2.8)" in question and "DH-" not in question
    assert texts.intake_model("Hikvision").startswith(
        "Напишите модель устройства так, как она указана на наклейке или в веб-интерфейсе.\n")


async def test_a_closed_topic_has_one_lock(desk):
    number, thread = await claimed_case(desk)
    await desk.engineer_writes("/close", thread)
    topic = desk.emu.topics(desk.group)[thread]
    assert topic.closed and topic.name == f"№{number} · {MODEL} · ООО Ромашка"  # Telegram draws the lock


async def test_templates_need_a_claim_and_a_preview_before_they_reach_the_partner(desk):
    from bot.callbacks import CaseCb
    from tests.test_authorization import press_forged
    number = await file_case(desk)
    thread = desk.topic_of(number)
    assert not any(texts.BTN_CANNED in text for text, _ in desk.buttons(desk.card_of(number)))
    to_partner = len(desk.emu.bot_messages(desk.partner))
    for action in ("canned", "reply", "reply_send"):
        answer = await press_forged(desk, desk.engineer, desk.group, CaseCb(action=action, case_id=number).pack())
        assert (answer["text"], answer["show_alert"]) == (texts.CLAIM_FIRST_SHORT, True)
    assert len(desk.emu.bot_messages(desk.partner)) == to_partner

    await desk.engineer_presses("Взять", thread)
    await desk.engineer_presses(texts.BTN_CANNED, thread)
    menu = desk.last_to(desk.group, thread)
    await desk.press(desk.engineer, menu, texts.scope_button("firmware"))
    preview = desk.emu.bot_messages(desk.group, thread)[-1]
    assert preview.message_id == menu.message_id  # the menu became the preview: no new message
    assert preview.text.startswith("📋 Удалённая прошивка — партнёр получит:\n\nОбновлять прошивку удалённо мы не можем")
    assert [text for text, _ in desk.buttons(preview)] == [texts.BTN_CANNED_SEND, texts.BTN_CANNED_CANCEL]
    assert len(desk.emu.bot_messages(desk.partner)) == to_partner + 1  # only "the engineer took it"
    await desk.press(desk.engineer, preview, texts.BTN_CANNED_CANCEL)
    back = desk.emu.bot_messages(desk.group, thread)[-1]
    assert back.text == texts.CANNED_MENU and len(desk.buttons(back)) == 4
    assert len(desk.emu.bot_messages(desk.partner)) == to_partner + 1

    await desk.press(desk.engineer, back, texts.scope_button("firmware"))
    query = await desk.press(desk.engineer, desk.emu.bot_messages(desk.group, thread)[-1], texts.BTN_CANNED_SEND)
    assert desk.emu.callback_answer(query["id"])["text"] == texts.CANNED_SENT_TOAST
    reply = desk.last_to_partner().text
    assert reply.startswith(f"💬 Поддержка · заявка №{number} (Алексей):\nОбновлять прошивку удалённо мы не можем")
    note = desk.emu.bot_messages(desk.group, thread)[-1]
    assert (note.message_id, note.text, desk.buttons(note)) == (
        menu.message_id, "📋 Партнёру отправлен шаблон «Удалённая прошивка» (Алексей).", [])


def mark(desk, message: dict) -> list:
    return desk.emu.message(desk.group, message["message_id"]).reactions


async def test_an_engineers_message_is_marked_once_the_partner_has_it(desk):
    number, thread = await claimed_case(desk)
    answer = await desk.engineer_writes("Проверьте, включён ли детектор движения", thread)
    assert desk.last_to_partner().text.endswith("Проверьте, включён ли детектор движения")
    assert mark(desk, answer) == [{"type": "emoji", "emoji": texts.DELIVERED_MARK}]
    internal = await desk.engineer_writes("# похоже на старую прошивку", thread)
    assert mark(desk, internal) == []  # stayed in the group: no mark
    calls = [c for c in desk.emu.calls("setMessageReaction")]
    assert len(calls) == 1


async def test_a_message_the_blocked_partner_has_not_got_stays_unmarked_until_it_arrives(desk):
    number, thread = await claimed_case(desk)
    desk.emu.block_bot(desk.partner)
    await desk.settle()
    first = await desk.engineer_writes("Первый ответ: проверьте кабель", thread)
    second = await desk.engineer_writes("Второй ответ: и блок питания", thread)
    assert (mark(desk, first), mark(desk, second)) == ([], [])
    assert desk.texts_to(desk.group, thread).count(texts.PARTNER_UNREACHABLE) == 1
    await desk.partner_says("Я снова здесь")
    assert [t for t in desk.texts_to(desk.partner) if "ответ:" in t] == [
        t for t in desk.texts_to(desk.partner) if t.endswith(("кабель", "питания"))]
    delivered = {"type": "emoji", "emoji": texts.DELIVERED_MARK}
    # Each is marked, or only the later one when both arrived together: the mark covers what is above it.
    assert mark(desk, second) == [delivered]
    assert mark(desk, first) in ([], [delivered])


def test_no_text_guesses_the_engineers_gender_or_speaks_english():
    constants = [v for v in vars(texts).values() if isinstance(v, str)]
    constants += [v for d in (texts.SCOPE_REPLIES, texts.PERIOD_PROBLEMS, texts.EDIT_LABELS) for v in d.values()]
    case = SimpleNamespace(number="№1002", model="DH-IPC", contact_company=None)
    rendered = [texts.claim_lost("№1002", "Мария"), texts.level_changed(3, "Мария", datetime(2026, 11, 24, 10, 0)),
                texts.unclaimed("Мария"), texts.assigned("Мария", "Пётр"), texts.canned_sent("Удалённая прошивка", "Мария"),
                texts.next_taken(case, "Мария"), texts.case_claimed_for_partner("№1002", "Мария")]
    for text in constants + rendered:
        assert "(а)" not in text and "взял" not in text and "Web" not in text, text
        assert not any(word in text for word in ("week", "month", "Не понял", "я подскажу", "партнёр сам")), text
    assert texts.case_claimed_for_partner("№1002", "Мария") == (
        "👨‍🔧 Вашей заявкой №1002 занимается Мария, инженер поддержки. Ответ придёт в этот чат.")


def test_each_side_reads_its_own_status_words():
    from bot.domain import Status
    assert texts.status_label(Status.WAITING) == "ждёт ваш ответ"
    assert texts.engineer_status_label(Status.WAITING) == "ждёт ответа партнёра"
    assert all(texts.engineer_status_label(s) for s in Status)


async def test_the_engineers_card_says_waiting_for_the_partner(desk):
    number, thread = await claimed_case(desk)
    await desk.engineer_writes("/info фото раздела Сеть", thread)
    card = desk.card_of(number).text
    assert card.startswith(f"📋 Заявка №{number} · ⏳ ждёт ответа партнёра\n") and "ждёт ваш ответ" not in card


async def test_a_refusal_says_what_to_do_next(desk):
    number = await file_case(desk)
    thread = desk.topic_of(number)
    await desk.engineer_presses("Взять", thread)
    await desk.engineer_writes("/close", thread)
    from bot.callbacks import CaseCb
    from tests.test_authorization import press_forged
    answer = await press_forged(desk, desk.engineer, desk.group, CaseCb(action="unclaim", case_id=number).pack())
    assert answer["text"] == (f"Сейчас заявка №{number} закрыта, это действие недоступно. "
                              "Чтобы продолжить, откройте её снова: /reopen.")
    assert len(answer["text"]) <= 200  # a callback alert's limit


async def test_a_file_then_done_at_once_leaves_no_stale_files_added_message(desk):
    """«Готово» pressed before the one-per-album answer is due: that answer is not sent under the next question."""
    await run_dialog_to_attachments(desk)
    question = desk.last_to_partner()
    await desk.emu.send_photo(desk.partner)  # not settled: the album's answer is still waiting its quiet second
    done = next(data for text, data in desk.buttons(question) if "Готово" in text)
    await desk.emu.press_button(desk.partner, question.chat_id, question.message_id, done)
    await desk.settle()  # waits for the album's answer too (the debouncer counts as busy)
    after = desk.texts_to(desk.partner)[desk.texts_to(desk.partner).index(question.text) + 1:]
    assert not [t for t in after if t.startswith("Добавлено файлов")], after
