"""aiogram FSM storage on the bot's SQLite database: dialog state and data survive restarts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey

from bot.storage.database import Database


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class SQLiteStorage(BaseStorage):
    """Data is kept as JSON, never pickle: a database file must not be able to run code."""

    def __init__(self, db: Database, key_builder: KeyBuilder | None = None) -> None:
        self.db = db
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)

    def _key(self, key: StorageKey) -> str:
        return self.key_builder.build(key)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        async with self.db.transaction() as conn:
            await conn.execute(
                """
                INSERT INTO fsm (key, state, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
                """,
                (self._key(key), value, _now()),
            )
            await conn.execute("DELETE FROM fsm WHERE key = ? AND state IS NULL AND data = '{}'", (self._key(key),))

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self.db.fetchone("SELECT state FROM fsm WHERE key = ?", (self._key(key),))
        return row["state"] if row else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, Mapping):
            raise TypeError(f"FSM data must be a mapping, not {type(data).__name__}")
        text = json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"))
        async with self.db.transaction() as conn:
            await conn.execute(
                """
                INSERT INTO fsm (key, data, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at
                """,
                (self._key(key), text, _now()),
            )
            await conn.execute("DELETE FROM fsm WHERE key = ? AND state IS NULL AND data = '{}'", (self._key(key),))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await self.db.fetchone("SELECT data FROM fsm WHERE key = ?", (self._key(key),))
        return json.loads(row["data"]) if row else {}

    async def close(self) -> None:
        # The database belongs to the application, which closes it after the dispatcher stops.
        pass
