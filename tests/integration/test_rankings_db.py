"""Rankings read from a real database: SQLite and PostgreSQL through the shared fixtures in
tests/conftest.py (schema built by the migrations, each test in a transaction rolled back)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, Engine, insert, select

from kaoping.db.rankings import SqlRankingReader
from kaoping.db.tables import admin_unit, eval_group, evaluation_item, period, score
from kaoping.domain.errors import InvalidPeriodError, NotFoundError
from kaoping.domain.periods import Period
from kaoping.services.rankings import PeriodRanking, RankingRow, latest_ranking, period_ranking

TZ = ZoneInfo("Asia/Shanghai")

GROUPS = {"group1": "第一组", "group2": "第二组"}
DISTRICTS = {  # code → (name, group)
    "370102": ("历下区", "group1"),
    "370103": ("市中区", "group1"),
    "370104": ("槐荫区", "group1"),
    "370105": ("天桥区", "group1"),
    "370112": ("历城区", "group2"),
    "370113": ("长清区", "group2"),
}
TOWNS = {"370102001": ("解放路街道", "370102")}  # scored too, but never in the district ranking
ITEMS = {"env": "市容环境", "order": "秩序管理", "facility": "设施维护"}

# 2025Q4 item points. Group 1: 市中 and 槐荫 tie on the total (94), 历下 and 市中 tie on 市容环境.
Q4_POINTS = {
    "370102": {"env": "38", "order": "27", "facility": "30"},  # 95
    "370103": {"env": "38", "order": "29", "facility": "27"},  # 94
    "370104": {"env": "36", "order": "29", "facility": "29"},  # 94
    "370105": {"env": "35", "order": "28", "facility": "30"},  # 93
    "370112": {"env": "48.5", "order": "45"},  # 93.50
    "370113": {"env": "47", "order": "47.25"},  # 94.25
    "370102001": {"env": "10"},
}
Q4_RANKS = {  # unit → (rank, rank_change), as the scoring service stores them
    "370102": (1, 2),
    "370103": (2, -1),
    "370104": (2, 0),
    "370105": (4, 0),
    "370112": (2, -1),
    "370113": (1, None),  # new in the evaluation: no previous rank
    "370102001": (1, None),
}
Q3_POINTS = {
    "370102": {"env": "30"},
    "370103": {"env": "35"},
    "370104": {"env": "34"},
    "370105": {"env": "20"},
    "370112": {"env": "40"},
}
Q3_RANKS = {
    "370102": (3, None),
    "370103": (1, None),
    "370104": (2, None),
    "370105": (4, None),
    "370112": (1, None),
}


# --- factories -------------------------------------------------------------------------------


def insert_city(conn: Connection) -> None:
    """Groups, districts (and one town), items: the organisation the scores refer to."""
    conn.execute(insert(eval_group), [{"code": c, "name": n} for c, n in GROUPS.items()])
    group_ids = dict(conn.execute(select(eval_group.c.code, eval_group.c.id)).all())
    conn.execute(
        insert(admin_unit),
        [
            {"code": code, "name": name, "level": "district", "kind": "district", "group_id": group_ids[g]}
            for code, (name, g) in DISTRICTS.items()
        ],
    )
    unit_ids = dict(conn.execute(select(admin_unit.c.code, admin_unit.c.id)).all())
    conn.execute(
        insert(admin_unit),
        [
            {"code": code, "name": name, "level": "town", "kind": "street", "parent_id": unit_ids[parent]}
            for code, (name, parent) in TOWNS.items()
        ],
    )
    conn.execute(insert(evaluation_item), [{"code": c, "name": n} for c, n in ITEMS.items()])


def insert_scores(
    conn: Connection,
    period_code: str,
    points: Mapping[str, Mapping[str, str]],
    ranks: Mapping[str, tuple[int, int | None]],
) -> None:
    """One period's score rows: a row per unit × item, and the unit's total with its rank."""
    start, end = Period.parse(period_code).bounds(TZ)
    period_id = conn.execute(
        insert(period)
        .values(code=period_code, kind=Period.parse(period_code).kind.value, starts_at=start, ends_at=end)
        .returning(period.c.id)
    ).scalar_one()
    units = {
        code: (uid, gid)
        for code, uid, gid in conn.execute(select(admin_unit.c.code, admin_unit.c.id, admin_unit.c.group_id))
    }
    items = dict(conn.execute(select(evaluation_item.c.code, evaluation_item.c.id)).all())
    group1 = conn.execute(select(eval_group.c.id).where(eval_group.c.code == "group1")).scalar_one()
    rows = []
    for unit_code, lines in points.items():
        unit_id, group_id = units[unit_code]
        common = {"period_id": period_id, "unit_id": unit_id, "group_id": group_id or group1}
        for item_code, value in lines.items():
            rows.append({**common, **_score_values(Decimal(value)), "item_id": items[item_code]})
        total = sum((Decimal(v) for v in lines.values()), Decimal(0))
        rank, change = ranks[unit_code]
        rows.append({**common, **_score_values(total), "item_id": None, "rank": rank, "rank_change": change})
    conn.execute(insert(score), rows)


def _score_values(points: Decimal) -> dict[str, object]:
    return {
        "max_points": points,
        "deduction": Decimal(0),
        "raw_deduction": Decimal(0),
        "points": points,
        "problems": 0,
        "deducted_problems": 0,
        "repeats": 0,
        "rank": None,
        "rank_change": None,
    }


def insert_two_quarters(conn: Connection) -> None:
    insert_city(conn)
    insert_scores(conn, "2025Q3", Q3_POINTS, Q3_RANKS)
    insert_scores(conn, "2025Q4", Q4_POINTS, Q4_RANKS)


def _rows(ranking: PeriodRanking, group_code: str) -> list[RankingRow]:
    return next(g.rows for g in ranking.groups if g.group_code == group_code)


# --- tests -----------------------------------------------------------------------------------


def test_an_empty_database_has_no_latest_ranking(conn: Connection) -> None:
    reader = SqlRankingReader(conn)
    assert reader.list_scored_periods() == []
    assert latest_ranking(reader) is None


def test_scored_periods_are_listed_oldest_first_and_only_when_districts_were_scored(conn: Connection) -> None:
    insert_two_quarters(conn)
    insert_scores(conn, "2026-01", {"370102001": {"env": "9"}}, {"370102001": (1, None)})
    assert SqlRankingReader(conn).list_scored_periods() == ["2025Q3", "2025Q4"]


def test_the_reader_returns_totals_and_items_with_chinese_names_and_exact_points(conn: Connection) -> None:
    insert_two_quarters(conn)
    records = SqlRankingReader(conn).read_scores("2025Q4")
    assert len(records) == 4 * 4 + 2 * 3  # districts × (items + total); the town is left out
    total = next(r for r in records if r.unit_code == "370112" and r.item_code is None)
    assert (total.group_name, total.unit_name, total.points) == ("第二组", "历城区", Decimal("93.50"))
    assert isinstance(total.points, Decimal)
    item = next(r for r in records if r.unit_code == "370113" and r.item_code == "order")
    assert (item.item_name, item.points, item.rank) == ("秩序管理", Decimal("47.25"), None)


def test_the_latest_ranking_is_the_last_scored_quarter_with_its_chinese_label(conn: Connection) -> None:
    insert_two_quarters(conn)
    ranking = latest_ranking(SqlRankingReader(conn))
    assert ranking is not None
    assert (ranking.period_code, ranking.period_label) == ("2025Q4", "2025年第4季度")
    assert [(g.group_code, g.group_name) for g in ranking.groups] == [
        ("group1", "第一组"),
        ("group2", "第二组"),
    ]


def test_equal_totals_share_a_rank_and_rows_keep_the_stored_rank_change(conn: Connection) -> None:
    insert_two_quarters(conn)
    rows = _rows(period_ranking(SqlRankingReader(conn), "2025Q4"), "group1")
    assert [(r.rank, r.unit_name, r.total, r.rank_change) for r in rows] == [
        (1, "历下区", Decimal("95.00"), 2),
        (2, "市中区", Decimal("94.00"), -1),
        (2, "槐荫区", Decimal("94.00"), 0),
        (4, "天桥区", Decimal("93.00"), 0),
    ]


def test_a_unit_new_to_the_evaluation_has_no_rank_change(conn: Connection) -> None:
    insert_two_quarters(conn)
    rows = _rows(period_ranking(SqlRankingReader(conn), "2025Q4"), "group2")
    assert [(r.unit_name, r.total, r.rank_change) for r in rows] == [
        ("长清区", Decimal("94.25"), None),
        ("历城区", Decimal("93.50"), -1),
    ]


def test_items_in_the_group_top_three_and_bottom_three_are_counted_with_ties_sharing_a_place(
    conn: Connection,
) -> None:
    insert_two_quarters(conn)
    rows = _rows(period_ranking(SqlRankingReader(conn), "2025Q4"), "group1")
    # env: 历下 38 = 市中 38 > 槐荫 36 > 天桥 35; order: 市中 29 = 槐荫 29 > 天桥 28 > 历下 27;
    # facility: 历下 30 = 天桥 30 > 槐荫 29 > 市中 27. Tied for best is never a bottom-three place.
    assert {r.unit_name: (r.items_top3, r.items_bottom3) for r in rows} == {
        "历下区": (2, 1),
        "市中区": (2, 1),
        "槐荫区": (3, 2),
        "天桥区": (2, 2),
    }


def test_an_earlier_period_can_be_asked_for_by_code_in_any_case(conn: Connection) -> None:
    insert_two_quarters(conn)
    ranking = period_ranking(SqlRankingReader(conn), "2025q3")
    assert (ranking.period_code, ranking.period_label) == ("2025Q3", "2025年第3季度")
    assert [r.unit_name for r in _rows(ranking, "group1")] == ["市中区", "槐荫区", "历下区", "天桥区"]


def test_a_period_without_scores_is_not_found_and_a_malformed_code_is_invalid(conn: Connection) -> None:
    insert_two_quarters(conn)
    reader = SqlRankingReader(conn)
    with pytest.raises(NotFoundError, match="2030Q1"):
        period_ranking(reader, "2030Q1")
    with pytest.raises(InvalidPeriodError):
        period_ranking(reader, "last-quarter")


def test_the_reader_can_open_its_own_connections_from_an_engine(clean_engine: Engine) -> None:
    with clean_engine.begin() as conn:
        insert_two_quarters(conn)
    ranking = latest_ranking(SqlRankingReader(clean_engine))
    assert ranking is not None
    assert ranking.period_code == "2025Q4"
