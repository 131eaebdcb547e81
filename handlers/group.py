"""The engineers' group: claiming and moving cases through their lifecycle, the queue, and
relaying what engineers write in a case topic to the partner."""

from __future__ import annotations

import logging
from dataclasses import replace

from aiogram import Bot, F
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message

from bot import keyboards, texts
from bot.callbacks import CaseCb
from bot.clock import Clock
from bot.config import Settings
from bot.domain import Action, Case, Status, allowed
from bot.services import scope
from bot.services.cases import CaseService, Outcome
from bot.services.knowledge import KnowledgeService
from bot.services.membership import Membership
from bot.services.schedule import Schedule
from bot.visible_text import clean, is_blank
from bot.routing import RouterRecipe
from bot.telegram.filters import EngineersChat
from bot.telegram.relaying import engineer_header, incoming_of

log = logging.getLogger(__name__)

router = RouterRecipe(__name__)  # built afresh per Dispatcher: handlers.get_routers()
router.message.filter(EngineersChat())
router.edited_message.filter(EngineersChat())
router.callback_query.filter(EngineersChat())
router.chat_member.filter(EngineersChat())


async def case_of(message: Message, cases: CaseService) -> Case | None:
    reply = message.reply_to_message
    # In a forum every message "replies" to the topic's creation message; that is not a reply.
    reply_id = reply.message_id if reply is not None and reply.forum_topic_created is None else None
    return await cases.case_in_group(message.chat.id, reply_id, thread_of(message))


def thread_of(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


async def report(cases: CaseService, message: Message, case: Case | None, outcome: Outcome) -> None:
    """Tell the engineer why a command did nothing (success speaks through the card and topic)."""
    if outcome.ok or not outcome.message:
        return
    if case is not None:
        await cases.note_in_topic(case, outcome.message)
    else:
        await cases.note_in_group(outcome.message, thread_of(message))


# --- claiming and the card's buttons -------------------------------------------------------------------

@router.callback_query(CaseCb.filter(F.action == "claim"))
async def on_claim(callback: CallbackQuery, callback_data: CaseCb, cases: CaseService) -> None:
    user = callback.from_user
    result = await cases.claim(callback_data.case_id, user.id, user.first_name)
    if result.case is None:
        await callback.answer(texts.CASE_NOT_FOUND, show_alert=True)
    elif result.won:
        await callback.answer(texts.claim_won(result.case.number))
    elif result.case.claimed_by == user.id:
        await callback.answer(texts.claim_already_yours(result.case.number))
    elif result.case.status == Status.NEW:
        await callback.answer(texts.not_allowed_now(result.case), show_alert=True)
    else:
        await callback.answer(texts.claim_lost(result.case.number, result.claimed_by_name or texts.ANOTHER_ENGINEER),
                              show_alert=True)


@router.callback_query(CaseCb.filter(F.action == "level"))
async def on_level(callback: CallbackQuery, callback_data: CaseCb, cases: CaseService, settings: Settings) -> None:
    if callback_data.value not in settings.reaction_levels:
        await callback.answer(texts.CASE_NOT_FOUND)
        return
    before = await cases.get(callback_data.case_id)
    case = await cases.set_level(callback_data.case_id, callback_data.value, callback.from_user.id,
                                 callback.from_user.first_name)
    if case is None:
        await callback.answer(texts.CASE_NOT_FOUND, show_alert=True)
        return
    if before.level == callback_data.value:
        await callback.answer(texts.level_already(case.level))
        return
    await callback.answer(texts.level_set(case.level))


@router.callback_query(CaseCb.filter(F.action.in_({"unclaim", "close", "reopen"})))
async def on_status_button(callback: CallbackQuery, callback_data: CaseCb, cases: CaseService) -> None:
    user = callback.from_user
    action = {"unclaim": cases.unclaim, "close": cases.close, "reopen": cases.reopen}[callback_data.action]
    outcome = await action(callback_data.case_id, user.id, user.first_name)
    await callback.answer(outcome.message or texts.ACTION_DONE, show_alert=not outcome.ok)


async def canned_refusal(case: Case | None, index: int | None = None) -> str | None:
    """Templates follow the rule of typing in the topic: nothing reaches the partner before a claim."""
    if case is None or (index is not None and scope.by_index(index) is None):
        return texts.CASE_NOT_FOUND
    if not allowed(Action.CANNED, case.status):
        return texts.CLAIM_FIRST_SHORT if case.status == Status.NEW else texts.not_allowed_now(case)
    return None


@router.callback_query(CaseCb.filter(F.action == "canned"))
async def on_canned_menu(callback: CallbackQuery, callback_data: CaseCb, cases: CaseService) -> None:
    case = await cases.get(callback_data.case_id)
    refusal = await canned_refusal(case)
    if refusal:
        await callback.answer(refusal, show_alert=True)
        return
    await callback.answer()
    await cases.note_in_topic_with_markup(
        case, texts.CANNED_MENU, keyboards.canned_reply_rows(case.id, scope.EXCLUSIONS)
    )


@router.callback_query(CaseCb.filter(F.action.in_({"reply", "reply_cancel"})))
async def on_canned_preview(callback: CallbackQuery, callback_data: CaseCb, cases: CaseService) -> None:
    """A template first becomes its preview (the menu message is edited: no new message in the group);
    «Отмена» turns the preview back into the menu."""
    case = await cases.get(callback_data.case_id)
    refusal = await canned_refusal(case, callback_data.value)
    if refusal:
        await callback.answer(refusal, show_alert=True)
        return
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    if callback_data.action == "reply_cancel":
        await callback.message.edit_text(texts.CANNED_MENU, reply_markup=keyboards.canned_replies(case.id, scope.EXCLUSIONS))
        return
    key = scope.by_index(callback_data.value).key
    await callback.message.edit_text(texts.canned_preview(texts.scope_button(key), texts.scope_reply(key)),
                                     reply_markup=keyboards.canned_preview(case.id, callback_data.value))


@router.callback_query(CaseCb.filter(F.action == "reply_send"))
async def on_canned_send(callback: CallbackQuery, callback_data: CaseCb, cases: CaseService) -> None:
    case = await cases.get(callback_data.case_id)
    refusal = await canned_refusal(case, callback_data.value)
    if refusal:
        await callback.answer(refusal, show_alert=True)
        return
    exclusion = scope.by_index(callback_data.value)
    await cases.notify_partner(case, engineer_header(case, callback.from_user.first_name) + "\n" + texts.scope_reply(exclusion.key))
    await callback.answer(texts.CANNED_SENT_TOAST)
    sent = texts.canned_sent(texts.scope_button(exclusion.key), callback.from_user.first_name)
    if isinstance(callback.message, Message):
        await callback.message.edit_text(sent, reply_markup=None)  # the preview becomes the note
    else:
        await cases.note_in_topic(case, sent)


# --- commands in a case topic ----------------------------------------------------------------------

async def topic_case(message: Message, cases: CaseService) -> Case | None:
    case = await case_of(message, cases)
    if case is None:
        await cases.note_in_group(texts.NOT_IN_CASE_TOPIC, thread_of(message))
    return case


def argument(command: CommandObject) -> str:
    """The text after a command; only invisible characters count as none."""
    text = clean(command.args).strip()
    return "" if is_blank(text) else text


@router.message(Command("info", "vendor", "resolve"))
async def cmd_with_text(
    message: Message, command: CommandObject, cases: CaseService, info_dialogs, bot: Bot,
) -> None:
    case = await topic_case(message, cases)
    if case is None:
        return
    text = argument(command)
    if not text:
        await cases.note_in_topic(case, texts.NEEDS_ARGUMENT.format(example=texts.COMMAND_EXAMPLES[command.command]))
        return
    user = message.from_user
    if command.command == "info":
        outcome = await cases.request_info(case.id, user.id, user.first_name, text)
        if outcome.ok:
            await info_dialogs.start(bot.id, case.partner_id, case.id)
    elif command.command == "vendor":
        outcome = await cases.to_vendor(case.id, user.id, user.first_name, text)
    else:
        outcome = await cases.resolve(case.id, user.id, user.first_name, text)
    await report(cases, message, case, outcome)


@router.message(Command("close", "reopen", "unclaim"))
async def cmd_status(message: Message, command: CommandObject, cases: CaseService) -> None:
    case = await topic_case(message, cases)
    if case is None:
        return
    user = message.from_user
    action = {"close": cases.close, "reopen": cases.reopen, "unclaim": cases.unclaim}[command.command]
    await report(cases, message, case, await action(case.id, user.id, user.first_name))


@router.message(Command("level"))
async def cmd_level(message: Message, command: CommandObject, cases: CaseService, settings: Settings) -> None:
    case = await topic_case(message, cases)
    if case is None:
        return
    value = argument(command)
    if not value.isdigit() or int(value) not in settings.reaction_levels:
        levels = ", ".join(f"{lvl} — {t}" for lvl, t in sorted(settings.reaction_levels.items()))
        await cases.note_in_topic(case, texts.level_usage(levels))
        return
    if int(value) == case.level:
        await cases.note_in_topic(case, texts.level_already(case.level))
        return
    if not allowed(Action.SET_LEVEL, case.status):
        await cases.note_in_topic(case, texts.not_allowed_now(case))
        return
    await cases.set_level(case.id, int(value), message.from_user.id, message.from_user.first_name)


@router.message(Command("assign"))
async def cmd_assign(message: Message, cases: CaseService) -> None:
    case = await topic_case(message, cases)
    if case is None:
        return
    reply = message.reply_to_message
    target = reply.from_user if reply is not None and reply.forum_topic_created is None else None
    if target is None or target.is_bot:
        await cases.note_in_topic(case, texts.ASSIGN_HOW)
        return
    outcome = await cases.assign(case.id, target.id, target.first_name, message.from_user.id, message.from_user.first_name)
    await report(cases, message, case, outcome)


@router.message(Command("similar"))
async def cmd_similar(message: Message, command: CommandObject, cases: CaseService, knowledge: KnowledgeService,
                      settings: Settings) -> None:
    """Solved cases like this one, by its description and model, or by the engineer's own words."""
    case = await topic_case(message, cases)
    if case is None:
        return
    text = argument(command)
    probe = replace(case, description=text) if text else case
    found = await knowledge.similar_cases(probe, limit=texts.SIMILAR_LIMIT)
    await cases.note_in_topic(case, texts.similar_list(case.number, found, settings.engineers_chat_id))


@router.message(Command("help"))
async def cmd_help(message: Message, cases: CaseService) -> None:
    await cases.note_in_group(texts.HELP_ENGINEER, thread_of(message))


# --- the queue -------------------------------------------------------------------------------------------

@router.message(Command("queue"))
async def cmd_queue(message: Message, cases: CaseService, schedule: Schedule, clock: Clock) -> None:
    queue = await cases.queue()
    await cases.note_in_group(texts.queue_text(queue, schedule, clock.now()), thread_of(message))


@router.message(Command("next"))
async def cmd_next(message: Message, cases: CaseService) -> None:
    result = await cases.next_for(message.from_user.id, message.from_user.first_name)
    if result.case is None:
        await cases.note_in_group(texts.NEXT_EMPTY, thread_of(message))
        return
    await cases.note_in_group(texts.next_taken(result.case, message.from_user.first_name), thread_of(message))


@router.message(Command("mine"))
async def cmd_mine(message: Message, cases: CaseService) -> None:
    mine = await cases.open_for_engineer(message.from_user.id)
    await cases.note_in_group(texts.mine_text(mine), thread_of(message))


@router.chat_member()
async def on_member_changed(event: ChatMemberUpdated, membership: Membership) -> None:
    """Someone joined, left, was removed or restricted: counts at once, not when the cache expires."""
    membership.remember(event.new_chat_member)


# --- relaying ----------------------------------------------------------------------------------------------

@router.message(F.text.startswith("#"))
async def on_internal_note(message: Message) -> None:
    """Notes for colleagues stay in the group."""


@router.message(F.text.startswith("/"))
async def on_unknown_command(message: Message) -> None:
    """Commands are for the bot; none reaches a partner, even an unknown one."""


@router.message()
async def on_engineer_message(message: Message, cases: CaseService) -> None:
    if message.from_user is None or message.from_user.is_bot:
        return
    incoming = incoming_of(message)
    if incoming is None:
        return  # service messages (topic created, member joined), polls, locations
    case = await case_of(message, cases)
    if case is None:
        return  # general talk in the group
    if case.status == Status.NEW:
        await cases.note_in_topic(case, texts.CLAIM_FIRST)
        return
    if case.status == Status.CLOSED:
        await cases.note_in_topic(case, texts.CASE_CLOSED_NOT_RELAYED)
        return
    await cases.relay_to_partner(case, incoming, engineer_header(case, message.from_user.first_name))


@router.edited_message()
async def on_engineer_edit(edited: Message, cases: CaseService) -> None:
    if edited.from_user is None or (edited.text or "").startswith(("#", "/")):
        return
    incoming = incoming_of(edited)
    case = await cases.case_of_relayed(edited.chat.id, edited.message_id) if incoming else None
    if case is not None:
        await cases.mirror_edit(case, incoming, engineer_header(case, edited.from_user.first_name), to_partner=True)
