"""Geometry checks on boundaries: invalid polygons, overlaps and gaps between siblings, children outside
their parent, grids crossing community borders — and the repair an import may make on its own.

Pure functions over lists of ``Shape`` (code, WGS84 geometry, parent code). All areas and distances
are measured in the caller's local metric projection, never in degrees; findings give areas in m² and
a WGS84 centroid so that people can find the spot on a map. Messages are in Chinese and name the
codes involved.

Tolerances. Real boundary sets never tile perfectly: independently traced layers leave slivers of a
few square metres along every shared border. An overlap, gap or crossing is reported only above
``tolerance_m2``; a child counts as inside its parent unless more than ``Tolerance.allowed(area)`` of
it — 1 % of the child or 50 m², whichever is larger — lies outside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import MultiPolygon, Polygon, STRtree
from shapely.geometry.base import BaseGeometry

from kaoping.geo.projection import LocalProjection

Geometries = NDArray[np.object_]
FloatArray = NDArray[np.float64]

MAX_REPAIR_CHANGE = 0.001
"""A repair is safe when it changes the area by less than this share (0.1 %): it only removed a spike,
a bow-tie the size of a rounding error or a duplicate ring, not a piece of the territory."""


class FindingKind(StrEnum):
    INVALID = "invalid"  # 几何无效
    OVERLAP = "overlap"  # 同级重叠
    GAP = "gap"  # 同级缝隙
    OUTSIDE_PARENT = "outside_parent"  # 超出上级
    GRID_CROSSES_COMMUNITY = "grid_crosses_community"  # 网格跨社区
    # People gaps come from the coverage service, not from geometry (see wiring.checks).
    GRID_WITHOUT_WORKER = "grid_without_worker"  # 网格无网格员
    ROAD_WITHOUT_CHIEF = "road_without_chief"  # 道路无路长
    COMMUNITY_WITHOUT_HEAD = "community_without_head"  # 社区无主任


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong, naming the codes involved; ``area_m2`` and the centroid where it has a place."""

    kind: FindingKind
    level: str
    codes: tuple[str, ...]
    message: str
    area_m2: float | None = None
    lon: float | None = None
    lat: float | None = None


@dataclass(frozen=True, slots=True)
class Shape:
    """A boundary (or line) to check: its code, WGS84 geometry and the code of its parent."""

    code: str
    geometry: BaseGeometry
    parent_code: str | None = None


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How much of a child may lie outside its parent: ``share`` of its area or ``area_m2``, the larger."""

    share: float = 0.01
    area_m2: float = 50.0

    def allowed(self, area_m2: FloatArray) -> FloatArray:
        return np.maximum(area_m2 * self.share, self.area_m2)


@dataclass(frozen=True, slots=True)
class Repair:
    """The outcome of checking one polygon: ``geometry`` to keep (None: refused), why, area change."""

    geometry: Polygon | MultiPolygon | None
    reason: str | None  # shapely's reason when the input was invalid, else None
    change: float = 0.0  # |repaired − original| / original area

    @property
    def repaired(self) -> bool:
        return self.reason is not None and self.geometry is not None


# --- import-time helpers --------------------------------------------------------------------------


def polygonal(geometry: BaseGeometry) -> Polygon | MultiPolygon | None:
    """The polygons of a geometry (a collection from make_valid keeps only its polygon parts)."""
    if isinstance(geometry, Polygon | MultiPolygon):
        return geometry
    parts = [p for p in shapely.get_parts(geometry) if isinstance(p, Polygon | MultiPolygon)]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if isinstance(merged, Polygon | MultiPolygon) else None


def repair_polygon(geometry: Polygon | MultiPolygon, projection: LocalProjection) -> Repair:
    """Keep a valid polygon; repair an invalid one with ``make_valid`` only when its area barely moves."""
    reason = shapely.is_valid_reason(geometry)
    if reason == "Valid Geometry":
        return Repair(geometry, None)
    fixed = polygonal(shapely.make_valid(geometry))
    before = shapely.area(projection.geometry_to_metric(geometry))
    after = shapely.area(projection.geometry_to_metric(fixed)) if fixed is not None else 0.0
    change = abs(after - before) / before if before > 0 else float("inf")
    if fixed is None or change >= MAX_REPAIR_CHANGE:
        return Repair(None, reason, change)
    return Repair(fixed, reason, change)


def as_array(geometries: Sequence[BaseGeometry | None]) -> Geometries:
    """A 1-D object array of geometries (numpy would otherwise try to unpack multi-part ones)."""
    array = np.empty(len(geometries), dtype=object)
    array[:] = list(geometries)
    return array


def outside_areas(children_m: Geometries, parents_m: Geometries) -> FloatArray:
    """Area (m²) of each child outside its parent, pair by pair; both arrays in metres."""
    areas = np.zeros(children_m.size, dtype=np.float64)
    maybe = ~shapely.covered_by(children_m, parents_m)  # the cheap test first: most children are inside
    if maybe.any():
        areas[maybe] = shapely.area(shapely.difference(children_m[maybe], parents_m[maybe]))
    return areas


def distances_from(geometries_m: Geometries, reference_m: BaseGeometry) -> FloatArray:
    """Distance (m) of each geometry from ``reference_m``; 0 for those touching it."""
    shapely.prepare(reference_m)
    distances = np.zeros(geometries_m.size, dtype=np.float64)
    away = ~shapely.intersects(reference_m, geometries_m)
    if away.any():
        distances[away] = shapely.distance(geometries_m[away], reference_m)
    return distances


def share_outside(geometries_m: Geometries, reference_m: BaseGeometry) -> float:
    """The share of the geometries' total area (or length, for lines) that lies outside ``reference_m``."""
    total = float(np.sum(_measure(geometries_m)))
    return float(np.sum(measure_outside(geometries_m, reference_m))) / total if total > 0 else 0.0


def measure_outside(geometries_m: Geometries, reference_m: BaseGeometry) -> FloatArray:
    """Area (polygons) or length (lines) of each geometry outside ``reference_m``, in m² or m."""
    shapely.prepare(reference_m)
    lost = np.zeros(geometries_m.size, dtype=np.float64)
    outside = ~shapely.covers(reference_m, geometries_m)  # the prepared geometry must come first
    if outside.any():
        lost[outside] = _measure(shapely.difference(geometries_m[outside], reference_m))
    return lost


def _measure(geometries_m: Geometries) -> FloatArray:
    is_line = shapely.get_dimensions(geometries_m) == 1
    return np.asarray(np.where(is_line, shapely.length(geometries_m), shapely.area(geometries_m)), np.float64)


# --- checks ---------------------------------------------------------------------------------------


def find_invalid(shapes: Sequence[Shape], level: str, projection: LocalProjection) -> list[Finding]:
    """Invalid geometries, with shapely's reason and whether ``make_valid`` could repair them safely."""
    findings = []
    for shape in shapes:
        reason = shapely.is_valid_reason(shape.geometry)
        if reason == "Valid Geometry":
            continue
        repairable = isinstance(shape.geometry, Polygon | MultiPolygon) and (
            repair_polygon(shape.geometry, projection).geometry is not None
        )
        advice = "可安全修复 (重新导入即自动修复)" if repairable else "无法安全自动修复, 请在源数据中修正"
        lon, lat = _wgs84_point(shape.geometry)
        message = f"{shape.code} 几何无效: {reason}; {advice}"
        findings.append(Finding(FindingKind.INVALID, level, (shape.code,), message, None, lon, lat))
    return findings


@dataclass(frozen=True, eq=False)
class Boundaries:
    """One layer's shapes and their geometries in metres (made valid, so that overlay operations
    cannot fail on a bad ring), projected once and shared by every check."""

    shapes: Sequence[Shape]
    metric: Geometries

    @classmethod
    def project(cls, shapes: Sequence[Shape], projection: LocalProjection) -> Boundaries:
        geoms = projection.geometry_to_metric(as_array([s.geometry for s in shapes]))
        invalid = ~shapely.is_valid(geoms)
        if invalid.any():
            geoms[invalid] = shapely.make_valid(geoms[invalid])
        return cls(shapes, geoms)

    def __len__(self) -> int:
        return len(self.shapes)

    def code(self, i: int) -> str:
        return self.shapes[i].code


def find_overlaps(
    layer: Boundaries, level: str, projection: LocalProjection, tolerance_m2: float
) -> list[Finding]:
    """Pairs of units of one level whose interiors overlap by more than ``tolerance_m2``."""
    geoms = layer.metric
    left, right = STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    # Neighbours share edges: a relate test (interiors meet in 2-D) is cheaper than intersecting them.
    overlapping = shapely.relate_pattern(geoms[left], geoms[right], "2********")
    left, right = left[overlapping], right[overlapping]
    pieces = shapely.intersection(geoms[left], geoms[right])
    areas = shapely.area(pieces)
    findings = []
    for k in np.flatnonzero(areas > tolerance_m2):
        a, b = layer.code(left[k]), layer.code(right[k])
        lon, lat = _centroid(pieces[k], projection)
        message = f"{a} 与 {b} 重叠 {areas[k]:,.0f} m²"
        findings.append(Finding(FindingKind.OVERLAP, level, (a, b), message, float(areas[k]), lon, lat))
    return findings


def find_gaps(
    parents: Boundaries,
    children: Boundaries,
    level: str,
    projection: LocalProjection,
    tolerance_m2: float,
) -> list[Finding]:
    """Parts of each parent that none of its children cover, each part above ``tolerance_m2``."""
    if not len(parents) or not len(children):
        return []  # the child level is not loaded at all: nothing to compare
    holes = shapely.difference(parents.metric, _unions_by_parent(parents, children))
    tree: STRtree | None = None
    findings = []
    for p, hole in enumerate(holes):
        for part in shapely.get_parts(hole):
            area = float(shapely.area(part))
            if area <= tolerance_m2:
                continue
            tree = tree or STRtree(children.metric)
            near = sorted(children.code(i) for i in tree.query(part, predicate="dwithin", distance=1.0))
            findings.append(_gap(parents.code(p), near, level, part, area, projection))
    return findings


def _gap(
    parent: str, near: list[str], level: str, part: BaseGeometry, area: float, projection: LocalProjection
) -> Finding:
    lon, lat = _centroid(part, projection)
    between = f", 邻接 {'、'.join(near[:6])}{' 等' if len(near) > 6 else ''}" if near else ", 无任何下级覆盖"
    message = f"{parent} 内有 {area:,.0f} m² 未被下级覆盖{between}"
    return Finding(FindingKind.GAP, level, (parent, *near), message, area, lon, lat)


def _unions_by_parent(parents: Boundaries, children: Boundaries) -> Geometries:
    """The union of each parent's children (empty where it has none), one vectorised call."""
    slot_of = {p.code: i for i, p in enumerate(parents.shapes)}
    mine = [(slot_of[c.parent_code], i) for i, c in enumerate(children.shapes) if c.parent_code in slot_of]
    width = max(int(np.bincount([p for p, _ in mine], minlength=1).max(initial=0)), 1)
    table = np.full((len(parents), width), None, dtype=object)
    filled = np.zeros(len(parents), dtype=np.int64)
    for p, i in mine:
        table[p, filled[p]] = children.metric[i]
        filled[p] += 1
    return np.asarray(shapely.union_all(table, axis=1))


def find_outside_parent(
    children: Boundaries,
    parents: Boundaries,
    level: str,
    projection: LocalProjection,
    tolerance: Tolerance,
) -> list[Finding]:
    """Children with more of their area outside their parent than ``tolerance`` allows."""
    slot_of = {p.code: i for i, p in enumerate(parents.shapes)}
    paired = np.array([i for i, c in enumerate(children.shapes) if c.parent_code in slot_of], dtype=np.int64)
    if not paired.size:
        return []
    child_m = children.metric[paired]
    parent_m = parents.metric[[slot_of[children.shapes[i].parent_code or ""] for i in paired]]
    outside = outside_areas(child_m, parent_m)
    areas = shapely.area(child_m)
    findings = []
    for k in np.flatnonzero(outside > tolerance.allowed(areas)):
        child, parent = children.code(paired[k]), children.shapes[paired[k]].parent_code or ""
        lon, lat = _centroid(shapely.difference(child_m[k], parent_m[k]), projection)
        share = outside[k] / areas[k] if areas[k] > 0 else 1.0
        message = f"{child} 不在上级 {parent} 内: 有 {outside[k]:,.0f} m² ({share:.1%}) 在其外"
        findings.append(
            Finding(FindingKind.OUTSIDE_PARENT, level, (child, parent), message, float(outside[k]), lon, lat)
        )
    return findings


def find_grids_crossing_communities(
    grids: Boundaries, communities: Boundaries, projection: LocalProjection, tolerance_m2: float
) -> list[Finding]:
    """Grids reaching more than ``tolerance_m2`` into a community other than their own."""
    if not len(grids) or not len(communities):
        return []
    g, c = STRtree(communities.metric).query(grids.metric, predicate="intersects")
    own = [grids.shapes[i].parent_code == communities.code(j) for i, j in zip(g, c, strict=True)]
    foreign = ~np.array(own, dtype=bool)
    g, c = g[foreign], c[foreign]
    inside = shapely.relate_pattern(grids.metric[g], communities.metric[c], "2********")
    g, c = g[inside], c[inside]
    pieces = shapely.intersection(grids.metric[g], communities.metric[c])
    areas = shapely.area(pieces)
    findings = []
    for k in np.flatnonzero(areas > tolerance_m2):
        grid, other = grids.code(g[k]), communities.code(c[k])
        lon, lat = _centroid(pieces[k], projection)
        message = f"网格 {grid} 跨越社区边界: 有 {areas[k]:,.0f} m² 在社区 {other} 内"
        kind = FindingKind.GRID_CROSSES_COMMUNITY
        findings.append(Finding(kind, "grid", (grid, other), message, float(areas[k]), lon, lat))
    return findings


# --- plumbing -------------------------------------------------------------------------------------


def _centroid(geometry_m: BaseGeometry, projection: LocalProjection) -> tuple[float | None, float | None]:
    if shapely.is_empty(geometry_m):
        return None, None
    point = shapely.centroid(geometry_m)
    lon, lat = projection.to_wgs84([point.x], [point.y])
    return round(float(lon[0]), 6), round(float(lat[0]), 6)


def _wgs84_point(geometry: BaseGeometry) -> tuple[float | None, float | None]:
    if shapely.is_empty(geometry):
        return None, None
    point = shapely.centroid(geometry)  # never fails, even on a broken ring
    return round(point.x, 6), round(point.y, 6)
