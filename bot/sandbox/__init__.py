"""The sandbox: the Bot API emulator and the real bot joined (harness, demo, web page); the only part of bot/ that imports the emulator."""

from bot.sandbox.harness import (
    ADMIN,
    BOT_USERNAME,
    ENGINEERS,
    GROUP_ID,
    GROUP_TITLE,
    PARTNERS,
    PROJECT_ROOT,
    SANDBOX_TOKEN,
    Person,
    Sandbox,
    settle,
)

__all__ = [
    "ADMIN",
    "BOT_USERNAME",
    "ENGINEERS",
    "GROUP_ID",
    "GROUP_TITLE",
    "PARTNERS",
    "PROJECT_ROOT",
    "SANDBOX_TOKEN",
    "Person",
    "Sandbox",
    "settle",
]
