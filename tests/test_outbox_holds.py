"""The outbox end to end when a chat cannot take messages for a while: edits made before their
original was delivered, Telegram's retry_after across a restart, one case's stuck topic, an
engineers' group the operator must fix, and a partner who blocked the bot."""

from __future__ import annotations

import pytest

from bot import texts
from tests.flows import file_case

FAST_GROUP = {"outbox_group_per_minute": 600}


def refused_429(desk) -> list:
    return [c for c in desk.emu.calls() if c.status == 429]


async def held(desk, chat_id: int) -> None:
    """Until the bot has noted a refused attempt for the chat (and so what it must wait for)."""
    async def noted():
        return await desk.sb.app.db.fetchone("SELECT 1 FROM outbox WHERE chat_id = ? AND attempts > 0", (chat_id,))
    await desk.emu.wait_for(noted, timeout=20, message=f"a refused attempt for chat {chat_id}")


async def deliver_everything(desk) -> None:
    desk.wait_for_outbox = True
    await desk.sb.app.settle(timeout=60)
    await desk.settle()


# --- 4: an edit made before its original was delivered ---------------------------------------------

@pytest.mark.desk(settings=FAST_GROUP)
async def test_partner_edit_while_the_group_waits_is_applied_after_the_original(desk):
    number = await file_case(desk)
    thread = desk.topic_of(number)
    await desk.engineer_presses("Взять", thread)
    desk.emu.faults.add(method="sendMessage", chat_id=desk.group, kind="retry_after", retry_after=2, lasting=True)
    desk.wait_for_outbox = False
    sent = await desk.partner_says("Камера пропадает в 10:00")
    await held(desk, desk.group)
    assert not any("пропадает" in t for t in desk.texts_to(desk.group, thread))
    await desk.emu.edit_text(desk.partner, desk.partner, sent["message_id"], "Камера пропадает в 11:00")
    await deliver_everything(desk)
    copies = [m for m in desk.emu.bot_messages(desk.group, thread) if "пропадает" in (m.text or "")]
    assert len(copies) == 1
    assert "11:00" in copies[0].text and copies[0].edited


@pytest.mark.desk(settings=FAST_GROUP)
async def test_engineer_edit_while_the_partner_chat_waits_is_applied_after_the_original(desk):
    number = await file_case(desk)
    thread = desk.topic_of(number)
    await desk.engineer_presses("Взять", thread)
    await desk.settle()
    desk.emu.faults.add(method="sendMessage", chat_id=desk.partner, kind="retry_after", retry_after=2, lasting=True)
    desk.wait_for_outbox = False
    sent = await desk.engineer_writes("Обновите прошивку до версии 2.800", thread)
    await held(desk, desk.partner)
    await desk.emu.edit_text(desk.engineer, desk.group, sent["message_id"], "Обновите прошивку до версии 2.820")
    await deliver_everything(desk)
    copies = [m for m in desk.emu.bot_messages(desk.partner) if "Обновите прошивку" in (m.text or "")]
    assert len(copies) == 1
    assert "2.820" in copies[0].text and copies[0].edited


async def test_edit_while_the_partner_picks_a_case_is_what_gets_relayed(desk):
    first = await file_case(desk)
    second = await file_case(desk)
    sent = await desk.partner_says("Дополнение: камера на третьем этаже")
    assert desk.last_to_partner().text == texts.PICK_CASE
    await desk.emu.edit_text(desk.partner, desk.partner, sent["message_id"], "Дополнение: камера на втором этаже")
    await desk.settle()
    await desk.partner_presses(f"№{second}")
    relayed = [t for t in desk.texts_to(desk.group, desk.topic_of(second)) if "Дополнение" in t]
    assert len(relayed) == 1 and "втором этаже" in relayed[0]
    assert not any("Дополнение" in t for t in desk.texts_to(desk.group, desk.topic_of(first)))


# --- 6: retry_after outlives a restart ---------------------------------------------------------------

@pytest.mark.desk(settings=FAST_GROUP)
async def test_retry_after_is_honoured_after_a_restart(desk):
    # Telegram keeps refusing the group until the pause is over (a lasting flood wait): a call
    # before then shows up as a second 429. The start-up check of the group has asked already.
    await desk.emu.wait_for(lambda: desk.emu.calls("getChatMember"), timeout=10, message="the start-up check")
    desk.emu.faults.add(method="*", chat_id=desk.group, kind="retry_after", retry_after=3, lasting=True)
    desk.wait_for_outbox = False
    number = await file_case(desk)
    await held(desk, desk.group)
    await desk.sb.kill_bot()
    await desk.sb.start_bot()
    await deliver_everything(desk)
    assert len(refused_429(desk)) == 1
    assert f"Заявка №{number}" in desk.card_of(number).text


async def test_a_429_on_a_direct_answer_makes_the_outbox_wait_too(desk):
    number = await file_case(desk)
    thread = desk.topic_of(number)
    await desk.engineer_presses("Взять", thread)
    desk.emu.faults.add(method="sendMessage", chat_id=desk.partner, kind="retry_after", retry_after=4, lasting=True)
    await desk.emu.send_text(desk.partner, "/hours")  # its answer is refused and retried inside the handler
    await desk.emu.wait_for(lambda: refused_429(desk), timeout=20)
    await desk.engineer_writes("Ответ, пока чат партнёра на паузе", thread)
    await deliver_everything(desk)
    assert len(refused_429(desk)) == 1
    assert any("пока чат партнёра на паузе" in t for t in desk.texts_to(desk.partner))


# --- 7: order per case topic, a 429 still for the whole chat -------------------------------------

@pytest.mark.desk(settings=FAST_GROUP)
async def test_one_failing_topic_does_not_hold_other_cases(desk):
    first = await file_case(desk)
    second = await file_case(desk, user=desk.partner2)
    t1, t2 = desk.topic_of(first), desk.topic_of(second)
    await desk.engineer_presses("Взять", t1)
    await desk.engineer_presses("Взять", t2)
    stuck = desk.emu.faults.add(method="sendMessage", chat_id=desk.group, thread_id=t1, kind="server_error",
                                status=502, times=None)
    desk.wait_for_outbox = False
    await desk.partner_says("Первая заявка: уточнение")
    await desk.emu.wait_for(lambda: stuck.hits >= 2, timeout=20)
    await desk.partner_says("Вторая заявка: уточнение", user=desk.partner2)
    await desk.emu.wait_for(lambda: any("Вторая заявка" in t for t in desk.texts_to(desk.group, t2)), timeout=20,
                            message="the other case's message while the first topic is stuck")
    assert not any("Первая заявка" in t for t in desk.texts_to(desk.group, t1))
    desk.emu.faults.remove(stuck)
    await deliver_everything(desk)
    assert sum("Первая заявка" in t for t in desk.texts_to(desk.group, t1)) == 1
    assert sum("Вторая заявка" in t for t in desk.texts_to(desk.group, t2)) == 1


@pytest.mark.desk(settings=FAST_GROUP)
async def test_a_429_in_one_topic_pauses_the_whole_group(desk):
    first = await file_case(desk)
    second = await file_case(desk, user=desk.partner2)
    t1, t2 = desk.topic_of(first), desk.topic_of(second)
    desk.emu.faults.add(method="sendMessage", chat_id=desk.group, thread_id=t1, kind="retry_after",
                        retry_after=2, lasting=True)
    desk.wait_for_outbox = False
    await desk.partner_says("Первая заявка: дополнение")
    await held(desk, desk.group)
    await desk.partner_says("Вторая заявка: дополнение", user=desk.partner2)
    await deliver_everything(desk)
    # The second topic's message waited too: had it been sent meanwhile, Telegram would have refused it.
    assert len(refused_429(desk)) == 1
    assert any("Первая заявка" in t for t in desk.texts_to(desk.group, t1))
    assert any("Вторая заявка" in t for t in desk.texts_to(desk.group, t2))


@pytest.mark.desk(settings={"outbox_group_per_minute": 2})
async def test_a_group_at_its_minute_limit_does_not_hold_partner_chats(desk):
    number = await file_case(desk)
    thread = desk.topic_of(number)
    await desk.engineer_presses("Взять", thread)  # the card and its edit: 2 this minute
    desk.wait_for_outbox = False
    await desk.partner_says("Сообщение сверх минутного лимита группы")
    await desk.engineer_writes("Ответ партнёру без очереди", thread)
    await desk.emu.wait_for(lambda: any("без очереди" in t for t in desk.texts_to(desk.partner)), timeout=20,
                            message="the partner's answer while the group waits for its next minute")
    assert not any("сверх минутного" in t for t in desk.texts_to(desk.group, thread))


@pytest.mark.desk(settings=FAST_GROUP)
async def test_wishes_released_together_share_one_topic(desk):
    # Two wishes wait behind a pause of the group; then their lanes go at once.
    desk.emu.faults.add(chat_id=desk.group, kind="retry_after", retry_after=2, lasting=True)
    desk.wait_for_outbox = False
    for user, text in ((desk.partner, "Хотелось бы экспорт журнала событий в CSV прямо из веб-интерфейса."),
                       (desk.partner2, "Добавьте, пожалуйста, поддержку ONVIF Profile T в камеры ATIX.")):
        await file_case(desk, user=user, kind="Пожелание к оборудованию", model="DHI-NVR4108HS-4KS3", serial=None,
                        description=text)
    await deliver_everything(desk)
    topics = desk.open_topics()
    assert [t.name for t in topics.values()] == [texts.WISHES_TOPIC]
    cards = [m for m in desk.emu.bot_messages(desk.group, next(iter(topics))) if "Пожелание" in (m.text or "")]
    assert len(cards) == 2


# --- 8: an engineers' group the operator must fix ------------------------------------------------

def no_rights(desk):
    desk.emu.set_bot_member(desk.group, "member")
    return lambda: desk.emu.set_bot_member(desk.group, "administrator")


def removed(desk):
    desk.emu.set_bot_member(desk.group, "kicked")
    return lambda: desk.emu.set_bot_member(desk.group, "administrator")


def not_found(desk):
    fault = desk.emu.faults.add(chat_id=desk.group, kind="chat_not_found", times=None)
    return lambda: desk.emu.faults.remove(fault)


@pytest.mark.parametrize("breakage, fix_hint", [
    (no_rights, "Управление темами"), (removed, "удалили из группы"), (not_found, "ENGINEERS_CHAT_ID"),
])
@pytest.mark.parametrize("then", ["reload", "restart"])
async def test_cases_wait_for_the_operator_to_fix_the_group(desk, breakage, fix_hint, then):
    await desk.partner_says("/help", user=desk.admin)
    fix = breakage(desk)
    desk.wait_for_outbox = False
    number = await file_case(desk)
    assert "принята" in desk.last_to_partner().text
    await desk.emu.wait_for(lambda: any("не может писать в группу" in t for t in desk.texts_to(desk.admin)),
                            timeout=20, message="the admins' alert")
    await desk.partner_says("Забыл: камера висит на улице")
    assert desk.open_topics() == {}
    fix()
    await desk.partner_says("И ещё: питание по PoE")
    if then == "reload":
        await desk.partner_says("/reload", user=desk.admin)
        assert any("отправляются снова: 3" in t for t in desk.texts_to(desk.admin))
    else:
        await desk.sb.kill_bot()
        await desk.sb.start_bot()
    await deliver_everything(desk)
    topics = desk.open_topics()
    assert len(topics) == 1
    in_topic = desk.emu.bot_messages(desk.group, next(iter(topics)))
    assert f"Заявка №{number}" in in_topic[0].text and any("Взять" in t for t, _ in desk.buttons(in_topic[0]))
    bodies = [m.text or "" for m in in_topic]
    assert sum("висит на улице" in t for t in bodies) == 1 and sum("питание по PoE" in t for t in bodies) == 1
    first_at = next(i for i, t in enumerate(bodies) if "висит" in t)
    assert 0 < first_at < next(i for i, t in enumerate(bodies) if "PoE" in t)
    alerts = [t for t in desk.texts_to(desk.admin) if "не может писать в группу" in t]
    assert len(alerts) == 1
    assert str(desk.group) in alerts[0] and fix_hint in alerts[0]
    assert any("снова доступна" in t for t in desk.texts_to(desk.admin))


async def test_a_group_upgraded_to_a_supergroup_names_the_new_id(desk):
    await desk.partner_says("/help", user=desk.admin)
    moved = desk.emu.faults.add(chat_id=desk.group, kind="migrated", migrate_to_chat_id=-1002222222222, times=None)
    desk.wait_for_outbox = False
    number = await file_case(desk)
    await desk.emu.wait_for(lambda: any("не может писать в группу" in t for t in desk.texts_to(desk.admin)),
                            timeout=20, message="the admins' alert")
    alert = next(t for t in desk.texts_to(desk.admin) if "не может писать в группу" in t)
    assert "-1002222222222" in alert and "ENGINEERS_CHAT_ID" in alert and "/reload" not in alert
    desk.emu.faults.remove(moved)
    await desk.sb.kill_bot()
    await desk.sb.start_bot()
    await deliver_everything(desk)
    assert f"Заявка №{number}" in desk.card_of(number).text


async def test_a_card_given_up_on_is_posted_before_anything_else_of_its_case(desk):
    # A refusal no operator can fix (here a made-up one) ends the card item for good...
    desk.emu.faults.add(method="sendMessage", chat_id=desk.group, kind="error", status=400,
                        description="Bad Request: can't parse entities: unsupported start tag")
    number = await file_case(desk)
    assert not desk.emu.bot_messages(desk.group)
    # ...yet the case's next message must not open a topic (or reach the group) without the card.
    await desk.partner_says("Дополнение к заявке: модель уличная")
    in_topic = desk.emu.bot_messages(desk.group, desk.topic_of(number))
    assert f"Заявка №{number}" in in_topic[0].text and any("Взять" in t for t, _ in desk.buttons(in_topic[0]))
    assert "модель уличная" in in_topic[1].text


async def test_reload_with_nothing_waiting_says_nothing_about_the_queue(desk):
    await desk.partner_says("/reload", user=desk.admin)
    assert "отправляются снова" not in desk.last_to(desk.admin).text


# --- 9: a partner who blocked the bot ---------------------------------------------------------------

async def test_partner_who_blocked_the_bot_gets_what_waited_when_back(desk):
    number = await file_case(desk)
    thread = desk.topic_of(number)
    await desk.engineer_presses("Взять", thread)
    desk.emu.block_bot(desk.partner)
    await desk.settle()
    await desk.engineer_writes("Первый ответ: проверьте кабель", thread)
    await desk.engineer_writes("Второй ответ: и блок питания", thread)
    notes = [t for t in desk.texts_to(desk.group, thread) if t == texts.PARTNER_UNREACHABLE]
    assert len(notes) == 1
    assert not any("ответ:" in t for t in desk.texts_to(desk.partner))
    await desk.partner_says("Я снова здесь")
    to_partner = [t for t in desk.texts_to(desk.partner) if "ответ:" in t]
    assert len(to_partner) == 2
    assert "Первый" in to_partner[0] and "Второй" in to_partner[1]
    assert any("Я снова здесь" in t for t in desk.texts_to(desk.group, thread))
    # Blocked again later: the topic hears about it again, once.
    desk.emu.block_bot(desk.partner)
    await desk.settle()
    await desk.engineer_writes("Третий ответ: перезагрузите", thread)
    await desk.engineer_writes("Четвёртый ответ: сбросьте настройки", thread)
    notes = [t for t in desk.texts_to(desk.group, thread) if t == texts.PARTNER_UNREACHABLE]
    assert len(notes) == 2
