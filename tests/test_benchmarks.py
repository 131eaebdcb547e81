"""The benchmarks' own set-up, on a small scale, so a change to the code they drive cannot leave
them broken until the next time somebody measures."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from bot.domain import Status
from bot.sandbox import BOT_USERNAME, SANDBOX_TOKEN
from bot.storage.cases import CaseRepository
from bot.storage.database import Database
from tgemu import Emulator

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


async def test_the_echo_bot_gets_the_full_bots_garbage_collector_tuning(tmp_path):
    # Compared with an untuned echo bot the full bot looked faster than it is: both get bot/gc_tuning.py's tuning.
    from bot.gc_tuning import YOUNG_GC_THRESHOLD

    emu = Emulator(token=SANDBOX_TOKEN, bot_username=BOT_USERNAME)
    collector = bench_bot.Collector()
    emu.server.calls = bench_bot.HookedCalls(emu.server.calls, collector.on_call)
    await emu.start(host="127.0.0.1", port=0)
    echo = bench_bot.BotProcess("echo", emu, collector, {"bot_token": SANDBOX_TOKEN, "telegram_api_url": emu.base_url},
                                tmp_path / "bots.log")
    try:
        await echo.start()
        started = echo.started
    finally:
        await echo.stop()
        await emu.stop()
    assert started["gc_threshold"][0] == YOUNG_GC_THRESHOLD
    assert started["gc_frozen"] > 10_000  # what importing aiogram built is frozen out of the collector's sight


class FakeHarness:
    """Stands in for the measuring harness: each burst of the echo bot runs at 1000/s, the full bot's at the
    rates given in turn, and the order of the runs is recorded."""

    def __init__(self, full_rates: list[float]) -> None:
        self.full_rates = list(full_rates)
        self.order: list[tuple[str, int]] = []

    def _run(self, bot, n: int) -> "bench_bot.Run":
        rate = 1000.0 if bot.kind == "echo" else self.full_rates.pop(0)
        self.order.append((bot.kind, n))
        return bench_bot.Run(n=n, answered=n, seconds=n / rate, latencies=[0.001] * n, bot_cpu=0.5, emu_cpu=0.1,
                             loads=[1.5])

    async def burst(self, scenario, n, bot, timeout):
        scenario.cursor += n
        return self._run(bot, n)

    async def paced(self, scenario, n, bot, rate, timeout):
        scenario.cursor += n
        return self._run(bot, n)


async def test_bursts_alternate_in_pairs_and_the_ratio_is_the_median_of_the_pairs():
    plan = replace(bench_bot.QUICK_PLAN, warmup=2, burst=10, paced_seconds=0.05, repeats=3)
    emu = Emulator(token=SANDBOX_TOKEN, bot_username=BOT_USERNAME)
    worlds = {label: bench_bot.add_people(emu, plan) for label in ("echo", "full")}
    class FakeBot:
        def __init__(self, kind: str) -> None:
            self.kind = kind

        async def mem(self) -> dict:
            return {"cpu": 0.0}

    bots = {label: FakeBot(label) for label in ("echo", "full")}
    # Per scenario: warm-ups (not counted), three pairs, then the steady runs.
    rates = [999.0, 500.0, 900.0, 600.0, 5.0] * 3
    harness = FakeHarness(rates)
    results, pairs = {}, {}

    await bench_bot.run_pairs(harness, worlds, bots, plan, "prompt", results, pairs)

    one_scenario = [("echo", 2), ("full", 2), ("echo", 10), ("full", 10), ("full", 10), ("echo", 10),
                    ("echo", 10), ("full", 10), ("echo", 5), ("full", 5)]
    assert harness.order == one_scenario * 3
    for name in ("(a) partner mid-intake", "(b) engineer relayed to partner", "(c) /firmware, 100k models"):
        assert [round(p.ratio, 2) for p in pairs[name]] == [0.5, 0.9, 0.6]
        assert round(bench_bot.median_ratio(pairs[name]), 2) == 0.6  # the median, not the pooled rates' 0.63
        burst, paced = results[(name, "full")]
        assert burst.n == 30 and paced.n == 5 and burst.load == "1.5" and burst.idle_cpu == 0.0


async def test_flood_bench_runs_and_counts_every_answer():
    import bench_flood

    figures = await bench_flood.run_once(bench_flood.ROOT, flood=40, seconds=2.0, seed=1)  # the flood comes 1 s in
    assert figures["flood_answered"] == 40 and figures["flood_notices"] == 1
    assert figures["others"] > 0 and figures["unanswered"] == 0
