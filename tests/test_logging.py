"""Logging hygiene: tokens and phone numbers never reach the log at INFO and above."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logging_setup import LOG_FORMAT, RedactingFilter, redact, setup_logging
from bot.services.intake_rules import normalize_phone

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"


def _emit(level: int, msg: str, *args, exc: BaseException | None = None) -> str:
    """What one record looks like on a handler with the filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.logging.probe")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
        logger.log(level, msg, *args, exc_info=exc_info)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_token_and_phone_are_masked_in_message_and_args():
    line = _emit(
        logging.INFO,
        "GET https://api.telegram.org/bot%s/getMe failed; contact %s",
        TOKEN,
        "+7 999 123-45-67",
    )
    assert TOKEN not in line and "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0" not in line
    assert "123456789:***" in line  # the bot id is public and tells bots apart
    assert "999" not in line and "<phone>" in line
    assert line.count("\n") == 1  # one line per event


@pytest.mark.parametrize(
    "phone",
    ["+7 999 123-45-67", "+79991234567", "89991234567", "8 (999) 123-45-67", "+7(999)1234567", "999 123-45-67",
     "+375 29 123 45 67"],
)
def test_phone_formats_are_masked(phone):
    assert redact(f"телефон {phone}.") == "телефон <phone>."


# Every way of writing one number that the intake's contact step takes, so the two cannot drift apart.
ACCEPTED = [
    "+7 999 123-45-67", "+7(999)123-45-67", "+7.999.123.45.67", "+79991234567", "79991234567", "89991234567",
    "8 999 1234567", "8-999-123-45-67", "8 (999) 123 45 67", "8.999.123.45.67", "9991234567", "999 1234567",
    "(999)123-45-67", "(999) 123-45-67", "999.123.45.67", "999-123-45-67",
]


@pytest.mark.parametrize("phone", ACCEPTED)
def test_every_phone_the_intake_accepts_is_masked(phone):
    assert normalize_phone(phone).ok
    assert redact(f"phone={phone} saved") == "phone=<phone> saved"


@pytest.mark.parametrize(
    "text",
    [
        "Update id=100000042 is handled",  # update ids
        "chat -1001234567890 thread 55",  # the group's id
        "user 7123456789 pressed",  # a ten-digit user id
        "case 12 at 2026-11-24 10:00:00",  # numbers and dates
        "Duration 1234 ms",
    ],
)
def test_ids_and_dates_stay_readable(text):
    assert redact(text) == text


def test_traceback_is_masked_too():
    try:
        raise ValueError(f"bad request to /bot{TOKEN}/sendMessage for +7 999 123-45-67")
    except ValueError as exc:
        text = _emit(logging.ERROR, "failed", exc=exc)
    assert "Traceback" in text and "ValueError" in text
    assert TOKEN not in text and "123-45-67" not in text


def test_debug_keeps_phones_but_never_the_token():
    line = _emit(logging.DEBUG, "raw %s %s", TOKEN, "+7 999 123-45-67")
    assert TOKEN not in line and "+7 999 123-45-67" in line


def test_setup_logging_filters_every_root_handler_and_quiets_per_update_lines():
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.handlers[:] = [handler]
    try:
        setup_logging("INFO")
        setup_logging("INFO")  # twice is harmless
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
        assert logging.getLogger("aiogram.event").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("aiohttp.access").getEffectiveLevel() == logging.WARNING
        logging.getLogger("bot.anything").info("partner %s wrote from %s", 1001, "+79991234567")
        assert "partner 1001 wrote from <phone>" in stream.getvalue()
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        logging.getLogger("aiogram.event").setLevel(logging.NOTSET)
        logging.getLogger("aiohttp.access").setLevel(logging.NOTSET)
