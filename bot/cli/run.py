"""`python -m bot run [--webhook]`: the bot against Telegram (or TELEGRAM_API_URL), by long polling or a webhook."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.cli.common import settings_or_exit, versions_or_exit
from bot.config import Settings, SettingsError
from bot.logging_setup import setup_logging

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    parser = subparsers.add_parser("run", help="run the bot (long polling; the default)")
    parser.add_argument(
        "--webhook",
        action="store_true",
        help="take updates on a webhook (WEBHOOK_URL, WEBHOOK_SECRET, WEBHOOK_HOST, WEBHOOK_PORT) instead of polling",
    )
    parser.set_defaults(func=run)


async def serve(settings: Settings, *, webhook: bool = False) -> None:
    from bot.app import build_app, tune_garbage_collector  # aiogram is heavy: only commands that run the bot import it

    from bot.services.label.ocr import ocr_status

    app = await build_app(settings)  # SettingsError for a missing catalogue or a broken calendar
    tune_garbage_collector()
    log.info("Start-up: %s", ocr_status())  # whether a label photo gets its printed text read too
    if webhook:
        from bot.webhook import serve_webhook

        log.info("Bot starting: webhook %s, API %s, database %s", settings.webhook_url, settings.telegram_api_url,
                 settings.database_path)
        await serve_webhook(app)
    else:
        log.info("Bot starting: API %s, database %s", settings.telegram_api_url, settings.database_path)
        await app.run_polling(handle_signals=True)
    log.info("Bot stopped")


def run(args: argparse.Namespace) -> int:
    if not versions_or_exit():
        return 2
    webhook = bool(getattr(args, "webhook", False))
    settings = settings_or_exit(Settings.require_for_webhook if webhook else Settings.require_for_run)
    if settings is None:
        return 2
    setup_logging(settings.log_level)
    try:
        asyncio.run(serve(settings, webhook=webhook))
    except SettingsError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0
