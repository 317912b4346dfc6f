"""The case loop (案件办理流程): statuses, actions, the transition table and the one guard.

上报 → 受理 (or 发核实 → 核实) → 立案 → 派遣 → 处置 → 反馈 → 核查 → 结案, with the special flows of
domain.md §7.2: 延期, 回退 and 挂账 are requested by the disposing unit and approved or denied
(each has its pending status), 作废, 返工 (a failed check sends the case back to disposal), 督办
(a flag with a reason; the status does not change), 自行处置 (fixed on the spot by the reporter) and
不予受理. ``TRANSITIONS`` is the only place that says what may follow what; ``apply`` is the only
guard. Nothing reopens a closed case: a problem seen again is a new report (and a repeat).

Every status has a type (open / handled / closed); code elsewhere branches on the type, never on
individual statuses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol, TypeVar

from kaoping.domain.errors import KaopingError
from kaoping.domain.ids import CaseId, PersonId, ProblemId

L = TypeVar("L", bound=StrEnum)


def parse_labelled(labels: Mapping[L, str], text: str, noun: str) -> L:
    """The member whose stored value (``dispatch``) or Chinese label (派遣) ``text`` is."""
    key = str(text).strip()
    for member, label in labels.items():
        if key.lower() == member.value or key == label:
            return member
    raise WorkflowError(f"未知的{noun} {key!r}, 可选: " + "、".join(labels.values()))


class StatusType(StrEnum):
    """What a status means to reports and timers, whatever the workflow calls it."""

    OPEN = "open"  # 未办结: waiting for someone in the loop
    HANDLED = "handled"  # 已处置: the unit says it is done, the check is pending
    CLOSED = "closed"  # 已办结: out of the loop (结案, 作废, 不予受理 …)


class CaseStatus(StrEnum):
    REPORTED = "reported"  # 上报, waiting to be accepted
    VERIFYING = "verifying"  # public, hotline and media reports are first verified on site
    ACCEPTED = "accepted"  # 受理, waiting to be filed
    FILED = "filed"  # 立案, waiting to be dispatched
    IN_DISPOSAL = "in_disposal"  # 派遣 done: the unit is disposing; the clock runs
    RETURN_PENDING = "return_pending"  # 回退 requested
    EXTENSION_PENDING = "extension_pending"  # 延期 requested; the clock keeps running meanwhile
    HOLD_PENDING = "hold_pending"  # 挂账 requested
    ON_HOLD = "on_hold"  # 挂账: the clock is paused
    CHECKING = "checking"  # 反馈 received, waiting for the on-site check (核查)
    CLOSED = "closed"  # 结案
    VOIDED = "voided"  # 作废
    NOT_ACCEPTED = "not_accepted"  # 不予受理

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def type(self) -> StatusType:
        return STATUS_TYPES[self]


class CaseAction(StrEnum):
    SEND_VERIFY = "send_verify"  # 发核实
    VERIFY = "verify"  # 核实属实
    ACCEPT = "accept"  # 受理
    REFUSE = "refuse"  # 不予受理
    FILE = "file"  # 立案
    DISPATCH = "dispatch"  # 派遣
    FEED_BACK = "feed_back"  # 处置反馈
    PASS_CHECK = "pass_check"  # 核查通过 → 结案
    FAIL_CHECK = "fail_check"  # 核查不通过 → 返工
    REQUEST_RETURN = "request_return"  # 申请回退
    APPROVE_RETURN = "approve_return"
    DENY_RETURN = "deny_return"
    REQUEST_EXTENSION = "request_extension"  # 申请延期
    APPROVE_EXTENSION = "approve_extension"
    DENY_EXTENSION = "deny_extension"
    REQUEST_HOLD = "request_hold"  # 申请挂账
    APPROVE_HOLD = "approve_hold"
    DENY_HOLD = "deny_hold"
    RESUME = "resume"  # 挂账恢复
    SUPERVISE = "supervise"  # 督办
    VOID = "void"  # 作废
    SELF_HANDLE = "self_handle"  # 自行处置

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]

    @classmethod
    def parse(cls, text: str) -> CaseAction:
        """Read an action as stored (``dispatch``) or as people say it (派遣)."""
        return parse_labelled(_ACTION_LABELS, text, "案件操作")


class CloseType(StrEnum):
    NORMAL = "normal"  # 正常结案: fed back by the deadline
    OVERDUE = "overdue"  # 超时结案: fed back after it


_STATUS_LABELS: Mapping[CaseStatus, str] = {
    CaseStatus.REPORTED: "已上报(待受理)",
    CaseStatus.VERIFYING: "待核实",
    CaseStatus.ACCEPTED: "已受理(待立案)",
    CaseStatus.FILED: "已立案(待派遣)",
    CaseStatus.IN_DISPOSAL: "处置中",
    CaseStatus.RETURN_PENDING: "回退待审批",
    CaseStatus.EXTENSION_PENDING: "延期待审批",
    CaseStatus.HOLD_PENDING: "挂账待审批",
    CaseStatus.ON_HOLD: "挂账中",
    CaseStatus.CHECKING: "已反馈(待核查)",
    CaseStatus.CLOSED: "已结案",
    CaseStatus.VOIDED: "已作废",
    CaseStatus.NOT_ACCEPTED: "不予受理",
}

_ACTION_LABELS: Mapping[CaseAction, str] = {
    CaseAction.SEND_VERIFY: "发核实",
    CaseAction.VERIFY: "核实属实",
    CaseAction.ACCEPT: "受理",
    CaseAction.REFUSE: "不予受理",
    CaseAction.FILE: "立案",
    CaseAction.DISPATCH: "派遣",
    CaseAction.FEED_BACK: "处置反馈",
    CaseAction.PASS_CHECK: "核查通过",
    CaseAction.FAIL_CHECK: "核查不通过(返工)",
    CaseAction.REQUEST_RETURN: "申请回退",
    CaseAction.APPROVE_RETURN: "批准回退",
    CaseAction.DENY_RETURN: "驳回回退",
    CaseAction.REQUEST_EXTENSION: "申请延期",
    CaseAction.APPROVE_EXTENSION: "批准延期",
    CaseAction.DENY_EXTENSION: "驳回延期",
    CaseAction.REQUEST_HOLD: "申请挂账",
    CaseAction.APPROVE_HOLD: "批准挂账",
    CaseAction.DENY_HOLD: "驳回挂账",
    CaseAction.RESUME: "挂账恢复",
    CaseAction.SUPERVISE: "督办",
    CaseAction.VOID: "作废",
    CaseAction.SELF_HANDLE: "自行处置",
}

_S, _A = CaseStatus, CaseAction
STATUS_TYPES: Mapping[CaseStatus, StatusType] = MappingProxyType(
    {
        _S.REPORTED: StatusType.OPEN,
        _S.VERIFYING: StatusType.OPEN,
        _S.ACCEPTED: StatusType.OPEN,
        _S.FILED: StatusType.OPEN,
        _S.IN_DISPOSAL: StatusType.OPEN,
        _S.RETURN_PENDING: StatusType.OPEN,
        _S.EXTENSION_PENDING: StatusType.OPEN,
        _S.HOLD_PENDING: StatusType.OPEN,
        _S.ON_HOLD: StatusType.OPEN,  # paused, not done: still counts as open
        _S.CHECKING: StatusType.HANDLED,
        _S.CLOSED: StatusType.CLOSED,
        _S.VOIDED: StatusType.CLOSED,
        _S.NOT_ACCEPTED: StatusType.CLOSED,
    }
)

_STEPS: dict[tuple[CaseStatus, CaseAction], CaseStatus] = {
    (_S.REPORTED, _A.SEND_VERIFY): _S.VERIFYING,
    (_S.REPORTED, _A.ACCEPT): _S.ACCEPTED,
    (_S.REPORTED, _A.REFUSE): _S.NOT_ACCEPTED,
    (_S.REPORTED, _A.SELF_HANDLE): _S.CLOSED,
    (_S.VERIFYING, _A.VERIFY): _S.ACCEPTED,
    (_S.VERIFYING, _A.REFUSE): _S.NOT_ACCEPTED,
    (_S.ACCEPTED, _A.FILE): _S.FILED,
    (_S.ACCEPTED, _A.VOID): _S.VOIDED,
    (_S.FILED, _A.DISPATCH): _S.IN_DISPOSAL,
    (_S.FILED, _A.VOID): _S.VOIDED,
    (_S.IN_DISPOSAL, _A.FEED_BACK): _S.CHECKING,
    (_S.IN_DISPOSAL, _A.REQUEST_RETURN): _S.RETURN_PENDING,
    (_S.IN_DISPOSAL, _A.REQUEST_EXTENSION): _S.EXTENSION_PENDING,
    (_S.IN_DISPOSAL, _A.REQUEST_HOLD): _S.HOLD_PENDING,
    (_S.IN_DISPOSAL, _A.VOID): _S.VOIDED,
    (_S.RETURN_PENDING, _A.APPROVE_RETURN): _S.FILED,  # back to the dispatcher for re-dispatch
    (_S.RETURN_PENDING, _A.DENY_RETURN): _S.IN_DISPOSAL,
    (_S.EXTENSION_PENDING, _A.APPROVE_EXTENSION): _S.IN_DISPOSAL,
    (_S.EXTENSION_PENDING, _A.DENY_EXTENSION): _S.IN_DISPOSAL,
    (_S.HOLD_PENDING, _A.APPROVE_HOLD): _S.ON_HOLD,
    (_S.HOLD_PENDING, _A.DENY_HOLD): _S.IN_DISPOSAL,
    (_S.ON_HOLD, _A.RESUME): _S.IN_DISPOSAL,
    (_S.ON_HOLD, _A.VOID): _S.VOIDED,
    (_S.CHECKING, _A.PASS_CHECK): _S.CLOSED,
    (_S.CHECKING, _A.FAIL_CHECK): _S.IN_DISPOSAL,
}
# 督办 can be raised on anything still in the loop and leaves the status as it is.
_SUPERVISION = {(s, _A.SUPERVISE): s for s in CaseStatus if s.type is not StatusType.CLOSED}

TRANSITIONS: Mapping[tuple[CaseStatus, CaseAction], CaseStatus] = MappingProxyType(_STEPS | _SUPERVISION)
"""(status, action) → the status after it; a pair not in the table is refused."""

REASON_REQUIRED: frozenset[CaseAction] = frozenset(
    {
        _A.REFUSE, _A.VOID, _A.FAIL_CHECK, _A.SUPERVISE,
        _A.REQUEST_RETURN, _A.REQUEST_EXTENSION, _A.REQUEST_HOLD,
        _A.DENY_RETURN, _A.DENY_EXTENSION, _A.DENY_HOLD,
    }
)  # fmt: skip
"""Actions refused without a reason (理由/意见)."""

EVIDENCE_REQUIRED: frozenset[CaseAction] = frozenset({_A.SELF_HANDLE})
"""Actions refused without an attachment: a case fixed on the spot closes with no check, so the
photo is the only proof (and 自行处置 raises the proactive-handling rate)."""

DEADLINE_ACTIONS: frozenset[CaseAction] = frozenset(
    {_A.DISPATCH, _A.REQUEST_EXTENSION, _A.APPROVE_EXTENSION, _A.RESUME}
)
"""Actions that take a deadline; any other action given one is refused."""


def allowed_actions(status: CaseStatus) -> tuple[CaseAction, ...]:
    """The actions the table allows from ``status``, in the order of ``CaseAction``."""
    return tuple(a for a in CaseAction if (status, a) in TRANSITIONS)


# --- errors (shared with the finding life) ---------------------------------------------------------


class Labelled(Protocol):
    @property
    def label(self) -> str: ...


class WorkflowError(KaopingError):
    """An action the guard refuses: illegal from the current status, or missing what it needs."""


class IllegalTransitionError(WorkflowError):
    """An action the table does not allow from the current status; names the ones it does."""

    def __init__(self, subject: str, status: Labelled, action: Labelled, allowed: Sequence[Labelled]) -> None:
        names = "、".join(a.label for a in allowed) or "无"
        super().__init__(
            f"{subject}当前状态为「{status.label}」, 不能执行「{action.label}」; 可执行: {names}"
        )
        self.status = status
        self.action = action
        self.allowed = tuple(allowed)


def check_step(
    action: Labelled,
    at: datetime,
    last_change: datetime,
    reason: str,
    attachments: Sequence[str],
    *,
    needs_reason: bool,
    needs_evidence: bool,
) -> None:
    """Refuse a step with a naive time, a time before the last change, or a missing reason or photo."""
    if at.tzinfo is None:
        raise WorkflowError(f"「{action.label}」的操作时间缺少时区")
    if at < last_change:
        raise WorkflowError(
            f"「{action.label}」的操作时间 {at.isoformat()} 早于上一次变更 {last_change.isoformat()}"
        )
    if needs_reason and not reason.strip():
        raise WorkflowError(f"「{action.label}」须说明理由")
    if needs_evidence and not any(a.strip() for a in attachments):
        raise WorkflowError(f"「{action.label}」须附处置照片或其他材料")


# --- the case ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hold:
    """One 挂账 span; the case clock does not run inside it. ``end`` None: still on hold."""

    start: datetime
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """A problem followed through the loop. Immutable: ``apply`` returns the changed copy."""

    id: CaseId
    problem_id: ProblemId
    status: CaseStatus
    reported_at: datetime
    changed_at: datetime  # the last transition; no later step may be dated before it
    filed_at: datetime | None = None
    dispatched_at: datetime | None = None  # first dispatch: the clock starts
    deadline_at: datetime | None = None  # 处置时限, moved by 延期 and by the service after 挂账
    requested_deadline: datetime | None = None  # while an extension waits for approval
    fed_back_at: datetime | None = None  # the last 反馈
    closed_at: datetime | None = None  # when it left the loop (结案, 作废 or 不予受理)
    close_type: CloseType | None = None
    dispatch_count: int = 0  # > 1: re-dispatched after a 回退 (二次派遣)
    rework_count: int = 0  # 返工次数
    extension_count: int = 0  # 延期数
    supervision_count: int = 0  # 督办次数
    is_self_handled: bool = False  # 自行处置 / 举手之劳
    holds: tuple[Hold, ...] = ()
    version: int = 0  # one more per transition: storage saves only over the version it loaded

    @property
    def status_type(self) -> StatusType:
        return self.status.type

    def hold_spans(self, until: datetime) -> tuple[tuple[datetime, datetime], ...]:
        """The (start, end) spans the clock was paused, an open hold counted up to ``until``."""
        return tuple((h.start, h.end if h.end is not None else max(h.start, until)) for h in self.holds)


@dataclass(frozen=True, slots=True)
class Transition:
    """One recorded step of a case: who did what, when, why, with which attachments."""

    case_id: CaseId
    action: CaseAction
    from_status: CaseStatus
    to_status: CaseStatus
    actor: PersonId
    at: datetime
    reason: str = ""
    attachments: tuple[str, ...] = ()
    deadline: datetime | None = None  # the deadline this step set or asked for


def report_case(case_id: CaseId, problem_id: ProblemId, at: datetime) -> Case:
    """A new case, as reported (上报)."""
    if at.tzinfo is None:
        raise WorkflowError("上报时间缺少时区")
    return Case(case_id, problem_id, CaseStatus.REPORTED, reported_at=at, changed_at=at)


def apply(
    case: Case,
    action: CaseAction,
    *,
    actor: PersonId,
    at: datetime,
    reason: str = "",
    attachments: Sequence[str] = (),
    deadline: datetime | None = None,
) -> tuple[Case, Transition]:
    """The one guard: the case after ``action`` and the record of it, or a refusal that says why."""
    target = TRANSITIONS.get((case.status, action))
    if target is None:
        raise IllegalTransitionError("案件", case.status, action, allowed_actions(case.status))
    check_step(
        action,
        at,
        case.changed_at,
        reason,
        attachments,
        needs_reason=action in REASON_REQUIRED,
        needs_evidence=action in EVIDENCE_REQUIRED,
    )
    _check_deadline(case, action, at, deadline)
    changed = _enter(_EFFECTS.get(action, _unchanged)(case, at, deadline), target, at)
    if deadline is None and changed.deadline_at != case.deadline_at:
        deadline = changed.deadline_at  # an approval that granted the deadline asked for
    record = Transition(
        case.id, action, case.status, target, actor, at, reason.strip(), _kept(attachments), deadline
    )
    return changed, record


def _kept(attachments: Sequence[str]) -> tuple[str, ...]:
    return tuple(a.strip() for a in attachments if a.strip())


def _check_deadline(case: Case, action: CaseAction, at: datetime, deadline: datetime | None) -> None:
    if deadline is None:
        if action is CaseAction.REQUEST_EXTENSION or (action is CaseAction.DISPATCH and not case.deadline_at):
            raise WorkflowError(f"「{action.label}」须给出处置时限")
        return
    if action not in DEADLINE_ACTIONS:
        raise WorkflowError(f"「{action.label}」不设处置时限")
    if deadline.tzinfo is None:
        raise WorkflowError(f"「{action.label}」的处置时限缺少时区")
    # A resumed case may already be past its deadline; every other deadline is set for the future.
    if action is not CaseAction.RESUME and deadline <= at:
        raise WorkflowError(f"「{action.label}」的处置时限应晚于操作时间")
    current = case.deadline_at
    if current is None or action is CaseAction.DISPATCH:
        return  # a re-dispatch after 回退 may set a fresh, shorter limit
    if deadline < current or (deadline == current and action is not CaseAction.RESUME):
        raise WorkflowError(f"「{action.label}」后的处置时限应晚于原时限 {current.isoformat()}")


def _enter(case: Case, target: CaseStatus, at: datetime) -> Case:
    """What holds for every transition, whatever the action: the clock, the hold, the end."""
    holds = case.holds
    if target is not CaseStatus.ON_HOLD and holds and holds[-1].end is None:
        holds = (*holds[:-1], Hold(holds[-1].start, at))  # leaving 挂账 (resumed or voided)
    closed_at = at if target.type is StatusType.CLOSED else case.closed_at
    return replace(
        case, status=target, changed_at=at, holds=holds, closed_at=closed_at, version=case.version + 1
    )


_Effect = Callable[[Case, datetime, datetime | None], Case]


def _unchanged(case: Case, at: datetime, deadline: datetime | None) -> Case:
    return case


def _dispatch(case: Case, at: datetime, deadline: datetime | None) -> Case:
    return replace(
        case,
        dispatched_at=case.dispatched_at or at,  # the clock starts at the first dispatch
        deadline_at=deadline or case.deadline_at,
        dispatch_count=case.dispatch_count + 1,
    )


def _approve_extension(case: Case, at: datetime, deadline: datetime | None) -> Case:
    granted = deadline or case.requested_deadline
    return replace(
        case, deadline_at=granted, requested_deadline=None, extension_count=case.extension_count + 1
    )


def _pass_check(case: Case, at: datetime, deadline: datetime | None) -> Case:
    late = (
        case.deadline_at is not None and case.fed_back_at is not None and case.fed_back_at > case.deadline_at
    )
    return replace(case, close_type=CloseType.OVERDUE if late else CloseType.NORMAL)


_EFFECTS: Mapping[CaseAction, _Effect] = {
    _A.FILE: lambda c, at, d: replace(c, filed_at=at),
    _A.DISPATCH: _dispatch,
    _A.FEED_BACK: lambda c, at, d: replace(c, fed_back_at=at),
    _A.PASS_CHECK: _pass_check,
    _A.FAIL_CHECK: lambda c, at, d: replace(c, rework_count=c.rework_count + 1),
    _A.REQUEST_EXTENSION: lambda c, at, d: replace(c, requested_deadline=d),
    _A.APPROVE_EXTENSION: _approve_extension,
    _A.DENY_EXTENSION: lambda c, at, d: replace(c, requested_deadline=None),
    _A.APPROVE_HOLD: lambda c, at, d: replace(c, holds=(*c.holds, Hold(at))),
    # The service pushes the deadline back by the working time spent on hold (calendar arithmetic).
    _A.RESUME: lambda c, at, d: replace(c, deadline_at=d or c.deadline_at),
    _A.SUPERVISE: lambda c, at, d: replace(c, supervision_count=c.supervision_count + 1),
    _A.SELF_HANDLE: lambda c, at, d: replace(c, is_self_handled=True, close_type=CloseType.NORMAL),
}
