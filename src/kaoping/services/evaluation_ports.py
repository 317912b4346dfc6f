"""What the evaluation services need from storage and scheme files (adapters implement these), and
the plain records they exchange: entered manual scores and adjustment events, and the problems
behind a score line."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Protocol, Self
from zoneinfo import ZoneInfo

from kaoping.domain.facts import EvaluationFacts, Previous
from kaoping.domain.ids import ProblemId
from kaoping.domain.periods import Period
from kaoping.domain.problems import Channel
from kaoping.domain.results import Evaluation, ScoreLine
from kaoping.domain.revisions import EvaluationPeriod, PeriodStatus, PeriodStep, Revision
from kaoping.domain.schemes import EvaluatedLevel, Scheme


@dataclass(frozen=True, slots=True)
class ManualEntry:
    """Points entered for a unit × manual item of a scheme in a period (部门考评, 专家评审…)."""

    scheme: str
    period: Period
    unit: str
    item: str
    points: Decimal
    entered_by: str
    entered_at: datetime
    note: str = ""


@dataclass(frozen=True, slots=True)
class AdjustmentEntry:
    """An entered event a bonus or penalty counts (an adopted publicity report, an exposure…)."""

    scheme: str
    period: Period
    unit: str
    adjustment: str
    tier: str
    count: int
    points: Decimal | None  # entered points each; None: the scheme's points for the tier
    entered_by: str
    entered_at: datetime
    note: str = ""
    id: int = 0  # given by storage


@dataclass(frozen=True, slots=True)
class LineQuery:
    """The problems a score line counted: its fact key, the unit at its level, and when."""

    unit: str
    level: EvaluatedLevel
    line: ScoreLine
    start: datetime  # [start, end): the period, or the month of a monthly line
    end: datetime
    department_share: Decimal  # the scheme's liability split (a town's share-1 lines exclude departments')


@dataclass(frozen=True, slots=True)
class ProblemBehind:
    id: ProblemId
    found_at: datetime
    category_code: str
    category_name: str
    channel: Channel
    grid_code: str
    town_name: str
    status: str


@dataclass(frozen=True, slots=True)
class LineProblems:
    """How many stored problems match a line now, and the first of them."""

    count: int
    shown: tuple[ProblemBehind, ...]


@dataclass(frozen=True, slots=True)
class VersionedScheme:
    """A scheme version with the sha256 of the file it was read from (a revision records both)."""

    scheme: Scheme
    digest: str
    source: str = ""  # the file, for messages


class SchemeSource(Protocol):
    def schemes(self) -> Sequence[VersionedScheme]:
        """Every scheme version available (the packaged ones and the city's own)."""
        ...


class PeriodStore(Protocol):
    def list_periods(self, period: Period) -> list[EvaluationPeriod]:
        """Every scheme × level computed for ``period``."""
        ...

    def find_period(self, scheme: str, period: Period, level: EvaluatedLevel) -> EvaluationPeriod | None: ...

    def save_period(self, period: EvaluationPeriod, step: PeriodStep | None, at: datetime) -> None:
        """Insert or update the period, and record ``step`` as its own row."""
        ...

    def list_steps(self, period: EvaluationPeriod) -> list[PeriodStep]:
        """Every recorded step of the period, oldest first."""
        ...

    def list_revisions(self, period: EvaluationPeriod) -> list[Revision]:
        """The period's revisions, oldest first."""
        ...

    def add_revision(
        self, period: EvaluationPeriod, revision: Revision, evaluation: Evaluation, department_share: Decimal
    ) -> None:
        """Store a revision with every result and score line of ``evaluation``."""
        ...

    def mark_revision(
        self, period: EvaluationPeriod, number: int, status: PeriodStatus, at: datetime
    ) -> None:
        """Move a revision to the stage its period reached (published: frozen from ``at`` on)."""
        ...

    def results(
        self, period: EvaluationPeriod, number: int, *, unit: str | None = None, lines: bool = False
    ) -> Evaluation:
        """A stored revision's results (one unit's only, with ``unit``); score lines with ``lines``."""
        ...

    def department_share(self, period: EvaluationPeriod, number: int) -> Decimal:
        """The liability split the revision's facts were cut with."""
        ...

    def published_standings(self, scheme: str, period: Period, level: EvaluatedLevel) -> dict[str, Previous]:
        """Each unit's rank and total in the latest published revision of ``period`` (empty: none)."""
        ...


class EvaluationFactSource(Protocol):
    def unit_levels(self, codes: Collection[str]) -> dict[str, EvaluatedLevel]:
        """The level of each code that names a district, a town/street or a department."""
        ...

    def unit_names(self, codes: Collection[str]) -> dict[str, str]:
        """The names of the units (districts, towns/streets, departments) these codes name."""
        ...

    def period_facts(self, scheme: Scheme, period: Period, tz: ZoneInfo, at: datetime) -> EvaluationFacts:
        """The counted facts of ``period`` for the members of ``scheme`` (cases judged at ``at``)."""
        ...

    def problems_behind(self, query: LineQuery, limit: int) -> LineProblems:
        """The stored problems that match a score line's fact key, oldest first (at most ``limit``)."""
        ...


class EntryStore(Protocol):
    def list_manual_scores(self, scheme: str, period: Period) -> list[ManualEntry]: ...

    def set_manual_score(self, entry: ManualEntry) -> None:
        """Store the entry, replacing an earlier one for the same unit × item."""
        ...

    def list_adjustment_events(self, scheme: str, period: Period) -> list[AdjustmentEntry]: ...

    def add_adjustment_event(self, entry: AdjustmentEntry) -> int:
        """Store the event; storage gives its id."""
        ...

    def remove_adjustment_event(self, event_id: int) -> AdjustmentEntry:
        """Delete an event and return it; NotFoundError when there is none."""
        ...


class EvaluationUnitOfWork(Protocol):
    """One transaction over evaluations: leaving the block without ``commit()`` rolls back."""

    @property
    def evaluations(self) -> PeriodStore: ...

    @property
    def evaluation_facts(self) -> EvaluationFactSource: ...

    @property
    def entries(self) -> EntryStore: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...
