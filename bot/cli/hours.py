"""`python -m bot hours [--at ISO-8601] [--json]`: is support open at a moment, when it closes or opens."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from bot.clock import MSK, Clock, SystemClock
from bot.services.calendar import CalendarError, ProductionCalendar
from bot.services.schedule import Schedule, ScheduleError, ScheduleStatus, parse_clock_time

DEFAULT_CALENDAR_DIR = Path("data") / "calendar"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--at",
        metavar="ISO-8601",
        help="the moment to ask about (default: now); without an offset it is Moscow time",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object (the contract for other tools)")


def register(subparsers) -> None:
    parser = subparsers.add_parser("hours", help="is support open now (or --at), when it closes or opens")
    add_arguments(parser)
    parser.set_defaults(func=run)


def parse_at(value: str) -> datetime:
    """ISO-8601 -> aware Moscow datetime; a value without an offset is Moscow wall-clock time."""
    text = value.strip()
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=MSK)
    return parsed.astimezone(MSK)


def schedule_from_env(environ: Mapping[str, str] | None = None) -> Schedule:
    """Schedule built from CALENDAR_DIR, WORK_START, WORK_END, SHORTENED_DAY_HOURS (or the defaults).

    Reads the environment itself so this command works without the bot's full settings (no token needed).
    """
    env = os.environ if environ is None else environ
    calendar = ProductionCalendar.from_directory(env.get("CALENDAR_DIR") or DEFAULT_CALENDAR_DIR)
    kwargs: dict[str, object] = {}
    for name, key in (("WORK_START", "work_start"), ("WORK_END", "work_end")):
        raw = env.get(name)
        if raw:
            try:
                kwargs[key] = parse_clock_time(raw)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
    raw = env.get("SHORTENED_DAY_HOURS")
    if raw:
        try:
            kwargs["shortened_hours"] = float(raw)
        except ValueError:
            raise ValueError(f"SHORTENED_DAY_HOURS: {raw!r} is not a number") from None
    return Schedule(calendar, **kwargs)  # type: ignore[arg-type]


def _human(status: ScheduleStatus) -> str:
    lines = [f"at:        {status.at.isoformat()}", f"day:       {status.day.kind}"]
    if status.day.holiday_name:
        lines.append(f"holiday:   {status.day.holiday_name}")
    if status.day.shortened:
        lines.append("shortened: yes")
    lines.append(f"open:      {'yes' if status.open else 'no'}")
    if status.closes_at is not None:
        lines.append(f"closes at: {status.closes_at.isoformat()}")
    if status.next_open is not None:
        lines.append(f"next open: {status.next_open.isoformat()}")
    return "\n".join(lines)


def run(args: argparse.Namespace, clock: Clock | None = None) -> int:
    if args.at is not None:
        try:
            at = parse_at(args.at)
        except ValueError:
            print(f"hours: --at {args.at!r} is not an ISO-8601 time such as 2026-01-12T07:00", file=sys.stderr)
            return 2
    else:
        at = (clock or SystemClock()).now().astimezone(MSK).replace(microsecond=0)
    try:
        schedule = schedule_from_env()
    except ValueError as exc:
        print(f"hours: configuration error: {exc}", file=sys.stderr)
        return 2
    except CalendarError as exc:
        print(f"hours: production calendar error: {exc}", file=sys.stderr)
        return 1
    try:
        status = schedule.status(at)
    except ScheduleError as exc:
        print(f"hours: {exc}", file=sys.stderr)
        return 1
    # Warnings go to stderr so stdout stays exactly one JSON object.
    for year in schedule.calendar.fallback_years_used:
        print(f"hours: warning: no calendar file for {year}, used the holidays package "
              "(no shortened days)", file=sys.stderr)
    if args.json:
        print(json.dumps(status.as_json_dict(), ensure_ascii=False))
    else:
        print(_human(status))
    return 0


def main(argv: Sequence[str] | None = None, clock: Clock | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot hours", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv), clock=clock)


if __name__ == "__main__":
    sys.exit(main())
