"""A small key-value table for single facts the bot must remember (e.g. the Wishes topic id)."""

from __future__ import annotations

from bot.storage.database import Database


class KeyValueRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: str) -> str | None:
        row = await self.db.fetchone("SELECT value FROM kv WHERE key = ?", (key,))
        return row["value"] if row else None

    async def set(self, key: str, value: str | None) -> None:
        if value is None:
            await self.db.execute("DELETE FROM kv WHERE key = ?", (key,))
        else:
            await self.db.execute(
                "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
