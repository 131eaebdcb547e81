"""Who is in the engineers' group, asked of Telegram (getChatMember) and cached for a short while."""

from __future__ import annotations

import enum
import logging
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import ChatMember

from bot.clock import Clock

log = logging.getLogger(__name__)

# Short, so a colleague removed while the bot missed the chat_member update (it gets them only as
# an administrator) stops reaching partners within a minute; long enough that a busy topic costs
# one getChatMember per engineer a minute, not one per message.
DEFAULT_TTL = timedelta(seconds=60)


class Access(enum.Enum):
    ALLOWED = "allowed"
    DENIED = "denied"  # left, kicked, or restricted without the right to send messages
    UNKNOWN = "unknown"  # Telegram did not answer and nothing is known from before (or no group is set)


def may_act(member: ChatMember) -> bool:
    """A read-only member (restricted without can_send_messages) can press buttons in Telegram,
    but should no more answer partners or claim cases than write in the group."""
    if member.status in ("creator", "administrator", "member"):
        return True
    if member.status == "restricted":
        return bool(getattr(member, "is_member", False) and getattr(member, "can_send_messages", False))
    return False


class Membership:
    def __init__(self, bot: Bot, group_id: int | None, clock: Clock, ttl: timedelta = DEFAULT_TTL) -> None:
        self.bot = bot
        self.group_id = group_id
        self.clock = clock
        self.ttl = ttl
        self._cache: dict[int, tuple[datetime, ChatMember]] = {}

    def _fresh(self, user_id: int) -> ChatMember | None:
        cached = self._cache.get(user_id)
        if cached is None:
            return None
        age = self.clock.now() - cached[0]
        # A clock set backwards (the sandbox can) must not keep an entry for ever.
        return cached[1] if timedelta(0) <= age < self.ttl else None

    async def _ask(self, user_id: int) -> ChatMember | Access:
        fresh = self._fresh(user_id)
        if fresh is not None:
            return fresh
        if self.group_id is None:
            return Access.UNKNOWN
        try:
            member = await self.bot.get_chat_member(self.group_id, user_id)
        except TelegramBadRequest as exc:
            # "user not found" and the like: nobody Telegram knows in this group.
            log.info("getChatMember for %s refused: %s", user_id, exc.message)
            return Access.DENIED
        except TelegramAPIError as exc:
            # A stale entry is better than nothing while Telegram fails.
            log.warning("getChatMember for %s failed: %s", user_id, exc)
            stale = self._cache.get(user_id)
            return stale[1] if stale is not None else Access.UNKNOWN
        self.remember(member)
        return member

    def remember(self, member: ChatMember) -> None:
        """Also fed from chat_member updates, so a removal counts at once, not after the TTL."""
        self._cache[member.user.id] = (self.clock.now(), member)

    async def access(self, user_id: int) -> Access:
        found = await self._ask(user_id)
        if isinstance(found, Access):
            return found
        return Access.ALLOWED if may_act(found) else Access.DENIED

    async def status(self, user_id: int) -> str:
        """creator / administrator / member / restricted / left / kicked, or "unknown" on an API error."""
        found = await self._ask(user_id)
        return "unknown" if isinstance(found, Access) else found.status

    async def is_member(self, user_id: int) -> bool:
        return await self.access(user_id) is Access.ALLOWED

    def forget(self, user_id: int | None = None) -> None:
        if user_id is None:
            self._cache.clear()
        else:
            self._cache.pop(user_id, None)
