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
    assert sum(counts.values()) == 32 and counts["editForumTopic"] == 5 and counts["editMessageText"] == 5
    assert counts["setMessageReaction"] == 5  # the five engineer's messages, each marked once delivered
    calls = [c for c in desk.emu.calls()[since:] if str(c.params.get("chat_id")) == str(desk.group)]
    names = [c.params["name"] for c in calls if c.method.lower() == "editforumtopic"]
    assert all(a != b for a, b in zip(names, names[1:]))  # every rename changed the title
    cards = [c.params["text"] for c in calls if c.method.lower() == "editmessagetext"]
    assert all(a != b for a, b in zip(cards, cards[1:]))  # every card edit changed the card
