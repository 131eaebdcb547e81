"""Working hours and the firmware catalogue as partners, engineers and admins meet them in the bot."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot import texts
from bot.clock import MSK
from bot.sandbox import PROJECT_ROOT
from tests.flows import file_case, run_dialog_to_attachments, finish_after_attachments

SATURDAY_NIGHT = datetime(2026, 11, 28, 23, 30, tzinfo=MSK)
NEW_YEAR_EVE = datetime(2025, 12, 31, 23, 0, tzinfo=MSK)


def topic_card(desk, case_id):
    return desk.card_of(case_id), desk.topic_of(case_id)


# --- hours -----------------------------------------------------------------------------------------

async def test_greeting_and_contacts_say_whether_the_desk_is_open(desk, clock):
    await desk.partner_says("/start")
    assert "Сейчас поддержка работает, до 18:00 МСК" in desk.last_to_partner().text
    clock.set(SATURDAY_NIGHT)
    await desk.partner_says("/start")
    assert "откроемся в понедельник, 30 ноября, в 7:00 МСК" in desk.last_to_partner().text
    await desk.partner_says("☎️ Контакты и часы работы")
    card = desk.last_to_partner().text
    for fragment in ("8 (800) 777-36-12", "911@tdtorus.ru", "support.tdtorus.ru", "7:00–18:00", "Сейчас не работаем"):
        assert fragment in card


async def test_case_after_hours_is_taken_and_says_when_we_open(desk, clock):
    clock.set(NEW_YEAR_EVE)
    number = await file_case(desk)
    answer = desk.last_to_partner().text
    assert f"№{number}" in answer and "принята" in answer
    assert "в понедельник, 12 января, в 7:00 МСК" in answer
    assert "Сейчас у нас Новогодние каникулы" in answer
    assert "8 (800) 777-36-12" in answer
    card, _ = topic_card(desk, number)
    assert "вне рабочего времени" in card.text
    case = await desk.sb.app.cases.cases.get(number)
    # Level 2 (configuration) is 8 working hours, counted from the first opening after the holidays.
    assert case.after_hours and case.due_at == datetime(2026, 1, 12, 15, 0, tzinfo=MSK)


async def test_case_in_working_hours_has_no_after_hours_note(desk):
    number = await file_case(desk)
    assert "не работает" not in desk.last_to_partner().text
    card, _ = topic_card(desk, number)
    assert "вне рабочего времени" not in card.text
    assert "Реакция до: 24.11.2026 18:00 МСК (уровень 2)" in card.text


async def test_level_change_recomputes_due_time(desk):
    number = await file_case(desk)
    _, thread = topic_card(desk, number)
    await desk.engineer_presses("Уровень 3", thread)
    case = await desk.sb.app.cases.cases.get(number)
    assert case.level == 3 and case.due_at == datetime(2026, 12, 1, 10, 0, tzinfo=MSK)
    card, _ = topic_card(desk, number)
    assert "(уровень 3)" in card.text and "01.12.2026 10:00" in card.text
    assert any("✓ Уровень 3" == text for text, _ in desk.buttons(card))
    history = await desk.sb.app.cases.cases.history(number)
    assert history[-1]["comment"] == "уровень 2 → 3"


async def test_unclaimed_case_is_reminded_at_75_percent_and_at_breach_in_working_hours(desk, clock):
    number = await file_case(desk)  # Tuesday 10:00, level 2: due at 18:00
    _, thread = topic_card(desk, number)
    cases = desk.sb.app.cases
    clock.set(datetime(2026, 11, 24, 15, 59, tzinfo=MSK))
    assert await cases.remind_unclaimed() == 0
    clock.set(datetime(2026, 11, 24, 16, 0, tzinfo=MSK))
    assert await cases.remind_unclaimed() == 1
    assert await cases.remind_unclaimed() == 0  # once
    clock.set(datetime(2026, 11, 24, 18, 30, tzinfo=MSK))
    assert await cases.remind_unclaimed() == 0  # closed: no reminders at night
    clock.set(datetime(2026, 11, 25, 7, 0, tzinfo=MSK))
    assert await cases.remind_unclaimed() == 1
    await desk.settle()
    texts_in_topic = desk.texts_to(desk.group, thread)
    assert sum("75 %" in t for t in texts_in_topic) == 1
    assert sum("истекло" in t for t in texts_in_topic) == 1


async def test_admin_gets_a_calendar_file_accepted(desk, clock):
    xml = (PROJECT_ROOT / "data" / "calendar" / "2027.xml").read_bytes().replace(b'year="2027"', b'year="2028"')
    await desk.emu.send_document(desk.admin, file_name="calendar-2028.xml", data=xml)
    await desk.settle()
    assert "на 2028 год сохранён" in desk.last_to(desk.admin).text
    assert 2028 in desk.sb.app.schedule.calendar.years_from_files
    await desk.emu.send_document(desk.admin, file_name="broken.xml", data=b"<calendar><days><day d=")
    await desk.settle()
    assert desk.last_to(desk.admin).text.startswith("❌ Файл не принят")


# --- firmware ----------------------------------------------------------------------------------------

async def test_firmware_command_points_to_the_folder_with_the_warning(desk):
    await desk.partner_says("/firmware DH-IPC-HFW2431SP-S-0280B")
    answer = desk.last_to_partner()
    assert "DH-IPC-HFW2431SP-S-0280B" in answer.text
    assert "01. IP-камеры/02. Серия Lite 2 (IPC-HX2XXX)" in answer.text
    assert "не прошивает" in answer.text and "питания" in answer.text
    links = [e["url"] for e in answer.raw.get("entities", []) if e["type"] == "text_link"]
    assert links and links[0].startswith("https://files.example.invalid/firmware/01.%20IP-")


async def test_firmware_menu_offers_similar_models_and_says_not_found(desk):
    await desk.partner_says("💾 Прошивки и документация")
    await desk.partner_says("ipc hfw2431")
    answer = desk.last_to_partner().text
    assert "подходят несколько моделей" in answer and answer.count("DH-IPC-HFW2431") >= 2
    await desk.partner_says("/firmware холодильник")
    assert "не нашлась в каталоге" in desk.last_to_partner().text


async def test_intake_model_step_uses_the_matcher_with_candidates(desk):
    await desk.partner_says("📝 Новая заявка")
    await desk.partner_presses("Вопрос о функциях")
    await desk.partner_presses("Dahua")
    await desk.partner_says("нвр4108hs 4ks3")  # Cyrillic typed by sound
    assert "DHI-NVR4108HS-4KS3" in "".join(desk.texts_to(desk.partner)[-2:])
    await desk.partner_says("/start")
    await desk.partner_says("📝 Новая заявка")
    await desk.partner_presses("Начать заново")
    await desk.partner_presses("Вопрос о функциях")
    await desk.partner_presses("Dahua")
    await desk.partner_says("hfw2431")
    question = desk.last_to_partner()
    # A series: every model of it in the sample (five) and "not listed".
    assert question.text == texts.INTAKE_MODEL_FAMILY and len(desk.buttons(question)) == 6
    assert all("DH-IPC-HFW2431" in label for label, _ in desk.buttons(question)[:5])
    await desk.partner_presses("Моей модели нет")
    await desk.partner_presses("Нет под рукой")
    await desk.partner_says("Подскажите, как работает функция SMD Plus на этой камере и где её включить?")
    await desk.partner_presses("Готово")
    await finish_after_attachments(desk)
    case = await desk.sb.app.cases.cases.get(1001)
    assert case.model == "hfw2431" and not case.model_matched


async def draft_of(desk) -> dict:
    key = StorageKey(bot_id=desk.sb.app.bot.id, chat_id=desk.partner, user_id=desk.partner)
    return (await desk.sb.app.dp.storage.get_data(key))["draft"]


async def to_model_step(desk) -> None:
    await desk.partner_says("📝 Новая заявка")
    await desk.partner_presses("Вопрос о функциях")
    await desk.partner_presses("Dahua")


async def test_intake_a_model_with_its_lens_written_out_gets_that_lens_variant(desk):
    await to_model_step(desk)
    await desk.partner_says("HFW2431SP-S 2,8 мм")
    assert "✔️ Модель: DH-IPC-HFW2431SP-S-0280B" in desk.texts_to(desk.partner)[-2]
    draft = await draft_of(desk)
    assert draft["model"] == "DH-IPC-HFW2431SP-S-0280B" and draft["model_matched"] is True


async def test_intake_a_model_without_its_lens_offers_every_lens_variant(desk):
    await to_model_step(desk)
    await desk.partner_says("IPC-HFW5241TP-ASE")
    question = desk.last_to_partner()
    assert question.text == texts.INTAKE_MODEL_FAMILY
    labels = [label for label, _ in desk.buttons(question)]
    assert labels == [f"{mm} мм · DH-IPC-HFW5241TP-ASE-{code}" for mm, code in
                      (("2.8", "0280B"), ("3.6", "0360B"), ("6", "0600B"), ("8", "0800B"), ("12", "1200B"))] + [
        texts.BTN_MODEL_NOT_LISTED]
    assert all(len(data.encode()) <= 64 and "HFW" not in data for _, data in desk.buttons(question))
    await desk.partner_presses("6 мм · DH-IPC-HFW5241TP-ASE-0600B")
    assert "✔️ Модель: DH-IPC-HFW5241TP-ASE-0600B" in desk.texts_to(desk.partner)[-2]
    draft = await draft_of(desk)
    assert draft["model"] == "DH-IPC-HFW5241TP-ASE-0600B" and draft["model_matched"] is True


async def test_intake_a_near_miss_gets_buttons_not_a_dead_end(desk):
    await to_model_step(desk)
    await desk.partner_says("IPC-HFW2439SP-SA-LED")
    question = desk.last_to_partner()
    assert question.text == texts.INTAKE_MODEL_CANDIDATES
    assert desk.buttons(question)[0][0] == "2.8 мм · DH-IPC-HFW2449SP-S-LED-0280B"


async def test_firmware_lens_after_a_series_puts_that_lens_first(desk):
    await desk.partner_says("/firmware HFW5241 3,6 мм")
    answer = desk.last_to_partner()
    assert "подходят несколько моделей" in answer.text
    assert desk.buttons(answer)[0][0] == "3.6 мм · DH-IPC-HFW5241TP-ASE-0360B"


async def test_firmware_series_shows_the_folder_and_the_family_as_buttons(desk):
    await desk.partner_says("/firmware NVR4108")
    answer = desk.last_to_partner()
    assert "подходят несколько моделей" in answer.text
    assert "03. Видеорегистраторы NVR/03. NVR4XXX" in answer.text
    labels = [label for label, _ in desk.buttons(answer)]
    assert 2 <= len(labels) <= 8 and all(label.startswith("DHI-NVR4108") for label in labels)
    assert labels[0] == "DHI-NVR4108HS-4KS3"  # fewest options first; the 8-port PoE versions last
    assert labels[-1].startswith("DHI-NVR4108HS-8P")
    await desk.partner_presses("DHI-NVR4108HS-EI")
    chosen = desk.last_to_partner().text
    assert chosen.startswith("DHI-NVR4108HS-EI\n") and "03. Видеорегистраторы NVR/03. NVR4XXX" in chosen
    assert "не прошивает" in chosen


async def test_firmware_variants_as_buttons_and_a_press_after_a_reload(desk, tmp_path):
    await desk.partner_says("/firmware IPC-HFW5241TP-ASE")
    answer = desk.last_to_partner()
    labels = [label for label, _ in desk.buttons(answer)]
    assert labels[:2] == ["2.8 мм · DH-IPC-HFW5241TP-ASE-0280B", "3.6 мм · DH-IPC-HFW5241TP-ASE-0360B"]
    assert len(labels) == 5
    await desk.press(desk.partner, answer, "8 мм · DH-IPC-HFW5241TP-ASE-0800B")
    assert desk.last_to_partner().text.startswith("DH-IPC-HFW5241TP-ASE-0800B\n")
    # The catalogue changes: an old button says so instead of naming whatever sits at its position now.
    tree = tmp_path / "fw"
    shutil.copytree(PROJECT_ROOT / "data" / "firmware", tree)
    (tree / "extra").mkdir()
    (tree / "extra" / "model list").write_text("DH-SG1024P\n", encoding="utf-8")
    desk.sb.app.catalogue.root = tree
    assert (await desk.sb.app.catalogue.reload()).ok
    before = len(desk.emu.bot_messages(desk.partner))
    query = await desk.press(desk.partner, answer, "3.6 мм · ")
    assert desk.emu.callback_answer(query["id"])["text"] == texts.FIRMWARE_BUTTON_STALE
    assert len(desk.emu.bot_messages(desk.partner)) == before


async def test_firmware_near_miss_is_offered_not_refused(desk):
    await desk.partner_says("/firmware IPC-HFW2439SP-SA-LED")
    answer = desk.last_to_partner()
    assert "Похожие модели" in answer.text and "DH-IPC-HFW2449SP-S-LED-0280B" in answer.text
    assert desk.buttons(answer)


async def test_reload_catalogue_keeps_old_index_on_a_broken_tree(desk, tmp_path):
    tree = tmp_path / "fw"
    shutil.copytree(PROJECT_ROOT / "data" / "firmware", tree)
    service = desk.sb.app.catalogue
    service.root = tree
    await desk.emu.send_text(desk.admin, "/reload_catalogue")
    await desk.settle()
    assert desk.last_to(desk.admin).text.startswith("✅ Каталог прошивок перечитан")
    models = len(service.current)
    shutil.rmtree(tree)
    tree.mkdir()
    (tree / "junk.bin").write_bytes(b"\x00\x01")
    await desk.emu.send_text(desk.admin, "/reload_catalogue")
    await desk.settle()
    reply = desk.last_to(desk.admin).text
    assert reply.startswith("❌ Каталог прошивок не перечитан") and f"({models} моделей)" in reply
    assert len(service.current) == models
    await desk.partner_says("/firmware DH-IPC-HFW2431SP-S-0280B")
    assert "Серия Lite 2" in desk.last_to_partner().text


async def test_admin_commands_from_a_partner_reveal_nothing(desk):
    await desk.partner_says("/reload_catalogue")
    answer = desk.last_to_partner().text
    assert "Каталог" not in answer and "модел" not in answer


async def test_admins_are_warned_once_about_a_year_without_a_calendar_file(desk, clock):
    clock.set(datetime(2028, 3, 6, 10, 0, tzinfo=MSK))
    await desk.partner_says("/start")  # the greeting asks the schedule about 2028
    await desk.sb.app.alerts.check_calendar()
    await desk.sb.app.alerts.check_calendar()
    await desk.settle()
    warnings = [t for t in desk.texts_to(desk.admin) if "Нет файла производственного календаря на 2028" in t]
    assert len(warnings) == 1
    assert "Здравствуйте" in desk.last_to_partner().text  # the partner is served meanwhile
