"""Placing a sheet's good rows: a WGS84 point for each (converted from the coordinates typed, or
from the address on the road it names, marked approximate), then its grid on the day it was found.
Rows that cannot be placed, or fall in no grid, are refused.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from numpy.typing import NDArray

from kaoping.domain.problems import CoordinateSystem
from kaoping.geo.crs import to_wgs84
from kaoping.geo.index import LocatedBatch
from kaoping.wiring.problem_batch import FloatArray, ImportContext, IntArray, ProblemBatch


def place_rows(batch: ProblemBatch, context: ImportContext, tz: ZoneInfo) -> LocatedBatch:
    """WGS84 points for every good row (converted, or from its address), then located on the day
    each was found; rows in no grid are refused."""
    n = batch.found.size
    batch.lon, batch.lat = np.full(n, np.nan), np.full(n, np.nan)
    batch.approximate = np.zeros(n, dtype=bool)
    good = batch.good
    crs = np.array(batch.crs, dtype=object)
    with_xy = good[np.isfinite(batch.x[good])]
    for system in set(crs[with_xy].tolist()):
        rows = with_xy[crs[with_xy] == system]
        batch.lon[rows], batch.lat[rows] = to_wgs84(batch.x[rows], batch.y[rows], system)
    for i in good[~np.isfinite(batch.x[good])].tolist():
        _place_address(batch, context, i)
    rows = batch.good
    located = context.index.locate_many(
        batch.lon[rows], batch.lat[rows], at=_local_days(batch.found[rows], tz)
    )
    outside = rows[located.grid_id < 0]
    batch.refuse(outside, lambda i: _outside_message(batch, i))
    return _spread(located, rows, n)


def _place_address(batch: ProblemBatch, context: ImportContext, i: int) -> None:
    address = batch.address[i] or ""
    point = context.roads.locate(address)
    if point is None:
        batch.refuse([i], f"地址 {address!r} 中未找到现行道路名称, 无法定位 (请填写经纬度或核对道路名称)")
        return
    batch.lon[i], batch.lat[i] = point
    batch.approximate[i] = True
    batch.crs[i] = CoordinateSystem.WGS84.value
    batch.x[i], batch.y[i] = point


def _outside_message(batch: ProblemBatch, i: int) -> str:
    if batch.approximate[i]:
        return f"按地址 {batch.address[i]!r} 推算的位置不在任何单元网格内"
    return f"坐标 (经度={batch.x[i]:.6f}, 纬度={batch.y[i]:.6f}, {batch.crs[i]}) 不在任何单元网格内"


def _local_days(found: FloatArray, tz: ZoneInfo) -> NDArray[np.datetime64]:
    """The local calendar day of each time: boundaries in force that day locate it."""
    utc = pl.Series(np.round(found * 1e6).astype(np.int64)).cast(pl.Datetime("us", "UTC"))
    return utc.dt.convert_time_zone(tz.key).dt.date().to_numpy()


def _spread(located: LocatedBatch, rows: IntArray, n: int) -> LocatedBatch:
    """A located batch over all ``n`` rows (-1 / NaN for rows not located)."""

    def full(values: NDArray[np.int64]) -> NDArray[np.int64]:
        out = np.full(n, -1, dtype=np.int64)
        out[rows] = values
        return out

    distance = np.full(n, np.nan)
    distance[rows] = located.road_distance_m
    return LocatedBatch(
        full(located.grid_id),
        full(located.community_id),
        full(located.town_id),
        full(located.district_id),
        full(located.road_id),
        distance,
    )
