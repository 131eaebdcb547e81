"""`python -m bot check`: the start-up checks of the engineers' group, printed; non-zero on a problem."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys

from bot.cli.common import settings_or_exit, versions_or_exit


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "check", help="check the engineers' group: the bot is an administrator with 'Manage topics', topics on")
    parser.set_defaults(func=run)


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit(lambda s: s.require_for_run())
    if settings is None:
        return 2
    if not versions_or_exit():
        return 2
    from bot import texts
    from bot.app import make_bot
    from bot.delivery.group_check import telegram_probe
    from bot.logging_setup import setup_logging
    from bot.services.group_check import GroupCheck

    setup_logging(settings.log_level)

    async def work():
        bot = make_bot(settings)
        try:
            return await GroupCheck(probe=telegram_probe(bot), groups=[settings.engineers_chat_id]).run()
        finally:
            await bot.session.close()

    reports = asyncio.run(work())
    for report in reports:
        if report.ok:
            print(_plain(texts.setup_all_good(report.group_id, report.title)))
        for problem in report.problems:
            print(_plain(texts.setup_problem(report.group_id, report.title, problem.value, report.facts.error)),
                  file=sys.stderr)
    return 1 if any(not r.ok for r in reports) else 0
