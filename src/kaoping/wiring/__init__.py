"""Composition of adapters that entry points and the demo share (file → geometry → storage, the
locator built from the database). Nothing here holds a business rule; each module is one use case
that needs more than one adapter."""

from __future__ import annotations

import shapely
from sqlalchemy import Connection

from kaoping.db import reference
from kaoping.geo.index import GeoIndex, GridRecord, RoadRecord


def load_index(conn: Connection, road_snap_m: float) -> GeoIndex:
    """The locator over the grids and roads stored in the database."""
    grids = [
        GridRecord(r.id, r.code, r.community_id, r.town_id, r.district_id, shapely.from_wkb(r.geometry))
        for r in reference.list_grid_rows(conn)
    ]
    roads = [RoadRecord(i, shapely.from_wkb(g)) for i, g in reference.list_road_rows(conn)]
    return GeoIndex(grids, roads, road_snap_m=road_snap_m)
