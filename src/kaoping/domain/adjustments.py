"""Bonuses (加分) and penalties (扣分) outside the items, each capped per unit and period.

Counted ones (adopted publicity by outlet tier, negative exposure, entered points) come as
``AdjustmentEvent``s; progress bonuses and regression penalties (进步加分、退步扣分) are worked out
from the places a unit moved against its previous rank. To keep that from chasing its own tail, the
places are measured on the total *before* progress and regression (after the other adjustments).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import partial

from kaoping.domain.deductions import format_points
from kaoping.domain.facts import AdjustmentEvent, EvaluationError, EvaluationFacts
from kaoping.domain.results import (
    AdjustmentResult,
    LineKind,
    ScoreLine,
    make_adjustment_result,
    make_score_line,
)
from kaoping.domain.schemes import Adjustment, BonusKind, PenaltyKind, Scheme

ZERO = Decimal(0)
ONE = Decimal(1)
MOVEMENT_KINDS = (BonusKind.PROGRESS, PenaltyKind.REGRESSION)


def check_events(scheme: Scheme, facts: EvaluationFacts) -> None:
    """Refuse events naming an unknown adjustment or tier, a computed adjustment, or a negative count."""
    known = {a.code: a for a in scheme.adjustments}
    for event in facts.adjustments:
        unit = facts.unit_label(event.unit)
        adjustment = known.get(event.adjustment)
        if adjustment is None:
            raise EvaluationError(f"单位 {unit}: 方案中没有加减分项 {event.adjustment!r}", event.unit)
        if adjustment.kind in MOVEMENT_KINDS:
            raise EvaluationError(f"单位 {unit}: {adjustment.name} 由名次变化计算, 不能录入", event.unit)
        if event.count < 0:
            raise EvaluationError(f"单位 {unit}: {adjustment.name} 次数 {event.count} 不能为负", event.unit)
        if event.points is None and event.tier not in adjustment.points_by_tier:
            tiers = "、".join(adjustment.points_by_tier) or "无"
            raise EvaluationError(
                f"单位 {unit}: {adjustment.name} 没有级别 {event.tier!r} 的分值 (可选: {tiers})", event.unit
            )
        if event.points is not None and event.points < 0:
            raise EvaluationError(f"单位 {unit}: {adjustment.name} 分值 {event.points} 不能为负", event.unit)


def event_adjustments(scheme: Scheme, events: Iterable[AdjustmentEvent]) -> list[AdjustmentResult]:
    """One unit's counted adjustments (every one the scheme has, except progress and regression)."""
    counts: dict[tuple[str, str, Decimal | None], int] = defaultdict(int)
    for event in events:
        counts[(event.adjustment, event.tier, event.points)] += event.count
    results = []
    for adjustment in scheme.adjustments:
        if adjustment.kind in MOVEMENT_KINDS:
            continue
        keys = sorted((k for k in counts if k[0] == adjustment.code), key=lambda k: (k[1], k[2] or ZERO))
        lines = [
            _event_line(adjustment, tier, points, counts[(code, tier, points)]) for code, tier, points in keys
        ]
        results.append(_capped(adjustment, lines))
    return results


def _event_line(adjustment: Adjustment, tier: str, entered: Decimal | None, count: int) -> ScoreLine:
    each = entered if entered is not None else adjustment.points_by_tier[tier]
    total = each * count * _sign(adjustment)
    rule = f"tier:{tier}" if entered is None else "entered"
    text = partial(_event_text, adjustment, tier, count, each, total)
    return make_score_line(
        LineKind.ADJUSTMENT,
        adjustment.code,
        rule,
        total,
        text,
        0,
        "",
        None,
        0,
        False,
        False,
        ONE,
        count,
        each,
    )


def _event_text(
    adjustment: Adjustment, tier: str, count: int, each: Decimal, total: Decimal, _: object
) -> str:
    noun = "篇" if adjustment.kind is BonusKind.PUBLICITY else "次"
    label = " ".join(part for part in (adjustment.name, tier) if part)
    return f"{label} {count} {noun} × {format_points(each)} = {format_points(total)}"


def movement_adjustments(scheme: Scheme, moved: int | None) -> list[AdjustmentResult]:
    """Progress bonus and regression penalty for ``moved`` places gained (negative: lost)."""
    results = []
    for adjustment in scheme.adjustments:
        if adjustment.kind not in MOVEMENT_KINDS:
            continue
        places = 0 if moved is None else moved if adjustment.kind is BonusKind.PROGRESS else -moved
        lines = []
        if places > 0:
            total = adjustment.per_place * places * _sign(adjustment)
            word = "进步" if adjustment.kind is BonusKind.PROGRESS else "退步"
            each = format_points(adjustment.per_place)
            text = f"{adjustment.name}: {word} {places} 位 × {each} = {format_points(total)}"
            lines.append(
                ScoreLine(
                    LineKind.ADJUSTMENT,
                    adjustment.code,
                    "per_place",
                    total,
                    text,
                    count=places,
                    points_each=adjustment.per_place,
                )
            )
        results.append(_capped(adjustment, lines))
    return results


def _capped(adjustment: Adjustment, lines: Sequence[ScoreLine]) -> AdjustmentResult:
    raw = sum((line.total for line in lines), ZERO)
    sign = _sign(adjustment)
    all_lines = list(lines)
    if adjustment.cap is not None and abs(raw) > adjustment.cap:
        capped = adjustment.cap * sign
        cap, found = format_points(adjustment.cap), format_points(raw)
        text = f"{adjustment.name}封顶 {cap}: {found} 按 {format_points(capped)} 计"
        all_lines.append(ScoreLine(LineKind.CAP, adjustment.code, "cap", capped - raw, text))
    points = sum((line.total for line in all_lines), ZERO)
    return make_adjustment_result(adjustment.code, adjustment.name, points, raw, tuple(all_lines))


def _sign(adjustment: Adjustment) -> int:
    return 1 if adjustment.is_bonus else -1
