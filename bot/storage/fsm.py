"""aiogram FSM storage on the bot's SQLite database: dialog state and data survive restarts."""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Mapping
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


class SQLiteStorage(BaseStorage):
    """Data is kept as JSON, never pickle: a database file must not be able to run code.

    The bot is the only writer of the table, so the records it has read or written are also kept
    in memory (write-through, the most recent `cache_size`): a dialog step reads its state and
    data several times, and each read would otherwise be a trip to the SQLite thread.

    Most updates come from someone with no dialog open at all (an engineer writing in a topic,
    a partner asking for firmware), so the keys that have a row are known too, read once: a key
    outside that set is empty without asking. The set may hold a key whose row has gone (that
    costs one read), never miss one that has a row."""

    def __init__(self, db: Database, key_builder: KeyBuilder | None = None, *, cache_size: int = 10_000) -> None:
        self.db = db
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)
        self.cache_size = cache_size
        self._cache: OrderedDict[str, tuple[str | None, str]] = OrderedDict()
        self._keys: set[str] | None = None  # every key with a row, once read
        self._written_while_reading: set[str] = set()
        self._reading_keys: asyncio.Future[None] | None = None
        self._in_flight: dict[str, int] = {}  # writes on their way, per key

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
        self._remember(key, (row["state"], row["data"]))
        if dropped.rowcount and not left and self._keys is not None:
            self._keys.discard(key)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._write(self._key(key), _UPSERT_STATE, value)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._record(self._key(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, Mapping):
            raise TypeError(f"FSM data must be a mapping, not {type(data).__name__}")
        text = json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"))
        await self._write(self._key(key), _UPSERT_DATA, text)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        # Parsed afresh each time: callers may change what they get without touching the cache.
        return json.loads((await self._record(self._key(key)))[1])

    async def close(self) -> None:
        # The database belongs to the application, which closes it after the dispatcher stops.
        pass
