"""The rankings service over a fake reader: ordering, ties, top/bottom-three counts, errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from kaoping.domain.errors import InvalidPeriodError, NotFoundError
from kaoping.services.rankings import ScoreRecord, latest_ranking, period_ranking, rank_groups


@dataclass
class FakeReader:
    scores: dict[str, list[ScoreRecord]] = field(default_factory=dict)

    def list_scored_periods(self) -> list[str]:
        return list(self.scores)

    def read_scores(self, period_code: str) -> list[ScoreRecord]:
        return self.scores.get(period_code, [])


def make_record(
    unit: str,
    points: str,
    item: str | None = None,
    group: str = "group1",
    rank: int | None = None,
    rank_change: int | None = None,
) -> ScoreRecord:
    group_name = {"group1": "第一组", "group2": "第二组"}[group]
    return ScoreRecord(
        group, group_name, unit, f"{unit}区", item, item and f"{item}项", Decimal(points), rank, rank_change
    )


def make_item_points(item: str, points: dict[str, str]) -> list[ScoreRecord]:
    return [make_record(unit, value, item) for unit, value in points.items()]


def test_there_is_no_latest_ranking_before_anything_was_scored() -> None:
    assert latest_ranking(FakeReader()) is None


def test_the_latest_ranking_is_the_last_period_the_reader_lists() -> None:
    reader = FakeReader(
        {"2025Q3": [make_record("a", "90", rank=1)], "2025Q4": [make_record("a", "91", rank=1)]}
    )
    ranking = latest_ranking(reader)
    assert ranking is not None
    assert (ranking.period_code, ranking.period_label) == ("2025Q4", "2025年第4季度")


def test_the_latest_ranking_is_the_latest_quarter_even_when_a_month_and_the_year_end_later() -> None:
    scores = [make_record("a", "90", rank=1)]
    reader = FakeReader({"2025Q3": scores, "2025Q4": scores, "2025-12": scores, "2025": scores})
    ranking = latest_ranking(reader)
    assert ranking is not None
    assert ranking.period_code == "2025Q4"
    monthly = latest_ranking(FakeReader({"2025-11": scores, "2025-12": scores}))
    assert monthly is not None
    assert monthly.period_code == "2025-12"  # no quarter scored: the most recent of any kind


def test_a_month_is_labelled_in_chinese() -> None:
    ranking = period_ranking(FakeReader({"2026-03": [make_record("a", "90", rank=1)]}), "2026-3")
    assert (ranking.period_code, ranking.period_label) == ("2026-03", "2026年3月")


def test_a_period_without_scores_is_not_found() -> None:
    with pytest.raises(NotFoundError) as err:
        period_ranking(FakeReader(), "2025Q4")
    assert err.value.message == "未找到考评结果: 2025Q4"


def test_a_malformed_period_code_is_refused_before_reading() -> None:
    with pytest.raises(InvalidPeriodError):
        period_ranking(FakeReader(), "Q4")


def test_groups_come_in_code_order_and_rows_in_rank_then_unit_order() -> None:
    records = [
        make_record("c", "90", group="group2", rank=1),
        make_record("b", "95", rank=1, rank_change=3),
        make_record("z", "90", rank=2),
        make_record("a", "90", rank=2),
    ]
    groups = rank_groups(records)
    assert [g.group_code for g in groups] == ["group1", "group2"]
    assert [(r.unit_code, r.rank, r.rank_change) for r in groups[0].rows] == [
        ("b", 1, 3),
        ("a", 2, None),
        ("z", 2, None),
    ]


def test_totals_stored_without_a_rank_are_ranked_with_ties_sharing_a_place() -> None:
    rows = rank_groups([make_record("a", "90"), make_record("b", "95"), make_record("c", "95")])[0].rows
    assert [(r.unit_code, r.rank) for r in rows] == [("b", 1), ("c", 1), ("a", 3)]


def test_units_tied_on_an_item_share_a_top_three_or_bottom_three_place() -> None:
    # Seven units: a > b = c = d > e > f = g. Top three: a, b, c, d (fewer than three above each).
    # Bottom three: e, f, g (fewer than three below each); b, c, d have three below them.
    points = {"a": "30", "b": "28", "c": "28", "d": "28", "e": "25", "f": "20", "g": "20"}
    records = make_item_points("env", points) + [make_record(u, p, rank=1) for u, p in points.items()]
    rows = rank_groups(records)[0].rows
    counts = {r.unit_code: (r.items_top3, r.items_bottom3) for r in rows}
    assert counts == {
        "a": (1, 0),
        "b": (1, 0),
        "c": (1, 0),
        "d": (1, 0),
        "e": (0, 1),
        "f": (0, 1),
        "g": (0, 1),
    }


def test_an_item_every_unit_kept_in_full_is_in_nobodys_bottom_three() -> None:
    points = {"a": "30", "b": "30", "c": "30", "d": "30"}
    records = make_item_points("env", points) + [make_record(u, p, rank=1) for u, p in points.items()]
    rows = rank_groups(records)[0].rows
    assert {(r.items_top3, r.items_bottom3) for r in rows} == {(1, 0)}


def test_items_are_compared_within_the_group_only() -> None:
    records = [
        *make_item_points("env", {"a": "10", "b": "9", "c": "8", "d": "7"}),
        make_record("x", "1", "env", group="group2"),
        *[make_record(u, "50", rank=1) for u in "abcd"],
        make_record("x", "50", group="group2", rank=1),
    ]
    groups = rank_groups(records)
    assert [(r.unit_code, r.items_top3, r.items_bottom3) for r in groups[0].rows] == [
        ("a", 1, 0),
        ("b", 1, 1),
        ("c", 1, 1),
        ("d", 0, 1),
    ]
    assert [(r.items_top3, r.items_bottom3) for r in groups[1].rows] == [(1, 0)]
