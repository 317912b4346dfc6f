"""The problem counters a review speech quotes (问题总数, 扣分问题, 重复, 高分, 超时, 逾期未反馈), the
unit's shares of the city's totals, and category concentration (which categories make up what share)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from kaoping.domain.facts import ProblemFact
from kaoping.domain.indicators import share
from kaoping.domain.items import Scored
from kaoping.domain.results import CategoryShare, ProblemCounters


def unit_counters(rows: Iterable[Scored]) -> ProblemCounters:
    """Counters over all of a unit's problems; 扣分/高分 only for those that cost points in its group."""
    total = deducted = repeats = high = overdue = no_feedback = 0
    deduction = Decimal(0)
    for row in rows:
        n = row.fact.count
        total += n
        repeats += n if row.fact.repeat_index > 0 else 0
        overdue += n if row.fact.is_overdue else 0
        no_feedback += n if row.fact.is_no_feedback else 0
        if row.priced is not None and row.priced.each:
            deducted += n
            high += n if row.priced.is_high_score else 0
            deduction += row.priced.total
    return ProblemCounters(total, deducted, repeats, high, overdue, no_feedback, deduction)


def city_counters(units: Iterable[ProblemCounters]) -> ProblemCounters:
    """The city's counters: the sum over its evaluated units."""
    rows = list(units)
    return ProblemCounters(
        sum(c.total for c in rows),
        sum(c.deducted for c in rows),
        sum(c.repeats for c in rows),
        sum(c.high_score for c in rows),
        sum(c.overdue for c in rows),
        sum(c.no_feedback for c in rows),
        sum((c.deduction for c in rows), Decimal(0)),
    )


def with_city_shares(unit: ProblemCounters, city: ProblemCounters) -> ProblemCounters:
    """A unit's counters with its shares of the city's problems and deductions (占全市比例)."""
    return replace(
        unit,
        problem_share=share(unit.total, city.total),
        deduction_share=share(unit.deduction, city.deduction),
    )


def category_shares(rows: Iterable[ProblemFact]) -> tuple[CategoryShare, ...]:
    """Problems per category and their share of the total, largest first."""
    counts: dict[str, int] = defaultdict(int)
    for fact in rows:
        counts[fact.category_code] += fact.count
    total = sum(counts.values())
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(CategoryShare(code, n, share(n, total)) for code, n in ordered if n)
