"""SIGTERM to real `python -m bot run` and `python -m bot sandbox` processes at several moments:
during start-up, mid-demo, idle, twice in a row. Each must exit 0 within 10 s with its database
closed: SQLite removes the -wal file only when the last connection closes cleanly, and the
sandbox removes its throw-away folder only after closing the bot's database."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
EXIT_WITHIN = 10.0


def child_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_"))}
    env["PYTHONPATH"] = str(ROOT)
    env["TMPDIR"] = str(tmp_path)  # the sandbox's throw-away folder goes where the test can see it
    return env


def catches_sigterm(pid: int) -> bool:
    """Whether the process has its own SIGTERM handler yet (/proc's SigCgt mask)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)))


async def until(predicate, proc: subprocess.Popen, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert proc.poll() is None, f"the process ended (code {proc.returncode}) before {what}"
        assert time.monotonic() < deadline, f"no {what} after {timeout} s"
        await asyncio.sleep(0.01)


async def terminated(proc: subprocess.Popen, times: int = 1) -> int:
    for _ in range(times):
        proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + EXIT_WITHIN
    while proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.fail(f"still running {EXIT_WITHIN} s after SIGTERM")
        await asyncio.sleep(0.05)
    return proc.returncode


# --- python -m bot run ------------------------------------------------------------------------

@pytest.fixture
async def emulator(tmp_path):
    sandbox = Sandbox(workdir=tmp_path)
    await sandbox.start(with_bot=False)
    try:
        yield sandbox
    finally:
        await sandbox.stop()


def start_run(sandbox: Sandbox, tmp_path: Path, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, Path]:
    env = dict(env or child_env(tmp_path))
    env.update(sandbox.bot_environment())
    env["LOG_LEVEL"] = "INFO"
    log = tmp_path / "bot.log"
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(log, "ab"))
    return proc, log


def assert_closed(sandbox: Sandbox, log: Path, code: int, *, early: bool = False) -> None:
    text = log.read_text(encoding="utf-8", errors="replace")
    assert code == 0, text
    last = text.splitlines()[-1]
    # A signal that comes during the imports is acted on before the database is opened at all.
    assert "Bot stopped, database closed" in last or early and "Stopped before start-up" in last, text
    database = Path(sandbox.settings.database_path)
    assert not Path(f"{database}-wal").exists(), "the database was left open"


async def test_run_stops_on_sigterm_as_soon_as_it_catches_it(emulator, tmp_path):
    proc, log = start_run(emulator, tmp_path)
    await until(lambda: catches_sigterm(proc.pid), proc, "SIGTERM handler")
    assert_closed(emulator, log, await terminated(proc), early=True)
    assert emulator.emu.calls("getUpdates") == []


async def test_run_stops_on_sigterm_while_telegram_is_slow_at_start_up(emulator, tmp_path):
    # The database is open and the bot waits for Telegram before polling.
    emulator.emu.faults.add("deleteWebhook", kind="delay", delay=60)
    proc, log = start_run(emulator, tmp_path)
    await until(lambda: emulator.emu.calls("deleteWebhook"), proc, "deleteWebhook")
    assert_closed(emulator, log, await terminated(proc))
    assert emulator.emu.calls("getUpdates") == []


async def test_run_stops_on_sigterm_when_idle_and_on_two_in_a_row(emulator, tmp_path):
    for times in (1, 2):
        proc, log = start_run(emulator, tmp_path)
        polls = len(emulator.emu.calls("getUpdates"))
        await until(lambda: len(emulator.emu.calls("getUpdates")) > polls, proc, "polling")
        assert_closed(emulator, log, await terminated(proc, times=times))


async def test_run_stops_on_sigterm_while_an_answer_hangs(emulator, tmp_path):
    proc, log = start_run(emulator, tmp_path)
    await until(lambda: emulator.emu.calls("getUpdates"), proc, "polling")
    partner = 1001
    emulator.emu.faults.add("sendMessage", chat_id=partner, kind="delay", delay=60)
    await emulator.emu.send_text(partner, "/start")
    await until(lambda: emulator.emu.calls("sendMessage"), proc, "the answer")
    assert_closed(emulator, log, await terminated(proc))


# --- python -m bot sandbox --------------------------------------------------------------------

def start_sandbox(tmp_path: Path, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, Path]:
    out = tmp_path / "sandbox.out"
    proc = subprocess.Popen([sys.executable, "-m", "bot", "sandbox", "--port", "0"], cwd=tmp_path,
                            env=env or child_env(tmp_path), stdin=subprocess.DEVNULL, stdout=open(out, "ab"),
                            stderr=subprocess.STDOUT)
    return proc, out


def printed(out: Path, text: str) -> bool:
    return text in out.read_text(encoding="utf-8", errors="replace")


def assert_sandbox_closed(tmp_path: Path, out: Path, code: int) -> None:
    text = out.read_text(encoding="utf-8", errors="replace")
    assert code == 0, text
    assert text.rstrip().endswith("The sandbox has stopped."), text
    assert list(tmp_path.glob("torus-sandbox-*")) == [], "the sandbox's database folder was left behind"


@pytest.mark.parametrize("moment", ["imports", "start-up", "demo", "idle"])
async def test_sandbox_stops_on_sigterm(tmp_path, moment):
    proc, out = start_sandbox(tmp_path)
    if moment == "imports":
        await until(lambda: catches_sigterm(proc.pid), proc, "SIGTERM handler")
    elif moment == "start-up":
        # The throw-away folder exists from the start of the sandbox's start-up (emulator, database, bot).
        await until(lambda: list(tmp_path.glob("torus-sandbox-*")), proc, "the sandbox's folder", timeout=60)
    elif moment == "demo":
        await until(lambda: printed(out, "=== Демо"), proc, "the demo")
    else:
        await until(lambda: printed(out, "The sandbox keeps running"), proc, "the end of the demo")
    assert_sandbox_closed(tmp_path, out, await terminated(proc))
    if moment not in ("imports", "start-up"):
        assert printed(out, "Stopping the sandbox.")
    if moment == "demo":
        assert not printed(out, "=== Конец демо")


# Whatever takes the process's one signal wakeup fd (a library calling signal.set_wakeup_fd, a
# second event loop adding and removing a handler) leaves SIGTERM caught but never seen by the
# loop: the state the issue found (the process idle in select for good). This stand-in takes it
# from everyone, before the bot starts.
TAKE_WAKEUP_FD = """
import signal
_set_wakeup_fd = signal.set_wakeup_fd
signal.set_wakeup_fd = lambda fd, *args, **kwargs: _set_wakeup_fd(-1)
"""


def wakeup_fd_taken(tmp_path: Path) -> dict[str, str]:
    hook = tmp_path / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(TAKE_WAKEUP_FD)
    env = child_env(tmp_path)
    env["PYTHONPATH"] = f"{hook}{os.pathsep}{env['PYTHONPATH']}"
    return env


async def test_run_stops_on_sigterm_even_with_the_wakeup_fd_taken_away(emulator, tmp_path):
    proc, log = start_run(emulator, tmp_path, wakeup_fd_taken(tmp_path))
    await until(lambda: emulator.emu.calls("getUpdates"), proc, "polling")
    assert_closed(emulator, log, await terminated(proc))


async def test_sandbox_stops_on_sigterm_even_with_the_wakeup_fd_taken_away(tmp_path):
    proc, out = start_sandbox(tmp_path, wakeup_fd_taken(tmp_path))
    await until(lambda: printed(out, "The sandbox keeps running"), proc, "the end of the demo")
    assert_sandbox_closed(tmp_path, out, await terminated(proc))
    assert printed(out, "Stopping the sandbox.")
