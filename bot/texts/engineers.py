"""What engineers read in their group: the case card, claiming, the lifecycle, queue and reminders."""

from __future__ import annotations

from html import escape

from bot.domain import Status
from bot.texts.common import (
    MESSAGE_LIMIT, STATUS_ICONS, TOPIC_NAME_LIMIT, engineer_status_label, fmt_time, request_type_label,
)
from bot.texts.hours import short_moment


def topic_name(case) -> str:
    """Number, model, company. No status: every status in the title cost a rename from the group's
    budget of 20 calls a minute; the card shows the status, and a closed case's topic is closed."""
    parts = [case.number, case.model.strip() or "модель не указана"]
    if case.contact_company:
        parts.append(case.contact_company.strip())
    name = " · ".join(parts)
    if len(name) > TOPIC_NAME_LIMIT:
        name = name[: TOPIC_NAME_LIMIT - 1] + "…"
    return name


def _yes_no(value, yes: str, no: str, unknown: str = "—") -> str:
    return unknown if value is None else (yes if value else no)


def case_card(case, partner, attachment_count: int, note: str | None = None, out_of_scope=(),
              similar: str | None = None, closed_by_partner: bool = False) -> str:
    """The case as engineers see it; `out_of_scope`: what `scope.detect` found in the description;
    `similar`: the block of similar solved cases (texts.similar_block). How it ended (who closed it,
    the partner's rating) is on the card too, not in notes of their own. Every value from a partner is escaped."""
    model = f"{escape(case.brand)} {escape(case.model)}"
    model += " ✅" if case.model_matched else " ⚠️ нет в каталоге"
    who = [escape(case.contact_name)]
    if case.contact_company:
        who.append(escape(case.contact_company))
    who.append(escape(case.contact_phone))
    if partner is not None and partner.username:
        who.append("@" + escape(partner.username))
    lines = []
    if note:
        lines += [note, ""]
    lines += [
        f"📋 <b>Заявка {case.number}</b> · {STATUS_ICONS[case.status.value]} {engineer_status_label(case.status)}",
        f"<b>Тип:</b> {escape(request_type_label(case.request_type))}",
        f"<b>Оборудование:</b> {model}",
        f"<b>Серийный номер:</b> {escape(case.serial) if case.serial else 'нет под рукой'}",
    ]
    if case.request_type.asks_web_access:
        lines.append(f"<b>Веб-доступ к устройству:</b> {_yes_no(case.web_access, 'разрешён', 'не разрешён')}")
    lines.append(f"<b>Партнёр:</b> {', '.join(who)} (id {case.partner_id})")
    received = f"<b>Поступила:</b> {fmt_time(case.created_at)}"
    if case.after_hours:
        received += " · 🌙 вне рабочего времени"
    lines.append(received)
    if case.due_at is not None:
        lines.append(f"<b>Реакция до:</b> {fmt_time(case.due_at)} (уровень {case.level})")
    lines.append(f"<b>Вложений:</b> {attachment_count}")
    if case.claimed_by_name:
        lines.append(f"<b>Инженер:</b> {escape(case.claimed_by_name)}")
    if case.model_folders:
        lines.append("<b>Папка прошивок:</b> " + escape(case.model_folders[0]))
    if case.status == Status.CLOSED and case.closed_at is not None:
        closed = f"<b>Закрыта:</b> {fmt_time(case.closed_at)}"
        lines.append(closed + (" · " + CLOSED_BY_PARTNER_CARD if closed_by_partner else ""))
    if case.rating:
        lines.append(f"<b>Оценка партнёра:</b> {rating_stars(case.rating)}")
        if case.rating_comment:
            comment = escape(case.rating_comment[:RATING_COMMENT_ON_CARD])
            if len(case.rating_comment) > RATING_COMMENT_ON_CARD:
                comment += RATING_COMMENT_CUT  # the whole comment is a note in the topic
            lines.append(f"<b>Комментарий к оценке:</b> {comment}")
    if out_of_scope:
        lines.append("⚠️ <b>Вне регламента:</b> " + ", ".join(scope_button(e.key).lower() for e in out_of_scope)
                     + " — см. «Шаблоны ответов»")
    if similar:
        lines += ["", similar]
    head = "\n".join(lines) + "\n\n<b>Описание</b>\n"
    room = MESSAGE_LIMIT - len(head) - 40
    description = case.description
    if len(escape(description)) > room:
        description = description[: max(room // 2, 100)] + " …"
    return head + escape(description)


# --- claiming and relaying ----------------------------------------------------------------------------

CASE_NOT_FOUND = "Такой заявки нет."
CLAIM_FIRST = (
    "Заявка ещё не взята в работу: нажмите «Взять в работу» на карточке — после этого сообщения "
    "в теме будут уходить партнёру. Сообщения, начинающиеся с #, остаются внутри группы."
)
CASE_CLOSED_NOT_RELAYED = "Заявка закрыта, сообщение партнёру не отправлено."
RELAYED_TO_CASE = "✉️ Передано инженерам в заявку {number}."
PICK_CASE = "У вас несколько открытых заявок. К какой относится сообщение?"
NO_OPEN_CASE = (
    "У вас нет открытых заявок. Чтобы задать вопрос инженерам, оформите заявку: «📝 Новая заявка»."
)
CANNOT_RELAY = "Такое сообщение не получится передать инженеру. Пришлите текст, фото, видео или файл."
EMPTY_MESSAGE = "Сообщение пустое: в нём нет видимого текста. Напишите, пожалуйста, словами."


def claim_won(number: str) -> str:
    return f"Заявка {number} теперь ваша."


def claim_already_yours(number: str) -> str:
    return f"Заявка {number} уже у вас."


def claim_lost(number: str, name: str) -> str:
    return f"Заявку {number} уже ведёт {name}."


def level_changed(level: int, engineer_name: str, due) -> str:
    return f"📊 Уровень {level} ({escape(engineer_name)}). Реакция до {fmt_time(due)}."


def reminder_warn(case) -> str:
    return (f"⏰ Заявка {case.number} ждёт инженера: прошло 75 % времени реакции, "
            f"срок — {fmt_time(case.due_at)}. Нажмите «Взять в работу» на карточке.")


def reminder_breach(case) -> str:
    return f"🔥 Время реакции по заявке {case.number} истекло ({fmt_time(case.due_at)}), а её никто не взял."


# --- the lifecycle ----------------------------------------------------------------------------------

STATUS_CHANGED_MEANWHILE = "Статус заявки только что изменился; обновите карточку и попробуйте снова."
CLAIM_FIRST_SHORT = "Сначала возьмите заявку в работу."
PARTNER_ANSWERED_HISTORY = "ответ партнёра"
CLOSED_BY_PARTNER_CARD = "партнёр подтвердил, что проблема решена"
RATING_COMMENT_ON_CARD = 500
RATING_COMMENT_CUT = " … (полностью — в теме)"
RATING_COMMENT_FULL = "💬 <b>Комментарий партнёра к оценке</b>, полностью:"
REOPENED_BY_PARTNER = "🔄 Партнёр сообщает, что проблема НЕ решена: заявка снова открыта."
FEEDBACK_TOO_LATE = "Статус заявки уже изменился."
WISHES_TOPIC = "💡 Пожелания партнёров"
NEEDS_ARGUMENT = "Нужен текст после команды, например: {example}"
NOT_IN_CASE_TOPIC = "Команда работает в теме заявки (или ответом на её карточку)."
ASSIGN_HOW = "Ответьте командой /assign на сообщение инженера, которому передаёте заявку."
ASSIGN_NOT_MEMBER = "Назначить можно только участника группы инженеров."
# Who may act in the engineers' group (issue 13, item 3).
GROUP_MEMBERS_ONLY = "Кнопки заявок — только для участников группы инженеров."
MEMBERSHIP_UNCHECKED = "Не удалось проверить участие в группе: Telegram не ответил. Повторите через минуту."
MEMBERSHIP_UNCHECKED_NOT_SENT = (
    "⚠️ Не удалось проверить, что автор — участник группы, поэтому сообщение партнёру не ушло. "
    "Отправьте его ещё раз через минуту."
)
ANONYMOUS_ADMIN_NOT_RELAYED = (
    "Сообщение от анонимного администратора партнёру не передано и команды от него не выполняются: "
    "бот не знает, кто пишет. Выключите «Анонимность» в своих правах администратора и напишите снова."
)
QUEUE_EMPTY = "Очередь пуста: все заявки разобраны. 🎉"
NEXT_EMPTY = "Нет заявок в очереди."
MINE_EMPTY = "У вас нет открытых заявок."
INFO_DONE = "Спасибо! Ответ передан инженеру."
INFO_ITEM_ADDED = "Передано инженеру. Пришлите ещё или нажмите «Готово»."
INFO_NOTHING_YET = "Сначала пришлите ответ — текст, фото, видео или файл, — а потом нажмите «Готово»."
INFO_HINT = "Пришлите текст, фото, видео или файл для инженера — или нажмите «Готово»."
RATE_ASK = "Спасибо! Оцените, пожалуйста, помощь инженера от 1 до 5:"
RATE_COMMENT_ASK = "Спасибо за оценку! Если хотите, напишите комментарий — или нажмите «Пропустить»."
RATE_THANKS = "Спасибо за отзыв!"
RATE_HINT = "Напишите комментарий текстом или нажмите «Пропустить»."


def not_allowed_now(case) -> str:
    """A refusal that says what can be done instead (a callback alert holds 200 characters)."""
    return (f"Сейчас заявка {case.number} {engineer_status_label(case.status)}, это действие недоступно. "
            + NEXT_STEP[case.status.value])


# What an engineer can do instead, by status.
NEXT_STEP = {
    "new": "Сначала возьмите её в работу: «Взять в работу» на карточке.",
    "claimed": "Что можно сделать сейчас — в /help.",
    "waiting": "Дождитесь ответа партнёра или завершите: /resolve итог.",
    "vendor": "Что можно сделать сейчас — в /help.",
    "resolved": "Если работа не закончена, откройте её снова: /reopen.",
    "closed": "Чтобы продолжить, откройте её снова: /reopen.",
}


def info_requested(number: str, what: str) -> str:
    return (
        f"🔎 По заявке {number} инженеру нужно:\n<i>{escape(what)}</i>\n\n"
        "Пришлите ответ сюда — текст, фото, видео или файлы — и нажмите «Готово»."
    )


def passed_to_vendor(number: str) -> str:
    return (
        f"🏭 Заявка {number}: мы зафиксировали проблему и передали её производителю. "
        "Будем держать вас в курсе хода решения."
    )


def resolved_for_partner(number: str, summary: str) -> str:
    return f"✅ Заявка {number} решена.\n{escape(summary)}\n\nПроблема решена?"


def closed_for_partner(number: str) -> str:
    return f"🔒 Заявка {number} закрыта. Если вопрос вернётся — оформите новую заявку."


def reopened_for_partner(number: str, by_partner: bool) -> str:
    if by_partner:
        return f"🔄 Заявка {number} снова открыта: инженер продолжит работу. Опишите, что осталось не так."
    return f"🔄 Заявка {number} снова открыта."


def unclaimed(name: str) -> str:
    return f"↩️ Заявка возвращена в очередь ({escape(name)})."


def assigned(name: str, by: str) -> str:
    return f"👤 Заявку теперь ведёт {escape(name)} (назначение: {escape(by)})."


def rating_stars(rating: int) -> str:
    return "★" * rating + "☆" * (5 - rating) + f" ({rating}/5)"


def case_line(case, now=None, schedule=None) -> str:
    line = f"{case.number} · {escape(case.model)}"
    if case.contact_company:
        line += f" · {escape(case.contact_company)}"
    return line


def queue_text(cases, schedule, now) -> str:
    if not cases:
        return QUEUE_EMPTY
    lines = [f"<b>Очередь: {len(cases)}</b> (старые сверху)"]
    for case in cases[:30]:
        waited = schedule.working_time_between(case.created_at, now)
        hours, minutes = divmod(int(waited.total_seconds() // 60), 60)
        due = ""
        if case.due_at is not None:
            due = f", реакция до {short_moment(case.due_at)}"
            if now >= case.due_at:
                due += " 🔥"
        lines.append(f"{case_line(case)} — ждёт {hours} ч {minutes:02d} мин раб.{due}")
    if len(cases) > 30:
        lines.append(f"…и ещё {len(cases) - 30}")
    return "\n".join(lines)


def mine_text(cases) -> str:
    if not cases:
        return MINE_EMPTY
    lines = [f"<b>Ваши открытые заявки: {len(cases)}</b>"]
    lines += [f"{case_line(c)} — {engineer_status_label(c.status)}" for c in cases]
    return "\n".join(lines)

CANNED_MENU = (
    "📋 Шаблоны ответов о том, что не входит в обязанности поддержки по регламенту. "
    "Нажмите, чтобы отправить партнёру:"
)


def canned_preview(button: str, reply: str) -> str:
    """What the partner will read, above «Отправить» / «Отмена» (`reply` is HTML-safe)."""
    return f"📋 <b>{escape(button)}</b> — партнёр получит:\n\n{reply}"


def canned_sent(button: str, name: str) -> str:
    return f"📋 Партнёру отправлен шаблон «{escape(button)}» ({escape(name)})."


def level_usage(levels: str) -> str:
    return f"Укажите уровень: /level N. Уровни и время реакции: {escape(levels)}."


def next_taken(case, name: str) -> str:
    return f"✋ Заявку {case_line(case)} теперь ведёт {escape(name)}."


def out_of_scope_notice(exclusions) -> str:
    parts = ["ℹ️ Обратите внимание: часть просьбы выходит за рамки регламента поддержки."]
    parts += [f"• {scope_reply(item.key)}" for item in exclusions]
    parts.append("Заявку можно продолжить оформлять — инженеры помогут в рамках регламента.")
    return "\n\n".join(parts)


HELP_ENGINEER = (
    "<b>Команды инженера</b> (в группе)\n"
    "/queue — очередь невзятых заявок, старые сверху\n"
    "/next — взять самую старую заявку\n"
    "/mine — мои открытые заявки\n"
    "<b>В теме заявки</b>\n"
    "/info что нужно — запросить у партнёра данные (время реакции на паузе)\n"
    "/vendor комментарий — передать производителю\n"
    "/resolve итог — решено (партнёр подтвердит)\n"
    "/close, /reopen — закрыть, открыть снова\n"
    "/level N — уровень сложности (пересчёт срока)\n"
    "/unclaim — вернуть в очередь; /assign — ответом на сообщение коллеги\n"
    "/similar [текст] — похожие решённые заявки (по описанию или по вашему тексту)\n"
    "Сообщения, начинающиеся с #, партнёр не видит."
)


# --- what the regulation puts outside support (keys of bot.services.scope.EXCLUSIONS) ------------

SCOPE_INSTEAD = (
    "Что мы сделаем: разберёмся в причине, по возможности воспроизведём ситуацию на тестовом "
    "стенде и пришлём пошаговую инструкцию, как настроить нужную функцию."
)
# The engineer's one-tap canned replies.
SCOPE_BUTTONS = {
    "spec": "Настройка по ТЗ",
    "firmware": "Удалённая прошивка",
    "desktop": "Удалённый рабочий стол",
    "remote_config": "Удалённая настройка",
}
# What the partner reads (HTML-safe, no user input).
SCOPE_REPLIES = {
    "spec": (
        "Настройка оборудования по вашему техническому заданию в обязанности поддержки не входит: "
        "проект и его настройку выполняет монтажная организация. " + SCOPE_INSTEAD
    ),
    "firmware": (
        "Обновлять прошивку удалённо мы не можем: ошибка в порядке действий или пропадание питания "
        "во время обновления могут вывести устройство из строя, поэтому прошивку вы обновляете сами. "
        "Проверенные прошивки лежат на нашем файловом сервере — найти папку поможет пункт "
        "«💾 Прошивки и документация»."
    ),
    "desktop": (
        "Подключаться к вашему компьютеру через программы удалённого рабочего стола "
        "(TeamViewer, AnyDesk, RDP и подобные) мы не можем. Если понадобится, инженер попросит "
        "с вашего согласия веб-доступ к самому устройству — чтобы посмотреть его настройки и журнал. "
        + SCOPE_INSTEAD
    ),
    "remote_config": (
        "Настраивать оборудование удалённо по вашей просьбе мы не можем. " + SCOPE_INSTEAD
    ),
}


def scope_button(key: str) -> str:
    return SCOPE_BUTTONS[key]


def scope_reply(key: str) -> str:
    return SCOPE_REPLIES[key]


# --- buttons and toasts of the case card -----------------------------------------------------------

BTN_CLAIM = "✋ Взять в работу"
BTN_UNCLAIM = "↩️ В очередь"
BTN_CLOSE = "🔒 Закрыть"
BTN_REOPEN = "🔄 Открыть снова"
BTN_CANNED = "📋 Шаблоны ответов"
ANOTHER_ENGINEER = "другой инженер"
ACTION_DONE = "Готово"
CANNED_SENT_TOAST = "Отправлено партнёру"
# The reaction on an engineer's message once the partner has it (Telegram allows no ✓ or ✅ as a reaction).
DELIVERED_MARK = "👌"
BTN_CANNED_SEND = "📨 Отправить"
BTN_CANNED_CANCEL = "✖️ Отмена"
# What /info, /vendor and /resolve look like when typed without their text.
COMMAND_EXAMPLES = {
    "info": "/info фото раздела Сеть → TCP/IP",
    "vendor": "/vendor ошибка при записи по SMD",
    "resolve": "/resolve включили отправку событий на NVR",
}


def level_button(level: int, chosen: bool = False) -> str:
    return ("✓ " if chosen else "") + f"Уровень {level}"


def level_set(level: int) -> str:
    return f"Уровень {level}"


def level_already(level: int) -> str:
    return f"У заявки уже уровень {level}: срок реакции остаётся прежним."


# --- relayed messages -------------------------------------------------------------------------------

def partner_header(case) -> str:
    """Above a partner's message in the case topic; while the engineer waits for an answer it says
    this is one (instead of a note of its own that the case is back in work)."""
    who = escape(case.contact_name or "Партнёр")
    if case.status == Status.WAITING:
        return f"👤 <b>{who}</b> · партнёр, ответ на запрос:"
    return f"👤 <b>{who}</b> · партнёр:"


def engineer_header(case, engineer_first_name: str) -> str:
    """Above an engineer's message in the partner's chat."""
    return f"💬 <b>Поддержка · заявка {case.number}</b> ({escape(engineer_first_name)}):"


# --- comments in a case's history (the /export "История" column; plain text, not HTML) -----------

HISTORY_CLOSED_BY_PARTNER = "закрыта партнёром"
HISTORY_NOT_SOLVED = "партнёр: проблема не решена"
HISTORY_REOPENED = "открыта снова"
HISTORY_UNCLAIMED = "возвращена в очередь"


def history_assigned(engineer_name: str) -> str:
    return f"назначен инженер {engineer_name}"


def history_level(before: int, after: int) -> str:
    return f"уровень {before} → {after}"
