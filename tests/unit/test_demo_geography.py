"""The synthetic demo city: sizes, codes, nesting, roads, people and determinism."""

from __future__ import annotations

import collections
from collections.abc import Sequence
from functools import cache

import numpy as np
import pytest
import shapely

from kaoping.demo.geography import (
    CELL_M,
    DEPARTMENT_FIELDS,
    DemoGeography,
    UnitSpec,
    build_geography,
)
from kaoping.demo.names import DEPARTMENT_NAMES
from kaoping.demo.sizes import SIZES
from kaoping.domain.grid_codes import GridCode, reading_order
from kaoping.domain.organisation import Role, UnitKind
from kaoping.geo.index import GeoIndex, GridRecord, RoadRecord

SMALL = SIZES["small"]


@cache
def small_city(seed: int = 7) -> DemoGeography:
    return build_geography(SMALL, seed)


def metric(geo: DemoGeography, geom: shapely.Geometry) -> shapely.Geometry:
    return geo.projection.geometry_to_metric(geom)


def fingerprint(geo: DemoGeography) -> list[tuple[str, str, bytes]]:
    units: Sequence[UnitSpec] = [geo.city, *geo.districts, *geo.towns, *geo.communities]
    rows = [(u.code, u.name, shapely.to_wkb(u.geometry)) for u in units]
    rows += [(g.code, g.community_code, shapely.to_wkb(g.geometry)) for g in geo.grids]
    rows += [(r.code, r.name, shapely.to_wkb(r.geometry)) for r in geo.roads]
    rows += [(p.scope_code, p.name, p.role.encode()) for p in geo.people]
    return rows


def test_the_small_city_lands_near_its_size_targets() -> None:
    geo = small_city()
    assert len(geo.districts) == SMALL.districts
    assert len(geo.towns) == SMALL.towns
    assert len(geo.communities) == SMALL.communities
    assert abs(len(geo.grids) - SMALL.grids) <= SMALL.grids * 0.02
    assert abs(len(geo.roads) - SMALL.roads) <= SMALL.roads * 0.1
    assert len(geo.departments) >= SMALL.departments


def test_every_grid_code_is_valid_unique_and_prefixed_by_its_community() -> None:
    geo = small_city()
    communities = {c.code for c in geo.communities}
    codes = [g.code for g in geo.grids]
    assert len(set(codes)) == len(codes)
    for grid in geo.grids:
        assert GridCode.parse(grid.code).community_code == grid.community_code
        assert grid.community_code in communities
        assert grid.area_m2 == pytest.approx(CELL_M**2)


def test_grids_are_numbered_in_reading_order_inside_a_community() -> None:
    geo = small_city()
    by_community = collections.defaultdict(list)
    for grid in geo.grids:
        by_community[grid.community_code].append(grid)
    for grids in by_community.values():
        grids.sort(key=lambda g: g.code)
        assert [int(g.code[12:]) for g in grids] == list(range(1, len(grids) + 1))
        centres = [metric(geo, g.geometry).centroid for g in grids]
        assert reading_order([(c.x, c.y) for c in centres], CELL_M) == list(range(len(grids)))


def test_codes_follow_the_administrative_numbering() -> None:
    geo = small_city()
    assert all(len(d.code) == 6 and d.code.startswith("3799") for d in geo.districts)
    for town in geo.towns:
        assert len(town.code) == 9
        assert town.code.startswith(town.parent_code or "-")
        seq = int(town.code[6:])
        assert (1 <= seq <= 99) if town.kind is UnitKind.STREET else (100 <= seq <= 199)
    for community in geo.communities:
        assert len(community.code) == 12
        assert community.code.startswith(community.parent_code or "-")
        seq = int(community.code[9:])
        assert (1 <= seq <= 199) if community.kind is UnitKind.COMMUNITY else (200 <= seq <= 399)


def test_children_lie_inside_their_parents() -> None:
    geo = small_city()
    parents = {u.code: u for u in [geo.city, *geo.districts, *geo.towns]}
    for child in [*geo.districts, *geo.towns, *geo.communities]:
        parent = parents[child.parent_code or ""]
        outside = shapely.difference(metric(geo, child.geometry), metric(geo, parent.geometry))
        assert outside.area < 0.01, (child.code, outside.area)
    grid_parents = {c.code: c for c in geo.communities}
    for grid in geo.grids[::7]:
        outside = shapely.difference(grid.geometry, grid_parents[grid.community_code].geometry)
        assert metric(geo, outside).area < 0.01


def test_siblings_do_not_overlap_and_fill_their_parent() -> None:
    geo = small_city()
    for level, parents in (
        (geo.districts, [geo.city]),
        (geo.towns, geo.districts),
        (geo.communities, geo.towns),
    ):
        geoms = np.array([metric(geo, u.geometry) for u in level])
        tree = shapely.STRtree(geoms)
        a, b = tree.query(geoms, predicate="intersects")
        pairs = a < b
        assert shapely.area(shapely.intersection(geoms[a[pairs]], geoms[b[pairs]])).max() < 0.01
        for parent in parents:
            children = sum(u.area_m2 for u in level if u.parent_code == parent.code)
            assert children == pytest.approx(parent.area_m2)
            assert metric(geo, parent.geometry).area == pytest.approx(parent.area_m2, rel=1e-6)


def test_unit_polygons_are_valid_single_pieces() -> None:
    geo = small_city()
    for unit in [geo.city, *geo.districts, *geo.towns, *geo.communities]:
        assert unit.geometry.geom_type == "Polygon"
        assert unit.geometry.is_valid


def test_names_are_unique_within_their_parent() -> None:
    geo = small_city()
    for level in (geo.districts, geo.towns, geo.communities):
        keys = [(u.parent_code, u.name) for u in level]
        assert len(set(keys)) == len(keys)
    assert len({r.name for r in geo.roads}) == len(geo.roads)
    assert geo.city.name == "青川市"
    assert any(d.name == "市中区" for d in geo.districts)
    assert all(t.name.endswith("街道" if t.kind is UnitKind.STREET else "镇") for t in geo.towns)


def test_groups_put_central_districts_first_and_hold_at_least_two_each() -> None:
    geo = small_city()
    assert [(g.code, g.name) for g in geo.groups] == [("group1", "第一组"), ("group2", "第二组")]
    members = collections.Counter(d.group_code for d in geo.districts)
    assert set(members) == {"group1", "group2"}
    assert min(members.values()) >= 2
    assert next(d for d in geo.districts if d.name == "市中区").group_code == "group1"
    assert any(d.kind is UnitKind.COUNTY and d.group_code == "group2" for d in geo.districts)


def test_roads_lie_on_cell_edges_inside_the_city_and_belong_to_the_town_at_their_middle() -> None:
    geo = small_city()
    towns = {t.code: metric(geo, t.geometry) for t in geo.towns}
    city = metric(geo, geo.city.geometry)
    for road in geo.roads:
        line = metric(geo, road.geometry)
        assert line.length == pytest.approx(road.length_m, abs=0.01)
        assert road.length_m % CELL_M == pytest.approx(0, abs=1e-6)
        assert city.buffer(0.01).covers(line)
        assert towns[road.town_code].distance(line.interpolate(0.5, normalized=True)) < 0.01
    assert {r.tier.value for r in geo.roads} == {"city", "district_1", "district_2"}


def test_departments_use_the_shared_field_codes_and_cover_every_field() -> None:
    geo = small_city()
    assert set(DEPARTMENT_NAMES) == set(DEPARTMENT_FIELDS)
    city_level = [d for d in geo.departments if d.district_code is None]
    assert sorted(d.field for d in city_level) == sorted(DEPARTMENT_FIELDS)
    assert all(d.field in DEPARTMENT_FIELDS for d in geo.departments)
    assert len({d.code for d in geo.departments}) == len(geo.departments)
    big = build_geography(SIZES["city"], 1)
    assert len(big.departments) == SIZES["city"].departments
    assert {d.district_code for d in big.departments if d.district_code} <= {d.code for d in big.districts}


def test_some_posts_are_deliberately_left_empty() -> None:
    geo = small_city()
    holders = collections.Counter(p.role for p in geo.people)
    assert 0.93 <= holders[Role.GRID_WORKER] / len(geo.grids) <= 0.97
    assert 0.89 <= holders[Role.ROAD_CHIEF] / len(geo.roads) <= 0.95
    assert 0.95 <= holders[Role.COMMUNITY_HEAD] / len(geo.communities) < 1.0
    assert holders[Role.TOWN_LEAD] == len(geo.towns)
    assert holders[Role.DEPARTMENT_CONTACT] == len(geo.departments)
    assert all(p.name and len(p.name) in (2, 3) for p in geo.people)


def test_districts_differ_in_quality_and_a_few_towns_are_hot_spots() -> None:
    geo = small_city()
    assert set(geo.quality) == {d.code for d in geo.districts}
    assert all(0.6 <= q <= 1.4 for q in geo.quality.values())
    assert len(set(geo.quality.values())) == len(geo.quality)
    assert 1 <= len(geo.hot_spot_towns) < len(geo.towns) / 2
    assert set(geo.hot_spot_towns) <= {t.code for t in geo.towns}


def test_the_same_seed_builds_the_same_city() -> None:
    assert fingerprint(build_geography(SMALL, 7)) == fingerprint(small_city(7))


def test_another_seed_builds_another_city() -> None:
    other = build_geography(SMALL, 8)
    assert [g.geometry.wkb for g in other.grids] != [g.geometry.wkb for g in small_city().grids]
    assert [t.name for t in other.towns] != [t.name for t in small_city().towns]


def test_the_index_puts_every_grid_centre_back_in_its_own_grid() -> None:
    geo = small_city()
    communities = {c.code: i for i, c in enumerate(geo.communities)}
    towns = {t.code: i for i, t in enumerate(geo.towns)}
    records = [
        GridRecord(i, g.code, communities[g.community_code], towns[g.community_code[:9]], 0, g.geometry)
        for i, g in enumerate(geo.grids)
    ]
    index = GeoIndex(records, [RoadRecord(i, r.geometry) for i, r in enumerate(geo.roads)])
    centres = shapely.centroid(np.array([g.geometry for g in geo.grids]))
    batch = index.locate_many(shapely.get_x(centres), shapely.get_y(centres))
    assert batch.grid_id.tolist() == list(range(len(geo.grids)))
    assert batch.unassigned.size == 0
    assert (batch.road_id >= 0).mean() > 0.5  # most grid centres sit within 50 m of a street
