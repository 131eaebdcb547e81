"""Helpers shared by subcommands: logging set-up and turning a settings error into one line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

from bot.compat import UntestedVersion, check_versions, install_lazy_validators
from bot.config import Settings, SettingsError, load_settings
from bot.logging_setup import setup_logging  # noqa: F401  (subcommands import it from here)

T = TypeVar("T")


def settings_or_exit(check: Callable[[Settings], None] | None = None, **overrides) -> Settings | None:
    """Load settings; on a bad one print a single line naming it and return None."""
    try:
        settings = load_settings(**overrides)
        if check is not None:
            check(settings)
    except SettingsError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return None
    return settings


def versions_or_exit() -> bool:
    """Check the installed aiogram, aiosqlite and pydantic against the tested ranges; on a miss print one line.
    On tested versions, aiogram's validators are then set to be built on first use (bot/compat.py): every
    command that runs the bot calls this before it imports aiogram."""
    try:
        check_versions()
    except UntestedVersion as exc:
        print(f"Start-up refused: {exc}", file=sys.stderr)
        return False
    install_lazy_validators()
    return True
