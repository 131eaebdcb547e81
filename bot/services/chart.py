"""A bar chart of cases per day as a PNG, drawn with the standard library only (zlib)."""

from __future__ import annotations

import struct
import zlib
from datetime import date

# 3x5 pixel digits, drawn enlarged (GLYPH_SCALE): enough to label the axis without shipping a font.
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


# Telegram shows a photo as wide as the phone's screen (about 390 pt): an image of WIDTH pixels is
# shrunk about twice, so digits 5 x 5 = 25 px tall read as 12 pt type, like the message text.
WIDTH, HEIGHT = 800, 480
GLYPH_SCALE = 5
LABEL_GAP = 24  # px between two date labels


def text_width(value: str, scale: int = GLYPH_SCALE) -> int:
    return len(value) * 4 * scale - scale


def cases_per_day(days: list[date], counts: dict[date, int]) -> bytes:
    """Bars per day, weekends lighter; the top value and Mondays' dates (as many as fit) are labelled."""
    days = days[-92:]  # a quarter is as much as a phone screen can show
    peak = max([counts.get(d, 0) for d in days] + [1])
    glyph_height = 5 * GLYPH_SCALE
    left = 12 + text_width(str(peak))
    top, bottom, right = 20 + glyph_height // 2, glyph_height + 30, 16
    canvas = Canvas(WIDTH, HEIGHT)
    plot_height = HEIGHT - bottom - top
    per_day = (WIDTH - left - right) / max(len(days), 1)
    bar = max(1, int(per_day * 0.75))
    canvas.rect(left - 3, top, left - 1, HEIGHT - bottom, AXIS)
    canvas.rect(left - 3, HEIGHT - bottom, WIDTH - right, HEIGHT - bottom + 2, AXIS)
    canvas.text(6, top - glyph_height // 2, str(peak), scale=GLYPH_SCALE)
    canvas.text(6 + text_width(str(peak)) - text_width("0"), HEIGHT - bottom - glyph_height, "0",
                scale=GLYPH_SCALE)
    label_end = 0
    for index, day in enumerate(days):
        x = left + int(index * per_day)
        value = counts.get(day, 0)
        bar_height = round(plot_height * value / peak)
        colour = WEEKEND_BAR if day.weekday() >= 5 else BAR
        canvas.rect(x, HEIGHT - bottom - bar_height, x + bar, HEIGHT - bottom, colour)
        # Mondays (the first day too, when it is early in its week), as many as fit without overlapping.
        label = f"{day.day:02d}.{day.month:02d}"
        if (day.weekday() == 0 or (index == 0 and day.weekday() <= 2)) and x >= label_end \
                and x + text_width(label) <= WIDTH:
            canvas.text(x, HEIGHT - bottom + 12, label, scale=GLYPH_SCALE)
            label_end = x + text_width(label) + LABEL_GAP
    return canvas.png()
