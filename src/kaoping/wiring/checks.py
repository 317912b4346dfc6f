"""`kaoping geo check`: the geometry checks of ``geo.checks`` run on what is in force in the database.

People gaps (a grid without a grid worker, a road without a road chief, a community without a head)
are not geometry: they come from the coverage service (``people_gaps``), so that one report lists
everything that keeps the long-term mechanism from being in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import shapely
from sqlalchemy import Connection

from kaoping.db.boundaries import Layer, list_in_force
from kaoping.db.coverage import SqlCoverageReader
from kaoping.geo import checks
from kaoping.geo.checks import Boundaries, Finding, FindingKind, Shape, Tolerance
from kaoping.geo.projection import LocalProjection
from kaoping.services.coverage import coverage

CHECKED_LAYERS = (Layer.CITY, Layer.DISTRICT, Layer.TOWN, Layer.COMMUNITY, Layer.GRID, Layer.ROAD)


def people_gaps(conn: Connection, layers: Sequence[Layer], at: date) -> list[Finding]:
    """Posts nobody holds on ``at`` (from the coverage service), for the layers asked for."""
    gaps = coverage(SqlCoverageReader(conn), at).gaps
    vacant: list[tuple[Layer, FindingKind, str, str]] = [
        *(
            (
                Layer.GRID,
                FindingKind.GRID_WITHOUT_WORKER,
                g.code,
                f"网格 {g.code} ({g.community_name}) 没有网格员",
            )
            for g in gaps.grids_without_worker
        ),
        *(
            (
                Layer.ROAD,
                FindingKind.ROAD_WITHOUT_CHIEF,
                r.code,
                f"道路 {r.code} {r.road_name} ({r.town_name}) 没有路长",
            )
            for r in gaps.roads_without_chief
        ),
        *(
            (
                Layer.COMMUNITY,
                FindingKind.COMMUNITY_WITHOUT_HEAD,
                c.code,
                f"社区 {c.code} {c.name} ({c.town_name}) 没有社区主任",
            )
            for c in gaps.communities_without_head
        ),
    ]
    return [
        Finding(kind, layer.value, (code,), message)
        for layer, kind, code, message in vacant
        if layer in layers
    ]


@dataclass
class CheckReport:
    layers: list[str]
    tolerance_m2: float
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.kind.value] = counts.get(finding.kind.value, 0) + 1
        return counts


def check_geography(
    conn: Connection,
    layers: Sequence[Layer] | None = None,
    tolerance_m2: float = 50.0,
    people_at: date | None = None,
) -> CheckReport:
    """Check the in-force boundaries of ``layers`` (all by default) and list what is wrong; with
    ``people_at``, also the posts (grid worker, road chief, community head) nobody holds that day."""
    chosen = [layer for layer in CHECKED_LAYERS if layers is None or layer in layers]
    shapes = _Shapes(conn)
    projection = shapes.projection()
    report = CheckReport([layer.value for layer in chosen], tolerance_m2)
    for layer in chosen:
        if projection is not None:
            report.findings += _check_layer(layer, shapes, projection, tolerance_m2)
    if people_at is not None:
        report.findings += people_gaps(conn, chosen, people_at)
    return report


def _check_layer(
    layer: Layer, shapes: _Shapes, projection: LocalProjection, tolerance_m2: float
) -> list[Finding]:
    own = shapes[layer]
    findings = checks.find_invalid(own, layer.value, projection)
    if not layer.is_polygon or not own:
        return findings
    projected = shapes.projected(layer, projection)
    findings += checks.find_overlaps(projected, layer.value, projection, tolerance_m2)
    parent = layer.parent
    if parent is not None and shapes[parent]:
        parents = shapes.projected(parent, projection)
        findings += checks.find_gaps(parents, projected, layer.value, projection, tolerance_m2)
        tolerance = Tolerance(area_m2=tolerance_m2)
        findings += checks.find_outside_parent(projected, parents, layer.value, projection, tolerance)
    if layer is Layer.GRID:
        communities = shapes.projected(Layer.COMMUNITY, projection)
        findings += checks.find_grids_crossing_communities(projected, communities, projection, tolerance_m2)
    return findings


class _Shapes:
    """The in-force rows of each layer as ``Shape``s (and projected), read once, when first asked for."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._cache: dict[Layer, list[Shape]] = {}
        self._projected: dict[Layer, Boundaries] = {}

    def __getitem__(self, layer: Layer) -> list[Shape]:
        if layer not in self._cache:
            rows = list_in_force(self._conn, layer)
            geoms = shapely.from_wkb([v.geometry for v in rows])
            self._cache[layer] = [Shape(v.code, g, v.parent_code) for v, g in zip(rows, geoms, strict=True)]
        return self._cache[layer]

    def projected(self, layer: Layer, projection: LocalProjection) -> Boundaries:
        if layer not in self._projected:
            self._projected[layer] = Boundaries.project(self[layer], projection)
        return self._projected[layer]

    def projection(self) -> LocalProjection | None:
        """Centred on the city (the widest level that has rows); None for an empty database."""
        for layer in CHECKED_LAYERS:
            if self[layer]:
                xmin, ymin, xmax, ymax = shapely.total_bounds([s.geometry for s in self[layer]])
                if np.isfinite([xmin, ymin, xmax, ymax]).all():
                    return LocalProjection((xmin + xmax) / 2, (ymin + ymax) / 2)
        return None
