"""What partners read outside the intake: the menu, greeting, help and their case list."""

from __future__ import annotations

from html import escape

from bot.texts.common import status_label


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


def my_cases(cases) -> str:
    if not cases:
        return "У вас пока нет заявок. Оформить: «📝 Новая заявка»."
    lines = ["<b>Ваши заявки</b>"]
    for case in cases:
        lines.append(
            f"{case.number} · {escape(case.model)} — {status_label(case.status)} "
            f"(от {case.created_at:%d.%m.%Y})"
        )
    lines.append("\nЧтобы дополнить открытую заявку, просто напишите сюда.")
    return "\n".join(lines)


MENU_PLACEHOLDER = "Выберите действие"
# Under "case №N solved?" and the rating's comment step.
BTN_SOLVED = "👍 Да, решена"
BTN_UNSOLVED = "👎 Нет"
BTN_INFO_DONE = "✅ Готово"
BUTTON_STALE = "Эта кнопка больше не действует."
