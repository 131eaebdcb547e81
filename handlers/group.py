"""The engineers' group: claiming cases and relaying what engineers write in a case topic."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot import texts
from bot.callbacks import CaseCb
from bot.domain import Status
from bot.services.cases import CaseService
from bot.storage.cases import Case, CaseRepository
from bot.storage.outbox import MessageLinkRepository
from handlers.filters import EngineersChat
from handlers.relaying import engineer_header, incoming_of

log = logging.getLogger(__name__)

router = Router(name=__name__)
router.message.filter(EngineersChat())
router.edited_message.filter(EngineersChat())
router.callback_query.filter(EngineersChat())


async def case_of(message: Message, case_repo: CaseRepository, links: MessageLinkRepository) -> Case | None:
    """A topic belongs to its case; in a group without topics, a reply to a case message does."""
    if message.is_topic_message and message.message_thread_id:
        case = await case_repo.by_thread(message.message_thread_id)
        if case is not None:
            return case
    reply = message.reply_to_message
    if reply is not None and reply.forum_topic_created is None:
        case_id = await links.case_of_group_message(message.chat.id, reply.message_id)
        if case_id is not None:
            return await case_repo.get(case_id)
    return None


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
    else:
        await callback.answer(texts.claim_lost(result.case.number, result.claimed_by_name or "другой инженер"),
                              show_alert=True)


@router.callback_query(CaseCb.filter(F.action == "level"))
async def on_level(callback: CallbackQuery, callback_data: CaseCb, cases: CaseService, settings) -> None:
    if callback_data.value not in settings.reaction_levels:
        await callback.answer(texts.CASE_NOT_FOUND)
        return
    case = await cases.set_level(callback_data.case_id, callback_data.value, callback.from_user.id,
                                 callback.from_user.first_name)
    if case is None:
        await callback.answer(texts.CASE_NOT_FOUND, show_alert=True)
        return
    await callback.answer(f"Уровень {case.level}")


@router.message(F.text.startswith("#"))
async def on_internal_note(message: Message) -> None:
    """Notes for colleagues stay in the group."""


@router.message(F.text.startswith("/"))
async def on_unknown_command(message: Message) -> None:
    """Commands are for the bot; none reaches a partner, even an unknown one."""


@router.message()
async def on_engineer_message(
    message: Message, cases: CaseService, case_repo: CaseRepository, links: MessageLinkRepository
) -> None:
    if message.from_user is None or message.from_user.is_bot:
        return
    incoming = incoming_of(message)
    if incoming is None:
        return  # service messages (topic created, member joined), polls, locations
    case = await case_of(message, case_repo, links)
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
