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

- grids: a bucket raster (cells about one grid wide) lists the grids whose bounding box reaches each
  cell; a point's candidates are its cell's grids whose box holds it, and each candidate is tested
  against the grid's edges — covered when a ray to the east crosses them an odd number of times or
  an edge is within the border tolerance;
- roads: each grid keeps the road *segments* that come within the snap distance of it (one tree query
  per grid, at build time); a point measures its distance to its grid's segments only.

Point-to-segment distances use the formula GEOS uses (``Distance::pointToSegment``), so they agree
with ``shapely.distance``. Bulk and single points share one code path (``locate`` is ``locate_many``
of one point), so they cannot disagree.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

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

CHUNK_POINTS = 32_768
"""Points per chunk: bounds the pair arrays in memory (~15 candidate road segments a point at
megacity density) and lets the road stage run on several cores (numpy releases the GIL)."""

CORES = os.cpu_count() or 1  # looked up once: the call costs more than locating one point

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
ChunkResult = tuple[IntArray, IntArray, FloatArray]  # grid index, road index, road distance
NONE = -1

MAX_BUCKETS = 4_000_000
"""Cells of the grid lookup raster at most (32 MB of row starts); past that the cells grow."""

OPEN_START = np.iinfo(np.int64).min
OPEN_END = np.iinfo(np.int64).max
NOW = OPEN_END - 1
"""The day number that stands for "now": later than every real day, so only open versions
(``valid_to`` None) are in force on it."""

DateLike = date | np.datetime64
AtLike = DateLike | ArrayLike | None
"""When points were seen: None (now), one day for all, or one day per point (NaT: now)."""


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
        self._buckets = Buckets.of(self._grid_boxes)
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
        rank = np.where(dist == np.repeat(nearest, lengths), self._road_rank[road_i], OPEN_END)
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


@dataclass(frozen=True)
class Versions:
    """When each record of an index was in force, as day numbers (from inclusive, to exclusive)."""

    start: IntArray
    end: IntArray
    has_ended: bool  # some record is closed: "now" must filter too

    @classmethod
    def of(cls, records: Sequence[GridRecord] | Sequence[RoadRecord]) -> Versions:
        start = np.array([_day(r.valid_from, OPEN_START) for r in records], dtype=np.int64)
        end = np.array([_day(r.valid_to, OPEN_END) for r in records], dtype=np.int64)
        return cls(start, end, bool((end != OPEN_END).any()))

    def in_force(self, record_i: IntArray, days: IntArray | None) -> NDArray[np.bool_] | None:
        """Which pairs have their record in force on their point's day; None when all of them do."""
        if days is None:
            return (self.end[record_i] == OPEN_END) if self.has_ended else None
        return (self.start[record_i] <= days) & (days < self.end[record_i])


@dataclass(frozen=True)
class Segments:
    """Straight segments a → b in metres, each with the index of the line or polygon it belongs to,
    and what the distance and crossing tests need of them, computed once."""

    ax: FloatArray
    ay: FloatArray
    bx: FloatArray
    by: FloatArray
    owner: IntArray
    dx: FloatArray
    dy: FloatArray
    length2: FloatArray  # squared length
    length: FloatArray
    nonzero_length2: FloatArray  # length2, 1 for a zero-length segment: divisions never fail
    nonzero_dy: FloatArray  # dy, 1 for a horizontal segment (which no eastward ray crosses)

    @classmethod
    def between(cls, a: FloatArray, b: FloatArray, owner: IntArray) -> Segments:
        dx, dy = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
        length2 = dx * dx + dy * dy  # as GEOS computes it, so distances round the same way
        return cls(
            np.ascontiguousarray(a[:, 0]),
            np.ascontiguousarray(a[:, 1]),
            np.ascontiguousarray(b[:, 0]),
            np.ascontiguousarray(b[:, 1]),
            owner,
            dx,
            dy,
            length2,
            np.sqrt(length2),
            np.where(length2 == 0, 1.0, length2),
            np.where(dy == 0, 1.0, dy),
        )

    @classmethod
    def of(cls, lines: NDArray[np.object_]) -> Segments:
        """The segments of ``lines`` (LineStrings, MultiLineStrings, rings), owned by their line."""
        parts, part_line = shapely.get_parts(lines, return_index=True)
        coords, coord_part = shapely.get_coordinates(parts, return_index=True)
        same = np.flatnonzero(coord_part[1:] == coord_part[:-1])  # a segment joins i and i + 1
        return cls.between(coords[same], coords[same + 1], part_line[coord_part[same]].astype(np.int64))

    @classmethod
    def of_rings(cls, polygons: NDArray[np.object_]) -> Segments:
        """The segments of every ring (shells and holes) of ``polygons``, owned by their polygon."""
        parts, part_of = shapely.get_parts(polygons, return_index=True)
        rings, ring_of = shapely.get_rings(parts, return_index=True)
        segments = cls.of(rings)
        return replace(segments, owner=part_of[ring_of][segments.owner].astype(np.int64))

    def near(self, areas: NDArray[np.object_], distance: float) -> Candidates:
        """For each area, the segments within ``distance`` of it (one tree query, at build time)."""
        if self.owner.size == 0:
            return Candidates(np.zeros(areas.size + 1, dtype=np.int64), np.zeros(0, dtype=np.int64))
        lines = shapely.linestrings(np.stack([self.ax, self.ay, self.bx, self.by], axis=1).reshape(-1, 2, 2))
        pairs = STRtree(lines).query(areas, predicate="dwithin", distance=distance)
        order = np.lexsort((pairs[1], pairs[0]))
        return Candidates(_indptr(pairs[0], areas.size), pairs[1][order].astype(np.int64))

    def distance(self, px: FloatArray, py: FloatArray, segment_i: IntArray) -> FloatArray:
        """Distance from each point to its segment, computed as GEOS does (Distance::pointToSegment):
        to an end when the foot of the perpendicular falls outside, else along the perpendicular."""
        qx, qy = px - self.ax[segment_i], py - self.ay[segment_i]
        dx, dy, divisor = self.dx[segment_i], self.dy[segment_i], self.nonzero_length2[segment_i]
        r = (qx * dx + qy * dy) / divisor
        across = np.abs((qx * dy - qy * dx) / divisor) * self.length[segment_i]
        to_a = np.sqrt(qx * qx + qy * qy)
        to_b = np.sqrt((px - self.bx[segment_i]) ** 2 + (py - self.by[segment_i]) ** 2)
        return np.where((r <= 0) | (self.length2[segment_i] == 0), to_a, np.where(r >= 1, to_b, across))

    def crosses_east(self, px: FloatArray, py: FloatArray, segment_i: IntArray) -> NDArray[np.bool_]:
        """Whether a ray from each point towards +x crosses its segment (half-open in y, so a ray
        through a vertex counts once): an odd count over a polygon's rings means inside."""
        ax, ay = self.ax[segment_i], self.ay[segment_i]
        spans = (ay > py) != (self.by[segment_i] > py)
        at_x = ax + (py - ay) * self.dx[segment_i] / self.nonzero_dy[segment_i]
        crosses: NDArray[np.bool_] = spans & (px < at_x)
        return crosses


@dataclass(frozen=True)
class Candidates:
    """Compressed rows (CSR): the candidates of key ``k`` are ``item[indptr[k]:indptr[k + 1]]``."""

    indptr: IntArray
    item: IntArray

    @classmethod
    def grouping(cls, key: IntArray, keys: int) -> Candidates:
        """Items 0 … n-1 grouped by ``key`` (which must already be sorted)."""
        return cls(_indptr(key, keys), np.arange(key.size, dtype=np.int64))

    def pairs(self, keys: IntArray) -> tuple[IntArray, IntArray]:
        """(position, item) pairs for each position's key (-1: none), grouped by position in order."""
        rows = np.flatnonzero(keys >= 0)
        start = self.indptr[keys[rows]]
        count = self.indptr[keys[rows] + 1] - start
        position = np.repeat(rows, count)
        # Output k reads item[start[p] + (k - first output of p)].
        offset = np.repeat(start - (np.cumsum(count) - count), count)
        return position.astype(np.int64), self.item[offset + np.arange(position.size)]


@dataclass(frozen=True)
class Buckets:
    """A raster of square cells about one grid wide; each cell lists the grids whose (tolerance-widened)
    bounding box reaches into it."""

    x0: float
    y0: float
    size: float
    nx: int
    ny: int
    grids: Candidates

    @classmethod
    def of(cls, boxes: FloatArray) -> Buckets:
        """Cells as wide as the typical grid box (wider when that would make more than
        ``MAX_BUCKETS``): a point has a handful of candidates, and a grid is listed in a few cells."""
        ok = np.flatnonzero(np.isfinite(boxes).all(axis=1))  # an empty geometry has no box
        no_grids = Candidates(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64))
        if ok.size == 0:
            return cls(0.0, 0.0, 1.0, 0, 0, no_grids)
        box = boxes[ok]
        x0, y0 = float(box[:, 0].min()), float(box[:, 1].min())
        width, height = float(box[:, 2].max()) - x0, float(box[:, 3].max()) - y0
        typical = float(np.median(np.maximum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1])))
        size = max(typical, math.sqrt(width * height / MAX_BUCKETS), BORDER_TOLERANCE_M)
        layout = cls(
            x0, y0, size, int(np.floor(width / size)) + 1, int(np.floor(height / size)) + 1, no_grids
        )
        box_i, cell = layout._cover(box)
        order = np.argsort(cell, kind="stable")
        return replace(
            layout, grids=Candidates(_indptr(cell[order], layout.nx * layout.ny), ok[box_i[order]])
        )

    def _cover(self, box: FloatArray) -> tuple[IntArray, IntArray]:
        """(box, cell) for every cell each box reaches into."""
        col0, row0 = self._column(box[:, 0]), self._row(box[:, 1])
        col1, row1 = self._column(box[:, 2]), self._row(box[:, 3])
        width = col1 - col0 + 1
        count = width * (row1 - row0 + 1)
        box_i = np.repeat(np.arange(box.shape[0]), count)
        k = np.arange(box_i.size) - np.repeat(np.cumsum(count) - count, count)
        return box_i, (row0[box_i] + k // width[box_i]) * self.nx + col0[box_i] + k % width[box_i]

    # Boxes and points go through the same arithmetic, so a point on a box's edge falls in one of
    # the box's cells (float floor division could round differently from floor of the quotient).
    def _column(self, x: FloatArray) -> IntArray:
        return np.floor((x - self.x0) / self.size).astype(np.int64)

    def _row(self, y: FloatArray) -> IntArray:
        return np.floor((y - self.y0) / self.size).astype(np.int64)

    def pairs(self, x: FloatArray, y: FloatArray) -> tuple[IntArray, IntArray]:
        """(point, grid) pairs: the grids listed in each point's cell, grouped by point in order."""
        # In floats first: a point far outside the city would overflow an integer cell number.
        col, row = np.floor((x - self.x0) / self.size), np.floor((y - self.y0) / self.size)
        inside = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        return self.grids.pairs(np.where(inside, row * self.nx + col, NONE).astype(np.int64))


def at_days(at: AtLike, n: int) -> IntArray | None:
    """Day numbers (days since 1970-01-01) for ``n`` points; None when every point means "now".

    A datetime counts as the day its own clock shows (no timezone conversion): pass the local day
    when a problem was found. Bulk callers should pass ``datetime64[D]`` arrays (NaT: now)."""
    if at is None:
        return None
    if isinstance(at, date | np.datetime64):
        return np.full(n, _day(at, NOW), dtype=np.int64)
    values = np.asarray(at)
    if values.shape != (n,):
        raise ValueError(f"at must be one day or one day per point ({n}), got shape {values.shape}")
    if values.dtype == object:  # dates, datetimes, None: one by one, as numpy refuses aware datetimes
        return np.array([_day(v, NOW) for v in values.tolist()], dtype=np.int64)
    days = values.astype("datetime64[D]")
    return np.where(np.isnat(days), NOW, days.astype(np.int64))


def _day(value: Any, missing: int) -> int:
    """The day number of a date, datetime (its own calendar day) or datetime64; ``missing`` for none."""
    if isinstance(value, datetime):
        value = value.date()
    if value is None:
        return missing
    day = np.datetime64(value, "D")
    return missing if np.isnat(day) else int(day.astype(np.int64))


def _indptr(key: IntArray, keys: int) -> IntArray:
    """Row starts of a CSR whose items are sorted by ``key`` (values 0 … keys-1)."""
    return np.concatenate([[0], np.cumsum(np.bincount(key, minlength=keys))]).astype(np.int64)


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
