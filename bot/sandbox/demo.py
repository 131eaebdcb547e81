"""The sandbox's scripted demo and its console: a partner files a case, an engineer answers."""

from __future__ import annotations

import asyncio
from typing import TextIO

from bot.sandbox.harness import ENGINEERS, GROUP_ID, PARTNERS, Sandbox, settle

PNG_PIXEL = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _show(out: TextIO, who: str, text: str) -> None:
    body = text.replace("\n", "\n    ")
    out.write(f"  {who}: {body}\n")
    out.flush()


class Transcript:
    """Prints every message in the partner's chat and the group as it appears."""

    def __init__(self, sandbox: Sandbox, out: TextIO) -> None:
        self.sb = sandbox
        self.out = out
        self.seen: set[tuple[int, int]] = set()

    def flush(self) -> None:
        emu = self.sb.emu
        rows = []
        for chat in (*[p.user_id for p in PARTNERS], GROUP_ID):
            for m in emu.messages(chat):
                if (m.chat_id, m.message_id) in self.seen:
                    continue
                self.seen.add((m.chat_id, m.message_id))
                rows.append(m)
        for m in rows:
            if m.chat_id == GROUP_ID:
                where = f"[группа{'' if m.thread_id is None else f' · тема {m.thread_id}'}]"
            else:
                where = "[чат партнёра]"
            who = "бот" if m.from_bot else (m.raw.get("from", {}).get("first_name") or "?")
            text = m.text or m.caption or f"<{m.kind}>"
            buttons = [b.get("text") for row in (m.reply_markup or {}).get("inline_keyboard", []) for b in row]
            if buttons:
                text += "\n" + " ".join(f"[{b}]" for b in buttons)
            _show(self.out, f"{where} {who}", text)


async def press(sandbox: Sandbox, user: int, chat: int, label: str, thread: int | None = None) -> None:
    for m in reversed(sandbox.emu.bot_messages(chat, thread)):
        for row in (m.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if label in button.get("text", ""):
                    await sandbox.emu.press_button(user, chat, m.message_id, button["callback_data"])
                    await settle(sandbox)
                    return
    raise RuntimeError(f"no button {label!r}")


async def play_demo(sandbox: Sandbox, out: TextIO) -> None:
    emu = sandbox.emu
    partner = PARTNERS[0].user_id
    engineer = ENGINEERS[0].user_id
    log = Transcript(sandbox, out)
    out.write("\n=== Демо: партнёр оформляет заявку, инженер берёт её и отвечает ===\n")

    async def say(text: str) -> None:
        await emu.send_text(partner, text)
        await settle(sandbox)
        log.flush()

    await say("/start")
    await say("📝 Новая заявка")
    await press(sandbox, partner, partner, "Проблема с настройкой"); log.flush()
    await press(sandbox, partner, partner, "Dahua"); log.flush()
    await say("ipc hfw2431s s s2")
    if any("Возможно" in (m.text or "") for m in emu.bot_messages(partner)[-1:]):
        await press(sandbox, partner, partner, "IPC"); log.flush()
    await say("7J0 1234 5678 9ABC")
    await say("Камера не отправляет события детектора движения на регистратор, хотя в веб-интерфейсе детекция срабатывает.")
    await emu.send_photo(partner, data=PNG_PIXEL, caption="Настройки детектора")
    await settle(sandbox); log.flush()
    await press(sandbox, partner, partner, "Готово"); log.flush()
    await press(sandbox, partner, partner, "Да"); log.flush()
    await say("Иван Петров")
    await say("ООО «Ромашка»")
    await say("+7 999 123-45-67")
    await press(sandbox, partner, partner, "Отправить"); log.flush()
    topics = [t for t in emu.topics(GROUP_ID).values() if not t.deleted]
    thread = topics[-1].thread_id if topics else None
    await press(sandbox, engineer, GROUP_ID, "Взять", thread); log.flush()
    await emu.send_text(engineer, "Иван, добрый день! Проверьте, включено ли «Отправлять на регистратор» в разделе Событие → Видеодетекция.", chat_id=GROUP_ID, thread_id=thread)
    await settle(sandbox); log.flush()
    await say("Спасибо, включил — события пошли!")
    out.write("=== Конец демо ===\n\n")


async def console(sandbox: Sandbox, stdin: TextIO, out: TextIO) -> None:
    """Type as the partner; '/press N' presses the N-th button of the bot's last message to them,
    '/eng TEXT' writes as the engineer in the newest case topic, '/quit' exits."""
    if not stdin.isatty():
        out.write("The sandbox keeps running; stop it with Ctrl-C.\n")
        await asyncio.Event().wait()
    out.write(
        "Пишите как партнёр (Иван). Команды песочницы: /press N — нажать N-ю кнопку последнего "
        "сообщения бота, /eng ТЕКСТ — написать как инженер в теме последней заявки, /quit — выход.\n"
    )
    emu = sandbox.emu
    partner = PARTNERS[0].user_id
    engineer = ENGINEERS[0].user_id
    log = Transcript(sandbox, out)
    log.flush()
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, stdin.readline)
        if not line or line.strip() == "/quit":
            return
        line = line.rstrip("\n")
        if line.startswith("/press "):
            number = line.split()[1]
            last = emu.last_bot_message(partner)
            buttons = [b for row in ((last.reply_markup or {}).get("inline_keyboard", []) if last else []) for b in row]
            if not number.isdigit() or not 1 <= int(number) <= len(buttons):
                out.write(f"  (у последнего сообщения кнопок: {len(buttons)})\n")
                continue
            await emu.press_button(partner, partner, last.message_id, buttons[int(number) - 1]["callback_data"])
        elif line.startswith("/eng "):
            topics = [t for t in emu.topics(GROUP_ID).values() if not t.deleted]
            thread = topics[-1].thread_id if topics else None
            await emu.send_text(engineer, line[5:], chat_id=GROUP_ID, thread_id=thread)
        else:
            await emu.send_text(partner, line)
        await settle(sandbox)
        log.flush()
