"""Admin commands end to end: statistics, export, bans, broadcasts, engineers, help and menus."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from bot import texts
from bot.services import export
from tests.flows import file_case


async def admin_says(desk, text: str):
    await desk.emu.send_text(desk.admin, text)
    await desk.settle()
    return desk.last_to(desk.admin)


async def busy_desk(desk, clock):
    """Three cases: one closed with a rating, one claimed, one new."""
    first = await file_case(desk, user=desk.partner)
    thread = desk.topic_of(first)
    clock.advance(timedelta(minutes=30))
    await desk.engineer_presses("Взять", thread)
    clock.advance(timedelta(hours=1))
    await desk.engineer_writes("/resolve включили отправку событий", thread)
    await desk.partner_presses("Да, решена")
    await desk.partner_presses("4")
    second = await file_case(desk, user=desk.partner2)
    await desk.engineer_presses("Взять", desk.topic_of(second))
    third = await file_case(desk, user=desk.partner)
    return first, second, third


async def test_stats_report_and_chart(desk, clock):
    await busy_desk(desk, clock)
    await desk.emu.send_text(desk.admin, "/stats неделя")
    await desk.settle()
    sent = desk.emu.bot_messages(desk.admin)
    report = next(m for m in sent if m.text and m.text.startswith("📊"))
    for fragment in ("Всего заявок: 3", "закрыта: 1", "в работе: 1", "новая: 1", "Проблема с настройкой: 3",
                     "Dahua: 3", "до взятия: медиана 0 ч 15 мин", "4.0 из 5 (оценок: 1)",
                     "DH-IPC-HFW2431SP-S-0280B: 3", "Вне рабочего времени: 0%", "Как поступили\nTelegram: 3"):
        assert fragment in report.text, fragment
    assert "Копия в HelpDesk" not in report.text  # the e-mail bridge is off here
    chart = sent[-1]
    assert chart.kind == "photo" and desk.emu.file_bytes(chart.raw["photo"][-1]["file_id"]).startswith(b"\x89PNG")
    bad = await admin_says(desk, "/stats позавчера")
    assert bad.text.startswith("Период не распознан: дата «позавчера» не распознана")


async def test_export_csv_parses_back_to_the_database(desk, clock):
    await busy_desk(desk, clock)
    await admin_says(desk, "/export 2026-11-01 2026-11-30")
    document = desk.last_to(desk.admin)
    assert document.kind == "document" and document.raw["document"]["file_name"].endswith(".csv")
    data = desk.emu.file_bytes(document.raw["document"]["file_id"])
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    repo = desk.sb.app.cases.cases
    cases = {c.id: c for c in await repo.created_between(clock.now() - timedelta(days=30), clock.now() + timedelta(days=1))}
    assert [int(r["Номер"]) for r in rows] == sorted(cases)
    for row in rows:
        case = cases[int(row["Номер"])]
        assert row["Статус"] == texts.engineer_status_label(case.status) and row["Модель"] == case.model
        assert row["Телефон"] == "'" + case.contact_phone and row["Компания"] == (case.contact_company or "")
        assert row["Инженер"] == (case.claimed_by_name or "") and row["Оценка"] == str(case.rating or "")
        assert row["Описание"] == case.description and row["Поступила"] == case.created_at.strftime("%Y-%m-%d %H:%M")
        history = await repo.history(case.id)
        assert row["История"].count("|") == len(history) - 1
        assert row["Канал"] == "Telegram" and row["Копия в HelpDesk"] == "нет"  # the e-mail bridge is off
    closed = next(r for r in rows if r["Статус"] == "закрыта")
    assert "resolved (Алексей): включили отправку событий" in closed["История"]
    empty = await admin_says(desk, "/export 2020-01-01 2020-01-31")
    assert "заявок нет" in empty.text


HOSTILE = {
    "Марка": '=HYPERLINK("http://e.vil/?a=1&b=2","<Dahua>")',
    "Модель": "@SUM(A1:A9)",
    "Описание": "=1+1 камера не пишет архив на диск",
    "Контакт": "=cmd|' /C calc'!A0",
    "Компания": "+ООО Ромашка",
    "Комментарий к оценке": "-2+3 спасибо",
    "Инженер": "=Злой",
}


async def test_export_neutralises_formulas_and_reads_the_same_to_a_person(desk, clock):
    # Everything a partner or an engineer can type or be called that ends up at the start of a cell.
    await desk.partner_says("📝 Новая заявка")
    await desk.partner_presses("Проблема с настройкой")
    await desk.partner_presses("Другая марка")
    for answer in (HOSTILE["Марка"], HOSTILE["Модель"]):
        await desk.partner_says(answer)
    await desk.partner_presses("Нет под рукой")
    await desk.partner_says(HOSTILE["Описание"])
    await desk.partner_presses("Готово")
    await desk.partner_presses("Да")
    for answer in (HOSTILE["Контакт"], HOSTILE["Компания"], "+7 999 123-45-67"):
        await desk.partner_says(answer)
    await desk.partner_presses("Отправить")
    desk.emu.add_user(5151, HOSTILE["Инженер"])
    desk.emu.add_member(desk.group, 5151)
    thread = desk.topic_of(1001)
    await desk.engineer_presses("Взять", thread, user=5151)
    await desk.engineer_writes("/resolve @всё настроили", thread, user=5151)
    await desk.partner_presses("Да, решена")
    await desk.partner_presses("4")
    await desk.partner_says(HOSTILE["Комментарий к оценке"])
    case = await desk.sb.app.cases.cases.get(1001)
    assert (case.brand, case.model, case.contact_name, case.claimed_by_name) == (
        HOSTILE["Марка"], HOSTILE["Модель"], HOSTILE["Контакт"], HOSTILE["Инженер"])

    document = await admin_says(desk, "/export")
    data = desk.emu.file_bytes(document.raw["document"]["file_id"])
    [row] = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    for column, value in HOSTILE.items():
        # Plain text to a CSV reader; Excel and LibreOffice take the apostrophe as "text" and hide it.
        assert row[column] == "'" + value, column
    assert row["Телефон"] == "'+79991234567"
    assert row["Номер"] == "1001" and row["Оценка"] == "4"
    assert not [v for v in row.values() if v[:1] in ("=", "+", "-", "@", "\t", "\r")]
    # The other report an admin gets: the brand is shown literally, not as broken HTML.
    await admin_says(desk, "/stats")
    report = next(m for m in desk.emu.bot_messages(desk.admin) if m.text and m.text.startswith("📊"))
    assert f"{HOSTILE['Марка']}: 1" in report.text


def test_every_formula_start_is_neutralised_and_the_rest_left_alone():
    for value in ("=1", "+7 999", "-5", "@x", "\tTAB", "\rCR", " =1", "\u200b=1", "\n@x", "＝1"):
        assert export.neutralise(value) == "'" + value, repr(value)
    for value in ("", "abc", "a=b", "7-5", "№1001", 42):
        assert export.neutralise(value) == value, repr(value)


async def test_ban_by_case_number_notifies_once_and_survives_restart(desk):
    number = await file_case(desk, user=desk.partner2)
    answer = await admin_says(desk, f"/ban №{number} спам")
    assert f"Партнёр {desk.partner2} заблокирован" in answer.text and "спам" in answer.text
    await desk.sb.restart()
    before = len(desk.emu.bot_messages(desk.partner2))
    await desk.partner_says("/start", desk.partner2)
    await desk.partner_says("Ответьте!", desk.partner2)
    await desk.partner_says("📝 Новая заявка", desk.partner2)
    after = desk.emu.bot_messages(desk.partner2)[before:]
    assert [m.text for m in after] == [texts.BANNED_NOTICE]
    assert await desk.sb.app.cases.cases.get(number) is not None  # history kept
    await admin_says(desk, f"/unban {desk.partner2}")
    await desk.partner_says("/start", desk.partner2)
    assert "Здравствуйте" in desk.last_to_partner(desk.partner2).text
    assert (await admin_says(desk, "/ban 999999")).text == texts.BAN_NOT_FOUND.format(target="999999")
    assert texts.BAN_ADMIN == (await admin_says(desk, f"/ban {desk.admin}")).text


async def test_broadcast_with_preview_and_blocked_partners(desk):
    for user in (desk.partner, desk.partner2, 1003):
        await desk.partner_says("/start", user)
    desk.emu.block_bot(1003)  # Telegram tells the bot: skipped from now on
    desk.emu.faults.add(method="sendMessage", chat_id=desk.partner2, kind="blocked")  # found out by sending
    preview = await admin_says(desk, "/broadcast")
    assert preview.text == texts.BROADCAST_ASK
    await admin_says(desk, "Новая прошивка для <b>NVR4108HS-4KS3</b> уже на сервере.")
    question = desk.last_to(desk.admin)
    assert "Получателей: 3" in question.text  # two partners and the admin, not the one who blocked
    await desk.press(desk.admin, question, "Отправить")
    # The report comes once nothing of the broadcast is pending any more.
    await desk.emu.wait_for(lambda: "Рассылка завершена" in (desk.last_to(desk.admin).text or ""), timeout=10)
    assert "NVR4108HS-4KS3" in desk.last_to_partner(desk.partner).text
    report = desk.last_to(desk.admin).text
    assert "Доставлено: 2" in report and "Заблокировали бота: 1" in report and "другим причинам: 0" in report
    partner2 = await desk.sb.app.partners.get(desk.partner2)
    assert partner2.blocked_bot
    await admin_says(desk, "/broadcast Второе объявление")
    assert "Получателей: 2" in desk.last_to(desk.admin).text
    await desk.press(desk.admin, desk.last_to(desk.admin), "Отмена")
    assert desk.last_to(desk.admin).text == texts.BROADCAST_CANCELLED


async def test_engineers_lists_members_and_their_cases(desk):
    number = await file_case(desk)
    await desk.engineer_presses("Взять", desk.topic_of(number))
    await desk.engineer_writes("/mine", None, user=desk.engineer2)
    answer = await admin_says(desk, "/engineers")
    assert "Алексей (@alex_torus) — участник, в работе: 1" in answer.text
    assert "Мария (@maria_torus) — участник, в работе: 0" in answer.text


async def test_help_for_each_role_and_command_menus(desk):
    await desk.partner_says("/help")
    assert "Новая заявка" in desk.last_to_partner().text and "/stats" not in desk.last_to_partner().text
    await desk.engineer_writes("/help", None)
    assert "/queue" in desk.last_to(desk.group).text
    answer = await admin_says(desk, "/help")
    assert "/stats" in answer.text and "/broadcast" in answer.text
    partner_menu = [c["command"] for c in desk.emu.visible_commands(desk.partner)]
    admin_menu = [c["command"] for c in desk.emu.visible_commands(desk.admin)]
    group_menu = [c["command"] for c in desk.emu.visible_commands(desk.engineer, desk.group)]
    assert "new" in partner_menu and "stats" not in partner_menu
    assert "stats" in admin_menu and "new" in admin_menu
    assert "queue" in group_menu and "new" not in group_menu


@pytest.mark.parametrize("command", ["/stats", "/export", "/ban 1001", "/unban 1001", "/broadcast привет",
                                     "/reload", "/reload_catalogue", "/engineers"])
async def test_admin_commands_from_others_reveal_nothing(desk, command):
    await desk.partner_says(command)
    answer = desk.last_to_partner().text
    for secret in ("Статистика", "Заявки за", "заблокирован", "Получателей", "Каталог", "Инженеры", "календарь"):
        assert secret not in answer
    await desk.engineer_writes(command, None)
    assert all("Статистика" not in t and "Получателей" not in t for t in desk.texts_to(desk.group))
    assert not (await desk.sb.app.partners.get(1001) or type("P", (), {"banned": False})).banned


async def test_reload_rereads_catalogue_and_calendar_and_says_what_changed(desk):
    calendar_dir = desk.sb.settings.calendar_dir
    (calendar_dir / "2028.xml").write_bytes(
        (calendar_dir / "2027.xml").read_bytes().replace(b'year="2027"', b'year="2028"'))
    answer = await admin_says(desk, "/reload")
    assert "Каталог прошивок перечитан" in answer.text
    assert "2025, 2026, 2027, 2028" in answer.text and "было: 2025, 2026, 2027" in answer.text
    (calendar_dir / "2029.xml").write_text("<calendar year='2029'><days><day d='13.45' t='1'/></days></calendar>")
    answer = await admin_says(desk, "/reload")
    assert "Календарь не перечитан" in answer.text and "2029.xml" in answer.text
    assert 2028 in desk.sb.app.schedule.calendar.years_from_files  # the old calendar keeps working
