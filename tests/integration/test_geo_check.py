"""`geo check` on the demo city: its geometry is clean, and its people gaps are the coverage gaps."""

from __future__ import annotations

from datetime import date

from kaoping.db.coverage import SqlCoverageReader
from kaoping.db.engine import make_engine
from kaoping.geo.checks import FindingKind
from kaoping.services.coverage import coverage
from kaoping.wiring.checks import check_geography

TODAY = date(2026, 11, 30)


def test_the_demo_geometry_is_clean_and_every_vacant_post_is_listed(demo_url: str) -> None:
    engine = make_engine(demo_url)
    try:
        with engine.connect() as conn:
            report = check_geography(conn, people_at=TODAY)
            gaps = coverage(SqlCoverageReader(conn), TODAY).gaps
    finally:
        engine.dispose()
    people_kinds = {
        FindingKind.GRID_WITHOUT_WORKER,
        FindingKind.ROAD_WITHOUT_CHIEF,
        FindingKind.COMMUNITY_WITHOUT_HEAD,
    }
    assert [f for f in report.findings if f.kind not in people_kinds] == []
    listed = {(f.kind, f.codes[0]) for f in report.findings}
    assert listed == (
        {(FindingKind.GRID_WITHOUT_WORKER, g.code) for g in gaps.grids_without_worker}
        | {(FindingKind.ROAD_WITHOUT_CHIEF, r.code) for r in gaps.roads_without_chief}
        | {(FindingKind.COMMUNITY_WITHOUT_HEAD, c.code) for c in gaps.communities_without_head}
    )
    assert len(listed) == gaps.count > 0
