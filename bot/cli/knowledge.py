"""`python -m bot knowledge import FILE` and `python -m bot knowledge search "TEXT" [--model M] [--limit N] [--json]`.

Both use DATABASE_PATH; search brings the bulletins of BULLETINS_DIR up to date first. `--json`
prints one object, the contract other tools rely on:
{"query": "...", "results": [{"kind": "case" | "bulletin" | "imported", "id": "...", "title": "...", "score": 1.5}]}
best first; a higher score is a better match."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from bot.cli.common import settings_or_exit
from bot.config import Settings

MAX_LIMIT = 100


def register(subparsers) -> None:
    parser = subparsers.add_parser("knowledge", help="the knowledge index: import HelpDesk history, search")
    commands = parser.add_subparsers(dest="knowledge_command", metavar="ACTION", required=True)
    importing = commands.add_parser(
        "import", help="add solved HelpDesk tickets from CSV or JSONL (columns id, created, model, question, answer)")
    importing.add_argument("file", type=Path, metavar="FILE")
    importing.set_defaults(func=run_import)
    search = commands.add_parser("search", help="search solved cases, bulletins and imported tickets")
    search.add_argument("text", metavar="TEXT")
    search.add_argument("--model", default="", help="the model asked about: the same model and series rank higher")
    search.add_argument("--limit", type=int, default=10, help=f"how many results, 1-{MAX_LIMIT} (default 10)")
    search.add_argument("--json", action="store_true", help="print one JSON object (the contract for other tools)")
    search.set_defaults(func=run_search)


async def _service(settings: Settings):
    from bot.services.knowledge import KnowledgeService
    from bot.storage.database import Database

    db = await Database.open(settings.database_path)
    return db, KnowledgeService(db=db, bulletins_dir=settings.bulletins_dir)


def run_import(args: argparse.Namespace) -> int:
    """Exit 0: every row imported or already there; 1: bad rows were skipped (the rest kept); 2: nothing read."""
    from bot.services.knowledge_import import HistoryFileError, read_history_file

    settings = settings_or_exit()
    if settings is None:
        return 2
    try:
        parsed = read_history_file(args.file)
    except HistoryFileError as exc:
        print(f"knowledge import: {args.file}: {exc}", file=sys.stderr)
        return 2
    for bad in parsed.bad:
        print(f"knowledge import: {args.file}: line {bad.line}: {bad.reason}; skipped", file=sys.stderr)

    async def work() -> int:
        db, knowledge = await _service(settings)
        try:
            return await knowledge.import_history(parsed.records)
        finally:
            await db.close()

    added = asyncio.run(work())
    print(f"{args.file}: {parsed.format}, {len(parsed.records)} good rows: {added} added, "
          f"{len(parsed.records) - added} already there; {len(parsed.bad)} bad rows skipped")
    return 1 if parsed.bad else 0


def run_search(args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= MAX_LIMIT:
        print(f"knowledge search: --limit must be 1-{MAX_LIMIT}, not {args.limit}", file=sys.stderr)
        return 2
    settings = settings_or_exit()
    if settings is None:
        return 2
    if not settings.bulletins_dir.is_dir():
        print(f"Configuration error: BULLETINS_DIR: folder {settings.bulletins_dir} does not exist", file=sys.stderr)
        return 2

    async def work():
        db, knowledge = await _service(settings)
        try:
            report = await knowledge.sync_bulletins()
            found = await knowledge.search(args.text, model=args.model, limit=args.limit)
            return report, found
        finally:
            await db.close()

    report, found = asyncio.run(work())
    # Warnings go to stderr so stdout stays exactly one JSON object.
    for name, error in report.failed:
        print(f"knowledge search: warning: bulletin {name} could not be read: {error}", file=sys.stderr)
    if args.json:
        print(json.dumps({"query": args.text, "results": [f.as_json_dict() for f in found]}, ensure_ascii=False))
    elif not found:
        print("nothing found")
    else:
        for item in found:
            print(f"{item.score:8.3f}  {item.kind:<8}  {item.id:<24}  {item.title}")
    return 0
