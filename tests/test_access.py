"""Who may reach whom: a ban stops every kind of update a banned partner sends, and only members
of the engineers' group reach partners (issue 13, items 2 and 3)."""

from __future__ import annotations

from datetime import timedelta

from aiogram.types import MessageReactionUpdated

from bot import app as app_module
from bot import texts
from bot.callbacks import PickCaseCb
from tests.flows import PNG, file_case

OTHER_BOT = 5001


def group_state(desk) -> list[tuple[int, int | None, int, str | None]]:
    """Every message of the group with its edit count and text: any relay or mirrored edit shows."""
    return [(m.message_id, m.thread_id, m.edited, m.content_text) for m in desk.emu.messages(desk.group)]


async def subscribe_to_reactions(desk, monkeypatch, seen: list) -> None:
    """The bot has no reaction handler today; this one stands for any handler added later: the
    dispatcher then asks Telegram for message_reaction updates, and we see what gets through."""

    async def probe(event: MessageReactionUpdated) -> None:
        seen.append(event)

    make_dispatcher = app_module.make_dispatcher

    def with_probe(**dependencies):
        dp = make_dispatcher(**dependencies)
        dp.message_reaction.register(probe)
        return dp

    monkeypatch.setattr(app_module, "make_dispatcher", with_probe)
    await desk.sb.restart()  # polling states allowed_updates when it starts
    await desk.partner_says("/start", desk.partner2)
    assert "message_reaction" in desk.emu.world.updates.allowed


async def test_a_ban_stops_every_kind_of_update_with_one_notice(desk, monkeypatch):
    number = await file_case(desk)
    thread = desk.topic_of(number)
    await desk.engineer_presses("Взять", thread)
    earlier = await desk.partner_says("Камера на объекте, IP 10.0.0.5")
    assert any("10.0.0.5" in t for t in desk.texts_to(desk.group, thread))
    reactions: list = []
    await subscribe_to_reactions(desk, monkeypatch, reactions)
    await desk.emu.send_text(desk.admin, f"/ban {desk.partner} спам")
    await desk.settle()
    assert f"Партнёр {desk.partner} заблокирован" in desk.last_to(desk.admin).text

    group_before = group_state(desk)
    to_partner_before = len(desk.emu.bot_messages(desk.partner))
    last = desk.emu.bot_messages(desk.partner)[-1]
    with_buttons = [m for m in desk.emu.bot_messages(desk.partner) if desk.buttons(m)]
    await desk.partner_says("Ответьте уже!")
    await desk.partner_says("/new")
    await desk.emu.edit_text(desk.partner, desk.partner, earlier["message_id"], "Камера на объекте, IP 10.0.0.6")
    await desk.settle()
    await desk.partner_sends_photo(data=PNG, caption="фото")
    await desk.emu.send_album(desk.partner, [{"type": "photo", "data": PNG}, {"type": "photo", "data": PNG}])
    await desk.settle()
    await desk.partner_sends("contact", phone_number="+79990001122", first_name="Иван")
    presses = [await desk.emu.press_button(desk.partner, desk.partner, last.message_id,
                                           PickCaseCb(case_id=number).pack(), force=True)]
    if with_buttons:
        pressed = with_buttons[-1]
        presses.append(await desk.emu.press_button(desk.partner, desk.partner, pressed.message_id,
                                                   desk.buttons(pressed)[0][1], force=True))
    reaction = await desk.emu.react(desk.partner, desk.partner, last.message_id, "👍")
    assert reaction is not None  # Telegram did send it: the bot asked for reactions
    await desk.settle()

    assert group_state(desk) == group_before  # nothing relayed, nothing edited, no new topic
    assert reactions == []
    after = desk.emu.bot_messages(desk.partner)[to_partner_before:]
    assert [m.text for m in after] == [texts.BANNED_NOTICE]
    for query in presses:
        assert desk.emu.callback_answer(query["id"]) is not None  # the spinner stops
    # The other partner is not affected, reactions included.
    await desk.emu.react(desk.partner2, desk.partner2, desk.emu.bot_messages(desk.partner2)[-1].message_id, "🔥")
    await desk.settle()
    assert [r.user.id for r in reactions] == [desk.partner2]


async def test_a_ban_notice_comes_once_even_if_the_first_thing_is_a_button(desk):
    await desk.partner_says("/start")
    await desk.emu.send_text(desk.admin, f"/ban {desk.partner}")
    await desk.settle()
    before = len(desk.emu.bot_messages(desk.partner))
    anchor = desk.emu.bot_messages(desk.partner)[-1]
    query = await desk.emu.press_button(desk.partner, desk.partner, anchor.message_id,
                                        PickCaseCb(case_id=1).pack(), force=True)
    await desk.settle()
    assert desk.emu.callback_answer(query["id"]) is not None
    await desk.partner_says("Алло")
    assert [m.text for m in desk.emu.bot_messages(desk.partner)[before:]] == [texts.BANNED_NOTICE]


# --- the engineers' group ------------------------------------------------------------------------


async def claimed_case(desk) -> tuple[int, int]:
    number = await file_case(desk)
    thread = desk.topic_of(number)
    await desk.engineer_presses("Взять", thread)
    return number, thread


def partner_texts(desk) -> list[str]:
    return desk.texts_to(desk.partner)


async def test_only_members_reach_partners_and_membership_is_cached(desk):
    number, thread = await claimed_case(desk)
    calls_before = len(desk.emu.calls("getChatMember"))
    for i in range(3):
        await desk.engineer_writes(f"Ответ {i}: проверьте настройки детектора", thread)
    assert sum("проверьте настройки детектора" in t for t in partner_texts(desk)) == 3
    # The engineer was asked about once (on the Claim press), not once per message.
    asked = [c for c in desk.emu.calls("getChatMember") if str(c.params.get("user_id")) == str(desk.engineer)]
    assert len(asked) == 1 and len(desk.emu.calls("getChatMember")) == calls_before

    # Someone who was in the group when writing (or editing) and was removed before the bot read it.
    relayed = await desk.engineer_writes("Ответ коллеги", thread, user=desk.engineer2)
    assert "Ответ коллеги" in partner_texts(desk)[-1]
    topic_before = len(desk.emu.bot_messages(desk.group, thread))
    await desk.sb.stop_bot()
    await desk.emu.send_text(desk.engineer2, "Ответ от уволенного", chat_id=desk.group, thread_id=thread)
    await desk.emu.edit_text(desk.engineer2, desk.group, relayed["message_id"], "Ответ коллеги: купите у нас")
    await desk.emu.send_text(desk.engineer2, "/close", chat_id=desk.group, thread_id=thread)
    desk.emu.add_member(desk.group, desk.engineer2, "kicked", by=desk.engineer)
    await desk.sb.start_bot()
    await desk.settle()
    assert not any("уволенного" in t or "купите" in t for t in partner_texts(desk))
    assert len(desk.emu.bot_messages(desk.group, thread)) == topic_before  # and no answer in the topic
    assert (await desk.sb.app.cases.cases.get(number)).status.value == "claimed"


async def test_a_removal_counts_at_once_not_when_the_cache_expires(desk, clock):
    number, thread = await claimed_case(desk)
    await desk.engineer_writes("Первый ответ", thread)  # the engineer's membership is now cached
    # Made read-only: Telegram tells the bot (chat_member), so the cached "member" is replaced.
    desk.emu.add_member(desk.group, desk.engineer, "restricted", rights={"can_send_messages": False}, by=desk.engineer2)
    await desk.settle()
    query = await desk.engineer_presses("В очередь", thread)
    answer = desk.emu.callback_answer(query["id"])
    assert answer["text"] == texts.GROUP_MEMBERS_ONLY and answer.get("show_alert")
    assert (await desk.sb.app.cases.cases.get(number)).claimed_by == desk.engineer
    # Allowed to write again: the next message is relayed.
    desk.emu.add_member(desk.group, desk.engineer, "restricted", rights={"can_send_messages": True}, by=desk.engineer2)
    await desk.settle()
    await desk.engineer_writes("Снова на связи", thread)
    assert "Снова на связи" in partner_texts(desk)[-1]


async def test_read_only_members_reactions_stop_at_the_door_too(desk, monkeypatch):
    number, thread = await claimed_case(desk)
    reactions: list = []
    await subscribe_to_reactions(desk, monkeypatch, reactions)
    card = desk.card_of(number)
    await desk.emu.react(desk.engineer, desk.group, card.message_id, "👍")
    await desk.settle()
    assert [r.user.id for r in reactions] == [desk.engineer]
    # Read-only, but allowed to react (a group's permissions keep the two apart).
    desk.emu.add_member(desk.group, desk.engineer2, "restricted",
                        rights={"can_send_messages": False, "can_react_to_messages": True})
    await desk.settle()
    assert await desk.emu.react(desk.engineer2, desk.group, card.message_id, "👍") is not None
    await desk.settle()
    assert [r.user.id for r in reactions] == [desk.engineer]


async def test_buttons_in_a_public_group_are_for_members_only(desk):
    number = await file_case(desk)
    thread = desk.topic_of(number)
    desk.emu.world.chats[desk.group].username = "torus_engineers"  # public: anyone may read it
    stranger = 3999
    desk.emu.add_user(stranger, "Гость")
    query = await desk.engineer_presses("Взять", thread, user=stranger)
    assert desk.emu.callback_answer(query["id"])["text"] == texts.GROUP_MEMBERS_ONLY
    assert (await desk.sb.app.cases.cases.get(number)).status.value == "new"


async def test_non_members_in_an_open_discussion_group_are_not_relayed(desk):
    number, thread = await claimed_case(desk)
    desk.emu.world.chats[desk.group].join_to_send_messages = False  # people may write without joining
    stranger = 3999
    desk.emu.add_user(stranger, "Гость")
    before = len(desk.emu.bot_messages(desk.partner))
    await desk.emu.send_text(stranger, "Купите наши камеры!", chat_id=desk.group, thread_id=thread)
    await desk.emu.send_text(stranger, "/resolve всё", chat_id=desk.group, thread_id=thread)
    await desk.settle()
    assert len(desk.emu.bot_messages(desk.partner)) == before
    assert (await desk.sb.app.cases.cases.get(number)).status.value == "claimed"
    assert desk.emu.bot_messages(desk.group, thread)[-1].text not in (texts.CLAIM_FIRST, texts.MEMBERSHIP_UNCHECKED_NOT_SENT)


async def test_other_bots_are_ignored_and_anonymous_admins_told(desk):
    number, thread = await claimed_case(desk)
    desk.emu.add_other_bot(OTHER_BOT, "Помощник", "helper_torus_bot", bot_to_bot=True)
    desk.emu.add_member(desk.group, OTHER_BOT, "member")
    card = desk.card_of(number)
    before_partner = len(desk.emu.bot_messages(desk.partner))
    before_topic = len(desk.emu.bot_messages(desk.group, thread))
    # A reply to the bot's message: with bot-to-bot mode Telegram delivers it.
    await desk.emu.send_text(OTHER_BOT, "Автоответ: тикет принят", chat_id=desk.group, thread_id=thread,
                             reply_to=card.message_id)
    await desk.settle()
    assert desk.emu.world.updates.allowed  # the bot polls
    assert len(desk.emu.bot_messages(desk.partner)) == before_partner
    assert len(desk.emu.bot_messages(desk.group, thread)) == before_topic  # silently
    # An administrator who remains anonymous is a colleague: told why nothing went out.
    desk.emu.add_member(desk.group, desk.engineer2, "administrator", rights={"is_anonymous": True})
    await desk.emu.send_text(desk.engineer2, "Ответ анонимно", chat_id=desk.group, thread_id=thread, anonymous=True)
    await desk.emu.send_text(desk.engineer2, "#заметка анонимно", chat_id=desk.group, thread_id=thread, anonymous=True)
    await desk.settle()
    assert len(desk.emu.bot_messages(desk.partner)) == before_partner
    assert desk.texts_to(desk.group, thread)[before_topic:] == [texts.ANONYMOUS_ADMIN_NOT_RELAYED]


async def test_membership_unknown_keeps_nothing_silent(desk):
    number, thread = await claimed_case(desk)
    desk.emu.add_member(desk.group, desk.engineer2, "member")
    desk.emu.faults.add(method="getChatMember", kind="drop", times=None)
    before_partner = len(desk.emu.bot_messages(desk.partner))
    await desk.engineer_writes("Ответ без проверки", thread, user=desk.engineer2)
    assert len(desk.emu.bot_messages(desk.partner)) == before_partner
    assert desk.last_to(desk.group, thread).text == texts.MEMBERSHIP_UNCHECKED_NOT_SENT
    query = await desk.engineer_presses("В очередь", thread, user=desk.engineer2)
    assert desk.emu.callback_answer(query["id"])["text"] == texts.MEMBERSHIP_UNCHECKED
    # Someone already known keeps working from the cache while Telegram fails.
    await desk.engineer_writes("Ответ от известного", thread)
    assert "Ответ от известного" in partner_texts(desk)[-1]
    desk.emu.faults.clear()
    await desk.engineer_writes("Ответ после сбоя", thread, user=desk.engineer2)
    assert "Ответ после сбоя" in partner_texts(desk)[-1]
