"""What services need from storage and geography, as small protocols (adapters implement them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

from kaoping.domain.categories import CategoryTree
from kaoping.domain.ids import CategoryId, UnitId
from kaoping.domain.periods import Period
from kaoping.domain.problems import Location, Problem
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
