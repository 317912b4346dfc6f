"""Scoring one item (考评项目) of one unit: deduction items from problems, rate items from case
counters, manual items from entries. Every result carries lines that add up to its deduction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from kaoping.domain.deductions import NORMALISATION_LABELS, PricedFact, deduct, format_points, price
from kaoping.domain.facts import EvaluationError, EvaluationFacts, ProblemFact
from kaoping.domain.indicators import format_percent, indicator_value, score_rate
from kaoping.domain.results import ItemResult, LineKind, ScoreLine
from kaoping.domain.schemes import Group, Indicator, Item, ItemKind, Normalisation, RateRule, Scheme

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


@dataclass(frozen=True, slots=True)
class Scored:
    """A fact row as a group member sees it: the item it counts for and its price."""

    fact: ProblemFact
    item: Item | None  # None: its category is in no item of the member's group
    priced: PricedFact | None  # None: it costs nothing (a channel without weight, or no item)


def is_rolled_up(scheme: Scheme, item: Item | None) -> bool:
    """Whether an item's component is measured more often than the scheme publishes (monthly in a quarter)."""
    if item is None:
        return False
    component = scheme.components[item.component]
    return component.measured is not None and component.measured != scheme.period


def scored_rows(
    scheme: Scheme, group: Group, rows: Iterable[ProblemFact], facts: EvaluationFacts
) -> list[Scored]:
    """Price a member's fact rows for the items of its group."""
    result = []
    for fact in rows:
        item = scheme.item_of(fact.category_code)
        if item is None or item.code not in group.maxima:
            result.append(Scored(fact, None, None))
        else:
            result.append(Scored(fact, item, price(scheme, item, fact, facts.severities)))
    return result


def score_deduction_item(
    scheme: Scheme,
    item: Item,
    maximum: Decimal,
    unit: str,
    scored: Sequence[Scored],
    facts: EvaluationFacts,
    sub_periods: Sequence[int] = (0,),
) -> ItemResult:
    """A deduction item of one member (``scored`` may hold rows of other items: they are skipped)."""
    mine = [s for s in scored if s.item is not None and s.item.code == item.code]
    priced = [s.priced for s in mine if s.priced is not None and s.priced.each]
    rollup = scheme.components[item.component].rollup if is_rolled_up(scheme, item) else None
    exposure = exposure_of(item, unit, facts) if priced else None
    d = deduct(item, maximum, priced, facts, rollup=rollup, sub_periods=sub_periods, exposure=exposure)
    return ItemResult(
        item.code,
        item.name,
        item.component,
        item.kind,
        maximum,
        maximum - d.deduction,
        d.deduction,
        d.raw,
        d.lines,
        problems=sum(s.fact.count for s in mine),
        deducted_problems=sum(p.fact.count for p in priced),
        repeats=sum(s.fact.count for s in mine if s.fact.repeat_index > 0),
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


def score_rate_item(
    scheme: Scheme, item: Item, maximum: Decimal, unit: str, facts: EvaluationFacts
) -> ItemResult:
    """A rate item: the indicator over the member's counters, then the formula; one line."""
    rule = item.rate
    if rule is None:  # the scheme loader refuses this; a scheme built in code might not
        raise EvaluationError(f"比率项目 {item.name} ({item.code}) 没有计分规则 (rate)", unit, item.code)
    value = rule_value(scheme, item, rule, unit, facts)
    points = score_rate(rule, value, maximum)
    lost = maximum - points
    label = INDICATOR_LABELS[rule.indicator]
    text = (
        f"{item.name}: {label} {format_percent(value)} → {format_points(points)} / {format_points(maximum)}"
    )
    rule_key = f"rate:{rule.indicator.value}:{rule.formula.value}"
    line = ScoreLine(LineKind.RATE, item.code, rule_key, lost, text)
    return ItemResult(
        item.code, item.name, item.component, item.kind, maximum, points, lost, lost, (line,), value=value
    )


def rule_value(
    scheme: Scheme, item: Item | None, rule: RateRule, unit: str, facts: EvaluationFacts
) -> Fraction | None:
    """An indicator of one unit under a rate rule (the item's exposure serves the intensity variant)."""
    exposure = None
    if item is not None and item.normalisation is not Normalisation.NONE:
        exposure = facts.exposures.get(unit, {}).get(item.normalisation)
    counters = facts.counters_of(unit, rule.channels)
    return indicator_value(rule, counters, variant=scheme.discovery, exposure=exposure)


def score_manual_item(item: Item, maximum: Decimal, entered: Decimal | None) -> ItemResult:
    """A manual item: the entered points (checked on entry), or 0 while nobody has entered them."""
    points = entered if entered is not None else Decimal(0)
    if entered is None:
        text = f"{item.name}: 未录入, 暂按 0 分计"
    else:
        text = f"{item.name}: 录入 {format_points(points)} / {format_points(maximum)} 分"
    line = ScoreLine(
        LineKind.MANUAL, item.code, "entered" if entered is not None else "missing", maximum - points, text
    )
    lost = maximum - points
    return ItemResult(item.code, item.name, item.component, item.kind, maximum, points, lost, lost, (line,))


def unit_indicators(
    scheme: Scheme, group: Group, unit: str, facts: EvaluationFacts
) -> dict[Indicator, Fraction | None]:
    """Every indicator of a unit, under the group's rate item for it when there is one."""
    rate_items: Mapping[Indicator, Item] = {
        item.rate.indicator: item
        for code in sorted(group.maxima)
        if (item := scheme.items[code]).kind is ItemKind.RATE and item.rate is not None
    }
    values = {}
    for indicator in Indicator:
        rated = rate_items.get(indicator)
        rule = rated.rate if rated is not None and rated.rate is not None else RateRule(indicator)
        values[indicator] = rule_value(scheme, rated, rule, unit, facts)
    return values
