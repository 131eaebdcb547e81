"""`python -m bot run`: the bot against Telegram (or TELEGRAM_API_URL) by long polling."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.cli.common import settings_or_exit, setup_logging
from bot.config import Settings, SettingsError

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    parser = subparsers.add_parser("run", help="run the bot (long polling; the default)")
    parser.set_defaults(func=run)


async def serve(settings: Settings) -> None:
    from bot.app import build_app  # aiogram is heavy to import: only commands that run the bot pay for it

    app = await build_app(settings)  # SettingsError for a missing catalogue or a broken calendar
    log.info("Bot starting: API %s, database %s", settings.telegram_api_url, settings.database_path)
    await app.run_polling(handle_signals=True)
    log.info("Bot stopped")


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit(Settings.require_for_run)
    if settings is None:
        return 2
    setup_logging(settings.log_level)
    try:
        asyncio.run(serve(settings))
    except SettingsError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0
