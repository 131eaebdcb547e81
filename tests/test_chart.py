"""The admin chart reads at phone width: big enough digits, labels that never overlap (issue 18)."""

from __future__ import annotations

import struct
import zlib
from datetime import date, timedelta

import pytest

from bot.services import chart

TEXT = bytes(chart.TEXT)


def decode(png: bytes) -> tuple[int, int, list[bytes]]:
    width, height = struct.unpack(">II", png[16:24])
    data, pos = b"", 8
    while pos < len(png):
        length = struct.unpack(">I", png[pos:pos + 4])[0]
        if png[pos + 4:pos + 8] == b"IDAT":
            data += png[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(data)
    stride = width * 3 + 1
    return width, height, [raw[y * stride + 1:(y + 1) * stride] for y in range(height)]


def text_columns(rows: list[bytes], y0: int, y1: int, width: int) -> list[int]:
    return [x for x in range(width) if any(rows[y][x * 3:x * 3 + 3] == TEXT for y in range(y0, y1))]


def runs(xs: list[int]) -> list[tuple[int, int]]:
    """Runs of lit columns closer than the gap between labels: one run per label."""
    out: list[tuple[int, int]] = []
    for x in xs:
        if out and x - out[-1][1] < chart.LABEL_GAP:
            out[-1] = (out[-1][0], x)
        else:
            out.append((x, x))
    return out


@pytest.mark.parametrize("length", [7, 30, 92])
def test_the_chart_reads_at_phone_width(length):
    start = date(2026, 9, 1)
    days = [start + timedelta(days=n) for n in range(length)]
    width, height, rows = decode(chart.cases_per_day(days, {d: (n * 7) % 13 for n, d in enumerate(days)}))
    assert (width, height) == (800, 480)
    # Shown about 390 pt wide, a digit must be at least 12 pt tall: 800 / 390 * 12 ≈ 25 px.
    text_rows = [y for y in range(height) if TEXT in b"".join(rows[y][x * 3:x * 3 + 3] for x in range(width))]
    labels_top = max(y for y in range(height) if rows[y][200 * 3:200 * 3 + 3] == bytes(chart.AXIS)) + 1
    date_rows = [y for y in text_rows if y >= labels_top]
    assert max(date_rows) - min(date_rows) + 1 == 25
    labels = runs(text_columns(rows, labels_top, height, width))
    assert labels and all(b[0] - a[1] >= chart.LABEL_GAP for a, b in zip(labels, labels[1:]))
    assert all(end - begin + 1 == chart.text_width("01.09") for begin, end in labels)
