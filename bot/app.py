"""The composition root: builds the Bot, the Dispatcher, storage and services, and wires routers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from aiogram.fsm.storage.memory import SimpleEventIsolation

from bot import keyboards, texts
from bot.clock import Clock, SystemClock
from bot.compat import keep_response_models
from bot.config import Settings, SettingsError
from bot.delivery.group_check import telegram_probe
from bot.delivery.mail import MailSender
from bot.delivery.membership import telegram_lookup
from bot.delivery.outbox import Outbox
from bot.direct_retry import DirectRetry
from bot.gc_tuning import YOUNG_GC_THRESHOLD, tune_garbage_collector  # noqa: F401  (the CLI imports them here)
from bot.polling import DurablePolling, InboxUpdates
from bot.services.calendar import CalendarError, ProductionCalendar
from bot.services.cases import CaseService
from bot.services.intake import IntakeService
from bot.services.administration import Administration
from bot.services.contacts import Contacts
from bot.services.catalogue import Catalogue, CatalogueError, CatalogueService
from bot.services.admin_alerts import AdminAlerts
from bot.services.broadcast import Broadcasts
from bot.services.debounce import Debouncer
from bot.services.knowledge import KnowledgeService
from bot.services.error_reports import ErrorReports
from bot.services.group_check import GroupCheck
from bot.services.membership import Membership
from bot.services.schedule import Schedule
from bot.storage.cases import CaseRepository
from bot.storage.mail import MailOutboxRepository
from bot.storage.database import Database
from bot.storage.engineers import EngineerRepository
from bot.storage.fsm import SQLiteStorage
from bot.storage.outbox import MessageLinkRepository
from bot.storage.partners import PartnerRepository
from bot.stopping import unless_stopped

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    bot: Bot
    dp: Dispatcher
    db: Database
    clock: Clock
    partners: PartnerRepository
    cases: CaseService
    intake: IntakeService
    outbox: Outbox
    schedule: Schedule
    catalogue: CatalogueService
    debouncer: Debouncer
    alerts: AdminAlerts
    broadcasts: Broadcasts
    group_check: GroupCheck
    background: list[asyncio.Task] = field(default_factory=list)
    updates: InboxUpdates | None = None  # polling, or the webhook's intake, once started
    mail: MailSender | None = None  # the HelpDesk bridge, when HELPDESK_EMAIL is set
    mail_inbox: Any = None  # its reader of the HelpDesk's replies
    read_mailbox: bool = True  # the sandbox has no IMAP server: its page hands replies to mail_inbox.take
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False

    async def on_startup(self) -> None:
        await set_command_menus(self.bot, self.settings)
        self.background.append(asyncio.create_task(self.outbox.run(), name="outbox"))
        self.background.append(asyncio.create_task(self.housekeeping(), name="housekeeping"))
        if self.mail is not None:
            self.background.append(asyncio.create_task(self.mail.run(), name="mail-out"))
        if self.mail_inbox is not None and self.read_mailbox:
            self.background.append(asyncio.create_task(self.mail_inbox.run(), name="mail-in"))
        await self.check_groups()

    async def check_groups(self) -> None:
        """getChat and getChatMember for every configured group: each problem is logged and the admins
        are told what to fix (the outbox keeps the messages until they can be delivered). While Telegram
        still asks a group to wait (a 429 from before a restart), the check waits in the background."""
        wait = max([await self.outbox.flood_wait_left(g) for g in self.group_check.groups], default=0.0)
        if wait <= 0:
            try:
                reports = await self.group_check.run()
            except Exception:  # the check must never stop the desk from starting
                log.exception("The set-up check of the engineers' group failed")
                return
            postponed = [r for r in reports if r.postponed is not None]
            await self.alerts.report_group_problems([r for r in reports if r.postponed is None])
            if not postponed:
                return
            for report in postponed:  # Telegram counts a 429 per chat: the outbox waits for it too
                await self.outbox.note_retry_after(report.group_id, report.postponed)
            wait = max(r.postponed for r in postponed)
        log.info("Set-up check of the engineers' group put off by %.0f s (Telegram asked to wait)", wait)

        async def later() -> None:
            await asyncio.sleep(wait)
            await self.check_groups()

        self.background.append(asyncio.create_task(later(), name="group-check"))

    async def housekeeping(self, interval: float = 30.0) -> None:
        """Periodic duties: reminders about unclaimed cases, the calendar fallback warning."""
        while True:
            for duty in (self.cases.remind_unclaimed, self.alerts.check_calendar):
                try:
                    await duty()
                except Exception:
                    log.exception("Housekeeping duty %s failed", duty.__name__)
            await asyncio.sleep(interval)

    @property
    def inflight(self):
        return self.dp["inflight"]

    async def settle(self, timeout: float = 10.0, *, outbox: bool = True, through: int | None = None) -> None:
        """Wait until updates (up to update id `through`, when the caller knows it has sent them)
        are handled, delayed answers have gone out and (unless told otherwise) the outbox is
        empty: the sandbox demo and tests read the chat after this."""
        if self.updates is not None:
            await self.updates.wait_taken(through, timeout)
        await self.inflight.wait_idle(timeout)
        await self.debouncer.wait_idle(timeout)
        if outbox:
            await self.outbox.wait_idle(timeout)

    async def run_polling(self, stop: asyncio.Event | None = None) -> None:
        """Long polling until `stop` is set (or `stop()` is called); the database is closed afterwards."""
        polling = DurablePolling(self.dp, self.bot, self.db, on_flood=self.ask_to_wait)
        self.updates = polling
        relay = asyncio.create_task(_set_when(stop, self.stopping.set)) if stop is not None else None
        try:
            # A webhook left from webhook mode makes Telegram refuse polling (409).
            done, _ = await unless_stopped(self.stopping, self.bot.delete_webhook(drop_pending_updates=False))
            if not done:
                return
            halt = asyncio.create_task(_set_when(self.stopping, polling.stop))
            try:
                await polling.run()
            finally:
                halt.cancel()
        finally:
            if relay is not None:
                relay.cancel()
            await self.close()

    def take_webhook_updates(self) -> InboxUpdates:
        self.updates = InboxUpdates(self.dp, self.bot, self.db, on_flood=self.ask_to_wait)
        return self.updates

    async def ask_to_wait(self, chat_id: int) -> None:
        """A partner sending faster than the bot answers is told once that everything will be
        answered in turn (a banned one is told nothing)."""
        partner = await self.partners.get(chat_id)
        if partner is not None and partner.banned and chat_id not in self.settings.admin_ids:
            return
        await self.bot.send_message(chat_id, texts.FLOOD_WAIT)

    async def stop(self) -> None:
        self.stopping.set()

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for task in self.background:
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        self.background.clear()
        await self.broadcasts.close()
        await self.outbox.stop()
        await self.debouncer.close()
        await self.bot.session.close()
        await self.db.close()


async def _set_when(event: asyncio.Event, callback: Callable[[], None]) -> None:
    await event.wait()
    callback()


# Each role's menu: (command, description); the descriptions are texts, kept in bot/texts/commands.py.
PARTNER_COMMANDS = texts.PARTNER_COMMANDS
ENGINEER_COMMANDS = texts.ENGINEER_COMMANDS
ADMIN_COMMANDS = texts.ADMIN_COMMANDS


async def set_command_menus(bot: Bot, settings: Settings) -> None:
    """Each role sees its own commands in Telegram's menu. A failure here is logged, not fatal:
    the bot works without menus."""
    from aiogram.exceptions import TelegramAPIError
    from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat

    def commands(pairs) -> list[BotCommand]:
        return [BotCommand(command=c, description=d) for c, d in pairs]

    menus = [(commands(PARTNER_COMMANDS), BotCommandScopeAllPrivateChats())]
    if settings.engineers_chat_id is not None:
        menus.append((commands(ENGINEER_COMMANDS), BotCommandScopeChat(chat_id=settings.engineers_chat_id)))
    for admin_id in settings.admin_ids:
        menus.append((commands(ADMIN_COMMANDS + PARTNER_COMMANDS), BotCommandScopeChat(chat_id=admin_id)))
    for menu, scope in menus:
        try:
            await bot.set_my_commands(menu, scope=scope)
        except TelegramAPIError as exc:
            log.warning("Could not set the command menu for %s: %s", scope.type, exc)


def make_bot(settings: Settings, direct_retry: DirectRetry | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    session.middleware(direct_retry or DirectRetry())
    return Bot(
        token=settings.token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def make_dispatcher(**dependencies) -> Dispatcher:
    # Routers are imported here, not at module level, so importing bot.app stays cheap and
    # every router module is free of configuration (it reads what it needs from handler kwargs).
    from dialogs.info_request import InfoDialogs
    from handlers import get_routers
    from handlers.middlewares import BanMiddleware, EngineerMiddleware, PartnerMiddleware
    from handlers.tracking import InflightUpdates

    # The lanes (bot/lanes.py) hand over one chat's updates one at a time; event isolation
    # (per chat, user and topic, the same key) stays as the guard for anything fed to the
    # dispatcher otherwise, so the items of one album never overwrite each other's dialog data.
    dp = Dispatcher(
        storage=SQLiteStorage(dependencies["db"]),
        events_isolation=SimpleEventIsolation(),
        **dependencies,
    )
    inflight = InflightUpdates()
    dp.update.outer_middleware(inflight)
    dp["inflight"] = inflight
    dp["info_dialogs"] = InfoDialogs(dp.storage)
    # On the update, so no kind of update slips past them: bans, then the group's membership.
    dp.update.outer_middleware(BanMiddleware())
    dp.update.outer_middleware(EngineerMiddleware())
    partner_mw = PartnerMiddleware()
    dp.message.outer_middleware(partner_mw)
    dp.callback_query.outer_middleware(partner_mw)
    dp.include_routers(*get_routers())
    return dp


def make_schedule(settings: Settings) -> Schedule:
    try:
        calendar = ProductionCalendar.from_directory(settings.calendar_dir)
    except CalendarError as exc:
        raise SettingsError(f"CALENDAR_DIR: {exc}") from None
    return Schedule(calendar, settings.work_start, settings.work_end, settings.shortened_day_hours)


def make_catalogue(settings: Settings) -> CatalogueService:
    root = settings.firmware_catalogue_dir
    if not root.is_dir():
        raise SettingsError(f"FIRMWARE_CATALOGUE_DIR: folder {root} does not exist")
    try:
        catalogue = Catalogue.load(root)
    except CatalogueError as exc:
        raise SettingsError(f"FIRMWARE_CATALOGUE_DIR: {exc}") from None
    if len(catalogue) == 0:
        log.warning("The firmware catalogue in %s holds no models", root)
    return CatalogueService(root, catalogue)


async def build_app(settings: Settings, *, clock: Clock | None = None) -> App:
    clock = clock or SystemClock()
    keep_response_models()
    schedule = make_schedule(settings)
    catalogue = make_catalogue(settings)
    if not settings.bulletins_dir.is_dir():
        raise SettingsError(f"BULLETINS_DIR: folder {settings.bulletins_dir} does not exist")
    db = await Database.open(settings.database_path)
    try:
        knowledge = KnowledgeService(db=db, bulletins_dir=settings.bulletins_dir)
        await knowledge.sync_bulletins()
        partners = PartnerRepository(db)
        case_repo = CaseRepository(db)
        links = MessageLinkRepository(db)
        direct_retry = DirectRetry()
        bot = make_bot(settings, direct_retry)
        outbox = Outbox(bot=bot, db=db, settings=settings, clock=clock, cases=case_repo, partners=partners)
        direct_retry.on_retry_after = outbox.note_retry_after
        membership = Membership(telegram_lookup(bot), settings.engineers_chat_id, clock)
        alerts = AdminAlerts(db=db, outbox=outbox, settings=settings, schedule=schedule)
        mail = (MailSender(bot=bot, db=db, settings=settings, cases=case_repo, partners=partners, alerts=alerts)
                if settings.mail_enabled else None)
        cases = CaseService(db=db, cases=case_repo, outbox=outbox, clock=clock, settings=settings, schedule=schedule,
                            buttons=keyboards, membership=membership, knowledge=knowledge, mail=mail)
        intake = IntakeService(cases=cases, catalogue=catalogue, label_ocr=settings.label_ocr, knowledge=knowledge)
        debouncer = Debouncer()
        error_reports = ErrorReports(clock=clock)
        broadcasts = Broadcasts(db=db, outbox=outbox, partners=partners)
        engineers = EngineerRepository(db)
        group_check = GroupCheck(probe=telegram_probe(bot, outbox.topics), groups=[settings.engineers_chat_id])
        dp = make_dispatcher(
            settings=settings, db=db, clock=clock, partners=partners, case_repo=case_repo, links=links,
            outbox=outbox, cases=cases, intake=intake, schedule=schedule, catalogue=catalogue, debouncer=debouncer,
            alerts=alerts, broadcasts=broadcasts, engineers=engineers, membership=membership,
            contacts=Contacts(partners),
            administration=Administration(cases=case_repo, partners=partners, engineers=engineers,
                                          membership=membership, settings=settings, mail=MailOutboxRepository(db)),
            error_reports=error_reports, knowledge=knowledge, group_check=group_check,
        )
    except BaseException:
        await db.close()
        raise
    app = App(
        settings=settings, bot=bot, dp=dp, db=db, clock=clock, partners=partners, cases=cases, intake=intake,
        outbox=outbox, schedule=schedule, catalogue=catalogue, debouncer=debouncer, alerts=alerts,
        broadcasts=broadcasts, group_check=group_check, mail=mail,
    )
    if mail is not None:
        from bot.delivery.mail_in import MailInbox

        app.mail_inbox = MailInbox(bot=bot, db=db, settings=settings, cases=case_repo, outbox=outbox, mail=mail)
    dp.startup.register(app.on_startup)
    return app
