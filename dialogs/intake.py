"""The intake dialog: a partner files a complete case step by step, can edit any step from the
summary, and loses nothing to a wrong input, a pause or a restart of the bot.

One table, STEPS, drives it: asking, which step comes next, pausing and resuming, editing from the
summary and the summary itself. A step's state has the step's name. Adding a step means an entry
in STEPS, its texts, and its handlers below."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from aiogram import Bot, F
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import (
    CallbackQuery,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot import keyboards, texts
from bot.callbacks import IntakeCb
from bot.domain import MAX_ATTACHMENTS, TELEGRAM_DOWNLOAD_LIMIT, Attachment, Brand, Partner, RequestType
from bot.routing import RouterRecipe
from bot.services import intake_rules, scope
from bot.services.cases import in_partners_order
from bot.services.contacts import Contacts
from bot.services.debounce import Debouncer
from bot.services.intake import IntakeService
from bot.services.intake_draft import IntakeDraft
from bot.telegram.filters import PrivateChat
from bot.telegram.ui import drop_buttons, replace_text
from bot.visible_text import clean, is_blank
from dialogs.states import Intake

log = logging.getLogger(__name__)

router = RouterRecipe(__name__)  # built afresh per Dispatcher: handlers.get_routers()
router.message.filter(PrivateChat())
router.callback_query.filter(PrivateChat())

# Album items arrive within a moment of each other; one answer after the last is enough.
ALBUM_QUIET = 1.0
SUMMARY = "summary"


# Every kind of file a partner can attach to a case.
FILES = F.photo | F.video | F.document | F.audio | F.voice | F.animation | F.video_note


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


# --- the draft in the FSM ------------------------------------------------------------------------------

async def load(state: FSMContext) -> IntakeDraft:
    """The draft, whatever version stored it (a dialog begun before an upgrade carries on)."""
    return IntakeDraft.from_dict((await state.get_data()).get("draft"))


async def save(state: FSMContext, draft: IntakeDraft) -> IntakeDraft:
    await state.update_data(draft=draft.to_dict())
    return draft


@dataclass
class Asking:
    """What asking a step needs; `draft` is saved after the question went out."""

    message: Message
    state: FSMContext
    draft: IntakeDraft
    partner: Partner | None

    async def question(self, text: str, rows: list[list[tuple[str, str]]] | None = None, **kwargs) -> Message:
        """Send a question; one with buttons is remembered, so its buttons go once the step is answered."""
        markup = keyboards.inline(rows) if rows else kwargs.pop("reply_markup", None)
        sent = await self.message.answer(text, reply_markup=markup, **kwargs)
        if rows:
            self.draft = self.draft.changed(buttons=(*self.draft.buttons, sent.message_id))
        return sent


Asker = Callable[[Asking], Awaitable[None]]


def _always(draft: IntakeDraft) -> bool:
    return True


@dataclass(frozen=True)
class Step:
    """One step of the intake: its state is `Intake.<name>`."""

    name: str
    ask: Asker
    summary: Callable[[IntakeDraft], str | None] | None = None  # its line in the summary
    applies: Callable[[IntakeDraft], bool] = _always  # for which drafts (request types) it is asked
    editable: bool = True  # offered under "Изменить" (its button says texts.EDIT_LABELS[name])
    parts: dict[str, Asker] = field(default_factory=dict)  # further states of the step and their questions
    resets: tuple[str, ...] = ()  # editing this step asks these again
    edit: Asker | None = None  # how an edit from the summary asks it, when not as `ask`

    @property
    def state(self) -> State:
        return getattr(Intake, self.name)


# --- asking each step -------------------------------------------------------------------------------

async def ask_request_type(a: Asking) -> None:
    rows = [[(texts.request_type_label(t), cb("type", t.value))] for t in RequestType]
    await a.question(texts.INTAKE_TYPE, rows)


async def ask_brand(a: Asking) -> None:
    rows = [[(Brand.DAHUA.value, cb("brand", "dahua")), (Brand.ATIX.value, cb("brand", "atix"))],
            [(texts.BTN_OTHER_BRAND, cb("brand", "other"))]]
    await a.question(texts.INTAKE_BRAND, rows)


async def ask_brand_other(a: Asking) -> None:
    await a.question(texts.INTAKE_BRAND_OTHER)


async def ask_label(a: Asking) -> None:
    label = a.draft.label or {}
    await a.question(texts.label_confirm(label.get("model"), label.get("serial")),
                     [[(texts.BTN_LABEL_YES, cb("label", "yes")), (texts.BTN_LABEL_FIX, cb("label", "fix"))]])


async def ask_model(a: Asking) -> None:
    await a.question(texts.intake_model(a.draft.brand))


async def ask_serial(a: Asking) -> None:
    await a.question(texts.INTAKE_SERIAL, serial_rows())


def serial_rows() -> list[list[tuple[str, str]]]:
    return [[(texts.BTN_SERIAL_MISSING, cb("serial", "missing"))]]


async def ask_description(a: Asking) -> None:
    await a.question(texts.INTAKE_DESCRIPTION)


async def ask_bulletins(a: Asking) -> None:
    await a.question(texts.bulletins_offer(a.draft.bulletins), bulletin_rows())


def bulletin_rows() -> list[list[tuple[str, str]]]:
    return [[(texts.BTN_BULLETIN_HELPED, cb("bulletin", "helped"))],
            [(texts.BTN_BULLETIN_NOT_HELPED, cb("bulletin", "no"))]]


async def ask_attachments(a: Asking) -> None:
    text = texts.INTAKE_ATTACHMENTS.format(limit=MAX_ATTACHMENTS)
    if a.draft.attachments:
        text += "\n" + texts.INTAKE_ATTACHMENT_ADDED.format(count=len(a.draft.attachments), limit=MAX_ATTACHMENTS)
    await a.question(text, done_rows())


def done_rows() -> list[list[tuple[str, str]]]:
    return [[(texts.BTN_DONE, cb("files", "done"))]]


async def ask_web_access(a: Asking) -> None:
    await a.question(texts.INTAKE_WEB_ACCESS, [[(texts.BTN_YES, cb("web", "yes")), (texts.BTN_NO, cb("web", "no"))]])


async def ask_contact(a: Asking) -> None:
    contact = IntakeService.contact_to_confirm(a.draft, a.partner)
    if contact is None:
        await ask_part("contact_name", a)
        return
    a.draft = a.draft.changed(contact=contact)
    block = texts.contact_block(contact["name"], contact.get("company"), contact["phone"])
    await a.question(texts.INTAKE_CONTACT_CONFIRM.format(contact=block),
                     [[(texts.BTN_CONTACT_OK, cb("contact", "ok")), (texts.BTN_CONTACT_EDIT, cb("contact", "edit"))]])


async def edit_contact(a: Asking) -> None:
    a.draft = a.draft.changed(contact=None)
    await ask_part("contact_name", a)


async def ask_contact_name(a: Asking) -> None:
    await a.question(texts.INTAKE_CONTACT_NAME, reply_markup=ReplyKeyboardRemove())


async def ask_contact_company(a: Asking) -> None:
    await a.question(texts.INTAKE_CONTACT_COMPANY, company_rows())


def company_rows() -> list[list[tuple[str, str]]]:
    return [[(texts.BTN_SKIP, cb("company", "skip"))]]


async def ask_contact_phone(a: Asking) -> None:
    await a.question(texts.INTAKE_CONTACT_PHONE, reply_markup=ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=texts.BTN_SHARE_PHONE, request_contact=True)]],
        resize_keyboard=True, one_time_keyboard=True))


def asks_web_access(draft: IntakeDraft) -> bool:
    return draft.kind is not None and draft.kind.asks_web_access


STEPS: tuple[Step, ...] = (
    Step("request_type", ask_request_type, lambda d: texts.summary_type(d.kind)),
    Step("brand", ask_brand, parts={"brand_other": ask_brand_other}, resets=("model",)),
    # Entered from the model or serial step when a label photo was read; the partner's "yes" answers both.
    Step("label", ask_label, applies=lambda d: d.label is not None, editable=False),
    Step("model", ask_model, lambda d: texts.summary_equipment(d.brand, d.model, d.model_matched)),
    Step("serial", ask_serial, lambda d: texts.summary_serial(d.serial)),
    Step("description", ask_description, lambda d: texts.summary_description(d.description)),
    # General and documentation questions: bulletins that may answer it, before a case is filed.
    Step("bulletins", ask_bulletins, applies=IntakeService.offers_bulletins, editable=False),
    Step("attachments", ask_attachments, lambda d: texts.summary_attachments(len(d.attachments))),
    Step("web_access", ask_web_access, lambda d: texts.summary_web_access(d.web_access), applies=asks_web_access),
    Step("contact", ask_contact, lambda d: texts.summary_contact(d.contact), edit=edit_contact,
         parts={"contact_name": ask_contact_name, "contact_company": ask_contact_company,
                "contact_phone": ask_contact_phone}),
)
BY_NAME = {step.name: step for step in STEPS}
# Every state of the dialog that belongs to a step, parts included, to that step.
STEP_OF_STATE = {getattr(Intake, name).state: step for step in STEPS for name in (step.name, *step.parts)}
# Before version 2 the contact's confirmation had a state of its own.
STEP_OF_STATE[Intake.contact_confirm.state] = BY_NAME["contact"]


def next_step(draft: IntakeDraft) -> str:
    """The first step that applies and is not answered yet; the summary once all are."""
    for step in STEPS:
        if step.applies(draft) and not draft.is_answered(step.name):
            return step.name
    return SUMMARY


def summary_text(draft: IntakeDraft) -> str:
    lines = [step.summary(draft) for step in STEPS if step.summary and step.applies(draft)]
    return texts.draft_summary([line for line in lines if line])


async def ask_summary(a: Asking) -> None:
    # "Send" names its draft: pressed again after the case went out (or replayed after a crash), it
    # can still say which case that was.
    await a.question(summary_text(a.draft), [
        [(texts.BTN_SEND, cb("send", a.draft.submit_key))],
        [(texts.BTN_EDIT, cb("summary", "edit")), (texts.BTN_CANCEL, cb("summary", "cancel"))],
    ])


async def ask_part(name: str, a: Asking) -> None:
    """Put the partner on a step (or a part of one, or the summary) and show its question."""
    if name == SUMMARY:
        await a.state.set_state(Intake.summary)
        await ask_summary(a)
        return
    step = BY_NAME.get(name)
    asker = step.ask if step is not None else next(s.parts[name] for s in STEPS if name in s.parts)
    await a.state.set_state(getattr(Intake, name))
    await asker(a)


async def ask(name: str, message: Message, state: FSMContext, partner: Partner | None,
              draft: IntakeDraft | None = None, *, how: Asker | None = None) -> IntakeDraft:
    """Ask `name` (a step, a part of one, or the summary) and save the draft as the question left it."""
    asking = Asking(message, state, draft if draft is not None else await load(state), partner)
    if how is not None:
        await state.set_state(BY_NAME[name].state)
        await how(asking)
    else:
        await ask_part(name, asking)
    return await save(state, asking.draft)


async def advance(message: Message, state: FSMContext, partner: Partner | None, draft: IntakeDraft,
                  *, pressed: Message | None = None) -> None:
    """A step was answered: its questions lose their buttons, and the next step is asked."""
    draft = await clear_buttons(message.bot, message.chat.id, draft, keep=pressed)
    await ask(next_step(draft), message, state, partner, draft)


async def clear_buttons(bot: Bot | None, chat_id: int, draft: IntakeDraft, keep: Message | None = None) -> IntakeDraft:
    """Remove the buttons of the questions asked so far (the pressed one was edited already): pressed
    later, they would only say "this step is done"."""
    for message_id in draft.buttons:
        if keep is not None and message_id == keep.message_id:
            continue
        try:
            await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None)
        except TelegramBadRequest:
            pass  # edited already, deleted, or older than Telegram lets a bot edit
        except TelegramAPIError as exc:
            log.info("intake: buttons of message %s stay: %s", message_id, exc)
    return draft.changed(buttons=())


# --- starting, pausing, cancelling ----------------------------------------------------------------------

@router.message(F.text == texts.MENU_NEW_CASE)
@router.message(Command("new"))
async def on_new_case(message: Message, state: FSMContext, partner: Partner) -> None:
    draft = await load(state)
    if draft.started:
        await state.set_state(Intake.resume)
        await message.answer(texts.INTAKE_DRAFT_FOUND, reply_markup=keyboards.inline(
            [[(texts.BTN_RESUME, cb("draft", "resume")), (texts.BTN_RESTART, cb("draft", "restart"))]]))
        return
    await start_new(message, state, partner)


async def start_new(message: Message, state: FSMContext, partner: Partner | None) -> None:
    old = await load(state)
    await clear_buttons(message.bot, message.chat.id, old)
    await state.set_data({})
    await ask("request_type", message, state, partner, IntakeDraft(submit_key=uuid.uuid4().hex))


@router.callback_query(Intake.resume, IntakeCb.filter(F.action == "draft"))
async def on_resume_choice(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner) -> None:
    await callback.answer()
    await drop_buttons(callback)
    if callback_data.value == "restart":
        await start_new(callback.message, state, partner)
        return
    draft = await load(state)
    await ask(next_step(draft), callback.message, state, partner, draft)


async def leave_dialog(state: FSMContext) -> bool:
    """The partner went elsewhere through the menu: a case in progress keeps its draft, which knows
    the steps done (offered again on "New case"). Returns True when a draft was paused."""
    current = await state.get_state()
    if current is None:
        return False
    await state.set_state(None)
    return current in Intake.__all_states_names__ and current != Intake.resume.state


# "/stats", "/help@desk_bot now": a command. "/dev/sda is full" or "/ no picture" is an answer.
COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]+(@\w+)?(\s|$)")


@router.message(StateFilter(Intake), F.text.regexp(COMMAND_RE))
async def on_command_during_intake(message: Message, state: FSMContext, partner: Partner) -> None:
    """A command the dialog does not know is not taken as an answer (a model called "/stats");
    the question of the step is put again."""
    await message.answer(texts.INTAKE_UNKNOWN_COMMAND)
    current = await state.get_state() or ""
    name = current.split(":")[-1]
    if name in ("edit", "resume"):
        await message.answer(texts.INTAKE_SUMMARY_HINT)  # their buttons are still above
    elif current == Intake.contact_confirm.state:
        await ask("contact", message, state, partner)
    else:
        await ask(name, message, state, partner)


# --- request type ---------------------------------------------------------------------------------

@router.callback_query(Intake.request_type, IntakeCb.filter(F.action == "type"))
async def on_type(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner) -> None:
    try:
        kind = RequestType(callback_data.value)
    except ValueError:
        await callback.answer(texts.INTAKE_EXPIRED)
        return
    await callback.answer()
    await replace_text(callback, f"{texts.INTAKE_TYPE}\n\n✔️ {texts.request_type_label(kind)}")
    draft = (await load(state)).answer("request_type", request_type=kind.value)
    if not kind.asks_web_access:
        draft = draft.reopen("web_access", web_access=None)  # asked afresh should the type change back
    await advance(callback.message, state, partner, draft, pressed=callback.message)


@router.message(Intake.request_type)
async def wrong_type(message: Message, state: FSMContext, partner: Partner) -> None:
    await message.answer(texts.INTAKE_TYPE_HINT)
    await ask("request_type", message, state, partner)


# --- brand ----------------------------------------------------------------------------------------

@router.callback_query(Intake.brand, IntakeCb.filter(F.action == "brand"))
async def on_brand(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner) -> None:
    await callback.answer()
    if callback_data.value == "other":
        await drop_buttons(callback)
        await ask("brand_other", callback.message, state, partner)
        return
    brand = {"dahua": Brand.DAHUA.value, "atix": Brand.ATIX.value}.get(callback_data.value)
    if brand is None:
        return
    await replace_text(callback, f"{texts.INTAKE_BRAND}\n\n✔️ {brand}")
    draft = (await load(state)).answer("brand", brand=brand)
    await advance(callback.message, state, partner, draft, pressed=callback.message)


@router.message(Intake.brand_other, F.text)
async def on_brand_other(message: Message, state: FSMContext, partner: Partner) -> None:
    check = intake_rules.clean_line(message.text, 60)
    if not check.ok:
        await message.answer(texts.INTAKE_BRAND_OTHER)
        return
    await advance(message, state, partner, (await load(state)).answer("brand", brand=check.value))


@router.message(Intake.brand)
async def wrong_brand(message: Message, state: FSMContext, partner: Partner) -> None:
    await message.answer(texts.INTAKE_BRAND_HINT)
    await ask("brand", message, state, partner)


@router.message(Intake.brand_other)
async def wrong_brand_other(message: Message) -> None:
    await message.answer(texts.INTAKE_BRAND_OTHER)


# --- label photo (at the model and serial steps) -----------------------------------------------------

IMAGE_FILE = F.document.mime_type.startswith("image/")


@router.message(StateFilter(Intake.model, Intake.serial), F.photo | IMAGE_FILE)
async def on_label_photo(message: Message, state: FSMContext, partner: Partner, intake: IntakeService) -> None:
    """A photo of the label instead of typing: it joins the case's files, and what it says is shown for a
    "yes". Unread, the partner types as before."""
    at_model = await state.get_state() == Intake.model.state
    draft = add_attachments(await load(state), [attachment_of(message)])[0]
    file = message.photo[-1] if message.photo else message.document
    label = None
    if file.file_size is not None and file.file_size > TELEGRAM_DOWNLOAD_LIMIT:
        await save(state, draft)
        await message.answer(texts.INTAKE_LABEL_TOO_BIG)
        return
    try:
        data = (await message.bot.download(file.file_id)).read()
    except TelegramAPIError as exc:  # "file is too big" for a size Telegram did not tell in advance
        log.info("label photo not downloaded: %s", exc)
    else:
        label = await intake.read_label(data, draft.brand)
    if label is None:
        await save(state, draft)
        if at_model:
            await message.answer(texts.INTAKE_LABEL_UNREADABLE_MODEL)
        else:
            await message.answer(texts.INTAKE_LABEL_UNREADABLE_SERIAL, reply_markup=keyboards.inline(serial_rows()))
        return
    if not at_model:
        # The model was typed already: the label speaks for the serial only.
        label = {**label, "model": None} if label.get("serial") else None
        if label is None:
            await save(state, draft)
            await message.answer(texts.INTAKE_LABEL_UNREADABLE_SERIAL, reply_markup=keyboards.inline(serial_rows()))
            return
    await ask("label", message, state, partner, draft.changed(label=label))


@router.callback_query(Intake.label, IntakeCb.filter(F.action == "label"))
async def on_label_answer(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner,
                          intake: IntakeService) -> None:
    draft = await load(state)
    if callback_data.value not in ("yes", "fix") or draft.label is None:
        await callback.answer(texts.INTAKE_EXPIRED)
        return
    await callback.answer()
    if callback_data.value == "yes":
        label = draft.label
        await replace_text(callback, texts.label_confirm(label.get("model"), label.get("serial")) + f"\n\n✔️ {texts.BTN_LABEL_YES}")
        draft = intake.confirm_label(draft)
    else:
        await drop_buttons(callback)
        await callback.message.answer(texts.INTAKE_LABEL_FIX)
        draft = draft.changed(label=None)
    await advance(callback.message, state, partner, draft, pressed=callback.message)


@router.message(Intake.label, FILES)
async def on_label_another_file(message: Message, state: FSMContext) -> None:
    await save(state, add_attachments(await load(state), [attachment_of(message)])[0])
    await message.answer(texts.INTAKE_LABEL_HINT)


@router.message(Intake.label)
async def wrong_label(message: Message) -> None:
    await message.answer(texts.INTAKE_LABEL_HINT)


# --- model -------------------------------------------------------------------------------------------

@router.message(Intake.model, F.text)
async def on_model(message: Message, state: FSMContext, partner: Partner, intake: IntakeService) -> None:
    check = intake_rules.clean_line(message.text, 100)
    if not check.ok:
        await message.answer(texts.INTAKE_MODEL_HINT)
        return
    typed = check.value
    draft = await load(state)
    choice = intake.choose_model(typed, draft.brand)
    draft = intake.with_model(draft, choice, typed)
    if choice.model is not None:
        if choice.matched:
            await message.answer(texts.chosen_model(choice.model))
        await advance(message, state, partner, draft)
        return
    asking = Asking(message, state, draft, partner)
    if choice.offered:
        # Buttons carry the index into the draft's list; the label shows the lens so variants can be told apart.
        rows = [[(texts.model_button(c), cb("model", str(i)))] for i, c in enumerate(choice.offered)]
        rows.append([(texts.BTN_MODEL_NOT_LISTED, cb("model", "keep"))])
        await asking.question(texts.INTAKE_MODEL_FAMILY if choice.family else texts.INTAKE_MODEL_CANDIDATES, rows)
    else:
        await asking.question(texts.INTAKE_MODEL_NOT_FOUND.format(model=texts.escape(typed)),
                              [[(texts.BTN_KEEP_AS_TYPED, cb("model", "keep"))]])
    await save(state, asking.draft)


@router.callback_query(Intake.model, IntakeCb.filter(F.action == "model"))
async def on_model_choice(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner) -> None:
    draft = await load(state)
    if callback_data.value == "keep" and draft.model_typed:
        chosen, matched, folders = draft.model_typed, False, ()
    elif callback_data.value.isdigit() and int(callback_data.value) < len(draft.candidates):
        pick = draft.candidates[int(callback_data.value)]
        chosen, matched, folders = pick["model"], True, tuple(pick["folders"])
    else:
        await callback.answer(texts.INTAKE_EXPIRED)
        return
    await callback.answer()
    await replace_text(callback, texts.chosen_model(chosen))
    draft = draft.answer("model", model=chosen, model_matched=matched, model_folders=folders, candidates=())
    await advance(callback.message, state, partner, draft, pressed=callback.message)


@router.message(Intake.model)
async def wrong_model(message: Message) -> None:
    await message.answer(texts.INTAKE_MODEL_HINT)


# --- serial number ----------------------------------------------------------------------------------

@router.message(Intake.serial, F.text)
async def on_serial(message: Message, state: FSMContext, partner: Partner) -> None:
    draft = await load(state)
    if intake_rules.serial_not_at_hand(message.text):
        await advance(message, state, partner, draft.answer("serial", serial=None))
        return
    check = intake_rules.check_serial(message.text, draft.brand or "")
    if not check.ok:
        asking = Asking(message, state, draft, partner)
        await asking.question(
            texts.INTAKE_SERIAL_BAD.format(value=texts.escape(check.typed[:40]), problem=texts.check_problem(check)),
            serial_rows())
        await save(state, asking.draft)
        return
    await message.answer(texts.chosen_serial(check.value))
    await advance(message, state, partner, draft.answer("serial", serial=check.value))


@router.callback_query(Intake.serial, IntakeCb.filter(F.action == "serial"))
async def on_serial_missing(callback: CallbackQuery, state: FSMContext, partner: Partner) -> None:
    await callback.answer()
    await drop_buttons(callback)
    draft = (await load(state)).answer("serial", serial=None)
    await advance(callback.message, state, partner, draft, pressed=callback.message)


@router.message(Intake.serial)
async def wrong_serial(message: Message) -> None:
    await message.answer(texts.INTAKE_SERIAL_HINT, reply_markup=keyboards.inline(serial_rows()))


# --- description ------------------------------------------------------------------------------------

@router.message(Intake.description, F.text)
async def on_description(message: Message, state: FSMContext, partner: Partner, intake: IntakeService) -> None:
    check = intake_rules.check_description(message.text)
    if not check.ok:
        await message.answer(texts.INTAKE_DESCRIPTION_SHORT)
        return
    await described(message, state, partner, (await load(state)), check.value, intake)


async def described(message: Message, state: FSMContext, partner: Partner, draft: IntakeDraft, text: str,
                    intake: IntakeService) -> None:
    excluded = scope.detect(text)
    if excluded:
        # Said once, politely, and the partner goes on: the rest of the request may well be ours.
        await message.answer(texts.out_of_scope_notice(excluded))
    draft = await intake.with_bulletins(draft.answer("description", description=text))
    await advance(message, state, partner, draft)


@router.message(Intake.description, F.voice | F.audio | F.photo | F.video | F.document)
async def on_description_media(message: Message, state: FSMContext, partner: Partner, intake: IntakeService) -> None:
    """Media here is kept as an attachment; a caption long enough serves as the description."""
    draft, added = add_attachments(await load(state), [attachment_of(message)])
    caption_check = intake_rules.check_description(message.caption or "")
    if caption_check.ok:
        await described(message, state, partner, draft, caption_check.value, intake)
        return
    await save(state, draft)
    await message.answer(texts.INTAKE_DESCRIPTION_VOICE if added else texts.INTAKE_DESCRIPTION_HINT)


@router.message(Intake.description)
async def wrong_description(message: Message) -> None:
    await message.answer(texts.INTAKE_DESCRIPTION_HINT)


# --- bulletins (general and documentation questions) ----------------------------------------------

@router.callback_query(Intake.bulletins, IntakeCb.filter(F.action == "bulletin"))
async def on_bulletin_answer(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner,
                             intake: IntakeService) -> None:
    draft = await load(state)
    if callback_data.value not in ("helped", "no") or not intake.offers_bulletins(draft):
        await callback.answer(texts.INTAKE_EXPIRED)
        return
    await callback.answer()
    helped = callback_data.value == "helped"
    choice = texts.BTN_BULLETIN_HELPED if helped else texts.BTN_BULLETIN_NOT_HELPED
    await replace_text(callback, f"{texts.bulletins_offer(draft.bulletins)}\n\n✔️ {choice}")
    if not helped:
        await advance(callback.message, state, partner, draft.answer("bulletins"), pressed=callback.message)
        return
    # Counted before the dialog ends: a crash in between leaves a draft to resume, not a lost answer.
    await intake.bulletin_helped(partner.user_id, draft)
    await clear_buttons(callback.bot, callback.message.chat.id, draft, keep=callback.message)
    await state.clear()
    await callback.message.answer(texts.INTAKE_BULLETIN_HELPED, reply_markup=keyboards.main_menu())


@router.message(Intake.bulletins, FILES)
async def on_bulletins_file(message: Message, state: FSMContext, partner: Partner) -> None:
    """A screenshot sent while the bulletins are offered belongs to the case, if one is filed."""
    draft, added = add_attachments(await load(state), [attachment_of(message)])
    await save(state, draft)
    await message.answer(texts.INTAKE_FILE_KEPT if added else texts.INTAKE_ATTACHMENT_LIMIT.format(
        limit=MAX_ATTACHMENTS, rejected=1))
    await ask("bulletins", message, state, partner)


@router.message(Intake.bulletins)
async def wrong_bulletins(message: Message, state: FSMContext, partner: Partner) -> None:
    await message.answer(texts.INTAKE_BULLETINS_HINT)
    await ask("bulletins", message, state, partner)


# --- attachments -------------------------------------------------------------------------------------

def add_attachments(draft: IntakeDraft, items: Iterable[Attachment | None]) -> tuple[IntakeDraft, int]:
    """Adds new files (a repeated update adds nothing) in the partner's order, whatever order an
    album's items arrive in; returns the draft and how many were added. Over the limit, the files the
    partner put last are the ones left out."""
    current = list(draft.attachments)
    seen = {i.file_unique_id for i in current}
    new = []
    for item in items:
        if item is None or item.file_unique_id in seen:
            continue
        new.append(item)
        seen.add(item.file_unique_id)
    kept = in_partners_order(current + new)[:MAX_ATTACHMENTS]
    return draft.changed(attachments=tuple(kept)), len(kept) - len(current)


@router.message(Intake.attachments, FILES)
async def on_attachment(message: Message, state: FSMContext, debouncer: Debouncer) -> None:
    item = attachment_of(message)
    draft = await load(state)
    already = any(i.file_unique_id == item.file_unique_id for i in draft.attachments)
    draft, added = add_attachments(draft, [item])
    await save(state, draft)
    key = f"files:{message.chat.id}"
    debouncer.add(key, 0 if (added or already) else 1)

    async def acknowledge() -> None:
        rejected = debouncer.take(key)
        if await state.get_state() != Intake.attachments.state:
            return  # «Готово» was pressed meanwhile: the next question is out, no stale "press Готово"
        asking = Asking(message, state, await load(state), None)
        text = texts.INTAKE_ATTACHMENT_ADDED.format(count=len(asking.draft.attachments), limit=MAX_ATTACHMENTS)
        if rejected:
            text = texts.INTAKE_ATTACHMENT_LIMIT.format(limit=MAX_ATTACHMENTS, rejected=rejected) + "\n" + text
        await asking.question(text, done_rows())
        if await state.get_state() == Intake.attachments.state:
            await save(state, asking.draft)

    # One answer per album (or quick burst of files), after its last item, not one per photo.
    debouncer.schedule(key, ALBUM_QUIET, acknowledge)


@router.message(Intake.attachments, F.text)
async def on_attachments_text(message: Message, state: FSMContext, partner: Partner) -> None:
    """Words typed here belong to the case: they join the description, marked, and the partner is told."""
    if is_blank(message.text):
        await wrong_attachment(message, state, partner)
        return
    draft = await load(state)
    addition = f"{draft.description or ''}\n\n{texts.DESCRIPTION_ADDENDUM} {clean(message.text).strip()}".strip()
    asking = Asking(message, state, draft.changed(description=addition), partner)
    await asking.question(texts.INTAKE_ATTACHMENT_TEXT_ADDED, done_rows())
    await save(state, asking.draft)


@router.callback_query(Intake.attachments, IntakeCb.filter(F.action == "files"))
async def on_attachments_done(callback: CallbackQuery, state: FSMContext, partner: Partner) -> None:
    await callback.answer()
    await drop_buttons(callback)
    draft = (await load(state)).answer("attachments")
    await advance(callback.message, state, partner, draft, pressed=callback.message)


@router.message(Intake.attachments)
async def wrong_attachment(message: Message, state: FSMContext, partner: Partner) -> None:
    asking = Asking(message, state, await load(state), partner)
    await asking.question(texts.INTAKE_ATTACHMENT_HINT, done_rows())
    await save(state, asking.draft)


# --- web access ---------------------------------------------------------------------------------------

@router.callback_query(Intake.web_access, IntakeCb.filter(F.action == "web"))
async def on_web_access(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner) -> None:
    if callback_data.value not in ("yes", "no"):
        await callback.answer(texts.INTAKE_EXPIRED)
        return
    await callback.answer()
    allowed = callback_data.value == "yes"
    await replace_text(callback, f"{texts.INTAKE_WEB_ACCESS}\n\n✔️ {texts.BTN_YES if allowed else texts.BTN_NO}")
    draft = (await load(state)).answer("web_access", web_access=allowed)
    await advance(callback.message, state, partner, draft, pressed=callback.message)


@router.message(Intake.web_access)
async def wrong_web_access(message: Message, state: FSMContext, partner: Partner) -> None:
    await message.answer(texts.INTAKE_WEB_ACCESS_HINT)
    await ask("web_access", message, state, partner)


# --- contact ------------------------------------------------------------------------------------------

@router.callback_query(StateFilter(Intake.contact, Intake.contact_confirm), IntakeCb.filter(F.action == "contact"))
async def on_contact_confirm(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner) -> None:
    await callback.answer()
    await drop_buttons(callback)
    draft = await load(state)
    if callback_data.value == "edit":
        await ask("contact_name", callback.message, state, partner, draft)
        return
    await advance(callback.message, state, partner, draft.answer("contact"), pressed=callback.message)


@router.message(StateFilter(Intake.contact, Intake.contact_confirm))
async def wrong_contact_confirm(message: Message, state: FSMContext, partner: Partner) -> None:
    await ask("contact", message, state, partner)


@router.message(Intake.contact_name, F.text)
async def on_contact_name(message: Message, state: FSMContext, partner: Partner) -> None:
    check = intake_rules.clean_line(message.text, 100)
    if not check.ok:
        await message.answer(texts.INTAKE_CONTACT_NAME_HINT)
        return
    draft = await load(state)
    draft = draft.changed(contact={**(draft.contact or {}), "name": check.value})
    await ask("contact_company", message, state, partner, draft)


@router.message(Intake.contact_name)
async def wrong_contact_name(message: Message) -> None:
    await message.answer(texts.INTAKE_CONTACT_NAME_HINT)


async def set_company(message: Message, state: FSMContext, partner: Partner, company: str | None) -> None:
    draft = await load(state)
    draft = draft.changed(contact={**(draft.contact or {}), "company": company})
    draft = await clear_buttons(message.bot, message.chat.id, draft)
    await ask("contact_phone", message, state, partner, draft)


@router.message(Intake.contact_company, F.text)
async def on_contact_company(message: Message, state: FSMContext, partner: Partner) -> None:
    check = intake_rules.clean_line(message.text, 120)
    if not check.ok:
        await message.answer(texts.INTAKE_CONTACT_COMPANY)
        return
    await set_company(message, state, partner, None if check.value in ("-", "—") else check.value)


@router.callback_query(Intake.contact_company, IntakeCb.filter(F.action == "company"))
async def on_contact_company_skip(callback: CallbackQuery, state: FSMContext, partner: Partner) -> None:
    await callback.answer()
    await drop_buttons(callback)
    await set_company(callback.message, state, partner, None)


@router.message(Intake.contact_company)
async def wrong_contact_company(message: Message, state: FSMContext, partner: Partner) -> None:
    asking = Asking(message, state, await load(state), partner)
    await asking.question(texts.INTAKE_CONTACT_COMPANY, company_rows())
    await save(state, asking.draft)


async def set_phone(message: Message, state: FSMContext, partner: Partner, raw: str, contacts: Contacts) -> None:
    check = intake_rules.normalize_phone(raw)
    if not check.ok:
        await message.answer(texts.INTAKE_CONTACT_PHONE_BAD.format(value=texts.escape(raw[:40]), problem=texts.check_problem(check)))
        await ask("contact_phone", message, state, partner)
        return
    draft = await load(state)
    contact = {**(draft.contact or {}), "phone": check.value}
    # Remembered for next time; the partner confirms or edits it then.
    await contacts.remember(partner.user_id, contact)
    # The share-phone keyboard goes, and the main menu is back under the input field.
    await message.answer(texts.chosen_phone(check.value), reply_markup=keyboards.main_menu())
    await advance(message, state, partner, draft.answer("contact", contact=contact))


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


# --- summary -----------------------------------------------------------------------------------------

@router.callback_query(Intake.summary, IntakeCb.filter(F.action == "summary"))
async def on_summary(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner,
                     intake: IntakeService) -> None:
    action = callback_data.value
    if action == "cancel":
        await callback.answer()
        await drop_buttons(callback)
        await clear_buttons(callback.bot, callback.message.chat.id, await load(state), keep=callback.message)
        await state.clear()
        await callback.message.answer(texts.INTAKE_CANCELLED, reply_markup=keyboards.main_menu())
        return
    if action == "edit":
        await callback.answer()
        await drop_buttons(callback)
        await state.set_state(Intake.edit)
        draft = await load(state)
        rows = [[(texts.EDIT_LABELS[s.name], cb("edit", s.name))] for s in STEPS if s.editable and s.applies(draft)]
        rows.append([(texts.BTN_BACK_TO_SUMMARY, cb("edit", SUMMARY))])
        await callback.message.answer(texts.INTAKE_EDIT, reply_markup=keyboards.inline(rows))
        return
    if action != "send":
        await callback.answer(texts.INTAKE_EXPIRED)
        return
    await send_draft(callback, state, partner, intake)  # a summary shown before buttons named the draft


@router.callback_query(Intake.summary, IntakeCb.filter(F.action == "send"))
async def on_send(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner,
                  intake: IntakeService) -> None:
    draft = await load(state)
    if callback_data.value != draft.submit_key:
        await on_sent_before(callback, callback_data, partner, intake)  # the summary of an earlier draft
        return
    await send_draft(callback, state, partner, intake)


async def send_draft(callback: CallbackQuery, state: FSMContext, partner: Partner, intake: IntakeService) -> None:
    """The "accepted" message with the case number goes through the outbox, queued with the case:
    the partner gets it exactly once, whether or not this handler lives to the end."""
    draft = await load(state)
    result = await intake.submit(partner.user_id, draft)
    await state.clear()
    # Handled again after a crash: the message is queued already; the toast names the case.
    await callback.answer(None if result.created else texts.CASE_ALREADY_SENT.format(number=result.case.number))
    await drop_buttons(callback)
    await clear_buttons(callback.bot, callback.message.chat.id, draft, keep=callback.message)


@router.callback_query(Intake.edit, IntakeCb.filter(F.action == "edit"))
async def on_edit_choice(callback: CallbackQuery, callback_data: IntakeCb, state: FSMContext, partner: Partner) -> None:
    name = callback_data.value
    step = BY_NAME.get(name)
    if name != SUMMARY and (step is None or not step.editable):
        await callback.answer(texts.INTAKE_EXPIRED)
        return
    await callback.answer()
    await drop_buttons(callback)
    draft = await load(state)
    if step is None:
        await ask(SUMMARY, callback.message, state, partner, draft)
        return
    draft = draft.reopen(step.name, *step.resets)
    await ask(step.name, callback.message, state, partner, draft, how=step.edit)


@router.message(Intake.summary)
@router.message(Intake.edit)
@router.message(Intake.resume)
async def wrong_summary(message: Message, state: FSMContext, partner: Partner) -> None:
    await message.answer(texts.INTAKE_SUMMARY_HINT)
    if await state.get_state() == Intake.summary.state:
        await ask(SUMMARY, message, state, partner)


@router.callback_query(IntakeCb.filter(F.action == "summary"))
async def on_summary_again(callback: CallbackQuery) -> None:
    """A second press of "Send" (or of any summary button) after the case went out."""
    await callback.answer(texts.INTAKE_ALREADY_SENT, show_alert=False)


@router.callback_query(IntakeCb.filter(F.action == "send"))
async def on_sent_before(callback: CallbackQuery, callback_data: IntakeCb, partner: Partner,
                         intake: IntakeService) -> None:
    """"Send" pressed again after the case went out, or the press handled again after a crash
    cut its first handling short (the "accepted" message is in the outbox): say which case."""
    case = await intake.cases.by_submit_key(callback_data.value) if callback_data.value else None
    if case is None or case.partner_id != partner.user_id:
        await callback.answer(texts.INTAKE_EXPIRED)
        return
    await callback.answer(texts.CASE_ALREADY_SENT.format(number=case.number))
    await drop_buttons(callback)


@router.callback_query(IntakeCb.filter())
async def on_stale_intake_button(callback: CallbackQuery) -> None:
    await callback.answer(texts.INTAKE_EXPIRED)
