"""A filed case in the engineers' group: topic and card, claiming, relaying both ways, and
delivery that survives 429s, restarts and deleted topics."""

from __future__ import annotations

import asyncio

import pytest

from bot import texts
from tests.flows import PNG, file_case


def thread_of(desk, case_id: int) -> int:
    return desk.topic_of(case_id)


async def test_case_gets_a_topic_with_card_and_files(desk):
    number = await file_case(desk, photos=2)
    thread = thread_of(desk, number)
    topic = desk.emu.topics(desk.group)[thread]
    assert topic.name == f"№{number} · DH-IPC-HFW2431SP-S-0280B · ООО Ромашка"  # the status is on the card
    messages = desk.emu.bot_messages(desk.group, thread)
    card = messages[0]
    assert f"Заявка №{number}" in card.text and "7J0123456789ABC" in card.text
    assert any("Взять в работу" in t for t, _ in desk.buttons(card))
    photos = [m for m in messages if m.kind == "photo"]
    assert len(photos) == 2 and photos[0].media_group_id and photos[0].media_group_id == photos[1].media_group_id
    case = await desk.sb.app.cases.cases.get(number)
    assert case.delivered_at is not None and case.card_message_id == card.message_id


async def test_company_name_is_shown_literally(desk):
    nasty = '<b>ООО "Рога & Копыта"</b><script>'
    await desk.partner_says("📝 Новая заявка")
    await desk.partner_presses("Вопрос о функциях")
    await desk.partner_presses("Dahua")
    await desk.partner_says("DH-IPC-HFW2431SP-S-0280B")
    await desk.partner_presses("Нет под рукой")
    await desk.partner_says("Как настроить <i>детектор</i> & запись по событию на регистраторе?")
    await desk.partner_presses("Не помогло")  # a general question: the recording bulletin was offered first
    await desk.partner_presses("Готово")
    await desk.partner_says("Иван")
    await desk.partner_says(nasty)
    await desk.partner_says("+79991234567")
    assert nasty in desk.last_to_partner().text  # the summary shows it as typed
    await desk.partner_presses("Отправить")
    card = desk.emu.bot_messages(desk.group, thread_of(desk, 1001))[0]
    assert nasty in card.text  # what the engineer reads: the literal text, no markup applied
    assert "<i>детектор</i> &" in card.text
    topic = desk.emu.topics(desk.group)[thread_of(desk, 1001)]
    assert nasty in topic.name


async def test_two_engineers_claim_at_once_one_wins(desk):
    number = await file_case(desk)
    thread = thread_of(desk, number)
    card = desk.emu.bot_messages(desk.group, thread)[0]
    claim = next(data for text, data in desk.buttons(card) if "Взять" in text)
    q1, q2 = await asyncio.gather(
        desk.emu.press_button(desk.engineer, desk.group, card.message_id, claim),
        desk.emu.press_button(desk.engineer2, desk.group, card.message_id, claim),
    )
    await desk.settle()
    answers = [desk.emu.callback_answer(q1["id"]), desk.emu.callback_answer(q2["id"])]
    winners = [a for a in answers if "теперь ваша" in (a.get("text") or "")]
    losers = [a for a in answers if "уже ведёт" in (a.get("text") or "")]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0].get("show_alert") is True
    case = await desk.sb.app.cases.cases.get(number)
    winner_name = "Алексей" if case.claimed_by == desk.engineer else "Мария"
    assert winner_name in losers[0]["text"]
    card = desk.emu.bot_messages(desk.group, thread)[0]
    assert f"Инженер: {winner_name}" in card.text
    assert not any("Взять" in text for text, _ in desk.buttons(card))
    told = [t for t in desk.texts_to(desk.partner) if "занимается" in t]
    assert told == [texts.case_claimed_for_partner(f"№{number}", winner_name)]
    assert told == [f"👨‍🔧 Вашей заявкой №{number} занимается {winner_name}, инженер поддержки. Ответ придёт в этот чат."]
    history = await desk.sb.app.cases.cases.history(number)
    assert [row["to_status"] for row in history] == ["new", "claimed"]


async def test_relay_both_ways_with_photo_reply_and_edits(desk):
    number = await file_case(desk)
    thread = thread_of(desk, number)
    # Before the claim nothing reaches the partner.
    await desk.engineer_writes("Посмотрю позже", thread)
    assert texts.CLAIM_FIRST in desk.last_to(desk.group, thread).text
    await desk.engineer_presses("Взять", thread)
    sent = await desk.engineer_writes("Пришлите, пожалуйста, фото раздела «Событие».", thread)
    to_partner = desk.last_to_partner()
    assert to_partner.text.startswith(f"💬 Поддержка · заявка №{number} (Алексей):")
    assert "Пришлите, пожалуйста, фото" in to_partner.text
    assert "forward_origin" not in to_partner.raw
    # An internal note stays in the group.
    await desk.engineer_writes("#коллеги, это похоже на баг прошивки", thread)
    assert "баг прошивки" not in "".join(desk.texts_to(desk.partner))
    # The partner answers with a photo as a reply: it lands in the topic as a reply to the question.
    photo = await desk.partner_sends_photo(data=PNG, caption="Вот настройки", reply_to=to_partner.message_id)
    in_topic = desk.last_to(desk.group, thread)
    assert in_topic.kind == "photo" and "Вот настройки" in in_topic.caption
    assert in_topic.reply_to_message_id == sent["message_id"]
    # Edits are mirrored both ways.
    await desk.emu.edit_text(desk.engineer, desk.group, sent["message_id"], "Пришлите фото раздела «Событие → Видеодетекция».")
    await desk.settle()
    assert "Видеодетекция" in desk.emu.messages(desk.partner)[[m.message_id for m in desk.emu.messages(desk.partner)].index(to_partner.message_id)].text
    text_msg = await desk.partner_says("Детектор включён в 10:00")
    await desk.emu.edit_text(desk.partner, desk.partner, text_msg["message_id"], "Детектор включён в 11:00")
    await desk.settle()
    copies = [m for m in desk.emu.bot_messages(desk.group, thread) if "Детектор включён" in (m.text or "")]
    assert len(copies) == 1 and "11:00" in copies[0].text and copies[0].edited


async def test_partner_with_two_open_cases_picks_one(desk):
    first = await file_case(desk)
    second = await file_case(desk)
    await desk.partner_says("Дополнение: камера на втором этаже")
    assert desk.last_to_partner().text == texts.PICK_CASE
    await desk.partner_presses(f"№{second}")
    assert any("второй" in t or "втором этаже" in t for t in desk.texts_to(desk.group, thread_of(desk, second)))
    assert not any("втором этаже" in t for t in desk.texts_to(desk.group, thread_of(desk, first)))


@pytest.mark.desk(settings={"outbox_group_per_minute": 600})
async def test_429s_on_the_group_delay_but_lose_and_repeat_nothing(desk):
    desk.emu.faults.add(method="*", chat_id=desk.group, kind="retry_after", retry_after=1, times=3)
    number = await file_case(desk, photos=3)
    thread = thread_of(desk, number)
    await desk.engineer_presses("Взять", thread)
    for i in range(4):
        await desk.partner_says(f"Сообщение {i}: уточнение к заявке номер {i}")
    await desk.sb.app.settle(timeout=30)
    await desk.settle()
    relayed = [t for t in desk.texts_to(desk.group, thread) if "Сообщение" in t]
    assert [t.split("\n")[1][:11] for t in relayed] == [f"Сообщение {i}" for i in range(4)]
    assert len(desk.open_topics()) == 1
    photos = [m for m in desk.emu.bot_messages(desk.group, thread) if m.kind == "photo"]
    assert len(photos) == 3
    retried = [c for c in desk.emu.calls() if c.error and "Too Many Requests" in str(c.error)]
    assert len(retried) == 3


async def test_restart_between_send_and_delivery_delivers_once(desk):
    # The group is unreachable when the partner presses Send...
    desk.emu.faults.add(method="*", chat_id=desk.group, kind="server_error", times=None)
    desk.wait_for_outbox = False
    number = await file_case(desk)
    # The partner's "accepted" goes through the outbox too, to a chat that works.
    await desk.emu.wait_for(lambda: "принята" in (desk.last_to_partner().text or ""))
    assert desk.open_topics() == {}
    # ...the bot dies, the group comes back, the bot starts again.
    await desk.sb.kill_bot()
    desk.emu.faults.clear()
    await desk.sb.start_bot()
    desk.wait_for_outbox = True
    await desk.sb.app.settle(timeout=20)
    await desk.settle()
    assert len(desk.open_topics()) == 1
    cards = [m for m in desk.emu.bot_messages(desk.group) if f"Заявка №{number}" in (m.text or "")]
    assert len(cards) == 1


async def test_deleted_topic_is_recreated_and_nothing_lost(desk):
    number = await file_case(desk)
    thread = thread_of(desk, number)
    await desk.engineer_presses("Взять", thread)
    desk.emu.delete_topic(desk.group, thread)
    await desk.partner_says("Камера снова перестала писать события")
    new_thread = thread_of(desk, number)
    assert new_thread != thread
    texts_in_new = desk.texts_to(desk.group, new_thread)
    assert any(f"Заявка №{number}" in t for t in texts_in_new)
    assert any("снова перестала" in t for t in texts_in_new)


async def test_closed_topic_is_reopened_to_deliver(desk):
    number = await file_case(desk)
    thread = thread_of(desk, number)
    await desk.engineer_presses("Взять", thread)
    desk.emu.close_topic(desk.group, thread)
    await desk.partner_says("Ещё одно уточнение по камере")
    assert not desk.emu.topics(desk.group)[thread].closed
    assert any("Ещё одно уточнение" in t for t in desk.texts_to(desk.group, thread))


@pytest.mark.desk(forum=False)
async def test_group_without_topics_works_through_replies(desk):
    number = await file_case(desk)
    card = next(m for m in desk.emu.bot_messages(desk.group) if f"Заявка №{number}" in (m.text or ""))
    await desk.press(desk.engineer, card, "Взять")
    await desk.engineer_writes("Ответ без тем: перезагрузите камеру.", None, reply_to=card.message_id)
    assert "перезагрузите камеру" in desk.last_to_partner().text
    await desk.partner_says("Перезагрузил, не помогло")
    assert "не помогло" in desk.emu.bot_messages(desk.group)[-1].text


async def test_engineer_album_reaches_partner_as_album(desk):
    number = await file_case(desk)
    thread = thread_of(desk, number)
    await desk.engineer_presses("Взять", thread)
    await desk.emu.send_album(desk.engineer, [{"type": "photo"}, {"type": "photo"}, {"type": "photo"}],
                              chat_id=desk.group, thread_id=thread, order=[2, 0, 1])
    await desk.settle()
    photos = [m for m in desk.emu.bot_messages(desk.partner) if m.kind == "photo"]
    assert len(photos) == 3 and len({m.media_group_id for m in photos}) == 1
