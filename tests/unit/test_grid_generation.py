"""Grid generation: communities of odd shapes split into unit grids that tile them, numbered in
reading order, with 15-digit codes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import MultiPolygon, Polygon

from kaoping.domain.errors import InvalidGridCodeError
from kaoping.domain.grid_codes import GridCode
from kaoping.geo.grids import MAX_GRIDS, SLIVER_SHARE, Polygonal, plan_grids, split_community
from kaoping.geo.projection import LocalProjection

COMMUNITY = "379901001001"
PROJECTION = LocalProjection(117.0, 36.66)


# --- shapes (metres) ------------------------------------------------------------------------------


def star(centre: tuple[float, float], radii: list[float], angles: list[float]) -> Polygon:
    """A star-shaped, usually concave polygon: one vertex per (angle, radius)."""
    order = np.argsort(angles)
    a, r = np.asarray(angles)[order], np.asarray(radii)[order]
    return Polygon(np.column_stack([centre[0] + r * np.cos(a), centre[1] + r * np.sin(a)]))


@st.composite
def stars(draw: st.DrawFn, centre: tuple[float, float] = (0.0, 0.0), scale: float = 1.0) -> Polygon:
    n = draw(st.integers(5, 16))
    outer = draw(st.floats(60, 450)) * scale
    radii = draw(st.lists(st.floats(0.25, 1.0), min_size=n, max_size=n))
    # One vertex in each of n equal sectors, never on its edges: angles strictly increase, so the
    # polygon is simple.
    jitter = draw(st.lists(st.floats(0.1, 0.9), min_size=n, max_size=n))
    angles = [2 * math.pi * (k + j) / n for k, j in enumerate(jitter)]
    return star(centre, [outer * r for r in radii], angles)


@st.composite
def with_hole(draw: st.DrawFn) -> Polygon:
    outer = draw(stars())
    inner_radius = 0.2 * min(shapely.distance(shapely.Point(0, 0), outer.exterior), 300)
    hole = draw(st.floats(0.3, 0.9)) * inner_radius
    return shapely.difference(outer, shapely.Point(0, 0).buffer(hole, quad_segs=4))


@st.composite
def strips(draw: st.DrawFn) -> Polygon:
    width, length = draw(st.floats(3, 40)), draw(st.floats(100, 1_500))
    angle = draw(st.floats(0, 180))
    strip = shapely.box(-length / 2, -width / 2, length / 2, width / 2)
    return shapely.affinity.rotate(strip, angle, origin=(0, 0))


@st.composite
def archipelagos(draw: st.DrawFn) -> MultiPolygon:
    """A main island, a second one far off and a tiny islet (smaller than a sliver) just offshore."""
    main = draw(stars())
    far = draw(stars(centre=(1_200.0, 300.0), scale=0.5))
    islet_x = main.bounds[2] + draw(st.floats(5, 50))
    islet = shapely.box(islet_x, 0, islet_x + draw(st.floats(5, 30)), draw(st.floats(5, 30)))
    return MultiPolygon([main, far, islet])


@st.composite
def communities(draw: st.DrawFn) -> Polygonal:
    # Invalid boundaries are repaired first (tested on their own below): here only valid ones.
    shape = draw(st.one_of(stars(), with_hole(), strips(), archipelagos()).filter(shapely.is_valid))
    # Whole millimetres: subnormal offsets (which hypothesis loves) trip GEOS's own overlay checks.
    dx, dy = (draw(st.integers(-5_000_000, 5_000_000)) / 1_000 for _ in range(2))
    return shapely.affinity.translate(shape, dx, dy)  # the lattice is anchored at the origin, not here


TARGETS = st.sampled_from([2_500.0, 10_000.0, 10_000.0, 40_000.0])


# --- properties -----------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(community=communities(), target=TARGETS)
def test_grids_lie_within_the_community_and_tile_it_without_overlap(
    community: Polygonal, target: float
) -> None:
    grids = split_community(community, target)
    area = shapely.area(community)
    noise = 1e-6 * area + 1e-6  # m²: floating-point overlay noise, nothing a map could show
    assert grids
    assert all(shapely.is_valid(g) and not g.is_empty for g in grids)
    assert all(shapely.area(shapely.difference(g, community)) <= noise for g in grids)
    union = shapely.union_all(grids)
    assert shapely.area(shapely.symmetric_difference(union, community)) <= noise
    assert sum(shapely.area(g) for g in grids) - shapely.area(union) <= noise  # no overlaps


@settings(max_examples=80, deadline=None)
@given(community=communities(), target=TARGETS)
def test_no_grid_is_a_sliver_unless_it_is_the_whole_community(community: Polygonal, target: float) -> None:
    grids = split_community(community, target)
    if len(grids) > 1:
        assert min(shapely.area(g) for g in grids) >= SLIVER_SHARE * target
    assert len(grids) <= shapely.area(community) / (SLIVER_SHARE * target) + 1


def test_a_rectangle_of_whole_cells_is_numbered_west_to_east_then_north_to_south() -> None:
    grids = split_community(shapely.box(0, 0, 300, 200), 10_000.0)
    centres = [(round(g.centroid.x), round(g.centroid.y)) for g in grids]
    assert centres == [(50, 150), (150, 150), (250, 150), (50, 50), (150, 50), (250, 50)]
    assert all(shapely.area(g) == pytest.approx(10_000.0) for g in grids)


def test_a_square_cut_in_two_by_a_concave_border_gives_two_grids() -> None:
    # A U-shape whose notch splits the top-middle squares: each arm keeps its own grids.
    u_shape = shapely.difference(shapely.box(0, 0, 300, 300), shapely.box(140, 100, 160, 300))
    grids = split_community(u_shape, 10_000.0)
    assert not any(g.intersects(shapely.box(141, 101, 159, 299)) for g in grids)
    assert all(isinstance(g, Polygon) for g in grids)


def test_slivers_join_the_neighbour_sharing_the_longest_border() -> None:
    # 310 × 100: the 10 m strip at the east end can only go to its western neighbour.
    grids = split_community(shapely.box(0, 0, 310, 100), 10_000.0)
    assert [round(shapely.area(g)) for g in grids] == [10_000, 10_000, 11_000]


def test_an_islet_too_small_for_a_grid_joins_the_nearest_one() -> None:
    community = MultiPolygon([shapely.box(0, 0, 200, 100), shapely.box(230, 40, 240, 50)])
    grids = split_community(community, 10_000.0)
    assert len(grids) == 2
    assert isinstance(grids[1], MultiPolygon)
    assert shapely.area(grids[1]) == pytest.approx(10_100.0)


def test_the_lattice_is_shared_by_neighbouring_communities() -> None:
    west, east = shapely.box(-250, -130, 0, 170), shapely.box(0, -130, 250, 170)
    edges = {
        round(x, 6)
        for g in split_community(west, 10_000.0) + split_community(east, 10_000.0)
        for x, _y in g.exterior.coords
    }
    assert edges <= {-250.0, -200.0, -100.0, 0.0, 100.0, 200.0, 250.0}


def test_an_invalid_boundary_is_repaired_before_splitting() -> None:
    bowtie = Polygon([(0, 0), (200, 200), (200, 0), (0, 200)])
    grids = split_community(bowtie, 10_000.0)
    assert sum(shapely.area(g) for g in grids) == pytest.approx(shapely.area(shapely.make_valid(bowtie)))


def test_a_target_area_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        split_community(shapely.box(0, 0, 100, 100), 0.0)


# --- coded plans in WGS84 -------------------------------------------------------------------------


def wgs84_box(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    return PROJECTION.geometry_to_wgs84(shapely.box(x0, y0, x1, y1))


def test_a_plan_codes_grids_from_the_community_code_in_reading_order() -> None:
    plan = plan_grids(COMMUNITY, wgs84_box(0, 0, 300, 200), projection=PROJECTION)
    assert [g.code for g in plan.grids] == [f"{COMMUNITY}{k:03d}" for k in range(1, 7)]
    assert all(GridCode.parse(g.code).community_code == COMMUNITY for g in plan.grids)
    assert [round(g.area_m2) for g in plan.grids] == [10_000] * 6
    assert plan.area_m2 == 10_000.0
    north_west = PROJECTION.geometry_to_metric(plan.grids[0].geometry).centroid
    assert (round(north_west.x), round(north_west.y)) == (50, 150)


def test_a_plan_stays_within_its_community_in_wgs84() -> None:
    community = PROJECTION.geometry_to_wgs84(
        star((30.0, -20.0), [300, 120, 280, 90, 310, 150], [0, 1, 2, 3, 4, 5])
    )
    plan = plan_grids(COMMUNITY, community)  # its own projection, centred on it
    union = shapely.union_all([g.geometry for g in plan.grids])
    # Cut in WGS84, the grids follow the stored border itself: no millimetre slivers outside it.
    assert shapely.area(shapely.symmetric_difference(union, community)) < 1e-16  # square degrees
    assert max(shapely.area(shapely.difference(g.geometry, community)) for g in plan.grids) < 1e-16
    assert sum(g.area_m2 for g in plan.grids) == pytest.approx(
        shapely.area(PROJECTION.geometry_to_metric(community)), rel=1e-4
    )


def test_a_community_too_large_for_999_grids_gets_larger_ones() -> None:
    plan = plan_grids(COMMUNITY, wgs84_box(0, 0, 4_000, 3_000), projection=PROJECTION)
    assert len(plan.grids) <= MAX_GRIDS
    assert plan.area_m2 > 10_000.0
    assert plan.grids[-1].code == f"{COMMUNITY}{len(plan.grids):03d}"


def test_a_malformed_community_code_is_refused() -> None:
    with pytest.raises(InvalidGridCodeError, match="12 位"):
        plan_grids("3799010010", wgs84_box(0, 0, 100, 100), projection=PROJECTION)
