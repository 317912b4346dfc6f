"""Coverage of the demo city matches a direct count of the posts its people specs fill."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from kaoping.cli.main import app
from kaoping.db.coverage import SqlCoverageReader
from kaoping.db.engine import make_engine
from kaoping.demo.geography import DemoGeography, build_geography
from kaoping.demo.sizes import SIZES
from kaoping.domain.organisation import Role
from kaoping.services.coverage import UnitCoverage, coverage
from kaoping.settings import get_settings

AT = date(2025, 6, 30)
Figures = tuple[int, int, int, int, int, int]


@pytest.fixture(scope="module")
def demo_city() -> DemoGeography:
    """The same city the ``demo_url`` database holds (small, seed 2021), straight from its specs."""
    return build_geography(SIZES["small"], 2021)


@pytest.fixture
def demo_engine(demo_url: str) -> Iterator[Engine]:
    engine = make_engine(demo_url)
    yield engine
    engine.dispose()


def direct_count(city: DemoGeography) -> dict[str, Figures]:
    """Per town and district code: grids, with worker, roads, with chief, communities, with head —
    counted from the specs, with no SQL and no service code."""
    held = {role: {p.scope_code for p in city.people if p.role is role} for role in Role}
    tally: Counter[tuple[str, int]] = Counter()

    def add(town: str, index: int, filled: bool) -> None:
        for code in (town, town[:6]):  # the town and its district (GB/T 2260 codes nest)
            tally[(code, index)] += 1
            tally[(code, index + 1)] += filled

    for g in city.grids:
        add(g.community_code[:9], 0, g.code in held[Role.GRID_WORKER])
    for r in city.roads:
        add(r.town_code, 2, r.code in held[Role.ROAD_CHIEF])
    for c in city.communities:
        add(c.parent_code or "", 4, c.code in held[Role.COMMUNITY_HEAD])
    codes = [t.code for t in city.towns] + [d.code for d in city.districts]
    return {code: tuple(tally[(code, i)] for i in range(6)) for code in codes}  # type: ignore[misc]


def figures(unit: UnitCoverage) -> Figures:
    return (
        unit.grids,
        unit.grids_with_worker,
        unit.roads,
        unit.roads_with_chief,
        unit.communities,
        unit.communities_with_head,
    )


def test_every_district_and_town_figure_matches_a_direct_count(
    demo_engine: Engine, demo_city: DemoGeography
) -> None:
    report = coverage(SqlCoverageReader(demo_engine), AT)
    expected = direct_count(demo_city)
    assert [d.unit_code for d in report.districts] == sorted(d.code for d in demo_city.districts)
    assert [t.unit_code for t in report.towns] == sorted(t.code for t in demo_city.towns)
    assert {u.unit_code: figures(u) for u in [*report.districts, *report.towns]} == expected
    city_total = tuple(sum(expected[d.code][i] for d in demo_city.districts) for i in range(6))
    assert figures(report.city) == city_total
    assert city_total[0::2] == (len(demo_city.grids), len(demo_city.roads), len(demo_city.communities))


def test_the_demo_leaves_the_share_of_posts_empty_it_was_built_to(demo_engine: Engine) -> None:
    city = coverage(SqlCoverageReader(demo_engine), AT).city
    # MISSING_GRID_WORKERS, MISSING_ROAD_CHIEFS, MISSING_COMMUNITY_HEADS, rounded to whole posts
    assert city.grids - city.grids_with_worker == round(0.05 * city.grids)
    assert city.roads - city.roads_with_chief == round(0.08 * city.roads)
    assert city.communities - city.communities_with_head == round(0.03 * city.communities)


def test_the_gaps_are_exactly_the_posts_nobody_holds(demo_engine: Engine, demo_city: DemoGeography) -> None:
    gaps = coverage(SqlCoverageReader(demo_engine), AT).gaps
    held = {p.scope_code for p in demo_city.people}
    communities = {c.code: c.name for c in demo_city.communities}
    assert [(g.code, g.community_name) for g in gaps.grids_without_worker] == [
        (g.code, communities[g.community_code]) for g in demo_city.grids if g.code not in held
    ]
    assert [(r.code, r.road_name) for r in gaps.roads_without_chief] == sorted(
        (r.code, r.name) for r in demo_city.roads if r.code not in held
    )
    assert [c.code for c in gaps.communities_without_head] == sorted(
        c.code for c in demo_city.communities if c.code not in held
    )


def test_one_district_lists_its_towns_and_its_gaps_only(
    demo_engine: Engine, demo_city: DemoGeography
) -> None:
    district = demo_city.districts[1].code
    report = coverage(SqlCoverageReader(demo_engine), AT, district)
    assert [d.unit_code for d in report.districts] == [district]
    assert {t.unit_code for t in report.towns} == {
        t.code for t in demo_city.towns if t.parent_code == district
    }
    gaps = report.gaps
    gap_towns = {g.town_code for g in gaps.grids_without_worker} | {
        r.town_code for r in gaps.roads_without_chief
    }
    assert gap_towns
    assert gap_towns <= {t.unit_code for t in report.towns}


def test_before_the_city_existed_there_is_nothing_to_cover(demo_engine: Engine) -> None:
    report = coverage(SqlCoverageReader(demo_engine), date(1969, 12, 31))
    assert report.districts == []
    assert report.city.grids == 0
    assert report.city.grid_worker_share is None


def kaoping(url: str, *args: str) -> Result:
    """Run a command in this process (a subprocess costs a second of imports) against ``url``."""
    get_settings.cache_clear()  # settings are read once per process; this run has its own URL
    try:
        return CliRunner().invoke(app, list(args), env={"KAOPING_DATABASE_URL": url})
    finally:
        get_settings.cache_clear()


def test_the_coverage_command_prints_shares_per_district_and_the_gaps(demo_url: str) -> None:
    as_json = kaoping(demo_url, "org", "coverage", "--at", AT.isoformat(), "--json")
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["city"]["grid_worker_share"] == "0.9500"
    assert len(data["districts"]) == 4
    assert "gaps" not in data
    table = kaoping(demo_url, "org", "coverage", "--at", AT.isoformat())
    assert "网格员到位率" in table.stdout
    assert "95.0% (570/600)" in table.stdout
    district = data["districts"][0]["unit_code"]
    towns = kaoping(demo_url, "org", "coverage", "--district", district, "--gaps", "--json")
    assert {t["unit_code"][:6] for t in json.loads(towns.stdout)["towns"]} == {district}
    assert "grids_without_worker" in json.loads(towns.stdout)["gaps"]
    unknown = kaoping(demo_url, "org", "coverage", "--district", "379999")
    assert unknown.exit_code == 1
    assert "379999" in unknown.stderr
