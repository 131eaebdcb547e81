"""Command line: `python -m bot [run|start|sandbox|firmware|hours|label|knowledge|check] ...`; no subcommand means `run`."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    # First of all, so a SIGTERM during the imports and start-up below is a clean stop, not the
    # default action (which would leave the database open); see bot/stopping.py.
    from bot.stopping import StopSignals

    STOP_SIGNALS = StopSignals()
    STOP_SIGNALS.install()

import argparse
import importlib

# Each module registers one subcommand (register(subparsers) sets func=run(args) -> int).
SUBCOMMANDS = ("bot.cli.run", "bot.cli.start", "bot.cli.sandbox", "bot.cli.firmware", "bot.cli.hours",
               "bot.cli.label", "bot.cli.knowledge", "bot.cli.check")
# Commands that run an event loop and stop cleanly on SIGINT or SIGTERM (bot/stopping.py).
LOOP_COMMANDS = ("run", "start", "sandbox")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Telegram front desk of the Torus technical support.",
    )
    parser.add_argument("--version", action="store_true",
                        help="print the bot's version, its main libraries and whether label OCR is installed")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None, stop_signals=None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--version"]:
        print(version_text())
        return 0
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["run", *argv]
    args = parser.parse_args(argv)
    if stop_signals is not None and args.command not in LOOP_COMMANDS:
        stop_signals.uninstall()
        if stop_signals.received is not None:
            return 128 + stop_signals.received
    args.stop_signals = stop_signals  # the commands that run a loop stop on it (None: not installed)
    return int(args.func(args) or 0)


def version_text() -> str:
    from importlib import metadata

    from bot.services.label.ocr import ocr_status

    def installed(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    libraries = ", ".join(f"{name} {installed(name)}" for name in ("aiogram", "zxing-cpp", "Pillow"))
    return f"torus-support-bot {installed('torus-support-bot')} ({libraries}); {ocr_status()}"


if __name__ == "__main__":
    sys.exit(main(stop_signals=STOP_SIGNALS))
