"""Label reader: the serial read rate per kind of photo, wrong serials, MACs taken for serials, time per image."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.services.catalogue import Catalogue  # noqa: E402
from bot.services.label import LabelReader, OcrReader  # noqa: E402
from tests.label_images import INTACT, KINDS, make_set  # noqa: E402


def measure(per_kind: int, seed: int, ocr: bool, kinds: tuple[str, ...] = KINDS) -> dict:
    catalogue = Catalogue.load(ROOT / "data" / "firmware")
    reader = LabelReader(catalogue, ocr=OcrReader() if ocr else None)
    rows: dict[str, dict] = {}
    for image in make_set(per_kind, seed, kinds):
        row = rows.setdefault(image.kind, {"n": 0, "read": 0, "wrong": 0, "mac": 0, "model": 0, "ms": []})
        started = time.perf_counter()
        reading = reader.read(image.data)
        row["ms"].append((time.perf_counter() - started) * 1000)
        row["n"] += 1
        if reading.serial is not None:
            if reading.serial == image.serial:
                row["read"] += 1
            else:
                row["wrong"] += 1
            if reading.serial == image.mac.replace(":", ""):
                row["mac"] += 1
        if reading.catalogue_model == image.model:
            row["model"] += 1
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-kind", type=int, default=40, help="images per kind (default 40)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ocr", action="store_true", help="also OCR what the barcodes leave unread ([ocr] extra)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds (default: all)")
    args = parser.parse_args(argv)
    kinds = tuple(k for k in args.kinds.split(",") if k)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))}; known: {', '.join(KINDS)}")
    rows = measure(args.per_kind, args.seed, args.ocr, kinds)
    print(f"load average (1 min): {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; OCR {'on' if args.ocr else 'off'}")
    print(f"{'kind':15} {'images':>6} {'serial read':>11} {'wrong':>5} {'MAC':>4} {'model':>6} {'p50 ms':>7} {'p95 ms':>7}")
    intact = {"n": 0, "read": 0, "ms": []}
    totals = {"wrong": 0, "mac": 0}
    for kind in kinds:
        row = rows[kind]
        ms = sorted(row["ms"])
        p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
        print(f"{kind:15} {row['n']:6} {row['read'] / row['n']:10.0%} {row['wrong']:5} {row['mac']:4} "
              f"{row['model'] / row['n']:6.0%} {statistics.median(ms):7.0f} {p95:7.0f}")
        totals["wrong"] += row["wrong"]
        totals["mac"] += row["mac"]
        if kind in INTACT:
            intact["n"] += row["n"]
            intact["read"] += row["read"]
            intact["ms"] += row["ms"]
    if not intact["n"]:
        print(f"{totals['wrong']} wrong serials, {totals['mac']} MACs as serials (no intact kinds measured)")
        return 0
    rate = intact["read"] / intact["n"]
    mean = statistics.fmean(intact["ms"])
    print(f"intact barcode: serial read from {rate:.1%} (target >= 95 %), {totals['wrong']} wrong serials "
          f"(target 0), {totals['mac']} MACs as serials (target 0), {mean:.0f} ms mean per image "
          f"(target < 150 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
