"""Importing a boundary, grid or road file: read → map fields → convert to WGS84 → check → compare with
what is in force → write new versions.

Every check runs before anything is written, and every refusal names the feature (file row, FID,
code) in Chinese. One refused feature refuses the whole file: nothing is half-imported. A feature
identical to its in-force version (same geometry within 1e-9°, name, parent and, for a road, tier) is
left alone, so importing the same file twice changes nothing; a changed one closes the in-force row on
``valid_from`` and starts a new row that day (``db.boundaries``).

The checks themselves (codes, shapes, CRS plausibility, parents, containment) are in
``wiring.boundary_checks``; the feature they work on and its report in ``wiring.boundary_features``.

The caller owns the transaction (``with engine.begin() as conn``); this module only writes when the
report it returns is clean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection

from kaoping.db import boundaries as store
from kaoping.db.boundaries import Layer, Version
from kaoping.domain.organisation import RoadTier
from kaoping.domain.problems import CoordinateSystem
from kaoping.geo.checks import Tolerance, as_array
from kaoping.geo.crs import geometry_to_wgs84
from kaoping.io.boundaries import (
    BoundaryFileError,
    SourceFeature,
    SourceFile,
    as_code,
    as_text,
    as_tier,
    field_value,
    guess_kind,
    normalise_code,
    original_crs,
    projected_to_degrees,
    read_source,
    require_fields,
)
from kaoping.wiring.boundary_checks import (
    check_codes,
    check_place,
    check_shapes,
    local_projection,
    resolve_parents,
)
from kaoping.wiring.boundary_features import (
    CODE_DIGITS,
    LEVEL_NAMES,
    Context,
    Feature,
    FeatureReport,
    Outcome,
)

__all__ = ["FeatureReport", "FieldMapping", "ImportReport", "ImportRequest", "Outcome", "import_boundaries"]

EPOCH = date(1970, 1, 1)  # "since always": the schema's default valid_from, used for a layer's first load
SAME_GEOMETRY_DEG = 1e-9  # ~0.1 mm: tighter than any source, looser than float noise


@dataclass(frozen=True)
class FieldMapping:
    """Which field of the file holds what; a dotted name (``parent.adcode``) reads a nested property."""

    code: str
    name: str | None = None
    parent: str | None = None  # parent code; derived from the code's prefix when not given
    tier: str | None = None  # roads only; default district_2


@dataclass(frozen=True)
class ImportRequest:
    layer: Layer
    path: Path
    fields: FieldMapping
    crs: CoordinateSystem = CoordinateSystem.WGS84
    valid_from: date | None = None  # None: today for changes, 1970-01-01 for a layer's first load
    source_layer: str | None = None  # the layer inside a GeoPackage
    encoding: str | None = None
    tolerance: Tolerance = field(default_factory=Tolerance)
    dry_run: bool = False


@dataclass
class ImportReport:
    layer: str
    file: str
    crs: str
    valid_from: str | None  # the date new versions start (ISO), None when nothing changed
    written: bool
    problems: list[str]  # about the file as a whole
    features: list[FeatureReport]

    @property
    def counts(self) -> dict[str, int]:
        counts = {outcome.value: 0 for outcome in Outcome}
        for feature in self.features:
            counts[feature.outcome.value] += 1
        counts["repaired"] = sum(f.repaired for f in self.features)
        return counts

    @property
    def ok(self) -> bool:
        return not self.problems and all(f.outcome is not Outcome.REFUSED for f in self.features)


def import_boundaries(conn: Connection, request: ImportRequest, today: date) -> ImportReport:
    """Check a file against itself and the database; write new versions only when nothing is refused."""
    source = read_source(request.path, request.source_layer, request.encoding)
    _require_mapping(source, request)
    if not source.features:
        raise BoundaryFileError(request.path, "文件中没有任何要素")
    features = [_parse(f, request) for f in source.features]
    _read_geometries(features, _unprojection(source, request))
    check_codes(features, request.layer)
    context = _load_context(conn, request.layer)
    _convert(features, request)
    projection = local_projection(features, context)
    check_shapes(features, request.layer, projection)
    problems = check_place(features, context, request.layer, request.crs, request.tolerance, projection)
    resolve_parents(features, context, request.layer, request.tolerance, projection)
    _compare(features, context, request, today)
    report = _report(features, request, problems)
    if report.ok and not request.dry_run:
        _write(conn, features, context, request.layer, original_crs(source, request.crs.value))
        report.written = True
    return report


def _report(features: list[Feature], request: ImportRequest, problems: list[str]) -> ImportReport:
    starts = [f.valid_from for f in features if f.ok and f.valid_from is not None]
    valid_from = max(starts).isoformat() if starts else None
    reports = [f.report for f in features]
    return ImportReport(
        request.layer.value, request.path.name, request.crs.value, valid_from, False, problems, reports
    )


# --- reading and mapping --------------------------------------------------------------------------


def _require_mapping(source: SourceFile, request: ImportRequest) -> None:
    mapping, layer = request.fields, request.layer
    if layer is not Layer.GRID and not mapping.name:
        fields = ", ".join(source.fields)
        raise BoundaryFileError(
            source.path, f"导入{LEVEL_NAMES[layer]}需要 --name-field; 文件中的字段: {fields}"
        )
    wanted = {"--code-field": mapping.code, "--name-field": mapping.name, "--parent-field": mapping.parent}
    wanted["--tier-field"] = mapping.tier
    require_fields(source, wanted)


def _parse(source: SourceFeature, request: ImportRequest) -> Feature:
    mapping, layer = request.fields, request.layer
    code = as_code(field_value(source.properties, mapping.code))
    if code is not None and layer in CODE_DIGITS:
        code = normalise_code(code, CODE_DIGITS[layer])
    name = as_text(field_value(source.properties, mapping.name)) if mapping.name else None
    feature = Feature(source, FeatureReport(source.row, source.fid, code, name))
    if mapping.parent:
        feature.parent_code = _parent_code(as_code(field_value(source.properties, mapping.parent)), layer)
    if layer is Layer.ROAD:
        feature.tier = _tier(feature, field_value(source.properties, mapping.tier) if mapping.tier else None)
    return feature


def _parent_code(code: str | None, layer: Layer) -> str | None:
    parent = layer.parent
    if code is None or parent is None or parent not in CODE_DIGITS:
        return code
    return normalise_code(code, CODE_DIGITS[parent])


def _tier(feature: Feature, value: Any) -> RoadTier | None:
    if value is None:
        return RoadTier.DISTRICT_2
    tier = as_tier(value)
    if tier is None:
        feature.refuse(f"道路等级 {value!r} 无法识别; 可用: city/市级, district_1/区一级, district_2/区二级")
    return tier


def _unprojection(source: SourceFile, request: ImportRequest) -> Transformer | None:
    """For a file in a projected CRS (a CGCS2000 Gauss-Krüger zone), the way back to degrees."""
    unprojection = projected_to_degrees(source)
    if unprojection is not None and request.crs not in (CoordinateSystem.CGCS2000, CoordinateSystem.WGS84):
        raise BoundaryFileError(
            source.path,
            f"文件是投影坐标 ({source.declared_crs}), 不可能是 {request.crs.value}; 请用 --crs cgcs2000",
        )
    return unprojection


def _read_geometries(features: list[Feature], unprojection: Transformer | None) -> None:
    """Each feature's geometry as read, in 2-D and degrees; missing, unreadable or empty ones refuse it."""
    wkbs = [f.source.wkb for f in features]
    geoms = shapely.force_2d(shapely.from_wkb(wkbs, on_invalid="ignore"))  # unreadable → None
    if unprojection is not None:
        geoms = shapely.transform(
            geoms, lambda xy: np.column_stack(unprojection.transform(xy[:, 0], xy[:, 1]))
        )
    for f, wkb, geometry in zip(features, wkbs, geoms, strict=True):
        if wkb is None:
            f.refuse("缺少几何")
        elif geometry is None:
            f.refuse("几何无法解析 (WKB 损坏)")
        elif geometry.is_empty:
            f.refuse("几何为空")
        else:
            f.original = geometry


def _convert(features: list[Feature], request: ImportRequest) -> None:
    """From the file's system to WGS84, all vertices in one vectorised pass."""
    usable = [f for f in features if f.original is not None]
    converted = geometry_to_wgs84(as_array([f.original for f in usable]), request.crs)
    for f, geometry in zip(usable, converted, strict=True):
        f.geometry = geometry


# --- what is in force -----------------------------------------------------------------------------


def _load_context(conn: Connection, layer: Layer) -> Context:
    parent = layer.parent
    current = {v.code: v for v in store.list_in_force(conn, layer)}
    parents = {v.code: v for v in store.list_in_force(conn, parent)} if parent else {}
    return Context(current, parents, _reference(conn), not store.has_versions(conn, layer))


def _reference(conn: Connection) -> BaseGeometry | None:
    """The area the city covers now: its boundary, else the union of its districts, else unknown."""
    for layer in (Layer.CITY, Layer.DISTRICT):
        rows = store.list_in_force(conn, layer)
        if rows:
            return shapely.union_all(as_array([shapely.from_wkb(v.geometry) for v in rows]))
    return None


# --- history --------------------------------------------------------------------------------------


def _compare(features: list[Feature], context: Context, request: ImportRequest, today: date) -> None:
    """Mark each feature created, updated or unchanged, with the date its new version starts."""
    changed_from = request.valid_from or today
    created_from = request.valid_from or (EPOCH if context.first_load else today)
    live = [f for f in features if f.ok]
    olds = [context.current.get(f.code) for f in live]
    pairs = [(f, old) for f, old in zip(live, olds, strict=True) if old is not None]
    same = _same_geometries([f.geometry for f, _ in pairs], [old.geometry for _, old in pairs])
    moved = {id(f): not s for (f, _), s in zip(pairs, same, strict=True)}
    for f, old in zip(live, olds, strict=True):
        if old is None:
            f.report.outcome, f.valid_from = Outcome.CREATED, created_from
            continue
        changes = _changes(f, old, request.layer, moved[id(f)])
        if not changes:
            continue
        if old.valid_from >= changed_from:
            f.refuse(
                f"现行版本自 {old.valid_from} 起生效, 新版本的生效日期 {changed_from} 必须晚于它; "
                "请用 --valid-from 指定"
            )
            continue
        f.report.outcome, f.valid_from = Outcome.UPDATED, changed_from
        f.report.messages.append("; ".join(changes))


def _changes(f: Feature, old: Version, layer: Layer, moved: bool) -> list[str]:
    """What differs from the in-force version, in words; empty when nothing does."""
    changes = []
    if layer is not Layer.GRID and f.report.name != old.name:
        changes.append(f"名称 {old.name} → {f.report.name}")
    parent_id = f.parent.id if f.parent else None
    if parent_id != old.parent_id:
        changes.append(f"上级 {old.parent_code or '无'} → {f.parent_code or '无'}")
    if layer is Layer.ROAD and f.tier is not None and f.tier.value != old.extra.get("tier"):
        changes.append(f"等级 {old.extra.get('tier')} → {f.tier.value}")
    if moved:
        changes.append("边界变化" if layer.is_polygon else "线形变化")
    return changes


def _same_geometries(new: list[BaseGeometry | None], stored: list[bytes]) -> NDArray[np.bool_]:
    # normalize(): the same shape written from another starting vertex or ring order is the same.
    a = shapely.normalize(as_array(new))
    b = shapely.normalize(shapely.from_wkb(stored))
    return np.asarray(shapely.equals_exact(a, b, tolerance=SAME_GEOMETRY_DEG), dtype=bool)


# --- writing --------------------------------------------------------------------------------------


def _write(conn: Connection, features: list[Feature], context: Context, layer: Layer, orig_crs: str) -> None:
    """Close the changed rows, insert the new versions, move what belongs to them now."""
    updated = [f for f in features if f.report.outcome is Outcome.UPDATED]
    changed = [f for f in features if f.report.outcome in (Outcome.CREATED, Outcome.UPDATED)]
    store.close_versions(conn, layer, {context.current[f.code].id: f.valid_from or EPOCH for f in updated})
    new_ids = store.insert_versions(conn, layer, [_row(f, layer, orig_crs, context) for f in changed])
    store.repoint_references(conn, layer, {context.current[f.code].id: new_ids[f.code] for f in updated})


def _row(f: Feature, layer: Layer, orig_crs: str, context: Context) -> dict[str, Any]:
    measure = shapely.length(f.metric) if layer is Layer.ROAD else shapely.area(f.metric)
    row: dict[str, Any] = {
        "code": f.code,
        "geometry": shapely.to_wkb(f.geometry),
        "valid_from": f.valid_from,
        "orig_crs": orig_crs,
        "orig_geometry": f.source.wkb,
    }
    parent_id = f.parent.id if f.parent else None
    if layer is Layer.GRID:
        return {**row, "community_id": parent_id, "area_m2": float(measure)}
    if layer is Layer.ROAD:
        tier = (f.tier or RoadTier.DISTRICT_2).value
        return {**row, "name": f.report.name, "tier": tier, "length_m": float(measure), "town_id": parent_id}
    return {**row, **_unit_columns(f, layer, context), "area_m2": float(measure)}


def _unit_columns(f: Feature, layer: Layer, context: Context) -> dict[str, Any]:
    """An administrative unit's own columns; its evaluation group is kept (boundary files have none)."""
    old = context.current.get(f.code)
    return {
        "name": f.report.name,
        "level": layer.value,
        "kind": _kind(f, layer, old),
        "parent_id": f.parent.id if f.parent else None,
        "group_id": old.extra.get("group_id") if old else None,
    }


def _kind(f: Feature, layer: Layer, old: Version | None) -> str:
    """The stored kind stays unless the name changed (撤镇设街 renames 镇 to 街道); new units get a guess."""
    if old is not None and old.name == f.report.name:
        return str(old.extra["kind"])
    return guess_kind(layer.value, f.code, f.report.name or "").value
