"""The evaluation engine: one period's facts in, every group's scores, ranks and rewards out.

``evaluate(scheme, facts)`` is a pure function: the same scheme and facts, in any order, give equal
results. Per group and member it tallies the member's fact rows once (``kaoping.domain.tallies``),
scores every item (``kaoping.domain.items``), adds up the components, applies bonuses and penalties
(``kaoping.domain.adjustments``), ranks the group — total, then the scheme's tie-breakers, then
shared ranks (``kaoping.domain.standings``) — and works out rank changes, ranks per component and
per item, the first tier, item classes, rewards, problem counters and category shares.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from kaoping.domain.adjustments import check_events, event_adjustments
from kaoping.domain.deductions import ProblemText
from kaoping.domain.fact_rows import Row, facts_of, merge_rows
from kaoping.domain.facts import AdjustmentEvent, EvaluationError, EvaluationFacts, Previous, ProblemFact
from kaoping.domain.indicators import CaseCounters
from kaoping.domain.items import (
    IndicatorPlan,
    indicator_plan,
    score_deduction_item,
    score_manual_item,
    score_rate_item,
    unit_indicators,
)
from kaoping.domain.problem_counts import category_counts, category_shares_of, city_counters
from kaoping.domain.problems import Channel
from kaoping.domain.results import ComponentResult, Evaluation, ItemResult
from kaoping.domain.schemes import Group, Item, ItemKind, Scheme
from kaoping.domain.standings import Draft, rank_group, sort_key
from kaoping.domain.tallies import PriceTable, tally

__all__ = ["evaluate", "manual_scores", "merge_problems", "sort_key", "sub_periods_of"]

ZERO = Decimal(0)
DEDUCTION, RATE = ItemKind.DEDUCTION, ItemKind.RATE


@dataclass(frozen=True, slots=True)
class _Context:
    scheme: Scheme
    facts: EvaluationFacts
    problems: Mapping[str, Sequence[Row]]  # unit → merged rows
    manual: Mapping[tuple[str, str], Decimal]
    events: Mapping[str, Sequence[AdjustmentEvent]]
    sub_periods: tuple[int, ...]
    prices: PriceTable
    explain: ProblemText
    counters: dict[tuple[str, frozenset[Channel]], CaseCounters]  # (unit, channels) → summed, on first use


def evaluate(
    scheme: Scheme, facts: EvaluationFacts, *, previous: Mapping[str, Previous] | None = None
) -> Evaluation:
    """Score, rank and reward every group of ``scheme`` from one period's ``facts``; ``previous``
    (the last period's ranks) overrides ``facts.previous``."""
    check_events(scheme, facts)
    events: dict[str, list[AdjustmentEvent]] = defaultdict(list)
    for event in facts.adjustments:
        events[event.unit].append(event)
    merged, months = merge_rows(scheme, facts.problems)
    ctx = _Context(
        scheme,
        facts,
        merged,
        manual_scores(scheme, facts),
        events,
        tuple(sorted(months | set(facts.sub_periods))) or (0,),
        PriceTable(scheme, facts.severities),
        ProblemText(scheme, facts.severities, facts.category_names, facts.channel_names),
        {},
    )
    drafts = []
    for group in scheme.groups.values():
        plan = _plan(scheme, group)
        drafts.append({unit: _score_member(ctx, group, plan, unit) for unit in group.members})
    members: dict[str, Draft] = {}
    for group_drafts in drafts:
        for unit, draft in group_drafts.items():
            members.setdefault(unit, draft)  # a unit in two groups counts once for the city
    city = city_counters(d.counters for d in members.values())
    ranked = previous if previous is not None else facts.previous
    groups = [
        rank_group(scheme, group, group_drafts, ranked, city)
        for group, group_drafts in zip(scheme.groups.values(), drafts, strict=True)
    ]
    counts = category_counts(members[unit].category_counts for unit in sorted(members))
    return Evaluation(scheme.code, scheme.version, tuple(groups), city, category_shares_of(counts))


def merge_problems(scheme: Scheme, problems: Iterable[ProblemFact]) -> dict[str, list[ProblemFact]]:
    """Fact rows per unit, one per fact key (duplicates summed), in key order, so that the order of
    the input never shows; months are kept only for items measured monthly."""
    return {unit: facts_of(unit, rows) for unit, rows in merge_rows(scheme, problems)[0].items()}


def manual_scores(scheme: Scheme, facts: EvaluationFacts) -> dict[tuple[str, str], Decimal]:
    """Entered points per (unit, item), refused when out of range, entered twice or misplaced."""
    entered: dict[tuple[str, str], Decimal] = {}
    for score in facts.manual:
        unit = facts.unit_label(score.unit)
        item = scheme.items.get(score.item)
        if item is None or item.kind is not ItemKind.MANUAL:
            raise EvaluationError(
                f"单位 {unit}: {score.item!r} 不是方案中的人工评分项目", score.unit, score.item
            )
        name = f"{item.name} ({item.code})"
        maxima = [
            g.maxima[item.code]
            for g in scheme.groups.values()
            if score.unit in g.members and item.code in g.maxima
        ]
        if not maxima:
            raise EvaluationError(f"单位 {unit} 所在的组没有项目 {name}", score.unit, item.code)
        if not 0 <= score.points <= maxima[0]:
            message = f"单位 {unit} 项目 {name} 的人工评分 {score.points} 超出 0 至 {maxima[0]} 分"
            raise EvaluationError(message, score.unit, item.code)
        if (score.unit, item.code) in entered:
            raise EvaluationError(f"单位 {unit} 项目 {name} 的人工评分重复录入", score.unit, item.code)
        entered[(score.unit, item.code)] = score.points
    return entered


def sub_periods_of(scheme: Scheme, facts: EvaluationFacts) -> tuple[int, ...]:
    """The months a monthly component covers: as given, plus any the facts bring; (0,) for none."""
    return tuple(sorted(merge_rows(scheme, facts.problems)[1] | set(facts.sub_periods))) or (0,)


@dataclass(frozen=True, slots=True)
class _GroupPlan:
    """A group's items and indicators, looked up once for all its members."""

    items: tuple[tuple[str, Decimal, Item], ...]  # code, maximum in the group, item
    indicators: IndicatorPlan


def _plan(scheme: Scheme, group: Group) -> _GroupPlan:
    items = tuple((code, maximum, scheme.items[code]) for code, maximum in group.maxima.items())
    return _GroupPlan(items, indicator_plan(scheme, group))


def _score_member(ctx: _Context, group: Group, plan: _GroupPlan, unit: str) -> Draft:
    scheme = ctx.scheme
    sheet = tally(ctx.prices, group.maxima, ctx.problems.get(unit, ()), ctx.explain)
    indicators, values = unit_indicators(scheme, plan.indicators, unit, ctx.facts, ctx.counters)
    items = []
    missing = []
    for code, maximum, item in plan.items:
        if item.kind is DEDUCTION:
            mine = sheet.items.get(code)
            args = (scheme, item, maximum, unit, mine, ctx.facts, ctx.sub_periods, sheet.total)
            items.append(score_deduction_item(*args))
        elif item.kind is RATE:
            items.append(score_rate_item(item, maximum, unit, values.get(code)))
        else:
            entered = ctx.manual.get((unit, code))
            if entered is None:
                missing.append(code)
            items.append(score_manual_item(item, maximum, entered))
    return Draft(
        unit,
        tuple(items),
        _components(scheme, items),
        tuple(event_adjustments(scheme, ctx.events.get(unit, ()))),
        sheet.counters,
        sheet.categories,
        tuple(missing),
        indicators,
    )


def _components(scheme: Scheme, items: Sequence[ItemResult]) -> tuple[ComponentResult, ...]:
    points: dict[str, Decimal] = {}
    for item in items:
        points[item.component] = points.get(item.component, ZERO) + item.points
    return tuple(
        ComponentResult(c.code, c.name, c.max_points, points[c.code])
        for c in scheme.components.values()
        if c.code in points
    )
