"""Case-loop and third-party indicators (domain.md §8.2, §8.3, §10.3, §10.6, §10.7) and how a rate
item turns one into points.

Rates are exact ``Fraction``s over counters; they are rounded only for display (``percent``: half up,
to 0.01 %) and when they become points (``score_rate``: half up, to 0.01 points). A zero denominator
gives ``None`` (shown as "—"), never 0 % or 100 %: the scheme decides what an empty rate earns.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from kaoping.domain.schemes import (
    DiscoveryVariant,
    Indicator,
    RateFormula,
    RateRule,
    ReworkBase,
)

Rate = Fraction  # exact, 0…1 for rates; intensities may exceed 1
HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class CaseCounters:
    """What the indicators of one unit and period are computed from (one row of the fact query)."""

    disposal_finished: int = 0  # disposal finished in or through the period
    open_overdue: int = 0  # still in disposal and past the deadline at the end of the period
    closed: int = 0  # 结案
    closed_on_time: int = 0  # 按期结案: disposal ended before its (bundled) deadline
    on_hold: int = 0  # 缓办/挂账 among the cases due
    should_dispose: int = 0  # 应处置
    disposed: int = 0  # 处置
    disposed_on_time: int = 0  # 按期处置
    rework: int = 0  # 返工数: cases sent back after a failed 核查
    findings: int = 0  # 第三方测评问题数
    rectified_on_time: int = 0  # 按期整改
    rectified_late: int = 0  # 超时整改
    third_party: int = 0  # N_third: problems the city's testers found
    own: int = 0  # N_self: problems the unit's own forces found first (scheme.own_channels)
    external: int = 0  # N_ext: third party, 12345, media, 上级交办…
    own_closed_on_time: int = 0  # own finds closed on time

    @property
    def due(self) -> int:
        """应结案数."""
        return cases_due(self.disposal_finished, self.open_overdue)


def cases_due(disposal_finished: int, open_overdue: int) -> int:
    """应结案 = cases whose disposal finished in/through the period + open cases past their deadline
    (cases still within their deadline are not due yet) [C2]."""
    return disposal_finished + open_overdue


def ratio(numerator: int | Fraction | Decimal, denominator: int | Fraction | Decimal) -> Rate | None:
    """numerator / denominator exactly; None when the denominator is zero or negative."""
    if denominator <= 0:
        return None
    if type(numerator) is int and type(denominator) is int:  # counts
        return Fraction(numerator, denominator)
    p, q = numerator.as_integer_ratio()  # exact for int, Fraction and Decimal: one Fraction, not three
    r, s = denominator.as_integer_ratio()
    return Fraction(p * s, q * r)


def closure_rate(closed: int, due: int, on_hold: int = 0) -> Rate | None:
    """结案率 = 结案 / 应结案 [S4][S6]; 金华 removes 缓办/挂账 from the denominator (pass ``on_hold``)."""
    return ratio(closed, due - on_hold)


def ontime_closure_rate(closed_on_time: int, due: int, on_hold: int = 0) -> Rate | None:
    """按期结案率 = 按期结案 / 应结案 (the same 缓办 variant as ``closure_rate``)."""
    return ratio(closed_on_time, due - on_hold)


def disposal_rate(disposed: int, should_dispose: int) -> Rate | None:
    """处置率 = 处置 / 应处置; 按期处置率 is the same formula over the on-time count."""
    return ratio(disposed, should_dispose)


def rework_rate(rework: int, base: int) -> Rate | None:
    """返工率 = 返工 / 应结案 (or / 处置: the scheme chooses the base, Q6)."""
    return ratio(rework, base)


def rectification_rate(on_time: int, late: int, findings: int) -> Rate | None:
    """整改率 = (按期整改 + 超时整改) / 第三方问题数 — late rectifications count [S37]."""
    return ratio(on_time + late, findings)


def share(part: int | Decimal, whole: int | Decimal) -> Rate | None:
    """A part's share of a whole: a unit of the city total, an item of the unit's total [S36]."""
    return ratio(part, whole)


def discovery_share(third_party: int, own: int) -> Rate | None:
    """第三方发现率, share variant: third-party finds / (third-party + own finds) (§10.7)."""
    return ratio(third_party, third_party + own)


def discovery_intensity(third_party: int, exposure: Decimal | None) -> Rate | None:
    """第三方发现率, intensity variant: third-party finds per unit of exposure (sample point, km…)."""
    return None if exposure is None else ratio(third_party, exposure)


def proactive_rate(own_closed_on_time: int, own: int, external: int) -> Rate | None:
    """问题主动处置率 = own finds closed on time / (own + external finds) (§10.7)."""
    return ratio(own_closed_on_time, own + external)


def indicator_value(
    rule: RateRule,
    counters: CaseCounters,
    *,
    variant: DiscoveryVariant = DiscoveryVariant.SHARE,
    exposure: Decimal | None = None,
) -> Rate | None:
    """The value of a rate rule's indicator over one unit's counters."""
    c = counters
    hold = c.on_hold if rule.exclude_on_hold else 0
    match rule.indicator:
        case Indicator.CLOSURE_RATE:
            return closure_rate(c.closed, c.due, hold)
        case Indicator.ONTIME_CLOSURE_RATE:
            return ontime_closure_rate(c.closed_on_time, c.due, hold)
        case Indicator.DISPOSAL_RATE:
            return disposal_rate(c.disposed, c.should_dispose)
        case Indicator.ONTIME_DISPOSAL_RATE:
            return disposal_rate(c.disposed_on_time, c.should_dispose)
        case Indicator.REWORK_RATE:
            base = c.due - hold if rule.rework_base is ReworkBase.DUE else c.disposed
            return rework_rate(c.rework, base)
        case Indicator.RECTIFICATION_RATE:
            return rectification_rate(c.rectified_on_time, c.rectified_late, c.findings)
        case Indicator.THIRD_PARTY_DISCOVERY_RATE:
            if variant is DiscoveryVariant.INTENSITY:
                return discovery_intensity(c.third_party, exposure)
            return discovery_share(c.third_party, c.own)
        case Indicator.PROACTIVE_RATE:
            return proactive_rate(c.own_closed_on_time, c.own, c.external)


def round_half_up(value: Fraction, places: int = 2) -> Decimal:
    """Round an exact value to ``places`` decimals, halves away from zero (as people round)."""
    return _round(*value.as_integer_ratio(), places)


def _round(numerator: int, denominator: int, places: int = 2) -> Decimal:
    """numerator / denominator (denominator > 0) rounded half up: floor(|v|·scale + ½), in integers."""
    scale = 10**places
    magnitude = (abs(numerator) * scale * 2 + denominator) // (2 * denominator)
    return Decimal(-magnitude if numerator < 0 else magnitude).scaleb(-places)


def percent(rate: Rate | None, places: int = 2) -> Decimal | None:
    """A rate in percent for display: 911/972 → 93.72."""
    if rate is None:
        return None
    numerator, denominator = rate.as_integer_ratio()
    return _round(numerator * 100, denominator, places)


def format_percent(rate: Rate | None, places: int = 2) -> str:
    """ "93.72%", or "—" for an empty rate."""
    shown = percent(rate, places)
    return "—" if shown is None else f"{shown}%"


# Rate points are worked out on integer pairs (numerator, denominator > 0, not reduced): exact like
# Fractions, several times faster — every rate item of every unit of every run passes here.
_Ratio = tuple[int, int]


def score_rate(rule: RateRule, value: Rate | None, maximum: Decimal) -> Decimal:
    """Points of a rate item worth ``maximum``, rounded half up to 0.01, within [0, maximum]."""
    full = maximum.as_integer_ratio()
    if value is None:
        empty = rule.empty_points.as_integer_ratio()
        points = (full[0] * empty[0], full[1] * empty[1])
    else:
        points = _formula_points(rule, value.as_integer_ratio(), full)
    if points[0] < 0:
        points = (0, 1)
    if points[0] * full[1] > full[0] * points[1]:
        points = full
    return _round(*points)


def _formula_points(rule: RateRule, value: _Ratio, full: _Ratio) -> _Ratio:
    (p, q), (m, k) = value, full
    match rule.formula:
        case RateFormula.LINEAR:
            return m * p, k * q
        case RateFormula.INVERSE:
            return m * (q - p), k * q
        case RateFormula.BANDED:
            for band in sorted(rule.bands, key=lambda b: b.lower, reverse=True):
                a, b = band.lower.as_integer_ratio()
                if p * b >= a * q:
                    c, e = band.points.as_integer_ratio()
                    return m * c, k * e
            return 0, 1
        case RateFormula.THRESHOLD:
            t, u = (rule.target if rule.target is not None else Decimal(1)).as_integer_ratio()
            if p * u >= t * q:
                return full
            # 金华: −per_point for each percentage point below the target, floored at 0
            r, s = rule.per_point.as_integer_ratio()
            return m * s * u * q - k * r * (t * q - p * u) * 100, k * s * u * q
