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

from kaoping.domain.facts import ProblemFact
from kaoping.domain.indicators import round_half_up
from kaoping.domain.problems import Channel
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
class Price:
    """What each problem of one kind costs on an item, and why."""

    rule: str  # "category:E0102", "severity:3" or "item"
    base: Decimal  # points per problem before the weight
    weight: Decimal  # channel weight
    factor: Decimal  # repeat factor
    overdue_extra: Decimal  # added per problem when overdue (超时), else 0
    no_feedback_extra: Decimal  # added per problem when 逾期未反馈, else 0
    each: Decimal  # (base × weight × factor + extras) × share
    is_high_score: bool  # 高分问题: base × weight reaches the scheme's threshold


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
    base, rule = base_points(scheme, item, fact.category_code, severities or {})
    f = fact
    cost = cost_of(scheme, base, rule, f.channel, f.repeat_index, f.is_overdue, f.is_no_feedback, f.share)
    if cost is None:
        return None
    return PricedFact(
        fact,
        cost.rule,
        cost.base,
        cost.weight,
        cost.factor,
        cost.overdue_extra,
        cost.no_feedback_extra,
        cost.each,
        cost.is_high_score,
    )


def cost_of(
    scheme: Scheme,
    base: Decimal,
    rule: str,
    channel: Channel,
    repeat_index: int,
    is_overdue: bool,
    is_no_feedback: bool,
    share: Decimal,
) -> Price | None:
    """The price of one problem of a kind at ``base`` points; None when its channel does not deduct."""
    rules = scheme.deductions
    weight = rules.channel_weights.get(channel)
    if weight is None or weight == 0:
        return None
    factor = rules.repeat.factor(repeat_index)
    overdue = rules.overdue_extra if is_overdue else ZERO
    no_feedback = rules.no_feedback_extra if is_no_feedback else ZERO
    each = (base * weight * factor + overdue + no_feedback) * share
    high = base * weight > 0 and base * weight >= rules.high_score_threshold
    return Price(rule, base, weight, factor, overdue, no_feedback, each, high)


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


_NOTHING = Deduction(ZERO, ZERO, ())


def deduct(
    item: Item,
    maximum: Decimal,
    problem_lines: Sequence[ScoreLine],
    *,
    rollup: Rollup | None = None,
    sub_periods: Sequence[int] = (0,),
    exposure: Decimal | None = None,
    total: Decimal | None = None,
) -> Deduction:
    """Score one deduction item of one unit from its problem lines (one per merged fact row that
    costs points, in fact-key order; ``total``: their sum, when known): ÷ exposure, the cap, the
    monthly roll-up. Sums are exact, so adding lines in groups gives what adding them one by one does."""
    if rollup is None or rollup is Rollup.SUM:
        if not problem_lines and maximum >= 0:
            return _NOTHING  # most items of most units in a month: no line at all
        raw = _sum(problem_lines) if total is None else total
        return _period(item, maximum, problem_lines, raw, exposure, 0)
    if rollup is Rollup.LAST:
        last = sub_periods[-1]
        mine = _of_month(problem_lines, last)
        d = _period(item, maximum, mine, _sum(mine), exposure, last)
        note = _rollup_line(item, ZERO, f"按最后一个月 ({last}月) 的扣分计")
        return Deduction(d.raw, d.deduction, (*d.lines, note))
    lines: list[ScoreLine] = []
    monthly = []
    raw = ZERO
    for month in sub_periods:
        mine = _of_month(problem_lines, month)
        d = _period(item, maximum, mine, _sum(mine), exposure, month)
        lines += d.lines
        monthly.append(d.deduction)
        raw += d.raw
    mean = round_half_up(Fraction(sum(monthly, ZERO)) / len(monthly))
    terms = " + ".join(format_points(d) for d in monthly)
    text = f"按 {len(monthly)} 个月平均: ({terms}) / {len(monthly)} = {format_points(mean)}"
    lines.append(_rollup_line(item, mean - sum(monthly, ZERO), text))
    return Deduction(raw, mean, tuple(lines))


def _of_month(lines: Sequence[ScoreLine], month: int) -> list[ScoreLine]:
    return [line for line in lines if line.sub_period == month]


def _sum(lines: Sequence[ScoreLine]) -> Decimal:
    return sum((line.total for line in lines), ZERO)


def _rollup_line(item: Item, total: Decimal, text: str) -> ScoreLine:
    return ScoreLine(LineKind.ROLLUP, item.code, "rollup", total, text)


def _period(
    item: Item,
    maximum: Decimal,
    problem_lines: Sequence[ScoreLine],
    raw: Decimal,
    exposure: Decimal | None,
    month: int,
) -> Deduction:
    """One period (``month`` 0) or month from its problem lines and their sum ``raw``: then ÷
    exposure, then the cap."""
    lines = list(problem_lines)
    taken = kept = raw
    if item.normalisation is not Normalisation.NONE and exposure is not None and raw:
        taken = round_half_up(Fraction(raw) / Fraction(exposure))
        label = NORMALISATION_LABELS[item.normalisation]
        arithmetic = f"{format_points(raw)} ÷ {format_points(exposure)} = {format_points(taken)}"
        text = f"{_month(month)}按{label}折算: {arithmetic}"
        lines.append(
            ScoreLine(LineKind.NORMALISATION, item.code, item.normalisation.value, taken - raw, text, month)
        )
        kept = raw + (taken - raw)
    deduction = kept
    if taken > maximum:
        top = format_points(maximum)
        text = f"{_month(month)}扣完为止: 扣分 {format_points(taken)} 超过满分 {top}, 按 {top} 计"
        lines.append(ScoreLine(LineKind.CAP, item.code, "cap", maximum - taken, text, month))
        deduction = kept + (maximum - taken)
    return Deduction(kept, deduction, tuple(lines))


def _month(sub_period: int) -> str:
    return f"{sub_period}月 " if sub_period else ""


@dataclass(frozen=True, slots=True)
class ProblemText:
    """Writes out a problem line's arithmetic when its text is first read (8月 媒体监督 E0102 垃圾满溢
    5 件 × 0.5 × 权重 2 = 5), pricing the line's kind again under the scheme it was scored by."""

    scheme: Scheme
    severities: Mapping[str, int]
    category_names: Mapping[str, str]
    channel_names: Mapping[Channel, str]

    def __call__(self, line: ScoreLine) -> str:
        item = self.scheme.items[line.ref]
        base, rule = base_points(self.scheme, item, line.category_code, self.severities)
        channel = line.channel or Channel.THIRD_PARTY  # a problem line always has its channel
        cost = cost_of(
            self.scheme,
            base,
            rule,
            channel,
            line.repeat_index,
            line.is_overdue,
            line.is_no_feedback,
            line.share,
        )
        if cost is None:  # not a line the engine makes: only problems that cost points have one
            return ""
        return problem_text(line, cost, self.category_names, self.channel_names)


def problem_text(
    line: ScoreLine, cost: Price, category_names: Mapping[str, str], channel_names: Mapping[Channel, str]
) -> str:
    """A problem line's explanation, from its fact key, count and total and what each problem costs."""
    core = format_points(cost.base)
    if cost.weight != 1:
        core += f" × 权重 {format_points(cost.weight)}"
    if cost.factor != 1:
        core += f" × {format_points(cost.factor)}"
    if cost.overdue_extra or cost.no_feedback_extra:
        core = f"({core}{_extras_text(cost)})"
    if line.share != 1:
        core += f" × 责任比例 {format_points(line.share)}"
    channel = "" if line.channel is None else channel_names.get(line.channel, line.channel.value)
    name = category_names.get(line.category_code, "")
    what = " ".join(part for part in (channel, line.category_code, name, _flags(line)) if part)
    return f"{_month(line.sub_period)}{what} {line.count} 件 × {core} = {format_points(line.total)}"


def _extras_text(cost: Price) -> str:
    text = ""
    if cost.overdue_extra:
        text += f" + 超时 {format_points(cost.overdue_extra)}"
    if cost.no_feedback_extra:
        text += f" + 逾期未反馈 {format_points(cost.no_feedback_extra)}"
    return text


def _flags(line: ScoreLine) -> str:
    flags = []
    if line.repeat_index == 1:
        flags.append("重复问题")
    elif line.repeat_index > 1:
        flags.append(f"第{line.repeat_index}次重复")
    if line.is_overdue:
        flags.append("超时")
    if line.is_no_feedback:
        flags.append("逾期未反馈")
    return " ".join(flags)
