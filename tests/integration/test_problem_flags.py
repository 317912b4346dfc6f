"""The problem row kept right on every change, on both engines: a case's dispatch, close and void and a
finding's life move the problem's status, closing time and overdue flag in the same transaction; the
overdue sweep flags open problems past their deadline once; a finding changed by someone else is
refused with FindingChangedError (409 over HTTP)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import Engine, select, update

from kaoping.api.errors import status_for
from kaoping.db.cases import SqlCaseUnitOfWork
from kaoping.db.tables import problem
from kaoping.domain import findings
from kaoping.domain.calendar import WorkCalendar
from kaoping.domain.cases import CaseAction
from kaoping.domain.findings import FindingAction
from kaoping.domain.ids import CaseId, FindingId, ProblemId
from kaoping.services.cases import move_case, open_case_for, sweep_overdue_problems
from kaoping.services.findings import FindingChangedError, act_on_finding, record_finding_for, sweep_overdue
from tests.integration.test_cases_db import ACTOR, TZ, add_problem, territory
from tests.integration.test_cases_db import world as world
from tests.integration.test_findings_db import run

A = CaseAction
World = tuple[Engine, dict[str, int], WorkCalendar]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def a_problem(engine: Engine, ids: dict[str, int], found: str, deadline: str | None = None) -> ProblemId:
    with engine.begin() as conn:
        problem_id = add_problem(conn, ids, at(found))
        if deadline is not None:
            conn.execute(update(problem).where(problem.c.id == problem_id).values(deadline_at=at(deadline)))
    return problem_id


def a_case(
    engine: Engine, ids: dict[str, int], found: str, deadline: str | None = None
) -> tuple[ProblemId, CaseId]:
    problem_id = a_problem(engine, ids, found, deadline)
    return problem_id, open_case_for(SqlCaseUnitOfWork(engine), problem_id, territory(ids), at(found)).id


def act(world: World, case_id: CaseId, action: CaseAction, when: str, **kw: object) -> None:
    engine, _ids, calendar = world
    move_case(
        SqlCaseUnitOfWork(engine), case_id, action, actor=ACTOR, at=at(when), calendar=calendar, tz=TZ, **kw
    )  # type: ignore[arg-type]


def flags(engine: Engine, problem_id: ProblemId) -> tuple[str, datetime | None, bool]:
    with engine.connect() as conn:
        row = conn.execute(
            select(problem.c.status, problem.c.closed_at, problem.c.is_overdue).where(
                problem.c.id == problem_id
            )
        ).one()
    return row.status, row.closed_at, row.is_overdue


def dispatch(world: World, case_id: CaseId) -> None:
    for action, when in [
        (A.ACCEPT, "2025-03-03T09:10"),
        (A.FILE, "2025-03-03T09:20"),
        (A.DISPATCH, "2025-03-03T09:30"),
    ]:
        act(world, case_id, action, when)  # 4 工作时: due 15:30 the same day


# --- a case keeps its problem in step ------------------------------------------------------------


@pytest.mark.parametrize(("checked", "overdue"), [("2025-03-03T15:00", False), ("2025-03-04T10:00", True)])
def test_closing_a_case_closes_its_problem_overdue_only_when_closed_after_the_deadline(
    world: World, checked: str, overdue: bool
) -> None:
    engine, ids, _calendar = world
    problem_id, case_id = a_case(engine, ids, "2025-03-03T09:00")
    dispatch(world, case_id)
    assert flags(engine, problem_id) == ("dispatched", None, False)
    act(world, case_id, A.FEED_BACK, "2025-03-03T14:00", attachments=["整改后.jpg"])
    act(world, case_id, A.PASS_CHECK, checked)
    assert flags(engine, problem_id) == ("closed", at(checked), overdue)


def test_voiding_a_case_voids_its_problem_and_clears_an_overdue_flag(world: World) -> None:
    engine, ids, _calendar = world
    problem_id, case_id = a_case(engine, ids, "2025-03-03T09:00", deadline="2025-03-03T11:00")
    act(world, case_id, A.ACCEPT, "2025-03-03T12:00")  # past the problem's own deadline, not dispatched
    assert flags(engine, problem_id) == ("reported", None, True)
    act(world, case_id, A.VOID, "2025-03-04T09:00", reason="重复上报")
    assert flags(engine, problem_id) == ("voided", at("2025-03-04T09:00"), False)


def test_a_refused_action_leaves_the_problem_as_it_was(world: World) -> None:
    engine, ids, _calendar = world
    problem_id, case_id = a_case(engine, ids, "2025-03-03T09:00")
    with pytest.raises(Exception, match="不能执行"):
        act(world, case_id, A.PASS_CHECK, "2025-03-03T10:00")
    assert flags(engine, problem_id) == ("reported", None, False)


# --- the sweep -------------------------------------------------------------------------------------


def test_the_sweep_flags_open_problems_past_their_deadline_once_and_counts_them(world: World) -> None:
    engine, ids, _calendar = world
    late = a_problem(engine, ids, "2025-03-03T09:00", deadline="2025-03-03T11:00")  # no case: its own
    on_time = a_problem(engine, ids, "2025-03-03T09:00", deadline="2025-03-05T11:00")
    _undeadlined = a_problem(engine, ids, "2025-03-03T09:00")
    in_disposal, case_id = a_case(engine, ids, "2025-03-03T09:00", deadline="2025-03-03T10:00")
    dispatch(world, case_id)  # the case's deadline (15:30) replaces the problem's own (10:00)
    tested = a_problem(engine, ids, "2025-03-03T09:00", deadline="2025-03-03T10:00")
    record_finding_for(SqlCaseUnitOfWork(engine), tested, at("2025-03-03T09:00"))  # left to its own sweep
    closed, closed_case = a_case(engine, ids, "2025-03-03T09:00", deadline="2025-03-03T10:00")
    act(world, closed_case, A.SELF_HANDLE, "2025-03-03T09:05", attachments=["现场.jpg"])

    first = sweep_overdue_problems(SqlCaseUnitOfWork(engine), at("2025-03-03T15:00"))
    assert (first.marked, first.overdue) == (1, 1)
    assert [flags(engine, p)[2] for p in (late, on_time, in_disposal, tested, closed)] == [
        True,
        False,
        False,
        False,
        False,
    ]
    again = sweep_overdue_problems(SqlCaseUnitOfWork(engine), at("2025-03-03T15:00"))
    assert (again.marked, again.overdue) == (0, 1)
    later = sweep_overdue_problems(SqlCaseUnitOfWork(engine), at("2025-03-03T16:00"))
    assert (later.marked, later.overdue) == (1, 2)  # now the dispatched case is past 15:30 too
    assert flags(engine, in_disposal)[2]


def test_the_sweep_command_reports_its_counts(world: World) -> None:
    engine, ids, _calendar = world
    a_problem(engine, ids, "2025-03-03T09:00", deadline="2025-03-03T11:00")
    swept = run(engine, "case", "sweep", "--at", "2025-03-03T12:00", "--json")
    assert swept.exit_code == 0, swept.output
    assert json.loads(swept.output) == {"at": "2025-03-03T12:00:00+08:00", "marked": 1, "overdue": 1}
    said = run(engine, "case", "sweep", "--at", "2025-03-03T12:00")
    assert "0 个问题标记为超时, 未办结的超时问题共 1 个" in " ".join(said.output.split())


# --- a finding keeps its problem in step; a stale save is 409 -------------------------------------


def test_a_finding_rectified_late_closes_its_problem_overdue(world: World) -> None:
    engine, ids, _calendar = world
    problem_id = a_problem(engine, ids, "2025-03-03T09:00")
    finding_id = record_finding_for(SqlCaseUnitOfWork(engine), problem_id, at("2025-03-03T09:00")).id

    def step(action: FindingAction, when: str, **kw: object) -> None:
        act_on_finding(SqlCaseUnitOfWork(engine), finding_id, action, actor=ACTOR, at=at(when), **kw)  # type: ignore[arg-type]

    step(FindingAction.ASSIGN, "2025-03-03T10:00", deadline=at("2025-03-05T18:00"))
    assert flags(engine, problem_id) == ("dispatched", None, False)
    assert len(sweep_overdue(SqlCaseUnitOfWork(engine), at("2025-03-06T09:00"))) == 1  # 逾期未反馈
    assert flags(engine, problem_id) == ("dispatched", None, True)
    step(FindingAction.FEED_BACK, "2025-03-06T10:00", attachments=["整改后.jpg"])
    step(FindingAction.PASS_REVIEW, "2025-03-07T10:00")
    assert flags(engine, problem_id) == ("closed", at("2025-03-07T10:00"), True)


def test_a_finding_moved_by_someone_else_is_refused_with_finding_changed_error_and_409(world: World) -> None:
    engine, ids, _calendar = world
    problem_id = a_problem(engine, ids, "2025-03-03T09:00")
    finding_id = record_finding_for(SqlCaseUnitOfWork(engine), problem_id, at("2025-03-03T09:00")).id
    with SqlCaseUnitOfWork(engine) as uow:
        loaded = uow.findings.get(finding_id)
    act_on_finding(  # someone else assigns it first
        SqlCaseUnitOfWork(engine), finding_id, FindingAction.ASSIGN, actor=ACTOR, at=at("2025-03-03T10:00"),
        deadline=at("2025-03-05T18:00"),
    )  # fmt: skip
    stale, step = findings.apply(
        loaded, FindingAction.APPEAL, actor=ACTOR, at=at("2025-03-03T11:00"), reason="非本辖区"
    )
    with (
        SqlCaseUnitOfWork(engine) as uow,
        pytest.raises(FindingChangedError, match="刚被他人处理") as refused,
    ):
        uow.findings.save(stale, step)
    assert refused.value.finding_id == finding_id
    assert status_for(refused.value) == 409
    assert status_for(FindingChangedError(FindingId(1))) == 409
    with SqlCaseUnitOfWork(engine) as uow:  # nothing of the stale save was stored
        assert uow.findings.get(finding_id).status is findings.FindingStatus.ASSIGNED
        assert [t.action for t in uow.findings.list_transitions(finding_id)] == [FindingAction.ASSIGN]
