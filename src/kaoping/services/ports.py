"""What services need from storage and geography, as small protocols (adapters implement them)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

from kaoping.domain.calendar import WorkCalendar
from kaoping.domain.categories import CategoryTree
from kaoping.domain.ids import CategoryId, DepartmentId, ProblemId, UnitId
from kaoping.domain.periods import Period
from kaoping.domain.problems import Location, Problem
from kaoping.domain.routing import DepartmentDirectory
from kaoping.domain.scoring import ProblemFact, UnitScore


class Locator(Protocol):
    def locate(self, lon: float, lat: float, at: date | None = None) -> Location:
        """The grid, community, town, district and nearest road of a WGS84 point, among the
        boundaries in force on day ``at`` (None: in force now)."""
        ...


class FactStore(Protocol):
    def problem_facts(self, start: datetime, end: datetime) -> list[ProblemFact]:
        """Problems found in [start, end), counted per district × category × channel × flags."""
        ...


class ScoreStore(Protocol):
    def group_members(self) -> dict[str, list[UnitId]]:
        """Evaluation group code → the districts ranked in it."""
        ...

    def total_ranks(self, period: Period) -> dict[UnitId, int]:
        """Ranks stored for ``period`` (empty if it was never scored)."""
        ...

    def save_scores(
        self, period: Period, start: datetime, end: datetime, scores: Sequence[UnitScore]
    ) -> None:
        """Replace whatever was stored for ``period`` with ``scores``."""
        ...


class ProblemStore(Protocol):
    def category_ids(self) -> dict[str, CategoryId]: ...

    def add(self, problem: Problem) -> int:
        """Store one problem and return its id."""
        ...


class UnitOfWork(Protocol):
    """One transaction: leaving the block without ``commit()`` rolls everything back."""

    @property
    def facts(self) -> FactStore: ...

    @property
    def scores(self) -> ScoreStore: ...

    @property
    def problems(self) -> ProblemStore: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...


class CategorySource(Protocol):
    def categories(self) -> CategoryTree: ...


# --- intake: routing, deadlines, repeats, photos --------------------------------------------------


class CalendarSource(Protocol):
    def calendar(self) -> WorkCalendar:
        """The working calendar deadlines are counted on (may be cached by the adapter)."""
        ...


class DepartmentSource(Protocol):
    def departments(self) -> DepartmentDirectory:
        """Departments by field and district, for routing (may be cached by the adapter)."""
        ...


@dataclass(frozen=True, slots=True)
class EarlierProblem:
    """A stored problem as a repeat check at intake sees it (WGS84 point, times aware)."""

    id: ProblemId
    category_id: CategoryId
    lon: float
    lat: float
    found_at: datetime
    closed_at: datetime | None
    voided: bool


@dataclass(frozen=True, slots=True)
class PhotoRecord:
    """A photo already kept in the photo folder, to be linked to its problem."""

    path: str  # relative to the photo folder
    thumbnail_path: str
    content_type: str
    size_bytes: int
    width: int
    height: int
    taken_at: datetime | None = None  # EXIF DateTimeOriginal, aware
    lon: float | None = None  # EXIF GPS, WGS84
    lat: float | None = None


class IntakeStore(Protocol):
    """What intake reads and writes inside its transaction."""

    def category_ids(self) -> dict[str, CategoryId]: ...

    def earlier_problems(
        self,
        category_ids: Collection[CategoryId],
        lon: float,
        lat: float,
        radius_m: float,
        since: datetime,
        until: datetime,
    ) -> list[EarlierProblem]:
        """Stored problems of these categories found in [since, until) in a box around (lon, lat)
        that holds the circle of ``radius_m`` metres (the caller measures the exact distance)."""
        ...

    def repeat_index(self, problem_id: ProblemId) -> int:
        """How many repeat links lead from this problem back to the first of its chain (0: none)."""
        ...

    def add(self, problem: Problem, department_id: DepartmentId | None) -> ProblemId:
        """Store one problem with the department it was routed to; returns its id."""
        ...

    def add_photos(self, problem_id: ProblemId, photos: Sequence[PhotoRecord]) -> None: ...


class IntakeUnitOfWork(Protocol):
    """One intake transaction: leaving the block without ``commit()`` rolls everything back."""

    @property
    def intake(self) -> IntakeStore: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...
