"""`python -m bot run [--webhook]`: the bot against Telegram (or TELEGRAM_API_URL), by long polling or a webhook."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.cli.common import settings_or_exit, versions_or_exit
from bot.config import Settings, SettingsError
from bot.logging_setup import setup_logging
from bot.stopping import StopSignals

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    parser = subparsers.add_parser("run", help="run the bot (long polling; the default)")
    parser.add_argument(
        "--webhook",
        action="store_true",
        help="take updates on a webhook (WEBHOOK_URL, WEBHOOK_SECRET, WEBHOOK_HOST, WEBHOOK_PORT) instead of polling",
    )
    parser.set_defaults(func=run)


async def serve(settings: Settings, signals: StopSignals, *, webhook: bool = False) -> None:
    async with signals.watch() as stop:
        if stop.is_set():
            log.info("Stopped before start-up")
            return
        from bot.app import build_app, tune_garbage_collector  # aiogram is heavy: only commands that run the bot import it

        from bot.services.label.ocr import ocr_status

        # A signal during this (the catalogue load blocks the loop) is acted on once it returns.
        app = await build_app(settings)  # SettingsError for a missing catalogue or a broken calendar
        tune_garbage_collector()
        log.info("Start-up: %s", ocr_status())  # whether a label photo gets its printed text read too
        if webhook:
            from bot.webhook import serve_webhook

            log.info("Bot starting: webhook %s, API %s, database %s", settings.webhook_url, settings.telegram_api_url,
                     settings.database_path)
            await serve_webhook(app, stop=stop)
        else:
            log.info("Bot starting: API %s, database %s", settings.telegram_api_url, settings.database_path)
            await app.run_polling(stop)
    log.info("Bot stopped, database closed")


def run(args: argparse.Namespace) -> int:
    if not versions_or_exit():
        return 2
    webhook = bool(getattr(args, "webhook", False))
    settings = settings_or_exit(Settings.require_for_webhook if webhook else Settings.require_for_run)
    if settings is None:
        return 2
    setup_logging(settings.log_level)
    signals = getattr(args, "stop_signals", None) or StopSignals()
    try:
        asyncio.run(serve(settings, signals, webhook=webhook))
    except SettingsError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # run in-process without the process's handlers (bot/__main__.py installs them)
        pass
    return 0
