"""Keyboards: the partner's main menu and the inline buttons the bot attaches to messages."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot import texts
from bot.callbacks import CaseCb
from bot.domain import Status
from bot.storage.cases import Case


def main_menu() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=texts.MENU_NEW_CASE), KeyboardButton(text=texts.MENU_MY_CASES)],
            [KeyboardButton(text=texts.MENU_FIRMWARE), KeyboardButton(text=texts.MENU_CONTACTS)],
        ],
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder="Выберите действие",
    )


def inline(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of (text, callback data)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d) for t, d in row] for row in rows]
    )


def case_card(case: Case, levels: tuple[int, ...] = (1, 2, 3)) -> InlineKeyboardMarkup | None:
    rows: list[list[tuple[str, str]]] = []
    if case.status == Status.NEW:
        rows.append([("✋ Взять в работу", CaseCb(action="claim", case_id=case.id).pack())])
    if case.status.is_open:
        rows.append([
            (("✓ " if level == case.level else "") + f"Уровень {level}",
             CaseCb(action="level", case_id=case.id, value=level).pack())
            for level in levels
        ])
    return inline(rows) if rows else None
