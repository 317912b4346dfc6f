"""Importing a city's own boundary files: a DataV district set in GCJ-02 goes in, checks clean and
locates points; bad files are refused with the feature named and nothing written; a changed boundary
becomes a new version and leaves the old one, and the problems on it, where they were."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import pytest
import shapely
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, func, insert, select

from kaoping.db.boundaries import Layer, list_in_force
from kaoping.db.tables import admin_unit, category, channel, grid, problem, road
from kaoping.demo.datav import Level, write_datav
from kaoping.demo.geography import DemoGeography, build_geography
from kaoping.demo.sizes import SIZES
from kaoping.domain.problems import CoordinateSystem
from kaoping.geo.crs import geometry_from_wgs84
from kaoping.io.boundaries import BoundaryFileError
from kaoping.wiring import load_index
from kaoping.wiring.boundaries import FieldMapping, ImportReport, ImportRequest, Outcome, import_boundaries
from kaoping.wiring.checks import check_geography
from kaoping.wiring.grids import GridRequest, GridSelection, generate_grids

TODAY = date(2026, 3, 1)
DATAV = FieldMapping(code="adcode", name="name", parent="parent.adcode")
PLAIN = FieldMapping(code="code", name="name")


@pytest.fixture(scope="module")
def city() -> DemoGeography:
    return build_geography(SIZES["small"], 2021)


@pytest.fixture(scope="module")
def files(city: DemoGeography, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo city as a city would deliver it: DataV city, districts and towns in GCJ-02,
    communities and grids as plain WGS84 GeoJSON."""
    folder = tmp_path_factory.mktemp("boundaries")
    levels: tuple[Level, ...] = ("city", "district", "town")
    for level in levels:
        write_datav(city, folder / f"{level}.json", level)
    write_geojson(
        folder / "community.json", [(u.geometry, {"code": u.code, "name": u.name}) for u in city.communities]
    )
    write_geojson(folder / "grid.json", [(g.geometry, {"code": g.code}) for g in city.grids])
    roads = [(r.geometry, {"code": r.code, "name": r.name, "tier": r.tier.value}) for r in city.roads]
    write_geojson(folder / "road.json", roads)
    return folder


def write_geojson(
    path: Path, rows: Sequence[tuple[BaseGeometry | dict[str, Any] | None, dict[str, Any]]]
) -> Path:
    """A FeatureCollection; a geometry may be given as a GeoJSON dict (to write one shapely refuses)."""
    features = [
        {
            "type": "Feature",
            "properties": props,
            "geometry": geom if isinstance(geom, dict | None) else mapping(geom),
        }
        for geom, props in rows
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    return path


def run(
    conn: Connection,
    layer: Layer,
    path: Path,
    fields: FieldMapping = PLAIN,
    crs: CoordinateSystem = CoordinateSystem.WGS84,
    **options: Any,
) -> ImportReport:
    return import_boundaries(conn, ImportRequest(layer, path, fields, crs, **options), TODAY)


def import_city(conn: Connection, files: Path, *, down_to: Layer = Layer.GRID) -> None:
    """The whole small city, level by level, each import checked to be clean."""
    steps = [
        (Layer.CITY, "city.json", DATAV, CoordinateSystem.GCJ02),
        (Layer.DISTRICT, "district.json", DATAV, CoordinateSystem.GCJ02),
        (Layer.TOWN, "town.json", DATAV, CoordinateSystem.GCJ02),
        (Layer.COMMUNITY, "community.json", PLAIN, CoordinateSystem.WGS84),
        (Layer.GRID, "grid.json", FieldMapping(code="code"), CoordinateSystem.WGS84),
    ]
    for layer, name, fields, crs in steps:
        report = run(conn, layer, files / name, fields, crs)
        assert report.ok, (layer, report.problems, refusals(report))
        assert report.written
        if layer is down_to:
            return


def refusals(report: ImportReport) -> list[tuple[int, str | None, str]]:
    return [(f.row, f.code, "; ".join(f.messages)) for f in report.features if f.outcome is Outcome.REFUSED]


def count(conn: Connection, table: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def counts(conn: Connection) -> tuple[int, int, int]:
    return count(conn, admin_unit), count(conn, grid), count(conn, road)


def metric_distance(city: DemoGeography, a: BaseGeometry, b: BaseGeometry) -> float:
    project = city.projection.geometry_to_metric
    return float(shapely.hausdorff_distance(project(a), project(b)))


# --- the published district set -------------------------------------------------------------------


def test_a_datav_district_set_in_gcj02_imports_onto_an_empty_database_and_checks_clean(
    conn: Connection, city: DemoGeography, files: Path
) -> None:
    districts = run(conn, Layer.DISTRICT, files / "district.json", DATAV, CoordinateSystem.GCJ02)
    towns = run(conn, Layer.TOWN, files / "town.json", DATAV, CoordinateSystem.GCJ02)

    assert districts.counts["created"] == len(city.districts)
    assert districts.written
    assert towns.counts["created"] == len(city.towns)
    assert towns.written
    assert districts.valid_from == "1970-01-01"  # a layer's first load holds since always
    report = check_geography(conn)
    assert report.ok, [f.message for f in report.findings]
    stored = {v.code: v for v in list_in_force(conn, Layer.TOWN)}
    for spec in city.towns:  # back in WGS84 within DataV's rounding (6 decimals ≈ 0.1 m)
        assert metric_distance(city, shapely.from_wkb(stored[spec.code].geometry), spec.geometry) < 0.2
        assert stored[spec.code].parent_code == spec.parent_code


def test_the_original_coordinates_and_system_are_kept_as_read(
    conn: Connection, city: DemoGeography, files: Path
) -> None:
    run(conn, Layer.DISTRICT, files / "district.json", DATAV, CoordinateSystem.GCJ02)

    row = conn.execute(
        select(admin_unit).where(admin_unit.c.level == "district").order_by(admin_unit.c.code)
    ).first()
    assert row is not None
    first = json.loads((files / "district.json").read_text())["features"][0]
    assert row.orig_crs == "gcj02"
    assert shapely.equals_exact(
        shapely.from_wkb(row.orig_geometry), shapely.geometry.shape(first["geometry"]), 0
    )
    assert row.kind in ("district", "county")
    # measured in metres in the local projection, not in degrees
    assert row.area_m2 == pytest.approx(city.districts[0].area_m2, rel=1e-3)


def test_the_whole_city_imported_level_by_level_checks_clean(conn: Connection, files: Path) -> None:
    import_city(conn, files)

    report = check_geography(conn)

    assert report.ok, [f.message for f in report.findings]


def test_importing_the_same_files_twice_changes_nothing(conn: Connection, files: Path) -> None:
    import_city(conn, files)
    before = counts(conn)

    again = [
        run(conn, Layer.DISTRICT, files / "district.json", DATAV, CoordinateSystem.GCJ02),
        run(conn, Layer.TOWN, files / "town.json", DATAV, CoordinateSystem.GCJ02),
        run(conn, Layer.GRID, files / "grid.json", FieldMapping(code="code")),
    ]

    assert counts(conn) == before
    for report in again:
        assert report.counts["unchanged"] == len(report.features), refusals(report)
        assert report.valid_from is None


def test_random_points_inside_the_imported_districts_locate_to_their_district(
    conn: Connection, city: DemoGeography, files: Path
) -> None:
    import_city(conn, files)
    districts = list_in_force(conn, Layer.DISTRICT)
    lon, lat, expected = sample_points(city, districts, 1_000, np.random.default_rng(7))

    located = load_index(conn, road_snap_m=50.0).locate_many(lon, lat)

    assert located.unassigned.size == 0
    assert (located.district_id == expected).all()
    assert len(set(expected.tolist())) == len(districts)  # every district got points


def test_a_city_without_a_grid_layer_gets_grids_generated_and_points_locate_to_their_district(
    conn: Connection, city: DemoGeography, files: Path
) -> None:
    import_city(conn, files, down_to=Layer.COMMUNITY)  # DataV districts and towns, no grid layer
    results = generate_grids(conn, GridRequest(GridSelection((), None), today=TODAY))
    assert len(results) == len(city.communities)
    assert count(conn, grid) > 0
    report = check_geography(conn)
    assert report.ok, report.findings
    districts = list_in_force(conn, Layer.DISTRICT)
    lon, lat, expected = sample_points(city, districts, 1_000, np.random.default_rng(11))

    located = load_index(conn, road_snap_m=50.0).locate_many(lon, lat)

    assert located.unassigned.size == 0
    assert (located.district_id == expected).all()


def sample_points(
    city: DemoGeography, districts: Sequence[Any], n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Uniform WGS84 points inside the imported districts, kept 1 m clear of their borders: the grids
    come from another source than the GCJ-02 districts and differ from them by DataV's rounding."""
    shapes = [shapely.from_wkb(d.geometry) for d in districts]
    clear = [city.projection.geometry_to_metric(s).buffer(-1.0) for s in shapes]
    xmin, ymin, xmax, ymax = shapely.total_bounds(shapes)
    lon, lat = rng.uniform(xmin, xmax, 20 * n), rng.uniform(ymin, ymax, 20 * n)
    x, y = city.projection.to_metric(lon, lat)
    ids = np.full(lon.size, -1)
    for district, area in zip(districts, clear, strict=True):
        ids[shapely.contains_xy(area, x, y)] = district.id
    keep = np.flatnonzero(ids >= 0)[:n]
    assert keep.size == n
    return lon[keep], lat[keep], ids[keep]


def test_roads_get_their_town_from_their_midpoint_and_a_length_in_metres(
    conn: Connection, city: DemoGeography, files: Path
) -> None:
    import_city(conn, files, down_to=Layer.TOWN)

    report = run(conn, Layer.ROAD, files / "road.json", FieldMapping("code", "name", tier="tier"))

    assert report.ok
    assert report.counts["created"] == len(city.roads)
    stored = {v.code: v for v in list_in_force(conn, Layer.ROAD)}
    lengths: dict[str, float] = dict(conn.execute(select(road.c.code, road.c.length_m)).all())
    project = city.projection.geometry_to_metric
    for spec in city.roads:
        assert lengths[spec.code] == pytest.approx(spec.length_m, rel=1e-4)
        assert stored[spec.code].extra["tier"] == spec.tier.value
        midpoint = project(shapely.line_interpolate_point(spec.geometry, 0.5, normalized=True))
        near = {t.code for t in city.towns if project(t.geometry).distance(midpoint) < 0.5}
        assert stored[spec.code].parent_code in near  # on a border, either neighbour


def test_a_grid_layer_surveyed_in_a_cgcs2000_gauss_kruger_shapefile_imports_in_degrees(
    conn: Connection, city: DemoGeography, files: Path, tmp_path: Path
) -> None:
    import_city(conn, files, down_to=Layer.COMMUNITY)
    to_zone = Transformer.from_crs("EPSG:4490", "EPSG:4548", always_xy=True)  # the 3° zone at 117°E
    zone = [
        shapely.transform(g.geometry, lambda xy: np.column_stack(to_zone.transform(*xy.T)))
        for g in city.grids
    ]
    path = tmp_path / "grids.shp"
    wkbs = np.array([shapely.to_wkb(g) for g in zone], dtype=object)
    codes = np.array([g.code for g in city.grids], dtype=object)
    pyogrio.raw.write(path, wkbs, [codes], fields=["BGID"], geometry_type="Polygon", crs="EPSG:4548")

    report = run(conn, Layer.GRID, path, FieldMapping(code="BGID"), CoordinateSystem.CGCS2000)

    assert report.ok, refusals(report)
    assert report.counts["created"] == len(city.grids)
    row = conn.execute(select(grid).where(grid.c.code == city.grids[0].code)).one()
    assert row.orig_crs == "EPSG:4548"
    assert shapely.hausdorff_distance(shapely.from_wkb(row.geometry), city.grids[0].geometry) < 1e-9
    assert row.area_m2 == pytest.approx(10_000.0, rel=1e-4)


def test_a_dry_run_checks_everything_and_writes_nothing(conn: Connection, files: Path) -> None:
    report = run(conn, Layer.DISTRICT, files / "district.json", DATAV, CoordinateSystem.GCJ02, dry_run=True)

    assert report.ok
    assert not report.written
    assert report.counts["created"] == len(report.features)
    assert counts(conn) == (0, 0, 0)


# --- bad files ------------------------------------------------------------------------------------


def towns_file(
    city: DemoGeography,
    folder: Path,
    name: str,
    change: Callable[[int, BaseGeometry], BaseGeometry | dict[str, Any]],
) -> Path:
    """The towns as WGS84 GeoJSON, with ``change`` applied to every (index, geometry)."""
    rows = [(change(i, t.geometry), {"code": t.code, "name": t.name}) for i, t in enumerate(city.towns)]
    return write_geojson(folder / name, rows)


def test_a_polygon_broken_beyond_repair_is_refused_by_row_and_code_and_nothing_is_written(
    conn: Connection, city: DemoGeography, files: Path, tmp_path: Path
) -> None:
    import_city(conn, files, down_to=Layer.DISTRICT)
    before = counts(conn)

    def bow_tie(i: int, geometry: BaseGeometry) -> BaseGeometry | dict[str, Any]:
        if i != 2:
            return geometry
        x0, y0, x1, y1 = geometry.bounds
        return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]]}

    report = run(conn, Layer.TOWN, towns_file(city, tmp_path, "bow_tie.json", bow_tie))

    [(row, code, message)] = refusals(report)
    assert (row, code) == (3, city.towns[2].code)
    assert "Self-intersection" in message
    assert "请在源数据中修正" in message
    assert not report.written
    assert counts(conn) == before


def test_a_polygon_repaired_without_changing_its_area_is_imported_and_says_so(
    conn: Connection, city: DemoGeography, files: Path, tmp_path: Path
) -> None:
    import_city(conn, files, down_to=Layer.DISTRICT)

    def pinched(i: int, geometry: BaseGeometry) -> BaseGeometry | dict[str, Any]:
        """The town's ring makes a small loop back onto one of its own vertices (an inverted hole)."""
        if i != 0:
            return geometry
        ring = list(shapely.get_coordinates(shapely.get_exterior_ring(shapely.get_parts(geometry)[0])))
        cx, cy = shapely.centroid(geometry).coords[0]
        ax, ay = ring[0]
        tip = [ax + (cx - ax) * 0.2, ay + (cy - ay) * 0.2]
        side = [ax + (cx - ax) * 0.2 + 1e-4, ay + (cy - ay) * 0.2 - 1e-4]
        coords = [list(ring[0]), tip, side, *[list(p) for p in ring]]
        return {"type": "Polygon", "coordinates": [coords]}

    report = run(conn, Layer.TOWN, towns_file(city, tmp_path, "pinched.json", pinched))

    first = report.features[0]
    assert report.ok, refusals(report)
    assert report.written
    assert first.repaired
    assert first.outcome is Outcome.CREATED
    assert any(m.startswith("已修复") for m in first.messages)
    stored = {v.code: v for v in list_in_force(conn, Layer.TOWN)}
    assert shapely.is_valid(shapely.from_wkb(stored[first.code or ""].geometry))


def test_a_wgs84_file_imported_as_bd09_while_the_city_exists_is_refused_as_a_wrong_crs(
    conn: Connection, city: DemoGeography, files: Path, tmp_path: Path
) -> None:
    import_city(conn, files, down_to=Layer.DISTRICT)
    before = counts(conn)

    report = run(
        conn, Layer.TOWN, towns_file(city, tmp_path, "wgs84.json", lambda _i, g: g), crs=CoordinateSystem.BD09
    )

    assert not report.written
    assert counts(conn) == before
    assert report.problems
    assert "坐标系可能有误, 请检查 --crs" in report.problems[0]
    assert "按 --crs wgs84 解读只有" in report.problems[0]
    assert all("坐标系可能有误" in message for _row, _code, message in refusals(report))
    assert {code for _row, code, _m in refusals(report)} == {t.code for t in city.towns}


def test_a_gcj02_file_whose_points_land_far_away_is_refused_feature_by_feature(
    conn: Connection, city: DemoGeography, files: Path, tmp_path: Path
) -> None:
    import_city(conn, files, down_to=Layer.DISTRICT)

    def elsewhere(i: int, geometry: BaseGeometry) -> BaseGeometry:
        moved = affinity.translate(geometry, xoff=0.4) if i == 1 else geometry  # ≈ 36 km east
        return geometry_from_wgs84(moved, CoordinateSystem.GCJ02)

    report = run(
        conn, Layer.TOWN, towns_file(city, tmp_path, "far.json", elsewhere), crs=CoordinateSystem.GCJ02
    )

    [(row, code, message)] = refusals(report)
    assert (row, code) == (2, city.towns[1].code)
    assert "远在全市之外" in message
    assert "坐标系可能有误, 请检查 --crs" in message
    assert not report.written


def test_coordinates_outside_china_are_refused_even_on_an_empty_database(
    conn: Connection, tmp_path: Path
) -> None:
    swapped = shapely.box(36.6, 117.0, 36.61, 117.01)  # latitude and longitude swapped
    path = write_geojson(tmp_path / "swapped.json", [(swapped, {"code": "379901", "name": "市中区"})])

    report = run(conn, Layer.DISTRICT, path)

    [(_row, _code, message)] = refusals(report)
    assert "不在中国境内" in message
    assert "经纬度是否填反" in message
    assert counts(conn) == (0, 0, 0)


def test_a_missing_code_field_is_refused_naming_the_field_and_the_fields_that_exist(
    conn: Connection, files: Path
) -> None:
    with pytest.raises(BoundaryFileError) as caught:
        run(
            conn,
            Layer.DISTRICT,
            files / "district.json",
            FieldMapping("code", "name"),
            CoordinateSystem.GCJ02,
        )

    assert "--code-field 'code'" in caught.value.message
    assert "adcode, name, center, centroid, childrenNum, level, parent" in caught.value.message
    assert counts(conn) == (0, 0, 0)


def test_duplicate_and_empty_codes_are_refused_naming_every_row_involved(
    conn: Connection, city: DemoGeography, tmp_path: Path
) -> None:
    d = city.districts
    rows = [
        (d[0].geometry, {"code": d[0].code, "name": d[0].name}),
        (d[1].geometry, {"code": d[0].code, "name": d[1].name}),
        (d[2].geometry, {"code": None, "name": d[2].name}),
        (d[3].geometry, {"code": d[3].code, "name": d[3].name}),
    ]

    report = run(conn, Layer.DISTRICT, write_geojson(tmp_path / "dup.json", rows))

    assert refusals(report) == [
        (1, d[0].code, f"编码 {d[0].code} 重复 (另见第 2 行)"),
        (2, d[0].code, f"编码 {d[0].code} 重复 (另见第 1 行)"),
        (3, None, "编码为空"),
    ]
    assert report.features[3].outcome is Outcome.CREATED
    assert not report.written
    assert counts(conn) == (0, 0, 0)


def test_a_child_outside_its_parent_is_refused_naming_both_codes(
    conn: Connection, city: DemoGeography, files: Path, tmp_path: Path
) -> None:
    import_city(conn, files, down_to=Layer.DISTRICT)
    town = city.towns[0]
    other = next(d for d in city.districts if d.code != town.parent_code)
    rows = [(t.geometry, {"code": t.code, "name": t.name, "district": t.parent_code}) for t in city.towns]
    rows[0] = (town.geometry, {"code": town.code, "name": town.name, "district": other.code})

    report = run(
        conn,
        Layer.TOWN,
        write_geojson(tmp_path / "moved.json", rows),
        FieldMapping("code", "name", "district"),
    )

    [(row, code, message)] = refusals(report)
    assert (row, code) == (1, town.code)
    assert f"不在上级 {other.code} ({other.name}) 内" in message
    assert not report.written


def test_a_parent_code_that_does_not_exist_is_refused(
    conn: Connection, city: DemoGeography, files: Path, tmp_path: Path
) -> None:
    import_city(conn, files, down_to=Layer.DISTRICT)
    town = city.towns[0]
    path = write_geojson(
        tmp_path / "orphan.json", [(town.geometry, {"code": "379988001", "name": town.name})]
    )

    report = run(conn, Layer.TOWN, path)

    [(_row, code, message)] = refusals(report)
    assert code == "379988001"
    assert "上级区县编码 379988 不存在" in message


# --- history --------------------------------------------------------------------------------------


def add_problem(conn: Connection, grid_code: str) -> int:
    """A problem located on the in-force rows of ``grid_code`` (what intake stores)."""
    conn.execute(insert(channel).values(code="grid_worker", name="网格员", is_own_discovery=True))
    category_id = conn.execute(
        insert(category)
        .values(code="E0501", kind="event", level="minor", name="占道经营")
        .returning(category.c.id)
    ).scalar_one()
    g = conn.execute(
        select(grid.c.id, grid.c.community_id, grid.c.geometry).where(
            grid.c.code == grid_code, grid.c.valid_to.is_(None)
        )
    ).one()
    community = conn.execute(
        select(admin_unit.c.parent_id).where(admin_unit.c.id == g.community_id)
    ).scalar_one()
    district = conn.execute(select(admin_unit.c.parent_id).where(admin_unit.c.id == community)).scalar_one()
    centre = shapely.from_wkb(g.geometry).centroid
    values = {
        "channel": "grid_worker",
        "category_id": category_id,
        "found_at": datetime(2025, 6, 1, tzinfo=UTC),
        "lon": centre.x,
        "lat": centre.y,
        "orig_x": centre.x,
        "orig_y": centre.y,
        "orig_crs": "wgs84",
        "grid_id": g.id,
        "community_id": g.community_id,
        "town_id": community,
        "district_id": district,
        "status": "reported",
    }
    return int(conn.execute(insert(problem).values(**values).returning(problem.c.id)).scalar_one())


def test_a_changed_boundary_becomes_a_new_version_and_old_problems_stay_where_they_were(
    conn: Connection, city: DemoGeography, files: Path, tmp_path: Path
) -> None:
    import_city(conn, files)
    town = city.towns[0]
    grid_code = next(g.code for g in city.grids if g.code.startswith(town.code))
    problem_id = add_problem(conn, grid_code)
    old = {v.code: v for v in list_in_force(conn, Layer.TOWN)}[town.code]
    old_problem = conn.execute(select(problem).where(problem.c.id == problem_id)).one()

    stored = list_in_force(conn, Layer.TOWN)  # what the database holds, so that only one town differs
    back = write_geojson(
        tmp_path / "back.json",
        [(shapely.from_wkb(v.geometry), {"code": v.code, "name": v.name}) for v in stored],
    )

    def renamed_and_trimmed(v: Any) -> tuple[BaseGeometry, dict[str, Any]]:
        geometry = shapely.from_wkb(v.geometry)
        if v.code != town.code:
            return geometry, {"code": v.code, "name": v.name}
        x, y = shapely.get_coordinates(geometry)[0]  # a vertex on the border: cut a corner around it
        trimmed = geometry.difference(shapely.box(x - 0.0003, y - 0.0003, x + 0.0003, y + 0.0003))
        return trimmed, {"code": v.code, "name": v.name + "新"}

    path = write_geojson(tmp_path / "changed.json", [renamed_and_trimmed(v) for v in stored])
    report = run(conn, Layer.TOWN, path, valid_from=date(2026, 2, 1))

    assert report.ok, refusals(report)
    assert report.written
    changed = [f for f in report.features if f.outcome is Outcome.UPDATED]
    assert [f.code for f in changed] == [town.code]
    assert "名称" in changed[0].messages[0]
    assert "边界变化" in changed[0].messages[0]
    versions = conn.execute(
        select(admin_unit).where(admin_unit.c.code == town.code).order_by(admin_unit.c.valid_from)
    ).all()
    assert [(v.valid_from, v.valid_to) for v in versions] == [
        (date(1970, 1, 1), date(2026, 2, 1)),
        (date(2026, 2, 1), None),
    ]
    assert versions[0].id == old.id
    assert versions[0].geometry == old.geometry
    assert versions[0].name == town.name
    assert conn.execute(select(problem).where(problem.c.id == problem_id)).one() == old_problem
    children = (
        conn.execute(
            select(admin_unit.c.parent_id).where(
                admin_unit.c.level == "community", admin_unit.c.code.like(town.code + "%")
            )
        )
        .scalars()
        .all()
    )
    assert children
    assert set(children) == {versions[1].id}

    assert run(conn, Layer.TOWN, path, valid_from=date(2026, 2, 1)).counts["unchanged"] == len(city.towns)
    again = run(conn, Layer.TOWN, back, valid_from=date(2026, 2, 1))
    [(_row, code, message)] = refusals(again)
    assert code == town.code
    assert "必须晚于它" in message


# --- the command line -----------------------------------------------------------------------------


def kaoping(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KAOPING_DATABASE_URL": f"sqlite:///{database}", "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "kaoping", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_the_commands_import_datav_files_check_them_and_refuse_a_wrong_crs_with_exit_code_1(
    files: Path, tmp_path: Path
) -> None:
    database = tmp_path / "cli.db"
    datav = (
        "--code-field",
        "adcode",
        "--name-field",
        "name",
        "--parent-field",
        "parent.adcode",
        "--crs",
        "gcj02",
    )

    imported = kaoping(database, "geo", "import", "district", str(files / "district.json"), *datav, "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["counts"]["created"] == 4
    checked = kaoping(database, "geo", "check", "--json")
    assert checked.returncode == 0
    assert json.loads(checked.stdout)["ok"] is True

    wrong = kaoping(database, "geo", "import", "town", str(files / "town.json"), *datav[:-1], "bd09")
    assert wrong.returncode == 1
    assert "坐标系可能有误" in wrong.stdout
    assert "未写入任何数据" in wrong.stdout
    missing = kaoping(
        database,
        "geo",
        "import",
        "town",
        str(files / "town.json"),
        "--code-field",
        "code",
        "--name-field",
        "name",
    )
    assert missing.returncode == 1
    assert "没有字段 --code-field 'code'" in missing.stderr
