"""Subcommands of `python -m bot`: each module has register(subparsers) and sets func=run(args) -> int."""
