"""The HelpDesk's mailbox in the sandbox: an aiosmtpd server on a free loopback port takes the mail
the bot's bridge sends, and replies written on the page are built as real RFC 5322 mail and handed
to the bridge's own parse-and-relay path (there is no IMAP server in the sandbox)."""

from __future__ import annotations

import email
import socket
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from datetime import datetime, timezone
from typing import Any

from aiosmtpd.controller import Controller

HELPDESK_ADDRESS = "911@helpdesk.sandbox.test"
BRIDGE_ADDRESS = "support-bot@torus.sandbox.test"
# The bridge needs an IMAP server in its settings; in the sandbox its reader never starts.
UNUSED_IMAP_PORT = 9


@dataclass(frozen=True)
class Mail:
    number: int  # 1, 2, … in the order the HelpDesk received them
    raw: bytes
    message: EmailMessage


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HelpDeskMailbox:
    """What the HelpDesk received from the bot, kept in memory for the page."""

    def __init__(self) -> None:
        self.port = 0
        self.mails: list[Mail] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    # --- the SMTP server ------------------------------------------------------------------------

    def start(self) -> None:
        if self._controller is not None:
            return
        self.port = _free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's handler hook
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=policy.default)
        with self._lock:
            self.mails.append(Mail(len(self.mails) + 1, raw, message))
        return "250 OK"

    def settings(self) -> dict[str, Any]:
        """The bridge's settings pointed at this server."""
        return {
            "helpdesk_email": HELPDESK_ADDRESS,
            "mail_from": BRIDGE_ADDRESS,
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "smtp_security": "none",
            "imap_host": "127.0.0.1",
            "imap_port": UNUSED_IMAP_PORT,
            "imap_user": BRIDGE_ADDRESS,
            "imap_password": "unused",
            "imap_security": "none",
            "mail_allowed_senders": "@" + HELPDESK_ADDRESS.split("@")[1],
            "mail_send_interval": 0,
        }

    # --- the page -------------------------------------------------------------------------------

    def get(self, number: int) -> Mail | None:
        with self._lock:
            return self.mails[number - 1] if 0 < number <= len(self.mails) else None

    def count(self) -> int:
        return len(self.mails)

    def view(self) -> list[dict[str, Any]]:
        with self._lock:
            mails = list(self.mails)
        return [mail_view(m) for m in mails]


def mail_view(mail: Mail) -> dict[str, Any]:
    message = mail.message
    references = str(message.get("References", "")).split()
    plain = message.get_body(preferencelist=("plain",))
    return {
        "number": mail.number,
        "subject": str(message.get("Subject", "")),
        "from": str(message.get("From", "")),
        "to": str(message.get("To", "")),
        "date": str(message.get("Date", "")),
        "message_id": str(message.get("Message-ID", "")),
        "in_reply_to": str(message.get("In-Reply-To", "")),
        "references": references,
        # Mails of one case share the first mail's Message-ID as their thread.
        "thread": references[0] if references else str(message.get("Message-ID", "")),
        "text": plain.get_content() if plain is not None else "",
        "files": [
            {"name": part.get_filename() or "без имени", "type": part.get_content_type(),
             "size": len(part.get_payload(decode=True) or b"")}
            for part in message.iter_attachments()
        ],
    }


def build_reply(original: Mail, text: str, *, sender: str = HELPDESK_ADDRESS) -> bytes:
    """The HelpDesk's answer to `original` as its mail program would write it: Re: with the case tag,
    In-Reply-To and References to the thread, the earlier mail quoted below."""
    source = original.message
    message = EmailMessage()
    subject = str(source.get("Subject", ""))
    message["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    message["From"] = sender
    message["To"] = parseaddr(str(source.get("From", "")))[1] or BRIDGE_ADDRESS
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or "helpdesk.sandbox.test")
    original_id = str(source.get("Message-ID", "")).strip()
    if original_id:
        message["In-Reply-To"] = original_id
        message["References"] = " ".join([*str(source.get("References", "")).split(), original_id])
    plain = source.get_body(preferencelist=("plain",))
    quoted = "\n".join("> " + line for line in (plain.get_content() if plain is not None else "").splitlines())
    message.set_content(f"{text.strip()}\n\n{source.get('Date', '')}, {source.get('From', '')} wrote:\n{quoted}\n")
    return message.as_bytes(policy=policy.SMTP)

