"""The HelpDesk's replies, read from the bridge's mailbox over IMAP (IDLE where the server has it,
polling where not) and relayed to the partner and the case topic; the folder's UID position is kept
with the relay in one transaction, so no reply is relayed twice, across restarts too."""

from __future__ import annotations

import asyncio
import logging
import re
from html import escape
from typing import Any

import aioimaplib
from aiogram import Bot

from bot import texts
from bot.config import Settings
from bot.delivery.kinds import HelpDeskFile, SendText
from bot.services.cases import split_text
from bot.services.mail_reply import HelpDeskReply, parse_reply, sender_allowed
from bot.storage.cases import CaseRepository
from bot.storage.database import Database
from bot.storage.mail import MailFileRepository, MailFolderRepository

log = logging.getLogger(__name__)

FIRST_BACKOFF = 2.0
MAX_BACKOFF = 300.0
IDLE_RENEW = 25 * 60  # servers drop an IDLE after 30 minutes
FILE_LIMIT = 50 * 1024 * 1024  # what the Bot API takes in an upload
PART_SIZE = 3800


class MailboxError(Exception):
    """The server refused a step (login, select, fetch)."""


def _ok(response, step: str):
    if response.result != "OK":
        raise MailboxError(f"{step}: {response.result} {b' '.join(map(bytes, response.lines))[:200]!r}")
    return response


def _number(lines, name: str) -> int | None:
    for line in lines:
        match = re.search(rf"\[{name} (\d+)\]".encode(), bytes(line))
        if match:
            return int(match[1])
    return None


class MailInbox:
    def __init__(
        self, *, bot: Bot, db: Database, settings: Settings, cases: CaseRepository, outbox: Any, mail: Any,
    ) -> None:
        self.bot = bot
        self.db = db
        self.settings = settings
        self.cases = cases
        self.outbox = outbox
        self.mail = mail  # the sender: its desk token tells this desk's mail ids from others'
        self.files = MailFileRepository(db)
        self.folders = MailFolderRepository(db)
        self.folder = settings.imap_folder
        self.looks = 0
        self._taking = asyncio.Lock()  # `take`: one handed-over mail numbered at a time
        self.idle_used: bool | None = None  # learnt from the server's capabilities

    async def run(self) -> None:
        backoff = FIRST_BACKOFF
        while True:
            try:
                await self.session()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the server is down or refused: look again later
                log.warning("Mailbox %s@%s: %s; trying again in %.0f s", self.settings.imap_user,
                            self.settings.imap_host, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            else:
                backoff = FIRST_BACKOFF

    async def session(self) -> None:
        s = self.settings
        cls = aioimaplib.IMAP4_SSL if s.imap_security == "tls" else aioimaplib.IMAP4
        client = cls(host=s.imap_host, port=s.imap_port_or_default, timeout=60)
        try:
            await client.wait_hello_from_server()
            _ok(await client.login(s.imap_user, s.imap_password.get_secret_value() if s.imap_password else ""), "LOGIN")
            selected = _ok(await client.select(self.folder), "SELECT")
            uidvalidity = _number(selected.lines, "UIDVALIDITY") or 0
            uidnext = _number(selected.lines, "UIDNEXT")
            await self._start_position(uidvalidity, uidnext)
            while True:
                await self.fetch_new(client, uidvalidity)
                self.looks += 1  # the tests wait on it
                self.idle_used = client.has_capability("IDLE")
                if self.idle_used:
                    await self._idle(client)
                else:
                    await asyncio.sleep(s.mail_poll_interval)
                    _ok(await client.noop(), "NOOP")
        finally:
            try:
                await asyncio.wait_for(client.logout(), 5)
            except Exception:  # the connection may be what failed
                pass

    async def _idle(self, client) -> None:
        idle = await client.idle_start(timeout=IDLE_RENEW)
        try:
            while client.has_pending_idle():
                pushed = await client.wait_server_push()
                if pushed == aioimaplib.STOP_WAIT_SERVER_PUSH or any(b"EXISTS" in bytes(line) for line in pushed):
                    break
        finally:
            if client.has_pending_idle():
                client.idle_done()
            await asyncio.wait_for(idle, 30)

    async def _start_position(self, uidvalidity: int, uidnext: int | None) -> None:
        """The first start reads from now on (an old mailbox holds years of mail); a folder made
        anew (another UIDVALIDITY) too, with a warning."""
        known = await self.folders.position(self.folder)
        if known is not None and known[0] == uidvalidity:
            return
        if known is not None:
            log.warning("Folder %s was rebuilt (UIDVALIDITY %s -> %s): reading from its current end",
                        self.folder, known[0], uidvalidity)
        async with self.db.batch() as conn:
            await self.folders.advance(conn, self.folder, uidvalidity, max((uidnext or 1) - 1, 0))

    async def fetch_new(self, client, uidvalidity: int) -> int:
        """Relay every mail after the kept position, in UID order; returns how many were read."""
        position = await self.folders.position(self.folder)
        last = position[1] if position else 0
        found = _ok(await client.uid_search(f"UID {last + 1}:*"), "SEARCH")
        uids = sorted(int(u) for line in found.lines[:-1] for u in bytes(line).split() if u.isdigit())
        count = 0
        for uid in (u for u in uids if u > last):
            fetched = _ok(await client.uid("fetch", str(uid), "(BODY.PEEK[])"), "FETCH")
            raw = max((bytes(line) for line in fetched.lines if isinstance(line, bytearray)), key=len, default=None)
            if raw is None:
                log.warning("Mail UID %s in %s came without a body; passed over", uid, self.folder)
                async with self.db.batch() as conn:
                    await self.folders.advance(conn, self.folder, uidvalidity, uid)
                continue
            await self.handle(uid, uidvalidity, raw)
            count += 1
        return count

    async def take(self, raw: bytes) -> str:
        """A mail handed over without an IMAP session (the sandbox's HelpDesk): numbered after the
        kept position, so it goes through the same relay, once, as a mail read from the folder."""
        async with self._taking:  # two at once would get the same number, and the second would count as seen
            position = await self.folders.position(self.folder)
            uidvalidity, last = position if position is not None else (1, 0)
            return await self.handle(last + 1, uidvalidity, raw)

    async def handle(self, uid: int, uidvalidity: int, raw: bytes) -> str:
        """Relays one mail or tells the admins why not; returns which: relayed, own, sender or case."""
        reply = parse_reply(raw, await self.mail.desk_id())
        case = await self.cases.get(reply.case_id) if reply.case_id is not None else None
        async with self.db.transaction() as conn:
            if reply.sender == self.settings.mail_from.lower():
                outcome = "own"  # the bridge's own mail (a copy kept in its mailbox)
            elif not sender_allowed(reply.sender, self.settings.mail_allowed_senders):
                log.info("Mail UID %s from %s is not from an allowed sender", uid, reply.sender)
                await self._tell_admins(conn, texts.mail_unknown_sender(reply.sender, reply.subject))
                outcome = "sender"
            elif case is None:
                log.info("Mail UID %s from %s names no known case", uid, reply.sender)
                await self._tell_admins(conn, texts.mail_unknown_case(reply.sender, reply.subject))
                outcome = "case"
            else:
                await self._relay(conn, uid, uidvalidity, case, reply)
                outcome = "relayed"
            await self.folders.advance(conn, self.folder, uidvalidity, uid)
        self.outbox.wake()
        return outcome

    async def _relay(self, conn, uid: int, uidvalidity: int, case, reply: HelpDeskReply) -> None:
        key = f"mail-in:{self.folder}:{uidvalidity}:{uid}"
        body = escape(reply.body) if reply.body else texts.MAIL_EMPTY_REPLY
        files = [f for f in reply.files if len(f.data) <= FILE_LIMIT]
        too_big = [f.name for f in reply.files if len(f.data) > FILE_LIMIT]
        if too_big:
            body += "\n" + texts.helpdesk_files_too_big(too_big)
        for index, part in enumerate(split_text(body, PART_SIZE)):
            await self.outbox.enqueue(conn, case.partner_id,
                                      SendText(texts.helpdesk_reply_for_partner(case.number, part), origin="helpdesk"),
                                      case.id, dedupe_key=f"{key}:{index}:partner")
            await self.outbox.enqueue(conn, self.settings.engineers_chat_id,
                                      SendText(texts.helpdesk_reply_for_topic(part, reply.sender), to_topic=True,
                                               origin="helpdesk"),
                                      case.id, dedupe_key=f"{key}:{index}:topic")
        for index, part in enumerate(files):
            file_id = await self.files.add(conn, case.id, part.name, part.mime_type, part.data)
            caption = texts.helpdesk_file_caption(case.number, part.name)
            await self.outbox.enqueue(conn, case.partner_id, HelpDeskFile(file_id, caption),
                                      case.id, dedupe_key=f"{key}:file{index}:partner")
            await self.outbox.enqueue(conn, self.settings.engineers_chat_id, HelpDeskFile(file_id, caption, to_topic=True),
                                      case.id, dedupe_key=f"{key}:file{index}:topic")

    async def _tell_admins(self, conn, text: str) -> None:
        if not self.settings.admin_ids:
            log.warning("No ADMIN_IDS to tell: %s", text)
        for admin_id in self.settings.admin_ids:
            await self.outbox.enqueue(conn, admin_id, SendText(text))
