"""Mail to the HelpDesk, a channel of its own beside Telegram: sends what the mail_outbox table holds,
one mail at a time and paced, with the case's files attached; a slow mail server delays only this."""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import secrets
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import aiosmtplib
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError, TelegramRetryAfter, TelegramServerError

from bot import texts
from bot.config import Settings
from bot.domain import Attachment, Case
from bot.storage.cases import CaseRepository
from bot.storage.database import Batch, Database, Transaction
from bot.storage.kv import KeyValueRepository
from bot.storage.mail import MailItem, MailOutboxRepository
from bot.storage.partners import PartnerRepository

log = logging.getLogger(__name__)

# What a mail may carry in files, in total: the rest is listed by name (engineers have them in Telegram).
MAIL_FILES_LIMIT = 15 * 1024 * 1024
FIRST_BACKOFF = 2.0
MAX_BACKOFF = 300.0
DESK_ID_KEY = "mail_desk_id"
EXTENSIONS = {"photo": ".jpg", "video": ".mp4", "voice": ".ogg", "audio": ".mp3", "animation": ".mp4",
              "video_note": ".mp4", "document": ""}


class TemporaryMailError(Exception):
    """Worth trying again later: a 4xx answer, a dropped or refused connection, a timeout."""


class PermanentMailError(Exception):
    """The server refused the mail for good (5xx): trying again would repeat the refusal."""


def judge(exc: BaseException) -> Exception:
    """An SMTP or network failure as a temporary or a permanent one."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [e.code for e in exc.recipients]
        if codes and all(500 <= c < 600 for c in codes):
            return PermanentMailError("; ".join(f"{e.code} {e.message}" for e in exc.recipients))
        return TemporaryMailError(str(exc))
    if isinstance(exc, aiosmtplib.SMTPResponseException) and not isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        if 500 <= exc.code < 600:
            return PermanentMailError(f"{exc.code} {exc.message}")
        return TemporaryMailError(f"{exc.code} {exc.message}")
    return TemporaryMailError(f"{type(exc).__name__}: {exc}")


def file_name(item: Attachment, position: int) -> str:
    if item.file_name:
        return item.file_name
    return f"{item.kind}-{position}{EXTENSIONS.get(item.kind, '')}"


class MailSender:
    """The mail queue: `enqueue` inside a case's transaction (bot.services.ports.MailQueue), `run` sends."""

    def __init__(
        self, *, bot: Bot, db: Database, settings: Settings, cases: CaseRepository, partners: PartnerRepository,
        alerts: Any,
    ) -> None:
        self.bot = bot
        self.db = db
        self.settings = settings
        self.cases = cases
        self.partners = partners
        self.alerts = alerts  # AdminAlerts: admins hear of refused mails through the Telegram outbox
        self.repo = MailOutboxRepository(db)
        self.kv = KeyValueRepository(db)
        self.domain = settings.mail_from.rpartition("@")[2] or "localhost"
        self._desk_id: str | None = None
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()

    # --- the queue ----------------------------------------------------------------------------

    async def enqueue(
        self, conn: Transaction | Batch, case_id: int, event: str, payload: dict[str, Any],
        dedupe_key: str | None = None,
    ) -> None:
        self._idle.clear()
        await self.repo.enqueue(conn, case_id, event, payload, dedupe_key)

    def wake(self) -> None:
        self._idle.clear()
        self._wake.set()

    async def wait_idle(self, timeout: float = 30.0) -> None:
        """Until nothing is left to send (sent or failed for good)."""
        self.wake()
        await asyncio.wait_for(self._idle.wait(), timeout)

    # --- threading ------------------------------------------------------------------------------

    async def desk_id(self) -> str:
        """A token this desk's database keeps for good: case numbers start again at 1001 in a new
        database, and its mails must not thread under an old desk's."""
        if self._desk_id is None:
            stored = await self.kv.get(DESK_ID_KEY)
            if stored is None:
                stored = secrets.token_hex(4)
                await self.db.execute("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                                      (DESK_ID_KEY, stored))
                stored = await self.kv.get(DESK_ID_KEY)
            self._desk_id = stored
        return self._desk_id

    async def case_message_id(self, case_id: int) -> str:
        return f"<torus-{await self.desk_id()}-case-{case_id}@{self.domain}>"

    async def event_message_id(self, case_id: int, item_id: int) -> str:
        return f"<torus-{await self.desk_id()}-case-{case_id}-{item_id}@{self.domain}>"

    # --- the loop ---------------------------------------------------------------------------------

    async def run(self) -> None:
        backoff = FIRST_BACKOFF
        while True:
            self._wake.clear()
            try:
                item = await self.repo.head()
            except Exception:  # the database is closing; the next start resumes from the table
                log.exception("Mail queue could not be read")
                item = None
            if item is None:
                self._idle.set()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=5.0)
                except asyncio.TimeoutError:
                    pass
                continue
            try:
                await self.send(item)
            except TemporaryMailError as exc:
                log.warning("Mail %s (case %s): %s; trying again in %.0f s", item.id, item.case_id, exc, backoff)
                await self.repo.note_attempt(item.id, str(exc))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            except PermanentMailError as exc:
                log.error("Mail %s (case %s) refused: %s", item.id, item.case_id, exc)
                await self.repo.fail(item.id, str(exc))
                await self._tell_admins(item.case_id, str(exc))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug must not stop the queue for good
                log.exception("Mail %s failed unexpectedly", item.id)
                await self.repo.fail(item.id, repr(exc))
                await self._tell_admins(item.case_id, repr(exc))
            else:
                await self.repo.finish(item.id)
            backoff = FIRST_BACKOFF
            if self.settings.mail_send_interval:
                await asyncio.sleep(self.settings.mail_send_interval)

    async def _tell_admins(self, case_id: int, error: str) -> None:
        await self.alerts.notify(texts.mail_failed_for_admins(f"№{case_id}", error))

    # --- one mail --------------------------------------------------------------------------------

    async def send(self, item: MailItem) -> None:
        message = await self.build(item)
        await self.repo.set_message_id(item.id, message["Message-ID"])
        s = self.settings
        try:
            await aiosmtplib.send(
                message,
                sender=s.mail_from,
                recipients=[s.helpdesk_email],
                hostname=s.smtp_host,
                port=s.smtp_port_or_default,
                username=s.smtp_user or None,
                password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                use_tls=s.smtp_security == "tls",
                start_tls=s.smtp_security == "starttls",
                timeout=60,
            )
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
            raise judge(exc) from exc

    async def build(self, item: MailItem) -> EmailMessage:
        case = await self.cases.get(item.case_id)
        if case is None:
            raise PermanentMailError(f"case {item.case_id} does not exist")
        root = await self.case_message_id(case.id)
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = self.settings.helpdesk_email
        message["Reply-To"] = self.settings.mail_from
        # The first mail keeps its date when sent again after a crash: the same mail, byte for byte.
        moment = case.created_at.timestamp() if item.event == "new_case" else None
        message["Date"] = formatdate(moment, localtime=False, usegmt=True)
        message["X-Torus-Case"] = str(case.id)
        subject = texts.mail_subject(case)
        if item.event == "new_case":
            message["Subject"] = subject
            message["Message-ID"] = root
            partner = await self.partners.get(case.partner_id)
            files, listed = await self.files(case)
            attached = [name for name, _, _ in files]
            message.set_content(texts.case_mail_text(case, partner, attached, listed))
            message.add_alternative(texts.case_mail_html(case, partner, attached, listed), subtype="html")
            for name, mime, data in files:
                maintype, _, subtype = mime.partition("/")
                message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
        else:
            message["Subject"] = "Re: " + subject
            message["Message-ID"] = await self.event_message_id(case.id, item.id)
            message["In-Reply-To"] = root
            message["References"] = root
            message.set_content(texts.event_mail_text(case, item.event, item.payload))
            message.add_alternative(texts.event_mail_html(case, item.event, item.payload), subtype="html")
        return message

    async def files(self, case: Case) -> tuple[list[tuple[str, str, bytes]], list[str]]:
        """The case's files as (name, MIME type, bytes) within the mail's limit, and the names of
        those that did not fit (or that Telegram will not hand out: over 20 MB)."""
        attached: list[tuple[str, str, bytes]] = []
        listed: list[str] = []
        total = 0
        for position, item in enumerate(await self.cases.attachments(case.id), start=1):
            name = file_name(item, position)
            try:
                info = await self.bot.get_file(item.file_id)
                size = info.file_size or 0
                if total + size > MAIL_FILES_LIMIT or info.file_path is None:
                    listed.append(name)
                    continue
                data = (await self.bot.download_file(info.file_path)).read()
            except TelegramBadRequest as exc:  # "file is too big" and the like: it stays in Telegram
                log.info("File %s of case %s is not attached: %s", name, case.id, exc.message)
                listed.append(name)
                continue
            except (TelegramNetworkError, TelegramServerError, TelegramRetryAfter, OSError,
                    asyncio.TimeoutError) as exc:
                raise TemporaryMailError(f"downloading {name}: {exc}") from exc
            if total + len(data) > MAIL_FILES_LIMIT:
                listed.append(name)
                continue
            total += len(data)
            mime = mimetypes.guess_type(name)[0] or ("image/jpeg" if item.kind == "photo" else "application/octet-stream")
            attached.append((name, mime, data))
        return attached, listed
