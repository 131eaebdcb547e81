"""The intake dialog: a partner files a complete case step by step, can edit any step from the
summary, and loses nothing to a wrong input, a pause or a restart of the bot."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot import keyboards, texts
from bot.callbacks import IntakeCb
from bot.domain import MAX_ATTACHMENTS, Attachment, Brand, Partner, RequestType
from bot.services import intake_rules, scope
from bot.services.cases import CaseService, in_partners_order
from bot.services.contacts import Contacts
from bot.services.debounce import Debouncer
from bot.visible_text import clean, is_blank
from bot.routing import RouterRecipe
from dialogs.states import Intake
from bot.telegram.ui import drop_buttons, replace_text
from bot.telegram.filters import PrivateChat

log = logging.getLogger(__name__)

router = RouterRecipe(__name__)  # built afresh per Dispatcher: handlers.get_routers()
router.message.filter(PrivateChat())
router.callback_query.filter(PrivateChat())

# Album items arrive within a moment of each other; one answer after the last is enough.
ALBUM_QUIET = 1.0
ORDER = ["request_type", "brand", "model", "serial", "description", "attachments", "web_access", "contact"]


def cb(action: str, value: str = "") -> str:
    return IntakeCb(action=action, value=value).pack()


def attachment_of(message: Message) -> Attachment | None:
    """The file a message carries, if it is a kind engineers can use."""
    caption = None if is_blank(message.caption) else clean(message.caption)
    group = message.media_group_id
    if message.photo:
        best = message.photo[-1]
        return Attachment("photo", best.file_id, best.file_unique_id, None, caption, group, message.message_id)
    for kind in ("video", "document", "audio", "voice", "animation", "video_note"):
        item = getattr(message, kind)
        if item is not None:
            # A file name can hide its real extension behind a direction override (U+202E).
            name = clean(getattr(item, "file_name", None)) or None
            return Attachment(kind, item.file_id, item.file_unique_id, name, caption, group, message.message_id)
    return None


# --- asking each step -------------------------------------------------------------------------------

async def ask(step: str, message: Message, state: FSMContext, partner: Partner | None = None) -> None:
    """Put the partner on `step` and show its question."""
    data = await state.get_data()
    draft = data.get("draft", {})
    if step == "request_type":
        await state.set_state(Intake.request_type)
        rows = [[(texts.request_type_label(t), cb("type", t.value))] for t in RequestType]
        await message.answer(texts.INTAKE_TYPE, reply_markup=keyboards.inline(rows))
    elif step == "brand":
        await state.set_state(Intake.brand)
        rows = [[(Brand.DAHUA.value, cb("brand", "dahua")), (Brand.ATIX.value, cb("brand", "atix"))],
                [(texts.BTN_OTHER_BRAND, cb("brand", "other"))]]
        await message.answer(texts.INTAKE_BRAND, reply_markup=keyboards.inline(rows))
    elif step == "model":
        await state.set_state(Intake.model)
        await message.answer(texts.INTAKE_MODEL)
    elif step == "serial":
        await state.set_state(Intake.serial)
        await message.answer(texts.INTAKE_SERIAL, reply_markup=keyboards.inline([[(texts.BTN_SERIAL_MISSING, cb("serial", "missing"))]]))
    elif step == "description":
        await state.set_state(Intake.description)
        await message.answer(texts.INTAKE_DESCRIPTION)
    elif step == "attachments":
        await state.set_state(Intake.attachments)
        count = len(draft.get("attachments", []))
        text = texts.INTAKE_ATTACHMENTS.format(limit=MAX_ATTACHMENTS)
        if count:
            text += "\n" + texts.INTAKE_ATTACHMENT_ADDED.format(count=count, limit=MAX_ATTACHMENTS)
        await message.answer(text, reply_markup=keyboards.inline([[(texts.BTN_DONE, cb("files", "done"))]]))
    elif step == "web_access":
        await state.set_state(Intake.web_access)
        await message.answer(texts.INTAKE_WEB_ACCESS, reply_markup=keyboards.inline(
            [[(texts.BTN_YES, cb("web", "yes")), (texts.BTN_NO, cb("web", "no"))]]))
    elif step == "contact":
        contact = draft.get("contact")
        if not contact:
            contact = Contacts.known(partner)
            if contact:
                draft["contact"] = contact
                await state.update_data(draft=draft)
        if contact:
            await state.set_state(Intake.contact_confirm)
            await message.answer(
                texts.INTAKE_CONTACT_CONFIRM.format(contact=texts.contact_block(contact["name"], contact.get("company"), contact["phone"])),
                reply_markup=keyboards.inline([[(texts.BTN_CONTACT_OK, cb("contact", "ok")),
                                                (texts.BTN_CONTACT_EDIT, cb("contact", "edit"))]]),
            )
        else:
            await ask("contact_name", message, state)
    elif step == "contact_name":
        await state.set_state(Intake.contact_name)
        await message.answer(texts.INTAKE_CONTACT_NAME, reply_markup=ReplyKeyboardRemove())
    elif step == "contact_company":
        await state.set_state(Intake.contact_company)
        await message.answer(texts.INTAKE_CONTACT_COMPANY, reply_markup=keyboards.inline([[(texts.BTN_SKIP, cb("company", "skip"))]]))
    elif step == "contact_phone":
        await state.set_state(Intake.contact_phone)
        await message.answer(texts.INTAKE_CONTACT_PHONE, reply_markup=ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=texts.BTN_SHARE_PHONE, request_contact=True)]],
            resize_keyboard=True, one_time_keyboard=True))
    elif step == "summary":
        await state.set_state(Intake.summary)
        draft["editing"] = False
        await state.update_data(draft=draft)
        # "Send" names its draft: pressed again after the case went out (or replayed after a
        # crash), it can still say which case that was.
        await message.answer(texts.draft_summary(draft), reply_markup=keyboards.inline([
            [(texts.BTN_SEND, cb("send", draft.get("submit_key", "")))],
            [(texts.BTN_EDIT, cb("summary", "edit")), (texts.BTN_CANCEL, cb("summary", "cancel"))],
        ]))
    else:  # pragma: no cover - a programming error, not user input
        raise ValueError(step)


def next_step(done: str, draft: dict[str, Any]) -> str:
    kind = RequestType(draft["request_type"]) if draft.get("request_type") else None
    if draft.get("editing"):
        # Editing one answer returns to the summary, unless it makes another answer necessary.
        if done == "request_type" and kind and kind.asks_web_access and draft.get("web_access") is None:
            return "web_access"
        if done == "brand":
            return "model"
        return "summary"
    index = ORDER.index(done) + 1
    while index < len(ORDER):
        step = ORDER[index]
        if step == "web_access" and not (kind and kind.asks_web_access):
            index += 1
            continue
        return step
    return "summary"


async def advance(done: str, message: Message, state: FSMContext, partner: Partner | None) -> None:
    draft = (await state.get_data()).get("draft", {})
    await ask(next_step(done, draft), message, state, partner)


async def update_draft(state: FSMContext, **changes: Any) -> dict[str, Any]:
    data = await state.get_data()
    draft = dict(data.get("draft", {}))
    draft.update(changes)
    await state.update_data(draft=draft)
    return draft


# --- starting, pausing, cancelling ----------------------------------------------------------------------

@router.message(F.text == texts.MENU_NEW_CASE)
@router.message(Command("new"))
async def on_new_case(message: Message, state: FSMContext, partner: Partner) -> None:
    data = await state.get_data()
    if data.get("draft", {}).get("request_type"):
        await state.set_state(Intake.resume)
        await message.answer(texts.INTAKE_DRAFT_FOUND, reply_markup=keyboards.inline(
            [[(texts.BTN_RESUME, cb("draft", "resume")), (texts.BTN_RESTART, cb("draft", "restart"))]]))
        return
    await start_new(message, state, partner)


async def start_new(message: Message, state: FSMContext, partner: Partner | None) -> None:
    await state.set_data({"draft": {"submit_key": uuid.uuid4().hex, "attachments": []}})
    await message.answer("📝", reply_markup=ReplyKeyboardRemove())
    await ask("request_type", message, state, partner)


@router.callback_query(Intake.resume, IntakeCb.filter(F.action == "draft"))
async def on_resume_choice(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner) -> None:
    await callback.answer()
    await drop_buttons(callback)
    if callback_data.value == "restart":
        await start_new(callback.message, state, partner)
        return
    draft = (await state.get_data()).get("draft", {})
    step = draft.get("paused_at") or "request_type"
    await callback.message.answer("📝", reply_markup=ReplyKeyboardRemove())
    await ask(step, callback.message, state, partner)


async def leave_dialog(state: FSMContext) -> bool:
    """The partner went elsewhere through the menu: a case in progress keeps its draft and the
    step it was on (offered again on "New case"). Returns True when a draft was paused."""
    current = await state.get_state()
    if current is None:
        return False
    await state.set_state(None)
    if current not in Intake.__all_states_names__ or current == Intake.resume.state:
        return False
    step = current.split(":")[-1]
    if step.startswith("contact"):
        step = "contact"
    elif step == "brand_other":
        step = "brand"
    elif step not in ORDER:
        step = "summary"
    await update_draft(state, paused_at=step)
    return True


# "/stats", "/help@desk_bot now": a command. "/dev/sda is full" or "/ no picture" is an answer.
COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]+(@\w+)?(\s|$)")


@router.message(StateFilter(Intake), F.text.regexp(COMMAND_RE))
async def on_command_during_intake(message: Message, state: FSMContext, partner: Partner) -> None:
    """A command the dialog does not know is not taken as an answer (a model called "/stats");
    the question of the step is put again."""
    await message.answer(texts.INTAKE_UNKNOWN_COMMAND)
    step = (await state.get_state() or "").split(":")[-1]
    if step == "brand_other":
        await message.answer(texts.INTAKE_BRAND_OTHER)
    elif step in ("edit", "resume"):
        await message.answer(texts.INTAKE_SUMMARY_HINT)  # their buttons are still above
    else:
        await ask("contact" if step == "contact_confirm" else step, message, state, partner)


# --- 1. request type ------------------------------------------------------------------------------

@router.callback_query(Intake.request_type, IntakeCb.filter(F.action == "type"))
async def on_type(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner) -> None:
    try:
        kind = RequestType(callback_data.value)
    except ValueError:
        await callback.answer(texts.INTAKE_EXPIRED)
        return
    await callback.answer()
    await replace_text(callback, f"{texts.INTAKE_TYPE}\n\n✔️ {texts.request_type_label(kind)}")
    draft = await update_draft(state, request_type=kind.value)
    if not kind.asks_web_access:
        draft.pop("web_access", None)
        await state.update_data(draft=draft)
    await advance("request_type", callback.message, state, partner)


@router.message(Intake.request_type)
async def wrong_type(message: Message, state: FSMContext, partner: Partner) -> None:
    await message.answer(texts.INTAKE_TYPE_HINT)
    await ask("request_type", message, state, partner)


# --- 2. brand --------------------------------------------------------------------------------------

@router.callback_query(Intake.brand, IntakeCb.filter(F.action == "brand"))
async def on_brand(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner) -> None:
    await callback.answer()
    if callback_data.value == "other":
        await drop_buttons(callback)
        await state.set_state(Intake.brand_other)
        await callback.message.answer(texts.INTAKE_BRAND_OTHER)
        return
    brand = {"dahua": Brand.DAHUA.value, "atix": Brand.ATIX.value}.get(callback_data.value)
    if brand is None:
        return
    await replace_text(callback, f"{texts.INTAKE_BRAND}\n\n✔️ {brand}")
    await update_draft(state, brand=brand)
    await advance("brand", callback.message, state, partner)


@router.message(Intake.brand_other, F.text)
async def on_brand_other(message: Message, state: FSMContext, partner: Partner) -> None:
    check = intake_rules.clean_line(message.text, 60)
    if not check.ok:
        await message.answer(texts.INTAKE_BRAND_OTHER)
        return
    await update_draft(state, brand=check.value)
    await advance("brand", message, state, partner)


@router.message(Intake.brand)
async def wrong_brand(message: Message, state: FSMContext, partner: Partner) -> None:
    await message.answer(texts.INTAKE_BRAND_HINT)
    await ask("brand", message, state, partner)


@router.message(Intake.brand_other)
async def wrong_brand_other(message: Message) -> None:
    await message.answer(texts.INTAKE_BRAND_OTHER)


# --- 3. model -------------------------------------------------------------------------------------

MODEL_BUTTONS = intake_rules.MODEL_BUTTONS


@router.message(Intake.model, F.text)
async def on_model(message: Message, state: FSMContext, partner: Partner, catalogue) -> None:
    check = intake_rules.clean_line(message.text, 100)
    if not check.ok:
        await message.answer(texts.INTAKE_MODEL_HINT)
        return
    typed = check.value
    draft = (await state.get_data()).get("draft", {})
    choice = intake_rules.choose_model(catalogue.match(typed, limit=MODEL_BUTTONS), typed, draft.get("brand"))
    if choice.model is not None:
        await update_draft(state, model=choice.model, model_matched=choice.matched,
                           model_folders=list(choice.folders), model_typed=typed)
        if choice.matched:
            await message.answer(texts.chosen_model(choice.model))
        await advance("model", message, state, partner)
        return
    offered = choice.offered
    candidates = [{"model": c.model, "folders": list(c.folders)} for c in offered]
    await update_draft(state, model_typed=typed, candidates=candidates)
    if candidates:
        # Buttons carry the index into the draft's list; the label shows the lens so variants can be told apart.
        rows = [[(texts.model_button(c), cb("model", str(i)))] for i, c in enumerate(offered)]
        rows.append([(texts.BTN_MODEL_NOT_LISTED, cb("model", "keep"))])
        question = texts.INTAKE_MODEL_FAMILY if choice.family else texts.INTAKE_MODEL_CANDIDATES
        await message.answer(question, reply_markup=keyboards.inline(rows))
    else:
        await message.answer(
            texts.INTAKE_MODEL_NOT_FOUND.format(model=texts.escape(typed)),
            reply_markup=keyboards.inline([[(texts.BTN_KEEP_AS_TYPED, cb("model", "keep"))]]),
        )


@router.callback_query(Intake.model, IntakeCb.filter(F.action == "model"))
async def on_model_choice(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner) -> None:
    draft = (await state.get_data()).get("draft", {})
    candidates = draft.get("candidates") or []
    if callback_data.value == "keep":
        typed = draft.get("model_typed")
        if not typed:
            await callback.answer(texts.INTAKE_EXPIRED)
            return
        await update_draft(state, model=typed, model_matched=False, model_folders=[], candidates=[])
        chosen = typed
    elif callback_data.value.isdigit() and int(callback_data.value) < len(candidates):
        pick = candidates[int(callback_data.value)]
        await update_draft(state, model=pick["model"], model_matched=True, model_folders=pick["folders"], candidates=[])
        chosen = pick["model"]
    else:
        await callback.answer(texts.INTAKE_EXPIRED)
        return
    await callback.answer()
    await replace_text(callback, texts.chosen_model(chosen))
    await advance("model", callback.message, state, partner)


@router.message(Intake.model, F.photo)
async def on_model_label_photo(message: Message, state: FSMContext, partner: Partner) -> None:
    """A photo of the label instead of a typed model: keep it, let the engineer read it."""
    await add_attachments(state, [attachment_of(message)])
    draft = (await state.get_data()).get("draft", {})
    caption = intake_rules.clean_line(message.caption, 100)
    typed = draft.get("model_typed") or (caption.value if caption.ok else "")
    await update_draft(state, model=typed or texts.MODEL_SEE_LABEL_PHOTO, model_matched=False,
                       model_folders=[], candidates=[])
    await message.answer(texts.INTAKE_MODEL_LABEL_PHOTO)
    await advance("model", message, state, partner)


@router.message(Intake.model)
async def wrong_model(message: Message) -> None:
    await message.answer(texts.INTAKE_MODEL_HINT)


# --- 4. serial number ----------------------------------------------------------------------------

@router.message(Intake.serial, F.text)
async def on_serial(message: Message, state: FSMContext, partner: Partner) -> None:
    if intake_rules.serial_not_at_hand(message.text):
        await update_draft(state, serial=None)
        await advance("serial", message, state, partner)
        return
    draft = (await state.get_data()).get("draft", {})
    check = intake_rules.check_serial(message.text, draft.get("brand", ""))
    if not check.ok:
        await message.answer(
            texts.INTAKE_SERIAL_BAD.format(value=texts.escape(check.value[:40]), problem=texts.check_problem(check)),
            reply_markup=keyboards.inline([[(texts.BTN_SERIAL_MISSING, cb("serial", "missing"))]]),
        )
        return
    await update_draft(state, serial=check.value)
    await message.answer(texts.chosen_serial(check.value))
    await advance("serial", message, state, partner)


@router.callback_query(Intake.serial, IntakeCb.filter(F.action == "serial"))
async def on_serial_missing(callback: CallbackQuery, state: FSMContext, partner: Partner) -> None:
    await callback.answer()
    await drop_buttons(callback)
    await update_draft(state, serial=None)
    await advance("serial", callback.message, state, partner)


@router.message(Intake.serial)
async def wrong_serial(message: Message) -> None:
    await message.answer(texts.INTAKE_SERIAL_HINT,
                         reply_markup=keyboards.inline([[(texts.BTN_SERIAL_MISSING, cb("serial", "missing"))]]))


# --- 5. description -------------------------------------------------------------------------------

@router.message(Intake.description, F.text)
async def on_description(message: Message, state: FSMContext, partner: Partner) -> None:
    check = intake_rules.check_description(message.text)
    if not check.ok:
        await message.answer(texts.INTAKE_DESCRIPTION_SHORT)
        return
    await update_draft(state, description=check.value)
    excluded = scope.detect(check.value)
    if excluded:
        # Said once, politely, and the partner goes on: the rest of the request may well be ours.
        await message.answer(texts.out_of_scope_notice(excluded))
    await advance("description", message, state, partner)


@router.message(Intake.description, F.voice | F.audio | F.photo | F.video | F.document)
async def on_description_media(message: Message, state: FSMContext, partner: Partner) -> None:
    """Media here is kept as an attachment; a caption long enough serves as the description."""
    added = await add_attachments(state, [attachment_of(message)])
    caption_check = intake_rules.check_description(message.caption or "")
    if caption_check.ok:
        await update_draft(state, description=caption_check.value)
        await advance("description", message, state, partner)
        return
    if added:
        await message.answer(texts.INTAKE_DESCRIPTION_VOICE)
    else:
        await message.answer(texts.INTAKE_DESCRIPTION_HINT)


@router.message(Intake.description)
async def wrong_description(message: Message) -> None:
    await message.answer(texts.INTAKE_DESCRIPTION_HINT)


# --- 6. attachments ---------------------------------------------------------------------------------

async def add_attachments(state: FSMContext, items: list[Attachment | None]) -> int:
    """Adds new files (a repeated update adds nothing) in the partner's order, whatever order an
    album's items arrive in; returns how many were added. Over the limit, the files the partner
    put last are the ones left out."""
    draft = (await state.get_data()).get("draft", {})
    current = [Attachment.from_dict(i) for i in draft.get("attachments", [])]
    seen = {i.file_unique_id for i in current}
    new = []
    for item in items:
        if item is None or item.file_unique_id in seen:
            continue
        new.append(item)
        seen.add(item.file_unique_id)
    kept = in_partners_order(current + new)[:MAX_ATTACHMENTS]
    await update_draft(state, attachments=[i.as_dict() for i in kept])
    return len(kept) - len(current)


@router.message(Intake.attachments, F.photo | F.video | F.document | F.audio | F.voice | F.animation | F.video_note)
async def on_attachment(message: Message, state: FSMContext, debouncer: Debouncer) -> None:
    item = attachment_of(message)
    draft = (await state.get_data()).get("draft", {})
    already = any(i["file_unique_id"] == item.file_unique_id for i in draft.get("attachments", []))
    added = await add_attachments(state, [item])
    key = f"files:{message.chat.id}"
    debouncer.add(key, 0 if (added or already) else 1)

    async def acknowledge() -> None:
        rejected = debouncer.take(key)
        count = len((await state.get_data()).get("draft", {}).get("attachments", []))
        text = texts.INTAKE_ATTACHMENT_ADDED.format(count=count, limit=MAX_ATTACHMENTS)
        if rejected:
            text = texts.INTAKE_ATTACHMENT_LIMIT.format(limit=MAX_ATTACHMENTS, rejected=rejected) + "\n" + text
        await message.answer(text, reply_markup=keyboards.inline([[(texts.BTN_DONE, cb("files", "done"))]]))

    # One answer per album (or quick burst of files), after its last item, not one per photo.
    debouncer.schedule(key, ALBUM_QUIET, acknowledge)


@router.callback_query(Intake.attachments, IntakeCb.filter(F.action == "files"))
async def on_attachments_done(callback: CallbackQuery, state: FSMContext, partner: Partner) -> None:
    await callback.answer()
    await drop_buttons(callback)
    await advance("attachments", callback.message, state, partner)


@router.message(Intake.attachments)
async def wrong_attachment(message: Message) -> None:
    await message.answer(texts.INTAKE_ATTACHMENT_HINT,
                         reply_markup=keyboards.inline([[(texts.BTN_DONE, cb("files", "done"))]]))


# --- 7. web access ----------------------------------------------------------------------------------

@router.callback_query(Intake.web_access, IntakeCb.filter(F.action == "web"))
async def on_web_access(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner) -> None:
    if callback_data.value not in ("yes", "no"):
        await callback.answer(texts.INTAKE_EXPIRED)
        return
    await callback.answer()
    allowed = callback_data.value == "yes"
    await replace_text(callback, f"{texts.INTAKE_WEB_ACCESS}\n\n✔️ {texts.BTN_YES if allowed else texts.BTN_NO}")
    await update_draft(state, web_access=allowed)
    await advance("web_access", callback.message, state, partner)


@router.message(Intake.web_access)
async def wrong_web_access(message: Message, state: FSMContext, partner: Partner) -> None:
    await message.answer(texts.INTAKE_WEB_ACCESS_HINT)
    await ask("web_access", message, state, partner)


# --- 8. contact -------------------------------------------------------------------------------------

@router.callback_query(Intake.contact_confirm, IntakeCb.filter(F.action == "contact"))
async def on_contact_confirm(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner) -> None:
    await callback.answer()
    await drop_buttons(callback)
    if callback_data.value == "edit":
        await ask("contact_name", callback.message, state, partner)
        return
    await advance("contact", callback.message, state, partner)


@router.message(Intake.contact_confirm)
async def wrong_contact_confirm(message: Message, state: FSMContext, partner: Partner) -> None:
    await ask("contact", message, state, partner)


@router.message(Intake.contact_name, F.text)
async def on_contact_name(message: Message, state: FSMContext, partner: Partner) -> None:
    check = intake_rules.clean_line(message.text, 100)
    if not check.ok:
        await message.answer(texts.INTAKE_CONTACT_NAME_HINT)
        return
    draft = (await state.get_data()).get("draft", {})
    contact = dict(draft.get("contact") or {})
    contact["name"] = check.value
    await update_draft(state, contact=contact)
    await ask("contact_company", message, state, partner)


@router.message(Intake.contact_name)
async def wrong_contact_name(message: Message) -> None:
    await message.answer(texts.INTAKE_CONTACT_NAME_HINT)


async def set_company(state: FSMContext, company: str | None) -> None:
    draft = (await state.get_data()).get("draft", {})
    contact = dict(draft.get("contact") or {})
    contact["company"] = company
    await update_draft(state, contact=contact)


@router.message(Intake.contact_company, F.text)
async def on_contact_company(message: Message, state: FSMContext, partner: Partner) -> None:
    check = intake_rules.clean_line(message.text, 120)
    if not check.ok:
        await message.answer(texts.INTAKE_CONTACT_COMPANY)
        return
    await set_company(state, None if check.value in ("-", "—") else check.value)
    await ask("contact_phone", message, state, partner)


@router.callback_query(Intake.contact_company, IntakeCb.filter(F.action == "company"))
async def on_contact_company_skip(callback: CallbackQuery, state: FSMContext, partner: Partner) -> None:
    await callback.answer()
    await drop_buttons(callback)
    await set_company(state, None)
    await ask("contact_phone", callback.message, state, partner)


@router.message(Intake.contact_company)
async def wrong_contact_company(message: Message) -> None:
    await message.answer(texts.INTAKE_CONTACT_COMPANY,
                         reply_markup=keyboards.inline([[(texts.BTN_SKIP, cb("company", "skip"))]]))


async def set_phone(message: Message, state: FSMContext, partner: Partner, raw: str, contacts: Contacts) -> None:
    check = intake_rules.normalize_phone(raw)
    if not check.ok:
        await message.answer(texts.INTAKE_CONTACT_PHONE_BAD.format(value=texts.escape(raw[:40]), problem=texts.check_problem(check)))
        await ask("contact_phone", message, state, partner)
        return
    draft = (await state.get_data()).get("draft", {})
    contact = dict(draft.get("contact") or {})
    contact["phone"] = check.value
    await update_draft(state, contact=contact)
    # Remembered for next time; the partner confirms or edits it then.
    await contacts.remember(partner.user_id, contact)
    await message.answer(texts.chosen_phone(check.value), reply_markup=ReplyKeyboardRemove())
    await advance("contact", message, state, partner)


@router.message(Intake.contact_phone, F.contact)
async def on_contact_shared(message: Message, state: FSMContext, partner: Partner, contacts: Contacts) -> None:
    if message.contact.user_id != message.from_user.id:
        await message.answer(texts.INTAKE_CONTACT_NOT_OWN)
        return
    await set_phone(message, state, partner, message.contact.phone_number, contacts)


@router.message(Intake.contact_phone, F.text)
async def on_contact_phone(message: Message, state: FSMContext, partner: Partner, contacts: Contacts) -> None:
    await set_phone(message, state, partner, message.text, contacts)


@router.message(Intake.contact_phone)
async def wrong_contact_phone(message: Message, state: FSMContext, partner: Partner) -> None:
    await ask("contact_phone", message, state, partner)


# --- 9. summary -----------------------------------------------------------------------------------

@router.callback_query(Intake.summary, IntakeCb.filter(F.action == "summary"))
async def on_summary(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner,
                     cases: CaseService) -> None:
    action = callback_data.value
    if action == "cancel":
        await callback.answer()
        await drop_buttons(callback)
        await state.clear()
        await callback.message.answer(texts.INTAKE_CANCELLED, reply_markup=keyboards.main_menu())
        return
    if action == "edit":
        await callback.answer()
        await drop_buttons(callback)
        await state.set_state(Intake.edit)
        draft = (await state.get_data()).get("draft", {})
        steps = [s for s in ORDER if s != "web_access" or RequestType(draft["request_type"]).asks_web_access]
        rows = [[(texts.EDIT_LABELS[s], cb("edit", s))] for s in steps]
        rows.append([(texts.BTN_BACK_TO_SUMMARY, cb("edit", "summary"))])
        await callback.message.answer(texts.INTAKE_EDIT, reply_markup=keyboards.inline(rows))
        return
    if action != "send":
        await callback.answer(texts.INTAKE_EXPIRED)
        return
    await send_draft(callback, state, partner, cases)  # a summary shown before buttons named the draft


@router.callback_query(Intake.summary, IntakeCb.filter(F.action == "send"))
async def on_send(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner,
                  cases: CaseService) -> None:
    draft = (await state.get_data()).get("draft", {})
    if callback_data.value != draft.get("submit_key"):
        await on_sent_before(callback, callback_data, partner, cases)  # the summary of an earlier draft
        return
    await send_draft(callback, state, partner, cases)


async def send_draft(callback: CallbackQuery, state: FSMContext, partner: Partner, cases: CaseService) -> None:
    """The "accepted" message with the case number goes through the outbox, queued with the case:
    the partner gets it exactly once, whether or not this handler lives to the end."""
    draft = (await state.get_data()).get("draft", {})
    result = await cases.submit_draft(partner.user_id, draft)
    await state.clear()
    # Handled again after a crash: the message is queued already; the toast names the case.
    await callback.answer(None if result.created else texts.CASE_ALREADY_SENT.format(number=result.case.number))
    await drop_buttons(callback)


@router.callback_query(Intake.edit, IntakeCb.filter(F.action == "edit"))
async def on_edit_choice(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner) -> None:
    step = callback_data.value
    if step != "summary" and step not in ORDER:
        await callback.answer(texts.INTAKE_EXPIRED)
        return
    await callback.answer()
    await drop_buttons(callback)
    if step == "summary":
        await ask("summary", callback.message, state, partner)
        return
    draft = await update_draft(state, editing=True)
    if step == "contact":
        draft.pop("contact", None)
        await state.update_data(draft=draft)
        await ask("contact_name", callback.message, state, partner)
        return
    await ask(step, callback.message, state, partner)


@router.message(Intake.summary)
@router.message(Intake.edit)
@router.message(Intake.resume)
async def wrong_summary(message: Message, state: FSMContext, partner: Partner) -> None:
    await message.answer(texts.INTAKE_SUMMARY_HINT)
    current = await state.get_state()
    if current == Intake.summary.state:
        await ask("summary", message, state, partner)


@router.callback_query(IntakeCb.filter(F.action == "summary"))
async def on_summary_again(callback: CallbackQuery) -> None:
    """A second press of "Send" (or of any summary button) after the case went out."""
    await callback.answer(texts.INTAKE_ALREADY_SENT, show_alert=False)


@router.callback_query(IntakeCb.filter(F.action == "send"))
async def on_sent_before(callback: CallbackQuery, callback_data: IntakeCb, partner: Partner,
                         cases: CaseService) -> None:
    """"Send" pressed again after the case went out, or the press handled again after a crash
    cut its first handling short (the "accepted" message is in the outbox): say which case."""
    case = await cases.by_submit_key(callback_data.value) if callback_data.value else None
    if case is None or case.partner_id != partner.user_id:
        await callback.answer(texts.INTAKE_EXPIRED)
        return
    await callback.answer(texts.CASE_ALREADY_SENT.format(number=case.number))
    await drop_buttons(callback)


@router.callback_query(IntakeCb.filter())
async def on_stale_intake_button(callback: CallbackQuery) -> None:
    await callback.answer(texts.INTAKE_EXPIRED)
