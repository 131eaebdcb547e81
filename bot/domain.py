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


class Action(StrEnum):
    """What may be done to a case; `TRANSITIONS` says from which status, and to which."""

    CLAIM = "claim"
    UNCLAIM = "unclaim"
    ASSIGN = "assign"
    REQUEST_INFO = "request_info"
    PARTNER_ANSWERED = "partner_answered"
    TO_VENDOR = "to_vendor"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"
    FEEDBACK = "feedback"        # the partner says whether the resolution solved it
    RATE = "rate"
    SET_LEVEL = "level"
    CANNED = "canned"            # a ready answer about what the desk does not cover


@dataclass(frozen=True)
class Transition:
    action: Action
    source: Status
    target: Status
    on_card: bool = False        # a button on the case card offers it


_OPEN = (Status.NEW, Status.CLAIMED, Status.WAITING, Status.VENDOR)
_WORKED = (Status.CLAIMED, Status.WAITING, Status.VENDOR)

# Which action is allowed from which status, and the status it leads to. Reopening leads to
# CLAIMED when somebody owns the case and to NEW when nobody does (`next_status`).
TRANSITIONS: tuple[Transition, ...] = (
    Transition(Action.CLAIM, Status.NEW, Status.CLAIMED, on_card=True),
    Transition(Action.UNCLAIM, Status.CLAIMED, Status.NEW, on_card=True),
    *(Transition(Action.CLOSE, s, Status.CLOSED, on_card=s in _WORKED) for s in (*_OPEN, Status.RESOLVED)),
    *(Transition(Action.REOPEN, s, Status.CLAIMED, on_card=True) for s in (Status.RESOLVED, Status.CLOSED)),
    Transition(Action.ASSIGN, Status.NEW, Status.CLAIMED),
    *(Transition(Action.ASSIGN, s, s) for s in _WORKED),
    Transition(Action.REQUEST_INFO, Status.CLAIMED, Status.WAITING),
    Transition(Action.REQUEST_INFO, Status.VENDOR, Status.WAITING),
    Transition(Action.REQUEST_INFO, Status.WAITING, Status.WAITING),  # another question, the pause goes on
    Transition(Action.PARTNER_ANSWERED, Status.WAITING, Status.CLAIMED),
    Transition(Action.TO_VENDOR, Status.CLAIMED, Status.VENDOR),
    Transition(Action.TO_VENDOR, Status.WAITING, Status.VENDOR),
    *(Transition(Action.RESOLVE, s, Status.RESOLVED) for s in _WORKED),
    Transition(Action.FEEDBACK, Status.RESOLVED, Status.RESOLVED),
    Transition(Action.RATE, Status.RESOLVED, Status.RESOLVED),
    Transition(Action.RATE, Status.CLOSED, Status.CLOSED),
    *(Transition(Action.SET_LEVEL, s, s, on_card=True) for s in _OPEN),
    # Like typing in the topic: a ready answer goes to the partner only once somebody has claimed the case.
    *(Transition(Action.CANNED, s, s, on_card=True) for s in _WORKED),
)

_TABLE: dict[tuple[Action, Status], Transition] = {(t.action, t.source): t for t in TRANSITIONS}


def allowed(action: Action, status: Status) -> bool:
    return (action, status) in _TABLE


def allowed_from(action: Action) -> tuple[Status, ...]:
    return tuple(t.source for t in TRANSITIONS if t.action == action)


def next_status(action: Action, status: Status, *, owned: bool = True) -> Status:
    """Where the action leads from the status; KeyError when it is not allowed there."""
    target = _TABLE[(action, status)].target
    if action == Action.REOPEN and not owned:
        return Status.NEW
    return target


def card_actions(status: Status) -> tuple[Action, ...]:
    """The card's buttons for a case in this status, in the table's order."""
    return tuple(t.action for t in TRANSITIONS if t.source == status and t.on_card)


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
