"""Working hours and the firmware catalogue as partners, engineers and admins meet them in the bot."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

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
    assert "Новогодние каникулы" in answer or "нерабочие дни" in answer
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
    assert "Похожие модели" in answer and answer.count("DH-IPC-HFW2431") >= 2
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
    assert "Возможно" in question.text and len(desk.buttons(question)) == 4
    await desk.partner_presses("Моей модели нет")
    await desk.partner_presses("Нет под рукой")
    await desk.partner_says("Подскажите, как работает функция SMD Plus на этой камере и где её включить?")
    await desk.partner_presses("Готово")
    await finish_after_attachments(desk)
    case = await desk.sb.app.cases.cases.get(1001)
    assert case.model == "hfw2431" and not case.model_matched


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
