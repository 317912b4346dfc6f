"""Writing problems: one at a time (intake) and in bulk (demo, imports); keeping a problem's status
and flags in step with its case or finding; marking open problems past their deadline overdue.

The bulk path goes to the driver (sqlite3 ``executemany``, psycopg ``COPY``): SQLAlchemy Core with
dicts is several times slower for millions of rows (STACK.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    exists,
    false,
    func,
    insert,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy import case as when

from kaoping.db.tables import case_file, category, finding, problem
from kaoping.db.types import UTCDateTime
from kaoping.domain.follow_ups import ProblemStanding
from kaoping.domain.ids import CategoryId, DepartmentId, ProblemId
from kaoping.domain.problems import OPEN_STATUSES, Problem

# Column order of a bulk row.
BULK_COLUMNS: tuple[str, ...] = (
    "id",
    "channel",
    "category_id",
    "found_at",
    "lon",
    "lat",
    "orig_x",
    "orig_y",
    "orig_crs",
    "description",
    "grid_id",
    "community_id",
    "town_id",
    "district_id",
    "road_id",
    "road_distance_m",
    "department_id",
    "status",
    "deadline_at",
    "closed_at",
    "is_repeat",
    "repeat_of_id",
    "is_overdue",
    "is_high_score",
    "source_key",
    "location_approximate",
)


# Built once: a statement made per call is compiled per call (intake stores one problem per report).
_INSERT_ONE = insert(problem).returning(problem.c.id)


class SqlProblemStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def category_ids(self) -> dict[str, CategoryId]:
        rows = self._conn.execute(select(category.c.code, category.c.id))
        return {code: CategoryId(i) for code, i in rows}

    def add(self, p: Problem, department_id: DepartmentId | None = None) -> int:
        """Store one problem (with the department it was routed to) in one INSERT; returns its id."""
        loc = p.location
        values = {
            "channel": p.channel.value,
            "category_id": p.category_id,
            "found_at": p.found_at,
            "lon": p.point.lon,
            "lat": p.point.lat,
            "orig_x": p.original.lon,
            "orig_y": p.original.lat,
            "orig_crs": p.original.system.value,
            "description": p.description,
            "grid_id": loc.grid_id,
            "community_id": loc.community_id,
            "town_id": loc.town_id,
            "district_id": loc.district_id,
            "road_id": loc.road_id,
            "road_distance_m": loc.road_distance_m,
            "department_id": department_id,
            "status": p.status.value,
            "deadline_at": p.deadline_at,
            "closed_at": p.closed_at,
            "is_repeat": p.is_repeat,
            "repeat_of_id": p.repeat_of_id,
            "repeat_index": p.repeat_index,
            "is_overdue": p.is_overdue,
            "is_high_score": p.is_high_score,
        }
        return int(self._conn.execute(_INSERT_ONE, values).scalar_one())

    def keep_in_step(self, problem_id: ProblemId, standing: ProblemStanding) -> None:
        """Store what the problem's case or finding now says of it: status, closing time and the
        overdue flag — judged against the problem's own deadline, read by the same UPDATE, when the
        follow-up has none yet."""
        overdue: bool | ColumnElement[bool] = standing.is_overdue(None)
        if not standing.late and standing.deadline is None and standing.judged_at is not None:
            judged = literal(standing.judged_at, UTCDateTime())
            overdue = when((problem.c.deadline_at < judged, true()), else_=false())
        values = {"status": standing.status.value, "closed_at": standing.closed_at, "is_overdue": overdue}
        self._conn.execute(update(problem).where(problem.c.id == problem_id).values(values))

    def mark_overdue(self, at: datetime) -> int:
        """Flag overdue every open problem past its deadline at ``at`` — its case's deadline once the
        case has one, else its own — and return how many were flagged now. Problems followed by a
        third-party finding are left to the finding sweep (逾期未反馈), whose marks reach them."""
        case_deadline = select(case_file.c.deadline_at).where(case_file.c.problem_id == problem.c.id)
        due = func.coalesce(case_deadline.scalar_subquery(), problem.c.deadline_at)
        stmt = (
            update(problem)
            .where(
                ~problem.c.is_overdue,
                problem.c.status.in_(_OPEN),
                ~exists().where(finding.c.problem_id == problem.c.id),
                due < literal(at, UTCDateTime()),
            )
            .values(is_overdue=True)
        )
        return int(self._conn.execute(stmt).rowcount)

    def count_overdue(self) -> int:
        """Open problems flagged overdue."""
        query = select(func.count()).where(problem.c.is_overdue, problem.c.status.in_(_OPEN))
        return int(self._conn.execute(query).scalar_one())


_OPEN = sorted(status.value for status in OPEN_STATUSES)


def bulk_insert_problems(conn: Connection, rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows shaped like ``BULK_COLUMNS`` in storage form; returns the count.

    Storage form: times as UTC text ``YYYY-MM-DD HH:MM:SS.ffffff`` (see ``types.utc_text``), flags
    as 0/1, missing values as None. Ids are given by the caller (a bulk load links repeats to their
    originals by id), so on PostgreSQL the id sequence is moved past them afterwards. Rows come in
    id order, and a repeat links to a row before it or to a stored problem: each row's repeat index
    is derived from its link here (``_RepeatIndexes``), so every bulk writer stores it alike.
    """
    raw: Any = conn.connection.dbapi_connection  # sqlite3 or psycopg connection
    columns = ", ".join((*BULK_COLUMNS, "repeat_index"))
    indexes = _RepeatIndexes(conn)
    count = 0
    iterator = iter(rows)
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cursor:
            while batch := list(islice(iterator, _CHUNK)):
                # One COPY per chunk, opened after the chunk is indexed: indexing reads stored
                # problems, which the connection cannot do in the middle of a COPY.
                indexed = indexes.append(batch)
                with cursor.copy(f"COPY problem ({columns}) FROM STDIN") as copy:
                    for row in indexed:
                        copy.write_row(row)
                count += len(batch)
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('problem', 'id'), "
                "GREATEST((SELECT MAX(id) FROM problem), 1))"
            )
        )
        return count
    sql = f"INSERT INTO problem ({columns}) VALUES ({', '.join('?' * (len(BULK_COLUMNS) + 1))})"
    cursor = raw.cursor()
    while batch := list(islice(iterator, _CHUNK)):
        cursor.executemany(sql, indexes.append(batch))
        count += len(batch)
    cursor.close()
    return count


_CHUNK = 50_000
_LINK = BULK_COLUMNS.index("repeat_of_id")


class _RepeatIndexes:
    """The repeat index of each row of one bulk load, from its link: one more than the index of the
    row or stored problem it repeats. A single pass in id order; only the load's repeats are kept in
    memory (the rest are 0), and stored problems are read once per chunk that links to them."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._first: int | None = None  # the load's first id: smaller ids were stored before it
        self._last = 0
        self._repeats: dict[int, int] = {}

    def append(self, chunk: list[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """The chunk's rows with their repeat index appended."""
        if self._first is None:
            self._first = int(chunk[0][0])
        first, last, repeats = self._first, self._last, self._repeats
        stored = self._stored({row[_LINK] for row in chunk if row[_LINK] is not None and row[_LINK] < first})
        out: list[tuple[Any, ...]] = []
        for row in chunk:
            row_id, parent = row[0], row[_LINK]
            if row_id <= last or (parent is not None and parent >= row_id):
                raise ValueError(f"bulk rows must come in id order and link to earlier ids (row {row_id})")
            last = row_id
            if parent is None:
                out.append((*row, 0))
                continue
            index = 1 + (stored.get(parent, 0) if parent < first else repeats.get(parent, 0))
            repeats[row_id] = index
            out.append((*row, index))
        self._last = last
        return out

    def _stored(self, ids: Iterable[int]) -> dict[int, int]:
        wanted, found = sorted(ids), {}
        for start in range(0, len(wanted), 10_000):  # under every engine's bound-parameter limit
            part = wanted[start : start + 10_000]
            query = select(problem.c.id, problem.c.repeat_index).where(problem.c.id.in_(part))
            found.update({int(i): int(index) for i, index in self._conn.execute(query)})
        return found
