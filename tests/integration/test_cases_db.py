"""Cases and findings stored on both engines: every field, holds and attachments round-trip, the
whole loop runs through the service on the real calendar, a stale save is refused, and a unit's
open cases list with their timer lights at a fixed time."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, Engine, func, insert, select

from kaoping.db.calendar import load_calendar, seed_year
from kaoping.db.cases import SqlCaseStore, SqlCaseUnitOfWork, SqlFindingStore
from kaoping.db.tables import (
    admin_unit,
    case_file,
    case_transition,
    category,
    channel,
    department,
    grid,
    person,
    problem,
)
from kaoping.domain import cases, findings
from kaoping.domain.calendar import CalendarYearMissingError, WorkCalendar
from kaoping.domain.cases import CaseAction, CaseStatus, CloseType, IllegalTransitionError
from kaoping.domain.deadlines import TimerLight
from kaoping.domain.findings import FindingAction, FindingStatus
from kaoping.domain.ids import CaseId, DepartmentId, FindingId, PersonId, ProblemId, UnitId
from kaoping.domain.routing import Lead, Responsibility
from kaoping.io.holidays import LIBRARY, holiday_days
from kaoping.services.cases import (
    CaseAlreadyOpenError,
    CaseChangedError,
    case_history,
    get_case_file,
    list_open_cases,
    move_case,
    open_case_for,
)

TZ = ZoneInfo("Asia/Shanghai")
A, S = CaseAction, CaseStatus
ACTOR = PersonId(1)


# --- factories -------------------------------------------------------------------------------------


def seed_world(conn: Connection) -> dict[str, int]:
    """A district with two towns, a department, a 4-工作时 category, a person, 2025–2026 calendar."""
    for year in (2025, 2026):
        seed_year(conn, year, holiday_days(year), LIBRARY)
    ids: dict[str, int] = {}
    for key, code, name, level, parent in [
        ("district", "370102", "历下区", "district", None),
        ("town", "370102001", "解放路街道", "town", "district"),
        ("other_town", "370102002", "千佛山街道", "town", "district"),
    ]:
        values = {"code": code, "name": name, "level": level, "kind": level}
        values["parent_id"] = ids[parent] if parent else None
        ids[key] = conn.execute(insert(admin_unit).values(values).returning(admin_unit.c.id)).scalar_one()
    ids["department"] = conn.execute(
        insert(department)
        .values(code="LXSZ", name="历下区市政局", field="municipal", district_id=ids["district"])
        .returning(department.c.id)
    ).scalar_one()
    conn.execute(insert(channel).values(code="grid_worker", name="网格员上报", is_own_discovery=True))
    major = conn.execute(
        insert(category)
        .values(code="E01", kind="event", level="major", name="市容环境")
        .returning(category.c.id)
    ).scalar_one()
    ids["category"] = conn.execute(
        insert(category)
        .values(
            code="E0101", kind="event", level="minor", name="暴露垃圾", parent_id=major,
            deadline_value=4, deadline_unit="work_hours",
        )
        .returning(category.c.id)
    ).scalar_one()  # fmt: skip
    conn.execute(insert(person).values(id=ACTOR, name="张三"))
    return ids


def add_problem(conn: Connection, ids: dict[str, int], found_at: datetime) -> ProblemId:
    values = {
        "channel": "grid_worker", "category_id": ids["category"], "found_at": found_at,
        "lon": 117.0, "lat": 36.66, "orig_x": 117.0, "orig_y": 36.66, "orig_crs": "wgs84",
        "grid_id": None, "community_id": ids["town"], "town_id": ids["town"],
        "district_id": ids["district"], "status": "reported",
    }  # fmt: skip
    # A grid row is needed for the foreign key; one per test world is enough.
    values["grid_id"] = grid_for(conn, ids)
    return ProblemId(conn.execute(insert(problem).values(values).returning(problem.c.id)).scalar_one())


def grid_for(conn: Connection, ids: dict[str, int]) -> int:
    found = conn.execute(select(grid.c.id).limit(1)).scalar()
    if found is not None:
        return int(found)
    row = {"code": "370102001001001", "community_id": ids["town"], "area_m2": 1.0, "geometry": b"\x00"}
    return int(conn.execute(insert(grid).values(row).returning(grid.c.id)).scalar_one())


def territory(ids: dict[str, int], town: str = "town") -> Responsibility:
    return Responsibility(Lead.TERRITORY, UnitId(ids[town]), None, Decimal(0))


def by_department(ids: dict[str, int]) -> Responsibility:
    return Responsibility(
        Lead.DEPARTMENT, UnitId(ids["town"]), DepartmentId(ids["department"]), Decimal("0.2")
    )


@pytest.fixture
def world(clean_engine: Engine) -> tuple[Engine, dict[str, int], WorkCalendar]:
    with clean_engine.begin() as conn:
        ids = seed_world(conn)
        calendar = load_calendar(conn)
    return clean_engine, ids, calendar


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def open_case(engine: Engine, ids: dict[str, int], found: str, lead: Responsibility | None = None) -> CaseId:
    with engine.begin() as conn:
        problem_id = add_problem(conn, ids, at(found))
    case = open_case_for(SqlCaseUnitOfWork(engine), problem_id, lead or territory(ids), at(found))
    return case.id


def act(engine: Engine, calendar: WorkCalendar, case_id: CaseId, action: CaseAction, when: str, **kw: object):  # type: ignore[no-untyped-def]
    return move_case(
        SqlCaseUnitOfWork(engine), case_id, action, actor=ACTOR, at=at(when), calendar=calendar, tz=TZ, **kw
    )  # type: ignore[arg-type]


# --- round trips -----------------------------------------------------------------------------------


def test_a_case_round_trips_every_field_its_holds_and_each_step_with_its_attachments(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids, _calendar = world
    case_id = open_case(engine, ids, "2025-03-03T09:00")
    uow = SqlCaseUnitOfWork(engine)
    with uow:
        case = uow.cases.get(case_id)
        steps = [
            (A.ACCEPT, "2025-03-03T09:10", {}),
            (A.FILE, "2025-03-03T09:20", {}),
            (A.DISPATCH, "2025-03-03T09:30", {"deadline": at("2025-03-05T18:00")}),
            (A.REQUEST_HOLD, "2025-03-03T10:00", {"reason": "需协调燃气公司"}),
            (A.APPROVE_HOLD, "2025-03-03T11:00", {}),
            (A.RESUME, "2025-03-04T11:00", {"deadline": at("2025-03-06T18:00")}),
            (A.REQUEST_HOLD, "2025-03-04T12:00", {"reason": "再次等待"}),
            (A.APPROVE_HOLD, "2025-03-04T13:00", {}),  # still on hold: the open hold must round-trip
            (
                A.SUPERVISE,
                "2025-03-04T14:00",
                {"reason": "催办", "attachments": ["督办单.pdf", " 现场.jpg "]},
            ),
        ]
        expected = []
        for action, when, extra in steps:
            case, record = cases.apply(case, action, actor=ACTOR, at=at(when), **extra)  # type: ignore[arg-type]
            uow.cases.save(case, record)
            expected.append(record)
        uow.commit()
    with uow:
        stored = uow.cases.get(case_id)
        history = uow.cases.list_transitions(case_id)
    assert stored == case
    assert stored.holds[-1].end is None
    assert stored.hold_spans(at("2025-03-05T09:00")) == case.hold_spans(at("2025-03-05T09:00"))
    assert history == expected
    assert history[-1].attachments == ("督办单.pdf", "现场.jpg")
    assert (stored.status, stored.version, stored.supervision_count) == (S.ON_HOLD, 9, 1)


def test_a_closed_case_keeps_its_close_type_counts_and_times(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids, calendar = world
    case_id = open_case(engine, ids, "2025-03-03T09:00")
    for action, when, extra in [
        (A.ACCEPT, "2025-03-03T09:10", {}),
        (A.FILE, "2025-03-03T09:20", {}),
        (A.DISPATCH, "2025-03-03T09:30", {}),
        (A.FEED_BACK, "2025-03-03T15:00", {"attachments": ["整改后.jpg"]}),
        (A.FAIL_CHECK, "2025-03-03T16:00", {"reason": "仍有垃圾"}),
        (A.FEED_BACK, "2025-03-04T09:00", {}),
        (A.PASS_CHECK, "2025-03-04T10:00", {}),
    ]:
        act(engine, calendar, case_id, action, when, **extra)
    with SqlCaseUnitOfWork(engine) as uow:
        case = uow.cases.get(case_id)
    assert (case.status, case.close_type, case.rework_count, case.dispatch_count) == (
        S.CLOSED, CloseType.OVERDUE, 1, 1,
    )  # fmt: skip
    assert case.deadline_at == at("2025-03-03T15:30")  # 4 工作时 from 09:30, lunch not counted
    assert (case.closed_at, case.fed_back_at) == (at("2025-03-04T10:00"), at("2025-03-04T09:00"))


def test_a_finding_round_trips_with_its_steps(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids, _calendar = world
    with engine.begin() as conn:
        problem_id = add_problem(conn, ids, at("2025-03-03T09:00"))
        store = SqlFindingStore(conn)
        item = findings.record_finding(FindingId(0), problem_id, at("2025-03-03T09:00"))
        item = replace(item, id=store.add(item))
        item, assigned = findings.apply(
            item,
            FindingAction.ASSIGN,
            actor=ACTOR,
            at=at("2025-03-03T10:00"),
            deadline=at("2025-03-05T18:00"),
        )
        store.save(item, assigned)
        item, overdue = findings.mark_overdue([item], at("2025-03-06T09:00"))[0]
        store.save(item, overdue)
        item, fed_back = findings.apply(
            item, FindingAction.FEED_BACK, actor=ACTOR, at=at("2025-03-06T10:00"), attachments=["a.jpg"]
        )
        store.save(item, fed_back)
        assert store.get(item.id) == item
        assert store.list_transitions(item.id) == [assigned, overdue, fed_back]
    assert item.status is FindingStatus.FEEDBACK_LATE
    assert overdue.actor is None


# --- the loop through the service ------------------------------------------------------------------


def test_the_whole_loop_runs_through_the_service_with_a_deadline_across_national_day(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids, calendar = world
    case_id = open_case(engine, ids, "2025-09-30T15:00")
    walk = [
        (A.ACCEPT, "2025-09-30T15:10"),
        (A.FILE, "2025-09-30T15:20"),
        (A.DISPATCH, "2025-09-30T16:00"),
        (A.FEED_BACK, "2025-10-09T09:30"),
        (A.PASS_CHECK, "2025-10-09T11:00"),
    ]
    for action, when in walk:
        act(engine, calendar, case_id, action, when)
    record = get_case_file(SqlCaseUnitOfWork(engine), case_id, at("2025-10-10T09:00"), calendar, TZ)
    # 2 工作时 on 30 September, then 1–8 October off: the other 2 on 9 October.
    assert record.summary.case.deadline_at == at("2025-10-09T10:00")
    assert record.summary.case.close_type is CloseType.NORMAL
    assert [(t.action, t.from_status, t.to_status) for t in record.history] == [
        (A.ACCEPT, S.REPORTED, S.ACCEPTED),
        (A.FILE, S.ACCEPTED, S.FILED),
        (A.DISPATCH, S.FILED, S.IN_DISPOSAL),
        (A.FEED_BACK, S.IN_DISPOSAL, S.CHECKING),
        (A.PASS_CHECK, S.CHECKING, S.CLOSED),
    ]
    assert record.history[2].deadline == at("2025-10-09T10:00")
    assert record.timer is not None
    assert record.timer.light is TimerLight.YELLOW  # read at the feedback: 3½ of 4 工作时 used
    assert case_history(SqlCaseUnitOfWork(engine), case_id) == record.history


def test_a_resume_pushes_the_deadline_back_by_the_working_time_on_hold(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids, calendar = world
    case_id = open_case(engine, ids, "2025-03-03T09:00")
    for action, when, extra in [
        (A.ACCEPT, "2025-03-03T09:00", {}),
        (A.FILE, "2025-03-03T09:00", {}),
        (A.DISPATCH, "2025-03-03T09:00", {}),
        (A.REQUEST_HOLD, "2025-03-03T10:00", {"reason": "待材料"}),
        (A.APPROVE_HOLD, "2025-03-03T10:00", {}),
        (A.RESUME, "2025-03-04T10:00", {}),  # one full working day (8 工作时) on hold
    ]:
        act(engine, calendar, case_id, action, when, **extra)
    with SqlCaseUnitOfWork(engine) as uow:
        case = uow.cases.get(case_id)
    assert case.deadline_at == at("2025-03-04T15:00")  # was 03-03 15:00
    assert case.hold_spans(at("2025-03-05T00:00")) == ((at("2025-03-03T10:00"), at("2025-03-04T10:00")),)


def test_an_illegal_action_is_refused_naming_the_allowed_ones_and_nothing_is_stored(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids, calendar = world
    case_id = open_case(engine, ids, "2025-03-03T09:00")
    with pytest.raises(IllegalTransitionError, match="可执行: 发核实、受理、不予受理、督办、自行处置"):
        act(engine, calendar, case_id, A.PASS_CHECK, "2025-03-03T10:00")
    assert case_history(SqlCaseUnitOfWork(engine), case_id) == []


def test_a_second_case_for_one_problem_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids, _calendar = world
    case_id = open_case(engine, ids, "2025-03-03T09:00")
    with SqlCaseUnitOfWork(engine) as uow:
        problem_id = uow.cases.get(case_id).problem_id
    with pytest.raises(CaseAlreadyOpenError, match=f"已有案件 {case_id}"):
        open_case_for(SqlCaseUnitOfWork(engine), problem_id, territory(ids), at("2025-03-03T10:00"))


def test_a_save_over_a_stale_version_is_refused_and_stores_nothing(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids, calendar = world
    case_id = open_case(engine, ids, "2025-03-03T09:00")
    with SqlCaseUnitOfWork(engine) as uow:
        loaded = uow.cases.get(case_id)
    act(engine, calendar, case_id, A.SUPERVISE, "2025-03-03T09:30", reason="催办")  # someone else
    late, record = cases.apply(loaded, A.ACCEPT, actor=ACTOR, at=at("2025-03-03T10:00"))
    with SqlCaseUnitOfWork(engine) as uow, pytest.raises(CaseChangedError, match="刚被他人处理"):
        uow.cases.save(late, record)
    with pytest.raises(CaseChangedError):  # a person who saw version 0 acts after the 督办
        act(engine, calendar, case_id, A.ACCEPT, "2025-03-03T10:00", expected_version=0)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(case_transition)).scalar_one() == 1
        assert conn.execute(select(case_file.c.status)).scalar_one() == "reported"


def test_a_year_without_calendar_data_is_refused_loudly(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids, calendar = world
    case_id = open_case(engine, ids, "2027-03-03T09:00")
    act(engine, calendar, case_id, A.ACCEPT, "2027-03-03T09:10")
    act(engine, calendar, case_id, A.FILE, "2027-03-03T09:20")
    with pytest.raises(CalendarYearMissingError, match="2027"):
        act(engine, calendar, case_id, A.DISPATCH, "2027-03-03T09:30")


# --- a unit's open cases ---------------------------------------------------------------------------


def dispatched(
    engine: Engine, ids: dict[str, int], calendar: WorkCalendar, when: str, **kw: object
) -> CaseId:
    case_id = open_case(engine, ids, when, **kw)  # type: ignore[arg-type]
    for action in (A.ACCEPT, A.FILE, A.DISPATCH):
        act(engine, calendar, case_id, action, when)
    return case_id


def test_a_towns_open_cases_list_with_their_lights_at_a_fixed_time(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids, calendar = world
    red = dispatched(engine, ids, calendar, "2025-03-03T08:00")  # due 12:00
    yellow = dispatched(engine, ids, calendar, "2025-03-03T08:45")  # due 14:45, 3¼ of 4 h used
    green = dispatched(engine, ids, calendar, "2025-03-03T11:00")  # due 17:00, 1 of 4 h used
    waiting = open_case(engine, ids, "2025-03-03T09:00")  # not dispatched: no timer
    closed = dispatched(engine, ids, calendar, "2025-03-03T08:00")
    act(engine, calendar, closed, A.FEED_BACK, "2025-03-03T09:00")
    act(engine, calendar, closed, A.PASS_CHECK, "2025-03-03T09:30")
    elsewhere = dispatched(engine, ids, calendar, "2025-03-03T08:00", lead=territory(ids, "other_town"))
    departments = dispatched(engine, ids, calendar, "2025-03-03T08:00", lead=by_department(ids))
    now = at("2025-03-03T12:00:01")

    listed = list_open_cases(SqlCaseUnitOfWork(engine), "370102001", now, calendar, TZ)
    lights = {item.summary.case.id: (item.timer.light if item.timer else None) for item in listed}
    assert lights == {red: TimerLight.RED, yellow: TimerLight.YELLOW, green: TimerLight.GREEN, waiting: None}
    assert [item.summary.case.id for item in listed] == [red, yellow, green, waiting]
    assert {item.summary.handler for item in listed} == {"解放路街道"}

    department_list = list_open_cases(SqlCaseUnitOfWork(engine), "LXSZ", now, calendar, TZ)
    assert [(i.summary.case.id, i.summary.handler) for i in department_list] == [
        (departments, "历下区市政局")
    ]
    district_list = list_open_cases(SqlCaseUnitOfWork(engine), "370102", now, calendar, TZ)
    assert {i.summary.case.id for i in district_list} == {red, yellow, green, waiting, elsewhere, departments}


def test_listing_an_unknown_unit_says_so(world) -> None:  # type: ignore[no-untyped-def]
    engine, _ids, calendar = world
    with pytest.raises(Exception, match="未找到单位或部门: 999"):
        list_open_cases(SqlCaseUnitOfWork(engine), "999", at("2025-03-03T12:00"), calendar, TZ)


def test_the_store_reads_a_case_by_id_only_when_it_exists(world) -> None:  # type: ignore[no-untyped-def]
    engine, _ids, _calendar = world
    with engine.connect() as conn, pytest.raises(Exception, match="未找到案件: 42"):
        SqlCaseStore(conn).get(CaseId(42))
