"""The case lifecycle end to end: the queue in order of arrival, statuses, information requests,
the manufacturer, resolution, reopening, rating, wishes and the out-of-scope guard."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import texts
from bot.callbacks import CaseCb, FeedbackCb, InfoCb, PickCaseCb
from bot.clock import MSK
from tests.flows import PNG, file_case, finish_after_attachments, run_dialog_to_attachments


def statuses(rows) -> list[str]:
    return [row["to_status"] for row in rows]


async def test_whole_lifecycle_two_engineers_two_partners(desk, clock):
    first = await file_case(desk, user=desk.partner)
    clock.advance(timedelta(minutes=5))
    second = await file_case(desk, user=desk.partner2)
    repo = desk.sb.app.cases.cases

    # The queue lists the oldest first; /next hands them out strictly in that order.
    await desk.engineer_writes("/queue", None)
    queue = desk.last_to(desk.group).text
    assert queue.index(f"№{first}") < queue.index(f"№{second}")
    await desk.engineer_writes("/next", None, user=desk.engineer2)
    await desk.engineer_writes("/next", None, user=desk.engineer)
    assert (await repo.get(first)).claimed_by == desk.engineer2
    assert (await repo.get(second)).claimed_by == desk.engineer
    await desk.engineer_writes("/next", None)
    assert desk.last_to(desk.group).text == texts.NEXT_EMPTY
    await desk.engineer_writes("/mine", None, user=desk.engineer2)
    assert f"№{first}" in desk.last_to(desk.group).text and f"№{second}" not in desk.last_to(desk.group).text
    assert "Мария" in desk.last_to_partner(desk.partner).text  # told who took it

    # Engineer 2 asks partner 1 for photos; the partner answers with two and presses Done.
    t1 = desk.topic_of(first)
    await desk.engineer_writes("/info фото раздела «Событие» и журнал", t1, user=desk.engineer2)
    case = await repo.get(first)
    assert case.status.value == "waiting" and case.waiting_since is not None
    ask = desk.last_to_partner(desk.partner)
    assert "фото раздела «Событие» и журнал" in ask.text
    assert "⏳ ждёт" in desk.card_of(first).text
    title = desk.emu.topics(desk.group)[t1].name
    assert title.startswith(f"№{first} · ")  # the status is on the card, so the title never changes
    clock.advance(timedelta(hours=2))
    await desk.partner_sends_photo(data=PNG, caption="Событие")
    await desk.partner_sends("document", file_name="journal.log", data=b"log line\n")
    assert desk.last_to_partner().text == texts.INFO_ITEM_ADDED
    await desk.partner_presses("Готово")
    case = await repo.get(first)
    assert case.status.value == "claimed"
    # Two working hours waiting for the partner do not count against the reaction time.
    # Due 18:00 Tuesday + 2 h paused = 9:00 Wednesday (the desk opens at 7:00).
    assert case.due_at == datetime(2026, 11, 25, 9, 0, tzinfo=MSK) and case.waiting_since is None
    topic_kinds = [m.kind for m in desk.emu.bot_messages(desk.group, t1)]
    assert "photo" in topic_kinds and "document" in topic_kinds
    # The answers say they answer the request (no note of its own); the card is back in work.
    answers = [t for t in desk.texts_to(desk.group, t1) if "ответ на запрос" in t]
    assert len(answers) == 2 and "Событие" in answers[0]
    assert "🛠 в работе" in desk.card_of(first).text

    # The malfunction goes to the manufacturer; the partner is told.
    await desk.engineer_writes("/vendor запись по SMD не идёт на прошивке 2.840", t1, user=desk.engineer2)
    assert "передали её производителю" in desk.last_to_partner(desk.partner).text
    assert "🏭 у производителя" in desk.card_of(first).text

    # Resolved -> "no" reopens -> resolved again -> "yes" closes the topic -> rating with a comment.
    await desk.engineer_writes("/resolve производитель выпустил исправленную прошивку", t1, user=desk.engineer2)
    assert "Проблема решена?" in desk.last_to_partner().text
    await desk.partner_presses("Нет")
    assert (await repo.get(first)).status.value == "claimed"
    assert texts.REOPENED_BY_PARTNER in desk.texts_to(desk.group, t1)
    await desk.engineer_writes("/resolve обновите прошивку из папки, настройки сохранятся", t1, user=desk.engineer2)
    await desk.partner_presses("Да, решена")
    case = await repo.get(first)
    assert case.status.value == "closed" and desk.emu.topics(desk.group)[t1].closed
    await desk.partner_presses("5")
    await desk.partner_says("Спасибо, быстро помогли!")
    assert desk.last_to_partner().text == texts.RATE_THANKS
    case = await repo.get(first)
    assert case.rating == 5 and case.rating_comment == "Спасибо, быстро помогли!"
    # How it ended is on the card; the closed topic is not reopened for it, nor renamed.
    card = desk.card_of(first).text
    assert "🔒 закрыта" in card and texts.CLOSED_BY_PARTNER_CARD in card
    assert "★★★★★ (5/5)" in card and "Спасибо, быстро помогли!" in card
    assert desk.emu.topics(desk.group)[t1].closed and desk.emu.topics(desk.group)[t1].name == title
    assert not any("★" in t for t in desk.texts_to(desk.group, t1)[1:])
    assert statuses(await repo.history(first)) == [
        "new", "claimed", "waiting", "claimed", "vendor", "resolved", "claimed", "resolved", "closed"]

    # The other case: unclaimed by its engineer, then assigned to the colleague, then closed.
    t2 = desk.topic_of(second)
    await desk.engineer_writes("/unclaim", t2)
    assert (await repo.get(second)).status.value == "new"
    colleague = await desk.engineer_writes("Возьму, если надо", t2, user=desk.engineer2)
    await desk.engineer_writes("/assign", t2, reply_to=colleague["message_id"])
    case = await repo.get(second)
    assert case.claimed_by == desk.engineer2 and case.status.value == "claimed"
    await desk.engineer_writes("/close", t2, user=desk.engineer2)
    assert (await repo.get(second)).status.value == "closed"
    assert "закрыта" in desk.last_to_partner(desk.partner2).text
    # Members cannot post in a closed topic: the card's button reopens it.
    await desk.engineer_presses("Открыть снова", t2)
    assert (await repo.get(second)).status.value == "claimed" and not desk.emu.topics(desk.group)[t2].closed

    # "My cases" shows each partner only their own cases, with statuses.
    await desk.partner_says("📂 Мои заявки", desk.partner2)
    mine = desk.last_to_partner(desk.partner2).text
    assert f"№{second}" in mine and "в работе" in mine and f"№{first}" not in mine


async def test_next_takes_cases_strictly_oldest_first(desk, clock):
    numbers = []
    for user in (desk.partner, desk.partner2, desk.partner):
        numbers.append(await file_case(desk, user=user))
        clock.advance(timedelta(minutes=1))
    repo = desk.sb.app.cases.cases
    for step, engineer in enumerate((desk.engineer, desk.engineer2, desk.engineer)):
        await desk.engineer_writes("/next", None, user=engineer)
        claimed = [n for n in numbers if (await repo.get(n)).status.value == "claimed"]
        assert claimed == numbers[: step + 1]
        assert (await repo.get(numbers[step])).claimed_by == engineer


async def test_a_wish_goes_to_the_wishes_topic(desk):
    await run_dialog_to_attachments(
        desk, kind="Пожелание к оборудованию", model="DHI-NVR4108HS-4KS3", serial=None,
        description="Хотелось бы экспорт журнала событий в CSV прямо из веб-интерфейса регистратора.")
    await desk.partner_presses("Готово")
    await finish_after_attachments(desk)
    number = 1001
    topics = desk.open_topics()
    assert [t.name for t in topics.values()] == [texts.WISHES_TOPIC]
    wishes = next(iter(topics))
    card = desk.emu.bot_messages(desk.group, wishes)[0]
    assert "Пожелание к оборудованию" in card.text and "уровень 3" in card.text
    await desk.press(desk.engineer, card, "Взять")
    # In the shared topic a reply to the card reaches the wish's partner.
    await desk.engineer_writes("Спасибо, передадим пожелание производителю.", wishes, reply_to=card.message_id)
    assert "передадим пожелание" in desk.last_to_partner().text
    await desk.engineer_writes("/vendor пожелание отправлено в Dahua", wishes, reply_to=card.message_id)
    assert (await desk.sb.app.cases.cases.get(number)).status.value == "vendor"
    # A second wish lands in the same topic.
    await run_dialog_to_attachments(
        desk, desk.partner2, kind="Пожелание к оборудованию", brand="ATIX", model="AT-NC-2B2M-2.8", serial=None,
        description="Добавьте, пожалуйста, поддержку ONVIF Profile T в камеры ATIX.")
    await desk.partner_presses("Готово", desk.partner2)
    await finish_after_attachments(desk, desk.partner2)
    assert len(desk.open_topics()) == 1
    assert sum("Заявка №" in t for t in desk.texts_to(desk.group, wishes)) == 2


async def test_out_of_scope_request_with_typos_is_explained_and_goes_on(desk):
    await run_dialog_to_attachments(
        desk, serial=None,
        description="Падключитесь пажалуйста по тимвиверу и настройте удолённо регистратор, сами не справляемся")
    notice = desk.texts_to(desk.partner)[-2]
    assert "TeamViewer" in notice and "удалённо" in notice and "тестовом стенде" in notice
    assert desk.last_to_partner().text.startswith("Приложите")  # the dialog goes on
    await desk.partner_presses("Готово")
    await finish_after_attachments(desk)
    card = desk.card_of(1001)
    assert "Вне регламента" in card.text
    # Engineers answer with one tap.
    await desk.press(desk.engineer, card, "Взять")
    await desk.engineer_presses("Шаблоны ответов", desk.topic_of(1001))
    await desk.engineer_presses("Удалённый рабочий стол", desk.topic_of(1001))
    await desk.engineer_presses(texts.BTN_CANNED_SEND, desk.topic_of(1001))
    reply = desk.last_to_partner().text
    assert reply.startswith("💬 Поддержка · заявка №1001 (Алексей):") and "TeamViewer" in reply


async def test_partners_cannot_touch_each_others_cases(desk):
    mine = await file_case(desk, user=desk.partner)
    theirs = await file_case(desk, user=desk.partner2)
    thread = desk.topic_of(theirs)
    await desk.engineer_presses("Взять", thread)
    await desk.engineer_writes("/resolve готово", thread)
    repo = desk.sb.app.cases.cases
    before = await repo.get(theirs)
    forged = [
        FeedbackCb(action="solved", case_id=theirs).pack(),
        FeedbackCb(action="unsolved", case_id=theirs).pack(),
        FeedbackCb(action="rate", case_id=theirs, value=1).pack(),
        InfoCb(case_id=theirs).pack(),
        PickCaseCb(case_id=theirs).pack(),
        CaseCb(action="claim", case_id=theirs).pack(),
        CaseCb(action="close", case_id=theirs).pack(),
        CaseCb(action="reply", case_id=theirs, value=0).pack(),
        CaseCb(action="level", case_id=theirs, value=3).pack(),
    ]
    last_text = desk.last_to_partner().text
    anchor = desk.last_to_partner()
    for data in forged:
        await desk.emu.press_button(desk.partner, desk.partner, anchor.message_id, data, force=True)
    await desk.settle()
    after = await repo.get(theirs)
    assert after == before
    assert after.rating is None
    # Nothing of the other partner's case was shown to this partner.
    shown = "".join(desk.texts_to(desk.partner))
    assert f"№{theirs}" not in shown
    # A partner's commands in a private chat are not engineer commands.
    for command in ("/close", f"/resolve {theirs}", "/next", "/queue", "/info дайте пароль", "/assign"):
        await desk.partner_says(command)
    assert (await repo.get(theirs)).status == before.status
    assert (await repo.get(mine)).status.value == "new"
    assert "Очередь" not in "".join(desk.texts_to(desk.partner))


async def test_engineer_commands_outside_the_group_do_nothing(desk):
    number = await file_case(desk)
    outsider_group = -1009999999999
    desk.emu.add_group(outsider_group, "Чужая группа", is_forum=False)
    desk.emu.add_member(outsider_group, desk.engineer)
    for command in ("/next", "/queue", "/close", "/resolve всё", "/info пароль"):
        await desk.emu.send_text(desk.engineer, command, chat_id=outsider_group)
    card = desk.card_of(number)
    await desk.emu.press_button(desk.engineer, outsider_group, 1, CaseCb(action="claim", case_id=number).pack(), force=True)
    # The engineer's own private chat is not the group either.
    await desk.emu.send_text(desk.engineer, "/next")
    await desk.settle()
    case = await desk.sb.app.cases.cases.get(number)
    assert case.status.value == "new" and case.claimed_by is None
    assert desk.emu.bot_messages(outsider_group) == []
    assert card.text == desk.card_of(number).text
