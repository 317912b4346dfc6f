"""Reference data: the organisation, its geography, categories, channels and evaluation items.

Writers take plain rows keyed by codes (parents and scopes are named by code, resolved to ids
here) so that importers and the demo never handle database ids. Category, channel and item seeding
is idempotent: running it twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import aliased

from kaoping.db.tables import (
    admin_unit,
    category,
    channel,
    department,
    eval_group,
    evaluation_item,
    grid,
    item_category,
    person,
    road,
    role_assignment,
)
from kaoping.domain.categories import CategoryTree
from kaoping.domain.errors import NotFoundError
from kaoping.domain.organisation import UnitLevel

LEVEL_ORDER = (UnitLevel.CITY, UnitLevel.DISTRICT, UnitLevel.TOWN, UnitLevel.COMMUNITY)


@dataclass(frozen=True, slots=True)
class GridRow:
    id: int
    code: str
    community_id: int
    town_id: int
    district_id: int
    geometry: bytes  # WKB, WGS84
    valid_from: date | None = None
    valid_to: date | None = None  # None: in force


@dataclass(frozen=True, slots=True)
class RoadRow:
    id: int
    geometry: bytes  # WKB, WGS84
    valid_from: date | None = None
    valid_to: date | None = None  # None: in force


def _ids(conn: Connection, table: Any) -> dict[str, int]:
    return {code: i for code, i in conn.execute(select(table.c.code, table.c.id))}  # noqa: C416


def seed_categories(conn: Connection, tree: CategoryTree) -> int:
    """Insert new categories and update changed ones; returns how many rows changed."""
    existing = {r.code: r for r in conn.execute(select(category))}
    ids = {code: r.id for code, r in existing.items()}
    changed = 0
    for cat in sorted(tree, key=lambda c: (len(c.code), c.code)):  # parents first
        values = {
            "kind": cat.kind.value,
            "level": cat.level.value,
            "name": cat.name,
            "parent_id": ids[cat.parent_code] if cat.parent_code else None,
            "deadline_value": cat.deadline_value,
            "deadline_unit": cat.deadline_unit.value if cat.deadline_unit else None,
            "department_type": cat.department_type,
            "severity": cat.severity,
        }
        row = existing.get(cat.code)
        if row is None:
            stmt = insert(category).values(code=cat.code, **values).returning(category.c.id)
            ids[cat.code] = conn.execute(stmt).scalar_one()
            changed += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            conn.execute(update(category).where(category.c.code == cat.code).values(**values))
            changed += 1
    return changed


def seed_channels(conn: Connection, channels: Iterable[tuple[str, str, bool]]) -> int:
    """Upsert (code, name, own_discovery) rows; returns how many rows changed."""
    existing = {r.code: r for r in conn.execute(select(channel))}
    changed = 0
    for code, name, own in channels:
        row = existing.get(code)
        if row is None:
            conn.execute(insert(channel).values(code=code, name=name, is_own_discovery=own))
        elif (row.name, bool(row.is_own_discovery)) != (name, own):
            conn.execute(
                update(channel).where(channel.c.code == code).values(name=name, is_own_discovery=own)
            )
        else:
            continue
        changed += 1
    return changed


def seed_items(conn: Connection, names: Mapping[str, str], categories: Mapping[str, Iterable[str]]) -> None:
    """Upsert evaluation items and replace their category mapping."""
    existing = _ids(conn, evaluation_item)
    for code, name in names.items():
        if code in existing:
            conn.execute(update(evaluation_item).where(evaluation_item.c.code == code).values(name=name))
        else:
            conn.execute(insert(evaluation_item).values(code=code, name=name))
    item_ids, category_ids = _ids(conn, evaluation_item), _ids(conn, category)
    conn.execute(item_category.delete())
    rows = []
    for item_code, codes in categories.items():
        for code in codes:
            if code not in category_ids:
                raise NotFoundError("问题类别", code)
            rows.append({"item_id": item_ids[item_code], "category_id": category_ids[code]})
    if rows:
        conn.execute(insert(item_category), rows)


def save_groups(conn: Connection, groups: Iterable[tuple[str, str]]) -> None:
    existing = _ids(conn, eval_group)
    rows = [{"code": c, "name": n} for c, n in groups if c not in existing]
    if rows:
        conn.execute(insert(eval_group), rows)


def save_units(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows: code, name, level, kind, parent_code, group_code, area_m2, geometry (WKB)."""
    groups = _ids(conn, eval_group)
    for level in LEVEL_ORDER:
        ids = _ids(conn, admin_unit)
        batch = [
            {
                "code": r["code"],
                "name": r["name"],
                "level": level.value,
                "kind": str(r["kind"]),
                "parent_id": ids[r["parent_code"]] if r.get("parent_code") else None,
                "group_id": groups[r["group_code"]] if r.get("group_code") else None,
                "area_m2": r.get("area_m2"),
                "geometry": r.get("geometry"),
            }
            for r in rows
            if r["level"] == level
        ]
        if batch:
            conn.execute(insert(admin_unit), batch)


def save_grids(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Rows: code, community_code, area_m2, geometry (WKB)."""
    units = _ids(conn, admin_unit)
    batch = [
        {
            "code": r["code"],
            "community_id": units[r["community_code"]],
            "area_m2": r["area_m2"],
            "geometry": r["geometry"],
        }
        for r in rows
    ]
    if batch:
        conn.execute(insert(grid), batch)


def save_roads(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Rows: code, name, tier, town_code, length_m, geometry (WKB)."""
    units = _ids(conn, admin_unit)
    batch = [
        {
            "code": r["code"],
            "name": r["name"],
            "tier": str(r["tier"]),
            "town_id": units[r["town_code"]],
            "length_m": r["length_m"],
            "geometry": r["geometry"],
        }
        for r in rows
    ]
    if batch:
        conn.execute(insert(road), batch)


def save_departments(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Rows: code, name, field, district_code (None for a city-level department)."""
    units = _ids(conn, admin_unit)
    batch = [
        {
            "code": r["code"],
            "name": r["name"],
            "field": r["field"],
            "district_id": units[r["district_code"]] if r.get("district_code") else None,
        }
        for r in rows
    ]
    if batch:
        conn.execute(insert(department), batch)


_SCOPES = {
    "unit": ("unit_id", admin_unit),
    "grid": ("grid_id", grid),
    "road": ("road_id", road),
    "department": ("department_id", department),
}
_SCOPE_COLUMNS = tuple(column for column, _table in _SCOPES.values())


def save_people(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows: name, role, scope ('unit'|'grid'|'road'|'department'), scope_code — one role each."""
    if not rows:
        return
    # The database picks the ids (so PostgreSQL's sequence stays in step); RETURNING in parameter
    # order pairs each id with its row.
    stmt = insert(person).returning(person.c.id, sort_by_parameter_order=True)
    person_ids = conn.execute(stmt, [{"name": r["name"]} for r in rows]).scalars().all()
    lookups = {scope: _ids(conn, table) for scope, (_col, table) in _SCOPES.items()}
    assignments = []
    for person_id, r in zip(person_ids, rows, strict=True):
        column, _table = _SCOPES[r["scope"]]
        row = {"person_id": person_id, "role": str(r["role"]), **dict.fromkeys(_SCOPE_COLUMNS)}
        row[column] = lookups[r["scope"]][r["scope_code"]]
        assignments.append(row)
    conn.execute(insert(role_assignment), assignments)


def list_grid_rows(conn: Connection, *, include_history: bool = False) -> list[GridRow]:
    """Grids in force (or every version) with their community, town and district ids, for the locator.

    A grid version keeps the community row it was stored under, so an old version still names the
    community, town and district that were responsible while it was in force."""
    community, town = aliased(admin_unit), aliased(admin_unit)
    stmt = (
        select(
            grid.c.id,
            grid.c.code,
            grid.c.community_id,
            community.c.parent_id,
            town.c.parent_id,
            grid.c.geometry,
            grid.c.valid_from,
            grid.c.valid_to,
        )
        .join(community, community.c.id == grid.c.community_id)
        .join(town, town.c.id == community.c.parent_id)
        .order_by(grid.c.id)
    )
    if not include_history:
        stmt = stmt.where(grid.c.valid_to.is_(None))
    return [GridRow(*row) for row in conn.execute(stmt)]


def list_road_rows(conn: Connection, *, include_history: bool = False) -> list[RoadRow]:
    """Roads in force (or every version), for the locator."""
    stmt = select(road.c.id, road.c.geometry, road.c.valid_from, road.c.valid_to).order_by(road.c.id)
    if not include_history:
        stmt = stmt.where(road.c.valid_to.is_(None))
    return [RoadRow(*row) for row in conn.execute(stmt)]


def department_ids_by_field(conn: Connection) -> dict[tuple[str, int | None], int]:
    """(field, district id or None for city level) → department id."""
    stmt = select(department.c.field, department.c.district_id, department.c.id).order_by(department.c.id)
    result: dict[tuple[str, int | None], int] = {}
    for field, district_id, dep_id in conn.execute(stmt):
        result.setdefault((field, district_id), dep_id)
    return result


def unit_ids(conn: Connection) -> dict[str, int]:
    return _ids(conn, admin_unit)


def category_ids(conn: Connection) -> dict[str, int]:
    return _ids(conn, category)


def road_names(conn: Connection) -> dict[int, str]:
    return {i: n for i, n in conn.execute(select(road.c.id, road.c.name))}  # noqa: C416
