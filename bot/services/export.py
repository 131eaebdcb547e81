"""Cases as CSV for Excel in a Russian locale: UTF-8 with BOM, ';' between fields."""

from __future__ import annotations

import csv
import io
import unicodedata

from bot import texts
from bot.domain import Case

COLUMNS = texts.EXPORT_COLUMNS
CHANNEL = "telegram"  # how a case reaches the desk: the bot takes cases in Telegram only


# A cell starting with one of these is taken as a formula by Excel and LibreOffice (CSV injection,
# "=HYPERLINK(...)"); the full-width forms are converted to ASCII by some locales' input.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value):
    """Text that a spreadsheet would run gets a leading apostrophe, which Excel and LibreOffice
    take as "this is text" and do not show, so "+7 999…" or "-5" still reads the same.
    Leading blanks and invisible characters are looked through: some importers trim them."""
    if not isinstance(value, str):
        return value
    first = next((ch for ch in value if not (ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf"))), "")
    if value.startswith(FORMULA_STARTS) or first in FORMULA_STARTS:
        return "'" + value
    return value


def _time(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _yes_no(value) -> str:
    return "" if value is None else (texts.EXPORT_YES if value else texts.EXPORT_NO)


def history_summary(rows) -> str:
    """One line per change: when, new status, who, and the comment if any."""
    parts = []
    for row in rows:
        text = f"{row['at'][:16].replace('T', ' ')} {row['to_status']}"
        if row["actor_name"]:
            text += f" ({row['actor_name']})"
        if row["comment"]:
            text += f": {row['comment']}"
        parts.append(text)
    return " | ".join(parts)


def cases_csv(
    cases: list[Case], histories: dict[int, list], attachment_counts: dict[int, int],
    helpdesk_copies: dict[int, str] | None = None,
) -> bytes:
    """`helpdesk_copies`: case id -> pending, done or failed (bot/delivery/mail.py); absent: no copy."""
    copies = helpdesk_copies or {}
    buffer = io.StringIO()
    # QUOTE_MINIMAL with ';': descriptions full of commas and line breaks stay in one cell.
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for case in cases:
        writer.writerow(neutralise(cell) for cell in (
            case.id, _time(case.created_at), texts.engineer_status_label(case.status), texts.request_type_label(case.request_type), case.brand, case.model,
            _yes_no(case.model_matched), case.serial or "", _yes_no(case.web_access), case.partner_id,
            case.contact_name, case.contact_company or "", case.contact_phone, case.level, _time(case.due_at),
            _yes_no(case.after_hours), case.claimed_by_name or "", _time(case.claimed_at),
            _time(case.resolved_at), _time(case.closed_at),
            case.rating or "", case.rating_comment or "", attachment_counts.get(case.id, 0), case.description,
            history_summary(histories.get(case.id, [])),
            # Every case is filed in Telegram; the bridge sends the HelpDesk its copy by e-mail.
            texts.CHANNEL_LABELS[CHANNEL], texts.helpdesk_copy_label(copies.get(case.id)),
        ))
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")
