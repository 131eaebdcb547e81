"""The sandbox's web page: its API without a browser, and the whole desk driven through headless Chromium."""

from __future__ import annotations

import contextlib
import asyncio
import importlib.util
import os
import json
import re
import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest

from bot.clock import MSK
from bot.sandbox import ADMIN, ENGINEERS, GROUP_ID, PARTNERS, Sandbox, settle, web
from tgemu import make_png

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
# Flags that keep Debian's Chromium quiet and self-contained in containers and CI.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=MSK)
SATURDAY_NIGHT = datetime(2026, 11, 28, 23, 0, tzinfo=MSK)
ACT = {"X-Sandbox": "1"}


@contextlib.asynccontextmanager
async def page_sandbox(tmp_path: Path, **options) -> AsyncIterator[Sandbox]:
    sb = Sandbox(workdir=tmp_path / "sandbox", **options)
    sb.workdir.mkdir()
    web.attach(sb)
    await sb.start()
    try:
        yield sb
    finally:
        await sb.stop()


@pytest.fixture
async def sandbox(tmp_path) -> AsyncIterator[Sandbox]:
    """The sandbox as `python -m bot sandbox` runs it (real ticking clock), with its page attached."""
    async with page_sandbox(tmp_path) as sb:
        yield sb


@pytest.fixture
async def http(sandbox) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=sandbox.emu.base_url) as session:
        yield session


async def state(http: aiohttp.ClientSession) -> dict:
    async with http.get("/api/state") as response:
        assert response.status == 200
        return await response.json()


async def act(http: aiohttp.ClientSession, path: str, body: dict, sandbox: Sandbox) -> dict:
    async with http.post(path, json=body, headers=ACT) as response:
        answer = await response.json()
        assert response.status == 200, answer
    await settle(sandbox)
    return answer


# --- without a browser ------------------------------------------------------------------------------


async def test_page_is_self_contained(http):
    async with http.get("/") as response:
        assert response.status == 200
        policy = response.headers["Content-Security-Policy"]
        page = await response.text()
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    # Every asset the page names is on this server (or an inline data: icon): nothing from the internet.
    for ref in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert ref.startswith(("/static/", "data:")), ref
    for name in ("app.js", "app.css"):
        async with http.get(f"/static/{name}") as response:
            assert response.status == 200
            assert "@import" not in await response.text()
    async with http.get("/static/../web.py") as response:
        assert response.status == 404


async def test_api_acts_as_people_and_sets_the_clock(sandbox, http):
    partner, engineer = PARTNERS[0].user_id, ENGINEERS[0].user_id
    sandbox.clock.set(TUESDAY_MORNING)

    # Only this page may act: another site's form post carries no custom header.
    async with http.post("/api/send", json={"user": partner, "text": "/start"}) as response:
        assert response.status == 403
    async with http.post("/api/send", json={"user": engineer, "text": "hi"}, headers=ACT) as response:
        assert response.status == 400  # engineers write in the group, not as partners

    await act(http, "/api/send", {"user": partner, "chat": None, "text": "/start"}, sandbox)
    snapshot = await state(http)
    chat = snapshot["chats"][str(partner)]
    assert chat["messages"][-1]["from_bot"] and "Здравствуйте" in chat["messages"][-1]["text"]
    keys = [key["text"] for row in chat["keyboard"]["rows"] for key in row]
    assert "📝 Новая заявка" in keys
    assert snapshot["clock"]["open"] is True and snapshot["clock"]["label"].startswith("вт 24.11.2026 10:0")

    await act(http, "/api/send", {"user": partner, "text": "📝 Новая заявка"}, sandbox)
    question = (await state(http))["chats"][str(partner)]["messages"][-1]
    button = next(b for row in question["buttons"] for b in row if b["text"] == "Проблема с настройкой")
    press = {"user": partner, "message": question["id"], "data": button["data"]}
    answer = await act(http, "/api/press", press, sandbox)
    assert "answer" in answer
    assert "марки" in (await state(http))["chats"][str(partner)]["messages"][-1]["text"]

    form = aiohttp.FormData()
    form.add_field("user", str(partner))
    form.add_field("caption", "Настройки")
    form.add_field("file", make_png(40, 30), filename="shot.png", content_type="image/png")
    async with http.post("/api/upload", data=form, headers=ACT) as response:
        assert response.status == 200, await response.text()
    await settle(sandbox)
    mine = [m for m in (await state(http))["chats"][str(partner)]["messages"] if not m["from_bot"]]
    photo = mine[-1]["media"]
    assert photo["type"] == "photo" and mine[-1]["text"] == "Настройки"
    async with http.get(f"/api/file/{photo['file_id']}") as response:
        assert response.headers["Content-Type"] == "image/png"
        assert await response.read() == make_png(40, 30)

    form = aiohttp.FormData()
    form.add_field("user", str(partner))
    for name in ("a.log", "b.log"):
        form.add_field("file", f"log {name}".encode(), filename=name, content_type="text/plain")
    async with http.post("/api/upload", data=form, headers=ACT) as response:
        assert response.status == 200, await response.text()
    await settle(sandbox)
    album = [m for m in (await state(http))["chats"][str(partner)]["messages"] if not m["from_bot"]][-2:]
    assert [m["media"]["file_name"] for m in album] == ["a.log", "b.log"]
    assert album[0]["album"] == album[1]["album"]
    async with http.get(f"/api/file/{album[1]['media']['file_id']}") as response:
        assert response.headers["Content-Disposition"] == "attachment; filename*=UTF-8''b.log"
        assert await response.read() == b"log b.log"

    await act(http, "/api/contact", {"user": partner}, sandbox)
    contact = [m for m in (await state(http))["chats"][str(partner)]["messages"] if not m["from_bot"]][-1]
    assert contact["media"] == {"type": "contact", "name": "Иван Петров", "phone": web.phone_number(partner)}

    await act(http, "/api/clock", {"at": SATURDAY_NIGHT.strftime("%Y-%m-%dT%H:%M")}, sandbox)
    clock = (await state(http))["clock"]
    assert clock["open"] is False and clock["label"].startswith("сб 28.11.2026 23:0")
    await act(http, "/api/clock", {"at": None}, sandbox)
    assert (await state(http))["clock"]["real"] is True

    group = (await state(http))["group"]
    assert group["id"] == GROUP_ID and group["topics"][0]["name"] == "Общий чат"


async def test_the_label_sample_button_reads_the_label_at_the_model_step(sandbox, http):
    """The 🏷 button sends the sample label photo; the bot reads it and asks for one confirmation."""
    partner = PARTNERS[0].user_id
    sandbox.clock.set(TUESDAY_MORNING)

    async def last() -> dict:
        return (await state(http))["chats"][str(partner)]["messages"][-1]

    async def press(message: dict, label: str) -> None:
        button = next(b for row in message["buttons"] for b in row if b["text"] == label)
        await act(http, "/api/press", {"user": partner, "message": message["id"], "data": button["data"]}, sandbox)

    await act(http, "/api/send", {"user": partner, "text": "📝 Новая заявка"}, sandbox)
    await press(await last(), "Проблема с настройкой")
    await press(await last(), "Dahua")
    async with http.post("/api/label-sample", json={"user": partner, "chat": GROUP_ID}, headers=ACT) as response:
        assert response.status == 400  # engineers have no label to send
    await act(http, "/api/label-sample", {"user": partner}, sandbox)
    messages = (await state(http))["chats"][str(partner)]["messages"]
    assert messages[-2]["media"]["type"] == "photo" and not messages[-2]["from_bot"]
    question = messages[-1]
    assert question["text"] == "На наклейке: модель DH-IPC-HFW2431SP-S-0280B, S/N 7J0A23B5C789DEF — всё верно?"
    assert [b["text"] for row in question["buttons"] for b in row] == ["✅ Да, верно", "✏️ Исправить"]
    await press(question, "✅ Да, верно")
    assert "Опишите" in (await last())["text"]


async def test_every_text_of_the_bot_renders_for_the_texts_page(sandbox, http):
    """/api/texts: every constant and function of bot.texts, rendered with samples, parsed as Telegram would."""
    async with http.get("/api/texts") as response:
        assert response.status == 200
        items = await response.json()
    from bot.sandbox.gallery import samples
    assert len(items) == len(samples(sandbox.app.schedule)) > 350
    assert [(i["module"], i["name"], i["problem"]) for i in items if i["problem"] or i["text"] is None] == []
    by_name = {i["name"]: i for i in items}
    notice = by_name["after_hours_notice"]  # rendered for a closed desk: the opening time in bold
    assert any(e["type"] == "bold" for e in notice["entities"]) and "8 (800) 777-36-12" in notice["text"]
    assert by_name["case_card"]["text"].startswith("📋 Заявка №1001")
    async with http.get("/texts") as response:
        assert response.status == 200 and "data-page=\"texts\"" in await response.text()


async def test_events_stream_pushes_the_snapshot(sandbox, http):
    async with http.get("/api/events") as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        first = await response.content.readuntil(b"\n\n")
        assert first.startswith(b"event: state\ndata: {")
        await http.post("/api/send", json={"user": PARTNERS[1].user_id, "text": "/start"}, headers=ACT)
        # The next push carries Olga's greeting.
        while True:
            event = await response.content.readuntil(b"\n\n")
            if "Ольга".encode() in event and "Здравствуйте".encode() in event:
                break


# --- in a browser -----------------------------------------------------------------------------------


def browser_or_skip() -> None:
    """Skip with the reason when there is nothing to drive; in CI (which installs both) fail instead."""
    missing = []
    if importlib.util.find_spec("playwright") is None:
        missing.append("the Python package playwright (bash scripts/test.sh installs the locked one)")
    if not CHROMIUM.exists():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if not missing:
        return
    reason = "browser test needs " + " and ".join(missing)
    if os.environ.get("CI") == "true":
        pytest.fail(reason + "; .ci/run should have installed it")
    pytest.skip(reason)


# A desktop, a tablet and a phone: below 900 px the phone and the group are two tabs.
WIDTHS = {1400: 960, 800: 1100, 390: 844}


@pytest.mark.slow
async def test_every_text_at_phone_width(sandbox, tmp_path):
    """Each part of /texts at 390 px, kept as screenshots/texts-390-N.png for a person to read."""
    browser_or_skip()
    from playwright.async_api import async_playwright

    problems: list[str] = []
    folder = ROOT / "screenshots"
    folder.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 390, "height": 844}, locale="ru-RU",
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
            await page.goto(web.page_url(sandbox).rstrip("/") + "/texts")
            await page.wait_for_selector("body[data-ready]")
            parts = await page.locator("#texts-parts a").count()
            assert parts >= 9
            shown = 0
            for part in range(1, parts + 1):
                await page.goto(web.page_url(sandbox).rstrip("/") + f"/texts?part={part}")
                await page.wait_for_selector("body[data-ready]")
                shown += await page.locator(".msg.bot").count()
                assert await page.locator(".problem").count() == 0
                # Nothing wider than the phone: no sideways scrolling to read a text.
                assert await page.evaluate("document.documentElement.scrollWidth") <= 390
                await page.screenshot(path=str(folder / f"texts-390-{part}.png"), full_page=True)
        finally:
            await context.close()
    assert not problems, problems
    assert shown > 350


@pytest.mark.slow
@pytest.mark.parametrize("width", list(WIDTHS))
async def test_partner_files_a_case_and_the_engineer_answers_in_the_browser(sandbox, tmp_path, width):
    browser_or_skip()
    from playwright.async_api import async_playwright, expect

    problems: list[str] = []
    async with async_playwright() as playwright:
        # A persistent context on a fresh directory is Playwright's way to give Chromium its own profile.
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": width, "height": WIDTHS[width]},
            locale="ru-RU",
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            page.set_default_timeout(10_000)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
            await page.goto(web.page_url(sandbox))

            partner = page.locator("#partner-pane")
            group = page.locator("#group-pane")
            tabs = page.locator("#pane-tabs")
            narrow = width < 900
            await expect(page.locator("#conn")).to_have_text("онлайн")
            if narrow:
                await expect(group).to_be_hidden()
                await expect(page.locator("#clock")).to_be_hidden()  # folded: the header is one line
                assert (await page.locator("header.top").bounding_box())["height"] < 50
                for needed in ("#clock-label", "#clock-toggle", "#desk-status"):
                    await expect(page.locator(needed)).to_be_in_viewport()
                await page.locator("#clock-toggle").click()
            else:
                await expect(tabs).to_be_hidden()

            async def show(pane: str) -> None:
                """Bring a pane into view: on a narrow screen by its tab, whose counter then clears."""
                if narrow:
                    tab = tabs.locator(f'[data-pane="{pane}"]')
                    await tab.click()
                    await expect(tab.locator(".badge")).to_be_hidden()
                await expect(partner if pane == "partner" else group).to_be_visible()

            async def waiting_in(pane: str) -> None:
                """On a narrow screen, the hidden pane's tab counts what arrived there."""
                if narrow:
                    await expect(tabs.locator(f'[data-pane="{pane}"] .badge')).to_have_text(re.compile(r"^[1-9]\d*$"))

            # A working Tuesday morning, so the answers do not depend on when the test runs.
            await page.locator("#clock-input").fill("2026-11-24T10:00")
            await page.locator("#clock-set").click()
            await expect(page.locator("#clock-label")).to_contain_text("вт 24.11.2026 10:0")
            await expect(page.locator("#desk-status")).to_contain_text("работает")
            if narrow:
                await page.locator("#clock-toggle").click()  # folded again
                await expect(page.locator("#clock")).to_be_hidden()

            async def say(text: str) -> None:
                await partner.locator("#partner-input").fill(text)
                await partner.locator("#partner-send").click()

            async def press(label: str) -> None:
                await partner.locator(".ikb-btn", has_text=re.compile(f"^{re.escape(label)}$")).last.click()

            async def bot_says(text: str) -> None:
                await expect(partner.locator(".msg.bot .text", has_text=text).last).to_be_visible()

            # Switching partners shows each one's own chat.
            await partner.locator('.persona[data-user="1002"]').click()
            await expect(partner.locator(".empty")).to_be_visible()
            await partner.locator('.persona[data-user="1001"]').click()

            await say("/start")
            await bot_says("Здравствуйте, Иван")
            await partner.locator(".kb-btn", has_text="📝 Новая заявка").click()
            await press("Проблема с настройкой")
            await press("Dahua")
            await bot_says("Напишите модель")
            await say("DH-IPC-HFW2431SP-S-0280B")
            await bot_says("Серийный номер устройства")
            await say("7J0123456789ABC")
            await bot_says("Опишите проблему")
            await say("Камера не отправляет события детектора движения на регистратор.")
            await bot_says("Приложите")
            await partner.locator("#partner-file").set_input_files(
                {"name": "detector.png", "mimeType": "image/png", "buffer": make_png(480, 320, (210, 120, 60))}
            )
            await expect(partner.locator(".chip", has_text="detector.png")).to_be_visible()
            await partner.locator("#partner-send").click()
            await bot_says("Добавлено файлов: 1")
            await press("Готово")
            await press("Да")
            await bot_says("Как к вам обращаться")
            await say("Иван Петров")
            await bot_says("Название вашей компании")
            await say("ООО «Ромашка»")
            await bot_says("Телефон для связи")
            await expect(partner.locator(".kb-btn.contact")).to_be_visible()
            await say("+7 999 123-45-67")
            await bot_says("Проверьте заявку")
            await press("📨 Отправить")
            await bot_says("Заявка №1001 принята")
            if narrow:
                # The main menu is back and reachable without scrolling the page.
                menu = partner.locator(".kb-btn", has_text="📝 Новая заявка")
                box = await menu.bounding_box()
                assert box is not None and box["y"] + box["height"] <= WIDTHS[width]
                await page.screenshot(path=str(tmp_path / "partner.png"))

            await waiting_in("group")
            await show("group")
            await group.locator('.persona[data-user="2002"]').click()
            await group.locator('.persona[data-user="2001"]').click()
            topic = group.locator(".topic", has_text="№1001")
            await topic.click()
            await expect(topic).to_have_class(re.compile(r"\bactive\b"))
            await expect(group.locator(".msg.bot .text", has_text="Заявка №1001").first).to_be_visible()
            await expect(group.locator(".msg .photo img")).to_be_visible()
            await group.locator(".ikb-btn", has_text="✋ Взять в работу").click()
            await waiting_in("partner")
            await show("partner")
            await bot_says("занимается Алексей, инженер поддержки")
            await show("group")
            answer = "Иван, добрый день! Включите «Отправлять на регистратор»."

            async def refuse(route) -> None:
                await route.fulfill(status=400, content_type="application/json",
                                    body=json.dumps({"error": "тема закрыта"}))

            # A send the sandbox refuses shows why and keeps what was typed; the next try goes through.
            await page.route("**/api/send", refuse)
            await group.locator("#group-input").fill(answer)
            await group.locator("#group-send").click()
            await expect(page.locator(".toast", has_text="тема закрыта")).to_be_visible()
            await expect(group.locator("#group-input")).to_have_value(answer)
            refused = [p for p in problems if "status of 400" in p]
            assert len(refused) == 1  # the browser logs the refused request itself; nothing else went wrong
            problems.remove(refused[0])
            await page.unroute("**/api/send", refuse)
            await group.locator("#group-send").click()
            await expect(group.locator("#group-input")).to_have_value("")

            await expect(group.locator(".msg.me .text", has_text="Иван, добрый день!")).to_be_visible()
            # The pictures are real downloads from the emulator, not broken images.
            img = group.locator(".msg .photo img")
            assert await img.evaluate("el => el.complete && el.naturalWidth") == 480
            # Everything an engineer needs fits the screen at every width: the topics, the buttons, the composer.
            for needed in (topic, group.locator("#group-send"), group.locator(".persona").first):
                await expect(needed).to_be_in_viewport()
            shot = tmp_path / "sandbox.png"
            await page.screenshot(path=str(shot))
            await waiting_in("partner")
            await show("partner")
            reply = partner.locator(".msg.bot .text", has_text="💬 Поддержка · заявка №1001 (Алексей)")
            await expect(reply).to_contain_text("Включите «Отправлять на регистратор»")
            img = partner.locator(".msg.me .photo img")
            assert await img.evaluate("el => el.complete && el.naturalWidth") == 480
        finally:
            await context.close()

    assert not problems, problems
    # Kept for a person to look at: screenshots/sandbox-<width>.png (and the partner's tab on narrow ones).
    folder = ROOT / "screenshots"
    folder.mkdir(exist_ok=True)
    shutil.copyfile(shot, folder / f"sandbox-{width}.png")
    if narrow:
        shutil.copyfile(tmp_path / "partner.png", folder / f"sandbox-{width}-partner.png")


# --- the HelpDesk's mailbox -------------------------------------------------------------------------


@pytest.fixture
async def mail_sandbox(tmp_path, clock) -> AsyncIterator[Sandbox]:
    """The sandbox with the HelpDesk bridge pointed at its own SMTP sink, as `python -m bot sandbox` runs it."""
    async with page_sandbox(tmp_path, clock=clock, helpdesk_mailbox=True) as sb:
        yield sb


async def test_the_helpdesk_pane_shows_the_mail_and_its_reply_reaches_the_partner_and_topic_once(mail_sandbox):
    from tests.flows import PNG, file_case
    from tests.helpers import Desk

    sb = mail_sandbox
    assert sb.app.mail_inbox is not None and sb.app.read_mailbox is False  # no IMAP reader in the sandbox
    assert not any(task.get_name() == "mail-in" for task in sb.app.background)
    desk = Desk(sb)
    number = await file_case(desk, photos=1)
    await sb.app.mail.wait_idle()
    await settle(sb)
    async with aiohttp.ClientSession(base_url=sb.emu.base_url) as http:
        helpdesk = (await state(http))["helpdesk"]
        assert helpdesk["address"] == "911@helpdesk.sandbox.test"
        [mail] = helpdesk["mails"]
        assert mail["number"] == 1
        assert mail["subject"].startswith(f"[Торус №{number}] ")
        assert mail["to"] == "911@helpdesk.sandbox.test" and mail["from"] == "support-bot@torus.sandbox.test"
        assert re.fullmatch(rf"<torus-[0-9a-f]+-case-{number}@torus\.sandbox\.test>", mail["message_id"])
        assert mail["in_reply_to"] == "" and mail["references"] == [] and mail["thread"] == mail["message_id"]
        assert f"Заявка: №{number}" in mail["text"]
        assert [f["name"] for f in mail["files"]] == ["photo-1.jpg"] and mail["files"][0]["size"] == len(PNG)
        async with http.get("/api/mail") as response:
            assert (await response.json())["mails"] == helpdesk["mails"]

        partner_before = len(sb.emu.messages(desk.partner))
        topic = desk.topic_of(number)
        topic_before = len([m for m in sb.emu.messages(GROUP_ID) if m.thread_id == topic])
        reply = {"mail": 1, "text": "Добрый день! Обновите прошивку до версии 2.800."}
        async with http.post("/api/mail-reply", json=reply) as response:
            assert response.status == 403  # the page's header is required, as for every action
        for wrong, why in (({"mail": 7, "text": "x"}, "нет"), ({"mail": 1, "text": "  "}, "пустой"),
                           ({"mail": 1, "text": "x", "from": "nobody"}, "адрес")):
            async with http.post("/api/mail-reply", json=wrong, headers=ACT) as response:
                assert response.status == 400 and why in (await response.json())["error"]
        answer = await act(http, "/api/mail-reply", reply, sb)
        assert answer["outcome"] == "relayed" and "передан партнёру" in answer["note"]

        partner_new = [m.content_text for m in sb.emu.messages(desk.partner)[partner_before:]]
        topic_new = [m.content_text for m in sb.emu.messages(GROUP_ID) if m.thread_id == topic][topic_before:]
        assert partner_new == [f"📨 HelpDesk · заявка №{number}\nДобрый день! Обновите прошивку до версии 2.800."]
        assert topic_new == ["📨 HelpDesk (911@helpdesk.sandbox.test), передано партнёру:\n"
                             "Добрый день! Обновите прошивку до версии 2.800."]

        # A sender the bridge does not know reaches nobody; the admins are told.
        stranger = {"mail": 1, "text": "Спам", "from": "someone@elsewhere.test"}
        answer = await act(http, "/api/mail-reply", stranger, sb)
        assert answer["outcome"] == "sender"
        assert len(sb.emu.messages(desk.partner)) == partner_before + 1
        assert "someone@elsewhere.test" in sb.emu.messages(ADMIN.user_id)[-1].content_text

    # Across a restart the next reply is numbered after the kept position: relayed too, once.
    await sb.restart()
    assert sb.app.read_mailbox is False
    async with aiohttp.ClientSession(base_url=sb.emu.base_url) as http:
        answer = await act(http, "/api/mail-reply", {"mail": 1, "text": "Ещё одно уточнение."}, sb)
    assert answer["outcome"] == "relayed"
    assert [m.content_text for m in sb.emu.messages(desk.partner)[partner_before + 1:]] == [
        f"📨 HelpDesk · заявка №{number}\nЕщё одно уточнение."]

    # Two answers sent at the same moment are two mails: both reach the partner.
    async with aiohttp.ClientSession(base_url=sb.emu.base_url) as http:
        posts = [http.post("/api/mail-reply", json={"mail": 1, "text": t}, headers=ACT) for t in ("Первое.", "Второе.")]
        answers = [await r.json() for r in await asyncio.gather(*posts)]
    await settle(sb)
    assert [a["outcome"] for a in answers] == ["relayed", "relayed"]
    got = [m.content_text for m in sb.emu.messages(desk.partner)[partner_before + 2:]]
    assert sorted(got) == sorted(f"📨 HelpDesk · заявка №{number}\n{t}" for t in ("Первое.", "Второе."))


@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1400])
async def test_the_helpdesk_pane_shows_the_mail_in_the_browser(mail_sandbox, tmp_path, width):
    browser_or_skip()
    from playwright.async_api import async_playwright, expect

    from tests.flows import file_case
    from tests.helpers import Desk

    number = await file_case(Desk(mail_sandbox))
    await mail_sandbox.app.mail.wait_idle()
    problems: list[str] = []
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": width, "height": WIDTHS[width]}, locale="ru-RU",
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            page.set_default_timeout(10_000)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            await page.goto(web.page_url(mail_sandbox))
            mail_pane = page.locator("#mail-pane")
            tab = page.locator('#pane-tabs [data-pane="mail"]')
            if width < 900:
                await expect(tab).to_be_visible()
                await expect(mail_pane).to_be_hidden()
                await tab.click()
                await expect(mail_pane).to_be_visible()
                await expect(page.locator("#partner-pane")).to_be_hidden()
            else:  # a folded strip beside the group; opened, it leaves the phone and the group room
                await expect(mail_pane.locator(".mail-list")).to_be_hidden()
                await page.locator("#mail-toggle").click()
                await expect(mail_pane.locator(".mail-list")).to_be_visible()
                for pane, least in (("#partner-pane", 400), ("#group-pane", 500)):
                    assert (await page.locator(pane).bounding_box())["width"] >= least, pane
            card = mail_pane.locator(".mail-card")
            await expect(card).to_have_count(1)
            await expect(card.locator(".mail-subject")).to_contain_text(f"[Торус №{number}]")
            await card.locator(".mail-answer").click()
            await page.locator("#mail-text").fill("Ответ из HelpDesk")
            await page.locator("#mail-send").click()
            await expect(page.locator(".toast", has_text="передан партнёру")).to_be_visible()
        finally:
            await context.close()
    assert not problems, problems
