"""A bar chart of cases per day as a PNG, drawn with the standard library only (zlib)."""

from __future__ import annotations

import struct
import zlib
from datetime import date

# 3x5 pixel digits: enough to label the axis without shipping a font.
DIGITS = {
    "0": ("111", "101", "101", "101", "111"), "1": ("010", "110", "010", "010", "111"),
    "2": ("111", "001", "111", "100", "111"), "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"), "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"), "7": ("111", "001", "010", "010", "010"),
    "8": ("111", "101", "111", "101", "111"), "9": ("111", "101", "111", "001", "111"),
    ".": ("000", "000", "000", "000", "010"),
}
BACKGROUND = (255, 255, 255)
BAR = (47, 128, 237)
WEEKEND_BAR = (160, 190, 235)
AXIS = (120, 120, 120)
TEXT = (40, 40, 40)


class Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.pixels = bytearray(bytes(BACKGROUND) * (width * height))

    def rect(self, x0: int, y0: int, x1: int, y1: int, colour: tuple[int, int, int]) -> None:
        x0, x1 = max(0, min(x0, x1)), min(self.width, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.height, max(y0, y1))
        row = bytes(colour) * (x1 - x0)
        for y in range(y0, y1):
            start = (y * self.width + x0) * 3
            self.pixels[start : start + len(row)] = row

    def text(self, x: int, y: int, value: str, colour=TEXT, scale: int = 2) -> None:
        for char in value:
            glyph = DIGITS.get(char)
            if glyph is not None:
                for gy, line in enumerate(glyph):
                    for gx, bit in enumerate(line):
                        if bit == "1":
                            self.rect(x + gx * scale, y + gy * scale, x + (gx + 1) * scale, y + (gy + 1) * scale, colour)
            x += 4 * scale

    def png(self) -> bytes:
        raw = b"".join(
            b"\x00" + bytes(self.pixels[y * self.width * 3 : (y + 1) * self.width * 3]) for y in range(self.height)
        )

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def cases_per_day(days: list[date], counts: dict[date, int]) -> bytes:
    """Bars per day, weekends lighter; the top value and each Monday's date are labelled."""
    days = days[-92:]  # a quarter is as much as a phone screen can show
    bar, gap, left, bottom, top = 10, 3, 40, 30, 20
    width = max(320, left + len(days) * (bar + gap) + 20)
    height = 240
    canvas = Canvas(width, height)
    peak = max([counts.get(d, 0) for d in days] + [1])
    plot_height = height - bottom - top
    canvas.rect(left - 2, top, left - 1, height - bottom, AXIS)
    canvas.rect(left - 2, height - bottom, width - 10, height - bottom + 1, AXIS)
    canvas.text(4, top - 4, str(peak))
    canvas.text(4, height - bottom - 10, "0")
    for index, day in enumerate(days):
        x = left + index * (bar + gap)
        value = counts.get(day, 0)
        bar_height = round(plot_height * value / peak)
        colour = WEEKEND_BAR if day.weekday() >= 5 else BAR
        canvas.rect(x, height - bottom - bar_height, x + bar, height - bottom, colour)
        # Mondays, and the first day when the first Monday is far enough not to overlap it.
        if day.weekday() == 0 or (index == 0 and day.weekday() <= 2):
            canvas.text(x, height - bottom + 8, f"{day.day:02d}.{day.month:02d}", scale=1)
    return canvas.png()
