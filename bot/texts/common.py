"""Texts every audience shares: contacts, limits, time and status words, general answers."""

from __future__ import annotations

from html import escape

from bot.domain import RequestType, Status


PHONE = "8 (800) 777-36-12"
EMAIL = "911@tdtorus.ru"
PORTAL = "support.tdtorus.ru"


UNKNOWN_INPUT = "Мы не поняли сообщение. Выберите действие в меню ниже или напишите /help."
UNSUPPORTED_CONTENT = (
    "Такой тип сообщения бот не обрабатывает. Выберите действие в меню ниже или напишите /help."
)
NOTHING_TO_CANCEL = "Сейчас нечего отменять. Главное меню ниже."
CANCELLED = "Отменено. Главное меню ниже."
# A callback answer is a toast of at most 200 characters; the full apology goes to the chat.
CALLBACK_SORRY = "Не получилось. Попробуйте ещё раз чуть позже."


def error_report(update_id: int, update_type: str, kind: str, case_id: int | None, held_back: int) -> str:
    """What admins are told about a failed update: only ids and the error's type and place, never
    message text, names or phones."""
    lines = [f"⚠️ Ошибка при обработке обновления {update_id} ({escape(update_type)}): <code>{escape(kind)}</code>"]
    if case_id is not None:
        lines.append(f"Заявка №{case_id}.")
    if held_back:
        lines.append(f"С прошлого сообщения таких ошибок было ещё {held_back}, о них не сообщалось отдельно.")
    lines.append("Подробности — в журнале бота по номеру обновления.")
    return "\n".join(lines)


SORRY_ERROR = (
    "Извините, что-то пошло не так при обработке сообщения. Мы уже знаем об ошибке. "
    "Попробуйте ещё раз чуть позже."
)
# Sent once when a partner's messages arrive faster than the bot answers them; nothing is dropped.
FLOOD_WAIT = (
    "Сообщений пришло много сразу — мы ответим на все по порядку. Пожалуйста, подождите немного "
    "и не отправляйте их повторно."
)

BANNED_NOTICE = (
    "Доступ к боту для вашей учётной записи ограничен. Если это ошибка, свяжитесь с поддержкой: "
    f"{PHONE}, {EMAIL}."
)


TOPIC_COLOR = 0x6FB9F0  # one of the six colours Telegram accepts for topic icons
TOPIC_NAME_LIMIT = 128
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
TOPIC_RECREATED = "♻️ Тема заявки была удалена и создана заново; ниже — сообщение, которое не дошло."


def fmt_time(moment) -> str:
    return moment.strftime("%d.%m.%Y %H:%M") + " МСК"


STATUS_ICONS = {
    "new": "🆕",
    "claimed": "🛠",
    "waiting": "⏳",
    "vendor": "🏭",
    "resolved": "✅",
    "closed": "🔒",
}


REQUEST_TYPE_LABELS = {
    RequestType.GENERAL: "Вопрос о функциях",
    RequestType.DOCS: "Прошивки и документация",
    RequestType.CONFIG: "Проблема с настройкой",
    RequestType.MALFUNCTION: "Функция работает неверно",
    RequestType.WISH: "Пожелание к оборудованию",
}
STATUS_LABELS = {
    Status.NEW: "новая",
    Status.CLAIMED: "в работе",
    Status.WAITING: "ждёт ваш ответ",
    Status.VENDOR: "у производителя",
    Status.RESOLVED: "решена",
    Status.CLOSED: "закрыта",
}


# The same statuses as engineers and admins read them: "ждёт ваш ответ" is the partner's word.
ENGINEER_STATUS_LABELS = {
    Status.NEW: "новая",
    Status.CLAIMED: "в работе",
    Status.WAITING: "ждёт ответа партнёра",
    Status.VENDOR: "у производителя",
    Status.RESOLVED: "решена, ждёт подтверждения партнёра",
    Status.CLOSED: "закрыта",
}


def request_type_label(kind) -> str:
    return REQUEST_TYPE_LABELS[RequestType(kind)]


def status_label(status) -> str:
    """The status as the partner reads it."""
    return STATUS_LABELS[Status(status)]


def engineer_status_label(status) -> str:
    """The status as engineers and admins read it."""
    return ENGINEER_STATUS_LABELS[Status(status)]
