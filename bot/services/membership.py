"""Who is in the engineers' group, asked of Telegram (getChatMember) and cached for a short while.

The asking itself is a Telegram adapter passed in (bot/delivery/membership.py): this module knows
members only as plain `Member` records.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

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


class MemberRefused(Exception):
    """Telegram refused the look-up ("user not found" and the like): nobody it knows in the group."""


class LookupFailed(Exception):
    """Telegram did not answer the look-up (network, 5xx, flood)."""


@dataclass(frozen=True)
class Member:
    """What the desk needs of a chat member: who, their status, and for a restricted one whether they
    are still in the group and may write."""

    user_id: int
    status: str  # creator / administrator / member / restricted / left / kicked
    is_member: bool = False
    can_send_messages: bool = False

    @classmethod
    def of(cls, member: Any) -> Member:
        """From Telegram's ChatMember (any of its kinds) or anything shaped like it."""
        if isinstance(member, Member):
            return member
        return cls(member.user.id, member.status, bool(getattr(member, "is_member", False)),
                   bool(getattr(member, "can_send_messages", False)))


# (group id, user id) -> the member; raises MemberRefused or LookupFailed.
MemberLookup = Callable[[int, int], Awaitable[Member]]


def may_act(member: Member) -> bool:
    """A read-only member (restricted without can_send_messages) can press buttons in Telegram,
    but should no more answer partners or claim cases than write in the group."""
    if member.status in ("creator", "administrator", "member"):
        return True
    if member.status == "restricted":
        return member.is_member and member.can_send_messages
    return False


class Membership:
    def __init__(self, lookup: MemberLookup, group_id: int | None, clock: Clock, ttl: timedelta = DEFAULT_TTL) -> None:
        self.lookup = lookup
        self.group_id = group_id
        self.clock = clock
        self.ttl = ttl
        self._cache: dict[int, tuple[datetime, Member]] = {}

    def _fresh(self, user_id: int) -> Member | None:
        cached = self._cache.get(user_id)
        if cached is None:
            return None
        age = self.clock.now() - cached[0]
        # A clock set backwards (the sandbox can) must not keep an entry for ever.
        return cached[1] if timedelta(0) <= age < self.ttl else None

    async def _ask(self, user_id: int) -> Member | Access:
        fresh = self._fresh(user_id)
        if fresh is not None:
            return fresh
        if self.group_id is None:
            return Access.UNKNOWN
        try:
            member = await self.lookup(self.group_id, user_id)
        except MemberRefused as exc:
            # "user not found" and the like: nobody Telegram knows in this group.
            log.info("getChatMember for %s refused: %s", user_id, exc)
            return Access.DENIED
        except LookupFailed as exc:
            # A stale entry is better than nothing while Telegram fails.
            log.warning("getChatMember for %s failed: %s", user_id, exc)
            stale = self._cache.get(user_id)
            return stale[1] if stale is not None else Access.UNKNOWN
        self.remember(member)
        return member

    def remember(self, member: Any) -> None:
        """Also fed from chat_member updates (Telegram's ChatMember), so a removal counts at once, not after
        the TTL."""
        member = Member.of(member)
        self._cache[member.user_id] = (self.clock.now(), member)

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
