"""The knowledge index in the running desk: a resolved case is found for the next one like it."""

from __future__ import annotations

from bot import texts
from bot.domain import MAX_ATTACHMENTS
from bot.sandbox import GROUP_ID
from tests.flows import file_case, finish_after_attachments, run_dialog_to_attachments
from tests.helpers import Desk

FIRST = "После обновления прошивки регистратор перестал записывать архив с камер."
SECOND = "Рег не пишет запись после апдейта, живое видео есть"


async def resolve(desk: Desk, case_id: int, summary: str) -> int:
    thread = desk.topic_of(case_id)
    await desk.engineer_presses("Взять в работу", thread)
    await desk.engineer_writes(f"/resolve {summary}", thread)
    return thread


async def test_similar_in_a_topic_lists_the_solved_case_with_a_link_to_its_topic(desk: Desk):
    solved = await file_case(desk, model="DHI-NVR4108HS-4KS3", description=FIRST)
    first_thread = await resolve(desk, solved, "Включили расписание записи на все дни")
    other = await file_case(desk, model="DHI-NVR4108HS-4KS3", description=SECOND)
    thread = desk.topic_of(other)

    await desk.engineer_writes("/similar", thread)
    answer = desk.last_to(desk.group, thread)
    assert answer.text.splitlines() == [
        f"🔎 Похожие решённые к заявке №{other}:",
        f"1. №{solved} · DHI-NVR4108HS-4KS3 — Включили расписание записи на все дни",
    ]
    links = [e["url"] for e in answer.entities if e["type"] == "text_link"]
    assert links == [f"https://t.me/c/{str(GROUP_ID)[4:]}/{first_thread}"]

    # the engineer's own words instead of the description; nothing like them is solved
    await desk.engineer_writes("/similar нет звука с микрофона", thread)
    assert desk.last_to(desk.group, thread).text == "🔎 Похожих решённых заявок не нашлось."


async def test_similar_outside_a_case_topic_says_where_it_works(desk: Desk):
    await desk.engineer_writes("/similar", None)
    assert "тем" in desk.last_to(desk.group, None).text


async def test_reload_reindexes_the_bulletins(desk: Desk):
    await desk.partner_says("/reload", user=desk.admin)
    assert "✅ Бюллетени перечитаны: обновлено 0, без изменений 5, убрано 0." in desk.last_to(desk.admin).text


# --- bulletins for partners before a case --------------------------------------------------------------

ATTACHMENTS = texts.INTAKE_ATTACHMENTS.format(limit=MAX_ATTACHMENTS)
QUESTION = "После обновления прошивки регистратор не пишет архив, живое видео с камер есть. Что проверить?"


async def ask_a_general_question(desk: Desk) -> None:
    await run_dialog_to_attachments(desk, kind="Вопрос о функциях", model="DHI-NVR4108HS-4KS3", description=QUESTION)


async def test_a_bulletin_answers_a_general_question_and_no_case_is_filed(desk: Desk):
    await ask_a_general_question(desk)
    offer = desk.last_to_partner()
    lines = offer.text.splitlines()
    assert lines[0] == "📚 Возможно, ответ уже есть в наших бюллетенях:"
    assert lines[2] == "1. Регистратор не пишет архив после обновления прошивки"
    # the excerpt: the bulletin's paragraph sharing the most words with the question, shortened
    assert lines[3].startswith("После обновления прошивки на части регистраторов NVR41 и XVR51 запись перестаёт идти")
    assert len(lines[3]) <= 220
    assert len(lines) == 6  # one bulletin only: the others (P2P, PoE, night mode) do not answer it
    assert [text for text, _ in desk.buttons(offer)] == ["👍 Помогло", "Не помогло — отправить заявку"]
    helped = desk.buttons(offer)[0][1]

    await desk.partner_presses("Помогло")
    assert desk.last_to_partner().text == "Рады, что ответ нашёлся! Заявку не создаём.\nЕсли вопрос останется, нажмите «📝 Новая заявка»."
    assert desk.buttons(desk.emu.bot_messages(desk.partner)[-2]) == []  # the offer's buttons are gone
    assert tuple(await desk.sb.app.db.fetchone("SELECT count(*) FROM cases")) == (0,)
    assert desk.open_topics() == {}

    # the press handled again (a client showing the old buttons, a replayed update): counted once
    await desk.emu.press_button(desk.partner, offer.chat_id, offer.message_id, helped, force=True)
    await desk.settle()
    await desk.partner_says("/stats", user=desk.admin)
    report = desk.last_to(desk.admin).text.splitlines()
    assert report[1:] == ["Заявок не было.", "Ответ нашли в бюллетенях (без заявки): 1"]


async def test_not_helped_goes_on_and_files_the_case(desk: Desk):
    await ask_a_general_question(desk)
    await desk.partner_presses("Не помогло")
    assert desk.last_to_partner().text == ATTACHMENTS  # the attachments step, as without bulletins
    await desk.partner_presses("Готово")
    await finish_after_attachments(desk)
    row = await desk.sb.app.db.fetchone("SELECT request_type, description FROM cases")
    assert tuple(row) == ("general", QUESTION)
    await desk.partner_says("/stats", user=desk.admin)
    report = next(t for t in reversed(desk.texts_to(desk.admin)) if t.startswith("📊"))  # a chart follows it
    assert "Всего заявок: 1" in report.splitlines() and "бюллетен" not in report


async def test_a_fault_is_not_offered_bulletins(desk: Desk):
    await run_dialog_to_attachments(desk, kind="Функция работает неверно", model="DHI-NVR4108HS-4KS3",
                                    description=QUESTION)
    assert "бюллетен" not in desk.last_to_partner().text
    assert any("Готово" in text for text, _ in desk.buttons(desk.last_to_partner()))


async def test_words_instead_of_a_button_repeat_the_offer(desk: Desk):
    await ask_a_general_question(desk)
    await desk.partner_says("а где посмотреть расписание?")
    hint, again = desk.emu.bot_messages(desk.partner)[-2:]
    assert hint.text == "Пожалуйста, нажмите «Помогло» или «Не помогло — отправить заявку» под списком бюллетеней."
    assert again.text.startswith("📚 Возможно, ответ уже есть")
    await desk.partner_presses("Не помогло")
    assert desk.last_to_partner().text == ATTACHMENTS


async def test_a_file_sent_while_the_bulletins_are_offered_goes_with_the_case(desk: Desk):
    await ask_a_general_question(desk)
    await desk.partner_sends_photo()
    kept, again = desk.emu.bot_messages(desk.partner)[-2:]
    assert kept.text == texts.INTAKE_FILE_KEPT and again.text.startswith("📚 Возможно, ответ уже есть")
    await desk.partner_presses("Не помогло")
    await desk.partner_presses("Готово")
    await finish_after_attachments(desk)
    case_id = (await desk.sb.app.db.fetchone("SELECT id FROM cases"))[0]
    assert [f.kind for f in await desk.sb.app.cases.cases.attachments(case_id)] == ["photo"]


# --- similar solved cases on the card ------------------------------------------------------------------

async def test_the_card_of_a_new_case_shows_the_similar_solved_one_with_a_link(desk: Desk):
    solved = await file_case(desk, model="DHI-NVR4108HS-4KS3", description=FIRST)
    first_thread = await resolve(desk, solved, "Включили расписание записи на все дни")
    assert "Похожие решённые" not in desk.card_of(solved).text  # nothing was solved before it

    other = await file_case(desk, model="DHI-NVR4108HS-4KS3", description=SECOND)
    card = desk.card_of(other)
    lines = card.text.splitlines()
    at = lines.index("Похожие решённые")
    assert lines[at + 1:at + 3] == [f"• №{solved} · DHI-NVR4108HS-4KS3 — Включили расписание записи на все дни", ""]
    assert lines[at + 3:] == ["Описание", SECOND]  # the description is still whole, below them
    links = [e["url"] for e in card.entities if e["type"] == "text_link"]
    assert links == [f"https://t.me/c/{str(GROUP_ID)[4:]}/{first_thread}"]
    # the card keeps its buttons and is still the topic's first message
    assert any("Взять в работу" in text for text, _ in desk.buttons(card))


async def test_a_case_like_no_solved_one_has_a_card_without_the_block(desk: Desk):
    solved = await file_case(desk, model="DHI-NVR4108HS-4KS3", description=FIRST)
    await resolve(desk, solved, "Включили расписание записи на все дни")
    other = await file_case(desk, description="Нет звука с микрофона камеры в приложении, динамик исправен.")
    assert "Похожие решённые" not in desk.card_of(other).text
