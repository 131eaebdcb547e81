"""The benchmarks' own set-up, on a small scale, so a change to the code they drive cannot leave
them broken until the next time somebody measures."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from bot.domain import Status
from bot.emulator import Emulator
from bot.sandbox import BOT_USERNAME, SANDBOX_TOKEN
from bot.storage.cases import CaseRepository
from bot.storage.database import Database

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_bot  # noqa: E402


async def test_bench_fills_a_database_the_bot_can_read(tmp_path):
    plan = replace(bench_bot.QUICK_PLAN, burst=5, historical_partners=20)
    emu = Emulator(token=SANDBOX_TOKEN, bot_username=BOT_USERNAME)
    world = bench_bot.add_people(emu, plan)
    world.models = bench_bot.generate_models(50, 1)
    path = tmp_path / "bench.sqlite3"

    filled = await bench_bot.fill_database(path, world, plan, seed=3, cases=60)

    assert sum(filled["statuses"].values()) == 60
    assert len(world.relay_cases) == 5
    db = await Database.open(path)
    try:
        repo = CaseRepository(db)
        for case_id, partner, thread in world.relay_cases:
            case = await repo.get(case_id)
            assert case is not None and case.partner_id == partner
            assert case.status == Status.CLAIMED and case.thread_id == thread
        assert (await db.fetchone("SELECT count(*) FROM partners"))[0] == 20 + 5
    finally:
        await db.close()


async def test_flood_bench_runs_and_counts_every_answer():
    import bench_flood

    figures = await bench_flood.run_once(bench_flood.ROOT, flood=40, seconds=2.0, seed=1)  # the flood comes 1 s in
    assert figures["flood_answered"] == 40 and figures["flood_notices"] == 1
    assert figures["others"] > 0 and figures["unanswered"] == 0
