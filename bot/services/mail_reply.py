"""A HelpDesk's reply as the bridge relays it: which case it names, who sent it, its own words
without the quoted history and the signature, HTML turned into text, and its files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from html import unescape
from html.parser import HTMLParser

CASE_TAG = re.compile(r"\[\s*(?:Торус|Torus)\s*(?:№|#|N)\s*(\d+)\s*\]", re.IGNORECASE)
# The ids the bridge gives its mails (bot/delivery/mail.py): the desk's token, then the case.
OUR_ID = re.compile(r"<torus-([0-9a-f]+)-case-(\d+)(?:-\d+)?@[^>]+>", re.IGNORECASE)

QUOTE_STARTS = [
    re.compile(r"^\s*-{2,}\s*(Original Message|Исходное сообщение|Пересланное сообщение|Forwarded message)\s*-{2,}", re.I),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule above the quoted header
    re.compile(r"^\s*(From|От|Отправитель)\s*:\s*.+", re.I),  # Outlook's quoted header block, when followed by Sent/Date
    re.compile(r"^.*\b(wrote|писал|писала|пишет|написал|написала)\s*:\s*$", re.I),
    re.compile(r"^\s*\S.*\d{4}.*<[^<>@\s]+@[^<>\s]+>\s*:\s*$"),  # "24 нояб. 2026 г., 10:00, Бот <bot@…>:"
]
QUOTE_HEADER_NEXT = re.compile(r"^\s*(Sent|Date|Отправлено|Дата|To|Кому)\s*:", re.I)
SIGNATURE_STARTS = [
    re.compile(r"^-- ?$"),
    re.compile(r"^\s*(Sent from my|Отправлено с|Отправлено из|Get Outlook for)\b", re.I),
]
# A closing formula begins the signature when it comes near the end of the mail.
CLOSINGS = re.compile(r"^\s*(С уважением|С наилучшими пожеланиями|Всего доброго|Best regards|Kind regards|Regards)"
                      r"\s*[,.!]?\s*$", re.I)
CLOSING_WINDOW = 8


@dataclass(frozen=True)
class MailFilePart:
    name: str
    mime_type: str
    data: bytes


@dataclass(frozen=True)
class HelpDeskReply:
    sender: str                  # the From address, lower case
    subject: str
    case_id: int | None          # from the subject's tag, else from References / In-Reply-To
    body: str
    files: list[MailFilePart] = field(default_factory=list)
    message_id: str | None = None


def parse_reply(raw: bytes, desk_id: str | None = None) -> HelpDeskReply:
    message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[assignment]
    sender = parseaddr(str(message.get("From", "")))[1].strip().lower()
    subject = " ".join(str(message.get("Subject", "")).split())
    return HelpDeskReply(
        sender=sender,
        subject=subject,
        case_id=case_of(subject, message, desk_id),
        body=own_words(body_text(message)),
        files=files_of(message),
        message_id=str(message.get("Message-ID", "")).strip() or None,
    )


def case_of(subject: str, message: EmailMessage, desk_id: str | None) -> int | None:
    tag = CASE_TAG.search(subject)
    if tag:
        return int(tag[1])
    # A reply whose subject lost the tag still names the case's mail in its references.
    refs = " ".join(str(message.get(h, "")) for h in ("In-Reply-To", "References"))
    for desk, case_id in OUR_ID.findall(refs):
        if desk_id is None or desk.lower() == desk_id.lower():
            return int(case_id)
    return None


def sender_allowed(address: str, allowed: tuple[str, ...]) -> bool:
    address = address.lower()
    domain = "@" + address.rpartition("@")[2]
    return any(entry == address or (entry.startswith("@") and entry == domain) for entry in allowed)


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset: keep what can be read
        content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    if part.get_content_subtype() == "html":
        return html_to_text(content)
    return content


def files_of(message: EmailMessage) -> list[MailFilePart]:
    files = []
    for part in message.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        disposition = part.get_content_disposition()
        if not name and disposition != "attachment":
            continue
        if disposition == "inline" and part.get("Content-ID"):
            continue  # a picture inside the HTML (a logo in the signature), not a file sent
        data = part.get_payload(decode=True) or b""
        files.append(MailFilePart(name or "attachment", part.get_content_type(), data))
    return files


class _TextMaker(HTMLParser):
    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "hr"}
    SKIP = {"style", "script", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0
        self.quoted = 0
        self.stopped = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.SKIP:
            self.skipping += 1
        # Outlook's quoted reply begins with this block; Gmail and Thunderbird quote in a blockquote.
        if attrs.get("id") in ("divRplyFwdMsg", "appendonsend") or "gmail_quote" in (attrs.get("class") or ""):
            self.stopped = True
        if tag == "blockquote":
            self.quoted += 1
        if tag in self.BLOCKS:
            self.out.append("\n")
        if tag == "li":
            self.out.append("• ")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        if tag == "blockquote" and self.quoted:
            self.quoted -= 1
        if tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data):
        if not (self.skipping or self.quoted or self.stopped):
            self.out.append(" ".join(data.split()) if data.strip() else (" " if data else ""))


def html_to_text(html: str) -> str:
    maker = _TextMaker()
    maker.feed(html)
    maker.close()
    lines = [line.strip() for line in unescape("".join(maker.out)).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def own_words(text: str) -> str:
    """The reply without what it quotes and without the signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line.lstrip().startswith(">"):
            continue
        if any(p.match(line) for p in QUOTE_STARTS[:2]) or QUOTE_STARTS[3].match(line) or QUOTE_STARTS[4].match(line):
            break
        if QUOTE_STARTS[2].match(line) and any(QUOTE_HEADER_NEXT.match(n) for n in lines[index + 1 : index + 4]):
            break
        if any(p.match(line) for p in SIGNATURE_STARTS):
            break
        kept.append(line.rstrip())
    non_empty = [i for i, line in enumerate(kept) if line.strip()]
    for i in non_empty[-CLOSING_WINDOW:]:
        if CLOSINGS.match(kept[i]) and i != non_empty[0]:
            kept = kept[:i]
            break
    return "\n".join(kept).strip()

