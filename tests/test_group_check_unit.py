"""The set-up check's rules without Telegram: which problems Telegram's answers mean, and what is fixed."""

from __future__ import annotations

import pytest

from bot.services.group_check import GroupCheck, GroupFacts, GroupProblem, problems_of

GROUP = -1001000000001
ADMIN_OK = GroupFacts(found=True, title="Инженеры", is_forum=True, bot_status="administrator", can_manage_topics=True)


@pytest.mark.parametrize(("facts", "problems"), [
    (ADMIN_OK, ()),
    (GroupFacts(found=True, is_forum=True, bot_status="creator", can_manage_topics=True), ()),
    (GroupFacts(found=False), (GroupProblem.MISSING,)),
    (GroupFacts(found=True, bot_status="left"), (GroupProblem.NOT_MEMBER,)),
    (GroupFacts(found=True, bot_status="kicked"), (GroupProblem.NOT_MEMBER,)),
    (GroupFacts(found=True, is_forum=True, bot_status="member"), (GroupProblem.NOT_ADMIN,)),
    (GroupFacts(found=True, is_forum=False, bot_status="restricted"), (GroupProblem.NOT_ADMIN, GroupProblem.NO_TOPICS)),
    (GroupFacts(found=True, is_forum=True, bot_status="administrator"), (GroupProblem.NO_TOPIC_RIGHTS,)),
    (GroupFacts(found=True, is_forum=False, bot_status="administrator"), (GroupProblem.NO_TOPICS,)),
    (GroupFacts(found=False, error="timeout"), (GroupProblem.UNCHECKED,)),
])
def test_what_telegrams_answers_mean(facts, problems):
    assert problems_of(facts) == problems


async def test_the_next_run_says_what_is_fixed_and_an_unanswered_one_forgets_nothing():
    answers = [GroupFacts(found=True, title="Инженеры", is_forum=True, bot_status="member"),
               GroupFacts(found=False, error="timeout"), ADMIN_OK, ADMIN_OK]

    async def probe(group_id: int) -> GroupFacts:
        assert group_id == GROUP
        return answers.pop(0)

    check = GroupCheck(probe=probe, groups=[GROUP, None, GROUP])
    assert check.groups == (GROUP,)
    first, = await check.run()
    assert first.problems == (GroupProblem.NOT_ADMIN,) and first.fixed == ()
    unanswered, = await check.run()
    assert unanswered.problems == (GroupProblem.UNCHECKED,) and unanswered.fixed == ()
    fixed, = await check.run()
    assert fixed.ok and fixed.fixed == (GroupProblem.NOT_ADMIN,)
    again, = await check.run()
    assert again.ok and again.fixed == ()


async def test_a_429_puts_the_check_off_without_calling_it_a_problem_fixed_or_not():
    async def probe(group_id: int) -> GroupFacts:
        return GroupFacts(found=False, error="Too Many Requests", retry_after=7.0)

    report, = await GroupCheck(probe=probe, groups=[GROUP]).run()
    assert report.postponed == 7.0 and report.fixed == ()
