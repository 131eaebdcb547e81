"""Admin commands in a private chat with the bot: statistics, export, bans, reloading the
catalogue and the calendar (or adding a year's calendar by sending its file), the engineers."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot, F
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message

from bot import keyboards, texts
from bot.clock import Clock
from bot.services import chart, stats
from bot.services.admin_alerts import AdminAlerts
from bot.services.administration import Administration, BanRefusal
from bot.services.calendar import CalendarError, store_calendar_file
from bot.services.catalogue import CatalogueService
from bot.services.group_check import GroupCheck
from bot.services.knowledge import KnowledgeService
from bot.delivery.outbox import Outbox
from bot.services.schedule import Schedule
from bot.visible_text import clean, is_blank
from bot.routing import RouterRecipe
from bot.telegram.filters import Admin

log = logging.getLogger(__name__)

router = RouterRecipe(__name__)  # built afresh per Dispatcher: handlers.get_routers()
router.message.filter(Admin())

MAX_CALENDAR_BYTES = 1_000_000


@router.message(Command("reload_catalogue"))
async def cmd_reload_catalogue(message: Message, catalogue: CatalogueService) -> None:
    report = await catalogue.reload()
    await message.answer(texts.catalogue_report(report))


async def reload_calendar(schedule: Schedule) -> str:
    calendar = schedule.calendar
    before = calendar.years_from_files
    try:
        await asyncio.to_thread(calendar.load)
    except CalendarError as exc:
        return texts.calendar_report(before, before, error=str(exc))
    return texts.calendar_report(before, calendar.years_from_files)


@router.message(Command("reload"))
async def cmd_reload(message: Message, catalogue: CatalogueService, schedule: Schedule, outbox: Outbox,
                     knowledge: KnowledgeService, group_check: GroupCheck, alerts: AdminAlerts) -> None:
    report = await catalogue.reload()
    answer = texts.catalogue_report(report) + "\n\n" + await reload_calendar(schedule)
    answer += "\n\n" + texts.bulletins_report(await knowledge.sync_bulletins())
    # The group's set-up again (getChat, getChatMember): what the operator fixed, what is still wrong.
    reports = await group_check.run()
    if groups := texts.setup_report(reports):
        answer += "\n\n" + groups
    await alerts.report_group_fixes(reports, besides=message.from_user.id)
    # An operator who fixed the group's rights says so with /reload: what waited goes out now.
    if retried := await outbox.retry_held():
        answer += "\n\n" + texts.outbox_retried(retried)
    await message.answer(answer)


@router.message(F.document.file_name.lower().endswith(".xml"))
async def on_calendar_file(message: Message, bot: Bot, schedule: Schedule) -> None:
    document = message.document
    if document.file_size and document.file_size > MAX_CALENDAR_BYTES:
        await message.answer(texts.CALENDAR_BAD.format(error=texts.CALENDAR_TOO_BIG))
        return
    data = await bot.download(document.file_id)
    directory = schedule.calendar.directory
    try:
        year = await asyncio.to_thread(store_calendar_file, directory, data.read(), document.file_name)
        await asyncio.to_thread(schedule.calendar.load)
    except CalendarError as exc:
        await message.answer(texts.CALENDAR_BAD.format(error=texts.escape(str(exc))))
        return
    log.info("Admin %s added the production calendar for %s", message.from_user.id, year.year)
    await message.answer(texts.CALENDAR_SAVED.format(year=year.year, file=texts.escape(f"{year.year}.xml")))


@router.message(Command("help"))
async def cmd_help(message: Message) -> None:
    await message.answer(texts.HELP_ADMIN + "\n\n" + texts.HELP_PARTNER, reply_markup=keyboards.main_menu())


@router.message(Command("stats"))
async def cmd_stats(message: Message, command: CommandObject, administration: Administration, schedule: Schedule,
                    clock: Clock, knowledge: KnowledgeService) -> None:
    now = clock.now()
    try:
        period = stats.parse_period(command.args or "", now)
    except stats.PeriodError as exc:
        await message.answer(texts.stats_bad_period(exc))
        return
    cases = await administration.cases_between(period.start, period.end)
    answered = await knowledge.bulletin_answers_between(period.start, period.end)
    result = stats.compute(cases, period, schedule, now, await administration.helpdesk_copies(cases),
                           bulletin_answers=answered)
    await message.answer(texts.stats_report(result))
    if result.total and len(period.days) > 1:
        image = chart.cases_per_day(period.days, result.by_day)
        await message.answer_photo(BufferedInputFile(image, "cases-per-day.png"),
                                   caption=texts.STATS_CHART_CAPTION.format(period=period.label))


@router.message(Command("export"))
async def cmd_export(message: Message, command: CommandObject, administration: Administration, clock: Clock) -> None:
    try:
        period = stats.parse_period(command.args or "", clock.now(), default_days=30)
    except stats.PeriodError as exc:
        await message.answer(texts.stats_bad_period(exc))
        return
    cases = await administration.cases_between(period.start, period.end)
    if not cases:
        await message.answer(texts.EXPORT_EMPTY.format(period=period.label))
        return
    data = await administration.export_csv(cases)
    name = f"cases-{period.start:%Y%m%d}-{(period.end.date()):%Y%m%d}.csv"
    await message.answer_document(BufferedInputFile(data, name),
                                  caption=texts.EXPORT_CAPTION.format(period=period.label, count=len(cases)))


@router.message(Command("ban", "unban"))
async def cmd_ban(message: Message, command: CommandObject, administration: Administration) -> None:
    banning = command.command == "ban"
    args = (command.args or "").split(maxsplit=1)
    if not args:
        await message.answer(texts.BAN_USAGE if banning else texts.UNBAN_USAGE)
        return
    reason = clean(args[1]).strip() if len(args) > 1 and not is_blank(args[1]) else None
    result = await administration.set_banned(args[0], banning, reason)
    if result.refusal is BanRefusal.NOT_FOUND:
        await message.answer(texts.BAN_NOT_FOUND.format(target=texts.escape(args[0][:30])))
        return
    if result.refusal is BanRefusal.ADMIN:
        await message.answer(texts.BAN_ADMIN)
        return
    partner_id = result.partner_id
    log.info("Admin %s %s partner %s", message.from_user.id, "banned" if banning else "unbanned", partner_id)
    await message.answer(texts.banned(partner_id, reason) if banning else texts.unbanned(partner_id))


@router.message(Command("engineers"))
async def cmd_engineers(message: Message, administration: Administration) -> None:
    await message.answer(texts.engineers_list(await administration.engineers_overview()))
