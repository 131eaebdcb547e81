"""The intake dialog's draft as a typed record that round-trips through the FSM's JSON, old drafts included."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from bot.domain import Attachment, RequestType

# 1: the untyped dict the dialog stored before drafts had a version (no "version" key at all).
# 2: this record; `answered` names the steps done, `label` holds a label reading waiting for the partner's "yes".
VERSION = 2

# Version 1's steps, in its order; a key was present once its step was answered.
_V1_VALUE_STEPS = ("request_type", "brand", "model", "serial", "description", "web_access")
_V1_AFTER_ATTACHMENTS = ("web_access", "contact", "summary")


@dataclass(frozen=True)
class IntakeDraft:
    submit_key: str = ""
    request_type: str | None = None
    brand: str | None = None
    model: str | None = None
    model_matched: bool = False
    model_folders: tuple[str, ...] = ()
    model_typed: str | None = None
    candidates: tuple[dict[str, Any], ...] = ()  # offered models: {"model": …, "folders": […]}
    serial: str | None = None
    description: str | None = None
    attachments: tuple[Attachment, ...] = ()
    web_access: bool | None = None
    contact: dict[str, Any] | None = None  # name, company, phone
    # A label reading shown for confirmation: serial, model, model_matched, model_folders (any may be empty).
    label: dict[str, Any] | None = None
    # Bulletins offered after the description of a general or documentation question: id, title, excerpt.
    bulletins: tuple[dict[str, Any], ...] = ()
    answered: tuple[str, ...] = ()  # the steps done, in the order they were answered
    buttons: tuple[int, ...] = ()  # messages whose buttons still ask something; they go once it is answered
    version: int = VERSION

    @property
    def kind(self) -> RequestType | None:
        return RequestType(self.request_type) if self.request_type else None

    @property
    def started(self) -> bool:
        return self.request_type is not None

    def changed(self, **changes: Any) -> IntakeDraft:
        return replace(self, **changes)

    def is_answered(self, step: str) -> bool:
        return step in self.answered

    def answer(self, step: str, **changes: Any) -> IntakeDraft:
        """The step is done with these values."""
        answered = self.answered if step in self.answered else (*self.answered, step)
        return replace(self, answered=answered, **changes)

    def reopen(self, *steps: str, **changes: Any) -> IntakeDraft:
        """The steps are to be asked again (editing from the summary); their values stay until answered."""
        return replace(self, answered=tuple(s for s in self.answered if s not in steps), **changes)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["attachments"] = [a.as_dict() for a in self.attachments]
        data["model_folders"] = list(self.model_folders)
        data["candidates"] = [dict(c) for c in self.candidates]
        data["bulletins"] = [dict(b) for b in self.bulletins]
        data["answered"] = list(self.answered)
        data["buttons"] = list(self.buttons)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> IntakeDraft:
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> IntakeDraft:
        """Any stored draft, whatever version wrote it: an old one is migrated, unknown keys are dropped."""
        data = dict(data or {})
        if data.get("version", 1) < 2:
            data = _from_version_1(data)
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["attachments"] = tuple(Attachment.from_dict(a) for a in values.get("attachments") or ())
        values["model_folders"] = tuple(values.get("model_folders") or ())
        values["candidates"] = tuple(dict(c) for c in values.get("candidates") or ())
        values["bulletins"] = tuple(dict(b) for b in values.get("bulletins") or () if isinstance(b, dict))
        values["model_matched"] = bool(values.get("model_matched"))
        values["answered"] = tuple(values.get("answered") or ())
        values["buttons"] = tuple(values.get("buttons") or ())
        values["version"] = VERSION
        return cls(**values)


def _from_version_1(data: dict[str, Any]) -> dict[str, Any]:
    """The dict drafts of before: same names, None where a key was missing, contact a dict or absent.
    Which steps were done is read off the keys, as version 1's own flow did."""
    migrated = dict(data)
    contact = migrated.get("contact")
    if not isinstance(contact, dict) or not contact:
        migrated["contact"] = contact = None
    migrated.pop("label", None)  # version 1 never had one; whatever is there is not ours
    answered = [step for step in _V1_VALUE_STEPS if step in data]
    complete_contact = bool(contact and contact.get("name") and contact.get("phone"))
    if "description" in data and (complete_contact or "web_access" in data
                                  or data.get("paused_at") in _V1_AFTER_ATTACHMENTS):
        answered.insert(answered.index("description") + 1, "attachments")
    if complete_contact:
        # Offered from the profile or typed: either way the summary shows it and the partner can edit it.
        answered.append("contact")
    migrated["answered"] = answered
    migrated["version"] = 2
    return migrated
