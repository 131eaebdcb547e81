"""Cases: filing, claiming and relaying between partner and engineers. Every change is one
transaction that also queues what must be sent, so nothing is announced that was not stored."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from html import escape

from datetime import datetime
from typing import Any

from bot import texts
from bot.clock import Clock
from bot.config import Settings
from bot.domain import (
    MAX_ATTACHMENTS, Action, Attachment, Case, NewCase, RequestType, Status, allowed, next_status,
)
from bot.delivery.kinds import (
    AlbumItem, CaseCard, CopyMessage, EditCaption, EditCard, EditText, MediaEntry, MediaGroup, SendFile, SendText,
    TopicAction,
)
from bot.services.knowledge import Found, KnowledgeService
from bot.services.membership import Access, Membership
from bot.services.ports import Buttons, MailQueue, Outbox, Rows
from bot.services.schedule import Schedule, reaction_due, reminder_points
from bot.storage.cases import CaseRepository
from bot.storage.database import Database

log = logging.getLogger(__name__)

ALBUM_KINDS = {"photo": "visual", "video": "visual", "document": "document", "audio": "audio"}
# Status changes the HelpDesk hears of by mail (bot/delivery/mail.py), by the status reached.
MAIL_EVENTS = {Status.WAITING: "info_requested", Status.VENDOR: "escalated", Status.RESOLVED: "resolved",
               Status.CLOSED: "closed"}


@dataclass(frozen=True)
class Incoming:
    """A message to relay, reduced to what relaying needs (handlers build it from aiogram's Message)."""

    chat_id: int
    message_id: int
    kind: str                        # text, photo, video, document, voice, audio, animation, video_note, other
    html: str                        # text or caption as HTML, already escaped by aiogram
    reply_to_message_id: int | None = None
    media_group_id: str | None = None


@dataclass(frozen=True)
class ClaimResult:
    won: bool
    case: Case | None
    claimed_by_name: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What a lifecycle action did; `message` explains a refusal to whoever asked."""

    ok: bool
    case: Case | None
    message: str = ""


@dataclass(frozen=True)
class PartnerRoute:
    """Where a partner's message outside any dialog goes: their only open case, or they choose."""

    open_cases: tuple[Case, ...]

    @property
    def case(self) -> Case | None:
        return self.open_cases[0] if len(self.open_cases) == 1 else None

    @property
    def must_choose(self) -> bool:
        return len(self.open_cases) > 1


@dataclass
class SubmitResult:
    case: Case
    created: bool
    notes: list[str] = field(default_factory=list)


def in_partners_order(items: list[Attachment]) -> list[Attachment]:
    """Files by the partner's message ids: albums reach the bot in any order. Files from drafts
    made before ids were kept (None) stay where they were, ahead of the newer ones."""
    return sorted(items, key=lambda item: item.message_id or 0)


def attachment_batches(items: list[Attachment]) -> list[list[Attachment]]:
    """Group attachments the way Telegram allows albums: photos and videos together, documents
    together, audio together, 2 to 10 per album; anything else goes alone."""
    batches: list[list[Attachment]] = []
    by_family: dict[str, list[Attachment]] = {}
    for item in items:
        family = ALBUM_KINDS.get(item.kind)
        if family is None:
            batches.append([item])
        else:
            by_family.setdefault(family, []).append(item)
    for family_items in by_family.values():
        for start in range(0, len(family_items), 10):
            batches.append(family_items[start : start + 10])
    return batches


class CaseService:
    def __init__(
        self,
        *,
        db: Database,
        cases: CaseRepository,
        outbox: Outbox,
        clock: Clock,
        settings: Settings,
        schedule: Schedule,
        buttons: Buttons,
        membership: Membership | None = None,
        knowledge: KnowledgeService | None = None,
        mail: MailQueue | None = None,
    ) -> None:
        self.db = db
        self.knowledge = knowledge
        self.mail = mail
        self.membership = membership
        self.schedule = schedule
        self.buttons = buttons
        self.cases = cases
        self.outbox = outbox
        self.clock = clock
        self.settings = settings
        self.group_id = settings.engineers_chat_id

    # --- filing ----------------------------------------------------------------------------------

    def level_for(self, request_type: RequestType) -> int:
        return self.settings.default_levels.get(request_type.value, min(self.settings.reaction_levels))

    def due_for(self, level: int, filed_at: datetime) -> datetime:
        """Reaction is counted in working time from the moment the case was filed."""
        return reaction_due(self.schedule, filed_at, self.settings.reaction_levels[level])

    async def submit(self, new: NewCase, confirm: list[str] | None = None) -> SubmitResult:
        """Write the case and queue its delivery in one transaction; a second submit with the
        same key returns the case the first one made (created=False) and queues nothing.
        `confirm` (notes to add, possibly none) also queues the partner's "accepted" message."""
        if len(new.attachments) > MAX_ATTACHMENTS:
            raise ValueError(f"at most {MAX_ATTACHMENTS} attachments per case")
        async with self.db.transaction() as conn:
            case_id = await self.cases.insert(conn, new)
            if case_id is not None:
                await self.outbox.enqueue(conn, self.group_id, CaseCard(), case_id)
                await self._mail(conn, case_id, "new_case", {})
                # Room is kept for the similar solved cases the card may show later (find_similar).
                card_room = texts.MESSAGE_LIMIT - 1200 - texts.SIMILAR_CARD_ROOM
                if len(escape(new.description)) > card_room:
                    # The card shows the start; the whole text follows so nothing is cut off.
                    for chunk in split_text(escape(new.description), texts.MESSAGE_LIMIT - 100):
                        await self.outbox.enqueue(
                            conn, self.group_id, SendText(texts.FULL_DESCRIPTION + "\n" + chunk, to_topic=True), case_id,
                        )
                for batch in attachment_batches(list(new.attachments)):
                    await self._enqueue_files(conn, case_id, batch)
                if confirm is not None:
                    await self.outbox.enqueue(
                        conn, new.partner_id,
                        SendText(texts.case_accepted(f"№{case_id}", confirm), menu=self.buttons.main_menu_rows()),
                        case_id,
                    )
        if case_id is None:
            case = await self.cases.get_by_submit_key(new.submit_key)
            assert case is not None
            return SubmitResult(case, created=False)
        self.outbox.wake()
        self._wake_mail()
        case = await self.cases.get(case_id)
        assert case is not None
        log.info("Case %s filed by partner %s", case.id, case.partner_id)
        return SubmitResult(case, created=True, notes=list(confirm or []))

    async def find_similar(self, case: Case) -> list[Found]:
        """Solved cases like a new one, for its card. Called once the card is queued (and the outbox
        woken), so the search never holds the card back: the card goes out as it is and is edited when
        they are found (or drawn with them, if the search was quicker than the queue)."""
        if self.knowledge is None:
            return []
        try:
            found = await self.knowledge.similar_cases(case, limit=texts.SIMILAR_ON_CARD)
        except Exception:  # the card is out already; without the list it is still a whole card
            log.exception("Similar cases for case %s not searched", case.id)
            return []
        if not found:
            return []
        async with self.db.transaction() as conn:
            await self.knowledge.remember_similar(conn, case.id, found)
            await self.outbox.enqueue(conn, self.group_id, EditCard(), case.id)
        self.outbox.wake()
        return found

    async def _enqueue_files(self, conn, case_id: int, batch: list[Attachment]) -> None:
        if len(batch) == 1:
            item = batch[0]
            await self.outbox.enqueue(
                conn, self.group_id,
                SendFile(item.kind, item.file_id, escape(item.caption) if item.caption else None, to_topic=True),
                case_id,
            )
            return
        media = tuple(
            MediaEntry(item.kind, item.file_id, escape(item.caption) if item.caption else None) for item in batch
        )
        await self.outbox.enqueue(conn, self.group_id, MediaGroup(media, to_topic=True), case_id)

    # --- claiming ---------------------------------------------------------------------------------

    async def claim(self, case_id: int, engineer_id: int, engineer_name: str) -> ClaimResult:
        now = self.clock.now()
        async with self.db.transaction() as conn:
            won = await self.cases.try_claim(conn, case_id, engineer_id, engineer_name, now)
            if won:
                await self.cases.add_history(conn, case_id, now, engineer_id, engineer_name,
                                             Status.NEW, next_status(Action.CLAIM, Status.NEW), None)
                await self.outbox.enqueue(conn, self.group_id, EditCard(), case_id)
                case = await self._get_in(conn, case_id)
                await self.outbox.enqueue(
                    conn, case.partner_id, SendText(texts.case_claimed_for_partner(case.number, engineer_name)), case_id,
                )
                await self._mail(conn, case_id, "claimed", {"engineer": engineer_name})
        case = await self.cases.get(case_id)
        if won:
            self.outbox.wake()
            self._wake_mail()
            log.info("Case %s claimed by engineer %s", case_id, engineer_id)
            return ClaimResult(True, case, engineer_name)
        return ClaimResult(False, case, case.claimed_by_name if case else None)

    async def _mail(self, conn, case_id: int, event: str, payload: dict[str, Any], dedupe_key: str | None = None) -> None:
        """The HelpDesk's copy of a change, in the change's own transaction (when the bridge is on)."""
        if self.mail is not None:
            await self.mail.enqueue(conn, case_id, event, payload, dedupe_key)

    def _wake_mail(self) -> None:
        if self.mail is not None:
            self.mail.wake()

    async def _get_in(self, conn, case_id: int) -> Case:
        case = await self.cases.get(case_id)
        assert case is not None
        return case

    async def _enqueue_topic_update(self, conn, case: Case, action: str) -> None:
        # The title shows no status (texts.topic_name), so a status change renames nothing; a closed
        # case's topic is closed. Wishes share one topic: its open/closed state belongs to no single case.
        if case.request_type != RequestType.WISH:
            await self.outbox.enqueue(conn, self.group_id, TopicAction(action), case.id)

    # --- the lifecycle ----------------------------------------------------------------------------

    async def _transition(
        self,
        case: Case,
        to: Status,
        actor_id: int | None,
        actor_name: str | None,
        comment: str | None = None,
        *,
        fields: dict[str, Any] | None = None,
        partner_text: str | None = None,
        partner_buttons: Rows | None = None,
        topic_text: str | None = None,
    ) -> Outcome:
        """One status change: the row (only if nobody changed it meanwhile), its history line,
        the card, the topic title and the partner's message, in one transaction."""
        now = self.clock.now()
        fields = dict(fields or {})
        if case.status == Status.WAITING and to != Status.WAITING:
            # Time spent waiting for the partner does not count against the reaction time.
            fields.update(self._resume_fields(case, now))
        async with self.db.transaction() as conn:
            if not await self.cases.change_status(conn, case.id, case.status, to, **fields):
                fresh = await self.cases.get(case.id)
                return Outcome(False, fresh, texts.STATUS_CHANGED_MEANWHILE)
            await self.cases.add_history(conn, case.id, now, actor_id, actor_name, case.status, to, comment)
            await self.outbox.enqueue(conn, self.group_id, EditCard(), case.id)
            fresh = await self._get_in(conn, case.id)
            if self.knowledge is not None:  # what solved a case is known from its own commit on
                if to == Status.RESOLVED:
                    await self.knowledge.index_resolved(conn, fresh, comment or "")
                elif case.status in (Status.RESOLVED, Status.CLOSED) and to.is_open:
                    await self.knowledge.forget_case(conn, case.id)
            if case.status == Status.CLOSED:
                await self._enqueue_topic_update(conn, fresh, "reopen")
            if topic_text:
                await self.outbox.enqueue(conn, self.group_id, SendText(topic_text, to_topic=True), case.id)
            if to == Status.CLOSED:
                await self._enqueue_topic_update(conn, fresh, "close")
            if partner_text:
                await self.outbox.enqueue(conn, case.partner_id, SendText(partner_text, buttons=partner_buttons),
                                          case.id)
            event = MAIL_EVENTS.get(to) or ("reopened" if not case.status.is_open and to.is_open else None)
            if to == Status.CLAIMED and fields.get("claimed_by_name"):
                event = "claimed"  # assigned by a colleague
            if event is not None:
                await self._mail(conn, case.id, event, {"actor": actor_name, "comment": comment,
                                                        "engineer": fields.get("claimed_by_name")})
        self.outbox.wake()
        self._wake_mail()
        log.info("Case %s: %s -> %s by %s", case.id, case.status, to, actor_id)
        return Outcome(True, fresh, "")

    def _resume_fields(self, case: Case, now: datetime) -> dict[str, Any]:
        fields: dict[str, Any] = {"waiting_since": None}
        if case.waiting_since is not None and case.due_at is not None:
            paused = self.schedule.working_time_between(case.waiting_since, now)
            if paused.total_seconds() > 0:
                fields["due_at"] = self.schedule.add_working_time(case.due_at, paused)
        return fields

    async def _require(self, case_id: int, action: Action) -> tuple[Case | None, Outcome | None]:
        """The case, if the transition table allows the action from its status; else why not."""
        case = await self.cases.get(case_id)
        if case is None:
            return None, Outcome(False, None, texts.CASE_NOT_FOUND)
        if not allowed(action, case.status):
            if case.status == Status.NEW:
                return None, Outcome(False, case, texts.CLAIM_FIRST_SHORT)
            return None, Outcome(False, case, texts.not_allowed_now(case))
        return case, None

    async def request_info(self, case_id: int, engineer_id: int, engineer_name: str, what: str) -> Outcome:
        case, refusal = await self._require(case_id, Action.REQUEST_INFO)
        if refusal:
            return refusal
        to = next_status(Action.REQUEST_INFO, case.status)
        if to == case.status:
            # Another question while the first is open: tell the partner, keep the pause running.
            await self.notify_partner(case, texts.info_requested(case.number, what),
                                      self.buttons.info_done_rows(case.id))
            return Outcome(True, case, "")
        # «Готово» is under the request itself: the text asks for it before anything is sent.
        return await self._transition(
            case, to, engineer_id, engineer_name, what,
            fields={"waiting_since": self.clock.now()},
            partner_text=texts.info_requested(case.number, what),
            partner_buttons=self.buttons.info_done_rows(case.id),
        )

    async def partner_answered(self, case_id: int, partner_id: int) -> Outcome:
        case = await self.cases.get(case_id)
        if case is None or case.partner_id != partner_id or not allowed(Action.PARTNER_ANSWERED, case.status):
            return Outcome(False, case, "")
        return await self._transition(case, next_status(Action.PARTNER_ANSWERED, case.status), partner_id, case.contact_name, texts.PARTNER_ANSWERED_HISTORY)

    async def to_vendor(self, case_id: int, engineer_id: int, engineer_name: str, comment: str) -> Outcome:
        case, refusal = await self._require(case_id, Action.TO_VENDOR)
        if refusal:
            return refusal
        return await self._transition(case, next_status(Action.TO_VENDOR, case.status), engineer_id, engineer_name, comment,
                                      partner_text=texts.passed_to_vendor(case.number))

    async def resolve(self, case_id: int, engineer_id: int, engineer_name: str, summary: str) -> Outcome:
        case, refusal = await self._require(case_id, Action.RESOLVE)
        if refusal:
            return refusal
        return await self._transition(case, next_status(Action.RESOLVE, case.status), engineer_id, engineer_name, summary,
                                      fields={"resolved_at": self.clock.now()},
                                      partner_text=texts.resolved_for_partner(case.number, summary),
                                      partner_buttons=self.buttons.solved_question_rows(case.id))

    async def close(self, case_id: int, actor_id: int, actor_name: str, *, by_partner: bool = False) -> Outcome:
        case, refusal = await self._require(case_id, Action.CLOSE)
        if refusal:
            return refusal
        return await self._transition(
            case, next_status(Action.CLOSE, case.status), actor_id, actor_name, texts.HISTORY_CLOSED_BY_PARTNER if by_partner else None,
            fields={"closed_at": self.clock.now()},
            partner_text=None if by_partner else texts.closed_for_partner(case.number),
        )

    async def reopen(self, case_id: int, actor_id: int, actor_name: str, *, by_partner: bool = False) -> Outcome:
        case, refusal = await self._require(case_id, Action.REOPEN)
        if refusal:
            return refusal
        to = next_status(Action.REOPEN, case.status, owned=case.claimed_by is not None)
        return await self._transition(
            case, to, actor_id, actor_name, texts.HISTORY_NOT_SOLVED if by_partner else texts.HISTORY_REOPENED,
            fields={"resolved_at": None, "closed_at": None},
            partner_text=texts.reopened_for_partner(case.number, by_partner),
            topic_text=texts.REOPENED_BY_PARTNER if by_partner else None,
        )

    async def unclaim(self, case_id: int, engineer_id: int, engineer_name: str) -> Outcome:
        case, refusal = await self._require(case_id, Action.UNCLAIM)
        if refusal:
            return refusal
        return await self._transition(case, next_status(Action.UNCLAIM, case.status), engineer_id, engineer_name, texts.HISTORY_UNCLAIMED,
                                      fields={"claimed_by": None, "claimed_by_name": None, "claimed_at": None},
                                      topic_text=texts.unclaimed(engineer_name))

    async def assign(self, case_id: int, engineer_id: int, engineer_name: str, by_id: int, by_name: str) -> Outcome:
        case = await self.cases.get(case_id)
        if case is None:
            return Outcome(False, None, texts.CASE_NOT_FOUND)
        # Only somebody who may act in the engineers' group can own a case; an unknown answer
        # (Telegram unreachable, no group set) refuses too rather than guessing.
        if self.membership is None or await self.membership.access(engineer_id) is not Access.ALLOWED:
            return Outcome(False, case, texts.ASSIGN_NOT_MEMBER)
        if not allowed(Action.ASSIGN, case.status):
            return Outcome(False, case, texts.not_allowed_now(case))
        to = next_status(Action.ASSIGN, case.status)
        return await self._transition(
            case, to, by_id, by_name, texts.history_assigned(engineer_name),
            fields={"claimed_by": engineer_id, "claimed_by_name": engineer_name,
                    "claimed_at": case.claimed_at or self.clock.now()},
            partner_text=texts.case_claimed_for_partner(case.number, engineer_name),
            topic_text=texts.assigned(engineer_name, by_name),
        )

    async def next_for(self, engineer_id: int, engineer_name: str) -> ClaimResult:
        """Claim the oldest unclaimed case; if a colleague takes it first, try the next one."""
        for case in await self.cases.unclaimed():
            result = await self.claim(case.id, engineer_id, engineer_name)
            if result.won:
                return result
        return ClaimResult(False, None, None)

    async def partner_feedback(self, case_id: int, partner_id: int, solved: bool) -> Outcome:
        case = await self.cases.get(case_id)
        if case is None or case.partner_id != partner_id:
            return Outcome(False, None, texts.CASE_NOT_FOUND)
        if not allowed(Action.FEEDBACK, case.status):
            return Outcome(False, case, texts.FEEDBACK_TOO_LATE)
        name = case.contact_name
        if solved:
            return await self.close(case_id, partner_id, name, by_partner=True)
        return await self.reopen(case_id, partner_id, name, by_partner=True)

    async def rate(self, case_id: int, partner_id: int, rating: int) -> Outcome:
        case = await self.cases.get(case_id)
        if case is None or case.partner_id != partner_id or not 1 <= rating <= 5:
            return Outcome(False, None, texts.CASE_NOT_FOUND)
        if not allowed(Action.RATE, case.status):
            return Outcome(False, case, texts.FEEDBACK_TOO_LATE)
        await self.cases.set_rating(case_id, rating)
        await self._show_on_card(case_id)
        await self._mail_now(case_id, "rating", {"rating": rating})
        return Outcome(True, await self.cases.get(case_id), "")

    async def rating_comment(self, case_id: int, partner_id: int, comment: str) -> None:
        case = await self.cases.get(case_id)
        if case is None or case.partner_id != partner_id:
            return
        await self.cases.set_rating_comment(case_id, comment)
        if len(comment) > texts.RATING_COMMENT_ON_CARD:
            # The card shows the start; the engineers read the rest in the topic, nothing is cut off.
            async with self.db.batch() as conn:
                for chunk in split_text(escape(comment), texts.MESSAGE_LIMIT - 100):
                    await self.outbox.enqueue(
                        conn, self.group_id, SendText(texts.RATING_COMMENT_FULL + "\n" + chunk, to_topic=True), case_id,
                    )
        await self._show_on_card(case_id)
        await self._mail_now(case_id, "rating", {"rating": case.rating, "comment": comment})

    async def _show_on_card(self, case_id: int) -> None:
        """The rating goes onto the card: no note in a closed topic (that cost a reopen, the note and a close)."""
        async with self.db.batch() as conn:
            await self.outbox.enqueue(conn, self.group_id, EditCard(), case_id)
        self.outbox.wake()

    async def _mail_now(self, case_id: int, event: str, payload: dict[str, Any]) -> None:
        if self.mail is not None:
            async with self.db.batch() as conn:
                await self.mail.enqueue(conn, case_id, event, payload)
            self.mail.wake()

    async def set_level(self, case_id: int, level: int, engineer_id: int, engineer_name: str) -> Case | None:
        """A new level means a new reaction time, counted again from when the case was filed."""
        if level not in self.settings.reaction_levels:
            raise ValueError(f"no level {level}")
        case = await self.cases.get(case_id)
        if case is None or case.level == level or not allowed(Action.SET_LEVEL, case.status):
            return case
        due = self.due_for(level, case.created_at)
        async with self.db.batch() as conn:
            await self.cases.set_level(conn, case_id, level, due)
            await self.cases.add_history(conn, case_id, self.clock.now(), engineer_id, engineer_name,
                                         case.status, case.status, texts.history_level(case.level, level))
            await self.outbox.enqueue(conn, self.group_id, EditCard(), case_id)
            await self.outbox.enqueue(
                conn, self.group_id, SendText(texts.level_changed(level, engineer_name, due), to_topic=True), case_id,
            )
        self.outbox.wake()
        return await self.cases.get(case_id)

    async def remind_unclaimed(self) -> int:
        """Remind the group of unclaimed cases at 75 % of their reaction time and at breach, once
        each and only while the desk is open; returns how many reminders were queued."""
        now = self.clock.now()
        if not self.schedule.is_open(now):
            return 0
        sent = 0
        for case, warned, breached in await self.cases.unclaimed_with_due():
            points = reminder_points(self.schedule, case.created_at, case.due_at)
            if now >= points.breach_at and not breached:
                text, warn, breach = texts.reminder_breach(case), True, True
            elif now >= points.warn_at and not warned and now < points.breach_at:
                text, warn, breach = texts.reminder_warn(case), True, False
            else:
                continue
            async with self.db.batch() as conn:
                await self.cases.mark_reminded(conn, case.id, warn=warn, breach=breach)
                await self.outbox.enqueue(conn, self.group_id, SendText(text, to_topic=True), case.id)
            sent += 1
        if sent:
            self.outbox.wake()
        return sent

    # --- reading (handlers and dialogs see storage only through services) ------------------------

    async def get(self, case_id: int) -> Case | None:
        return await self.cases.get(case_id)

    async def by_submit_key(self, submit_key: str) -> Case | None:
        return await self.cases.get_by_submit_key(submit_key)

    async def for_partner(self, partner_id: int) -> list[Case]:
        return await self.cases.for_partner(partner_id)

    async def queue(self) -> list[Case]:
        """Unclaimed cases, oldest first."""
        return await self.cases.unclaimed()

    async def open_for_engineer(self, engineer_id: int) -> list[Case]:
        return await self.cases.open_for_engineer(engineer_id)

    async def case_in_group(self, chat_id: int, reply_to_message_id: int | None, thread_id: int | None) -> Case | None:
        """A topic belongs to its case; in a group without topics (and in the shared Wishes topic)
        a reply to one of the case's messages does, so the reply is asked first."""
        if reply_to_message_id is not None:
            case_id = await self.outbox.links.case_of_group_message(chat_id, reply_to_message_id)
            if case_id is not None:
                return await self.cases.get(case_id)
        if thread_id:
            return await self.cases.by_thread(thread_id)
        return None

    # --- relaying ---------------------------------------------------------------------------------

    async def route_partner_message(self, partner_id: int) -> PartnerRoute:
        """A partner writing outside any dialog writes to an open case of theirs."""
        return PartnerRoute(tuple(await self.cases.open_for_partner(partner_id)))

    async def partners_open_case(self, case_id: int | None, partner_id: int) -> Case | None:
        """The case a partner's button or answer names, only if it is theirs and still open:
        a forged button must not put a message into somebody else's case."""
        case = await self.cases.get(case_id) if case_id else None
        if case is None or case.partner_id != partner_id or not case.status.is_open:
            return None
        return case

    async def relay_from_partner(self, case: Case, message: Incoming, header: str) -> None:
        """The partner's message goes to the topic; one answering a request for information puts
        the case back in work."""
        await self.relay_to_topic(case, message, header)
        if allowed(Action.PARTNER_ANSWERED, case.status):
            await self.partner_answered(case.id, case.partner_id)

    async def relay_to_topic(self, case: Case, message: Incoming, header: str) -> None:
        """A partner's message goes into the case topic, with who wrote it on top."""
        await self._relay(case, message, header, chat_id=self.group_id, to_topic=True, origin="partner")

    async def relay_to_partner(self, case: Case, message: Incoming, header: str) -> None:
        await self._relay(case, message, header, chat_id=case.partner_id, to_topic=False, origin="engineer")

    async def _relay(
        self, case: Case, message: Incoming, header: str, *, chat_id: int, to_topic: bool, origin: str
    ) -> None:
        source = (message.chat_id, message.message_id)
        reply_to = (message.chat_id, message.reply_to_message_id) if message.reply_to_message_id else None
        common = {"to_topic": to_topic, "origin": origin, "source": source, "reply_to_source": reply_to}
        # Keys make a relay idempotent: an update handled again after a crash adds nothing.
        key = f"relay:{message.chat_id}:{message.message_id}:{chat_id}"
        header_only = SendText(header, to_topic=to_topic)
        async with self.db.batch() as conn:
            if message.media_group_id:
                await self.outbox.enqueue(conn, chat_id, header_only, case.id,
                                          dedupe_key=f"album:{message.media_group_id}:{chat_id}:header")
                await self.outbox.enqueue(
                    conn, chat_id, AlbumItem(message.media_group_id, message.chat_id, message.message_id, **common),
                    case.id, dedupe_key=key,
                )
            elif message.kind == "text":
                text = f"{header}\n{message.html}"
                if len(text) <= texts.MESSAGE_LIMIT:
                    await self.outbox.enqueue(conn, chat_id, SendText(text, **common), case.id, dedupe_key=key)
                else:
                    await self.outbox.enqueue(conn, chat_id, header_only, case.id, dedupe_key=key + ":header")
                    await self.outbox.enqueue(conn, chat_id, CopyMessage(message.chat_id, message.message_id, **common),
                                              case.id, dedupe_key=key)
            else:
                caption: str | None = f"{header}\n{message.html}" if message.html else header
                if message.kind in ("video_note", "sticker") or len(caption) > texts.CAPTION_LIMIT:
                    # These carry no caption (or it would not fit): the header goes first, alone.
                    await self.outbox.enqueue(conn, chat_id, header_only, case.id, dedupe_key=key + ":header")
                    caption = None
                await self.outbox.enqueue(
                    conn, chat_id, CopyMessage(message.chat_id, message.message_id, caption, **common), case.id,
                    dedupe_key=key,
                )
            # The HelpDesk hears the conversation too: an album once, not once per file.
            mail_key = f"mail:album:{message.media_group_id}:{origin}" if message.media_group_id else f"mail:{key}"
            await self._mail(conn, case.id, f"{origin}_message",
                             {"text": message.html, "kind": message.kind, "header": header}, dedupe_key=mail_key)
        self.outbox.wake()
        self._wake_mail()

    async def case_of_relayed(self, chat_id: int, message_id: int) -> Case | None:
        """The case a message was relayed for, if the bot relayed it or has it queued to relay
        (edits are mirrored only then; a queued edit follows its original in the same lane)."""
        copies = await self.outbox.links.copies_of(chat_id, message_id)
        case_id = copies[0].case_id if copies else None
        if case_id is None:
            case_id = await self.outbox.repo.case_of_pending_source(chat_id, message_id)
        return await self.cases.get(case_id) if case_id is not None else None

    async def mirror_edit(self, case: Case, message: Incoming, header: str, *, to_partner: bool) -> None:
        """An edited message is edited in the other chat too (text or caption)."""
        chat_id = case.partner_id if to_partner else self.group_id
        kind = EditText if message.kind == "text" else EditCaption
        text = f"{header}\n{message.html}" if message.html else header
        limit = texts.MESSAGE_LIMIT if kind is EditText else texts.CAPTION_LIMIT
        if len(text) > limit:
            text = text[: limit - 1] + "…"
        delivery = kind((message.chat_id, message.message_id), text, to_topic=not to_partner)
        async with self.db.batch() as conn:
            await self.outbox.enqueue(conn, chat_id, delivery, case.id)
        self.outbox.wake()

    async def notify_partner(self, case: Case, text: str, buttons: Rows | None = None) -> None:
        async with self.db.batch() as conn:
            await self.outbox.enqueue(conn, case.partner_id, SendText(text, buttons=buttons or None), case.id)
        self.outbox.wake()

    async def note_in_group(self, text: str, thread_id: int | None = None) -> None:
        """An answer to an engineer's command outside a case topic (General, the Wishes topic)."""
        async with self.db.batch() as conn:
            await self.outbox.enqueue(conn, self.group_id, SendText(text, thread_id=thread_id))
        self.outbox.wake()

    async def note_in_topic(self, case: Case, text: str) -> None:
        await self.note_in_topic_with_markup(case, text, None)

    async def note_in_topic_with_markup(self, case: Case, text: str, buttons: Rows | None) -> None:
        """`buttons`: rows of (label, callback data), built into a keyboard when the note is sent."""
        async with self.db.batch() as conn:
            await self.outbox.enqueue(conn, self.group_id, SendText(text, to_topic=True, buttons=buttons or None),
                                      case.id)
        self.outbox.wake()


def split_text(text: str, size: int) -> list[str]:
    """Cut escaped text into pieces of at most `size`, on line or word breaks where possible and
    never inside an HTML entity such as &amp;."""
    pieces = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        if cut < size // 2:
            cut = text.rfind(" ", 0, size)
        if cut < size // 2:
            cut = size
            amp = text.rfind("&", cut - 8, cut)
            if amp != -1 and ";" not in text[amp:cut]:
                cut = amp
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n ")
    if text:
        pieces.append(text)
    return pieces
