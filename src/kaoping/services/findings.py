"""Moving third-party findings (第三方测评问题) through their life: record, act, sweep for 逾期未反馈.

No rule lives here: ``kaoping.domain.findings`` says what may follow what (``apply``) and which
findings are overdue (``mark_overdue``); this module loads, lets it decide, and stores the finding
with the record of the step in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

from kaoping.domain import findings
from kaoping.domain.errors import KaopingError
from kaoping.domain.findings import Finding, FindingAction, FindingTransition
from kaoping.domain.ids import FindingId, PersonId, ProblemId


class FindingChangedError(KaopingError):
    """Someone else moved the finding between loading and saving it; nothing was stored."""

    def __init__(self, finding_id: FindingId) -> None:
        super().__init__(f"测评问题 {finding_id} 刚被他人处理, 请刷新后重试")
        self.finding_id = finding_id


class FindingStore(Protocol):
    def get(self, finding_id: FindingId) -> Finding:
        """The finding as stored; ``NotFoundError`` if there is none."""
        ...

    def find_by_problem(self, problem_id: ProblemId) -> Finding | None: ...

    def add(self, item: Finding) -> FindingId:
        """Store a new finding (storage gives its id); ``NotFoundError`` if the problem does not exist."""
        ...

    def save(self, item: Finding, transition: FindingTransition) -> None:
        """Store the changed finding and append ``transition``; refused with ``FindingChangedError``
        if the finding left ``transition.from_status`` meanwhile (a compare-and-set), with
        ``NotFoundError`` if the actor is not a known person."""
        ...

    def list_transitions(self, finding_id: FindingId) -> list[FindingTransition]:
        """Every recorded step, oldest first; ``NotFoundError`` if there is no finding."""
        ...

    def list_assigned(self, due_before: datetime) -> list[Finding]:
        """Assigned findings whose rectification deadline is before ``due_before`` (a narrowing for
        the sweep; ``mark_overdue`` decides)."""
        ...


class FindingUnitOfWork(Protocol):
    """One transaction over findings: leaving the block without ``commit()`` rolls everything back."""

    @property
    def findings(self) -> FindingStore: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...


class FindingAlreadyRecordedError(KaopingError):
    """A problem is followed by one finding; a second one is refused."""

    def __init__(self, problem_id: ProblemId, finding_id: FindingId) -> None:
        super().__init__(f"问题 {problem_id} 已有测评问题 {finding_id}, 不能重复登记")
        self.problem_id = problem_id
        self.finding_id = finding_id


@dataclass(frozen=True, slots=True)
class FindingFile:
    """A finding and every step it went through (测评问题详情)."""

    finding: Finding
    history: list[FindingTransition]


def record_finding_for(uow: FindingUnitOfWork, problem_id: ProblemId, at: datetime) -> Finding:
    """Record the finding a tester made of a stored problem (已发现); one finding per problem."""
    item = findings.record_finding(FindingId(0), problem_id, at)
    with uow:
        existing = uow.findings.find_by_problem(problem_id)
        if existing is not None:
            raise FindingAlreadyRecordedError(problem_id, existing.id)
        item = replace(item, id=uow.findings.add(item))
        uow.commit()
    return item


def act_on_finding(
    uow: FindingUnitOfWork,
    finding_id: FindingId,
    action: FindingAction,
    *,
    actor: PersonId,
    at: datetime,
    reason: str = "",
    attachments: Sequence[str] = (),
    deadline: datetime | None = None,
) -> FindingTransition:
    """Take one action on a finding and record it; a refused action stores nothing."""
    with uow:
        item = uow.findings.get(finding_id)
        changed, transition = findings.apply(
            item, action, actor=actor, at=at, reason=reason, attachments=attachments, deadline=deadline
        )
        uow.findings.save(changed, transition)
        uow.commit()
    return transition


def sweep_overdue(
    uow: FindingUnitOfWork, at: datetime, grace: timedelta = timedelta(0)
) -> list[FindingTransition]:
    """Mark 逾期未反馈 every assigned finding past its deadline plus ``grace`` at ``at``, all in one
    transaction (a finding moved meanwhile refuses the whole sweep; running it again is safe)."""
    with uow:
        marked = findings.mark_overdue(uow.findings.list_assigned(at - grace), at, grace)
        for changed, transition in marked:
            uow.findings.save(changed, transition)
        uow.commit()
    return [transition for _, transition in marked]


def finding_history(uow: FindingUnitOfWork, finding_id: FindingId) -> list[FindingTransition]:
    """A finding's full history, oldest step first."""
    with uow:
        return uow.findings.list_transitions(finding_id)


def get_finding_file(uow: FindingUnitOfWork, finding_id: FindingId) -> FindingFile:
    """A finding as it stands with its full history, read in one transaction."""
    with uow:
        return FindingFile(uow.findings.get(finding_id), uow.findings.list_transitions(finding_id))
