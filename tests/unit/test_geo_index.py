"""The in-memory locator: grids, borders, roads, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from kaoping.domain.errors import InvalidCoordinateError, OutsideGridError
from kaoping.domain.problems import Location
from kaoping.geo.index import GeoIndex, GridRecord, RoadRecord
from kaoping.geo.projection import LocalProjection

LON0, LAT0 = 117.0, 36.66
PROJECTION = LocalProjection(LON0, LAT0)
SIDE = 100.0  # metres


def make_square(col: int, row: int, grid_id: int, code: str) -> GridRecord:
    """A 100 m square grid (drawn in metres, stored in WGS84), column ``col`` east, row ``row`` north."""
    metric = shapely.box(col * SIDE, row * SIDE, (col + 1) * SIDE, (row + 1) * SIDE)
    community = grid_id * 10
    return GridRecord(
        grid_id, code, community, community + 1, community + 2, PROJECTION.geometry_to_wgs84(metric)
    )


def make_road(road_id: int, *metric_coords: tuple[float, float]) -> RoadRecord:
    return RoadRecord(road_id, PROJECTION.geometry_to_wgs84(shapely.LineString(metric_coords)))


def four_squares() -> list[GridRecord]:
    """A 2 × 2 block whose codes do not follow the input order: the smallest code is the north-east one."""
    return [
        make_square(0, 0, 1, "379901001001004"),
        make_square(1, 0, 2, "379901001001003"),
        make_square(0, 1, 3, "379901001001002"),
        make_square(1, 1, 4, "379901001001001"),
    ]


def wgs84(x: float, y: float) -> tuple[float, float]:
    lon, lat = PROJECTION.to_wgs84(x, y)
    return float(lon), float(lat)


def grid_at(index: GeoIndex, lon: float, lat: float) -> int:
    single = index.locate(lon, lat).grid_id
    batch = index.locate_many(np.array([lon]), np.array([lat]))
    assert batch.grid_id[0] == single
    return single


def test_a_point_inside_a_grid_gets_that_grid_and_its_units() -> None:
    index = GeoIndex(four_squares(), [], projection=PROJECTION)
    assert index.locate(*wgs84(30, 40)) == Location(1, 10, 11, 12)
    assert index.locate(*wgs84(170, 160)) == Location(4, 40, 41, 42)


def test_the_default_projection_is_centred_on_the_grids() -> None:
    index = GeoIndex(four_squares(), [])
    assert index.locate(*wgs84(130, 40)).grid_id == 2
    assert abs(index.projection.lon0 - wgs84(100, 100)[0]) < 1e-6


def test_a_point_on_a_shared_edge_goes_to_the_smallest_code() -> None:
    index = GeoIndex(four_squares(), [], projection=PROJECTION)
    # The WGS84 midpoint of the edge, not the projected midpoint: the case that round-trips badly.
    south_west, north_west = make_square(0, 0, 0, "x").geometry, make_square(0, 1, 0, "x").geometry
    edge = shapely.intersection(south_west, north_west)
    (lon_a, lat_a), (lon_b, lat_b) = edge.coords[0], edge.coords[-1]
    assert grid_at(index, (lon_a + lon_b) / 2, (lat_a + lat_b) / 2) == 3
    assert grid_at(index, *wgs84(100, 50)) == 2  # between grid 1 (…004) and grid 2 (…003)


def test_a_point_on_a_shared_corner_goes_to_the_smallest_code_whatever_the_input_order() -> None:
    corner = wgs84(100, 100)
    squares = four_squares()
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]):
        index = GeoIndex([squares[i] for i in order], [], projection=PROJECTION)
        assert grid_at(index, *corner) == 4


def test_a_point_on_an_outer_edge_still_belongs_to_its_grid() -> None:
    index = GeoIndex(four_squares(), [], projection=PROJECTION)
    assert grid_at(index, *wgs84(50, 0)) == 1


def test_a_point_outside_every_grid_is_refused_with_its_coordinates() -> None:
    index = GeoIndex(four_squares(), [], projection=PROJECTION)
    lon, lat = wgs84(500, 500)
    with pytest.raises(OutsideGridError) as caught:
        index.locate(lon, lat)
    assert f"{lon:.6f}" in str(caught.value)
    assert f"{lat:.6f}" in str(caught.value)


def test_points_outside_every_grid_are_listed_as_unassigned_in_bulk() -> None:
    index = GeoIndex(four_squares(), [], projection=PROJECTION)
    xy = [wgs84(50, 50), wgs84(500, 500), wgs84(150, 150), (LON0 + 60, LAT0), (-LON0, -LAT0)]
    batch = index.locate_many(np.array([p[0] for p in xy]), np.array([p[1] for p in xy]))
    assert batch.unassigned.tolist() == [1, 3, 4]
    assert batch.grid_id.tolist() == [1, -1, 4, -1, -1]
    assert batch.district_id.tolist() == [12, -1, 42, -1, -1]
    assert batch.location(1) is None
    assert batch.location(2) == Location(4, 40, 41, 42)


@pytest.mark.parametrize(
    ("lon", "lat"), [(float("nan"), 36.66), (117.0, float("inf")), (200.0, 36.66), (117.0, 95.0)]
)
def test_a_coordinate_that_is_not_a_finite_place_is_invalid(lon: float, lat: float) -> None:
    index = GeoIndex(four_squares(), [], projection=PROJECTION)
    with pytest.raises(InvalidCoordinateError):
        index.locate(lon, lat)
    with pytest.raises(InvalidCoordinateError, match="第 2 个点"):
        index.locate_many(np.array([117.0, lon]), np.array([36.66, lat]))


def test_text_is_not_a_coordinate() -> None:
    index = GeoIndex(four_squares(), [], projection=PROJECTION)
    with pytest.raises(InvalidCoordinateError):
        index.locate("东经117度", 36.66)  # type: ignore[arg-type]


def test_the_nearest_road_within_the_snap_distance_is_attached() -> None:
    roads = [make_road(7, (0, 120), (200, 120)), make_road(8, (0, 180), (200, 180))]
    index = GeoIndex(four_squares(), roads, road_snap_m=50.0, projection=PROJECTION)
    location = index.locate(*wgs84(50, 130))
    assert location.road_id == 7
    assert location.road_distance_m == pytest.approx(10.0, abs=0.01)
    assert index.locate(*wgs84(50, 160)).road_id == 8


def test_a_road_beyond_the_snap_distance_is_not_attached() -> None:
    index = GeoIndex(
        four_squares(), [make_road(7, (0, 120), (200, 120))], road_snap_m=50.0, projection=PROJECTION
    )
    location = index.locate(*wgs84(50, 20))
    assert location.road_id is None
    assert location.road_distance_m is None
    batch = index.locate_many(*map(np.array, zip(wgs84(50, 20), wgs84(50, 80), strict=True)))
    assert batch.road_id.tolist() == [-1, 7]
    assert np.isnan(batch.road_distance_m[0])
    assert batch.road_distance_m[1] == pytest.approx(40.0, abs=0.01)


def test_a_point_equally_near_two_roads_gets_the_lowest_road_id() -> None:
    roads = [make_road(9, (100, 100), (100, 200)), make_road(5, (100, 0), (100, 100))]
    for ordered in (roads, roads[::-1]):
        index = GeoIndex(four_squares(), ordered, projection=PROJECTION)
        assert index.locate(*wgs84(100, 100)).road_id == 5  # the junction where both sections end


def test_many_points_match_one_by_one_location() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-20, 220, 400), rng.uniform(-20, 220, 400)
    x[:20], y[:20] = np.repeat([0.0, 100.0, 200.0], 7)[:20], np.tile([0.0, 100.0, 200.0, 50.0], 5)
    lon, lat = PROJECTION.to_wgs84(x, y)
    index = GeoIndex(four_squares(), [make_road(1, (0, 100), (200, 100))], projection=PROJECTION)
    batch = index.locate_many(lon, lat)
    for i in range(x.size):
        expected = batch.location(i)
        if expected is None:
            with pytest.raises(OutsideGridError):
                index.locate(float(lon[i]), float(lat[i]))
        else:
            assert index.locate(float(lon[i]), float(lat[i])) == expected
