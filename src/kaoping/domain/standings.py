"""A group's standings (组内排名): members scored but not yet ranked (``Draft``) in, their final
results out — ranks (total, then the scheme's tie-breakers, ties shared), progress and regression
from the places moved, ranks per component and per item, item classes, the first tier, rewards.

To keep progress/regression from chasing its own tail, the places moved are measured on the total
before them (``Draft.before_movement``), and the group is then ranked again on the final totals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from kaoping.domain.adjustments import movement_adjustments
from kaoping.domain.facts import EvaluationError, Previous
from kaoping.domain.problem_counts import category_shares_of, with_city_shares
from kaoping.domain.ranking import Key, Place, classify, first_tier, places, rewards
from kaoping.domain.results import (
    AdjustmentResult,
    ComponentResult,
    GroupResult,
    ItemResult,
    ProblemCounters,
    UnitResult,
    make_component_result,
    make_item_result,
    make_unit_result,
)
from kaoping.domain.schemes import Group, Indicator, Ranking, Scheme

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Draft:
    """A member scored but not yet ranked."""

    unit: str
    items: tuple[ItemResult, ...]
    components: tuple[ComponentResult, ...]
    adjustments: tuple[AdjustmentResult, ...]  # the counted ones; progress/regression come after ranking
    counters: ProblemCounters  # without the city shares
    category_counts: Mapping[str, int]
    missing: tuple[str, ...]
    indicators: Mapping[Indicator, Fraction | None]
    item_points: Mapping[str, Decimal] = field(init=False, repr=False, compare=False)
    subtotal: Decimal = field(init=False, repr=False, compare=False)  # the components, added up
    before_movement: Decimal = field(init=False, repr=False, compare=False)  # and the adjustments

    def __post_init__(self) -> None:
        subtotal = sum((c.points for c in self.components), ZERO)
        object.__setattr__(self, "item_points", {i.code: i.points for i in self.items})
        object.__setattr__(self, "subtotal", subtotal)
        object.__setattr__(
            self, "before_movement", subtotal + sum((a.points for a in self.adjustments), ZERO)
        )


def sort_key(
    scheme: Scheme, total: Decimal, components: Sequence[ComponentResult], items: Sequence[ItemResult]
) -> Key:
    """The total, then each tie-breaker ("component:<code>" or "item:<code>"), higher first."""
    values = [total]
    for breaker in scheme.ranking.tie_breakers:
        kind, _, code = breaker.partition(":")
        if kind == "component":
            values.append(next((c.points for c in components if c.code == code), ZERO))
        elif kind == "item":
            values.append(next((i.points for i in items if i.code == code), ZERO))
        else:
            raise EvaluationError(f"并列排名规则 {breaker!r} 无效: 应为 component:<代码> 或 item:<代码>")
    return tuple(values)


@dataclass(frozen=True, slots=True)
class _Standings:
    """A group's ranking, computed once for all its members."""

    totals: Mapping[str, Decimal]
    final: Mapping[str, Place]
    moves: Mapping[str, tuple[AdjustmentResult, ...]]
    tier: frozenset[str]
    money: Mapping[str, Decimal]
    items: Mapping[str, Mapping[str, Place]]  # item code → member → place
    components: Mapping[str, Mapping[str, Place]]


def rank_group(
    scheme: Scheme,
    group: Group,
    drafts: Mapping[str, Draft],
    previous: Mapping[str, Previous],
    city: ProblemCounters,
) -> GroupResult:
    """Rank once before progress/regression to find the places moved, then finally."""
    first = places({u: sort_key(scheme, d.before_movement, d.components, d.items) for u, d in drafts.items()})
    moves = {}
    for unit in drafts:
        before = previous.get(unit)
        moved = None if before is None else before.rank - first[unit].rank
        moves[unit] = tuple(movement_adjustments(scheme, moved))
    totals = {u: d.before_movement + sum((a.points for a in moves[u]), ZERO) for u, d in drafts.items()}
    keys = {u: sort_key(scheme, totals[u], d.components, d.items) for u, d in drafts.items()}
    final = places(keys)
    schedule = scheme.rewards.get(group.code)
    eligible = [u for u in group.members if u not in group.rank_only]
    standings = _Standings(
        totals,
        final,
        moves,
        first_tier(scheme.ranking, totals, {u: p.rank for u, p in final.items()}),
        rewards(schedule, keys, eligible) if schedule is not None else {},
        {code: places({u: (d.item_points[code],) for u, d in drafts.items()}) for code in group.maxima},
        _component_places(drafts),
    )
    units = [_finish(scheme, group, drafts[u], standings, previous, city) for u in group.members]
    return GroupResult(group.code, group.name, tuple(sorted(units, key=lambda r: (r.rank, r.unit))))


def _component_places(drafts: Mapping[str, Draft]) -> dict[str, dict[str, Place]]:
    points = {u: {c.code: c.points for c in d.components} for u, d in drafts.items()}
    codes = {code for by_code in points.values() for code in by_code}
    return {
        code: places({u: (by_code.get(code, ZERO),) for u, by_code in points.items()})
        for code in sorted(codes)
    }


def _finish(
    scheme: Scheme,
    group: Group,
    draft: Draft,
    standings: _Standings,
    previous: Mapping[str, Previous],
    city: ProblemCounters,
) -> UnitResult:
    """A member's final result: its ranks per component and per item, classes and counts."""
    ranking = scheme.ranking
    unit = draft.unit
    item_places = [standings.items[i.code][unit] for i in draft.items]
    items = tuple(_ranked(item, place, ranking) for item, place in zip(draft.items, item_places, strict=True))
    components = tuple(
        make_component_result(c.code, c.name, c.max_points, c.points, standings.components[c.code][unit].rank)
        for c in draft.components
    )
    before = previous.get(unit)
    return make_unit_result(
        unit,
        group.code,
        unit in group.rank_only,
        items,
        components,
        draft.adjustments + standings.moves[unit],
        draft.subtotal,
        standings.totals[unit],
        standings.final[unit].rank,
        with_city_shares(draft.counters, city),
        None if before is None else before.rank,
        unit in standings.tier,
        sum(p.is_top(ranking.strong_top) for p in item_places),
        sum(p.is_bottom(ranking.weak_bottom) for p in item_places),
        standings.money.get(unit, ZERO),
        draft.indicators,
        category_shares_of(draft.category_counts),
        draft.missing,
    )


def _ranked(item: ItemResult, place: Place, ranking: Ranking) -> ItemResult:
    """The item with its rank and class in the group."""
    return make_item_result(
        item.code,
        item.name,
        item.component,
        item.kind,
        item.max_points,
        item.points,
        item.deduction,
        item.raw_deduction,
        item.lines,
        item.problems,
        item.deducted_problems,
        item.repeats,
        item.value,
        item.problem_share,
        place.rank,
        classify(place, ranking),
    )
