"""Rankings by evaluation group, as the dashboard, the API and the review pack show them.

Reads stored scores (it never scores): the total row of each unit carries its published rank and
rank change; the item rows are ranked here to count how many of a unit's items place in the
group's top three and bottom three ("x项位列前三, y项在后三名").
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from kaoping.domain.errors import NotFoundError
from kaoping.domain.periods import Period, PeriodKind

PLACES = 3  # "前三" / "后三名"


@dataclass(frozen=True, slots=True)
class ScoreRecord:
    """One stored score line of a period; ``item_code`` None is the unit's total."""

    group_code: str
    group_name: str
    unit_code: str
    unit_name: str
    item_code: str | None
    item_name: str | None
    points: Decimal
    rank: int | None = None
    rank_change: int | None = None


@dataclass(frozen=True, slots=True)
class RankingRow:
    rank: int
    unit_code: str
    unit_name: str
    total: Decimal
    rank_change: int | None  # places gained since the previous period; None: not ranked then
    items_top3: int
    items_bottom3: int


@dataclass(frozen=True, slots=True)
class GroupRanking:
    group_code: str
    group_name: str
    rows: list[RankingRow]


@dataclass(frozen=True, slots=True)
class PeriodRanking:
    period_code: str
    period_label: str
    groups: list[GroupRanking]


class RankingReader(Protocol):
    def list_scored_periods(self) -> list[str]:
        """Codes of the periods that have scores, oldest first (by the end of the period)."""
        ...

    def read_scores(self, period_code: str) -> list[ScoreRecord]:
        """Every score line of the period (totals and items); empty if it was never scored."""
        ...


def latest_ranking(reader: RankingReader, kind: PeriodKind = PeriodKind.QUARTER) -> PeriodRanking | None:
    """The ranking of the most recent scored period of ``kind`` (the evaluation's cadence; the most
    recent of any kind if none of that kind was scored), or None before anything was scored."""
    periods = reader.list_scored_periods()
    if not periods:
        return None
    of_kind = [code for code in periods if Period.parse(code).kind is kind]
    return period_ranking(reader, (of_kind or periods)[-1])


def period_ranking(reader: RankingReader, period_code: str) -> PeriodRanking:
    """The ranking of one period; raises NotFoundError when it has no scores."""
    period = Period.parse(period_code)  # raises InvalidPeriodError; also normalises 2025q4
    records = reader.read_scores(period.code)
    if not records:
        raise NotFoundError("考评结果", period.code)
    return PeriodRanking(period.code, period.label, rank_groups(records))


def rank_groups(records: Iterable[ScoreRecord]) -> list[GroupRanking]:
    """Group the score lines of one period into ranked tables, groups in code order."""
    by_group: dict[str, list[ScoreRecord]] = defaultdict(list)
    for record in records:
        by_group[record.group_code].append(record)
    return [_rank_group(by_group[code]) for code in sorted(by_group)]


def _rank_group(records: Sequence[ScoreRecord]) -> GroupRanking:
    totals = [r for r in records if r.item_code is None]
    tops, bottoms = _item_places(r for r in records if r.item_code is not None)
    fallback = _competition_ranks([t.points for t in totals])  # only for rows stored without a rank
    rows = [
        RankingRow(
            rank=t.rank if t.rank is not None else fallback[i],
            unit_code=t.unit_code,
            unit_name=t.unit_name,
            total=t.points,
            rank_change=t.rank_change,
            items_top3=tops.get(t.unit_code, 0),
            items_bottom3=bottoms.get(t.unit_code, 0),
        )
        for i, t in enumerate(totals)
    ]
    rows.sort(key=lambda row: (row.rank, row.unit_code))
    return GroupRanking(records[0].group_code, records[0].group_name, rows)


def _item_places(items: Iterable[ScoreRecord]) -> tuple[dict[str, int], dict[str, int]]:
    """Per unit: how many items place in the group's top three, and how many in the bottom three.

    Ties share a place: a unit is in the top three when fewer than three units scored strictly
    more on the item, and in the bottom three when fewer than three scored strictly less — unless
    nobody scored more (an item every unit kept in full is nobody's weak item).
    """
    by_item: dict[str, list[ScoreRecord]] = defaultdict(list)
    for record in items:
        by_item[record.item_code or ""].append(record)
    tops: dict[str, int] = defaultdict(int)
    bottoms: dict[str, int] = defaultdict(int)
    for lines in by_item.values():
        ordered = sorted(line.points for line in lines)
        for line in lines:
            better = len(ordered) - bisect_right(ordered, line.points)
            worse = bisect_left(ordered, line.points)
            tops[line.unit_code] += better < PLACES
            bottoms[line.unit_code] += worse < PLACES and better > 0
    return dict(tops), dict(bottoms)


def _competition_ranks(values: Sequence[Decimal]) -> list[int]:
    """1, 2, 2, 4: each value's rank is one more than the number of strictly greater values."""
    ordered = sorted(values)
    return [1 + len(ordered) - bisect_right(ordered, value) for value in values]
