"""The in-memory locator: which grid (and so community, town, district) and which road a point is on.

Everything is done in a local metric projection: grid polygons and road lines are projected once when
the index is built, incoming points in bulk on every call.

Border rule. A point belongs to a grid whose closed polygon covers it, boundary included. Boundaries
are taken as ``BORDER_TOLERANCE_M`` (1 cm) thick: a point exactly on a shared edge, given in WGS84,
lands a few tenths of a millimetre off that edge once projected (edges are straight in degrees, not in
metres), so without the tolerance it would fall into whichever neighbour the rounding favours. When
several grids cover a point — a shared edge or corner, or an overlap in imported data — the grid with
the **smallest grid code** wins (then the smallest id, for duplicate codes). The answer depends on
neither the order the grids were given in nor the order of the points.

History. Every grid and road may carry the days it was in force (``valid_from`` inclusive,
``valid_to`` exclusive, None for open). A point is located against the versions in force on its day
(``at``); without a day, against the versions still in force (``valid_to`` None). The (point, grid)
and (point, road) pairs are filtered by validity before the border and nearest-road rules run, so an
old version never competes with the one that replaced it.

Roads. The nearest road within ``road_snap_m`` metres (inclusive) is attached to each point that lies
in a grid; when several are equally near (a point on a junction where two sections meet) the lowest
road id wins. Points in no grid get no road: they are refused anyway.

How it stays fast. Locating is plain numpy on flat arrays built once with the index, so it runs on
every core (numpy releases the GIL; shapely's tree queries do not, and a million nearest-road tree
queries take ~15 s):

- grids: a bucket raster (cells about one grid wide, ``raster.Buckets``) lists the grids whose
  bounding box reaches each cell; a point's candidates are its cell's grids whose box holds it, and
  each candidate is tested against the grid's edges — covered when a ray to the east crosses them an
  odd number of times or an edge is within the border tolerance;
- roads: each grid keeps the road *segments* that come within the snap distance of it (one tree query
  per grid, at build time); a point measures its distance to its grid's segments only.

Edges and road segments are ``segments.Segments``, the per-cell and per-grid lists are compressed rows
(``candidates.Candidates``), and validity periods are day numbers (``versions.Versions``).

Point-to-segment distances use the formula GEOS uses (``Distance::pointToSegment``), so they agree
with ``shapely.distance``. Bulk and single points share one code path (``locate`` is ``locate_many``
of one point), so they cannot disagree.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely import LineString, MultiLineString, MultiPolygon, Polygon

from kaoping.domain.errors import InvalidCoordinateError, OutsideGridError
from kaoping.domain.ids import GridId, RoadId, UnitId
from kaoping.domain.problems import Location
from kaoping.geo.candidates import NONE, Candidates, IntArray
from kaoping.geo.projection import LocalProjection
from kaoping.geo.raster import Buckets
from kaoping.geo.segments import Segments
from kaoping.geo.versions import AtLike, DateLike, Versions, at_days

BORDER_TOLERANCE_M = 0.01
"""How thick a grid boundary is, in metres: points this close to a grid count as on it."""

CHUNK_POINTS = 32_768
"""Points per chunk: bounds the pair arrays in memory (~15 candidate road segments a point at
megacity density) and lets the road stage run on several cores (numpy releases the GIL)."""

CORES = os.cpu_count() or 1  # looked up once: the call costs more than locating one point

FloatArray = NDArray[np.float64]
ChunkResult = tuple[IntArray, IntArray, FloatArray]  # grid index, road index, road distance
LAST_RANK = np.iinfo(np.int64).max  # behind every real rank


@dataclass(frozen=True, slots=True)
class GridRecord:
    """A unit grid (one version of it) as the index needs it; ``geometry`` in WGS84."""

    id: int
    code: str
    community_id: int
    town_id: int
    district_id: int
    geometry: Polygon | MultiPolygon
    valid_from: date | None = None  # None: since always
    valid_to: date | None = None  # None: still in force


@dataclass(frozen=True, slots=True)
class RoadRecord:
    """A road section (one version of it) as the index needs it; ``geometry`` in WGS84."""

    id: int
    geometry: LineString | MultiLineString
    valid_from: date | None = None
    valid_to: date | None = None


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
        self._grid_by_rank = np.argsort(self._grid_rank)
        self._grid_versions = Versions.of(grids)
        grid_geoms = self._project([g.geometry for g in grids])
        self._edges = Segments.of_rings(grid_geoms)
        self._grid_edges = Candidates.grouping(self._edges.owner, len(grids))
        self._grid_boxes = shapely.bounds(grid_geoms) + BORDER_TOLERANCE_M * np.array([-1, -1, 1, 1])
        self._buckets = Buckets.of(self._grid_boxes, min_size=BORDER_TOLERANCE_M)
        self._road_ids = np.array([r.id for r in roads], dtype=np.int64)
        self._road_rank = _ranks([("", r.id) for r in roads])
        self._road_by_rank = np.argsort(self._road_rank)
        self._road_versions = Versions.of(roads)
        self._segments = Segments.of(self._project([r.geometry for r in roads]))
        self._candidates = self._segments.near(grid_geoms, self.road_snap_m + 2 * BORDER_TOLERANCE_M)

    @property
    def grid_count(self) -> int:
        return int(self._grid_units.shape[0])

    @property
    def road_count(self) -> int:
        return int(self._road_ids.size)

    def locate(self, lon: float, lat: float, at: DateLike | None = None) -> Location:
        """Locate one point against what was in force on day ``at`` (None: now); raises
        OutsideGridError when it lies in no grid."""
        lon_f, lat_f = _as_number(lon, lat, lon), _as_number(lon, lat, lat)
        location = self.locate_many(np.array([lon_f]), np.array([lat_f]), at).location(0)
        if location is None:
            raise OutsideGridError(lon_f, lat_f)
        return location

    def locate_many(self, lon: ArrayLike, lat: ArrayLike, at: AtLike = None) -> LocatedBatch:
        """Locate a batch of points (vectorised) against what was in force on ``at`` — None (now),
        one day, or one day per point; points in no grid get -1, see ``unassigned``."""
        lon_a, lat_a = _checked_coordinates(lon, lat)
        days = at_days(at, lon_a.size)
        x, y = self.projection.to_metric(lon_a, lat_a)
        grid_idx = np.full(lon_a.size, NONE, dtype=np.int64)
        road_idx = np.full(lon_a.size, NONE, dtype=np.int64)
        road_dist = np.full(lon_a.size, np.nan, dtype=np.float64)
        usable = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        chunks = [usable[i : i + CHUNK_POINTS] for i in range(0, usable.size, CHUNK_POINTS)]
        for rows, result in zip(chunks, _map(self._locate_chunk(x, y, days), chunks), strict=True):
            grid_idx[rows], road_idx[rows], road_dist[rows] = result
        return self._batch(grid_idx, road_idx, road_dist)

    def _locate_chunk(
        self, x: FloatArray, y: FloatArray, days: IntArray | None
    ) -> Callable[[IntArray], ChunkResult]:
        def locate(rows: IntArray) -> ChunkResult:
            chunk_days = None if days is None else days[rows]
            grids = self.assign_grids(x[rows], y[rows], chunk_days)
            return (grids, *self.snap_roads(x[rows], y[rows], grids, chunk_days))

        return locate

    def assign_grids(self, x: FloatArray, y: FloatArray, days: IntArray | None = None) -> IntArray:
        """Index of each metric point's grid (smallest code among those covering it), or -1.

        One stage of ``locate_many``, public so benchmarks can time it alone."""
        point_i, grid_i = self._buckets.pairs(x, y)
        box = self._grid_boxes[grid_i]
        px, py = x[point_i], y[point_i]
        keep = (box[:, 0] <= px) & (px <= box[:, 2]) & (box[:, 1] <= py) & (py <= box[:, 3])
        in_force = self._grid_versions.in_force(grid_i, None if days is None else days[point_i])
        if in_force is not None:
            keep &= in_force
        point_i, grid_i = point_i[keep], grid_i[keep]
        covers = self._covers(x[point_i], y[point_i], grid_i)
        owners, best = _smallest(point_i[covers], self._grid_rank[grid_i[covers]])
        grids = np.full(x.size, NONE, dtype=np.int64)
        grids[owners] = self._grid_by_rank[best]
        return grids

    def _covers(self, px: FloatArray, py: FloatArray, grid_i: IntArray) -> NDArray[np.bool_]:
        """Whether each grid covers its point, boundary (``BORDER_TOLERANCE_M`` thick) included."""
        pair_i, edge_i = self._grid_edges.pairs(grid_i)
        if pair_i.size == 0:
            return np.zeros(grid_i.size, dtype=bool)
        ex, ey = px[pair_i], py[pair_i]
        starts = np.flatnonzero(_firsts(pair_i))  # every candidate grid has edges: no pair is skipped
        crossings = self._edges.crosses_east(ex, ey, edge_i).view(np.uint8)
        inside = np.bitwise_xor.reduceat(crossings, starts).astype(bool)
        near = np.minimum.reduceat(self._edges.distance(ex, ey, edge_i), starts) <= BORDER_TOLERANCE_M
        return inside | near

    def snap_roads(
        self, x: FloatArray, y: FloatArray, grids: IntArray, days: IntArray | None = None
    ) -> tuple[IntArray, FloatArray]:
        """Index of and distance to each metric point's nearest road within ``road_snap_m`` (lowest
        id on ties), among the candidates of its grid ``grids[i]``; -1 and nan for none.

        One stage of ``locate_many``, public so benchmarks can time it alone."""
        point_i, segment_i = self._candidates.pairs(grids)
        road_i = self._segments.owner[segment_i]
        dist = self._segments.distance(x[point_i], y[point_i], segment_i)
        keep = dist <= self.road_snap_m
        in_force = self._road_versions.in_force(road_i, None if days is None else days[point_i])
        if in_force is not None:
            keep &= in_force
        return self._nearest(x.size, point_i[keep], road_i[keep], dist[keep])

    def _nearest(
        self, n: int, point_i: IntArray, road_i: IntArray, dist: FloatArray
    ) -> tuple[IntArray, FloatArray]:
        """Per point, the nearest of its (point, road, distance) pairs, which come grouped by point."""
        roads = np.full(n, NONE, dtype=np.int64)
        distance = np.full(n, np.nan, dtype=np.float64)
        owners, nearest = _smallest(point_i, dist)
        distance[owners] = nearest
        lengths = np.diff(np.append(np.flatnonzero(_firsts(point_i)), point_i.size))
        rank = np.where(dist == np.repeat(nearest, lengths), self._road_rank[road_i], LAST_RANK)
        _owners, best = _smallest(point_i, rank)
        roads[owners] = self._road_by_rank[best]
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


def _smallest(point_i: IntArray, value: NDArray[Any]) -> tuple[IntArray, NDArray[Any]]:
    """For pairs grouped by point, each point that has pairs and the smallest of its values."""
    if point_i.size == 0:
        return point_i, value
    starts = np.flatnonzero(_firsts(point_i))
    return point_i[starts], np.minimum.reduceat(value, starts)


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
    """Run chunks on every core: numpy drops the GIL, so threads really run in parallel."""
    workers = min(len(chunks), CORES)
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
