"""Issue 18: what partners and engineers read — refusals, buttons, labels and marks of the small flows."""

from __future__ import annotations

from bot import texts
from bot.services import intake_rules
from tests.flows import MODEL


async def start_intake_to_serial(desk, brand: str = "Dahua") -> None:
    await desk.partner_says("📝 Новая заявка")
    await desk.partner_presses("Проблема с настройкой")
    await desk.partner_presses(brand)
    await desk.partner_says(MODEL)


def test_a_refused_serial_keeps_what_was_typed():
    check = intake_rules.check_serial("не уверен", "Dahua")
    assert (check.ok, check.value, check.typed, check.problem) == (False, "HEYBEPEH", "не уверен", "dahua_length")
    check = intake_rules.check_serial("сломана", "Dahua")
    assert (check.problem, check.details, check.typed) == ("dahua_not_latin", {"bad": "л"}, "сломана")


async def test_the_serial_refusal_echoes_the_serial_as_typed(desk):
    await start_intake_to_serial(desk)
    await desk.partner_says("не уверен")
    refusal = desk.texts_to(desk.partner)[-1]
    assert refusal.startswith("Серийный номер «не уверен» не подходит: у Dahua серийный номер из 15 знаков, а здесь 8.")
    assert "HEYBEPEH" not in refusal
