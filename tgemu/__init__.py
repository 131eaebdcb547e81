"""A local Telegram Bot API emulator for tests and the sandbox (aiogram's own HTTP session talks to it); it never imports the bot."""

from .emulator import DEFAULT_TOKEN, Emulator, EmulatorError
from .faults import Fault, FaultInjector, FaultKind
from .media import make_png
from .server import Call
from .world import ApiError, Sent, Topic

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "Call",
    "Emulator",
    "EmulatorError",
    "Fault",
    "FaultInjector",
    "FaultKind",
    "Sent",
    "Topic",
    "make_png",
]
