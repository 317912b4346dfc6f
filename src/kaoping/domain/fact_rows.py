"""A period's problem facts merged into rows (合并统计行): one per unit and fact key, counts summed.

``merge_rows`` is the first thing the engine does with the facts: the same facts in any order, split
or repeated under the same key, give the same rows in the same (key) order, so the order of the
input never shows in a result. Months are kept only for items measured monthly inside the period.

A row is ``(key, count)`` with plain values only — the channel as its code — so a period's tens of
thousands of rows cost no objects of their own beyond two tuples, which the garbage collector
learns to skip.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from kaoping.domain.facts import EvaluationError, ProblemFact
from kaoping.domain.problems import Channel
from kaoping.domain.schemes import Item, Scheme

# sub-period (0 unless measured monthly), category, channel code, repeat index, overdue, no feedback,
# liability share (normal form): a row's key within its unit
FactKey = tuple[int, str, str, int, bool, bool, Decimal]
Row = tuple[FactKey, int]  # a key and its problems
CHANNELS = {channel.value: channel for channel in Channel}
_CODES = {channel: channel.value for channel in Channel}


def is_rolled_up(scheme: Scheme, item: Item | None) -> bool:
    """Whether an item's component is measured more often than the scheme publishes (monthly in a quarter)."""
    if item is None:
        return False
    component = scheme.components[item.component]
    return component.measured is not None and component.measured != scheme.period


def merge_rows(scheme: Scheme, problems: Iterable[ProblemFact]) -> tuple[dict[str, list[Row]], set[int]]:
    """Rows per unit (units in code order, rows in key order, none of 0 problems), and the months
    of the facts that count for items measured monthly; refuses a negative count or a share
    outside 0…1."""
    monthly: dict[str, bool] = {}  # category → rolled up; asked once per category, not per row
    shares: dict[Decimal, Decimal] = {}  # share → its normal form, one object per value
    by_unit: dict[str, dict[FactKey, int]] = {}
    months: set[int] = set()
    unit, counts = None, {}  # the last row's unit and its keys: facts come unit by unit
    for f in problems:
        share = shares.get(f.share)
        if share is None or f.count < 0:
            share = shares[f.share] = _normal_share(f)
        rolled = monthly.get(f.category_code)
        if rolled is None:
            rolled = monthly[f.category_code] = is_rolled_up(scheme, scheme.item_of(f.category_code))
        if rolled:
            months.add(f.sub_period)
        month = f.sub_period if rolled else 0
        if f.unit != unit:
            unit = f.unit
            counts = by_unit.setdefault(unit, {})
        key = (
            month,
            f.category_code,
            _CODES[f.channel],
            f.repeat_index,
            f.is_overdue,
            f.is_no_feedback,
            share,
        )
        counts[key] = counts.get(key, 0) + f.count
    rows = {}
    for code in sorted(by_unit):
        if unit_rows := [row for row in sorted(by_unit[code].items()) if row[1]]:  # keys differ: by key
            rows[code] = unit_rows
    return rows, months


def _normal_share(f: ProblemFact) -> Decimal:
    """A valid share in its normal form (0.80 → 0.8)."""
    if f.count < 0 or not 0 <= f.share <= 1:
        what = f"问题数 {f.count} 或责任比例 {f.share} 无效"
        raise EvaluationError(f"单位 {f.unit} 类别 {f.category_code}: {what}", f.unit)
    return f.share.normalize()


def facts_of(unit: str, rows: Iterable[Row]) -> list[ProblemFact]:
    """A unit's rows as fact rows."""
    return [
        ProblemFact(unit, month, category, CHANNELS[channel], repeat, overdue, no_feedback, n, share)
        for (month, category, channel, repeat, overdue, no_feedback, share), n in rows
    ]


def rows_of(facts: Iterable[ProblemFact]) -> list[Row]:
    """One unit's fact rows as rows, as they are (not merged: for rows already merged, then changed)."""
    return [
        (
            (
                f.sub_period,
                f.category_code,
                _CODES[f.channel],
                f.repeat_index,
                f.is_overdue,
                f.is_no_feedback,
                f.share,
            ),
            f.count,
        )
        for f in facts
    ]
