"""Explaining a score (考评结果说明): a unit × item of a stored revision drills down to its score
lines — each one rule applied to one kind of fact, with its arithmetic — and each problem line to
the stored problems behind it (found in the period, or in the line's month, matching its category,
channel, repeat index and flags, at the unit's level).

The problems are read as they are now: when a problem has been voided or added since the revision
was computed, the count found differs from the line's, which is what the next revision would show.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from kaoping.domain.periods import Period, PeriodKind
from kaoping.domain.results import ItemResult, LineKind, ScoreLine, UnitResult
from kaoping.domain.revisions import EvaluationPeriod, Revision
from kaoping.services.evaluation_ports import EvaluationUnitOfWork, LineProblems, LineQuery
from kaoping.services.evaluations import PeriodQuery, get_revision, resolve_period


@dataclass(frozen=True, slots=True)
class ExplainedLine:
    line: ScoreLine
    problems: LineProblems | None  # problem lines of a chosen item only

    @property
    def is_stale(self) -> bool:
        """The stored problems no longer match the line's count (voided or added since)."""
        return self.problems is not None and self.problems.count != self.line.count


@dataclass(frozen=True, slots=True)
class Explanation:
    period: EvaluationPeriod
    revision: Revision
    unit: UnitResult  # with its score lines
    item: ItemResult | None  # the item asked about; None: every item and adjustment of the unit
    lines: tuple[ExplainedLine, ...]
    unit_name: str = ""


def explain(
    uow: EvaluationUnitOfWork,
    query: PeriodQuery,
    unit: str,
    item: str | None = None,
    *,
    tz: ZoneInfo,
    revision: int | None = None,
    limit: int = 20,
) -> Explanation:
    """A unit's score lines in a revision (default: the latest); with ``item``, that item's lines
    and, per problem line, the problems behind it (at most ``limit`` listed per line)."""
    with uow:
        current = resolve_period(uow, query)
        chosen = get_revision(uow.evaluations.list_revisions(current), revision)
        result = uow.evaluations.results(current, chosen.number, unit=unit, lines=True).unit(unit)
        name = uow.evaluation_facts.unit_names([unit]).get(unit, "")
        if item is None:
            lines = [line for i in result.items for line in i.lines]
            lines += [line for a in result.adjustments for line in a.lines]
            explained = tuple(ExplainedLine(line, None) for line in lines)
            return Explanation(current, chosen, result, None, explained, name)
        picked = result.item(item)
        share = uow.evaluations.department_share(current, chosen.number)
        explained = tuple(
            ExplainedLine(line, _problems(uow, current, unit, line, share, tz, limit))
            for line in picked.lines
        )
        return Explanation(current, chosen, result, picked, explained, name)


def _problems(
    uow: EvaluationUnitOfWork,
    period: EvaluationPeriod,
    unit: str,
    line: ScoreLine,
    share: Decimal,
    tz: ZoneInfo,
    limit: int,
) -> LineProblems | None:
    if line.kind is not LineKind.PROBLEMS:
        return None
    span = Period(period.period.year, PeriodKind.MONTH, line.sub_period) if line.sub_period else period.period
    start, end = span.bounds(tz)
    query = LineQuery(unit, period.level, line, start, end, share)
    return uow.evaluation_facts.problems_behind(query, limit)
