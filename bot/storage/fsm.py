"""aiogram FSM storage on the bot's SQLite database: dialog state and data survive restarts."""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey

from bot.storage.database import Database, utc_stamp

# A record nobody has: no row in the table.
_EMPTY: tuple[str | None, str] = (None, "{}")
# Upsert one column, hand the row back, and drop it again when nothing is left in it.
_UPSERT = """
    INSERT INTO fsm (key, {column}, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET {column} = excluded.{column}, updated_at = excluded.updated_at
    RETURNING state, data
"""
_UPSERT_STATE = _UPSERT.format(column="state")
_UPSERT_DATA = _UPSERT.format(column="data")
_DROP_EMPTY = "DELETE FROM fsm WHERE key = ? AND state IS NULL AND data = '{}'"
# A whole record at once, as a unit of work leaves it.
_PUT = """
    INSERT INTO fsm (key, state, data, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET state = excluded.state, data = excluded.data, updated_at = excluded.updated_at
"""
_DROP = "DELETE FROM fsm WHERE key = ?"
Statement = tuple[str, tuple[Any, ...]]


class Unit:
    """The FSM writes of one update, kept back to go to the database in the update's own trip."""

    def __init__(self) -> None:
        self.records: dict[str, tuple[str | None, str]] = {}
        self.open = True


# The unit of the update being handled; tasks it starts inherit it, and write directly once it is closed.
_unit: ContextVar[Unit | None] = ContextVar("fsm_unit", default=None)


class SQLiteStorage(BaseStorage):
    """Data is kept as JSON, never pickle: a database file must not be able to run code.

    The bot is the only writer of the table, so the records it has read or written are also kept
    in memory (write-through, the most recent `cache_size`): a dialog step reads its state and
    data several times, and each read would otherwise be a trip to the SQLite thread.

    Most updates come from someone with no dialog open at all (an engineer writing in a topic,
    a partner asking for firmware), so the keys that have a row are known too, read once: a key
    outside that set is empty without asking. The set may hold a key whose row has gone (that
    costs one read), never miss one that has a row.

    While an update is handled inside `unit()`, its writes are not sent one by one: they change
    the memory at once (so the rest of the update reads them) and leave with the update's
    "handled" mark in one transaction (`unit_statements`, then `unit_written`). Writes from
    outside an update, or after its unit has closed, go to the database directly."""

    def __init__(self, db: Database, key_builder: KeyBuilder | None = None, *, cache_size: int = 10_000) -> None:
        self.db = db
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)
        self.cache_size = cache_size
        self._cache: OrderedDict[str, tuple[str | None, str]] = OrderedDict()
        self._keys: set[str] | None = None  # every key with a row, once read
        self._written_while_reading: set[str] = set()
        self._reading_keys: asyncio.Future[None] | None = None
        self._in_flight: dict[str, int] = {}  # writes on their way, per key
        self._kept: dict[str, int] = {}  # units holding a write of the key back, per key

    def _key(self, key: StorageKey) -> str:
        return self.key_builder.build(key)

    def _remember(self, key: str, record: tuple[str | None, str]) -> None:
        self._cache[key] = record
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    async def _known_keys(self) -> set[str]:
        while self._keys is None:
            if self._reading_keys is not None:  # somebody is reading them: wait, then look again
                await asyncio.shield(self._reading_keys)
                continue
            self._reading_keys = asyncio.get_running_loop().create_future()
            try:
                rows = await self.db.fetchall("SELECT key FROM fsm")
                # Rows written while the read was on its way may be missing from it.
                self._keys = {row["key"] for row in rows} | self._written_while_reading
                self._written_while_reading.clear()
            finally:
                # Failed or cancelled, the waiters do not share this reader's fate: one of them reads.
                self._reading_keys.set_result(None)
                self._reading_keys = None
        return self._keys

    async def _record(self, key: str) -> tuple[str | None, str]:
        record = self._cache.get(key)
        if record is None:
            if key not in await self._known_keys():
                return self._cache.get(key, _EMPTY)  # not remembered: most such keys never come back
            row = await self.db.fetchone("SELECT state, data FROM fsm WHERE key = ?", (key,))
            record = (row["state"], row["data"]) if row else _EMPTY
            # A write that finished while this read was on its way has already cached a newer record.
            record = self._cache.get(key, record)
        self._remember(key, record)
        return record

    async def _write(self, key: str, upsert: str, value: str | None) -> None:
        # The key counts as known from before the write until after it: a read meanwhile must not
        # take it for empty. Only the last of several writes in flight may drop it again.
        if self._keys is None:
            self._written_while_reading.add(key)
        else:
            self._keys.add(key)
        self._in_flight[key] = self._in_flight.get(key, 0) + 1
        try:
            upserted, dropped = await self.db.write((upsert, (key, value, utc_stamp())), (_DROP_EMPTY, (key,)))
        except BaseException:
            # Cancelled on its way, the write may still be done: the cached record may be stale,
            # and the key stays counted as in flight, so it never leaves the set.
            self._cache.pop(key, None)
            raise
        left = self._in_flight.pop(key) - 1
        if left:
            self._in_flight[key] = left
        row = upserted.rows[0]
        record = (row["state"], row["data"])
        kept = self._cache.get(key) if self._kept.get(key) else None
        if kept is not None:
            # A unit holds the other column back: memory, not the row, is the newest record.
            record = (record[0], kept[1]) if upsert is _UPSERT_STATE else (kept[0], record[1])
        self._remember(key, record)
        if dropped.rowcount and not left and self._keys is not None:
            self._keys.discard(key)

    def open_unit(self) -> Unit:
        """Keep this task's writes (and those of tasks it starts meanwhile) for one trip."""
        unit = Unit()
        _unit.set(unit)
        return unit

    def unit_statements(self, unit: Unit) -> list[Statement]:
        """Closes the unit: the statements that write what it kept, the newest record of each key."""
        unit.open = False
        statements: list[Statement] = []
        stamp = utc_stamp()
        for key, kept in unit.records.items():
            # Another update may have written the key since: memory holds the newest record.
            state, data = self._cache.get(key, kept)
            unit.records[key] = (state, data)
            if state is None and data == "{}":
                statements.append((_DROP, (key,)))
            else:
                statements.append((_PUT, (key, state, data, stamp)))
        return statements

    def unit_written(self, unit: Unit, ok: bool) -> None:
        """After the unit's trip: the keys it wrote are settled (or, when the trip failed, forgotten
        from memory, which may now be ahead of the database)."""
        for key, (state, data) in unit.records.items():
            left = self._in_flight.pop(key) - 1
            if left:
                self._in_flight[key] = left
            kept = self._kept.pop(key) - 1
            if kept:
                self._kept[key] = kept
            if not ok:
                self._cache.pop(key, None)
            elif state is None and data == "{}" and not left and self._keys is not None:
                self._keys.discard(key)

    def _keep(self, unit: Unit, key: str, record: tuple[str | None, str]) -> None:
        if key not in unit.records:
            self._in_flight[key] = self._in_flight.get(key, 0) + 1
            self._kept[key] = self._kept.get(key, 0) + 1
            if self._keys is None:
                self._written_while_reading.add(key)
            else:
                self._keys.add(key)
        unit.records[key] = record
        self._remember(key, record)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        built = self._key(key)
        unit = _unit.get()
        if unit is not None and unit.open:
            self._keep(unit, built, (value, (await self._record(built))[1]))
            return
        await self._write(built, _UPSERT_STATE, value)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._record(self._key(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, Mapping):
            raise TypeError(f"FSM data must be a mapping, not {type(data).__name__}")
        text = json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"))
        built = self._key(key)
        unit = _unit.get()
        if unit is not None and unit.open:
            self._keep(unit, built, ((await self._record(built))[0], text))
            return
        await self._write(built, _UPSERT_DATA, text)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        # Parsed afresh each time: callers may change what they get without touching the cache.
        return json.loads((await self._record(self._key(key)))[1])

    async def close(self) -> None:
        # The database belongs to the application, which closes it after the dispatcher stops.
        pass
