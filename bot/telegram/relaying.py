"""Turning aiogram messages into what the case service relays, and the headers on relayed copies."""

from __future__ import annotations

from aiogram.types import Message

from bot import texts
from bot.services.cases import Incoming
from bot.visible_text import clean, is_blank

MEDIA_KINDS = ("photo", "video", "document", "audio", "voice", "animation", "video_note", "sticker")


def kind_of(message: Message) -> str | None:
    if message.text is not None:
        return "text"
    for kind in MEDIA_KINDS:
        if getattr(message, kind):
            return kind
    return None  # locations, polls, dice, contacts: nothing an engineer or partner can use as is


def incoming_of(message: Message) -> Incoming | None:
    """None for what cannot be relayed, a text nobody could see (zero-width spaces...) included."""
    kind = kind_of(message)
    if kind is None or (kind == "text" and is_blank(message.text)):
        return None
    reply = message.reply_to_message
    # In a forum every message "replies" to the topic's creation message; that is not a reply.
    reply_id = None
    if reply is not None and reply.forum_topic_created is None:
        reply_id = reply.message_id
    # Invisible characters out of the HTML (they are never part of a tag); a blank caption is none.
    html = clean(message.html_text) if not is_blank(message.text or message.caption) else ""
    return Incoming(
        chat_id=message.chat.id,
        message_id=message.message_id,
        kind=kind,
        html=html,
        reply_to_message_id=reply_id,
        media_group_id=message.media_group_id,
    )


# Kept as names of this module: handlers and dialogs import them from here.
partner_header = texts.partner_header
engineer_header = texts.engineer_header
