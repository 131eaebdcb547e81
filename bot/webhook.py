"""Webhook mode: an aiohttp server that takes Telegram's updates, checking the secret-token header."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
from aiohttp import web
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application

from bot.app import App
from bot.polling import InboxUpdates
from bot.stopping import unless_stopped
from bot.config import SettingsError

log = logging.getLogger(__name__)

# How long a stop waits for requests still open (an update being stored) before cancelling them;
# one cut short was not answered 200, so Telegram sends it again.
SHUTDOWN_GRACE = 5.0


class UpdateHandler(SimpleRequestHandler):
    """aiogram's handler (401 on a wrong or missing secret, before the body is read), except that
    an update is answered 200 as soon as it is stored in the inbox, then handled in its chat's lane
    as with polling; and its shutdown hook leaves the bot's session open: updates still in flight
    and the outbox need it until App.close(), which closes it last.

    Answering only once handled would let one partner's flood hold every connection Telegram opens
    to the webhook (40 by default) while they wait their turn, and nobody else's update would
    arrive; stored first, an update lost in a crash is still handled after the restart."""

    def __init__(self, *, intake: InboxUpdates, **kwargs) -> None:
        super().__init__(**kwargs)
        self.intake = intake

    async def _handle_request(self, bot, request: web.Request) -> web.Response:
        try:
            update = await request.json(loads=bot.session.json_loads)
        except ValueError:
            return web.Response(status=400, text="not JSON")
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        if self.intake.lanes.waiting >= self.intake.lanes.max_waiting:
            # Back-pressure as polling has it: not stored, so Telegram keeps it and posts it again.
            return web.Response(status=503, text="busy")
        await self.intake.take([update])
        return web.json_response({})

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
    intake = app.take_webhook_updates()
    handler = UpdateHandler(
        intake=intake,
        dispatcher=app.dp,
        bot=app.bot,
        secret_token=settings.webhook_secret.get_secret_value(),
        handle_in_background=False,  # ours answers once stored, see UpdateHandler
    )
    handler.register(web_app, path=webhook_path(settings.webhook_url))
    setup_application(web_app, app.dp, bot=app.bot)

    async def resume(_: web.Application) -> None:
        await intake.resume()  # after the dispatcher's start-up, which setup_application added first

    async def finish(_: web.Application) -> None:
        await intake.finish()

    async def close_app(_: web.Application) -> None:
        await app.close()

    web_app.on_startup.append(resume)
    # The server has stopped taking requests by now; updates in hand end before the App closes.
    web_app.on_shutdown.insert(0, finish)
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
        handle_signals=False,  # the process's signals are bot/stopping.py's
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


async def serve_webhook(app: App, *, stop: asyncio.Event) -> None:
    """Serves until `stop` is set (the CLI sets it on SIGINT or SIGTERM, see bot/stopping.py); the
    App is closed afterwards. The webhook stays registered with Telegram, which keeps updates for
    the next start."""
    try:
        done, runner = await unless_stopped(stop, start_webhook(app))
        if not done or runner is None:
            return  # a cancelled start_webhook has cleaned up after itself
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
        await app.close()
