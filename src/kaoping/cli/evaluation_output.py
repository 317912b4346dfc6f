"""How the evaluation commands print: ranking tables in Chinese, and JSON with exact decimals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from rich.table import Table

from kaoping.cli.main import console
from kaoping.domain.deductions import format_points
from kaoping.domain.ranking import ITEM_CLASS_LABELS
from kaoping.domain.results import Evaluation, ItemResult, UnitResult
from kaoping.domain.revision_diffs import UnitChange
from kaoping.domain.revisions import EvaluationPeriod, PeriodStep, Revision
from kaoping.services.evaluation_explain import Explanation

LEVEL_LABELS = {"district": "区县", "town": "镇街", "department": "部门"}


def points(value: Decimal | None) -> str:
    """Points as schemes publish them: two places (exact sums may carry more; shown rounded)."""
    return "—" if value is None else f"{value:.2f}"


def _name(code: str, names: Mapping[str, str]) -> str:
    return names.get(code, code)


def print_standings(
    period: EvaluationPeriod, revision: Revision, evaluation: Evaluation, names: Mapping[str, str]
) -> None:
    """One table per group: rank, unit, total, change, tier, reward, items in the top/bottom places."""
    level = LEVEL_LABELS[period.level.value]
    head = f"{period.period.label} {level}考评 (方案 {period.scheme} {revision.scheme_version})"
    console.print(f"{head} 修订 #{revision.number} · {revision.status.label}")
    for group in evaluation.groups:
        table = Table(title=f"{group.name} ({group.code})")
        for header in ("名次", "单位", "总分", "名次变化", "第一梯队", "奖惩(万元)", "前三项", "后三项"):
            table.add_column(header, justify="left" if header == "单位" else "right")
        for u in group.units:
            unit = _name(u.unit, names) + (" (只排名)" if u.is_rank_only else "")
            table.add_row(
                str(u.rank), unit, points(u.total), _change(u.rank_change), "✓" if u.is_first_tier else "",
                _money(u.reward), str(u.items_top), str(u.items_bottom),
            )  # fmt: skip
        console.print(table)


def _change(change: int | None) -> str:
    if change is None:
        return "—"
    if change > 0:
        return f"[red]↑{change}[/]"
    return f"[green]↓{-change}[/]" if change < 0 else "→0"


def _money(value: Decimal) -> str:
    if value == 0:
        return "—"
    return f"+{format_points(value)}" if value > 0 else format_points(value)


def change_rows(changes: Sequence[UnitChange], names: Mapping[str, str]) -> list[tuple[str, ...]]:
    """A row per changed unit: group, unit, total a → b (±d), rank a → b, tier, reward, items."""
    rows: list[tuple[str, ...]] = []
    for c in changes:
        items = "; ".join(f"{i.name} {points(i.before)} → {points(i.after)}" for i in c.items) or "—"
        delta = f" ({c.total_delta:+.2f})" if c.total_delta is not None else ""
        rows.append(
            (
                c.group,
                _name(c.unit, names),
                f"{points(c.total_before)} → {points(c.total_after)}{delta}",
                f"{c.rank_before or '—'} → {c.rank_after or '—'}",
                f"{_tier(c.tier_before)} → {_tier(c.tier_after)}",
                f"{points(c.reward_before)} → {points(c.reward_after)}",
                items,
            )
        )
    return rows


def _tier(value: bool | None) -> str:
    return "—" if value is None else ("是" if value else "否")


# --- JSON -------------------------------------------------------------------------------------------


def revision_json(r: Revision) -> dict[str, Any]:
    return {
        "number": r.number, "status": r.status.value, "status_label": r.status.label,
        "scheme_version": r.scheme_version, "scheme_hash": r.scheme_hash, "fingerprint": r.fingerprint,
        "created_at": r.created_at.isoformat(), "facts_at": r.facts_at.isoformat(), "reason": r.reason,
        "published_at": r.published_at.isoformat() if r.published_at else None,
    }  # fmt: skip


def step_json(step: PeriodStep) -> dict[str, Any]:
    return {
        "action": step.action.value, "from_status": step.from_status.value, "to_status": step.to_status.value,
        "to_label": step.to_status.label, "revision": step.revision, "at": step.at.isoformat(),
        "actor": step.actor, "reason": step.reason,
    }  # fmt: skip


def item_json(i: ItemResult) -> dict[str, Any]:
    return {
        "code": i.code, "name": i.name, "component": i.component, "kind": i.kind.value,
        "max_points": str(i.max_points), "points": str(i.points), "deduction": str(i.deduction),
        "problems": i.problems, "deducted_problems": i.deducted_problems, "repeats": i.repeats,
        "value": str(i.value) if i.value is not None else None, "rank": i.rank,
        "item_class": i.item_class.value, "item_class_label": ITEM_CLASS_LABELS[i.item_class],
    }  # fmt: skip


def unit_json(u: UnitResult, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "unit": u.unit, "name": names.get(u.unit, ""), "group": u.group, "rank": u.rank,
        "previous_rank": u.previous_rank, "rank_change": u.rank_change, "total": str(u.total),
        "subtotal": str(u.subtotal), "is_first_tier": u.is_first_tier, "is_rank_only": u.is_rank_only,
        "reward": str(u.reward), "items_top": u.items_top, "items_bottom": u.items_bottom,
        "components": [
            {"code": c.code, "name": c.name, "points": str(c.points), "rank": c.rank} for c in u.components
        ],
        "adjustments": [{"code": a.code, "name": a.name, "points": str(a.points)} for a in u.adjustments],
        "missing_manual": list(u.missing_manual), "items": [item_json(i) for i in u.items],
    }  # fmt: skip


def evaluation_json(
    period: EvaluationPeriod, revision: Revision, evaluation: Evaluation, names: Mapping[str, str]
) -> dict[str, Any]:
    return {
        "period": period.period.code, "scheme": period.scheme, "level": period.level.value,
        "status": period.status.value, "revision": revision_json(revision),
        "groups": [
            {"code": g.code, "name": g.name, "units": [unit_json(u, names) for u in g.units]}
            for g in evaluation.groups
        ],
    }  # fmt: skip


def changes_json(changes: Sequence[UnitChange], names: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {
            **_strings(asdict(c)),
            "name": names.get(c.unit, ""),
            "items": [_strings(asdict(i)) for i in c.items],
        }
        for c in changes
    ]


def _strings(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}


def explanation_json(x: Explanation) -> dict[str, Any]:
    lines = []
    for e in x.lines:
        line = {**_strings(asdict(e.line)), "channel": e.line.channel.value if e.line.channel else None}
        if e.problems is not None:
            line["problems"] = {
                "count": e.problems.count,
                "shown": [
                    {**asdict(p), "found_at": p.found_at.isoformat(), "channel": p.channel.value}
                    for p in e.problems.shown
                ],
            }
        lines.append(line)
    return {
        "period": x.period.period.code, "scheme": x.period.scheme, "level": x.period.level.value,
        "revision": revision_json(x.revision), "unit": unit_json(x.unit, {x.unit.unit: x.unit_name}),
        "item": item_json(x.item) if x.item else None, "lines": lines,
    }  # fmt: skip
