"""Cases, their attachments and their history."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import aiosqlite

# The record types are domain types; importing them from here keeps working.
from bot.domain import Attachment, Case, NewCase, RequestType, Status  # noqa: F401
from bot.storage.database import Batch, Database, Transaction, from_db_time, to_db_time
from bot.visible_text import clean


def _text(value: str | None) -> str | None:
    """Every person's text is stored without control and format characters, whichever path
    brought it (a dialog, a command, a Telegram name): the last line of that defence."""
    return None if value is None else clean(value)


def _case(row: aiosqlite.Row) -> Case:
    web = row["web_access"]
    return Case(
        id=row["id"],
        partner_id=row["partner_id"],
        request_type=RequestType(row["request_type"]),
        brand=row["brand"],
        model=row["model"],
        model_matched=bool(row["model_matched"]),
        model_folders=tuple(json.loads(row["model_folders"])),
        serial=row["serial"],
        description=row["description"],
        web_access=None if web is None else bool(web),
        contact_name=row["contact_name"],
        contact_company=row["contact_company"],
        contact_phone=row["contact_phone"],
        status=Status(row["status"]),
        level=row["level"],
        after_hours=bool(row["after_hours"]),
        created_at=from_db_time(row["created_at"]),
        due_at=from_db_time(row["due_at"]),
        claimed_by=row["claimed_by"],
        claimed_by_name=row["claimed_by_name"],
        claimed_at=from_db_time(row["claimed_at"]),
        thread_id=row["thread_id"],
        card_message_id=row["card_message_id"],
        delivered_at=from_db_time(row["delivered_at"]),
        waiting_since=from_db_time(row["waiting_since"]),
        resolved_at=from_db_time(row["resolved_at"]),
        closed_at=from_db_time(row["closed_at"]),
        rating=row["rating"],
        rating_comment=row["rating_comment"],
    )


# Columns change_status may set besides the status; anything else is a programming error.
STATUS_FIELDS = {"claimed_by", "claimed_by_name", "claimed_at", "resolved_at", "closed_at", "waiting_since", "due_at"}


def _db_value(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)  # claimed_by_name: a Telegram name
    return to_db_time(value) if isinstance(value, datetime) else value


class CaseRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert(self, conn: Transaction, new: NewCase) -> int | None:
        """Inside the caller's transaction. Returns None when this submit_key was already used
        (a second press of "Send" or a repeated update)."""
        cursor = await conn.execute(
            """
            INSERT INTO cases (submit_key, partner_id, request_type, brand, model, model_matched,
                model_folders, serial, description, web_access, contact_name, contact_company,
                contact_phone, level, after_hours, created_at, due_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (submit_key) DO NOTHING
            """,
            (
                new.submit_key, new.partner_id, new.request_type.value, _text(new.brand), _text(new.model),
                int(new.model_matched), json.dumps(list(new.model_folders), ensure_ascii=False),
                _text(new.serial), _text(new.description), None if new.web_access is None else int(new.web_access),
                _text(new.contact_name), _text(new.contact_company), _text(new.contact_phone), new.level,
                int(new.after_hours), to_db_time(new.created_at),
                to_db_time(new.due_at) if new.due_at else None,
            ),
        )
        if cursor.rowcount == 0:
            return None
        case_id = cursor.lastrowid
        for position, item in enumerate(new.attachments, start=1):
            await conn.execute(
                """
                INSERT OR IGNORE INTO attachments (case_id, position, kind, file_id, file_unique_id,
                    file_name, caption, media_group_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (case_id, position, item.kind, item.file_id, item.file_unique_id, _text(item.file_name),
                 _text(item.caption), item.media_group_id),
            )
        await self.add_history(conn, case_id, new.created_at, new.partner_id, None, None, Status.NEW, None)
        return case_id

    async def add_history(
        self,
        conn: Transaction | Batch,
        case_id: int,
        at: datetime,
        actor_id: int | None,
        actor_name: str | None,
        from_status: Status | None,
        to_status: Status,
        comment: str | None,
    ) -> None:
        await conn.execute(
            """
            INSERT INTO case_history (case_id, at, actor_id, actor_name, from_status, to_status, comment)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            (case_id, to_db_time(at), actor_id, _text(actor_name),
             from_status.value if from_status else None, to_status.value, _text(comment)),
        )

    async def get(self, case_id: int) -> Case | None:
        row = await self.db.fetchone("SELECT * FROM cases WHERE id = ?", (case_id,))
        return _case(row) if row else None

    async def get_by_submit_key(self, submit_key: str) -> Case | None:
        row = await self.db.fetchone("SELECT * FROM cases WHERE submit_key = ?", (submit_key,))
        return _case(row) if row else None

    async def by_thread(self, thread_id: int) -> Case | None:
        # Wishes share one topic, so a topic alone never identifies a wish (a reply to its card does).
        row = await self.db.fetchone(
            "SELECT * FROM cases WHERE thread_id = ? AND request_type != 'wish' ORDER BY id DESC LIMIT 1",
            (thread_id,),
        )
        return _case(row) if row else None

    async def open_for_partner(self, partner_id: int) -> list[Case]:
        rows = await self.db.fetchall(
            "SELECT * FROM cases WHERE partner_id = ? AND status NOT IN ('resolved', 'closed') ORDER BY id",
            (partner_id,),
        )
        return [_case(r) for r in rows]

    async def for_partner(self, partner_id: int, limit: int = 20) -> list[Case]:
        rows = await self.db.fetchall(
            "SELECT * FROM cases WHERE partner_id = ? ORDER BY id DESC LIMIT ?", (partner_id, limit)
        )
        return [_case(r) for r in rows]

    async def attachments(self, case_id: int) -> list[Attachment]:
        rows = await self.db.fetchall(
            "SELECT * FROM attachments WHERE case_id = ? ORDER BY position, id", (case_id,)
        )
        return [
            Attachment(r["kind"], r["file_id"], r["file_unique_id"], r["file_name"], r["caption"], r["media_group_id"])
            for r in rows
        ]

    async def history(self, case_id: int) -> list[aiosqlite.Row]:
        return await self.db.fetchall("SELECT * FROM case_history WHERE case_id = ? ORDER BY id", (case_id,))

    async def try_claim(
        self, conn: Transaction, case_id: int, engineer_id: int, engineer_name: str, at: datetime
    ) -> bool:
        """The first engineer wins: the row changes only while nobody has claimed it."""
        cursor = await conn.execute(
            """
            UPDATE cases SET claimed_by = ?, claimed_by_name = ?, claimed_at = ?, status = 'claimed'
            WHERE id = ? AND claimed_by IS NULL AND status = 'new'
            """,
            (engineer_id, _text(engineer_name), to_db_time(at), case_id),
        )
        return cursor.rowcount == 1

    async def created_between(self, start: datetime, end: datetime) -> list[Case]:
        rows = await self.db.fetchall(
            "SELECT * FROM cases WHERE created_at >= ? AND created_at < ? ORDER BY id",
            (to_db_time(start), to_db_time(end)),
        )
        return [_case(r) for r in rows]

    async def history_for(self, case_ids: list[int]) -> dict[int, list[aiosqlite.Row]]:
        result: dict[int, list[aiosqlite.Row]] = {case_id: [] for case_id in case_ids}
        if not case_ids:
            return result
        # Chunked: SQLite limits the number of parameters in one statement.
        for start in range(0, len(case_ids), 500):
            chunk = case_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = await self.db.fetchall(
                f"SELECT * FROM case_history WHERE case_id IN ({marks}) ORDER BY case_id, id", tuple(chunk)
            )
            for row in rows:
                result[row["case_id"]].append(row)
        return result

    async def attachment_counts(self, case_ids: list[int]) -> dict[int, int]:
        counts = {case_id: 0 for case_id in case_ids}
        for start in range(0, len(case_ids), 500):
            chunk = case_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in await self.db.fetchall(
                f"SELECT case_id, COUNT(*) AS n FROM attachments WHERE case_id IN ({marks}) GROUP BY case_id",
                tuple(chunk),
            ):
                counts[row["case_id"]] = row["n"]
        return counts

    async def open_counts_by_engineer(self) -> dict[int, int]:
        rows = await self.db.fetchall(
            "SELECT claimed_by, COUNT(*) AS n FROM cases WHERE claimed_by IS NOT NULL "
            "AND status NOT IN ('resolved', 'closed') GROUP BY claimed_by"
        )
        return {row["claimed_by"]: row["n"] for row in rows}

    async def unclaimed(self) -> list[Case]:
        """The queue: unclaimed cases in order of arrival."""
        rows = await self.db.fetchall("SELECT * FROM cases WHERE status = 'new' ORDER BY created_at, id")
        return [_case(r) for r in rows]

    async def open_for_engineer(self, engineer_id: int) -> list[Case]:
        rows = await self.db.fetchall(
            "SELECT * FROM cases WHERE claimed_by = ? AND status NOT IN ('resolved', 'closed') ORDER BY id",
            (engineer_id,),
        )
        return [_case(r) for r in rows]

    async def change_status(
        self, conn: Transaction, case_id: int, expected: Status, to: Status, **fields: Any
    ) -> bool:
        """Compare-and-set: the status changes only if it is still `expected`, so two engineers
        pressing at once cannot both move the case. `fields` are other columns to set with it."""
        unknown = set(fields) - STATUS_FIELDS
        if unknown:
            raise ValueError(f"change_status cannot set {sorted(unknown)}")
        columns = {"status": to.value, **{k: _db_value(v) for k, v in fields.items()}}
        assignments = ", ".join(f"{name} = ?" for name in columns)
        cursor = await conn.execute(
            f"UPDATE cases SET {assignments} WHERE id = ? AND status = ?",
            (*columns.values(), case_id, expected.value),
        )
        return cursor.rowcount == 1

    async def set_rating(self, case_id: int, rating: int) -> bool:
        changed = await self.db.execute(
            "UPDATE cases SET rating = ? WHERE id = ? AND status IN ('resolved', 'closed')", (rating, case_id)
        )
        return changed == 1

    async def set_rating_comment(self, case_id: int, comment: str) -> None:
        await self.db.execute("UPDATE cases SET rating_comment = ? WHERE id = ?", (_text(comment), case_id))

    async def unclaimed_with_due(self) -> list[tuple[Case, bool, bool]]:
        """Unclaimed cases oldest first, with whether each was already reminded at 75 % / breach."""
        rows = await self.db.fetchall(
            "SELECT * FROM cases WHERE status = 'new' AND due_at IS NOT NULL "
            "AND NOT (reminded_warn AND reminded_breach) ORDER BY id"
        )
        return [(_case(r), bool(r["reminded_warn"]), bool(r["reminded_breach"])) for r in rows]

    async def mark_reminded(self, conn: Transaction | Batch, case_id: int, *, warn: bool, breach: bool) -> None:
        await conn.execute(
            "UPDATE cases SET reminded_warn = MAX(reminded_warn, ?), reminded_breach = MAX(reminded_breach, ?) WHERE id = ?",
            (int(warn), int(breach), case_id),
        )

    async def set_level(self, conn: Transaction | Batch, case_id: int, level: int, due_at: datetime) -> None:
        # A new due time deserves fresh reminders.
        await conn.execute(
            "UPDATE cases SET level = ?, due_at = ?, reminded_warn = 0, reminded_breach = 0 WHERE id = ?",
            (level, to_db_time(due_at), case_id),
        )

    async def set_thread(self, case_id: int, thread_id: int | None) -> None:
        await self.db.execute("UPDATE cases SET thread_id = ? WHERE id = ?", (thread_id, case_id))

    async def mark_delivered(self, case_id: int, card_message_id: int, at: datetime) -> None:
        await self.db.execute(
            "UPDATE cases SET card_message_id = ?, delivered_at = COALESCE(delivered_at, ?) WHERE id = ?",
            (card_message_id, to_db_time(at), case_id),
        )
