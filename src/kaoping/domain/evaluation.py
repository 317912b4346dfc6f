"""The evaluation engine: one period's facts in, every group's scores, ranks and rewards out.

``evaluate(scheme, facts)`` is a pure function: the same scheme and facts, in any order, give equal
results. Per group and member it scores every item (``kaoping.domain.items``), adds up the
components, applies bonuses and penalties (``kaoping.domain.adjustments``), ranks the group — total,
then the scheme's tie-breakers, then shared ranks (``kaoping.domain.ranking``) — and works out rank
changes, ranks per component and per item, the first tier, item classes, rewards, problem counters
and category shares.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from kaoping.domain.adjustments import check_events, event_adjustments, movement_adjustments
from kaoping.domain.facts import AdjustmentEvent, EvaluationError, EvaluationFacts, Previous, ProblemFact
from kaoping.domain.indicators import share
from kaoping.domain.items import (
    Scored,
    is_rolled_up,
    score_deduction_item,
    score_manual_item,
    score_rate_item,
    scored_rows,
    unit_indicators,
)
from kaoping.domain.problem_counts import category_shares, city_counters, unit_counters, with_city_shares
from kaoping.domain.problems import Channel
from kaoping.domain.ranking import Key, Place, classify, first_tier, places, rewards
from kaoping.domain.results import (
    AdjustmentResult,
    CategoryShare,
    ComponentResult,
    Evaluation,
    GroupResult,
    ItemResult,
    ProblemCounters,
    UnitResult,
)
from kaoping.domain.schemes import Group, ItemKind, Scheme

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class _Context:
    scheme: Scheme
    facts: EvaluationFacts
    problems: Mapping[str, Sequence[ProblemFact]]  # unit → merged fact rows
    manual: Mapping[tuple[str, str], Decimal]
    events: Mapping[str, Sequence[AdjustmentEvent]]
    previous: Mapping[str, Previous]
    sub_periods: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Draft:
    """A member scored but not yet ranked."""

    unit: str
    items: tuple[ItemResult, ...]
    components: tuple[ComponentResult, ...]
    adjustments: tuple[AdjustmentResult, ...]  # the counted ones; progress/regression come after ranking
    subtotal: Decimal
    counters: ProblemCounters
    categories: tuple[CategoryShare, ...]
    missing: tuple[str, ...]

    @property
    def before_movement(self) -> Decimal:
        return self.subtotal + sum((a.points for a in self.adjustments), ZERO)

    def item_points(self, code: str) -> Decimal:
        return next(i.points for i in self.items if i.code == code)


def evaluate(
    scheme: Scheme, facts: EvaluationFacts, *, previous: Mapping[str, Previous] | None = None
) -> Evaluation:
    """Score, rank and reward every group of ``scheme`` from one period's ``facts``; ``previous``
    (the last period's ranks) overrides ``facts.previous``."""
    check_events(scheme, facts)
    events: dict[str, list[AdjustmentEvent]] = defaultdict(list)
    for event in facts.adjustments:
        events[event.unit].append(event)
    merged = merge_problems(scheme, facts.problems)
    ctx = _Context(
        scheme,
        facts,
        merged,
        manual_scores(scheme, facts),
        events,
        facts.previous if previous is None else previous,
        sub_periods_of(scheme, facts),
    )
    groups = [_evaluate_group(ctx, group) for group in scheme.groups.values()]
    members: dict[str, UnitResult] = {}
    for unit in (u for g in groups for u in g.units):
        members.setdefault(unit.unit, unit)  # a unit in two groups counts once for the city
    city = city_counters(u.counters for u in members.values())
    groups = [
        replace(g, units=tuple(replace(u, counters=with_city_shares(u.counters, city)) for u in g.units))
        for g in groups
    ]
    rows = [f for unit in sorted(members) for f in merged.get(unit, ())]
    return Evaluation(scheme.code, scheme.version, tuple(groups), city, category_shares(rows))


_FactKey = tuple[str, int, str, Channel, int, bool, bool, Decimal]


def merge_problems(scheme: Scheme, problems: Iterable[ProblemFact]) -> dict[str, list[ProblemFact]]:
    """Fact rows per unit, one per fact key (duplicates summed), in key order, so that the order of
    the input never shows; months are kept only for items measured monthly."""
    monthly: dict[str, bool] = {}  # category → rolled up; asked once per category, not per row
    counts: dict[_FactKey, int] = defaultdict(int)
    for f in problems:
        if f.count < 0 or not 0 <= f.share <= 1:
            what = f"问题数 {f.count} 或责任比例 {f.share} 无效"
            raise EvaluationError(f"单位 {f.unit} 类别 {f.category_code}: {what}", f.unit)
        if f.category_code not in monthly:
            monthly[f.category_code] = is_rolled_up(scheme, scheme.item_of(f.category_code))
        month = f.sub_period if monthly[f.category_code] else 0
        key = (
            f.unit,
            month,
            f.category_code,
            f.channel,
            f.repeat_index,
            f.is_overdue,
            f.is_no_feedback,
            f.share.normalize(),
        )
        counts[key] += f.count
    by_unit: dict[str, list[ProblemFact]] = defaultdict(list)
    for key in sorted(counts, key=lambda k: (*k[:3], k[3].value, *k[4:])):
        if counts[key]:
            unit, month, category, channel, repeat, overdue, no_feedback, share_ = key
            fact = ProblemFact(
                unit, month, category, channel, repeat, overdue, no_feedback, counts[key], share_
            )
            by_unit[unit].append(fact)
    return dict(by_unit)


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
    seen = {f.sub_period for f in facts.problems if is_rolled_up(scheme, scheme.item_of(f.category_code))}
    return tuple(sorted(seen | set(facts.sub_periods))) or (0,)


def _score_member(ctx: _Context, group: Group, unit: str) -> _Draft:
    scheme = ctx.scheme
    rows = ctx.problems.get(unit, ())
    scored = scored_rows(scheme, group, rows, ctx.facts)
    total = sum(f.count for f in rows)
    items = tuple(_with_share(_score_item(ctx, group, unit, code, scored), total) for code in group.maxima)
    components = tuple(
        ComponentResult(
            c.code, c.name, c.max_points, sum((i.points for i in items if i.component == c.code), ZERO)
        )
        for c in scheme.components.values()
        if any(i.component == c.code for i in items)
    )
    missing = tuple(i.code for i in items if i.kind is ItemKind.MANUAL and (unit, i.code) not in ctx.manual)
    adjustments = tuple(event_adjustments(scheme, ctx.events.get(unit, ())))
    subtotal = sum((c.points for c in components), ZERO)
    counters = unit_counters(scored)
    return _Draft(unit, items, components, adjustments, subtotal, counters, category_shares(rows), missing)


def _score_item(ctx: _Context, group: Group, unit: str, code: str, scored: Sequence[Scored]) -> ItemResult:
    item = ctx.scheme.items[code]
    maximum = group.maxima[code]
    if item.kind is ItemKind.DEDUCTION:
        return score_deduction_item(ctx.scheme, item, maximum, unit, scored, ctx.facts, ctx.sub_periods)
    if item.kind is ItemKind.RATE:
        return score_rate_item(ctx.scheme, item, maximum, unit, ctx.facts)
    return score_manual_item(item, maximum, ctx.manual.get((unit, code)))


def _with_share(item: ItemResult, unit_total: int) -> ItemResult:
    if item.kind is not ItemKind.DEDUCTION:
        return item
    return replace(item, problem_share=share(item.problems, unit_total))


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


def _evaluate_group(ctx: _Context, group: Group) -> GroupResult:
    """Score every member, rank once before progress/regression to find the places moved, then finally."""
    scheme = ctx.scheme
    drafts = {unit: _score_member(ctx, group, unit) for unit in group.members}
    first = places({u: sort_key(scheme, d.before_movement, d.components, d.items) for u, d in drafts.items()})
    moves = {}
    for unit in drafts:
        before = ctx.previous.get(unit)
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
        {code: places({u: (d.item_points(code),) for u, d in drafts.items()}) for code in group.maxima},
        _component_places(drafts),
    )
    units = [_finish(ctx, group, drafts[u], standings) for u in group.members]
    return GroupResult(group.code, group.name, tuple(sorted(units, key=lambda r: (r.rank, r.unit))))


def _component_places(drafts: Mapping[str, _Draft]) -> dict[str, dict[str, Place]]:
    codes = {c.code for d in drafts.values() for c in d.components}
    return {
        code: places(
            {u: (sum((c.points for c in d.components if c.code == code), ZERO),) for u, d in drafts.items()}
        )
        for code in sorted(codes)
    }


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


def _finish(ctx: _Context, group: Group, draft: _Draft, standings: _Standings) -> UnitResult:
    """A member's final result: its ranks per component and per item, classes and counts."""
    ranking = ctx.scheme.ranking
    unit = draft.unit
    item_places = [standings.items[i.code][unit] for i in draft.items]
    items = tuple(
        replace(item, rank=place.rank, item_class=classify(place, ranking))
        for item, place in zip(draft.items, item_places, strict=True)
    )
    components = tuple(replace(c, rank=standings.components[c.code][unit].rank) for c in draft.components)
    previous = ctx.previous.get(unit)
    return UnitResult(
        unit,
        group.code,
        unit in group.rank_only,
        items,
        components,
        draft.adjustments + standings.moves[unit],
        draft.subtotal,
        standings.totals[unit],
        standings.final[unit].rank,
        draft.counters,
        previous_rank=None if previous is None else previous.rank,
        is_first_tier=unit in standings.tier,
        items_top=sum(p.is_top(ranking.strong_top) for p in item_places),
        items_bottom=sum(p.is_bottom(ranking.weak_bottom) for p in item_places),
        reward=standings.money.get(unit, ZERO),
        indicators=unit_indicators(ctx.scheme, group, unit, ctx.facts),
        categories=draft.categories,
        missing_manual=draft.missing,
    )
