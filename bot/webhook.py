"""Webhook mode: an aiohttp server that takes Telegram's updates, checking the secret-token header."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from urllib.parse import urlsplit

from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
from aiohttp import web
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application

from bot.app import App
from bot.config import SettingsError

log = logging.getLogger(__name__)

# How long a stop waits for requests (updates) still being handled before cancelling them.
SHUTDOWN_GRACE = 10.0


class UpdateHandler(SimpleRequestHandler):
    """aiogram's handler (401 on a wrong or missing secret, before the body is read), except that its
    shutdown hook leaves the bot's session open: updates still in flight and the outbox need it until
    App.close(), which closes it last."""

    async def close(self) -> None:
        return None


def webhook_path(url: str) -> str:
    """The local path equals the public URL's path, so a reverse proxy can pass requests through as they are."""
    return urlsplit(url).path or "/"


def build_webhook_app(app: App) -> web.Application:
    """An aiohttp application serving the bot's webhook; its start-up starts the dispatcher (and the
    outbox), its clean-up closes the App, after the server has waited for requests in flight. It does
    not call setWebhook: `start_webhook` does, once listening."""
    settings = app.settings
    settings.require_for_webhook()  # never serve without a secret: anyone could post forged updates
    assert settings.webhook_secret is not None
    web_app = web.Application()
    handler = UpdateHandler(
        dispatcher=app.dp,
        bot=app.bot,
        secret_token=settings.webhook_secret.get_secret_value(),
        # Telegram gets its 200 only once the update is handled: a process killed mid-update gets
        # it again, as with durable polling. (aiogram still answers after 55 s and goes on in the
        # background, before Telegram's own 60 s timeout would make it resend.)
        handle_in_background=False,
    )
    handler.register(web_app, path=webhook_path(settings.webhook_url))
    setup_application(web_app, app.dp, bot=app.bot)

    async def close_app(_: web.Application) -> None:
        await app.close()

    web_app.on_cleanup.append(close_app)
    return web_app


async def set_webhook(app: App) -> None:
    settings = app.settings
    assert settings.webhook_secret is not None
    try:
        await app.bot.set_webhook(
            url=settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=app.dp.resolve_used_update_types(),
            # Updates that arrived while the bot was down (or polling) are still wanted.
            drop_pending_updates=False,
        )
    except TelegramUnauthorizedError as exc:
        raise SettingsError(f"BOT_TOKEN: Telegram refused the token ({exc.message})") from None
    except TelegramAPIError as exc:  # an address Telegram will not post to: port, scheme, certificate
        raise SettingsError(f"WEBHOOK_URL: Telegram refused it ({exc.message})") from None
    log.info("Webhook set: %s", settings.webhook_url)


async def start_webhook(app: App, *, host: str | None = None, port: int | None = None) -> web.AppRunner:
    """Starts the dispatcher and the server, then tells Telegram where to post. The caller stops it with
    `await runner.cleanup()`, which also closes the App. `port=0` picks a free port (see `bound_port`)."""
    runner = web.AppRunner(
        build_webhook_app(app),
        handle_signals=False,  # serve_webhook owns the signals
        access_log=None,  # the bot logs events, not HTTP requests: one line per event
        shutdown_timeout=SHUTDOWN_GRACE,
    )
    try:
        await runner.setup()
        host = app.settings.webhook_host if host is None else host
        port = app.settings.webhook_port if port is None else port
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:  # most often the port is taken or the host is not this machine's address
            raise SettingsError(f"WEBHOOK_PORT: cannot listen on {host}:{port} ({exc.strerror or exc})") from None
        # Only now: Telegram posts as soon as the webhook is set, and should find us listening.
        await set_webhook(app)
    except BaseException:
        await runner.cleanup()
        await app.close()  # when setup failed the clean-up hooks never ran
        raise
    return runner


def bound_port(runner: web.AppRunner) -> int:
    return int(runner.addresses[0][1])


async def serve_webhook(app: App, *, stop: asyncio.Event | None = None) -> None:
    """Serves until SIGINT or SIGTERM (or until `stop` is set); the App is closed afterwards.
    The webhook stays registered with Telegram, which keeps updates for the next start."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
            loop.add_signal_handler(signum, stop.set)
            installed.append(signum)
    try:
        runner = await start_webhook(app)
        log.info(
            "Webhook server listening on %s:%s%s",
            app.settings.webhook_host, bound_port(runner), webhook_path(app.settings.webhook_url),
        )
        try:
            await stop.wait()
            log.info("Stopping the webhook server")
        finally:
            await runner.cleanup()
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
        await app.close()
