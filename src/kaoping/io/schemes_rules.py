"""A scheme file's deduction rules (source × category) and its bonuses and penalties."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import Decimal

from kaoping.domain.problems import Channel
from kaoping.domain.repeats import RepeatMatch, RepeatRule
from kaoping.domain.schemes import Adjustment, BonusKind, DeductionRules, PenaltyKind, RepeatPolicy
from kaoping.io.schemes_items import Listed, listed_entries
from kaoping.io.schemes_nodes import Reader, Value, suggestion

_DEDUCTION_KEYS = {
    "channel_weights",
    "repeat",
    "overdue_extra",
    "no_feedback_extra",
    "high_score_threshold",
    "severity_points",
    "category_points",
}
_REPEAT_KEYS = {
    "multiplier",
    "escalation",
    "radius_m",
    "window_days",
    "match",
    "count_open",
    "count_rectified",
}
_ADJUSTMENT_KEYS = {"code", "name", "kind", "points_by_tier", "per_place", "cap"}
_BY_TIER = {BonusKind.PUBLICITY, PenaltyKind.NEGATIVE_EXPOSURE}  # points per report by outlet tier
_BY_PLACE = {BonusKind.PROGRESS, PenaltyKind.REGRESSION}  # points per place gained or lost


def read_deductions(r: Reader, at: Value, mapped: Collection[str] | None) -> DeductionRules | None:
    """How problems cost points; ``mapped`` holds the subclasses some deduction item counts (None
    when an item was refused: then an override is not checked against them)."""
    issues = len(r.issues)
    fields = r.fields(at, _DEDUCTION_KEYS, {"channel_weights"})
    weights = _channel_weights(r, fields["channel_weights"]) if "channel_weights" in fields else {}
    repeat = _repeat(r, fields["repeat"]) if "repeat" in fields else RepeatPolicy()
    extras = {
        key: r.decimal(fields[key], what="分值") if key in fields else default
        for key, default in (
            ("overdue_extra", Decimal(0)),
            ("no_feedback_extra", Decimal(0)),
            ("high_score_threshold", Decimal("0.5")),
        )
    }
    severity = _severity_points(r, fields["severity_points"]) if "severity_points" in fields else {}
    category = _category_points(r, fields["category_points"], mapped) if "category_points" in fields else {}
    if repeat is None or len(r.issues) > issues:
        return None
    return DeductionRules(
        channel_weights=weights,
        repeat=repeat,
        overdue_extra=extras["overdue_extra"] or Decimal(0),
        no_feedback_extra=extras["no_feedback_extra"] or Decimal(0),
        high_score_threshold=extras["high_score_threshold"] or Decimal(0),
        severity_points=severity,
        category_points=category,
    )


def _channel_weights(r: Reader, at: Value) -> dict[Channel, Decimal]:
    """Channel → weight; only the channels listed deduct (own discovery costs nothing)."""
    weights: dict[Channel, Decimal] = {}
    known = [c.value for c in Channel]
    entries = r.entries(at)
    for code, value in entries:
        if code not in known:
            r.refuse(value, f"未知的来源 {code!r}{suggestion(code, known)} (可选: {', '.join(known)})")
            continue
        weight = r.decimal(value, positive=True, what="权重")
        if weight is not None:
            weights[Channel(code)] = weight
    if not entries:
        r.refuse(at, "至少要有一个扣分来源")
    return weights


def _repeat(r: Reader, at: Value) -> RepeatPolicy | None:
    """What a repeat costs (multiplier or escalation) and what counts as one (the repeat rule)."""
    fields = r.fields(at, _REPEAT_KEYS)
    multiplier = r.decimal(fields["multiplier"], positive=True) if "multiplier" in fields else Decimal(2)
    escalation = (
        [r.decimal(v, positive=True) for v in r.sequence(fields["escalation"])]
        if "escalation" in fields
        else []
    )
    rule: dict[str, object] = {}
    for key in ("radius_m", "window_days"):
        if key in fields:
            rule[key] = r.number(fields[key])
    if "match" in fields:
        rule["match"] = r.choice(fields["match"], RepeatMatch, "重复判定方式")
    for key in ("count_open", "count_rectified"):
        if key in fields:
            rule[key] = r.boolean(fields[key])
    if multiplier is None or None in escalation or None in rule.values():
        return None
    try:
        repeat_rule = RepeatRule(**rule)  # type: ignore[arg-type]  # each value was checked above
    except ValueError as err:  # the rule's own checks (positive radius, one of open/rectified)
        r.refuse(at, str(err))
        return None
    return RepeatPolicy(repeat_rule, multiplier, tuple(v for v in escalation if v is not None))


def _severity_points(r: Reader, at: Value) -> dict[int, Decimal]:
    points: dict[int, Decimal] = {}
    for key, value in r.entries(at):
        if key not in ("1", "2", "3"):
            r.refuse(value, f"严重程度应为 1、2 或 3, 实为 {key!r}")
            continue
        amount = r.decimal(value, what="分值")
        if amount is not None:
            points[int(key)] = amount
    return points


def _category_points(r: Reader, at: Value, mapped: Collection[str] | None) -> dict[str, Decimal]:
    points: dict[str, Decimal] = {}
    for code, value in r.entries(at):
        if mapped is not None and code not in mapped:
            r.refuse(value, f"类别 {code} 未映射到任何扣分项目, 单独设置分值无效")
            continue
        amount = r.decimal(value, what="分值")
        if amount is not None:
            points[code] = amount
    return points


# --- bonuses and penalties -----------------------------------------------------------------------


def read_adjustments(
    r: Reader, bonuses: Value | None, penalties: Value | None
) -> tuple[Adjustment, ...] | None:
    """Bonuses (加分) then penalties (扣分) outside the items, each capped per unit and period."""
    listed: Listed[Adjustment] = Listed()
    for at, kinds in ((bonuses, BonusKind), (penalties, PenaltyKind)):
        for entry in listed_entries(r, at, _ADJUSTMENT_KEYS, "加扣分", listed):
            listed.keep(entry.code, _adjustment(r, entry.at, entry.code, entry.name, entry.fields, kinds))
    return tuple(listed.objects.values()) if listed.is_complete else None


def _adjustment(
    r: Reader,
    at: Value,
    code: str,
    name: str,
    fields: Mapping[str, Value],
    kinds: type[BonusKind] | type[PenaltyKind],
) -> Adjustment | None:
    issues = len(r.issues)
    if "kind" not in fields:
        r.refuse(at, f"缺少此字段 (可选: {', '.join(k.value for k in kinds)})", f"{at.path}.kind")
        return None
    kind = r.choice(fields["kind"], kinds, "加分类型" if kinds is BonusKind else "扣分类型")
    if kind is None:
        return None
    by_tier = _points_by_tier(r, at, fields, kind)
    per_place = _per_place(r, at, fields, kind)
    cap = r.decimal(fields["cap"], positive=True, what="封顶分值") if "cap" in fields else None
    if len(r.issues) > issues or per_place is None:
        return None
    return Adjustment(code, name, kind, by_tier, per_place, cap)


def _points_by_tier(
    r: Reader, at: Value, fields: Mapping[str, Value], kind: BonusKind | PenaltyKind
) -> dict[str, Decimal]:
    """Outlet tier (national, provincial, city…) → points per adopted report or exposure."""
    if "points_by_tier" not in fields:
        if kind in _BY_TIER:
            r.refuse(at, f"{kind.value} 须按媒体级别设置 points_by_tier", f"{at.path}.points_by_tier")
        return {}
    if kind not in _BY_TIER:
        r.refuse(
            fields["points_by_tier"],
            f"points_by_tier 只用于 publicity 与 negative_exposure, 本项为 {kind.value}",
        )
        return {}
    points: dict[str, Decimal] = {}
    entries = r.entries(fields["points_by_tier"])
    for tier, value in entries:
        amount = r.decimal(value, positive=True, what="分值")
        if amount is not None:
            points[tier] = amount
    if not entries:
        r.refuse(fields["points_by_tier"], "至少要有一个媒体级别")
    return points


def _per_place(
    r: Reader, at: Value, fields: Mapping[str, Value], kind: BonusKind | PenaltyKind
) -> Decimal | None:
    """Points per place gained (进步加分) or lost (退步扣分)."""
    if "per_place" not in fields:
        if kind in _BY_PLACE:
            r.refuse(at, f"{kind.value} 须设置每进退一名的分值 per_place", f"{at.path}.per_place")
        return Decimal(0)
    if kind not in _BY_PLACE:
        r.refuse(fields["per_place"], f"per_place 只用于 progress 与 regression, 本项为 {kind.value}")
        return Decimal(0)
    return r.decimal(fields["per_place"], positive=True, what="分值")
