"""The StatesGroups of every multi-step conversation."""

from aiogram.fsm.state import State, StatesGroup


class Intake(StatesGroup):
    request_type = State()
    brand = State()
    brand_other = State()
    model = State()
    serial = State()
    description = State()
    attachments = State()
    web_access = State()
    contact_confirm = State()
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
