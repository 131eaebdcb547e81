"""What admins read: reloads, calendar, broadcasts, bans, stats, exports and delivery problems."""

from __future__ import annotations

from html import escape

from bot.texts.common import engineer_status_label, request_type_label
from bot.texts.knowledge import bulletin_answers_line


# --- admins ---------------------------------------------------------------------------------------

def calendar_fallback_warning(years) -> str:
    listed = ", ".join(str(y) for y in years)
    return (
        f"⚠️ Нет файла производственного календаря на {listed} г. Пока часы работы считаются по "
        "общему календарю праздников (переносы учтены, сокращённые дни — нет). Пришлите сюда файл "
        "календаря в формате xmlcalendar (.xml) или положите его в папку календарей и выполните /reload."
    )


def catalogue_report(report) -> str:
    if not report.ok:
        return (
            "❌ Каталог прошивок не перечитан, работает прежний "
            f"({report.models_before} моделей).\nПричина: {escape(report.detail)}"
        )
    lines = [
        f"✅ Каталог прошивок перечитан за {report.seconds:.1f} с: моделей {report.models_before} → "
        f"{report.models_after}, папок {report.folders_before} → {report.folders_after}.",
        f"Добавлено: {report.added}, убрано: {report.removed}.",
    ]
    if report.added_examples:
        lines.append("Новые: " + escape(", ".join(report.added_examples[:5])))
    if report.removed_examples:
        lines.append("Убраны: " + escape(", ".join(report.removed_examples[:5])))
    if report.skipped_files:
        lines.append(f"Пропущено файлов: {len(report.skipped_files)} (см. журнал).")
        for skipped in report.skipped_files[:3]:
            lines.append(f"• {escape(str(skipped.path))}: {escape(skipped.reason)}")
    return "\n".join(lines)


def calendar_report(years_before, years_after, error: str | None = None) -> str:
    if error:
        return f"❌ Календарь не перечитан, действует прежний.\nПричина: {escape(error)}"
    return (
        "✅ Производственный календарь перечитан. Годы из файлов: "
        + (", ".join(str(y) for y in years_after) or "нет")
        + (f" (было: {', '.join(str(y) for y in years_before)})" if list(years_before) != list(years_after) else "")
        + "."
    )


CALENDAR_SAVED = "✅ Календарь на {year} год сохранён ({file}) и подключён."
CALENDAR_BAD = "❌ Файл не принят: {error}"
CALENDAR_TOO_BIG = "файл слишком большой для календаря"


def broadcast_report(counts: dict) -> str:
    return (
        "📣 Рассылка завершена.\n"
        f"Доставлено: {counts['delivered']}\n"
        f"Заблокировали бота: {counts['blocked']}\n"
        f"Не доставлено по другим причинам: {counts['failed']}"
    )


BROADCAST_ASK = "Пришлите текст объявления для всех партнёров (можно с форматированием). /cancel — отмена."
BROADCAST_PREVIEW = "👀 Так увидят объявление партнёры. Получателей: {count}. Отправить?"
BROADCAST_STARTED = "📣 Рассылка запущена: {count} получателей. Отчёт придёт по завершении."
BROADCAST_CANCELLED = "Рассылка отменена."
BROADCAST_ALREADY_STARTED = "Эта рассылка уже запущена."
BROADCAST_HINT = "Пришлите текст объявления одним сообщением или /cancel."
BROADCAST_TOO_LONG = "Объявление длиннее 4000 символов — сократите, пожалуйста."
BAN_USAGE = "Использование: /ban ID_партнёра [причина] или /ban №заявки [причина]."
UNBAN_USAGE = "Использование: /unban ID_партнёра или /unban №заявки."
BAN_NOT_FOUND = "Партнёр «{target}» не найден: нет ни такого ID, ни такой заявки."
BAN_ADMIN = "Администратора заблокировать нельзя."
EXPORT_EMPTY = "За {period} заявок нет."
EXPORT_CAPTION = "Заявки за {period}: {count}. Файл открывается в Excel (UTF-8, разделитель «;»)."
STATS_CHART_CAPTION = "Заявки по дням, {period} (светлые столбцы — выходные)."


def banned(partner_id: int, reason: str | None) -> str:
    text = f"🚫 Партнёр {partner_id} заблокирован."
    if reason:
        text += f"\nПричина: {escape(reason)}"
    return text + "\nИстория его заявок сохранена."


def unbanned(partner_id: int) -> str:
    return f"✅ Партнёр {partner_id} разблокирован."


def engineers_list(rows) -> str:
    """rows: (engineer, status, open cases)."""
    if not rows:
        return "Бот ещё не видел инженеров в группе: они появятся здесь, когда напишут в группу."
    labels = {"creator": "владелец", "administrator": "администратор", "member": "участник",
              "restricted": "ограничен", "left": "вышел", "kicked": "исключён", "unknown": "не удалось проверить"}
    lines = ["<b>Инженеры</b>"]
    for engineer, status, open_cases in rows:
        name = escape(engineer.first_name or str(engineer.user_id))
        if engineer.username:
            name += f" (@{escape(engineer.username)})"
        lines.append(f"{name} — {labels.get(status, status)}, в работе: {open_cases}")
    return "\n".join(lines)


HELP_ADMIN = (
    "<b>Команды администратора</b>\n"
    "/stats [период] — статистика (неделя, месяц, год, 7, 2026-11-01 2026-11-24)\n"
    "/export [с] [по] — заявки в CSV для Excel\n"
    "/ban ID|№заявки [причина], /unban — блокировка партнёра\n"
    "/broadcast — объявление всем партнёрам\n"
    "/reload — перечитать каталог прошивок, календарь и бюллетени, сразу повторить отправку в группу, "
    "если она ждала исправления; /reload_catalogue — только каталог\n"
    "/engineers — кто в группе инженеров и что у них в работе\n"
    "Файл календаря (.xml), присланный сюда, подключается сразу."
)


# --- the outbox: a group the operator must fix, a partner who blocked the bot (i13-outbox) -----

GROUP_FIXES = {
    "rights": "у бота нет нужных прав. Сделайте его администратором группы с правами "
              "«Управление темами» и «Отправка сообщений».",
    "chat_not_found": "Telegram не находит эту группу. Проверьте ENGINEERS_CHAT_ID и что бот в ней состоит.",
    "removed": "бота удалили из группы. Добавьте его снова администратором с правом «Управление темами».",
    "migrated": "группа стала супергруппой с новым id {new_id}. Укажите его в ENGINEERS_CHAT_ID и "
                "перезапустите бота.",
}


def _group_name(group_id: int, title: str | None) -> str:
    return f"«{escape(title)}» ({group_id})" if title else f"{group_id}"


def group_unreachable(group_id: int, title: str | None, problem: str, new_id: int | None = None) -> str:
    fix = GROUP_FIXES[problem].format(new_id=new_id)
    then = "" if problem == "migrated" else " После исправления отправьте /reload."
    return (f"⚠️ Бот не может писать в группу инженеров {_group_name(group_id, title)}: {fix}\n"
            f"Заявки не потеряны: они ждут и уйдут, как только доступ появится.{then}")


def group_reachable_again(group_id: int, title: str | None) -> str:
    return f"✅ Группа инженеров {_group_name(group_id, title)} снова доступна: ожидавшие сообщения уходят."


def outbox_retried(count: int) -> str:
    return f"📤 Ожидавшие сообщения отправляются снова: {count}."


# Set-up checks of the engineers' group (start-up, /reload, `python -m bot check`), keyed by problem.
SETUP_FIXES = {
    "missing": "Telegram не находит такую группу. Проверьте ENGINEERS_CHAT_ID (id супергруппы, например "
               "-1001234567890) и что бот добавлен в группу.",
    "not_member": "бот не состоит в группе. Добавьте его в группу администратором с правом «Управление темами».",
    "not_admin": "бот — не администратор группы и не может создавать темы заявок. Сделайте его "
                 "администратором с правами «Управление темами» и «Отправка сообщений».",
    "no_topic_rights": "у бота нет права «Управление темами»: он не может создавать темы заявок. Включите это "
                       "право боту в списке администраторов группы.",
    "no_topics": "в группе выключены темы. Пока так, заявки приходят в общий чат группы (карточка, файлы и "
                 "сообщения партнёра), а отвечать партнёру нужно ответом на сообщение заявки. Чтобы у "
                 "каждой заявки была своя тема, включите «Темы» в настройках группы.",
    "unchecked": "проверить группу сейчас не удалось, Telegram ответил: {error}.",
}
SETUP_FIXED = {
    "missing": "Telegram находит группу",
    "not_member": "бот снова в группе",
    "not_admin": "бот — администратор",
    "no_topic_rights": "у бота есть право «Управление темами»",
    "no_topics": "темы включены: новые заявки получают свои темы",
    "unchecked": "Telegram отвечает",
}


def setup_problem(group_id: int, title: str | None, problem: str, error: str | None = None) -> str:
    fix = SETUP_FIXES[problem].format(error=escape(error or ""))
    return (f"⚠️ Группа инженеров {_group_name(group_id, title)}: {fix}\n"
            f"Заявки не теряются. После исправления отправьте /reload.")


def setup_fixed(group_id: int, title: str | None, problems) -> str:
    done = "; ".join(SETUP_FIXED[p] for p in problems)
    return f"✅ Группа инженеров {_group_name(group_id, title)}: исправлено — {done}."


def setup_all_good(group_id: int, title: str | None) -> str:
    return f"✅ Группа инженеров {_group_name(group_id, title)}: бот — администратор с правом «Управление темами», темы включены."


def setup_report(reports) -> str:
    """/reload's part about the groups: what is fixed since the last check, what is still wrong."""
    lines = []
    for r in reports:
        if r.fixed:
            lines.append(setup_fixed(r.group_id, r.title, [p.value for p in r.fixed]))
        lines += [setup_problem(r.group_id, r.title, p.value, r.facts.error) for p in r.problems]
        if not r.fixed and not r.problems:
            lines.append(setup_all_good(r.group_id, r.title))
    return "\n\n".join(lines)


PARTNER_UNREACHABLE = (
    "⚠️ Партнёр заблокировал бота: сообщения ему не доходят. Они сохранены и уйдут, "
    "как только партнёр снова напишет боту; дошедшие получат отметку 👌."
)


# --- /stats and /export ---------------------------------------------------------------------------

STATS_BAD_PERIOD = "Период не распознан: {error}. Примеры: /stats, /stats неделя, /stats 7, /stats 2026-11-01 2026-11-24."
PERIOD_PROBLEMS = {
    "bad_date": "дата «{text}» не распознана: пишите 2026-11-01 или 01.11.2026",
    "days_out_of_range": "число дней — от 1 до {limit}",
    "too_many_words": "период — одно слово (неделя, месяц, 30) или две даты",
    "end_before_start": "конец периода раньше начала",
    "too_long": "слишком длинный период",
}


def stats_bad_period(error) -> str:
    """`error`: the PeriodError of bot.services.stats; what the admin typed is escaped."""
    problem = PERIOD_PROBLEMS[error.problem].format(**error.values)
    return STATS_BAD_PERIOD.format(error=escape(problem))


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    hours, minutes = divmod(round(value * 60), 60)
    return f"{hours} ч {minutes:02d} мин"


def _speed(what: str, median: float | None, p90: float | None) -> str:
    if median is None:
        return f"{what}: пока не было"
    return f"{what}: медиана {_hours(median)}, у 90 % — не дольше {_hours(p90)}"


def stats_report(stats) -> str:
    """For a phone screen: short lines, biggest numbers first."""
    answered = [bulletin_answers_line(stats.bulletin_answers)] if stats.bulletin_answers else []
    if stats.total == 0:
        return "\n".join([f"📊 <b>Статистика за {stats.period.label}</b>", "Заявок не было.", *answered])
    lines = [f"📊 <b>Статистика за {stats.period.label}</b>", f"Всего заявок: <b>{stats.total}</b>", *answered]
    lines.append("\n<b>По статусам</b>")
    lines += [f"{engineer_status_label(s)}: {n}" for s, n in stats.statuses_in_order]
    lines.append("\n<b>По типам</b>")
    lines += [f"{request_type_label(t)}: {n}" for t, n in stats.by_type.most_common()]
    lines.append("\n<b>По маркам</b>")
    lines += [f"{escape(b)}: {n}" for b, n in stats.by_brand.most_common(5)]
    lines.append("\n<b>По уровням</b>")
    lines += [f"уровень {lvl}: {n}" for lvl, n in sorted(stats.by_level.items())]
    lines.append("\n<b>Скорость (рабочие часы)</b>")
    lines.append(_speed("до взятия", stats.claim_median, stats.claim_p90))
    lines.append(_speed("до решения", stats.resolve_median, stats.resolve_p90))
    lines.append(f"Нарушений времени реакции: {stats.breaches}")
    average = stats.rating_average
    lines.append("\n<b>Оценки</b>")
    lines.append(f"{average:.1f} из 5 (оценок: {len(stats.ratings)})" if average is not None else "оценок нет")
    lines.append("\n<b>Частые модели</b>")
    lines += [f"{escape(model)}: {n}" for model, n in stats.models.most_common(5)]
    lines.append(f"\nВне рабочего времени: {stats.after_hours_share:.0%}")
    lines.append("\n<b>Как поступили</b>")
    lines += [f"{CHANNEL_LABELS[c]}: {n}" for c, n in stats.by_channel.most_common()]
    if set(stats.helpdesk_copies) != {None}:  # the e-mail bridge has been on in the period
        lines.append("\n<b>Копия в HelpDesk</b>")
        lines += [f"{HELPDESK_COPY_LABELS[s]}: {n}" for s, n in stats.helpdesk_copies.most_common()]
    return "\n".join(lines)


EXPORT_COLUMNS = (
    "Номер", "Поступила", "Статус", "Тип", "Марка", "Модель", "Модель в каталоге", "Серийный номер",
    "Веб-доступ", "ID партнёра", "Контакт", "Компания", "Телефон", "Уровень", "Реакция до",
    "Вне рабочего времени", "Инженер", "Взята", "Решена", "Закрыта", "Оценка", "Комментарий к оценке",
    "Вложений", "Описание", "История", "Канал", "Копия в HelpDesk",
)
CHANNEL_LABELS = {"telegram": "Telegram", "email": "e-mail"}
HELPDESK_COPY_LABELS = {"done": "доставлена", "pending": "в очереди", "failed": "не доставлена", None: "нет"}


def helpdesk_copy_label(state: str | None) -> str:
    """None: the case has no HelpDesk copy (filed while the e-mail bridge was off)."""
    return HELPDESK_COPY_LABELS[state]
EXPORT_YES = "да"
EXPORT_NO = "нет"


BTN_BROADCAST_SEND = "📣 Отправить"
BTN_BROADCAST_CANCEL = "✖️ Отмена"
