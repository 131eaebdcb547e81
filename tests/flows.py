"""Longer scripted flows shared by end-to-end tests: filing a whole case in a few calls."""

from __future__ import annotations

from tests.helpers import Desk

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)
MODEL = "DH-IPC-HFW2431SP-S-0280B"
DESCRIPTION = "Камера не отправляет события детектора движения на регистратор после обновления."


async def run_dialog_to_attachments(
    desk: Desk,
    user: int | None = None,
    kind: str = "Проблема с настройкой",
    brand: str = "Dahua",
    model: str = MODEL,
    serial: str | None = "7J0123456789ABC",
    description: str = DESCRIPTION,
) -> None:
    """Answers every step up to the attachments; `serial=None` presses "I don't have it at hand"."""
    user = user or desk.partner
    await desk.partner_says("📝 Новая заявка", user)
    await desk.partner_presses(kind, user)
    await desk.partner_presses(brand, user)
    await desk.partner_says(model, user)
    if serial is None:
        await desk.partner_presses("Нет под рукой", user)
    else:
        await desk.partner_says(serial, user)
    await desk.partner_says(description, user)


async def finish_after_attachments(
    desk: Desk, user: int | None = None, contact: tuple[str, str, str] | None = ("Иван Петров", "ООО Ромашка", "+7 999 123-45-67"),
    send: bool = True,
) -> None:
    user = user or desk.partner
    last = desk.last_to_partner(user)
    if any("Да" == text for text, _ in desk.buttons(last)):
        await desk.partner_presses("Да", user)
    last = desk.last_to_partner(user)
    if any("Всё верно" in text for text, _ in desk.buttons(last)):
        await desk.partner_presses("Всё верно", user)
    elif contact is not None:
        name, company, phone = contact
        await desk.partner_says(name, user)
        await desk.partner_says(company, user)
        await desk.partner_says(phone, user)
    if send:
        await desk.partner_presses("Отправить", user)


async def run_dialog_to_summary(desk: Desk, user: int | None = None, contact=("Иван Петров", "ООО Ромашка", "+7 999 123-45-67")) -> None:
    await run_dialog_to_attachments(desk, user)
    await desk.partner_presses("Готово", user or desk.partner)
    await finish_after_attachments(desk, user, contact=contact, send=False)


async def file_case(desk: Desk, user: int | None = None, photos: int = 0, **kwargs) -> int:
    """Files a complete case and returns its number."""
    user = user or desk.partner
    await run_dialog_to_attachments(desk, user, **kwargs)
    for _ in range(photos):
        await desk.partner_sends_photo(user=user, data=PNG)
    await desk.partner_presses("Готово", user)
    await finish_after_attachments(desk, user)
    row = await desk.sb.app.db.fetchone("SELECT MAX(id) FROM cases WHERE partner_id = ?", (user,))
    return row[0]
