"""Writing problems: one at a time (intake) and in bulk (demo, imports).

The bulk path goes to the driver (sqlite3 ``executemany``, psycopg ``COPY``): SQLAlchemy Core with
dicts is several times slower for millions of rows (STACK.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Connection, insert, select, text

from kaoping.db.tables import category, problem
from kaoping.domain.ids import CategoryId
from kaoping.domain.problems import Problem

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


class SqlProblemStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def category_ids(self) -> dict[str, CategoryId]:
        rows = self._conn.execute(select(category.c.code, category.c.id))
        return {code: CategoryId(i) for code, i in rows}

    def add(self, p: Problem) -> int:
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
            "status": p.status.value,
            "deadline_at": p.deadline_at,
            "closed_at": p.closed_at,
            "is_repeat": p.is_repeat,
            "repeat_of_id": p.repeat_of_id,
            "is_overdue": p.is_overdue,
            "is_high_score": p.is_high_score,
        }
        return int(self._conn.execute(insert(problem).values(values).returning(problem.c.id)).scalar_one())


def bulk_insert_problems(conn: Connection, rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows shaped like ``BULK_COLUMNS`` in storage form; returns the count.

    Storage form: times as UTC text ``YYYY-MM-DD HH:MM:SS.ffffff`` (see ``types.utc_text``), flags
    as 0/1, missing values as None. Ids are given by the caller (a bulk load links repeats to their
    originals by id), so on PostgreSQL the id sequence is moved past them afterwards.
    """
    raw: Any = conn.connection.dbapi_connection  # sqlite3 or psycopg connection
    columns = ", ".join(BULK_COLUMNS)
    if conn.dialect.name == "postgresql":
        count = 0
        with raw.cursor() as cursor, cursor.copy(f"COPY problem ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('problem', 'id'), "
                "GREATEST((SELECT MAX(id) FROM problem), 1))"
            )
        )
        return count
    sql = f"INSERT INTO problem ({columns}) VALUES ({', '.join('?' * len(BULK_COLUMNS))})"
    cursor = raw.cursor()
    count = 0
    iterator = iter(rows)
    while batch := list(islice(iterator, 50_000)):
        cursor.executemany(sql, batch)
        count += len(batch)
    cursor.close()
    return count
