"""The demo city, built on each engine: what it holds, and that a seed decides everything."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from kaoping.db.engine import make_engine
from kaoping.db.rankings import SqlRankingReader
from kaoping.db.tables import admin_unit, grid, problem, role_assignment, score
from kaoping.demo.build import build_demo
from kaoping.demo.sizes import SIZES
from kaoping.domain.grid_codes import GridCode
from kaoping.services.rankings import PeriodRanking, period_ranking
from tests.conftest import new_database_url

TZ = ZoneInfo("Asia/Shanghai")


def ranking_of(url: str, period: str = "2025Q4") -> PeriodRanking:
    engine = make_engine(url)
    try:
        return period_ranking(SqlRankingReader(engine), period)
    finally:
        engine.dispose()


def table_of(ranking: PeriodRanking) -> list[tuple[str, int, str, str, int | None]]:
    return [
        (g.group_code, r.rank, r.unit_code, str(r.total), r.rank_change)
        for g in ranking.groups
        for r in g.rows
    ]


def test_the_small_demo_holds_a_city_with_groups_grids_problems_and_scores(demo_url: str) -> None:
    engine = make_engine(demo_url)
    with engine.connect() as conn:
        levels = dict(
            conn.execute(select(admin_unit.c.level, func.count()).group_by(admin_unit.c.level)).all()
        )
        grid_codes = conn.execute(select(grid.c.code)).scalars().all()
        problems = conn.execute(select(func.count()).select_from(problem)).scalar_one()
        community = admin_unit.alias()
        misplaced = conn.execute(
            select(func.count())
            .select_from(problem.join(grid, grid.c.id == problem.c.grid_id))
            .join(community, community.c.id == grid.c.community_id)
            .where(
                (problem.c.community_id != grid.c.community_id) | (problem.c.town_id != community.c.parent_id)
            )
        ).scalar_one()
        repeats = conn.execute(select(func.count()).where(problem.c.is_repeat)).scalar_one()
        roles = conn.execute(select(func.count()).select_from(role_assignment)).scalar_one()
        scores = conn.execute(select(func.count()).select_from(score)).scalar_one()
    engine.dispose()
    assert levels == {"city": 1, "district": 4, "town": 12, "community": 60}
    assert len(grid_codes) == 600
    assert all(GridCode.parse(code) for code in grid_codes)
    assert 19_000 < problems <= 20_000
    assert misplaced == 0  # grid, community and town stored at intake agree
    assert 0 < repeats < problems * 0.2
    assert roles > 600
    assert scores > 0


def test_the_latest_quarter_ranks_every_district_within_its_group(demo_url: str) -> None:
    ranking = ranking_of(demo_url)
    assert ranking.period_label == "2025年第4季度"
    assert [g.group_name for g in ranking.groups] == ["第一组", "第二组"]
    for group in ranking.groups:
        assert sorted(r.rank for r in group.rows) == list(range(1, len(group.rows) + 1))
        assert all(r.rank_change is not None for r in group.rows)  # Q3 was scored before Q4
        assert [r.total for r in group.rows] == sorted((r.total for r in group.rows), reverse=True)


def test_the_same_seed_gives_the_same_ranking_on_every_engine(demo_url: str, tmp_path: Path) -> None:
    again = new_database_url("sqlite", tmp_path)
    build_demo(make_engine(again), SIZES["small"], 2021, TZ)
    for period in ("2025Q4", "2025-07", "2025"):
        assert table_of(ranking_of(again, period)) == table_of(ranking_of(demo_url, period))


def test_another_seed_gives_another_city_and_ranking(demo_url: str, tmp_path: Path) -> None:
    other = new_database_url("sqlite", tmp_path)
    build_demo(make_engine(other), SIZES["small"], 7, TZ)
    assert table_of(ranking_of(other)) != table_of(ranking_of(demo_url))
