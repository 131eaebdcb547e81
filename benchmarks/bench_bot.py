"""Benchmark of the whole bot against a bare aiogram echo bot: throughput, latency, memory and start-up."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import resource
import shlex
import sqlite3
import statistics
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey  # noqa: E402

from bench_catalogue import TYPO_KINDS, generate_models, make_typo, percentile, write_tree  # noqa: E402
from bot.clock import MSK  # noqa: E402
from bot.domain import RequestType, Status  # noqa: E402
from bot.sandbox import ADMIN, BOT_USERNAME, ENGINEERS, GROUP_ID, GROUP_TITLE, SANDBOX_TOKEN  # noqa: E402
from bot.storage.cases import Attachment, CaseRepository, NewCase  # noqa: E402
from bot.storage.database import Database, to_db_time  # noqa: E402
from tgemu import Emulator  # noqa: E402
from tgemu.botapi import create_topic  # noqa: E402
from tgemu.server import Call  # noqa: E402

CHILD = Path(__file__).resolve().parent / "bench_bot_child.py"
BOT_ID = int(SANDBOX_TOKEN.split(":")[0])
ANSWER_METHODS = {"sendMessage", "copyMessage"}
DESCRIPTION = "Камера не отправляет события детектора движения на регистратор после обновления."
SERIAL = "7J0123456789ABC"
CASES_IN_DB = 10_000
CATALOGUE_MODELS = 100_000
RATE = 100  # updates per second in the paced runs
RETRY_AFTER = 2  # seconds, the 429 one partner's answer gets in the head-of-line run

# Throughput against the tuned echo bot, per scenario (issue 14): (a) mid-intake, (b) relay, (c) /firmware.
TARGET_RATIOS = {"(a)": 0.6, "(b)": 0.7, "(c)": 0.5}
TARGET_P99_MS = 50.0
TARGET_RSS_MB = 150.0
TARGET_STARTUP_S = 2.0


@dataclass(frozen=True)
class Plan:
    warmup: int
    burst: int
    paced_seconds: float
    engineers: int
    historical_partners: int
    production_pacing_burst: int
    hol_seconds: float  # the steady run with one refused answer
    repeats: int  # bursts per scenario and bot; rates and latencies are pooled

    @property
    def paced(self) -> int:
        return int(RATE * self.paced_seconds)


FULL_PLAN = Plan(warmup=30, burst=1000, paced_seconds=10, engineers=20, historical_partners=2000,
                 production_pacing_burst=150, hol_seconds=3, repeats=3)
QUICK_PLAN = Plan(warmup=15, burst=300, paced_seconds=2, engineers=10, historical_partners=2000,
                  production_pacing_burst=60, hol_seconds=2, repeats=2)


# --- measuring helpers ----------------------------------------------------------------------------------


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class HookedCalls(list):
    """The emulator's call log, telling the collector about each Bot API request the moment it arrives."""

    def __init__(self, existing: list, on_call: Callable[[Call], None]) -> None:
        super().__init__(existing)
        self.on_call = on_call

    def append(self, call: Call) -> None:  # type: ignore[override]
        super().append(call)
        self.on_call(call)


class Collector:
    """Matches the bot's answers to the updates that caused them: an update arms a key (chat, topic)
    with its injection time; the first matching sendMessage/copyMessage to that key is its answer."""

    def __init__(self) -> None:
        self.armed: dict[tuple[int, int | None], tuple[float, Callable[[Call], bool], Any]] = {}
        self.latencies: list[float] = []
        self.answers: list[tuple[Any, Call]] = []
        self.last_answer = 0.0
        self.overlaps = 0
        self.unmatched = 0
        self.first_get_updates: float | None = None
        self.get_updates_after = float("inf")
        self.skip: dict[tuple[int, int | None], int] = {}  # matching calls to ignore (ones a fault refuses)
        self._done = asyncio.Event()
        self._done.set()

    def reset(self) -> None:
        self.armed.clear()
        self.latencies = []
        self.answers = []
        self.last_answer = 0.0
        self.overlaps = 0
        self.unmatched = 0
        self._done.set()

    def arm(self, key: tuple[int, int | None], t0: float, predicate: Callable[[Call], bool], tag: Any = None) -> None:
        if key in self.armed:
            self.overlaps += 1  # the earlier update of this chat is counted as lost
        self.armed[key] = (t0, predicate, tag)
        self._done.clear()

    def on_call(self, call: Call) -> None:
        if call.method == "getUpdates":
            if self.first_get_updates is None and call.monotonic >= self.get_updates_after:
                self.first_get_updates = call.monotonic
            return
        if call.method not in ANSWER_METHODS:
            return
        chat = call.chat_id
        key = (chat, call.thread_id if isinstance(chat, int) and chat < 0 else None)
        armed = self.armed.get(key)
        if armed is None:
            return
        t0, predicate, tag = armed
        if not predicate(call):
            self.unmatched += 1
            return
        if self.skip.get(key):
            self.skip[key] -= 1
            return
        del self.armed[key]
        self.latencies.append(call.monotonic - t0)
        self.answers.append((tag, call))
        self.last_answer = max(self.last_answer, call.monotonic)
        if not self.armed:
            self._done.set()

    async def wait(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._done.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False


class BotProcess:
    """A bot in its own process (bench_bot_child.py); the emulator stays here, so the bot's figures
    are its own process's, as they would be against the real Telegram. Each bot polls an emulator
    of its own (two bots cannot poll one: a second getUpdates ends the first with 409), so both can
    run side by side and their runs alternate."""

    def __init__(self, kind: str, emu: Emulator, collector: Collector, settings: dict, log_path: Path) -> None:
        self.kind = kind
        self.emu = emu
        self.collector = collector
        self.settings = settings
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None
        self.events: dict[str, asyncio.Queue] = {}
        self.spawned_wall = 0.0
        self.spawned_mono = 0.0
        self.started: dict = {}
        self.startup: float | None = None
        self._reader: asyncio.Task | None = None

    def _queue(self, name: str) -> asyncio.Queue:
        return self.events.setdefault(name, asyncio.Queue())

    async def start(self, global_pacing: bool = False) -> None:
        cfg = {"kind": self.kind, "settings": self.settings, "global_pacing": global_pacing}
        self.collector.first_get_updates = None
        self.log = open(self.log_path, "ab")
        self.spawned_mono = time.monotonic()
        self.collector.get_updates_after = self.spawned_mono
        self.spawned_wall = time.time()
        # BENCH_WRAP: a command to run the bot under, e.g. "py-spy record -f raw -o /tmp/{kind}.txt --"
        # ({kind} is echo or full); figures taken so are the profiler's, not the bot's.
        wrap = shlex.split(os.environ.get("BENCH_WRAP", "").replace("{kind}", self.kind))
        self.proc = await asyncio.create_subprocess_exec(
            *wrap, sys.executable, str(CHILD), json.dumps(cfg), cwd=str(ROOT),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=self.log,
        )
        self._reader = asyncio.create_task(self._read())
        self.started = await self._next("started", 60)
        deadline = time.monotonic() + 30
        while self.collector.first_get_updates is None:
            if time.monotonic() > deadline or self.proc.returncode is not None:
                raise RuntimeError(f"the {self.kind} bot never polled; see {self.log_path}")
            await asyncio.sleep(0.005)
        self.startup = self.collector.first_get_updates - self.spawned_mono

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                return
            text = line.decode(errors="replace").strip()
            if text.startswith("@@ "):
                event = json.loads(text[3:])
                self._queue(event["event"]).put_nowait(event)

    async def _next(self, event: str, timeout: float = 15) -> dict:
        try:
            return await asyncio.wait_for(self._queue(event).get(), timeout)
        except asyncio.TimeoutError:
            raise RuntimeError(f"the {self.kind} bot did not answer {event!r}; see {self.log_path}") from None

    async def command(self, line: str, event: str) -> dict:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write((line + "\n").encode())
        await self.proc.stdin.drain()
        return await self._next(event)

    async def mem(self) -> dict:
        return await self.command("mem", "mem")

    async def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.returncode is None:
            try:
                self.proc.stdin.write(b"quit\n")
                await self.proc.stdin.drain()
                await asyncio.wait_for(self.proc.wait(), 15)
            except (asyncio.TimeoutError, ConnectionError):
                self.proc.kill()
                await self.proc.wait()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        self.log.close()


# --- the world: people, topics, a catalogue and a database with 10k cases --------------------------------


@dataclass
class World:
    emu: Emulator
    models: list[tuple[str, str]]
    intake_users: list[int]
    relay_cases: list[tuple[int, int, int]]  # (case id, partner id, thread id)
    firmware_users: list[int]
    engineers: list[int]
    driver: int
    queries: list[tuple[str, str]] = field(default_factory=list)  # (text typed, model meant)


def add_people(emu: Emulator, plan: Plan) -> World:
    emu.add_group(GROUP_ID, GROUP_TITLE, is_forum=True)
    emu.add_user(ADMIN.user_id, ADMIN.first_name, ADMIN.last_name, ADMIN.username)
    engineers = [e.user_id for e in ENGINEERS]
    for e in ENGINEERS:
        emu.add_user(e.user_id, e.first_name, e.last_name, e.username)
    for i in range(plan.engineers - len(engineers)):
        uid = 2101 + i
        emu.add_user(uid, f"Инженер{i}", "Торус")
        engineers.append(uid)
    for uid in engineers:
        emu.add_member(GROUP_ID, uid, status="member")
    intake = [10_000_001 + i for i in range(plan.warmup + plan.repeats * plan.burst + plan.paced)]
    relay_partners = [20_000_001 + i for i in range(plan.burst)]
    firmware = [30_000_001 + i for i in range(plan.burst)]
    driver = 10_999_999
    for uid in [driver, *intake, *relay_partners, *firmware]:
        emu.add_user(uid, f"Партнёр{uid % 100000}", None, f"p{uid}")
    return World(emu, [], intake, [(0, p, 0) for p in relay_partners], firmware, engineers, driver)


def make_topics(emu: Emulator, count: int) -> list[int]:
    """Case topics made as the bot would have made them, without updates to the bot."""
    chat = emu.world.chats[GROUP_ID]
    return [create_topic(emu.world, chat, emu.world.bot, f"🟡 №{i} · bench", 0x6FB9F0, None)[0].thread_id
            for i in range(count)]


async def fill_database(path: Path, world: World, plan: Plan, seed: int, cases: int = CASES_IN_DB) -> dict:
    """`cases` cases (10k by default) through the repository in one transaction, most of them
    closed as in a desk's history; the relay scenario's cases are claimed and have live topics."""
    started = time.perf_counter()
    db = await Database.open(path)
    try:
        case_rows = await _fill(db, world, plan, seed, cases)
    finally:
        await db.close()  # an open connection's thread would keep the process alive after an error
    relay = world.relay_cases
    world.relay_cases = [(cid, p, t) for cid, p, _, t in case_rows[cases - len(relay):]]
    counts: dict[str, int] = {}
    for _, _, status, _ in case_rows:
        counts[status.value] = counts.get(status.value, 0) + 1
    return {"seconds": time.perf_counter() - started, "statuses": counts, "bytes": path.stat().st_size}


async def _fill(db: Database, world: World, plan: Plan, seed: int, cases: int) -> list[tuple[int, int, Status, int | None]]:
    rng = random.Random(seed)
    repo = CaseRepository(db)
    now = datetime.now(MSK)
    relay = world.relay_cases
    threads = make_topics(world.emu, len(relay))
    historical = [40_000_001 + i for i in range(plan.historical_partners)]
    partners = historical + [p for _, p, _ in relay]
    types = [t for t in RequestType if t != RequestType.WISH] + [RequestType.WISH]
    statuses = [Status.CLOSED] * 930 + [Status.RESOLVED] * 40 + [Status.CLAIMED] * 15 + [Status.WAITING] * 5 + \
        [Status.VENDOR] * 5 + [Status.NEW] * 5
    case_rows: list[tuple[int, int, Status, int | None]] = []  # (id, partner, status, thread)
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO partners (user_id, first_name, username, name, company, phone, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(p, f"Партнёр{p % 100000}", f"p{p}", f"Партнёр {p % 100000}", f"ООО Монтаж-{p % 997}",
              f"+7999{p % 10_000_000:07d}", to_db_time(now - timedelta(days=800)), to_db_time(now)) for p in partners],
        )
        for n in range(cases):
            is_relay = n >= cases - len(relay)
            partner = relay[n - (cases - len(relay))][1] if is_relay else rng.choice(historical)
            created = now - timedelta(minutes=(cases - n) * 100 + rng.randint(0, 60))
            model, folder = rng.choice(world.models)
            # Wishes share one topic, so a topic never leads to one of them: the relay's cases are not wishes.
            request_type = rng.choice(types[:-1] if is_relay else types)
            attachments = tuple(
                Attachment("photo", f"AgACAgIAAx{n:06d}{k}", f"AQAD{n:06d}{k}", None, None, None)
                for k in range(rng.choice([0, 0, 0, 1, 2, 3]))
            )
            case_id = await repo.insert(conn, NewCase(
                submit_key=uuid.UUID(int=rng.getrandbits(128)).hex, partner_id=partner, request_type=request_type,
                brand="Dahua" if not model.startswith("AT-") else "ATIX", model=model, model_matched=True,
                model_folders=(folder,), serial=f"7J0{n:012d}",
                description=(DESCRIPTION + " Прошивка обновлена, настройки сброшены, проблема повторяется. ") * 2,
                web_access=True if request_type.asks_web_access else None, contact_name=f"Партнёр {partner % 100000}",
                contact_company=f"ООО Монтаж-{partner % 997}", contact_phone=f"+7999{partner % 10_000_000:07d}",
                level=1, after_hours=False, created_at=created, due_at=created + timedelta(hours=4),
                attachments=attachments,
            ))
            if is_relay:
                status, thread = Status.CLAIMED, threads[n - (cases - len(relay))]
            else:
                status, thread = rng.choice(statuses), 900_000 + n
            case_rows.append((case_id, partner, status, thread))
        updates, history, outbox, links = [], [], [], []
        for case_id, partner, status, thread in case_rows:
            engineer = world.engineers[case_id % len(world.engineers)]
            claimed = status != Status.NEW
            at = to_db_time(now - timedelta(minutes=(cases - case_id % cases) * 90))
            updates.append((status.value, engineer if claimed else None, "Инженер" if claimed else None,
                            at if claimed else None, at if status in (Status.RESOLVED, Status.CLOSED) else None,
                            at if status == Status.CLOSED else None, thread, 50_000 + case_id, at,
                            1 if status == Status.NEW else 0, 1 if status == Status.NEW else 0, case_id))
            if claimed:
                history.append((case_id, at, engineer, "Инженер", "new", "claimed", None))
            if status in (Status.RESOLVED, Status.CLOSED):
                history.append((case_id, at, engineer, "Инженер", "claimed", "resolved", "настроили"))
            if status == Status.CLOSED:
                history.append((case_id, at, partner, None, "resolved", "closed", None))
            for kind, chat in (("case_card", GROUP_ID), ("edit_card", GROUP_ID), ("topic", GROUP_ID),
                               ("send_message", partner)):
                outbox.append((chat, case_id, kind, json.dumps({"to": "topic"} if chat < 0 else {"text": "…"}),
                               "done", at, at, "1"))
            links.append((case_id, "bot", GROUP_ID, 50_000 + case_id, GROUP_ID, 50_000 + case_id, "card"))
            links.append((case_id, "engineer", GROUP_ID, 60_000 + case_id, partner, 70_000 + case_id, "text"))
        await conn.executemany(
            "UPDATE cases SET status = ?, claimed_by = ?, claimed_by_name = ?, claimed_at = ?, resolved_at = ?,"
            " closed_at = ?, thread_id = ?, card_message_id = ?, delivered_at = ?, reminded_warn = ?,"
            " reminded_breach = ? WHERE id = ?", updates)
        await conn.executemany(
            "INSERT INTO case_history (case_id, at, actor_id, actor_name, from_status, to_status, comment)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", history)
        await conn.executemany(
            "INSERT INTO outbox (chat_id, case_id, kind, payload, state, created_at, done_at, result)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", outbox)
        await conn.executemany(
            "INSERT INTO message_links (case_id, origin, source_chat_id, source_message_id, target_chat_id,"
            " target_message_id, kind) VALUES (?, ?, ?, ?, ?, ?, ?)", links)
    return case_rows


# --- driving a partner through the real intake dialog, then copying its state --------------------------


def fsm_key(user: int) -> str:
    return DefaultKeyBuilder(with_destiny=True).build(StorageKey(bot_id=BOT_ID, chat_id=user, user_id=user))


def read_fsm(path: Path, user: int) -> tuple[str | None, str | None]:
    with sqlite3.connect(path, timeout=10) as conn:
        row = conn.execute("SELECT state, data FROM fsm WHERE key = ?", (fsm_key(user),)).fetchone()
    return (row[0], row[1]) if row else (None, None)


async def settle(emu: Emulator) -> None:
    await emu.wait_idle(timeout=20, quiet=0.25)


async def answered(emu: Emulator, user: int, before: int) -> None:
    """Until the bot has called the API for `user`'s chat after call number `before`, then settled
    (a first use of some aiogram type builds its validator, which may outlast `settle`'s quiet)."""
    deadline = time.monotonic() + 20
    while not any(c.chat_id == user for c in emu.calls()[before:]) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    await settle(emu)


async def say(emu: Emulator, user: int, text: str) -> None:
    before = len(emu.calls())
    await emu.send_text(user, text)
    await answered(emu, user, before)


async def press(emu: Emulator, user: int, label: str) -> None:
    # The message with the button may come after `answered` settled (on a loaded machine the bot's first use
    # of a type can outlast the quiet), so look for it again until a deadline rather than only once.
    deadline = time.monotonic() + 20
    while True:
        for sent in reversed(emu.bot_messages(user)):
            for row in (sent.reply_markup or {}).get("inline_keyboard", []):
                for button in row:
                    if label in button.get("text", ""):
                        before = len(emu.calls())
                        await emu.press_button(user, user, sent.message_id, button["callback_data"])
                        await answered(emu, user, before)
                        return
        if time.monotonic() > deadline:
            shown = [m.text for m in emu.bot_messages(user)][-3:]
            raise RuntimeError(f"no button {label!r} in the chat with {user}; the bot's last messages: {shown}")
        await asyncio.sleep(0.05)


async def prepare_intake(emu: Emulator, db_path: Path, world: World, bot: BotProcess) -> str:
    """The driver goes through the real dialog to the description step; `bot` is then stopped and
    the driver's state and draft copied to every intake user. Returns the prompt the bot answers a
    description with."""
    user = world.driver
    model = world.models[0][0]
    await say(emu, user, "/new")
    await press(emu, user, "Проблема с настройкой")
    await press(emu, user, "Dahua")
    await say(emu, user, model)
    state, _ = read_fsm(db_path, user)
    if state != "Intake:serial":  # the catalogue offered candidates: take the first
        last = emu.last_bot_message(user)
        first = (last.reply_markup or {}).get("inline_keyboard", [[{}]])[0][0]
        before = len(emu.calls())
        await emu.press_button(user, user, last.message_id, first["callback_data"])
        await answered(emu, user, before)
    await say(emu, user, SERIAL)
    state, data = read_fsm(db_path, user)
    if state != "Intake:description":
        raise RuntimeError(f"the intake dialog did not reach the description step (state {state}); "
                           f"last bot message: {emu.last_bot_message(user).text!r}")
    draft = json.loads(data)
    before = len(emu.calls())
    await say(emu, user, DESCRIPTION)
    answers = [c for c in emu.calls()[before:] if c.method in ANSWER_METHODS and c.chat_id == user]
    if len(answers) != 1 or read_fsm(db_path, user)[0] != "Intake:attachments":
        raise RuntimeError(f"unexpected answer to a description: {[text_of(a) for a in answers]}")
    await bot.stop()
    rows = []
    for uid in world.intake_users:
        copy = json.loads(json.dumps(draft))
        copy["draft"]["submit_key"] = uuid.uuid4().hex
        rows.append((fsm_key(uid), state, json.dumps(copy, ensure_ascii=False), datetime.now(MSK).isoformat()))
    conn = sqlite3.connect(db_path, timeout=10, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT OR REPLACE INTO fsm (key, state, data, updated_at) VALUES (?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return text_of(answers[0])


# --- scenarios --------------------------------------------------------------------------------------------


@dataclass
class Injection:
    key: tuple[int, int | None]
    predicate: Callable[[Call], bool]
    send: Callable[[], Any]
    tag: Any = None


class Scenario:
    """Makes the i-th update of a scenario for one bot; the full and the echo bot get the same updates."""

    name = ""

    def __init__(self, world: World, full: bool) -> None:
        self.world = world
        self.full = full
        self.seq = 0
        self.cursor = 0  # index of the next unused update: an intake partner past the description is used up

    def make(self, i: int) -> Injection:
        raise NotImplementedError


def text_of(call: Call) -> str:
    return str(call.params.get("text") or call.params.get("caption") or "")


class IntakeScenario(Scenario):
    name = "(a) partner mid-intake"
    expected_prompt = ""

    def make(self, i: int) -> Injection:
        user = self.world.intake_users[i]
        emu = self.world.emu
        if self.full:
            prefix = self.expected_prompt[:40]
            predicate = lambda call: text_of(call).startswith(prefix)  # noqa: E731
        else:
            predicate = lambda call: text_of(call) == DESCRIPTION  # noqa: E731
        return Injection((user, None), predicate, lambda: emu.send_text(user, DESCRIPTION))


class RelayScenario(Scenario):
    name = "(b) engineer relayed to partner"

    def make(self, i: int) -> Injection:
        case_id, partner, thread = self.world.relay_cases[i % len(self.world.relay_cases)]
        engineer = self.world.engineers[i % len(self.world.engineers)]
        self.seq += 1
        marker = f"bench-{self.seq:06d}"
        text = f"Проверьте, пожалуйста, настройки сети на камере и пришлите снимок экрана. {marker}"
        emu = self.world.emu
        if self.full:
            key = (partner, None)
            predicate = lambda call: marker in text_of(call)  # noqa: E731
        else:
            key = (GROUP_ID, thread)
            predicate = lambda call: text_of(call) == text  # noqa: E731
        return Injection(key, predicate, lambda: emu.send_text(engineer, text, chat_id=GROUP_ID, thread_id=thread))


class FirmwareScenario(Scenario):
    name = "(c) /firmware, 100k models"

    def make(self, i: int) -> Injection:
        user = self.world.firmware_users[i % len(self.world.firmware_users)]
        typed, meant = self.world.queries[i % len(self.world.queries)]
        text = f"/firmware {typed}"
        emu = self.world.emu
        predicate = (lambda call: True) if self.full else (lambda call: text_of(call) == text)
        return Injection((user, None), predicate, lambda: emu.send_text(user, text), tag=meant)


def make_queries(models: list[tuple[str, str]], count: int, seed: int) -> list[tuple[str, str]]:
    """Half exact model names, half typos of every kind a partner makes (bench_catalogue's generator)."""
    rng = random.Random(seed)
    queries = []
    while len(queries) < count:
        name = rng.choice(models)[0]
        if rng.random() < 0.5:
            queries.append((name, name))
            continue
        typo = make_typo(rng, name, rng.choice(TYPO_KINDS))
        if typo and "<" not in typo and "&" not in typo:
            queries.append((typo, name))
    return queries


@dataclass
class Run:
    n: int
    answered: int
    seconds: float
    latencies: list[float]
    bot_cpu: float | None = None
    emu_cpu: float | None = None
    sql: dict | None = None
    overlaps: int = 0
    unmatched: int = 0
    answers: list = field(default_factory=list)
    injected_rate: float | None = None
    threads: dict | None = None
    rates: list[float] = field(default_factory=list)
    gc: dict | None = None  # full collections in the bot process and the longest pause of any collection
    slowest_sql: dict | None = None  # the bot's slowest SQL statement, call to answer
    loads: list[float] = field(default_factory=list)  # 1-minute load average at the end of each run
    idle_cpu: float | None = None  # share of a core the other, idle bot used meanwhile (it should be ~0)

    @property
    def load(self) -> str:
        if not self.loads:
            return "-"
        low, high = min(self.loads), max(self.loads)
        return f"{low:.1f}" if round(low, 1) == round(high, 1) else f"{low:.1f}-{high:.1f}"

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds > 0 else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000 if self.latencies else float("nan")


def gc_delta(before: dict, after: dict) -> dict:
    """Collections in the bot's process between two "mem" reports; `longest` is since the first one."""
    counts = [a - b for a, b in zip(after["gc"]["counts"], before["gc"]["counts"])]
    seconds = sum(after["gc"]["total"]) - sum(before["gc"]["total"])
    return {"full": counts[2], "all": sum(counts), "longest": max(after["gc"]["longest"]),
            "full_longest": after["gc"]["longest"][2], "seconds": seconds}


class Harness:
    """Measures one bot at a time, through its own emulator and collector."""

    @staticmethod
    def quiet_collector() -> None:
        """The emulator stands in for Telegram: its own garbage collections (the messages and calls it
        keeps pile up) must not show as the bot's latency. Off during a measurement; afterwards what
        survived is collected once and frozen out of later collections."""
        gc.disable()

    @staticmethod
    def restore_collector() -> None:
        gc.enable()
        gc.collect()
        gc.freeze()

    async def burst(self, scenario: Scenario, n: int, bot: BotProcess, timeout: float) -> Run:
        """n updates at once from n different chats; throughput = n / (last answer - first injection)."""
        return await self._measure(scenario, n, bot, timeout, rate=None)

    async def paced(self, scenario: Scenario, n: int, bot: BotProcess, rate: float, timeout: float) -> Run:
        """n updates at a steady `rate`, each from a chat with nothing else in flight."""
        return await self._measure(scenario, n, bot, timeout, rate=rate)

    async def _measure(self, scenario: Scenario, n: int, bot: BotProcess, timeout: float, rate: float | None) -> Run:
        col = bot.collector
        col.reset()
        injections = [scenario.make(scenario.cursor + i) for i in range(n)]
        scenario.cursor += n
        before = await bot.mem()
        emu_cpu0 = cpu_seconds()
        self.quiet_collector()
        try:
            first = time.monotonic()
            last = first
            for i, inj in enumerate(injections):
                if rate is not None:
                    delay = first + i / rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                last = time.monotonic()
                col.arm(inj.key, last, inj.predicate, inj.tag)
                # In a burst no await here really yields: the bot sees the updates only after the loop.
                await inj.send()
            await col.wait(timeout)
            end = max(col.last_answer, last) if col.latencies else time.monotonic()
            emu_cpu = cpu_seconds() - emu_cpu0
        finally:
            self.restore_collector()
        after = await bot.mem()
        run = Run(n, len(col.latencies), end - first, list(col.latencies),
                  overlaps=col.overlaps, unmatched=col.unmatched, answers=list(col.answers))
        wall = max(end - first, 1e-9)
        if rate is not None:
            run.injected_rate = (n - 1) / (last - first) if last > first else None
        run.bot_cpu = (after["cpu"] - before["cpu"]) / wall
        run.emu_cpu = emu_cpu / wall
        if "sql" in after:
            run.sql = {k: (after["sql"][k] - before["sql"].get(k, 0)) / max(1, n) for k in after["sql"]}
        run.threads = {k: (after["threads"][k] - before["threads"][k]) / wall for k in after["threads"]}
        run.gc = gc_delta(before, after)
        run.slowest_sql = after.get("slowest_sql")
        run.loads = [os.getloadavg()[0]]  # what else ran on this shared machine meanwhile, roughly
        col.reset()
        await settle(bot.emu)
        return run


# --- reporting ----------------------------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value:7.1f}" if value == value else "      -"


def mark(ok: bool) -> str:
    return "ok  " if ok else "FAIL"


def merge(runs: list[Run]) -> Run:
    """Several bursts as one: rate = all answers / all time, latencies pooled, shares time-weighted."""
    seconds = sum(r.seconds for r in runs)

    def weighted(values: list[dict | None]) -> dict | None:
        if any(v is None for v in values):
            return None
        return {k: sum(v[k] * r.seconds for v, r in zip(values, runs)) / seconds for k in values[0]}

    def per_update(values: list[dict | None]) -> dict | None:
        if any(v is None for v in values):
            return None
        total = sum(r.n for r in runs)
        return {k: sum(v[k] * r.n for v, r in zip(values, runs)) / total for k in values[0]}

    return Run(
        n=sum(r.n for r in runs), answered=sum(r.answered for r in runs), seconds=seconds,
        latencies=[x for r in runs for x in r.latencies],
        bot_cpu=sum(r.bot_cpu * r.seconds for r in runs) / seconds,
        emu_cpu=sum(r.emu_cpu * r.seconds for r in runs) / seconds,
        sql=per_update([r.sql for r in runs]), overlaps=sum(r.overlaps for r in runs),
        unmatched=sum(r.unmatched for r in runs), answers=[a for r in runs for a in r.answers],
        threads=weighted([r.threads for r in runs]), rates=[r.rate for r in runs],
        loads=[x for r in runs for x in r.loads],
        idle_cpu=max((r.idle_cpu for r in runs if r.idle_cpu is not None), default=None),
        gc=None if any(r.gc is None for r in runs) else {
            "full": sum(r.gc["full"] for r in runs), "all": sum(r.gc["all"] for r in runs),
            "longest": max(r.gc["longest"] for r in runs), "full_longest": max(r.gc["full_longest"] for r in runs),
            "seconds": sum(r.gc["seconds"] for r in runs)},
    )


@dataclass
class Pair:
    """One echo burst and one full burst of a scenario, back to back."""

    echo: Run
    full: Run

    @property
    def ratio(self) -> float:
        return self.full.rate / self.echo.rate if self.echo.rate else float("nan")


def median_ratio(pairs: list[Pair]) -> float:
    return statistics.median(p.ratio for p in pairs) if pairs else float("nan")


def pairs_text(pairs: list[Pair]) -> str:
    return ", ".join(f"{p.ratio:.2f} (load {p.echo.loads[0]:.1f}/{p.full.loads[0]:.1f})" for p in pairs)


async def run_pairs(harness: Harness, worlds: dict[str, World], bots: dict[str, BotProcess], plan: Plan,
                    prompt: str, results: dict, pairs: dict) -> None:
    """Each scenario's bursts as pairs, an echo and a full burst back to back (which goes first alternates),
    so that the two bots of a pair meet much the same load on this shared machine; the throughput ratio
    is the median of the pairs' ratios. Then a steady run of each, also back to back."""
    timeout = 60 if plan is FULL_PLAN else 30
    for make in (IntakeScenario, RelayScenario, FirmwareScenario):
        scenarios = {label: make(worlds[label], label == "full") for label in ("echo", "full")}
        scenarios["full"].expected_prompt = prompt
        for label in ("echo", "full"):
            await harness.burst(scenarios[label], plan.warmup, bots[label], timeout)  # warm-up, not counted
        bursts: dict[str, list[Run]] = {"echo": [], "full": []}
        for repeat in range(plan.repeats):
            for label in (("echo", "full") if repeat % 2 == 0 else ("full", "echo")):
                # The other bot waits in its long poll meanwhile; what it uses for that is shown, not assumed.
                other = bots["full" if label == "echo" else "echo"]
                before = await other.mem()
                run = await harness.burst(scenarios[label], plan.burst, bots[label], timeout)
                run.idle_cpu = ((await other.mem())["cpu"] - before["cpu"]) / max(run.seconds, 1e-9)
                bursts[label].append(run)
        paced = {label: await harness.paced(scenarios[label], plan.paced, bots[label], RATE, timeout)
                 for label in ("echo", "full")}
        name = make.name
        pairs[name] = [Pair(e, f) for e, f in zip(bursts["echo"], bursts["full"])]
        for label in ("echo", "full"):
            results[(name, label)] = (merge(bursts[label]), paced[label])
        print(f"  .. {name}: full / echo per pair {pairs_text(pairs[name])}, median {median_ratio(pairs[name]):.2f};"
              f" at {RATE}/s p99 echo {paced['echo'].p(99):.1f} ms (load {paced['echo'].load}),"
              f" full {paced['full'].p(99):.1f} ms (load {paced['full'].load})", flush=True)


def firmware_sanity(run: Run) -> tuple[int, int]:
    """How many /firmware answers name the model the partner meant (exact or among the candidates)."""
    from html import escape

    named = sum(1 for meant, call in run.answers if escape(meant) in text_of(call) or meant in text_of(call))
    return named, len(run.answers)


def print_report(results: dict, pairs: dict, memory: dict, startup: dict, extra: dict,
                 plan: Plan) -> list[tuple[str, bool, str]]:
    names = ("(a) partner mid-intake", "(b) engineer relayed to partner", "(c) /firmware, 100k models")
    print()
    print("throughput and latency; latency = from putting the update into the emulator to the arrival of the bot's")
    print("answering call (sendMessage/copyMessage to that chat). Outbox pacing off: no per-chat interval and")
    print("60/min to the group as in the Sandbox, and the outbox's global 30 msg/s switched off too (one line below")
    print("has it on).")
    print(f"  burst: {plan.repeats} x {plan.burst} updates put in at once, each from a different chat (so aiogram's")
    print("  per-chat serialisation does not limit it); rate = answers / time from the first update to the last answer.")
    print("  Both bots run side by side, each polling its own emulator, with the same garbage-collector tuning;")
    print("  their bursts alternate in pairs (echo then full, then full then echo...), and 'x echo' is the median")
    print("  of the pairs' full / echo ratios. 'load' is the machine's 1-minute load average after each run.")
    print(f"  {'scenario':33} {'bot':4} {'updates':>7} {'upd/s':>6} {'(range)':>11} {'x echo':>6} {'p50 ms':>7}"
          f" {'p99 ms':>7} {'bot CPU':>7} {'emu CPU':>7} {'load':>9}")
    verdicts = []
    for name in names:
        for label in ("echo", "full"):
            burst, _ = results[(name, label)]
            ratio = median_ratio(pairs[name]) if label == "full" else 1.0
            spread = f"{min(burst.rates):.0f}-{max(burst.rates):.0f}" if burst.rates else ""
            lost = f"  LOST {burst.n - burst.answered}" if burst.answered < burst.n else ""
            print(f"  {name if label == 'echo' else '':33} {label:4} {burst.n:7} {burst.rate:6.0f} {spread:>11}"
                  f" {ratio:6.2f} {ms(burst.p(50))} {ms(burst.p(99))} {burst.bot_cpu * 100:6.0f}%"
                  f" {burst.emu_cpu * 100:6.0f}% {burst.load:>9}{lost}")
        idle = max((results[(name, label)][0].idle_cpu or 0) for label in ("echo", "full"))
        print(f"  {'':33} pairs, full / echo (load after echo / full): {pairs_text(pairs[name])};"
              f" the idle bot used at most {idle * 100:.0f}% of a core meanwhile")
    print(f"  steady: {plan.paced} updates at {RATE}/s, paced, each from a chat with nothing else in flight")
    print(f"  {'scenario':33} {'bot':4} {'updates':>7} {'p50 ms':>7} {'x echo':>6} {'p99 ms':>7} {'x echo':>6}"
          f" {'max ms':>7} {'load':>9}")
    for name in names:
        echo_burst, echo_paced = results[(name, "echo")]
        for label in ("echo", "full"):
            _, paced = results[(name, label)]
            lost = f"  LOST {paced.n - paced.answered}" if paced.answered < paced.n else ""
            print(f"  {name if label == 'echo' else '':33} {label:4} {paced.n:7} {ms(paced.p(50))}"
                  f" {paced.p(50) / echo_paced.p(50):6.2f} {ms(paced.p(99))} {paced.p(99) / echo_paced.p(99):6.2f}"
                  f" {ms(max(paced.latencies, default=float('nan')) * 1000)} {paced.load:>9}{lost}")
        full_burst, full_paced = results[(name, "full")]
        ratio = median_ratio(pairs[name])
        short = name.split(")")[0] + ")"
        figure = (f"{ratio:.2f} x echo, median of {len(pairs[name])} pairs ({full_burst.rate:.0f} vs"
                  f" {echo_burst.rate:.0f} updates/s pooled; load {full_burst.load})")
        target = TARGET_RATIOS[short]
        verdicts.append((f"{short} throughput >= {target:.1f} x echo", ratio >= target, figure))
        complete = full_paced.answered == full_paced.n
        p99_ok = complete and full_paced.p(99) < TARGET_P99_MS
        verdicts.append((f"{short} p99 < {TARGET_P99_MS:.0f} ms at {RATE}/s", p99_ok,
                         f"p99 {full_paced.p(99):.1f} ms, p50 {full_paced.p(50):.1f} ms (load {full_paced.load})"
                         + ("" if complete else f", {full_paced.n - full_paced.answered} unanswered")))
    print()
    print("  inside the full bot during the bursts (counted in its process; a write is one write() or transaction,")
    print("  a trip one call to the SQLite thread: writes that queue up share one):")
    for name in names:
        run, paced = results[(name, "full")]
        sql, threads = run.sql or {}, run.threads or {}
        print(f"    {name:33} per update {sql.get('transactions', 0):.1f} writes, "
              f"{sql.get('trips', 0):.1f} trips to SQLite = {sql.get('trips', 0) * run.rate:,.0f} trips/s")
        print(f"    {'':33} CPU: event loop thread {threads.get('loop', 0) * 100:.0f}% of a core, SQLite (and other)"
              f" threads {threads.get('other', 0) * 100:.0f}%; {1000 * (run.bot_cpu or 0) / run.rate:.2f} ms"
              f" per update")
        g = run.gc or {}
        print(f"    {'':33} garbage collector in the bursts: {g.get('full', 0)} full collections of"
              f" {g.get('all', 0)}, the longest {g.get('full_longest', 0) * 1000:.0f} ms; in all"
              f" {100 * g.get('seconds', 0) / run.seconds if run.seconds else 0:.1f}% of the time")
    print()
    print("  where the maximum latency of the steady runs comes from: the longest pause of Python's garbage collector")
    print("  in the bot (full = it walked every object) and its slowest SQL statement, call to answer. (The emulator's")
    print("  own collector is off while a run is measured, so its pauses do not count against the bot.)")
    print(f"  {'scenario':33} {'bot':4} {'max ms':>7} {'GC ms':>7} {'full GCs':>8} {'SQL ms':>7}  slowest statement")
    for name in names:
        for label in ("echo", "full"):
            paced = results[(name, label)][1]
            g, sql = paced.gc or {}, paced.slowest_sql or {}
            sql_ms = f"{sql['seconds'] * 1000:7.1f}" if sql else f"{'-':>7}"
            worst = max(paced.latencies, default=float("nan")) * 1000
            print(f"  {name if label == 'echo' else '':33} {label:4} {ms(worst)}"
                  f" {g.get('longest', 0) * 1000:7.1f} {g.get('full', 0):8} {sql_ms}  {sql.get('sql', '')}")
    firmware = results[("(c) /firmware, 100k models", "full")]
    named, total = firmware_sanity(firmware[0])
    named2, total2 = firmware_sanity(firmware[1])
    print(f"  (c) sanity: answers naming the model meant (half the queries are typos): "
          f"{100 * (named + named2) / max(1, total + total2):.0f}% of {total + total2}")
    if "production" in extra:
        run = extra["production"]
        print(f"  (b) with the outbox's global 30 msg/s pacing on (the production default; the Sandbox turns it off):"
              f" {run.answered}/{run.n} relays at {run.rate:.1f}/s, burst p50 {run.p(50):.0f} ms,"
              f" p99 {run.p(99):.0f} ms (load {run.load})")

    if "hol" in extra:
        others, late = hol_figures(extra)
        print(f"  (c) at {RATE}/s with one partner's answer refused once with 429 (retry after {RETRY_AFTER} s): the"
              f" other {len(others)} chats' answers p50 {percentile(others, 50) * 1000:.1f} ms, p99"
              f" {percentile(others, 99) * 1000:.0f} ms, max {max(others) * 1000:.0f} ms; {late} of them over 0.5 s"
              f" (load {extra['hol'].load})")
    print()
    print("memory and start-up (each bot in its own process; the emulator lives in the parent)")
    for label in ("echo", "full"):
        m, s = memory[label], startup[label]
        catalogue = f", catalogue load {s['catalogue']:.2f} s" if s.get("catalogue") is not None else ""
        print(f"  {label}: start-up {s['total']:.2f} s to the first getUpdates at load {s['load']:.1f}"
              f" (interpreter {s['interpreter']:.2f} s,"
              f" imports {s['imports']:.2f} s" + (f" of which bot.app {s['import_app']:.2f} s" if label == "full" else
                                                   " (aiogram)") + f", build {s['build']:.2f} s"
              f"{catalogue}, getMe/menus/first poll {s['rest']:.2f} s)")
        catalogue_rss = f", the catalogue +{s['catalogue_rss'] / 1024:.1f} MB" if s.get("catalogue_rss") else ""
        print(f"        RSS after imports {s['rss_imported'] / 1024:.1f} MB{catalogue_rss}; at first poll"
              f" {m['start']['VmRSS'] / 1024:.1f} MB; after all scenarios {m['end']['VmRSS'] / 1024:.1f} MB,"
              f" peak (VmHWM) {m['end']['VmHWM'] / 1024:.1f} MB")
    full_m, full_s = memory["full"], startup["full"]
    peak = full_m["end"]["VmHWM"] / 1024
    verdicts.append((f"RSS < {TARGET_RSS_MB:.0f} MB (10k cases, 100k models)", peak < TARGET_RSS_MB,
                     f"peak {peak:.1f} MB (at first poll {full_m['start']['VmRSS'] / 1024:.1f} MB)"))
    verdicts.append((f"start-up < {TARGET_STARTUP_S:.0f} s", full_s["total"] < TARGET_STARTUP_S,
                     f"{full_s['total']:.2f} s (imports {full_s['imports']:.2f} s)"))
    print()
    print("targets")
    for name, ok, figure in verdicts:
        print(f"  {mark(ok)} {name:38} {figure}")
    return verdicts


def startup_figures(bot: BotProcess) -> dict:
    s = bot.started
    script = s["script"] - bot.spawned_wall
    imports = s["import_all"]
    build = s["build"]
    total = bot.startup or 0.0
    return {
        "total": total, "interpreter": script, "imports": imports, "import_app": s["import_app"],
        "build": build, "catalogue": s.get("catalogue"), "rest": max(0.0, total - (s["at"] - bot.spawned_wall)),
        "rss_imported": s.get("rss_imported", 0), "catalogue_rss": s.get("catalogue_rss"),
        "gc_threshold": s.get("gc_threshold"), "load": os.getloadavg()[0],
    }


async def main_async(args: argparse.Namespace) -> int:
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    load = os.getloadavg()
    print(f"bot benchmark (python {sys.version.split()[0]}, {os.cpu_count()} cpu, load average {load[0]:.2f}"
          f"{', quick' if args.quick else ''})")
    with tempfile.TemporaryDirectory(prefix="botbench-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        models = generate_models(CATALOGUE_MODELS, args.seed)
        write_tree(work / "firmware", models, args.seed)
        print(f"  catalogue: {len(models):,} models written in {time.perf_counter() - started:.1f} s", flush=True)

        # One emulator per bot (a second getUpdates on one would end the first with 409), so both bots can
        # run side by side and their runs alternate: the full bot's world has the database's cases and topics,
        # the echo bot's the same people and topics (it answers a relay in its topic).
        emus: dict[str, Emulator] = {}
        collectors: dict[str, Collector] = {}
        for label in ("echo", "full"):
            emus[label] = Emulator(token=SANDBOX_TOKEN, bot_username=BOT_USERNAME)
            collectors[label] = Collector()
            emus[label].server.calls = HookedCalls(emus[label].server.calls, collectors[label].on_call)
        emu, collector = emus["full"], collectors["full"]
        bots: list[BotProcess] = []
        try:
            for label in ("echo", "full"):
                await emus[label].start(host="127.0.0.1", port=0)
            world = add_people(emu, plan)
            world.models = models
            world.queries = make_queries(models, 500, args.seed + 1)
            db_path = work / "bench.sqlite3"
            filled = await fill_database(db_path, world, plan, args.seed)
            echo_world = add_people(emus["echo"], plan)
            echo_world.models, echo_world.queries = models, world.queries
            echo_threads = make_topics(emus["echo"], len(world.relay_cases))
            echo_world.relay_cases = [(case_id, partner, thread)
                                      for (case_id, partner, _), thread in zip(world.relay_cases, echo_threads)]
            worlds = {"echo": echo_world, "full": world}
            # The emulators' worlds and the catalogue list are large and live for the whole run: keep the
            # collector from walking them in the middle of a measurement.
            gc.collect()
            gc.freeze()
            statuses = ", ".join(f"{k} {v}" for k, v in sorted(filled["statuses"].items()))
            print(f"  database: {CASES_IN_DB:,} cases ({statuses})"
                  f" in {filled['seconds']:.1f} s, {filled['bytes'] / 2**20:.1f} MB", flush=True)
            # Sandbox._make_settings, with the generated catalogue and the prepared database. What differs
            # from production is listed in the README ("Bot throughput..."): keep the two in step.
            settings = {
                "_env_file": None, "bot_token": SANDBOX_TOKEN, "telegram_api_url": emu.base_url,
                "engineers_chat_id": GROUP_ID, "admin_ids": [ADMIN.user_id], "database_path": str(db_path),
                "firmware_catalogue_dir": str(work / "firmware"), "calendar_dir": str(ROOT / "data" / "calendar"),
                "firmware_base_url": "https://files.example.invalid/firmware/", "log_level": "WARNING",
                "outbox_chat_interval": 0, "outbox_group_per_minute": 60,
            }
            echo_settings = {**settings, "telegram_api_url": emus["echo"].base_url}
            log_path = work / "bots.log"
            harness = Harness()
            results: dict = {}
            pairs: dict = {}
            memory: dict = {}
            startup: dict = {}
            extra: dict = {}

            echo = BotProcess("echo", emus["echo"], collectors["echo"], echo_settings, log_path)
            bots.append(echo)
            await echo.start()
            await asyncio.sleep(0.3)
            memory["echo"] = {"start": (await echo.mem())["status"]}
            startup["echo"] = startup_figures(echo)
            print(f"  echo bot polling after {echo.startup:.2f} s (load {startup['echo']['load']:.1f},"
                  f" gc threshold {startup['echo']['gc_threshold']})", flush=True)

            # A first full bot drives one partner through the intake; its dialog is copied to the
            # intake scenario's partners while no full bot runs (a running one knows which dialogs exist
            # and would not look for rows written behind its back). The measured bot starts after.
            driver = BotProcess("full", emu, collector, settings, log_path)
            bots.append(driver)
            await driver.start(global_pacing=False)
            await settle(emu)
            prompt = await prepare_intake(emu, db_path, world, driver)

            full = BotProcess("full", emu, collector, settings, log_path)
            bots.append(full)
            await full.start(global_pacing=False)
            await asyncio.sleep(0.3)
            memory["full"] = {"start": (await full.mem())["status"]}
            startup["full"] = startup_figures(full)
            print(f"  full bot polling after {full.startup:.2f} s (load {startup['full']['load']:.1f},"
                  f" gc threshold {startup['full']['gc_threshold']},"
                  f" catalogue {full.started.get('catalogue_models', 0):,} models)", flush=True)
            await settle(emu)
            await run_pairs(harness, worlds, {"echo": echo, "full": full}, plan, prompt, results, pairs)
            memory["echo"]["end"] = (await echo.mem())["status"]
            await echo.stop()
            # The relay once more with the outbox as production runs it: at most 30 sends a second.
            await full.command("pace on", "pace")
            extra["production"] = await harness.burst(RelayScenario(world, True), plan.production_pacing_burst, full,
                                                      plan.production_pacing_burst / 20 + 10)
            await full.command("pace off", "pace")
            # One partner's answer is refused once with 429 (as Telegram does when a chat gets too much):
            # the bot waits and retries it; what does that do to everybody else's answers?
            victim = world.firmware_users[RATE // 2]
            collector.skip[(victim, None)] = 1
            emu.faults.add("sendMessage", chat_id=victim, kind="retry_after", retry_after=RETRY_AFTER, times=1)
            extra["hol"] = await harness.paced(FirmwareScenario(world, True), int(RATE * plan.hol_seconds), full,
                                               RATE, 30)
            extra["hol_victim"] = victim
            emu.faults.clear()
            collector.skip.clear()
            memory["full"]["end"] = (await full.mem())["status"]
            await full.stop()

            verdicts = print_report(results, pairs, memory, startup, extra, plan)
            if args.markdown:
                print_markdown(results, pairs, memory, startup, extra, plan, verdicts)
            print_limits(results, extra, memory, startup)
            # The 429 of the head-of-line run is expected to be logged; anything else is worth a look.
            problems = [line for line in log_path.read_text(errors="replace").splitlines()
                        if (" WARNING " in line or " ERROR " in line or "Traceback" in line)
                        and "asks to wait" not in line]
            emu_errors = [e for label in ("echo", "full") for e in emus[label].internal_errors]
            if problems or emu_errors:
                print(f"\n  bot log: {len(problems)} warnings/errors; emulator errors: {len(emu_errors)}")
                for line in (problems + emu_errors)[:8]:
                    print(f"    {line[:160]}")
            print(f"\n  whole run {time.perf_counter() - started:.0f} s, load average now {os.getloadavg()[0]:.2f}")
            return 0 if all(ok for _, ok, _ in verdicts) else 1
        finally:
            for bot in bots:
                await bot.stop()
            for label in ("echo", "full"):
                await emus[label].stop()


def print_limits(results: dict, extra: dict, memory: dict, startup: dict) -> None:
    names = ("(a) partner mid-intake", "(b) engineer relayed to partner", "(c) /firmware, 100k models")
    full = [results[(n, "full")][0] for n in names]
    echo = [results[(n, "echo")][0] for n in names]

    def each(values, fmt: str = ".0f") -> str:
        return " / ".join(format(v, fmt) for v in values)

    def cpu_ms(run: Run) -> float:  # CPU time of the bot's process per update, all threads
        return 1000 * (run.bot_cpu or 0) / run.rate if run.rate else float("nan")

    process = [100 * (r.bot_cpu or 0) for r in full]
    loop = [100 * (r.threads or {}).get("loop", 0) for r in full]
    trips = [(r.sql or {}).get("trips", 0) for r in full]
    transactions = [(r.sql or {}).get("transactions", 0) for r in full]
    emu = max(r.emu_cpu or 0 for r in full + echo) * 100
    echo_s, full_s = startup["echo"], startup["full"]
    text = (
        f"In the bursts the full bot's process used {each(process)}% of a core in (a) / (b) / (c), its event loop"
        f" thread {each(loop)}% and aiosqlite's SQLite thread most of the rest: the two take turns under the GIL,"
        f" so the process is CPU-bound at about one core and the burst rate is one over its CPU time per update,"
        f" {each(map(cpu_ms, full), '.1f')} ms against the echo bot's {each(map(cpu_ms, echo), '.1f')} ms. The"
        f" echo bot's share is aiogram's own work, which both pay: parsing each update into pydantic models, routing,"
        f" building one sendMessage and parsing its answer. The full bot adds four outer middlewares, eleven routers"
        f" of filters (run on the event loop: aiogram would send each magic filter to a worker thread) and"
        f" {each(trips, '.1f')} trips per update to aiosqlite's SQLite thread for {each(transactions, '.1f')}"
        f" writes. A trip costs some 60 us of CPU in thread switches whatever the SQL, so writes that find the"
        f" connection busy wait and then go together, one trip and one commit, each in a savepoint of its own"
        f" (group commit); the FSM keeps a write-through cache and knows which keys have a row, so somebody with"
        f" no dialog costs no read; 'last seen' is written once a minute per person; a relay's outbox item is"
        f" written by the handler, and the sender reads the chat's head, sends, and writes the result and the"
        f" message link in one go. (a) also runs the out-of-scope check on the description and (c) the catalogue"
        f" match over 100k models; every update is also written to"
        f" the inbox table and marked when handled (what makes a SIGKILL lose nothing and a resent update count once). The emulator runs in the benchmark's own process on the other core,"
        f" never used more than {emu:.0f}% of it and has its garbage collector paused while a run is measured, so"
        f" it capped neither bot. At a steady {RATE}/s both bots have"
        f" capacity to spare, so p99 there is one update's own path (HTTP both ways, the DB hops), not queueing."
    )
    runs = [r for n in names for r in results[(n, "full")]]
    full_gcs = sum((r.gc or {}).get("full", 0) for r in runs)
    if full_gcs:
        longest = max((r.gc or {}).get("full_longest", 0) for r in runs) * 1000
        echo_gcs = sum((r.gc or {}).get("full", 0) for n in names for r in results[(n, "echo")])
        text += (f" Python's full garbage collections walk every object the process holds, above all the ~190k that"
                 f" importing aiogram and pydantic leaves behind: {full_gcs} of them in the full bot during the runs"
                 f" ({echo_gcs} in the echo bot) stopped the event loop for up to {longest:.0f} ms each, which is"
                 f" what a steady run that meets one sees as its maximum latency.")
    gc_share = [100 * (r.gc or {}).get("seconds", 0) / r.seconds if r.seconds else 0 for r in full]
    text += (f" The collector took {each(gc_share, '.1f')}% of the burst time: `python -m bot run`, like this run,"
             f" freezes the start-up objects out of its sight and lets 10,000 objects (not 700) pile up before a"
             f" young collection, so most of an update's objects are gone before one comes.")
    if "hol" in extra:
        others, late = hol_figures(extra)
        text += (f" One chat's trouble stays its own: a single answer refused with 429 is waited out"
                 f" ({RETRY_AFTER} s) inside its handler by the direct-answer retry while the other updates go on;"
                 f" {late} of the {len(others)} other chats' answers came over 0.5 s late"
                 f" (p99 {percentile(others, 99) * 1000:.0f} ms).")
    if "production" in extra:
        text += (f" With the outbox's global pacing on (OUTBOX_GLOBAL_PER_SECOND=30, the production default),"
                 f" relays top out at {extra['production'].rate:.0f}/s whatever the bot's own speed.")
    text += (
        f" Memory and start-up are set mostly by aiogram: importing it builds a pydantic validator for each of its"
        f" ~300 Telegram types, {echo_s['imports']:.1f} s and {echo_s['rss_imported'] / 1024:.0f} MB here, which is"
        f" where the bare echo bot stays. The full bot builds them on first use (bot/compat.py): all its"
        f" imports take {full_s['imports']:.1f} s and leave {full_s['rss_imported'] / 1024:.0f} MB; the 100k-model"
        f" catalogue adds {(full_s.get('catalogue_rss') or 0) / 1024:.0f} MB and {full_s.get('catalogue') or 0:.1f} s."
    )
    print()
    print("what limits these figures")
    print(textwrap.fill(text, width=118, initial_indent="  ", subsequent_indent="  "))


def hol_figures(extra: dict) -> tuple[list[float], int]:
    run, victim = extra["hol"], extra["hol_victim"]
    others = [lat for (_, call), lat in zip(run.answers, run.latencies) if call.chat_id != victim]
    return others, sum(1 for lat in others if lat > 0.5)


def print_markdown(results: dict, pairs: dict, memory: dict, startup: dict, extra: dict, plan: Plan,
                   verdicts: list[tuple[str, bool, str]]) -> None:
    print()
    print("README section (markdown)")
    print()
    print("### Bot throughput, latency, memory and start-up (`benchmarks/bench_bot.py`)")
    print()
    print(f"The full bot and a bare aiogram echo bot (one handler, `message.answer(message.text)`), each in its own"
          f" process with the same garbage-collector tuning, polling an emulator of its own on this 2-core machine."
          f" Burst: {plan.repeats} pairs of {plan.burst} updates put in at once, each from a different chat, an echo"
          f" and a full burst back to back; × echo is the median of the pairs' ratios. Steady: {plan.paced} updates"
          f" at {RATE}/s. Latency runs from putting the update into the emulator to the arrival of the bot's"
          f" answering API call. Load is the machine's 1-minute load average after the runs. The database holds"
          f" {CASES_IN_DB:,} cases, the catalogue {CATALOGUE_MODELS:,} models; the settings that differ from"
          f" production are listed in the README, beside this table.")
    print()
    print("| scenario | bot | updates/s (burst) | × echo | p50 / p99 burst, ms | p50 / p99 at 100/s, ms | p99 × echo"
          " | load |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name in ("(a) partner mid-intake", "(b) engineer relayed to partner", "(c) /firmware, 100k models"):
        echo_burst, echo_paced = results[(name, "echo")]
        for label in ("echo", "full"):
            burst, paced = results[(name, label)]
            ratio = median_ratio(pairs[name]) if label == "full" else 1.0
            print(f"| {name} | {label} | {burst.rate:.0f} | {ratio:.2f} | {burst.p(50):.0f} /"
                  f" {burst.p(99):.0f} | {paced.p(50):.1f} / {paced.p(99):.1f} |"
                  f" {paced.p(99) / echo_paced.p(99):.1f} | {burst.load} |")
    print()
    for name in ("(a) partner mid-intake", "(b) engineer relayed to partner", "(c) /firmware, 100k models"):
        print(f"- {name}, full / echo per pair (load after echo / full): {pairs_text(pairs[name])}")
    m, s, e = memory["full"], startup["full"], startup["echo"]
    print()
    print(f"Resident memory: {m['start']['VmRSS'] / 1024:.0f} MB at the first poll, peak {m['end']['VmHWM'] / 1024:.0f}"
          f" MB after the runs (the catalogue {(s.get('catalogue_rss') or 0) / 1024:.0f} MB; the bare echo bot"
          f" {memory['echo']['start']['VmRSS'] / 1024:.0f} MB). Start-up to the first getUpdates:"
          f" {s['total']:.2f} s, of which imports {s['imports']:.2f} s and the catalogue {s['catalogue'] or 0:.2f} s"
          f" (echo bot {e['total']:.2f} s, nearly all of it importing aiogram).")
    if "production" in extra:
        print(f"With the outbox's global 30 msg/s pacing on (as in production), relays run at"
              f" {extra['production'].rate:.0f}/s.")
    if "hol" in extra:
        others, late = hol_figures(extra)
        print(f"One partner's answer refused once with 429 (retry after {RETRY_AFTER} s) at {RATE}/s: the other chats'"
              f" p99 becomes {percentile(others, 99) * 1000:.0f} ms ({late} of {len(others)} answers over 0.5 s).")
    print()
    marks = (f"{name}: {'ok' if ok else 'FAIL'}, {figure}" for name, ok, figure in verdicts)
    print("Targets: " + "; ".join(marks) + ".")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller bursts and shorter steady runs (< 1 min)")
    parser.add_argument("--markdown", action="store_true", help="also print the figures as a README section")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    try:
        return asyncio.run(asyncio.wait_for(main_async(args), timeout=240 if args.quick else 420))
    except asyncio.TimeoutError:
        print("the benchmark ran out of its time limit", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
