"""Admin commands in a private chat with the bot: reloading the catalogue and the calendar,
and adding a year's production calendar by sending its file."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import Message

from bot import texts
from bot.services.calendar import CalendarError, store_calendar_file
from bot.services.catalogue import CatalogueService
from bot.services.schedule import Schedule
from handlers.filters import Admin

log = logging.getLogger(__name__)

router = Router(name=__name__)
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
async def cmd_reload(message: Message, catalogue: CatalogueService, schedule: Schedule) -> None:
    report = await catalogue.reload()
    await message.answer(texts.catalogue_report(report) + "\n\n" + await reload_calendar(schedule))


@router.message(F.document.file_name.lower().endswith(".xml"))
async def on_calendar_file(message: Message, bot: Bot, schedule: Schedule) -> None:
    document = message.document
    if document.file_size and document.file_size > MAX_CALENDAR_BYTES:
        await message.answer(texts.CALENDAR_BAD.format(error="файл слишком большой для календаря"))
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
