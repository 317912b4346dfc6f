"""The problem counters a review speech quotes (问题总数, 扣分问题, 重复, 高分, 超时, 逾期未反馈), the
unit's shares of the city's totals, and category concentration (which categories make up what share)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from operator import itemgetter

from kaoping.domain.facts import ProblemFact
from kaoping.domain.indicators import share
from kaoping.domain.results import CategoryShare, ProblemCounters, make_category_share, make_problem_counters


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
    u = unit
    return make_problem_counters(
        u.total,
        u.deducted,
        u.repeats,
        u.high_score,
        u.overdue,
        u.no_feedback,
        u.deduction,
        share(u.total, city.total),
        share(u.deduction, city.deduction),
    )


def category_shares(rows: Iterable[ProblemFact]) -> tuple[CategoryShare, ...]:
    """Problems per category and their share of the total, largest first."""
    counts: dict[str, int] = defaultdict(int)
    for fact in rows:
        counts[fact.category_code] += fact.count
    return category_shares_of(counts)


def category_counts(units: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Problems per category over several units' counts."""
    counts: dict[str, int] = defaultdict(int)
    for unit in units:
        for code, n in unit.items():
            counts[code] += n
    return counts


def category_shares_of(counts: Mapping[str, int]) -> tuple[CategoryShare, ...]:
    """Each category's problems and share of their total, largest first (categories without any left out)."""
    total = sum(counts.values())
    ordered = sorted(counts.items())  # by code, then (stable) by count, largest first
    ordered.sort(key=itemgetter(1), reverse=True)
    shares: dict[int, Fraction] = {}  # count → share: small counts recur
    result = []
    for code, n in ordered:
        if n:
            part = shares.get(n)
            if part is None:
                part = shares[n] = Fraction(n, total)
            result.append(make_category_share(code, n, part))
    return tuple(result)
