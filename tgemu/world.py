"""The simulated Telegram: people, chats, forum topics, messages, files and the bot's update queue."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from .media import FileStore

Json = dict[str, Any]


class Clock(Protocol):
    """What dates messages: anything with an aware `now()`, so the bot's own clocks fit without an import."""

    def now(self) -> datetime: ...

# Keys of a Message that make up its content (what copyMessage carries over).
CONTENT_KEYS = (
    "text",
    "entities",
    "link_preview_options",
    "animation",
    "audio",
    "document",
    "photo",
    "sticker",
    "video",
    "video_note",
    "voice",
    "caption",
    "caption_entities",
    "show_caption_above_media",
    "has_media_spoiler",
    "contact",
    "dice",
    "location",
    "venue",
    "poll",
)
MEDIA_KINDS = ("photo", "video", "document", "audio", "animation", "voice", "video_note", "sticker")
CAPTIONED_KINDS = ("photo", "video", "document", "audio", "animation", "voice")
SERVICE_KEYS = (
    "forum_topic_created",
    "forum_topic_edited",
    "forum_topic_closed",
    "forum_topic_reopened",
    "pinned_message",
    "new_chat_members",
    "left_chat_member",
)

# Updates Telegram sends when allowed_updates was never given (or given as []).
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

# Colours createForumTopic accepts (Bot API: ForumTopic.icon_color).
TOPIC_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)

ADMIN_DEFAULT_RIGHTS: Json = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_send_welcome_messages": False,
    "can_pin_messages": True,
    "can_manage_topics": True,
}
RESTRICTED_DEFAULT_RIGHTS: Json = {
    "is_member": True,
    "can_send_messages": True,
    "can_send_audios": True,
    "can_send_documents": True,
    "can_send_photos": True,
    "can_send_videos": True,
    "can_send_video_notes": True,
    "can_send_voice_notes": True,
    "can_send_polls": True,
    "can_send_other_messages": True,
    "can_add_web_page_previews": True,
    "can_react_to_messages": True,
    "can_edit_tag": False,
    "can_change_info": False,
    "can_invite_users": True,
    "can_pin_messages": False,
    "can_manage_topics": False,
    "until_date": 0,
}
PRESENT_STATUSES = frozenset({"creator", "administrator", "member", "restricted"})


class ApiError(Exception):
    """A Bot API error answer; the HTTP status equals error_code, as Telegram does."""

    def __init__(self, status: int, description: str, parameters: Json | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> Json:
        body: Json = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


def forbidden(text: str) -> ApiError:
    return ApiError(403, f"Forbidden: {text}")


@dataclass
class Sent:
    """One message in a chat, from the bot or from a person, kept up to date as it is edited."""

    message_id: int
    chat_id: int
    thread_id: int | None  # the forum topic; None in private chats, plain groups and General
    from_bot: bool
    sender_id: int
    kind: str  # text, photo, document, video, voice, sticker, location, contact, poll, dice, service...
    raw: Json
    date: int
    text: str | None = None
    caption: str | None = None
    entities: list[Json] = field(default_factory=list)
    reply_markup: Json | None = None  # as the bot sent it, reply keyboards included
    media_group_id: str | None = None
    reply_to_message_id: int | None = None
    deleted: bool = False
    edited: int = 0
    file_ids: list[str] = field(default_factory=list)
    reactions: list[Json] = field(default_factory=list)  # the bot's own (setMessageReaction)
    reactions_big: bool = False
    pinned: bool = False
    history: list[Json] = field(default_factory=list)  # earlier versions of raw, oldest first
    user_reactions: dict[int, list[Json]] = field(default_factory=dict)  # each person's, as ReactionType lists

    @property
    def is_service(self) -> bool:
        return self.kind == "service"

    @property
    def content_text(self) -> str | None:
        """The text or the caption, whichever the message has."""
        return self.text if self.text is not None else self.caption

    def buttons(self) -> list[Json]:
        """Inline keyboard buttons, row by row, flattened."""
        markup = self.reply_markup or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]

    def button(self, text: str) -> Json:
        """The inline button whose text is exactly `text`, or else the only one containing it."""
        buttons = self.buttons()
        exact = [b for b in buttons if b.get("text") == text]
        partial = [b for b in buttons if text in str(b.get("text", ""))]
        found = exact or partial
        if len(found) != 1:
            raise KeyError(f"{len(found)} buttons match {text!r}; buttons: {[b.get('text') for b in buttons]}")
        return found[0]

    def embedded(self) -> Json:
        """The message as it appears inside another one: no nested reply_to_message."""
        nested = copy.deepcopy(self.raw)
        nested.pop("reply_to_message", None)
        return nested


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False
    created_by: int | None = None

    def as_forum_topic(self) -> Json:
        topic: Json = {"message_thread_id": self.thread_id, "name": self.name, "icon_color": self.icon_color}
        if self.icon_custom_emoji_id:
            topic["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return topic


@dataclass
class Member:
    status: str  # creator, administrator, member, restricted, left, kicked
    rights: Json = field(default_factory=dict)
    until_date: int = 0

    def right(self, name: str) -> bool:
        if self.status == "creator":
            return True
        if self.status == "administrator":
            return bool({**ADMIN_DEFAULT_RIGHTS, **self.rights}.get(name, False))
        return False


@dataclass
class UserState:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "ru"
    is_bot: bool = False
    started: bool = True  # has opened the bot (pressed Start); the bot cannot write first otherwise
    blocked: bool = False  # has blocked the bot
    hides_forwards: bool = False  # privacy setting: forwards show only the name (hidden_user origin)
    bot_to_bot: bool = False  # for a bot: its Bot-to-Bot Communication Mode in @BotFather

    def as_user(self) -> Json:
        user: Json = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user


@dataclass
class ChatState:
    id: int
    type: str  # "private" or "supergroup"
    title: str | None = None
    username: str | None = None
    is_forum: bool = False
    user: UserState | None = None  # the person, for a private chat
    members: dict[int, Member] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    messages: dict[int, Sent] = field(default_factory=dict)
    next_message_id: int = 1
    # Off in some discussion groups: people who are not members may still write there.
    join_to_send_messages: bool = True

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    def as_chat(self) -> Json:
        if self.user is not None:
            chat = {k: v for k, v in self.user.as_user().items() if k in ("id", "first_name", "last_name", "username")}
            return {**chat, "type": "private"}
        chat = {"id": self.id, "title": self.title, "type": self.type}
        if self.username:
            chat["username"] = self.username
        if self.is_forum:
            chat["is_forum"] = True
        return chat

    def live(self, message_id: int | None) -> Sent | None:
        sent = self.messages.get(message_id) if message_id is not None else None
        return sent if sent is not None and not sent.deleted else None


@dataclass
class Threading:
    """Where a new message lands: its topic, its message_thread_id and what it replies to."""

    topic_id: int | None = None
    message_thread_id: int | None = None
    is_topic_message: bool = False
    reply_to: Sent | None = None


@dataclass
class PendingUpdate:
    update_id: int
    kind: str
    payload: Json
    delivered: bool = False

    def as_update(self) -> Json:
        return {"update_id": self.update_id, self.kind: copy.deepcopy(self.payload)}


class UpdateQueue:
    """The bot's pending updates, kept until getUpdates confirms them with a higher offset."""

    def __init__(self, first_update_id: int = 100_000_001) -> None:
        self._items: list[PendingUpdate] = []
        self._next_id = first_update_id
        self._wakeup = asyncio.Event()
        self.allowed: frozenset[str] | None = None  # None: Telegram's default set
        self.closing = False

    def allows(self, kind: str) -> bool:
        if self.allowed is None:
            return kind not in DEFAULT_EXCLUDED_UPDATES
        return kind in self.allowed

    def set_allowed(self, kinds: Iterable[str]) -> None:
        kinds = frozenset(kinds)
        # Telegram remembers the list; an empty list means "back to the default".
        self.allowed = kinds or None

    def push(self, kind: str, payload: Json, *, force: bool = False) -> PendingUpdate | None:
        # Like Telegram, a type the bot did not ask for is never created (not merely hidden).
        if not force and not self.allows(kind):
            return None
        update = PendingUpdate(self._next_id, kind, copy.deepcopy(payload))
        self._next_id += 1
        self._items.append(update)
        self.wake()
        return update

    def push_raw(self, update: Json) -> PendingUpdate:
        update = copy.deepcopy(update)
        update_id = update.pop("update_id", None)
        if update_id is None:
            update_id = self._next_id
        self._next_id = max(self._next_id, int(update_id) + 1)
        kinds = list(update)
        if len(kinds) != 1:
            raise ValueError(f"an update carries exactly one object besides update_id, got {kinds}")
        pending = PendingUpdate(int(update_id), kinds[0], update[kinds[0]])
        self._items.append(pending)
        self._items.sort(key=lambda u: u.update_id)
        self.wake()
        return pending

    def confirm(self, offset: int) -> None:
        if offset < 0:
            # "updates starting from -offset update from the end of the queue"; earlier ones are forgotten.
            self._items = self._items[offset:]
        else:
            self._items = [u for u in self._items if u.update_id >= offset]

    def peek(self, limit: int) -> list[PendingUpdate]:
        return self._items[:limit]

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def last_delivered(self) -> int | None:
        """The highest update id handed to the bot and not yet confirmed, if any."""
        return max((u.update_id for u in self._items if u.delivered), default=None)

    def undelivered(self) -> int:
        return sum(1 for u in self._items if not u.delivered)

    def wake(self) -> None:
        # Swapping the event wakes every current waiter and arms a fresh one for the next wait.
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        event = self._wakeup
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)


@dataclass
class CallbackRecord:
    query: Json
    answer: Json | None = None


class World:
    """Everything the simulated Telegram knows; both the Bot API and the people act on it."""

    def __init__(
        self,
        *,
        bot_id: int,
        bot_username: str,
        bot_first_name: str,
        clock: Clock | None,
        privacy_mode: bool,
        bot_to_bot: bool = False,
    ) -> None:
        self.bot = UserState(
            bot_id, bot_first_name, username=bot_username, language_code=None, is_bot=True, bot_to_bot=bot_to_bot
        )
        self.clock = clock
        self.privacy_mode = privacy_mode
        self.users: dict[int, UserState] = {bot_id: self.bot}
        self.chats: dict[int, ChatState] = {}
        self.files = FileStore(bot_id)
        self.updates = UpdateQueue()
        self.callbacks: dict[str, CallbackRecord] = {}
        self.commands: dict[tuple[tuple[tuple[str, Any], ...], str], list[Json]] = {}
        self.webhook: Json | None = None
        self._seq = 0

    # --- identity and lookups -------------------------------------------------------------------

    @property
    def bot_user(self) -> Json:
        return self.bot.as_user()

    def timestamp(self) -> float:
        """Unix time by the injected clock (or the real one), so dates agree with the bot's clock."""
        if self.clock is not None:
            return self.clock.now().timestamp()
        return time.time()

    def now(self) -> int:
        return int(self.timestamp())

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def new_media_group_id(self) -> str:
        return str(13_000_000_000_000_000 + self.next_seq())

    def chat_instance(self, chat_id: int) -> str:
        # Stable per (bot, chat) and opaque, like Telegram's.
        digest = hashlib.sha256(f"{self.bot.id}:{chat_id}".encode()).digest()
        return str(int.from_bytes(digest[:8], "big", signed=True))

    def find_chat(self, ref: int | str) -> ChatState | None:
        if isinstance(ref, str) and ref.startswith("@"):
            name = ref[1:].lower()
            return next(
                (c for c in self.chats.values() if not c.is_private and (c.username or "").lower() == name), None
            )
        try:
            return self.chats.get(int(ref))
        except (TypeError, ValueError):
            return None

    def user_dict(self, user_id: int) -> Json | None:
        user = self.users.get(user_id)
        return user.as_user() if user else None

    def member(self, chat: ChatState, user_id: int) -> Member:
        if chat.is_private:
            return Member("member") if user_id in (chat.id, self.bot.id) else Member("left")
        return chat.members.get(user_id, Member("left"))

    def bot_member(self, chat: ChatState) -> Member:
        return self.member(chat, self.bot.id)

    def chat_member_object(self, chat: ChatState, user_id: int) -> Json:
        user = self.user_dict(user_id)
        if user is None:
            raise bad_request("user not found")
        return member_json(user, self.member(chat, user_id))

    def can_send(self, chat: ChatState, user_id: int) -> bool:
        """Whether Telegram lets this person post in the group now."""
        member = self.member(chat, user_id)
        if member.status == "kicked":
            return False
        if member.status == "restricted":
            return bool({**RESTRICTED_DEFAULT_RIGHTS, **member.rights}["can_send_messages"])
        return member.status in PRESENT_STATUSES or not chat.join_to_send_messages

    # --- threads ----------------------------------------------------------------------------------

    def resolve_thread(
        self,
        chat: ChatState,
        thread_id: int | None,
        reply_to_id: int | None,
        *,
        may_post_in_closed: bool = False,
        allow_without_reply: bool = False,
    ) -> Threading:
        """Where a message goes, following Telegram's rules for topics and reply threads."""
        reply_to = chat.live(reply_to_id)
        if reply_to_id is not None and reply_to is None and not allow_without_reply:
            raise bad_request("message to be replied not found")

        if chat.is_private:
            if thread_id is not None:
                raise bad_request("message thread not found")
            return Threading(reply_to=reply_to)

        if chat.is_forum:
            topic_id = thread_id
            if topic_id is None and reply_to is not None:
                # A reply without message_thread_id lands in the replied message's topic.
                topic_id = reply_to.thread_id
            if topic_id is None:
                if reply_to is None:
                    return Threading()
                # Replies in General get the reply chain as their thread, not a topic (tdlib does this).
                root = reply_to.raw.get("message_thread_id", reply_to.message_id)
                return Threading(message_thread_id=root, reply_to=reply_to)
            topic = chat.topics.get(topic_id)
            if topic is None or topic.deleted:
                raise bad_request("message thread not found")
            if topic.closed and not may_post_in_closed:
                raise bad_request("TOPIC_CLOSED")
            if reply_to is not None and reply_to.thread_id != topic_id:
                if not allow_without_reply:
                    raise bad_request("message to be replied not found")
                reply_to = None
            if reply_to is None:
                # Inside a topic, a message "replies" to the topic's creation service message.
                reply_to = chat.messages.get(topic_id)
            return Threading(topic_id, topic_id, True, reply_to)

        # An ordinary supergroup: message_thread_id names a reply chain.
        if thread_id is not None and chat.live(thread_id) is None:
            raise bad_request("message thread not found")
        if reply_to is not None:
            root = reply_to.raw.get("message_thread_id", reply_to.message_id)
            return Threading(message_thread_id=root, reply_to=reply_to)
        return Threading(message_thread_id=thread_id)

    # --- messages ---------------------------------------------------------------------------------

    def add_message(
        self,
        chat: ChatState,
        *,
        sender: UserState,
        kind: str,
        content: Json,
        threading: Threading | None = None,
        reply_markup: Json | None = None,
        media_group_id: str | None = None,
        file_ids: list[str] | None = None,
        extra: Json | None = None,
    ) -> Sent:
        threading = threading or Threading()
        message_id = chat.next_message_id
        chat.next_message_id += 1
        date = self.now()
        raw: Json = {"message_id": message_id}
        if threading.message_thread_id is not None:
            raw["message_thread_id"] = threading.message_thread_id
        raw["from"] = sender.as_user()
        raw["chat"] = chat.as_chat()
        raw["date"] = date
        if threading.is_topic_message:
            raw["is_topic_message"] = True
        if threading.reply_to is not None:
            raw["reply_to_message"] = threading.reply_to.embedded()
        if media_group_id is not None:
            raw["media_group_id"] = media_group_id
        raw.update(extra or {})
        raw.update(copy.deepcopy(content))
        if reply_markup and "inline_keyboard" in reply_markup:
            # Only inline keyboards are part of a Message; reply keyboards live in the person's app.
            raw["reply_markup"] = copy.deepcopy(reply_markup)
        sent = Sent(
            message_id=message_id,
            chat_id=chat.id,
            thread_id=threading.topic_id,
            from_bot=sender.id == self.bot.id,
            sender_id=sender.id,
            kind=kind,
            raw=raw,
            date=date,
            text=content.get("text"),
            caption=content.get("caption"),
            entities=copy.deepcopy(content.get("entities") or content.get("caption_entities") or []),
            reply_markup=copy.deepcopy(reply_markup) if reply_markup else None,
            media_group_id=media_group_id,
            reply_to_message_id=threading.reply_to.message_id if threading.reply_to else None,
            file_ids=list(file_ids or []),
        )
        chat.messages[message_id] = sent
        return sent

    # --- delivery to the bot ------------------------------------------------------------------

    def bot_sees(self, chat: ChatState, sent: Sent) -> bool:
        """Whether Telegram would show this message to the bot (membership and privacy mode)."""
        if sent.from_bot:
            return False
        if chat.is_private:
            return chat.id == sent.sender_id
        member = self.bot_member(chat)
        if member.status not in PRESENT_STATUSES:
            return False
        sender = self.users.get(sent.sender_id)
        if sender is not None and sender.is_bot and "sender_chat" not in sent.raw:
            return self._sees_other_bot(member, sender, sent)
        if member.status in ("creator", "administrator") or not self.privacy_mode:
            return True
        # Privacy mode: commands for this bot, replies to its messages, mentions and service messages.
        if sent.is_service:
            return True
        reply = sent.raw.get("reply_to_message")
        if reply and reply.get("from", {}).get("id") == self.bot.id and not reply.get("forum_topic_created"):
            return True
        text = sent.content_text or ""
        username = (self.bot.username or "").lower()
        for entity in sent.entities:
            piece = _utf16_slice(text, entity["offset"], entity["length"]).lower()
            if entity["type"] == "bot_command" and ("@" not in piece or piece.endswith("@" + username)):
                return True
            if entity["type"] == "mention" and piece == "@" + username:
                return True
        return False

    def _sees_other_bot(self, member: Member, sender: UserState, sent: Sent) -> bool:
        """Bot-to-bot communication: without it bots never see each other's messages. With it
        (either bot's setting) a bot sees replies to its messages and commands addressed to it;
        with its own setting, as an admin with privacy mode off, every bot message."""
        if not (sender.bot_to_bot or self.bot.bot_to_bot):
            return False
        if self.bot.bot_to_bot and member.status in ("creator", "administrator") and not self.privacy_mode:
            return True
        reply = sent.raw.get("reply_to_message")
        if reply and reply.get("from", {}).get("id") == self.bot.id and not reply.get("forum_topic_created"):
            return True
        text = sent.content_text or ""
        suffix = "@" + (self.bot.username or "").lower()
        return any(
            entity["type"] == "bot_command"
            and _utf16_slice(text, entity["offset"], entity["length"]).lower().endswith(suffix)
            for entity in sent.entities
        )

    def deliver(self, chat: ChatState, sent: Sent, kind: str = "message") -> PendingUpdate | None:
        if not self.bot_sees(chat, sent):
            return None
        return self.updates.push(kind, sent.raw)


def member_json(user: Json, member: Member) -> Json:
    """A ChatMember object: each status carries the fields aiogram's ChatMember* types require."""
    obj: Json = {"status": member.status, "user": user}
    if member.status == "creator":
        obj["is_anonymous"] = bool(member.rights.get("is_anonymous", False))
    elif member.status == "administrator":
        obj.update({**ADMIN_DEFAULT_RIGHTS, **member.rights})
    elif member.status == "restricted":
        obj.update({**RESTRICTED_DEFAULT_RIGHTS, **member.rights})
    elif member.status == "kicked":
        obj["until_date"] = member.until_date
    return obj


def _utf16_slice(text: str, offset: int, length: int) -> str:
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="replace")
