"""Webhook mode: the secret header is checked, updates reach the real dispatcher, stop closes the app."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot import texts
from bot.app import App, build_app
from bot.clock import Clock
from bot.config import Settings, SettingsError, load_settings
from bot.sandbox import ADMIN, BOT_USERNAME, GROUP_ID, GROUP_TITLE, PARTNERS, SANDBOX_TOKEN
from bot.webhook import bound_port, serve_webhook, start_webhook, webhook_path
from tests.test_foundation import GOOD_TOKEN, run_cli
from tgemu import Emulator

ROOT = Path(__file__).resolve().parent.parent
WEBHOOK_URL = "https://bot.example.invalid/telegram/updates"
SECRET = "s3cret_Token-for-tests"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PARTNER = PARTNERS[0]


async def start_emulator(clock: Clock) -> Emulator:
    emu = Emulator(token=SANDBOX_TOKEN, bot_username=BOT_USERNAME, clock=clock)
    await emu.start()
    for person in (*PARTNERS, ADMIN):
        emu.add_user(person.user_id, person.first_name, person.last_name, person.username)
    emu.add_group(GROUP_ID, GROUP_TITLE, is_forum=True)
    return emu


def webhook_settings(emu: Emulator, workdir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "_env_file": None,
        "bot_token": SANDBOX_TOKEN,
        "telegram_api_url": emu.base_url,
        "engineers_chat_id": GROUP_ID,
        "admin_ids": (ADMIN.user_id,),
        "database_path": workdir / "bot.sqlite3",
        "firmware_catalogue_dir": ROOT / "data" / "firmware",
        "calendar_dir": ROOT / "data" / "calendar",
        "log_level": "WARNING",
        "outbox_chat_interval": 0,
        "webhook_url": WEBHOOK_URL,
        "webhook_secret": SECRET,
        "webhook_host": "127.0.0.1",
    }
    values.update(overrides)
    return load_settings(**values)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def partner_update(emu: Emulator, user_id: int, text: str) -> dict:
    """The partner writes in the emulator; the update Telegram would post to the webhook."""
    sent = await emu.send_text(user_id, text)
    for pending in emu.world.updates.peek(10_000):
        message = pending.payload
        if pending.kind == "message" and message["chat"]["id"] == user_id and message["message_id"] == sent["message_id"]:
            return pending.as_update()
    raise AssertionError(f"the emulator queued no update for {text!r}")


async def post(url: str, update: dict, secret: str | None) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=update, headers=headers) as response:
            return response.status


@dataclass
class Hook:
    emu: Emulator
    app: App
    runner: web.AppRunner

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{bound_port(self.runner)}{webhook_path(WEBHOOK_URL)}"

    def texts_to(self, chat_id: int) -> list[str]:
        return [m.text or "" for m in self.emu.bot_messages(chat_id)]


@pytest.fixture
async def hook(tmp_path, clock) -> AsyncIterator[Hook]:
    emu = await start_emulator(clock)
    try:
        app = await build_app(webhook_settings(emu, tmp_path), clock=clock)
        runner = await start_webhook(app, port=0)
        try:
            yield Hook(emu, app, runner)
        finally:
            await runner.cleanup()
    finally:
        await emu.stop()


async def test_start_registers_the_webhook_with_secret_and_update_types(hook):
    calls = hook.emu.calls("setWebhook")
    assert len(calls) == 1
    assert calls[0].params.get("drop_pending_updates") in (None, False, "false", "False")
    webhook = hook.emu.webhook
    assert webhook["url"] == WEBHOOK_URL
    assert webhook["secret_token"] == SECRET
    assert sorted(webhook["allowed_updates"]) == sorted(hook.app.dp.resolve_used_update_types())
    assert "message" in webhook["allowed_updates"] and "callback_query" in webhook["allowed_updates"]


async def test_update_with_the_right_secret_is_handled(hook):
    update = await partner_update(hook.emu, PARTNER.user_id, "/start")
    assert await post(hook.url, update, SECRET) == 200
    # Telegram gets its 200 once the update is stored: a crash after that handles it on restart.
    stored = await hook.app.db.fetchall("SELECT update_id FROM inbox")
    assert [row["update_id"] for row in stored] == [update["update_id"]]
    await hook.app.settle(timeout=5)
    assert "Здравствуйте, Иван" in hook.texts_to(PARTNER.user_id)[0]
    # Sent again (Telegram did not see the 200): recognised, not answered twice.
    assert await post(hook.url, update, SECRET) == 200
    await hook.app.settle(timeout=5)
    assert len(hook.texts_to(PARTNER.user_id)) == 1


async def test_wrong_or_missing_secret_is_refused_and_not_handled(hook):
    forged = await partner_update(hook.emu, PARTNER.user_id, "/start")
    assert await post(hook.url, forged, "not-the-secret") == 401
    assert await post(hook.url, forged, None) == 401
    assert await post(hook.url, forged, "") == 401
    # A genuine update afterwards: once it is answered, a forged one handled too would show up as well.
    genuine = await partner_update(hook.emu, PARTNER.user_id, "/help")
    assert await post(hook.url, genuine, SECRET) == 200
    await hook.app.settle(timeout=5)
    answers = hook.texts_to(PARTNER.user_id)
    assert len(answers) == 1 and "Что умеет бот" in answers[0]
    assert not any("Здравствуйте" in text for text in answers)


async def test_webhook_needs_a_secret(tmp_path, clock):
    emu = await start_emulator(clock)
    try:
        app = await build_app(webhook_settings(emu, tmp_path, webhook_secret=None), clock=clock)
        try:
            with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
                await start_webhook(app, port=0)
        finally:
            await app.close()
        assert emu.calls("setWebhook") == []
    finally:
        await emu.stop()


async def test_taken_port_names_the_setting_and_closes_the_app(tmp_path, clock):
    emu = await start_emulator(clock)
    try:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            app = await build_app(webhook_settings(emu, tmp_path, webhook_port=port), clock=clock)
            with pytest.raises(SettingsError, match="WEBHOOK_PORT"):
                await start_webhook(app)
        assert app.closed
        assert emu.calls("setWebhook") == []  # Telegram is not pointed at a server that is not there
    finally:
        await emu.stop()


async def test_a_webhook_address_telegram_refuses_names_the_setting_and_closes_the_app(tmp_path, clock):
    emu = await start_emulator(clock)
    try:
        emu.faults.add("setWebhook", kind="error", status=400,
                       description="Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        app = await build_app(webhook_settings(emu, tmp_path), clock=clock)
        with pytest.raises(SettingsError, match="WEBHOOK_URL: Telegram refused it .*ports 80, 88"):
            await start_webhook(app, port=0)
        assert app.closed
    finally:
        await emu.stop()


async def test_serve_until_stopped_then_the_app_is_closed(tmp_path, clock):
    emu = await start_emulator(clock)
    try:
        app = await build_app(webhook_settings(emu, tmp_path, webhook_port=free_port()), clock=clock)
        stop = asyncio.Event()
        serving = asyncio.create_task(serve_webhook(app, stop=stop))
        # setWebhook goes out only once the server listens.
        await emu.wait_for(lambda: emu.webhook or serving.done(), timeout=10)
        assert not serving.done(), serving.exception()
        url = f"http://127.0.0.1:{app.settings.webhook_port}{webhook_path(WEBHOOK_URL)}"
        assert await post(url, await partner_update(emu, PARTNER.user_id, "/start"), SECRET) == 200
        await emu.wait_for(lambda: emu.bot_messages(PARTNER.user_id), timeout=5)

        stop.set()
        await asyncio.wait_for(serving, timeout=15)
        assert app.closed
        with pytest.raises(Exception):
            await app.db.fetchone("SELECT 1")  # the database is closed
        # The webhook stays set: Telegram keeps updates for the next start.
        assert emu.webhook is not None and emu.calls("deleteWebhook") == []
    finally:
        await emu.stop()


async def test_stop_lets_an_update_in_flight_finish_before_closing(tmp_path, clock, monkeypatch):
    emu = await start_emulator(clock)
    try:
        app = await build_app(webhook_settings(emu, tmp_path, webhook_port=free_port()), clock=clock)
        entered, release = asyncio.Event(), asyncio.Event()

        async def slow_cases(*args, **kwargs):
            entered.set()
            await release.wait()
            return []

        monkeypatch.setattr(app.dp["case_repo"], "for_partner", slow_cases)
        stop = asyncio.Event()
        serving = asyncio.create_task(serve_webhook(app, stop=stop))
        await emu.wait_for(lambda: emu.webhook or serving.done(), timeout=10)
        url = f"http://127.0.0.1:{app.settings.webhook_port}{webhook_path(WEBHOOK_URL)}"
        assert await post(url, await partner_update(emu, PARTNER.user_id, "/cases"), SECRET) == 200
        await asyncio.wait_for(entered.wait(), timeout=5)

        stop.set()  # SIGTERM arrives while the update is being handled
        for _ in range(20):
            await asyncio.sleep(0)
        assert not app.closed
        release.set()
        await asyncio.wait_for(serving, timeout=15)
        assert app.closed
        assert texts.my_cases([]) in [m.text for m in emu.bot_messages(PARTNER.user_id)]
    finally:
        await emu.stop()


def test_cli_webhook_without_url_names_webhook_url(tmp_path):
    env = {"BOT_TOKEN": GOOD_TOKEN, "ENGINEERS_CHAT_ID": "-1001234567890", "WEBHOOK_URL": "", "WEBHOOK_SECRET": ""}
    result = run_cli("run", "--webhook", cwd=tmp_path, env=env)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "WEBHOOK_URL" in lines[0] and "Traceback" not in result.stderr


def test_cli_webhook_without_secret_names_webhook_secret(tmp_path):
    env = {
        "BOT_TOKEN": GOOD_TOKEN, "ENGINEERS_CHAT_ID": "-1001234567890",
        "WEBHOOK_URL": WEBHOOK_URL, "WEBHOOK_SECRET": "",
    }
    result = run_cli("--webhook", cwd=tmp_path, env=env)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "WEBHOOK_SECRET" in lines[0], result.stderr
