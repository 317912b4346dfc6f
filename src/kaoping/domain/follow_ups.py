"""What a problem's follow-up — its case (案件) or its third-party finding (测评问题) — says of the
problem itself, so the flags stored on the problem row stay right on every change (DESIGN.md
decision 3: reports read the flags, they never recompute them).

A problem is **overdue** (超时) when it is still open past its deadline or was closed after it. The
deadline is the follow-up's own once it has one (a case's 处置时限 from dispatch, moved by 延期 and
挂账; a finding's 整改期限), else the one intake set on the problem. A voided problem was never a
problem and is never overdue. A finding's lateness is the clock's call made by its own life
(超时反馈, 整改超时, 逾期未反馈), and the problem follows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from kaoping.domain.cases import Case, CaseStatus, StatusType
from kaoping.domain.findings import Finding, FindingStatus
from kaoping.domain.problems import ProblemStatus


@dataclass(frozen=True, slots=True)
class ProblemStanding:
    """The problem row as its follow-up leaves it: status and closing time, and how to tell whether
    it is overdue — ``late`` outright, or its deadline (``deadline``; None: the problem's own) before
    ``judged_at`` (None: never overdue by the clock)."""

    status: ProblemStatus
    closed_at: datetime | None = None
    deadline: datetime | None = None
    judged_at: datetime | None = None
    late: bool = False

    def is_overdue(self, problem_deadline: datetime | None) -> bool:
        """Whether the problem is overdue, given the deadline intake set on it."""
        due = self.deadline or problem_deadline
        return self.late or (self.judged_at is not None and due is not None and due < self.judged_at)


_UNDISPATCHED = frozenset({CaseStatus.REPORTED, CaseStatus.VERIFYING, CaseStatus.ACCEPTED, CaseStatus.FILED})


def case_standing(case: Case, at: datetime) -> ProblemStanding:
    """The problem of ``case`` as the case stands at ``at``: closed (结案, 自行处置) and judged at its
    closing, voided (作废, 不予受理) and never overdue, or open — reported until dispatched — and
    judged at ``at``."""
    if case.status_type is StatusType.CLOSED:
        if case.status is CaseStatus.CLOSED:
            return ProblemStanding(ProblemStatus.CLOSED, case.closed_at, case.deadline_at, case.closed_at)
        return ProblemStanding(ProblemStatus.VOIDED, case.closed_at)
    status = ProblemStatus.REPORTED if case.status in _UNDISPATCHED else ProblemStatus.DISPATCHED
    return ProblemStanding(status, None, case.deadline_at, at)


_FINDING_PROBLEM: Mapping[FindingStatus, ProblemStatus] = MappingProxyType(
    {
        FindingStatus.FOUND: ProblemStatus.REPORTED,
        FindingStatus.APPEALED: ProblemStatus.REPORTED,
        FindingStatus.ASSIGNED: ProblemStatus.DISPATCHED,
        FindingStatus.OVERDUE_NO_FEEDBACK: ProblemStatus.DISPATCHED,
        FindingStatus.FEEDBACK_ON_TIME: ProblemStatus.DISPATCHED,
        FindingStatus.FEEDBACK_LATE: ProblemStatus.DISPATCHED,
        FindingStatus.RECTIFIED_ON_TIME: ProblemStatus.CLOSED,
        FindingStatus.RECTIFIED_LATE: ProblemStatus.CLOSED,
        FindingStatus.VOIDED: ProblemStatus.VOIDED,
    }
)
_LATE = frozenset(
    {FindingStatus.FEEDBACK_LATE, FindingStatus.RECTIFIED_LATE, FindingStatus.OVERDUE_NO_FEEDBACK}
)
# Waiting on someone other than the unit: the unit's clock is not held against it meanwhile.
_NOT_JUDGED = frozenset({FindingStatus.FEEDBACK_ON_TIME, FindingStatus.APPEALED})


def finding_standing(finding: Finding, at: datetime) -> ProblemStanding:
    """The problem of a third-party ``finding`` as it stands at ``at``: rectified (closed at the
    passing review), voided by an upheld appeal, late when the finding's life says so, otherwise
    judged at ``at`` against the rectification deadline."""
    status = _FINDING_PROBLEM[finding.status]
    closed_at = finding.changed_at if status in (ProblemStatus.CLOSED, ProblemStatus.VOIDED) else None
    if finding.status in _LATE:
        return ProblemStanding(status, closed_at, late=True)
    if status is not ProblemStatus.REPORTED and status is not ProblemStatus.DISPATCHED:
        return ProblemStanding(status, closed_at)
    if finding.status in _NOT_JUDGED:
        return ProblemStanding(status)
    return ProblemStanding(status, None, finding.rectify_deadline_at, at)
