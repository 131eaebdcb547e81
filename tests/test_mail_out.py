"""The HelpDesk bridge, out: each case reaches a real SMTP server (aiosmtpd on loopback) once, with its
files, a stable Message-ID and its later events as replies in the thread."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.clock import MSK
from bot.sandbox import Sandbox
from bot.storage.database import Database
from tests.flows import MODEL, PNG, file_case, run_dialog_to_attachments, finish_after_attachments
from tests.helpers import Desk
from tests.test_faults import BotProcess
from tests.mail_servers import BRIDGE, HELPDESK, eventually, free_port, mail_settings, smtp  # noqa: F401

PNG2 = PNG[:-12] + b"\x00\x00\x00\x00IEND\xaeB`\x82"  # another file's bytes (Telegram tells files apart by content)


@pytest.fixture
async def mail_desk(tmp_path, clock, smtp):
    # IMAP points at a closed port here: the reader keeps retrying quietly; these tests are about sending.
    sandbox = Sandbox(workdir=tmp_path, clock=clock, settings=mail_settings(smtp, free_port()))
    await sandbox.start()
    try:
        yield Desk(sandbox)
    finally:
        await sandbox.stop()


async def mails_settled(desk: Desk) -> None:
    await desk.sb.app.mail.wait_idle()
    await desk.settle()


def parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    files = [(p.get_filename(), p.get_content_type(), p.get_content()) for p in message.iter_attachments()]
    return text, html, files


async def test_a_case_with_two_photos_reaches_the_helpdesk_once_with_both(mail_desk, smtp):
    desk = mail_desk
    await run_dialog_to_attachments(desk)
    await desk.partner_sends_photo(data=PNG)
    await desk.partner_sends_photo(data=PNG2)
    await desk.partner_presses("Готово")
    await finish_after_attachments(desk)
    await mails_settled(desk)

    assert len(smtp.accepted) == 1
    mail = smtp.accepted[0]
    desk_id = await desk.sb.app.mail.desk_id()
    assert mail["Subject"] == f"[Торус №1001] {MODEL} — ООО Ромашка"
    assert mail["Message-ID"] == f"<torus-{desk_id}-case-1001@desk.test>"
    assert mail["From"] == BRIDGE and mail["To"] == HELPDESK
    text, html, files = parts(mail)
    assert files == [("photo-1.jpg", "image/jpeg", PNG), ("photo-2.jpg", "image/jpeg", PNG2)]
    for field in ("Заявка: №1001", "Тип: Проблема с настройкой", f"Оборудование: Dahua {MODEL}",
                  "Серийный номер: 7J0123456789ABC", "Контактное лицо: Иван Петров", "Компания: ООО Ромашка",
                  "Телефон: +79991234567", "Telegram: @ivan_montazh, id 1001",
                  "Поступила: 24.11.2026 10:00 МСК", "Реакция до: 24.11.2026 18:00 МСК (уровень 2)",
                  "Файлы: вложены: photo-1.jpg, photo-2.jpg", "Камера не отправляет события"):
        assert field in text, (field, text.splitlines())
    assert "вне рабочего времени" not in text
    assert "<th align=\"left\" valign=\"top\">Серийный номер</th><td>7J0123456789ABC</td>" in html
    assert "Реакция до" in html and "ООО Ромашка" in html
    row = await desk.sb.app.db.fetchone("SELECT state, message_id FROM mail_outbox WHERE event = 'new_case'")
    assert (row["state"], row["message_id"]) == ("done", mail["Message-ID"])



async def test_after_hours_mark_in_the_mail(mail_desk, smtp):
    desk = mail_desk
    desk.sb.set_now(datetime(2026, 11, 24, 22, 30, tzinfo=MSK))
    await file_case(desk)
    await mails_settled(desk)
    text, html, _ = parts(smtp.accepted[0])
    assert "Поступила: 24.11.2026 22:30 МСК — вне рабочего времени" in text
    assert "вне рабочего времени" in html
    assert "Файлы: нет" in text


async def test_later_events_are_replies_in_the_thread_without_internal_notes(mail_desk, smtp):
    desk = mail_desk
    number = await file_case(desk)
    thread = desk.topic_of(number)
    await desk.engineer_presses("Взять", thread)
    await desk.engineer_writes("Пришлите, пожалуйста, скриншот настроек детектора.", thread)
    await desk.engineer_writes("# внутренняя заметка: похоже на баг прошивки", thread)
    await desk.partner_says("Скриншот пришлю через час.")
    await desk.sb.app.cases.to_vendor(number, desk.engineer, "Алексей", "Передано в Dahua, тикет 777")
    await desk.sb.app.cases.resolve(number, desk.engineer, "Алексей", "Обновите прошивку до 2.840")
    await desk.settle()
    await desk.partner_presses("Да, решена")
    await mails_settled(desk)

    root = smtp.accepted[0]["Message-ID"]
    replies = smtp.accepted[1:]
    assert [m["In-Reply-To"] for m in replies] == [root] * len(replies)
    assert all(m["References"] == root for m in replies)
    assert all(m["Subject"] == f"Re: [Торус №{number}] {MODEL} — ООО Ромашка" for m in replies)
    ids = [m["Message-ID"] for m in smtp.accepted]
    assert len(set(ids)) == len(ids)
    bodies = [parts(m)[0] for m in replies]
    expected = ["занимается Алексей, инженер поддержки", "Пришлите, пожалуйста, скриншот настроек детектора.",
                "Скриншот пришлю через час.", "передана производителю", "Передано в Dahua, тикет 777",
                "решена", "Обновите прошивку до 2.840", "закрыта"]
    joined = "\n---\n".join(bodies)
    positions = [joined.find(fragment) for fragment in expected]
    assert -1 not in positions, (expected, joined)
    assert positions == sorted(positions)  # in the order they happened
    assert "внутренняя заметка" not in joined
    assert len(replies) == 6  # claimed, engineer, partner, vendor, resolved, closed


async def test_a_temporary_refusal_is_retried_and_sent_once(mail_desk, smtp):
    desk = mail_desk
    smtp.answers = ["451 4.3.0 Try again later"]
    await file_case(desk)
    await mails_settled(desk)
    assert len(smtp.seen) == 2 and len(smtp.accepted) == 1
    row = await desk.sb.app.db.fetchone("SELECT state, attempts FROM mail_outbox")
    assert (row["state"], row["attempts"]) == ("done", 1)
    assert smtp.seen[0]["Message-ID"] == smtp.seen[1]["Message-ID"]
    assert not [t for t in desk.texts_to(desk.admin) if "HelpDesk" in t]


async def test_a_permanent_refusal_fails_the_mail_and_tells_the_admins(mail_desk, smtp):
    desk = mail_desk
    smtp.answers = ["554 5.7.1 Message rejected as spam"]
    first = await file_case(desk)
    await mails_settled(desk)
    assert smtp.accepted == [] and len(smtp.seen) == 1
    row = await desk.sb.app.db.fetchone("SELECT state, error FROM mail_outbox")
    assert row["state"] == "failed" and row["error"].startswith("554")
    told = [t for t in desk.texts_to(desk.admin) if "HelpDesk" in t]
    assert told == [f"✉️ Письмо в HelpDesk по заявке №{first} не принято почтовым сервером: "
                    "554 5.7.1 Message rejected as spam"]
    # The queue goes on: the next event is sent.
    await desk.engineer_presses("Взять", desk.topic_of(first))
    await mails_settled(desk)
    assert len(smtp.accepted) == 1 and "занимается Алексей" in parts(smtp.accepted[0])[0]


async def test_files_over_the_mail_limit_are_listed_by_name(mail_desk, smtp):
    desk = mail_desk
    await run_dialog_to_attachments(desk)
    await desk.partner_sends("document", file_name="journal.log", data=b"log line\n" * 10)
    await desk.partner_sends("document", file_name="record.mp4", file_size=16 * 1024 * 1024)
    await desk.partner_sends("document", file_name="huge.dav", file_size=30 * 1024 * 1024)
    await desk.partner_presses("Готово")
    await finish_after_attachments(desk)
    await mails_settled(desk)
    text, html, files = parts(smtp.accepted[0])
    assert [f[0] for f in files] == ["journal.log"]
    assert files[0][2] == "log line\n" * 10 or files[0][2] == b"log line\n" * 10
    assert ("Файлы: вложены: journal.log; не вложены: больше лимита письма, файлы есть в Telegram: "
            "record.mp4, huge.dav") in text


async def test_sigkill_during_the_send_and_a_restart_resend_the_same_message_id(tmp_path, smtp):
    """The mail server takes the DATA but never answers while the bot process is killed with
    SIGKILL; the next process sends the mail again, and the HelpDesk sees the same Message-ID."""
    smtp.hold.clear()  # every DATA waits: the sender is caught in the middle of sending
    sandbox = Sandbox(workdir=tmp_path, settings=mail_settings(smtp, free_port()))
    await sandbox.start()
    desk = Desk(sandbox)
    process = BotProcess(sandbox, tmp_path)
    try:
        number = await file_case(desk)
        await eventually(lambda: len(smtp.seen) == 1, message="the mail never reached the server")
        await sandbox.stop_bot()  # the in-process bot stops mid-send; a real process takes over
        await process.start()
        await eventually(lambda: len(smtp.seen) == 2, message="the bot process did not send the mail")
        process.kill()
        smtp.hold.set()
        await process.start()
        await eventually(lambda: len(smtp.seen) == 3, message="the restarted bot did not send the mail again")
        db = await Database.open(tmp_path / "sandbox.sqlite3")
        try:
            await eventually(lambda: _mail_state(db, "done"), message="the mail was not marked sent")
            rows = await db.fetchall("SELECT event, message_id FROM mail_outbox")
        finally:
            await db.close()
    finally:
        if process.proc and process.proc.poll() is None:
            process.kill()
        await sandbox.stop()
    ids = [m["Message-ID"] for m in smtp.seen]
    assert len(set(ids)) == 1 and ids[0].endswith(f"-case-{number}@desk.test>")
    assert [tuple(r) for r in rows] == [("new_case", ids[0])]
    assert len({m["Date"] for m in smtp.seen}) == 1  # the same mail, not a new one


async def _mail_state(db: Database, state: str) -> bool:
    row = await db.fetchone("SELECT state FROM mail_outbox")
    return row["state"] == state
