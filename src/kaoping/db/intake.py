"""Storage behind single-problem intake: the intake unit of work (with the case and finding stores, so
a problem and what follows it up are stored together), the cached calendar and department directory it
routes and times with, the cached names a stored problem is shown with, and reading a stored problem
back with its place names."""

from __future__ import annotations

import math
import os
import threading
import time
import weakref
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

try:
    import fcntl
except ImportError:  # Windows: the thread lock alone
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from kaoping.db import reference
from kaoping.db.calendar import load_calendar
from kaoping.db.cases import SqlCaseStore, SqlFindingStore
from kaoping.db.engine import is_sqlite
from kaoping.db.places import PlaceNames, describe
from kaoping.db.problems import SqlProblemStore
from kaoping.db.tables import (
    admin_unit,
    case_file,
    category,
    department,
    finding,
    grid,
    problem,
    problem_photo,
    road,
)
from kaoping.db.uow import SqlUnitOfWork
from kaoping.domain.calendar import DEFAULT_WORK_PERIODS, WorkCalendar, WorkPeriod
from kaoping.domain.errors import NotFoundError
from kaoping.domain.ids import CaseId, CategoryId, DepartmentId, FindingId, GridId, ProblemId, RoadId, UnitId
from kaoping.domain.problems import Location, Problem, ProblemStatus
from kaoping.domain.routing import DepartmentDirectory
from kaoping.services.intake import Intake
from kaoping.services.ports import NearbyProblem, PhotoRecord

# Metres per degree of latitude, rounded down so the search box is never too small.
_M_PER_DEGREE = 110_000.0
# The problem a nearby one repeats; made once (an alias builds its columns on first use, per alias).
_PARENT = problem.alias("parent")
T = TypeVar("T")


def _nearby_query() -> Any:
    """Problems of some categories found in a time window inside a lon/lat box, with the time of the
    problem each repeats; built once, so it is compiled once (intake runs it for every report).

    The covering index ``ix_problem_category_found_at_lon_lat`` answers the filter from the index
    alone; only the rows inside the box are read from the table."""
    c, parent = problem.c, _PARENT
    columns = (c.id, c.category_id, c.lon, c.lat, c.found_at, c.closed_at, c.status, c.repeat_index)
    return (
        select(*columns, c.repeat_of_id, parent.c.found_at.label("repeat_of_found_at"))
        .outerjoin(parent, parent.c.id == c.repeat_of_id)
        .where(
            c.category_id.in_(bindparam("categories", expanding=True)),
            c.found_at.between(bindparam("since"), bindparam("until")),
            c.lon.between(bindparam("west"), bindparam("east")),
            c.lat.between(bindparam("south"), bindparam("north")),
        )
    )


_NEARBY = _nearby_query()


class SqlIntakeStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._problems = SqlProblemStore(conn)

    def category_ids(self) -> dict[str, CategoryId]:
        return self._problems.category_ids()

    def problems_near(
        self,
        category_ids: Collection[CategoryId],
        lon: float,
        lat: float,
        radius_m: float,
        since: datetime,
        until: datetime,
    ) -> list[NearbyProblem]:
        # A box in degrees that holds the circle; the exact distance is measured in metres by the caller.
        dlat = radius_m / _M_PER_DEGREE * 1.5
        dlon = dlat / max(math.cos(math.radians(min(abs(lat), 89.0))), 1e-6)
        bounds = {
            "categories": list(category_ids), "since": since, "until": until,
            "west": lon - dlon, "east": lon + dlon, "south": lat - dlat, "north": lat + dlat,
        }  # fmt: skip
        return [_nearby(row) for row in self._conn.execute(_NEARBY, bounds)]

    def add(self, p: Problem, department_id: DepartmentId | None) -> ProblemId:
        return ProblemId(self._problems.add(p, department_id))

    def relink_repeat(
        self, problem_id: ProblemId, repeat_of: ProblemId, repeat_index: int, previous_index: int
    ) -> None:
        values = {"repeat_of_id": repeat_of, "is_repeat": True, "repeat_index": repeat_index}
        self._conn.execute(update(problem).where(problem.c.id == problem_id).values(values))
        if repeat_index != previous_index:
            self._move_repeats_of(problem_id, repeat_index - previous_index)

    def _move_repeats_of(self, problem_id: ProblemId, step: int) -> None:
        """Add ``step`` to the index of everything that repeats the problem, down every chain: one
        recursive statement on both engines."""
        first = select(problem.c.id).where(problem.c.repeat_of_id == problem_id)
        tree = first.cte("tree", recursive=True)
        child = problem.alias("child")
        tree = tree.union_all(select(child.c.id).join(tree, child.c.repeat_of_id == tree.c.id))
        moved = update(problem).where(problem.c.id.in_(select(tree.c.id)))
        self._conn.execute(moved.values(repeat_index=problem.c.repeat_index + step))

    def add_photos(self, problem_id: ProblemId, photos: Sequence[PhotoRecord]) -> None:
        if photos:
            self._conn.execute(insert(problem_photo), [_photo_row(problem_id, p) for p in photos])


def _nearby(row: Any) -> NearbyProblem:  # a Row of the select above
    voided = row.status == ProblemStatus.VOIDED.value
    parent = None if row.repeat_of_id is None else ProblemId(row.repeat_of_id)
    return NearbyProblem(
        ProblemId(row.id), CategoryId(row.category_id), row.lon, row.lat, row.found_at, row.closed_at,
        voided, row.repeat_index, parent, row.repeat_of_found_at,
    )  # fmt: skip


def _photo_row(problem_id: ProblemId, photo: PhotoRecord) -> dict[str, object]:
    return {
        "problem_id": problem_id,
        "path": photo.path,
        "thumbnail_path": photo.thumbnail_path,
        "content_type": photo.content_type,
        "size_bytes": photo.size_bytes,
        "width": photo.width,
        "height": photo.height,
        "taken_at": photo.taken_at,
        "lon": photo.lon,
        "lat": photo.lat,
    }


# SQLite lets one writer in at a time and makes the others poll with growing sleeps (busy_timeout):
# under load some reports then wait tens of milliseconds, or a second, while later ones get in.
# Queueing intake transactions on a lock serves them in turn and wakes the next one the moment the
# last commits: a thread lock inside a process, and an flock on a file next to the database between
# the processes of a server (uvicorn --workers). PostgreSQL needs none.
class _WriterLock:
    def __init__(self, database: str | None) -> None:
        self._thread = threading.Lock()
        self._path = f"{database}-intake.lock" if database and fcntl is not None else None
        self._fd: int | None = None

    def acquire(self) -> None:
        self._thread.acquire()
        try:
            if self._path is not None and fcntl is not None:
                if self._fd is None:
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._thread.release()
            raise

    def release(self) -> None:
        try:
            if self._fd is not None and fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread.release()


_WRITERS: weakref.WeakKeyDictionary[Engine, _WriterLock] = weakref.WeakKeyDictionary()
_WRITERS_GUARD = threading.Lock()


def _writer_lock(engine: Engine) -> _WriterLock | None:
    if not is_sqlite(engine):
        return None
    with _WRITERS_GUARD:
        lock = _WRITERS.get(engine)
        if lock is None:
            database = engine.url.database
            on_disk = database not in (None, "", ":memory:") and not str(database).startswith("file:")
            lock = _WRITERS[engine] = _WriterLock(database if on_disk else None)
        return lock


class SqlIntakeUnitOfWork(SqlUnitOfWork):
    """The unit of work with the intake, case and finding stores on the same connection (one at a
    time on SQLite)."""

    def __enter__(self) -> Self:
        self._writer = _writer_lock(self._engine)
        if self._writer is not None:
            self._writer.acquire()
        try:
            super().__enter__()
        except BaseException:
            self._release()
            raise
        self.intake = SqlIntakeStore(self.connection)
        self.cases = SqlCaseStore(self.connection)
        self.findings = SqlFindingStore(self.connection)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            super().__exit__(exc_type, exc, tb)
        finally:
            self._release()

    def _release(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None


class _Cached(Generic[T]):
    """A value read from the database at most once per ``ttl_s`` seconds: reference data that
    changes by command (the calendar, departments) reaches a running server within that time."""

    def __init__(self, engine: Engine, read: Callable[[Connection], T], ttl_s: float) -> None:
        self._engine, self._read, self._ttl = engine, read, ttl_s
        self._value: T | None = None
        self._read_at = -math.inf
        self._lock = threading.Lock()

    def get(self) -> T:
        if self._value is None or time.monotonic() - self._read_at > self._ttl:
            with self._lock, self._engine.connect() as conn:
                self._value = self._read(conn)
                self._read_at = time.monotonic()
        return self._value


class SqlCalendarSource:
    """The working calendar table, cached for ``ttl_s`` seconds."""

    def __init__(
        self, engine: Engine, periods: tuple[WorkPeriod, ...] = DEFAULT_WORK_PERIODS, ttl_s: float = 60.0
    ) -> None:
        self._cache = _Cached(engine, lambda conn: load_calendar(conn, periods), ttl_s)

    def calendar(self) -> WorkCalendar:
        return self._cache.get()


class SqlDepartmentSource:
    """The department table as a routing directory, cached for ``ttl_s`` seconds."""

    def __init__(self, engine: Engine, ttl_s: float = 60.0) -> None:
        self._cache = _Cached(engine, read_department_directory, ttl_s)

    def departments(self) -> DepartmentDirectory:
        return self._cache.get()


def read_department_directory(conn: Connection) -> DepartmentDirectory:
    by_field = reference.department_ids_by_field(conn)
    return DepartmentDirectory(
        {(f, None if d is None else UnitId(d)): DepartmentId(i) for (f, d), i in by_field.items()}
    )


# --- reading a problem back ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProblemView:
    """A stored problem as people read it: codes and names rather than ids."""

    id: ProblemId
    channel: str
    category_code: str
    category_name: str
    found_at: datetime
    lon: float
    lat: float
    description: str
    status: str
    place: PlaceNames
    department_code: str | None
    department_name: str | None
    deadline_at: datetime | None
    repeat_of: ProblemId | None
    is_high_score: bool
    photos: tuple[str, ...]  # paths relative to the photo folder
    repeat_index: int = 0
    is_overdue: bool = False
    case_id: CaseId | None = None  # what follows it up: a case, or a third-party finding
    finding_id: FindingId | None = None


@dataclass(frozen=True, slots=True)
class ReferenceNames:
    """Codes and names by id of everything a stored problem names (every boundary version, since an
    old report is located on the version then in force)."""

    category_ids: dict[str, CategoryId]
    category_names: dict[str, str]  # code → name
    grids: dict[int, str]  # id → code
    units: dict[int, tuple[str, str]]  # id → (code, name)
    roads: dict[int, tuple[str, str]]
    departments: dict[int, tuple[str, str]]


def read_reference_names(conn: Connection) -> ReferenceNames:
    categories = conn.execute(select(category.c.code, category.c.id, category.c.name)).all()
    return ReferenceNames(
        {code: CategoryId(i) for code, i, _ in categories},
        {code: name for code, _, name in categories},
        {int(i): str(code) for i, code in conn.execute(select(grid.c.id, grid.c.code))},
        _code_names(conn, admin_unit),
        _code_names(conn, road),
        _code_names(conn, department),
    )


def _code_names(conn: Connection, table: Any) -> dict[int, tuple[str, str]]:
    return {i: (code, name) for i, code, name in conn.execute(select(table.c.id, table.c.code, table.c.name))}


class SqlNameSource:
    """The reference names, cached for ``ttl_s`` seconds like the calendar and departments: intake
    answers with them instead of reading the stored problem back."""

    def __init__(self, engine: Engine, ttl_s: float = 60.0) -> None:
        self._cache = _Cached(engine, read_reference_names, ttl_s)

    def names(self) -> ReferenceNames:
        return self._cache.get()

    def category_ids(self) -> dict[str, CategoryId]:
        return self._cache.get().category_ids


def intake_view(names: ReferenceNames, intake: Intake, photos: Sequence[PhotoRecord]) -> ProblemView:
    """The problem intake just stored, as ``get_problem`` would read it back (times in UTC, as the
    database returns them); raises ``KeyError`` for an id the names do not hold yet."""
    department_id = intake.responsibility.department_id
    dept: tuple[str | None, str | None] = (
        (None, None) if department_id is None else names.departments[department_id]
    )
    due = None if intake.deadline_at is None else intake.deadline_at.astimezone(UTC)
    code = intake.category.code
    return ProblemView(
        intake.problem_id, intake.channel.value, code, names.category_names[code],
        intake.found_at.astimezone(UTC), intake.point.lon, intake.point.lat, intake.description,
        ProblemStatus.REPORTED.value, place_names(names, intake.location), *dept, due, intake.repeat_of,
        intake.is_high_score, tuple(p.path for p in photos), intake.repeat_index, False, intake.case_id,
        intake.finding_id,
    )  # fmt: skip


def place_names(names: ReferenceNames, location: Location) -> PlaceNames:
    """``places.describe`` from the cached names (the distance rounded alike)."""
    road_names: tuple[str | None, str | None] = (None, None)
    if location.road_id is not None:
        road_names = names.roads[location.road_id]
    distance = None if location.road_distance_m is None else round(location.road_distance_m, 1)
    units = names.units
    return PlaceNames(
        names.grids[location.grid_id], *units[location.community_id], *units[location.town_id],
        *units[location.district_id], *road_names, distance,
    )  # fmt: skip


def department_names(conn: Connection, department_id: DepartmentId | None) -> tuple[str | None, str | None]:
    if department_id is None:
        return None, None
    row = conn.execute(
        select(department.c.code, department.c.name).where(department.c.id == department_id)
    ).one()
    return row.code, row.name


def get_problem(conn: Connection, problem_id: int) -> ProblemView:
    """The problem with this id, with its place, department and photos; raises ``NotFoundError``."""
    c = problem.c
    row = conn.execute(
        select(
            problem, category.c.code.label("cat_code"), category.c.name.label("cat_name"),
            case_file.c.id.label("case_id"), finding.c.id.label("finding_id"),
        )
        .join(category, category.c.id == c.category_id)
        .outerjoin(case_file, case_file.c.problem_id == c.id)
        .outerjoin(finding, finding.c.problem_id == c.id)
        .where(c.id == problem_id)
    ).first()  # fmt: skip
    if row is None:
        raise NotFoundError("问题", problem_id)
    location = Location(
        GridId(row.grid_id), UnitId(row.community_id), UnitId(row.town_id), UnitId(row.district_id),
        None if row.road_id is None else RoadId(row.road_id), row.road_distance_m,
    )  # fmt: skip
    photos = conn.execute(
        select(problem_photo.c.path)
        .where(problem_photo.c.problem_id == problem_id)
        .order_by(problem_photo.c.id)
    ).scalars()
    return ProblemView(
        ProblemId(row.id), row.channel, row.cat_code, row.cat_name, row.found_at, row.lon, row.lat,
        row.description, row.status, describe(conn, location), *department_names(conn, row.department_id),
        row.deadline_at, None if row.repeat_of_id is None else ProblemId(row.repeat_of_id), row.is_high_score,
        tuple(photos), row.repeat_index, row.is_overdue, _id(CaseId, row.case_id),
        _id(FindingId, row.finding_id),
    )  # fmt: skip


def _id(kind: Callable[[int], T], value: int | None) -> T | None:
    return None if value is None else kind(value)


def stored_photo_paths(conn: Connection, paths: Collection[str]) -> set[str]:
    """Which of these photo paths a stored problem refers to."""
    query = select(problem_photo.c.path).where(problem_photo.c.path.in_(list(paths)))
    return set(conn.execute(query).scalars())
