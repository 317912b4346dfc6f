"""Deduction items (扣分项目): what each problem costs, and an item's deduction with its score lines.

A problem costs

    (points × channel weight × repeat factor + overdue extra + no-feedback extra) × liability share

where points are the category's (``category_points``), else its severity's (``severity_points``),
else the item's ``points_per_problem``. An item's deduction is the sum over its problems, divided by
the unit's exposure when the item is normalised, and capped at the item's maximum (扣完为止). A
component measured monthly inside a quarter rolls the monthly deductions up (mean, sum or last).
Sums are exact; only divisions (normalisation, mean) are rounded, half up to 0.01 points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from kaoping.domain.facts import EvaluationFacts, ProblemFact
from kaoping.domain.indicators import round_half_up
from kaoping.domain.results import LineKind, ScoreLine
from kaoping.domain.schemes import Item, Normalisation, Rollup, Scheme

NORMALISATION_LABELS = {
    Normalisation.NONE: "",
    Normalisation.PER_SAMPLE_POINT: "测评点位数",
    Normalisation.PER_ROAD_KM: "道路公里数",
    Normalisation.PER_10K_POPULATION: "万人口数",
    Normalisation.PER_KM2: "平方公里数",
}
ZERO = Decimal(0)


def format_points(value: Decimal) -> str:
    """0.150 → "0.15", 1E+1 → "10": the exact value without trailing zeros or exponent."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True, slots=True)
class PricedFact:
    """A fact row with what each of its problems costs, and why."""

    fact: ProblemFact
    rule: str  # "category:E0102", "severity:3" or "item"
    base: Decimal  # points per problem before the weight
    weight: Decimal  # channel weight
    factor: Decimal  # repeat factor
    overdue_extra: Decimal  # added per problem when overdue (超时), else 0
    no_feedback_extra: Decimal  # added per problem when 逾期未反馈, else 0
    each: Decimal  # (base × weight × factor + extras) × share
    is_high_score: bool  # 高分问题: base × weight reaches the scheme's threshold

    @property
    def total(self) -> Decimal:
        return self.each * self.fact.count


def price(
    scheme: Scheme, item: Item, fact: ProblemFact, severities: Mapping[str, int] | None = None
) -> PricedFact | None:
    """What each problem of this fact row costs on ``item``; None when its channel does not deduct."""
    rules = scheme.deductions
    weight = rules.channel_weights.get(fact.channel)
    if weight is None or weight == 0:
        return None
    base, rule = base_points(scheme, item, fact.category_code, severities or {})
    factor = rules.repeat.factor(fact.repeat_index)
    overdue = rules.overdue_extra if fact.is_overdue else ZERO
    no_feedback = rules.no_feedback_extra if fact.is_no_feedback else ZERO
    each = (base * weight * factor + overdue + no_feedback) * fact.share
    high = base * weight > 0 and base * weight >= rules.high_score_threshold
    return PricedFact(fact, rule, base, weight, factor, overdue, no_feedback, each, high)


def base_points(
    scheme: Scheme, item: Item, category: str, severities: Mapping[str, int]
) -> tuple[Decimal, str]:
    """A problem's points before weights: category override > severity > the item's points."""
    rules = scheme.deductions
    if category in rules.category_points:
        return rules.category_points[category], f"category:{category}"
    severity = severities.get(category)
    if severity is not None and severity in rules.severity_points:
        return rules.severity_points[severity], f"severity:{severity}"
    return item.points_per_problem, "item"


@dataclass(frozen=True, slots=True)
class Deduction:
    """An item's deduction for one unit: ``lines`` add up to ``deduction``."""

    raw: Decimal  # problem and normalisation lines, before the cap and the roll-up
    deduction: Decimal
    lines: tuple[ScoreLine, ...]


def deduct(
    item: Item,
    maximum: Decimal,
    rows: Sequence[PricedFact],
    facts: EvaluationFacts,
    *,
    rollup: Rollup | None = None,
    sub_periods: Sequence[int] = (0,),
    exposure: Decimal | None = None,
) -> Deduction:
    """Score one deduction item of one unit from its priced rows (merged, one per fact key)."""
    if rollup is None or rollup is Rollup.SUM:
        lines = _period_lines(item, maximum, rows, facts, exposure, 0)
        return Deduction(_raw(lines), _sum(lines), tuple(lines))
    if rollup is Rollup.LAST:
        last = sub_periods[-1]
        lines = _period_lines(item, maximum, _of_month(rows, last), facts, exposure, last)
        note = _rollup_line(item, ZERO, f"按最后一个月 ({last}月) 的扣分计")
        return Deduction(_raw(lines), _sum(lines), (*lines, note))
    lines, monthly = [], []
    for month in sub_periods:
        month_lines = _period_lines(item, maximum, _of_month(rows, month), facts, exposure, month)
        lines += month_lines
        monthly.append(_sum(month_lines))
    mean = round_half_up(Fraction(sum(monthly, ZERO)) / len(monthly))
    terms = " + ".join(format_points(d) for d in monthly)
    text = f"按 {len(monthly)} 个月平均: ({terms}) / {len(monthly)} = {format_points(mean)}"
    lines.append(_rollup_line(item, mean - sum(monthly, ZERO), text))
    return Deduction(_raw(lines), mean, tuple(lines))


def _of_month(rows: Sequence[PricedFact], month: int) -> list[PricedFact]:
    return [r for r in rows if r.fact.sub_period == month]


def _sum(lines: Sequence[ScoreLine]) -> Decimal:
    return sum((line.total for line in lines), ZERO)


def _raw(lines: Sequence[ScoreLine]) -> Decimal:
    kinds = (LineKind.PROBLEMS, LineKind.NORMALISATION)
    return sum((line.total for line in lines if line.kind in kinds), ZERO)


def _rollup_line(item: Item, total: Decimal, text: str) -> ScoreLine:
    return ScoreLine(LineKind.ROLLUP, item.code, "rollup", total, text)


def _period_lines(
    item: Item,
    maximum: Decimal,
    rows: Sequence[PricedFact],
    facts: EvaluationFacts,
    exposure: Decimal | None,
    month: int,
) -> list[ScoreLine]:
    """The lines of one period (``month`` 0) or month: problems, then ÷ exposure, then the cap."""
    lines = [problem_line(item, row, facts) for row in rows]
    raw = _sum(lines)
    taken = raw
    if item.normalisation is not Normalisation.NONE and exposure is not None and raw:
        taken = round_half_up(Fraction(raw) / Fraction(exposure))
        label = NORMALISATION_LABELS[item.normalisation]
        arithmetic = f"{format_points(raw)} ÷ {format_points(exposure)} = {format_points(taken)}"
        text = f"{_month(month)}按{label}折算: {arithmetic}"
        lines.append(
            ScoreLine(LineKind.NORMALISATION, item.code, item.normalisation.value, taken - raw, text, month)
        )
    if taken > maximum:
        top = format_points(maximum)
        text = f"{_month(month)}扣完为止: 扣分 {format_points(taken)} 超过满分 {top}, 按 {top} 计"
        lines.append(ScoreLine(LineKind.CAP, item.code, "cap", maximum - taken, text, month))
    return lines


def _month(sub_period: int) -> str:
    return f"{sub_period}月 " if sub_period else ""


def problem_line(item: Item, row: PricedFact, facts: EvaluationFacts) -> ScoreLine:
    """One line per fact key, with its arithmetic: 第三方测评 E0102 垃圾满溢 重复问题 3 件 × 0.025 × 2."""
    f = row.fact
    return ScoreLine(
        LineKind.PROBLEMS,
        item.code,
        row.rule,
        row.total,
        _problem_text(row, facts),
        f.sub_period,
        f.category_code,
        f.channel,
        f.repeat_index,
        f.is_overdue,
        f.is_no_feedback,
        f.share,
        f.count,
        row.each,
    )


def _problem_text(row: PricedFact, facts: EvaluationFacts) -> str:
    f = row.fact
    core = format_points(row.base)
    if row.weight != 1:
        core += f" × 权重 {format_points(row.weight)}"
    if row.factor != 1:
        core += f" × {format_points(row.factor)}"
    if row.overdue_extra or row.no_feedback_extra:
        core = f"({core}{_extras_text(row)})"
    if f.share != 1:
        core += f" × 责任比例 {format_points(f.share)}"
    channel = facts.channel_names.get(f.channel, f.channel.value)
    name = facts.category_names.get(f.category_code, "")
    what = " ".join(part for part in (channel, f.category_code, name, _flags(f)) if part)
    return f"{_month(f.sub_period)}{what} {f.count} 件 × {core} = {format_points(row.total)}"


def _extras_text(row: PricedFact) -> str:
    text = ""
    if row.overdue_extra:
        text += f" + 超时 {format_points(row.overdue_extra)}"
    if row.no_feedback_extra:
        text += f" + 逾期未反馈 {format_points(row.no_feedback_extra)}"
    return text


def _flags(fact: ProblemFact) -> str:
    flags = []
    if fact.repeat_index == 1:
        flags.append("重复问题")
    elif fact.repeat_index > 1:
        flags.append(f"第{fact.repeat_index}次重复")
    if fact.is_overdue:
        flags.append("超时")
    if fact.is_no_feedback:
        flags.append("逾期未反馈")
    return " ".join(flags)
