"""Retries for the bot's direct answers (the next question of a dialog, a callback answer):
a short 429 or a passing 5xx must not leave a partner without the next step.

The outbox keeps its own, persistent retry loop and marks its calls, so they pass through
here untouched; long polling handles its own errors too."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramRetryAfter, TelegramServerError
from aiogram.methods import AnswerCallbackQuery, GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType

log = logging.getLogger(__name__)

# Set by the outbox around its own calls.
in_outbox: contextvars.ContextVar[bool] = contextvars.ContextVar("in_outbox", default=False)

MAX_WAIT = 30  # a longer ban than this is better reported than waited out inside a handler
ATTEMPTS = 5


class DirectRetry(BaseRequestMiddleware):
    def __init__(self) -> None:
        # Told of every 429 with its chat: Telegram counts per chat, so the outbox must wait too.
        self.on_retry_after: Callable[[int, float], Awaitable[None]] | None = None

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if in_outbox.get() or isinstance(method, GetUpdates):
            return await make_request(bot, method)
        try:
            return await self._with_retries(make_request, bot, method)
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                # The message already looks as asked (a second press, a repeated update).
                return Response[bool](ok=True, result=True)  # type: ignore[return-value]
            if isinstance(method, AnswerCallbackQuery):
                log.warning("Could not answer a callback query: %s", exc)
                return Response[bool](ok=True, result=True)  # type: ignore[return-value]
            raise
        except TelegramAPIError as exc:
            if isinstance(method, AnswerCallbackQuery):
                # Answering a button press only stops the client's spinner: never worth failing
                # the handler (and the change it was making) over it.
                log.warning("Could not answer a callback query: %s", exc)
                return Response[bool](ok=True, result=True)  # type: ignore[return-value]
            raise

    async def _with_retries(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                chat_id = getattr(method, "chat_id", None)
                if self.on_retry_after is not None and isinstance(chat_id, int):
                    await self.on_retry_after(chat_id, exc.retry_after)
                if attempt == ATTEMPTS or exc.retry_after > MAX_WAIT:
                    raise
                log.warning("%s: Telegram asks to wait %s s", type(method).__name__, exc.retry_after)
                await asyncio.sleep(exc.retry_after)
            except TelegramServerError as exc:
                # 5xx means Telegram did not take the call; a network error might mean it did,
                # so only 5xx is repeated here (a repeated message is worse than a late one).
                if attempt == ATTEMPTS:
                    raise
                log.warning("%s: %s; trying again", type(method).__name__, exc)
                await asyncio.sleep(0.5 * attempt)
        raise AssertionError("unreachable")
