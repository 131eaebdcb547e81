"""The sandbox: the bundled Bot API emulator and the real bot wired together, with a throw-away
database, a settable clock and a cast of partners and engineers; tests use it as their harness."""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.app import App, build_app
from bot.clock import Clock, OffsetClock
from bot.config import Settings, load_settings
from bot.sandbox.mailbox import HelpDeskMailbox
from tgemu import Emulator

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SANDBOX_TOKEN = "1000000001:SANDBOX_sandbox_SANDBOX_sandbox_00"
BOT_USERNAME = "torus_support_bot"
GROUP_ID = -1001000000001
GROUP_TITLE = "Торус · инженеры поддержки"


@dataclass(frozen=True)
class Person:
    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None


PARTNERS = (
    Person(1001, "Иван", "Петров", "ivan_montazh"),
    Person(1002, "Ольга", "Смирнова", "olga_integrator"),
    Person(1003, "Тимур", None, None),
)
ENGINEERS = (
    Person(2001, "Алексей", "Инженеров", "alex_torus"),
    Person(2002, "Мария", "Сергеева", "maria_torus"),
)
ADMIN = Person(3001, "Сергей", "Админов", "sergey_admin")


class Sandbox:
    """Start with `async with Sandbox(...) as sb:`; `restart()` stops the bot and starts a new
    process-like instance on the same database, as a real restart would."""

    def __init__(
        self,
        *,
        workdir: Path | None = None,
        clock: Clock | None = None,
        forum: bool = True,
        settings: dict[str, Any] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        helpdesk_mailbox: bool = False,
    ) -> None:
        self._tmp: tempfile.TemporaryDirectory | None = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="torus-sandbox-")
            workdir = Path(self._tmp.name)
        self.workdir = workdir
        self.clock = clock or OffsetClock()
        self.forum = forum
        self.overrides = settings or {}
        self.host = host
        self.port = port
        self.emu = Emulator(token=SANDBOX_TOKEN, bot_username=BOT_USERNAME, clock=self.clock)
        self.app: App | None = None
        self._polling: asyncio.Task | None = None
        self.settings: Settings | None = None
        # The HelpDesk's mailbox (bot/sandbox/mailbox.py), when the bridge is to run in the sandbox.
        self.mailbox: HelpDeskMailbox | None = HelpDeskMailbox() if helpdesk_mailbox else None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    def _make_settings(self) -> Settings:
        values: dict[str, Any] = {
            "_env_file": None,
            "bot_token": SANDBOX_TOKEN,
            "telegram_api_url": self.emu.base_url,
            "engineers_chat_id": GROUP_ID,
            "admin_ids": (ADMIN.user_id,),
            "database_path": self.workdir / "sandbox.sqlite3",
            "firmware_catalogue_dir": PROJECT_ROOT / "data" / "firmware",
            "calendar_dir": self._calendar_copy(),
            "bulletins_dir": PROJECT_ROOT / "data" / "bulletins",
            "firmware_base_url": "https://files.example.invalid/firmware/",
            "log_level": "WARNING",
            # The emulator does not throttle, so the sandbox need not wait between messages.
            "outbox_chat_interval": 0,
            "outbox_group_per_minute": 60,
            "outbox_global_per_second": 0,
        }
        if self.mailbox is not None:
            values.update(self.mailbox.settings())
        values.update(self.overrides)
        return load_settings(**values)

    def _calendar_copy(self) -> Path:
        """Admins may upload calendars in the sandbox; they go to the throw-away copy, not data/."""
        target = self.workdir / "calendar"
        if not target.exists():
            shutil.copytree(PROJECT_ROOT / "data" / "calendar", target)
        return target

    async def start(self, *, with_bot: bool = True) -> None:
        """The emulator with the cast and the group; then the bot in this process, unless a test
        runs it as a separate process (see `bot_environment`)."""
        await self.emu.start(host=self.host, port=self.port)
        for person in (*PARTNERS, *ENGINEERS, ADMIN):
            self.emu.add_user(person.user_id, person.first_name, person.last_name, person.username)
        self.emu.add_group(GROUP_ID, GROUP_TITLE, is_forum=self.forum)
        for engineer in ENGINEERS:
            self.emu.add_member(GROUP_ID, engineer.user_id, status="member")
        if self.mailbox is not None:
            self.mailbox.start()
        self.settings = self._make_settings()
        if with_bot:
            await self.start_bot()

    def bot_environment(self) -> dict[str, str]:
        """The same settings as environment variables, for `python -m bot run` as a child process."""
        assert self.settings is not None
        s = self.settings
        return {
            "BOT_TOKEN": s.token,
            "TELEGRAM_API_URL": s.telegram_api_url,
            "ENGINEERS_CHAT_ID": str(s.engineers_chat_id),
            "ADMIN_IDS": ",".join(str(i) for i in s.admin_ids),
            "DATABASE_PATH": str(s.database_path),
            "FIRMWARE_CATALOGUE_DIR": str(s.firmware_catalogue_dir),
            "FIRMWARE_BASE_URL": s.firmware_base_url,
            "CALENDAR_DIR": str(s.calendar_dir),
            "BULLETINS_DIR": str(s.bulletins_dir),
            "LOG_LEVEL": s.log_level,
            "OUTBOX_CHAT_INTERVAL": str(s.outbox_chat_interval),
            "OUTBOX_GROUP_PER_MINUTE": str(s.outbox_group_per_minute),
            "OUTBOX_GLOBAL_PER_SECOND": str(s.outbox_global_per_second),
            **mail_environment(s),
        }

    async def start_bot(self) -> None:
        assert self.settings is not None
        self.app = await build_app(self.settings, clock=self.clock)
        if self.mailbox is not None:
            self.app.read_mailbox = False  # no IMAP here: the page hands the HelpDesk's replies over
        self._polling = asyncio.create_task(self.app.run_polling())
        await asyncio.sleep(0)

    async def stop_bot(self) -> None:
        if self.app is None:
            return
        await self.app.stop()
        if self._polling is not None:
            try:
                await asyncio.wait_for(self._polling, timeout=10)
            except asyncio.TimeoutError:
                self._polling.cancel()
        self.app = None
        self._polling = None

    async def kill_bot(self) -> None:
        """Stop without letting anything finish, like SIGKILL: running tasks are cancelled."""
        if self.app is None:
            return
        if self._polling is not None:
            self._polling.cancel()
            await asyncio.gather(self._polling, return_exceptions=True)
        await self.app.close()
        self.app = None
        self._polling = None

    async def restart(self) -> None:
        await self.stop_bot()
        await self.start_bot()

    async def stop(self) -> None:
        await self.stop_bot()
        await self.emu.stop()
        if self.mailbox is not None:
            self.mailbox.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def set_now(self, at: datetime) -> None:
        self.clock.set(at)  # type: ignore[attr-defined]


async def settle(sandbox: Sandbox, *, outbox: bool = True) -> None:
    """Until the bot has answered everything; `outbox=False` when deliveries are meant to hang."""
    # Two rounds: what the bot does after settling (a delayed answer, a queued delivery) may
    # itself produce updates or calls to wait for.
    for _ in range(2):
        await sandbox.emu.wait_idle(timeout=10)
        if sandbox.app is not None:
            # Updates fetched but unconfirmed may not have reached a handler yet: wait for them by id.
            await sandbox.app.settle(outbox=outbox, through=sandbox.emu.world.updates.last_delivered())
    await sandbox.emu.wait_idle(timeout=10)


def mail_environment(s: Settings) -> dict[str, str]:
    """The HelpDesk bridge's settings as environment variables (none when it is off)."""
    if not s.mail_enabled:
        return {}
    env = {
        "HELPDESK_EMAIL": s.helpdesk_email, "MAIL_FROM": s.mail_from, "SMTP_HOST": s.smtp_host,
        "SMTP_PORT": str(s.smtp_port or ""), "SMTP_USER": s.smtp_user, "SMTP_SECURITY": s.smtp_security,
        "IMAP_HOST": s.imap_host, "IMAP_PORT": str(s.imap_port or ""), "IMAP_USER": s.imap_user,
        "IMAP_SECURITY": s.imap_security, "IMAP_FOLDER": s.imap_folder,
        "MAIL_ALLOWED_SENDERS": ",".join(s.mail_allowed_senders),
        "MAIL_SEND_INTERVAL": str(s.mail_send_interval), "MAIL_POLL_INTERVAL": str(s.mail_poll_interval),
    }
    if s.smtp_password is not None:
        env["SMTP_PASSWORD"] = s.smtp_password.get_secret_value()
    if s.imap_password is not None:
        env["IMAP_PASSWORD"] = s.imap_password.get_secret_value()
    return env
