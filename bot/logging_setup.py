"""Logging set-up: one line per event on stderr, with bot tokens and phone numbers masked."""

from __future__ import annotations

import logging
import re
import sys

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# "<bot id>:<secret>" as BotFather issues it; it leaks through request URLs (".../bot<token>/getMe")
# in network errors. The bot id alone is public and helps tell bots apart, so it stays.
TOKEN_RE = re.compile(r"(\d+):[A-Za-z0-9_-]{30,}")
TOKEN_MASK = r"\1:***"

# Phone numbers partners type into contact details, in every form the intake accepts
# (bot.services.intake_rules.normalize_phone): "+7 999 123-45-67", "8 (999) 123 45 67",
# "8.999.123.45.67", "89991234567", "9991234567", "(999)123-45-67", any "+" and 10-15 digits,
# and local numbers grouped 3-3-2-2. Bare runs of other lengths are left alone: update, chat
# and user ids must stay readable in logs (a ten-digit user id starting with 9 would be masked:
# privacy wins over that).
PHONE_RE = re.compile(
    r"""
    (?<![\w+])                                       # not the tail of a longer number or word
    (?:
        \+\d(?:[\s().-]{0,2}\d){9,14}                # international, with any separators
      | [78][\s(.-]{0,2}\d{3}[\s).-]{0,2}\d{3}[\s.-]?\d{2}[\s.-]?\d{2}  # Russian, 8… or 7… without "+"
      | \(?9\d{2}\)?[\s.-]?\d{3}[\s.-]?\d{2}[\s.-]?\d{2}  # a Russian mobile without the country code
      | \(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{2}[\s.-]\d{2}  # local, grouped 3-3-2-2
    )
    (?!\w)
    """,
    re.VERBOSE,
)
PHONE_MASK = "<phone>"


def redact(text: str) -> str:
    return PHONE_RE.sub(PHONE_MASK, TOKEN_RE.sub(TOKEN_MASK, text))


def redact_token(text: str) -> str:
    return TOKEN_RE.sub(TOKEN_MASK, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message and traceback in place: the bot token is masked at every
    level, phone numbers from INFO up (DEBUG is for a developer's own machine)."""

    def __init__(self, phones_from: int = logging.INFO) -> None:
        super().__init__()
        self.phones_from = phones_from

    def filter(self, record: logging.LogRecord) -> bool:
        clean = redact if record.levelno >= self.phones_from else redact_token
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it as usual
            return True
        record.msg, record.args = clean(message), None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when set, so the masked traceback is what gets written.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = clean(record.exc_text)
        if record.stack_info:
            record.stack_info = clean(record.stack_info)
        return True


def setup_logging(level: str = "INFO") -> None:
    """Root logging to stderr with the redacting filter on every root handler."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    root.setLevel(level)
    for handler in root.handlers:
        # A handler filter sees records from every logger; a logger filter would miss propagated ones.
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    quiet = max(logging.getLevelName(level), logging.WARNING)
    # aiogram logs every handled update and aiohttp every webhook request at INFO; our handlers
    # already log what matters, and one line per event is enough.
    logging.getLogger("aiogram.event").setLevel(quiet)
    logging.getLogger("aiohttp.access").setLevel(quiet)
