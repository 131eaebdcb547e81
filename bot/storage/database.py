"""The SQLite database: one aiosqlite connection, WAL, foreign keys, numbered migrations."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.clock import MSK
from bot.compat import run_on_connection_thread
from bot.storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)
T = TypeVar("T")


def to_db_time(moment: datetime) -> str:
    """Store every moment as ISO text in Moscow time, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime cannot be stored")
    return moment.astimezone(MSK).isoformat(timespec="microseconds")


# "Last seen" times are kept to the minute: someone writing several messages in a row is written once.
SEEN_RESOLUTION = timedelta(minutes=1)


def seen_just_now(last: datetime, at: datetime) -> bool:
    """Whether a "last seen" stored at `last` is still good enough at `at`."""
    return timedelta(0) <= at - last < SEEN_RESOLUTION


def utc_stamp(moment: datetime | None = None) -> str:
    """Bookkeeping times (when a row was written or sent), in UTC; not the desk's business times."""
    return (moment or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat()


def from_db_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text).astimezone(MSK)


Params = tuple | dict


@dataclass(frozen=True)
class Result:
    """What a statement left: changed rows, the new row id, and any rows it returned."""

    rowcount: int
    lastrowid: int | None
    rows: list[sqlite3.Row]


def _execute_all(conn: sqlite3.Connection, statements: Sequence[tuple[str, Params]]) -> list[Result]:
    results = []
    for sql, params in statements:
        cursor = conn.execute(sql, params)
        try:
            rows = cursor.fetchall()
            results.append(Result(cursor.rowcount, cursor.lastrowid, rows))
        finally:
            cursor.close()
    return results


class _TransactionLost(Exception):
    """A statement's error took the whole transaction with it, not just its savepoint."""


def _run_groups(conn: sqlite3.Connection, groups: Sequence[Sequence[tuple[str, Params]]]) -> list[list[Result] | Exception]:
    """On the connection's thread: several callers' writes in one transaction, each group in a
    savepoint of its own, so a group that fails is undone alone and the others still commit.
    A group's entry is its results, or the exception that undid it.

    Some errors (disk full, I/O errors, OR ROLLBACK) end the whole transaction, savepoints and
    all; then, and if the commit itself fails, each group is run again alone, so every caller
    gets what its own statements would have got."""
    outcomes: list[list[Result] | Exception] = []
    try:
        conn.execute("BEGIN IMMEDIATE")
        for statements in groups:
            conn.execute("SAVEPOINT w")
            try:
                outcomes.append(_execute_all(conn, statements))
            except Exception as exc:  # sqlite3 errors, bad parameters
                if not conn.in_transaction:
                    raise _TransactionLost from exc
                conn.execute("ROLLBACK TO w")
                outcomes.append(exc)
            conn.execute("RELEASE w")
        conn.execute("COMMIT")
    except Exception:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return [_run_alone(conn, statements) for statements in groups]
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return outcomes


def _run_alone(conn: sqlite3.Connection, statements: Sequence[tuple[str, Params]]) -> list[Result] | Exception:
    try:
        return _run(conn, statements, True, True)
    except Exception as exc:
        return exc


def _run(conn: sqlite3.Connection, statements: Sequence[tuple[str, Params]], begin: bool,
         commit: bool) -> list[Result]:
    """On the connection's thread: the statements, optionally opening and closing a transaction."""
    try:
        if begin:
            conn.execute("BEGIN IMMEDIATE")
        results = _execute_all(conn, statements)
        if commit:
            conn.execute("COMMIT")
    except BaseException:
        if commit and conn.in_transaction:  # a whole batch of ours; a Transaction rolls back itself
            conn.execute("ROLLBACK")
        raise
    return results


def _executemany(conn: sqlite3.Connection, sql: str, rows: list[Params], begin: bool) -> None:
    if begin:
        conn.execute("BEGIN IMMEDIATE")
    conn.executemany(sql, rows).close()


def _rollback_if_open(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _fetchone(conn: sqlite3.Connection, sql: str, params: Params) -> sqlite3.Row | None:
    cursor = conn.execute(sql, params)
    try:
        return cursor.fetchone()
    finally:
        cursor.close()


class Transaction:
    """The handle `Database.transaction()` yields. BEGIN travels with the first statement and
    every statement is one trip to the SQLite thread, so a one-statement transaction costs two
    trips (statement, COMMIT) instead of three."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.begun = False

    async def execute(self, sql: str, params: Params = ()) -> Result:
        begin, self.begun = not self.begun, True
        [result] = await self._db.run(_run, [(sql, params)], begin, False)
        return result

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """One statement over many rows, in one trip (bulk loads: the benchmark, imports)."""
        begin, self.begun = not self.begun, True
        await self._db.run(_executemany, sql, list(rows), begin)


class Batch:
    """The handle `Database.batch()` yields: statements are only collected, then written in one
    transaction in one trip when the block ends. For writes whose results nobody reads."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Params]] = []

    async def execute(self, sql: str, params: Params = ()) -> None:
        self.statements.append((sql, params))


def _deliver(group: list[tuple[Any, asyncio.Future[list[Result]]]], trip: asyncio.Future) -> None:
    """Each queued caller's outcome of a finished group trip."""
    if trip.cancelled():
        outcomes: list[Any] = [None] * len(group)
    elif trip.exception() is not None:
        outcomes = [trip.exception()] * len(group)
    else:
        outcomes = trip.result()
    for (_, future), outcome in zip(group, outcomes):
        if future.done():
            continue
        if outcome is None:
            future.cancel()
        elif isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


class Database:
    """Owns the connection. Writers go through `write()` or `transaction()`, which serialise them:
    one connection is shared by every coroutine, so two interleaved BEGINs would collide.

    aiosqlite runs SQLite on a thread of its own; each trip there and back costs far more CPU
    than a small indexed statement (~60 µs against ~10 µs here), so the methods below make one
    trip each: `fetchone`, `fetchall`, `execute` and `write` (several statements in one
    transaction). `transaction()` is for the few writes that need Python between statements.

    `write()` also commits in groups: writes that arrive while another write or a transaction
    has the connection wait in a queue, and the whole queue then goes in one trip and one
    commit, each caller's statements in a savepoint of their own (all or nothing per caller, as
    if alone). Under load that turns many small commits into a few; alone, a write goes at once."""

    def __init__(self, conn: aiosqlite.Connection, path: Path | str) -> None:
        self.conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()
        self._queued: list[tuple[Sequence[tuple[str, Params]], asyncio.Future[list[Result]]]] = []
        self._writer: asyncio.Task | None = None

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so nothing commits behind our back.
        connecting = asyncio.ensure_future(aiosqlite.connect(str(path), isolation_level=None))
        try:
            conn = await asyncio.shield(connecting)
        except asyncio.CancelledError:
            # aiosqlite's thread opens the file whatever happens to us: a stop that lands here
            # would otherwise leave a connection open that nobody closes.
            with contextlib.suppress(Exception):
                await (await connecting).close()
            raise
        conn.row_factory = aiosqlite.Row
        db = cls(conn, path)
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA synchronous=NORMAL")
            await conn.execute("PRAGMA busy_timeout=5000")
            await db._migrate()
        except BaseException:
            await conn.close()
            raise
        return db

    async def _migrate(self) -> None:
        async with self.conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = row[0] if row else 0
        if version > len(MIGRATIONS):
            raise RuntimeError(
                f"database {self.path} has schema version {version}, newer than this code knows "
                f"({len(MIGRATIONS)}); upgrade the bot"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            log.info("Applying database migration %d", number)
            # executescript commits by itself, so the script carries its own BEGIN/COMMIT and
            # sets user_version inside it: a crash never leaves a half-applied migration.
            await self.conn.executescript(
                f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
            )

    @property
    def schema_version(self) -> int:
        return len(MIGRATIONS)

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """`work(sqlite3_connection, *args)` on the connection's thread: one trip."""
        return await run_on_connection_thread(self.conn, work, *args)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._write_lock:
            tx = Transaction(self)
            try:
                yield tx
            except BaseException:
                if tx.begun:
                    # Asked on the SQLite thread, after anything still queued there: a statement
                    # cancelled on its way may not have opened the transaction yet when we get here.
                    # Shielded, so a second cancellation cannot leave it open either.
                    await asyncio.shield(self.run(_rollback_if_open))
                raise
            else:
                if tx.begun:
                    await self.conn.execute("COMMIT")

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[Batch]:
        batch = Batch()
        yield batch
        if batch.statements:
            await self.write(*batch.statements)

    async def write(self, *statements: tuple[str, Params]) -> list[Result]:
        """The statements in one transaction, one trip; all or nothing."""
        if self._writer is None and not self._write_lock.locked():
            async with self._write_lock:  # nobody else is writing: go at once
                return await self.run(_run, statements, True, True)
        future: asyncio.Future[list[Result]] = asyncio.get_running_loop().create_future()
        self._queued.append((statements, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_queued(), name="db-group-commit")
        return await future

    async def _write_queued(self) -> None:
        try:
            while self._queued:
                async with self._write_lock:
                    # Callers that gave up while waiting are left out, as they would have been
                    # had they waited for the lock themselves.
                    group = [(statements, f) for statements, f in self._queued if not f.done()]
                    self._queued = []
                    if not group:
                        continue
                    trip = asyncio.ensure_future(self.run(_run_groups, [statements for statements, _ in group]))
                    try:
                        await asyncio.shield(trip)
                    except asyncio.CancelledError:
                        # This task is being cancelled (shutdown), but the trip goes on in the
                        # SQLite thread and may commit: its callers hear how it ended, not "cancelled".
                        trip.add_done_callback(lambda done, group=group: _deliver(group, done))
                        raise
                    _deliver(group, trip)
        finally:
            self._writer = None
            for _, future in self._queued:  # only if this task was cancelled (shutdown)
                future.cancel()
            self._queued = []

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        return await self.run(_fetchone, sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return list(await self.conn.execute_fetchall(sql, params))

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One statement in its own transaction; returns the number of rows changed."""
        return (await self.write((sql, params)))[0].rowcount

    async def close(self) -> None:
        if self._writer is not None:
            # Shielded: a close that is itself cancelled must not cancel writes on their way.
            await asyncio.gather(asyncio.shield(self._writer), return_exceptions=True)
        await self.conn.close()
