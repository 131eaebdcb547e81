"""Partner commands that are one step: /start, /help, /cancel outside a dialog, the contacts item."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot import keyboards, texts
from bot.clock import Clock
from bot.config import Settings
from bot.services.schedule import Schedule
from bot.routing import RouterRecipe
from bot.services.cases import CaseService
from dialogs.intake import leave_dialog
from dialogs.firmware import answer_lookup
from dialogs.states import FirmwareLookup, Intake
from bot.telegram.filters import PrivateChat

router = RouterRecipe(__name__)  # built afresh per Dispatcher: handlers.get_routers()
router.message.filter(PrivateChat())


@router.message(CommandStart())
async def cmd_start(message: Message, state: FSMContext, schedule: Schedule, clock: Clock) -> None:
    # /start always brings the partner back to the menu; a half-filled case stays in the
    # state data, and "New case" offers to resume it.
    await leave_dialog(state)
    await message.answer(
        texts.greeting(
            message.from_user.first_name if message.from_user else "",
            texts.status_line(schedule, clock.now()),
        ),
        reply_markup=keyboards.main_menu(),
    )


@router.message(Command("help"))
async def cmd_help(message: Message) -> None:
    await message.answer(texts.HELP_PARTNER, reply_markup=keyboards.main_menu())


async def pause_notice(message: Message, state: FSMContext) -> None:
    if await leave_dialog(state):
        await message.answer(texts.INTAKE_PAUSED)


@router.message(F.text == texts.MENU_MY_CASES)
@router.message(Command("cases"))
async def on_my_cases(message: Message, state: FSMContext, cases: CaseService) -> None:
    await pause_notice(message, state)
    mine = await cases.for_partner(message.from_user.id)
    await message.answer(texts.my_cases(mine), reply_markup=keyboards.main_menu())


@router.message(F.text == texts.MENU_FIRMWARE)
async def on_firmware_menu(message: Message, state: FSMContext) -> None:
    await pause_notice(message, state)
    await state.set_state(FirmwareLookup.query)
    await message.answer(texts.FIRMWARE_ASK)


@router.message(Command("cancel"))
async def cmd_cancel(message: Message, state: FSMContext) -> None:
    current = await state.get_state()
    if current is None:
        await message.answer(texts.NOTHING_TO_CANCEL, reply_markup=keyboards.main_menu())
        return
    if current in Intake.__all_states_names__:
        await state.clear()  # cancelling a case drops its draft too
        await message.answer(texts.INTAKE_CANCELLED, reply_markup=keyboards.main_menu())
        return
    await state.set_state(None)
    await message.answer(texts.CANCELLED, reply_markup=keyboards.main_menu())


@router.message(Command("firmware"))
async def cmd_firmware(
    message: Message, command: CommandObject, state: FSMContext, catalogue, settings: Settings
) -> None:
    await pause_notice(message, state)
    if command.args and command.args.strip():
        await answer_lookup(message, command.args.strip()[:100], catalogue, settings)
        return
    await state.set_state(FirmwareLookup.query)
    await message.answer(texts.FIRMWARE_ASK)


@router.message(F.text == texts.MENU_CONTACTS)
@router.message(Command("hours", "contacts"))
async def on_contacts(message: Message, state: FSMContext, schedule: Schedule, clock: Clock) -> None:
    await pause_notice(message, state)
    await message.answer(texts.hours_card(schedule, clock.now()), reply_markup=keyboards.main_menu())
