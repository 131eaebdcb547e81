"""Domain vocabulary shared by storage, services and handlers: request types, brands, statuses.

Their Russian labels live in bot.texts (`texts.status_label`, `texts.request_type_label`)."""

from __future__ import annotations

from enum import StrEnum


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
