"""Who is in the engineers' group, asked of Telegram (getChatMember) and cached for a while."""

from __future__ import annotations

import time

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

MEMBER_STATUSES = {"creator", "administrator", "member", "restricted"}


class Membership:
    def __init__(self, bot: Bot, group_id: int | None, ttl: float = 600.0) -> None:
        self.bot = bot
        self.group_id = group_id
        self.ttl = ttl
        self._cache: dict[int, tuple[float, str]] = {}

    async def status(self, user_id: int) -> str:
        """creator / administrator / member / restricted / left / kicked, or "unknown" on an API error."""
        cached = self._cache.get(user_id)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        if self.group_id is None:
            return "unknown"
        try:
            member = await self.bot.get_chat_member(self.group_id, user_id)
        except TelegramAPIError:
            return "unknown"  # not cached: ask again next time
        self._cache[user_id] = (time.monotonic(), member.status)
        return member.status

    async def is_member(self, user_id: int) -> bool:
        return await self.status(user_id) in MEMBER_STATUSES

    def forget(self, user_id: int | None = None) -> None:
        if user_id is None:
            self._cache.clear()
        else:
            self._cache.pop(user_id, None)
