"""The inbox: updates fetched from Telegram and confirmed, kept until they have been handled,
and then for as long as Telegram could send them again."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.storage.database import Database, utc_stamp

# Telegram keeps an update it has not seen confirmed for up to 24 hours; a handled one is kept a
# little longer, so that if it comes again (the process died between handling it and asking for
# the next batch, which is what confirms it) it is known and not handled a second time.
KEEP_HANDLED = timedelta(hours=25)


class InboxRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, items: list[tuple[int, str]]) -> set[int]:
        """(update id, update as JSON) pairs, in one transaction; returns the ids that were new.
        An id already here (waiting, or handled before a restart) is not added again. Handled
        updates too old to come again are dropped in the same go."""
        now = datetime.now(timezone.utc)
        results = await self.db.write(
            ("DELETE FROM inbox WHERE handled_at < ?", (utc_stamp(now - KEEP_HANDLED),)),
            *(("INSERT INTO inbox (update_id, payload, received_at) VALUES (?, ?, ?)"
               " ON CONFLICT (update_id) DO NOTHING RETURNING update_id", (update_id, payload, utc_stamp(now)))
              for update_id, payload in items),
        )
        return {row["update_id"] for result in results[1:] for row in result.rows}

    async def done(self, update_id: int) -> None:
        await self.db.execute(*self.done_statement(update_id))

    @staticmethod
    def done_statement(update_id: int) -> tuple[str, tuple[str, int]]:
        """The "handled" mark, for a caller that writes it in a transaction of its own."""
        return "UPDATE inbox SET handled_at = ? WHERE update_id = ?", (utc_stamp(), update_id)

    async def left_over(self) -> list[tuple[int, str]]:
        """(update id, update as JSON) of what a stopped or killed run left unhandled, in order."""
        rows = await self.db.fetchall(
            "SELECT update_id, payload FROM inbox WHERE handled_at IS NULL ORDER BY update_id"
        )
        return [(row["update_id"], row["payload"]) for row in rows]
