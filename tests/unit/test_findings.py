"""The life of a third-party finding: every legal step and every illegal one, late feedback, failed
review, 逾期未反馈 by the clock, appeals upheld and rejected, and random legal sequences."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaoping.domain.cases import IllegalTransitionError, StatusType, WorkflowError
from kaoping.domain.findings import (
    EVIDENCE_REQUIRED,
    REASON_REQUIRED,
    TRANSITIONS,
    Finding,
    FindingAction,
    FindingStatus,
    FindingTransition,
    allowed_actions,
    apply,
    mark_overdue,
    record_finding,
)
from kaoping.domain.ids import FindingId, PersonId, ProblemId

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2021, 3, 1, 9, 0, tzinfo=TZ)
DUE = datetime(2021, 3, 4, 18, 0, tzinfo=TZ)  # the rectification deadline of ``assigned()``
OFFICER = PersonId(3)
S, A = FindingStatus, FindingAction

EXPECTED: list[tuple[FindingStatus, FindingAction, FindingStatus]] = [
    (S.FOUND, A.ASSIGN, S.ASSIGNED),
    (S.FOUND, A.APPEAL, S.APPEALED),
    (S.ASSIGNED, A.FEED_BACK, S.FEEDBACK_ON_TIME),
    (S.ASSIGNED, A.FEED_BACK, S.FEEDBACK_LATE),
    (S.ASSIGNED, A.MARK_OVERDUE, S.OVERDUE_NO_FEEDBACK),
    (S.ASSIGNED, A.APPEAL, S.APPEALED),
    (S.OVERDUE_NO_FEEDBACK, A.FEED_BACK, S.FEEDBACK_LATE),
    (S.FEEDBACK_ON_TIME, A.PASS_REVIEW, S.RECTIFIED_ON_TIME),
    (S.FEEDBACK_ON_TIME, A.FAIL_REVIEW, S.ASSIGNED),
    (S.FEEDBACK_LATE, A.PASS_REVIEW, S.RECTIFIED_LATE),
    (S.FEEDBACK_LATE, A.FAIL_REVIEW, S.ASSIGNED),
    (S.APPEALED, A.UPHOLD_APPEAL, S.VOIDED),
    (S.APPEALED, A.REJECT_APPEAL, S.FOUND),
    (S.APPEALED, A.REJECT_APPEAL, S.ASSIGNED),
]

EXPECTED_TYPES = {
    StatusType.OPEN: {S.FOUND, S.ASSIGNED, S.OVERDUE_NO_FEEDBACK, S.APPEALED},
    StatusType.HANDLED: {S.FEEDBACK_ON_TIME, S.FEEDBACK_LATE},
    StatusType.CLOSED: {S.RECTIFIED_ON_TIME, S.RECTIFIED_LATE, S.VOIDED},
}

LATE = DUE + timedelta(hours=1)
# How to reach every status: (action, at) pairs; at None is an hour after the last change.
PATHS: dict[FindingStatus, list[tuple[FindingAction, datetime | None]]] = {
    S.FOUND: [],
    S.ASSIGNED: [(A.ASSIGN, None)],
    S.FEEDBACK_ON_TIME: [(A.ASSIGN, None), (A.FEED_BACK, None)],
    S.FEEDBACK_LATE: [(A.ASSIGN, None), (A.FEED_BACK, LATE)],
    S.OVERDUE_NO_FEEDBACK: [(A.ASSIGN, None), (A.MARK_OVERDUE, LATE)],
    S.RECTIFIED_ON_TIME: [(A.ASSIGN, None), (A.FEED_BACK, None), (A.PASS_REVIEW, None)],
    S.RECTIFIED_LATE: [(A.ASSIGN, None), (A.FEED_BACK, LATE), (A.PASS_REVIEW, None)],
    S.APPEALED: [(A.APPEAL, None)],
    S.VOIDED: [(A.APPEAL, None), (A.UPHOLD_APPEAL, None)],
}

ILLEGAL = [(s, a) for s in FindingStatus for a in FindingAction if (s, a) not in TRANSITIONS]


# --- factories --------------------------------------------------------------------------------------


def make_finding(at: datetime = T0) -> Finding:
    return record_finding(FindingId(5), ProblemId(55), at)


def step(finding: Finding, action: FindingAction, at: datetime | None = None, **overrides: Any) -> Finding:
    return step_recorded(finding, action, at, **overrides)[0]


def step_recorded(
    finding: Finding, action: FindingAction, at: datetime | None = None, **overrides: Any
) -> tuple[Finding, FindingTransition]:
    """Apply ``action`` (an hour after the last change unless ``at``) with what it needs."""
    when = at or finding.changed_at + timedelta(hours=1)
    kwargs: dict[str, Any] = {
        "actor": None if action is A.MARK_OVERDUE else OFFICER,
        "at": when,
        "reason": "理由" if action in REASON_REQUIRED else "",
        "attachments": ("rectified.jpg",) if action in EVIDENCE_REQUIRED else (),
        "deadline": DUE if action is A.ASSIGN else None,
    }
    changed, record = apply(finding, action, **(kwargs | overrides))
    return changed, record


def finding_in(status: FindingStatus, appealed_from: FindingStatus = S.FOUND) -> Finding:
    path = PATHS[status]
    if status is S.APPEALED and appealed_from is S.ASSIGNED:
        path = [(A.ASSIGN, None), (A.APPEAL, None)]
    finding = make_finding()
    for action, at in path:
        finding = step(finding, action, at)
    assert finding.status is status
    return finding


# --- the table ----------------------------------------------------------------------------------------


def test_the_table_is_exactly_the_hand_written_list() -> None:
    written: dict[tuple[FindingStatus, FindingAction], tuple[FindingStatus, ...]] = {}
    for source, action, target in EXPECTED:
        written[source, action] = (*written.get((source, action), ()), target)
    assert dict(TRANSITIONS) == written


def test_every_status_has_the_expected_type_and_a_path_to_reach_it() -> None:
    assert {t: {s for s in FindingStatus if s.type is t} for t in StatusType} == EXPECTED_TYPES
    assert set(PATHS) == set(FindingStatus)


# Where a step has two possible targets, the scenario picks the one under test.
SCENARIOS: dict[tuple[FindingStatus, FindingAction, FindingStatus], dict[str, Any]] = {
    (S.ASSIGNED, A.FEED_BACK, S.FEEDBACK_LATE): {"at": LATE},
    (S.ASSIGNED, A.MARK_OVERDUE, S.OVERDUE_NO_FEEDBACK): {"at": LATE},
    (S.APPEALED, A.REJECT_APPEAL, S.ASSIGNED): {"appealed_from": S.ASSIGNED},
}


@pytest.mark.parametrize(("source", "action", "target"), EXPECTED, ids=lambda v: str(v))
def test_every_expected_step_lands_where_the_list_says(
    source: FindingStatus, action: FindingAction, target: FindingStatus
) -> None:
    scenario = SCENARIOS.get((source, action, target), {})
    finding = finding_in(source, scenario.get("appealed_from", S.FOUND))
    changed, record = step_recorded(finding, action, scenario.get("at"))
    assert changed.status is record.to_status is target
    assert target in TRANSITIONS[source, action]
    assert (record.finding_id, record.action, record.from_status) == (finding.id, action, source)


@pytest.mark.parametrize(("source", "action"), list(TRANSITIONS), ids=lambda v: str(v))
def test_every_legal_pair_in_the_table_is_accepted(source: FindingStatus, action: FindingAction) -> None:
    finding = finding_in(source)
    at = LATE if action is A.MARK_OVERDUE else None
    changed, _ = step_recorded(finding, action, at)
    assert changed.status in TRANSITIONS[source, action]


@pytest.mark.parametrize(("source", "action"), ILLEGAL, ids=lambda v: str(v))
def test_every_illegal_pair_is_refused_naming_the_allowed_actions(
    source: FindingStatus, action: FindingAction
) -> None:
    with pytest.raises(IllegalTransitionError) as caught:
        step(finding_in(source), action, LATE + timedelta(days=1))
    allowed = allowed_actions(source)
    assert caught.value.allowed == allowed
    names = "、".join(a.label for a in allowed) or "无"
    assert (
        str(caught.value)
        == f"测评问题当前状态为「{source.label}」, 不能执行「{action.label}」; 可执行: {names}"
    )


@pytest.mark.parametrize("status", sorted(EXPECTED_TYPES[StatusType.CLOSED]))
def test_a_closed_finding_accepts_nothing(status: FindingStatus) -> None:
    assert allowed_actions(status) == ()


@pytest.mark.parametrize(
    ("source", "action"), [(f, a) for f, a, _ in EXPECTED if a in REASON_REQUIRED], ids=lambda v: str(v)
)
def test_review_failures_and_appeals_need_a_reason(source: FindingStatus, action: FindingAction) -> None:
    with pytest.raises(WorkflowError, match=re.escape(f"「{action.label}」须说明理由")):
        step(finding_in(source), action, reason=" ")


# --- assignment and feedback --------------------------------------------------------------------------


def test_assigning_records_the_rectification_deadline() -> None:
    finding, record = step_recorded(make_finding(), A.ASSIGN)
    assert (finding.rectify_deadline_at, record.deadline, record.actor) == (DUE, DUE, OFFICER)


def test_assigning_without_a_deadline_or_with_a_past_one_is_refused() -> None:
    with pytest.raises(WorkflowError, match="「交办」须给出整改期限"):
        step(make_finding(), A.ASSIGN, deadline=None)
    with pytest.raises(WorkflowError, match="「交办」的整改期限应晚于操作时间"):
        step(make_finding(), A.ASSIGN, deadline=T0)


def test_feedback_by_the_deadline_is_on_time_and_after_it_is_late() -> None:
    assigned = finding_in(S.ASSIGNED)
    assert step(assigned, A.FEED_BACK, DUE).status is S.FEEDBACK_ON_TIME
    assert step(assigned, A.FEED_BACK, DUE + timedelta(seconds=1)).status is S.FEEDBACK_LATE


def test_a_late_feedback_that_passes_review_is_rectified_late() -> None:
    finding = step(step(finding_in(S.ASSIGNED), A.FEED_BACK, LATE), A.PASS_REVIEW)
    assert (finding.status, finding.status_type, finding.fed_back_at) == (
        S.RECTIFIED_LATE,
        StatusType.CLOSED,
        LATE,
    )


def test_feedback_without_a_photo_is_refused() -> None:
    with pytest.raises(WorkflowError, match="「整改反馈」须附处置照片"):
        step(finding_in(S.ASSIGNED), A.FEED_BACK, attachments=[])


# --- review -----------------------------------------------------------------------------------------------


def test_a_failed_review_sends_the_finding_back_to_the_unit_with_a_new_deadline() -> None:
    finding = finding_in(S.FEEDBACK_ON_TIME)
    again = DUE + timedelta(days=2)
    finding, record = step_recorded(finding, A.FAIL_REVIEW, reason="垃圾未清理干净", deadline=again)
    assert (finding.status, finding.review_failures, finding.rectify_deadline_at) == (S.ASSIGNED, 1, again)
    assert (record.reason, record.deadline) == ("垃圾未清理干净", again)
    assert step(finding, A.FEED_BACK, DUE + timedelta(days=1)).status is S.FEEDBACK_ON_TIME


def test_a_failed_review_without_a_new_deadline_keeps_the_old_one() -> None:
    finding = step(finding_in(S.FEEDBACK_LATE), A.FAIL_REVIEW)
    assert (finding.rectify_deadline_at, finding.review_failures) == (DUE, 1)
    assert step(finding, A.FEED_BACK).status is S.FEEDBACK_LATE


# --- 逾期未反馈 -----------------------------------------------------------------------------------------


def test_findings_without_feedback_past_the_deadline_and_grace_are_marked_overdue() -> None:
    grace = timedelta(hours=12)
    waiting = finding_in(S.ASSIGNED)
    answered = finding_in(S.FEEDBACK_ON_TIME)
    appealed = finding_in(S.APPEALED, appealed_from=S.ASSIGNED)
    findings = [waiting, answered, appealed]
    assert mark_overdue(findings, DUE, grace) == []
    assert mark_overdue(findings, DUE + grace, grace) == []
    sweep = DUE + grace + timedelta(minutes=1)
    [(marked, record)] = mark_overdue(findings, sweep, grace)
    assert (marked.id, marked.status, marked.marked_overdue_at) == (waiting.id, S.OVERDUE_NO_FEEDBACK, sweep)
    assert (record.actor, record.at, record.action) == (None, sweep, A.MARK_OVERDUE)


def test_marking_overdue_before_the_deadline_is_refused() -> None:
    with pytest.raises(WorkflowError, match="整改期限未过, 不能「标记逾期未反馈」"):
        step(finding_in(S.ASSIGNED), A.MARK_OVERDUE, DUE)


def test_an_overdue_finding_still_takes_feedback_which_is_late() -> None:
    finding = step(finding_in(S.OVERDUE_NO_FEEDBACK), A.FEED_BACK)
    assert finding.status is S.FEEDBACK_LATE
    finding = step(finding, A.PASS_REVIEW)
    assert (finding.status, finding.marked_overdue_at) == (S.RECTIFIED_LATE, LATE)


# --- appeals ----------------------------------------------------------------------------------------------


def test_an_upheld_appeal_voids_the_finding() -> None:
    finding, record = step_recorded(finding_in(S.APPEALED), A.UPHOLD_APPEAL, reason="非责任区域")
    assert (finding.status, finding.status_type, finding.appealed_from) == (S.VOIDED, StatusType.CLOSED, None)
    assert record.reason == "非责任区域"


@pytest.mark.parametrize("before", [S.FOUND, S.ASSIGNED])
def test_a_rejected_appeal_returns_the_finding_to_where_it_was(before: FindingStatus) -> None:
    appealed = finding_in(S.APPEALED, appealed_from=before)
    assert appealed.appealed_from is before
    finding = step(appealed, A.REJECT_APPEAL, reason="证据不足")
    assert (finding.status, finding.appealed_from) == (before, None)


# --- property: random legal sequences --------------------------------------------------------------


def draw_step(
    data: st.DataObject, finding: Finding, action: FindingAction
) -> tuple[Finding, FindingTransition]:
    minutes = timedelta(minutes=data.draw(st.integers(0, 10 * 24 * 60), label="minutes"))
    at = finding.changed_at + minutes
    deadline = None
    if action is A.MARK_OVERDUE:
        assert finding.rectify_deadline_at is not None
        at = max(at, finding.rectify_deadline_at + timedelta(seconds=1))
    if action is A.ASSIGN or (action is A.FAIL_REVIEW and data.draw(st.booleans(), label="new deadline")):
        deadline = at + timedelta(hours=data.draw(st.integers(1, 240), label="hours"))
    return step_recorded(finding, action, at, deadline=deadline)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_sequence_of_legal_actions_stays_inside_the_table(data: st.DataObject) -> None:
    finding, history = make_finding(), []
    for _ in range(data.draw(st.integers(0, 30), label="steps")):
        allowed = allowed_actions(finding.status)
        if not allowed:
            break
        before = finding
        action = data.draw(st.sampled_from(allowed), label="action")
        finding, record = draw_step(data, finding, action)
        history.append(record)
        assert finding.status in TRANSITIONS[before.status, action]
        assert (record.from_status, record.to_status) == (before.status, finding.status)
        assert (finding.appealed_from is not None) == (finding.status is S.APPEALED)
        assert finding.review_failures == Counter(t.action for t in history)[A.FAIL_REVIEW]
    if finding.status_type is StatusType.CLOSED:
        for action in FindingAction:
            with pytest.raises(IllegalTransitionError):
                step(finding, action)


# --- documentation -----------------------------------------------------------------------------------


def test_the_case_loop_page_shows_every_step_of_a_findings_life() -> None:
    page = (ROOT / "docs" / "case-loop.md").read_text(encoding="utf-8")
    rows = [f"| {f.label} | {a.label} | {t.label} |" for f, a, t in EXPECTED]
    missing = [row for row in rows if row not in page]
    assert not missing, f"document these steps in docs/case-loop.md: {missing}"
    for status in FindingStatus:
        assert f"`{status.value}`" in page, status
