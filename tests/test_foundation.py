"""Foundation: settings, command line, storage and FSM persistence, /start end to end."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.config import SettingsError, load_settings
from bot.storage.database import Database
from bot.storage.fsm import SQLiteStorage
from bot.storage.migrations import MIGRATIONS
from bot.storage.outbox import OutboxRepository
from bot.storage.partners import PartnerRepository

ROOT = Path(__file__).resolve().parent.parent
GOOD_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.upper().startswith(("BOT_", "TELEGRAM_", "ENGINEERS_", "ADMIN_"))}
    base["PYTHONPATH"] = str(ROOT)
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=base, cwd=cwd, timeout=60
    )


# --- settings -------------------------------------------------------------------------------

def test_settings_parse_lists_and_defaults():
    settings = load_settings(_env_file=None, bot_token=GOOD_TOKEN, admin_ids="1, 2;3", engineers_chat_id="-1001")
    assert settings.admin_ids == (1, 2, 3)
    assert settings.engineers_chat_id == -1001
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert str(settings.database_path) == "data/bot.sqlite3"
    assert settings.reaction_levels == {1: "4h", 2: "8h", 3: "5d"}


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("bot_token", "abc", "BOT_TOKEN: the token is malformed"),
        ("admin_ids", "12,bob", "ADMIN_IDS: 'bob' is not a user id"),
        ("engineers_chat_id", "group", "ENGINEERS_CHAT_ID: must be a whole number"),
        ("engineers_chat_id", "12345", "ENGINEERS_CHAT_ID: must be the negative id"),
        ("telegram_api_url", "localhost:8081", "TELEGRAM_API_URL: must be an http(s) URL"),
        ("log_level", "LOUD", "LOG_LEVEL: must be one of"),
        ("work_start", "7 am", "WORK_START: must be a time of day"),
        ("reaction_levels", "1=four hours", "REACTION_LEVELS: '1=four hours' should look like"),
        ("shortened_day_hours", "x", "SHORTENED_DAY_HOURS:"),
    ],
)
def test_malformed_setting_names_itself(field, value, fragment):
    with pytest.raises(SettingsError) as info:
        load_settings(_env_file=None, **{field: value})
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_levels_must_exist():
    with pytest.raises(SettingsError, match="DEFAULT_LEVELS"):
        load_settings(_env_file=None, default_levels="config=7")


# --- command line ---------------------------------------------------------------------------

def test_run_without_token_names_bot_token(tmp_path):
    result = run_cli("run", cwd=tmp_path)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "BOT_TOKEN" in lines[0] and "Traceback" not in result.stderr


def test_run_with_malformed_token_says_so(tmp_path):
    result = run_cli(cwd=tmp_path, env={"BOT_TOKEN": "abc"})
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["Configuration error: BOT_TOKEN: the token is malformed (expected '123456789:AA…' as given by @BotFather)"]


def test_run_without_group_names_engineers_chat(tmp_path):
    result = run_cli("run", cwd=tmp_path, env={"BOT_TOKEN": GOOD_TOKEN})
    assert result.returncode != 0
    assert "ENGINEERS_CHAT_ID" in result.stderr and "Traceback" not in result.stderr


def test_help_lists_subcommands(tmp_path):
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    for name in ("run", "sandbox", "firmware", "hours"):
        assert name in result.stdout


# --- storage --------------------------------------------------------------------------------

async def test_database_is_migrated_with_wal_and_foreign_keys(tmp_path):
    db = await Database.open(tmp_path / "a.sqlite3")
    try:
        assert (await db.fetchone("PRAGMA user_version"))[0] == len(MIGRATIONS)
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
    finally:
        await db.close()
    # Opening again applies nothing twice.
    db = await Database.open(tmp_path / "a.sqlite3")
    await db.close()


async def test_a_failed_transaction_leaves_nothing(db, clock):
    partners = PartnerRepository(db)
    await partners.touch(1, "Иван", None, clock.now())
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute("UPDATE partners SET name = 'x' WHERE user_id = 1")
            raise RuntimeError("boom")
    assert (await partners.get(1)).name is None


async def test_a_failed_batch_write_leaves_nothing(db, clock):
    partners = PartnerRepository(db)
    await partners.touch(1, "Иван", None, clock.now())
    with pytest.raises(sqlite3.IntegrityError):
        await db.write(
            ("UPDATE partners SET name = 'x' WHERE user_id = 1", ()),
            ("INSERT INTO partners (user_id) VALUES (NULL)", ()),  # NOT NULL columns: refused
        )
    assert (await partners.get(1)).name is None
    # The connection is usable afterwards: no transaction was left open.
    assert await db.execute("UPDATE partners SET name = 'y' WHERE user_id = 1") == 1
    assert (await partners.get(1)).name == "y"


async def _kv(db: Database) -> dict[str, str]:
    return {row["key"]: row["value"] for row in await db.fetchall("SELECT key, value FROM kv")}


def _count_trips(db: Database, monkeypatch) -> list[int]:
    trips = [0]
    run = db.run

    async def counting(work, *args):
        trips[0] += 1
        return await run(work, *args)
    monkeypatch.setattr(db, "run", counting)
    return trips


async def test_concurrent_writes_commit_together_each_with_its_own_results(db, monkeypatch):
    trips = _count_trips(db, monkeypatch)
    results = await asyncio.gather(*(
        db.write(("INSERT INTO kv (key, value) VALUES (?, ?)", (f"k{i}", str(i))),
                 ("SELECT value FROM kv WHERE key = ?", (f"k{i}",)))
        for i in range(50)
    ))
    # The first goes alone; the 49 that came while it was on its way share one trip.
    assert trips[0] == 2
    assert [r[1].rows[0]["value"] for r in results] == [str(i) for i in range(50)]
    assert all(r[0].rowcount == 1 for r in results)
    assert len({r[0].lastrowid for r in results}) == 50
    assert await _kv(db) == {f"k{i}": str(i) for i in range(50)}
    assert not db.conn.in_transaction


async def test_a_failing_write_in_a_group_is_undone_alone(db):
    await db.write(("INSERT INTO kv (key, value) VALUES ('taken', '0')", ()))
    first = asyncio.ensure_future(db.write(("INSERT INTO kv (key, value) VALUES ('a', '1')", ())))
    await asyncio.sleep(0)  # `first` is on its way: the next three queue up and go as one group
    outcomes = await asyncio.gather(
        db.write(("INSERT INTO kv (key, value) VALUES ('b', '2')", ())),
        db.write(("INSERT INTO kv (key, value) VALUES ('c', '3')", ()),
                 ("INSERT INTO kv (key, value) VALUES ('taken', 'again')", ())),  # primary key: refused
        db.write(("INSERT INTO kv (key, value) VALUES ('d', '4')", ())),
        return_exceptions=True,
    )
    await first
    assert isinstance(outcomes[1], sqlite3.IntegrityError)
    assert not isinstance(outcomes[0], BaseException) and not isinstance(outcomes[2], BaseException)
    # 'c' went with the refused statement, so it is gone too; the neighbours are kept.
    assert await _kv(db) == {"taken": "0", "a": "1", "b": "2", "d": "4"}
    assert await db.execute("INSERT INTO kv (key, value) VALUES ('e', '5')") == 1


@pytest.mark.parametrize("cause", ["or_rollback", "disk_full"])
async def test_an_error_that_ends_the_whole_transaction_fails_only_its_own_write(db, cause):
    """Some errors take the transaction with them, savepoints and all: the group is then run again
    one caller at a time, so each caller gets what its own statements get."""
    await db.write(("INSERT INTO kv (key, value) VALUES ('taken', '0')", ()))
    if cause == "disk_full":
        pages = (await db.fetchone("PRAGMA page_count"))[0]
        await db.fetchone(f"PRAGMA max_page_count = {pages + 3}")
        failing = ("INSERT INTO kv (key, value) VALUES ('big', ?)", ("x" * 200_000,))
    else:
        failing = ("INSERT OR ROLLBACK INTO kv (key, value) VALUES ('taken', 'again')", ())
    first = asyncio.ensure_future(db.write(("INSERT INTO kv (key, value) VALUES ('a', '1')", ())))
    await asyncio.sleep(0)
    outcomes = await asyncio.gather(
        db.write(("INSERT INTO kv (key, value) VALUES ('b', '2')", ())),
        db.write(failing),
        db.write(("INSERT INTO kv (key, value) VALUES ('d', '4')", ())),
        return_exceptions=True,
    )
    await first
    assert isinstance(outcomes[1], sqlite3.OperationalError if cause == "disk_full" else sqlite3.IntegrityError)
    assert [r.rowcount for r in outcomes[0]] == [1] and [r.rowcount for r in outcomes[2]] == [1]
    assert await _kv(db) == {"taken": "0", "a": "1", "b": "2", "d": "4"}
    assert not db.conn.in_transaction


async def test_queued_writes_on_their_way_are_reported_even_if_their_writer_is_cancelled(db):
    first = asyncio.ensure_future(db.write(("INSERT INTO kv (key, value) VALUES ('a', '1')", ())))
    await asyncio.sleep(0)
    queued = asyncio.ensure_future(db.write(("INSERT INTO kv (key, value) VALUES ('b', '2')", ())))
    await asyncio.sleep(0)
    writer = db._writer
    await first
    while not db._write_lock.locked() or db._queued:  # the writer has taken the queue on its way
        await asyncio.sleep(0)
    writer.cancel()
    # The caller was not cancelled and its write is done: it hears so.
    [result] = await queued
    assert result.rowcount == 1
    assert await _kv(db) == {"a": "1", "b": "2"}


async def test_a_cancelled_close_does_not_cancel_queued_writes(tmp_path):
    db = await Database.open(tmp_path / "c.sqlite3")
    first = asyncio.ensure_future(db.write(("INSERT INTO kv (key, value) VALUES ('a', '1')", ())))
    await asyncio.sleep(0)
    queued = [asyncio.ensure_future(db.write(("INSERT INTO kv (key, value) VALUES (?, '2')", (f"q{i}",))))
              for i in range(3)]
    await asyncio.sleep(0)
    closing = asyncio.ensure_future(db.close())
    await asyncio.sleep(0)
    closing.cancel()
    results = await asyncio.gather(*queued, first)
    assert all(r[0].rowcount == 1 for r in results)
    assert len(await _kv(db)) == 4
    await db.conn.close()


async def test_a_transaction_cancelled_before_its_first_statement_ran_leaves_nothing_open(db):
    slow = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 2000000) SELECT count(*) FROM c"
    reading = asyncio.ensure_future(db.fetchone(slow))  # keeps the SQLite thread busy

    async def change() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO kv (key, value) VALUES ('lost', '1')")
    changing = asyncio.ensure_future(change())
    await asyncio.sleep(0.01)
    changing.cancel()  # its BEGIN and INSERT are still queued behind the read
    await asyncio.gather(changing, return_exceptions=True)
    await reading
    assert not db.conn.in_transaction
    assert await db.execute("INSERT INTO kv (key, value) VALUES ('next', '1')") == 1
    assert await _kv(db) == {"next": "1"}


async def test_outbox_passes_over_a_used_dedupe_key_but_not_a_broken_item(db):
    outbox = OutboxRepository(db)
    for _ in range(2):
        async with db.batch() as conn:
            await outbox.enqueue(conn, 5, "send_message", {"text": "x"}, dedupe_key="relay:1")
    assert (await db.fetchone("SELECT COUNT(*) FROM outbox"))[0] == 1
    with pytest.raises(sqlite3.IntegrityError):
        async with db.batch() as conn:
            await outbox.enqueue(conn, None, "send_message", {"text": "x"}, dedupe_key="relay:2")  # type: ignore[arg-type]


async def test_writes_wait_for_an_open_transaction_and_one_given_up_is_not_written(db):
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO kv (key, value) VALUES ('tx', '1')")
        kept = asyncio.ensure_future(db.write(("INSERT INTO kv (key, value) VALUES ('kept', '1')", ())))
        dropped = asyncio.ensure_future(db.write(("INSERT INTO kv (key, value) VALUES ('dropped', '1')", ())))
        await asyncio.sleep(0.05)
        assert not kept.done()
        dropped.cancel()
    await kept
    assert dropped.cancelled()
    assert await _kv(db) == {"tx": "1", "kept": "1"}


async def test_closing_waits_for_queued_writes(tmp_path):
    path = tmp_path / "close.sqlite3"
    db = await Database.open(path)
    writes = [asyncio.ensure_future(db.write(("INSERT INTO kv (key, value) VALUES (?, '1')", (f"k{i}",))))
              for i in range(10)]
    await asyncio.sleep(0)
    await db.close()
    await asyncio.gather(*writes)
    db = await Database.open(path)
    try:
        assert len(await _kv(db)) == 10
    finally:
        await db.close()


async def test_a_transaction_whose_first_statement_fails_rolls_back_cleanly(db):
    with pytest.raises(sqlite3.OperationalError):
        async with db.transaction() as conn:
            await conn.execute("UPDATE no_such_table SET x = 1")
    assert not db.conn.in_transaction
    async with db.transaction() as conn:
        result = await conn.execute("INSERT INTO kv (key, value) VALUES ('a', '1')")
    assert result.rowcount == 1


async def test_partner_contact_and_ban_round_trip(db, clock):
    partners = PartnerRepository(db)
    await partners.touch(7, "Ольга", "olga", clock.now())
    await partners.save_contact(7, "Ольга Смирнова", "ООО Ромашка", "+79990001122")
    assert await partners.set_banned(7, True, "спам")
    partner = await partners.get(7)
    assert partner.has_contact and partner.banned and partner.ban_reason == "спам"
    assert not await partners.set_banned(999, True)


async def test_fsm_state_and_data_survive_reopening(tmp_path):
    path = tmp_path / "fsm.sqlite3"
    key = StorageKey(bot_id=1, chat_id=1001, user_id=1001, thread_id=None, destiny="default")
    topic_key = StorageKey(bot_id=1, chat_id=-100, user_id=2001, thread_id=55)
    db = await Database.open(path)
    storage = SQLiteStorage(db)
    await storage.set_state(key, "Intake:serial")
    await storage.set_data(key, {"draft": {"model": "DH-IPC-HFW2431S-S-S2", "files": [1, 2]}, "ё": "да"})
    await storage.set_state(topic_key, "Other:step")
    await db.close()

    db = await Database.open(path)
    storage = SQLiteStorage(db)
    try:
        assert await storage.get_state(key) == "Intake:serial"
        assert await storage.get_data(key) == {"draft": {"model": "DH-IPC-HFW2431S-S-S2", "files": [1, 2]}, "ё": "да"}
        # Thread ids are part of the key: the same user in another topic has another state.
        assert await storage.get_state(topic_key) == "Other:step"
        assert await storage.get_state(StorageKey(bot_id=1, chat_id=-100, user_id=2001, thread_id=56)) is None
        await storage.set_state(key, None)
        await storage.set_data(key, {})
        assert await storage.get_state(key) is None and await storage.get_data(key) == {}
        assert (await db.fetchone("SELECT COUNT(*) FROM fsm WHERE key LIKE '%1001%'"))[0] == 0
    finally:
        await db.close()


async def test_fsm_cache_agrees_with_the_database_and_hands_out_copies(db):
    key = StorageKey(bot_id=1, chat_id=5, user_id=5)
    storage = SQLiteStorage(db, cache_size=2)
    await storage.set_data(key, {"draft": {"files": [1]}})
    mine = await storage.get_data(key)
    mine["draft"]["files"].append(2)  # a handler changing what it got changes nothing stored
    assert await storage.get_data(key) == {"draft": {"files": [1]}}
    await storage.set_state(key, "Intake:model")
    # Writes go through: another storage on the same database (no cache yet) reads the same.
    fresh = SQLiteStorage(db)
    assert await fresh.get_state(key) == "Intake:model"
    assert await fresh.get_data(key) == {"draft": {"files": [1]}}
    # The cache keeps only the most recent records, and an evicted one is read back intact.
    for other in range(10, 15):
        await storage.set_state(StorageKey(bot_id=1, chat_id=other, user_id=other), "Intake:serial")
    assert len(storage._cache) == 2
    assert await storage.get_state(key) == "Intake:model"
    assert await storage.get_data(key) == {"draft": {"files": [1]}}


async def test_fsm_asks_the_database_only_about_keys_that_have_a_row(db, monkeypatch):
    old = StorageKey(bot_id=1, chat_id=7, user_id=7)
    await SQLiteStorage(db).set_state(old, "Intake:serial")  # left by an earlier run
    storage = SQLiteStorage(db, cache_size=1)
    asked: list[str] = []
    fetchone, fetchall = db.fetchone, db.fetchall

    async def spy_one(sql, params=()):
        asked.append(sql)
        return await fetchone(sql, params)

    async def spy_all(sql, params=()):
        asked.append(sql)
        return await fetchall(sql, params)
    monkeypatch.setattr(db, "fetchone", spy_one)
    monkeypatch.setattr(db, "fetchall", spy_all)

    # Strangers (many at once, before the keys are known): one read of the keys, then nothing.
    strangers = [StorageKey(bot_id=1, chat_id=-100, user_id=2001, thread_id=t) for t in range(20)]
    assert await asyncio.gather(*(storage.get_state(k) for k in strangers)) == [None] * 20
    assert asked == ["SELECT key FROM fsm"]
    assert await storage.get_data(strangers[0]) == {}
    assert len(asked) == 1
    # A key from the earlier run is found.
    assert await storage.get_state(old) == "Intake:serial"
    assert len(asked) == 2
    # Written, pushed out of the cache, read back; cleared, then known to be empty again.
    await storage.set_data(strangers[0], {"a": 1})
    await storage.get_state(old)
    assert await storage.get_data(strangers[0]) == {"a": 1}
    await storage.set_data(strangers[0], {})
    await storage.get_state(old)
    before = len(asked)
    assert await storage.get_data(strangers[0]) == {}
    assert len(asked) == before


async def test_fsm_key_written_while_the_keys_are_being_read_is_not_lost(db, monkeypatch):
    storage = SQLiteStorage(db, cache_size=1)
    key, other = StorageKey(bot_id=1, chat_id=8, user_id=8), StorageKey(bot_id=1, chat_id=9, user_id=9)
    fetchall = db.fetchall
    release = asyncio.Event()

    async def slow(sql, params=()):
        rows = await fetchall(sql, params)  # read before the write below commits
        await release.wait()
        return rows
    monkeypatch.setattr(db, "fetchall", slow)
    reading = asyncio.ensure_future(storage.get_state(other))
    await asyncio.sleep(0.01)
    await storage.set_state(key, "Intake:model")
    release.set()
    assert await reading is None
    await storage.set_state(other, "Intake:serial")  # pushes `key` out of the one-record cache
    assert await storage.get_state(key) == "Intake:model"


async def test_a_cancelled_fsm_write_never_loses_its_key(db):
    """Two writes to one key share a trip and one of them is cancelled on its way: the row stays,
    and so must the key (a key outside the set reads as "no dialog" for good)."""
    storage = SQLiteStorage(db, cache_size=1)
    key, other = StorageKey(bot_id=1, chat_id=5, user_id=5), StorageKey(bot_id=1, chat_id=6, user_id=6)
    await storage.set_data(key, {"a": 1})
    await storage.get_state(other)  # the key set is read
    async with db.transaction() as conn:  # somebody holds the connection: the two writes queue up
        await conn.execute("INSERT INTO kv (key, value) VALUES ('x', '1')")
        clearing = asyncio.ensure_future(storage.set_data(key, {}))  # alone, this would drop the row
        starting = asyncio.ensure_future(storage.set_state(key, "InfoRequest:answer"))
        await asyncio.sleep(0.01)
    while db._queued:  # the writer takes both on their way
        await asyncio.sleep(0)
    starting.cancel()
    await asyncio.gather(clearing, starting, return_exceptions=True)
    await asyncio.sleep(0.05)
    await storage.set_state(other, "x")  # pushes `key` out of the one-record cache
    assert await storage.get_state(key) == "InfoRequest:answer"


async def test_fsm_readers_waiting_for_the_key_set_outlive_a_cancelled_first_reader(db, monkeypatch):
    storage = SQLiteStorage(db)
    await SQLiteStorage(db).set_state(StorageKey(bot_id=1, chat_id=3, user_id=3), "Intake:model")
    fetchall, calls = db.fetchall, []

    async def slow(sql, params=()):
        calls.append(sql)
        await asyncio.sleep(0.05)
        return await fetchall(sql, params)
    monkeypatch.setattr(db, "fetchall", slow)
    first = asyncio.ensure_future(storage.get_state(StorageKey(bot_id=1, chat_id=1, user_id=1)))
    await asyncio.sleep(0.01)
    waiting = asyncio.ensure_future(storage.get_state(StorageKey(bot_id=1, chat_id=3, user_id=3)))
    await asyncio.sleep(0.01)
    first.cancel()
    assert await waiting == "Intake:model"
    assert first.cancelled() and len(calls) == 2


async def test_fsm_data_refuses_non_json(db):
    storage = SQLiteStorage(db)
    key = StorageKey(bot_id=1, chat_id=1, user_id=1)
    with pytest.raises(TypeError):
        await storage.set_data(key, {"when": object()})


# --- end to end -------------------------------------------------------------------------------

async def test_start_greets_with_main_menu(desk):
    await desk.partner_says("/start")
    answer = desk.last_to_partner()
    assert "Здравствуйте, Иван" in answer.text
    keyboard = answer.reply_markup["keyboard"]
    labels = [button["text"] for row in keyboard for button in row]
    assert "📝 Новая заявка" in labels and "💾 Прошивки и документация" in labels


async def test_text_without_a_case_points_to_the_menu(desk):
    await desk.partner_says("привет")
    assert "Новая заявка" in desk.last_to_partner().text
    await desk.partner_sends("sticker")
    assert "Новая заявка" in desk.last_to_partner().text


async def test_settle_waits_for_an_update_fetched_but_not_yet_stored(desk, monkeypatch):
    """A slow inbox write (a busy disk) must not let the harness read the chat before the bot
    has answered: the last CI failure was this race."""
    from bot.storage.inbox import InboxRepository

    store = InboxRepository.add

    async def slow_add(self, rows):
        await asyncio.sleep(0.4)
        return await store(self, rows)

    monkeypatch.setattr(InboxRepository, "add", slow_add)
    await desk.partner_says("/start")
    assert "Здравствуйте, Иван" in desk.last_to_partner().text


async def test_engineer_last_seen_is_written_once_a_minute_or_on_a_new_name(db, clock):
    from datetime import timedelta

    from bot.storage.engineers import EngineerRepository

    engineers = EngineerRepository(db)
    start = clock.now()
    await engineers.seen(5, "Пётр", "petr", start)
    await engineers.seen(5, "Пётр", "petr", start + timedelta(seconds=30))
    [stored] = await engineers.all()
    assert stored.last_seen_at == start
    await engineers.seen(5, "Пётр", "petr_new", start + timedelta(seconds=40))
    [stored] = await engineers.all()
    assert stored.username == "petr_new" and stored.last_seen_at == start + timedelta(seconds=40)
    await engineers.seen(5, "Пётр", "petr_new", start + timedelta(seconds=101))
    [stored] = await engineers.all()
    assert stored.last_seen_at == start + timedelta(seconds=101)


async def test_partner_touch_writes_last_seen_once_a_minute_and_never_hides_a_change(db, clock):
    from datetime import timedelta

    partners = PartnerRepository(db)
    start = clock.now()
    await partners.touch(8, "Анна", "anna", start)
    again = await partners.touch(8, "Анна", "anna", start + timedelta(seconds=20))
    assert again.last_seen_at == start and (await partners.get(8)).last_seen_at == start
    # Whatever changes the row is seen on the very next touch, within the minute.
    assert await partners.set_banned(8, True, "спам")
    assert (await partners.touch(8, "Анна", "anna", start + timedelta(seconds=30))).banned
    await partners.set_blocked_bot(8, True)
    assert not (await partners.touch(8, "Анна", "anna", start + timedelta(seconds=35))).blocked_bot
    await partners.save_contact(8, "Анна Петрова", None, "+79990000000")
    assert (await partners.touch(8, "Анна", "anna", start + timedelta(seconds=40))).has_contact
    renamed = await partners.touch(8, "Аня", "anna", start + timedelta(seconds=45))
    assert renamed.first_name == "Аня" and (await partners.get(8)).first_name == "Аня"
    later = await partners.touch(8, "Аня", "anna", start + timedelta(seconds=120))
    assert (await partners.get(8)).last_seen_at == later.last_seen_at == start + timedelta(seconds=120)


async def test_bans_are_answered_from_memory_and_kept_current(db, clock):
    partners = PartnerRepository(db)
    await partners.touch(7, "Иван", None, clock.now())
    await partners.set_banned(7, True)
    fresh = PartnerRepository(db)  # as after a restart
    assert await fresh.is_banned(7) and not await fresh.is_banned(8)
    await fresh.touch(8, "Анна", None, clock.now())
    await fresh.set_banned(8, True)
    await fresh.set_banned(7, False)
    assert await fresh.is_banned(8) and not await fresh.is_banned(7)


async def test_fsm_writes_of_a_unit_wait_for_its_trip_and_are_read_back_meanwhile(db):
    storage = SQLiteStorage(db)
    key, gone = StorageKey(bot_id=1, chat_id=5, user_id=5), StorageKey(bot_id=1, chat_id=6, user_id=6)
    await storage.set_data(gone, {"left": 1})  # outside a unit: at once
    assert (await db.fetchone("SELECT COUNT(*) FROM fsm"))[0] == 1
    later: list[asyncio.Task] = []

    async def update() -> None:
        unit = storage.open_unit()
        await storage.set_data(key, {"draft": {"model": "X"}})
        await storage.set_state(key, "Intake:serial")
        await storage.set_state(gone, None)
        await storage.set_data(gone, {})
        # What the rest of the update reads is what it wrote, though the database has none of it yet.
        assert await storage.get_state(key) == "Intake:serial"
        assert await storage.get_data(key) == {"draft": {"model": "X"}}
        assert await storage.get_data(gone) == {}
        assert (await db.fetchone("SELECT COUNT(*) FROM fsm WHERE key LIKE '%:5:%'"))[0] == 0

        async def afterwards() -> None:  # started by the update, writes once its unit has closed
            await asyncio.sleep(0.02)
            await storage.set_state(StorageKey(bot_id=1, chat_id=7, user_id=7), "Rating:comment")
        later.append(asyncio.create_task(afterwards()))
        statements = storage.unit_statements(unit)
        assert [sql.split()[0] for sql, _ in statements] == ["INSERT", "DELETE"]
        await db.write(*statements)
        storage.unit_written(unit, True)

    await asyncio.create_task(update())
    await later[0]
    rows = {row["key"]: (row["state"], row["data"]) for row in await db.fetchall("SELECT * FROM fsm")}
    assert list(rows.values()) == [("Intake:serial", '{"draft":{"model":"X"}}'), ("Rating:comment", "{}")]
    fresh = SQLiteStorage(db)
    assert await fresh.get_state(key) == "Intake:serial" and await fresh.get_data(gone) == {}
    assert await storage.get_data(gone) == {} and storage._keys is not None and len(storage._keys) == 2


async def test_a_unit_writes_the_newest_record_and_a_failed_trip_leaves_memory_to_the_database(db):
    storage = SQLiteStorage(db)
    key = StorageKey(bot_id=1, chat_id=5, user_id=5)
    await storage.set_state(key, "Intake:model")

    async def first() -> object:
        unit = storage.open_unit()
        await storage.set_data(key, {"a": 1})
        return unit
    unit = await asyncio.create_task(first())
    await storage.set_state(key, "InfoRequest:answer")  # another update, outside the unit, meanwhile
    await db.write(*storage.unit_statements(unit))  # must not put the older state back
    storage.unit_written(unit, True)
    assert await SQLiteStorage(db).get_state(key) == "InfoRequest:answer"

    async def failing() -> None:
        unit = storage.open_unit()
        await storage.set_state(key, "Intake:serial")
        storage.unit_statements(unit)
        storage.unit_written(unit, False)  # the trip failed: nothing of it was stored
    await asyncio.create_task(failing())
    assert await storage.get_state(key) == "InfoRequest:answer"
    assert await storage.get_data(key) == {"a": 1}


def test_every_setting_is_documented_in_env_example():
    """Each field of Settings has its line in .env.example, and the file names no setting that does not exist."""
    import re

    from bot.config import Settings

    text = (Path(__file__).resolve().parent.parent / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.M))
    fields = {(field.alias or name).upper() for name, field in Settings.model_fields.items()}
    assert (sorted(fields - documented), sorted(documented - fields)) == ([], [])
