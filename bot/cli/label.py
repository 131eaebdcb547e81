"""`python -m bot label IMAGE ... [--json]`: what the bot reads off device label photos, one line per image."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TextIO

from bot.cli.firmware import catalogue_dir
from bot.services.catalogue import Catalogue, CatalogueError

DESCRIPTION = ("Read the serial and the model off device label photos the way the bot does. Prints one line per "
               "image in argument order; with --json one JSON object each.")


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("label", help="read serial and model off label photos", description=DESCRIPTION)
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="a photo or an image file of a label")
    parser.add_argument("--json", action="store_true", help="one JSON object per image")
    parser.add_argument("--catalogue", metavar="DIR",
                        help="catalogue root for the model match (default: $FIRMWARE_CATALOGUE_DIR, else data/firmware)")
    parser.set_defaults(func=run)
    return parser


def human(image: str, reading: dict) -> str:
    if reading["serial"] is None and reading["model"] is None:
        return f"{image}: nothing read"
    parts = [f"S/N {reading['serial'] or '?'}", f"model {reading['model'] or '?'}"]
    if reading["catalogue_model"] and reading["catalogue_model"] != reading["model"]:
        parts.append(f"(catalogue: {reading['catalogue_model']})")
    return f"{image}: " + ", ".join(parts) + f" [{reading['source']}]"


def run(args: argparse.Namespace, stdout: TextIO | None = None) -> int:
    from bot.services.label import NOTHING, LabelReader, UnreadableImage  # zxing and Pillow only when asked

    stdout = stdout or sys.stdout
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s", stream=sys.stderr)
    root = catalogue_dir(args.catalogue)
    try:
        catalogue = Catalogue.load(root)
    except CatalogueError as exc:
        # Serials need no catalogue: say so and go on, catalogue_model stays null.
        print(f"label: {exc}; catalogue_model will be null", file=sys.stderr)
        catalogue = None
    reader = LabelReader(catalogue)
    failed = 0
    for image in args.images:
        reading = NOTHING.as_dict()
        try:
            reading = reader.read(Path(image).read_bytes()).as_dict()
        except (OSError, UnreadableImage) as exc:
            failed += 1
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            print(f"label: {image}: {reason}", file=sys.stderr)
        if args.json:
            stdout.write(json.dumps({"image": image, **reading}, ensure_ascii=False) + "\n")
        else:
            stdout.write(human(image, reading) + "\n")
        stdout.flush()  # one line per image as it is read: callers may read us through a pipe
    # A file that is missing or no image is the caller's error (exit 1, after every line was printed);
    # a label with nothing readable on it is a valid answer (all null, exit 0).
    return 1 if failed else 0
