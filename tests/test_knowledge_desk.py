"""The knowledge index in the running desk: a resolved case is found for the next one like it."""

from __future__ import annotations

from bot.sandbox import GROUP_ID
from tests.flows import file_case
from tests.helpers import Desk

FIRST = "После обновления прошивки регистратор перестал записывать архив с камер."
SECOND = "Рег не пишет запись после апдейта, живое видео есть"


async def resolve(desk: Desk, case_id: int, summary: str) -> int:
    thread = desk.topic_of(case_id)
    await desk.engineer_presses("Взять в работу", thread)
    await desk.engineer_writes(f"/resolve {summary}", thread)
    return thread


async def test_similar_in_a_topic_lists_the_solved_case_with_a_link_to_its_topic(desk: Desk):
    solved = await file_case(desk, model="DHI-NVR4108HS-4KS3", description=FIRST)
    first_thread = await resolve(desk, solved, "Включили расписание записи на все дни")
    other = await file_case(desk, model="DHI-NVR4108HS-4KS3", description=SECOND)
    thread = desk.topic_of(other)

    await desk.engineer_writes("/similar", thread)
    answer = desk.last_to(desk.group, thread)
    assert answer.text.splitlines() == [
        f"🔎 Похожие решённые к заявке №{other}:",
        f"1. №{solved} · DHI-NVR4108HS-4KS3 — Включили расписание записи на все дни",
    ]
    links = [e["url"] for e in answer.entities if e["type"] == "text_link"]
    assert links == [f"https://t.me/c/{str(GROUP_ID)[4:]}/{first_thread}"]

    # the engineer's own words instead of the description; nothing like them is solved
    await desk.engineer_writes("/similar нет звука с микрофона", thread)
    assert desk.last_to(desk.group, thread).text == "🔎 Похожих решённых заявок не нашлось."


async def test_similar_outside_a_case_topic_says_where_it_works(desk: Desk):
    await desk.engineer_writes("/similar", None)
    assert "тем" in desk.last_to(desk.group, None).text


async def test_reload_reindexes_the_bulletins(desk: Desk):
    await desk.partner_says("/reload", user=desk.admin)
    assert "✅ Бюллетени перечитаны: обновлено 0, без изменений 5, убрано 0." in desk.last_to(desk.admin).text
