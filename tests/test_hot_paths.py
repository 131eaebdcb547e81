"""What makes the bot fast must not change what it does: validators built on first use, filters
run on the event loop instead of worker threads."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.compat import router_filters

ROOT = Path(__file__).resolve().parent.parent

# An update that reaches deep into aiogram's types: a callback on a message with a photo,
# entities, a reply, an inline keyboard and a forum topic.
UPDATE = {
    "update_id": 7,
    "callback_query": {
        "id": "42", "chat_instance": "ci", "data": "case:claim:5",
        "from": {"id": 2001, "is_bot": False, "first_name": "Пётр", "language_code": "ru"},
        "message": {
            "message_id": 11, "date": 1764000000, "message_thread_id": 3, "is_topic_message": True,
            "chat": {"id": -100123, "type": "supergroup", "title": "Инженеры", "is_forum": True},
            "from": {"id": 99, "is_bot": True, "first_name": "Desk", "username": "desk_bot"},
            "caption": "Заявка №5", "caption_entities": [{"type": "bold", "offset": 0, "length": 6}],
            "photo": [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90, "file_size": 100}],
            "reply_to_message": {
                "message_id": 3, "date": 1764000000, "chat": {"id": -100123, "type": "supergroup"},
                "forum_topic_created": {"name": "№5", "icon_color": 7322096},
            },
            "reply_markup": {"inline_keyboard": [[{"text": "Взять", "callback_data": "case:claim:5"}]]},
        },
    },
}

PROBE = """
import json, sys
if sys.argv[1] == "lazy":
    from bot.compat import install_lazy_validators  # what the commands that run the bot do first

    install_lazy_validators()
elif sys.argv[1] == "cli":
    from bot.cli.common import versions_or_exit  # the first step of `run`, `start` and `sandbox`

    assert versions_or_exit()
elif sys.argv[1] == "import":
    import bot, bot.app, bot.polling, bot.storage.database  # importing the bot patches nothing
import aiogram.types as types
from aiogram.methods import SendMessage
from aiogram.methods.base import Response
from pydantic import ValidationError

built = sum(1 for name in types.__all__
            if getattr(getattr(types, name), "__pydantic_complete__", False))
update = types.Update.model_validate(json.loads(sys.argv[2]))
request = SendMessage(chat_id=1, text="<b>x</b>", message_thread_id=3,
                      reply_markup={"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]})
answer = Response[types.Message].model_validate(
    {"ok": True, "result": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}}})
try:
    types.Update.model_validate({"update_id": "x", "message": {"chat": 5}})
    error = None
except ValidationError as exc:
    error = sorted((e["loc"], e["type"]) for e in exc.errors())
print(json.dumps({
    "built_at_import": built,
    "update": update.model_dump(mode="json", exclude_unset=True),
    "request": request.model_dump(mode="json", exclude_unset=True),
    "answer": answer.model_dump(mode="json", exclude_unset=True),
    "error": error,
}, default=str))
"""


def probe(mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, mode, json.dumps(UPDATE)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_validators_built_on_first_use_behave_as_the_eager_ones():
    lazy, eager = probe("lazy"), probe("eager")
    # Importing aiogram after `bot` builds (almost) nothing; without it, everything.
    assert lazy["built_at_import"] < 10 < 250 < eager["built_at_import"]
    for part in ("update", "request", "answer", "error"):
        assert lazy[part] == eager[part], part
    assert lazy["update"]["callback_query"]["message"]["reply_to_message"]["forum_topic_created"]["name"] == "№5"


def test_the_commands_that_run_the_bot_install_the_lazy_validators_and_importing_bot_does_not():
    assert probe("cli")["built_at_import"] < 10
    imported = probe("import")
    assert imported["built_at_import"] > 250
    assert imported["update"]["callback_query"]["data"] == "case:claim:5"


async def test_no_filter_or_handler_goes_to_a_worker_thread(desk, monkeypatch):
    calls = []
    real = asyncio.to_thread

    async def counting_to_thread(func, *args, **kwargs):
        calls.append(getattr(func, "func", func))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counting_to_thread)
    for router in desk.sb.app.dp.chain_tail:
        for observer in router.observers.values():
            assert all(f.awaitable for f in router_filters(observer)), router.name
            for handler in observer.handlers:
                assert all(f.awaitable for f in handler.filters or ()), (router.name, handler.callback)
                assert handler.awaitable, handler.callback
    # Filters still filter: a case goes through the dialog and reaches the group.
    from tests.flows import file_case

    await file_case(desk)
    assert desk.topic_of(1001)
    assert calls == []


@pytest.mark.parametrize("module", ["aiogram", "aiogram.types"])
def test_importing_aiogram_before_bot_still_works(module):
    """Someone importing aiogram first gets eager validators, not an error."""
    code = (f"import {module}; from bot.compat import install_lazy_validators; install_lazy_validators();"
            f" import bot.app; from aiogram.types import Update; Update.model_validate({UPDATE!r})")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_running_bot_tunes_the_garbage_collector():
    """`python -m bot run` freezes what start-up built and collects young objects less often;
    the thresholds of older generations stay Python's."""
    code = ("import gc, json; import bot.app as app; before = gc.get_threshold(); app.tune_garbage_collector();"
            " print(json.dumps([before, gc.get_threshold(), gc.get_freeze_count()]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    before, after, frozen = json.loads(done.stdout)
    from bot.app import YOUNG_GC_THRESHOLD

    assert after == [YOUNG_GC_THRESHOLD, *before[1:]]
    assert frozen > 10_000


async def test_the_run_command_tunes_the_collector_before_serving(monkeypatch):
    import gc

    import bot.app
    from bot.cli import run as run_cmd
    from bot.stopping import StopSignals

    seen = []

    class FakeApp:
        async def run_polling(self, stop) -> None:
            seen.append(gc.get_threshold()[0])

    async def fake_build_app(settings):
        return FakeApp()

    monkeypatch.setattr(bot.app, "build_app", fake_build_app)
    threshold = gc.get_threshold()
    try:
        await run_cmd.serve(settings=type("S", (), {"telegram_api_url": "", "database_path": ""})(),
                            signals=StopSignals())
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
    assert seen == [bot.app.YOUNG_GC_THRESHOLD]
