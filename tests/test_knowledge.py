"""The knowledge index on the service alone: stems, ranking, cases indexed on resolve, bulletins."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.app import make_schedule
from bot.clock import MSK, FixedClock
from bot.config import Settings
from bot.domain import NewCase, RequestType
from bot.services.cases import CaseService
from bot.services.intake import IntakeService
from bot.services.intake_draft import IntakeDraft
from bot.services.knowledge import (
    BulletinOffer, Found, HistoryRecord, KnowledgeService, excerpt_for, model_family, read_bulletin, terms_of,
)
from bot.services.membership import Access
from bot.storage.cases import CaseRepository
from bot.storage.outbox import MessageLinkRepository
from bot.storage.partners import PartnerRepository
from tests.test_case_rules import ENGINEER, GROUP, PARTNER, FixedMembership, PlainButtons, RecordingOutbox

ROOT = Path(__file__).resolve().parents[1]


def test_russian_forms_of_one_word_meet_on_one_stem():
    assert len(set(terms_of("записывает"))) == 1
    assert terms_of("записывает") == terms_of("запись") == terms_of("записи") == terms_of("архива")
    assert terms_of("камерами") == terms_of("камера")
    assert terms_of("Здравствуйте, подскажите пожалуйста") == []


def test_model_family_keys_the_model_and_its_series():
    assert model_family("DH-IPC-HFW2431S-S-0280B") == ("IPCHFW2431SS0280B", "HFW24")
    assert model_family("hfw2431s")[1] == "HFW24"
    assert model_family("NVR4108HS-4KS2") == ("NVR4108HS4KS2", "NVR41")
    assert model_family("") == ("", "")


def test_the_excerpt_is_the_paragraph_closest_to_the_question():
    text = "# Заголовок\n\nПро питание камер.\n\nПро пароль администратора и его сброс."
    assert excerpt_for(text, set(terms_of("забыл пароль"))) == "Про пароль администратора и его сброс."


@pytest.fixture
async def knowledge(db, tmp_path):
    return KnowledgeService(db=db, bulletins_dir=tmp_path / "bulletins")


def record(ref: str, question: str, answer: str = "ответ", model: str = "") -> HistoryRecord:
    return HistoryRecord(id=ref, question=question, answer=answer, model=model)


async def test_a_second_wording_finds_the_imported_ticket(knowledge):
    await knowledge.import_history([
        record("1", "Регистратор перестал записывать архив после обновления прошивки"),
        record("2", "Камера не переключается в ночной режим, ИК подсветка не работает"),
        record("3", "Забыли пароль администратора от регистратора, как сбросить"),
    ])
    found = await knowledge.search("после апдейта нет записи на реге")
    assert [f.id for f in found][:1] == ["1"]
    assert found[0].kind == "imported" and found[0].score > 0
    # a typo the index never saw still reaches the word it meant
    assert [f.id for f in await knowledge.search("паорль сбрость")][:1] == ["3"]
    assert await knowledge.search("") == []


async def test_the_same_model_ranks_above_the_same_series_above_others(knowledge):
    question = "Камера теряет связь с облаком P2P"
    await knowledge.import_history([
        *(record(f"filler{n}", f"Вопрос {n} про звук и диск") for n in range(5)),
        record("other", question, model="IPC-HDW1230SP"),
        record("series", question, model="IPC-HFW2439S-SA-LED"),
        record("model", question, model="DH-IPC-HFW2431S-S-0280B"),
    ])
    found = await knowledge.search(question, model="IPC-HFW2431S-S-0280B")
    assert [f.id for f in found] == ["model", "series", "other"]
    assert found[0].score > found[1].score > found[2].score
    # a model alone brings in nothing that does not match by its words
    assert await knowledge.search("ONVIF", model="IPC-HFW2431S-S-0280B") == []


async def test_importing_again_adds_nothing_twice(knowledge):
    records = [record("1", "Нет звука с микрофона камеры"), record("2", "Регистратор не видит диск")]
    assert await knowledge.import_history(records) == 2
    assert await knowledge.import_history(records) == 0
    assert await knowledge.repo.count() == 2


@pytest.fixture
def cases(db, clock, knowledge):
    settings = Settings(_env_file=None, engineers_chat_id=GROUP)
    return CaseService(db=db, cases=CaseRepository(db), outbox=RecordingOutbox(MessageLinkRepository(db)), clock=clock,
                       settings=settings, schedule=make_schedule(settings), buttons=PlainButtons(),
                       membership=FixedMembership({ENGINEER: Access.ALLOWED}), knowledge=knowledge)


async def file(service: CaseService, description: str, key: str, model: str = "NVR4108HS-4KS2") -> int:
    now = service.clock.now()
    await PartnerRepository(service.db).touch(PARTNER, "Иван", None, now)
    new = NewCase(
        submit_key=key, partner_id=PARTNER, request_type=RequestType.MALFUNCTION, brand="Dahua", model=model,
        model_matched=True, model_folders=(), serial=None, description=description, web_access=False,
        contact_name="Иван", contact_company=None, contact_phone="+79990000000", level=1, after_hours=False,
        created_at=now, due_at=now + timedelta(hours=4),
    )
    return (await service.submit(new)).case.id


async def test_a_case_is_indexed_when_it_is_resolved_and_forgotten_when_reopened(cases, knowledge):
    solved = await file(cases, "Регистратор перестал писать архив после обновления", "a")
    assert await knowledge.search("не пишет архив") == []  # open cases answer nothing
    await cases.claim(solved, ENGINEER, "Пётр")
    assert (await cases.resolve(solved, ENGINEER, "Пётр", "Включили расписание записи")).ok
    found = await knowledge.search("не идёт запись")
    assert [(f.kind, f.id, f.title) for f in found] == [("case", str(solved), "Включили расписание записи")]

    new = await file(cases, "После прошивки регистратор не записывает", "b")
    similar = await knowledge.similar_cases(await cases.get(new))
    assert [f.id for f in similar] == [str(solved)]
    assert await knowledge.similar_cases(await cases.get(solved)) == []  # never the case itself

    assert (await cases.reopen(solved, ENGINEER, "Пётр")).ok
    assert await knowledge.search("не идёт запись") == []


async def test_similar_cases_are_searched_after_the_card_is_queued_and_kept_for_it(cases, knowledge):
    solved = await file(cases, "Регистратор перестал писать архив после обновления", "a")
    await cases.claim(solved, ENGINEER, "Пётр")
    assert (await cases.resolve(solved, ENGINEER, "Пётр", "Включили расписание записи")).ok
    new = await file(cases, "После прошивки регистратор не записывает архив", "b")
    queued = [(type(d).__name__, case_id) for _, d, case_id in cases.outbox.items if case_id == new]
    assert queued == [("CaseCard", new)]  # the card is queued by itself: nothing was searched yet

    searched_when: list[list] = []
    real = knowledge.similar_cases

    async def watching(case, limit=3):
        searched_when.append([type(d).__name__ for _, d, case_id in cases.outbox.items if case_id == new])
        return await real(case, limit)

    knowledge.similar_cases = watching
    found = await cases.find_similar(await cases.get(new))
    assert searched_when == [["CaseCard"]]
    assert [(f.id, f.title) for f in found] == [(str(solved), "Включили расписание записи")]
    assert [type(d).__name__ for _, d, case_id in cases.outbox.items if case_id == new] == ["CaseCard", "EditCard"]
    stored = [Found.from_stored(item) for item in await knowledge.repo.similar_for(new)]
    assert [(f.kind, f.id, f.title, f.model) for f in stored] == [
        ("case", str(solved), "Включили расписание записи", "NVR4108HS-4KS2")]


async def test_a_failing_or_empty_search_leaves_the_card_alone(cases, knowledge):
    new = await file(cases, "Нет звука с микрофона камеры в приложении", "c")

    async def broken(case, limit=3):
        raise RuntimeError("index is gone")

    assert await cases.find_similar(await cases.get(new)) == []  # nothing solved yet
    knowledge.similar_cases = broken
    assert await cases.find_similar(await cases.get(new)) == []
    assert [type(d).__name__ for _, d, case_id in cases.outbox.items if case_id == new] == ["CaseCard"]
    assert await knowledge.repo.similar_for(new) == []


def write_pdf(path: Path, text: str) -> None:
    """A one-page PDF with `text` in Helvetica, built by hand (the suite has no PDF writer)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))


async def test_bulletins_are_indexed_from_the_folder_and_follow_its_changes(knowledge, tmp_path):
    folder = tmp_path / "bulletins"
    folder.mkdir()
    (folder / "p2p.md").write_text("# Устройство не в сети P2P\n\nВключите P2P и проверьте DNS.\n", encoding="utf-8")
    (folder / "poe.txt").write_bytes("Камера перезагружается от PoE\n\nНе хватает бюджета PoE.\n".encode("cp1251"))
    write_pdf(folder / "onvif.pdf", "ONVIF password fails when the time differs")
    (folder / "notes.docx").write_bytes(b"not a bulletin")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 nonsense")

    report = await knowledge.sync_bulletins()
    assert (report.indexed, report.removed) == (3, 0)
    assert [name for name, _ in report.failed] == ["broken.pdf"]
    offers = await knowledge.bulletins_for("камера в облаке не в сети", "")
    assert offers == [BulletinOffer("Устройство не в сети P2P", "Включите P2P и проверьте DNS.", "p2p.md")]
    assert [o.id for o in await knowledge.bulletins_for("камера перезагружается, питание PoE")][:1] == ["poe.txt"]
    assert [o.id for o in await knowledge.bulletins_for("onvif password")] == ["onvif.pdf"]

    (folder / "p2p.md").unlink()
    (folder / "poe.txt").write_text("Камера перезагружается ночью\n\nПроверьте кабель.\n", encoding="utf-8")
    report = await knowledge.sync_bulletins()
    assert (report.indexed, report.unchanged, report.removed) == (1, 1, 1)
    assert await knowledge.bulletins_for("облако P2P") == []
    assert [o.excerpt for o in await knowledge.bulletins_for("перезагружается кабель")] == ["Проверьте кабель."]


async def test_bulletins_never_offer_cases(knowledge):
    await knowledge.import_history([record("1", "Камера не в сети P2P")])
    assert await knowledge.bulletins_for("камера не в сети P2P") == []


def test_the_shipped_bulletins_read_with_titles_and_models():
    folder = ROOT / "data" / "bulletins"
    bulletins = [read_bulletin(path) for path in sorted(folder.iterdir())]
    assert 3 <= len(bulletins) <= 5
    assert all(b.title and len(b.text) > 300 for b in bulletins)
    assert read_bulletin(folder / "nvr-recording-after-firmware.md").model == "NVR4108HS-4KS2"


async def test_a_missing_bulletins_folder_stops_start_up_with_one_line_naming_it(tmp_path):
    from bot.app import build_app
    from bot.config import SettingsError, load_settings

    settings = load_settings(_env_file=None, database_path=tmp_path / "db.sqlite3",
                             firmware_catalogue_dir=ROOT / "data" / "firmware", calendar_dir=ROOT / "data" / "calendar",
                             bulletins_dir=tmp_path / "nowhere")
    with pytest.raises(SettingsError) as caught:
        await build_app(settings)
    assert str(caught.value) == f"BULLETINS_DIR: folder {tmp_path / 'nowhere'} does not exist"
    assert not (tmp_path / "db.sqlite3").exists()


async def test_the_benchmark_runs_on_a_small_scale_and_its_set_is_complete():
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_knowledge

    items = bench_knowledge.load_set()
    assert len(items) >= 60 and len({i["id"] for i in items}) == len(items)
    assert all(i["question"] and i["answer"] and i["second_wording"] and i["second_wording"] != i["question"]
               for i in items)
    result = await bench_knowledge.measure(items[:10], total=50)
    assert result["indexed"] == 50 and result["questions"] == 10
    assert 0 <= result["recall@1"] <= result["recall@3"] <= 1


# --- the intake's rules for bulletins (IntakeService, no Telegram) ---------------------------------------

async def shipped_bulletins(db) -> KnowledgeService:
    knowledge = KnowledgeService(db=db, bulletins_dir=ROOT / "data" / "bulletins")
    await knowledge.sync_bulletins()
    return knowledge


def intake_with(knowledge, clock) -> IntakeService:
    return IntakeService(cases=SimpleNamespace(clock=clock), catalogue=None, knowledge=knowledge)


DESCRIBED = IntakeDraft(submit_key="k1", request_type="general", model="DHI-NVR4108HS-4KS3").answer(
    "description", description="Регистратор после обновления прошивки перестал писать архив")


async def test_bulletins_are_offered_for_general_and_docs_questions_only(db):
    intake = intake_with(await shipped_bulletins(db), FixedClock(datetime(2026, 3, 2, 10, 0, tzinfo=MSK)))
    for kind in ("general", "docs"):
        draft = await intake.with_bulletins(DESCRIBED.changed(request_type=kind))
        assert [b["id"] for b in draft.bulletins] == ["nvr-recording-after-firmware.md"]
        assert draft.bulletins[0]["title"] == "Регистратор не пишет архив после обновления прошивки"
        assert IntakeService.offers_bulletins(draft) and not draft.is_answered("bulletins")
    for kind in ("config", "malfunction", "wish"):
        draft = await intake.with_bulletins(DESCRIBED.changed(request_type=kind))
        assert draft.bulletins == () and not IntakeService.offers_bulletins(draft)
    # nothing in the bulletins like it: no step
    quiet = await intake.with_bulletins(DESCRIBED.changed(description="Хотим заказать сорок коробок"))
    assert quiet.bulletins == ()
    # no index at all (a desk without one): the dialog goes on as before
    assert (await intake_with(None, None).with_bulletins(DESCRIBED)).bulletins == ()


async def test_an_offer_turned_down_is_not_made_again_but_a_new_one_is(db):
    intake = intake_with(await shipped_bulletins(db), FixedClock(datetime(2026, 3, 2, 10, 0, tzinfo=MSK)))
    declined = (await intake.with_bulletins(DESCRIBED)).answer("bulletins")
    # the same description edited from the summary: the same offer, still declined
    again = await intake.with_bulletins(declined.reopen("description").answer("description"))
    assert again.is_answered("bulletins") and again.bulletins == declined.bulletins
    # another question: offered afresh
    other = await intake.with_bulletins(declined.answer("description", description="Камера в DMSS офлайн, P2P не в сети"))
    assert [b["id"] for b in other.bulletins] == ["p2p-offline.md"] and not other.is_answered("bulletins")


async def test_helped_is_counted_once_per_draft_in_its_period(db):
    knowledge = await shipped_bulletins(db)
    at = datetime(2026, 3, 2, 10, 0, tzinfo=MSK)
    intake = intake_with(knowledge, FixedClock(at))
    draft = await intake.with_bulletins(DESCRIBED)
    assert await intake.bulletin_helped(PARTNER, draft) is True
    assert await intake.bulletin_helped(PARTNER, draft) is False  # the same press handled again
    assert await intake.bulletin_helped(PARTNER, DESCRIBED) is False  # nothing was offered: nothing to count
    day = timedelta(days=1)
    assert await knowledge.bulletin_answers_between(at - day, at + day) == 1
    assert await knowledge.bulletin_answers_between(at + timedelta(seconds=1), at + day) == 0


def test_a_draft_keeps_its_offer_through_json_and_tolerates_a_bad_one():
    draft = DESCRIBED.changed(bulletins=({"id": "a.md", "title": "А", "excerpt": "текст"},))
    assert IntakeDraft.from_json(draft.to_json()) == draft
    stored = {**draft.to_dict(), "bulletins": [{"id": "a.md", "title": "А", "excerpt": ""}, "junk", None]}
    assert IntakeDraft.from_dict(stored).bulletins == ({"id": "a.md", "title": "А", "excerpt": ""},)
    assert IntakeDraft.from_dict({**draft.to_dict(), "bulletins": None}).bulletins == ()


def test_the_cards_block_fits_the_room_the_card_keeps_for_it():
    from bot import texts

    longest = [Found(kind="case", id=str(10_000 + n), title="Заменили блок питания & <кабель> " * 10, score=1.0,
                     model="DHI-NVR5864-EI-256-ЧТО-ТО-ОЧЕНЬ-ДЛИННОЕ-" * 3, thread_id=99_999) for n in range(5)]
    block = texts.similar_block(longest, -1001234567890)
    assert len(block) <= texts.SIMILAR_CARD_ROOM
    assert block.count("• ") == texts.SIMILAR_ON_CARD == 3
    assert "&amp;" in block and "<кабель>" not in block  # escaped


async def test_words_every_bulletin_has_offer_none_and_a_word_only_one_has_picks_it(db):
    knowledge = await shipped_bulletins(db)

    async def offered(question: str) -> list[str]:
        return [o.id for o in await knowledge.bulletins_for(question)]

    # «камера», «включить» are in most bulletins: a question about SMD Plus shares nothing else with them
    assert await offered("Подскажите, как работает функция SMD Plus на этой камере и где её включить?") == []
    assert await offered("камера") == []
    assert await offered("Хотим заказать сорок коробок") == []
    # «onvif» is in one bulletin only: that is the one, though the rest of the words are common
    assert await offered("как подключить камеру hikvision к регистратору по onvif") == ["onvif-third-party.txt"]
    assert await offered("Камера не видна в облаке, статус не в сети") == ["p2p-offline.md"]


async def test_a_latin_name_typed_in_cyrillic_is_read_back(knowledge):
    await knowledge.import_history([
        record("1", "Камера в приложении DMSS показывает статус офлайн"),
        record("2", "Регистратор не даёт подключить больше 8 камер"),
    ])
    # «дмсс» is no word the index has; read as dmss it is the cloud app, as the first ticket says
    assert [f.id for f in await knowledge.search("висит в дмсс")] == ["1"]
    # a word the index knows is taken as it is, not read as Latin
    assert [f.id for f in await knowledge.search("камер больше восьми")][:1] == ["2"]


async def test_a_failing_bulletin_search_lets_the_partner_go_on(db):
    class Broken:
        async def bulletins_for(self, text, model="", limit=3):
            raise RuntimeError("index is gone")

    draft = await intake_with(Broken(), None).with_bulletins(DESCRIBED)
    assert draft.bulletins == () and not IntakeService.offers_bulletins(draft)
    assert draft.is_answered("description")
