"""`python -m bot sandbox`: the bot, the bundled Bot API emulator and its web page together, no Telegram needed."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import queue
import sys
import threading
from typing import TextIO

from bot.cli.common import setup_logging, versions_or_exit
from bot.stopping import StopSignals, unless_stopped


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=int, default=8081, help="port on 127.0.0.1 for the emulator and its page (default 8081; 0 = any)"
    )
    parser.add_argument("--demo-only", action="store_true", help="play the scripted demo to stdout and exit (no page)")
    parser.add_argument("--no-demo", action="store_true", help="skip the scripted demo: the page opens on empty chats")


def register(subparsers) -> None:
    parser = subparsers.add_parser("sandbox", help="try the bot without Telegram: emulator + bot + web page + demo")
    add_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not versions_or_exit():
        return 2
    if importlib.util.find_spec("tgemu") is None:
        # The emulator ships with the repository, not in the bot's wheel (the production image has none).
        print("The sandbox needs the Bot API emulator (the tgemu package beside bot/): run it from a checkout "
              "of the repository, e.g. bash scripts/start.sh.", file=sys.stderr)
        return 2
    setup_logging("WARNING")
    signals = getattr(args, "stop_signals", None) or StopSignals()
    try:
        return asyncio.run(_main(args, signals))
    except KeyboardInterrupt:  # run in-process without the process's handlers (bot/__main__.py installs them)
        return 0


async def _main(args: argparse.Namespace, signals: StopSignals) -> int:
    from bot.sandbox import Sandbox, web

    async with signals.watch() as stop:
        sandbox = Sandbox(port=args.port, helpdesk_mailbox=not args.demo_only)
        try:
            if not args.demo_only:
                web.attach(sandbox)
            try:
                started, _ = await unless_stopped(stop, sandbox.start())
            except OSError as exc:
                print(f"Cannot start the emulator on 127.0.0.1:{args.port}: {exc.strerror}. Try --port 0.",
                      file=sys.stderr)
                return 1
            if started:
                session = asyncio.create_task(_session(sandbox, args))
                finished, code = await unless_stopped(stop, session)
                if finished:
                    return code or 0
            print("\nStopping the sandbox.", flush=True)
            return 0
        finally:
            await sandbox.stop()
            # Printed only once the bot's database is closed and the throw-away folder removed.
            print("The sandbox has stopped.", flush=True)


async def _session(sandbox, args: argparse.Namespace) -> int:
    from bot.sandbox import web
    from bot.sandbox.demo import console, play_demo

    print(f"Sandbox: Bot API emulator at {sandbox.emu.base_url}, throw-away database in {sandbox.workdir}", flush=True)
    if args.demo_only:
        if not args.no_demo:
            await play_demo(sandbox, out=sys.stdout)
        return 0
    url = web.page_url(sandbox)
    _banner(url)
    if not args.no_demo:
        try:
            await play_demo(sandbox, out=sys.stdout)
        except Exception as exc:  # a broken demo must not take the page down with it
            print(f"The demo stopped early ({type(exc).__name__}: {exc}); the page still works.", flush=True)
        _banner(url)
    if sys.stdin.isatty():
        lines = _StdinLines(sys.stdin)
        try:
            await console(sandbox, lines, sys.stdout)  # type: ignore[arg-type]
        finally:
            lines.close()
        return 0
    print("The sandbox keeps running; stop it with Ctrl-C.", flush=True)
    await asyncio.Event().wait()
    return 0


def _banner(url: str) -> None:
    rule = "=" * 72
    print(
        f"\n{rule}\n"
        f"  Open the sandbox in a browser:   {url}\n"
        "  A partner's phone and the engineers' group side by side; stop with Ctrl-C.\n"
        f"{rule}\n",
        flush=True,
    )


class _StdinLines:
    """Lines of stdin read by a daemon thread: the console reads them through the default executor, and
    a thread blocked in stdin.readline() there would keep Ctrl-C waiting until someone pressed Enter."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, name="sandbox-stdin", daemon=True).start()

    def _pump(self) -> None:
        for line in iter(self._stream.readline, ""):
            self._lines.put(line)
        self._lines.put("")

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        return self._lines.get()

    def close(self) -> None:
        self._lines.put("")  # an end of input for a console still waiting for a line
