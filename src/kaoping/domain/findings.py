"""The life of a third-party finding (第三方测评问题), domain.md §10.5.

A tester's finding is pushed to the responsible unit (交办) with a rectification deadline; the unit
feeds back (on time or late, decided by the clock, not by the person); the evaluation office
reviews (复核) — passed, it is rectified on time or late (整改超时); failed, it goes back to the unit.
A finding with no feedback by its deadline (plus an optional grace) becomes 逾期未反馈 through
``mark_overdue``, which the system runs, not a person. A unit may appeal (申诉) before it feeds
back: upheld, the finding is void and deducts nothing; rejected, it returns to where it was.

The same guard machinery as the case loop (``kaoping.domain.cases``): one table, one ``apply``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from kaoping.domain.cases import IllegalTransitionError, StatusType, WorkflowError, check_step, parse_labelled
from kaoping.domain.ids import FindingId, PersonId, ProblemId


class FindingStatus(StrEnum):
    FOUND = "found"  # 已发现, not yet pushed to the unit
    ASSIGNED = "assigned"  # 已交办, the unit is rectifying
    FEEDBACK_ON_TIME = "feedback_on_time"  # 按时反馈, waiting for review
    FEEDBACK_LATE = "feedback_late"  # 超时反馈, waiting for review
    OVERDUE_NO_FEEDBACK = "overdue_no_feedback"  # 逾期未反馈
    RECTIFIED_ON_TIME = "rectified_on_time"  # 按时整改
    RECTIFIED_LATE = "rectified_late"  # 整改超时
    APPEALED = "appealed"  # 申诉中
    VOIDED = "voided"  # 申诉成立: void, deducts nothing

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def type(self) -> StatusType:
        return STATUS_TYPES[self]


class FindingAction(StrEnum):
    ASSIGN = "assign"  # 交办, with the rectification deadline
    FEED_BACK = "feed_back"  # 整改反馈
    PASS_REVIEW = "pass_review"  # 复核通过
    FAIL_REVIEW = "fail_review"  # 复核不通过
    MARK_OVERDUE = "mark_overdue"  # 逾期未反馈: by the clock (``mark_overdue``)
    APPEAL = "appeal"  # 申诉
    UPHOLD_APPEAL = "uphold_appeal"  # 申诉成立
    REJECT_APPEAL = "reject_appeal"  # 申诉驳回

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]

    @classmethod
    def parse(cls, text: str) -> FindingAction:
        """Read an action as stored (``feed_back``) or as people say it (整改反馈)."""
        return parse_labelled(_ACTION_LABELS, text, "测评问题操作")


_STATUS_LABELS: Mapping[FindingStatus, str] = {
    FindingStatus.FOUND: "已发现(待交办)",
    FindingStatus.ASSIGNED: "已交办(整改中)",
    FindingStatus.FEEDBACK_ON_TIME: "按时反馈(待复核)",
    FindingStatus.FEEDBACK_LATE: "超时反馈(待复核)",
    FindingStatus.OVERDUE_NO_FEEDBACK: "逾期未反馈",
    FindingStatus.RECTIFIED_ON_TIME: "按时整改",
    FindingStatus.RECTIFIED_LATE: "整改超时",
    FindingStatus.APPEALED: "申诉中",
    FindingStatus.VOIDED: "申诉成立(不扣分)",
}

_ACTION_LABELS: Mapping[FindingAction, str] = {
    FindingAction.ASSIGN: "交办",
    FindingAction.FEED_BACK: "整改反馈",
    FindingAction.PASS_REVIEW: "复核通过",
    FindingAction.FAIL_REVIEW: "复核不通过",
    FindingAction.MARK_OVERDUE: "标记逾期未反馈",
    FindingAction.APPEAL: "申诉",
    FindingAction.UPHOLD_APPEAL: "申诉成立",
    FindingAction.REJECT_APPEAL: "申诉驳回",
}

_S, _A = FindingStatus, FindingAction
STATUS_TYPES: Mapping[FindingStatus, StatusType] = MappingProxyType(
    {
        _S.FOUND: StatusType.OPEN,
        _S.ASSIGNED: StatusType.OPEN,
        _S.OVERDUE_NO_FEEDBACK: StatusType.OPEN,  # still owed: a late feedback is still taken
        _S.APPEALED: StatusType.OPEN,
        _S.FEEDBACK_ON_TIME: StatusType.HANDLED,
        _S.FEEDBACK_LATE: StatusType.HANDLED,
        _S.RECTIFIED_ON_TIME: StatusType.CLOSED,
        _S.RECTIFIED_LATE: StatusType.CLOSED,
        _S.VOIDED: StatusType.CLOSED,
    }
)

TRANSITIONS: Mapping[tuple[FindingStatus, FindingAction], tuple[FindingStatus, ...]] = MappingProxyType(
    {
        (_S.FOUND, _A.ASSIGN): (_S.ASSIGNED,),
        (_S.FOUND, _A.APPEAL): (_S.APPEALED,),
        # Where feedback lands is decided by the clock: by the deadline or after it.
        (_S.ASSIGNED, _A.FEED_BACK): (_S.FEEDBACK_ON_TIME, _S.FEEDBACK_LATE),
        (_S.ASSIGNED, _A.MARK_OVERDUE): (_S.OVERDUE_NO_FEEDBACK,),
        (_S.ASSIGNED, _A.APPEAL): (_S.APPEALED,),
        (_S.OVERDUE_NO_FEEDBACK, _A.FEED_BACK): (_S.FEEDBACK_LATE,),
        (_S.FEEDBACK_ON_TIME, _A.PASS_REVIEW): (_S.RECTIFIED_ON_TIME,),
        (_S.FEEDBACK_ON_TIME, _A.FAIL_REVIEW): (_S.ASSIGNED,),
        (_S.FEEDBACK_LATE, _A.PASS_REVIEW): (_S.RECTIFIED_LATE,),
        (_S.FEEDBACK_LATE, _A.FAIL_REVIEW): (_S.ASSIGNED,),
        (_S.APPEALED, _A.UPHOLD_APPEAL): (_S.VOIDED,),
        # A rejected appeal returns the finding to the status it was appealed from.
        (_S.APPEALED, _A.REJECT_APPEAL): (_S.FOUND, _S.ASSIGNED),
    }
)
"""(status, action) → the statuses it can lead to; where there are two, ``apply`` picks by the
clock (feedback) or by the status before the appeal. A pair not in the table is refused."""

REASON_REQUIRED: frozenset[FindingAction] = frozenset(
    {_A.FAIL_REVIEW, _A.APPEAL, _A.UPHOLD_APPEAL, _A.REJECT_APPEAL}
)
EVIDENCE_REQUIRED: frozenset[FindingAction] = frozenset({_A.FEED_BACK})
"""A feedback without a photo of the rectified spot cannot be reviewed."""
DEADLINE_ACTIONS: frozenset[FindingAction] = frozenset({_A.ASSIGN, _A.FAIL_REVIEW})


def allowed_actions(status: FindingStatus) -> tuple[FindingAction, ...]:
    """The actions the table allows from ``status``, in the order of ``FindingAction``."""
    return tuple(a for a in FindingAction if (status, a) in TRANSITIONS)


@dataclass(frozen=True, slots=True)
class Finding:
    """A third-party finding and where it stands. Immutable: ``apply`` returns the changed copy."""

    id: FindingId
    problem_id: ProblemId
    status: FindingStatus
    found_at: datetime
    changed_at: datetime  # the last transition; no later step may be dated before it
    rectify_deadline_at: datetime | None = None
    fed_back_at: datetime | None = None  # the last feedback
    reviewed_at: datetime | None = None  # the last review, passed or failed
    marked_overdue_at: datetime | None = None  # kept after a late feedback: it was 逾期未反馈
    review_failures: int = 0  # 复核不通过次数 (a scheme may deduct extra for each)
    appealed_from: FindingStatus | None = None  # while appealed: where a rejection returns it

    @property
    def status_type(self) -> StatusType:
        return self.status.type


@dataclass(frozen=True, slots=True)
class FindingTransition:
    """One recorded step of a finding; ``actor`` None is the system (逾期未反馈 by the clock)."""

    finding_id: FindingId
    action: FindingAction
    from_status: FindingStatus
    to_status: FindingStatus
    actor: PersonId | None
    at: datetime
    reason: str = ""
    attachments: tuple[str, ...] = ()
    deadline: datetime | None = None  # the rectification deadline this step set


def record_finding(finding_id: FindingId, problem_id: ProblemId, found_at: datetime) -> Finding:
    """A new finding, as the tester found it."""
    if found_at.tzinfo is None:
        raise WorkflowError("发现时间缺少时区")
    return Finding(finding_id, problem_id, FindingStatus.FOUND, found_at=found_at, changed_at=found_at)


def apply(
    finding: Finding,
    action: FindingAction,
    *,
    actor: PersonId | None,
    at: datetime,
    reason: str = "",
    attachments: Sequence[str] = (),
    deadline: datetime | None = None,
) -> tuple[Finding, FindingTransition]:
    """The one guard: the finding after ``action`` and the record of it, or a refusal that says why."""
    targets = TRANSITIONS.get((finding.status, action))
    if targets is None:
        raise IllegalTransitionError("测评问题", finding.status, action, allowed_actions(finding.status))
    check_step(
        action,
        at,
        finding.changed_at,
        reason,
        attachments,
        needs_reason=action in REASON_REQUIRED,
        needs_evidence=action in EVIDENCE_REQUIRED,
    )
    _check_deadline(finding, action, at, deadline)
    target = _choose(finding, action, at, targets)
    changed = replace(_effect(finding, action, at, deadline), status=target, changed_at=at)
    kept = tuple(a.strip() for a in attachments if a.strip())
    record = FindingTransition(
        finding.id, action, finding.status, target, actor, at, reason.strip(), kept, deadline
    )
    return changed, record


def mark_overdue(
    findings: Iterable[Finding], at: datetime, grace: timedelta = timedelta(0)
) -> list[tuple[Finding, FindingTransition]]:
    """Mark 逾期未反馈 every assigned finding with no feedback by its deadline plus ``grace``.

    Marks are dated ``at``, when the sweep saw them: run it at least daily and at every period close."""
    return [
        apply(finding, FindingAction.MARK_OVERDUE, actor=None, at=at)
        for finding in findings
        if finding.status is FindingStatus.ASSIGNED
        and finding.rectify_deadline_at is not None
        and at > finding.rectify_deadline_at + grace
    ]


def _check_deadline(finding: Finding, action: FindingAction, at: datetime, deadline: datetime | None) -> None:
    if deadline is None:
        if action is FindingAction.ASSIGN:
            raise WorkflowError(f"「{action.label}」须给出整改期限")
        due = finding.rectify_deadline_at
        if action is FindingAction.MARK_OVERDUE and (due is None or at <= due):
            raise WorkflowError(f"整改期限未过, 不能「{action.label}」")
        return
    if action not in DEADLINE_ACTIONS:
        raise WorkflowError(f"「{action.label}」不设整改期限")
    if deadline.tzinfo is None:
        raise WorkflowError(f"「{action.label}」的整改期限缺少时区")
    if deadline <= at:
        raise WorkflowError(f"「{action.label}」的整改期限应晚于操作时间")


def _choose(
    finding: Finding, action: FindingAction, at: datetime, targets: tuple[FindingStatus, ...]
) -> FindingStatus:
    """Pick among the table's targets: late feedback, or the status an appeal came from."""
    if action is FindingAction.FEED_BACK:
        due = finding.rectify_deadline_at
        late = finding.status is FindingStatus.OVERDUE_NO_FEEDBACK or (due is not None and at > due)
        return FindingStatus.FEEDBACK_LATE if late else FindingStatus.FEEDBACK_ON_TIME
    if action is FindingAction.REJECT_APPEAL:
        back = finding.appealed_from
        if back is None or back not in targets:
            raise WorkflowError(f"无法确定申诉前的状态, 不能「{action.label}」")
        return back
    return targets[0]


def _effect(finding: Finding, action: FindingAction, at: datetime, deadline: datetime | None) -> Finding:
    """What an action changes besides the status."""
    match action:
        case FindingAction.ASSIGN:
            return replace(finding, rectify_deadline_at=deadline)
        case FindingAction.FEED_BACK:
            return replace(finding, fed_back_at=at)
        case FindingAction.PASS_REVIEW:
            return replace(finding, reviewed_at=at)
        case FindingAction.FAIL_REVIEW:
            failures = finding.review_failures + 1
            new_deadline = deadline or finding.rectify_deadline_at
            return replace(
                finding, reviewed_at=at, review_failures=failures, rectify_deadline_at=new_deadline
            )
        case FindingAction.MARK_OVERDUE:
            return replace(finding, marked_overdue_at=at)
        case FindingAction.APPEAL:
            return replace(finding, appealed_from=finding.status)
        case FindingAction.UPHOLD_APPEAL | FindingAction.REJECT_APPEAL:
            return replace(finding, appealed_from=None)
    return finding
