"""The partner's intake dialog: each step's question, hints, buttons and the summary."""

from __future__ import annotations

from html import escape

from bot.domain import RequestType
from bot.texts.common import request_type_label


# --- the intake dialog ----------------------------------------------------------------------------

INTAKE_TYPE = (
    "<b>Новая заявка</b>\n\nС чем нужна помощь? Выберите тип обращения.\n"
    "В любой момент можно написать /cancel, чтобы прервать."
)
INTAKE_TYPE_HINT = "Пожалуйста, выберите тип обращения кнопкой под сообщением."
INTAKE_BRAND = "Оборудование какой марки?"
INTAKE_BRAND_HINT = "Выберите марку кнопкой под сообщением."
INTAKE_BRAND_OTHER = "Напишите марку оборудования."
# The example under the model question follows the brand the partner chose.
MODEL_EXAMPLES = {"Dahua": "DH-IPC-HFW2431SP-S-0280B", "ATIX": "AT-NC-4B4M-2.8"}


def intake_model(brand: str | None) -> str:
    example = MODEL_EXAMPLES.get(brand or "")
    shown = f" (например, {example})" if example else ""
    return (
        f"Напишите модель устройства так, как она указана на наклейке или в веб-интерфейсе{shown}.\n\n"
        "📷 Или пришлите фото наклейки с корпуса: модель и серийный номер прочитаются с неё. "
        "Снимите её близко и прямо; фото, отправленное файлом, получается чётче."
    )


INTAKE_MODEL = intake_model("Dahua")
INTAKE_MODEL_HINT = "Пришлите модель текстом. Если не знаете её, сфотографируйте наклейку на корпусе."
INTAKE_MODEL_CANDIDATES = "Точного совпадения нет. Возможно, вы имели в виду одну из этих моделей?"
INTAKE_MODEL_FAMILY = (
    "Так начинается название нескольких моделей. Выберите свою — объектив указан на кнопке "
    "(и на коробке, и на наклейке)."
)
INTAKE_MODEL_NOT_FOUND = (
    "Модель «{model}» не нашлась в каталоге. Проверьте написание по наклейке на корпусе и "
    "пришлите ещё раз, или пришлите фото наклейки. Можно оставить модель как написано."
)
BTN_MODEL_NOT_LISTED = "Моей модели нет в списке"
BTN_KEEP_AS_TYPED = "Оставить как написано"
INTAKE_SERIAL = (
    "Серийный номер устройства (S/N на наклейке или в веб-интерфейсе). Он поможет инженеру. "
    "Можно прислать фото наклейки. Если номера нет под рукой, нажмите кнопку ниже."
)
INTAKE_SERIAL_BAD = "Серийный номер «{value}» не подходит: {problem}. Проверьте и пришлите ещё раз."
INTAKE_SERIAL_HINT = "Пришлите серийный номер текстом или нажмите «Нет под рукой»."
BTN_SERIAL_MISSING = "Нет под рукой"
INTAKE_DESCRIPTION = (
    "Опишите проблему или вопрос: что делали, что ожидали увидеть и что происходит на самом деле. "
    "Чем точнее, тем быстрее ответ."
)
INTAKE_DESCRIPTION_SHORT = (
    "Пока мало подробностей. Допишите, пожалуйста, хотя бы одно предложение: что делали и что "
    "происходит — так инженер быстрее поможет."
)
INTAKE_DESCRIPTION_VOICE = (
    "Голосовое сообщение приложено к заявке. Добавьте, пожалуйста, хотя бы одну строку текстом — "
    "по ней инженеры быстрее поймут суть."
)
INTAKE_DESCRIPTION_HINT = "Пришлите описание текстом."
INTAKE_ATTACHMENTS = (
    "Приложите то, что поможет разобраться: фото настроек, скриншоты, видео проблемы, "
    "журнал (лог) устройства, файл конфигурации. До {limit} файлов, можно альбомом.\n"
    "Когда закончите, нажмите «Готово»."
)
INTAKE_ATTACHMENT_ADDED = "Добавлено файлов: {count} из {limit}. Пришлите ещё или нажмите «Готово»."
INTAKE_ATTACHMENT_LIMIT = "К заявке можно приложить не больше {limit} файлов; не добавлено: {rejected}."
INTAKE_ATTACHMENT_HINT = "Пришлите фото, видео или файл — или нажмите «Готово»."
BTN_DONE = "Готово"
BTN_SKIP = "Пропустить"
INTAKE_WEB_ACCESS = (
    "Если понадобится, можно ли инженеру получить веб-доступ к устройству — чтобы посмотреть "
    "его настройки и журнал? Без вашего согласия ничего не меняется."
)
INTAKE_WEB_ACCESS_HINT = "Ответьте кнопкой: «Да» или «Нет»."
BTN_YES = "Да"
BTN_NO = "Нет"
INTAKE_CONTACT_CONFIRM = "Ваши контактные данные:\n{contact}\n\nВсё верно?"
BTN_CONTACT_OK = "Всё верно"
BTN_CONTACT_EDIT = "Изменить"
INTAKE_CONTACT_NAME = "Как к вам обращаться? Напишите имя и фамилию."
INTAKE_CONTACT_NAME_HINT = "Напишите имя текстом."
INTAKE_CONTACT_COMPANY = "Название вашей компании (или нажмите «Пропустить», если вы частное лицо)."
INTAKE_CONTACT_PHONE = (
    "Телефон для связи: нажмите «Поделиться номером» или напишите его (например, +7 999 123-45-67)."
)
INTAKE_CONTACT_PHONE_BAD = "Номер «{value}» не подходит: {problem}."
INTAKE_CONTACT_NOT_OWN = "Это чужой контакт. Поделитесь своим номером кнопкой или напишите его."
BTN_SHARE_PHONE = "📱 Поделиться номером"
INTAKE_SUMMARY_HEAD = "<b>Проверьте заявку</b>"
INTAKE_SUMMARY_HINT = "Нажмите «Отправить», «Изменить» или «Отменить» под сводкой."
BTN_SEND = "📨 Отправить"
BTN_EDIT = "✏️ Изменить"
BTN_CANCEL = "✖️ Отменить"
INTAKE_EDIT = "Что изменить?"
INTAKE_CANCELLED = "Заявка отменена. Если понадобится — начните заново из меню."
INTAKE_ALREADY_SENT = "Эта заявка уже отправлена."
CASE_ALREADY_SENT = "Заявка {number} уже отправлена и принята."
INTAKE_EXPIRED = "Эта кнопка относится к шагу, который уже пройден."
INTAKE_DRAFT_FOUND = "У вас есть незаконченная заявка. Продолжить её или начать заново?"
BTN_RESUME = "Продолжить"
BTN_RESTART = "Начать заново"
INTAKE_UNKNOWN_COMMAND = (
    "Такой команды нет. Продолжим заявку — или /cancel, чтобы её прервать, /start — в главное меню."
)
INTAKE_PAUSED = "Заполнение заявки приостановлено, черновик сохранён. Продолжить можно через «Новая заявка»."
CASE_ACCEPTED = "✅ Заявка <b>{number}</b> принята, ответ придёт в этот чат."
FULL_DESCRIPTION = "<b>Описание полностью:</b>"


def case_accepted(number: str, notes: list[str]) -> str:
    """The answer to "Send", with what the partner should know besides (hours, say)."""
    return "\n".join([CASE_ACCEPTED.format(number=number), *notes])

# The steps partners can go back to from the summary, by step name.
EDIT_LABELS = {
    "request_type": "Тип обращения",
    "brand": "Марка",
    "model": "Модель",
    "serial": "Серийный номер",
    "description": "Описание",
    "attachments": "Вложения",
    "web_access": "Веб-доступ",
    "contact": "Контакты",
}


def case_claimed_for_partner(number: str, engineer_name: str) -> str:
    return f"👨‍🔧 Вашей заявкой {number} занимается {escape(engineer_name)}, инженер поддержки. Ответ придёт в этот чат."


def contact_block(name: str, company: str | None, phone: str) -> str:
    lines = [f"Имя: {escape(name)}"]
    if company:
        lines.append(f"Компания: {escape(company)}")
    lines.append(f"Телефон: {escape(phone)}")
    return "\n".join(lines)


def draft_summary(lines: list[str]) -> str:
    """The summary above "Send": one line per step the draft went through (the dialog's STEPS)."""
    return "\n".join([INTAKE_SUMMARY_HEAD, "", *lines])


def summary_type(kind: RequestType) -> str:
    return f"<b>Тип:</b> {escape(request_type_label(kind))}"


def summary_equipment(brand: str | None, model: str | None, matched: bool) -> str:
    shown = escape(model or "—")
    if model and not matched:
        shown += " (нет в каталоге)"
    return f"<b>Оборудование:</b> {escape(brand or '—')} {shown}"


def summary_serial(serial: str | None) -> str:
    return f"<b>Серийный номер:</b> {escape(serial) if serial else 'нет под рукой'}"


def summary_description(description: str | None) -> str:
    text = description or ""
    if len(text) > 1500:
        text = text[:1500] + " …"
    return f"<b>Описание:</b> {escape(text)}"


def summary_attachments(count: int) -> str:
    return f"<b>Вложений:</b> {count}"


def summary_web_access(allowed: bool | None) -> str:
    return f"<b>Веб-доступ:</b> {'—' if allowed is None else ('разрешён' if allowed else 'не разрешён')}"


def summary_contact(contact: dict | None) -> str | None:
    if not contact:
        return None
    return "<b>Контакты:</b> " + ", ".join(
        escape(v) for v in (contact.get("name"), contact.get("company"), contact.get("phone")) if v)


# --- the label photo --------------------------------------------------------------------------------

INTAKE_LABEL_UNREADABLE_MODEL = (
    "Не получилось прочитать наклейку на фото (оно приложено к заявке). Напишите, пожалуйста, модель текстом."
)
INTAKE_LABEL_UNREADABLE_SERIAL = (
    "Не получилось прочитать серийный номер на фото (оно приложено к заявке). Напишите его текстом "
    "или нажмите «Нет под рукой»."
)
INTAKE_LABEL_TOO_BIG = (
    "Файл больше 20 МБ, такой прочитать не получится (он приложен к заявке). Пришлите фото поменьше "
    "или напишите текстом."
)
INTAKE_LABEL_HINT = "Ответьте кнопкой под сообщением: «Да, верно» или «Исправить»."
INTAKE_LABEL_FIX = "Хорошо, введём вручную."
BTN_LABEL_YES = "✅ Да, верно"
BTN_LABEL_FIX = "✏️ Исправить"


def label_confirm(model: str | None, serial: str | None) -> str:
    """One question for everything read off the label."""
    parts = []
    if model:
        parts.append(f"модель <b>{escape(model)}</b>")
    if serial:
        parts.append(f"S/N <code>{escape(serial)}</code>")
    return f"На наклейке: {', '.join(parts)} — всё верно?"


# Text typed at the attachments step joins the description under this mark.
DESCRIPTION_ADDENDUM = "Дополнение:"
INTAKE_FILE_KEPT = "Файл сохранён: он уйдёт инженерам вместе с заявкой, если её придётся отправить."
INTAKE_ATTACHMENT_TEXT_ADDED = (
    "Текст добавлен к описанию заявки. Пришлите файлы или нажмите «Готово»."
)


BTN_OTHER_BRAND = "Другая марка"
BTN_BACK_TO_SUMMARY = "↩️ К сводке"


def chosen_model(model: str) -> str:
    return f"✔️ Модель: <b>{escape(model)}</b>"


def chosen_serial(serial: str) -> str:
    return f"✔️ Серийный номер: <code>{escape(serial)}</code>"


def chosen_phone(phone: str) -> str:
    return f"✔️ Телефон: {escape(phone)}"


# Why an answer was refused (bot.services.intake_rules.Check.problem), after "не подходит:".
CHECK_PROBLEMS = {
    "empty": "номер пустой",
    "empty_line": "пусто",
    "dahua_not_latin": "в серийном номере Dahua только латинские буквы и цифры, а здесь есть «{bad}»",
    "dahua_length": "у Dahua серийный номер из 15 знаков, а здесь {length}",
    "serial_too_short": "слишком короткий номер",
    "serial_too_long": "слишком длинный номер",
    "serial_characters": "допустимы латинские буквы, цифры, дефис и косая черта",
    "description_too_short": "слишком коротко",
    "phone_not_digits": "в номере должны быть только цифры",
    "phone_shape": "нужен номер вида +7 999 123-45-67",
    "too_long": "не больше {limit} символов",
}


def check_problem(check) -> str:
    """The refusal in words, HTML-escaped (the details hold what the partner typed)."""
    return escape(CHECK_PROBLEMS[check.problem].format(**check.details))


# Answers at the serial step that mean the partner does not have it at hand, like the button.
SERIAL_NOT_AT_HAND_ANSWERS = frozenset({"не знаю", "незнаю", "нет", "нету", "нет под рукой", "не помню"})
