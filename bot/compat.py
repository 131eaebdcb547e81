"""The only place that touches private names of aiogram, aiosqlite or pydantic, and the versions it is tested with.

Each use below may break in any minor release of its library, which is why `check_versions` refuses a
minor nobody ran the suite on (the commands that run the bot call it first). aiogram itself is imported
only inside the functions: the CLI imports this module before it installs the lazy validators, which
must come before aiogram's types are imported. tests/test_private_names.py checks that no other module
reaches into these libraries' private names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import metadata
from typing import Any, TypeVar

from bot.config import SettingsError

T = TypeVar("T")

# The one place these ranges live: pyproject.toml's bounds mirror them (tests/test_compat.py checks) and the
# lock files pin a version inside them. The bot reaches into private names of these three (below: aiogram's
# method return type, aiosqlite's _execute and _conn, pydantic's model_rebuild), which may change in any
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


# --- aiosqlite ------------------------------------------------------------------------------------------------

async def run_on_connection_thread(conn: Any, work: Callable[..., T], *args: Any) -> T:
    """`work(sqlite3_connection, *args)` on an aiosqlite connection's own thread, in one trip: aiosqlite has
    no public way to run a function of ours against its sqlite3 connection (its `_execute` queues one)."""
    return await conn._execute(work, conn._conn, *args)


def wrap_connection_trips(conn: Any, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    """Route every trip `conn` makes to its SQLite thread (each fetch, statement, COMMIT) through
    `wrap(original)`: the benchmark counts them."""
    conn._execute = wrap(conn._execute)


# --- aiogram --------------------------------------------------------------------------------------------------

_raw_get_updates: type | None = None


def raw_get_updates() -> type:
    """aiogram's GetUpdates answered as a list of plain dicts instead of `Update` models: polling parses each
    update alone and stores the JSON as it came. The return type lives in aiogram's `__returning__`."""
    global _raw_get_updates
    if _raw_get_updates is None:
        from aiogram.methods import GetUpdates

        class RawGetUpdates(GetUpdates):
            __returning__ = list[dict[str, Any]]

        _raw_get_updates = RawGetUpdates
    return _raw_get_updates


# --- aiogram: the models its session parses answers with ----------------------------------------------------------
#
# The session validates every answer with `Response[method.__returning__]`. pydantic keeps parametrised
# generics only in a weak cache, so once a garbage collection has taken the class, the next call builds it
# and its validator again (a model rebuild, milliseconds, seen hundreds of times in one test run).

_response_models: dict[Any, type] = {}


def keep_response_models() -> None:
    """Builds `Response[...]` for every Bot API method's result type once and holds it for the process."""
    if _response_models:
        return
    import aiogram.methods
    from aiogram.methods.base import Response, TelegramMethod

    for name in aiogram.methods.__all__:
        method = getattr(aiogram.methods, name)
        if isinstance(method, type) and issubclass(method, TelegramMethod) and method is not TelegramMethod:
            returning = getattr(method, "__returning__", None)
            if returning is not None and returning not in _response_models:
                _response_models[returning] = Response[returning]


def router_filters(observer: Any) -> list[Any]:
    """The FilterObjects set on a whole observer with `router.<event>.filter(...)` (aiogram keeps them in
    `_handler`); a test checks none of them goes to a worker thread."""
    return list(observer._handler.filters or ())


# --- pydantic: aiogram's validators built on first use ----------------------------------------------------------
#
# aiogram declares its ~300 Telegram types with pydantic's `defer_build=True`, but the end of
# `aiogram/types/__init__.py` then calls `model_rebuild()` on every one of them to resolve their forward
# references, which builds every validator at once. Each top-level validator carries its own copy of
# everything nested in it (Message is nested in dozens of types), so the import takes about 2 s and 150 MB
# on the 2-core machine, most of it for types a support desk never sees (payments, passports, games...).
#
# `install_lazy_validators()` makes that one loop only remember the namespace it passes (pydantic's private
# `_types_namespace` argument) and leave the types deferred. When a type (or an aiogram method model) is first
# validated, pydantic rebuilds it through `model_rebuild()`, and the same namespace is supplied then, so the
# validator that results is the very one the eager loop would have built. Nothing outside `aiogram.*` is
# touched, and if aiogram was imported before the install everything simply stays eager. The commands that
# run the bot install it (bot/cli/common.py, after the version check); so does the test suite's conftest.

_TYPES_MODULE = "aiogram.types"
_lazy_installed = False
# The namespace aiogram.types hands to model_rebuild: every type by name, plus typing helpers.
_aiogram_namespace: dict[str, Any] | None = None


def install_lazy_validators() -> None:
    global _lazy_installed
    if _lazy_installed:
        return
    _lazy_installed = True
    from pydantic import BaseModel

    eager = BaseModel.model_rebuild.__func__  # the classmethod's function

    def model_rebuild(cls, *args: Any, **kwargs: Any):
        global _aiogram_namespace
        if not cls.__module__.startswith("aiogram.") or args:
            return eager(cls, *args, **kwargs)
        namespace = kwargs.get("_types_namespace")
        if namespace is not None and cls.__module__.startswith(_TYPES_MODULE) and not kwargs.get("force"):
            if not cls.__pydantic_complete__:
                # aiogram.types' import-time loop: remember its namespace, build nothing yet.
                _aiogram_namespace = namespace
                return None
        elif namespace is None and _aiogram_namespace is not None:
            # A first use (pydantic's own rebuild on demand): resolve names as the loop would have.
            kwargs["_types_namespace"] = _aiogram_namespace
        return eager(cls, *args, **kwargs)

    BaseModel.model_rebuild = classmethod(model_rebuild)  # type: ignore[method-assign]
