"""The membership cache: how often Telegram is asked, and what is known when it does not answer."""

from __future__ import annotations

from datetime import timedelta

from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.methods import GetChatMember
from aiogram.types import ChatMemberLeft, ChatMemberMember, ChatMemberRestricted, User

from bot.delivery.membership import telegram_lookup
from bot.services.membership import Access, Membership
from tgemu.world import RESTRICTED_DEFAULT_RIGHTS

GROUP = -1001


class FakeBot:
    """Answers getChatMember from a dict; a status may be an exception to raise."""

    def __init__(self) -> None:
        self.answers: dict[int, object] = {}
        self.calls = 0

    async def get_chat_member(self, chat_id: int, user_id: int):
        assert chat_id == GROUP
        self.calls += 1
        answer = self.answers[user_id]
        if isinstance(answer, Exception):
            raise answer
        return answer


def user(user_id: int) -> User:
    return User(id=user_id, is_bot=False, first_name="X")


def restricted(user_id: int, *, can_send: bool, is_member: bool = True) -> ChatMemberRestricted:
    rights = {**RESTRICTED_DEFAULT_RIGHTS, "is_member": is_member, "can_send_messages": can_send}
    return ChatMemberRestricted.model_validate({"status": "restricted", "user": user(user_id), **rights})


async def test_cached_for_a_minute_then_asked_again(clock) -> None:
    bot = FakeBot()
    bot.answers[1] = ChatMemberMember(user=user(1))
    membership = Membership(telegram_lookup(bot), GROUP, clock)  # type: ignore[arg-type]
    for _ in range(5):
        assert await membership.access(1) is Access.ALLOWED
    assert bot.calls == 1
    bot.answers[1] = ChatMemberLeft(user=user(1))
    clock.advance(timedelta(seconds=59))
    assert await membership.access(1) is Access.ALLOWED and bot.calls == 1
    clock.advance(timedelta(seconds=2))
    assert await membership.access(1) is Access.DENIED and bot.calls == 2
    clock.advance(timedelta(hours=-1))  # a clock set back does not keep an entry for ever
    assert await membership.access(1) is Access.DENIED and bot.calls == 3


async def test_read_only_members_and_refusals_are_denied(clock) -> None:
    bot = FakeBot()
    bot.answers.update({
        1: restricted(1, can_send=False),
        2: restricted(2, can_send=True),
        3: restricted(3, can_send=True, is_member=False),
        4: TelegramBadRequest(GetChatMember(chat_id=GROUP, user_id=4), "Bad Request: user not found"),
    })
    membership = Membership(telegram_lookup(bot), GROUP, clock)  # type: ignore[arg-type]
    assert [await membership.access(i) for i in (1, 2, 3, 4)] == [
        Access.DENIED, Access.ALLOWED, Access.DENIED, Access.DENIED,
    ]
    assert await membership.status(4) == "unknown"


async def test_when_telegram_fails_a_stale_answer_beats_none(clock) -> None:
    bot = FakeBot()
    bot.answers[1] = ChatMemberMember(user=user(1))
    membership = Membership(telegram_lookup(bot), GROUP, clock)  # type: ignore[arg-type]
    assert await membership.access(1) is Access.ALLOWED
    failure = TelegramNetworkError(GetChatMember(chat_id=GROUP, user_id=1), "connection reset")
    bot.answers[1] = bot.answers[2] = failure
    clock.advance(timedelta(minutes=5))
    assert await membership.access(1) is Access.ALLOWED  # stale, but known
    assert await membership.access(2) is Access.UNKNOWN  # never known: not guessed
    assert await Membership(telegram_lookup(bot), None, clock).access(1) is Access.UNKNOWN  # type: ignore[arg-type]
