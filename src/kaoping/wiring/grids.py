"""Generating unit grids for communities that have none: boundaries in force → ``geo.grids`` → new
grid versions.

A community with grids in force — imported from the city's own grid layer, or generated before —
keeps them and their codes; only ``replace`` closes them (``valid_to``) and starts new ones, and even
then problems already located keep the grid ids stored on them.

When new grids start (``valid_from``), unless the caller says: for a community that never had grids,
the day the community itself started; for one whose grids were all closed, the day the last of them
ended (the new grids take over seamlessly); for a replacement, ``today``.

All communities are split with one projection centred on every community in force (rounded to
0.01°, so it stays put when a boundary moves a little): the lattices of neighbouring communities line
up, and generating one community later gives the same grids as generating all of them at once.

The caller owns the transaction (``with engine.begin() as conn``); any refusal raises before anything
is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import shapely
from sqlalchemy import Connection

from kaoping.db import boundaries as store
from kaoping.db import reference
from kaoping.db.boundaries import Layer, Version
from kaoping.db.reference import GridRow
from kaoping.domain.errors import KaopingError, NotFoundError
from kaoping.geo.grids import DEFAULT_AREA_M2, GridPlan, plan_grids
from kaoping.geo.projection import LocalProjection

CENTRE_STEP_DEG = 0.01


class GridOutcome(StrEnum):
    GENERATED = "generated"  # 已生成
    REPLACED = "replaced"  # 已重新划分 (旧网格已关闭)
    KEPT = "kept"  # 已有网格, 未改动
    NO_BOUNDARY = "no_boundary"  # 无边界, 无法生成


@dataclass(frozen=True)
class GridSelection:
    """Which communities: the named ones, those of one town/street, or (neither) all in force."""

    community_codes: Sequence[str] = ()
    town_code: str | None = None

    @property
    def is_named(self) -> bool:
        return bool(self.community_codes)


@dataclass(frozen=True)
class GridRequest:
    selection: GridSelection
    today: date  # the business day, for a replacement without ``valid_from``
    area_m2: float = DEFAULT_AREA_M2
    valid_from: date | None = None
    replace: bool = False


@dataclass(frozen=True)
class CommunityGrids:
    """What happened to one community."""

    code: str
    name: str
    outcome: GridOutcome
    grids: int  # grids in force afterwards
    closed: int = 0  # old grids closed by a replacement
    area_m2: float | None = None  # target area used (larger than asked for a very large community)
    valid_from: date | None = None


def generate_grids(conn: Connection, request: GridRequest) -> list[CommunityGrids]:
    """Generate grids for the selected communities that have none in force (or all, with ``replace``)."""
    communities = store.list_in_force(conn, Layer.COMMUNITY)
    existing = _Existing.of(reference.list_grid_rows(conn, include_history=True))
    projection = _city_projection(communities)
    results, rows, closing = [], [], {}
    for community in _select(communities, request.selection):
        in_force = existing.in_force.get(community.id, [])
        result = _refusal(community, in_force, request)
        if result is None:
            versions = existing.by_prefix.get(community.code, [])
            valid_from = _valid_from(community, in_force, versions, request)
            plan = plan_grids(
                community.code, shapely.from_wkb(community.geometry), request.area_m2, projection
            )
            _check_codes_free(plan, valid_from, versions)
            rows += _rows(plan, community, valid_from)
            closing.update({g.id: valid_from for g in in_force})
            result = _generated(community, plan, len(in_force), valid_from)
        results.append(result)
    store.close_versions(conn, Layer.GRID, closing)
    store.insert_versions(conn, Layer.GRID, rows)
    return results


@dataclass(frozen=True)
class _Existing:
    """The grids already stored: those in force by community id; every version by the community code
    its own code starts with (15-digit codes begin with their community's 12), which is what a new
    grid's code could clash with."""

    in_force: dict[int, list[GridRow]]
    by_prefix: dict[str, list[GridRow]]

    @classmethod
    def of(cls, rows: list[GridRow]) -> _Existing:
        in_force: defaultdict[int, list[GridRow]] = defaultdict(list)
        by_prefix: defaultdict[str, list[GridRow]] = defaultdict(list)
        for row in rows:
            by_prefix[row.code[:12]].append(row)
            if row.valid_to is None:
                in_force[row.community_id].append(row)
        return cls(dict(in_force), dict(by_prefix))


def _generated(community: Version, plan: GridPlan, closed: int, valid_from: date) -> CommunityGrids:
    outcome = GridOutcome.REPLACED if closed else GridOutcome.GENERATED
    return CommunityGrids(
        community.code, community.name, outcome, len(plan.grids), closed, plan.area_m2, valid_from
    )


def _select(communities: list[Version], selection: GridSelection) -> list[Version]:
    """The communities asked for, refusing codes that name no community in force."""
    if selection.is_named:
        by_code = {c.code: c for c in communities}
        missing = [code for code in selection.community_codes if code not in by_code]
        if missing:
            raise NotFoundError("现行社区", ", ".join(missing))
        return [by_code[code] for code in dict.fromkeys(selection.community_codes)]
    if selection.town_code is not None:
        chosen = [c for c in communities if c.parent_code == selection.town_code]
        if not chosen:
            raise NotFoundError("镇街 (或其下的现行社区)", selection.town_code)
        return chosen
    return communities


def _refusal(community: Version, in_force: list[GridRow], request: GridRequest) -> CommunityGrids | None:
    """Why this community is left alone, or None when grids are to be generated for it."""
    if not community.geometry:
        if request.selection.is_named:
            raise KaopingError(
                f"社区 {community.code} {community.name} 没有边界, 无法生成网格; 请先导入社区边界"
            )
        return CommunityGrids(community.code, community.name, GridOutcome.NO_BOUNDARY, len(in_force))
    if in_force and not request.replace:
        if request.selection.is_named:
            raise KaopingError(
                f"社区 {community.code} {community.name} 已有 {len(in_force)} 个现行网格 (导入或此前生成), "
                "未作改动; 如需重新划分请加 --replace (旧网格以 valid_to 关闭, 已定位的问题仍属原网格)"
            )
        return CommunityGrids(community.code, community.name, GridOutcome.KEPT, len(in_force))
    return None


def _valid_from(
    community: Version, in_force: list[GridRow], versions: list[GridRow], request: GridRequest
) -> date:
    """The day new grids start: as asked, else see the module docstring; never on or before the start
    of a grid they replace."""
    ended = [g.valid_to for g in versions if g.valid_to is not None]
    valid_from = request.valid_from or (request.today if in_force else max([community.valid_from, *ended]))
    started = [g.valid_from for g in in_force if g.valid_from is not None]
    if started and valid_from <= max(started):
        raise KaopingError(
            f"社区 {community.code} {community.name} 的现行网格自 {max(started)} 起生效, "
            f"新网格的启用日期 {valid_from} 必须晚于它; 请用 --valid-from 指定"
        )
    return valid_from


def _check_codes_free(plan: GridPlan, valid_from: date, history: list[GridRow]) -> None:
    """A code can start only one version a day (the table's unique key): say so before the database does."""
    taken = {(g.code, g.valid_from) for g in history}
    clash = sorted(g.code for g in plan.grids if (g.code, valid_from) in taken)
    if clash:
        raise KaopingError(
            f"网格编码 {', '.join(clash[:5])} 已有自 {valid_from} 起的版本; "
            "请用 --valid-from 指定另一个启用日期"
        )


def _rows(plan: GridPlan, community: Version, valid_from: date) -> list[dict[str, object]]:
    # Generated grids have no source file: orig_crs/orig_geometry stay empty.
    return [
        {
            "code": g.code,
            "community_id": community.id,
            "area_m2": round(g.area_m2, 2),
            "geometry": shapely.to_wkb(g.geometry),
            "valid_from": valid_from,
        }
        for g in plan.grids
    ]


def _city_projection(communities: list[Version]) -> LocalProjection | None:
    geoms = [shapely.from_wkb(c.geometry) for c in communities if c.geometry]
    if not geoms:
        return None
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    return LocalProjection(_rounded((xmin + xmax) / 2), _rounded((ymin + ymax) / 2))


def _rounded(degrees: float) -> float:
    return round(round(degrees / CENTRE_STEP_DEG) * CENTRE_STEP_DEG, 6)
