"""The HelpDesk bridge, in: replies put into a real Dovecot mailbox reach the partner and the case
topic exactly once (across restarts too), only from allowed senders, in the charsets mail really uses."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.utils import formatdate

import pytest

from bot.sandbox import Sandbox
from tests.flows import MODEL, file_case
from tests.helpers import Desk
from tests.mail_servers import BRIDGE, Dovecot, SmtpSink, eventually, mail_settings, need_dovecot, smtp  # noqa: F401

HELPDESK_MAN = "ivanova@helpdesk.test"
OUTLOOK_TEXT = """Добрый день! Обновите прошивку камеры до версии 2.840, ошибка там исправлена.

С уважением,
Анна Иванова
Служба технической поддержки, тел. 8 (800) 777-36-12

________________________________
От: bot@desk.test <bot@desk.test>
Отправлено: 24 ноября 2026 г. 10:05
Кому: 911@helpdesk.test
Тема: [Торус №1001] DH-IPC-HFW2431SP-S-0280B — ООО Ромашка

Новая заявка из Telegram-бота технической поддержки «Торус».
Заявка: №1001
"""
OUTLOOK_HTML = """<html><head><style>p {margin:0}</style></head><body>
<p>Добрый день! Обновите прошивку камеры до версии 2.840, ошибка там исправлена.</p>
<p>С уважением,<br>Анна Иванова</p>
<div id="divRplyFwdMsg"><b>От:</b> bot@desk.test<br><b>Тема:</b> [Торус №1001]</div>
<p>Новая заявка из Telegram-бота</p></body></html>"""
OWN_WORDS = "Добрый день! Обновите прошивку камеры до версии 2.840, ошибка там исправлена."


def b_word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def outlook_reply(number: int, root: str, sender: str = HELPDESK_MAN, with_file: bool = True) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"Анна Иванова <{sender}>"
    mail["To"] = BRIDGE
    mail["Subject"] = f"RE: [Торус №{number}] {MODEL} — ООО Ромашка"  # sent as RFC 2047 UTF-8
    mail["Date"] = formatdate()
    mail["Message-ID"] = f"<reply-{number}-{sender}@helpdesk.test>"
    mail["In-Reply-To"] = root
    mail["References"] = root
    mail["X-Mailer"] = "Microsoft Outlook 16.0"
    mail.set_content(OUTLOOK_TEXT)
    mail.add_alternative(OUTLOOK_HTML, subtype="html")
    if with_file:
        mail.add_attachment(b"%PDF-1.4 bulletin", maintype="application", subtype="pdf",
                            filename="Бюллетень 2.840.pdf")
        # A logo inside the signature's HTML is not a file the HelpDesk sent.
        mail.add_attachment(b"\x89PNG logo", maintype="image", subtype="png", filename="image001.png",
                            disposition="inline", cid="<image001@01DA>")
    raw = mail.as_bytes()
    assert b"=?utf-8?" in raw.lower()  # the subject really travels encoded
    return raw


def cp1251_reply_without_tag(root: str, sender: str = HELPDESK_MAN) -> bytes:
    """An older client: the subject lost the case's tag (cp1251, RFC 2047), the body is KOI8-R."""
    body = "Проверьте, пожалуйста, включён ли детектор в расписании записи.\n\n-- \nАнна\n"
    return (
        f"From: {b_word('Анна', 'windows-1251')} <{sender}>\r\n"
        f"To: {BRIDGE}\r\n"
        f"Subject: {b_word('Ответ по вашему вопросу', 'windows-1251')}\r\n"
        f"Date: {formatdate()}\r\n"
        f"Message-ID: <koi-{sender}@helpdesk.test>\r\n"
        f"In-Reply-To: <unrelated@helpdesk.test>\r\n"
        f"References: <unrelated@helpdesk.test> {root}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=koi8-r\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode("ascii") + base64.encodebytes(body.encode("koi8-r"))


def _dovecot(idle: bool):
    need_dovecot()
    server = Dovecot(idle=idle)
    try:
        server.start()
    except RuntimeError as exc:
        server.stop()
        pytest.skip(f"Dovecot could not start here: {exc}")
    return server


@pytest.fixture
def dovecot(request):
    server = _dovecot(idle=getattr(request, "param", True))
    yield server
    server.stop()


@pytest.fixture
async def mail_desk(tmp_path, clock, smtp, dovecot):
    sandbox = Sandbox(workdir=tmp_path, clock=clock, settings=mail_settings(smtp, dovecot.port))
    await sandbox.start()
    try:
        desk = Desk(sandbox)
        await reader_looked(desk)
        yield desk
    finally:
        await sandbox.stop()


async def reader_looked(desk: Desk, more_than: int = 0) -> None:
    inbox = desk.sb.app.mail_inbox
    await eventually(lambda: inbox.looks > more_than, message="the bridge never read its mailbox")


async def filed_and_mailed(desk: Desk, smtp: SmtpSink) -> tuple[int, str]:
    number = await file_case(desk)
    await desk.sb.app.mail.wait_idle()
    return number, smtp.accepted[-1]["Message-ID"]


def helpdesk_texts(desk: Desk, chat_id: int, thread_id: int | None = None) -> list[str]:
    """The HelpDesk's words relayed into a chat (its files come as documents beside them)."""
    return [m.text for m in desk.emu.bot_messages(chat_id, thread_id) if m.kind == "text" and "HelpDesk" in m.text]


async def relayed(desk: Desk, count: int = 1) -> None:
    await eventually(lambda: len(helpdesk_texts(desk, desk.partner)) >= count,
                     message="the reply never reached the partner")
    await desk.settle()


async def test_an_outlook_reply_reaches_partner_and_topic_once_also_after_a_restart(mail_desk, smtp, dovecot):
    desk = mail_desk
    number, root = await filed_and_mailed(desk, smtp)
    thread = desk.topic_of(number)
    await dovecot.deliver(outlook_reply(number, root))
    await relayed(desk)

    assert helpdesk_texts(desk, desk.partner) == [f"📨 HelpDesk · заявка №{number}\n{OWN_WORDS}"]
    assert helpdesk_texts(desk, desk.group, thread) == [
        f"📨 HelpDesk ({HELPDESK_MAN}), передано партнёру:\n{OWN_WORDS}"]
    for chat, topic in ((desk.partner, None), (desk.group, thread)):
        files = [m for m in desk.emu.bot_messages(chat, topic) if m.kind == "document"]
        assert [m.raw["document"]["file_name"] for m in files] == ["Бюллетень 2.840.pdf"]
        assert desk.emu.world.files.get(files[0].raw["document"]["file_id"]).data == b"%PDF-1.4 bulletin"
        assert files[0].caption == f"📨 HelpDesk · заявка №{number}: Бюллетень 2.840.pdf"

    await desk.sb.restart()
    await reader_looked(desk)
    await desk.settle()
    assert len(helpdesk_texts(desk, desk.partner)) == 1
    assert len(helpdesk_texts(desk, desk.group, thread)) == 1
    # The HelpDesk's answer is not mailed back to the HelpDesk.
    await desk.sb.app.mail.wait_idle()
    assert not [m for m in smtp.accepted if OWN_WORDS in m.get_body(preferencelist=("plain",)).get_content()]

    # A second reply later is relayed too, once.
    await dovecot.deliver(cp1251_reply_without_tag(root))
    await relayed(desk, 2)
    assert helpdesk_texts(desk, desk.partner)[1] == (
        f"📨 HelpDesk · заявка №{number}\nПроверьте, пожалуйста, включён ли детектор в расписании записи.")


async def test_a_reply_that_lost_its_tag_but_keeps_references_finds_the_case(mail_desk, smtp, dovecot):
    desk = mail_desk
    number, root = await filed_and_mailed(desk, smtp)
    await dovecot.deliver(cp1251_reply_without_tag(root))
    await relayed(desk)
    assert helpdesk_texts(desk, desk.partner) == [
        f"📨 HelpDesk · заявка №{number}\nПроверьте, пожалуйста, включён ли детектор в расписании записи."]
    assert len(helpdesk_texts(desk, desk.group, desk.topic_of(number))) == 1


async def test_a_sender_not_allowed_reaches_nobody_and_the_admins_hear_one_line(mail_desk, smtp, dovecot):
    desk = mail_desk
    number, root = await filed_and_mailed(desk, smtp)
    looks = desk.sb.app.mail_inbox.looks
    await dovecot.deliver(outlook_reply(number, root, sender="spam@elsewhere.test"))
    await eventually(lambda: any("spam@elsewhere.test" in t for t in desk.texts_to(desk.admin)),
                     message="the admins were not told")
    await reader_looked(desk, looks)
    await desk.settle()
    assert helpdesk_texts(desk, desk.partner) == []
    assert helpdesk_texts(desk, desk.group, desk.topic_of(number)) == []
    assert [m for m in desk.emu.bot_messages(desk.partner) if m.kind == "document"] == []
    told = [t for t in desk.texts_to(desk.admin) if "elsewhere" in t]
    assert told == [f"✉️ Письмо от spam@elsewhere.test («RE: [Торус №{number}] {MODEL} — ООО Ромашка») "
                    "никому не передано: отправителя нет в MAIL_ALLOWED_SENDERS."]


async def test_a_mail_naming_no_case_reaches_nobody_and_the_admins_hear_of_it(mail_desk, smtp, dovecot):
    desk = mail_desk
    await filed_and_mailed(desk, smtp)
    raw = (f"From: {HELPDESK_MAN}\r\nTo: {BRIDGE}\r\nSubject: {b_word('Вопрос без номера', 'koi8-r')}\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nЗдравствуйте!\r\n").encode()
    await dovecot.deliver(raw)
    await eventually(lambda: any("Вопрос без номера" in t for t in desk.texts_to(desk.admin)),
                     message="the admins were not told")
    await desk.settle()
    assert helpdesk_texts(desk, desk.partner) == []
    assert [t for t in desk.texts_to(desk.admin) if "Вопрос без номера" in t] == [
        f"✉️ Письмо от {HELPDESK_MAN} («Вопрос без номера») никому не передано: в нём не найден номер заявки."]


@pytest.mark.parametrize("dovecot", [False], indirect=True)
async def test_without_idle_the_bridge_polls(mail_desk, smtp, dovecot):
    desk = mail_desk
    inbox = desk.sb.app.mail_inbox
    number, root = await filed_and_mailed(desk, smtp)
    await dovecot.deliver(outlook_reply(number, root, with_file=False))
    await relayed(desk)
    assert helpdesk_texts(desk, desk.partner) == [f"📨 HelpDesk · заявка №{number}\n{OWN_WORDS}"]
    assert inbox.idle_used is False
