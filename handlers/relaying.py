"""Turning aiogram messages into what the case service relays, and the headers on relayed copies."""

from __future__ import annotations

from html import escape

from aiogram.types import Message

from bot.services.cases import Incoming

MEDIA_KINDS = ("photo", "video", "document", "audio", "voice", "animation", "video_note", "sticker")


def kind_of(message: Message) -> str | None:
    if message.text is not None:
        return "text"
    for kind in MEDIA_KINDS:
        if getattr(message, kind):
            return kind
    return None  # locations, polls, dice, contacts: nothing an engineer or partner can use as is


def incoming_of(message: Message) -> Incoming | None:
    kind = kind_of(message)
    if kind is None:
        return None
    reply = message.reply_to_message
    # In a forum every message "replies" to the topic's creation message; that is not a reply.
    reply_id = None
    if reply is not None and reply.forum_topic_created is None:
        reply_id = reply.message_id
    html = message.html_text if (message.text or message.caption) else ""
    return Incoming(
        chat_id=message.chat.id,
        message_id=message.message_id,
        kind=kind,
        html=html,
        reply_to_message_id=reply_id,
        media_group_id=message.media_group_id,
    )


def partner_header(case) -> str:
    who = escape(case.contact_name or "Партнёр")
    return f"👤 <b>{who}</b> · партнёр:"


def engineer_header(case, engineer_first_name: str) -> str:
    return f"💬 <b>Поддержка · заявка {case.number}</b> ({escape(engineer_first_name)}):"
