"""`python -m bot start`: run the real bot when a token is configured, otherwise the sandbox."""

from __future__ import annotations

import argparse
import sys

from bot.cli import run as run_cmd
from bot.cli import sandbox
from bot.cli.common import settings_or_exit


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "start", help="run the bot if BOT_TOKEN is set, otherwise the sandbox (the README's command)"
    )
    sandbox.add_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    if settings is None:
        return 2
    if settings.bot_token is None:
        print("BOT_TOKEN is not set: starting the sandbox with the bundled Bot API emulator.", file=sys.stderr)
        return sandbox.run(args)
    return run_cmd.run(args)
