"""What admins read: reloads, calendar, broadcasts, bans, stats, exports and delivery problems."""

from __future__ import annotations

from html import escape


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
BAN_NOT_FOUND = "Не нашёл партнёра «{target}»: ни такого ID, ни такой заявки."
BAN_ADMIN = "Администратора заблокировать нельзя."
STATS_BAD_PERIOD = "Не понял период: {error}. Примеры: /stats, /stats week, /stats 7, /stats 2026-11-01 2026-11-24."
EXPORT_EMPTY = "За {period} заявок нет."
EXPORT_CAPTION = "Заявки за {period}: {count}. Файл открывается в Excel (UTF-8, разделитель «;»)."
STATS_CHART_CAPTION = "Заявки по дням, {period} (светлые столбцы — выходные)."


def banned(partner_id: int, reason: str | None) -> str:
    text = f"🚫 Партнёр {partner_id} заблокирован."
    if reason:
        text += f" Причина: {escape(reason)}"
    return text + " История его заявок сохранена."


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
    "/stats [период] — статистика (week, month, 7, 2026-11-01 2026-11-24)\n"
    "/export [с] [по] — заявки в CSV для Excel\n"
    "/ban ID|№заявки [причина], /unban — блокировка партнёра\n"
    "/broadcast — объявление всем партнёрам\n"
    "/reload — перечитать каталог прошивок и календарь, сразу повторить отправку в группу, "
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


PARTNER_UNREACHABLE = (
    "⚠️ Партнёр заблокировал бота: сообщения ему не доходят. Они сохранены и уйдут, "
    "как только партнёр снова напишет боту."
)
