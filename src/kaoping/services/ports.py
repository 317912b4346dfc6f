"""What services need from storage and geography, as small protocols (adapters implement them)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

from kaoping.domain.calendar import WorkCalendar
from kaoping.domain.cases import Case
from kaoping.domain.categories import CategoryTree
from kaoping.domain.findings import Finding
from kaoping.domain.ids import CaseId, CategoryId, DepartmentId, FindingId, ProblemId, UnitId
from kaoping.domain.periods import Period
from kaoping.domain.problems import Location, Problem
from kaoping.domain.routing import DepartmentDirectory, Responsibility
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

    def mark_overdue(self, at: datetime) -> int:
        """Flag overdue the open problems past their deadline at ``at``; how many were flagged now."""
        ...

    def count_overdue(self) -> int:
        """Open problems flagged overdue."""
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
class NearbyProblem:
    """A stored problem as the repeat check at intake sees it (WGS84 point, times aware), with its own
    repeat link — the problem it repeats and when that was found — so a late report can take it over."""

    id: ProblemId
    category_id: CategoryId
    lon: float
    lat: float
    found_at: datetime
    closed_at: datetime | None
    voided: bool
    repeat_index: int = 0
    repeat_of: ProblemId | None = None
    repeat_of_found_at: datetime | None = None


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

    def problems_near(
        self,
        category_ids: Collection[CategoryId],
        lon: float,
        lat: float,
        radius_m: float,
        since: datetime,
        until: datetime,
    ) -> list[NearbyProblem]:
        """Stored problems of these categories found in [since, until] in a box around (lon, lat)
        that holds the circle of ``radius_m`` metres (the caller measures the exact distance)."""
        ...

    def add(self, problem: Problem, department_id: DepartmentId | None) -> ProblemId:
        """Store one problem with the department it was routed to; returns its id."""
        ...

    def add_photos(self, problem_id: ProblemId, photos: Sequence[PhotoRecord]) -> None: ...

    def relink_repeat(
        self, problem_id: ProblemId, repeat_of: ProblemId, repeat_index: int, previous_index: int
    ) -> None:
        """Make a stored problem a repeat of ``repeat_of`` with ``repeat_index``, and move the index of
        every problem that repeats it, directly or down a chain, by the same step."""
        ...


class NewCases(Protocol):
    def add(self, case: Case, responsibility: Responsibility) -> CaseId:
        """Store a new case led by whom routing says; storage gives its id."""
        ...


class NewFindings(Protocol):
    def add(self, item: Finding) -> FindingId:
        """Store a new third-party finding; storage gives its id."""
        ...


class IntakeUnitOfWork(Protocol):
    """One intake transaction: leaving the block without ``commit()`` rolls everything back."""

    @property
    def intake(self) -> IntakeStore: ...

    @property
    def cases(self) -> NewCases: ...

    @property
    def findings(self) -> NewFindings: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...
