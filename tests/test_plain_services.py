"""Services know nothing of aiogram: keyboards are queued as plain rows and built only when sent."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from bot import keyboards, texts
from bot.callbacks import CaseCb, FeedbackCb
from tests.flows import file_case

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ROOT / "bot" / "services"


def test_no_module_under_bot_services_imports_aiogram():
    offences = []
    for path in sorted(SERVICES.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):  # function-level imports count too
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offences += [f"{path.relative_to(ROOT)}:{node.lineno}: {n}" for n in names if n.split(".")[0] == "aiogram"]
    assert offences == []


def test_importing_every_service_loads_no_aiogram_at_all():
    # Not even through bot.keyboards, bot.callbacks or the outbox sender.
    code = ("import importlib, pkgutil, sys, bot.services as s\n"
            "for m in pkgutil.iter_modules(s.__path__): importlib.import_module('bot.services.' + m.name)\n"
            "print(sorted(n for n in sys.modules if n.split('.')[0] == 'aiogram'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


async def _partner_rows(desk, case_id: int) -> list[dict]:
    rows = await desk.sb.app.db.fetchall(
        "SELECT payload FROM outbox WHERE chat_id = ? AND case_id = ? ORDER BY id", (desk.partner, case_id))
    return [json.loads(row[0]) for row in rows]


async def test_keyboards_are_queued_as_plain_rows_and_built_when_sent(desk):
    case_id = await file_case(desk)
    accepted = next(p for p in await _partner_rows(desk, case_id) if "menu" in p)
    assert accepted["menu"] == [[texts.MENU_NEW_CASE, texts.MENU_MY_CASES], [texts.MENU_FIRMWARE, texts.MENU_CONTACTS]]
    assert "reply_markup" not in accepted
    menu = desk.emu.bot_messages(desk.partner)[-1].reply_markup
    assert [[b["text"] for b in row] for row in menu["keyboard"]] == accepted["menu"]
    assert menu["is_persistent"] and menu["resize_keyboard"]

    thread = desk.topic_of(case_id)
    await desk.engineer_presses("Взять", thread)
    await desk.engineer_presses("Шаблоны ответов", thread)
    canned = json.loads((await desk.sb.app.db.fetchone(
        "SELECT payload FROM outbox WHERE chat_id = ? AND payload LIKE '%buttons%' ORDER BY id DESC LIMIT 1",
        (desk.group,)))[0])
    assert canned["buttons"][0] == [[canned["buttons"][0][0][0], CaseCb(action="reply", case_id=case_id).pack()]]
    assert desk.buttons(desk.last_to(desk.group, thread))[0][1] == CaseCb(action="reply", case_id=case_id).pack()
    await desk.engineer_writes("/resolve обновите прошивку", thread)
    question = next(p for p in await _partner_rows(desk, case_id) if "buttons" in p)
    assert question["buttons"] == [[["👍 Да, решена", FeedbackCb(action="solved", case_id=case_id).pack()],
                                    ["👎 Нет", FeedbackCb(action="unsolved", case_id=case_id).pack()]]]
    assert "reply_markup" not in question
    assert desk.buttons(desk.last_to_partner()) == [tuple(b) for b in question["buttons"][0]]


async def test_items_stored_with_the_old_keyboard_shape_are_still_delivered(desk):
    # A live outbox may hold rows written before keyboards were kept as plain rows: aiogram's dumped markup.
    case_id = await file_case(desk)
    app = desk.sb.app
    async with app.db.batch() as conn:
        await app.outbox.repo.enqueue(conn, desk.partner, "send_message", {
            "text": "старая строка с кнопками",
            "reply_markup": keyboards.solved_question(case_id).model_dump(exclude_none=True)}, case_id)
        await app.outbox.repo.enqueue(conn, desk.partner, "send_message", {
            "text": "старая строка с меню", "reply_markup": keyboards.main_menu().model_dump(exclude_none=True)}, case_id)
    app.outbox.wake()
    await desk.settle()
    *_, with_buttons, with_menu = desk.emu.bot_messages(desk.partner)
    assert with_buttons.text == "старая строка с кнопками"
    assert desk.buttons(with_buttons) == [("👍 Да, решена", FeedbackCb(action="solved", case_id=case_id).pack()),
                                          ("👎 Нет", FeedbackCb(action="unsolved", case_id=case_id).pack())]
    assert with_menu.text == "старая строка с меню"
    assert [[b["text"] for b in row] for row in with_menu.reply_markup["keyboard"]] == keyboards.main_menu_rows()
