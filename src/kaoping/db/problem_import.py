"""Queries the bulk import of problem sheets needs (roads by name, stored keys, earlier problems,
photos in use) and its bulk writer of photo rows.

Photo rows go to the driver like ``kaoping.db.problems.bulk_insert_problems`` (sqlite3
``executemany``, psycopg ``COPY``) in storage form: times as UTC text (``types.utc_text``), missing
values as None; their ids are left to the database. Cases and findings are opened by
``kaoping.db.problem_follow_ups``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, func, select, text

from kaoping.db.tables import problem, problem_photo, road
from kaoping.domain.problems import ProblemStatus


@dataclass(frozen=True, slots=True)
class NamedRoad:
    id: int
    code: str
    name: str
    geometry: bytes  # WKB, WGS84


@dataclass(frozen=True)
class StoredProblems:
    """Stored problems as columns, for the repeat check: times in seconds since the epoch (UTC)."""

    id: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    found: NDArray[np.float64]
    category_id: NDArray[np.int64]
    closed: NDArray[np.float64]  # NaN while open
    voided: NDArray[np.bool_]


def list_named_roads(conn: Connection) -> list[NamedRoad]:
    """Roads in force, by code: the ones an address can name."""
    stmt = select(road.c.id, road.c.code, road.c.name, road.c.geometry).where(road.c.valid_to.is_(None))
    return [NamedRoad(*row) for row in conn.execute(stmt.order_by(road.c.code))]


def stored_source_keys(conn: Connection, first: datetime, last: datetime) -> set[str]:
    """Source keys of problems found from ``first`` to ``last``: a key holds its row's discovery
    time, so a row imported before is among them."""
    stmt = select(problem.c.source_key).where(
        problem.c.found_at >= first, problem.c.found_at <= last, problem.c.source_key.is_not(None)
    )
    return set(conn.execute(stmt).scalars())


def list_problems_between(conn: Connection, first: datetime, last: datetime) -> StoredProblems:
    """Problems found from ``first`` to ``last`` (inclusive), as columns."""
    stmt = select(
        problem.c.id,
        problem.c.lon,
        problem.c.lat,
        problem.c.found_at,
        problem.c.category_id,
        problem.c.closed_at,
        problem.c.status,
    ).where(problem.c.found_at >= first, problem.c.found_at <= last)
    rows = conn.execute(stmt).all()
    return StoredProblems(
        id=np.array([r.id for r in rows], dtype=np.int64),
        lon=np.array([r.lon for r in rows], dtype=np.float64),
        lat=np.array([r.lat for r in rows], dtype=np.float64),
        found=np.array([r.found_at.timestamp() for r in rows], dtype=np.float64),
        category_id=np.array([r.category_id for r in rows], dtype=np.int64),
        closed=np.array([r.closed_at.timestamp() if r.closed_at else np.nan for r in rows], dtype=np.float64),
        voided=np.array([r.status == ProblemStatus.VOIDED.value for r in rows], dtype=bool),
    )


def next_problem_id(conn: Connection) -> int:
    """The first id after every stored problem (the bulk path gives ids itself)."""
    return int(conn.execute(select(func.coalesce(func.max(problem.c.id), 0))).scalar_one()) + 1


BULK_CACHE_KIB = 262_144
"""SQLite page cache while a bulk import writes: the problem table's indexes (a unique random
source key among them) outgrow the default 2 MB cache after a few hundred thousand rows, and every
insert then reads pages back from disk."""


@contextmanager
def bulk_write(conn: Connection) -> Iterator[None]:
    """A larger SQLite page cache for the duration of a bulk write (other engines: nothing)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.execute(text("PRAGMA cache_size")).scalar_one()
    conn.execute(text(f"PRAGMA cache_size = -{BULK_CACHE_KIB}"))
    try:
        yield
    finally:
        conn.execute(text(f"PRAGMA cache_size = {int(before)}"))


# --- bulk writers ---------------------------------------------------------------------------------

# Every column of a photo row but its id, in the order of a bulk row.
PHOTO_COLUMNS: tuple[str, ...] = tuple(c.name for c in problem_photo.columns if c.name != "id")
_BATCH = 50_000


def bulk_insert_photos(conn: Connection, rows: Iterable[Sequence[Any]]) -> int:
    """Insert problem photo rows shaped like ``PHOTO_COLUMNS`` in storage form; returns the count."""
    raw: Any = conn.connection.dbapi_connection  # sqlite3 or psycopg connection
    names = ", ".join(PHOTO_COLUMNS)
    count = 0
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY problem_photo ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    cursor = raw.cursor()
    sql = f"INSERT INTO problem_photo ({names}) VALUES ({', '.join('?' * len(PHOTO_COLUMNS))})"
    iterator = iter(rows)
    while batch := list(islice(iterator, _BATCH)):
        cursor.executemany(sql, batch)
        count += len(batch)
    cursor.close()
    return count


def referenced_photo_paths(conn: Connection, paths: Sequence[str]) -> set[str]:
    """Which of these photo paths a stored problem refers to (asked in chunks: SQLite caps the
    parameters of one statement)."""
    found: set[str] = set()
    for start in range(0, len(paths), 10_000):
        chunk = list(paths[start : start + 10_000])
        found.update(
            conn.execute(select(problem_photo.c.path).where(problem_photo.c.path.in_(chunk))).scalars()
        )
    return found
