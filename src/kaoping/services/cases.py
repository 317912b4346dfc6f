"""Moving cases through the loop: load, let the domain's one guard decide, store the case and the
record of the step in one transaction. No rule lives here; the table in ``kaoping.domain.cases``
says what may follow what.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from kaoping.domain import cases
from kaoping.domain.cases import Case, CaseAction, Transition
from kaoping.domain.errors import KaopingError
from kaoping.domain.ids import CaseId, PersonId


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
