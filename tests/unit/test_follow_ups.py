"""What a case or a finding says of its problem: status, closing time and the overdue flag, for every
kind of end and for open follow-ups judged against their deadline."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from kaoping.domain import cases, findings
from kaoping.domain.cases import CaseAction
from kaoping.domain.findings import FindingAction, FindingStatus
from kaoping.domain.follow_ups import ProblemStanding, case_standing, finding_standing
from kaoping.domain.ids import CaseId, FindingId, PersonId, ProblemId
from kaoping.domain.problems import ProblemStatus

TZ = ZoneInfo("Asia/Shanghai")
ACTOR = PersonId(7)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def walk(steps: list[tuple[CaseAction, str, dict[str, object]]]) -> cases.Case:
    case = cases.report_case(CaseId(1), ProblemId(11), at("2025-03-03T09:00"))
    for action, when, extra in steps:
        case, _ = cases.apply(case, action, actor=ACTOR, at=at(when), **extra)  # type: ignore[arg-type]
    return case


DISPATCHED = [
    (CaseAction.ACCEPT, "2025-03-03T09:10", {}),
    (CaseAction.FILE, "2025-03-03T09:20", {}),
    (CaseAction.DISPATCH, "2025-03-03T09:30", {"deadline": at("2025-03-03T15:30")}),
]


def test_a_reported_case_leaves_its_problem_reported_and_judged_against_the_problem_s_own_deadline() -> None:
    standing = case_standing(walk([]), at("2025-03-03T10:00"))
    assert (standing.status, standing.closed_at, standing.deadline) == (ProblemStatus.REPORTED, None, None)
    assert standing.is_overdue(at("2025-03-03T09:59"))
    assert not standing.is_overdue(at("2025-03-03T10:01"))
    assert not standing.is_overdue(None)  # no deadline at all: never overdue by the clock


def test_a_dispatched_case_is_judged_against_its_own_deadline_once_it_has_one() -> None:
    case = walk(DISPATCHED)
    standing = case_standing(case, at("2025-03-03T16:00"))
    assert standing.status is ProblemStatus.DISPATCHED
    assert standing.is_overdue(at("2025-03-10T00:00"))  # the problem's later deadline does not count
    assert not case_standing(case, at("2025-03-03T15:00")).is_overdue(at("2025-03-01T00:00"))


@pytest.mark.parametrize(("closed", "overdue"), [("2025-03-03T15:00", False), ("2025-03-04T10:00", True)])
def test_a_closed_case_closes_its_problem_overdue_when_closed_after_the_deadline(
    closed: str, overdue: bool
) -> None:
    case = walk(
        [
            *DISPATCHED,
            (CaseAction.FEED_BACK, "2025-03-03T14:00", {"attachments": ["a.jpg"]}),
            (CaseAction.PASS_CHECK, closed, {}),
        ]
    )
    standing = case_standing(case, at("2025-03-05T00:00"))
    assert (standing.status, standing.closed_at) == (ProblemStatus.CLOSED, at(closed))
    assert standing.is_overdue(None) is overdue


@pytest.mark.parametrize(
    "steps",
    [
        [*DISPATCHED, (CaseAction.VOID, "2025-03-05T09:00", {"reason": "重复立案"})],
        [(CaseAction.REFUSE, "2025-03-05T09:00", {"reason": "不属于城市管理"})],
    ],
)
def test_a_voided_or_refused_case_voids_its_problem_which_is_never_overdue(
    steps: list[tuple[CaseAction, str, dict[str, object]]],
) -> None:
    standing = case_standing(walk(steps), at("2025-03-06T00:00"))
    assert standing == ProblemStanding(ProblemStatus.VOIDED, at("2025-03-05T09:00"))
    assert not standing.is_overdue(at("2025-03-01T00:00"))


def test_a_case_fixed_on_the_spot_closes_its_problem() -> None:
    case = walk([(CaseAction.SELF_HANDLE, "2025-03-03T09:05", {"attachments": ["a.jpg"]})])
    standing = case_standing(case, at("2025-03-03T09:05"))
    assert (standing.status, standing.closed_at) == (ProblemStatus.CLOSED, at("2025-03-03T09:05"))
    assert not standing.is_overdue(at("2025-03-03T11:00"))


def finding_after(*steps: tuple[FindingAction, str, dict[str, object]]) -> findings.Finding:
    item = findings.record_finding(FindingId(5), ProblemId(55), at("2025-03-03T09:00"))
    for action, when, extra in steps:
        item, _ = findings.apply(item, action, actor=ACTOR, at=at(when), **extra)  # type: ignore[arg-type]
    return item


ASSIGN = (FindingAction.ASSIGN, "2025-03-03T10:00", {"deadline": at("2025-03-05T18:00")})
FEED_BACK_LATE = (FindingAction.FEED_BACK, "2025-03-06T10:00", {"attachments": ["a.jpg"]})
FEED_BACK_ON_TIME = (FindingAction.FEED_BACK, "2025-03-05T10:00", {"attachments": ["a.jpg"]})
PASS = (FindingAction.PASS_REVIEW, "2025-03-07T10:00", {})


@pytest.mark.parametrize(
    ("steps", "status", "closed", "overdue"),
    [
        ([ASSIGN], ProblemStatus.DISPATCHED, None, False),
        ([ASSIGN, FEED_BACK_ON_TIME], ProblemStatus.DISPATCHED, None, False),
        ([ASSIGN, FEED_BACK_LATE], ProblemStatus.DISPATCHED, None, True),
        ([ASSIGN, FEED_BACK_ON_TIME, PASS], ProblemStatus.CLOSED, "2025-03-07T10:00", False),
        ([ASSIGN, FEED_BACK_LATE, PASS], ProblemStatus.CLOSED, "2025-03-07T10:00", True),
        (
            [ASSIGN, (FindingAction.APPEAL, "2025-03-04T10:00", {"reason": "非本辖区"}),
             (FindingAction.UPHOLD_APPEAL, "2025-03-08T10:00", {"reason": "属实"})],
            ProblemStatus.VOIDED, "2025-03-08T10:00", False,
        ),
    ],
)  # fmt: skip
def test_a_finding_s_life_decides_its_problem_s_status_and_lateness(
    steps: list[tuple[FindingAction, str, dict[str, object]]],
    status: ProblemStatus,
    closed: str | None,
    overdue: bool,
) -> None:
    standing = finding_standing(finding_after(*steps), at("2025-03-05T12:00"))
    assert (standing.status, standing.closed_at) == (status, None if closed is None else at(closed))
    assert standing.is_overdue(None) is overdue


def test_an_assigned_finding_past_its_deadline_or_marked_unanswered_is_overdue() -> None:
    item = finding_after(ASSIGN)
    assert finding_standing(item, at("2025-03-06T09:00")).is_overdue(None)
    marked, _ = findings.mark_overdue([item], at("2025-03-06T09:00"))[0]
    assert marked.status is FindingStatus.OVERDUE_NO_FEEDBACK
    assert finding_standing(marked, at("2025-03-06T09:00")).is_overdue(None)
