"""Floods end to end: one partner sending far more than the bot answers, by polling and by webhook.
Another partner is still answered, every flooded update is handled once and in order, and the
flooding partner is asked once to wait."""

from __future__ import annotations

import asyncio

from bot import texts
from bot.lanes import FLOOD_BACKLOG, MAX_CONCURRENT
from tests.test_webhook import PARTNER, SECRET, hook, partner_update, post  # noqa: F401  (hook: a fixture)

# More than the handling slots: one chat's waiting updates used to take every one of them.
FLOOD = MAX_CONCURRENT * 2 + 10


class HeldFirstCall:
    """Replaces `case_repo.for_partner` (what /cases reads): the first call waits until released,
    so the flooding partner's lane is busy for as long as the test wants, without timing."""

    def __init__(self, repo) -> None:
        self.original = repo.for_partner
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.calls = 0

    async def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == 1:
            self.entered.set()
            await self.release.wait()
        return await self.original(*args, **kwargs)


class HandlingOrder:
    """An outer middleware noting the update ids in the order their handling starts, per chat."""

    def __init__(self) -> None:
        self.by_chat: dict[int, list[int]] = {}

    async def __call__(self, handler, event, data):
        if event.message is not None:
            self.by_chat.setdefault(event.message.chat.id, []).append(event.update_id)
        return await handler(event, data)


def answers(emu, chat_id: int) -> list[str]:
    return [m.text or "" for m in emu.bot_messages(chat_id)]


async def test_a_partners_flood_does_not_hold_up_another_partner(desk, monkeypatch):
    app = desk.sb.app
    held = HeldFirstCall(app.dp["case_repo"])
    monkeypatch.setattr(app.dp["case_repo"], "for_partner", held)
    order = HandlingOrder()
    app.dp.update.outer_middleware(order)

    for _ in range(FLOOD):
        await desk.emu.send_text(desk.partner, "/cases")
    await asyncio.wait_for(held.entered.wait(), timeout=10)
    await desk.emu.send_text(desk.partner2, "/start")
    # The other partner is answered while the flooding partner's first /cases is still in hand.
    await desk.emu.wait_for(lambda: answers(desk.emu, desk.partner2), timeout=20,
                            message="the other partner's answer waited for the flood")
    assert "Здравствуйте" in answers(desk.emu, desk.partner2)[0]
    assert texts.my_cases([]) not in answers(desk.emu, desk.partner)
    # Asked to wait once, before any of the flood is answered.
    await desk.emu.wait_for(lambda: texts.FLOOD_WAIT in answers(desk.emu, desk.partner), timeout=10)

    held.release.set()
    await desk.settle()
    to_partner = answers(desk.emu, desk.partner)
    assert to_partner.count(texts.my_cases([])) == FLOOD  # nothing dropped
    assert to_partner.count(texts.FLOOD_WAIT) == 1
    assert to_partner[0] == texts.FLOOD_WAIT
    handled = order.by_chat[desk.partner]
    assert handled == sorted(handled) and len(handled) == len(set(handled)) == FLOOD
    left = await app.db.fetchall("SELECT update_id FROM inbox WHERE handled_at IS NULL")
    assert left == []

    # Once the backlog is gone, a later burst may be asked again; a normal pace never is.
    for _ in range(3):
        await desk.partner_says("/cases")
    assert answers(desk.emu, desk.partner).count(texts.FLOOD_WAIT) == 1


async def test_a_stop_mid_flood_keeps_the_rest_for_the_next_start(desk, monkeypatch):
    app = desk.sb.app
    held = HeldFirstCall(app.dp["case_repo"])
    monkeypatch.setattr(app.dp["case_repo"], "for_partner", held)
    for _ in range(FLOOD):
        await desk.emu.send_text(desk.partner, "/cases")
    await asyncio.wait_for(held.entered.wait(), timeout=10)
    await desk.emu.wait_for(lambda: app.updates.lanes.waiting == FLOOD, timeout=10)  # all taken in
    stopping = asyncio.create_task(desk.sb.stop_bot())
    await desk.emu.wait_for(lambda: app.updates.lanes.stopping, timeout=10)
    held.release.set()  # the update in hand finishes; the backlog waits in the inbox
    await asyncio.wait_for(stopping, timeout=20)
    assert app.closed
    answered = answers(desk.emu, desk.partner).count(texts.my_cases([]))
    assert answered < FLOOD

    await desk.sb.start_bot()
    await desk.settle()
    assert answers(desk.emu, desk.partner).count(texts.my_cases([])) == FLOOD  # each once, none lost
    left = await desk.sb.app.db.fetchall("SELECT update_id FROM inbox WHERE handled_at IS NULL")
    assert left == []


async def test_a_burst_below_the_bound_is_not_asked_to_wait(desk, monkeypatch):
    app = desk.sb.app
    held = HeldFirstCall(app.dp["case_repo"])
    monkeypatch.setattr(app.dp["case_repo"], "for_partner", held)
    for _ in range(FLOOD_BACKLOG + 1):  # the one in hand plus FLOOD_BACKLOG waiting
        await desk.emu.send_text(desk.partner, "/cases")
    await asyncio.wait_for(held.entered.wait(), timeout=10)
    await desk.emu.send_text(desk.partner2, "/start")
    await desk.emu.wait_for(lambda: answers(desk.emu, desk.partner2), timeout=20)
    held.release.set()
    await desk.settle()
    to_partner = answers(desk.emu, desk.partner)
    assert to_partner.count(texts.my_cases([])) == FLOOD_BACKLOG + 1
    assert texts.FLOOD_WAIT not in to_partner


async def test_a_flood_over_the_webhook_is_taken_at_once_and_handled_in_turn(hook, monkeypatch):
    app = hook.app
    held = HeldFirstCall(app.dp["case_repo"])
    monkeypatch.setattr(app.dp["case_repo"], "for_partner", held)
    order = HandlingOrder()
    app.dp.update.outer_middleware(order)
    other = 1002  # the second partner of the sandbox's cast

    flood = [await partner_update(hook.emu, PARTNER.user_id, "/cases") for _ in range(FLOOD)]
    for update in flood:
        # Each answered once stored, while the first is still held: a flood must not keep
        # Telegram's connections to the webhook busy, or nobody else's update would arrive.
        assert await asyncio.wait_for(post(hook.url, update, SECRET), timeout=10) == 200
    await asyncio.wait_for(held.entered.wait(), timeout=10)
    assert await asyncio.wait_for(post(hook.url, await partner_update(hook.emu, other, "/start"), SECRET), 10) == 200
    await hook.emu.wait_for(lambda: answers(hook.emu, other), timeout=20)
    assert texts.my_cases([]) not in answers(hook.emu, PARTNER.user_id)

    held.release.set()
    await hook.emu.wait_for(lambda: answers(hook.emu, PARTNER.user_id).count(texts.my_cases([])) == FLOOD,
                            timeout=30)
    await app.settle(timeout=10)
    to_partner = answers(hook.emu, PARTNER.user_id)
    assert to_partner.count(texts.my_cases([])) == FLOOD and to_partner.count(texts.FLOOD_WAIT) == 1
    handled = order.by_chat[PARTNER.user_id]
    assert handled == [u["update_id"] for u in flood]
    assert await app.db.fetchall("SELECT update_id FROM inbox WHERE handled_at IS NULL") == []


async def test_the_webhook_refuses_beyond_its_bound_and_keeps_nothing_it_refused(hook, monkeypatch):
    app = hook.app
    held = HeldFirstCall(app.dp["case_repo"])
    monkeypatch.setattr(app.dp["case_repo"], "for_partner", held)
    app.updates.lanes.max_waiting = 2
    first, second, third = [await partner_update(hook.emu, PARTNER.user_id, "/cases") for _ in range(3)]
    assert await post(hook.url, first, SECRET) == 200
    assert await post(hook.url, second, SECRET) == 200
    await asyncio.wait_for(held.entered.wait(), timeout=10)
    # Not stored: Telegram keeps an update answered 503 and posts it again later.
    assert await post(hook.url, third, SECRET) == 503
    stored = await app.db.fetchall("SELECT update_id FROM inbox ORDER BY update_id")
    assert [row["update_id"] for row in stored] == [first["update_id"], second["update_id"]]
    held.release.set()
    await app.settle(timeout=10)
    assert await post(hook.url, third, SECRET) == 200
    await app.settle(timeout=10)
    assert answers(hook.emu, PARTNER.user_id).count(texts.my_cases([])) == 3
