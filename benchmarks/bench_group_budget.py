"""Benchmark: how many calls into the engineers' group one typical case costs, by method.

The issue's typical case, end to end against the emulator: filed with an album of three photos and a
document, claimed, five messages each way, one /info question answered, resolved, confirmed by the
partner, rated. Telegram lets a bot send about 20 messages a minute into one group, so the count says
how many such cases an hour one group carries."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.compat import install_lazy_validators  # noqa: E402

install_lazy_validators()

from bot.clock import MSK, FixedClock  # noqa: E402
from bot.sandbox import Sandbox  # noqa: E402
from tests.flows import PNG, finish_after_attachments, run_dialog_to_attachments  # noqa: E402
from tests.helpers import Desk  # noqa: E402

GROUP_PER_MINUTE = 20
# Calls that spend the group's budget: what the bot sends or changes there (reads are not counted).
# What the typical case costs now, by method (the README's "after" column; tests/test_group_budget.py checks it).
EXPECTED = {"createForumTopic": 1, "sendMessage": 7, "sendMediaGroup": 1, "sendDocument": 1, "editMessageText": 6,
            "closeForumTopic": 1, "setMessageReaction": 5}  # the five engineer's answers, marked once delivered
READS = ("getchat", "getchatmember", "getchatadministrators", "getme", "getupdates", "answercallbackquery")


async def typical_case(desk: Desk) -> None:
    await run_dialog_to_attachments(desk)
    for index in range(3):
        await desk.emu.send_photo(desk.partner, data=PNG, media_group_id="album-1", caption=None if index else "Экран")
    await desk.settle()
    await desk.partner_sends("document", file_name="config.xml", data=b"<config/>")
    await desk.partner_presses("Готово")
    await finish_after_attachments(desk)
    row = await desk.sb.app.db.fetchone("SELECT MAX(id) FROM cases")
    case_id = row[0]
    thread = desk.topic_of(case_id)
    await desk.engineer_presses("Взять в работу", thread)
    for n in range(5):
        await desk.engineer_writes(f"Вопрос инженера {n + 1}", thread)
        await desk.partner_says(f"Ответ партнёра {n + 1}")
    await desk.engineer_writes("/info фото раздела «Сеть»", thread)
    await desk.partner_says("Вот настройки сети")
    await desk.partner_presses("Готово")
    await desk.engineer_writes("/resolve обновите прошивку, настройки сохранятся", thread)
    await desk.partner_presses("Да, решена")
    await desk.partner_presses("5")
    await desk.settle()


def group_calls(desk: Desk, since: int) -> Counter:
    counts: Counter = Counter()
    for call in desk.emu.calls()[since:]:
        if call.method.lower() in READS:
            continue
        if str(call.params.get("chat_id")) == str(desk.group):
            counts[call.method] += 1
    return counts


async def main() -> None:
    from datetime import datetime

    with tempfile.TemporaryDirectory() as workdir:
        clock = FixedClock(datetime(2026, 11, 24, 10, 0, tzinfo=MSK))
        sandbox = Sandbox(workdir=Path(workdir), clock=clock)
        await sandbox.start()
        try:
            desk = Desk(sandbox)
            since = len(desk.emu.calls())
            await typical_case(desk)
            counts = group_calls(desk, since)
        finally:
            await sandbox.stop()
    total = sum(counts.values())
    print(f"group calls for one typical case: {total}")
    for method, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {method:<22} {n}")
    print(f"cases an hour one group carries at {GROUP_PER_MINUTE}/min: {GROUP_PER_MINUTE * 60 // total}")


if __name__ == "__main__":
    asyncio.run(main())
