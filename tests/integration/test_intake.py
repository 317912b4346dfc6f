"""Reporting one problem: a good report is located and stored; a bad one is refused with a message
that says what is wrong, and nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import shapely
from sqlalchemy import Engine, delete, func, select

from kaoping.db.engine import make_engine
from kaoping.db.tables import admin_unit, grid, problem
from kaoping.db.uow import SqlUnitOfWork
from kaoping.domain.errors import InvalidCoordinateError, OutsideGridError, UnknownCategoryError
from kaoping.geo.crs import coordinate_to_wgs84, from_wgs84
from kaoping.geo.index import GeoIndex
from kaoping.io.seeds import load_categories, load_scheme
from kaoping.services.intake import IntakeError, ProblemReport, report_problem
from kaoping.wiring import load_index

TZ = ZoneInfo("Asia/Shanghai")
FOUND_AT = datetime(2026, 3, 5, 9, 30, tzinfo=TZ)


@pytest.fixture(scope="module")
def demo(demo_url: str) -> Iterator[tuple[Engine, GeoIndex]]:
    engine = make_engine(demo_url)
    with engine.connect() as conn:
        index = load_index(conn, road_snap_m=50.0)
    yield engine, index
    with engine.begin() as conn:  # leave the shared demo database as it was
        conn.execute(delete(problem).where(problem.c.found_at >= datetime(2026, 1, 1, tzinfo=TZ)))
    engine.dispose()


def a_grid_centre(engine: Engine) -> tuple[int, str, float, float]:
    with engine.connect() as conn:
        grid_id, community_id, wkb = conn.execute(
            select(grid.c.id, grid.c.community_id, grid.c.geometry).order_by(grid.c.code).limit(1)
        ).one()
        community = conn.execute(
            select(admin_unit.c.name).where(admin_unit.c.id == community_id)
        ).scalar_one()
    centre = shapely.from_wkb(wkb).centroid
    return grid_id, community, centre.x, centre.y


def file_report(engine: Engine, index: GeoIndex, **changes: object) -> int:
    values: dict[str, object] = {
        "channel": "grid_worker",
        "category": "占道经营",
        "lon": 0.0,
        "lat": 0.0,
        "found_at": FOUND_AT,
    }
    values.update(changes)
    report = ProblemReport(**values)  # type: ignore[arg-type]
    rules = load_scheme().rules
    return report_problem(SqlUnitOfWork(engine), index, coordinate_to_wgs84, load_categories(), rules, report)


def count_problems(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(problem)).scalar_one())


def test_a_report_is_located_on_its_grid_and_stored(demo: tuple[Engine, GeoIndex]) -> None:
    engine, index = demo
    grid_id, _community, lon, lat = a_grid_centre(engine)
    problem_id = file_report(engine, index, lon=str(lon), lat=str(lat), description=" 早市摊点占道 ")
    with engine.connect() as conn:
        row = conn.execute(select(problem).where(problem.c.id == problem_id)).one()
    assert row.grid_id == grid_id
    assert row.channel == "grid_worker"
    assert row.description == "早市摊点占道"
    assert row.found_at == FOUND_AT
    assert (row.orig_x, row.orig_y, row.orig_crs) == (lon, lat, "wgs84")


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"lon": "117.1", "lat": "80.0"}, OutsideGridError, "不在任何单元网格内"),
        ({"category": "外星人入侵"}, UnknownCategoryError, "未知的问题类别: '外星人入侵'"),
        ({"lon": "117,02", "lat": "36.66"}, InvalidCoordinateError, "经度 '117,02' 不是数字"),
        ({"lon": "36.66", "lat": "117.02"}, InvalidCoordinateError, "经纬度是否填反"),
        ({"channel": "pigeon"}, IntakeError, "未知的问题来源 'pigeon'"),
        ({"category": "E05"}, IntakeError, "是大类"),
        ({"crs": "mars"}, InvalidCoordinateError, "未知坐标系 'mars'"),
    ],
)
def test_a_bad_report_is_refused_with_what_is_wrong_and_nothing_is_stored(
    demo: tuple[Engine, GeoIndex], changes: dict[str, object], error: type[Exception], message: str
) -> None:
    engine, index = demo
    _grid_id, _community, lon, lat = a_grid_centre(engine)
    before = count_problems(engine)
    with pytest.raises(error, match=message):
        file_report(engine, index, **{"lon": lon, "lat": lat, **changes})
    assert count_problems(engine) == before


def test_a_report_in_gcj02_lands_on_the_same_grid_and_keeps_its_original_coordinates(
    demo: tuple[Engine, GeoIndex],
) -> None:
    engine, index = demo
    grid_id, _community, lon, lat = a_grid_centre(engine)
    gcj_lon, gcj_lat = (float(v[0]) for v in from_wgs84([lon], [lat], "gcj02"))
    assert abs(gcj_lon - lon) > 1e-4  # GCJ-02 is offset by hundreds of metres in China
    problem_id = file_report(engine, index, lon=gcj_lon, lat=gcj_lat, crs="gcj02")
    with engine.connect() as conn:
        row = conn.execute(select(problem).where(problem.c.id == problem_id)).one()
    assert row.grid_id == grid_id
    assert (row.orig_x, row.orig_y, row.orig_crs) == (gcj_lon, gcj_lat, "gcj02")
    assert abs(row.lon - lon) < 1e-7
    assert abs(row.lat - lat) < 1e-7


def test_a_report_is_located_against_the_grids_in_force_on_the_day_it_was_found(
    demo: tuple[Engine, GeoIndex],
) -> None:
    engine, _index = demo
    old_id, _community, lon, lat = a_grid_centre(engine)
    with engine.begin() as conn:  # the grid gets a new version from 2026-01-01
        row = conn.execute(select(grid).where(grid.c.id == old_id)).one()
        conn.execute(grid.update().where(grid.c.id == old_id).values(valid_to=date(2026, 1, 1)))
        values = {k: v for k, v in row._mapping.items() if k not in ("id", "valid_from", "valid_to")}
        new_id = conn.execute(
            grid.insert().values(**values, valid_from=date(2026, 1, 1)).returning(grid.c.id)
        ).scalar_one()
    try:
        with engine.connect() as conn:
            history = load_index(conn, road_snap_m=50.0, include_history=True)
        late_2025 = datetime(2025, 12, 15, 10, tzinfo=TZ)
        ids = [file_report(engine, history, lon=lon, lat=lat, found_at=at) for at in (late_2025, FOUND_AT)]
        with engine.connect() as conn:
            grids = dict(
                conn.execute(select(problem.c.id, problem.c.grid_id).where(problem.c.id.in_(ids))).all()
            )
        assert [grids[i] for i in ids] == [old_id, new_id]
    finally:
        with engine.begin() as conn:
            conn.execute(delete(problem).where(problem.c.grid_id == new_id))
            conn.execute(delete(problem).where(problem.c.found_at == datetime(2025, 12, 15, 10, tzinfo=TZ)))
            conn.execute(delete(grid).where(grid.c.id == new_id))
            conn.execute(grid.update().where(grid.c.id == old_id).values(valid_to=None))
