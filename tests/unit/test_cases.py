"""The case loop: every legal (status, action) pair, every illegal one, the special flows, a
property test over random legal sequences, the documentation, and the service over a fake store."""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaoping.domain.cases import (
    DEADLINE_ACTIONS,
    EVIDENCE_REQUIRED,
    REASON_REQUIRED,
    STATUS_TYPES,
    TRANSITIONS,
    Case,
    CaseAction,
    CaseStatus,
    CloseType,
    Hold,
    IllegalTransitionError,
    StatusType,
    Transition,
    WorkflowError,
    allowed_actions,
    apply,
    report_case,
)
from kaoping.domain.errors import NotFoundError
from kaoping.domain.ids import CaseId, PersonId, ProblemId
from kaoping.services.cases import CaseChangedError, act_on_case, case_history

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2021, 3, 1, 9, 0, tzinfo=TZ)
ACTOR = PersonId(7)
S, A = CaseStatus, CaseAction

# The table written out by hand, so that it cannot change without this list changing too.
EXPECTED: list[tuple[CaseStatus, CaseAction, CaseStatus]] = [
    (S.REPORTED, A.SEND_VERIFY, S.VERIFYING),
    (S.REPORTED, A.ACCEPT, S.ACCEPTED),
    (S.REPORTED, A.REFUSE, S.NOT_ACCEPTED),
    (S.REPORTED, A.SELF_HANDLE, S.CLOSED),
    (S.REPORTED, A.SUPERVISE, S.REPORTED),
    (S.VERIFYING, A.VERIFY, S.ACCEPTED),
    (S.VERIFYING, A.REFUSE, S.NOT_ACCEPTED),
    (S.VERIFYING, A.SUPERVISE, S.VERIFYING),
    (S.ACCEPTED, A.FILE, S.FILED),
    (S.ACCEPTED, A.VOID, S.VOIDED),
    (S.ACCEPTED, A.SUPERVISE, S.ACCEPTED),
    (S.FILED, A.DISPATCH, S.IN_DISPOSAL),
    (S.FILED, A.VOID, S.VOIDED),
    (S.FILED, A.SUPERVISE, S.FILED),
    (S.IN_DISPOSAL, A.FEED_BACK, S.CHECKING),
    (S.IN_DISPOSAL, A.REQUEST_RETURN, S.RETURN_PENDING),
    (S.IN_DISPOSAL, A.REQUEST_EXTENSION, S.EXTENSION_PENDING),
    (S.IN_DISPOSAL, A.REQUEST_HOLD, S.HOLD_PENDING),
    (S.IN_DISPOSAL, A.VOID, S.VOIDED),
    (S.IN_DISPOSAL, A.SUPERVISE, S.IN_DISPOSAL),
    (S.RETURN_PENDING, A.APPROVE_RETURN, S.FILED),
    (S.RETURN_PENDING, A.DENY_RETURN, S.IN_DISPOSAL),
    (S.RETURN_PENDING, A.SUPERVISE, S.RETURN_PENDING),
    (S.EXTENSION_PENDING, A.APPROVE_EXTENSION, S.IN_DISPOSAL),
    (S.EXTENSION_PENDING, A.DENY_EXTENSION, S.IN_DISPOSAL),
    (S.EXTENSION_PENDING, A.SUPERVISE, S.EXTENSION_PENDING),
    (S.HOLD_PENDING, A.APPROVE_HOLD, S.ON_HOLD),
    (S.HOLD_PENDING, A.DENY_HOLD, S.IN_DISPOSAL),
    (S.HOLD_PENDING, A.SUPERVISE, S.HOLD_PENDING),
    (S.ON_HOLD, A.RESUME, S.IN_DISPOSAL),
    (S.ON_HOLD, A.VOID, S.VOIDED),
    (S.ON_HOLD, A.SUPERVISE, S.ON_HOLD),
    (S.CHECKING, A.PASS_CHECK, S.CLOSED),
    (S.CHECKING, A.FAIL_CHECK, S.IN_DISPOSAL),
    (S.CHECKING, A.SUPERVISE, S.CHECKING),
]

EXPECTED_TYPES = {
    StatusType.OPEN: {
        S.REPORTED, S.VERIFYING, S.ACCEPTED, S.FILED, S.IN_DISPOSAL,
        S.RETURN_PENDING, S.EXTENSION_PENDING, S.HOLD_PENDING, S.ON_HOLD,
    },
    StatusType.HANDLED: {S.CHECKING},
    StatusType.CLOSED: {S.CLOSED, S.VOIDED, S.NOT_ACCEPTED},
}  # fmt: skip

# How to reach every status from a fresh report, along legal actions.
PATHS: dict[CaseStatus, tuple[CaseAction, ...]] = {
    S.REPORTED: (),
    S.VERIFYING: (A.SEND_VERIFY,),
    S.ACCEPTED: (A.ACCEPT,),
    S.FILED: (A.ACCEPT, A.FILE),
    S.IN_DISPOSAL: (A.ACCEPT, A.FILE, A.DISPATCH),
    S.RETURN_PENDING: (A.ACCEPT, A.FILE, A.DISPATCH, A.REQUEST_RETURN),
    S.EXTENSION_PENDING: (A.ACCEPT, A.FILE, A.DISPATCH, A.REQUEST_EXTENSION),
    S.HOLD_PENDING: (A.ACCEPT, A.FILE, A.DISPATCH, A.REQUEST_HOLD),
    S.ON_HOLD: (A.ACCEPT, A.FILE, A.DISPATCH, A.REQUEST_HOLD, A.APPROVE_HOLD),
    S.CHECKING: (A.ACCEPT, A.FILE, A.DISPATCH, A.FEED_BACK),
    S.CLOSED: (A.ACCEPT, A.FILE, A.DISPATCH, A.FEED_BACK, A.PASS_CHECK),
    S.VOIDED: (A.ACCEPT, A.VOID),
    S.NOT_ACCEPTED: (A.REFUSE,),
}

ILLEGAL = [(s, a) for s in CaseStatus for a in CaseAction if (s, a) not in TRANSITIONS]


# --- factories --------------------------------------------------------------------------------------


def make_case(at: datetime = T0) -> Case:
    return report_case(CaseId(1), ProblemId(11), at)


def deadline_for(case: Case, action: CaseAction, at: datetime) -> datetime | None:
    """A valid deadline for the actions that need one."""
    if action is A.DISPATCH and case.deadline_at is None:
        return at + timedelta(days=3)
    if action is A.REQUEST_EXTENSION:
        return max(case.deadline_at or at, at) + timedelta(days=2)
    return None


def step(case: Case, action: CaseAction, *, minutes: int = 60, **overrides: Any) -> tuple[Case, Transition]:
    """Apply ``action`` an hour (or ``minutes``) after the last change, with what it needs."""
    at = overrides.pop("at", case.changed_at + timedelta(minutes=minutes))
    kwargs: dict[str, Any] = {
        "actor": ACTOR,
        "at": at,
        "reason": "理由" if action in REASON_REQUIRED else "",
        "attachments": ("after.jpg",) if action in EVIDENCE_REQUIRED else (),
        "deadline": deadline_for(case, action, at),
    }
    changed, record = apply(case, action, **(kwargs | overrides))
    return changed, record


def known(value: datetime | None) -> datetime:
    assert value is not None
    return value


def walk(case: Case, *actions: CaseAction) -> Case:
    for action in actions:
        case, _ = step(case, action)
    return case


def case_in(status: CaseStatus) -> Case:
    case = walk(make_case(), *PATHS[status])
    assert case.status is status
    return case


# --- the table ----------------------------------------------------------------------------------------


def test_the_table_is_exactly_the_hand_written_list() -> None:
    assert dict(TRANSITIONS) == {(f, a): t for f, a, t in EXPECTED}
    assert len(TRANSITIONS) == len(EXPECTED)


def test_every_status_has_the_expected_type_and_a_path_to_reach_it() -> None:
    assert {t: {s for s in CaseStatus if s.type is t} for t in StatusType} == EXPECTED_TYPES
    assert set(PATHS) == set(CaseStatus) == set(STATUS_TYPES)


@pytest.mark.parametrize(("source", "action"), list(TRANSITIONS), ids=lambda v: str(v))
def test_every_legal_pair_in_the_table_moves_the_case_to_the_tables_status(
    source: CaseStatus, action: CaseAction
) -> None:
    case = case_in(source)
    changed, record = step(case, action)
    assert changed.status is TRANSITIONS[source, action]
    assert (record.case_id, record.action, record.from_status, record.to_status) == (
        case.id,
        action,
        source,
        changed.status,
    )
    assert (record.actor, record.at, changed.changed_at) == (
        ACTOR,
        case.changed_at + timedelta(hours=1),
        record.at,
    )
    assert changed.version == case.version + 1


@pytest.mark.parametrize(("source", "action", "target"), EXPECTED, ids=lambda v: str(v))
def test_every_expected_step_lands_where_the_list_says(
    source: CaseStatus, action: CaseAction, target: CaseStatus
) -> None:
    changed, record = step(case_in(source), action)
    assert (changed.status, record.to_status) == (target, target)


@pytest.mark.parametrize(("source", "action"), ILLEGAL, ids=lambda v: str(v))
def test_every_illegal_pair_is_refused_naming_the_allowed_actions(
    source: CaseStatus, action: CaseAction
) -> None:
    case = case_in(source)
    with pytest.raises(IllegalTransitionError) as caught:
        step(case, action)
    allowed = allowed_actions(source)
    assert caught.value.allowed == allowed
    assert caught.value.status is source
    assert caught.value.action is action
    message = str(caught.value)
    assert f"案件当前状态为「{source.label}」, 不能执行「{action.label}」; 可执行: " in message
    assert message.endswith("、".join(a.label for a in allowed) or "无")


def test_there_are_as_many_illegal_pairs_as_the_table_leaves_out() -> None:
    assert len(ILLEGAL) + len(TRANSITIONS) == len(CaseStatus) * len(CaseAction)


def test_a_closed_case_refuses_dispatch_and_says_nothing_is_allowed() -> None:
    with pytest.raises(IllegalTransitionError) as caught:
        step(case_in(S.CLOSED), A.DISPATCH)
    assert str(caught.value) == "案件当前状态为「已结案」, 不能执行「派遣」; 可执行: 无"


def test_a_case_waiting_for_its_check_lists_pass_rework_and_supervision() -> None:
    with pytest.raises(IllegalTransitionError) as caught:
        step(case_in(S.CHECKING), A.DISPATCH)
    assert str(caught.value).endswith("可执行: 核查通过、核查不通过(返工)、督办")


@pytest.mark.parametrize("status", sorted(EXPECTED_TYPES[StatusType.CLOSED]))
def test_nothing_reopens_a_closed_case(status: CaseStatus) -> None:
    assert allowed_actions(status) == ()


# --- what each action needs -----------------------------------------------------------------------


def test_the_actions_that_need_a_reason_are_the_hand_written_ones() -> None:
    assert {
        A.REFUSE, A.VOID, A.FAIL_CHECK, A.SUPERVISE, A.REQUEST_RETURN, A.REQUEST_EXTENSION,
        A.REQUEST_HOLD, A.DENY_RETURN, A.DENY_EXTENSION, A.DENY_HOLD,
    } == REASON_REQUIRED  # fmt: skip


@pytest.mark.parametrize(
    ("source", "action"), [(f, a) for f, a, _ in EXPECTED if a in REASON_REQUIRED], ids=lambda v: str(v)
)
@pytest.mark.parametrize("reason", ["", "   "])
def test_an_action_that_needs_a_reason_is_refused_without_one(
    source: CaseStatus, action: CaseAction, reason: str
) -> None:
    with pytest.raises(WorkflowError, match=re.escape(f"「{action.label}」须说明理由")):
        step(case_in(source), action, reason=reason)


def test_the_reason_and_attachments_are_recorded_trimmed() -> None:
    _, record = step(case_in(S.ACCEPTED), A.VOID, reason="  重复上报 ", attachments=["a.jpg", " ", "b.pdf "])
    assert (record.reason, record.attachments) == ("重复上报", ("a.jpg", "b.pdf"))


def test_a_transition_record_cannot_be_changed() -> None:
    _, record = step(case_in(S.REPORTED), A.ACCEPT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.reason = "改写"  # type: ignore[misc]


def test_a_step_without_a_timezone_is_refused() -> None:
    with pytest.raises(WorkflowError, match="「受理」的操作时间缺少时区"):
        step(case_in(S.REPORTED), A.ACCEPT, at=datetime(2021, 3, 1, 10, 0))
    with pytest.raises(WorkflowError, match="上报时间缺少时区"):
        make_case(datetime(2021, 3, 1, 10, 0))


def test_a_step_dated_before_the_last_change_is_refused() -> None:
    case = case_in(S.ACCEPTED)
    with pytest.raises(WorkflowError, match="早于上一次变更"):
        step(case, A.FILE, at=case.changed_at - timedelta(seconds=1))


def test_a_deadline_given_to_an_action_that_sets_none_is_refused() -> None:
    with pytest.raises(WorkflowError, match="「受理」不设处置时限"):
        step(case_in(S.REPORTED), A.ACCEPT, deadline=T0 + timedelta(days=1))
    assert {A.DISPATCH, A.REQUEST_EXTENSION, A.APPROVE_EXTENSION, A.RESUME} == DEADLINE_ACTIONS


def test_a_naive_deadline_is_refused() -> None:
    with pytest.raises(WorkflowError, match="处置时限缺少时区"):
        step(case_in(S.FILED), A.DISPATCH, deadline=datetime(2021, 3, 9, 18, 0))


# --- dispatch and the clock -----------------------------------------------------------------------


def test_dispatch_starts_the_clock_and_sets_the_deadline() -> None:
    case = case_in(S.FILED)
    due = case.changed_at + timedelta(days=2)
    changed, record = step(case, A.DISPATCH, deadline=due)
    assert (changed.dispatched_at, changed.deadline_at, changed.dispatch_count) == (record.at, due, 1)
    assert record.deadline == due


def test_a_case_without_a_deadline_cannot_be_dispatched_without_one() -> None:
    with pytest.raises(WorkflowError, match="「派遣」须给出处置时限"):
        step(case_in(S.FILED), A.DISPATCH, deadline=None)


def test_a_deadline_already_past_is_refused_at_dispatch() -> None:
    case = case_in(S.FILED)
    with pytest.raises(WorkflowError, match="应晚于操作时间"):
        step(case, A.DISPATCH, deadline=case.changed_at)


def test_a_returned_case_goes_back_to_the_dispatcher_and_keeps_its_first_dispatch_time() -> None:
    case = case_in(S.IN_DISPOSAL)
    first_dispatch = case.dispatched_at
    case = walk(case, A.REQUEST_RETURN, A.APPROVE_RETURN)
    assert case.status is S.FILED
    new_due = case.changed_at + timedelta(days=1)
    case, _ = step(case, A.DISPATCH, deadline=new_due)
    assert (case.dispatched_at, case.dispatch_count, case.deadline_at) == (first_dispatch, 2, new_due)


def test_a_denied_return_leaves_the_case_with_the_same_unit() -> None:
    case = walk(case_in(S.RETURN_PENDING), A.DENY_RETURN)
    assert (case.status, case.dispatch_count) == (S.IN_DISPOSAL, 1)


# --- extension (延期) -----------------------------------------------------------------------------------


def test_an_approved_extension_moves_the_deadline_and_is_counted() -> None:
    case = case_in(S.IN_DISPOSAL)
    wanted = known(case.deadline_at) + timedelta(days=5)
    case, asked = step(case, A.REQUEST_EXTENSION, deadline=wanted)
    assert (case.status, case.requested_deadline, asked.deadline) == (S.EXTENSION_PENDING, wanted, wanted)
    case, granted = step(case, A.APPROVE_EXTENSION)
    assert (case.status, case.deadline_at, case.requested_deadline) == (S.IN_DISPOSAL, wanted, None)
    assert (case.extension_count, granted.deadline) == (1, wanted)


def test_the_approver_may_grant_a_different_deadline() -> None:
    case = case_in(S.EXTENSION_PENDING)
    shorter = known(case.requested_deadline) - timedelta(days=1)
    case, record = step(case, A.APPROVE_EXTENSION, deadline=shorter)
    assert (case.deadline_at, record.deadline) == (shorter, shorter)


def test_a_denied_extension_keeps_the_old_deadline() -> None:
    case = case_in(S.EXTENSION_PENDING)
    before = case.deadline_at
    case, _ = step(case, A.DENY_EXTENSION)
    assert (case.status, case.deadline_at, case.requested_deadline, case.extension_count) == (
        S.IN_DISPOSAL,
        before,
        None,
        0,
    )


def test_an_extension_must_ask_for_a_later_deadline() -> None:
    case = case_in(S.IN_DISPOSAL)
    with pytest.raises(WorkflowError, match="「申请延期」须给出处置时限"):
        step(case, A.REQUEST_EXTENSION, deadline=None)
    with pytest.raises(WorkflowError, match="应晚于原时限"):
        step(case, A.REQUEST_EXTENSION, deadline=case.deadline_at)


# --- hold (挂账) ------------------------------------------------------------------------------------


def test_a_hold_records_when_the_clock_paused_and_resumed() -> None:
    case = case_in(S.HOLD_PENDING)
    case, approved = step(case, A.APPROVE_HOLD)
    assert case.holds == (Hold(approved.at),)
    later = approved.at + timedelta(days=2)
    assert case.hold_spans(until=later) == ((approved.at, later),)
    case, resumed = step(case, A.RESUME, minutes=3 * 24 * 60)
    assert case.holds == (Hold(approved.at, resumed.at),)
    assert case.hold_spans(until=later) == ((approved.at, resumed.at),)


def test_a_second_hold_is_a_second_span() -> None:
    case = walk(case_in(S.ON_HOLD), A.RESUME, A.REQUEST_HOLD, A.APPROVE_HOLD, A.RESUME)
    assert len(case.holds) == 2
    assert all(h.end is not None and h.start < h.end for h in case.holds)
    assert known(case.holds[0].end) < case.holds[1].start


def test_supervising_a_case_on_hold_keeps_the_clock_paused() -> None:
    case = walk(case_in(S.ON_HOLD), A.SUPERVISE)
    assert (case.status, case.holds[-1].end) == (S.ON_HOLD, None)


def test_voiding_a_case_on_hold_ends_the_hold() -> None:
    case, record = step(case_in(S.ON_HOLD), A.VOID)
    assert case.holds[-1].end == record.at == case.closed_at


def test_a_denied_hold_records_no_span() -> None:
    case = walk(case_in(S.HOLD_PENDING), A.DENY_HOLD)
    assert (case.status, case.holds) == (S.IN_DISPOSAL, ())


def test_resuming_may_push_the_deadline_back_but_never_forward() -> None:
    case = case_in(S.ON_HOLD)
    pushed = known(case.deadline_at) + timedelta(days=2)
    resumed, record = step(case, A.RESUME, deadline=pushed)
    assert (resumed.deadline_at, record.deadline) == (pushed, pushed)
    with pytest.raises(WorkflowError, match="应晚于原时限"):
        step(case, A.RESUME, deadline=known(case.deadline_at) - timedelta(hours=1))


def test_a_case_resumed_after_its_deadline_keeps_a_deadline_in_the_past() -> None:
    case = case_in(S.ON_HOLD)
    long_after = known(case.deadline_at) + timedelta(days=30)
    resumed, _ = step(case, A.RESUME, at=long_after, deadline=known(case.deadline_at) + timedelta(days=1))
    assert known(resumed.deadline_at) < long_after


# --- feedback, check, rework and close ------------------------------------------------------------------


def test_a_failed_check_sends_the_case_back_and_counts_a_rework() -> None:
    case = case_in(S.CHECKING)
    case, record = step(case, A.FAIL_CHECK, reason="现场仍有垃圾")
    assert (case.status, case.rework_count, record.reason) == (S.IN_DISPOSAL, 1, "现场仍有垃圾")
    case = walk(case, A.FEED_BACK, A.FAIL_CHECK, A.FEED_BACK, A.PASS_CHECK)
    assert (case.status, case.rework_count) == (S.CLOSED, 2)


def test_a_case_fed_back_by_its_deadline_closes_normally() -> None:
    case = walk(case_in(S.CHECKING), A.PASS_CHECK)
    assert (case.close_type, case.closed_at, case.status_type) == (
        CloseType.NORMAL,
        case.changed_at,
        StatusType.CLOSED,
    )


def test_a_case_fed_back_after_its_deadline_closes_late() -> None:
    case = case_in(S.IN_DISPOSAL)
    case, _ = step(case, A.FEED_BACK, at=known(case.deadline_at) + timedelta(minutes=1))
    case = walk(case, A.PASS_CHECK)
    assert case.close_type is CloseType.OVERDUE


@pytest.mark.parametrize("status", [S.VOIDED, S.NOT_ACCEPTED])
def test_voided_and_refused_cases_are_closed_without_a_close_type(status: CaseStatus) -> None:
    case = case_in(status)
    assert (case.status_type, case.closed_at, case.close_type) == (StatusType.CLOSED, case.changed_at, None)


# --- 自行处置, 督办 ----------------------------------------------------------------------------------------


def test_a_problem_fixed_on_the_spot_goes_straight_to_closed_with_its_photo() -> None:
    case, record = step(make_case(), A.SELF_HANDLE, attachments=["before.jpg", "after.jpg"])
    assert (case.status, case.is_self_handled, case.close_type) == (S.CLOSED, True, CloseType.NORMAL)
    assert (record.from_status, record.to_status, record.attachments) == (
        S.REPORTED,
        S.CLOSED,
        ("before.jpg", "after.jpg"),
    )
    assert case.dispatched_at is None


def test_fixing_on_the_spot_without_a_photo_is_refused() -> None:
    with pytest.raises(WorkflowError, match="「自行处置」须附处置照片"):
        step(make_case(), A.SELF_HANDLE, attachments=())


def test_supervision_flags_the_case_and_leaves_its_status() -> None:
    case = case_in(S.IN_DISPOSAL)
    case, record = step(case, A.SUPERVISE, reason="群众反复投诉")
    case, _ = step(case, A.SUPERVISE, reason="超期未处置")
    assert (case.status, case.supervision_count) == (S.IN_DISPOSAL, 2)
    assert (record.from_status, record.to_status, record.reason) == (
        S.IN_DISPOSAL,
        S.IN_DISPOSAL,
        "群众反复投诉",
    )


# --- parsing an action -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["dispatch", " DISPATCH ", "派遣"])
def test_an_action_is_read_by_its_code_or_its_chinese_name(text: str) -> None:
    assert CaseAction.parse(text) is A.DISPATCH


def test_an_unknown_action_is_refused_with_the_known_ones() -> None:
    with pytest.raises(WorkflowError, match="未知的案件操作 '出发', 可选: 发核实、核实属实、受理"):
        CaseAction.parse("出发")


# --- property: random legal sequences --------------------------------------------------------------


def check_invariants(case: Case, history: list[Transition]) -> None:
    counts = Counter(t.action for t in history)
    assert case.status in set(CaseStatus)
    assert case.version == len(history)
    assert (case.rework_count, case.extension_count, case.supervision_count, case.dispatch_count) == (
        counts[A.FAIL_CHECK],
        counts[A.APPROVE_EXTENSION],
        counts[A.SUPERVISE],
        counts[A.DISPATCH],
    )
    assert (case.closed_at is not None) == (case.status_type is StatusType.CLOSED)
    assert (case.requested_deadline is not None) == (case.status is S.EXTENSION_PENDING)
    open_holds = [h for h in case.holds if h.end is None]
    assert len(open_holds) == (1 if case.status is S.ON_HOLD else 0)
    spans = case.hold_spans(until=case.changed_at)
    assert all(start <= end for start, end in spans)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_sequence_of_legal_actions_stays_inside_the_table(data: st.DataObject) -> None:
    case, history = make_case(), []
    for _ in range(data.draw(st.integers(0, 40), label="steps")):
        allowed = allowed_actions(case.status)
        if not allowed:
            break
        action = data.draw(st.sampled_from(allowed), label="action")
        minutes = data.draw(st.integers(0, 10 * 24 * 60), label="minutes")
        before = case
        case, record = step(case, action, minutes=minutes)
        assert case.status is TRANSITIONS[before.status, action] is record.to_status
        assert record.from_status is before.status
        history.append(record)
        check_invariants(case, history)
    if case.status_type is StatusType.CLOSED:
        for action in CaseAction:
            with pytest.raises(IllegalTransitionError):
                step(case, action)


# --- documentation -----------------------------------------------------------------------------------


def test_the_case_loop_page_shows_every_row_of_the_table() -> None:
    page = (ROOT / "docs" / "case-loop.md").read_text(encoding="utf-8")
    missing = [
        f"| {f.label} | {a.label} | {t.label} |"
        for (f, a), t in TRANSITIONS.items()
        if f"| {f.label} | {a.label} | {t.label} |" not in page
    ]
    assert not missing, f"document these transitions in docs/case-loop.md: {missing}"
    for status in CaseStatus:
        assert f"`{status.value}`" in page, status
    for action in CaseAction:
        assert f"`{action.value}`" in page, action


# --- the service over a fake store ------------------------------------------------------------------


@dataclass
class FakeCaseStore:
    stored: dict[CaseId, Case] = field(default_factory=dict)
    transitions: list[Transition] = field(default_factory=list)

    def get(self, case_id: CaseId) -> Case:
        if case_id not in self.stored:
            raise NotFoundError("案件", case_id)
        return self.stored[case_id]

    def save(self, case: Case, transition: Transition) -> None:
        if self.stored[case.id].version != case.version - 1:
            raise CaseChangedError(case.id)
        self.stored[case.id] = case
        self.transitions.append(transition)

    def list_transitions(self, case_id: CaseId) -> list[Transition]:
        self.get(case_id)
        return [t for t in self.transitions if t.case_id == case_id]


@dataclass
class FakeUnitOfWork:
    cases: FakeCaseStore = field(default_factory=FakeCaseStore)
    commits: int = 0
    rollbacks: int = 0
    _pending: int = 0

    def __enter__(self) -> FakeUnitOfWork:
        self._pending = 0
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._pending == 0:
            self.rollbacks += 1

    def commit(self) -> None:
        self.commits += 1
        self._pending = 1


def make_uow(case: Case | None = None) -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    case = case or make_case()
    uow.cases.stored[case.id] = case
    return uow


def test_acting_on_a_case_stores_it_with_its_record_in_one_commit() -> None:
    uow = make_uow()
    record = act_on_case(uow, CaseId(1), A.ACCEPT, actor=ACTOR, at=T0 + timedelta(hours=1))
    assert (uow.commits, uow.cases.stored[CaseId(1)].status, uow.cases.transitions) == (
        1,
        S.ACCEPTED,
        [record],
    )
    assert case_history(uow, CaseId(1)) == [record]


def test_a_refused_action_stores_nothing() -> None:
    uow = make_uow()
    with pytest.raises(IllegalTransitionError, match="可执行: 发核实、受理、不予受理、督办、自行处置"):
        act_on_case(uow, CaseId(1), A.DISPATCH, actor=ACTOR, at=T0 + timedelta(hours=1))
    assert (uow.commits, uow.rollbacks, uow.cases.transitions) == (0, 1, [])
    assert uow.cases.stored[CaseId(1)].status is S.REPORTED


def test_acting_on_a_missing_case_says_it_was_not_found() -> None:
    with pytest.raises(NotFoundError, match="未找到案件: 2"):
        act_on_case(make_uow(), CaseId(2), A.ACCEPT, actor=ACTOR, at=T0)


@dataclass
class RacingCaseStore(FakeCaseStore):
    """Someone else supervises the case right after we load it."""

    def get(self, case_id: CaseId) -> Case:
        case = super().get(case_id)
        self.stored[case_id], other = step(case, A.SUPERVISE, reason="催办")
        self.transitions.append(other)
        return case


def test_a_case_moved_by_someone_else_meanwhile_is_not_overwritten() -> None:
    uow = FakeUnitOfWork(cases=RacingCaseStore())
    uow.cases.stored[CaseId(1)] = make_case()
    with pytest.raises(CaseChangedError, match="案件 1 刚被他人处理, 请刷新后重试"):
        act_on_case(uow, CaseId(1), A.ACCEPT, actor=ACTOR, at=T0 + timedelta(hours=2))
    assert (uow.commits, uow.rollbacks) == (0, 1)
    assert [t.action for t in uow.cases.transitions] == [A.SUPERVISE]


def test_the_history_lists_every_step_in_order() -> None:
    uow = make_uow()
    at = T0
    for action in [A.ACCEPT, A.FILE, A.DISPATCH, A.FEED_BACK, A.PASS_CHECK]:
        at += timedelta(hours=1)
        due = T0 + timedelta(days=3) if action is A.DISPATCH else None
        act_on_case(uow, CaseId(1), action, actor=ACTOR, at=at, deadline=due)
    history = case_history(uow, CaseId(1))
    assert [(t.from_status, t.to_status) for t in history] == [
        (S.REPORTED, S.ACCEPTED),
        (S.ACCEPTED, S.FILED),
        (S.FILED, S.IN_DISPOSAL),
        (S.IN_DISPOSAL, S.CHECKING),
        (S.CHECKING, S.CLOSED),
    ]
    assert uow.commits == 5
