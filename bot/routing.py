"""Router recipes: a module declares its handlers once, every Dispatcher gets fresh routers built from them.

aiogram attaches a Router to one parent for good, but tests and the sandbox build a new Dispatcher
on every restart. So a module's `router` is a `RouterRecipe`: it takes the same decorators and
`.filter(...)` calls as a Router and only remembers them; `build()` replays them on a new Router
with aiogram's public registration API (handlers.get_routers() does that per Dispatcher).

While replaying, every filter that is not a coroutine (each `F.…` magic filter, a state, a plain
function) is wrapped in `OnLoop`, a public `Filter`: aiogram hands any synchronous filter to
`asyncio.to_thread`, a trip to a worker thread and back for a check that reads an attribute,
several times per update and most of the bot's CPU time in a burst. Ours are all such cheap,
non-blocking checks. `OnLoop` declares only the arguments its check takes, so aiogram does not copy
every handler keyword for each check.

Every aiogram `Command` filter is also preceded by `Prefixed`, which turns away at once a message that
does not start with the command prefix: `Command` itself awaits the bot's identity and parses the
text before it says no, and most messages a partner sends are not commands.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.filters import Command, Filter
from magic_filter import MagicFilter

# The events a Router observes, by the attribute names handlers use (message, callback_query, errors...),
# read from aiogram itself.
_PROBE = Router()
_EVENTS = frozenset(name for name, value in vars(_PROBE).items() if value in _PROBE.observers.values())
del _PROBE


class OnLoop(Filter):
    """A synchronous check run on the event loop, with the arguments aiogram would have given it."""

    def __init__(self, check: Callable[..., Any]) -> None:
        self.check = check
        # What aiogram would have called: a magic filter is resolved against the event alone.
        self.callback = check.resolve if isinstance(check, MagicFilter) else check
        try:
            parameters = list(inspect.signature(self.callback).parameters.values())
        except (TypeError, ValueError):
            parameters = []
        self.takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)
        named = [p for p in parameters if p.kind in (
            inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.KEYWORD_ONLY)]
        # The event comes positionally: the first positional parameter takes it, not a keyword.
        if named and named[0].kind is not inspect.Parameter.KEYWORD_ONLY:
            named = named[1:]
        self.names = tuple(p.name for p in named)

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.takes_all:
            return self.callback(*args, **kwargs)
        return self.callback(*args, **{name: kwargs[name] for name in self.names if name in kwargs})

    def __str__(self) -> str:
        return f"OnLoop({self.check!r})"


class OnLoopEvent(OnLoop):
    """`OnLoop` for a check of the event alone (every magic filter): aiogram passes it no keywords."""

    async def __call__(self, event: Any) -> Any:  # type: ignore[override]
        return self.callback(event)


class Prefixed(Filter):
    """A message whose text or caption starts with one of a command's prefixes: `Command`'s cheap half."""

    def __init__(self, prefixes: str) -> None:
        self.prefixes = tuple(prefixes)

    async def __call__(self, event: Any) -> bool:
        text = getattr(event, "text", None) or getattr(event, "caption", None)
        # `Command` splits the text on whitespace first, so leading spaces do not hide a command.
        return bool(text) and text.lstrip().startswith(self.prefixes)


def on_loop(check: Any) -> Any:
    """`check` as a filter that never leaves the event loop (coroutines and `Filter`s are already so)."""
    if isinstance(check, Filter) or not callable(check):
        return check
    # The test aiogram applies (handler.py's CallableObject) to decide what goes to a worker thread.
    target = inspect.unwrap(check)
    if not isinstance(check, MagicFilter) and (inspect.isawaitable(target) or inspect.iscoroutinefunction(target)):
        return check
    wrapped = OnLoop(check)
    if not wrapped.takes_all and not wrapped.names:
        wrapped = OnLoopEvent(check)
    return wrapped


def _filters(filters: tuple[Any, ...]) -> list[Any]:
    """The filters to register: each on the loop, each `Command` after its cheap prefix check."""
    result: list[Any] = []
    for check in filters:
        if isinstance(check, Command):
            result.append(Prefixed(check.prefix))
        result.append(on_loop(check))
    return result


class _ObserverRecipe:
    def __init__(self, steps: list[tuple[str, str, tuple, dict]], event: str) -> None:
        self._steps = steps
        self._event = event

    def __call__(self, *filters: Any, **kwargs: Any) -> Callable[[Callable], Callable]:
        def register(callback: Callable) -> Callable:
            return self.register(callback, *filters, **kwargs)

        return register

    def register(self, callback: Callable, *filters: Any, **kwargs: Any) -> Callable:
        self._steps.append((self._event, "register", (callback, *filters), kwargs))
        return callback

    def filter(self, *filters: Any) -> None:
        self._steps.append((self._event, "filter", filters, {}))

    def middleware(self, middleware: Any) -> Any:
        self._steps.append((self._event, "middleware", (middleware,), {}))
        return middleware

    def outer_middleware(self, middleware: Any) -> Any:
        self._steps.append((self._event, "outer_middleware", (middleware,), {}))
        return middleware


class RouterRecipe:
    """Takes `@router.message(...)`, `router.message.filter(...)` and the like; `build()` makes a Router."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._steps: list[tuple[str, str, tuple, dict]] = []

    def __getattr__(self, event: str) -> _ObserverRecipe:
        if event not in _EVENTS:
            raise AttributeError(f"{type(self).__name__} {self.name!r} has no event {event!r}")
        return _ObserverRecipe(self._steps, event)

    def build(self) -> Router:
        router = Router(name=self.name)
        for event, action, args, kwargs in self._steps:
            observer = getattr(router, event)
            if action == "register":
                callback, *filters = args
                observer.register(callback, *_filters(tuple(filters)), **kwargs)
            elif action == "filter":
                observer.filter(*_filters(args))
            else:
                getattr(observer, action)(*args)
        return router
