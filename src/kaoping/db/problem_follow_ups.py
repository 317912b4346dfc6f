"""Opening the case or finding of every problem a bulk import just wrote, as one INSERT … SELECT
from the problem rows per table: no row goes through Python, so a million findings cost what the
database spends on them (on SQLite about a third of an ``executemany`` of the same rows).

The caller says what each column holds: a value the same for every row (bound as a literal of the
column's type, so it is stored the way ``kaoping.db.cases`` stores it), a column of the problem
row (``FromProblem``), the problem's discovery time but never later than a given time
(``ReportedBy``), or routing's answer for the problem's category and district (``FromRoute``,
joined from a temporary table of the answers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    and_,
    case,
    func,
    insert,
    literal,
    select,
)

from kaoping.db.tables import case_file, finding, problem
from kaoping.db.types import UTCDateTime


@dataclass(frozen=True, slots=True)
class FromProblem:
    """The value of the problem row's own column ``name``."""

    name: str


@dataclass(frozen=True, slots=True)
class ReportedBy:
    """The problem's discovery time, or ``at`` when it was found later (a row dated ahead)."""

    at: datetime


@dataclass(frozen=True, slots=True)
class FromRoute:
    """Routing's answer (``lead``, ``department_id`` or ``department_share``) for the problem."""

    name: str


@dataclass(frozen=True, slots=True)
class RouteAnswer:
    """Who answers for problems of one stored category in one district."""

    category_id: int
    district_id: int
    lead: str
    department_id: int | None
    department_share: Decimal


_routes = Table(
    "import_route",
    MetaData(),
    Column("category_id", Integer, primary_key=True),
    Column("district_id", Integer, primary_key=True),
    Column("lead", String(16), nullable=False),
    Column("department_id", Integer),
    Column("department_share", Numeric(5, 4), nullable=False),
    prefixes=["TEMPORARY"],
)


def open_findings(conn: Connection, ids: range, channel: str, values: Mapping[str, Any]) -> int:
    """A finding for each problem with an id in ``ids`` from ``channel``; returns how many."""
    return _insert(conn, finding, values, _new(ids).where(problem.c.channel == channel), ids)


def open_cases(
    conn: Connection, ids: range, but_channel: str, values: Mapping[str, Any], routes: Sequence[RouteAnswer]
) -> int:
    """A case for each problem with an id in ``ids`` not from ``but_channel``, led as ``routes``
    say; returns how many."""
    _routes.drop(conn, checkfirst=True)
    _routes.create(conn)
    if routes:
        conn.execute(insert(_routes), [dict(zip(_routes.c.keys(), astuple(r), strict=True)) for r in routes])
    on = and_(_routes.c.category_id == problem.c.category_id, _routes.c.district_id == problem.c.district_id)
    source = _new(ids).join_from(problem, _routes, on).where(problem.c.channel != but_channel)
    count = _insert(conn, case_file, values, source, ids)
    _routes.drop(conn)
    return count


def _new(ids: range) -> Any:
    """The select over the new problems, in id order, that the columns are added to."""
    return select().where(problem.c.id.between(ids.start, ids.stop - 1)).order_by(problem.c.id)


def _insert(conn: Connection, table: Table, values: Mapping[str, Any], source: Any, ids: range) -> int:
    missing = [c.name for c in table.columns if c.name != "id" and c.name not in values]
    if missing:  # a column nobody chose a value for would silently take its default
        raise KeyError(f"no value for {table.name}.{', '.join(missing)}")
    columns = [_expression(table, name, value) for name, value in values.items()]
    conn.execute(insert(table).from_select(list(values), source.add_columns(*columns)))
    # Counted, not taken from the cursor: SQLAlchemy on psycopg reports -1 for an INSERT … SELECT.
    opened = select(func.count()).where(table.c.problem_id.between(ids.start, ids.stop - 1))
    return int(conn.execute(opened).scalar_one())


def _expression(table: Table, name: str, value: Any) -> ColumnElement[Any]:
    if isinstance(value, FromProblem):
        return problem.c[value.name]
    if isinstance(value, FromRoute):
        return _routes.c[value.name]
    if isinstance(value, ReportedBy):
        at = literal(value.at, UTCDateTime())
        return case((problem.c.found_at > at, at), else_=problem.c.found_at)
    return literal(value, table.c[name].type)
