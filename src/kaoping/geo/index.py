"""The in-memory locator: which grid (and so community, town, district) and which road a point is on.

Everything is done in a local metric projection: grid polygons and road lines are projected once when
the index is built, incoming points in bulk on every call, and two shapely STRtrees answer the queries.

Border rule. A point belongs to a grid whose closed polygon covers it, boundary included. Boundaries
are taken as ``BORDER_TOLERANCE_M`` (1 cm) thick: a point exactly on a shared edge, given in WGS84,
lands a few tenths of a millimetre off that edge once projected (edges are straight in degrees, not in
metres), so without the tolerance it would fall into whichever neighbour the rounding favours. When
several grids cover a point — a shared edge or corner, or an overlap in imported data — the grid with
the **smallest grid code** wins (then the smallest id, for duplicate codes). The answer depends on
neither the order the grids were given in nor the order of the points.

Roads. The nearest road within ``road_snap_m`` metres (inclusive) is attached; when several are equally
near (a point on a junction where two sections meet) the lowest road id wins.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely import LineString, MultiLineString, MultiPolygon, Polygon, STRtree

from kaoping.domain.errors import InvalidCoordinateError, OutsideGridError
from kaoping.domain.ids import GridId, RoadId, UnitId
from kaoping.domain.problems import Location
from kaoping.geo.projection import LocalProjection

BORDER_TOLERANCE_M = 0.01
"""How thick a grid boundary is, in metres: points this close to a grid count as on it."""

CHUNK_POINTS = 65_536
"""Points per chunk: bounds the pair arrays in memory and lets chunks run on several cores (shapely
releases the GIL inside tree queries and distance computations)."""

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
ChunkResult = tuple[IntArray, IntArray, FloatArray]  # grid index, road index, road distance
NONE = -1


@dataclass(frozen=True, slots=True)
class GridRecord:
    """A unit grid as the index needs it; ``geometry`` in WGS84."""

    id: int
    code: str
    community_id: int
    town_id: int
    district_id: int
    geometry: Polygon | MultiPolygon


@dataclass(frozen=True, slots=True)
class RoadRecord:
    """A road section as the index needs it; ``geometry`` in WGS84."""

    id: int
    geometry: LineString | MultiLineString


@dataclass(frozen=True, eq=False)  # eq would compare numpy arrays element-wise and fail
class LocatedBatch:
    """Where each of a batch of points lies; ``-1`` (ids) and ``nan`` (distance) mean none."""

    grid_id: IntArray
    community_id: IntArray
    town_id: IntArray
    district_id: IntArray
    road_id: IntArray
    road_distance_m: FloatArray

    def __len__(self) -> int:
        return int(self.grid_id.size)

    @property
    def unassigned(self) -> NDArray[np.intp]:
        """Indexes of the input points that lie in no grid."""
        return np.flatnonzero(self.grid_id < 0)

    def location(self, i: int) -> Location | None:
        """The ``i``-th point's location, or None when it lies in no grid."""
        if self.grid_id[i] < 0:
            return None
        has_road = self.road_id[i] >= 0
        return Location(
            grid_id=GridId(int(self.grid_id[i])),
            community_id=UnitId(int(self.community_id[i])),
            town_id=UnitId(int(self.town_id[i])),
            district_id=UnitId(int(self.district_id[i])),
            road_id=RoadId(int(self.road_id[i])) if has_road else None,
            road_distance_m=float(self.road_distance_m[i]) if has_road else None,
        )


class GeoIndex:
    """Locates WGS84 points in unit grids and snaps them to the nearest road section."""

    def __init__(
        self,
        grids: Sequence[GridRecord],
        roads: Sequence[RoadRecord],
        road_snap_m: float = 50.0,
        projection: LocalProjection | None = None,
    ) -> None:
        if not (math.isfinite(road_snap_m) and road_snap_m >= 0):
            raise ValueError(f"road_snap_m must be a finite distance >= 0, got {road_snap_m}")
        self.road_snap_m = float(road_snap_m)
        self.projection = projection if projection is not None else _centred_projection(grids)
        self._grid_units = np.array(
            [(g.id, g.community_id, g.town_id, g.district_id) for g in grids], dtype=np.int64
        ).reshape(-1, 4)
        self._grid_rank = _ranks([(g.code, g.id) for g in grids])
        self._grid_tree = STRtree(self._project([g.geometry for g in grids]))
        self._road_ids = np.array([r.id for r in roads], dtype=np.int64)
        self._road_geoms = self._project([r.geometry for r in roads])
        self._road_tree = STRtree(self._road_geoms)

    @property
    def grid_count(self) -> int:
        return int(self._grid_units.shape[0])

    @property
    def road_count(self) -> int:
        return int(self._road_ids.size)

    def locate(self, lon: float, lat: float) -> Location:
        """Locate one point; raises OutsideGridError when it lies in no grid."""
        lon_f, lat_f = _as_number(lon, lat, lon), _as_number(lon, lat, lat)
        location = self.locate_many(np.array([lon_f]), np.array([lat_f])).location(0)
        if location is None:
            raise OutsideGridError(lon_f, lat_f)
        return location

    def locate_many(self, lon: ArrayLike, lat: ArrayLike) -> LocatedBatch:
        """Locate a batch of points (vectorised); points in no grid get -1, see ``unassigned``."""
        lon_a, lat_a = _checked_coordinates(lon, lat)
        x, y = self.projection.to_metric(lon_a, lat_a)
        grid_idx = np.full(lon_a.size, NONE, dtype=np.int64)
        road_idx = np.full(lon_a.size, NONE, dtype=np.int64)
        road_dist = np.full(lon_a.size, np.nan, dtype=np.float64)
        usable = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        chunks = [usable[i : i + CHUNK_POINTS] for i in range(0, usable.size, CHUNK_POINTS)]
        for rows, (grids, roads, dists) in zip(chunks, _map(self._locate_chunk(x, y), chunks), strict=True):
            grid_idx[rows], road_idx[rows], road_dist[rows] = grids, roads, dists
        return self._batch(grid_idx, road_idx, road_dist)

    def _locate_chunk(self, x: FloatArray, y: FloatArray) -> Callable[[IntArray], ChunkResult]:
        def locate(rows: IntArray) -> ChunkResult:
            points = shapely.points(x[rows], y[rows])
            return (self._assign_grids(points), *self._snap_roads(points))

        return locate

    def _assign_grids(self, points: NDArray[np.object_]) -> IntArray:
        """Index of each point's grid (smallest code among those covering it), or -1."""
        pairs = self._grid_tree.query(points, predicate="dwithin", distance=BORDER_TOLERANCE_M)
        point_i, grid_i = pairs[0], pairs[1]
        order = np.lexsort((self._grid_rank[grid_i], point_i))
        point_i, grid_i = point_i[order], grid_i[order]
        first = _firsts(point_i)
        grids = np.full(points.size, NONE, dtype=np.int64)
        grids[point_i[first]] = grid_i[first]
        return grids

    def _snap_roads(self, points: NDArray[np.object_]) -> tuple[IntArray, FloatArray]:
        """Index of and distance to each point's nearest road within ``road_snap_m``, lowest id on ties."""
        pairs = self._road_tree.query(points, predicate="dwithin", distance=self.road_snap_m)
        dist = shapely.distance(points[pairs[0]], self._road_geoms[pairs[1]])
        near = dist <= self.road_snap_m
        point_i, road_i, dist = pairs[0][near], pairs[1][near], dist[near]
        order = np.lexsort((self._road_ids[road_i], dist, point_i))
        point_i, road_i, dist = point_i[order], road_i[order], dist[order]
        first = _firsts(point_i)
        roads = np.full(points.size, NONE, dtype=np.int64)
        distance = np.full(points.size, np.nan, dtype=np.float64)
        roads[point_i[first]], distance[point_i[first]] = road_i[first], dist[first]
        return roads, distance

    def _batch(self, grid_idx: IntArray, road_idx: IntArray, road_dist: FloatArray) -> LocatedBatch:
        units = np.full((grid_idx.size, 4), NONE, dtype=np.int64)
        units[grid_idx >= 0] = self._grid_units[grid_idx[grid_idx >= 0]]
        road_id = np.full(road_idx.size, NONE, dtype=np.int64)
        road_id[road_idx >= 0] = self._road_ids[road_idx[road_idx >= 0]]
        return LocatedBatch(
            grid_id=units[:, 0].copy(),
            community_id=units[:, 1].copy(),
            town_id=units[:, 2].copy(),
            district_id=units[:, 3].copy(),
            road_id=road_id,
            road_distance_m=road_dist,
        )

    def _project(self, geometries: Sequence[shapely.Geometry]) -> NDArray[np.object_]:
        array = np.empty(len(geometries), dtype=object)
        array[:] = list(geometries)
        return self.projection.geometry_to_metric(array)


def _firsts(point_i: IntArray) -> NDArray[np.bool_]:
    """In pairs sorted by point then preference, marks the first (preferred) pair of each point."""
    first = np.ones(point_i.size, dtype=bool)
    first[1:] = point_i[1:] != point_i[:-1]
    return first


def _ranks(keys: Sequence[tuple[str, int]]) -> IntArray:
    """Rank of each key in sorted order, so comparing ranks compares codes."""
    ranks = np.empty(len(keys), dtype=np.int64)
    ranks[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
    return ranks


def _centred_projection(grids: Sequence[GridRecord]) -> LocalProjection:
    if not grids:
        raise ValueError("GeoIndex needs at least one grid, or an explicit projection")
    xmin, ymin, xmax, ymax = shapely.total_bounds([g.geometry for g in grids])
    return LocalProjection((xmin + xmax) / 2, (ymin + ymax) / 2)


def _map(fn: Callable[[IntArray], ChunkResult], chunks: list[IntArray]) -> list[ChunkResult]:
    """Run chunks on every core: shapely drops the GIL, so threads really run in parallel."""
    workers = min(len(chunks), os.cpu_count() or 1)
    if workers <= 1:
        return [fn(chunk) for chunk in chunks]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, chunks))


def _checked_coordinates(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """1-D float arrays of equal length, every value a finite coordinate in range."""
    try:
        lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    except (TypeError, ValueError):
        raise InvalidCoordinateError(lon, lat, "经纬度必须是数字") from None
    if lon_a.ndim != 1 or lon_a.shape != lat_a.shape:
        raise ValueError(f"lon and lat must be 1-D arrays of one length, got {lon_a.shape} and {lat_a.shape}")
    bad = ~(np.isfinite(lon_a) & np.isfinite(lat_a) & (np.abs(lon_a) <= 180.0) & (np.abs(lat_a) <= 90.0))
    if bad.any():
        i = int(np.argmax(bad))
        where = f" (第 {i + 1} 个点)" if lon_a.size > 1 else ""
        raise InvalidCoordinateError(
            float(lon_a[i]), float(lat_a[i]), "经纬度必须是有限数值且在有效范围内" + where
        )
    return lon_a, lat_a


def _as_number(lon: object, lat: object, value: object) -> float:
    if isinstance(value, bool):
        raise InvalidCoordinateError(lon, lat, "经纬度必须是数字")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidCoordinateError(lon, lat, "经纬度必须是数字") from None
    if not math.isfinite(number):
        raise InvalidCoordinateError(lon, lat, "经纬度必须是有限数值")
    return number
