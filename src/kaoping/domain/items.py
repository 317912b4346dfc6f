"""Scoring one item (考评项目) of one unit: deduction items from problems, rate items from case
counters, manual items from entries. Every result carries lines that add up to its deduction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import partial

from kaoping.domain.deductions import NORMALISATION_LABELS, deduct, format_points
from kaoping.domain.fact_rows import is_rolled_up
from kaoping.domain.facts import EvaluationError, EvaluationFacts
from kaoping.domain.indicators import CaseCounters, format_percent, indicator_value, score_rate, share
from kaoping.domain.problems import Channel
from kaoping.domain.ranking import ItemClass
from kaoping.domain.results import ItemResult, LineKind, ScoreLine, make_item_result, make_line
from kaoping.domain.schemes import (
    Group,
    Indicator,
    Item,
    ItemKind,
    Normalisation,
    RateFormula,
    RateRule,
    Scheme,
)
from kaoping.domain.tallies import ItemTally

INDICATOR_LABELS = {
    Indicator.CLOSURE_RATE: "结案率",
    Indicator.ONTIME_CLOSURE_RATE: "按期结案率",
    Indicator.DISPOSAL_RATE: "处置率",
    Indicator.ONTIME_DISPOSAL_RATE: "按期处置率",
    Indicator.REWORK_RATE: "返工率",
    Indicator.RECTIFICATION_RATE: "整改率",
    Indicator.THIRD_PARTY_DISCOVERY_RATE: "第三方发现率",
    Indicator.PROACTIVE_RATE: "问题主动处置率",
}


def score_deduction_item(
    scheme: Scheme,
    item: Item,
    maximum: Decimal,
    unit: str,
    tallied: ItemTally | None,
    facts: EvaluationFacts,
    sub_periods: Sequence[int] = (0,),
    unit_problems: int = 0,
) -> ItemResult:
    """A deduction item of one member from its tally (``kaoping.domain.tallies``; None: no rows);
    its problem share is of ``unit_problems``, the unit's problems of every item."""
    mine = tallied if tallied is not None else ItemTally()
    rollup = scheme.components[item.component].rollup if is_rolled_up(scheme, item) else None
    exposure = exposure_of(item, unit, facts) if mine.lines else None
    d = deduct(
        item, maximum, mine.lines, rollup=rollup, sub_periods=sub_periods, exposure=exposure, total=mine.total
    )
    return make_item_result(
        item.code,
        item.name,
        item.component,
        item.kind,
        maximum,
        maximum - d.deduction,
        d.deduction,
        d.raw,
        d.lines,
        mine.problems,
        mine.deducted,
        mine.repeats,
        None,
        share(mine.problems, unit_problems),
        0,
        ItemClass.AVERAGE,
    )


def exposure_of(item: Item, unit: str, facts: EvaluationFacts) -> Decimal | None:
    """The base a normalised item divides by; refused when missing or not positive."""
    if item.normalisation is Normalisation.NONE:
        return None
    value = facts.exposures.get(unit, {}).get(item.normalisation)
    if value is None or value <= 0:
        label = NORMALISATION_LABELS[item.normalisation]
        raise EvaluationError(
            f"单位 {facts.unit_label(unit)} 缺少{label} (或不大于 0), 无法折算项目 {item.name} ({item.code})",
            unit,
            item.code,
        )
    return value


_RULE_KEYS = {(i, f): f"rate:{i.value}:{f.value}" for i in Indicator for f in RateFormula}


def score_rate_item(item: Item, maximum: Decimal, unit: str, value: Fraction | None) -> ItemResult:
    """A rate item from the value of its indicator for the member (``rule_value``): one line."""
    rule = item.rate
    if rule is None:  # the scheme loader refuses this; a scheme built in code might not
        raise EvaluationError(f"比率项目 {item.name} ({item.code}) 没有计分规则 (rate)", unit, item.code)
    points = score_rate(rule, value, maximum)
    lost = maximum - points
    rule_key = _RULE_KEYS[(rule.indicator, rule.formula)]
    line = make_line(
        LineKind.RATE, item.code, rule_key, lost, partial(_rate_text, item, value, points, maximum)
    )
    return _item_result(item, maximum, points, line, value)


def _rate_text(item: Item, value: Fraction | None, points: Decimal, maximum: Decimal, _: object) -> str:
    label = INDICATOR_LABELS[item.rate.indicator] if item.rate is not None else ""
    return (
        f"{item.name}: {label} {format_percent(value)} → {format_points(points)} / {format_points(maximum)}"
    )


def _item_result(
    item: Item, maximum: Decimal, points: Decimal, line: ScoreLine, value: Fraction | None = None
) -> ItemResult:
    """A rate or manual item's result: its one line is all its deduction."""
    lost = maximum - points
    return make_item_result(
        item.code,
        item.name,
        item.component,
        item.kind,
        maximum,
        points,
        lost,
        lost,
        (line,),
        0,
        0,
        0,
        value,
        None,
        0,
        ItemClass.AVERAGE,
    )


Sums = dict[tuple[str, frozenset[Channel]], CaseCounters]  # (unit, channels) → counters, filled on use


def rule_value(
    scheme: Scheme,
    item: Item | None,
    rule: RateRule,
    unit: str,
    facts: EvaluationFacts,
    sums: Sums | None = None,
) -> Fraction | None:
    """An indicator of one unit under a rate rule (the item's exposure serves the intensity variant);
    ``sums`` keeps counters summed over channels for the next rule."""
    exposure = None
    if item is not None and item.normalisation is not Normalisation.NONE:
        exposure = facts.exposures.get(unit, {}).get(item.normalisation)
    key = (unit, rule.channels)
    counters = sums.get(key) if sums is not None else None
    if counters is None:
        counters = facts.counters_of(unit, rule.channels)
        if sums is not None:
            sums[key] = counters
    return indicator_value(rule, counters, variant=scheme.discovery, exposure=exposure)


def score_manual_item(item: Item, maximum: Decimal, entered: Decimal | None) -> ItemResult:
    """A manual item: the entered points (checked on entry), or 0 while nobody has entered them."""
    points = entered if entered is not None else Decimal(0)
    rule = "entered" if entered is not None else "missing"
    line = make_line(
        LineKind.MANUAL, item.code, rule, maximum - points, partial(_manual_text, item, entered, maximum)
    )
    return _item_result(item, maximum, points, line)


def _manual_text(item: Item, entered: Decimal | None, maximum: Decimal, _: object) -> str:
    if entered is None:
        return f"{item.name}: 未录入, 暂按 0 分计"
    return f"{item.name}: 录入 {format_points(entered)} / {format_points(maximum)} 分"


_PLAIN_RULES = {indicator: RateRule(indicator) for indicator in Indicator}


@dataclass(frozen=True, slots=True)
class IndicatorPlan:
    """Which rule each indicator of a group's members is computed under, worked out once a group."""

    rate_items: tuple[Item, ...]  # the group's rate items, by code
    rules: tuple[tuple[Indicator, Item | None, RateRule], ...]  # each indicator: its rate item, if any


def indicator_plan(scheme: Scheme, group: Group) -> IndicatorPlan:
    """Every indicator under the group's rate item for it (the last by code when several) or plain."""
    listed = [item for code in sorted(group.maxima) if (item := scheme.items[code]).kind is ItemKind.RATE]
    rate_items = tuple(item for item in listed if item.rate is not None)
    chosen = {item.rate.indicator: item for item in rate_items if item.rate is not None}
    rules = []
    for indicator in Indicator:
        rated = chosen.get(indicator)
        rule = rated.rate if rated is not None and rated.rate is not None else _PLAIN_RULES[indicator]
        rules.append((indicator, rated, rule))
    return IndicatorPlan(rate_items, tuple(rules))


def unit_indicators(
    scheme: Scheme, plan: IndicatorPlan, unit: str, facts: EvaluationFacts, sums: Sums | None = None
) -> tuple[dict[Indicator, Fraction | None], dict[str, Fraction | None]]:
    """Every indicator of a unit (``indicator_plan``), and the value of each of the group's rate
    items, by item code."""
    values = {
        item.code: rule_value(scheme, item, item.rate, unit, facts, sums)
        for item in plan.rate_items
        if item.rate
    }
    indicators = {
        indicator: values[item.code]
        if item is not None
        else rule_value(scheme, None, rule, unit, facts, sums)
        for indicator, item, rule in plan.rules
    }
    return indicators, values
