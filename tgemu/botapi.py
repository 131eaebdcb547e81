"""The Bot API methods: decoded parameters in, Telegram-shaped results or ApiError out."""

from __future__ import annotations

import contextlib
import copy
import json
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .formatting import EntityParseError, normalize_url, parse_html, trim, with_auto_entities
from .media import MAX_DOWNLOAD_SIZE, MAX_UPLOAD_SIZE, StoredFile
from .world import (
    CAPTIONED_KINDS,
    CONTENT_KEYS,
    PRESENT_STATUSES,
    TOPIC_COLORS,
    ApiError,
    ChatState,
    Json,
    Member,
    Sent,
    Threading,
    Topic,
    World,
    bad_request,
    forbidden,
)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# The emoji a reaction may be (the Bot API's ReactionTypeEmoji); ✓ and ✅ are not among them.
REACTION_EMOJI = frozenset((
    "❤", "👍", "👎", "🔥", "🥰", "👏", "😁", "🤔", "🤯", "😱", "🤬", "😢", "🎉", "🤩", "🤮", "💩", "🙏", "👌", "🕊",
    "🤡", "🥱", "🥴", "😍", "🐳", "❤‍🔥", "🌚", "🌭", "💯", "🤣", "⚡", "🍌", "🏆", "💔", "🤨", "😐", "🍓", "🍾", "💋",
    "🖕", "😈", "😴", "😭", "🤓", "👻", "👨‍💻", "👀", "🎃", "🙈", "😇", "😨", "🤝", "✍", "🤗", "🫡", "🎅", "🎄", "☃",
    "💅", "🤪", "🗿", "🆒", "💘", "🙉", "🦄", "😘", "💊", "🙊", "😎", "👾", "🤷‍♂", "🤷", "🤷‍♀", "😡",
))
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_DICE_MAX = {"🎲": 6, "🎯": 6, "🎳": 6, "🏀": 5, "⚽": 5, "🎰": 64}
_FILE_TYPE_NAMES = {
    "photo": "Photo",
    "document": "Document",
    "video": "Video",
    "voice": "Voice",
    "audio": "Audio",
    "animation": "Animation",
    "sticker": "Sticker",
    "video_note": "VideoNote",
}


@dataclass
class Upload:
    """A file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


class Params:
    """A request's parameters; every scalar may arrive as a string and objects as JSON text."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload]) -> None:
        self.values = values
        self.uploads = uploads

    def get(self, name: str) -> Any:
        value = self.values.get(name)
        return None if value is None or value == "" else value

    def has(self, name: str) -> bool:
        return self.get(name) is not None or name in self.uploads

    def text(self, name: str, *, missing: str | None = None) -> str | None:
        value = self.get(name)
        if value is None:
            if missing:
                raise bad_request(missing)
            return None
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return str(value)

    def integer(self, name: str, *, missing: str | None = None) -> int | None:
        value = self.get(name)
        if value is None:
            if missing:
                raise bad_request(missing)
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def number(self, name: str, *, missing: str | None = None) -> float | None:
        value = self.get(name)
        if value is None:
            if missing:
                raise bad_request(missing)
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        value = self.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes", "on")
        return bool(value)

    def obj(self, name: str, *, what: str | None = None) -> Any:
        value = self.get(name)
        if value is None or isinstance(value, (dict, list)):
            return value
        try:
            return json.loads(value)
        except (TypeError, ValueError):
            raise bad_request(f"can't parse {what or name} JSON object") from None

    def chat_ref(self, name: str = "chat_id") -> int | str:
        value = self.get(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if text.startswith("@"):
            return text
        try:
            return int(text)
        except ValueError:
            raise bad_request("chat not found") from None

    def record(self) -> Json:
        """The parameters as tests want to read them: JSON decoded, uploads summarised."""
        decoded: Json = {}
        for key, value in self.values.items():
            if isinstance(value, str) and value[:1] in ("{", "["):
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            decoded[key] = value
        for key, upload in self.uploads.items():
            decoded[key] = {"upload": upload.filename, "size": len(upload.data)}
        return decoded


Handler = Callable[[Params], Any | Awaitable[Any]]


def api(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Marks a BotApi method as the implementation of the Bot API method `name`."""

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.__api_name__ = name  # type: ignore[attr-defined]
        return fn

    return mark


class BotApi:
    """The bot's side of Telegram: every implemented Bot API method."""

    def __init__(self, world: World, *, strict_html: bool = True) -> None:
        self.world = world
        self.strict_html = strict_html
        self._poll_seq = 0
        self._random = random.Random(world.bot.id)
        self.profile: Json = {"name": world.bot.first_name, "description": "", "short_description": ""}
        self._handlers: dict[str, tuple[str, Handler]] = {}
        for attr in dir(type(self)):
            fn = getattr(type(self), attr)
            name = getattr(fn, "__api_name__", None)
            if name:
                self._handlers[name.lower()] = (name, getattr(self, attr))

    def handler(self, method: str) -> tuple[str, Handler] | None:
        """The canonical name and implementation; method names are case-insensitive, as in Telegram."""
        return self._handlers.get(method.lower())

    @property
    def method_names(self) -> list[str]:
        return sorted(name for name, _ in self._handlers.values())

    # --- shared helpers ---------------------------------------------------------------------------

    def _chat(self, p: Params, name: str = "chat_id") -> ChatState:
        chat = self.world.find_chat(p.chat_ref(name))
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _check_can_write(self, chat: ChatState) -> None:
        if chat.is_private:
            assert chat.user is not None
            if chat.user.is_bot:
                raise forbidden("bot can't send messages to bots")
            if chat.user.blocked:
                raise forbidden("bot was blocked by the user")
            if not chat.user.started:
                raise forbidden("bot can't initiate conversation with a user")
            return
        member = self.world.bot_member(chat)
        if member.status == "kicked":
            raise forbidden("bot was kicked from the supergroup chat")
        if member.status not in PRESENT_STATUSES:
            raise forbidden("bot is not a member of the supergroup chat")
        if member.status == "restricted" and member.rights.get("can_send_messages") is False:
            raise bad_request("not enough rights to send text messages to the chat")

    def _target(self, p: Params) -> ChatState:
        chat = self._chat(p)
        self._check_can_write(chat)
        return chat

    def _threading(self, p: Params, chat: ChatState) -> Threading:
        thread_id = p.integer("message_thread_id")
        allow = p.flag("allow_sending_without_reply")
        reply_id = p.integer("reply_to_message_id")
        reply = p.obj("reply_parameters", what="reply parameters")
        if isinstance(reply, dict):
            if reply.get("chat_id") is not None and self.world.find_chat(reply["chat_id"]) is not chat:
                # Replies to other chats (external_reply) are not simulated.
                raise bad_request("message to be replied not found")
            reply_id = int(reply["message_id"]) if reply.get("message_id") is not None else None
            allow = bool(reply.get("allow_sending_without_reply", allow))
        return self.world.resolve_thread(chat, thread_id, reply_id, allow_without_reply=allow)

    def _formatted(self, raw: Any, mode: Any, explicit: Any) -> tuple[str, list[Json]]:
        text = "" if raw is None else str(raw)
        entities: list[Json]
        if explicit is not None:
            entities = self._explicit_entities(explicit, text)
        elif mode:
            mode = str(mode).lower()
            if mode == "html":
                try:
                    text, entities = parse_html(text, strict=self.strict_html, user_lookup=self.world.user_dict)
                except EntityParseError as error:
                    raise bad_request(f"can't parse entities: {error}") from None
            elif mode in ("markdown", "markdownv2"):
                # Not parsed by the emulator: the text is kept as written.
                entities = []
            else:
                raise bad_request("unsupported parse_mode")
        else:
            entities = []
        text, entities = trim(text, entities)
        return text, with_auto_entities(text, entities)

    @staticmethod
    def _explicit_entities(value: Any, text: str) -> list[Json]:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise bad_request("can't parse entities JSON object") from None
        if not isinstance(value, list):
            raise bad_request("can't parse entities JSON object")
        total = len(text.encode("utf-16-le")) // 2
        entities = []
        for entity in value:
            if not isinstance(entity, dict) or "type" not in entity:
                raise bad_request("can't parse entities JSON object")
            offset, length = int(entity.get("offset", 0)), int(entity.get("length", 0))
            if offset < 0 or length <= 0 or offset + length > total:
                continue  # Telegram silently drops entities outside the text
            entities.append({k: v for k, v in entity.items() if v is not None})
        return entities

    def _text_param(self, p: Params) -> tuple[str, list[Json]]:
        text, entities = self._formatted(p.get("text"), p.get("parse_mode"), p.get("entities"))
        if not text:
            raise bad_request("message text is empty")
        if len(text) > TEXT_LIMIT:
            raise bad_request("message is too long")
        return text, entities

    def _caption(self, raw: Any, mode: Any, explicit: Any) -> Json:
        if raw is None:
            return {}
        caption, entities = self._formatted(raw, mode, explicit)
        if len(caption) > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
        content: Json = {}
        if caption:
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        return content

    def _markup(self, p: Params, *, inline_only: bool = False) -> Json | None:
        markup = p.obj("reply_markup", what="reply keyboard markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays')
            for button in (b for row in rows for b in row):
                self._check_inline_button(button)
        elif inline_only:
            raise bad_request("inline keyboard expected")
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request('field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays')
            for button in (b for row in rows for b in row):
                text = button if isinstance(button, str) else button.get("text") if isinstance(button, dict) else None
                if not text:
                    raise bad_request('can\'t parse keyboard button: Field "text" must be of type String')
        elif "remove_keyboard" not in markup and "force_reply" not in markup:
            raise bad_request("can't parse reply keyboard markup JSON object")
        return markup

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        if not isinstance(button, dict):
            raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        if not button.get("text"):
            raise bad_request("BUTTON_TEXT_INVALID")
        actions = [key for key in _BUTTON_ACTIONS if button.get(key) is not None]
        if not actions:
            raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
        if "callback_data" in actions:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                raise bad_request("BUTTON_DATA_INVALID")
        if "url" in actions and normalize_url(str(button["url"])) is None:
            raise bad_request("BUTTON_URL_INVALID")

    def _post(
        self,
        chat: ChatState,
        p: Params,
        kind: str,
        content: Json,
        *,
        file_ids: list[str] | None = None,
        threading: Threading | None = None,
        media_group_id: str | None = None,
        extra: Json | None = None,
        with_markup: bool = True,
    ) -> Sent:
        markup = self._markup(p) if with_markup else None
        threading = threading if threading is not None else self._threading(p, chat)
        extra = dict(extra or {})
        if p.flag("protect_content"):
            extra["has_protected_content"] = True
        return self.world.add_message(
            chat,
            sender=self.world.bot,
            kind=kind,
            content=content,
            threading=threading,
            reply_markup=markup,
            media_group_id=media_group_id,
            file_ids=file_ids,
            extra=extra,
        )

    def _resolve_file(self, p: Params, value: Any, kind: str, field: str, meta: Json | None = None) -> StoredFile:
        """A file given as an upload, an attach:// reference or a file_id (URLs cannot be fetched offline)."""
        meta = meta or {}
        upload = value if isinstance(value, Upload) else None
        if upload is None:
            if value is None:
                raise bad_request(f"there is no {field} in the request")
            value = str(value)
            if value.startswith("attach://"):
                upload = p.uploads.get(value[len("attach://") :])
                if upload is None:
                    raise bad_request("wrong file identifier/HTTP URL specified")
            elif value.startswith(("http://", "https://")):
                raise bad_request("failed to get HTTP URL content")
            else:
                stored = self.world.files.get(value)
                if stored is None:
                    raise bad_request("wrong file identifier/HTTP URL specified")
                if stored.kind != kind:
                    have, want = _FILE_TYPE_NAMES.get(stored.kind, stored.kind), _FILE_TYPE_NAMES.get(kind, kind)
                    raise bad_request(f"can't use file of type {have} as {want}")
                return stored
        if len(upload.data) > MAX_UPLOAD_SIZE:
            raise ApiError(413, "Request Entity Too Large")
        mime = upload.content_type if upload.content_type not in (None, "application/octet-stream") else None
        extra = {k: meta[k] for k in ("performer", "title", "emoji") if meta.get(k) is not None}
        return self.world.files.add(
            kind,
            upload.data,
            file_name=upload.filename if kind != "photo" else None,
            mime_type=mime,
            width=_int_or_none(meta.get("width")) if kind != "photo" else None,
            height=_int_or_none(meta.get("height")) if kind != "photo" else None,
            duration=_int_or_none(meta.get("duration")) or (1 if kind in ("voice", "audio", "video") else None),
            extra=extra,
        )

    @staticmethod
    def _media_content(stored: StoredFile) -> Json:
        if stored.kind == "photo":
            return {"photo": stored.as_photo_sizes()}
        return {stored.kind: stored.as_object()}

    @staticmethod
    def _file_ids(stored: StoredFile) -> list[str]:
        return [f.file_id for f in (stored.photo_set or [stored])]

    def _message(self, chat: ChatState, message_id: int | None, not_found: str) -> Sent:
        if message_id is None:
            raise bad_request("message identifier is not specified")
        sent = chat.live(message_id)
        if sent is None:
            raise bad_request(not_found)
        return sent

    # --- bot identity and updates -----------------------------------------------------------------

    @api("getMe")
    def get_me(self, p: Params) -> Json:
        return {
            **self.world.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.world.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @api("logOut")
    def log_out(self, p: Params) -> bool:
        return True

    @api("close")
    def close(self, p: Params) -> bool:
        return True

    @api("getUpdates")
    async def get_updates(self, p: Params) -> list[Json]:
        queue = self.world.updates
        if self.world.webhook:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = p.integer("offset")
        limit = min(max(p.integer("limit") or 100, 1), 100)
        timeout = min(max(p.integer("timeout") or 0, 0), 50)
        allowed = p.obj("allowed_updates", what="allowed updates")
        if isinstance(allowed, list):
            queue.set_allowed(str(kind) for kind in allowed)
        if offset:
            queue.confirm(offset)
        # A newer getUpdates ends an older one with 409, as Telegram does with two bot instances.
        self._poll_seq += 1
        me = self._poll_seq
        queue.wake()
        deadline = time.monotonic() + timeout
        while True:
            if me != self._poll_seq:
                raise ApiError(409, POLL_CONFLICT)
            batch = queue.peek(limit)
            remaining = deadline - time.monotonic()
            if batch or queue.closing or remaining <= 0:
                break
            await queue.wait(remaining)
        for update in batch:
            update.delivered = True
        return [update.as_update() for update in batch]

    @api("setWebhook")
    def set_webhook(self, p: Params) -> bool:
        url = p.text("url")
        if not url:
            self.world.webhook = None
            return True
        if not url.startswith("https://") and not url.startswith("http://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        allowed = p.obj("allowed_updates", what="allowed updates")
        if isinstance(allowed, list):
            self.world.updates.set_allowed(allowed)
        if p.flag("drop_pending_updates"):
            self.world.updates.clear()
        self.world.webhook = {
            "url": url,
            "max_connections": p.integer("max_connections") or 40,
            "secret_token": p.text("secret_token"),
            "allowed_updates": allowed,
        }
        return True

    @api("deleteWebhook")
    def delete_webhook(self, p: Params) -> bool:
        self.world.webhook = None
        if p.flag("drop_pending_updates"):
            self.world.updates.clear()
        return True

    @api("getWebhookInfo")
    def get_webhook_info(self, p: Params) -> Json:
        hook = self.world.webhook or {}
        info: Json = {
            "url": hook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.world.updates),
        }
        if hook:
            info["max_connections"] = hook["max_connections"]
            if hook.get("allowed_updates") is not None:
                info["allowed_updates"] = hook["allowed_updates"]
        return info

    # --- sending ----------------------------------------------------------------------------------

    @api("sendMessage")
    def send_message(self, p: Params) -> Json:
        chat = self._target(p)
        text, entities = self._text_param(p)
        content: Json = {"text": text}
        if entities:
            content["entities"] = entities
        preview = p.obj("link_preview_options", what="link preview options")
        if isinstance(preview, dict) and preview:
            content["link_preview_options"] = preview
        return copy.deepcopy(self._post(chat, p, "text", content).raw)

    def _send_file(self, p: Params, kind: str) -> Json:
        chat = self._target(p)
        value = p.uploads.get(kind) or p.get(kind)
        stored = self._resolve_file(p, value, kind, kind, p.values)
        content = self._media_content(stored)
        if kind in CAPTIONED_KINDS:
            content.update(self._caption(p.get("caption"), p.get("parse_mode"), p.get("caption_entities")))
            if p.flag("has_spoiler"):
                content["has_media_spoiler"] = True
            if p.flag("show_caption_above_media"):
                content["show_caption_above_media"] = True
        return copy.deepcopy(self._post(chat, p, kind, content, file_ids=self._file_ids(stored)).raw)

    @api("sendPhoto")
    def send_photo(self, p: Params) -> Json:
        return self._send_file(p, "photo")

    @api("sendDocument")
    def send_document(self, p: Params) -> Json:
        return self._send_file(p, "document")

    @api("sendVideo")
    def send_video(self, p: Params) -> Json:
        return self._send_file(p, "video")

    @api("sendVoice")
    def send_voice(self, p: Params) -> Json:
        return self._send_file(p, "voice")

    @api("sendAudio")
    def send_audio(self, p: Params) -> Json:
        return self._send_file(p, "audio")

    @api("sendAnimation")
    def send_animation(self, p: Params) -> Json:
        return self._send_file(p, "animation")

    @api("sendSticker")
    def send_sticker(self, p: Params) -> Json:
        return self._send_file(p, "sticker")

    @api("sendVideoNote")
    def send_video_note(self, p: Params) -> Json:
        return self._send_file(p, "video_note")

    @api("sendMediaGroup")
    def send_media_group(self, p: Params) -> list[Json]:
        chat = self._target(p)
        media = p.obj("media", what="media")
        if not isinstance(media, list):
            raise bad_request("can't parse media JSON object")
        if not 2 <= len(media) <= 10:
            raise bad_request("media group must include 2-10 items")
        kinds: list[str] = []
        for item in media:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind not in ("photo", "video", "document", "audio"):
                raise bad_request("can't parse InputMedia: unsupported media type")
            kinds.append(kind)
        for lonely in ("document", "audio"):
            if lonely in kinds and any(kind != lonely for kind in kinds):
                raise bad_request(f"{lonely} can't be mixed with other media types")
        # Everything is checked before the first message exists, so a bad item sends nothing.
        prepared: list[tuple[str, Json, list[str]]] = []
        for item, kind in zip(media, kinds, strict=True):
            stored = self._resolve_file(p, item.get("media"), kind, "media", item)
            content = self._media_content(stored)
            content.update(self._caption(item.get("caption"), item.get("parse_mode"), item.get("caption_entities")))
            if item.get("has_spoiler"):
                content["has_media_spoiler"] = True
            prepared.append((kind, content, self._file_ids(stored)))
        threading = self._threading(p, chat)
        group_id = self.world.new_media_group_id()
        results = []
        for kind, content, file_ids in prepared:
            sent = self._post(
                chat,
                p,
                kind,
                content,
                file_ids=file_ids,
                threading=threading,
                media_group_id=group_id,
                with_markup=False,
            )
            results.append(copy.deepcopy(sent.raw))
        return results

    @api("sendLocation")
    def send_location(self, p: Params) -> Json:
        chat = self._target(p)
        location = {
            "latitude": p.number("latitude", missing="latitude is empty"),
            "longitude": p.number("longitude", missing="longitude is empty"),
        }
        return copy.deepcopy(self._post(chat, p, "location", {"location": location}).raw)

    @api("sendContact")
    def send_contact(self, p: Params) -> Json:
        chat = self._target(p)
        contact = {
            "phone_number": p.text("phone_number", missing="phone number is empty"),
            "first_name": p.text("first_name", missing="first name is empty"),
        }
        if p.text("last_name"):
            contact["last_name"] = p.text("last_name")
        return copy.deepcopy(self._post(chat, p, "contact", {"contact": contact}).raw)

    @api("sendDice")
    def send_dice(self, p: Params) -> Json:
        chat = self._target(p)
        emoji = p.text("emoji") or "🎲"
        if emoji not in _DICE_MAX:
            raise bad_request("invalid dice emoji specified")
        dice = {"emoji": emoji, "value": self._random.randint(1, _DICE_MAX[emoji])}
        return copy.deepcopy(self._post(chat, p, "dice", {"dice": dice}).raw)

    @api("sendPoll")
    def send_poll(self, p: Params) -> Json:
        chat = self._target(p)
        question = p.text("question", missing="poll question must be non-empty") or ""
        options = p.obj("options", what="options")
        if not isinstance(options, list) or not 2 <= len(options) <= 12:
            raise bad_request("poll must have 2-12 options")
        texts = [str(o.get("text", "")) if isinstance(o, dict) else str(o) for o in options]
        poll = make_poll(
            self.world,
            question,
            texts,
            is_anonymous=p.get("is_anonymous") is None or p.flag("is_anonymous"),
            poll_type=p.text("type") or "regular",
            allows_multiple_answers=p.flag("allows_multiple_answers"),
        )
        return copy.deepcopy(self._post(chat, p, "poll", {"poll": poll}).raw)

    @api("sendChatAction")
    def send_chat_action(self, p: Params) -> bool:
        chat = self._target(p)
        action = p.text("action", missing="action is empty")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.world.resolve_thread(chat, p.integer("message_thread_id"), None)
        return True

    # --- copying and forwarding -----------------------------------------------------------------

    def _copyable(self, sent: Sent | None) -> bool:
        return sent is not None and not sent.is_service

    def _copied_content(self, sent: Sent, *, remove_caption: bool = False) -> Json:
        content = {key: copy.deepcopy(sent.raw[key]) for key in CONTENT_KEYS if key in sent.raw}
        if remove_caption:
            content.pop("caption", None)
            content.pop("caption_entities", None)
        if "poll" in content:
            # A copied poll is a new poll with no votes.
            old = content["poll"]
            content["poll"] = make_poll(
                self.world,
                old["question"],
                [o["text"] for o in old["options"]],
                is_anonymous=old.get("is_anonymous", True),
                poll_type=old.get("type", "regular"),
                allows_multiple_answers=old.get("allows_multiple_answers", False),
            )
        return content

    def _source(self, p: Params, not_found: str) -> tuple[ChatState, Sent]:
        source_chat = self._chat(p, "from_chat_id")
        sent = self._message(source_chat, p.integer("message_id"), not_found)
        return source_chat, sent

    @api("copyMessage")
    def copy_message(self, p: Params) -> Json:
        chat = self._target(p)
        _, source = self._source(p, "message to copy not found")
        if not self._copyable(source):
            raise bad_request("message can't be copied")
        content = self._copied_content(source)
        # A new caption replaces the old one on media; text messages have none, so it is ignored there.
        if source.kind in CAPTIONED_KINDS and (p.get("caption") is not None or p.get("caption_entities") is not None):
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(self._caption(p.get("caption"), p.get("parse_mode"), p.get("caption_entities")))
        sent = self._post(chat, p, source.kind, content, file_ids=source.file_ids)
        return {"message_id": sent.message_id}

    def _many(self, p: Params, *, forward: bool) -> list[Json]:
        chat = self._target(p)
        source_chat = self._chat(p, "from_chat_id")
        ids = p.obj("message_ids", what="message identifiers")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message identifiers are not specified")
        ids = [int(i) for i in ids]
        if ids != sorted(set(ids)):
            raise bad_request("message identifiers must be in strictly increasing order")
        threading = self.world.resolve_thread(chat, p.integer("message_thread_id"), None)
        groups: dict[str, str] = {}
        results = []
        for message_id in ids:
            source = source_chat.live(message_id)
            if source is None or not self._copyable(source):
                continue  # Telegram skips what it cannot copy
            group = None
            if source.media_group_id:
                # Albums stay albums, under a new group id in the destination.
                group = groups.setdefault(source.media_group_id, self.world.new_media_group_id())
            content = self._copied_content(source, remove_caption=not forward and p.flag("remove_caption"))
            extra = {"forward_origin": self._origin(source)} if forward else None
            sent = self._post(
                chat,
                p,
                source.kind,
                content,
                file_ids=source.file_ids,
                threading=threading,
                media_group_id=group,
                extra=extra,
                with_markup=False,
            )
            results.append({"message_id": sent.message_id})
        if not results:
            raise bad_request("there are no messages to forward" if forward else "there are no messages to copy")
        return results

    @api("copyMessages")
    def copy_messages(self, p: Params) -> list[Json]:
        return self._many(p, forward=False)

    @api("forwardMessages")
    def forward_messages(self, p: Params) -> list[Json]:
        return self._many(p, forward=True)

    def _origin(self, source: Sent) -> Json:
        if "forward_origin" in source.raw:
            return copy.deepcopy(source.raw["forward_origin"])
        sender = self.world.users.get(source.sender_id)
        if sender is not None and sender.hides_forwards:
            # Forward privacy: only the name survives, the bot cannot learn who it was.
            name = " ".join(filter(None, (sender.first_name, sender.last_name)))
            return {"type": "hidden_user", "sender_user_name": name, "date": source.date}
        return {"type": "user", "sender_user": copy.deepcopy(source.raw["from"]), "date": source.date}

    @api("forwardMessage")
    def forward_message(self, p: Params) -> Json:
        chat = self._target(p)
        _, source = self._source(p, "message to forward not found")
        if not self._copyable(source):
            raise bad_request("message can't be forwarded")
        sent = self._post(
            chat,
            p,
            source.kind,
            self._copied_content(source),
            file_ids=source.file_ids,
            extra={"forward_origin": self._origin(source)},
            with_markup=False,
        )
        return copy.deepcopy(sent.raw)

    # --- editing and deleting ---------------------------------------------------------------------

    def _editable(self, p: Params) -> tuple[ChatState, Sent]:
        if p.get("inline_message_id") is not None:
            raise bad_request("MESSAGE_ID_INVALID")  # inline messages are not simulated
        if p.get("chat_id") is None or p.get("message_id") is None:
            raise bad_request("message identifier is not specified")
        chat = self._target(p)
        sent = self._message(chat, p.integer("message_id"), "message to edit not found")
        if not sent.from_bot or sent.is_service:
            raise bad_request("message can't be edited")
        return chat, sent

    def _apply_edit(self, sent: Sent, changes: Json, markup: Json | None, *, content_changed: bool) -> Json:
        sent.history.append(copy.deepcopy(sent.raw))
        for key, value in changes.items():
            if value is None:
                sent.raw.pop(key, None)
            else:
                sent.raw[key] = copy.deepcopy(value)
        if markup:
            sent.raw["reply_markup"] = copy.deepcopy(markup)
        else:
            # An edit without reply_markup removes the inline keyboard, exactly as Telegram does.
            sent.raw.pop("reply_markup", None)
        if content_changed:
            sent.raw["edit_date"] = self.world.now()
        sent.reply_markup = copy.deepcopy(markup) if markup else None
        sent.text = sent.raw.get("text")
        sent.caption = sent.raw.get("caption")
        sent.entities = copy.deepcopy(sent.raw.get("entities") or sent.raw.get("caption_entities") or [])
        sent.edited += 1
        return copy.deepcopy(sent.raw)

    @staticmethod
    def _same_markup(a: Json | None, b: Json | None) -> bool:
        return (a or {}).get("inline_keyboard") == (b or {}).get("inline_keyboard")

    @api("editMessageText")
    def edit_message_text(self, p: Params) -> Json:
        _, sent = self._editable(p)
        if sent.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text, entities = self._formatted(p.get("text"), p.get("parse_mode"), p.get("entities"))
        if not text:
            raise bad_request("message text is empty")
        if len(text) > TEXT_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        markup = self._markup(p, inline_only=True)
        same_text = text == sent.text and entities == (sent.raw.get("entities") or [])
        if same_text and self._same_markup(markup, sent.reply_markup):
            raise bad_request(NOT_MODIFIED)
        changes = {"text": text, "entities": entities or None}
        return self._apply_edit(sent, changes, markup, content_changed=True)

    @api("editMessageCaption")
    def edit_message_caption(self, p: Params) -> Json:
        _, sent = self._editable(p)
        if sent.kind not in CAPTIONED_KINDS:
            raise bad_request("there is no caption in the message to edit")
        caption = self._caption(p.get("caption") or "", p.get("parse_mode"), p.get("caption_entities"))
        markup = self._markup(p, inline_only=True)
        same_caption = caption.get("caption") == sent.raw.get("caption") and caption.get(
            "caption_entities"
        ) == sent.raw.get("caption_entities")
        if same_caption and self._same_markup(markup, sent.reply_markup):
            raise bad_request(NOT_MODIFIED)
        changes = {"caption": caption.get("caption"), "caption_entities": caption.get("caption_entities")}
        return self._apply_edit(sent, changes, markup, content_changed=True)

    @api("editMessageReplyMarkup")
    def edit_message_reply_markup(self, p: Params) -> Json:
        _, sent = self._editable(p)
        markup = self._markup(p, inline_only=True)
        if self._same_markup(markup, sent.reply_markup):
            raise bad_request(NOT_MODIFIED)
        return self._apply_edit(sent, {}, markup, content_changed=False)

    def _delete_one(self, chat: ChatState, sent: Sent) -> None:
        if sent.raw.get("forum_topic_created") is not None:
            raise bad_request("message can't be deleted")
        if not sent.from_bot and not chat.is_private and not self.world.bot_member(chat).right("can_delete_messages"):
            raise bad_request("message can't be deleted")
        sent.deleted = True

    @api("deleteMessage")
    def delete_message(self, p: Params) -> bool:
        chat = self._chat(p)
        sent = self._message(chat, p.integer("message_id"), "message to delete not found")
        self._delete_one(chat, sent)
        return True

    @api("deleteMessages")
    def delete_messages(self, p: Params) -> bool:
        chat = self._chat(p)
        ids = p.obj("message_ids", what="message identifiers")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message identifiers are not specified")
        for message_id in ids:
            sent = chat.live(int(message_id))
            if sent is not None:
                with contextlib.suppress(ApiError):  # deleteMessages skips what cannot be deleted
                    self._delete_one(chat, sent)
        return True

    @api("setMessageReaction")
    def set_message_reaction(self, p: Params) -> bool:
        chat = self._chat(p)
        sent = self._message(chat, p.integer("message_id"), "message to react not found")
        reaction = p.obj("reaction", what="reaction") or []
        if not isinstance(reaction, list):
            raise bad_request("can't parse reaction JSON object")
        for item in reaction:
            if not isinstance(item, dict) or item.get("type") not in ("emoji", "custom_emoji", "paid"):
                raise bad_request("can't parse reaction JSON object")
            # Bots may not use paid reactions, nor custom emoji the chat did not allow (none here).
            if item["type"] != "emoji" or item.get("emoji") not in REACTION_EMOJI:
                raise bad_request("REACTION_INVALID")
        if len(reaction) > 1:
            raise bad_request("REACTIONS_TOO_MANY")  # a bot, like a user without Premium, sets one
        sent.reactions = [{"type": "emoji", "emoji": item["emoji"]} for item in reaction]
        sent.reactions_big = p.flag("is_big") and bool(reaction)
        return True

    @api("pinChatMessage")
    def pin_chat_message(self, p: Params) -> bool:
        chat = self._chat(p)
        sent = self._message(chat, p.integer("message_id"), "message to pin not found")
        if not chat.is_private and not self.world.bot_member(chat).right("can_pin_messages"):
            raise bad_request("not enough rights to manage pinned messages in the chat")
        sent.pinned = True
        return True

    @api("unpinChatMessage")
    def unpin_chat_message(self, p: Params) -> bool:
        chat = self._chat(p)
        message_id = p.integer("message_id")
        pinned = [m for m in chat.messages.values() if m.pinned and not m.deleted]
        if message_id is not None:
            pinned = [m for m in pinned if m.message_id == message_id]
        if not pinned:
            raise bad_request("message to unpin not found")
        pinned[-1].pinned = False
        return True

    @api("unpinAllChatMessages")
    def unpin_all_chat_messages(self, p: Params) -> bool:
        for sent in self._chat(p).messages.values():
            sent.pinned = False
        return True

    # --- callbacks and files ----------------------------------------------------------------------

    @api("answerCallbackQuery")
    def answer_callback_query(self, p: Params) -> bool:
        query_id = p.text("callback_query_id")
        record = self.world.callbacks.get(query_id or "")
        if record is None or record.answer is not None:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        record.answer = {
            "text": p.text("text"),
            "show_alert": p.flag("show_alert"),
            "url": p.text("url"),
            "cache_time": p.integer("cache_time") or 0,
        }
        return True

    @api("getFile")
    def get_file(self, p: Params) -> Json:
        stored = self.world.files.get(p.text("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > MAX_DOWNLOAD_SIZE:
            raise bad_request("file is too big")
        self.world.files.assign_path(stored)
        return stored.as_file()

    # --- commands and profile -----------------------------------------------------------------

    def _scope_key(self, p: Params) -> tuple[tuple[str, Any], ...]:
        scope = p.obj("scope", what="scope") or {"type": "default"}
        return normalize_scope(self.world, scope)

    @api("setMyCommands")
    def set_my_commands(self, p: Params) -> bool:
        commands = p.obj("commands", what="commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND.match(str(command.get("command", "")).lstrip("/")):
                raise bad_request("BOT_COMMAND_INVALID")
            description = str(command.get("description", ""))
            if not 1 <= len(description) <= 256:
                raise bad_request("command description must be 1-256 characters")
            cleaned.append({"command": str(command["command"]).lstrip("/"), "description": description})
        key = (self._scope_key(p), p.text("language_code") or "")
        if cleaned:
            self.world.commands[key] = cleaned
        else:
            self.world.commands.pop(key, None)
        return True

    @api("getMyCommands")
    def get_my_commands(self, p: Params) -> list[Json]:
        key = (self._scope_key(p), p.text("language_code") or "")
        return copy.deepcopy(self.world.commands.get(key, []))

    @api("deleteMyCommands")
    def delete_my_commands(self, p: Params) -> bool:
        self.world.commands.pop((self._scope_key(p), p.text("language_code") or ""), None)
        return True

    @api("setMyName")
    def set_my_name(self, p: Params) -> bool:
        self.profile["name"] = p.text("name") or self.world.bot.first_name
        return True

    @api("getMyName")
    def get_my_name(self, p: Params) -> Json:
        return {"name": self.profile["name"]}

    @api("setMyDescription")
    def set_my_description(self, p: Params) -> bool:
        self.profile["description"] = p.text("description") or ""
        return True

    @api("getMyDescription")
    def get_my_description(self, p: Params) -> Json:
        return {"description": self.profile["description"]}

    @api("setMyShortDescription")
    def set_my_short_description(self, p: Params) -> bool:
        self.profile["short_description"] = p.text("short_description") or ""
        return True

    @api("getMyShortDescription")
    def get_my_short_description(self, p: Params) -> Json:
        return {"short_description": self.profile["short_description"]}

    @api("setChatMenuButton")
    def set_chat_menu_button(self, p: Params) -> bool:
        self.profile["menu_button"] = p.obj("menu_button", what="menu button") or {"type": "default"}
        return True

    @api("getChatMenuButton")
    def get_chat_menu_button(self, p: Params) -> Json:
        return copy.deepcopy(self.profile.get("menu_button") or {"type": "commands"})

    # --- chats and members ----------------------------------------------------------------------

    def _readable(self, p: Params) -> ChatState:
        """A private group answers only a bot that is in it, as Telegram does (public ones anybody)."""
        chat = self._chat(p)
        if not chat.is_private and not chat.username:
            status = self.world.bot_member(chat).status
            if status == "kicked":
                raise forbidden("bot was kicked from the supergroup chat")
            if status not in PRESENT_STATUSES:
                raise forbidden("bot is not a member of the supergroup chat")
        return chat

    @api("getChat")
    def get_chat(self, p: Params) -> Json:
        chat = self._readable(p)
        info = chat.as_chat()
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        pinned = [m for m in chat.messages.values() if m.pinned and not m.deleted]
        if pinned:
            info["pinned_message"] = pinned[-1].embedded()
        return info

    @api("getChatMember")
    def get_chat_member(self, p: Params) -> Json:
        chat = self._readable(p)
        user_id = p.integer("user_id", missing="user_id is empty")
        assert user_id is not None
        return self.world.chat_member_object(chat, user_id)

    @api("getChatAdministrators")
    def get_chat_administrators(self, p: Params) -> list[Json]:
        chat = self._chat(p)
        if chat.is_private:
            raise bad_request("there are no administrators in the private chat")
        return [
            self.world.chat_member_object(chat, user_id)
            for user_id, member in chat.members.items()
            if member.status in ("creator", "administrator")
        ]

    @api("getChatMemberCount")
    def get_chat_member_count(self, p: Params) -> int:
        chat = self._chat(p)
        if chat.is_private:
            return 2
        return sum(1 for m in chat.members.values() if m.status in PRESENT_STATUSES)

    @api("leaveChat")
    def leave_chat(self, p: Params) -> bool:
        chat = self._chat(p)
        if chat.is_private:
            raise bad_request("chat member status can't be changed in private chats")
        chat.members[self.world.bot.id] = Member("left")
        return True

    # --- forum topics -----------------------------------------------------------------------------

    def _forum(self, p: Params) -> ChatState:
        chat = self._target(p)
        if chat.is_private or not chat.is_forum:
            raise bad_request("the chat is not a forum")
        return chat

    def _topic(self, chat: ChatState, p: Params) -> Topic:
        thread_id = p.integer("message_thread_id", missing="message thread not found")
        topic = chat.topics.get(thread_id) if thread_id is not None else None
        if topic is None or topic.deleted:
            raise bad_request("TOPIC_ID_INVALID")
        return topic

    def _may_manage(self, chat: ChatState, topic: Topic) -> None:
        if topic.created_by != self.world.bot.id and not self.world.bot_member(chat).right("can_manage_topics"):
            raise bad_request("CHAT_ADMIN_REQUIRED")

    @api("createForumTopic")
    def create_forum_topic(self, p: Params) -> Json:
        chat = self._forum(p)
        if not self.world.bot_member(chat).right("can_manage_topics"):
            raise bad_request("not enough rights to create a topic")
        name = p.text("name", missing="TOPIC_TITLE_EMPTY") or ""
        if len(name) > 128:
            raise bad_request("TOPIC_TITLE_TOO_LONG")
        color = p.integer("icon_color") or TOPIC_COLORS[0]
        if color not in TOPIC_COLORS:
            raise bad_request("invalid icon_color specified")
        topic, _ = create_topic(self.world, chat, self.world.bot, name, color, p.text("icon_custom_emoji_id"))
        return topic.as_forum_topic()

    @api("editForumTopic")
    def edit_forum_topic(self, p: Params) -> bool:
        chat = self._forum(p)
        topic = self._topic(chat, p)
        self._may_manage(chat, topic)
        name, emoji = p.text("name"), p.values.get("icon_custom_emoji_id")
        edited: Json = {}
        if name is not None and name != topic.name:
            if len(name) > 128:
                raise bad_request("TOPIC_TITLE_TOO_LONG")
            topic.name = edited["name"] = name
        if emoji is not None and (emoji or None) != topic.icon_custom_emoji_id:
            topic.icon_custom_emoji_id = emoji or None
            edited["icon_custom_emoji_id"] = emoji
        if not edited:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic_service_message(self.world, chat, topic, self.world.bot, {"forum_topic_edited": edited})
        return True

    def _set_closed(self, p: Params, closed: bool) -> bool:
        chat = self._forum(p)
        topic = self._topic(chat, p)
        self._may_manage(chat, topic)
        if topic.closed == closed:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.closed = closed
        key = "forum_topic_closed" if closed else "forum_topic_reopened"
        topic_service_message(self.world, chat, topic, self.world.bot, {key: {}})
        return True

    @api("closeForumTopic")
    def close_forum_topic(self, p: Params) -> bool:
        return self._set_closed(p, True)

    @api("reopenForumTopic")
    def reopen_forum_topic(self, p: Params) -> bool:
        return self._set_closed(p, False)

    @api("deleteForumTopic")
    def delete_forum_topic(self, p: Params) -> bool:
        chat = self._forum(p)
        topic = self._topic(chat, p)
        if not self.world.bot_member(chat).right("can_delete_messages"):
            raise bad_request("CHAT_ADMIN_REQUIRED")
        delete_topic(chat, topic)
        return True

    @api("unpinAllForumTopicMessages")
    def unpin_all_forum_topic_messages(self, p: Params) -> bool:
        chat = self._forum(p)
        topic = self._topic(chat, p)
        for sent in chat.messages.values():
            if sent.thread_id == topic.thread_id:
                sent.pinned = False
        return True

    @api("getForumTopicIconStickers")
    def get_forum_topic_icon_stickers(self, p: Params) -> list[Json]:
        return []


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def make_poll(
    world: World,
    question: str,
    options: list[str],
    *,
    is_anonymous: bool = True,
    poll_type: str = "regular",
    allows_multiple_answers: bool = False,
) -> Json:
    return {
        "id": str(5_000_000_000_000_000_000 + world.next_seq()),
        "question": question,
        "options": [{"persistent_id": str(i), "text": text, "voter_count": 0} for i, text in enumerate(options)],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": is_anonymous,
        "type": poll_type,
        "allows_multiple_answers": allows_multiple_answers,
        "allows_revoting": True,
        "members_only": False,
    }


def create_topic(
    world: World,
    chat: ChatState,
    creator: Any,
    name: str,
    color: int,
    emoji: str | None,
    extra: Json | None = None,
) -> tuple[Topic, Sent]:
    """Opens a topic: its thread id is the id of the forum_topic_created service message."""
    thread_id = chat.next_message_id
    topic = Topic(thread_id, name, color, emoji or None, created_by=creator.id)
    chat.topics[thread_id] = topic
    created: Json = {"name": name, "icon_color": color}
    if emoji:
        created["icon_custom_emoji_id"] = emoji
    sent = world.add_message(
        chat,
        sender=creator,
        kind="service",
        content={"forum_topic_created": created},
        threading=Threading(thread_id, thread_id, True, None),
        extra=extra,
    )
    return topic, sent


def topic_service_message(
    world: World, chat: ChatState, topic: Topic, sender: Any, content: Json, extra: Json | None = None
) -> Sent:
    return world.add_message(
        chat,
        sender=sender,
        kind="service",
        content=content,
        threading=Threading(topic.thread_id, topic.thread_id, True, chat.messages.get(topic.thread_id)),
        extra=extra,
    )


def delete_topic(chat: ChatState, topic: Topic) -> None:
    topic.deleted = True
    for sent in chat.messages.values():
        if sent.thread_id == topic.thread_id:
            sent.deleted = True


def normalize_scope(world: World, scope: Any) -> tuple[tuple[str, Any], ...]:
    """A BotCommandScope as a hashable key; chat references are resolved to ids."""
    if not isinstance(scope, dict) or scope.get("type") not in (
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    ):
        raise bad_request("can't parse BotCommandScope JSON object")
    key: dict[str, Any] = {"type": scope["type"]}
    if scope["type"] in ("chat", "chat_administrators", "chat_member"):
        chat = world.find_chat(scope.get("chat_id", ""))
        if chat is None:
            raise bad_request("chat not found")
        key["chat_id"] = chat.id
    if scope["type"] == "chat_member":
        key["user_id"] = int(scope.get("user_id", 0))
    return tuple(sorted(key.items()))
