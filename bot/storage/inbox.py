"""The inbox: updates fetched from Telegram and confirmed, kept until they have been handled."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.storage.database import Database


class InboxRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, items: list[tuple[int, str]]) -> None:
        """(update id, update as JSON) pairs, in one transaction; a repeated id is ignored."""
        now = datetime.now(timezone.utc).isoformat()
        await self.db.write(*(
            ("INSERT OR IGNORE INTO inbox (update_id, payload, received_at) VALUES (?, ?, ?)", (update_id, payload, now))
            for update_id, payload in items
        ))

    async def done(self, update_id: int) -> None:
        await self.db.execute("DELETE FROM inbox WHERE update_id = ?", (update_id,))

    async def left_over(self) -> list[tuple[int, str]]:
        """(update id, update as JSON) of what a stopped or killed run left unhandled, in order."""
        rows = await self.db.fetchall("SELECT update_id, payload FROM inbox ORDER BY update_id")
        return [(row["update_id"], row["payload"]) for row in rows]
