"""Partners: the installers and integrators who write to the bot."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime

from bot.domain import Partner  # a domain type; importing it from here keeps working
from bot.storage.database import Database, from_db_time, seen_just_now, to_db_time
from bot.visible_text import clean


def _partner(row) -> Partner:
    return Partner(
        user_id=row["user_id"],
        first_name=row["first_name"],
        username=row["username"],
        name=row["name"],
        company=row["company"],
        phone=row["phone"],
        banned=bool(row["banned"]),
        ban_reason=row["ban_reason"],
        ban_notified=bool(row["ban_notified"]),
        blocked_bot=bool(row["blocked_bot"]),
        created_at=from_db_time(row["created_at"]),
        last_seen_at=from_db_time(row["last_seen_at"]),
    )


CACHE_SIZE = 10_000


class PartnerRepository:
    """All writes to the partners table go through here, so the rows `touch` hands out can be
    remembered (the most recent CACHE_SIZE) and dropped whenever one of them changes."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._touched: OrderedDict[int, Partner] = OrderedDict()
        self._banned: set[int] | None = None  # loaded on first use; `set_banned` keeps it current
        self._ban_writes = 0

    def _forget(self, user_id: int) -> None:
        """Called after every write: also drops a row a `touch` racing the write may have kept."""
        self._touched.pop(user_id, None)

    async def get(self, user_id: int) -> Partner | None:
        row = await self.db.fetchone("SELECT * FROM partners WHERE user_id = ?", (user_id,))
        return _partner(row) if row else None

    async def lookup(self, user_id: int) -> Partner | None:
        """The partner's row without recording anything: from the cache when `touch` has it."""
        known = self._touched.get(user_id)
        if known is not None:
            return known
        return await self.get(user_id)

    async def is_banned(self, user_id: int) -> bool:
        """Asked for every update, so answered from memory: bans are few and only `set_banned`
        changes them."""
        while self._banned is None:
            writes = self._ban_writes
            rows = await self.db.fetchall("SELECT user_id FROM partners WHERE banned = 1")
            if writes == self._ban_writes:  # else a ban changed while reading: read again
                self._banned = {row[0] for row in rows}
        return user_id in self._banned

    async def touch(
        self, user_id: int, first_name: str, username: str | None, at: datetime
    ) -> Partner:
        """Record that the partner wrote now; a partner who writes again has evidently unblocked us.
        One trip to the database (the upsert hands the row back), none if nothing would change
        but a "last seen" less than a minute old."""
        first_name = clean(first_name)  # a Telegram name may be made of invisible characters
        known = self._touched.get(user_id)
        if (known is not None and (known.first_name, known.username) == (first_name, username)
                and not known.blocked_bot and seen_just_now(known.last_seen_at, at)):
            self._touched.move_to_end(user_id)
            return known
        self._forget(user_id)
        [result] = await self.db.write((
            """
            INSERT INTO partners (user_id, first_name, username, created_at, last_seen_at)
            VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET
                first_name = excluded.first_name,
                username = excluded.username,
                last_seen_at = excluded.last_seen_at,
                blocked_bot = 0
            RETURNING *
            """,
            (user_id, first_name or "", username, to_db_time(at), to_db_time(at)),
        ))
        partner = _partner(result.rows[0])
        self._touched[user_id] = partner
        while len(self._touched) > CACHE_SIZE:
            self._touched.popitem(last=False)
        return partner

    async def save_contact(self, user_id: int, name: str, company: str | None, phone: str) -> None:
        await self.db.execute(
            "UPDATE partners SET name = ?, company = ?, phone = ? WHERE user_id = ?",
            (clean(name), clean(company) if company is not None else None, clean(phone), user_id),
        )
        self._forget(user_id)

    async def set_banned(self, user_id: int, banned: bool, reason: str | None = None) -> bool:
        """Returns False when there is no such partner."""
        changed = await self.db.execute(
            "UPDATE partners SET banned = ?, ban_reason = ?, ban_notified = 0 WHERE user_id = ?",
            (int(banned), clean(reason) if banned and reason is not None else None, user_id),
        )
        self._forget(user_id)
        self._ban_writes += 1
        if self._banned is not None and changed:
            if banned:
                self._banned.add(user_id)
            else:
                self._banned.discard(user_id)
        return changed > 0

    async def mark_ban_notified(self, user_id: int) -> None:
        await self.db.execute("UPDATE partners SET ban_notified = 1 WHERE user_id = ?", (user_id,))
        self._forget(user_id)

    async def set_blocked_bot(self, user_id: int, blocked: bool) -> None:
        await self.db.execute(
            "UPDATE partners SET blocked_bot = ? WHERE user_id = ?", (int(blocked), user_id)
        )
        self._forget(user_id)

    async def all_ids(self, *, include_blocked: bool = False) -> list[int]:
        sql = "SELECT user_id FROM partners WHERE banned = 0"
        if not include_blocked:
            sql += " AND blocked_bot = 0"
        return [row[0] for row in await self.db.fetchall(sql + " ORDER BY user_id")]
