"""Composition of adapters that entry points and the demo share (file → geometry → storage, the
locator built from the database). Nothing here holds a business rule; each module is one use case
that needs more than one adapter."""

from __future__ import annotations

import shapely
from sqlalchemy import Connection

from kaoping.db import reference
from kaoping.geo.index import GeoIndex, GridRecord, RoadRecord


def load_index(conn: Connection, road_snap_m: float, *, include_history: bool = False) -> GeoIndex:
    """The locator over the grids and roads stored in the database: those in force, or with
    ``include_history`` every version, for locating points against the day they were seen."""
    grid_rows = reference.list_grid_rows(conn, include_history=include_history)
    road_rows = reference.list_road_rows(conn, include_history=include_history)
    grid_geoms = shapely.from_wkb([r.geometry for r in grid_rows])
    road_geoms = shapely.from_wkb([r.geometry for r in road_rows])
    grids = [
        GridRecord(r.id, r.code, r.community_id, r.town_id, r.district_id, g, r.valid_from, r.valid_to)
        for r, g in zip(grid_rows, grid_geoms, strict=True)
    ]
    roads = [
        RoadRecord(r.id, g, r.valid_from, r.valid_to) for r, g in zip(road_rows, road_geoms, strict=True)
    ]
    return GeoIndex(grids, roads, road_snap_m=road_snap_m)
