"""Telegram's text rules: the HTML parse mode, automatic entities, UTF-16 offsets and trimming."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

Entity = dict[str, Any]

# The tags Telegram's HTML parse mode knows (tdlib parse_html); anything else is an error.
_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}
# tdlib treats NUL (the end of its C string) as a space; "" stands for the end of our string.
_SPACE = frozenset(" \t\r\n\v\0") | {""}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TRIM = " \t\r\n\v\f"


class EntityParseError(ValueError):
    """The part Telegram puts after "can't parse entities: "."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int  # UTF-16 units in the output
    out_index: int  # position in the output pieces, for <a> without href


def _decode_entity(text: str, i: int) -> tuple[str, int] | None:
    """An HTML entity at text[i] ("&lt;", "&#123;", "&#x1F;"), the way tdlib decodes them."""
    n = len(text)
    j = i + 1
    if j < n and text[j] == "#":
        j += 1
        hexadecimal = j < n and text[j] == "x"
        if hexadecimal:
            j += 1
        start = j
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        while j < n and text[j] in digits:
            j += 1
        if j == start or j - i >= 10:
            return None
        code = int(text[start:j], 16 if hexadecimal else 10)
        if code == 0 or code >= 0x10FFFF:
            return None
        if 0xD800 <= code <= 0xDFFF:
            raise EntityParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        char = chr(code)
    else:
        start = j
        while j < n and text[j].isascii() and text[j].isalpha():
            j += 1
        char = _NAMED_ENTITIES.get(text[start:j], "")
        if not char:
            return None
    if j < n and text[j] == ";":
        j += 1
    return char, j


def parse_html(
    text: str,
    *,
    strict: bool = True,
    user_lookup: Callable[[int], dict[str, Any] | None] | None = None,
) -> tuple[str, list[Entity]]:
    """Plain text and Bot API entities of an HTML-formatted text, or EntityParseError with Telegram's words.

    strict=True also rejects an "&" that is not an entity: Telegram shows such a character as it is,
    but a bot that forgot to escape user input is caught much earlier this way.
    """
    n = len(text)

    def at(k: int) -> str:
        return text[k] if k < n else ""

    pieces: list[str] = []
    utf16 = 0
    entities: list[Entity] = []
    stack: list[_Open] = []

    def emit(piece: str) -> None:
        nonlocal utf16
        pieces.append(piece)
        utf16 += utf16_len(piece)

    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                emit(decoded[0])
                i = decoded[1]
                continue
            if strict:
                raise EntityParseError(
                    f'character "&" at byte offset {_byte_offset(text, i)} must be escaped as "&amp;" '
                    "(emulator strict_html; Telegram would show it as is)"
                )
        if c != "<":
            emit(c)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != "/":
            while at(i) not in _SPACE and at(i) != ">":
                i += 1
            if i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            tag = text[begin + 1 : i].lower()
            if tag not in _TAGS:
                raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}')
            argument = ""
            while at(i) != ">":
                while at(i) != "" and at(i) in _SPACE:
                    i += 1
                if at(i) == ">":
                    break
                attr_begin = i
                while at(i) not in _SPACE and at(i) not in "=>":
                    i += 1
                attr = text[attr_begin:i].lower()
                if not attr:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(text, attr_begin)}'
                    )
                while at(i) != "" and at(i) in _SPACE:
                    i += 1
                if tag == "blockquote" and attr == "expandable" and at(i) != "=":
                    argument = "expandable"
                    continue
                if at(i) != "=":
                    raise EntityParseError(
                        f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                        f"at byte offset {_byte_offset(text, attr_begin)}"
                    )
                i += 1
                while at(i) != "" and at(i) in _SPACE:
                    i += 1
                if at(i) == "":
                    raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}')
                value_chars: list[str] = []
                if at(i) not in ("'", '"'):
                    token_begin = i
                    while at(i) != "" and ((at(i).isascii() and at(i).isalnum()) or at(i) in ".-"):
                        i += 1
                    value_chars.append(text[token_begin:i].lower())
                    if at(i) not in _SPACE and at(i) != ">":
                        raise EntityParseError(
                            f"Unexpected end of name token at byte offset {_byte_offset(text, token_begin)}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    while at(i) != quote and at(i) != "":
                        if at(i) == "&":
                            decoded = _decode_entity(text, i)
                            if decoded is not None:
                                value_chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        value_chars.append(at(i))
                        i += 1
                    if at(i) == quote:
                        i += 1
                if at(i) == "":
                    raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
                value = "".join(value_chars)
                if tag == "a" and attr == "href":
                    argument = value
                elif tag == "code" and attr == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}'
                )
            stack.append(_Open(tag, argument, utf16, len(pieces)))
            i += 1
            continue

        # An end tag.
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
        i += 1
        name_begin = i
        while at(i) not in _SPACE and at(i) != ">":
            i += 1
        end_tag = text[name_begin:i].lower()
        while at(i) != "" and at(i) in _SPACE:
            i += 1
        if at(i) != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
        opened = stack[-1]
        if end_tag and end_tag != opened.tag:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                f'expected "</{opened.tag}>", found "</{end_tag}>"'
            )
        stack.pop()
        i += 1
        length = utf16 - opened.offset
        if length > 0:
            _close(opened, length, "".join(pieces[opened.out_index :]), entities, user_lookup)

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for entity in entities:
        entity.pop("_language", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(pieces), entities


def _close(
    opened: _Open,
    length: int,
    inner: str,
    entities: list[Entity],
    user_lookup: Callable[[int], dict[str, Any] | None] | None,
) -> None:
    tag, offset, argument = opened.tag, opened.offset, opened.argument
    span = {"offset": offset, "length": length}
    if tag in _SIMPLE:
        entities.append({"type": _SIMPLE[tag], **span})
    elif tag == "span":
        entities.append({"type": "spoiler", **span})
    elif tag == "tg-emoji":
        if argument:
            entities.append({"type": "custom_emoji", **span, "custom_emoji_id": argument})
    elif tag == "blockquote":
        kind = "expandable_blockquote" if argument == "expandable" else "blockquote"
        entities.append({"type": kind, **span})
    elif tag == "a":
        url = argument or inner
        if url.startswith("tg://user?id="):
            user_id = url[len("tg://user?id=") :]
            user = user_lookup(int(user_id)) if user_lookup and user_id.isdigit() else None
            if user is not None:
                entities.append({"type": "text_mention", **span, "user": user})
            return
        normalized = normalize_url(url)
        if normalized is not None:
            entities.append({"type": "text_link", **span, "url": normalized})
    elif tag == "pre":
        last = entities[-1] if entities else None
        # <pre><code class="language-x">…</code></pre> is one "pre" entity with a language.
        if last and last["type"] == "code" and last.get("_language") and _same_span(last, span):
            entities[-1] = {"type": "pre", **span, "language": last["_language"]}
        else:
            entities.append({"type": "pre", **span})
    elif tag == "code":
        last = entities[-1] if entities else None
        if argument and last and last["type"] == "pre" and _same_span(last, span):
            last["language"] = argument
        else:
            entity = {"type": "code", **span}
            if argument:
                entity["_language"] = argument
            entities.append(entity)


def _same_span(entity: Entity, span: dict[str, int]) -> bool:
    return bool(entity["offset"] == span["offset"] and entity["length"] == span["length"])


_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?::\d+)?$")


def normalize_url(url: str) -> str | None:
    """The URL Telegram stores for a link, or None when it would drop the link (tdlib check_link)."""
    url = url.strip()
    if not url:
        return None
    if "://" not in url:
        if url.startswith(("tg:", "ton:", "mailto:")):
            return url
        url = "http://" + url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("tg", "ton"):
        return url
    if scheme not in ("http", "https", "ftp") or not _DOMAIN.match(parts.netloc.rsplit("@", 1)[-1]):
        return None
    return urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, parts.fragment))


# Automatic entities Telegram finds in any text (a close approximation of tdlib's rules).
_AUTO = [
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    ("url", re.compile(r"(?<![\w@/])(?:https?://|www\.)[^\s<>\"]+", re.IGNORECASE)),
    ("bot_command", re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,32}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])#(?=\w*[^\W\d])\w{1,255}")),
]
# Links, code and preformatted text are never scanned again.
_OPAQUE = frozenset({"code", "pre", "text_link", "url", "email", "text_mention"})


def detect_entities(text: str, existing: list[Entity] | None = None) -> list[Entity]:
    """Entities Telegram adds by itself (commands, mentions, hashtags, links, e-mails)."""
    existing = existing or []
    offsets = _utf16_prefix(text)
    taken: list[tuple[int, int]] = [(e["offset"], e["offset"] + e["length"]) for e in existing if e["type"] in _OPAQUE]
    found: list[Entity] = []
    for kind, pattern in _AUTO:
        for match in pattern.finditer(text):
            start, end = match.start(), match.end()
            if kind == "url":
                while end > start and text[end - 1] in ".,;:!?)'\"":
                    end -= 1
            begin16, end16 = offsets[start], offsets[end]
            if any(begin16 < stop and start16 < end16 for start16, stop in taken):
                continue
            taken.append((begin16, end16))
            found.append({"type": kind, "offset": begin16, "length": end16 - begin16})
    return found


def _utf16_prefix(text: str) -> list[int]:
    prefix = [0]
    for char in text:
        prefix.append(prefix[-1] + (2 if ord(char) > 0xFFFF else 1))
    return prefix


def trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Telegram drops leading and trailing whitespace; entities are shifted and clipped to match."""
    stripped = text.strip(_TRIM)
    if stripped == text:
        return text, entities
    lead = len(text) - len(text.lstrip(_TRIM))  # whitespace is one UTF-16 unit per character
    total = utf16_len(stripped)
    result: list[Entity] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def with_auto_entities(text: str, entities: list[Entity]) -> list[Entity]:
    merged = entities + detect_entities(text, entities)
    merged.sort(key=lambda e: (e["offset"], -e["length"]))
    return merged
