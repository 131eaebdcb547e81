"""The emulator's HTTP face: Telegram's URL shapes, form decoding, injected faults and the call log."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from aiohttp import web

from .botapi import BotApi, Params, Upload
from .faults import FaultInjector
from .media import MAX_UPLOAD_SIZE
from .world import ApiError, Json, World

logger = logging.getLogger(__name__)

_dumps = partial(json.dumps, ensure_ascii=False)


@dataclass
class Call:
    """One Bot API request as the emulator saw it."""

    method: str
    params: Json
    time: float  # unix seconds by the emulator's clock, for pacing checks
    monotonic: float  # real elapsed time, unaffected by a fake clock
    result: Any = None
    status: int | None = None  # HTTP status answered; None while running or when the connection was dropped
    error: str | None = None  # the description of an error answer
    fault: str | None = None  # the injected fault kind, if one fired

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> int | str | None:
        return _maybe_int(self.params.get("chat_id"))

    @property
    def thread_id(self) -> int | None:
        value = _maybe_int(self.params.get("message_thread_id"))
        return value if isinstance(value, int) else None

    def __str__(self) -> str:
        keys = ("chat_id", "message_thread_id", "text", "caption", "message_id")
        shown = {k: v for k, v in self.params.items() if k in keys}
        outcome = (
            "pending"
            if self.status is None and self.fault is None
            else ("ok" if self.ok else f"{self.status or 'dropped'} {self.error or ''}".strip())
        )
        return f"{self.method}({', '.join(f'{k}={v!r:.60}' for k, v in shown.items())}) -> {outcome}"


def _maybe_int(value: Any) -> int | str | None:
    if value is None or isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return str(value)


class Activity:
    """What wait_idle looks at: Bot API calls in flight and when the last one started or ended."""

    def __init__(self) -> None:
        self.inflight = 0
        self.last = time.monotonic()

    def begin(self) -> None:
        self.inflight += 1
        self.last = time.monotonic()

    def end(self) -> None:
        self.inflight -= 1
        self.last = time.monotonic()

    def touch(self) -> None:
        self.last = time.monotonic()


@lru_cache(maxsize=1)
def telegram_method_names() -> frozenset[str]:
    """Every Bot API method aiogram knows, lower-cased, to tell 'not simulated' from 'no such method'."""
    from aiogram import methods

    names = {getattr(getattr(methods, attr), "__api_method__", None) for attr in dir(methods)}
    return frozenset(name.lower() for name in names if isinstance(name, str))


class ApiServer:
    """Routes `/bot{token}/{method}` and `/file/bot{token}/{path}` to the simulated Telegram."""

    def __init__(self, token: str, world: World, api: BotApi, faults: FaultInjector) -> None:
        self.token = token
        self.world = world
        self.api = api
        self.faults = faults
        self.calls: list[Call] = []
        self.activity = Activity()
        self.internal_errors: list[str] = []
        self.stopping = asyncio.Event()
        # Extra routes for each new app, added before it starts (the sandbox's web page).
        self.app_hooks: list[Callable[[web.Application], None]] = []

    def make_app(self) -> web.Application:
        # Room for a 50 MB upload plus the rest of the form; aiohttp answers 1 MB+ bodies with 413 otherwise.
        app = web.Application(client_max_size=MAX_UPLOAD_SIZE + 2 * 1024 * 1024)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self.handle_file)
        app.router.add_route("*", "/bot{token}/{method}", self.handle_method)
        for hook in self.app_hooks:
            hook(app)
        return app

    async def handle_method(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _answer(ApiError(401, "Unauthorized").body(), 401)
        name = request.match_info["method"]
        found = self.api.handler(name)
        if found is None:
            description = "Not Found"
            if name.lower() in telegram_method_names():
                description = f"Not Found: the emulator does not simulate {name}"
            return _answer(ApiError(404, description).body(), 404)
        method, handler = found
        try:
            params = await _read_params(request)
        except web.HTTPRequestEntityTooLarge:
            return _answer(ApiError(413, "Request Entity Too Large").body(), 413)
        except ValueError:
            return _answer(ApiError(400, "Bad Request: can't parse JSON object").body(), 400)

        call = Call(method, params.record(), self.world.timestamp(), time.monotonic())
        self.calls.append(call)
        polling = method == "getUpdates"
        if not polling:
            self.activity.begin()
        try:
            chat_ref = params.get("chat_id")
            wait = None if polling else self.faults.flood_wait(chat_ref, time.monotonic())
            if wait is not None:
                call.fault = "retry_after"
                raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
            fault = self.faults.take(method, chat_ref, params.get("message_thread_id"))
            if fault is not None:
                self.faults.start_flood(fault, chat_ref, time.monotonic())
                call.fault = fault.kind
                if fault.kind == "delay":
                    await self._sleep(fault.delay)
                elif fault.kind == "drop":
                    return _drop(request)
                elif fault.kind != "drop_after":
                    raise ApiError(*fault.error())
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
            call.result = result
            if fault is not None and fault.kind == "drop_after":
                return _drop(request)
            call.status = 200
            if polling and result:
                self.activity.touch()
            return _answer({"ok": True, "result": result}, 200)
        except ApiError as error:
            call.status, call.error = error.status, error.description
            return _answer(error.body(), error.status)
        except Exception as error:  # an emulator bug must not look like a hang to the bot
            logger.exception("emulator failed on %s", method)
            self.internal_errors.append(f"{method}: {type(error).__name__}: {error}")
            call.status, call.error = 500, "Internal Server Error"
            return _answer({"ok": False, "error_code": 500, "description": "Internal Server Error"}, 500)
        finally:
            if not polling:
                self.activity.end()

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _answer(ApiError(401, "Unauthorized").body(), 401)
        stored = self.world.files.by_path(request.match_info["path"])
        if stored is None:
            return _answer(ApiError(404, "Not Found").body(), 404)
        return web.Response(body=stored.content(), content_type=stored.mime_type or "application/octet-stream")

    async def _sleep(self, seconds: float) -> None:
        # Stop must not wait for an injected delay to run out.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)


async def _read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                values.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[key] = Upload(key, value.filename, value.content_type, value.file.read())
                else:
                    values[key] = value
    return Params(values, uploads)


def _answer(body: Json, status: int) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


def _drop(request: web.Request) -> web.Response:
    # Closing the transport makes the client see a disconnect instead of an answer.
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=200)
