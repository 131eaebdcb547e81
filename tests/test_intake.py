"""The intake dialog end to end: every step, wrong input at each, editing, cancelling, sending."""

from __future__ import annotations

import pytest

from bot import texts
from tests.flows import PNG, file_case, run_dialog_to_summary


async def test_whole_dialog_with_wrong_input_at_every_step(desk):
    p = desk.partner
    await desk.partner_says("📝 Новая заявка")
    # 1. type: text instead of a button
    await desk.partner_says("настройка")
    assert texts.INTAKE_TYPE_HINT in desk.texts_to(p)[-2]
    await desk.partner_presses("Проблема с настройкой")
    # 2. brand: a sticker
    await desk.partner_sends("sticker")
    assert texts.INTAKE_BRAND_HINT in desk.texts_to(p)[-2]
    await desk.partner_presses("Dahua")
    # 3. model: a location, then something that is in no catalogue, then a real model
    await desk.partner_sends("location")
    assert desk.last_to_partner().text == texts.INTAKE_MODEL_HINT
    await desk.partner_says("qwertyzzz")
    assert "не нашлась в каталоге" in desk.last_to_partner().text
    await desk.partner_says("DH-IPC-HFW2431SP-S-0280B")
    assert "✔️ Модель" in desk.texts_to(p)[-2]
    # 4. serial: too short, Cyrillic look-alikes normalised on the second try
    await desk.partner_says("12345")
    assert "15 знаков" in desk.last_to_partner().text
    await desk.partner_says("7j0 1234 5678 9авс")
    assert "7J0123456789ABC" in desk.texts_to(p)[-2]
    # 5. description: too short, a voice message (kept, asks for text), then text
    await desk.partner_says("не работает")
    assert desk.last_to_partner().text == texts.INTAKE_DESCRIPTION_SHORT
    await desk.partner_sends("voice")
    assert desk.last_to_partner().text == texts.INTAKE_DESCRIPTION_VOICE
    await desk.partner_says("Камера не пишет события движения на регистратор, детектор включён.")
    # 6. attachments: a sticker, then words (they join the description, and the partner is told), a photo, Done
    await desk.partner_sends("sticker")
    assert texts.INTAKE_ATTACHMENT_HINT in desk.last_to_partner().text
    await desk.partner_says("Прошивка регистратора обновлена в марте.")
    assert desk.last_to_partner().text == texts.INTAKE_ATTACHMENT_TEXT_ADDED
    await desk.partner_sends_photo(data=PNG)
    assert "Добавлено файлов: 2 из 10" in desk.last_to_partner().text
    await desk.partner_presses("Готово")
    # 7. web access: a text, then yes
    await desk.partner_says("да")
    assert texts.INTAKE_WEB_ACCESS_HINT in desk.texts_to(p)[-2]
    await desk.partner_presses("Да")
    # 8. contact: name, company, a bad phone, somebody else's contact, then a good phone
    await desk.partner_sends("sticker")
    assert desk.last_to_partner().text == texts.INTAKE_CONTACT_NAME_HINT
    await desk.partner_says("Иван Петров")
    await desk.partner_says("ООО Ромашка")
    await desk.partner_says("позвоните мне")
    assert "не подходит" in desk.texts_to(p)[-2]
    await desk.partner_sends("contact", phone_number="+79990000000", first_name="Чужой", contact_user_id=5555)
    assert desk.last_to_partner().text == texts.INTAKE_CONTACT_NOT_OWN
    await desk.partner_sends("contact", phone_number="79991234567", first_name="Иван")
    summary = desk.last_to_partner()
    assert summary.text.startswith("Проверьте заявку")
    for fragment in ("Проблема с настройкой", "DH-IPC-HFW2431SP-S-0280B", "7J0123456789ABC",
                     "Веб-доступ: разрешён", "Вложений: 2", "+79991234567"):
        assert fragment in summary.text
    # 9. summary: a stray text repeats the summary
    await desk.partner_says("ну что там")
    assert desk.last_to_partner().text.startswith("Проверьте заявку")
    await desk.partner_presses("Отправить")
    assert "Заявка <b>№1001</b> принята" in desk.last_to_partner().raw["text"] or "№1001" in desk.last_to_partner().text
    case = await desk.sb.app.cases.cases.get(1001)
    assert case.serial == "7J0123456789ABC" and case.web_access is True and case.model_matched
    assert case.description == ("Камера не пишет события движения на регистратор, детектор включён.\n\n"
                                "Дополнение: Прошивка регистратора обновлена в марте.")
    assert len(await desk.sb.app.cases.cases.attachments(1001)) == 2
    # The contact is remembered and offered next time.
    partner = await desk.sb.app.partners.get(p)
    assert partner.phone == "+79991234567" and partner.company == "ООО Ромашка"


async def test_contact_is_offered_for_confirmation_the_second_time(desk):
    await file_case(desk)
    await run_dialog_to_summary(desk, contact=None)
    assert "Всё верно?" in desk.texts_to(desk.partner)[-2] or any(
        "Всё верно?" in t for t in desk.texts_to(desk.partner)[-4:])


async def test_edit_from_summary_returns_to_summary(desk):
    await run_dialog_to_summary(desk)
    await desk.partner_presses("Изменить")
    await desk.partner_presses("Серийный номер")
    await desk.partner_says("ABCDE1234567890")
    summary = desk.last_to_partner()
    assert summary.text.startswith("Проверьте заявку") and "ABCDE1234567890" in summary.text
    await desk.partner_presses("Изменить")
    await desk.partner_presses("Тип обращения")
    await desk.partner_presses("Вопрос о функциях")
    summary = desk.last_to_partner()
    assert "Вопрос о функциях" in summary.text and "Веб-доступ" not in summary.text
    await desk.partner_presses("Отправить")
    case = await desk.sb.app.cases.cases.get(1001)
    assert case.serial == "ABCDE1234567890" and case.request_type.value == "general" and case.web_access is None


async def test_cancel_at_any_step_and_nothing_is_filed(desk):
    await desk.partner_says("📝 Новая заявка")
    await desk.partner_presses("Вопрос о функциях")
    await desk.partner_says("/cancel")
    assert desk.last_to_partner().text == texts.INTAKE_CANCELLED
    await run_dialog_to_summary(desk)
    await desk.partner_presses("Отменить")
    assert desk.last_to_partner().text == texts.INTAKE_CANCELLED
    assert await desk.sb.app.cases.cases.get(1001) is None


async def test_pressing_send_twice_files_one_case(desk):
    await run_dialog_to_summary(desk)
    summary = desk.last_to_partner()
    send = next(data for text, data in desk.buttons(summary) if "Отправить" in text)
    # Both presses are queued before the bot sees either: a double tap on a phone.
    await desk.emu.press_button(desk.partner, desk.partner, summary.message_id, send)
    await desk.emu.press_button(desk.partner, desk.partner, summary.message_id, send)
    await desk.settle()
    rows = await desk.sb.app.db.fetchall("SELECT id FROM cases")
    assert len(rows) == 1
    assert len([t for t in desk.open_topics().values()]) == 1


async def test_menu_during_dialog_keeps_the_draft(desk):
    await desk.partner_says("📝 Новая заявка")
    await desk.partner_presses("Вопрос о функциях")
    await desk.partner_presses("ATIX")
    await desk.partner_says("☎️ Контакты и часы работы")
    assert desk.texts_to(desk.partner)[-2] == texts.INTAKE_PAUSED
    assert "Контакты и часы работы" in desk.last_to_partner().text
    await desk.partner_says("📝 Новая заявка")
    assert desk.last_to_partner().text == texts.INTAKE_DRAFT_FOUND
    await desk.partner_presses("Продолжить")
    assert desk.last_to_partner().text == texts.intake_model("ATIX")


async def test_dialog_survives_a_restart(desk):
    await desk.partner_says("📝 Новая заявка")
    await desk.partner_presses("Проблема с настройкой")
    await desk.partner_presses("Dahua")
    await desk.sb.restart()
    await desk.partner_says("DH-IPC-HFW2431SP-S-0280B")
    assert "✔️ Модель" in desk.texts_to(desk.partner)[-2]
    assert desk.last_to_partner().text == texts.INTAKE_SERIAL


async def test_eleventh_attachment_is_refused_with_a_clear_message(desk):
    await run_dialog_to_attachments(desk)
    items = [{"type": "photo"} for _ in range(10)]
    await desk.emu.send_album(desk.partner, items)
    await desk.settle()
    await desk.partner_sends_photo(data=PNG)
    last = desk.last_to_partner().text
    assert "не больше 10 файлов" in last and "Добавлено файлов: 10 из 10" in last


async def test_album_out_of_order_makes_one_case_with_every_item(desk):
    await run_dialog_to_attachments(desk)
    items = [{"type": "photo", "caption": f"фото {i}"} for i in range(5)]
    await desk.emu.send_album(desk.partner, items, order=[3, 0, 4, 1, 2])
    await desk.settle()
    assert "Добавлено файлов: 5 из 10" in desk.last_to_partner().text
    # One answer for the whole album, not five.
    assert sum("Добавлено файлов" in t for t in desk.texts_to(desk.partner)) == 1
    await desk.partner_presses("Готово")
    await finish_after_attachments(desk)
    attachments = await desk.sb.app.cases.cases.attachments(1001)
    assert len(attachments) == 5
    assert len(desk.open_topics()) == 1
    thread = next(iter(desk.open_topics()))
    albums = [m for m in desk.emu.bot_messages(desk.group, thread) if m.media_group_id]
    assert len(albums) == 5 and len({m.media_group_id for m in albums}) == 1


async def test_album_reaches_the_group_in_the_partners_order_whatever_order_it_arrived_in(desk):
    """Telegram delivers an album's updates in any order (with webhooks, concurrently); the case's
    files go to the group in the order the partner put them, by message id, as relays do."""
    await desk.partner_says("📝 Новая заявка")
    await desk.partner_presses("Проблема с настройкой")
    await desk.partner_presses("Dahua")
    await desk.partner_sends_photo(data=PNG, caption="наклейка")  # a label photo with no label on it
    assert desk.last_to_partner().text == texts.INTAKE_LABEL_UNREADABLE_MODEL
    await desk.partner_says("DH-IPC-HFW2431SP-S-0280B")
    await desk.partner_says("7J0123456789ABC")
    await desk.partner_says("Камера не отправляет события детектора движения на регистратор.")
    photos = [{"type": "photo", "caption": f"фото {i}"} for i in range(4)]
    await desk.emu.send_album(desk.partner, photos, order=[3, 0, 2, 1])
    await desk.settle()
    documents = [{"type": "document", "caption": f"лог {i}", "file_name": f"log{i}.txt"} for i in range(3)]
    await desk.emu.send_album(desk.partner, documents, order=[2, 1, 0])
    await desk.settle()
    await desk.partner_presses("Готово")
    await finish_after_attachments(desk)
    stored = [a.caption for a in await desk.sb.app.cases.cases.attachments(1001)]
    assert stored == ["наклейка", *(f"фото {i}" for i in range(4)), *(f"лог {i}" for i in range(3))]
    thread = desk.topic_of(1001)
    files = [m.caption for m in desk.emu.bot_messages(desk.group, thread) if m.kind in ("photo", "document")]
    assert files == stored


from tests.flows import finish_after_attachments, run_dialog_to_attachments  # noqa: E402


async def test_unknown_command_during_the_dialog_is_not_taken_as_an_answer(desk):
    await desk.partner_says("📝 Новая заявка")
    await desk.partner_presses("Вопрос о функциях")
    await desk.partner_presses("Dahua")
    await desk.partner_says("/stats")
    assert desk.texts_to(desk.partner)[-2] == texts.INTAKE_UNKNOWN_COMMAND
    assert desk.last_to_partner().text == texts.INTAKE_MODEL
    await desk.partner_says("DH-IPC-HFW2431SP-S-0280B")
    assert desk.last_to_partner().text == texts.INTAKE_SERIAL


async def test_a_description_that_starts_with_a_slash_is_an_answer_not_a_command(desk):
    await run_dialog_to_attachments(desk, description="/dev/sda на регистраторе заполнен, запись не идёт с 20-го числа.")
    assert texts.INTAKE_UNKNOWN_COMMAND not in desk.texts_to(desk.partner)
    assert "Приложите" in desk.last_to_partner().text


async def test_unknown_command_while_naming_another_brand_asks_for_the_brand_again(desk):
    await desk.partner_says("📝 Новая заявка")
    await desk.partner_presses("Вопрос о функциях")
    await desk.partner_presses("Другая марка")
    await desk.partner_says("/stats")
    assert desk.texts_to(desk.partner)[-2:] == [texts.INTAKE_UNKNOWN_COMMAND, texts.INTAKE_BRAND_OTHER]
    await desk.partner_says("Hikvision")
    assert desk.last_to_partner().text == texts.intake_model("Hikvision")


async def test_a_dialog_step_writes_its_state_data_and_handled_mark_in_one_trip(desk, monkeypatch):
    await desk.partner_says("📝 Новая заявка")
    await desk.partner_presses("Проблема с настройкой")
    await desk.partner_presses("Dahua")
    db = desk.sb.app.db
    trips: list[list[str]] = []
    write = db.write

    async def spy(*statements):
        trips.append([" ".join(sql.split()[:3]) for sql, _ in statements])
        return await write(*statements)
    monkeypatch.setattr(db, "write", spy)
    await desk.partner_says("DH-IPC-HFW2431SP-S-0280B")
    assert "✔️ Модель" in desk.texts_to(desk.partner)[-2]
    mine = [trip for trip in trips if any("fsm" in s or s == "UPDATE inbox SET" for s in trip)]
    assert mine == [["INSERT INTO fsm", "UPDATE inbox SET"]]


async def test_typing_dont_know_at_the_serial_step_skips_it(desk):
    await desk.partner_says("📝 Новая заявка")
    await desk.partner_presses("Проблема с настройкой")
    await desk.partner_presses("Dahua")
    await desk.partner_says("DH-IPC-HFW2431SP-S-0280B")
    await desk.partner_says("не знаю")
    assert texts.INTAKE_DESCRIPTION in desk.last_to_partner().text
