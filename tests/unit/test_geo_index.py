"""The in-memory locator: grids, borders, roads, bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime

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


# --- history: locating against what was in force --------------------------------------------------

MAY_1, JUNE_1, JULY_1 = date(2024, 5, 1), date(2024, 6, 1), date(2024, 7, 1)


def two_versions_of_a_grid() -> list[GridRecord]:
    """Grid …001 covers the west square until 1 June, then a new version (id 5) covers both squares;
    the east square was grid …002 until then."""
    old_west = make_square(0, 0, 1, "379901001001001")
    old_east = make_square(1, 0, 2, "379901001001002")
    new = shapely.union(make_square(0, 0, 0, "x").geometry, make_square(1, 0, 0, "x").geometry)
    return [
        GridRecord(1, old_west.code, 10, 11, 12, old_west.geometry, date(2020, 1, 1), JUNE_1),
        GridRecord(2, old_east.code, 20, 21, 22, old_east.geometry, date(2020, 1, 1), JUNE_1),
        GridRecord(5, "379901001001001", 50, 51, 52, new, valid_from=JUNE_1),
    ]


def test_a_point_is_located_in_the_grid_that_was_in_force_on_its_day() -> None:
    index = GeoIndex(two_versions_of_a_grid(), [], projection=PROJECTION)
    east = wgs84(150, 50)
    assert index.locate(*east, at=MAY_1) == Location(2, 20, 21, 22)
    assert index.locate(*east, at=JULY_1) == Location(5, 50, 51, 52)
    assert index.locate(*east, at=JUNE_1).grid_id == 5  # valid_to is exclusive, valid_from inclusive
    assert index.locate(*east).grid_id == 5  # no day: what is in force now


def test_a_point_before_every_version_lies_in_no_grid() -> None:
    index = GeoIndex(two_versions_of_a_grid(), [], projection=PROJECTION)
    with pytest.raises(OutsideGridError):
        index.locate(*wgs84(50, 50), at=date(2019, 12, 31))


def test_an_old_version_never_competes_with_the_one_that_replaced_it_on_a_border() -> None:
    index = GeoIndex(two_versions_of_a_grid(), [], projection=PROJECTION)
    border = wgs84(100, 50)  # between old …001 and old …002; inside the new …001
    assert index.locate(*border, at=MAY_1).grid_id == 1
    assert index.locate(*border, at=JULY_1).grid_id == 5


def test_each_point_of_a_batch_is_located_on_its_own_day() -> None:
    index = GeoIndex(two_versions_of_a_grid(), [], projection=PROJECTION)
    lon, lat = PROJECTION.to_wgs84(np.array([150.0, 150.0, 150.0, 50.0]), np.array([50.0, 50.0, 50.0, 50.0]))
    days = np.array(["2024-05-01", "2024-07-01", "NaT", "2019-01-01"], dtype="datetime64[D]")
    assert index.locate_many(lon, lat, at=days).grid_id.tolist() == [2, 5, 5, -1]
    as_objects = [MAY_1, datetime(2024, 7, 1, 8, tzinfo=UTC), None, date(2019, 1, 1)]
    assert index.locate_many(lon, lat, at=as_objects).grid_id.tolist() == [2, 5, 5, -1]
    assert index.locate_many(lon, lat, at=MAY_1).grid_id.tolist() == [2, 2, 2, 1]


def test_a_day_per_point_must_match_the_points() -> None:
    index = GeoIndex(two_versions_of_a_grid(), [], projection=PROJECTION)
    with pytest.raises(ValueError, match="one day per point"):
        index.locate_many(np.array([117.0, 117.0]), np.array([36.66, 36.66]), at=[MAY_1])


def test_a_road_is_attached_only_while_it_is_in_force() -> None:
    old = RoadRecord(7, make_road(7, (0, 40), (200, 40)).geometry, valid_to=JUNE_1)
    new = RoadRecord(8, make_road(8, (0, 60), (200, 60)).geometry, valid_from=JUNE_1)
    index = GeoIndex(four_squares(), [old, new], road_snap_m=50.0, projection=PROJECTION)
    point = wgs84(50, 45)
    assert index.locate(*point, at=MAY_1).road_id == 7
    assert index.locate(*point, at=JULY_1).road_id == 8
    assert index.locate(*point).road_distance_m == pytest.approx(15.0, abs=0.01)


# --- bulk and single points agree, and agree with plain shapely -----------------------------------

METRIC_SIZE = 1_000.0


def odd_grids() -> list[shapely.Geometry]:
    """East of the Voronoi square: a U, a square with a hole and a grid filling the hole, a grid in
    two parts, a zigzag whose vertices line up (rays through vertices), two overlapping grids."""
    return [
        shapely.difference(shapely.box(1100, 0, 1400, 300), shapely.box(1200, 100, 1300, 300)),
        shapely.difference(shapely.box(1100, 400, 1400, 700), shapely.box(1200, 500, 1300, 600)),
        shapely.box(1200, 500, 1300, 600),
        shapely.MultiPolygon([shapely.box(1500, 0, 1600, 100), shapely.box(1500, 200, 1600, 300)]),
        shapely.Polygon([(1100, 800), (1200, 850), (1300, 800), (1400, 850), (1400, 950), (1100, 950)]),
        shapely.box(1450, 400, 1650, 600),
        shapely.box(1550, 500, 1700, 700),
    ]


def irregular_grids(rng: np.random.Generator) -> list[GridRecord]:
    """Voronoi cells over a 1 km square and ``odd_grids``, codes shuffled so they do not follow the
    input order."""
    seeds = shapely.multipoints(rng.uniform(0, METRIC_SIZE, (120, 2)))
    frame = shapely.box(0, 0, METRIC_SIZE, METRIC_SIZE)
    voronoi = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame))
    cells = [*shapely.intersection(voronoi, frame), *odd_grids()]
    codes = rng.permutation(len(cells)) + 1
    return [
        GridRecord(i + 1, f"379901001001{codes[i]:03d}", i % 7, 100, 200, PROJECTION.geometry_to_wgs84(cell))
        for i, cell in enumerate(cells)
    ]


def winding_roads(rng: np.random.Generator) -> list[RoadRecord]:
    """Polylines of several bends, one of them in two parts, and one that doubles back on itself."""
    roads = []
    for _ in range(24):
        start = rng.uniform(0, METRIC_SIZE, 2)
        steps = rng.normal(0, 80, (int(rng.integers(2, 9)), 2))
        roads.append(shapely.LineString(np.vstack([start, start + np.cumsum(steps, axis=0)])))
    roads.append(shapely.MultiLineString([[(100, 100), (300, 120)], [(320, 130), (500, 90)]]))
    roads.append(shapely.LineString([(600, 600), (700, 650), (600, 600), (650, 500)]))
    roads.append(shapely.LineString([(1050, 380), (1450, 380), (1450, 750), (1250, 550)]))
    return [RoadRecord(i + 1, PROJECTION.geometry_to_wgs84(r)) for i, r in enumerate(roads)]


def sample_points(grids: list[GridRecord], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random points, every grid vertex and the WGS84 midpoint of every grid edge."""
    x = rng.uniform(-30, 1_730, 4_000)
    y = rng.uniform(-30, METRIC_SIZE + 30, 4_000)
    y[:200] = rng.choice([100.0, 300.0, 500.0, 800.0, 850.0, 950.0], 200)  # along edges and vertex rows
    lon_r, lat_r = PROJECTION.to_wgs84(x, y)
    corners = shapely.get_coordinates([g.geometry for g in grids])
    middles = (corners[:-1] + corners[1:]) / 2
    every = np.vstack([np.column_stack([lon_r, lat_r]), corners, middles])
    return every[:, 0], every[:, 1]


def expected_location(
    x: float, y: float, grids: list[GridRecord], metric: dict[str, np.ndarray], snap: float
) -> tuple[int, int | None, float | None]:
    """What plain shapely says: the covering grid of smallest code, the nearest road (lowest id)."""
    point = shapely.Point(x, y)
    covering = np.flatnonzero(shapely.dwithin(point, metric["grids"], 0.01))
    if covering.size == 0:
        return -1, None, None
    grid = min((grids[i].code, grids[i].id) for i in covering)[1]
    dist = shapely.distance(point, metric["roads"])
    if dist.min() > snap:
        return grid, None, None
    return grid, int(np.flatnonzero(dist == dist.min())[0]) + 1, float(dist.min())


def test_bulk_and_single_locating_agree_with_each_other_and_with_plain_shapely() -> None:
    rng = np.random.default_rng(2021)
    grids, roads = irregular_grids(rng), winding_roads(rng)
    index = GeoIndex(grids, roads, road_snap_m=60.0, projection=PROJECTION)
    metric = {
        "grids": PROJECTION.geometry_to_metric(np.array([g.geometry for g in grids])),
        "roads": PROJECTION.geometry_to_metric(np.array([r.geometry for r in roads])),
    }
    lon, lat = sample_points(grids, rng)
    batch = index.locate_many(lon, lat)
    assert batch.unassigned.size > 100  # the test tests something
    assert (batch.road_id >= 0).sum() > 1_000
    x, y = PROJECTION.to_metric(lon, lat)
    for i in range(lon.size):
        single = _single(index, float(lon[i]), float(lat[i]))
        assert single == batch.location(i)
        grid, road, dist = expected_location(float(x[i]), float(y[i]), grids, metric, 60.0)
        assert int(batch.grid_id[i]) == grid
        if grid >= 0 and road is not None:
            assert batch.road_distance_m[i] == pytest.approx(dist, abs=1e-9)
            got = shapely.distance(shapely.Point(x[i], y[i]), metric["roads"][batch.road_id[i] - 1])
            assert batch.road_id[i] == road or got == pytest.approx(dist, abs=1e-9)  # or a near tie
        elif grid >= 0:
            assert batch.road_id[i] == -1


def _single(index: GeoIndex, lon: float, lat: float) -> Location | None:
    try:
        return index.locate(lon, lat)
    except OutsideGridError:
        return None


def test_bulk_and_single_locating_agree_on_every_day() -> None:
    rng = np.random.default_rng(7)
    grids = two_versions_of_a_grid()
    index = GeoIndex(grids, [make_road(1, (0, 50), (200, 50))], projection=PROJECTION)
    lon, lat = PROJECTION.to_wgs84(*rng.uniform(-10, 210, (2, 500)))
    days = np.datetime64("2019-12-01") + rng.integers(0, 2_000, lon.size).astype("timedelta64[D]")
    batch = index.locate_many(lon, lat, at=days)
    for i in range(lon.size):
        day = days[i].astype(object)
        try:
            assert index.locate(float(lon[i]), float(lat[i]), at=day) == batch.location(i)
        except OutsideGridError:
            assert batch.location(i) is None
    assert set(batch.grid_id.tolist()) == {-1, 1, 2, 5}
