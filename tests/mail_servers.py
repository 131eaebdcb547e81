"""Real mail servers on loopback for the HelpDesk bridge's tests: aiosmtpd for SMTP, Debian's
Dovecot for IMAP (started with a throw-away config and maildir; skipped where it is not installed)."""

from __future__ import annotations

import asyncio
import email
import imaplib
import inspect
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
HELPDESK = "911@helpdesk.test"
BRIDGE = "bot@desk.test"
PASSWORD = "secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def eventually(check, timeout: float = 30.0, message: str = "the condition never held") -> None:
    """Until `check()` (or the coroutine it returns) is true: a server in another thread or process does the work."""
    deadline = time.monotonic() + timeout
    while not await _value(check()):
        if time.monotonic() > deadline:
            raise AssertionError(message)
        await asyncio.sleep(0.05)


async def _value(result):
    return await result if inspect.isawaitable(result) else result


class SmtpSink:
    """An aiosmtpd server that keeps every mail it accepts. `answers` holds replies to give to the
    next DATA commands instead of accepting ("451 …", "554 …"); `hold` makes DATA wait until released."""

    def __init__(self) -> None:
        self.port = free_port()
        self.accepted: list[email.message.EmailMessage] = []
        self.seen: list[email.message.EmailMessage] = []  # every DATA, accepted or not
        self.answers: list[str] = []
        self.hold = threading.Event()
        self.hold.set()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.seen.append(message)
        await asyncio.get_running_loop().run_in_executor(None, self.hold.wait)
        if self.answers:
            return self.answers.pop(0)
        self.accepted.append(message)
        return "250 OK"

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.hold.set()
        self.controller.stop()


@pytest.fixture
def smtp():
    """The HelpDesk's SMTP server for one test (the mail tests import this fixture)."""
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


class Dovecot:
    """Dovecot on a free loopback port, one mailbox (the bridge's), plain IMAP. `idle=False`
    leaves IDLE out of the advertised capabilities, so the bridge must poll."""

    def __init__(self, idle: bool = True) -> None:
        self.port = free_port()
        self.idle = idle
        # Not under pytest's tmp_path: as root, Dovecot's own users must reach the maildir.
        self.dir = Path(tempfile.mkdtemp(prefix="torus-dovecot-"))
        self.proc: subprocess.Popen | None = None

    def _config(self) -> Path:
        d = self.dir
        for sub in ("run", "state", "mail", "home"):
            (d / sub).mkdir(exist_ok=True)
        root = os.geteuid() == 0
        me = pwd.getpwuid(os.geteuid()).pw_name
        mail_user = "dovecot" if root else me
        (d / "passwd").write_text(f"{BRIDGE}:{{PLAIN}}{PASSWORD}\n")
        capability = "" if self.idle else "imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID ENABLE UIDPLUS\n"
        config = f"""
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
first_valid_uid = 1
first_valid_gid = 1
default_login_user = {"dovenull" if root else me}
default_internal_user = {"dovecot" if root else me}
{capability}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={d}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
        path = d / "dovecot.conf"
        path.write_text(config)
        if root:
            os.chmod(d, 0o755)
            shutil.chown(d / "mail", mail_user, mail_user)
            shutil.chown(d / "home", mail_user, mail_user)
        return path

    def start(self) -> None:
        config = self._config()
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL,
                                     stderr=open(self.dir / "stderr.log", "ab"))
        deadline = time.monotonic() + 20
        while True:
            try:
                client = imaplib.IMAP4("127.0.0.1", self.port)
                client.login(BRIDGE, PASSWORD)
                client.logout()
                return
            except (OSError, imaplib.IMAP4.error):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    log = (self.dir / "dovecot.log")
                    raise RuntimeError("dovecot did not start: " + (log.read_text()[-2000:] if log.exists() else ""))
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _append(self, raw: bytes) -> None:
        client = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            client.login(BRIDGE, PASSWORD)
            status, _ = client.append("INBOX", None, None, raw)
            assert status == "OK"
        finally:
            client.logout()

    async def deliver(self, raw: bytes) -> None:
        """Put a mail into the bridge's mailbox, as the HelpDesk's server would."""
        await asyncio.to_thread(self._append, raw)


def mail_settings(smtp: SmtpSink, imap_port: int, **more) -> dict:
    values = {
        "helpdesk_email": HELPDESK,
        "mail_from": BRIDGE,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_security": "none",
        "imap_host": "127.0.0.1",
        "imap_port": imap_port,
        "imap_user": BRIDGE,
        "imap_password": PASSWORD,
        "imap_security": "none",
        "mail_allowed_senders": "@helpdesk.test",
        "mail_send_interval": 0,
        "mail_poll_interval": 0.2,
    }
    values.update(more)
    return values


def need_dovecot() -> None:
    if DOVECOT is None:
        pytest.skip("Dovecot is not installed here (apt-get install dovecot-imapd; .ci/run does it)")
