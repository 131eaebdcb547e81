"""Keyboards: the partner's main menu and the inline buttons the bot attaches to messages."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot import texts
from bot.callbacks import CaseCb, FeedbackCb, FirmwareCb, InfoCb
from bot.domain import Case, Status


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


def from_stored(markup: dict[str, Any] | None) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    """A keyboard kept as JSON in the outbox: buttons under a message, or the menu under the input."""
    if not markup:
        return None
    if "keyboard" in markup:
        return ReplyKeyboardMarkup.model_validate(markup)
    return InlineKeyboardMarkup.model_validate(markup)


def inline(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of (text, callback data)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d) for t, d in row] for row in rows]
    )


def case_card(case: Case, levels: tuple[int, ...] = (1, 2, 3)) -> InlineKeyboardMarkup | None:
    def button(text: str, action: str, value: int = 0) -> tuple[str, str]:
        return text, CaseCb(action=action, case_id=case.id, value=value).pack()

    rows: list[list[tuple[str, str]]] = []
    if case.status == Status.NEW:
        rows.append([button("✋ Взять в работу", "claim")])
    elif case.status in (Status.CLAIMED, Status.WAITING, Status.VENDOR):
        rows.append([button("↩️ В очередь", "unclaim"), button("🔒 Закрыть", "close")])
    else:
        rows.append([button("🔄 Открыть снова", "reopen")])
    if case.status.is_open:
        rows.append([button("📋 Шаблоны ответов", "canned")])
        rows.append([
            (("✓ " if level == case.level else "") + f"Уровень {level}",
             CaseCb(action="level", case_id=case.id, value=level).pack())
            for level in levels
        ])
    return inline(rows) if rows else None


def solved_question(case_id: int) -> InlineKeyboardMarkup:
    return inline([[
        ("👍 Да, решена", FeedbackCb(action="solved", case_id=case_id).pack()),
        ("👎 Нет", FeedbackCb(action="unsolved", case_id=case_id).pack()),
    ]])


def rating(case_id: int) -> InlineKeyboardMarkup:
    return inline([[(str(n), FeedbackCb(action="rate", case_id=case_id, value=n).pack()) for n in range(1, 6)]])


def skip_comment(case_id: int) -> InlineKeyboardMarkup:
    return inline([[("Пропустить", FeedbackCb(action="skip", case_id=case_id).pack())]])


def info_done(case_id: int) -> InlineKeyboardMarkup:
    return inline([[("✅ Готово", InfoCb(case_id=case_id).pack())]])


def canned_replies(case_id: int, items) -> InlineKeyboardMarkup:
    return inline([[(item.button, CaseCb(action="reply", case_id=case_id, value=index).pack())]
                   for index, item in enumerate(items)])


def firmware_candidates(result, catalogue) -> InlineKeyboardMarkup | None:
    """One button per offered model; the button carries the model's position, never its name (64 bytes)."""
    rows = []
    for match in result.candidates:
        index = catalogue.index_of(match.model)
        if index is not None:
            rows.append([(texts.model_button(match), FirmwareCb(entry=index, version=catalogue.version).pack())])
    return inline(rows) if rows else None
