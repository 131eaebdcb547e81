"""The label step end to end: a photo of the device label at the model or serial step fills both in,
after one "yes"; a photo with nothing readable lets the partner type as before. Also the typed
draft of before the upgrade carrying on, and questions losing their buttons once answered."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey

from bot import texts
from dialogs.states import Intake
from tests.flows import DESCRIPTION, MODEL, finish_after_attachments
from tests.label_images import label_photo, make_image

SERIAL = "7J0A23B5C789DEF"


async def to_model_step(desk, brand: str = "Dahua") -> None:
    await desk.partner_says("📝 Новая заявка")
    await desk.partner_presses("Проблема с настройкой")
    await desk.partner_presses(brand)


async def describe_and_finish(desk):
    """From the description question to a submitted case; returns case 1001."""
    await desk.partner_says(DESCRIPTION)
    await desk.partner_presses("Готово")
    await finish_after_attachments(desk)
    return await desk.sb.app.cases.cases.get(1001)


async def test_a_label_photo_at_the_model_step_fills_in_model_and_serial(desk):
    await to_model_step(desk)
    await desk.partner_sends_photo(data=label_photo(SERIAL, MODEL))
    question = desk.last_to_partner()
    assert question.text == f"На наклейке: модель {MODEL}, S/N {SERIAL} — всё верно?"
    assert [label for label, _ in desk.buttons(question)] == [texts.BTN_LABEL_YES, texts.BTN_LABEL_FIX]
    await desk.partner_presses("Да, верно")
    # Both steps are answered: the dialog goes on to the description.
    assert desk.last_to_partner().text == texts.INTAKE_DESCRIPTION
    case = await describe_and_finish(desk)
    assert case.model == MODEL and case.model_matched and case.serial == SERIAL
    card = desk.card_of(1001)
    assert MODEL in card.text and SERIAL in card.text
    # The label photo went along with the case, for the engineers.
    files = await desk.sb.app.cases.cases.attachments(1001)
    assert [f.kind for f in files] == ["photo"]
    assert [m.kind for m in desk.emu.bot_messages(desk.group, desk.topic_of(1001))].count("photo") == 1


async def test_a_photo_with_no_readable_label_and_the_dialog_goes_on_by_typing(desk):
    await to_model_step(desk)
    await desk.partner_sends_photo(data=make_image("no_label", 1).data)
    assert desk.last_to_partner().text == texts.INTAKE_LABEL_UNREADABLE_MODEL
    await desk.partner_says(MODEL)
    assert desk.last_to_partner().text == texts.INTAKE_SERIAL
    await desk.partner_says("7J0123456789ABC")
    assert desk.last_to_partner().text == texts.INTAKE_DESCRIPTION
    case = await describe_and_finish(desk)
    assert case.model == MODEL and case.serial == "7J0123456789ABC"
    assert len(await desk.sb.app.cases.cases.attachments(1001)) == 1  # the photo is kept all the same


async def test_fix_after_a_reading_goes_back_to_typing(desk):
    await to_model_step(desk)
    await desk.partner_sends_photo(data=label_photo(SERIAL, MODEL))
    await desk.partner_presses("Исправить")
    assert desk.texts_to(desk.partner)[-2:] == [texts.INTAKE_LABEL_FIX, texts.INTAKE_MODEL]
    await desk.partner_says("DH-IPC-HDBW1230EP-0280B")
    assert desk.last_to_partner().text == texts.INTAKE_SERIAL  # nothing of the reading was taken


async def test_a_label_sent_as_a_file_at_the_serial_step_gives_the_serial_only(desk):
    await to_model_step(desk)
    await desk.partner_says(MODEL)
    await desk.partner_sends("document", data=label_photo(SERIAL, "DH-IPC-HDBW1230EP-0280B", as_file=True),
                             file_name="IMG_2041.png", mime_type="image/png")
    assert desk.last_to_partner().text == f"На наклейке: S/N {SERIAL} — всё верно?"
    await desk.partner_presses("Да, верно")
    assert desk.last_to_partner().text == texts.INTAKE_DESCRIPTION
    case = await describe_and_finish(desk)
    assert case.model == MODEL and case.serial == SERIAL  # the model typed before stays


async def test_a_label_file_too_big_to_download_is_kept_and_the_partner_types(desk):
    await to_model_step(desk)
    await desk.partner_sends("document", file_name="IMG_0001.jpg", mime_type="image/jpeg", file_size=25 * 1024 * 1024)
    assert desk.last_to_partner().text == texts.INTAKE_LABEL_TOO_BIG
    await desk.partner_says(MODEL)
    assert desk.last_to_partner().text == texts.INTAKE_SERIAL


async def test_a_dialog_begun_before_the_upgrade_carries_on_from_its_old_draft(desk):
    """Stored by the version before drafts were typed: a plain dict, keys set as steps were answered."""
    storage = desk.sb.app.dp.storage
    key = StorageKey(bot_id=desk.sb.app.bot.id, chat_id=desk.partner, user_id=desk.partner)
    await storage.set_state(key, Intake.serial)
    await storage.set_data(key, {"draft": {
        "submit_key": "before-upgrade", "attachments": [], "request_type": "config", "brand": "Dahua",
        "model": MODEL, "model_matched": True, "model_folders": [], "model_typed": "hfw2431sp", "candidates": []}})
    await desk.partner_says("7J0123456789ABC")
    assert desk.last_to_partner().text == texts.INTAKE_DESCRIPTION
    case = await describe_and_finish(desk)
    assert (case.model, case.serial, case.request_type.value) == (MODEL, "7J0123456789ABC", "config")


async def test_answered_questions_lose_their_buttons_and_no_lone_icon_starts_a_case(desk):
    await to_model_step(desk)
    assert "📝" not in desk.texts_to(desk.partner)
    await desk.partner_says(MODEL)
    await desk.partner_says("12345")  # refused: asked again, with the button again
    await desk.partner_says("7J0123456789ABC")
    serial_questions = [m for m in desk.emu.bot_messages(desk.partner)
                        if m.text in (texts.INTAKE_SERIAL,) or "не подходит" in (m.text or "")]
    assert len(serial_questions) == 2
    assert all(desk.buttons(m) == [] for m in serial_questions)
