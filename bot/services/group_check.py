"""Set-up checks of the engineers' group: can the bot work there, and in which mode. Run at start-up,
by `python -m bot check` and by /reload, which also says what has been fixed since."""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

log = logging.getLogger(__name__)


class GroupProblem(enum.Enum):
    MISSING = "missing"                  # Telegram knows no such chat (a wrong id, or the bot never was in it)
    NOT_MEMBER = "not_member"            # the bot left or was removed
    NOT_ADMIN = "not_admin"              # a plain member: it cannot make topics, and may be muted
    NO_TOPIC_RIGHTS = "no_topic_rights"  # an administrator without "Manage topics"
    NO_TOPICS = "no_topics"              # topics are off: cases go to the group itself
    UNCHECKED = "unchecked"              # Telegram did not answer


# One line each for the log (the admins get the Russian text from bot.texts).
LOG_LINES = {
    GroupProblem.MISSING: "Telegram knows no such chat; check ENGINEERS_CHAT_ID and that the bot was added",
    GroupProblem.NOT_MEMBER: "the bot is not a member; add it back as an administrator with 'Manage topics'",
    GroupProblem.NOT_ADMIN: "the bot is not an administrator; make it one with 'Manage topics'",
    GroupProblem.NO_TOPIC_RIGHTS: "the bot lacks the 'Manage topics' right; case topics cannot be made",
    GroupProblem.NO_TOPICS: "topics are off; cases go to the group itself, answered by replying to their messages",
    GroupProblem.UNCHECKED: "could not be checked: Telegram did not answer",
}


@dataclass(frozen=True)
class GroupFacts:
    """What Telegram says about the group and the bot in it (getChat, getChatMember)."""

    found: bool
    title: str | None = None
    is_forum: bool = False
    bot_status: str | None = None        # creator, administrator, member, restricted, left, kicked
    can_manage_topics: bool = False
    error: str | None = None             # Telegram could not be asked: nothing else is known
    retry_after: float | None = None     # Telegram asked to wait this long first (a 429)


def problems_of(facts: GroupFacts) -> tuple[GroupProblem, ...]:
    if facts.error is not None:
        return (GroupProblem.UNCHECKED,)
    if not facts.found:
        return (GroupProblem.MISSING,)
    if facts.bot_status in (None, "left", "kicked"):
        return (GroupProblem.NOT_MEMBER,)
    problems = []
    if facts.bot_status in ("member", "restricted"):
        problems.append(GroupProblem.NOT_ADMIN)
    elif facts.bot_status == "administrator" and facts.is_forum and not facts.can_manage_topics:
        problems.append(GroupProblem.NO_TOPIC_RIGHTS)
    if not facts.is_forum:
        problems.append(GroupProblem.NO_TOPICS)
    return tuple(problems)


@dataclass(frozen=True)
class GroupReport:
    group_id: int
    facts: GroupFacts
    problems: tuple[GroupProblem, ...]
    fixed: tuple[GroupProblem, ...] = ()  # problems the previous check found that are gone now

    @property
    def title(self) -> str | None:
        return self.facts.title

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def postponed(self) -> float | None:
        """Seconds to wait before checking again, when Telegram asked for a pause instead of answering."""
        return self.facts.retry_after


Probe = Callable[[int], Awaitable[GroupFacts]]
Notify = Callable[[str], Awaitable[None]]


class GroupCheck:
    """Checks every configured group; remembers what it found, so the next run can say what is fixed."""

    def __init__(self, *, probe: Probe, groups: Iterable[int | None]) -> None:
        self.probe = probe
        self.groups = tuple(dict.fromkeys(g for g in groups if g is not None))
        self.last: dict[int, tuple[GroupProblem, ...]] = {}

    async def run(self) -> list[GroupReport]:
        reports = []
        for group_id in self.groups:
            facts = await self.probe(group_id)
            problems = problems_of(facts)
            before = self.last.get(group_id, ())
            # A group that could not be checked says nothing about what was wrong before.
            fixed = () if GroupProblem.UNCHECKED in problems else tuple(p for p in before if p not in problems)
            if GroupProblem.UNCHECKED not in problems or group_id not in self.last:
                self.last[group_id] = problems
            if facts.retry_after is not None:
                log.info("Engineers' group %s: check put off by %.0f s (Telegram asked to wait)", group_id,
                         facts.retry_after)
                reports.append(GroupReport(group_id, facts, problems, ()))
                continue
            for problem in problems:
                detail = f" ({facts.error})" if problem is GroupProblem.UNCHECKED else ""
                level = logging.WARNING if problem is GroupProblem.NO_TOPICS else logging.ERROR
                log.log(level, "Engineers' group %s: %s%s", group_id, LOG_LINES[problem], detail)
            reports.append(GroupReport(group_id, facts, problems, fixed))
        return reports
