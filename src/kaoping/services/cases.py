"""Moving cases through the loop: load, let the domain's one guard decide, store the case and the
record of the step in one transaction (the store keeps the problem's status and flags in step). No
rule lives here; the table in ``kaoping.domain.cases`` says what may follow what. And the overdue
sweep over problems still open past their deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from types import TracebackType
from typing import Protocol, Self

from kaoping.domain import cases, deadlines
from kaoping.domain.calendar import WorkCalendar
from kaoping.domain.cases import Case, CaseAction, CaseStatus, StatusType, Transition
from kaoping.domain.categories import DeadlineUnit
from kaoping.domain.deadlines import WORKING_UNITS, StepTimer, elapsed, step_timer
from kaoping.domain.errors import KaopingError
from kaoping.domain.ids import CaseId, PersonId, ProblemId
from kaoping.domain.routing import Lead, Responsibility
from kaoping.services.ports import ProblemStore


class CaseChangedError(KaopingError):
    """Someone else moved the case between loading and saving it; nothing was stored."""

    def __init__(self, case_id: CaseId) -> None:
        super().__init__(f"案件 {case_id} 刚被他人处理, 请刷新后重试")
        self.case_id = case_id


class CaseStore(Protocol):
    def get(self, case_id: CaseId) -> Case:
        """The case as stored; ``NotFoundError`` if there is none."""
        ...

    def save(self, case: Case, transition: Transition) -> None:
        """Store the changed case and append ``transition`` to its history.

        Refuses with ``CaseChangedError`` unless the stored version is ``case.version - 1``, the
        one it was loaded at (a compare-and-set), so two people acting on one case cannot both win."""
        ...

    def list_transitions(self, case_id: CaseId) -> list[Transition]:
        """Every recorded step of the case, oldest first; ``NotFoundError`` if there is no case."""
        ...


class CaseUnitOfWork(Protocol):
    """One transaction over cases: leaving the block without ``commit()`` rolls everything back."""

    @property
    def cases(self) -> CaseStore: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...


def act_on_case(
    uow: CaseUnitOfWork,
    case_id: CaseId,
    action: CaseAction,
    *,
    actor: PersonId,
    at: datetime,
    reason: str = "",
    attachments: Sequence[str] = (),
    deadline: datetime | None = None,
) -> Transition:
    """Take one action on a case and record it; a refused action stores nothing."""
    with uow:
        case = uow.cases.get(case_id)
        changed, transition = cases.apply(
            case, action, actor=actor, at=at, reason=reason, attachments=attachments, deadline=deadline
        )
        uow.cases.save(changed, transition)
        uow.commit()
    return transition


def case_history(uow: CaseUnitOfWork, case_id: CaseId) -> list[Transition]:
    """A case's full history, oldest step first."""
    with uow:
        return uow.cases.list_transitions(case_id)


# --- storing, listing and showing cases ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """A stored case with what lists and timers need besides the case itself."""

    case: Case
    lead: Lead
    handler: str  # the leading town/street or department, by name
    category_code: str
    category_name: str
    limit_value: int | None  # 处置时限 of its category; None: the category sets none
    limit_unit: DeadlineUnit | None


@dataclass(frozen=True, slots=True)
class OpenCase:
    """An open case and its disposal timer (None until it is dispatched)."""

    summary: CaseSummary
    timer: StepTimer | None


@dataclass(frozen=True, slots=True)
class CaseFile:
    """A case, its timer and every step it went through (案件详情)."""

    summary: CaseSummary
    timer: StepTimer | None
    history: list[Transition]


class CaseRegistry(CaseStore, Protocol):
    """The case store with what opening, listing and showing cases need."""

    def find_by_problem(self, problem_id: ProblemId) -> Case | None: ...

    def add(self, case: Case, responsibility: Responsibility) -> CaseId:
        """Store a new case (storage gives its id) with who leads it; ``NotFoundError`` if the
        problem does not exist."""
        ...

    def summary(self, case_id: CaseId) -> CaseSummary:
        """The case with its lead and category; ``NotFoundError`` if there is none."""
        ...

    def list_open(self, unit_code: str) -> list[CaseSummary]:
        """Open cases led by the unit or department with this code (a district: all in it);
        ``NotFoundError`` if no unit or department has the code."""
        ...


class CaseRegistryUnitOfWork(CaseUnitOfWork, Protocol):
    @property
    def cases(self) -> CaseRegistry: ...


class CaseAlreadyOpenError(KaopingError):
    """A problem is followed by one case; a second one is refused."""

    def __init__(self, problem_id: ProblemId, case_id: CaseId) -> None:
        super().__init__(f"问题 {problem_id} 已有案件 {case_id}, 不能重复立卷")
        self.problem_id = problem_id
        self.case_id = case_id


def open_case_for(
    uow: CaseRegistryUnitOfWork, problem_id: ProblemId, responsibility: Responsibility, at: datetime
) -> Case:
    """Open the case of a reported problem (上报), led by whom routing says; one case per problem."""
    case = cases.report_case(CaseId(0), problem_id, at)
    with uow:
        existing = uow.cases.find_by_problem(problem_id)
        if existing is not None:
            raise CaseAlreadyOpenError(problem_id, existing.id)
        case = replace(case, id=uow.cases.add(case, responsibility))
        uow.commit()
    return case


def move_case(
    uow: CaseRegistryUnitOfWork,
    case_id: CaseId,
    action: CaseAction,
    *,
    actor: PersonId,
    at: datetime,
    calendar: WorkCalendar,
    tz: tzinfo,
    reason: str = "",
    attachments: Sequence[str] = (),
    deadline: datetime | None = None,
    expected_version: int | None = None,
) -> Transition:
    """``act_on_case`` for people: refuses a case changed since they saw ``expected_version``, and
    gives a first dispatch its category's deadline and a resume the deadline pushed back by the hold."""
    with uow:
        summary = uow.cases.summary(case_id)
        case = summary.case
        if expected_version is not None and case.version != expected_version:
            raise CaseChangedError(case_id)
        if deadline is None:
            deadline = _default_deadline(summary, action, at, calendar, tz)
        changed, transition = cases.apply(
            case, action, actor=actor, at=at, reason=reason, attachments=attachments, deadline=deadline
        )
        uow.cases.save(changed, transition)
        uow.commit()
    return transition


def list_open_cases(
    uow: CaseRegistryUnitOfWork, unit_code: str, at: datetime, calendar: WorkCalendar, tz: tzinfo
) -> list[OpenCase]:
    """A unit's open cases with their timers read at ``at``, the most urgent deadline first."""
    with uow:
        summaries = uow.cases.list_open(unit_code)
    listed = [OpenCase(s, case_timer(s.case, s.limit_unit, at, calendar, tz)) for s in summaries]
    return sorted(listed, key=_urgency)


def get_case_file(
    uow: CaseRegistryUnitOfWork, case_id: CaseId, at: datetime, calendar: WorkCalendar, tz: tzinfo
) -> CaseFile:
    """A case with its timer and full history; the timer stops at the last feedback once handled."""
    with uow:
        summary = uow.cases.summary(case_id)
        history = uow.cases.list_transitions(case_id)
    case = summary.case
    read_at = at if case.status_type is StatusType.OPEN or case.fed_back_at is None else case.fed_back_at
    return CaseFile(summary, case_timer(case, summary.limit_unit, read_at, calendar, tz), history)


def case_timer(
    case: Case, unit: DeadlineUnit | None, at: datetime, calendar: WorkCalendar, tz: tzinfo
) -> StepTimer | None:
    """The disposal clock from the first dispatch to the case's deadline, holds not counted.

    The limit is read off the stored deadline (which extensions and resumes move) on the clock of the
    category's unit — working time for 工作时/工作日, wall time otherwise — so the light agrees with
    the deadline whatever moved it. None before the first dispatch."""
    start, due = case.dispatched_at, case.deadline_at
    if start is None or due is None:
        return None
    clock = DeadlineUnit.WORK_HOURS if unit in WORKING_UNITS else DeadlineUnit.HOURS
    # Closed holds pushed the stored deadline back; an open one is counted by the timer up to ``at``.
    closed = [(h.start, h.end) for h in case.holds if h.end is not None]
    allowed = elapsed(start, due, clock, calendar, tz, closed)
    if allowed <= timedelta(0):  # due inside the night after dispatch: no working time at all
        clock, allowed = DeadlineUnit.HOURS, elapsed(start, due, DeadlineUnit.HOURS, calendar, tz, closed)
    hours = Decimal(allowed // _MICROSECOND) / _MICROSECONDS_PER_HOUR
    return step_timer(start, at, hours, clock, calendar, tz, case.hold_spans(at))


_MICROSECOND = timedelta(microseconds=1)
_MICROSECONDS_PER_HOUR = Decimal(3_600_000_000)
_FAR = datetime.max.replace(tzinfo=UTC)


def _default_deadline(
    summary: CaseSummary, action: CaseAction, at: datetime, calendar: WorkCalendar, tz: tzinfo
) -> datetime | None:
    """The deadline the rules give when the person acting gives none (the guard checks it)."""
    case = summary.case
    if action is CaseAction.DISPATCH and case.deadline_at is None:
        if summary.limit_value is None or summary.limit_unit is None:
            return None  # the category sets no limit: the guard asks for one
        return deadlines.deadline(at, summary.limit_value, summary.limit_unit, calendar, tz)
    if action is CaseAction.RESUME and case.status is CaseStatus.ON_HOLD:
        timer = case_timer(case, summary.limit_unit, at, calendar, tz)
        return None if timer is None else max(timer.deadline, case.deadline_at or timer.deadline)
    return None


def _urgency(item: OpenCase) -> tuple[datetime, int]:
    return (item.timer.deadline if item.timer else _FAR, item.summary.case.id)


# --- the overdue sweep ------------------------------------------------------------------------------


class ProblemUnitOfWork(Protocol):
    """One transaction over problems: leaving the block without ``commit()`` rolls everything back."""

    @property
    def problems(self) -> ProblemStore: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...


@dataclass(frozen=True, slots=True)
class OverdueSweep:
    """What a sweep found at ``at``: problems flagged overdue now, and all open ones flagged."""

    at: datetime
    marked: int
    overdue: int


def sweep_overdue_problems(uow: ProblemUnitOfWork, at: datetime) -> OverdueSweep:
    """Flag overdue (超时) every open problem past its deadline at ``at``, in one transaction; running
    it again flags nothing new. Closing, voiding and every other step keep the flag right on their own;
    the sweep catches problems nobody touched. Run it at least daily and at every period close."""
    with uow:
        marked = uow.problems.mark_overdue(at)
        overdue = uow.problems.count_overdue()
        uow.commit()
    return OverdueSweep(at, marked, overdue)
