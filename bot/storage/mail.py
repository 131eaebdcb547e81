"""The HelpDesk bridge's tables: mails queued for the HelpDesk, files of its replies, mailbox positions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.storage.database import Batch, Database, Transaction, utc_stamp


@dataclass(frozen=True)
class MailItem:
    id: int
    case_id: int
    event: str                 # new_case, claimed, partner_message, engineer_message, info_requested, …
    payload: dict[str, Any]
    attempts: int
    state: str = "pending"
    message_id: str | None = None
    error: str | None = None


def _item(row) -> MailItem:
    return MailItem(row["id"], row["case_id"], row["event"], json.loads(row["payload"]), row["attempts"],
                    row["state"], row["message_id"], row["error"])


class MailOutboxRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def enqueue(
        self, conn: Transaction | Batch, case_id: int, event: str, payload: dict[str, Any],
        dedupe_key: str | None = None,
    ) -> None:
        """Inside the caller's transaction or batch: the mail exists exactly when the change it tells of does."""
        await conn.execute(
            "INSERT INTO mail_outbox (case_id, event, payload, created_at, dedupe_key) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING",
            (case_id, event, json.dumps(payload, ensure_ascii=False), utc_stamp(), dedupe_key),
        )

    async def head(self) -> MailItem | None:
        """The oldest mail not yet sent: mails leave in the order the case changes happened."""
        row = await self.db.fetchone("SELECT * FROM mail_outbox WHERE state = 'pending' ORDER BY id LIMIT 1")
        return _item(row) if row else None

    async def for_case(self, case_id: int) -> list[MailItem]:
        rows = await self.db.fetchall("SELECT * FROM mail_outbox WHERE case_id = ? ORDER BY id", (case_id,))
        return [_item(r) for r in rows]

    async def count_pending(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM mail_outbox WHERE state = 'pending'")
        return row[0]

    async def note_attempt(self, item_id: int, error: str) -> None:
        await self.db.execute("UPDATE mail_outbox SET attempts = attempts + 1, error = ? WHERE id = ?",
                              (error[:500], item_id))

    async def set_message_id(self, item_id: int, message_id: str) -> None:
        await self.db.execute("UPDATE mail_outbox SET message_id = ? WHERE id = ? AND message_id IS NULL",
                              (message_id, item_id))

    async def finish(self, item_id: int) -> None:
        await self.db.execute("UPDATE mail_outbox SET state = 'done', done_at = ?, error = NULL WHERE id = ?",
                              (utc_stamp(), item_id))

    async def fail(self, item_id: int, error: str) -> None:
        await self.db.execute("UPDATE mail_outbox SET state = 'failed', done_at = ?, error = ? WHERE id = ?",
                              (utc_stamp(), error[:500], item_id))

    async def copy_states(self, case_ids: list[int]) -> dict[int, str]:
        """pending, done or failed: how each case's first mail (its HelpDesk copy) stands; cases
        that never had one (filed while the bridge was off) are left out."""
        rows = await self.db.fetchall(
            "SELECT case_id, state FROM mail_outbox WHERE event = 'new_case'"
            " AND case_id IN (SELECT value FROM json_each(?)) ORDER BY id DESC", (json.dumps(case_ids),),
        )
        return {row["case_id"]: row["state"] for row in rows}  # the first mail wins: it is read last


@dataclass(frozen=True)
class MailFile:
    id: int
    case_id: int | None
    file_name: str
    mime_type: str
    data: bytes


class MailFileRepository:
    """A reply's attachments, kept until the outbox has uploaded them to Telegram."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, conn: Transaction, case_id: int, file_name: str, mime_type: str, data: bytes) -> int:
        cursor = await conn.execute(
            "INSERT INTO mail_files (case_id, file_name, mime_type, data) VALUES (?, ?, ?, ?)",
            (case_id, file_name, mime_type, data),
        )
        return cursor.lastrowid

    async def get(self, file_id: int) -> MailFile | None:
        row = await self.db.fetchone("SELECT * FROM mail_files WHERE id = ?", (file_id,))
        if row is None:
            return None
        return MailFile(row["id"], row["case_id"], row["file_name"], row["mime_type"], bytes(row["data"]))


class MailFolderRepository:
    """How far each folder has been read: the UID of the last mail handled, valid for one UIDVALIDITY."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def position(self, folder: str) -> tuple[int, int] | None:
        row = await self.db.fetchone("SELECT uidvalidity, last_uid FROM mail_folders WHERE folder = ?", (folder,))
        return (row["uidvalidity"], row["last_uid"]) if row else None

    async def advance(self, conn: Transaction | Batch, folder: str, uidvalidity: int, uid: int) -> None:
        await conn.execute(
            "INSERT INTO mail_folders (folder, uidvalidity, last_uid) VALUES (?, ?, ?)"
            " ON CONFLICT (folder) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid",
            (folder, uidvalidity, uid),
        )
