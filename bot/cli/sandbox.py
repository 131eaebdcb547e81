"""`python -m bot sandbox`: the bot and the bundled Bot API emulator together, no Telegram needed."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.cli.common import setup_logging


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8081, help="emulator port on 127.0.0.1 (default 8081; 0 = any free)")
    parser.add_argument("--demo-only", action="store_true", help="play the scripted demo and exit")
    parser.add_argument("--no-demo", action="store_true", help="skip the scripted demo")


def register(subparsers) -> None:
    parser = subparsers.add_parser("sandbox", help="try the bot without Telegram: emulator + bot + demo")
    add_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    setup_logging("WARNING")
    try:
        return asyncio.run(_main(args))
    except KeyboardInterrupt:
        return 0


async def _main(args: argparse.Namespace) -> int:
    from bot.demo import console, play_demo
    from bot.sandbox import Sandbox

    sandbox = Sandbox(port=args.port)
    try:
        await sandbox.start()
    except OSError as exc:
        print(f"Cannot start the emulator on 127.0.0.1:{args.port}: {exc.strerror}. Try --port 0.", file=sys.stderr)
        return 1
    try:
        print(f"Sandbox: Bot API emulator at {sandbox.emu.base_url}, throw-away database in {sandbox.workdir}")
        if not args.no_demo:
            await play_demo(sandbox, out=sys.stdout)
        if args.demo_only:
            return 0
        await console(sandbox, sys.stdin, sys.stdout)
    finally:
        await sandbox.stop()
    return 0
