"""Score a period: one aggregation query for the facts, then the domain formulas per group."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from kaoping.domain.errors import KaopingError
from kaoping.domain.periods import Period
from kaoping.domain.scoring import ScoringRules, UnitScore, score_group
from kaoping.services.ports import UnitOfWork


class UnknownGroupError(KaopingError):
    """The organisation has a group the scoring rules do not define."""

    def __init__(self, group_code: str) -> None:
        super().__init__(f"考评方案中没有分组 {group_code!r}: 请在方案中为该组列出考评项目及分值")
        self.group_code = group_code


def score_period(uow: UnitOfWork, rules: ScoringRules, period: Period, tz: ZoneInfo) -> list[UnitScore]:
    """Score and rank every group for ``period`` and store the result, replacing an earlier one."""
    start, end = period.bounds(tz)
    with uow:
        members = uow.scores.group_members()
        missing = [code for code in members if code not in rules.groups]
        if missing:
            raise UnknownGroupError(missing[0])
        facts = uow.facts.problem_facts(start, end)
        previous = uow.scores.total_ranks(period.previous())
        results: list[UnitScore] = []
        for code, units in sorted(members.items()):
            results.extend(score_group(rules, rules.groups[code], units, facts, previous))
        uow.scores.save_scores(period, start, end, results)
        uow.commit()
    return results
