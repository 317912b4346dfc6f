"""Reading coverage of grid workers, road chiefs and community heads: a few GROUP BY queries over the
rows in force on a day, no per-unit queries.

A post counts as held when a role assignment in force on the day names a scope row with the post's
code — any version of it, so a new boundary version does not empty its post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    FromClause,
    Subquery,
    and_,
    func,
    literal,
    or_,
    select,
)

from kaoping.db.engine import connected
from kaoping.db.tables import admin_unit, grid, road, role_assignment
from kaoping.domain.organisation import Role, UnitLevel
from kaoping.services.coverage import Post, PostCount, UnitRecord, Vacancy


def in_force(table: Any, at: date) -> ColumnElement[bool]:
    """Rows of a versioned table in force on ``at``: valid_from <= at < valid_to (NULL: still open)."""
    return and_(table.c.valid_from <= at, or_(table.c.valid_to.is_(None), table.c.valid_to > at))


class SqlCoverageReader:
    """A ``CoverageReader`` over the database. Give it an open connection to read inside a caller's
    transaction, or an engine to have each read use a pooled connection of its own."""

    def __init__(self, bind: Connection | Engine) -> None:
        self._bind = bind

    def list_units(self, at: date) -> list[UnitRecord]:
        parent = admin_unit.alias("parent")
        stmt = (
            select(admin_unit.c.code, admin_unit.c.name, admin_unit.c.level, parent.c.code)
            .select_from(admin_unit)
            .outerjoin(parent, parent.c.id == admin_unit.c.parent_id)
            .where(in_force(admin_unit, at))
        )
        with connected(self._bind) as conn:
            return [
                UnitRecord(code, name, UnitLevel(level), up) for code, name, level, up in conn.execute(stmt)
            ]

    def count_posts(self, at: date) -> list[PostCount]:
        counts = []
        with connected(self._bind) as conn:
            for post, query in _posts(at).items():
                held = query.held.c.code
                stmt = (
                    select(query.unit_code, func.count(), func.count(held))
                    .select_from(query.source)
                    .where(query.condition)
                    .group_by(query.unit_code)
                )
                counts += [PostCount(post, unit, total, filled) for unit, total, filled in conn.execute(stmt)]
        return counts

    def list_vacancies(self, at: date) -> list[Vacancy]:
        vacancies = []
        with connected(self._bind) as conn:
            for post, query in _posts(at).items():
                stmt = (
                    select(query.code, query.name, query.unit_code)
                    .select_from(query.source)
                    .where(query.condition, query.held.c.code.is_(None))
                )
                vacancies += [Vacancy(post, code, name, unit) for code, name, unit in conn.execute(stmt)]
        return vacancies


@dataclass(frozen=True)
class _Posts:
    """The posts of one kind in force on a day, outer-joined to the codes someone holds then."""

    code: Any
    name: Any  # "" for grids, which have no name
    unit_code: Any  # community (grids) or town/street (roads, communities)
    source: FromClause
    condition: ColumnElement[bool]
    held: Subquery


def _posts(at: date) -> dict[Post, _Posts]:
    return {Post.GRID: _grids(at), Post.ROAD: _roads(at), Post.COMMUNITY: _communities(at)}


def _grids(at: date) -> _Posts:
    community, scope = admin_unit.alias("community"), grid.alias("scope")
    held = _held_codes(Role.GRID_WORKER, scope, role_assignment.c.grid_id, at)
    source = grid.join(community, community.c.id == grid.c.community_id).outerjoin(
        held, held.c.code == grid.c.code
    )
    return _Posts(grid.c.code, literal(""), community.c.code, source, in_force(grid, at), held)


def _roads(at: date) -> _Posts:
    town, scope = admin_unit.alias("town"), road.alias("scope")
    held = _held_codes(Role.ROAD_CHIEF, scope, role_assignment.c.road_id, at)
    source = road.join(town, town.c.id == road.c.town_id).outerjoin(held, held.c.code == road.c.code)
    return _Posts(road.c.code, road.c.name, town.c.code, source, in_force(road, at), held)


def _communities(at: date) -> _Posts:
    community, town, scope = admin_unit.alias("post"), admin_unit.alias("town"), admin_unit.alias("scope")
    held = _held_codes(Role.COMMUNITY_HEAD, scope, role_assignment.c.unit_id, at)
    source = community.join(town, town.c.id == community.c.parent_id).outerjoin(
        held, held.c.code == community.c.code
    )
    condition = and_(community.c.level == UnitLevel.COMMUNITY.value, in_force(community, at))
    return _Posts(community.c.code, community.c.name, town.c.code, source, condition, held)


def _held_codes(role: Role, scope: Any, scope_id: Any, at: date) -> Subquery:
    """The codes of the scopes someone holds ``role`` over on ``at`` — distinct, so that a grid with
    two workers counts once, and matched by code, so that any version of the scope row will do."""
    return (
        select(scope.c.code)
        .select_from(role_assignment.join(scope, scope.c.id == scope_id))
        .where(role_assignment.c.role == role.value, in_force(role_assignment, at))
        .distinct()
        .subquery()
    )
