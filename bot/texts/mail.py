"""Texts of the HelpDesk bridge: the mails the HelpDesk gets (plain text and HTML) and the lines
about its replies that partners, engineers and admins see."""

from __future__ import annotations

import re
from html import escape, unescape

from bot.texts.common import fmt_time, request_type_label, status_label

__all__ = [
    "mail_subject", "case_mail_text", "case_mail_html", "event_mail_text", "event_mail_html",
    "helpdesk_reply_for_partner", "helpdesk_reply_for_topic", "helpdesk_file_caption", "MAIL_FILE_LIMIT_NOTE",
    "mail_failed_for_admins", "mail_unknown_sender", "mail_unknown_case", "MAIL_EMPTY_REPLY",
    "helpdesk_files_too_big",
]

MAIL_FILE_LIMIT_NOTE = "не вложены: больше лимита письма, файлы есть в Telegram"


def mail_subject(case) -> str:
    company = case.contact_company or case.contact_name
    return f"[Торус {case.number}] {case.model} — {company}"


def _fields(case, partner) -> list[tuple[str, str]]:
    """Every field of the case card, as (label, plain value)."""
    model = f"{case.brand} {case.model}" + ("" if case.model_matched else " (нет в каталоге)")
    fields = [
        ("Заявка", case.number),
        ("Статус", status_label(case.status)),
        ("Тип", request_type_label(case.request_type)),
        ("Оборудование", model),
        ("Серийный номер", case.serial or "нет под рукой"),
    ]
    if case.request_type.asks_web_access:
        access = {None: "—", True: "разрешён", False: "не разрешён"}[case.web_access]
        fields.append(("Веб-доступ к устройству", access))
    fields.append(("Контактное лицо", case.contact_name))
    if case.contact_company:
        fields.append(("Компания", case.contact_company))
    fields.append(("Телефон", case.contact_phone))
    telegram = f"id {case.partner_id}"
    if partner is not None and partner.username:
        telegram = f"@{partner.username}, {telegram}"
    fields.append(("Telegram", telegram))
    received = fmt_time(case.created_at)
    if case.after_hours:
        received += " — вне рабочего времени"
    fields.append(("Поступила", received))
    if case.due_at is not None:
        fields.append(("Реакция до", f"{fmt_time(case.due_at)} (уровень {case.level})"))
    if case.claimed_by_name:
        fields.append(("Инженер", case.claimed_by_name))
    if case.model_folders:
        fields.append(("Папка прошивок", case.model_folders[0]))
    return fields


def _files_line(attached: list[str], listed: list[str]) -> str:
    parts = []
    if attached:
        parts.append("вложены: " + ", ".join(attached))
    if listed:
        parts.append(MAIL_FILE_LIMIT_NOTE + ": " + ", ".join(listed))
    return "; ".join(parts) if parts else "нет"


def case_mail_text(case, partner, attached: list[str], listed: list[str]) -> str:
    lines = ["Новая заявка из Telegram-бота технической поддержки «Торус».", ""]
    lines += [f"{label}: {value}" for label, value in _fields(case, partner)]
    lines.append(f"Файлы: {_files_line(attached, listed)}")
    lines += ["", "Описание:", case.description, "",
              "Ответ на это письмо (с сохранением номера заявки в теме) получит партнёр в Telegram."]
    return "\n".join(lines) + "\n"


def case_mail_html(case, partner, attached: list[str], listed: list[str]) -> str:
    rows = "".join(
        f"<tr><th align=\"left\" valign=\"top\">{escape(label)}</th><td>{escape(value)}</td></tr>"
        for label, value in [*_fields(case, partner), ("Файлы", _files_line(attached, listed))]
    )
    description = escape(case.description).replace("\n", "<br>")
    return (
        "<html><body>"
        "<p>Новая заявка из Telegram-бота технической поддержки «Торус».</p>"
        f"<table cellpadding=\"4\">{rows}</table>"
        f"<h3>Описание</h3><p>{description}</p>"
        "<p><small>Ответ на это письмо (с сохранением номера заявки в теме) получит партнёр в Telegram.</small></p>"
        "</body></html>"
    )


def _plain(html_text: str) -> str:
    """Telegram HTML (as relayed) to plain text."""
    return unescape(re.sub(r"<[^>]+>", "", html_text or ""))


MEDIA_NAMES = {
    "photo": "фото", "video": "видео", "document": "файл", "voice": "голосовое сообщение", "audio": "аудио",
    "animation": "анимация", "video_note": "видеосообщение", "sticker": "стикер",
}


def event_mail_text(case, event: str, payload: dict) -> str:
    """One later event of the case, as the reply in its thread says it."""
    actor = payload.get("actor") or ""
    comment = payload.get("comment") or ""
    if event in ("partner_message", "engineer_message"):
        who = _plain(payload.get("header") or "").strip().rstrip(":") or (
            f"Партнёр {case.contact_name}" if event == "partner_message" else "Инженер")
        body = _plain(payload.get("text") or "")
        kind = payload.get("kind") or "text"
        if kind != "text":
            body = f"[{MEDIA_NAMES.get(kind, 'вложение')} — в Telegram]" + (f"\n{body}" if body else "")
        return f"{who}:\n\n{body}\n"
    if event == "claimed":
        return f"Заявкой {case.number} занимается {payload.get('engineer') or actor}, инженер поддержки.\n"
    if event == "info_requested":
        return f"По заявке {case.number} инженер поддержки ({actor}) запрашивает у партнёра сведения:\n\n{comment}\n"
    if event == "escalated":
        text = f"Заявка {case.number} передана производителю (инженер {actor})."
        return text + (f"\n\n{comment}\n" if comment else "\n")
    if event == "resolved":
        text = f"Заявка {case.number} решена (инженер {actor})."
        return text + (f"\n\nРешение:\n{comment}\n" if comment else "\n")
    if event == "closed":
        return f"Заявка {case.number} закрыта ({actor}).\n"
    if event == "reopened":
        return f"Заявка {case.number} снова открыта ({actor}).\n"
    if event == "rating":
        text = f"Оценка партнёра по заявке {case.number}: {payload.get('rating')} из 5."
        return text + (f"\nКомментарий: {comment}\n" if comment else "\n")
    return f"Заявка {case.number}: {event}.\n"


def event_mail_html(case, event: str, payload: dict) -> str:
    body = escape(event_mail_text(case, event, payload).strip()).replace("\n", "<br>")
    return f"<html><body><p>{body}</p></body></html>"


# --- replies from the HelpDesk, in Telegram (HTML) --------------------------------------------------

MAIL_EMPTY_REPLY = "(в письме нет текста)"


def helpdesk_reply_for_partner(number: str, body_html: str) -> str:
    """`body_html`: the reply's words, already escaped (and cut to fit a message)."""
    return f"📨 <b>HelpDesk</b> · заявка {escape(number)}\n{body_html}"


def helpdesk_reply_for_topic(body_html: str, sender: str) -> str:
    return f"📨 <b>HelpDesk</b> ({escape(sender)}), передано партнёру:\n{body_html}"


def helpdesk_file_caption(number: str, file_name: str) -> str:
    return f"📨 HelpDesk · заявка {escape(number)}: {escape(file_name)}"


def mail_failed_for_admins(number: str, error: str) -> str:
    return f"✉️ Письмо в HelpDesk по заявке {escape(number)} не принято почтовым сервером: {escape(error[:300])}"


def mail_unknown_sender(sender: str, subject: str) -> str:
    return f"✉️ Письмо от {escape(sender)} («{escape(subject[:120])}») никому не передано: отправителя нет в MAIL_ALLOWED_SENDERS."


def mail_unknown_case(sender: str, subject: str) -> str:
    return f"✉️ Письмо от {escape(sender)} («{escape(subject[:120])}») никому не передано: в нём не найден номер заявки."


def helpdesk_files_too_big(names: list[str]) -> str:
    """Files of a HelpDesk reply that Telegram would not take (over 50 MB); the names are escaped."""
    return escape("Не переданы (больше 50 МБ): " + ", ".join(names))
