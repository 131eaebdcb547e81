"""Admin rules on the service alone (no aiogram, no emulator): whom a ban names, who cannot be banned."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from bot import texts
from bot.config import Settings
from bot.domain import NewCase, RequestType
from bot.services import stats
from bot.services.administration import Administration, BanRefusal, BanResult
from bot.storage.mail import MailOutboxRepository
from bot.storage.cases import CaseRepository
from bot.storage.engineers import EngineerRepository
from bot.storage.partners import PartnerRepository

ADMIN = 42
PARTNER = 7001


class Standing:
    async def status(self, user_id: int) -> str:
        return {501: "member"}.get(user_id, "left")


def new_case(key: str, now) -> NewCase:
    return NewCase(
        submit_key=key, partner_id=PARTNER, request_type=RequestType.GENERAL, brand="Dahua", model="NVR4108",
        model_matched=False, model_folders=(), serial=None, description="Как настроить запись",
        web_access=None, contact_name="Иван", contact_company=None, contact_phone="+79990000000", level=3,
        after_hours=False, created_at=now, due_at=now + timedelta(hours=8))


@pytest.fixture
async def desk(db, clock):
    partners = PartnerRepository(db)
    cases = CaseRepository(db)
    admin = Administration(cases=cases, partners=partners, engineers=EngineerRepository(db), membership=Standing(),
                           settings=Settings(_env_file=None, admin_ids=str(ADMIN)))
    now = clock.now()
    for user in (PARTNER, ADMIN):
        await partners.touch(user, "Иван", None, now)
    async with db.transaction() as conn:
        case_id = await cases.insert(conn, new_case("k", now))
    return admin, partners, case_id


async def test_a_ban_names_a_partner_by_user_id_or_by_case_number(desk):
    admin, partners, case_id = desk
    assert await admin.resolve_partner(str(PARTNER)) == PARTNER
    assert await admin.resolve_partner(f"№{case_id}") == PARTNER
    assert await admin.resolve_partner(f"#{case_id}") == PARTNER  # no such user id: read as a case number
    assert await admin.resolve_partner("№999") is None
    assert await admin.resolve_partner("Иван") is None
    assert await admin.set_banned("№999", True, None) == BanResult(None, BanRefusal.NOT_FOUND)
    assert await admin.set_banned(f"№{case_id}", True, "спам") == BanResult(PARTNER)
    assert await partners.is_banned(PARTNER)
    assert await admin.set_banned(str(PARTNER), False, None) == BanResult(PARTNER)
    assert not await partners.is_banned(PARTNER)


async def test_an_admin_cannot_be_banned_but_can_be_unbanned(desk):
    admin, partners, _ = desk
    assert await admin.set_banned(str(ADMIN), True, None) == BanResult(ADMIN, BanRefusal.ADMIN)
    assert not await partners.is_banned(ADMIN)
    assert await admin.set_banned(str(ADMIN), False, None) == BanResult(ADMIN)


async def test_stats_and_export_tell_how_the_helpdesk_copy_stands(db, clock, desk):
    _, partners, first = desk
    cases = CaseRepository(db)
    mail = MailOutboxRepository(db)
    admin = Administration(cases=cases, partners=partners, engineers=EngineerRepository(db), membership=Standing(),
                           settings=Settings(_env_file=None, admin_ids=str(ADMIN)), mail=mail)
    now = clock.now()
    async with db.transaction() as conn:
        second = await cases.insert(conn, new_case("k2", now))
        third = await cases.insert(conn, new_case("k3", now))
        for case_id in (second, third):
            await mail.enqueue(conn, case_id, "new_case", {})
        await mail.enqueue(conn, second, "claimed", {"engineer": "Алексей"})  # a later event does not count
    head = await mail.head()
    await mail.fail(head.id, "554 rejected")
    found = await admin.cases_between(now - timedelta(days=1), now + timedelta(days=1))
    # The first case was filed while the bridge was off: it has no copy.
    assert await admin.helpdesk_copies(found) == {second: "failed", third: "pending"}
    data = (await admin.export_csv(found)).decode("utf-8-sig")
    rows = {int(r["Номер"]): r for r in csv.DictReader(io.StringIO(data), delimiter=";")}
    assert {n: (r["Канал"], r["Копия в HelpDesk"]) for n, r in rows.items()} == {
        first: ("Telegram", "нет"), second: ("Telegram", "не доставлена"), third: ("Telegram", "в очереди")}
    period = stats.parse_period("week", now)
    report = texts.stats_report(stats.compute(found, period, None, now,  # no case was claimed: no working hours to count
                                              await admin.helpdesk_copies(found)))
    assert "<b>Как поступили</b>\nTelegram: 3" in report
    assert "<b>Копия в HelpDesk</b>" in report
    assert {"нет: 1", "не доставлена: 1", "в очереди: 1"} <= set(report.split("\n"))
