"""Intake rules the dialog used to hold, tested alone: when a typed model is taken, what contact is kept."""

from __future__ import annotations

from dataclasses import replace

from bot.domain import Brand
from bot.services.catalogue import CatalogueMatch, MatchResult
from bot.services.contacts import Contacts
from bot.services.intake_rules import MODEL_BUTTONS, ModelChoice, choose_model
from bot.storage.partners import PartnerRepository

LENS_28 = CatalogueMatch("DH-IPC-HFW2431SP-S-0280B", 100.0, ("Dahua/IPC/HFW2431",))
LENS_36 = CatalogueMatch("DH-IPC-HFW2431SP-S-0360B", 90.0, ("Dahua/IPC/HFW2431",))


def test_an_accepted_match_is_taken_with_its_folders_whatever_the_brand():
    result = MatchResult("hfw2431sp-s 2.8", LENS_28, (LENS_28, LENS_36))
    for brand in (Brand.DAHUA.value, "Hikvision", None):
        assert choose_model(result, "hfw2431sp-s 2.8", brand) == ModelChoice(
            LENS_28.model, True, ("Dahua/IPC/HFW2431",))


def test_candidates_are_offered_for_the_catalogues_brands_and_capped_at_the_buttons():
    many = tuple(replace(LENS_36, model=f"DH-IPC-HFW2431SP-S-{i}") for i in range(MODEL_BUTTONS + 3))
    result = MatchResult("hfw2431", None, many, family=True)
    choice = choose_model(result, "hfw2431", Brand.DAHUA.value)
    assert choice.model is None and choice.family and choice.offered == many[:MODEL_BUTTONS]
    # Nothing found for Dahua or ATIX: nothing offered, the dialog says "not found" (not taken as typed).
    assert choose_model(MatchResult("xyz", None, ()), "xyz", Brand.ATIX.value) == ModelChoice(None)


def test_another_brands_model_is_taken_as_typed_unless_the_catalogue_really_has_candidates():
    assert choose_model(MatchResult("DS-2CD2043", None, ()), "DS-2CD2043", "Hikvision") == ModelChoice("DS-2CD2043")
    near = MatchResult("DS-2CD2043", None, (LENS_36,), near_miss=True)
    assert choose_model(near, "DS-2CD2043", "Hikvision") == ModelChoice("DS-2CD2043")
    real = MatchResult("HFW2431", None, (LENS_28, LENS_36), family=True)
    assert choose_model(real, "HFW2431", "Hikvision").offered == (LENS_28, LENS_36)


async def test_a_contact_is_remembered_and_offered_again_once_it_has_a_phone(db, clock):
    partners = PartnerRepository(db)
    contacts = Contacts(partners)
    fresh = await partners.touch(7001, "Иван", None, clock.now())
    assert Contacts.known(fresh) is None and Contacts.known(None) is None
    await contacts.remember(7001, {"name": "Иван Петров", "company": None, "phone": "+79990000000"})
    assert Contacts.known(await partners.get(7001)) == {
        "name": "Иван Петров", "company": None, "phone": "+79990000000"}
