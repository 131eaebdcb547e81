"""The sandbox's web page: a partner's phone and the engineers' group side by side, served by the emulator."""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web

from bot.clock import MSK
from bot.sandbox import gallery
from bot.sandbox.harness import ADMIN, ENGINEERS, GROUP_ID, PARTNERS, Person
from bot.sandbox.mailbox import HELPDESK_ADDRESS, build_reply
from bot.texts.hours import WEEKDAYS_SHORT, day_month, status_line
from tgemu import EmulatorError
from tgemu.formatting import EntityParseError, parse_html
from tgemu.world import MEDIA_KINDS, SERVICE_KEYS, Json, Sent

if TYPE_CHECKING:
    from bot.sandbox.harness import Sandbox

STATIC_DIR = Path(__file__).with_name("static")
# A Dahua label photographed on a wall (drawn by tests/label_images.py): the partner's 🏷 button sends it,
# so the label step can be tried without a device at hand.
LABEL_SAMPLE = STATIC_DIR / "label-sample.jpg"
STATIC_TYPES = {"index.html": "text/html", "texts.html": "text/html", "app.css": "text/css", "app.js": "text/javascript"}
# The page loads nothing from elsewhere; the policy makes sure of it (and of no inline script).
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Files people upload are served from the page's origin, so they must never run as a page.
FILE_POLICY = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
TICK = 0.2  # how often an open page's stream looks for changes, seconds
KEEPALIVE = 15.0  # a comment line now and then keeps proxies and the browser from closing an idle stream
CALLBACK_WAIT = 2.0  # how long a button press waits for the bot's answerCallbackQuery (shown as a toast)
HISTORY = 400  # newest messages per chat sent to the page
ALBUM_SIZE = 10
IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"))

# What the bridge did with a reply written on the page, shown to the person as a toast.
MAIL_OUTCOMES = {
    "relayed": "Ответ HelpDesk передан партнёру и в тему заявки",
    "sender": "Отправитель не в MAIL_ALLOWED_SENDERS: ответ никому не передан, админам сообщено",
    "case": "В письме не найдена заявка: ответ никому не передан, админам сообщено",
    "own": "Письмо от адреса самого бота: пропущено",
}

_dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


def attach(sandbox: Sandbox) -> None:
    """Serve the page from the sandbox's emulator; call before `sandbox.start()`."""
    sandbox.emu.server.app_hooks.append(partial(setup, sandbox=sandbox))


def page_url(sandbox: Sandbox) -> str:
    if sandbox.emu.base_url is None:
        raise RuntimeError("the sandbox is not running")
    return sandbox.emu.base_url + "/"


def setup(app: web.Application, sandbox: Sandbox) -> SandboxPage:
    """Adds the page, its static files and its JSON/SSE API to the emulator's aiohttp app."""
    page = SandboxPage(sandbox)
    app.router.add_get("/", page.index)
    app.router.add_get("/static/{name}", page.static)
    app.router.add_get("/api/state", page.state)
    app.router.add_get("/api/events", page.events)
    app.router.add_get("/api/file/{file_id}", page.file)
    app.router.add_post("/api/send", page.send)
    app.router.add_post("/api/press", page.press)
    app.router.add_post("/api/contact", page.contact)
    app.router.add_post("/api/upload", page.upload)
    app.router.add_post("/api/label-sample", page.label_sample)
    app.router.add_get("/texts", page.texts_page)
    app.router.add_get("/api/texts", page.texts)
    app.router.add_post("/api/clock", page.set_clock)
    app.router.add_get("/api/mail", page.mail)
    app.router.add_post("/api/mail-reply", page.mail_reply)
    return page


class PageError(Exception):
    """Something the page asked for that a person could not do; shown to them as a toast."""


class SandboxPage:
    """The state snapshot the page renders, pushed on change, and the "act as this person" endpoints."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.emu = sandbox.emu
        self.revision = 0
        self._wakeup = asyncio.Event()
        self._cache: tuple[tuple[Any, ...], str] | None = None
        self._presets: tuple[date, list[Json]] | None = None

    # --- pages and files ------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        _check_host(request)
        return self._static_file("index.html")

    async def static(self, request: web.Request) -> web.StreamResponse:
        _check_host(request)
        name = request.match_info["name"]
        if name not in STATIC_TYPES or name.endswith(".html"):
            raise web.HTTPNotFound()
        return self._static_file(name)

    @staticmethod
    def _static_file(name: str) -> web.Response:
        body = (STATIC_DIR / name).read_bytes()
        response = web.Response(body=body, content_type=STATIC_TYPES[name], charset="utf-8")
        # People edit these files while the sandbox runs; a reload should show the change.
        response.headers["Cache-Control"] = "no-cache"
        response.headers["Content-Security-Policy"] = PAGE_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    async def file(self, request: web.Request) -> web.StreamResponse:
        _check_host(request)
        file_id = request.match_info["file_id"]
        stored = self.emu.world.files.get(file_id)
        if stored is None:
            raise web.HTTPNotFound()
        data = self.emu.file_bytes(file_id)
        image = _image_type(data)
        response = web.Response(body=data, content_type=image or stored.mime_type or "application/octet-stream")
        if image is None:
            name = stored.file_name or f"{stored.kind}-{stored.file_unique_id}"
            response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        response.headers["Content-Security-Policy"] = FILE_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, max-age=3600"  # file ids never change their bytes
        return response

    # --- state ----------------------------------------------------------------------------------

    def poke(self) -> None:
        """Something changed: wake every open stream now instead of at its next tick."""
        self.revision += 1
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    def _fingerprint(self) -> tuple[Any, ...]:
        # Cheap signs of change: every bot action is an API call, every person's action a new message;
        # the minute keeps the clock line fresh.
        activity = self.emu.server.activity
        messages = sum(len(chat.messages) for chat in self.emu.world.chats.values())
        minute = int(self.sandbox.clock.now().timestamp() // 60)
        mails = self.sandbox.mailbox.count() if self.sandbox.mailbox is not None else 0
        return self.revision, activity.last, activity.inflight, messages, len(self.emu.server.calls), minute, mails

    def snapshot_json(self) -> str:
        key = self._fingerprint()
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, _dumps(self.snapshot()))
        return self._cache[1]

    def snapshot(self) -> Json:
        """Everything the page shows: the cast, each partner's chat, the group with its topics, the clock."""
        bot = self.emu.world.bot
        return {
            "bot": {"name": bot.first_name, "username": bot.username},
            "clock": self._clock_view(),
            "partners": [_person(p, "админ" if p is ADMIN else "партнёр") for p in (*PARTNERS, ADMIN)],
            "engineers": [_person(p, "инженер") for p in ENGINEERS],
            "chats": {str(p.user_id): self._private_view(p.user_id) for p in (*PARTNERS, ADMIN)},
            "group": self._group_view(),
            "helpdesk": self._helpdesk_view(),
        }

    async def state(self, request: web.Request) -> web.StreamResponse:
        _check_host(request)
        return web.Response(text=self.snapshot_json(), content_type="application/json")

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: the whole snapshot whenever it changes."""
        _check_host(request)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        stopping = self.emu.server.stopping
        shown: str | None = None
        last_write = time.monotonic()
        try:
            while not stopping.is_set():
                data = self.snapshot_json()
                if data != shown:
                    await response.write(f"event: state\ndata: {data}\n\n".encode())
                    shown, last_write = data, time.monotonic()
                elif time.monotonic() - last_write > KEEPALIVE:
                    await response.write(b": keep-alive\n\n")
                    last_write = time.monotonic()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), TICK)
        except ConnectionResetError:
            pass  # the page was closed
        return response

    def _clock_view(self) -> Json:
        clock = self.sandbox.clock
        now = clock.now()
        offset = getattr(clock, "offset", None)
        view: Json = {
            "label": f"{WEEKDAYS_SHORT[now.weekday()]} {now:%d.%m.%Y %H:%M} МСК",
            "value": f"{now:%Y-%m-%dT%H:%M}",
            # A FixedClock (tests) cannot go back to real time; the page hides that button then.
            "real": offset is not None and abs(offset) < timedelta(seconds=5),
            "can_reset": hasattr(clock, "reset"),
            "desk": "",
            "open": None,
            "presets": [],
        }
        app = self.sandbox.app
        if app is not None:
            view["open"] = app.schedule.is_open(now)
            view["desk"] = html.unescape(status_line(app.schedule, now))
            today = datetime.now(MSK).date()
            if self._presets is None or self._presets[0] != today:
                self._presets = (today, _clock_presets(app.schedule, today))
            view["presets"] = self._presets[1]
        return view

    def _private_view(self, user_id: int) -> Json:
        messages = self.emu.messages(user_id)[-HISTORY:]
        return {
            "messages": [_message(sent) for sent in messages],
            "keyboard": self._reply_keyboard(user_id),
            "commands": self.emu.visible_commands(user_id),
        }

    def _reply_keyboard(self, user_id: int) -> Json | None:
        """The reply keyboard the person's app shows: the newest one the bot sent, unless removed since."""
        everything = self.emu.messages(user_id, include_deleted=True)
        for index in range(len(everything) - 1, -1, -1):
            sent = everything[index]
            markup = sent.reply_markup or {}
            if not sent.from_bot or not ("keyboard" in markup or "remove_keyboard" in markup):
                continue
            if "remove_keyboard" in markup:
                return None
            rows = [[_key(button) for button in row] for row in markup["keyboard"]]
            answered = any(not later.from_bot for later in everything[index + 1 :])
            return {
                "rows": rows,
                "placeholder": markup.get("input_field_placeholder") or "",
                # Telegram folds a one-time keyboard away after use; the person can open it again.
                "collapsed": bool(markup.get("one_time_keyboard")) and answered,
            }
        return None

    def _group_view(self) -> Json:
        chat = self.emu.world.chats[GROUP_ID]
        messages = self.emu.messages(GROUP_ID, include_service=True)
        topics: list[Json] = []
        if chat.is_forum:
            general = [m for m in messages if m.thread_id is None]
            topics.append(_topic_view(None, "Общий чат", None, False, general))
            for topic in self.emu.topics(GROUP_ID).values():
                if topic.deleted:
                    continue
                inside = [m for m in messages if m.thread_id == topic.thread_id]
                topics.append(_topic_view(topic.thread_id, topic.name, topic.icon_color, topic.closed, inside))
        shown = messages[-HISTORY * 3 :]
        return {
            "id": GROUP_ID,
            "title": chat.title,
            "is_forum": chat.is_forum,
            "topics": topics,
            "messages": [_message(sent) for sent in shown],
            "commands": {str(p.user_id): self.emu.visible_commands(p.user_id, GROUP_ID) for p in ENGINEERS},
        }

    def _helpdesk_view(self) -> Json | None:
        """The HelpDesk's mailbox: every mail the bot sent it (None when the sandbox runs without the bridge)."""
        mailbox = self.sandbox.mailbox
        if mailbox is None:
            return None
        return {"address": HELPDESK_ADDRESS, "mails": mailbox.view()}

    async def mail(self, request: web.Request) -> web.StreamResponse:
        _check_host(request)
        return web.json_response(self._helpdesk_view(), dumps=_dumps)

    async def mail_reply(self, request: web.Request) -> web.Response:
        """The HelpDesk answers one of the bot's mails: a real reply mail goes through the bridge's relay."""
        async def action() -> Json:
            body = await _json_body(request)
            mailbox, app = self.sandbox.mailbox, self.sandbox.app
            if mailbox is None or app is None or app.mail_inbox is None:
                raise PageError("почта HelpDesk в этой песочнице выключена")
            original = mailbox.get(_int(body, "mail"))
            if original is None:
                raise PageError("такого письма нет в почте HelpDesk")
            text = body.get("text")
            if not isinstance(text, str) or not text.strip():
                raise PageError("пустой ответ")
            sender = body.get("from") or HELPDESK_ADDRESS
            if not isinstance(sender, str) or "@" not in sender:
                raise PageError("адрес отправителя должен выглядеть как name@example.ru")
            outcome = await app.mail_inbox.take(build_reply(original, text, sender=sender.strip()))
            return {"outcome": outcome, "note": MAIL_OUTCOMES[outcome]}

        return await self._act(request, action)

    # --- acting as people -------------------------------------------------------------------------

    async def _act(self, request: web.Request, action: Callable[[], Awaitable[Json | None]]) -> web.Response:
        _check_host(request)
        # A custom header makes browsers ask first (CORS preflight, never granted) before another site's
        # page could post here, so only this page can act as people.
        if request.headers.get("X-Sandbox") != "1":
            return web.json_response({"error": "запрос без заголовка X-Sandbox"}, status=403, dumps=_dumps)
        try:
            result = await action()
        except (PageError, EmulatorError) as error:
            return web.json_response({"error": str(error)}, status=400, dumps=_dumps)
        finally:
            self.poke()
        return web.json_response({"ok": True, **(result or {})}, dumps=_dumps)

    async def send(self, request: web.Request) -> web.Response:
        async def action() -> None:
            body = await _json_body(request)
            user, chat_id, thread_id = self._where(body)
            text = body.get("text")
            if not isinstance(text, str) or not text.strip():
                raise PageError("пустое сообщение")
            await self.emu.send_text(
                user, text, chat_id=chat_id, thread_id=thread_id, reply_to=_optional_int(body, "reply_to")
            )

        return await self._act(request, action)

    async def press(self, request: web.Request) -> web.Response:
        async def action() -> Json:
            body = await _json_body(request)
            user, chat_id, _ = self._where(body)
            data = body.get("data")
            if not isinstance(data, str):
                raise PageError("у кнопки нет данных")
            query = await self.emu.press_button(user, chat_id or user, _int(body, "message"), data)
            self.poke()
            deadline = time.monotonic() + CALLBACK_WAIT
            while time.monotonic() < deadline:
                answer = self.emu.callback_answer(query["id"])
                if answer is not None:
                    return {"answer": answer}
                await asyncio.sleep(0.02)
            return {"answer": None}

        return await self._act(request, action)

    async def contact(self, request: web.Request) -> web.Response:
        async def action() -> None:
            body = await _json_body(request)
            user, chat_id, thread_id = self._where(body)
            person = _person_by_id(user)
            await self.emu.send_contact(
                user,
                phone_number(user),
                person.first_name,
                last_name=person.last_name,
                chat_id=chat_id,
                thread_id=thread_id,
            )

        return await self._act(request, action)

    async def texts_page(self, request: web.Request) -> web.Response:
        """Every text the bot can send, as the bot's messages, for reading at phone width."""
        _check_host(request)
        return self._static_file("texts.html")

    async def texts(self, request: web.Request) -> web.Response:
        _check_host(request)
        items = []
        for sample in gallery.samples(self.sandbox.app.schedule):
            item = {"module": sample.module, "audience": gallery.AUDIENCE.get(sample.module, ""),
                    "name": sample.name, "problem": sample.problem, "text": None, "entities": []}
            if sample.text is not None:
                if sample.name.startswith(gallery.MAIL_ONLY):  # e-mails to the HelpDesk: shown as the mail has them
                    item["text"] = sample.text
                else:
                    try:
                        item["text"], item["entities"] = parse_html(sample.text, strict=False)
                    except EntityParseError as exc:
                        item["text"], item["problem"] = sample.text, f"Telegram не примет разметку: {exc}"
            items.append(item)
        return web.json_response(items)

    async def label_sample(self, request: web.Request) -> web.Response:
        """The partner sends the sample label photo, as a phone would send a picture of one."""
        async def action() -> None:
            body = await _json_body(request)
            user, chat_id, thread_id = self._where(body)
            if chat_id is not None:
                raise PageError("образец наклейки отправляет партнёр в чате с ботом")
            await self.emu.send_photo(user, data=LABEL_SAMPLE.read_bytes())

        return await self._act(request, action)

    async def upload(self, request: web.Request) -> web.Response:
        async def action() -> None:
            form = await request.post()
            fields = {key: value for key, value in form.items() if isinstance(value, str)}
            user, chat_id, thread_id = self._where(fields)
            reply_to = _optional_int(fields, "reply_to")
            caption = fields.get("caption", "").strip() or None
            as_files = fields.get("as_file") == "1"
            photos: list[Json] = []
            documents: list[Json] = []
            for part in form.getall("file", []):
                if not isinstance(part, web.FileField):
                    continue
                data = part.file.read()
                if not as_files and _image_type(data):
                    photos.append({"type": "photo", "data": data})
                else:
                    name = part.filename or "file"
                    documents.append({"type": "document", "data": data, "file_name": name})
            if not photos and not documents:
                raise PageError("нет файлов")
            where = {"chat_id": chat_id, "thread_id": thread_id, "reply_to": reply_to}
            # Telegram puts photos and documents into separate albums of at most ten.
            for items in (photos, documents):
                for start in range(0, len(items), ALBUM_SIZE):
                    chunk = [dict(item) for item in items[start : start + ALBUM_SIZE]]
                    if caption:
                        chunk[0]["caption"], caption = caption, None
                    await self._send_files(user, chunk, where)

        return await self._act(request, action)

    async def _send_files(self, user: int, chunk: list[Json], where: Json) -> None:
        if len(chunk) > 1:
            await self.emu.send_album(user, chunk, **where)
            return
        item = chunk[0]
        if item["type"] == "photo":
            await self.emu.send_photo(user, data=item["data"], caption=item.get("caption"), **where)
        else:
            await self.emu.send_document(
                user, file_name=item["file_name"], data=item["data"], caption=item.get("caption"), **where
            )

    async def set_clock(self, request: web.Request) -> web.Response:
        async def action() -> None:
            body = await _json_body(request)
            at = body.get("at")
            clock = self.sandbox.clock
            if at is None:
                if not hasattr(clock, "reset"):
                    raise PageError("эти часы нельзя вернуть к реальному времени")
                clock.reset()  # type: ignore[attr-defined]
                return
            try:
                moment = datetime.fromisoformat(str(at))
            except ValueError:
                raise PageError(f"не понимаю время {at!r}") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=MSK)
            self.sandbox.set_now(moment)

        return await self._act(request, action)

    @staticmethod
    def _where(body: dict[str, Any]) -> tuple[int, int | None, int | None]:
        """Who acts and where: a partner (or the admin) in their chat with the bot, or an engineer in the group."""
        user = _int(body, "user")
        chat = _optional_int(body, "chat")
        if chat is None:
            if user not in {p.user_id for p in (*PARTNERS, ADMIN)}:
                raise PageError("в личном чате с ботом пишут партнёры и админ")
            return user, None, None
        if chat != GROUP_ID or user not in {p.user_id for p in ENGINEERS}:
            raise PageError("в группе пишут инженеры")
        return user, chat, _optional_int(body, "thread")


# --- views ------------------------------------------------------------------------------------------


def phone_number(user_id: int) -> str:
    """The made-up number a person shares with "share my contact" (Telegram sends digits without +)."""
    return f"7999{user_id:07d}"


def _person(person: Person, role: str) -> Json:
    name = " ".join(filter(None, (person.first_name, person.last_name)))
    return {"id": person.user_id, "name": name, "first_name": person.first_name, "username": person.username,
            "role": role}


def _person_by_id(user_id: int) -> Person:
    return next(p for p in (*PARTNERS, *ENGINEERS, ADMIN) if p.user_id == user_id)


def _key(button: Json) -> Json:
    key: Json = {"text": button.get("text", "")}
    if button.get("request_contact"):
        key["contact"] = True
    elif len(button) > 1:
        key["unsupported"] = True  # request_location, web_app, polls...: not simulated by the page
    return key


def _button(button: Json) -> Json:
    view: Json = {"text": button.get("text", "")}
    if "callback_data" in button:
        view["data"] = button["callback_data"]
    elif "url" in button:
        view["url"] = button["url"]
    elif "copy_text" in button:
        view["copy"] = button["copy_text"].get("text", "")
    else:
        view["unsupported"] = True
    return view


def _sender(raw: Json) -> str:
    if "sender_chat" in raw:
        return raw["sender_chat"].get("title") or "группа"
    sender = raw.get("from") or {}
    return " ".join(filter(None, (sender.get("first_name"), sender.get("last_name")))) or "?"


def _day(moment: datetime) -> str:
    return f"{WEEKDAYS_SHORT[moment.weekday()]}, {day_month(moment)} {moment.year}"


def _snippet(raw: Json) -> str:
    text = raw.get("text") or raw.get("caption")
    if text:
        return text[:100]
    for kind, label in (("photo", "Фото"), ("document", "Файл"), ("video", "Видео"), ("voice", "Голосовое"),
                        ("contact", "Контакт"), ("sticker", "Стикер"), ("location", "Место")):
        if kind in raw:
            return label
    return "Сообщение"


def _service_text(raw: Json) -> str:
    if "forum_topic_created" in raw:
        return f"Создана тема «{raw['forum_topic_created'].get('name', '')}»"
    if "forum_topic_edited" in raw:
        name = raw["forum_topic_edited"].get("name")
        return f"Тема переименована: «{name}»" if name else "Тема изменена"
    if "forum_topic_closed" in raw:
        return "Тема закрыта"
    if "forum_topic_reopened" in raw:
        return "Тема открыта снова"
    if "pinned_message" in raw:
        return f"{_sender(raw)} закрепляет сообщение"
    if "new_chat_members" in raw:
        return "В группу добавлены участники"
    if "left_chat_member" in raw:
        return "Участник покинул группу"
    return "Служебное сообщение"


def _media(sent: Sent) -> Json | None:
    raw = sent.raw
    if "photo" in raw:
        largest = raw["photo"][-1]
        return {"type": "photo", "file_id": largest["file_id"], "width": largest.get("width"),
                "height": largest.get("height")}
    for kind in MEDIA_KINDS:
        if kind in raw:
            obj = raw[kind]
            return {"type": kind, "file_id": obj["file_id"], "file_name": obj.get("file_name"),
                    "mime_type": obj.get("mime_type"), "size": obj.get("file_size"), "emoji": obj.get("emoji")}
    if "contact" in raw:
        contact = raw["contact"]
        name = " ".join(filter(None, (contact.get("first_name"), contact.get("last_name"))))
        return {"type": "contact", "name": name, "phone": contact.get("phone_number")}
    if "location" in raw:
        return {"type": "location", "lat": raw["location"]["latitude"], "lon": raw["location"]["longitude"]}
    if "poll" in raw:
        poll = raw["poll"]
        return {"type": "poll", "question": poll.get("question"), "options": [o["text"] for o in poll["options"]]}
    if "dice" in raw:
        return {"type": "dice", "emoji": raw["dice"]["emoji"], "value": raw["dice"]["value"]}
    return None


def _message(sent: Sent) -> Json:
    raw = sent.raw
    moment = datetime.fromtimestamp(sent.date, MSK)
    view: Json = {
        "id": sent.message_id,
        "thread": sent.thread_id,
        "from_bot": sent.from_bot,
        "sender_id": sent.sender_id,
        "sender": _sender(raw),
        "time": f"{moment:%H:%M}",
        "day": _day(moment),
        "kind": sent.kind,
        "text": sent.content_text or "",
        "entities": sent.entities,
    }
    if sent.is_service:
        view["text"], view["entities"] = _service_text(raw), []
        return view
    if sent.edited and "edit_date" in raw:
        view["edited"] = True
    if sent.pinned:
        view["pinned"] = True
    if sent.media_group_id:
        view["album"] = sent.media_group_id
    rows = (sent.reply_markup or {}).get("inline_keyboard")
    if rows:
        view["buttons"] = [[_button(button) for button in row] for row in rows]
    reply = raw.get("reply_to_message")
    # Inside a topic every message "replies" to the topic's creation; only real replies are quoted.
    if reply and not any(key in reply for key in SERVICE_KEYS):
        view["reply"] = {"id": reply["message_id"], "sender": _sender(reply), "text": _snippet(reply)}
    origin = raw.get("forward_origin")
    if origin:
        if origin.get("type") in ("user", "hidden_user"):
            view["forwarded"] = origin.get("sender_user_name") or _sender({"from": origin.get("sender_user", {})})
        else:
            view["forwarded"] = (origin.get("chat") or origin.get("sender_chat") or {}).get("title", "канал")
    media = _media(sent)
    if media is not None:
        view["media"] = media
    return view


def _topic_view(thread_id: int | None, name: str, color: int | None, closed: bool, messages: list[Sent]) -> Json:
    visible = [m for m in messages if not m.is_service]
    last = visible[-1] if visible else None
    return {
        "thread": thread_id,
        "name": name,
        "color": f"#{color:06x}" if color is not None else None,
        "closed": closed,
        "count": len(visible),
        "last_id": messages[-1].message_id if messages else 0,
        "last": f"{_sender(last.raw)}: {_snippet(last.raw)}" if last else "",
    }


def _clock_presets(schedule: Any, today: date) -> list[Json]:
    """Moments worth trying, counted from today's real date: open, about to close, evening, weekend, holiday."""
    days = [today + timedelta(days=n) for n in range(1, 400)]
    working = next((d for d in days if schedule.calendar.day(d).is_working and d.weekday() < 5), None)
    saturday = next(d for d in days if d.weekday() == 5)
    friday = next(d for d in days if d.weekday() == 4 and schedule.calendar.day(d).is_working)
    holiday = next((d for d in days if d.weekday() < 5 and not schedule.calendar.day(d).is_working), None)
    presets: list[tuple[str, date | None, str]] = [
        ("Рабочий день, 10:00", working, "10:00"),
        ("Рабочий день, 17:55", working, "17:55"),
        ("Пятница, 19:30", friday, "19:30"),
        ("Суббота, 23:00", saturday, "23:00"),
    ]
    if holiday is not None:
        name = schedule.calendar.day(holiday).holiday_name or "праздник"
        presets.append((f"{name}, 12:00", holiday, "12:00"))
    return [
        {"label": f"{label} ({day:%d.%m})", "at": f"{day:%Y-%m-%d}T{clock}"}
        for label, day, clock in presets
        if day is not None
    ]


# --- request helpers --------------------------------------------------------------------------------


def _check_host(request: web.Request) -> None:
    # Answering only to local host names keeps another site from reaching the sandbox by DNS rebinding.
    if request.url.host not in LOCAL_HOSTS:
        raise web.HTTPForbidden(text="open the sandbox at http://127.0.0.1")


def _image_type(data: bytes) -> str | None:
    for magic, mime in IMAGE_MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise PageError("тело запроса не JSON") from None
    if not isinstance(body, dict):
        raise PageError("тело запроса не объект JSON")
    return body


def _int(body: dict[str, Any], key: str) -> int:
    value = _optional_int(body, key)
    if value is None:
        raise PageError(f"нет поля {key}")
    return value


def _optional_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise PageError(f"поле {key} — не число") from None
