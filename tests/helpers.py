"""Readable verbs for end-to-end tests: "partner says", "partner presses", "engineer writes"."""

from __future__ import annotations

from typing import Any

from bot.sandbox import ADMIN, ENGINEERS, GROUP_ID, PARTNERS, Sandbox, settle


class Desk:
    """Wraps a running sandbox; every verb waits until the bot has settled, so assertions that
    follow see the bot's answers."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox
        self.emu = sandbox.emu
        self.partner = PARTNERS[0].user_id
        self.partner2 = PARTNERS[1].user_id
        self.engineer = ENGINEERS[0].user_id
        self.engineer2 = ENGINEERS[1].user_id
        self.admin = ADMIN.user_id
        self.group = GROUP_ID
        # Tests that make the group unreachable on purpose turn this off.
        self.wait_for_outbox = True

    async def settle(self) -> None:
        await settle(self.sb, outbox=self.wait_for_outbox)

    # partner side
    async def partner_says(self, text: str, user: int | None = None) -> dict:
        message = await self.emu.send_text(user or self.partner, text)
        await self.settle()
        return message

    async def partner_sends_photo(self, user: int | None = None, **kwargs: Any) -> dict:
        message = await self.emu.send_photo(user or self.partner, **kwargs)
        await self.settle()
        return message

    async def partner_sends(self, kind: str, user: int | None = None, **kwargs: Any) -> dict:
        message = await getattr(self.emu, f"send_{kind}")(user or self.partner, **kwargs)
        await self.settle()
        return message

    def last_to(self, chat_id: int, thread_id: int | None = None):
        sent = self.emu.last_bot_message(chat_id, thread_id)
        assert sent is not None, f"the bot sent nothing to chat {chat_id} thread {thread_id}"
        return sent

    def last_to_partner(self, user: int | None = None):
        return self.last_to(user or self.partner)

    def texts_to(self, chat_id: int, thread_id: int | None = None) -> list[str]:
        return [m.text or m.caption or "" for m in self.emu.bot_messages(chat_id, thread_id)]

    @staticmethod
    def buttons(sent) -> list[tuple[str, str]]:
        """(text, callback_data) of every inline button of a message, row by row."""
        markup = sent.reply_markup or {}
        return [
            (button.get("text"), button.get("callback_data"))
            for row in markup.get("inline_keyboard", [])
            for button in row
        ]

    async def press(self, user: int, sent, label: str) -> dict:
        """Press the inline button whose text contains `label` on message `sent`."""
        for text, data in self.buttons(sent):
            if label in text:
                query = await self.emu.press_button(user, sent.chat_id, sent.message_id, data)
                await self.settle()
                return query
        raise AssertionError(f"no button {label!r} in {self.buttons(sent)}")

    async def partner_presses(self, label: str, user: int | None = None) -> dict:
        user = user or self.partner
        for sent in reversed(self.emu.bot_messages(user)):
            if any(label in text for text, _ in self.buttons(sent)):
                return await self.press(user, sent, label)
        raise AssertionError(f"no message to {user} has a button {label!r}")

    # engineers' side
    async def engineer_writes(self, text: str, thread_id: int | None, user: int | None = None, **kw) -> dict:
        message = await self.emu.send_text(user or self.engineer, text, chat_id=self.group, thread_id=thread_id, **kw)
        await self.settle()
        return message

    async def engineer_presses(self, label: str, thread_id: int | None, user: int | None = None) -> dict:
        user = user or self.engineer
        for sent in reversed(self.emu.bot_messages(self.group, thread_id)):
            if any(label in text for text, _ in self.buttons(sent)):
                return await self.press(user, sent, label)
        raise AssertionError(f"no message in the group topic {thread_id} has a button {label!r}")

    def topic_of(self, case_id: int) -> int:
        """The live topic of a case (its name carries a status icon, then the number)."""
        for thread_id, topic in self.emu.topics(self.group).items():
            if f"№{case_id} · " in topic.name and not topic.deleted:
                return thread_id
        raise AssertionError(f"no topic for case {case_id}: {self.emu.topics(self.group)}")

    def card_of(self, case_id: int):
        return self.emu.bot_messages(self.group, self.topic_of(case_id))[0]

    def open_topics(self) -> dict:
        return {tid: t for tid, t in self.emu.topics(self.group).items() if not t.deleted}
