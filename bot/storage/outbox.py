"""The outbox table: everything the bot must deliver, written before it is sent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any


from bot.storage.database import Batch, Database, Transaction, utc_stamp


@dataclass(frozen=True)
class OutboxItem:
    id: int
    chat_id: int
    case_id: int | None
    kind: str
    payload: dict[str, Any]
    attempts: int


def lane_of(chat_id: int, case_id: int | None) -> str:
    """What keeps its order: each case's topic in a group, each private chat as a whole. One
    case's stuck item then holds its own topic, not every case's."""
    if chat_id is not None and chat_id < 0 and case_id is not None:  # no chat: the insert itself refuses
        return f"{chat_id}:{case_id}"
    return str(chat_id)


def _item(row) -> OutboxItem:
    return OutboxItem(row["id"], row["chat_id"], row["case_id"], row["kind"], json.loads(row["payload"]),
                      row["attempts"])


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def enqueue(
        self,
        conn: Transaction | Batch,
        chat_id: int,
        kind: str,
        payload: dict[str, Any],
        case_id: int | None = None,
        dedupe_key: str | None = None,
    ) -> None:
        """Inside the caller's transaction or batch, so the item exists exactly when the change it
        announces does. With a `dedupe_key` already used, nothing is added."""
        await conn.execute(
            # Only a used dedupe key is passed over; any other refusal (a missing chat) still fails.
            "INSERT INTO outbox (chat_id, case_id, kind, payload, created_at, dedupe_key, lane)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING",
            (chat_id, case_id, kind, json.dumps(payload, ensure_ascii=False), utc_stamp(), dedupe_key,
             lane_of(chat_id, case_id)),
        )

    async def pending_lanes(self) -> list[tuple[str, int]]:
        """(lane, chat id) of every lane with something to send, the longest waiting first."""
        rows = await self.db.fetchall(
            "SELECT lane, chat_id, MIN(id) AS first FROM outbox WHERE state = 'pending' GROUP BY lane ORDER BY first"
        )
        return [(r["lane"], r["chat_id"]) for r in rows]

    async def head(self, lane: str) -> tuple[OutboxItem | None, bool]:
        """The lane's oldest pending item, and whether another one waits behind it."""
        rows = await self.db.fetchall(
            "SELECT * FROM outbox WHERE state = 'pending' AND lane = ? ORDER BY id LIMIT 2", (lane,)
        )
        if not rows:
            return None, False
        return _item(rows[0]), len(rows) > 1

    async def pending_after(self, item: OutboxItem, kind: str) -> bool:
        """Whether an item of `kind` waits behind `item` in its lane (a later card edit makes this one moot)."""
        row = await self.db.fetchone(
            "SELECT 1 FROM outbox WHERE state = 'pending' AND lane = ? AND kind = ? AND id > ? LIMIT 1",
            (lane_of(item.chat_id, item.case_id), kind, item.id),
        )
        return row is not None

    async def case_of_pending_source(self, chat_id: int, message_id: int) -> int | None:
        """The case of a message that is queued to be relayed but not delivered yet: an edit of it
        must follow it rather than be dropped."""
        row = await self.db.fetchone(
            """
            SELECT case_id FROM outbox WHERE state = 'pending' AND case_id IS NOT NULL
                AND kind IN ('send_message', 'copy_message', 'album_item')
                AND json_extract(payload, '$.source[0]') = ? AND json_extract(payload, '$.source[1]') = ?
            ORDER BY id LIMIT 1
            """,
            (chat_id, message_id),
        )
        return row["case_id"] if row else None

    async def fail_broadcasts(self, chat_id: int, error: str) -> None:
        """Announcements to a partner who blocked the bot count as not delivered, at once: they are
        not kept for later like the messages of a case, and the broadcast report waits for them."""
        await self.db.execute(
            "UPDATE outbox SET state = 'failed', done_at = ?, error = ? WHERE state = 'pending' AND chat_id = ?"
            " AND kind = 'send_message' AND json_extract(payload, '$.broadcast') IS NOT NULL",
            (utc_stamp(), error[:500], chat_id),
        )

    async def album_items(self, chat_id: int, media_group_id: str) -> list[OutboxItem]:
        rows = await self.db.fetchall(
            """
            SELECT * FROM outbox WHERE state = 'pending' AND chat_id = ? AND kind = 'album_item'
                AND json_extract(payload, '$.media_group_id') = ?
            ORDER BY id
            """,
            (chat_id, media_group_id),
        )
        return [_item(r) for r in rows]

    async def seconds_since_newest(self, chat_id: int, media_group_id: str) -> float:
        row = await self.db.fetchone(
            """
            SELECT MAX(created_at) FROM outbox WHERE chat_id = ? AND kind = 'album_item'
                AND json_extract(payload, '$.media_group_id') = ?
            """,
            (chat_id, media_group_id),
        )
        if row is None or row[0] is None:
            return float("inf")
        return (datetime.now(timezone.utc) - datetime.fromisoformat(row[0])).total_seconds()

    async def broadcast_counts(self, broadcast_id: str) -> dict[str, int]:
        """pending / delivered / blocked / failed for one announcement."""
        rows = await self.db.fetchall(
            """
            SELECT CASE
                WHEN state = 'pending' THEN 'pending'
                WHEN state = 'done' THEN 'delivered'
                WHEN error LIKE '%blocked%' OR error LIKE '%deactivated%' OR error LIKE '%initiate%' THEN 'blocked'
                ELSE 'failed' END AS outcome, COUNT(*) AS n
            FROM outbox WHERE kind = 'send_message' AND json_extract(payload, '$.broadcast') = ?
            GROUP BY outcome
            """,
            (broadcast_id,),
        )
        counts = {"pending": 0, "delivered": 0, "blocked": 0, "failed": 0}
        counts.update({row["outcome"]: row["n"] for row in rows})
        return counts

    async def count_pending(self, chat_id: int | None = None) -> int:
        if chat_id is None:
            row = await self.db.fetchone("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
        else:
            row = await self.db.fetchone("SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND chat_id = ?",
                                         (chat_id,))
        return row[0]

    async def note_attempt(self, item_id: int, error: str) -> None:
        await self.db.execute(
            "UPDATE outbox SET attempts = attempts + 1, error = ? WHERE id = ?", (error[:500], item_id)
        )

    async def finish(self, conn: Transaction | Batch, item_id: int, result: Any) -> None:
        await conn.execute(
            "UPDATE outbox SET state = 'done', done_at = ?, result = ? WHERE id = ?",
            (utc_stamp(), json.dumps(result, ensure_ascii=False), item_id),
        )

    async def fail(self, item_id: int, error: str) -> None:
        await self.db.execute(
            "UPDATE outbox SET state = 'failed', done_at = ?, error = ? WHERE id = ?",
            (utc_stamp(), error[:500], item_id),
        )


@dataclass
class ChatHold:
    """Why nothing may be sent to a chat for now. `not_before` is unix time (Telegram's
    retry_after is real seconds, whatever the desk's clock says); None waits for a release."""

    chat_id: int
    # flood (a 429), operator (the group needs fixing; operator-retry: being tried again after
    # /reload or a restart), blocked (the partner blocked the bot)
    kind: str
    not_before: float | None
    failures: int = 0
    reason: str = ""
    told: bool = False


class ChatHoldRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def all(self) -> dict[int, ChatHold]:
        rows = await self.db.fetchall("SELECT * FROM outbox_holds")
        return {r["chat_id"]: ChatHold(r["chat_id"], r["kind"], r["not_before"], r["failures"], r["reason"] or "",
                                       bool(r["told"])) for r in rows}

    async def put(self, hold: ChatHold) -> None:
        await self.db.execute(
            """
            INSERT INTO outbox_holds (chat_id, kind, not_before, failures, reason, told) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (chat_id) DO UPDATE SET kind = excluded.kind, not_before = excluded.not_before,
                failures = excluded.failures, reason = excluded.reason, told = excluded.told
            """,
            (hold.chat_id, hold.kind, hold.not_before, hold.failures, hold.reason[:500], int(hold.told)),
        )

    async def delete(self, chat_id: int) -> None:
        await self.db.execute("DELETE FROM outbox_holds WHERE chat_id = ?", (chat_id,))


@dataclass(frozen=True)
class MessageLink:
    case_id: int | None
    origin: str
    source_chat_id: int
    source_message_id: int
    target_chat_id: int
    target_message_id: int
    kind: str


class MessageLinkRepository:
    """Pairs of messages the bot relayed (source -> copy), so replies, edits and threads can be
    mirrored, and so a message in the group can be traced back to its case."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, conn: Transaction | Batch, link: MessageLink) -> None:
        await conn.execute(
            """
            INSERT INTO message_links (case_id, origin, source_chat_id, source_message_id,
                target_chat_id, target_message_id, kind)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            (link.case_id, link.origin, link.source_chat_id, link.source_message_id,
             link.target_chat_id, link.target_message_id, link.kind),
        )

    @staticmethod
    def _link(row) -> MessageLink:
        return MessageLink(row["case_id"], row["origin"], row["source_chat_id"], row["source_message_id"],
                           row["target_chat_id"], row["target_message_id"], row["kind"])

    async def copies_of(self, chat_id: int, message_id: int) -> list[MessageLink]:
        rows = await self.db.fetchall(
            "SELECT * FROM message_links WHERE source_chat_id = ? AND source_message_id = ? ORDER BY id",
            (chat_id, message_id),
        )
        return [self._link(r) for r in rows]

    async def origin_of(self, chat_id: int, message_id: int) -> MessageLink | None:
        row = await self.db.fetchone(
            "SELECT * FROM message_links WHERE target_chat_id = ? AND target_message_id = ? ORDER BY id LIMIT 1",
            (chat_id, message_id),
        )
        return self._link(row) if row else None

    async def counterpart(self, chat_id: int, message_id: int, other_chat_id: int) -> int | None:
        """The message in `other_chat_id` paired with this one, whichever side it came from."""
        row = await self.db.fetchone(
            """
            SELECT target_message_id AS mid FROM message_links
                WHERE source_chat_id = ? AND source_message_id = ? AND target_chat_id = ?
            UNION ALL
            SELECT source_message_id AS mid FROM message_links
                WHERE target_chat_id = ? AND target_message_id = ? AND source_chat_id = ?
            LIMIT 1
            """,
            (chat_id, message_id, other_chat_id, chat_id, message_id, other_chat_id),
        )
        return row["mid"] if row else None

    async def case_of_group_message(self, chat_id: int, message_id: int) -> int | None:
        row = await self.db.fetchone(
            """
            SELECT case_id FROM message_links
            WHERE case_id IS NOT NULL AND ((target_chat_id = ? AND target_message_id = ?)
                OR (source_chat_id = ? AND source_message_id = ?))
            ORDER BY id LIMIT 1
            """,
            (chat_id, message_id, chat_id, message_id),
        )
        return row["case_id"] if row else None
