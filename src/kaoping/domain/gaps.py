"""Gap analysis (差距分析): what it would take a unit to reach a rank, or the first tier, in its group.

The points needed are the distance to the total of the member that now holds the target place (an
equal total is then decided by the tie-breakers). Each item says how many points it can still give
back (the deduction it took) and, for a deduction item, the fewest problems fewer — the dearest first
— that would close the gap on that item alone. Actions price concrete steps ("10 fewer repeat
problems in 生活垃圾收集 = +0.5", "one more adopted report at 省级 = +3, cap permitting") by scoring the
item again on changed facts, so caps, the monthly mean and normalisation all count. Each action is
priced alone; progress bonuses that a better rank would bring are not included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from kaoping.domain.deductions import ProblemText, format_points, price
from kaoping.domain.evaluation import merge_problems, sort_key, sub_periods_of
from kaoping.domain.fact_rows import rows_of
from kaoping.domain.facts import EvaluationError, EvaluationFacts, ProblemFact
from kaoping.domain.indicators import score_rate
from kaoping.domain.items import INDICATOR_LABELS, score_deduction_item
from kaoping.domain.results import AdjustmentResult, Evaluation, ItemResult, UnitResult
from kaoping.domain.schemes import Adjustment, Group, ItemKind, PenaltyKind, RateFormula, Scheme, TierRule
from kaoping.domain.tallies import PriceTable, tally

ZERO = Decimal(0)
HUNDREDTH = Decimal("0.01")
STEP = 10  # actions speak of ten problems fewer, as meetings do


@dataclass(frozen=True, slots=True)
class Action:
    """A concrete step and what it alone would add to the unit's total."""

    ref: str  # item or adjustment code
    kind: str  # "repeats", "overdue", "problems", "rate", "bonus", "penalty"
    text: str
    points: Decimal


@dataclass(frozen=True, slots=True)
class ItemGap:
    code: str
    name: str
    recoverable: Decimal  # the deduction taken: the most the item can give back
    problems_to_fix: int | None  # fewest problems fewer to close the gap on this item alone; None: cannot


@dataclass(frozen=True, slots=True)
class Gap:
    unit: str
    group: str
    rank: int
    target_rank: int | None  # None for a first tier defined by points
    needed: Decimal  # 0 when the unit is already there
    items: tuple[ItemGap, ...]  # the cheapest first
    actions: tuple[Action, ...]  # the most valuable first


def gap_to_rank(scheme: Scheme, facts: EvaluationFacts, evaluation: Evaluation, unit: str, rank: int) -> Gap:
    """The points ``unit`` needs to reach ``rank`` in its group and the cheapest ways to get them."""
    result = evaluation.unit(unit)
    others = sorted(
        (
            sort_key(scheme, u.total, u.components, u.items)
            for u in evaluation.group(result.group).units
            if u.unit != unit
        ),
        reverse=True,
    )
    if not 1 <= rank <= len(others) + 1:
        raise EvaluationError(f"目标名次 {rank} 无效: 应在 1 至 {len(others) + 1} 之间", unit)
    own = sort_key(scheme, result.total, result.components, result.items)
    if rank > len(others) or own >= others[rank - 1]:
        return _gap(scheme, facts, result, rank, ZERO)
    target = others[rank - 1]
    # an equal total is enough when the tie-breakers favour the unit, else one published hundredth more
    extra = ZERO if own[1:] >= target[1:] else HUNDREDTH
    return _gap(scheme, facts, result, rank, target[0] - own[0] + extra)


def gap_to_first_tier(scheme: Scheme, facts: EvaluationFacts, evaluation: Evaluation, unit: str) -> Gap:
    """The points ``unit`` needs to enter the first tier (第一梯队) of its group."""
    ranking = scheme.ranking
    if ranking.tier is TierRule.TOP_N:
        return gap_to_rank(scheme, facts, evaluation, unit, int(ranking.tier_value))
    result = evaluation.unit(unit)
    leader = max(
        (u.total for u in evaluation.group(result.group).units if u.unit != unit), default=result.total
    )
    return _gap(scheme, facts, result, None, max(ZERO, leader - ranking.tier_value - result.total))


def _gap(
    scheme: Scheme, facts: EvaluationFacts, result: UnitResult, target: int | None, needed: Decimal
) -> Gap:
    own = merge_problems(scheme, (f for f in facts.problems if f.unit == result.unit)).get(result.unit, [])
    what_if = _WhatIf(
        scheme,
        facts,
        scheme.groups[result.group],
        result.unit,
        tuple(own),
        sub_periods_of(scheme, facts),
        PriceTable(scheme, facts.severities),
        ProblemText(scheme, facts.severities, facts.category_names, facts.channel_names),
    )
    items = [ItemGap(i.code, i.name, i.deduction, _problems_to_fix(what_if, i, needed)) for i in result.items]
    items.sort(key=lambda g: (g.problems_to_fix is None, g.problems_to_fix or 0, -g.recoverable, g.code))
    actions = [a for i in result.items for a in _item_actions(what_if, i)]
    actions += [a for adj in result.adjustments for a in _adjustment_actions(scheme, adj)]
    actions = [a for a in actions if a.points > 0]
    actions.sort(key=lambda a: (-a.points, a.ref, a.text))
    return Gap(result.unit, result.group, result.rank, target, needed, tuple(items), tuple(actions))


@dataclass(frozen=True, slots=True)
class _WhatIf:
    """Scores a unit's deduction item again on changed facts."""

    scheme: Scheme
    facts: EvaluationFacts
    group: Group
    unit: str
    own: tuple[ProblemFact, ...]  # the unit's merged fact rows
    sub_periods: tuple[int, ...]
    prices: PriceTable
    explain: ProblemText

    def rows(self, item_code: str) -> list[ProblemFact]:
        """The unit's rows that cost points on the item, the dearest first."""
        item = self.scheme.items[item_code]
        priced = []
        for fact in self.own:
            cost = price(self.scheme, item, fact, self.facts.severities)
            if cost is not None and cost.each and self.scheme.item_of(fact.category_code) is item:
                priced.append((cost.each, fact))
        return [fact for _, fact in sorted(priced, key=lambda pair: -pair[0])]

    def points(self, item: ItemResult, rows: Sequence[ProblemFact]) -> Decimal:
        """The item's points if the unit's rows on it were ``rows`` (merged rows, fewer or changed)."""
        sheet = tally(self.prices, self.group.maxima, rows_of(rows), self.explain)
        scheme_item = self.scheme.items[item.code]
        mine = sheet.items.get(item.code)
        args = (self.scheme, scheme_item, item.max_points, self.unit, mine, self.facts, self.sub_periods)
        return score_deduction_item(*args).points


def _fewer(rows: Sequence[ProblemFact], n: int, which: Callable[[ProblemFact], bool]) -> list[ProblemFact]:
    """``rows`` with ``n`` of the problems ``which`` picks taken away, the first rows first."""
    result = []
    for fact in rows:
        take = min(n, fact.count) if which(fact) else 0
        n -= take
        if fact.count - take:
            result.append(replace(fact, count=fact.count - take))
    return result


def _on_time(rows: Sequence[ProblemFact], n: int) -> list[ProblemFact]:
    """``rows`` with ``n`` overdue problems rectified on time instead."""
    result = []
    for fact in rows:
        fixed = min(n, fact.count) if fact.is_overdue else 0
        n -= fixed
        if fixed:
            result.append(replace(fact, count=fixed, is_overdue=False))
        if fact.count - fixed:
            result.append(replace(fact, count=fact.count - fixed))
    return result


def _problems_to_fix(what_if: _WhatIf, item: ItemResult, needed: Decimal) -> int | None:
    if item.kind is not ItemKind.DEDUCTION:
        return None
    if needed <= 0:
        return 0
    rows = what_if.rows(item.code)
    total = sum(f.count for f in rows)

    def gain(n: int) -> Decimal:
        return what_if.points(item, _fewer(rows, n, lambda _: True)) - item.points

    if gain(total) < needed:
        return None
    low, high = 1, total  # the gain never falls as problems go: the least n is found by halving
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if gain(middle) >= needed else (middle + 1, high)
    return low


def _item_actions(what_if: _WhatIf, item: ItemResult) -> list[Action]:
    if item.kind is ItemKind.RATE:
        return _rate_actions(what_if.scheme, item)
    if item.kind is not ItemKind.DEDUCTION or not item.deduction:
        return []
    rows = what_if.rows(item.code)
    steps = (
        ("repeats", "少 {n} 件重复问题", lambda f: f.repeat_index > 0, _fewer),
        ("overdue", "{n} 件超时问题按期整改", lambda f: f.is_overdue, None),
        ("problems", "少 {n} 件问题", lambda f: True, _fewer),
    )
    actions = []
    for kind, words, which, how in steps:
        n = min(STEP, sum(f.count for f in rows if which(f)))
        if not n:
            continue
        changed = how(rows, n, which) if how is not None else _on_time(rows, n)
        gain = what_if.points(item, changed) - item.points
        text = f"{item.name}: {words.format(n=n)} = +{format_points(gain)}"
        actions.append(Action(item.code, kind, text, gain))
    return actions


def _rate_actions(scheme: Scheme, item: ItemResult) -> list[Action]:
    rule = scheme.items[item.code].rate
    if rule is None or item.value is None:
        return []
    lower = rule.formula is RateFormula.INVERSE  # a rate to push down
    better = item.value - Fraction(1, 100) if lower else item.value + Fraction(1, 100)
    gain = score_rate(rule, min(max(better, Fraction(0)), Fraction(1)), item.max_points) - item.points
    word = "降低" if lower else "提高"
    text = f"{item.name}: {INDICATOR_LABELS[rule.indicator]}{word} 1 个百分点 = +{format_points(gain)}"
    return [Action(item.code, "rate", text, gain)]


def _adjustment_actions(scheme: Scheme, result: AdjustmentResult) -> list[Action]:
    adjustment = next(a for a in scheme.adjustments if a.code == result.code)
    actions = []
    for tier, each in sorted(adjustment.points_by_tier.items()):
        if adjustment.is_bonus:
            gain = _capped(adjustment, result.raw + each) - result.points
            text = f"{adjustment.name}: 多 1 篇{tier} = +{format_points(gain)}"
            if gain < each:
                text += f" (封顶 {format_points(adjustment.cap or ZERO)})"
            actions.append(Action(adjustment.code, "bonus", text, gain))
        elif adjustment.kind is PenaltyKind.NEGATIVE_EXPOSURE and any(
            line.rule == f"tier:{tier}" and line.count for line in result.lines
        ):
            gain = _capped(adjustment, result.raw + each) - result.points
            actions.append(
                Action(
                    adjustment.code,
                    "penalty",
                    f"{adjustment.name}: 少 1 次{tier} = +{format_points(gain)}",
                    gain,
                )
            )
    return actions


def _capped(adjustment: Adjustment, raw: Decimal) -> Decimal:
    """Signed points after the cap, for a signed raw value."""
    if adjustment.cap is None:
        return raw
    return max(min(raw, adjustment.cap), -adjustment.cap)
