"""The intake dialog's draft as a typed record that round-trips through the FSM's JSON, old drafts included."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from bot.domain import Attachment, RequestType

# 1: the untyped dict the dialog stored before drafts had a version (no "version" key at all).
# 2: this record; `label` holds a label reading waiting for the partner's "yes".
VERSION = 2


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
    label: dict[str, Any] | None = None  # a reading shown for confirmation, with the photo it came from
    editing: bool = False
    paused_at: str | None = None
    version: int = VERSION

    @property
    def kind(self) -> RequestType | None:
        return RequestType(self.request_type) if self.request_type else None

    @property
    def started(self) -> bool:
        return self.request_type is not None

    def changed(self, **changes: Any) -> IntakeDraft:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["attachments"] = [a.as_dict() for a in self.attachments]
        data["model_folders"] = list(self.model_folders)
        data["candidates"] = [dict(c) for c in self.candidates]
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
        values["model_matched"] = bool(values.get("model_matched"))
        values["editing"] = bool(values.get("editing"))
        values["version"] = VERSION
        return cls(**values)


def _from_version_1(data: dict[str, Any]) -> dict[str, Any]:
    """The dict drafts of before: same names, None where a key was missing, contact a dict or absent."""
    migrated = dict(data)
    if not isinstance(migrated.get("contact"), dict) or not migrated.get("contact"):
        migrated["contact"] = None
    migrated.pop("label", None)  # version 1 never had one; whatever is there is not ours
    migrated["version"] = 2
    return migrated
