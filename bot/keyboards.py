"""Keyboards: the partner's main menu and the inline buttons the bot attaches to messages."""

from __future__ import annotations

from functools import lru_cache

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot import texts
from bot.callbacks import CaseCb, FeedbackCb, FirmwareCb, InfoCb
from bot.domain import Action, Case, card_actions


# Rows of (label, callback data): what services store in outbox payloads ("buttons") and hand around;
# aiogram's keyboard objects are built from them only when a message is sent.
Rows = list[list[tuple[str, str]]]


def main_menu_rows() -> list[list[str]]:
    return [[texts.MENU_NEW_CASE, texts.MENU_MY_CASES], [texts.MENU_FIRMWARE, texts.MENU_CONTACTS]]


def menu(rows: list[list[str]]) -> ReplyKeyboardMarkup:
    """The partner's menu under the input field, from rows of labels."""
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=label) for label in row] for row in rows],
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder=texts.MENU_PLACEHOLDER,
    )


# aiogram's models are frozen, so the one menu most answers carry is built once.
@lru_cache(maxsize=1)
def main_menu() -> ReplyKeyboardMarkup:
    return menu(main_menu_rows())


def inline(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of (text, callback data)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d) for t, d in row] for row in rows]
    )


# The card's lifecycle buttons, by what they do; which of them a card shows is the transition table's say.
CARD_LIFECYCLE = {
    Action.CLAIM: texts.BTN_CLAIM,
    Action.UNCLAIM: texts.BTN_UNCLAIM,
    Action.CLOSE: texts.BTN_CLOSE,
    Action.REOPEN: texts.BTN_REOPEN,
}


def case_card_rows(case: Case, levels: tuple[int, ...] = (1, 2, 3)) -> Rows:
    actions = card_actions(case.status)

    def button(text: str, action: str, value: int = 0) -> tuple[str, str]:
        return text, CaseCb(action=action, case_id=case.id, value=value).pack()

    rows: Rows = []
    lifecycle = [button(label, action.value) for action, label in CARD_LIFECYCLE.items() if action in actions]
    if lifecycle:
        rows.append(lifecycle)
    if Action.CANNED in actions:
        rows.append([button(texts.BTN_CANNED, Action.CANNED.value)])
    if Action.SET_LEVEL in actions:
        rows.append([button(texts.level_button(level, chosen=level == case.level), Action.SET_LEVEL.value, level)
                     for level in levels])
    return rows


def case_card(case: Case, levels: tuple[int, ...] = (1, 2, 3)) -> InlineKeyboardMarkup | None:
    rows = case_card_rows(case, levels)
    return inline(rows) if rows else None


def solved_question_rows(case_id: int) -> Rows:
    return [[
        (texts.BTN_SOLVED, FeedbackCb(action="solved", case_id=case_id).pack()),
        (texts.BTN_UNSOLVED, FeedbackCb(action="unsolved", case_id=case_id).pack()),
    ]]


def solved_question(case_id: int) -> InlineKeyboardMarkup:
    return inline(solved_question_rows(case_id))


def rating(case_id: int) -> InlineKeyboardMarkup:
    return inline([[(str(n), FeedbackCb(action="rate", case_id=case_id, value=n).pack()) for n in range(1, 6)]])


def skip_comment(case_id: int) -> InlineKeyboardMarkup:
    return inline([[(texts.BTN_SKIP, FeedbackCb(action="skip", case_id=case_id).pack())]])


def info_done_rows(case_id: int) -> Rows:
    return [[(texts.BTN_INFO_DONE, InfoCb(case_id=case_id).pack())]]


def info_done(case_id: int) -> InlineKeyboardMarkup:
    return inline(info_done_rows(case_id))


def canned_reply_rows(case_id: int, items) -> Rows:
    return [[(texts.scope_button(item.key), CaseCb(action="reply", case_id=case_id, value=index).pack())]
            for index, item in enumerate(items)]


def canned_preview(case_id: int, index: int) -> InlineKeyboardMarkup:
    return inline([[(texts.BTN_CANNED_SEND, CaseCb(action="reply_send", case_id=case_id, value=index).pack()),
                    (texts.BTN_CANNED_CANCEL, CaseCb(action="reply_cancel", case_id=case_id, value=index).pack())]])


def canned_replies(case_id: int, items) -> InlineKeyboardMarkup:
    return inline(canned_reply_rows(case_id, items))


def firmware_candidates(result, catalogue) -> InlineKeyboardMarkup | None:
    """One button per offered model; the button carries the model's position, never its name (64 bytes)."""
    rows = []
    for match in result.candidates:
        index = catalogue.index_of(match.model)
        if index is not None:
            rows.append([(texts.model_button(match), FirmwareCb(entry=index, version=catalogue.version).pack())])
    return inline(rows) if rows else None
