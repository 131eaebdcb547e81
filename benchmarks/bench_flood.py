"""Benchmark: what one partner's flood costs every other partner's answer latency.

`python -m bot run` in a child process polls the bundled emulator in this one. Twenty partners
write /help at a steady 20 messages a second in all, one at a time each, and each answer's
latency is taken from putting the message into the emulator to the arrival of the bot's
sendMessage to that chat. The same run is made without a flood and with one partner putting in
`--flood` messages at once a second in. `--code DIR` runs the bot from another checkout (e.g. the
commit before per-chat lanes) for comparison."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_catalogue import percentile  # noqa: E402
from bot.sandbox import Sandbox  # noqa: E402

OTHERS = 20
RATE = 20.0  # messages a second from the other partners together
FLOODER = 9000
OTHER_BASE = 9100


class Answers(list):
    """The emulator's call log, noting when each chat got a sendMessage (appended as calls arrive)."""

    def __init__(self, existing: list) -> None:
        super().__init__(existing)
        self.waiting: dict[int, float] = {}
        self.latencies: list[float] = []
        self.flood_answers = 0
        self.flood_notices = 0
        self.flood_done: float | None = None
        self.flood_expected = 0

    def append(self, call) -> None:  # type: ignore[override]
        super().append(call)
        if call.method != "sendMessage":
            return
        now = time.monotonic()
        chat = int(call.params.get("chat_id", 0))
        if chat == FLOODER:
            text = call.params.get("text", "")
            if "подождите" in text:
                self.flood_notices += 1
            else:
                self.flood_answers += 1
                if self.flood_answers == self.flood_expected:
                    self.flood_done = now
        elif chat in self.waiting:
            self.latencies.append(now - self.waiting.pop(chat))


async def run_once(code: Path, flood: int, seconds: float, seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-flood-") as tmp:
        sandbox = Sandbox(workdir=Path(tmp))
        await sandbox.start(with_bot=False)
        emu = sandbox.emu
        for user in (FLOODER, *range(OTHER_BASE, OTHER_BASE + OTHERS)):
            emu.add_user(user, f"Партнёр {user}")
        answers = Answers(emu.server.calls)
        emu.server.calls = answers
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_"))}
        env.update(sandbox.bot_environment())
        env["PYTHONPATH"] = str(code)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=open(Path(tmp) / "bot.log", "ab"))
        try:
            while not emu.calls("getUpdates"):
                await asyncio.sleep(0.01)
            rng = random.Random(seed)
            for user in range(OTHER_BASE, OTHER_BASE + OTHERS):  # warm-up: every code path once
                answers.waiting[user] = time.monotonic()
                await emu.send_text(user, "/help")
            while answers.waiting:
                await asyncio.sleep(0.01)
            answers.latencies.clear()
            answers.flood_expected = flood
            start = time.monotonic()
            flood_at = start + 1.0
            flooded = flood == 0
            injected = 0.0
            sent = 0
            while time.monotonic() - start < seconds:
                now = time.monotonic()
                if not flooded and now >= flood_at:
                    flood_at = now
                    for i in range(flood):
                        await emu.send_text(FLOODER, "/help")
                        if i % 50 == 49:
                            # The emulator shares this loop: let it serve polls and note answers.
                            await asyncio.sleep(0)
                    flooded = True
                    injected = time.monotonic() - flood_at
                due = start + sent / RATE
                if now < due:
                    await asyncio.sleep(min(due - now, 0.01))
                    continue
                free = [u for u in range(OTHER_BASE, OTHER_BASE + OTHERS) if u not in answers.waiting]
                if free:
                    user = rng.choice(free)
                    answers.waiting[user] = time.monotonic()
                    await emu.send_text(user, "/help")
                sent += 1
            deadline = time.monotonic() + 120
            while (answers.waiting or answers.flood_answers < flood) and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            lat = sorted(answers.latencies)
            return {
                "flood": flood,
                "others": len(lat),
                "unanswered": len(answers.waiting),
                "p50": percentile(lat, 50) * 1000,
                "p99": percentile(lat, 99) * 1000,
                "max": lat[-1] * 1000,
                "flood_answered": answers.flood_answers,
                "flood_notices": answers.flood_notices,
                "flood_seconds": (answers.flood_done - flood_at) if flood and answers.flood_done else None,
                "injected": injected,
            }
        finally:
            proc.terminate()
            await proc.wait()
            await sandbox.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=2000, help="messages the flooding partner puts in at once")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the steady traffic")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose bot is run (default: this one)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(f"bot from {args.code}; {OTHERS} partners at {RATE:.0f} msg/s for {args.seconds:.0f} s; "
          "outbox pacing off (the sandbox's settings)")
    print("| flood | others answered | p50 ms | p99 ms | max ms | flood answered | 'please wait' | flood put in, s "
          "| flood answered in s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for flood in (0, args.flood):
        r = asyncio.run(run_once(args.code, flood, args.seconds, args.seed))
        done = "—" if r["flood_seconds"] is None else f"{r['flood_seconds']:.1f}"
        print(f"| {r['flood']} | {r['others']} (+{r['unanswered']} not) | {r['p50']:.1f} | {r['p99']:.1f} | "
              f"{r['max']:.1f} | {r['flood_answered']} | {r['flood_notices']} | {r['injected']:.2f} | {done} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
