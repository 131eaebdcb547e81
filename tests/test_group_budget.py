"""The group budget, end to end: the typical case's calls into the group, and none that change nothing."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_group_budget  # noqa: E402


async def test_the_typical_case_spends_the_budget_the_readme_records_and_nothing_twice(desk):
    since = len(desk.emu.calls())
    await bench_group_budget.typical_case(desk)
    counts = bench_group_budget.group_calls(desk, since)
    assert dict(counts) == bench_group_budget.EXPECTED
    calls = [c for c in desk.emu.calls()[since:] if str(c.params.get("chat_id")) == str(desk.group)]
    cards = [c.params["text"] for c in calls if c.method.lower() == "editmessagetext"]
    assert all(a != b for a, b in zip(cards, cards[1:]))  # every card edit changed the card


async def test_what_the_cut_calls_said_is_still_in_the_topic(desk):
    await bench_group_budget.typical_case(desk)
    row = await desk.sb.app.db.fetchone("SELECT MAX(id) FROM cases")
    case_id = row[0]
    thread = desk.topic_of(case_id)
    card = desk.card_of(case_id).text
    assert card.startswith(f"📋 Заявка №{case_id} · 🔒 закрыта")
    assert "партнёр подтвердил, что проблема решена" in card and "★★★★★ (5/5)" in card
    said = desk.texts_to(desk.group, thread)
    relayed = [t for t in said if t.startswith("👤 Иван Петров · партнёр")]
    assert [t.split("\n", 1)[1] for t in relayed] == [f"Ответ партнёра {n}" for n in range(1, 6)] + ["Вот настройки сети"]
    assert relayed[-1].startswith("👤 Иван Петров · партнёр, ответ на запрос:")
    assert desk.emu.topics(desk.group)[thread].closed
