"""Helpers of the problem import tests: a clean-up that removes every imported problem with what it
opened, and points inside the demo city's grids."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import shapely
from sqlalchemy import Engine, delete, select

from kaoping.db.tables import case_file, finding, grid, problem, problem_photo
from kaoping.geo.crs import from_wgs84

TZ = ZoneInfo("Asia/Shanghai")


def remove_imported(engine: Engine) -> None:
    """Every imported problem (it has a source key) with its case or finding and its photo rows."""
    imported = select(problem.c.id).where(problem.c.source_key.is_not(None)).scalar_subquery()
    with engine.begin() as conn:
        for table in (problem_photo, case_file, finding):
            conn.execute(delete(table).where(table.c.problem_id.in_(imported)))
        conn.execute(delete(problem).where(problem.c.source_key.is_not(None)))


def grid_points(engine: Engine, count: int) -> list[tuple[int, float, float]]:
    """(grid id, GCJ-02 lon, lat) of a point well inside each of ``count`` grids."""
    with engine.connect() as conn:
        rows = conn.execute(select(grid.c.id, grid.c.geometry).order_by(grid.c.code).limit(count)).all()
    points = []
    for grid_id, wkb in rows:
        inner = shapely.from_wkb(wkb).representative_point()
        lon, lat = from_wgs84([inner.x], [inner.y], "gcj02")
        points.append((grid_id, float(lon[0]), float(lat[0])))
    return points
