"""Engineers the bot has seen in the engineers' group."""

from __future__ import annotations

from datetime import datetime

from bot.domain import Engineer  # a domain type; importing it from here keeps working
from bot.storage.database import Database, from_db_time, seen_just_now, to_db_time
from bot.visible_text import clean


class EngineerRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._written: dict[int, tuple[str, str | None, datetime]] = {}  # what was last stored, per engineer

    async def seen(self, user_id: int, first_name: str, username: str | None, at: datetime) -> None:
        first_name = clean(first_name)  # shown in /engineers; a Telegram name may hide characters
        last = self._written.get(user_id)
        if last is not None and last[:2] == (first_name, username) and seen_just_now(last[2], at):
            return
        await self.db.execute(
            """
            INSERT INTO engineers (user_id, first_name, username, last_seen_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET first_name = excluded.first_name,
                username = excluded.username, last_seen_at = excluded.last_seen_at
            """,
            (user_id, first_name or "", username, to_db_time(at)),
        )
        self._written[user_id] = (first_name, username, at)

    async def all(self) -> list[Engineer]:
        rows = await self.db.fetchall("SELECT * FROM engineers ORDER BY first_name, user_id")
        return [Engineer(r["user_id"], r["first_name"], r["username"], from_db_time(r["last_seen_at"])) for r in rows]
