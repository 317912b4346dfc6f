"""Coordinate systems: the numpy formulas against geocoordinates-rs (the oracle), edges, bad input."""

from __future__ import annotations

from collections.abc import Callable

import geocoordinates_ffi as gc
import numpy as np
import pytest
import shapely

from kaoping.domain.errors import InvalidCoordinateError
from kaoping.domain.problems import Coordinate, CoordinateSystem
from kaoping.geo.crs import (
    UnknownCoordinateSystemError,
    coordinate_from_wgs84,
    coordinate_to_wgs84,
    from_wgs84,
    geometry_from_wgs84,
    geometry_to_wgs84,
    parse_crs,
    to_wgs84,
)

FloatArray = np.ndarray
BEIJING = (116.397428, 39.90923)  # 天安门, WGS84
TOKYO = (139.6917, 35.6895)


def points_across_china(n: int = 10_000, seed: int = 2021) -> tuple[FloatArray, FloatArray]:
    """Uniform over mainland China's bounding box, from Kashgar to Fuyuan, Sanya to Mohe."""
    rng = np.random.default_rng(seed)
    return rng.uniform(73.5, 135.0, n), rng.uniform(18.0, 53.5, n)


def points_at_the_box_edges(seed: int = 7) -> tuple[FloatArray, FloatArray]:
    """Within 0.02° either side of each edge of the out_of_china box, and exactly on it."""
    rng = np.random.default_rng(seed)

    def near(edge: float) -> FloatArray:
        return rng.uniform(edge - 0.02, edge + 0.02, 500)

    lon = np.concatenate([near(72.004), near(137.8347), rng.uniform(80, 130, 1000), [72.004, 137.8347]])
    lat = np.concatenate([rng.uniform(10, 50, 1000), near(0.8293), near(55.8271), [30.0, 30.0]])
    return lon, lat


def library(convert: Callable[..., object], kind: type, lon: FloatArray, lat: FloatArray) -> FloatArray:
    """geocoordinates-rs one point at a time, as an (n, 2) array of lon, lat."""
    out = [convert(kind(lat=float(y), lon=float(x))) for x, y in zip(lon, lat, strict=True)]
    return np.array([(p.lon, p.lat) for p in out])  # type: ignore[attr-defined]


def max_difference(label: str, ours: tuple[FloatArray, FloatArray], theirs: FloatArray) -> float:
    worst = float(np.max(np.abs(np.column_stack(ours) - theirs)))
    print(f"{label}: max difference from geocoordinates-rs {worst:.3e}°")
    return worst


def assert_near(ours: tuple[float, float], theirs: tuple[float, float], tolerance: float) -> None:
    assert abs(ours[0] - theirs[0]) < tolerance, (ours, theirs)
    assert abs(ours[1] - theirs[1]) < tolerance, (ours, theirs)


def test_wgs84_to_gcj02_matches_the_library_across_china() -> None:
    lon, lat = points_across_china()
    ours = from_wgs84(lon, lat, CoordinateSystem.GCJ02)
    assert max_difference("WGS84 → GCJ-02", ours, library(gc.wgs84_to_gcj02, gc.Wgs84, lon, lat)) < 1e-9


def test_gcj02_to_wgs84_matches_the_library_refined_inverse_across_china() -> None:
    lon, lat = points_across_china()
    ours = to_wgs84(lon, lat, "gcj02")
    theirs = library(gc.gcj02_to_wgs84_refined, gc.Gcj02, lon, lat)
    assert max_difference("GCJ-02 → WGS84", ours, theirs) < 1e-6


def test_wgs84_to_bd09_matches_the_library_across_china() -> None:
    lon, lat = points_across_china()
    ours = from_wgs84(lon, lat, "bd09")
    assert max_difference("WGS84 → BD-09", ours, library(gc.wgs84_to_bd09, gc.Wgs84, lon, lat)) < 1e-9


def test_bd09_to_wgs84_matches_the_library_refined_inverse_across_china() -> None:
    lon, lat = points_across_china()
    ours = to_wgs84(lon, lat, "bd09")
    theirs = library(gc.bd09_to_wgs84_refined, gc.Bd09, lon, lat)
    assert max_difference("BD-09 → WGS84", ours, theirs) < 1e-6


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_a_round_trip_comes_back_within_a_millimetre(crs: str) -> None:
    lon, lat = points_across_china()
    back_lon, back_lat = to_wgs84(*from_wgs84(lon, lat, crs), crs)
    worst = max(np.max(np.abs(back_lon - lon)), np.max(np.abs(back_lat - lat)))
    print(f"{crs} round trip: max error {worst:.3e}°")
    assert worst < 1e-8  # ~1 mm; the inverse iterates to 1e-9°


def test_points_at_the_edges_of_the_china_box_follow_the_library_exactly() -> None:
    lon, lat = points_at_the_box_edges()
    forward = library(gc.wgs84_to_gcj02, gc.Wgs84, lon, lat)
    inverse = library(gc.gcj02_to_wgs84_refined, gc.Gcj02, lon, lat)
    baidu = library(gc.bd09_to_wgs84_refined, gc.Bd09, lon, lat)
    assert max_difference("box edges, WGS84 → GCJ-02", from_wgs84(lon, lat, "gcj02"), forward) < 1e-9
    assert max_difference("box edges, GCJ-02 → WGS84", to_wgs84(lon, lat, "gcj02"), inverse) < 1e-6
    assert max_difference("box edges, BD-09 → WGS84", to_wgs84(lon, lat, "bd09"), baidu) < 1e-6


def test_a_point_in_tokyo_is_not_shifted_by_gcj02() -> None:
    lon, lat = from_wgs84([TOKYO[0]], [TOKYO[1]], "gcj02")
    assert (lon[0], lat[0]) == TOKYO
    assert (float(to_wgs84(lon, lat, "gcj02")[0][0]), float(to_wgs84(lon, lat, "gcj02")[1][0])) == TOKYO
    same = gc.wgs84_to_gcj02(gc.Wgs84(lat=TOKYO[1], lon=TOKYO[0]))
    assert (same.lon, same.lat) == TOKYO


def test_a_point_in_tokyo_still_gets_the_baidu_nudge_as_in_the_library() -> None:
    lon, lat = from_wgs84([TOKYO[0]], [TOKYO[1]], "bd09")
    theirs = gc.wgs84_to_bd09(gc.Wgs84(lat=TOKYO[1], lon=TOKYO[0]))
    assert_near((lon[0], lat[0]), (theirs.lon, theirs.lat), 1e-9)
    assert lon[0] != TOKYO[0]


def test_a_point_in_beijing_moves_a_few_hundred_metres_to_where_amap_shows_it() -> None:
    lon, lat = from_wgs84([BEIJING[0]], [BEIJING[1]], "gcj02")
    theirs = gc.wgs84_to_gcj02(gc.Wgs84(lat=BEIJING[1], lon=BEIJING[0]))
    assert_near((lon[0], lat[0]), (theirs.lon, theirs.lat), 1e-9)
    east_m = (lon[0] - BEIJING[0]) * 111_320 * np.cos(np.radians(BEIJING[1]))
    north_m = (lat[0] - BEIJING[1]) * 110_574
    assert 300 < np.hypot(east_m, north_m) < 800


@pytest.mark.parametrize("crs", ["wgs84", "cgcs2000"])
def test_wgs84_and_cgcs2000_pass_through_unchanged_as_new_arrays(crs: str) -> None:
    lon, lat = points_across_china(100)
    for convert in (to_wgs84, from_wgs84):
        out_lon, out_lat = convert(lon, lat, crs)
        assert np.array_equal(np.column_stack([out_lon, out_lat]), np.column_stack([lon, lat]))
        assert not np.shares_memory(out_lon, lon)


@pytest.mark.parametrize("crs", ["gcj02", "bd09", "wgs84", "cgcs2000"])
def test_nan_comes_back_as_nan_and_leaves_its_neighbours_alone(crs: str) -> None:
    lon = np.array([np.nan, BEIJING[0], BEIJING[0], np.inf])
    lat = np.array([BEIJING[1], np.nan, BEIJING[1], 30.0])
    for convert in (to_wgs84, from_wgs84):
        out_lon, out_lat = convert(lon, lat, crs)
        assert np.isnan(out_lon[0])
        assert np.isnan(out_lat[1])
        assert out_lon[3] == np.inf
        expected = convert(lon[2:3], lat[2:3], crs)
        assert (out_lon[2], out_lat[2]) == (expected[0][0], expected[1][0])


def test_the_shape_of_the_input_is_kept() -> None:
    lon, lat = points_across_china(12)
    out_lon, out_lat = to_wgs84(lon.reshape(3, 4), lat.reshape(3, 4), "gcj02")
    assert out_lon.shape == out_lat.shape == (3, 4)
    flat = to_wgs84(lon, lat, "gcj02")
    assert np.array_equal(out_lon.ravel(), flat[0])
    assert np.array_equal(out_lat.ravel(), flat[1])
    scalar = to_wgs84(BEIJING[0], BEIJING[1], "gcj02")
    assert scalar[0].shape == ()


def test_an_unknown_coordinate_system_is_refused_in_chinese() -> None:
    message = "未知坐标系 'mars', 应为 wgs84、gcj02、bd09 或 cgcs2000"
    with pytest.raises(InvalidCoordinateError, match=message):
        to_wgs84([116.4], [39.9], "mars")
    with pytest.raises(UnknownCoordinateSystemError):
        geometry_from_wgs84(shapely.Point(116.4, 39.9), "epsg:3857")


@pytest.mark.parametrize(
    ("name", "system"),
    [
        ("GCJ-02", CoordinateSystem.GCJ02),
        (" gcj02 ", CoordinateSystem.GCJ02),
        ("BD09LL", CoordinateSystem.BD09),
        ("bd-09", CoordinateSystem.BD09),
        ("EPSG:4326", CoordinateSystem.WGS84),
        ("WGS 84", CoordinateSystem.WGS84),
        ("EPSG:4490", CoordinateSystem.CGCS2000),
        ("CGCS2000", CoordinateSystem.CGCS2000),
    ],
)
def test_coordinate_systems_are_known_by_their_usual_spellings(name: str, system: CoordinateSystem) -> None:
    assert parse_crs(name) is system


def test_text_instead_of_numbers_is_an_invalid_coordinate() -> None:
    with pytest.raises(InvalidCoordinateError, match="经纬度必须是数字"):
        to_wgs84(["东经116度"], [39.9], "gcj02")


def test_a_polygon_converts_vertex_by_vertex_like_the_points() -> None:
    lon, lat = points_across_china(5)
    ring = shapely.Polygon(np.column_stack([lon, lat]))
    converted = geometry_to_wgs84(ring, "gcj02")
    expected = np.column_stack(to_wgs84(lon, lat, "gcj02"))
    assert np.array_equal(shapely.get_coordinates(converted)[:-1], expected)


def test_an_array_of_geometries_converts_in_one_call_and_round_trips() -> None:
    lon, lat = points_across_china(6)
    line = shapely.LineString(np.column_stack([lon[1:4], lat[1:4]]))
    geoms = np.array([shapely.Point(lon[0], lat[0]), line, shapely.box(116.3, 39.8, 116.5, 40.0)])
    there = geometry_from_wgs84(geoms, "bd09")
    back = geometry_to_wgs84(there, CoordinateSystem.BD09)
    assert back.shape == (3,)
    assert np.max(np.abs(shapely.get_coordinates(back) - shapely.get_coordinates(geoms))) < 1e-8
    assert not shapely.equals(there[2], geoms[2])


def test_a_wgs84_geometry_is_returned_as_is() -> None:
    point = shapely.Point(*BEIJING)
    assert geometry_to_wgs84(point, "wgs84") is point


def test_a_single_coordinate_converts_exactly_as_the_bulk_path_does() -> None:
    lon, lat = points_across_china(50)
    bulk_lon, bulk_lat = to_wgs84(lon, lat, "bd09")
    for i in range(lon.size):
        single = coordinate_to_wgs84(Coordinate(float(lon[i]), float(lat[i]), CoordinateSystem.BD09))
        assert (single.lon, single.lat, single.system) == (bulk_lon[i], bulk_lat[i], CoordinateSystem.WGS84)


def test_a_cgcs2000_coordinate_becomes_wgs84_with_the_same_numbers() -> None:
    original = Coordinate.parse("117.02", "36.66", "cgcs2000")
    assert coordinate_to_wgs84(original) == Coordinate(117.02, 36.66, CoordinateSystem.WGS84)


def test_a_coordinate_can_be_shown_on_an_amap_map_and_read_back() -> None:
    point = Coordinate(*BEIJING)
    on_amap = coordinate_from_wgs84(point, "gcj02")
    assert on_amap.system is CoordinateSystem.GCJ02
    back = coordinate_to_wgs84(on_amap)
    assert_near((back.lon, back.lat), (point.lon, point.lat), 1e-8)
