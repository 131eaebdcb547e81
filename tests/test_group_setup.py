"""The engineers' group set up wrongly: at start-up each problem is one log line and a message to the
admins naming the group and the fix; /reload says what is fixed; `python -m bot check` exits non-zero."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

import pytest

from bot import texts
from bot.sandbox import Sandbox
from bot.sandbox.harness import GROUP_ID, GROUP_TITLE
from tests.flows import file_case
from tests.helpers import Desk

ROOT = Path(__file__).resolve().parents[1]
NO_TOPIC_RIGHTS = {"can_manage_topics": False}


async def start_desk(tmp_path, clock, *, forum: bool = True, settings=None, bot_status: str | None = None,
                     rights=None) -> Desk:
    sandbox = Sandbox(workdir=tmp_path, clock=clock, forum=forum, settings={"label_ocr": False, **(settings or {})})
    await sandbox.start(with_bot=False)
    if bot_status is not None:
        sandbox.emu.set_bot_member(GROUP_ID, bot_status, rights=rights)
    await sandbox.start_bot()
    desk = Desk(sandbox)
    await desk.settle()
    return desk


def problem_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.services.group_check"]


def to_admin(desk: Desk) -> list[str]:
    return desk.texts_to(desk.admin)


CASES = [
    # (how the group is set up wrongly, the problem, a word of its log line)
    (dict(bot_status="left"), "not_member", "not a member"),
    (dict(bot_status="member"), "not_admin", "not an administrator"),
    (dict(bot_status="administrator", rights=NO_TOPIC_RIGHTS), "no_topic_rights", "Manage topics"),
    (dict(forum=False), "no_topics", "topics are off"),
    (dict(settings={"engineers_chat_id": -1009999999999}), "missing", "knows no such chat"),
]


@pytest.mark.parametrize(("setup", "problem", "logged"), CASES, ids=[c[1] for c in CASES])
async def test_a_wrong_set_up_is_one_log_line_and_one_message_to_the_admins(tmp_path, clock, caplog, setup,
                                                                           problem, logged):
    caplog.set_level(logging.WARNING, logger="bot.services.group_check")
    desk = await start_desk(tmp_path, clock, **setup)
    try:
        lines = problem_lines(caplog)
        assert len(lines) == 1 and logged in lines[0]
        group_id = setup.get("settings", {}).get("engineers_chat_id", GROUP_ID)
        told = [t for t in to_admin(desk) if t.startswith("⚠️ Группа инженеров")]
        # The group is named by its title when Telegram still shows it to the bot, else by its id.
        title = GROUP_TITLE if problem in ("not_admin", "no_topic_rights", "no_topics") else None
        expected = texts.setup_problem(group_id, title, problem)
        assert told == [expected.replace("<b>", "").replace("</b>", "")]
        assert str(group_id) in told[0] and "/reload" in told[0]
    finally:
        await desk.sb.stop()


async def test_a_right_set_up_tells_the_admins_nothing(desk, caplog):
    assert not [t for t in desk.texts_to(desk.admin) if "Группа инженеров" in t]


async def test_topics_off_says_which_mode_the_desk_uses_and_cases_still_arrive(tmp_path, clock):
    desk = await start_desk(tmp_path, clock, forum=False)
    try:
        told = [t for t in to_admin(desk) if t.startswith("⚠️ Группа инженеров")]
        assert len(told) == 1 and "в общий чат группы" in told[0] and "включите «Темы»" in told[0]
        number = await file_case(desk)
        cards = [m for m in desk.emu.bot_messages(desk.group) if f"Заявка №{number}" in (m.text or "")]
        assert len(cards) == 1 and not desk.emu.topics(desk.group)
    finally:
        await desk.sb.stop()


async def test_topic_rights_given_then_reload_says_fixed_and_the_waiting_card_arrives_once(tmp_path, clock):
    desk = await start_desk(tmp_path, clock, bot_status="administrator", rights=NO_TOPIC_RIGHTS)
    try:
        number = await file_case(desk)
        assert not desk.emu.topics(desk.group)  # the card waits: no topic can be made
        desk.emu.set_bot_member(GROUP_ID, "administrator")
        await desk.settle()
        await desk.emu.send_text(desk.admin, "/reload")
        await desk.settle()
        # The answer to /reload (the outbox's "reachable again" may come after it).
        answer = next(t for t in reversed(to_admin(desk)) if "Каталог прошивок" in t)
        assert texts.setup_fixed(GROUP_ID, GROUP_TITLE, ["no_topic_rights"]) in answer
        assert "⚠️ Группа инженеров" not in answer
        cards = [m for m in desk.emu.bot_messages(desk.group, desk.topic_of(number))
                 if f"Заявка №{number}" in (m.text or "")]
        assert len(cards) == 1 and len(desk.open_topics()) == 1
    finally:
        await desk.sb.stop()


async def test_reload_says_what_is_still_wrong(tmp_path, clock):
    desk = await start_desk(tmp_path, clock, bot_status="member")
    try:
        await desk.emu.send_text(desk.admin, "/reload")
        await desk.settle()
        answer = desk.emu.last_bot_message(desk.admin).text
        assert texts.SETUP_FIXES["not_admin"] in answer and "исправлено" not in answer
    finally:
        await desk.sb.stop()


async def run_check(sandbox: Sandbox, workdir: Path, **env_overrides) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "ENGINEERS_"))}
    env.update(sandbox.bot_environment())
    env.update(env_overrides)
    env["PYTHONPATH"] = str(ROOT)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "check", cwd=workdir, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode, out.decode(), err.decode()


async def test_python_m_bot_check_reports_each_misconfiguration_and_exits_non_zero(tmp_path, clock):
    sandbox = Sandbox(workdir=tmp_path, clock=clock)
    await sandbox.start(with_bot=False)
    try:
        code, out, err = await run_check(sandbox, tmp_path)
        assert code == 0 and f"«{GROUP_TITLE}» ({GROUP_ID})" in out and not err.strip()
        setups = [
            ("not_member", lambda: sandbox.emu.set_bot_member(GROUP_ID, "left"), {}),
            ("not_admin", lambda: sandbox.emu.set_bot_member(GROUP_ID, "member"), {}),
            ("no_topic_rights",
             lambda: sandbox.emu.set_bot_member(GROUP_ID, "administrator", rights=NO_TOPIC_RIGHTS), {}),
            ("missing", lambda: None, {"ENGINEERS_CHAT_ID": "-1009999999999"}),
        ]
        for problem, break_it, env in setups:
            break_it()
            code, out, err = await run_check(sandbox, tmp_path, **env)
            assert code == 1, (problem, out, err)
            assert texts.SETUP_FIXES[problem] in err, (problem, err)
        sandbox.emu.world.chats[GROUP_ID].is_forum = False
        sandbox.emu.set_bot_member(GROUP_ID, "administrator")
        code, out, err = await run_check(sandbox, tmp_path)
        assert code == 1 and "в общий чат группы" in err
    finally:
        await sandbox.stop()


async def test_topics_switched_on_then_reload_says_fixed_and_the_next_case_gets_its_topic(tmp_path, clock):
    desk = await start_desk(tmp_path, clock, forum=False)
    try:
        first = await file_case(desk)
        assert not desk.emu.topics(desk.group)  # topics off: the card went to the group itself
        desk.emu.world.chats[GROUP_ID].is_forum = True
        await desk.emu.send_text(desk.admin, "/reload")
        await desk.settle()
        answer = next(t for t in reversed(to_admin(desk)) if "Каталог прошивок" in t)
        assert texts.setup_fixed(GROUP_ID, GROUP_TITLE, ["no_topics"]) in answer
        second = await file_case(desk, user=desk.partner2)
        assert second != first and desk.card_of(second).text.startswith(f"📋 Заявка №{second}")
    finally:
        await desk.sb.stop()
