"""The Telegram side of the set-up checks: getChat and getChatMember for the bot, in service terms."""

from __future__ import annotations

import asyncio

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter

from bot.delivery.topics import Topics
from bot.direct_retry import in_outbox
from bot.services.group_check import GroupFacts, Probe


def telegram_probe(bot: Bot, topics: Topics | None = None) -> Probe:
    """`topics`: told what the check learnt about the main group's topics, so a group whose topics
    were switched on (or off) since is used that way from the next case on."""

    async def probe(group_id: int) -> GroupFacts:
        # A 429 is not waited out inside the call (that would hold up the start): the check is put off.
        token = in_outbox.set(True)
        try:
            chat = await bot.get_chat(group_id)
            member = await bot.get_chat_member(group_id, bot.id)
        except TelegramRetryAfter as exc:
            return GroupFacts(found=False, error=exc.message, retry_after=float(exc.retry_after))
        except TelegramForbiddenError:
            return GroupFacts(found=True, bot_status="left")  # kicked, or not a member any more
        except TelegramBadRequest as exc:
            if "not found" in exc.message.lower():
                return GroupFacts(found=False)
            return GroupFacts(found=False, error=exc.message)
        except (TelegramAPIError, asyncio.TimeoutError) as exc:
            return GroupFacts(found=False, error=str(exc) or type(exc).__name__)
        finally:
            in_outbox.reset(token)
        is_forum = bool(chat.is_forum)
        if topics is not None and group_id == topics.group_id:
            topics.forum = True if is_forum else False
        status = member.status.value if hasattr(member.status, "value") else str(member.status)
        return GroupFacts(
            found=True, title=chat.title, is_forum=is_forum, bot_status=status,
            can_manage_topics=status == "creator" or bool(getattr(member, "can_manage_topics", False)),
        )

    return probe
