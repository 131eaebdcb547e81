"""Every user-facing string of the bot, in Russian; functions where a text takes values.

Values that come from people (names, companies, descriptions) are escaped here, at the one
place that builds HTML, so handlers cannot forget it."""

from __future__ import annotations

from html import escape

PHONE = "8 (800) 777-36-12"
EMAIL = "911@tdtorus.ru"
PORTAL = "support.tdtorus.ru"

# Main menu (reply keyboard). Handlers match these exact strings.
MENU_NEW_CASE = "📝 Новая заявка"
MENU_MY_CASES = "📂 Мои заявки"
MENU_FIRMWARE = "💾 Прошивки и документация"
MENU_CONTACTS = "☎️ Контакты и часы работы"


def greeting(first_name: str, hours_line: str = "") -> str:
    name = escape(first_name.strip()) if first_name and first_name.strip() else "коллега"
    text = (
        f"Здравствуйте, {name}!\n\n"
        "Это бот технической поддержки «Торус» для партнёров, работающих с оборудованием "
        "Dahua Technology, ATIX и других марок.\n\n"
        "Здесь можно оформить заявку инженерам, следить за её ходом и найти папку с прошивкой "
        "для своей модели. Выберите действие в меню ниже."
    )
    if hours_line:
        text += "\n\n" + hours_line
    return text


HELP_PARTNER = (
    "<b>Что умеет бот</b>\n"
    f"{MENU_NEW_CASE} — оформить обращение: модель, серийный номер, описание, фото и логи.\n"
    f"{MENU_MY_CASES} — ваши заявки и их статус; можно дополнить открытую заявку.\n"
    f"{MENU_FIRMWARE} — найти папку с прошивкой по модели (или /firmware модель).\n"
    f"{MENU_CONTACTS} — часы работы и другие способы связи.\n"
    "/cancel — прервать текущий шаг."
)

UNKNOWN_INPUT = "Не понял сообщение. Выберите действие в меню ниже или напишите /help."
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
    "Сообщений пришло много сразу — я отвечу на все по порядку. Пожалуйста, подождите немного "
    "и не отправляйте их повторно."
)

BANNED_NOTICE = (
    "Доступ к боту для вашей учётной записи ограничен. Если это ошибка, свяжитесь с поддержкой: "
    f"{PHONE}, {EMAIL}."
)


# --- the engineers' group -----------------------------------------------------------------------

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


def topic_name(case) -> str:
    """Status icon, number, model, company: engineers see where a case stands from the topic list."""
    parts = [f"{STATUS_ICONS[case.status.value]} {case.number}", case.model.strip() or "модель не указана"]
    if case.contact_company:
        parts.append(case.contact_company.strip())
    name = " · ".join(parts)
    if len(name) > TOPIC_NAME_LIMIT:
        name = name[: TOPIC_NAME_LIMIT - 1] + "…"
    return name


def _yes_no(value, yes: str, no: str, unknown: str = "—") -> str:
    return unknown if value is None else (yes if value else no)


def case_card(case, partner, attachment_count: int, note: str | None = None) -> str:
    """The case as engineers see it. Every value from a partner is escaped."""
    from bot.domain import Status

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
        f"📋 <b>Заявка {case.number}</b> · {case.status.label}",
        f"<b>Тип:</b> {escape(case.request_type.label)}",
        f"<b>Оборудование:</b> {model}",
        f"<b>Серийный номер:</b> {escape(case.serial) if case.serial else 'нет под рукой'}",
    ]
    if case.request_type.asks_web_access:
        lines.append(f"<b>Web-доступ к устройству:</b> {_yes_no(case.web_access, 'разрешён', 'не разрешён')}")
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
    from bot.services import scope

    excluded = scope.detect(case.description)
    if excluded:
        lines.append("⚠️ <b>Вне регламента:</b> " + ", ".join(e.button.lower() for e in excluded)
                     + " — см. «Шаблоны ответов»")
    head = "\n".join(lines) + "\n\n<b>Описание</b>\n"
    room = MESSAGE_LIMIT - len(head) - 40
    description = case.description
    if len(escape(description)) > room:
        description = description[: max(room // 2, 100)] + " …"
    return head + escape(description)


# --- the intake dialog ----------------------------------------------------------------------------

INTAKE_TYPE = (
    "<b>Новая заявка</b>\n\nС чем нужна помощь? Выберите тип обращения.\n"
    "В любой момент можно написать /cancel, чтобы прервать."
)
INTAKE_TYPE_HINT = "Пожалуйста, выберите тип обращения кнопкой под сообщением."
INTAKE_BRAND = "Оборудование какой марки?"
INTAKE_BRAND_HINT = "Выберите марку кнопкой под сообщением."
INTAKE_BRAND_OTHER = "Напишите марку оборудования."
INTAKE_MODEL = (
    "Напишите модель устройства так, как она указана на наклейке или в веб-интерфейсе "
    "(например, DH-IPC-HFW2431SP-S-0280B)."
)
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
INTAKE_MODEL_LABEL_PHOTO = "Фото наклейки сохранено. Модель инженер уточнит по нему."
BTN_MODEL_NOT_LISTED = "Моей модели нет в списке"
BTN_KEEP_AS_TYPED = "Оставить как написано"
INTAKE_SERIAL = (
    "Серийный номер устройства (S/N на наклейке или в веб-интерфейсе). Он поможет инженеру. "
    "Если его нет под рукой, нажмите кнопку ниже."
)
INTAKE_SERIAL_BAD = "Серийный номер «{value}» не подходит: {problem}. Проверьте и пришлите ещё раз."
INTAKE_SERIAL_HINT = "Пришлите серийный номер текстом или нажмите «Нет под рукой»."
BTN_SERIAL_MISSING = "Нет под рукой"
INTAKE_DESCRIPTION = (
    "Опишите проблему или вопрос: что делали, что ожидали увидеть и что происходит на самом деле. "
    "Чем точнее, тем быстрее ответ."
)
INTAKE_DESCRIPTION_SHORT = "Слишком коротко: опишите ситуацию хотя бы одним полным предложением."
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
    "Если понадобится, разрешаете ли вы инженеру web-доступ к устройству для снятия данных? "
    "Параметры меняются только с вашего согласия."
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
CASE_ACCEPTED = (
    "✅ Заявка <b>{number}</b> принята. Инженеры рассматривают обращения в порядке поступления; "
    "о каждом изменении мы напишем здесь.\nДополнить заявку можно прямо в этом чате."
)
FULL_DESCRIPTION = "<b>Описание полностью:</b>"


def case_accepted(number: str, notes: list[str]) -> str:
    """The answer to "Send", with what the partner should know besides (hours, say)."""
    return "\n\n".join([CASE_ACCEPTED.format(number=number), *notes])

EDIT_LABELS = {
    "request_type": "Тип обращения",
    "brand": "Марка",
    "model": "Модель",
    "serial": "Серийный номер",
    "description": "Описание",
    "attachments": "Вложения",
    "web_access": "Web-доступ",
    "contact": "Контакты",
}


def case_claimed_for_partner(number: str, engineer_name: str) -> str:
    return f"👨‍🔧 Заявку {number} взял в работу инженер {escape(engineer_name)}. Ответ придёт в этот чат."


def contact_block(name: str, company: str | None, phone: str) -> str:
    lines = [f"Имя: {escape(name)}"]
    if company:
        lines.append(f"Компания: {escape(company)}")
    lines.append(f"Телефон: {escape(phone)}")
    return "\n".join(lines)


def draft_summary(draft: dict) -> str:
    from bot.domain import RequestType

    kind = RequestType(draft["request_type"])
    model = escape(draft.get("model") or "—")
    if draft.get("model") and not draft.get("model_matched"):
        model += " (нет в каталоге)"
    lines = [
        INTAKE_SUMMARY_HEAD,
        "",
        f"<b>Тип:</b> {escape(kind.label)}",
        f"<b>Оборудование:</b> {escape(draft.get('brand') or '—')} {model}",
        f"<b>Серийный номер:</b> {escape(draft['serial']) if draft.get('serial') else 'нет под рукой'}",
    ]
    if kind.asks_web_access:
        web = draft.get("web_access")
        lines.append(f"<b>Web-доступ:</b> {'—' if web is None else ('разрешён' if web else 'не разрешён')}")
    lines.append(f"<b>Вложений:</b> {len(draft.get('attachments', []))}")
    contact = draft.get("contact") or {}
    if contact:
        lines.append("<b>Контакты:</b> " + ", ".join(
            escape(v) for v in (contact.get("name"), contact.get("company"), contact.get("phone")) if v
        ))
    description = draft.get("description") or ""
    if len(description) > 1500:
        description = description[:1500] + " …"
    lines += ["", "<b>Описание:</b>", escape(description)]
    return "\n".join(lines)


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
    return f"Заявку {number} уже взял {name}."


def my_cases(cases) -> str:
    if not cases:
        return "У вас пока нет заявок. Оформить: «📝 Новая заявка»."
    lines = ["<b>Ваши заявки</b>"]
    for case in cases:
        lines.append(
            f"{case.number} · {escape(case.model)} — {case.status.label} "
            f"(от {case.created_at:%d.%m.%Y})"
        )
    lines.append("\nЧтобы дополнить открытую заявку, просто напишите сюда.")
    return "\n".join(lines)


# --- firmware -------------------------------------------------------------------------------------

FIRMWARE_ASK = (
    "Напишите модель устройства (как на наклейке), и я подскажу папку с проверенными прошивками "
    "и документацией. Например: <code>/firmware DHI-NVR4108HS-4KS3</code>."
)
FIRMWARE_WARNING = (
    "⚠️ <b>Прошивку устройство обновляет партнёр сам</b>: служба поддержки не прошивает оборудование "
    "ни удалённо, ни по запросу. Перед обновлением прочитайте описание к прошивке в папке и "
    "соблюдайте порядок шагов: ошибка в последовательности или пропадание питания во время "
    "обновления могут вывести устройство из строя."
)
FIRMWARE_NOT_FOUND = (
    "Модель «{query}» не нашлась в каталоге прошивок. Сверьте название с наклейкой на корпусе "
    "и пришлите ещё раз. Если не получается найти — оформите заявку, инженеры подскажут."
)
FIRMWARE_SIMILAR = "Точного совпадения нет. Похожие модели:"
FIRMWARE_FAMILY = "Под «{query}» подходят несколько моделей:"
FIRMWARE_PICK = "Нажмите на свою модель, чтобы увидеть её папку."
FIRMWARE_BUTTON_STALE = "Каталог обновился. Пришлите модель ещё раз."
FIRMWARE_SAME_FOLDER = "Прошивки для них лежат в одной папке:"
FIRMWARE_HINT = "Пришлите модель текстом или /cancel, чтобы выйти."


def firmware_folder_line(folder: str, base_url: str) -> str:
    """The folder as it is named on the file server (partners look for exactly that), linked
    when the server's address is configured."""
    from bot.services.catalogue import folder_url

    title = escape(folder)
    if not base_url:
        return f"📁 {title}"
    return f'📁 <a href="{escape(folder_url(base_url, folder), quote=True)}">{title}</a>'


def _millimetres(value: float) -> str:
    return f"{value:g}"


def lens_label(lens) -> str:
    """A lens as a partner reads it on the box: "2.8 мм", "2.7–13.5 мм", "мотор-зум"."""
    if lens is None:
        return ""
    if lens.wide is None:
        return "мотор-зум"
    if lens.varifocal:
        return f"{_millimetres(lens.wide)}–{_millimetres(lens.tele)} мм"
    return f"{_millimetres(lens.wide)} мм"


def model_button(match) -> str:
    """A candidate on a button: the focal length first, where the eye looks for it."""
    label = lens_label(match.lens)
    return f"{label} · {match.model}" if label else match.model


def firmware_answer(result, base_url: str) -> str:
    if not result.candidates:
        return FIRMWARE_NOT_FOUND.format(query=escape(result.query[:100]))
    lines = []
    if result.accepted is not None:
        lines.append(f"<b>{escape(result.accepted.model)}</b>")
        lines.extend(firmware_folder_line(folder, base_url) for folder in result.accepted.folders)
    else:
        if result.family:
            lines.append(FIRMWARE_FAMILY.format(query=escape(result.query[:100])))
        else:
            lines.append(FIRMWARE_SIMILAR)
        shared = result.common_folders if len(result.candidates) > 1 else ()
        for match in result.candidates:
            lines.append(f"• {escape(model_button(match))}")
            if not shared:
                lines.extend("  " + firmware_folder_line(folder, base_url) for folder in match.folders)
        if shared:
            # Lens or suffix variants of one model live in one folder: no need to choose.
            lines.append(FIRMWARE_SAME_FOLDER)
            lines.extend(firmware_folder_line(folder, base_url) for folder in shared)
        lines.append(FIRMWARE_PICK)
    lines.append("\n" + FIRMWARE_WARNING)
    return "\n".join(lines)


def level_changed(level: int, engineer_name: str, due) -> str:
    return f"📊 {escape(engineer_name)} установил(а) уровень {level}. Реакция до {fmt_time(due)}."


def reminder_warn(case) -> str:
    return (f"⏰ Заявка {case.number} ждёт инженера: прошло 75 % времени реакции, "
            f"срок — {fmt_time(case.due_at)}. Нажмите «Взять в работу» на карточке.")


def reminder_breach(case) -> str:
    return f"🔥 Время реакции по заявке {case.number} истекло ({fmt_time(case.due_at)}), а её никто не взял."


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


# --- the lifecycle ----------------------------------------------------------------------------------

STATUS_CHANGED_MEANWHILE = "Статус заявки только что изменился; обновите карточку и попробуйте снова."
CLAIM_FIRST_SHORT = "Сначала возьмите заявку в работу."
PARTNER_ANSWERED = "📨 Партнёр ответил на запрос, заявка снова в работе."
PARTNER_ANSWERED_HISTORY = "ответ партнёра"
CLOSED_BY_PARTNER = "🔒 Партнёр подтвердил, что проблема решена; заявка закрыта."
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
INFO_HINT = "Пришлите текст, фото, видео или файл для инженера — или нажмите «Готово»."
RATE_ASK = "Спасибо! Оцените, пожалуйста, помощь инженера от 1 до 5:"
RATE_COMMENT_ASK = "Спасибо за оценку! Если хотите, напишите комментарий — или нажмите «Пропустить»."
RATE_THANKS = "Спасибо за отзыв!"
RATE_HINT = "Напишите комментарий текстом или нажмите «Пропустить»."


def not_allowed_now(case) -> str:
    return f"Сейчас заявка {case.number} {case.status.label}: это действие недоступно."


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
    return f"↩️ {escape(name)} вернул(а) заявку в очередь."


def assigned(name: str, by: str) -> str:
    return f"👤 {escape(by)} назначил(а) заявку инженеру {escape(name)}."


def rating_for_topic(rating, comment) -> str:
    stars = "★" * (rating or 0) + "☆" * (5 - (rating or 0))
    text = f"⭐ Оценка партнёра: {stars} ({rating}/5)"
    if comment:
        text += f"\nКомментарий: {escape(comment)}"
    return text


def case_line(case, now=None, schedule=None) -> str:
    line = f"{case.number} · {escape(case.model)}"
    if case.contact_company:
        line += f" · {escape(case.contact_company)}"
    return line


def queue_text(cases, schedule, now) -> str:
    if not cases:
        return QUEUE_EMPTY
    from bot.services.hours_text import short_moment

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
    lines += [f"{case_line(c)} — {c.status.label}" for c in cases]
    return "\n".join(lines)

CANNED_MENU = (
    "📋 Шаблоны ответов о том, что не входит в обязанности поддержки по регламенту. "
    "Нажмите, чтобы отправить партнёру:"
)


def canned_sent(button: str, name: str) -> str:
    return f"📋 {escape(name)} отправил(а) партнёру шаблон «{escape(button)}»."


def level_usage(levels: str) -> str:
    return f"Укажите уровень: /level N. Уровни и время реакции: {escape(levels)}."


def next_taken(case, name: str) -> str:
    return f"✋ {escape(name)} взял(а) заявку {case_line(case)}."


def out_of_scope_notice(exclusions) -> str:
    parts = ["ℹ️ Обратите внимание: часть просьбы выходит за рамки регламента поддержки."]
    parts += [f"• {item.text}" for item in exclusions]
    parts.append("Заявку можно продолжить оформлять — инженеры помогут в рамках регламента.")
    return "\n\n".join(parts)


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
    "Сообщения, начинающиеся с #, партнёр не видит."
)
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
