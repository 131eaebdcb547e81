"""The intake's rules apart from Telegram: the model a text or a label gives, the contact offered again,
a label reading turned into answers, and the case a finished draft files."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from typing import TYPE_CHECKING, Any

from bot import texts
from bot.domain import NewCase, Partner, RequestType
from bot.services import intake_rules
from bot.services.cases import CaseService, SubmitResult, in_partners_order
from bot.services.contacts import Contacts
from bot.services.intake_draft import IntakeDraft
from bot.services.intake_rules import MODEL_BUTTONS, ModelChoice

if TYPE_CHECKING:  # the label reader pulls in zxing-cpp and Pillow: loaded on the first label photo only
    from bot.services.knowledge import KnowledgeService
    from bot.services.label import LabelReader

log = logging.getLogger(__name__)

# The request types a bulletin can answer before a case is filed (the regulation's general questions
# and documentation requests); a configuration problem or a fault goes to an engineer as before.
BULLETIN_TYPES = (RequestType.GENERAL, RequestType.DOCS)
BULLETINS_OFFERED = 3


class IntakeService:
    def __init__(self, *, cases: CaseService, catalogue: Any, label_ocr: bool = True,
                 knowledge: KnowledgeService | None = None) -> None:
        self.cases = cases
        self.catalogue = catalogue  # anything with match(text, limit): the reloadable CatalogueService
        self.label_ocr = label_ocr
        self.knowledge = knowledge
        self._reader: LabelReader | None = None

    # --- the model ---------------------------------------------------------------------------------

    def choose_model(self, typed: str, brand: str | None) -> ModelChoice:
        return intake_rules.choose_model(self.catalogue.match(typed, limit=MODEL_BUTTONS), typed, brand)

    @staticmethod
    def with_model(draft: IntakeDraft, choice: ModelChoice, typed: str) -> IntakeDraft:
        """The draft after a typed model: taken (the step is done) or candidates kept for the buttons."""
        if choice.model is not None:
            return draft.answer("model", model=choice.model, model_matched=choice.matched,
                                model_folders=choice.folders, model_typed=typed, candidates=())
        offered = tuple({"model": c.model, "folders": list(c.folders)} for c in choice.offered)
        return draft.changed(model_typed=typed, candidates=offered)

    # --- the contact -------------------------------------------------------------------------------

    @staticmethod
    def contact_to_confirm(draft: IntakeDraft, partner: Partner | None) -> dict[str, Any] | None:
        """The contact shown for a "yes": the one in the draft when whole, else the partner's last one."""
        contact = draft.contact
        if contact and contact.get("name") and contact.get("phone"):
            return contact
        return Contacts.known(partner)

    # --- the label -----------------------------------------------------------------------------------

    def _label_reader(self, brand: str) -> LabelReader:
        if self._reader is None:
            from bot.services.label import LabelReader, OcrReader

            self._reader = LabelReader(self.catalogue, ocr=OcrReader() if self.label_ocr else None)
        return dataclasses.replace(self._reader, brand=brand)

    async def read_label(self, data: bytes, brand: str | None) -> dict[str, Any] | None:
        """What a label photo gives the draft, checked as if typed; None when nothing usable was read."""
        from bot.services.label import UnreadableImage

        brand = brand or "Dahua"
        try:
            reading = await self._label_reader(brand).read_async(data)
        except UnreadableImage as exc:
            log.info("label photo not read: %s", exc)
            return None
        serial = None
        if reading.serial is not None:
            check = intake_rules.check_serial(reading.serial, brand)
            serial = check.value if check.ok else None
        model, matched, folders = None, False, ()
        text = reading.catalogue_model or reading.model
        if text:
            choice = self.choose_model(text, brand)
            # A model the catalogue only half knows is asked for by the model step, with its buttons.
            if choice.model is not None:
                model, matched, folders = choice.model, choice.matched, choice.folders
        if serial is None and model is None:
            return None
        return {"serial": serial, "model": model, "model_matched": matched, "model_folders": list(folders)}

    @staticmethod
    def confirm_label(draft: IntakeDraft) -> IntakeDraft:
        """The partner said the reading is right: what it holds answers the model and serial steps."""
        label = draft.label or {}
        if label.get("model"):
            draft = draft.answer("model", model=label["model"], model_matched=bool(label.get("model_matched")),
                                 model_folders=tuple(label.get("model_folders") or ()), candidates=())
        if label.get("serial"):
            draft = draft.answer("serial", serial=label["serial"])
        return draft.changed(label=None)

    # --- bulletins before a case ---------------------------------------------------------------------

    @staticmethod
    def offers_bulletins(draft: IntakeDraft) -> bool:
        """The bulletins step applies: a general or documentation question that bulletins matched."""
        return draft.kind in BULLETIN_TYPES and bool(draft.bulletins)

    async def with_bulletins(self, draft: IntakeDraft) -> IntakeDraft:
        """The draft after its description: the bulletins that may answer it (only bulletins, never
        another partner's case). The same offer the partner already turned down is not made again;
        a new one (the description was edited) is asked afresh."""
        offers: tuple[dict[str, Any], ...] = ()
        if self.knowledge is not None and draft.kind in BULLETIN_TYPES and draft.description:
            try:
                found = await self.knowledge.bulletins_for(draft.description, draft.model or "",
                                                           limit=BULLETINS_OFFERED)
            except Exception:  # the index failing must not stop a partner filing the case
                log.exception("intake: bulletins not searched")
                found = []
            offers = tuple({"id": o.id, "title": o.title, "excerpt": o.excerpt} for o in found)
        if offers == draft.bulletins:
            return draft
        return draft.reopen("bulletins", bulletins=offers)

    async def bulletin_helped(self, partner_id: int, draft: IntakeDraft) -> bool:
        """«Помогло»: the dialog ends without a case and the statistics count a question answered by a
        bulletin. False when this draft was counted before (the press handled again)."""
        if self.knowledge is None or not self.offers_bulletins(draft):
            return False
        return await self.knowledge.record_bulletin_answer(
            draft.submit_key or uuid.uuid4().hex, partner_id, draft.request_type or "", [b["id"] for b in draft.bulletins],
            self.cases.clock.now())

    # --- filing ------------------------------------------------------------------------------------

    def new_case(self, partner_id: int, draft: IntakeDraft) -> NewCase:
        now = self.cases.clock.now()
        request_type = RequestType(draft.request_type)
        level = self.cases.level_for(request_type)
        contact = draft.contact or {}
        return NewCase(
            submit_key=draft.submit_key,
            partner_id=partner_id,
            request_type=request_type,
            brand=draft.brand or "",
            model=draft.model or "",
            model_matched=draft.model_matched,
            model_folders=tuple(draft.model_folders),
            serial=draft.serial,
            description=draft.description or "",
            web_access=draft.web_access if request_type.asks_web_access else None,
            contact_name=contact.get("name") or "",
            contact_company=contact.get("company"),
            contact_phone=contact.get("phone") or "",
            level=level,
            after_hours=not self.cases.schedule.is_open(now),
            created_at=now,
            due_at=self.cases.due_for(level, now),
            attachments=tuple(in_partners_order(list(draft.attachments))),
        )

    async def submit(self, partner_id: int, draft: IntakeDraft) -> SubmitResult:
        """The case a finished draft files. The partner's "accepted" answer (with when the desk opens,
        after hours) is queued in the case's own transaction: a crash right after the commit cannot lose
        it, and a "Send" handled again cannot repeat it."""
        new = self.new_case(partner_id, draft)
        notes = [texts.after_hours_notice(self.cases.schedule, new.created_at)] if new.after_hours else []
        result = await self.cases.submit(new, confirm=notes)
        if result.created:
            await self.cases.find_similar(result.case)  # after the card is queued: it never waits for this
        return result
