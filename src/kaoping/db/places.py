"""Names and codes of the places a point was located in, for people to read."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from kaoping.db.tables import admin_unit, grid, road
from kaoping.domain.problems import Location


@dataclass(frozen=True, slots=True)
class PlaceNames:
    grid_code: str
    community_code: str
    community_name: str
    town_code: str
    town_name: str
    district_code: str
    district_name: str
    road_code: str | None
    road_name: str | None
    road_distance_m: float | None


def describe(conn: Connection, location: Location) -> PlaceNames:
    """The codes and names behind a location's ids (three small lookups by primary key)."""
    grid_code = conn.execute(select(grid.c.code).where(grid.c.id == location.grid_id)).scalar_one()
    ids = (location.community_id, location.town_id, location.district_id)
    units = {
        i: (code, name)
        for i, code, name in conn.execute(
            select(admin_unit.c.id, admin_unit.c.code, admin_unit.c.name).where(admin_unit.c.id.in_(ids))
        )
    }
    road_code = road_name = None
    if location.road_id is not None:
        road_code, road_name = conn.execute(
            select(road.c.code, road.c.name).where(road.c.id == location.road_id)
        ).one()
    distance = None if location.road_distance_m is None else round(location.road_distance_m, 1)
    return PlaceNames(
        grid_code,
        *units[location.community_id],
        *units[location.town_id],
        *units[location.district_id],
        road_code,
        road_name,
        distance,
    )
