"""The knowledge index: solved cases, bulletins and imported history, searched with FTS5 and bm25."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.storage.database import Batch, Database, Transaction
from bot.visible_text import clean

# How much a match on the same model, or on the same series, lifts an item that matched by its
# words (bm25 is negative, so the factor makes it "more negative"); a model alone brings in nothing.
SAME_MODEL = 1.6
SAME_SERIES = 1.25


@dataclass(frozen=True)
class KnowledgeItem:
    """One entry as it is written: `terms` are the stemmed words."""

    kind: str              # case, bulletin, imported
    ref: str               # the case number, the bulletin's file name, the HelpDesk ticket id
    title: str
    body: str
    terms: str
    answer: str = ""
    model: str = ""
    model_key: str = ""
    series: str = ""
    thread_id: int | None = None
    created_at: str | None = None
    stamp: str | None = None  # bulletins: size and mtime of the file, to skip unchanged ones


@dataclass(frozen=True)
class KnowledgeHit:
    kind: str
    ref: str
    title: str
    body: str
    answer: str
    model: str
    model_key: str
    series: str
    thread_id: int | None
    rank: float  # bm25 with the model boost; lower is better (SQLite's sign)


_UPSERT = """
    INSERT INTO knowledge (kind, ref, title, body, answer, model, model_key, series, thread_id, created_at, stamp)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (kind, ref) DO UPDATE SET title = excluded.title, body = excluded.body,
        answer = excluded.answer, model = excluded.model, model_key = excluded.model_key,
        series = excluded.series, thread_id = excluded.thread_id, created_at = excluded.created_at,
        stamp = excluded.stamp
"""
_INSERT_NEW = _UPSERT.split("ON CONFLICT")[0] + " ON CONFLICT (kind, ref) DO NOTHING"


def _values(item: KnowledgeItem) -> tuple:
    return (item.kind, clean(item.ref), clean(item.title), clean(item.body), clean(item.answer), clean(item.model),
            item.model_key, item.series, item.thread_id, item.created_at, item.stamp)


class KnowledgeRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def upsert(self, conn: Transaction, item: KnowledgeItem) -> None:
        """Inside the caller's transaction (a case is indexed in the one that resolves it)."""
        await conn.execute(_UPSERT, _values(item))
        row = (await conn.execute("SELECT id FROM knowledge WHERE kind = ? AND ref = ?", (item.kind, item.ref))).rows[0]
        await conn.execute("DELETE FROM knowledge_fts WHERE rowid = ?", (row["id"],))
        await conn.execute("INSERT INTO knowledge_fts (rowid, terms) VALUES (?, ?)", (row["id"], item.terms))

    async def insert_new(self, conn: Transaction, item: KnowledgeItem) -> bool:
        """Adds the item unless one with its kind and ref is there already (an import run again)."""
        result = await conn.execute(_INSERT_NEW, _values(item))
        if result.rowcount == 0:
            return False
        await conn.execute("INSERT INTO knowledge_fts (rowid, terms) VALUES (?, ?)", (result.lastrowid, item.terms))
        return True

    async def remove(self, conn: Transaction | Batch, kind: str, ref: str) -> None:
        await conn.execute("DELETE FROM knowledge_fts WHERE rowid IN "
                           "(SELECT id FROM knowledge WHERE kind = ? AND ref = ?)", (kind, ref))
        await conn.execute("DELETE FROM knowledge WHERE kind = ? AND ref = ?", (kind, ref))

    async def stamps(self, kind: str) -> dict[str, str | None]:
        rows = await self.db.fetchall("SELECT ref, stamp FROM knowledge WHERE kind = ?", (kind,))
        return {row["ref"]: row["stamp"] for row in rows}

    async def existing_refs(self, kind: str) -> set[str]:
        return set((await self.stamps(kind)).keys())

    async def count(self) -> int:
        row = await self.db.fetchone("SELECT count(*) AS n FROM knowledge")
        return row["n"]

    async def terms_by_item(self, kind: str) -> list[str]:
        """The stemmed words of every item of a kind (bulletins: a handful of rows)."""
        rows = await self.db.fetchall("SELECT f.terms FROM knowledge_fts AS f JOIN knowledge AS k ON k.id = f.rowid "
                                      "WHERE k.kind = ?", (kind,))
        return [row["terms"] for row in rows]

    async def vocabulary(self) -> list[str]:
        rows = await self.db.fetchall("SELECT term FROM knowledge_vocab")
        return [row["term"] for row in rows]

    async def search(self, match: str, *, model_key: str = "", series: str = "", kinds: tuple[str, ...] = (),
                     exclude: tuple[str, str] | None = None, limit: int = 10) -> list[KnowledgeHit]:
        """`match` is an FTS5 expression over the words; the same model ranks above the same series,
        which ranks above the rest (bm25 is negative: a larger factor is a better rank)."""
        where = ["knowledge_fts MATCH ?"]
        params: list = [match]
        if kinds:
            where.append(f"k.kind IN ({', '.join('?' * len(kinds))})")
            params.extend(kinds)
        if exclude is not None:
            where.append("NOT (k.kind = ? AND k.ref = ?)")
            params.extend(exclude)
        sql = f"""
            SELECT k.kind, k.ref, k.title, k.body, k.answer, k.model, k.model_key, k.series, k.thread_id,
                   bm25(knowledge_fts)
                   * CASE WHEN ? != '' AND k.model_key = ? THEN {SAME_MODEL}
                          WHEN ? != '' AND k.series = ? THEN {SAME_SERIES} ELSE 1.0 END AS rank
            FROM knowledge_fts JOIN knowledge AS k ON k.id = knowledge_fts.rowid
            WHERE {' AND '.join(where)}
            ORDER BY rank LIMIT ?
        """
        rows = await self.db.fetchall(sql, (model_key, model_key, series, series, *params, limit))
        return [KnowledgeHit(row["kind"], row["ref"], row["title"], row["body"], row["answer"], row["model"],
                             row["model_key"], row["series"], row["thread_id"], row["rank"]) for row in rows]


    # --- questions answered by a bulletin -------------------------------------------------------------

    async def record_bulletin_answer(self, submit_key: str, partner_id: int, request_type: str,
                                     bulletins: list[str], answered_at: str) -> bool:
        """True when this draft's «Помогло» is new; a press handled again adds nothing."""
        return await self.db.execute(
            "INSERT INTO bulletin_answers (submit_key, partner_id, request_type, bulletins, answered_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (submit_key) DO NOTHING",
            (submit_key, partner_id, request_type, "\n".join(bulletins), answered_at)) > 0

    async def bulletin_answers_between(self, start: str, end: str) -> int:
        row = await self.db.fetchone(
            "SELECT count(*) AS n FROM bulletin_answers WHERE answered_at >= ? AND answered_at < ?", (start, end))
        return row["n"]

    # --- the similar solved cases shown on a case's card ---------------------------------------------

    async def save_similar(self, conn: Transaction, case_id: int, items: list[dict]) -> None:
        await conn.execute("INSERT INTO case_similar (case_id, items) VALUES (?, ?) "
                           "ON CONFLICT (case_id) DO UPDATE SET items = excluded.items",
                           (case_id, json.dumps(items, ensure_ascii=False)))

    async def similar_for(self, case_id: int) -> list[dict]:
        row = await self.db.fetchone("SELECT items FROM case_similar WHERE case_id = ?", (case_id,))
        if row is None:
            return []
        try:
            items = json.loads(row["items"])
        except ValueError:
            return []
        return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
