"""`kaoping geo grid` on each engine: a small city whose layer lacks the grids of two communities gets
them generated — valid, unique codes that tile the community — and points in them locate there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import numpy as np
import pytest
import shapely
from sqlalchemy import Connection, Engine, delete, func, select
from typer.testing import CliRunner

from kaoping.cli.main import app
from kaoping.db import migrate, reference
from kaoping.db.engine import make_engine
from kaoping.db.tables import admin_unit, grid
from kaoping.demo.geography import DemoGeography, build_geography
from kaoping.demo.sizes import SIZES
from kaoping.domain.errors import KaopingError, NotFoundError
from kaoping.domain.grid_codes import GridCode
from kaoping.geo.projection import LocalProjection
from kaoping.settings import get_settings
from kaoping.wiring import load_index
from kaoping.wiring.grids import GridOutcome, GridRequest, GridSelection, generate_grids
from tests.conftest import drop_database, new_database_url

TODAY = date(2026, 3, 1)
BARE = (5, 17)  # indexes of the two communities whose grids the city's layer lacks


@pytest.fixture(scope="module")
def geography() -> DemoGeography:
    return build_geography(SIZES["small"], 2021)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def city(
    request: pytest.FixtureRequest, geography: DemoGeography, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The small demo city's units, roads and grids — but none for the communities in ``BARE``."""
    if request.param == "postgresql":
        request.getfixturevalue("pg_url")  # skips (or fails in CI) without a server
    url = new_database_url(request.param, tmp_path_factory.mktemp("grids"))
    engine = make_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        save_city_without_some_grids(conn, geography)
    yield engine
    engine.dispose()
    drop_database(url)


def save_city_without_some_grids(conn: Connection, geo: DemoGeography) -> None:
    bare = {geo.communities[i].code for i in BARE}
    reference.save_groups(conn, [(g.code, g.name) for g in geo.groups])
    units = [geo.city, *geo.districts, *geo.towns, *geo.communities]
    reference.save_units(
        conn,
        [
            {**vars(u), "geometry": shapely.to_wkb(u.geometry), "kind": str(u.kind), "level": u.level}
            for u in units
        ],
    )
    reference.save_grids(
        conn,
        [
            {
                "code": g.code,
                "community_code": g.community_code,
                "area_m2": g.area_m2,
                "geometry": g.geometry.wkb,
            }
            for g in geo.grids
            if g.community_code not in bare
        ],
    )
    reference.save_roads(conn, [{**vars(r), "geometry": r.geometry.wkb} for r in geo.roads])


@pytest.fixture
def conn(city: Engine) -> Iterator[Connection]:
    """A connection in a transaction rolled back after the test."""
    with city.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


def request_for(*codes: str, town: str | None = None, **changes: object) -> GridRequest:
    return GridRequest(GridSelection(codes, town), today=TODAY, **changes)  # type: ignore[arg-type]


def bare_codes(geo: DemoGeography) -> list[str]:
    return [geo.communities[i].code for i in BARE]


def grids_of(conn: Connection, community_code: str, *, in_force: bool = True) -> list[tuple[int, str, bytes]]:
    stmt = (
        select(grid.c.id, grid.c.code, grid.c.geometry)
        .join(admin_unit, admin_unit.c.id == grid.c.community_id)
        .where(admin_unit.c.code == community_code)
        .order_by(grid.c.code)
    )
    if in_force:
        stmt = stmt.where(grid.c.valid_to.is_(None))
    return [tuple(row) for row in conn.execute(stmt)]  # type: ignore[misc]


def points_inside(boundary: shapely.Geometry, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random WGS84 points inside ``boundary``, at least ~1 m from its edge."""
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = boundary.bounds
    lon, lat = rng.uniform(xmin, xmax, 20 * n), rng.uniform(ymin, ymax, 20 * n)
    inside = shapely.contains_xy(shapely.buffer(boundary, -1e-5), lon, lat)
    return lon[inside][:n], lat[inside][:n]


def test_communities_without_grids_get_grids_with_valid_unique_codes(
    conn: Connection, geography: DemoGeography
) -> None:
    results = generate_grids(conn, request_for())
    outcomes = {r.code: r.outcome for r in results}
    assert {c for c, o in outcomes.items() if o is GridOutcome.GENERATED} == set(bare_codes(geography))
    assert sum(o is GridOutcome.KEPT for o in outcomes.values()) == len(geography.communities) - 2
    codes = conn.execute(select(grid.c.code)).scalars().all()
    assert len(codes) == len(set(codes))
    for community_code in bare_codes(geography):
        generated = [code for _id, code, _geometry in grids_of(conn, community_code)]
        assert [GridCode.parse(c).community_code for c in generated] == [community_code] * len(generated)
        assert [int(c[12:]) for c in generated] == list(range(1, len(generated) + 1))


def test_generated_grids_tile_their_community_and_start_with_it(
    conn: Connection, geography: DemoGeography
) -> None:
    generate_grids(conn, request_for(*bare_codes(geography)))
    projection = LocalProjection(*geography.center)
    for i in BARE:
        community = geography.communities[i]
        grids = [shapely.from_wkb(wkb) for _id, _code, wkb in grids_of(conn, community.code)]
        metric = projection.geometry_to_metric(np.array([community.geometry, *grids]))
        union = shapely.union_all(metric[1:])
        assert shapely.area(shapely.symmetric_difference(union, metric[0])) < 0.01  # m²
        assert sum(shapely.area(metric[1:])) == pytest.approx(community.area_m2, abs=0.01)
    generated = grid.join(admin_unit, admin_unit.c.id == grid.c.community_id)
    starts = (
        select(grid.c.valid_from).select_from(generated).where(admin_unit.c.code.in_(bare_codes(geography)))
    )
    assert set(conn.execute(starts).scalars()) == {date(1970, 1, 1)}  # starts with the community itself


def test_points_in_generated_grids_locate_to_their_community(
    conn: Connection, geography: DemoGeography
) -> None:
    generate_grids(conn, request_for())
    index = load_index(conn, road_snap_m=50.0)
    units = dict(conn.execute(select(admin_unit.c.code, admin_unit.c.id)).all())
    for seed, i in enumerate(BARE):
        community = geography.communities[i]
        lon, lat = points_inside(community.geometry, 300, seed)
        batch = index.locate_many(lon, lat)
        assert batch.unassigned.size == 0
        assert set(batch.community_id.tolist()) == {units[community.code]}
        assert set(batch.town_id.tolist()) == {units[community.parent_code]}
        assert set(batch.grid_id.tolist()) <= {g for g, _code, _wkb in grids_of(conn, community.code)}


def test_generating_again_changes_nothing(conn: Connection) -> None:
    generate_grids(conn, request_for())
    before = conn.execute(select(func.count()).select_from(grid)).scalar_one()
    again = generate_grids(conn, request_for())
    assert {r.outcome for r in again} == {GridOutcome.KEPT}
    assert conn.execute(select(func.count()).select_from(grid)).scalar_one() == before


def test_a_community_with_grids_is_refused_unless_replaced(
    conn: Connection, geography: DemoGeography
) -> None:
    community = geography.communities[0]
    old = grids_of(conn, community.code)
    with pytest.raises(KaopingError, match="--replace"):
        generate_grids(conn, request_for(community.code))
    assert grids_of(conn, community.code) == old
    [result] = generate_grids(conn, request_for(community.code, replace=True, area_m2=5_000.0))
    assert (result.outcome, result.closed, result.valid_from) == (GridOutcome.REPLACED, len(old), TODAY)
    closed = conn.execute(select(grid.c.valid_to).where(grid.c.id.in_([g for g, _c, _w in old])))
    assert set(closed.scalars()) == {TODAY}
    assert len(grids_of(conn, community.code)) == result.grids > len(old)  # smaller grids, more of them


def test_a_replaced_grid_still_locates_points_seen_before_the_replacement(
    conn: Connection, geography: DemoGeography
) -> None:
    community = geography.communities[0]
    old = {g for g, _code, _wkb in grids_of(conn, community.code)}
    generate_grids(conn, request_for(community.code, replace=True, valid_from=date(2026, 1, 1)))
    new = {g for g, _code, _wkb in grids_of(conn, community.code)}
    index = load_index(conn, road_snap_m=50.0, include_history=True)
    lon, lat = points_inside(community.geometry, 50, 3)
    assert set(index.locate_many(lon, lat, at=date(2025, 12, 31)).grid_id.tolist()) <= old
    assert set(index.locate_many(lon, lat, at=date(2026, 1, 1)).grid_id.tolist()) <= new
    assert set(index.locate_many(lon, lat).grid_id.tolist()) <= new
    current = load_index(conn, road_snap_m=50.0)
    assert current.grid_count == index.grid_count - len(old)


def test_a_replacement_cannot_start_before_the_grids_it_replaces(
    conn: Connection, geography: DemoGeography
) -> None:
    with pytest.raises(KaopingError, match="必须晚于"):
        generate_grids(
            conn, request_for(geography.communities[0].code, replace=True, valid_from=date(1970, 1, 1))
        )


def test_unknown_communities_and_towns_are_named(conn: Connection) -> None:
    with pytest.raises(NotFoundError, match="379999999999"):
        generate_grids(conn, request_for("379999999999"))
    with pytest.raises(NotFoundError, match="379999999"):
        generate_grids(conn, request_for(town="379999999"))


def test_the_command_generates_in_one_transaction_and_reports_json(
    city: Engine, geography: DemoGeography, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAOPING_DATABASE_URL", city.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    with city.connect() as conn:
        last = conn.execute(select(func.max(grid.c.id))).scalar_one()
    try:
        result = CliRunner().invoke(app, ["geo", "grid", "--all", "--json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert report["counts"]["generated"] == 2
        generated = [c for c in report["communities"] if c["outcome"] == "generated"]
        assert report["counts"]["grids"] == sum(c["grids"] for c in generated) > 0
        refused = CliRunner().invoke(app, ["geo", "grid", "--community", bare_codes(geography)[0]])
        assert refused.exit_code == 1
        assert "已有" in refused.output
        assert CliRunner().invoke(app, ["geo", "grid"]).exit_code == 1  # no selection
    finally:
        get_settings.cache_clear()
        with city.begin() as conn:  # leave the module's city as it was
            conn.execute(delete(grid).where(grid.c.id > last))
