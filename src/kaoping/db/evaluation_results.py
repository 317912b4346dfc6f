"""A revision's results written to and read back from the result tables, exactly.

Totals, ranks, tier and reward are columns; an item is a row; a score line of an item is a row that
keeps its fact key (explain finds the problems by it). The rest of a unit's result — components,
adjustments with their lines, problem counters, indicators, category shares — is JSON, with decimals
and fractions as exact strings. Reading gives back the engine's own ``Evaluation``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from kaoping.db.tables import evaluation_item_result, evaluation_score_line, evaluation_unit_result
from kaoping.domain.problems import Channel
from kaoping.domain.ranking import ItemClass
from kaoping.domain.results import (
    AdjustmentResult,
    CategoryShare,
    ComponentResult,
    Evaluation,
    GroupResult,
    ItemResult,
    LineKind,
    ProblemCounters,
    ScoreLine,
    UnitResult,
)
from kaoping.domain.schemes import Indicator, ItemKind

Json = dict[str, Any]


def insert_results(conn: Connection, revision_id: int, evaluation: Evaluation) -> None:
    """Every unit, item and item score line of ``evaluation``, in a few bulk inserts."""
    units: list[Json] = []
    items: list[Json] = []
    lines: list[Json] = []
    for group in evaluation.groups:
        for position, unit in enumerate(group.units):
            units.append(_unit_row(revision_id, group, position, unit))
            for item_position, item in enumerate(unit.items):
                key = {"revision_id": revision_id, "group_code": group.code, "unit_code": unit.unit}
                items.append({**key, **_item_row(item), "position": item_position})
                lines += [
                    {**key, **_line_row(line), "position": len(lines) + i}
                    for i, line in enumerate(item.lines)
                ]
    for table, rows in (
        (evaluation_unit_result, units),
        (evaluation_item_result, items),
        (evaluation_score_line, lines),
    ):
        if rows:
            conn.execute(insert(table), rows)


def read_results(
    conn: Connection, revision_id: int, head: Row[Any], *, unit: str | None = None, lines: bool = False
) -> Evaluation:
    """A stored revision as the engine's ``Evaluation`` (``head``: its revision row with the scheme's
    code and version); only ``unit``'s results when given; score lines only with ``lines``."""
    items = _items(conn, revision_id, unit, _lines(conn, revision_id, unit) if lines else {})
    u = evaluation_unit_result.c
    units = select(evaluation_unit_result).where(u.revision_id == revision_id).order_by(u.id)
    groups: dict[str, tuple[str, list[UnitResult]]] = {}
    for row in conn.execute(units if unit is None else units.where(u.unit_code == unit)):
        members = groups.setdefault(row.group_code, (row.group_name, []))[1]
        members.append(_unit(row, items[(row.group_code, row.unit_code)]))
    return Evaluation(
        head.scheme_code,
        head.scheme_version,
        tuple(GroupResult(code, name, tuple(members)) for code, (name, members) in groups.items()),
        counters_from(head.counters),
        tuple(_category(c) for c in head.categories),
    )


_LineKey = tuple[str, str, str]  # group, unit, item


def _lines(conn: Connection, revision_id: int, unit: str | None) -> dict[_LineKey, list[ScoreLine]]:
    s = evaluation_score_line.c
    stmt = select(evaluation_score_line).where(s.revision_id == revision_id).order_by(s.id)
    by_item: dict[_LineKey, list[ScoreLine]] = defaultdict(list)
    for row in conn.execute(stmt if unit is None else stmt.where(s.unit_code == unit)):
        by_item[(row.group_code, row.unit_code, row.ref)].append(_line(row))
    return by_item


def _items(
    conn: Connection, revision_id: int, unit: str | None, lines: Mapping[_LineKey, list[ScoreLine]]
) -> dict[tuple[str, str], list[ItemResult]]:
    i = evaluation_item_result.c
    stmt = select(evaluation_item_result).where(i.revision_id == revision_id).order_by(i.id)
    by_unit: dict[tuple[str, str], list[ItemResult]] = defaultdict(list)
    for row in conn.execute(stmt if unit is None else stmt.where(i.unit_code == unit)):
        key = (row.group_code, row.unit_code)
        by_unit[key].append(_item(row, lines.get((*key, row.item_code), [])))
    return by_unit


# --- units ----------------------------------------------------------------------------------------


def _unit_row(revision_id: int, group: GroupResult, position: int, unit: UnitResult) -> Json:
    return {
        "revision_id": revision_id, "group_code": group.code, "group_name": group.name,
        "unit_code": unit.unit, "position": position, "is_rank_only": unit.is_rank_only,
        "subtotal": unit.subtotal,
        "total": unit.total, "rank": unit.rank, "previous_rank": unit.previous_rank,
        "is_first_tier": unit.is_first_tier, "items_top": unit.items_top, "items_bottom": unit.items_bottom,
        "reward": unit.reward, "details": _details(unit),
    }  # fmt: skip


def _details(unit: UnitResult) -> Json:
    """What the columns leave out: components, adjustments with their lines, counters, indicators…"""
    components = [
        {"code": c.code, "name": c.name, "max_points": _text(c.max_points), "points": _text(c.points),
         "rank": c.rank}
        for c in unit.components
    ]  # fmt: skip
    adjustments = [
        {"code": a.code, "name": a.name, "points": _text(a.points), "raw": _text(a.raw),
         "lines": [line_json(line) for line in a.lines]}
        for a in unit.adjustments
    ]  # fmt: skip
    return {
        "components": components,
        "adjustments": adjustments,
        "counters": counters_json(unit.counters),
        "indicators": {k.value: _fraction_text(v) for k, v in unit.indicators.items()},
        "categories": [category_json(c) for c in unit.categories],
        "missing_manual": list(unit.missing_manual),
    }


def _unit(row: Row[Any], items: Sequence[ItemResult]) -> UnitResult:
    d = row.details
    components = tuple(
        ComponentResult(c["code"], c["name"], Decimal(c["max_points"]), Decimal(c["points"]), c["rank"])
        for c in d["components"]
    )
    adjustments = tuple(
        AdjustmentResult(
            a["code"],
            a["name"],
            Decimal(a["points"]),
            Decimal(a["raw"]),
            tuple(line_from(x) for x in a["lines"]),
        )
        for a in d["adjustments"]
    )
    return UnitResult(
        row.unit_code,
        row.group_code,
        row.is_rank_only,
        tuple(items),
        components,
        adjustments,
        _exact(row.subtotal),
        _exact(row.total),
        row.rank,
        counters_from(d["counters"]),
        previous_rank=row.previous_rank,
        is_first_tier=row.is_first_tier,
        items_top=row.items_top,
        items_bottom=row.items_bottom,
        reward=_exact(row.reward),
        indicators={Indicator(k): _fraction(v) for k, v in d["indicators"].items()},
        categories=tuple(_category(c) for c in d["categories"]),
        missing_manual=tuple(d["missing_manual"]),
    )


# --- items and lines ------------------------------------------------------------------------------


def _item_row(item: ItemResult) -> Json:
    return {
        "item_code": item.code,
        "name": item.name,
        "component": item.component,
        "kind": item.kind.value,
        "max_points": item.max_points,
        "points": item.points,
        "deduction": item.deduction,
        "raw_deduction": item.raw_deduction,
        "problems": item.problems,
        "deducted_problems": item.deducted_problems,
        "repeats": item.repeats,
        "value": _fraction_text(item.value),
        "problem_share": _fraction_text(item.problem_share),
        "rank": item.rank,
        "item_class": item.item_class.value,
    }


def _item(row: Row[Any], lines: Sequence[ScoreLine]) -> ItemResult:
    return ItemResult(
        row.item_code,
        row.name,
        row.component,
        ItemKind(row.kind),
        _exact(row.max_points),
        _exact(row.points),
        _exact(row.deduction),
        _exact(row.raw_deduction),
        tuple(lines),
        problems=row.problems,
        deducted_problems=row.deducted_problems,
        repeats=row.repeats,
        value=_fraction(row.value),
        problem_share=_fraction(row.problem_share),
        rank=row.rank,
        item_class=ItemClass(row.item_class),
    )


def _line_row(line: ScoreLine) -> Json:
    return {
        "ref": line.ref,
        "kind": line.kind.value,
        "rule": line.rule,
        "total": line.total,
        "text": line.text,
        "sub_period": line.sub_period,
        "category_code": line.category_code,
        "channel": line.channel.value if line.channel else None,
        "repeat_index": line.repeat_index,
        "is_overdue": line.is_overdue,
        "is_no_feedback": line.is_no_feedback,
        "share": line.share,
        "count": line.count,
        "points_each": line.points_each,
    }


def _line(row: Row[Any]) -> ScoreLine:
    return ScoreLine(
        LineKind(row.kind),
        row.ref,
        row.rule,
        _exact(row.total),
        row.text,
        row.sub_period,
        row.category_code,
        Channel(row.channel) if row.channel else None,
        row.repeat_index,
        row.is_overdue,
        row.is_no_feedback,
        _exact(row.share),
        row._mapping["count"],
        _exact(row.points_each),
    )


def line_json(line: ScoreLine) -> Json:
    values = _line_row(line)
    return {k: _text(v) if isinstance(v, Decimal) else v for k, v in values.items()}


def line_from(values: Mapping[str, Any]) -> ScoreLine:
    return ScoreLine(
        LineKind(values["kind"]),
        values["ref"],
        values["rule"],
        Decimal(values["total"]),
        values["text"],
        values["sub_period"],
        values["category_code"],
        Channel(values["channel"]) if values["channel"] else None,
        values["repeat_index"],
        values["is_overdue"],
        values["is_no_feedback"],
        Decimal(values["share"]),
        values["count"],
        Decimal(values["points_each"]),
    )


# --- counters, shares and exact numbers -----------------------------------------------------------


def counters_json(c: ProblemCounters) -> Json:
    return {
        "total": c.total,
        "deducted": c.deducted,
        "repeats": c.repeats,
        "high_score": c.high_score,
        "overdue": c.overdue,
        "no_feedback": c.no_feedback,
        "deduction": _text(c.deduction),
        "problem_share": _fraction_text(c.problem_share),
        "deduction_share": _fraction_text(c.deduction_share),
    }


def counters_from(d: Mapping[str, Any]) -> ProblemCounters:
    return ProblemCounters(
        d["total"],
        d["deducted"],
        d["repeats"],
        d["high_score"],
        d["overdue"],
        d["no_feedback"],
        Decimal(d["deduction"]),
        _fraction(d["problem_share"]),
        _fraction(d["deduction_share"]),
    )


def category_json(c: CategoryShare) -> list[Any]:
    return [c.category_code, c.count, _fraction_text(c.share)]


def _category(values: Sequence[Any]) -> CategoryShare:
    code, count, share = values
    return CategoryShare(code, count, _fraction(share))


def _text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def _exact(value: Decimal) -> Decimal:
    """A stored decimal without the trailing zeros of its column's scale (0.07500000 → 0.075)."""
    return Decimal(_text(Decimal(value)))


def _fraction_text(value: Fraction | None) -> str | None:
    return None if value is None else f"{value.numerator}/{value.denominator}"


def _fraction(text: str | None) -> Fraction | None:
    return None if text is None else Fraction(text)
