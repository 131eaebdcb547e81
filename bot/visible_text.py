"""What of a typed text can be seen: invisible characters out of stored text, blank answers told apart."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

ZWJ = "\u200d"
# Control characters (Cc) but tab and newline, format characters (Cf: zero-width spaces, direction
# marks and overrides, the BOM, soft hyphens, tags...) and lone surrogates, which SQLite cannot
# store. Ranges as Unicode 14 (Python 3.11) has them; a test compares them with unicodedata.
_STRIPPED = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"
    "\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
    "\ud800-\udfff"
)
# Two exceptions that are pictures, not tricks: a zero-width joiner between two emoji (👨‍👩‍👧 is one
# picture) and the tag characters of a subdivision flag (🏴 + tags + cancel tag: Scotland, Wales).
_INVISIBLE = re.compile(
    "(?P<flag>\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f)|(?P<zwj>\u200d)|[" + _STRIPPED + "]"
)
# Letters and symbols that draw nothing: used for "blank" names in messengers.
FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5")
_UNSEEN = frozenset(("Cc", "Cf", "Cs", "Cn", "Mn", "Me", "Zs", "Zl", "Zp"))


def _is_emoji_side(char: str) -> bool:
    # So: pictographs; Sk: skin tones; Mn: the emoji variation selector U+FE0F after a pictograph.
    return bool(char) and unicodedata.category(char) in ("So", "Sk", "Mn")


def clean(text: str | None) -> str:
    """`text` without control and format characters (tab and newline stay). Every text the bot
    stores from a person goes through here: such characters show as nothing or reorder what a
    card shows (U+202E), and an export or a log has no use for them."""
    if not text:
        return ""
    if _INVISIBLE.search(text) is None:
        return text

    def keep(match: re.Match[str]) -> str:
        if match.group("flag"):
            return match.group("flag")
        if match.group("zwj"):
            start, end = match.span()
            before = text[start - 1] if start else ""
            after = text[end] if end < len(text) else ""
            return ZWJ if _is_emoji_side(before) and _is_emoji_side(after) else ""
        return ""

    return _INVISIBLE.sub(keep, text)


# Typed texts use a few hundred distinct characters, and every text a partner sends is measured.
@lru_cache(maxsize=16384)
def visible(char: str) -> bool:
    return char not in FILLERS and not char.isspace() and unicodedata.category(char) not in _UNSEEN


def is_blank(text: str | None) -> bool:
    """Nothing a person would see: empty, whitespace, invisible or combining characters only
    (variation selectors, zero-width spaces, direction marks, Hangul fillers...)."""
    return not text or not any(visible(char) for char in text)


def visible_length(text: str) -> int:
    return sum(map(visible, text))
