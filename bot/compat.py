"""The library versions this bot is tested with, checked when a command that runs the bot starts."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import metadata

from bot.config import SettingsError

# The one place these ranges live: pyproject.toml's bounds mirror them (tests/test_compat.py checks) and the
# lock files pin a version inside them. The bot reaches into private names of these three (aiogram's router
# and filter internals, aiosqlite's _execute and _conn, pydantic's model_rebuild), which may change in any
# minor release, so a minor nobody ran the suite on is refused rather than half-working. Lower bound
# inclusive, upper exclusive, both as major.minor. To move on: widen a range here and in pyproject.toml,
# then `bash scripts/upgrade.sh`.
TESTED: dict[str, tuple[str, str]] = {
    "aiogram": ("3.31", "3.32"),
    "aiosqlite": ("0.22", "0.23"),
    "pydantic": ("2.13", "2.14"),
}


class UntestedVersion(SettingsError):
    """An installed library is outside its tested range; the message is one line naming it."""


def _release(version: str) -> tuple[int, ...]:
    # The leading release numbers only: "3.31.0rc1" and "3.31.0.post1" both count as 3.31.0, which is
    # what matters here (the minor), without needing the `packaging` library at run time.
    match = re.match(r"\d+(?:\.\d+)*", version.strip())
    if match is None:
        raise ValueError(version)
    return tuple(int(part) for part in match.group().split("."))


def check_versions(installed: Callable[[str], str] = metadata.version) -> None:
    """Raise UntestedVersion for the first library that is missing or outside TESTED."""
    for name, (lowest, below) in TESTED.items():
        wanted = f"{name}>={lowest},<{below}"
        try:
            version = installed(name)
        except metadata.PackageNotFoundError:
            raise UntestedVersion(f"{name} is not installed; this bot needs {wanted}") from None
        try:
            release = _release(version)
        except ValueError:
            raise UntestedVersion(f"{name} {version} has a version this bot cannot read; it needs {wanted}") from None
        if not _release(lowest) <= release < _release(below):
            raise UntestedVersion(
                f"{name} {version} is installed, but this bot is tested with {wanted}; "
                "install from the lock file (bash scripts/start.sh does)"
            )
