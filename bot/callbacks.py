"""Typed callback data: ids and short codes only (Telegram allows 64 bytes)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class IntakeCb(CallbackData, prefix="in"):
    """Buttons of the intake dialog: `action` says which step, `value` a short code or an index."""

    action: str
    value: str = ""


class CaseCb(CallbackData, prefix="cs"):
    """Buttons on a case card in the engineers' group."""

    action: str
    case_id: int
    value: int = 0


class PickCaseCb(CallbackData, prefix="pk"):
    """A partner with several open cases picks the one a message belongs to."""

    case_id: int


class FeedbackCb(CallbackData, prefix="fb"):
    """The partner's answer to "Is the problem solved?" and the rating that follows."""

    action: str
    case_id: int
    value: int = 0


class InfoCb(CallbackData, prefix="if"):
    """"Done" at the end of an answer to an engineer's information request."""

    case_id: int


class FirmwareCb(CallbackData, prefix="fw"):
    """A model offered by the firmware lookup: its position in the catalogue and the catalogue's version."""

    entry: int
    version: int
