"""Helpers shared by subcommands: logging set-up and turning a settings error into one line."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TypeVar

from bot.config import Settings, SettingsError, load_settings

T = TypeVar("T")


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # aiogram logs every handled update at INFO; one line per event is enough from our side.
    logging.getLogger("aiogram.event").setLevel(max(logging.getLevelName(level), logging.WARNING))


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
