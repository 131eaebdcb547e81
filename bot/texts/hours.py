"""Phrases about support hours: when the desk opens, the after-hours notice, the contacts card."""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta

from bot.clock import to_msk
from bot.texts.common import EMAIL as SUPPORT_EMAIL
from bot.texts.common import PHONE as SUPPORT_PHONE
from bot.texts.common import PORTAL as SUPPORT_PORTAL

# The schedule and calendar days come in as arguments (bot.services.schedule.Schedule,
# bot.services.calendar.CalendarDay): texts render what services computed and import no service.

MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)
# After the preposition "в": "во вторник" is the one that changes.
WEEKDAYS_ACCUSATIVE = (
    "в понедельник", "во вторник", "в среду", "в четверг", "в пятницу", "в субботу", "в воскресенье",
)
WEEKDAYS_SHORT = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")

def clock_time(moment: datetime) -> str:
    """7:00, 17:30 — no leading zero, as people write it."""
    return f"{moment.hour}:{moment.minute:02d}"


def day_month(moment: datetime) -> str:
    return f"{moment.day} {MONTHS_GENITIVE[moment.month - 1]}"


def when_phrase(moment: datetime, at: datetime) -> str:
    """A moment as seen from `at`: 'сегодня в 7:00 МСК', 'завтра, 25 ноября, в 7:00 МСК',
    'в понедельник, 12 января, в 7:00 МСК'."""
    moment, at = to_msk(moment), to_msk(at)
    days = (moment.date() - at.date()).days
    time_part = f"в {clock_time(moment)} МСК"
    if days == 0:
        return f"сегодня {time_part}"
    if days == 1:
        return f"завтра, {day_month(moment)}, {time_part}"
    date_part = day_month(moment)
    # Only a far-off date needs its year; "12 января" seen on 31 December is plainly next January.
    if abs(days) > 180:
        date_part += f" {moment.year} г."
    return f"{WEEKDAYS_ACCUSATIVE[moment.weekday()]}, {date_part}, {time_part}"


def short_moment(moment: datetime) -> str:
    """Compact form for engineers' case cards: 'пн 12.01, 7:30'."""
    moment = to_msk(moment)
    return f"{WEEKDAYS_SHORT[moment.weekday()]} {moment:%d.%m}, {clock_time(moment)}"


def opening_phrase(schedule, at: datetime) -> str:
    """When the desk opens next after `at`, e.g. 'в понедельник, 12 января, в 7:00 МСК'."""
    return when_phrase(schedule.next_open(at), at)


def hours_line(schedule) -> str:
    start = clock_time(datetime.combine(date.min, schedule.work_start))
    end = clock_time(datetime.combine(date.min, schedule.work_end))
    return f"пн–пт {start}–{end} МСК, по производственному календарю РФ"


def _day_off_words(day) -> str:
    """'нерабочий день (День России)', 'перенесённый выходной', 'выходной' (HTML-safe)."""
    if day.kind == "weekend":
        return "выходной"
    if day.is_transferred_day_off:
        return "перенесённый выходной"
    name = day.named_holiday
    if name is None:
        return "нерабочий день"
    # Titles come from a file the admins drop in; keep them from breaking HTML.
    return f"нерабочий день ({html.escape(name)})"


def _named_holiday_ahead(schedule, at: datetime, opening: datetime) -> str | None:
    """The first named holiday between tomorrow and the next opening, if the closure runs into one."""
    d = at.date() + timedelta(days=1)
    while d < opening.date():
        day = schedule.calendar.day(d)
        if day.kind == "holiday" and day.named_holiday is not None:
            return day.named_holiday
        d += timedelta(days=1)
    return None


def closed_reason(schedule, at: datetime) -> str:
    """Why the desk is closed at `at`, lower-case, to follow a colon or a dash."""
    at = to_msk(at)
    day = schedule.calendar.day(at.date())
    opening = schedule.next_open(at)
    ahead = _named_holiday_ahead(schedule, at, opening)
    if day.is_working:
        today = schedule.interval(at.date())
        reason = "рабочий день ещё не начался" if today and at < today.start else "рабочий день закончился"
    else:
        reason = f"сегодня {_day_off_words(day)}"
        if ahead is not None and ahead == day.holiday_name:
            ahead = None
    if ahead is not None:
        reason += f", впереди нерабочие дни ({html.escape(ahead)})"
    return reason


def _short_reason(schedule, at: datetime) -> str:
    """Why the desk is closed in two words, for the confirmation: a named holiday, a day off, after hours."""
    at = to_msk(at)
    day = schedule.calendar.day(at.date())
    name = day.named_holiday if day.kind == "holiday" else None
    name = name or _named_holiday_ahead(schedule, at, schedule.next_open(at))
    if name is not None:
        return html.escape(name)
    return "нерабочее время" if day.is_working else "выходной"


def status_line(schedule, at: datetime) -> str:
    """One line for the greeting: open until when, or closed and when it opens."""
    status = schedule.status(at)
    if status.open and status.closes_at is not None:
        return f"Сейчас поддержка работает, до {clock_time(status.closes_at)} МСК."
    return f"Сейчас поддержка не работает, откроемся {opening_phrase(schedule, at)}."


def _contacts() -> str:
    return f"Телефон: {SUPPORT_PHONE}\nE-mail: {SUPPORT_EMAIL}\nПортал заявок: {SUPPORT_PORTAL}"


def after_hours_notice(schedule, at: datetime) -> str:
    """The reply to a case filed while the desk is closed (HTML); ValueError when it is open."""
    if schedule.is_open(at):
        raise ValueError("the desk is open: no after-hours notice")
    # Under "case accepted" on a phone: why we are closed, when we take it (bold), the contacts.
    return (
        f"Сейчас у нас {_short_reason(schedule, at)}, начнём <b>{opening_phrase(schedule, at)}</b>.\n"
        f"☎️ {SUPPORT_PHONE} · {SUPPORT_EMAIL}"
    )


def hours_card(schedule, at: datetime) -> str:
    """The "Contacts and hours" menu item (HTML)."""
    status = schedule.status(at)
    if status.open and status.closes_at is not None:
        now = f"Сейчас работаем, до {clock_time(status.closes_at)} МСК."
    else:
        now = (
            f"Сейчас не работаем: {closed_reason(schedule, at)}.\n"
            f"Откроемся {opening_phrase(schedule, at)}."
        )
    shortened_end = clock_time(
        datetime.combine(date.min, schedule.work_end) - timedelta(hours=schedule.shortened_hours)
    )
    shortened_note = (
        f" В предпраздничные дни — до {shortened_end}." if schedule.shortened_hours else ""
    )
    return (
        "<b>Контакты и часы работы</b>\n"
        f"Поддержка: {hours_line(schedule)}.{shortened_note}\n"
        f"<b>{now}</b>\n\n"
        f"{_contacts()}\n\n"
        "Обращения в боте принимаем круглосуточно и разбираем в порядке поступления."
    )


def after_hours_label(schedule, at: datetime) -> str | None:
    """For the engineers' case card: a note that the case came in after hours, or None."""
    if schedule.is_open(at):
        return None
    day = schedule.calendar.day(to_msk(at).date())
    why = "нерабочее время" if day.is_working else _day_off_words(day)
    return f"Поступило вне рабочих часов: {why}"
