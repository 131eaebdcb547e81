"""Domain vocabulary shared by storage, services and handlers: request types, brands, statuses, records.

Their Russian labels live in bot.texts (`texts.status_label`, `texts.request_type_label`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class RequestType(StrEnum):
    """The regulation's sections, as the partner chooses them."""

    GENERAL = "general"          # how a declared function works, what a parameter does
    DOCS = "docs"                # firmware, software, documentation
    CONFIG = "config"            # a configuration problem
    MALFUNCTION = "malfunction"  # a declared function works wrongly or not at all
    WISH = "wish"                # an improvement the partner would like

    @property
    def asks_web_access(self) -> bool:
        # Engineers may need to look at the device itself only for these two.
        return self in (RequestType.CONFIG, RequestType.MALFUNCTION)


class Brand(StrEnum):
    DAHUA = "Dahua"
    ATIX = "ATIX"


class Status(StrEnum):
    NEW = "new"
    CLAIMED = "claimed"
    WAITING = "waiting"        # waiting for the partner's answer
    VENDOR = "vendor"          # passed to the manufacturer
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        return self not in (Status.RESOLVED, Status.CLOSED)


MAX_ATTACHMENTS = 10
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # the largest file getFile lets a bot download


# --- records: what storage reads and writes, and handlers, dialogs and services pass around ---

@dataclass(frozen=True)
class Attachment:
    kind: str                  # photo, video, document, voice, audio, animation
    file_id: str
    file_unique_id: str
    file_name: str | None = None
    caption: str | None = None
    media_group_id: str | None = None
    # The partner's message: its id is the order the partner put the files in (album items
    # arrive in any order). Not stored with the case: `position` keeps that order there.
    message_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.file_name,
            "caption": self.caption,
            "media_group_id": self.media_group_id,
            "message_id": self.message_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attachment:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})  # type: ignore[arg-type]


@dataclass(frozen=True)
class NewCase:
    """What the intake dialog collected; becomes a Case when written."""

    submit_key: str
    partner_id: int
    request_type: RequestType
    brand: str
    model: str
    model_matched: bool
    model_folders: tuple[str, ...]
    serial: str | None
    description: str
    web_access: bool | None
    contact_name: str
    contact_company: str | None
    contact_phone: str
    level: int
    after_hours: bool
    created_at: datetime
    due_at: datetime | None
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Case:
    id: int
    partner_id: int
    request_type: RequestType
    brand: str
    model: str
    model_matched: bool
    model_folders: tuple[str, ...]
    serial: str | None
    description: str
    web_access: bool | None
    contact_name: str
    contact_company: str | None
    contact_phone: str
    status: Status
    level: int
    after_hours: bool
    created_at: datetime
    due_at: datetime | None
    claimed_by: int | None
    claimed_by_name: str | None
    claimed_at: datetime | None
    thread_id: int | None
    card_message_id: int | None
    delivered_at: datetime | None
    waiting_since: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    rating: int | None = None
    rating_comment: str | None = None

    @property
    def number(self) -> str:
        return f"№{self.id}"


@dataclass(frozen=True)
class Partner:
    user_id: int
    first_name: str
    username: str | None
    name: str | None
    company: str | None
    phone: str | None
    banned: bool
    ban_reason: str | None
    ban_notified: bool
    blocked_bot: bool
    created_at: datetime
    last_seen_at: datetime

    @property
    def has_contact(self) -> bool:
        return bool(self.name and self.phone)


@dataclass(frozen=True)
class Engineer:
    user_id: int
    first_name: str
    username: str | None
    last_seen_at: datetime
