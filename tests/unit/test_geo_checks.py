"""Geometry checks on boundaries, measured in metres: overlaps, gaps, children outside their parent,
grids crossing community borders, invalid polygons and the repairs an import may make on its own."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely import Polygon

from kaoping.geo.checks import (
    Boundaries,
    FindingKind,
    Shape,
    Tolerance,
    as_array,
    distances_from,
    find_gaps,
    find_grids_crossing_communities,
    find_invalid,
    find_outside_parent,
    find_overlaps,
    measure_outside,
    repair_polygon,
    share_outside,
)
from kaoping.geo.projection import LocalProjection

PROJECTION = LocalProjection(117.0, 36.66)


def shape(code: str, x0: float, y0: float, x1: float, y1: float, parent: str | None = None) -> Shape:
    """A rectangle given in metres east/north of the projection centre, stored in WGS84."""
    return Shape(code, PROJECTION.geometry_to_wgs84(shapely.box(x0, y0, x1, y1)), parent)


def projected(*shapes: Shape) -> Boundaries:
    return Boundaries.project(list(shapes), PROJECTION)


def in_wgs84(coords: list[tuple[float, float]]) -> Polygon:
    """A polygon from metric coordinates, written as given (shapely does not check validity)."""
    polygon: Polygon = PROJECTION.geometry_to_wgs84(Polygon(coords))
    return polygon


def test_siblings_overlapping_beyond_the_tolerance_are_named_with_the_area_and_where() -> None:
    layer = projected(shape("A", 0, 0, 100, 100), shape("B", 90, 0, 190, 100), shape("C", 190, 0, 290, 100))

    [finding] = find_overlaps(layer, "town", PROJECTION, tolerance_m2=50.0)

    assert finding.kind is FindingKind.OVERLAP
    assert finding.codes == ("A", "B")
    assert finding.area_m2 == pytest.approx(1_000.0, rel=1e-6)
    lon, lat = PROJECTION.to_wgs84([95.0], [50.0])
    assert (finding.lon, finding.lat) == pytest.approx((lon[0], lat[0]), abs=1e-6)
    assert "A 与 B 重叠 1,000 m²" in finding.message


def test_siblings_that_share_an_edge_or_overlap_below_the_tolerance_are_not_reported() -> None:
    layer = projected(
        shape("A", 0, 0, 100, 100), shape("B", 100, 0, 200, 100), shape("C", 199.8, 0, 300, 100)
    )

    assert find_overlaps(layer, "town", PROJECTION, tolerance_m2=50.0) == []


def test_a_unit_lying_wholly_inside_a_sibling_is_an_overlap() -> None:
    layer = projected(shape("A", 0, 0, 100, 100), shape("B", 10, 10, 30, 30))

    [finding] = find_overlaps(layer, "grid", PROJECTION, tolerance_m2=50.0)

    assert finding.codes == ("A", "B")
    assert finding.area_m2 == pytest.approx(400.0, rel=1e-6)


def test_each_gap_inside_a_parent_is_reported_with_its_area_centroid_and_neighbours() -> None:
    parent = projected(shape("P", 0, 0, 500, 100))
    children = projected(
        shape("A", 0, 0, 100, 100, "P"),
        shape("B", 200, 0, 300, 100, "P"),
        shape("C", 300.1, 0, 500, 100, "P"),
    )

    findings = find_gaps(parent, children, "town", PROJECTION, tolerance_m2=50.0)

    [gap] = findings  # the 0.1 m sliver (10 m²) is below the tolerance
    assert gap.kind is FindingKind.GAP
    assert gap.codes == ("P", "A", "B")
    assert gap.area_m2 == pytest.approx(10_000.0, rel=1e-6)
    lon, lat = PROJECTION.to_wgs84([150.0], [50.0])
    assert (gap.lon, gap.lat) == pytest.approx((lon[0], lat[0]), abs=1e-6)
    assert "P 内有 10,000 m² 未被下级覆盖, 邻接 A、B" in gap.message


def test_a_parent_with_no_children_at_all_is_one_gap() -> None:
    parents = projected(shape("P", 0, 0, 100, 100), shape("Q", 100, 0, 200, 100))
    children = projected(shape("A", 0, 0, 100, 100, "P"))

    [gap] = find_gaps(parents, children, "town", PROJECTION, tolerance_m2=50.0)

    assert gap.codes[0] == "Q"
    assert gap.area_m2 == pytest.approx(10_000.0, rel=1e-6)


def test_a_child_reaching_outside_its_parent_beyond_one_percent_is_reported_naming_both() -> None:
    parents = projected(shape("P", 0, 0, 1_000, 1_000))
    children = projected(
        shape("A", -20, 0, 980, 100, "P"),  # 2,000 m² of 100,000 outside: 2 %
        shape("B", -5, 100, 995, 200, "P"),  # 500 m²: 0.5 %, tolerated
    )

    [finding] = find_outside_parent(children, parents, "town", PROJECTION, Tolerance())

    assert finding.kind is FindingKind.OUTSIDE_PARENT
    assert finding.codes == ("A", "P")
    assert finding.area_m2 == pytest.approx(2_000.0, rel=1e-6)
    assert "A 不在上级 P 内: 有 2,000 m² (2.0%) 在其外" in finding.message


def test_the_tolerance_is_one_percent_of_the_child_or_fifty_square_metres_whichever_is_larger() -> None:
    allowed = Tolerance().allowed(np.array([1_000.0, 5_000.0, 10_000.0, 1_000_000.0]))

    assert allowed.tolist() == [50.0, 50.0, 100.0, 10_000.0]


def test_a_grid_reaching_into_a_neighbouring_community_is_reported_with_that_community() -> None:
    communities = projected(shape("C1", 0, 0, 100, 100), shape("C2", 100, 0, 200, 100))
    grids = projected(
        shape("C1-001", 0, 0, 50, 100, "C1"),
        shape("C1-002", 50, 0, 110, 100, "C1"),  # 10 m × 100 m into C2
        shape("C2-001", 100, 0, 200, 100, "C2"),
    )

    [finding] = find_grids_crossing_communities(grids, communities, PROJECTION, tolerance_m2=50.0)

    assert finding.kind is FindingKind.GRID_CROSSES_COMMUNITY
    assert finding.codes == ("C1-002", "C2")
    assert finding.area_m2 == pytest.approx(1_000.0, rel=1e-6)


def test_an_invalid_polygon_is_reported_with_shapelys_reason_and_whether_it_can_be_repaired() -> None:
    bow_tie = in_wgs84([(0, 0), (100, 100), (100, 0), (0, 100), (0, 0)])
    shapes = [shape("OK", 0, 0, 10, 10), Shape("BAD", bow_tie)]

    [finding] = find_invalid(shapes, "community", PROJECTION)

    assert finding.kind is FindingKind.INVALID
    assert finding.codes == ("BAD",)
    assert "Self-intersection" in finding.message
    assert "无法安全自动修复" in finding.message


def test_a_valid_polygon_is_kept_as_it_is() -> None:
    square = shape("A", 0, 0, 100, 100).geometry

    repair = repair_polygon(square, PROJECTION)

    assert repair.geometry is square
    assert not repair.repaired


def test_a_ring_touching_itself_is_repaired_because_its_area_does_not_change() -> None:
    # The ring visits (50, 100) twice, enclosing a triangle turned the other way: an inverted hole.
    pinched = in_wgs84(
        [(0, 0), (100, 0), (100, 100), (50, 100), (60, 60), (40, 60), (50, 100), (0, 100), (0, 0)]
    )

    repair = repair_polygon(pinched, PROJECTION)

    assert repair.repaired
    assert repair.reason is not None
    assert repair.reason.startswith("Ring Self-intersection")
    assert repair.change < 1e-9
    assert repair.geometry is not None
    assert repair.geometry.is_valid


def test_a_bow_tie_is_refused_because_repairing_it_would_change_its_area() -> None:
    bow_tie = in_wgs84([(0, 0), (100, 100), (100, 0), (0, 100), (0, 0)])

    repair = repair_polygon(bow_tie, PROJECTION)

    assert repair.geometry is None
    assert repair.reason is not None
    assert repair.reason.startswith("Self-intersection")
    assert repair.change > 0.001


def test_what_lies_outside_a_reference_is_measured_in_square_metres_or_metres() -> None:
    city = shapely.box(0, 0, 1_000, 1_000)
    geoms = as_array([shapely.box(900, 0, 1_100, 100), shapely.LineString([(500, 500), (1_500, 500)])])

    assert measure_outside(geoms, city).tolist() == pytest.approx([10_000.0, 500.0])
    assert share_outside(geoms[:1], city) == pytest.approx(0.5)
    assert distances_from(as_array([shapely.box(6_000, 0, 6_100, 100)]), city).tolist() == [5_000.0]
