"""The Telegram side of the membership look-up: getChatMember, its refusals and failures in service terms."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest

from bot.services.membership import LookupFailed, Member, MemberLookup, MemberRefused


def telegram_lookup(bot: Bot) -> MemberLookup:
    async def lookup(group_id: int, user_id: int) -> Member:
        try:
            member = await bot.get_chat_member(group_id, user_id)
        except TelegramBadRequest as exc:
            raise MemberRefused(exc.message) from exc
        except TelegramAPIError as exc:
            raise LookupFailed(str(exc)) from exc
        return Member.of(member)

    return lookup
