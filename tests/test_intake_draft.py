"""IntakeDraft: the JSON round trip, and drafts stored as the old untyped dicts migrating when read."""

from bot.domain import Attachment
from bot.services.intake_draft import VERSION, IntakeDraft

# What the dialog stored before drafts had a version: a dict, keys missing until their step was answered.
OLD = {
    "submit_key": "abc123",
    "attachments": [{"kind": "photo", "file_id": "F1", "file_unique_id": "U1", "file_name": None,
                     "caption": "наклейка", "media_group_id": None, "message_id": 7}],
    "request_type": "config",
    "brand": "Dahua",
    "model": "DH-IPC-HFW2431SP-S-0280B",
    "model_matched": True,
    "model_folders": ["IPC/HFW2431SP"],
    "model_typed": "hfw2431sp",
    "candidates": [],
    "paused_at": "serial",
    "something_unknown": 1,
}


def test_an_old_dict_draft_migrates_with_every_answer_kept():
    draft = IntakeDraft.from_dict(OLD)
    assert draft.version == VERSION
    assert draft.submit_key == "abc123" and draft.request_type == "config" and draft.brand == "Dahua"
    assert draft.model == "DH-IPC-HFW2431SP-S-0280B" and draft.model_matched is True
    assert draft.model_folders == ("IPC/HFW2431SP",)
    # Which steps were done is read off the keys version 1 set as its steps were answered.
    assert draft.answered == ("request_type", "brand", "model")
    assert draft.attachments == (Attachment("photo", "F1", "U1", None, "наклейка", None, 7),)
    # Steps not reached yet are empty, not guessed.
    assert draft.serial is None and draft.description is None and draft.contact is None and draft.web_access is None


def test_an_empty_or_missing_draft_is_a_fresh_one():
    assert IntakeDraft.from_dict(None) == IntakeDraft()
    assert IntakeDraft.from_dict({}).started is False


def test_json_round_trip_keeps_everything():
    draft = IntakeDraft.from_dict(OLD).changed(
        serial="7J0123456789ABC", web_access=False, contact={"name": "Иван", "company": None, "phone": "+79991234567"},
        label={"serial": "7J0123456789ABC", "model": "DH-IPC-HFW2431SP-S-0280B"})
    again = IntakeDraft.from_json(draft.to_json())
    assert again == draft
    assert again.to_dict()["version"] == VERSION


def test_migrating_twice_changes_nothing():
    once = IntakeDraft.from_dict(OLD).to_dict()
    assert IntakeDraft.from_dict(once).to_dict() == once


def test_no_or_dont_know_at_the_serial_step_means_not_at_hand():
    from bot.services.intake_rules import serial_not_at_hand
    for answer in ("не знаю", "Нет", "нет.", "  Не  знаю! "):
        assert serial_not_at_hand(answer), answer
    for answer in ("7J0123456789ABC", "нет наклейки, но есть коробка", ""):
        assert not serial_not_at_hand(answer), answer


def test_an_old_draft_past_the_attachments_counts_them_and_a_whole_contact_as_done():
    old = {**OLD, "serial": None, "description": "Камера не пишет архив после обновления.", "web_access": False,
           "contact": {"name": "Иван", "company": None, "phone": "+79991234567"}}
    draft = IntakeDraft.from_dict(old)
    assert draft.answered == ("request_type", "brand", "model", "serial", "description", "attachments",
                              "web_access", "contact")
    # A contact without its phone was still being typed: the step is not done.
    half = IntakeDraft.from_dict({**old, "contact": {"name": "Иван"}, "web_access": None})
    assert "contact" not in half.answered and "attachments" in half.answered
    # Paused at the attachments themselves: not done.
    at_files = IntakeDraft.from_dict({**OLD, "serial": "7J0123456789ABC", "description": "Камера не пишет архив."})
    assert at_files.answered[-1] == "description"


def test_answer_and_reopen():
    draft = IntakeDraft().answer("request_type", request_type="config").answer("brand", brand="Dahua")
    assert draft.answered == ("request_type", "brand") and draft.is_answered("brand")
    again = draft.answer("brand", brand="ATIX")
    assert again.answered == ("request_type", "brand") and again.brand == "ATIX"
    reopened = again.reopen("brand", "model", web_access=None)
    assert reopened.answered == ("request_type",) and reopened.brand == "ATIX"  # the value stays until answered
