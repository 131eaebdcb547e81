"""The StatesGroups of every multi-step conversation."""

from aiogram.fsm.state import State, StatesGroup


class Intake(StatesGroup):
    """The steps of dialogs/intake.py's STEPS, each state named as its step, and the states of a step's parts."""

    request_type = State()
    brand = State()
    brand_other = State()
    label = State()
    model = State()
    serial = State()
    description = State()
    bulletins = State()
    attachments = State()
    web_access = State()
    contact = State()
    contact_confirm = State()  # the contact's confirmation before drafts had a version: now `contact`
    contact_name = State()
    contact_company = State()
    contact_phone = State()
    summary = State()
    edit = State()
    resume = State()


class FirmwareLookup(StatesGroup):
    query = State()


class InfoRequest(StatesGroup):
    answer = State()


class Rating(StatesGroup):
    comment = State()


class Broadcast(StatesGroup):
    text = State()
    confirm = State()
