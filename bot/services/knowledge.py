"""The desk's knowledge: solved cases, bulletins and HelpDesk history, indexed and searched offline.

Words are stemmed in Python with Snowball's Russian (and English) stemmer, at index and at query
time alike, so «записывает», «запись» and «записи» meet on one stem. Snowball rather than a
lemmatiser (pymorphy3): it is one small pure-Python package with no dictionary to ship, and a
lemmatiser would still keep the verb «записывать» apart from the noun «запись»; cutting every stem
to a few letters joins them. Words the index has never seen (typos) are matched to the nearest
indexed stems with rapidfuzz, which the bot already uses for model names."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.domain import Case
from bot.services.knowledge_lexicon import (
    CYRILLIC, FOLD_YO, MODELS_LINE_PREFIXES, STEM_EXCEPTIONS, STOP_WORDS, SYNONYM_GROUPS, TO_LATIN, WORD,
)
from bot.services.model_normalize import model_keys
from bot.storage.database import Database, Transaction, to_db_time
from bot.storage.knowledge import KnowledgeHit, KnowledgeItem, KnowledgeRepository

log = logging.getLogger(__name__)

CASE, BULLETIN, IMPORTED = "case", "bulletin", "imported"
KINDS = (CASE, BULLETIN, IMPORTED)
BULLETIN_SUFFIXES = (".md", ".txt", ".pdf")

# Stems are cut to this many letters: Russian verbs and nouns of one root differ after it
# («записыва», «запис»). Chosen on the benchmark (benchmarks/bench_knowledge.py).
STEM_LENGTH = 6
TITLE_LIMIT = 120
EXCERPT_LIMIT = 220
BODY_LIMIT = 20_000  # a bulletin's text kept for excerpts; the index takes all of its words
TERMS_PER_QUERY = 40
# Among this many bulletins or more, a word only one of them has is enough to offer it.
UNIQUE_AMONG = 5
BULLETIN_SHARE_OF_BEST = 0.3  # a bulletin is offered when it scores at least this share of the best one  # a long description is searched by its first words

_SERIES = re.compile(r"[A-Z]*\d{2}")

_russian = snowballstemmer.stemmer("russian")
_english = snowballstemmer.stemmer("english")


def _stem(word: str) -> str:
    if word in STEM_EXCEPTIONS:
        stem = STEM_EXCEPTIONS[word]
    elif any(ch.isdigit() for ch in word):
        return word  # model codes and numbers stay whole
    elif CYRILLIC.search(word):
        stem = _russian.stemWord(word)
    else:
        stem = _english.stemWord(word)
    return stem[:STEM_LENGTH]


def _synonyms() -> tuple[dict[str, str], dict[str, str]]:
    """Each synonym by itself and by its stem: Snowball cuts some words shorter than their other
    forms («архив» → «арх», «архива» → «архив»), so a word is looked up as written first."""
    words: dict[str, str] = {}
    stems: dict[str, str] = {}
    for group in SYNONYM_GROUPS:
        canonical = _stem(group[0])
        for word in group:
            words.setdefault(word, canonical)
            stems.setdefault(_stem(word), canonical)
    return words, stems


_SYNONYM_WORDS, _SYNONYMS = _synonyms()


def terms_of(text: str) -> list[str]:
    """The comparable stems of a text, in order, stop words left out."""
    result = []
    for word in WORD.findall(text.lower().translate(FOLD_YO)):
        if word in STOP_WORDS or (len(word) < 2 and not word.isdigit()):
            continue
        if word in _SYNONYM_WORDS:
            result.append(_SYNONYM_WORDS[word])
            continue
        stem = _stem(word)
        result.append(_SYNONYMS.get(stem, stem))
    return result


def model_family(model: str) -> tuple[str, str]:
    """(model key, series key) of a model name: «DH-IPC-HFW2431S-S-0280B» → (IPCHFW2431SS0280B, HFW24).
    The series is the type letters and the first two digits, as Dahua and ATIX number their lines
    (NVR41…, XVR51…, HFW24…); the leading type word partners leave out (IPC-, HAC-) is not part of it."""
    if not model or not model.strip():
        return "", ""
    keys = model_keys(model)
    if not keys.key:
        return "", ""
    match = _SERIES.match(keys.alternate or keys.key)
    return keys.key, (match.group(0) if match and any(ch.isalpha() for ch in match.group(0)) else "")


def _one_line(text: str, limit: int = TITLE_LIMIT) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class Found:
    """One search result; `score` is higher for a better match."""

    kind: str
    id: str
    title: str
    score: float
    model: str = ""
    answer: str = ""
    thread_id: int | None = None
    excerpt: str = ""

    def as_json_dict(self) -> dict:
        return {"kind": self.kind, "id": self.id, "title": self.title, "score": self.score}

    def as_stored(self) -> dict:
        return {"kind": self.kind, "id": self.id, "title": self.title, "model": self.model,
                "thread_id": self.thread_id, "score": self.score}

    @classmethod
    def from_stored(cls, item: dict) -> Found | None:
        """A stored result; None for one this version cannot read."""
        try:
            return cls(kind=str(item["kind"]), id=str(item["id"]), title=str(item["title"]),
                       score=float(item.get("score") or 0), model=str(item.get("model") or ""),
                       thread_id=int(item["thread_id"]) if item.get("thread_id") is not None else None)
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class BulletinOffer:
    title: str
    excerpt: str
    id: str


@dataclass
class BulletinReport:
    indexed: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    missing_dir: bool = False


@dataclass(frozen=True)
class HistoryRecord:
    """One solved HelpDesk ticket as the importer read it."""

    id: str
    question: str
    answer: str
    model: str = ""
    created: datetime | None = None


@dataclass(frozen=True)
class Bulletin:
    name: str
    title: str
    text: str
    model: str


def read_bulletin(path: Path) -> Bulletin:
    """Title, text and the model a bulletin names. Markdown's first heading or the first line is the
    title; PDF text comes from pypdf."""
    if path.suffix.lower() == ".pdf":
        from pypdf import PdfReader

        reader = PdfReader(str(path))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    else:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1251")
        meta_title = ""
    lines = [line.strip() for line in text.splitlines()]
    first = next((line for line in lines if line), "")
    title = meta_title.strip() or first.lstrip("#").strip() or path.stem
    model = ""
    for line in lines:
        lower = line.lower()
        prefix = next((p for p in MODELS_LINE_PREFIXES if lower.startswith(p)), None)
        if prefix:
            model = line[len(prefix):].split(",")[0].strip()
            break
    return Bulletin(path.name, _one_line(title), text, model)


def _paragraphs(text: str, title: str) -> list[str]:
    parts = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return [p for p in parts if p and not p.startswith("#") and p != title
            and not p.lower().startswith(MODELS_LINE_PREFIXES)]


def excerpt_for(text: str, query_terms: set[str], limit: int = EXCERPT_LIMIT, title: str = "") -> str:
    """The paragraph sharing the most stems with the query (the first one if none does), shortened;
    the title and the models line are not excerpts."""
    paragraphs = _paragraphs(text, title) or [" ".join(text.split())]
    best = max(paragraphs, key=lambda p: len(query_terms & set(terms_of(p))))
    return _one_line(best.lstrip("-* "), limit)


def _latin_readings(text: str, known: set[str]) -> list[str]:
    """Known stems of the Latin names a text spells in Cyrillic («дмсс» → dmss, the cloud), for its
    words whose own stem the index does not know."""
    readings = []
    for word in WORD.findall(text.lower().translate(FOLD_YO)):
        if not CYRILLIC.search(word) or word in STOP_WORDS or len(word) < 3:
            continue
        own = terms_of(word)
        if own and own[0] in known:
            continue
        readings += [term for term in terms_of(word.translate(TO_LATIN)) if term in known]
    return readings


def _shared(wanted: set[str], text: str) -> int:
    """How many of a query's stems a text has, as written (typo neighbours left out)."""
    return len(wanted & set(terms_of(text)))


class KnowledgeService:
    def __init__(self, *, db: Database, repo: KnowledgeRepository | None = None,
                 bulletins_dir: Path | None = None) -> None:
        self.db = db
        self.repo = repo or KnowledgeRepository(db)
        self.bulletins_dir = bulletins_dir
        self._vocabulary: list[str] | None = None
        self._known: set[str] = set()
        self._bulletin_df: tuple[int, Counter] | None = None  # (bulletins, in how many each stem is)
        self._sync_lock = asyncio.Lock()

    def _changed(self) -> None:
        self._vocabulary = None
        self._bulletin_df = None

    async def _weight(self) -> Callable[[str], int]:
        """What a stem a question shares with a bulletin says about it: one in more than half of the
        bulletins («камера», «включить») matches any question about a camera: 0; one that only a
        single bulletin of UNIQUE_AMONG or more has («onvif», «dmss») picks it out: 2; others: 1.
        With fewer than three bulletins there is nothing to compare: every stem counts 1."""
        if self._bulletin_df is None:
            rows = await self.repo.terms_by_item(BULLETIN)
            self._bulletin_df = (len(rows), Counter(t for row in rows for t in set(row.split())))
        total, df = self._bulletin_df

        def weight(term: str) -> int:
            if total < 3:
                return 1
            if df[term] == 1 and total >= UNIQUE_AMONG:
                return 2
            return 1 if df[term] <= total // 2 else 0
        return weight

    # --- indexing --------------------------------------------------------------------------------

    async def index_resolved(self, conn: Transaction, case: Case, summary: str) -> None:
        """Inside the transaction that resolves the case: its description, the engineer's summary and
        its model. Resolving again after a reopen replaces the entry."""
        key, series = model_family(case.model)
        await self.repo.upsert(conn, KnowledgeItem(
            kind=CASE, ref=str(case.id), title=_one_line(summary), body=case.description, answer=summary,
            terms=" ".join(terms_of(f"{case.description}\n{summary}\n{case.model}")),
            model=case.model, model_key=key, series=series, thread_id=case.thread_id,
            created_at=to_db_time(case.created_at),
        ))
        self._changed()

    async def forget_case(self, conn: Transaction, case_id: int) -> None:
        """A reopened case's resolution did not solve it: it no longer answers anything."""
        await self.repo.remove(conn, CASE, str(case_id))
        self._changed()

    async def import_history(self, records: list[HistoryRecord]) -> int:
        """Adds tickets not imported before (by id); returns how many were added."""
        added = 0
        async with self.db.transaction() as conn:
            for record in records:
                key, series = model_family(record.model)
                item = KnowledgeItem(
                    kind=IMPORTED, ref=record.id, title=_one_line(record.question), body=record.question,
                    answer=record.answer, terms=" ".join(terms_of(f"{record.question}\n{record.answer}\n{record.model}")),
                    model=record.model, model_key=key, series=series,
                    created_at=to_db_time(record.created) if record.created else None,
                )
                added += await self.repo.insert_new(conn, item)
        self._changed()
        return added

    async def sync_bulletins(self) -> BulletinReport:
        """Bring the index in line with BULLETINS_DIR: new and changed files indexed, removed ones dropped.
        A file that cannot be read is reported and keeps its previous entry."""
        report = BulletinReport()
        directory = self.bulletins_dir
        async with self._sync_lock:
            known = await self.repo.stamps(BULLETIN)
            if directory is None or not directory.is_dir():
                report.missing_dir = directory is not None
                files = {}
            else:
                files = {p.name: p for p in sorted(directory.iterdir())
                         if p.is_file() and p.suffix.lower() in BULLETIN_SUFFIXES}
            async with self.db.transaction() as conn:
                for name in sorted(set(known) - set(files)):
                    await self.repo.remove(conn, BULLETIN, name)
                    report.removed += 1
                for name, path in files.items():
                    stat = path.stat()
                    stamp = f"{stat.st_size}:{stat.st_mtime_ns}"
                    if known.get(name) == stamp:
                        report.unchanged += 1
                        continue
                    try:
                        bulletin = await asyncio.to_thread(read_bulletin, path)
                    except Exception as exc:  # a broken PDF, an unreadable file
                        log.warning("Bulletin %s could not be read: %s", path, exc)
                        report.failed.append((name, str(exc) or type(exc).__name__))
                        continue
                    key, series = model_family(bulletin.model)
                    await self.repo.upsert(conn, KnowledgeItem(
                        kind=BULLETIN, ref=name, title=bulletin.title, body=bulletin.text[:BODY_LIMIT],
                        terms=" ".join(terms_of(bulletin.title + "\n" + bulletin.text)),
                        model=bulletin.model, model_key=key, series=series, stamp=stamp,
                    ))
                    report.indexed += 1
        self._changed()
        return report

    # --- searching --------------------------------------------------------------------------------

    async def _vocab(self) -> tuple[list[str], set[str]]:
        if self._vocabulary is None:
            self._vocabulary = await self.repo.vocabulary()
            self._known = set(self._vocabulary)
        return self._vocabulary, self._known

    async def _match(self, text: str) -> tuple[str, set[str]]:
        """The FTS5 expression for a text: any of its stems, and for a stem the index does not
        know, the known stems one or two typos away."""
        wanted = list(dict.fromkeys(terms_of(text)))[:TERMS_PER_QUERY]
        if not wanted:
            return "", set()
        vocabulary, known = await self._vocab()
        alternatives: list[str] = []
        for term in wanted:
            alternatives.append(term)
            if term in known or len(term) < 4 or term.isdigit():
                continue
            cutoff = 1 if len(term) < 6 else 2
            for candidate, _, _ in process.extract(term, vocabulary, scorer=Levenshtein.distance,
                                                   score_cutoff=cutoff, limit=3):
                alternatives.append(candidate)
        alternatives += _latin_readings(text, known)
        unique = list(dict.fromkeys(alternatives))
        return " OR ".join(f'"{term}"' for term in unique), set(wanted)

    async def _search(self, text: str, model: str, limit: int, kinds: tuple[str, ...] = (),
                      exclude: tuple[str, str] | None = None) -> tuple[list[KnowledgeHit], set[str]]:
        # The model lifts the items that match by their words (the repository's boost); it is not a
        # word of the query itself, or any case on that model would come up, whatever its problem.
        match, wanted = await self._match(text)
        if not match or limit <= 0:
            return [], wanted
        key, series = model_family(model)
        hits = await self.repo.search(match, model_key=key, series=series, kinds=kinds, exclude=exclude, limit=limit)
        return hits, wanted

    @staticmethod
    def _found(hit: KnowledgeHit, wanted: set[str]) -> Found:
        excerpt = excerpt_for(hit.body, wanted, title=hit.title) if hit.kind == BULLETIN else ""
        return Found(kind=hit.kind, id=hit.ref, title=hit.title, score=round(-hit.rank, 6), model=hit.model,
                     answer=hit.answer, thread_id=hit.thread_id, excerpt=excerpt)

    async def search(self, text: str, model: str = "", limit: int = 10, kinds: tuple[str, ...] = ()) -> list[Found]:
        """Best first; `kinds` narrows to cases, bulletins or imported history."""
        hits, wanted = await self._search(text, model, limit, kinds)
        return [self._found(hit, wanted) for hit in hits]

    async def similar_cases(self, case: Case, limit: int = 3) -> list[Found]:
        """Solved cases and imported tickets like this case (never the case itself), for engineers."""
        hits, wanted = await self._search(case.description, case.model, limit * 3, (CASE, IMPORTED),
                                          exclude=(CASE, str(case.id)))
        # One shared common word («камера») does not make a case like another one; a word matched
        # only as a typo of one is not counted (typo neighbours of a word the index lacks are loose).
        needed = min(2, len(wanted))
        return [self._found(hit, wanted) for hit in hits
                if _shared(wanted, f"{hit.body}\n{hit.answer}\n{hit.model}") >= needed][:limit]

    async def remember_similar(self, conn: Transaction, case_id: int, found: list[Found]) -> None:
        """Kept with the case, so its card shows them whenever it is drawn."""
        await self.repo.save_similar(conn, case_id, [f.as_stored() for f in found])

    async def bulletins_for(self, text: str, model: str = "", limit: int = 3) -> list[BulletinOffer]:
        """Bulletins that may answer a partner's question: (title, excerpt, id). Only bulletins:
        partners never see other partners' cases."""
        hits, wanted = await self._search(text, model, limit * 3, (BULLETIN,))
        # One shared word is no answer to offer a partner: two that tell bulletins apart are needed
        # (one, if the question is one word), or one that only this bulletin has.
        weight = await self._weight()
        needed = min(2, len(wanted))
        # A bulletin far behind the best one matched by common words only («регистратор», «камера»):
        # offered beside the right one it only makes the partner read more.
        best = -hits[0].rank if hits else 0.0
        offers = [BulletinOffer(hit.title, excerpt_for(hit.body, wanted, title=hit.title), hit.ref) for hit in hits
                  if sum(map(weight, wanted & set(terms_of(f"{hit.title}\n{hit.body}")))) >= needed
                  and -hit.rank >= best * BULLETIN_SHARE_OF_BEST]
        return offers[:limit]

    # --- questions the bulletins answered ---------------------------------------------------------

    async def record_bulletin_answer(self, submit_key: str, partner_id: int, request_type: str,
                                     bulletins: list[str], at: datetime) -> bool:
        """The partner's «Помогло»: counted once per draft, however often the press is handled."""
        return await self.repo.record_bulletin_answer(submit_key, partner_id, request_type, bulletins, to_db_time(at))

    async def bulletin_answers_between(self, start: datetime, end: datetime) -> int:
        return await self.repo.bulletin_answers_between(to_db_time(start), to_db_time(end))
