"""Versioned boundaries and roads: the rows in force, closing a version, inserting the next one.

A boundary (city, district, town/street, community), a unit grid or a road exists as one row per
version: in force on days ``valid_from <= d < valid_to``; ``valid_to IS NULL`` is the version in force
now. Rows are never updated in place and never deleted, so a problem keeps pointing at the version it
was located in. ``reference._ids`` maps a code to one id and so cannot be used once a code has several
versions: every lookup here asks for the in-force row.

When a unit gets a new version, the rows that belong to it *now* — in-force children, grids, roads,
role assignments and departments — are moved to the new id (``repoint_references``); closed rows and
problems keep the old one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Connection, Table, bindparam, insert, select, update
from sqlalchemy.orm import aliased

from kaoping.db.tables import admin_unit, department, grid, road, role_assignment


class Layer(StrEnum):
    """What a boundary or line file holds: one administrative level, the unit grids or the roads."""

    CITY = "city"
    DISTRICT = "district"
    TOWN = "town"
    COMMUNITY = "community"
    GRID = "grid"
    ROAD = "road"

    @property
    def parent(self) -> Layer | None:
        """The layer a feature of this one belongs to (a road belongs to a town/street)."""
        return _PARENTS[self]

    @property
    def is_unit(self) -> bool:
        """An administrative level, stored in ``admin_unit``."""
        return self not in (Layer.GRID, Layer.ROAD)

    @property
    def is_polygon(self) -> bool:
        return self is not Layer.ROAD


_PARENTS: dict[Layer, Layer | None] = {
    Layer.CITY: None,
    Layer.DISTRICT: Layer.CITY,
    Layer.TOWN: Layer.DISTRICT,
    Layer.COMMUNITY: Layer.TOWN,
    Layer.GRID: Layer.COMMUNITY,
    Layer.ROAD: Layer.TOWN,
}


@dataclass(frozen=True, slots=True)
class Version:
    """The in-force row of one code. ``parent_id`` is the parent unit, community (grid) or town (road);
    ``extra`` holds the layer's own columns (kind and group for units, tier for roads)."""

    id: int
    code: str
    name: str
    parent_id: int | None
    parent_code: str | None
    geometry: bytes  # WKB, WGS84
    valid_from: date
    extra: Mapping[str, Any] = field(default_factory=dict)


def _table(layer: Layer) -> Table:
    return admin_unit if layer.is_unit else grid if layer is Layer.GRID else road


def _parent_column(layer: Layer) -> Column[Any]:
    table = _table(layer)
    return (
        table.c.parent_id
        if layer.is_unit
        else table.c.community_id
        if layer is Layer.GRID
        else table.c.town_id
    )


def _extra_columns(layer: Layer) -> list[Column[Any]]:
    if layer.is_unit:
        return [admin_unit.c.kind, admin_unit.c.group_id]
    return [road.c.tier] if layer is Layer.ROAD else []


def _in_force(layer: Layer) -> Any:
    table = _table(layer)
    condition = table.c.valid_to.is_(None)
    return condition & (table.c.level == layer.value) if layer.is_unit else condition


def list_in_force(conn: Connection, layer: Layer) -> list[Version]:
    """Every row of ``layer`` in force now, with its parent's code, ordered by code."""
    table, parent = _table(layer), aliased(admin_unit)
    name = table.c.code if layer is Layer.GRID else table.c.name  # grids carry no name
    extras = _extra_columns(layer)
    stmt = (
        select(table.c.id, table.c.code, name, _parent_column(layer), parent.c.code, table.c.geometry)
        .add_columns(table.c.valid_from, *extras)
        .outerjoin(parent, parent.c.id == _parent_column(layer))
        .where(_in_force(layer))
        .order_by(table.c.code)
    )
    return [
        Version(
            id=row[0],
            code=row[1],
            name=row[2],
            parent_id=row[3],
            parent_code=row[4],
            geometry=row[5],
            valid_from=row[6],
            extra={c.name: value for c, value in zip(extras, row[7:], strict=True)},
        )
        for row in conn.execute(stmt)
    ]


def in_force_ids(conn: Connection, layer: Layer) -> dict[str, int]:
    """Code → id of the rows of ``layer`` in force now."""
    table = _table(layer)
    return {code: i for code, i in conn.execute(select(table.c.code, table.c.id).where(_in_force(layer)))}  # noqa: C416


def has_versions(conn: Connection, layer: Layer) -> bool:
    """Whether ``layer`` has ever had a row (in force or not)."""
    table = _table(layer)
    stmt = select(table.c.id).limit(1)
    if layer.is_unit:
        stmt = stmt.where(table.c.level == layer.value)
    return conn.execute(stmt).first() is not None


def close_versions(conn: Connection, layer: Layer, valid_to: Mapping[int, date]) -> None:
    """End in-force rows (id → the first day they no longer hold): they stay, with ``valid_to`` set."""
    table = _table(layer)
    params = [{"row_id": i, "end": day} for i, day in valid_to.items()]
    if params:
        stmt = update(table).where(table.c.id == bindparam("row_id")).values(valid_to=bindparam("end"))
        conn.execute(stmt, params)


def insert_versions(conn: Connection, layer: Layer, rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Insert new rows (one executemany); returns code → id of each inserted row.

    Rows carry the table's columns (``code``, ``geometry``, ``valid_from``, ``orig_crs``,
    ``orig_geometry``, the parent column, ``level``/``kind``/``area_m2`` for units …).
    """
    if not rows:
        return {}
    table = _table(layer)
    conn.execute(insert(table), [dict(r) for r in rows])
    codes = [r["code"] for r in rows]
    ids = in_force_ids(conn, layer)
    return {code: ids[code] for code in codes}


def repoint_references(conn: Connection, layer: Layer, moved: Mapping[int, int]) -> None:
    """Move what belongs to a unit, grid or road now from its old version's id to the new one's."""
    params = [{"old_id": old, "new_id": new} for old, new in moved.items()]
    if not params:
        return
    for table, column, versioned in _references(layer):
        condition = column == bindparam("old_id")
        if versioned:
            condition = condition & table.c.valid_to.is_(None)
        conn.execute(update(table).where(condition).values({column.name: bindparam("new_id")}), params)


def _references(layer: Layer) -> list[tuple[Table, Column[Any], bool]]:
    """(table, column, is versioned) of every in-force row that points at a row of ``layer``."""
    if layer is Layer.GRID:
        return [(role_assignment, role_assignment.c.grid_id, True)]
    if layer is Layer.ROAD:
        return [(role_assignment, role_assignment.c.road_id, True)]
    return [
        (admin_unit, admin_unit.c.parent_id, True),
        (grid, grid.c.community_id, True),
        (road, road.c.town_id, True),
        (role_assignment, role_assignment.c.unit_id, True),
        (department, department.c.district_id, False),  # departments are not versioned
    ]
