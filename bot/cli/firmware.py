"""`python -m bot firmware "QUERY"`: find a model in the firmware catalogue from the command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import TextIO

from bot.services.catalogue import Catalogue, CatalogueError, MatchResult, folder_title
from bot.services.model_normalize import Lens

DEFAULT_CATALOGUE = "data/firmware"
DESCRIPTION = "Find a model in the firmware catalogue the way the bot does."


def _limit(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", help='the model as a partner would type it; "-" reads one query per line from stdin')
    parser.add_argument(
        "--catalogue",
        metavar="DIR",
        help=f"catalogue root (default: $FIRMWARE_CATALOGUE_DIR, else {DEFAULT_CATALOGUE})",
    )
    parser.add_argument("--limit", type=_limit, default=3, metavar="N", help="at most N matches (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per query")


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "firmware",
        help="find a model in the firmware catalogue",
        description=DESCRIPTION,
    )
    add_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def catalogue_dir(explicit: str | None) -> Path:
    # Read the environment directly: this command must work without the bot's settings (no token needed).
    return Path(explicit or os.environ.get("FIRMWARE_CATALOGUE_DIR") or DEFAULT_CATALOGUE)


def as_json(result: MatchResult) -> dict:
    return {
        "query": result.query,
        "matches": [
            {"model": m.model, "score": m.score, "folders": list(m.folders)} for m in result.candidates
        ],
    }


def lens_text(lens: Lens | None) -> str:
    if lens is None:
        return ""
    if lens.wide is None:
        return "motorised"
    return f"{lens.wide:g}-{lens.tele:g} mm" if lens.varifocal else f"{lens.wide:g} mm"


def as_table(result: MatchResult) -> str:
    if not result.candidates:
        return f"{result.query!r}: not found (the bot would ask for a photo of the device label)"
    if result.accepted:
        verdict = "accepted"
    elif result.family:
        verdict = "a family (series or lens variants), most common first; the partner chooses"
    elif result.near_miss:
        verdict = "nearest spellings only, the partner chooses"
    else:
        verdict = "candidates, the partner chooses"
    if result.lens is not None:
        verdict += f"; lens read from the query: {lens_text(result.lens)}"
    lines = [f"{result.query!r}: {verdict}"]
    width = max(len(m.model) for m in result.candidates)
    for number, match in enumerate(result.candidates, 1):
        folders = "; ".join(match.folders)
        lens = lens_text(match.lens)
        lines.append(f"  {number}. {match.score:5.1f}  {match.model:<{width}}  {lens:>11}  {folders}")
        titles = "; ".join(folder_title(f) for f in match.folders)
        if titles != folders:
            lines.append(f"  {'':9}{'':<{width}}  {'':>11}  ({titles})")
    return "\n".join(lines)


def run(args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    root = catalogue_dir(args.catalogue)
    # Skipped files are worth a line on stderr; stdout stays clean for --json consumers.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s", stream=sys.stderr)
    try:
        catalogue = Catalogue.load(root)
    except CatalogueError as exc:
        print(f"firmware: {exc}", file=sys.stderr)
        return 2
    if not len(catalogue):
        print(f"firmware: warning: no model lists with models under {root}", file=sys.stderr)

    def answer(query: str) -> None:
        result = catalogue.match(query, limit=args.limit)
        if args.json:
            stdout.write(json.dumps(as_json(result), ensure_ascii=False) + "\n")
        else:
            stdout.write(as_table(result) + "\n")
        stdout.flush()  # one answer per line as it comes: callers may talk to us through a pipe

    if args.query == "-":
        for line in stdin:
            answer(line.rstrip("\r\n"))
    else:
        answer(args.query)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot firmware", description=DESCRIPTION)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
