"""The Emulator: starts the fake Bot API server, acts as people in chats and shows what the bot did."""

from __future__ import annotations

import asyncio
import copy
import inspect
import random
import socket
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .botapi import BotApi, create_topic, delete_topic, make_poll, normalize_scope, topic_service_message
from .faults import FaultInjector
from .formatting import detect_entities
from .media import StoredFile, make_png
from .server import ApiServer, Call
from .world import (
    ADMIN_DEFAULT_RIGHTS,
    PRESENT_STATUSES,
    RESTRICTED_DEFAULT_RIGHTS,
    TOPIC_COLORS,
    ApiError,
    CallbackRecord,
    ChatState,
    Clock,
    Json,
    Member,
    Sent,
    Topic,
    UserState,
    World,
    member_json,
)

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.client.default import DefaultBotProperties

DEFAULT_TOKEN = "123456789:AAHemulatorTokenForTestsOnly-0000000"
# How Telegram shows an anonymous group admin (with sender_chat = the group).
GROUP_ANONYMOUS_BOT = UserState(1087968824, "Group", username="GroupAnonymousBot", language_code=None, is_bot=True)


class EmulatorError(Exception):
    """A test asked the emulator for something a person could not do in Telegram."""


class Emulator:
    """A local Telegram for one bot: the Bot API over HTTP plus people acting in chats."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "torus_support_bot",
        *,
        bot_first_name: str = "Torus Support",
        clock: Clock | None = None,
        privacy_mode: bool = True,
        strict_html: bool = True,
        bot_to_bot: bool = False,
    ) -> None:
        """`clock` dates messages (pass the bot's FixedClock to keep both in step); `privacy_mode` matters
        only where the bot is a plain member; `strict_html` also rejects unescaped "&" (Telegram shows it);
        `bot_to_bot` is the bot's Bot-to-Bot Communication Mode (see `add_other_bot`)."""
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("a bot token looks like '123456:secret'")
        self.token = token
        self.world = World(
            bot_id=int(bot_id),
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            clock=clock,
            privacy_mode=privacy_mode,
            bot_to_bot=bot_to_bot,
        )
        self.api = BotApi(self.world, strict_html=strict_html)
        self.faults = FaultInjector()
        self.server = ApiServer(token, self.world, self.api, self.faults)
        self.base_url: str | None = None
        self._runner: web.AppRunner | None = None

    # --- lifecycle --------------------------------------------------------------------------------

    @property
    def bot_id(self) -> int:
        return self.world.bot.id

    @property
    def bot_user(self) -> Json:
        return self.world.bot_user

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serves the Bot API on host:port (0 = a free port) and returns the base URL."""
        if self._runner is not None:
            raise EmulatorError("the emulator is already running")
        self.world.updates.closing = False
        self.server.stopping = asyncio.Event()
        runner = web.AppRunner(self.server.make_app(), handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            site = web.SockSite(runner, sock)
            await site.start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._runner = runner
        bound_port = sock.getsockname()[1]
        self.base_url = f"http://[{host}]:{bound_port}" if family == socket.AF_INET6 else f"http://{host}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        """Wakes every long poll (they answer []), then closes the server."""
        if self._runner is None:
            return
        self.world.updates.closing = True
        self.world.updates.wake()
        self.server.stopping.set()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def make_bot(self, *, default: DefaultBotProperties | None = None) -> Bot:
        """An aiogram Bot talking to this emulator with the unmodified AiohttpSession; close its session."""
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        if self.base_url is None:
            raise EmulatorError("start the emulator first")
        session = AiohttpSession(api=TelegramAPIServer.from_base(self.base_url))
        return Bot(self.token, session=session, default=default)

    # --- the cast -----------------------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
        *,
        started: bool = True,
        hides_forwards: bool = False,
    ) -> Json:
        """A person with a private chat with the bot; started=False: they never opened the bot;
        hides_forwards: their forwarded messages carry only their name."""
        if user_id <= 0:
            raise EmulatorError("user ids are positive")
        user = UserState(
            user_id, first_name, last_name, username, language_code, started=started, hides_forwards=hides_forwards
        )
        self.world.users[user_id] = user
        self.world.chats[user_id] = ChatState(id=user_id, type="private", user=user)
        return user.as_user()

    def add_group(
        self,
        chat_id: int,
        title: str,
        *,
        is_forum: bool = True,
        bot_rights: Json | None = None,
        bot_status: str = "administrator",
        username: str | None = None,
        join_to_send_messages: bool = True,
    ) -> Json:
        """A supergroup with the bot in it (an administrator with can_manage_topics unless told otherwise).
        A username makes it public: anyone may read it and press its buttons. join_to_send_messages=False
        (a discussion group's setting) lets people who are not members write without joining."""
        if chat_id >= 0:
            raise EmulatorError("supergroup ids are negative, like -1001234567890")
        chat = ChatState(
            id=chat_id, type="supergroup", title=title, username=username, is_forum=is_forum,
            join_to_send_messages=join_to_send_messages,
        )
        chat.members[self.bot_id] = Member(bot_status, dict(bot_rights or {}))
        self.world.chats[chat_id] = chat
        return chat.as_chat()

    def add_member(
        self, chat_id: int, user_id: int, status: str = "member", *, rights: Json | None = None, by: int | None = None
    ) -> None:
        """Sets someone's status in a group (creator, administrator, member, restricted, left, kicked);
        `by` is the admin who did it (default: the person themselves). Like Telegram, an admin bot that
        asked for "chat_member" updates gets one for every change."""
        if status not in PRESENT_STATUSES | {"left", "kicked"}:
            raise EmulatorError(f"unknown member status {status!r}")
        chat = self._group(chat_id)
        user = self._user(user_id, allow_bot=True)
        self._set_member(chat, user, Member(status, dict(rights or {})), self._user(by) if by is not None else user)

    def _set_member(self, chat: ChatState, user: UserState, new: Member, actor: UserState) -> None:
        old = self.world.member(chat, user.id)
        chat.members[user.id] = new
        if (old.status, old.rights) == (new.status, new.rights):
            return
        if self.world.bot_member(chat).status not in ("creator", "administrator"):
            return  # chat_member updates reach only administrators
        self.world.updates.push(
            "chat_member",
            {
                "chat": chat.as_chat(),
                "from": actor.as_user(),
                "date": self.world.now(),
                "old_chat_member": member_json(user.as_user(), old),
                "new_chat_member": member_json(user.as_user(), new),
            },
        )

    def add_other_bot(self, user_id: int, first_name: str, username: str, *, bot_to_bot: bool = False) -> Json:
        """Another bot, for groups only. Telegram shows a bot's messages to other bots only with
        Bot-to-Bot Communication Mode on for one of them (`bot_to_bot` here or on the Emulator)."""
        if user_id <= 0 or not username.lower().endswith("bot"):
            raise EmulatorError("a bot has a positive id and a username ending in 'bot'")
        user = UserState(user_id, first_name, username=username, language_code=None, is_bot=True, bot_to_bot=bot_to_bot)
        self.world.users[user_id] = user
        return user.as_user()

    def set_bot_member(self, chat_id: int, status: str, *, rights: Json | None = None) -> None:
        """An admin changes the bot's place in a group (demotes it, removes it, adds it back);
        Telegram tells the bot with a my_chat_member update, as here."""
        if status not in PRESENT_STATUSES | {"left", "kicked"}:
            raise EmulatorError(f"unknown member status {status!r}")
        chat = self._group(chat_id)
        old = self.world.bot_member(chat)
        chat.members[self.bot_id] = Member(status, dict(rights or {}))

        def member(m: Member) -> Json:
            obj: Json = {"status": m.status, "user": self.bot_user}
            if m.status == "administrator":
                obj.update({**ADMIN_DEFAULT_RIGHTS, **m.rights})
            elif m.status == "kicked":
                obj["until_date"] = 0
            return obj

        by = next((uid for uid, m in chat.members.items() if m.status == "creator"), None)
        actor = self.world.users[by].as_user() if by in self.world.users else self.bot_user
        self.world.updates.push("my_chat_member", {
            "chat": chat.as_chat(), "from": actor, "date": self.world.now(),
            "old_chat_member": member(old), "new_chat_member": member(chat.members[self.bot_id]),
        })

    def block_bot(self, user_id: int) -> None:
        """The person blocks the bot: sends fail with 403 and the bot gets a my_chat_member update."""
        user = self._user(user_id)
        if not user.blocked:
            user.blocked = True
            self._my_chat_member(user, "member", "kicked")

    def unblock_bot(self, user_id: int) -> None:
        user = self._user(user_id)
        if user.blocked:
            user.blocked = False
            self._my_chat_member(user, "kicked", "member")

    def _my_chat_member(self, user: UserState, old: str, new: str) -> None:
        def member(status: str) -> Json:
            obj: Json = {"status": status, "user": self.bot_user}
            if status == "kicked":
                obj["until_date"] = 0
            return obj

        self.world.updates.push(
            "my_chat_member",
            {
                "chat": self.world.chats[user.id].as_chat(),
                "from": user.as_user(),
                "date": self.world.now(),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            },
        )

    # --- people acting ------------------------------------------------------------------------------

    def _user(self, user_id: int, *, allow_bot: bool = False) -> UserState:
        user = self.world.users.get(user_id)
        if user is None or user.id == self.bot_id or (user.is_bot and not allow_bot):
            raise EmulatorError(f"no person {user_id}; add_user() first")
        return user

    def _group(self, chat_id: int) -> ChatState:
        chat = self.world.chats.get(chat_id)
        if chat is None or chat.is_private:
            raise EmulatorError(f"no group {chat_id}; add_group() first")
        return chat

    def _chat(self, chat_id: int) -> ChatState:
        chat = self.world.chats.get(chat_id)
        if chat is None:
            raise EmulatorError(f"no chat {chat_id}")
        return chat

    def _enter(self, user: UserState, chat_id: int | None) -> tuple[ChatState, Member]:
        """The chat a person writes in, making them a member of a group if they were not."""
        chat = self.world.chats[user.id] if chat_id is None else self._chat(chat_id)
        if chat.is_private:
            if chat.id != user.id:
                raise EmulatorError(f"person {user.id} cannot write in someone else's private chat {chat.id}")
            # Writing to a blocked bot means pressing "Restart" in the app.
            self.unblock_bot(user.id)
            user.started = True
            return chat, Member("member")
        member = self.world.member(chat, user.id)
        if member.status == "kicked":
            raise EmulatorError(f"person {user.id} is banned in {chat.id}")
        if member.status not in PRESENT_STATUSES and chat.join_to_send_messages:
            # Writing in a group one is not in means joining it first.
            self._set_member(chat, user, Member("member"), user)
            member = self.world.member(chat, user.id)
        if not self.world.can_send(chat, user.id):
            raise EmulatorError(f"person {user.id} may not send messages in {chat.id} ({member.status})")
        return chat, member

    def _post_as(
        self,
        user_id: int,
        chat_id: int | None,
        thread_id: int | None,
        reply_to: int | None,
        kind: str,
        content: Json,
        *,
        file_ids: list[str] | None = None,
        media_group_id: str | None = None,
        deliver: bool = True,
        anonymous: bool = False,
    ) -> Sent:
        user = self._user(user_id, allow_bot=True)
        if user.is_bot and (chat_id is None or self._chat(chat_id).is_private):
            raise EmulatorError("bots cannot write to other bots in private chats")
        chat, member = self._enter(user, chat_id)
        extra: Json | None = None
        if anonymous:
            if member.status not in ("creator", "administrator"):
                raise EmulatorError(f"only administrators of {chat.id} can write anonymously")
            # Telegram hides the admin behind GroupAnonymousBot and names the group as the sender.
            user, extra = GROUP_ANONYMOUS_BOT, {"sender_chat": chat.as_chat()}
        try:
            threading = self.world.resolve_thread(
                chat, thread_id, reply_to, may_post_in_closed=member.status in ("creator", "administrator")
            )
        except ApiError as error:
            raise EmulatorError(f"person {user_id} cannot post in chat {chat.id}: {error.description}") from None
        sent = self.world.add_message(
            chat,
            sender=user,
            kind=kind,
            content=content,
            threading=threading,
            media_group_id=media_group_id,
            file_ids=file_ids,
            extra=extra,
        )
        if deliver:
            self.world.deliver(chat, sent)
        return sent

    @staticmethod
    def _caption(caption: str | None) -> Json:
        if not caption:
            return {}
        content: Json = {"caption": caption}
        entities = detect_entities(caption)
        if entities:
            content["caption_entities"] = entities
        return content

    def _file_content(
        self,
        kind: str,
        *,
        data: bytes | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        file_size: int | None = None,
        width: int | None = None,
        height: int | None = None,
        duration: int | None = None,
        caption: str | None = None,
        emoji: str | None = None,
    ) -> tuple[Json, list[str]]:
        stored: StoredFile
        if kind == "photo":
            if data is None:
                data = make_png(width or 640, height or 480)
            stored = self.world.files.add_photo(data, size=file_size)
            content: Json = {"photo": stored.as_photo_sizes()}
        else:
            if data is None and file_size is None:
                data = f"emulated {kind} {file_name or ''}\n".encode()
            stored = self.world.files.add(
                kind,
                data,
                size=file_size,
                file_name=file_name,
                mime_type=mime_type,
                width=width,
                height=height,
                duration=duration,
                extra={"emoji": emoji} if emoji else None,
            )
            content = {kind: stored.as_object()}
        content.update(self._caption(caption))
        return content, [f.file_id for f in (stored.photo_set or [stored])]

    async def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
        entities: list[Json] | None = None,
        anonymous: bool = False,
    ) -> Json:
        """A person (or another bot, in a group) writes text (chat_id None = their private chat);
        commands get bot_command entities; anonymous=True: a group admin who remains anonymous."""
        if not text.strip():
            raise EmulatorError("Telegram apps do not send empty messages")
        content: Json = {"text": text}
        found = entities if entities is not None else detect_entities(text)
        if found:
            content["entities"] = found
        sent = self._post_as(user_id, chat_id, thread_id, reply_to, "text", content, anonymous=anonymous)
        return copy.deepcopy(sent.raw)

    async def send_photo(
        self,
        user_id: int,
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
        caption: str | None = None,
        data: bytes | None = None,
        width: int | None = None,
        height: int | None = None,
        media_group_id: str | None = None,
        reply_to: int | None = None,
    ) -> Json:
        """A photo; without data a real PNG of width x height (640x480) is made."""
        content, ids = self._file_content("photo", data=data, width=width, height=height, caption=caption)
        sent = self._post_as(
            user_id, chat_id, thread_id, reply_to, "photo", content, file_ids=ids, media_group_id=media_group_id
        )
        return copy.deepcopy(sent.raw)

    async def send_document(
        self,
        user_id: int,
        *,
        file_name: str = "log.txt",
        data: bytes | None = None,
        mime_type: str | None = None,
        file_size: int | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        thread_id: int | None = None,
        media_group_id: str | None = None,
        reply_to: int | None = None,
    ) -> Json:
        """A file; file_size alone fakes a big file (getFile then says "file is too big" over 20 MB)."""
        content, ids = self._file_content(
            "document", data=data, file_name=file_name, mime_type=mime_type, file_size=file_size, caption=caption
        )
        sent = self._post_as(
            user_id, chat_id, thread_id, reply_to, "document", content, file_ids=ids, media_group_id=media_group_id
        )
        return copy.deepcopy(sent.raw)

    async def send_video(
        self,
        user_id: int,
        *,
        data: bytes | None = None,
        file_name: str = "video.mp4",
        file_size: int | None = None,
        width: int = 1280,
        height: int = 720,
        duration: int = 5,
        caption: str | None = None,
        chat_id: int | None = None,
        thread_id: int | None = None,
        media_group_id: str | None = None,
        reply_to: int | None = None,
    ) -> Json:
        content, ids = self._file_content(
            "video",
            data=data,
            file_name=file_name,
            file_size=file_size,
            width=width,
            height=height,
            duration=duration,
            caption=caption,
        )
        sent = self._post_as(
            user_id, chat_id, thread_id, reply_to, "video", content, file_ids=ids, media_group_id=media_group_id
        )
        return copy.deepcopy(sent.raw)

    async def send_voice(
        self,
        user_id: int,
        *,
        data: bytes | None = None,
        duration: int = 3,
        file_size: int | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> Json:
        content, ids = self._file_content("voice", data=data, file_size=file_size, duration=duration, caption=caption)
        sent = self._post_as(user_id, chat_id, thread_id, reply_to, "voice", content, file_ids=ids)
        return copy.deepcopy(sent.raw)

    async def send_sticker(
        self,
        user_id: int,
        *,
        emoji: str = "👍",
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> Json:
        webp = b"RIFF\x00\x00\x00\x00WEBP"
        content, ids = self._file_content("sticker", data=webp, width=512, height=512, emoji=emoji)
        sent = self._post_as(user_id, chat_id, thread_id, reply_to, "sticker", content, file_ids=ids)
        return copy.deepcopy(sent.raw)

    async def send_location(
        self,
        user_id: int,
        latitude: float = 55.755826,
        longitude: float = 37.6173,
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> Json:
        content = {"location": {"latitude": latitude, "longitude": longitude}}
        return copy.deepcopy(self._post_as(user_id, chat_id, thread_id, reply_to, "location", content).raw)

    async def send_contact(
        self,
        user_id: int,
        phone_number: str,
        first_name: str,
        *,
        contact_user_id: int | None = None,
        last_name: str | None = None,
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> Json:
        """A shared contact; contact_user_id None means the sender's own (Telegram's "share my number"),
        0 means a contact with no Telegram account (no user_id)."""
        contact: Json = {"phone_number": phone_number, "first_name": first_name}
        if last_name:
            contact["last_name"] = last_name
        owner = user_id if contact_user_id is None else contact_user_id
        if owner:
            contact["user_id"] = owner
        return copy.deepcopy(self._post_as(user_id, chat_id, thread_id, reply_to, "contact", {"contact": contact}).raw)

    async def send_poll(
        self,
        user_id: int,
        question: str = "Какой вариант?",
        options: list[str] | None = None,
        *,
        is_anonymous: bool = True,
        chat_id: int | None = None,
        thread_id: int | None = None,
    ) -> Json:
        poll = make_poll(self.world, question, options or ["Да", "Нет"], is_anonymous=is_anonymous)
        return copy.deepcopy(self._post_as(user_id, chat_id, thread_id, None, "poll", {"poll": poll}).raw)

    async def send_dice(
        self,
        user_id: int,
        emoji: str = "🎲",
        *,
        value: int = 6,
        chat_id: int | None = None,
        thread_id: int | None = None,
    ) -> Json:
        content = {"dice": {"emoji": emoji, "value": value}}
        return copy.deepcopy(self._post_as(user_id, chat_id, thread_id, None, "dice", content).raw)

    async def send_album(
        self,
        user_id: int,
        items: list[Json],
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
        order: list[int] | None = None,
        shuffle_seed: int | None = None,
    ) -> list[Json]:
        """An album: messages share one media_group_id; their updates reach the bot in `order`
        (indices into items) or shuffled with `shuffle_seed`, as Telegram may deliver them."""
        if not 2 <= len(items) <= 10:
            raise EmulatorError("an album has 2-10 items")
        kinds = [item.get("type", "photo") for item in items]
        for lonely in ("document", "audio"):
            if lonely in kinds and any(kind != lonely for kind in kinds):
                raise EmulatorError(f"{lonely}s cannot be mixed with other media in an album")
        group_id = self.world.new_media_group_id()
        sent_items: list[Sent] = []
        for item, kind in zip(items, kinds, strict=True):
            if kind not in ("photo", "video", "document", "audio"):
                raise EmulatorError(f"albums hold photos, videos, documents or audio, not {kind}")
            options = {k: v for k, v in item.items() if k != "type"}
            content, ids = self._file_content(kind, **options)
            sent_items.append(
                self._post_as(
                    user_id,
                    chat_id,
                    thread_id,
                    reply_to,
                    kind,
                    content,
                    file_ids=ids,
                    media_group_id=group_id,
                    deliver=False,
                )
            )
        indices = list(order) if order is not None else list(range(len(items)))
        if sorted(indices) != list(range(len(items))):
            raise EmulatorError(f"order must be a permutation of 0..{len(items) - 1}")
        if shuffle_seed is not None:
            random.Random(shuffle_seed).shuffle(indices)
        chat = self.world.chats[sent_items[0].chat_id]
        for index in indices:
            self.world.deliver(chat, sent_items[index])
        return [copy.deepcopy(sent.raw) for sent in sent_items]

    async def edit_text(self, user_id: int, chat_id: int, message_id: int, new_text: str) -> Json:
        """A person edits their text message; the bot gets an edited_message update."""
        chat = self._chat(chat_id)
        sent = chat.live(message_id)
        if sent is None or sent.sender_id != user_id:
            raise EmulatorError(f"person {user_id} has no message {message_id} in chat {chat_id}")
        if sent.kind != "text":
            raise EmulatorError("only text messages can be edited with edit_text")
        sent.history.append(copy.deepcopy(sent.raw))
        sent.text = sent.raw["text"] = new_text
        sent.entities = detect_entities(new_text)
        if sent.entities:
            sent.raw["entities"] = copy.deepcopy(sent.entities)
        else:
            sent.raw.pop("entities", None)
        sent.raw["edit_date"] = self.world.now()
        sent.edited += 1
        if self.world.bot_sees(chat, sent):
            self.world.updates.push("edited_message", sent.raw)
        return copy.deepcopy(sent.raw)

    async def delete_message(self, user_id: int, chat_id: int, message_id: int) -> None:
        """A person deletes their message; Telegram tells bots nothing about it."""
        chat = self._chat(chat_id)
        sent = chat.live(message_id)
        if sent is None or sent.sender_id != user_id:
            raise EmulatorError(f"person {user_id} has no message {message_id} in chat {chat_id}")
        sent.deleted = True

    async def react(self, user_id: int, chat_id: int, message_id: int, emoji: str | list[str] | None) -> Json | None:
        """A person sets their reaction on a message (None or [] takes it away). The bot gets a
        message_reaction update only if it asked for them in allowed_updates, and in a group only
        as an administrator; it returns that update's payload, or None when the bot gets nothing."""
        user = self._user(user_id)
        chat = self._chat(chat_id)
        if chat.is_private and chat.id != user.id:
            raise EmulatorError(f"person {user.id} cannot see someone else's private chat {chat.id}")
        if not chat.is_private:
            member = self.world.member(chat, user.id)
            if member.status not in PRESENT_STATUSES:
                raise EmulatorError(f"person {user.id} is not in {chat.id}")
            if member.status == "restricted" and not {**RESTRICTED_DEFAULT_RIGHTS, **member.rights}.get(
                "can_react_to_messages", True
            ):
                raise EmulatorError(f"person {user.id} may not react in {chat.id}")
        sent = chat.live(message_id)
        if sent is None or sent.is_service:
            raise EmulatorError(f"no message {message_id} to react to in chat {chat_id}")
        emojis = [emoji] if isinstance(emoji, str) else list(emoji or [])
        new = [{"type": "emoji", "emoji": e} for e in emojis]
        old = sent.user_reactions.get(user.id, [])
        if new == old:
            return None  # nothing changed: Telegram sends nothing
        if new:
            sent.user_reactions[user.id] = new
        else:
            sent.user_reactions.pop(user.id, None)
        if not chat.is_private and self.world.bot_member(chat).status not in ("creator", "administrator"):
            return None
        payload: Json = {
            "chat": chat.as_chat(),
            "message_id": message_id,
            "user": user.as_user(),
            "date": self.world.now(),
            "old_reaction": copy.deepcopy(old),
            "new_reaction": copy.deepcopy(new),
        }
        pushed = self.world.updates.push("message_reaction", payload)
        return copy.deepcopy(pushed.payload) if pushed else None

    async def press_button(
        self, user_id: int, chat_id: int, message_id: int, callback_data: str, *, force: bool = False
    ) -> Json:
        """A person presses an inline button; force=True sends the data even if no such button exists."""
        user = self._user(user_id)
        chat = self._chat(chat_id)
        sent = chat.messages.get(message_id)
        if not chat.is_private:
            status = self.world.member(chat, user.id).status
            # Only members see a private group; anyone but the banned sees a public one.
            if status == "kicked" or (status not in PRESENT_STATUSES and not chat.username):
                raise EmulatorError(f"person {user.id} cannot see the messages of {chat.id} ({status})")
        if not force:
            if sent is None or sent.deleted:
                raise EmulatorError(f"no message {message_id} in chat {chat_id} to press a button on")
            datas = [b.get("callback_data") for b in sent.buttons()]
            if callback_data not in datas:
                raise EmulatorError(f"message {message_id} has no button with data {callback_data!r}; it has {datas}")
        if sent is None or sent.deleted:
            # Telegram's InaccessibleMessage: date 0 says the message is gone.
            message: Json = {"chat": chat.as_chat(), "message_id": message_id, "date": 0}
        else:
            message = copy.deepcopy(sent.raw)
        query: Json = {
            "id": str(4_000_000_000_000_000_000 + self.world.next_seq()),
            "from": user.as_user(),
            "message": message,
            "chat_instance": self.world.chat_instance(chat.id),
            "data": callback_data,
        }
        self.world.callbacks[query["id"]] = CallbackRecord(query)
        self.world.updates.push("callback_query", query)
        return copy.deepcopy(query)

    def callback_answer(self, callback_query_id: str) -> Json | None:
        """What answerCallbackQuery said (text, show_alert, url, cache_time), or None if not answered."""
        record = self.world.callbacks.get(callback_query_id)
        return copy.deepcopy(record.answer) if record and record.answer else None

    def _admin(self, chat: ChatState, by: int | None) -> tuple[UserState, Json | None]:
        """Who performs an admin action: a person, or (by=None) an anonymous admin, whom Telegram shows
        as GroupAnonymousBot with sender_chat set to the group."""
        if by is None:
            return GROUP_ANONYMOUS_BOT, {"sender_chat": chat.as_chat()}
        user = self._user(by)
        self._enter(user, chat.id)
        return user, None

    def create_topic(
        self,
        chat_id: int,
        name: str,
        *,
        by: int | None = None,
        icon_color: int = TOPIC_COLORS[0],
        icon_custom_emoji_id: str | None = None,
    ) -> Json:
        """Someone opens a topic (by=None: an anonymous admin); the bot gets forum_topic_created."""
        chat = self._group(chat_id)
        if not chat.is_forum:
            raise EmulatorError(f"chat {chat_id} is not a forum")
        actor, extra = self._admin(chat, by)
        topic, sent = create_topic(self.world, chat, actor, name, icon_color, icon_custom_emoji_id, extra)
        self.world.deliver(chat, sent)
        return topic.as_forum_topic()

    def close_topic(self, chat_id: int, thread_id: int, *, by: int | None = None) -> None:
        """Someone closes a topic: the bot's later sends there fail with TOPIC_CLOSED."""
        self._set_topic_closed(chat_id, thread_id, True, by)

    def reopen_topic(self, chat_id: int, thread_id: int, *, by: int | None = None) -> None:
        self._set_topic_closed(chat_id, thread_id, False, by)

    def _set_topic_closed(self, chat_id: int, thread_id: int, closed: bool, by: int | None) -> None:
        chat = self._group(chat_id)
        topic = self._live_topic(chat, thread_id)
        if topic.closed == closed:
            return
        actor, extra = self._admin(chat, by)
        topic.closed = closed
        key = "forum_topic_closed" if closed else "forum_topic_reopened"
        self.world.deliver(chat, topic_service_message(self.world, chat, topic, actor, {key: {}}, extra))

    def delete_topic(self, chat_id: int, thread_id: int, *, by: int | None = None) -> None:
        """Someone deletes a topic with all its messages; Telegram tells bots nothing (later sends fail)."""
        chat = self._group(chat_id)
        self._admin(chat, by)
        delete_topic(chat, self._live_topic(chat, thread_id))

    @staticmethod
    def _live_topic(chat: ChatState, thread_id: int) -> Topic:
        topic = chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise EmulatorError(f"no topic {thread_id} in chat {chat.id}")
        return topic

    def inject_update(self, update: Json) -> int:
        """Queues a raw update as is (for forged or unusual ones); returns its update_id."""
        return self.world.updates.push_raw(update).update_id

    # --- what happened ------------------------------------------------------------------------------

    def messages(
        self,
        chat_id: int,
        thread_id: int | None = None,
        *,
        include_deleted: bool = False,
        include_service: bool = False,
    ) -> list[Sent]:
        """Messages of a chat (or of one forum topic), from the bot and from people, oldest first."""
        chat = self._chat(chat_id)
        return [
            sent
            for sent in chat.messages.values()
            if (thread_id is None or sent.thread_id == thread_id)
            and (include_deleted or not sent.deleted)
            and (include_service or not sent.is_service)
        ]

    def bot_messages(self, chat_id: int, thread_id: int | None = None, *, include_deleted: bool = False) -> list[Sent]:
        return [s for s in self.messages(chat_id, thread_id, include_deleted=include_deleted) if s.from_bot]

    def last_bot_message(self, chat_id: int, thread_id: int | None = None) -> Sent | None:
        sent = self.bot_messages(chat_id, thread_id)
        return sent[-1] if sent else None

    def message(self, chat_id: int, message_id: int) -> Sent:
        sent = self._chat(chat_id).messages.get(message_id)
        if sent is None:
            raise EmulatorError(f"no message {message_id} in chat {chat_id}")
        return sent

    def topics(self, chat_id: int) -> dict[int, Topic]:
        return dict(self._group(chat_id).topics)

    def find_topic(self, chat_id: int, name: str) -> Topic | None:
        """The newest live topic with this name."""
        found = [t for t in self._group(chat_id).topics.values() if t.name == name and not t.deleted]
        return found[-1] if found else None

    def user(self, user_id: int) -> UserState:
        return self._user(user_id)

    def calls(self, method: str | None = None) -> list[Call]:
        """Every Bot API request so far (or those of one method, case-insensitive)."""
        if method is None:
            return list(self.server.calls)
        return [call for call in self.server.calls if call.method.lower() == method.lower()]

    def commands(self, scope: Json | None = None, language_code: str = "") -> list[Json]:
        """What setMyCommands stored for exactly this scope and language."""
        key = (normalize_scope(self.world, scope or {"type": "default"}), language_code)
        return copy.deepcopy(self.world.commands.get(key, []))

    def visible_commands(
        self, user_id: int, chat_id: int | None = None, language_code: str | None = None
    ) -> list[Json]:
        """The command menu this person sees in that chat, by Telegram's scope fallback order."""
        user = self._user(user_id)
        chat = self.world.chats[user_id] if chat_id is None else self._chat(chat_id)
        language = user.language_code if language_code is None else language_code
        if chat.is_private:
            scopes: list[Json] = [{"type": "chat", "chat_id": chat.id}, {"type": "all_private_chats"}]
        else:
            admin = self.world.member(chat, user_id).status in ("creator", "administrator")
            scopes = [{"type": "chat_member", "chat_id": chat.id, "user_id": user_id}]
            scopes += [{"type": "chat_administrators", "chat_id": chat.id}] if admin else []
            scopes += [{"type": "chat", "chat_id": chat.id}]
            scopes += [{"type": "all_chat_administrators"}] if admin else []
            scopes += [{"type": "all_group_chats"}]
        scopes.append({"type": "default"})
        for scope in scopes:
            for lang in [language, ""] if language else [""]:
                found = self.world.commands.get((normalize_scope(self.world, scope), lang))
                if found:
                    return copy.deepcopy(found)
        return []

    def file_bytes(self, file_id: str) -> bytes:
        stored = self.world.files.get(file_id)
        if stored is None:
            raise EmulatorError(f"no file {file_id}")
        return stored.content()

    def pending_updates(self) -> int:
        """Updates the bot has not confirmed yet (fetched or not)."""
        return len(self.world.updates)

    @property
    def webhook(self) -> Json | None:
        return copy.deepcopy(self.world.webhook)

    @property
    def internal_errors(self) -> list[str]:
        """Emulator bugs met while answering (each also answered 500); should stay empty."""
        return list(self.server.internal_errors)

    # --- waiting --------------------------------------------------------------------------------------

    async def wait_for(
        self, predicate: Callable[[], Any | Awaitable[Any]], timeout: float = 5.0, *, message: str | None = None
    ) -> Any:
        """Polls predicate until it returns something truthy (and returns that), else AssertionError."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            if time.monotonic() >= deadline:
                raise AssertionError(f"{message or _describe(predicate)} not true after {timeout}s\n{self.status()}")
            await asyncio.sleep(0.01)

    async def wait_idle(self, timeout: float = 5.0, *, quiet: float = 0.05) -> None:
        """Waits until the bot has fetched every update and made no API call for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        activity = self.server.activity
        while True:
            if (
                self.world.updates.undelivered() == 0
                and activity.inflight == 0
                and time.monotonic() - activity.last >= quiet
            ):
                return
            if time.monotonic() >= deadline:
                raise AssertionError(f"the bot did not settle within {timeout}s\n{self.status()}")
            await asyncio.sleep(min(0.01, quiet / 2))

    def status(self) -> str:
        """A short report for failure messages: queue, calls in flight, the latest calls."""
        lines = [
            f"updates pending: {len(self.world.updates)} (never fetched: {self.world.updates.undelivered()}), "
            f"calls in flight: {self.server.activity.inflight}",
            "latest calls:",
        ]
        lines += [f"  {call}" for call in self.server.calls[-10:]] or ["  (none)"]
        if self.server.internal_errors:
            lines.append(f"emulator errors: {self.server.internal_errors}")
        return "\n".join(lines)


def _describe(predicate: Callable[..., Any]) -> str:
    try:
        return inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        return getattr(predicate, "__qualname__", repr(predicate))
