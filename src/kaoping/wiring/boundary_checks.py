"""The per-feature checks of ``kaoping geo import`` (``wiring.boundaries``): codes and names, geometry
type and repair, whether the file's coordinate system is plausible, parents, and child inside parent.

A check never raises for a bad feature: it refuses it (``Feature.refuse``) with a reason in Chinese,
so one run names every problem in the file. Checks skip features an earlier one refused. None of
them touches the database; what is in force comes in as a ``Context``.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import LineString, MultiLineString, STRtree
from shapely.geometry.base import BaseGeometry

from kaoping.db.boundaries import Layer
from kaoping.domain.problems import CoordinateSystem
from kaoping.geo import checks
from kaoping.geo.checks import Tolerance, as_array
from kaoping.geo.crs import geometry_to_wgs84
from kaoping.geo.projection import LocalProjection
from kaoping.wiring.boundary_features import CODE_DIGITS, LEVEL_NAMES, Context, Feature

FAR_OUTSIDE_M = 5_000.0
"""A feature this far from the city (or its parent) is not a border disagreement but a wrong CRS guess."""
CHINA_BOX = (73.0, 3.0, 136.0, 54.0)  # lon/lat bounds of China's territory, islands included
LONGEST_CODE = {Layer.GRID: 15, Layer.ROAD: 32}  # the columns' widths; units: 12
LONGEST_NAME = 64
CRS_HINT = "坐标系可能有误, 请检查 --crs"
SIMPLE_TYPES = {True: (3, 6), False: (1, 5)}  # shapely type ids: (Multi)Polygon, (Multi)LineString


# --- codes and names ------------------------------------------------------------------------------


def check_codes(features: list[Feature], layer: Layer) -> None:
    """Empty, too long, malformed (when the parent comes from the prefix) and duplicate codes; names."""
    longest = LONGEST_CODE.get(layer, 12)
    for f in features:
        if f.report.code is None:
            f.refuse("编码为空")
        elif len(f.code) > longest:
            f.refuse(f"编码 {f.code} 超过 {longest} 位")
        if layer is not Layer.GRID and f.report.name is None:
            f.refuse("名称为空")
        elif f.report.name is not None and len(f.report.name) > LONGEST_NAME:
            f.refuse(f"名称超过 {LONGEST_NAME} 个字")
    _refuse_duplicates(features)


def _refuse_duplicates(features: list[Feature]) -> None:
    rows: dict[str, list[int]] = {}
    for f in features:
        if f.report.code is not None:
            rows.setdefault(f.code, []).append(f.source.row)
    for f in features:
        if f.report.code is not None and len(rows[f.code]) > 1:
            others = "、".join(str(r) for r in rows[f.code] if r != f.source.row)
            f.refuse(f"编码 {f.code} 重复 (另见第 {others} 行)")


# --- shapes ---------------------------------------------------------------------------------------


def local_projection(features: list[Feature], context: Context) -> LocalProjection:
    """Centred on the city when one is in force, else on the file (clamped to valid coordinates)."""
    geoms = [context.reference] if context.reference is not None else [f.geometry for f in features]
    xmin, ymin, xmax, ymax = shapely.total_bounds(as_array(geoms))
    lon = float(np.clip((xmin + xmax) / 2, -180.0, 180.0)) if np.isfinite(xmin) else 0.0
    lat = float(np.clip((ymin + ymax) / 2, -85.0, 85.0)) if np.isfinite(ymin) else 0.0
    return LocalProjection(lon, lat)


def check_shapes(features: list[Feature], layer: Layer, projection: LocalProjection) -> None:
    """Polygons for boundaries, lines for roads; invalid polygons repaired when safe, else refused.

    Vectorised for the common case (a valid polygon or line in China); only the exceptions are
    looked at one by one."""
    placed = [f for f in features if f.geometry is not None]
    geoms = as_array([f.geometry for f in placed])
    in_china = _in_china(geoms)
    simple = np.isin(shapely.get_type_id(geoms), SIMPLE_TYPES[layer.is_polygon]) & shapely.is_valid(geoms)
    for f, inside, plain in zip(placed, in_china, simple, strict=True):
        if not inside:
            centre = shapely.centroid(f.geometry)
            f.refuse(f"坐标 ({centre.x:.6f}, {centre.y:.6f}) 不在中国境内 — {CRS_HINT} (或经纬度是否填反)")
        elif not plain:
            _check_polygon(f, projection) if layer.is_polygon else _check_line(f)
    _measure_metric([f for f in placed if f.ok], layer, projection)


def _measure_metric(features: list[Feature], layer: Layer, projection: LocalProjection) -> None:
    """Each feature in metres (``Feature.metric``); one with no area (or length) is refused."""
    metric = projection.geometry_to_metric(as_array([f.geometry for f in features]))
    sizes = shapely.area(metric) if layer.is_polygon else shapely.length(metric)
    for f, geometry, size in zip(features, metric, sizes, strict=True):
        f.metric = geometry
        if not size > 0:
            f.refuse("面积为 0" if layer.is_polygon else "长度为 0")


def _in_china(geoms: checks.Geometries) -> NDArray[np.bool_]:
    xmin, ymin, xmax, ymax = shapely.bounds(geoms).T
    box = CHINA_BOX
    return np.asarray((box[0] <= xmin) & (xmax <= box[2]) & (box[1] <= ymin) & (ymax <= box[3]))


def _check_polygon(f: Feature, projection: LocalProjection) -> None:
    geometry = f.geometry
    parts = shapely.get_parts(geometry) if geometry is not None else []
    polygons = checks.polygonal(geometry) if geometry is not None else None
    if polygons is None or not np.isin(shapely.get_type_id(parts), SIMPLE_TYPES[True]).all():
        kind = geometry.geom_type if geometry is not None else "空"
        f.refuse(f"几何类型为 {kind}, 边界应为面 (Polygon/MultiPolygon)")
        return
    repair = checks.repair_polygon(polygons, projection)
    if repair.geometry is None:
        f.refuse(
            f"多边形无效 ({repair.reason}), 自动修复会使面积变化 {repair.change:.2%} (超过 0.1%), "
            "请在源数据中修正"
        )
        return
    if repair.repaired:
        f.report.repaired = True
        f.report.messages.append(f"已修复: {repair.reason} (面积变化 {repair.change:.3%})")
    f.geometry = repair.geometry


def _check_line(f: Feature) -> None:
    geometry = f.geometry
    if not isinstance(geometry, LineString | MultiLineString):
        kind = geometry.geom_type if geometry is not None else "空"
        f.refuse(f"几何类型为 {kind}, 道路应为线 (LineString/MultiLineString)")
    elif not geometry.is_valid:
        f.refuse(f"线无效: {shapely.is_valid_reason(geometry)}")


# --- where the features are -----------------------------------------------------------------------


def check_place(
    features: list[Feature],
    context: Context,
    layer: Layer,
    crs: CoordinateSystem,
    tolerance: Tolerance,
    projection: LocalProjection,
) -> list[str]:
    """Refuse features far from the city; say so for the whole file when another CRS would fit it."""
    if context.reference is None:
        return []  # a first import into an empty database: nothing to compare with but China
    reference_m = projection.geometry_to_metric(context.reference)
    placed = [f for f in features if f.ok and f.metric is not None]
    distances = checks.distances_from(as_array([f.metric for f in placed]), reference_m)
    for f, distance in zip(placed, distances, strict=True):
        if distance > FAR_OUTSIDE_M:
            f.refuse(f"距全市范围 {distance / 1000:,.1f} km, 远在全市之外 — {CRS_HINT}")
    return _crs_misfit(features, reference_m, layer, crs, tolerance, projection)


def _crs_misfit(
    features: list[Feature],
    reference_m: BaseGeometry,
    layer: Layer,
    crs: CoordinateSystem,
    tolerance: Tolerance,
    projection: LocalProjection,
) -> list[str]:
    """When much of the file lies outside the city and another system fits it, refuse every feature."""
    originals = [f.original for f in features if f.original is not None and f.geometry is not None]
    if not originals:
        return []
    share = _outside_share(originals, crs, reference_m, projection)
    if share <= tolerance.share:
        return []
    fits = {c: _outside_share(originals, c, reference_m, projection) for c in _alternatives(crs)}
    best = min(fits, key=fits.__getitem__, default=None)
    if best is None or fits[best] > min(share / 10, tolerance.share):
        return []
    _refuse_misplaced(features, reference_m, layer, crs, best)
    return [
        f"按 --crs {crs.value} 解读, 有 {share:.1%} 的{_measure(layer)}落在现有全市范围之外; "
        f"按 --crs {best.value} 解读只有 {fits[best]:.2%} — {CRS_HINT}"
    ]


def _refuse_misplaced(
    features: list[Feature],
    reference_m: BaseGeometry,
    layer: Layer,
    given: CoordinateSystem,
    best: CoordinateSystem,
) -> None:
    """Every feature still standing, each with how much of it lies outside the city under ``given``."""
    unit = "m" if layer is Layer.ROAD else "m²"
    placed = [f for f in features if f.ok and f.metric is not None]
    outside = checks.measure_outside(as_array([f.metric for f in placed]), reference_m)
    for f, lost in zip(placed, outside, strict=True):
        away = (
            f"按 --crs {given.value} 有 {lost:,.0f} {unit} 在全市范围之外" if lost > 0 else "整个文件整体偏移"
        )
        f.refuse(f"{away}, 按 --crs {best.value} 则与全市吻合 — {CRS_HINT}")


def _alternatives(crs: CoordinateSystem) -> list[CoordinateSystem]:
    same = {CoordinateSystem.WGS84, CoordinateSystem.CGCS2000}  # identical within centimetres
    return [c for c in CoordinateSystem if c is not crs and not (c in same and crs in same)]


def _outside_share(
    originals: list[BaseGeometry],
    crs: CoordinateSystem,
    reference_m: BaseGeometry,
    projection: LocalProjection,
) -> float:
    metric = projection.geometry_to_metric(geometry_to_wgs84(as_array(originals), crs))
    invalid = ~shapely.is_valid(metric)
    metric[invalid] = shapely.make_valid(metric[invalid])
    return checks.share_outside(metric, reference_m)


def _measure(layer: Layer) -> str:
    return "长度" if layer is Layer.ROAD else "面积"


# --- parents --------------------------------------------------------------------------------------


def resolve_parents(
    features: list[Feature], context: Context, layer: Layer, tolerance: Tolerance, projection: LocalProjection
) -> None:
    """Find each feature's in-force parent (by code, or for a road by its midpoint) and check containment."""
    if layer.parent is None:
        return
    for f in features:
        if layer is Layer.ROAD and f.parent_code is None:
            continue  # placed by its midpoint below
        if f.ok:
            _find_parent(f, context, layer)
    if layer is Layer.ROAD:
        _place_roads(features, context, projection)
    else:
        _check_containment(features, tolerance, projection)


def _find_parent(f: Feature, context: Context, layer: Layer) -> None:
    """The parent named by the file or the code's prefix, refusing one that is not in force."""
    code = f.parent_code or _derived_parent(f, layer)
    if code is None:
        return
    f.parent_code = code
    f.parent = context.parents.get(code)
    if f.parent is None and not (layer is Layer.DISTRICT and not context.parents):
        f.refuse(f"上级{LEVEL_NAMES[layer.parent or layer]}编码 {code} 不存在 (数据库中没有现行的该单位)")


def _derived_parent(f: Feature, layer: Layer) -> str | None:
    """The parent's code from the code's prefix (GB/T 2260/10114), refusing codes it cannot be read from."""
    if layer is Layer.CITY:
        return None
    digits = CODE_DIGITS[layer]
    if len(f.code) != digits or not f.code.isdigit():
        f.refuse(
            f"编码 {f.code} 不是 {digits} 位数字, 无法由编码推出上级编码; "
            "请用 --parent-field 指定上级编码字段"
        )
        return None
    if layer is Layer.DISTRICT:
        return f.code[:4] + "00"  # the prefecture-level city: 370102 → 370100
    return f.code[: CODE_DIGITS[layer.parent or layer]]


def _check_containment(features: list[Feature], tolerance: Tolerance, projection: LocalProjection) -> None:
    placed = [f for f in features if f.ok and f.parent is not None and f.metric is not None]
    if not placed:
        return
    codes = sorted({f.parent.code for f in placed if f.parent})
    wkbs = {f.parent.code: f.parent.geometry for f in placed if f.parent}
    metric = projection.geometry_to_metric(shapely.make_valid(shapely.from_wkb([wkbs[c] for c in codes])))
    by_code = dict(zip(codes, metric, strict=True))
    parents_m = as_array([by_code[f.parent.code] for f in placed if f.parent])
    children_m = as_array([f.metric for f in placed])
    outside = checks.outside_areas(children_m, parents_m)
    allowed = tolerance.allowed(shapely.area(children_m))
    for f, lost, limit, area in zip(placed, outside, allowed, shapely.area(children_m), strict=True):
        if lost > limit and f.parent is not None:
            f.refuse(
                f"不在上级 {f.parent.code} ({f.parent.name}) 内: "
                f"有 {lost:,.0f} m² ({lost / area:.1%}) 在其外, 超过允许的 {limit:,.0f} m²"
            )


def _place_roads(features: list[Feature], context: Context, projection: LocalProjection) -> None:
    """A road belongs to the town/street its midpoint lies in (the smallest code on a border)."""
    towns = sorted(context.parents.values(), key=lambda v: v.code)
    todo = [f for f in features if f.ok and f.parent is None and f.metric is not None]
    if not todo:
        return
    tree = STRtree(projection.geometry_to_metric(as_array([shapely.from_wkb(t.geometry) for t in towns])))
    midpoints = shapely.line_interpolate_point(as_array([f.metric for f in todo]), 0.5, normalized=True)
    points, hits = tree.query(midpoints, predicate="intersects")
    first: dict[int, int] = {}
    for p, t in zip(points.tolist(), hits.tolist(), strict=True):
        first[p] = min(first.get(p, t), t)
    for k, f in enumerate(todo):
        if k in first:
            f.parent = towns[first[k]]
            f.parent_code = f.parent.code
        else:
            f.refuse("路段中点不在任何现行镇街内; 请先导入镇街, 或用 --parent-field 指定所属镇街编码")
