"""Unit grid generation: a community split into 万米单元网格 that follow its border.

How a community is split (measured in metres, in a ``LocalProjection``):

1. **Lattice.** Squares of side √(target area), aligned to the projection's axes (north up) and
   anchored at the projection's origin. North-up rows are what the numbering reads (west → east,
   north → south), and a shared anchor makes the grids of neighbouring communities line up along one
   lattice when they are generated with the same projection. (A lattice turned to each community's
   minimum rotated rectangle fits a slanted community a little better but breaks both.)
2. **Cut.** Each square, projected to WGS84, is intersected with the WGS84 community; every polygon
   of the result is a piece (a square cut in two by a concave border gives two pieces). Cutting in
   the stored coordinates makes a grid's edge along the border exactly the border's own edge; cut in
   metres, it would be the edge's straight-in-metres image, millimetres off on a long edge.
3. **Slivers.** Pieces under ``SLIVER_SHARE`` (30 %) of the target area are merged, smallest first,
   into the neighbour sharing the longest border. A sliver with no such neighbour — an island of a
   multipart community — joins the nearest piece (that grid becomes a MultiPolygon); an island big
   enough to be a grid stays one.
4. **Codes.** Grids are numbered in reading order (``grid_codes.reading_order``) of their home square
   (the square of their largest piece) and composed into 15-digit codes (``GridCode.compose``).

A community needing more than ``MAX_GRIDS`` (999, the 3-digit sequence) grids at the target area is
split with a larger area instead; the plan says which area it used.

The grids tile the community: pieces are exact overlay results along shared square edges, so they
neither overlap nor leave gaps beyond floating-point noise (tests check both on odd shapes). Areas,
border lengths and the reading order are measured in metres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeAlias, TypeVar

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from kaoping.domain.grid_codes import GridCode, reading_order
from kaoping.geo.projection import LocalProjection

DEFAULT_AREA_M2 = 10_000.0
"""万米单元网格: the national standard's unit grid is about ten thousand square metres."""

SLIVER_SHARE = 0.3
"""Pieces smaller than this share of the target area are merged into a neighbour."""

MAX_GRIDS = 999
"""The grid code's sequence has three digits."""

ENLARGE_STEP = 1.1
"""How much larger the target area gets each time a community needs more than ``MAX_GRIDS`` grids."""

BORDER_EPSILON_M = 1e-6
"""Two pieces share a border where one's boundary comes this close to the other (overlay noise)."""

Polygonal: TypeAlias = Polygon | MultiPolygon
G = TypeVar("G")


@dataclass(frozen=True, slots=True)
class GeneratedGrid:
    """A generated unit grid: its 15-digit code, its polygon in WGS84 and its area in m²."""

    code: str
    geometry: Polygonal
    area_m2: float


@dataclass(frozen=True, slots=True)
class GridPlan:
    """The grids of one community; ``area_m2`` is the target actually used (see ``MAX_GRIDS``)."""

    community_code: str
    area_m2: float
    grids: list[GeneratedGrid]


def plan_grids(
    community_code: str,
    boundary: Polygonal,
    target_area_m2: float = DEFAULT_AREA_M2,
    projection: LocalProjection | None = None,
) -> GridPlan:
    """Split a community's WGS84 boundary into coded unit grids of about ``target_area_m2``."""
    GridCode.compose(community_code, 1)  # refuse a malformed community code before any geometry work
    if projection is None:
        centre = shapely.centroid(boundary)
        projection = LocalProjection(centre.x, centre.y)
    area = float(target_area_m2)
    pieces = _split(boundary, area, projection)
    while len(pieces) > MAX_GRIDS:
        area = max(area * ENLARGE_STEP, sum(p.area for p in pieces) / MAX_GRIDS)
        pieces = _split(boundary, area, projection)
    grids = [
        GeneratedGrid(str(GridCode.compose(community_code, seq)), piece.geometry, piece.area)
        for seq, piece in enumerate(pieces, start=1)
    ]
    return GridPlan(community_code, area, grids)


def split_community(boundary: BaseGeometry, target_area_m2: float = DEFAULT_AREA_M2) -> list[Polygonal]:
    """Metric grids tiling a metric community boundary, in numbering (reading) order."""
    return [piece.geometry for piece in _split(boundary, target_area_m2, None)]


@dataclass
class _Piece:
    geometry: Polygonal  # as stored: WGS84 for a plan, metres for ``split_community``
    metric: Polygonal  # the same in metres, for measuring
    area: float  # m²
    home_y: float  # centre of the lattice row of its largest part: the row it is numbered in
    home_area: float


def _split(boundary: BaseGeometry, target_area_m2: float, projection: LocalProjection | None) -> list[_Piece]:
    """Grids tiling ``boundary`` in reading order; in WGS84 when a projection is given (the lattice
    is then projected to WGS84 before the cut), else in metres."""
    if not (math.isfinite(target_area_m2) and target_area_m2 > 0):
        raise ValueError(f"target area must be a positive number of m², got {target_area_m2}")
    side = math.sqrt(target_area_m2)
    community = _polygonal(boundary)
    if community.is_empty:
        return []
    pieces = _cut(community, side, projection)
    merged = _merge_slivers(pieces, SLIVER_SHARE * target_area_m2, projection)
    order = reading_order([(float(shapely.centroid(p.metric).x), p.home_y) for p in merged], side)
    return [merged[i] for i in order]


def _cut(community: Polygonal, side: float, projection: LocalProjection | None) -> list[_Piece]:
    """The community cut along the lattice: one piece per polygon of each square's intersection."""
    metric = _to_metric(community, projection)
    xmin, ymin, xmax, ymax = metric.bounds
    cols = np.arange(math.floor(xmin / side), math.ceil(xmax / side))
    rows = np.arange(math.floor(ymin / side), math.ceil(ymax / side))
    col, row = (a.ravel() for a in np.meshgrid(cols, rows))
    # Corners come from the same products k * side (and the same projection of them), so
    # neighbouring squares share their edges exactly.
    squares = shapely.box(col * side, row * side, (col + 1) * side, (row + 1) * side)
    hits = shapely.STRtree(squares).query(metric, predicate="intersects")
    stored = squares[hits] if projection is None else projection.geometry_to_wgs84(squares[hits])
    parts, owner = shapely.get_parts(shapely.intersection(stored, community), return_index=True)
    parts_m = _to_metric(parts, projection)
    keep = (shapely.get_type_id(parts) == shapely.GeometryType.POLYGON) & (shapely.area(parts_m) > 0)
    centre_y = (row[hits][owner[keep]] + 0.5) * side
    return [
        _Piece(part, part_m, float(shapely.area(part_m)), float(y), float(shapely.area(part_m)))
        for part, part_m, y in zip(parts[keep], parts_m[keep], centre_y, strict=True)
    ]


def _merge_slivers(pieces: list[_Piece], min_area: float, projection: LocalProjection | None) -> list[_Piece]:
    """Merge pieces under ``min_area``, smallest first, until none is left (or only one piece is)."""
    alive = list(pieces)
    while len(alive) > 1:
        slivers = [p for p in alive if p.area < min_area]
        if not slivers:
            break
        sliver = min(slivers, key=lambda p: (p.area, p.home_y, p.metric.bounds))
        others = [p for p in alive if p is not sliver]
        target = _best_neighbour(sliver, others)
        alive = [p for p in others if p is not target]
        alive.append(_joined(target, sliver, projection))
    return alive


def _best_neighbour(sliver: _Piece, others: list[_Piece]) -> _Piece:
    """The piece sharing the longest border with ``sliver``, or the nearest one when none shares a
    border (an island too small to be a grid of its own)."""
    geoms = np.array([p.metric for p in others], dtype=object)
    near = np.flatnonzero(shapely.dwithin(geoms, sliver.metric, BORDER_EPSILON_M))
    if near.size:
        edge = shapely.boundary(sliver.metric)
        shared = shapely.length(shapely.intersection(edge, shapely.buffer(geoms[near], BORDER_EPSILON_M)))
        if shared.max() > BORDER_EPSILON_M:
            return others[int(near[np.argmax(shared)])]
    return others[int(np.argmin(shapely.distance(geoms, sliver.metric)))]


def _joined(target: _Piece, sliver: _Piece, projection: LocalProjection | None) -> _Piece:
    """``target`` with ``sliver`` added; it keeps the home row of the larger of their homes."""
    home = target if target.home_area >= sliver.home_area else sliver
    geometry = _polygonal(shapely.union(target.geometry, sliver.geometry))
    metric = _to_metric(geometry, projection)
    return _Piece(geometry, metric, float(shapely.area(metric)), home.home_y, home.home_area)


def _to_metric(geometry: G, projection: LocalProjection | None) -> G:
    return geometry if projection is None else projection.geometry_to_metric(geometry)


def _polygonal(geometry: BaseGeometry) -> Polygonal:
    """The polygons of ``geometry`` (made valid first), as one Polygon or MultiPolygon."""
    if not shapely.is_valid(geometry):
        geometry = shapely.make_valid(geometry)
    parts = shapely.get_parts(geometry)
    types = shapely.get_type_id(parts)
    # make_valid may return a GeometryCollection holding MultiPolygons: open them too.
    nested = shapely.get_parts(parts[types == shapely.GeometryType.MULTIPOLYGON])
    polygons: NDArray[np.object_] = np.concatenate([parts[types == shapely.GeometryType.POLYGON], nested])
    polygons = polygons[~shapely.is_empty(polygons)]
    if polygons.size == 1:
        return polygons[0]
    return MultiPolygon(list(polygons)) if polygons.size else Polygon()
