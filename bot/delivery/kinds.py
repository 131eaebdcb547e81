"""What the outbox can deliver: one small dataclass per kind, and their (de)serialisation to the outbox row.

Plain Python, no aiogram: services build these and queue them; keyboards are rows of (label, callback
data) and menus rows of labels, turned into Telegram's objects only by the sender. The row keeps the
shape it always had (`kind` plus a JSON payload), so rows queued by an older version still deliver."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar

# A keyboard as plain data: rows of (label, callback data); a menu: rows of labels.
Rows = tuple[tuple[tuple[str, str], ...], ...]
MenuRows = tuple[tuple[str, ...], ...]
Source = tuple[int, int]  # (chat id, message id) of the message a delivery copies or answers


def _rows(value: Any) -> Rows | None:
    return tuple(tuple((str(label), str(data)) for label, data in row) for row in value) if value else None


def _menu(value: Any) -> MenuRows | None:
    return tuple(tuple(str(label) for label in row) for row in value) if value else None


def _pair(value: Any) -> Source | None:
    return (int(value[0]), int(value[1])) if value else None


def _legacy_markup(markup: dict[str, Any] | None) -> tuple[Rows | None, MenuRows | None]:
    """Rows written before keyboards were kept as rows hold aiogram's dumped markup."""
    if not markup:
        return None, None
    if "keyboard" in markup:
        return None, _menu([[button["text"] for button in row] for row in markup["keyboard"]])
    return _rows([[(b["text"], b.get("callback_data", "")) for b in row] for row in markup.get("inline_keyboard", [])]), None


@dataclass(frozen=True)
class Delivery:
    """One thing to deliver. `to_topic`: into the case's topic in the engineers' group (made on first need)."""

    kind: ClassVar[str]
    # Payload keys whose values are pairs or rows, so that JSON's lists come back as tuples.
    _decoders: ClassVar[dict[str, Any]] = {}

    def __post_init__(self) -> None:
        # Lists (from a service or from JSON) become tuples: equal deliveries compare equal.
        for name, decode in self._decoders.items():
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, decode(value))

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value is False or value == ():
                continue  # absent keys read back as the defaults, and keep rows as short as before
            if f.name == "to_topic":
                payload["to"] = "topic"
            elif f.name == "origin" and value == "bot":
                continue
            else:
                payload[f.name] = _plain(value)
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Delivery:
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "to_topic":
                values["to_topic"] = payload.get("to") == "topic"
            elif f.name in payload and payload[f.name] is not None:
                values[f.name] = payload[f.name]
        return cls(**values)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, MediaEntry):
        return {"type": value.type, "media": value.media, "caption": value.caption}
    return value


@dataclass(frozen=True)
class SendText(Delivery):
    """A text message: to a partner, an admin, the case topic, or (`thread_id`) a topic that is no case's."""

    kind: ClassVar[str] = "send_message"
    text: str
    to_topic: bool = False
    thread_id: int | None = None
    buttons: Rows | None = None
    menu: MenuRows | None = None
    source: Source | None = None           # the relayed message this text is a copy of
    reply_to_source: Source | None = None  # answer the copy of this message in the target chat
    origin: str = "bot"                    # who wrote it: bot, partner, engineer (for the message links)
    link_kind: str | None = None
    broadcast: str | None = None           # the announcement it belongs to

    _decoders: ClassVar[dict[str, Any]] = {"buttons": _rows, "menu": _menu, "source": _pair,
                                           "reply_to_source": _pair}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Delivery:
        delivery = super().from_payload(payload)
        if "reply_markup" in payload and not (delivery.buttons or delivery.menu):
            buttons, menu = _legacy_markup(payload["reply_markup"])
            delivery = replace(delivery, buttons=buttons, menu=menu)
        return delivery


@dataclass(frozen=True)
class CopyMessage(Delivery):
    """A copy of a partner's or engineer's message; `caption` None keeps the original one."""

    kind: ClassVar[str] = "copy_message"
    from_chat_id: int
    message_id: int
    caption: str | None = None
    to_topic: bool = False
    buttons: Rows | None = None
    source: Source | None = None
    reply_to_source: Source | None = None
    origin: str = "bot"
    link_kind: str | None = None

    _decoders: ClassVar[dict[str, Any]] = {"buttons": _rows, "source": _pair, "reply_to_source": _pair}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Delivery:
        delivery = super().from_payload(payload)
        if "reply_markup" in payload and not delivery.buttons:
            delivery = replace(delivery, buttons=_legacy_markup(payload["reply_markup"])[0])
        return delivery


@dataclass(frozen=True)
class MediaEntry:
    type: str  # photo, video, document, audio
    media: str  # a file id
    caption: str | None = None


@dataclass(frozen=True)
class MediaGroup(Delivery):
    """The files a case was filed with, as one album."""

    kind: ClassVar[str] = "media_group"
    media: tuple[MediaEntry, ...]
    to_topic: bool = False
    sources: tuple[Source, ...] = ()
    reply_to_source: Source | None = None
    origin: str = "bot"
    link_kind: str | None = None

    _decoders: ClassVar[dict[str, Any]] = {
        "media": lambda v: tuple(e if isinstance(e, MediaEntry) else MediaEntry(e["type"], e["media"], e.get("caption"))
                                 for e in v),
        "sources": lambda v: tuple(_pair(s) for s in v),
        "reply_to_source": _pair,
    }


@dataclass(frozen=True)
class SendFile(Delivery):
    """One file a case was filed with (a video note carries no caption)."""

    kind: ClassVar[str] = "send_file"
    type: str  # photo, video, document, voice, audio, animation, video_note
    file_id: str
    caption: str | None = None
    to_topic: bool = False
    origin: str = "bot"
    link_kind: str | None = None


@dataclass(frozen=True)
class AlbumItem(Delivery):
    """One message of a relayed album; the items of one album go out together as one album."""

    kind: ClassVar[str] = "album_item"
    media_group_id: str
    from_chat_id: int
    message_id: int
    to_topic: bool = False
    source: Source | None = None
    reply_to_source: Source | None = None
    origin: str = "bot"

    _decoders: ClassVar[dict[str, Any]] = {"source": _pair, "reply_to_source": _pair}


@dataclass(frozen=True)
class EditText(Delivery):
    """A relayed text was edited: its copy is edited too."""

    kind: ClassVar[str] = "edit_text"
    source: Source
    text: str
    to_topic: bool = False

    _decoders: ClassVar[dict[str, Any]] = {"source": _pair}


@dataclass(frozen=True)
class EditCaption(EditText):
    """A relayed file's caption was edited: its copy's caption is edited too."""

    kind: ClassVar[str] = "edit_caption"


@dataclass(frozen=True)
class CaseCard(Delivery):
    """The case's card, first in its topic (which is made for it)."""

    kind: ClassVar[str] = "case_card"
    to_topic: bool = True


@dataclass(frozen=True)
class EditCard(Delivery):
    """The card shows the case as it is now (rendered when sent, so several queued edits show the same)."""

    kind: ClassVar[str] = "edit_card"
    to_topic: bool = True


TOPIC_ACTIONS = ("rename", "close", "reopen")


@dataclass(frozen=True)
class TopicAction(Delivery):
    """Rename (the title shows the status), close or reopen the case's topic."""

    kind: ClassVar[str] = "topic"
    action: str
    to_topic: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.action not in TOPIC_ACTIONS:
            raise ValueError(f"no topic action {self.action!r}")


@dataclass(frozen=True)
class SetReaction(Delivery):
    """The mark on an engineer's message in the group once the partner has it (one call, no message)."""

    kind: ClassVar[str] = "reaction"
    message_id: int
    emoji: str


@dataclass(frozen=True)
class HelpDeskFile(Delivery):
    """A file of a HelpDesk reply that came by e-mail (bot/delivery/mail_in.py): its bytes wait in the
    database (`mail_files`) until this uploads them."""

    kind: ClassVar[str] = "mail_file"
    file: int  # the mail_files row
    caption: str | None = None
    to_topic: bool = False


KINDS: dict[str, type[Delivery]] = {
    cls.kind: cls
    for cls in (SendText, CopyMessage, MediaGroup, SendFile, AlbumItem, EditText, EditCaption, CaseCard, EditCard,
                TopicAction, HelpDeskFile, SetReaction)
}


def decode(kind: str, payload: dict[str, Any]) -> Delivery:
    """The delivery an outbox row holds; ValueError for a kind this version does not know."""
    cls = KINDS.get(kind)
    if cls is None:
        raise ValueError(f"unknown outbox item kind {kind!r}")
    return cls.from_payload(payload)
