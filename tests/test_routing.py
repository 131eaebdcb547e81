"""Routers built afresh per Dispatcher from each module's recipe, and synchronous filters kept on the event loop."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from aiogram import Dispatcher, F
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.filters import Command, StateFilter
from aiogram.types import Chat, Message, User

from bot.routing import OnLoop, Prefixed, RouterRecipe, _filters, on_loop
from dialogs.states import Intake
from handlers import get_routers


def _message(text: str | None, chat_type: str = "private") -> Message:
    return Message(message_id=1, date=datetime(2026, 11, 24, tzinfo=timezone.utc), text=text,
                   chat=Chat(id=5, type=chat_type), from_user=User(id=5, is_bot=False, first_name="П"))


def test_every_call_builds_new_routers_that_two_dispatchers_can_hold_at_once():
    first, second = get_routers(), get_routers()
    assert [r.name for r in first] == [r.name for r in second]
    assert [r.name for r in first][0] == "handlers.errors" and first[-1].name == "handlers.fallback"
    assert not {id(r) for r in first} & {id(r) for r in second}
    one, other = Dispatcher(), Dispatcher()
    one.include_routers(*first)
    other.include_routers(*second)  # aiogram refuses a router that already has a parent
    assert [r.parent_router for r in first] == [one] * len(first)
    for old, new in zip(first, second):
        assert [len(o.handlers) for o in old.observers.values()] == [len(o.handlers) for o in new.observers.values()]
    assert sum(len(o.handlers) for r in first for o in r.observers.values()) > 90


def test_a_recipe_registers_in_order_with_its_filters_and_flags():
    recipe = RouterRecipe("probe")
    recipe.message.filter(F.chat.type == "private")

    @recipe.message(F.text == "a", flags={"kind": "first"})
    async def first(message: Message) -> None: ...

    @recipe.errors()
    async def on_error(event) -> None: ...

    recipe.message.register(first, F.text == "b")
    router = recipe.build()
    assert [h.callback for h in router.message.handlers] == [first, first]
    assert router.message.handlers[0].flags == {"kind": "first"}
    assert [h.callback for h in router.errors.handlers] == [on_error]
    assert recipe.build() is not router
    with pytest.raises(AttributeError, match="no event 'mesage'"):
        recipe.mesage


@pytest.mark.parametrize("check, event, kwargs", [
    (F.text == "hi", _message("hi"), {}),
    (F.text == "hi", _message("ho"), {}),
    (F.text.as_("said"), _message("hi"), {}),  # a dict result is merged into the handler's kwargs
    (F.text.as_("said"), _message(None), {}),
    (Intake.model, _message("x"), {"raw_state": Intake.model.state}),
    (Intake.model, _message("x"), {"raw_state": Intake.serial.state}),
    (lambda message, settings: message.chat.id == settings, _message("x"), {"settings": 5, "state": None}),
    (lambda message, **data: sorted(data), _message("x"), {"settings": 5, "state": None}),
])
async def test_on_loop_answers_as_aiogram_does_and_never_leaves_the_loop(monkeypatch, check, event, kwargs):
    expected = await FilterObject(check).call(event, **kwargs)  # aiogram's own way, through a worker thread
    trips = []
    real = asyncio.to_thread

    async def counting(func, *args, **kw):
        trips.append(func)
        return await real(func, *args, **kw)

    monkeypatch.setattr(asyncio, "to_thread", counting)
    wrapped = FilterObject(on_loop(check))
    assert isinstance(wrapped.callback, OnLoop) and wrapped.awaitable
    assert await wrapped.call(event, **kwargs) == expected
    assert trips == []


def test_filters_that_already_run_on_the_loop_are_left_as_they_are():
    async def coroutine_check(message) -> bool:
        return True

    state_filter = StateFilter(Intake.model)
    assert on_loop(state_filter) is state_filter
    assert on_loop(coroutine_check) is coroutine_check


class _Bot:
    async def me(self) -> User:
        return User(id=1, is_bot=True, first_name="Bot", username="torus_bot")


@pytest.mark.parametrize("command", [Command("start"), Command("new", "help", prefix="/!")])
@pytest.mark.parametrize("text", [
    "/start", "  /start payload", "/start@torus_bot", "/start@other_bot", "!new", "/help me", "start",
    "привет /start", "", None, "/", "\u00a0/new",
])
async def test_the_prefix_check_turns_away_only_what_the_command_filter_refuses(command, text):
    message = _message(text)
    if not await Prefixed(command.prefix)(message):
        assert not await command(message, bot=_Bot())
    caption = Message(message_id=2, date=message.date, caption=text, chat=message.chat, from_user=message.from_user)
    assert await Prefixed(command.prefix)(caption) == await Prefixed(command.prefix)(message)


def test_every_command_filter_is_preceded_by_its_prefix_check():
    recipe = RouterRecipe("probe")
    recipe.message.filter(Command("admin"))

    @recipe.message(F.chat.type == "private", Command("start", prefix="!"))
    async def start(message: Message) -> None: ...

    router = recipe.build()
    own = _filters((Command("admin"),))  # what the router-level filter() call registered
    assert [type(c).__name__ for c in own] == ["Prefixed", "Command"] and own[0].prefixes == ("/",)
    checks = [f.callback for f in router.message.handlers[0].filters]
    assert [type(c).__name__ for c in checks] == ["OnLoopEvent", "Prefixed", "Command"]
    assert checks[1].prefixes == ("!",)
