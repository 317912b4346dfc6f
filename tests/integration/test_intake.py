"""Reporting one problem: a good report is located, routed, given its deadline on the working
calendar, linked to the problem it repeats and stored; a bad one is refused with a message that says
what is wrong, and nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import shapely
from sqlalchemy import ColumnElement, Connection, Engine, delete, func, select, update

from kaoping.db.calendar import seed_year
from kaoping.db.engine import make_engine
from kaoping.db.intake import SqlIntakeUnitOfWork, read_department_directory
from kaoping.db.tables import (
    admin_unit,
    calendar_day,
    case_file,
    case_transition,
    department,
    finding,
    finding_transition,
    grid,
    problem,
)
from kaoping.domain.errors import InvalidCoordinateError, OutsideGridError, UnknownCategoryError
from kaoping.domain.routing import DepartmentDirectory, Lead
from kaoping.geo.crs import from_wgs84
from kaoping.geo.index import GeoIndex
from kaoping.io.holidays import LIBRARY, holiday_days
from kaoping.services.intake import Intake, IntakeDesk, IntakeError, ProblemReport, report_problem
from kaoping.wiring import load_index
from kaoping.wiring.intake import desk_for

TZ = ZoneInfo("Asia/Shanghai")
FOUND_AT = datetime(2026, 3, 5, 9, 30, tzinfo=TZ)
RECEIVED_AT = datetime(2026, 6, 1, tzinfo=TZ)


@pytest.fixture(scope="module")
def demo(demo_url: str) -> Iterator[tuple[Engine, GeoIndex]]:
    engine = make_engine(demo_url)
    with engine.begin() as conn:  # deadlines need the working calendar of the years reported in
        for year in (2025, 2026):
            seed_year(conn, year, holiday_days(year), LIBRARY)
    with engine.connect() as conn:
        index = load_index(conn, road_snap_m=50.0)
    yield engine, index
    with engine.begin() as conn:  # leave the shared demo database as it was
        forget(conn, problem.c.found_at >= datetime(2026, 1, 1, tzinfo=TZ))
        conn.execute(delete(calendar_day))
    engine.dispose()


@pytest.fixture(scope="module")
def desk(demo: tuple[Engine, GeoIndex]) -> IntakeDesk:
    engine, index = demo
    return desk_for(index, engine, TZ)


def a_grid_centre(engine: Engine, nth: int = 0) -> tuple[int, str, float, float]:
    """The ``nth`` grid by code: its id, community name and a point well inside it."""
    with engine.connect() as conn:
        grid_id, community_id, wkb = conn.execute(
            select(grid.c.id, grid.c.community_id, grid.c.geometry).order_by(grid.c.code).offset(nth).limit(1)
        ).one()
        community = conn.execute(
            select(admin_unit.c.name).where(admin_unit.c.id == community_id)
        ).scalar_one()
    centre = shapely.from_wkb(wkb).point_on_surface()
    return grid_id, community, centre.x, centre.y


def forget(conn: Connection, condition: ColumnElement[bool]) -> None:
    """Delete the problems matching ``condition`` with the cases and findings intake opened for them
    (and any steps taken); links to them from other problems are dropped."""
    ids = select(problem.c.id).where(condition).scalar_subquery()
    cases = select(case_file.c.id).where(case_file.c.problem_id.in_(ids))
    findings = select(finding.c.id).where(finding.c.problem_id.in_(ids))
    conn.execute(delete(case_transition).where(case_transition.c.case_id.in_(cases)))
    conn.execute(delete(case_file).where(case_file.c.problem_id.in_(ids)))
    conn.execute(delete(finding_transition).where(finding_transition.c.finding_id.in_(findings)))
    conn.execute(delete(finding).where(finding.c.problem_id.in_(ids)))
    conn.execute(update(problem).where(problem.c.repeat_of_id.in_(ids)).values(repeat_of_id=None))
    conn.execute(delete(problem).where(condition))


def file_intake(engine: Engine, desk: IntakeDesk, **changes: object) -> Intake:
    values: dict[str, object] = {
        "channel": "grid_worker",
        "category": "占道经营",
        "lon": 0.0,
        "lat": 0.0,
        "found_at": FOUND_AT,
    }
    values.update(changes)
    report = ProblemReport(**values)  # type: ignore[arg-type]
    return report_problem(SqlIntakeUnitOfWork(engine), desk, report, at=RECEIVED_AT)


def file_report(engine: Engine, index: GeoIndex | IntakeDesk, **changes: object) -> int:
    desk = index if isinstance(index, IntakeDesk) else desk_for(index, engine, TZ)
    return file_intake(engine, desk, **changes).problem_id


def count_problems(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(problem)).scalar_one())


def test_a_report_is_located_on_its_grid_and_stored(demo: tuple[Engine, GeoIndex]) -> None:
    engine, index = demo
    grid_id, _community, lon, lat = a_grid_centre(engine)
    problem_id = file_report(engine, index, lon=str(lon), lat=str(lat), description=" 早市摊点占道 ")
    with engine.connect() as conn:
        row = conn.execute(select(problem).where(problem.c.id == problem_id)).one()
    assert row.grid_id == grid_id
    assert row.channel == "grid_worker"
    assert row.description == "早市摊点占道"
    assert row.found_at == FOUND_AT
    assert (row.orig_x, row.orig_y, row.orig_crs) == (lon, lat, "wgs84")


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"lon": "117.1", "lat": "80.0"}, OutsideGridError, "不在任何单元网格内"),
        ({"category": "外星人入侵"}, UnknownCategoryError, "未知的问题类别: '外星人入侵'"),
        ({"lon": "117,02", "lat": "36.66"}, InvalidCoordinateError, "经度 '117,02' 不是数字"),
        ({"lon": "36.66", "lat": "117.02"}, InvalidCoordinateError, "经纬度是否填反"),
        ({"channel": "pigeon"}, IntakeError, "未知的问题来源 'pigeon'"),
        ({"category": "E05"}, IntakeError, "是大类"),
        ({"crs": "mars"}, InvalidCoordinateError, "未知坐标系 'mars'"),
    ],
)
def test_a_bad_report_is_refused_with_what_is_wrong_and_nothing_is_stored(
    demo: tuple[Engine, GeoIndex], changes: dict[str, object], error: type[Exception], message: str
) -> None:
    engine, index = demo
    _grid_id, _community, lon, lat = a_grid_centre(engine)
    before = count_problems(engine)
    with pytest.raises(error, match=message):
        file_report(engine, index, **{"lon": lon, "lat": lat, **changes})
    assert count_problems(engine) == before


def test_a_report_in_gcj02_lands_on_the_same_grid_and_keeps_its_original_coordinates(
    demo: tuple[Engine, GeoIndex],
) -> None:
    engine, index = demo
    grid_id, _community, lon, lat = a_grid_centre(engine)
    gcj_lon, gcj_lat = (float(v[0]) for v in from_wgs84([lon], [lat], "gcj02"))
    assert abs(gcj_lon - lon) > 1e-4  # GCJ-02 is offset by hundreds of metres in China
    problem_id = file_report(engine, index, lon=gcj_lon, lat=gcj_lat, crs="gcj02")
    with engine.connect() as conn:
        row = conn.execute(select(problem).where(problem.c.id == problem_id)).one()
    assert row.grid_id == grid_id
    assert (row.orig_x, row.orig_y, row.orig_crs) == (gcj_lon, gcj_lat, "gcj02")
    assert abs(row.lon - lon) < 1e-7
    assert abs(row.lat - lat) < 1e-7


def test_a_report_is_located_against_the_grids_in_force_on_the_day_it_was_found(
    demo: tuple[Engine, GeoIndex],
) -> None:
    engine, _index = demo
    old_id, _community, lon, lat = a_grid_centre(engine)
    with engine.begin() as conn:  # the grid gets a new version from 2026-01-01
        row = conn.execute(select(grid).where(grid.c.id == old_id)).one()
        conn.execute(grid.update().where(grid.c.id == old_id).values(valid_to=date(2026, 1, 1)))
        values = {k: v for k, v in row._mapping.items() if k not in ("id", "valid_from", "valid_to")}
        new_id = conn.execute(
            grid.insert().values(**values, valid_from=date(2026, 1, 1)).returning(grid.c.id)
        ).scalar_one()
    try:
        with engine.connect() as conn:
            history = load_index(conn, road_snap_m=50.0, include_history=True)
        late_2025 = datetime(2025, 12, 15, 10, tzinfo=TZ)
        ids = [file_report(engine, history, lon=lon, lat=lat, found_at=at) for at in (late_2025, FOUND_AT)]
        with engine.connect() as conn:
            grids = dict(
                conn.execute(select(problem.c.id, problem.c.grid_id).where(problem.c.id.in_(ids))).all()
            )
        assert [grids[i] for i in ids] == [old_id, new_id]
    finally:
        with engine.begin() as conn:
            forget(conn, problem.c.grid_id == new_id)
            forget(conn, problem.c.found_at == datetime(2025, 12, 15, 10, tzinfo=TZ))
            conn.execute(delete(grid).where(grid.c.id == new_id))
            conn.execute(grid.update().where(grid.c.id == old_id).values(valid_to=None))


# --- routing, deadline and repeat at intake ----------------------------------------------------


def at_metres(desk: IntakeDesk, lon: float, lat: float, east_m: float) -> tuple[float, float]:
    """The point ``east_m`` metres east of (lon, lat), measured in the projection the rule uses."""
    index = desk.locator
    assert isinstance(index, GeoIndex)
    x, y = index.projection.to_metric([lon], [lat])
    lons, lats = index.projection.to_wgs84(x + east_m, y)
    return float(lons[0]), float(lats[0])


def test_a_component_goes_to_its_owner_department_with_the_liability_split(
    demo: tuple[Engine, GeoIndex], desk: IntakeDesk
) -> None:
    engine, _index = demo
    _grid_id, _community, lon, lat = a_grid_centre(engine, 3)
    intake = file_intake(engine, desk, category="路灯", lon=lon, lat=lat)  # 部件, field municipal
    with engine.connect() as conn:
        row = conn.execute(select(problem).where(problem.c.id == intake.problem_id)).one()
        expected = read_department_directory(conn).find("municipal", intake.location.district_id)
        field = conn.execute(select(department.c.field).where(department.c.id == row.department_id)).scalar()
    assert expected is not None
    assert row.department_id == expected
    assert field == "municipal"
    assert intake.responsibility.lead is Lead.DEPARTMENT
    assert intake.responsibility.department_share == Decimal("0.2")
    assert intake.responsibility.town_id == intake.location.town_id


def test_an_event_goes_to_the_territory_first_and_a_field_no_department_answers_for_falls_to_it(
    demo: tuple[Engine, GeoIndex], desk: IntakeDesk
) -> None:
    engine, _index = demo
    _grid_id, _community, lon, lat = a_grid_centre(engine, 4)
    event = file_intake(engine, desk, category="占道经营", lon=lon, lat=lat)
    assert event.responsibility.lead is Lead.TERRITORY
    assert event.responsibility.department_id is not None

    class NoDepartments:
        def departments(self) -> DepartmentDirectory:
            return DepartmentDirectory({})

    orphan = file_intake(
        engine, replace(desk, departments=NoDepartments()), category="路灯", lon=lon, lat=lat
    )
    assert orphan.responsibility.is_territorial_fallback
    with engine.connect() as conn:
        stored = conn.execute(select(problem.c.department_id).where(problem.c.id == orphan.problem_id))
        assert stored.scalar() is None


@pytest.mark.parametrize(
    ("category", "found_at", "due"),
    [
        # 1 工作日 from the eve of National Day 2025 (1–8 Oct off) ends the first day back.
        ("路灯", datetime(2025, 9, 30, 16, tzinfo=TZ), datetime(2025, 10, 9, 16, tzinfo=TZ)),
        # 2 工作时 from Friday 17:00 before the 2026 Spring Festival (15–23 Feb off, 14 Feb and 28 Feb
        # make-up Saturdays): one hour on Friday, one on Saturday the 14th.
        ("占道经营", datetime(2026, 2, 13, 17, tzinfo=TZ), datetime(2026, 2, 14, 9, tzinfo=TZ)),
    ],
)
def test_the_deadline_is_counted_on_the_working_calendar_across_a_national_holiday(
    demo: tuple[Engine, GeoIndex], desk: IntakeDesk, category: str, found_at: datetime, due: datetime
) -> None:
    engine, _index = demo
    _grid_id, _community, lon, lat = a_grid_centre(engine, 5)
    intake = file_intake(engine, desk, category=category, lon=lon, lat=lat, found_at=found_at)
    assert intake.deadline_at == due
    with engine.connect() as conn:
        stored = conn.execute(select(problem.c.deadline_at).where(problem.c.id == intake.problem_id))
        assert stored.scalar() == due
    with engine.begin() as conn:
        forget(conn, problem.c.id == intake.problem_id)


def test_a_report_in_a_year_the_calendar_does_not_know_is_kept_with_an_open_deadline_and_a_note(
    demo: tuple[Engine, GeoIndex], desk: IntakeDesk
) -> None:
    engine, _index = demo
    _grid_id, _community, lon, lat = a_grid_centre(engine, 6)
    found = datetime(2024, 5, 6, 10, tzinfo=TZ)
    intake = file_intake(engine, desk, category="路灯", lon=lon, lat=lat, found_at=found)
    assert intake.deadline_at is None
    assert "缺少 2024 年的节假日数据" in intake.notes[0]
    with engine.begin() as conn:
        forget(conn, problem.c.id == intake.problem_id)


def test_a_report_near_an_earlier_one_of_the_same_category_is_a_repeat_with_a_link_and_an_index(
    demo: tuple[Engine, GeoIndex], desk: IntakeDesk
) -> None:
    engine, _index = demo
    _grid_id, _community, lon, lat = a_grid_centre(engine, 7)
    rule = desk.rules.repeat_rule
    first = file_intake(engine, desk, category="乱堆物堆料", lon=lon, lat=lat)
    near = at_metres(desk, lon, lat, rule.radius_m - 0.5)
    second = file_intake(
        engine, desk, category="乱堆物堆料", lon=near[0], lat=near[1], found_at=FOUND_AT + timedelta(days=2)
    )
    third = file_intake(
        engine, desk, category="乱堆物堆料", lon=lon, lat=lat, found_at=FOUND_AT + timedelta(days=3)
    )
    assert (first.repeat_of, first.repeat_index) == (None, 0)
    assert (second.repeat_of, second.repeat_index) == (first.problem_id, 1)
    assert (third.repeat_of, third.repeat_index) == (second.problem_id, 2)  # the latest earlier one
    with engine.connect() as conn:
        row = conn.execute(select(problem).where(problem.c.id == third.problem_id)).one()
    assert (row.is_repeat, row.repeat_of_id) == (True, second.problem_id)


@pytest.mark.parametrize(
    ("east_m", "days", "category", "repeats"),
    [
        (29.5, 29.9, "暴露垃圾", True),  # just inside R and T
        (30.5, 1.0, "暴露垃圾", False),  # just outside R
        (5.0, 30.1, "暴露垃圾", False),  # just outside T
        (5.0, 1.0, "涂写刻画", False),  # another category
        (0.0, 0.0, "暴露垃圾", False),  # the same moment: one finding, not a repeat
    ],
)
def test_a_repeat_needs_the_same_category_within_r_metres_and_t_days(
    demo: tuple[Engine, GeoIndex], desk: IntakeDesk, east_m: float, days: float, category: str, repeats: bool
) -> None:
    engine, _index = demo
    _grid_id, _community, lon, lat = a_grid_centre(engine, 8)
    start = datetime(2026, 4, 1, 10, tzinfo=TZ)
    try:
        first = file_intake(engine, desk, category="暴露垃圾", lon=lon, lat=lat, found_at=start)
        near = at_metres(desk, lon, lat, east_m)
        later = file_intake(
            engine, desk, category=category, lon=near[0], lat=near[1], found_at=start + timedelta(days=days)
        )
        assert (later.repeat_of == first.problem_id) is repeats
    finally:
        with engine.begin() as conn:
            forget(conn, problem.c.found_at >= start)


@pytest.mark.parametrize(
    ("count_open", "count_rectified", "closed", "repeats"),
    [
        (True, True, False, True),
        (True, False, False, True),  # still open, and open ones count
        (True, False, True, False),  # rectified, but only open ones count
        (False, True, True, True),  # rectified before the new report
        (False, True, False, False),
    ],
)
def test_whether_an_open_or_a_rectified_earlier_problem_counts_is_the_rule_s_choice(
    demo: tuple[Engine, GeoIndex],
    desk: IntakeDesk,
    count_open: bool,
    count_rectified: bool,
    closed: bool,
    repeats: bool,
) -> None:
    engine, _index = demo
    _grid_id, _community, lon, lat = a_grid_centre(engine, 9)
    start = datetime(2026, 4, 20, 10, tzinfo=TZ)
    rule = replace(desk.rules.repeat_rule, count_open=count_open, count_rectified=count_rectified)
    strict = replace(desk, rules=replace(desk.rules, repeat_rule=rule))
    try:
        first = file_intake(engine, strict, category="暴露垃圾", lon=lon, lat=lat, found_at=start)
        if closed:
            with engine.begin() as conn:
                conn.execute(
                    update(problem)
                    .where(problem.c.id == first.problem_id)
                    .values(status="closed", closed_at=start + timedelta(hours=5))
                )
        later = file_intake(
            engine, strict, category="暴露垃圾", lon=lon, lat=lat, found_at=start + timedelta(days=1)
        )
        assert (later.repeat_of == first.problem_id) is repeats
    finally:
        with engine.begin() as conn:
            forget(conn, problem.c.found_at >= start)


def test_a_voided_earlier_problem_is_never_repeated(demo: tuple[Engine, GeoIndex], desk: IntakeDesk) -> None:
    engine, _index = demo
    _grid_id, _community, lon, lat = a_grid_centre(engine, 10)
    start = datetime(2026, 5, 10, 10, tzinfo=TZ)
    try:
        first = file_intake(engine, desk, category="暴露垃圾", lon=lon, lat=lat, found_at=start)
        with engine.begin() as conn:
            conn.execute(update(problem).where(problem.c.id == first.problem_id).values(status="voided"))
        later = file_intake(
            engine, desk, category="暴露垃圾", lon=lon, lat=lat, found_at=start + timedelta(days=1)
        )
        assert later.repeat_of is None
    finally:
        with engine.begin() as conn:
            forget(conn, problem.c.found_at >= start)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"found_at": "2026-13-01"}, "found_at"),
        ({"found_at": datetime(2026, 6, 2, tzinfo=TZ)}, "found_at"),  # after it was received
        ({"lon": None, "lat": None}, "lon"),
        ({"description": "长" * 2001}, "description"),
        ({"category": " "}, "category"),
    ],
)
def test_intake_names_the_field_it_refuses(
    demo: tuple[Engine, GeoIndex], desk: IntakeDesk, changes: dict[str, object], field: str
) -> None:
    engine, _index = demo
    _grid_id, _community, lon, lat = a_grid_centre(engine)
    before = count_problems(engine)
    with pytest.raises(IntakeError) as refused:
        file_intake(engine, desk, **{"lon": lon, "lat": lat, **changes})
    assert refused.value.field == field
    assert f"({field})" in refused.value.message
    assert count_problems(engine) == before


def test_a_time_typed_without_a_zone_is_read_in_the_business_timezone(
    demo: tuple[Engine, GeoIndex], desk: IntakeDesk
) -> None:
    engine, _index = demo
    _grid_id, _community, lon, lat = a_grid_centre(engine, 11)
    intake = file_intake(engine, desk, category="路灯", lon=lon, lat=lat, found_at="2026-03-05T09:30")
    assert intake.found_at == FOUND_AT
    assert intake.found_at.astimezone(UTC).hour == 1


# --- what follows the problem up, stored with it ----------------------------------------------------


def test_a_grid_worker_s_report_opens_its_case_led_by_whom_routing_says(
    demo: tuple[Engine, GeoIndex], desk: IntakeDesk
) -> None:
    engine, _index = demo
    _grid_id, _community, lon, lat = a_grid_centre(engine, 12)
    intake = file_intake(engine, desk, category="路灯", lon=lon, lat=lat)  # 部件: its department leads
    with engine.connect() as conn:
        case = conn.execute(select(case_file).where(case_file.c.problem_id == intake.problem_id)).one()
        found = conn.execute(select(finding).where(finding.c.problem_id == intake.problem_id)).first()
    assert (intake.case_id, intake.finding_id, found) == (case.id, None, None)
    assert (case.status, case.reported_at, case.changed_at, case.version) == (
        "reported",
        FOUND_AT,
        FOUND_AT,
        0,
    )
    routed = intake.responsibility
    assert (case.lead, case.town_id, case.department_id) == (
        "department",
        routed.town_id,
        routed.department_id,
    )
    assert (case.district_id, case.department_share) == (intake.location.district_id, Decimal("0.2"))


def test_a_third_party_report_records_a_finding_to_rectify_by_the_problem_s_deadline(
    demo: tuple[Engine, GeoIndex], desk: IntakeDesk
) -> None:
    engine, _index = demo
    _grid_id, _community, lon, lat = a_grid_centre(engine, 13)
    intake = file_intake(engine, desk, channel="third_party", category="占道经营", lon=lon, lat=lat)
    with engine.connect() as conn:
        item = conn.execute(select(finding).where(finding.c.problem_id == intake.problem_id)).one()
        cases = conn.execute(select(func.count()).where(case_file.c.problem_id == intake.problem_id)).scalar()
    assert (intake.finding_id, intake.case_id, cases) == (item.id, None, 0)
    assert intake.deadline_at is not None
    assert (item.status, item.found_at, item.rectify_deadline_at) == ("found", FOUND_AT, intake.deadline_at)


def test_a_refused_report_opens_no_case(demo: tuple[Engine, GeoIndex], desk: IntakeDesk) -> None:
    engine, _index = demo
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(case_file)).scalar_one()
    with pytest.raises(OutsideGridError):
        file_intake(engine, desk, lon="117.1", lat="80.0")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(case_file)).scalar_one() == before


# --- a late report takes over the repeat links of later problems ----------------------------------


def stored_links(engine: Engine, ids: list[int]) -> list[tuple[int | None, int, bool]]:
    with engine.connect() as conn:
        rows = {
            row.id: (row.repeat_of_id, row.repeat_index, row.is_repeat)
            for row in conn.execute(
                select(
                    problem.c.id, problem.c.repeat_of_id, problem.c.repeat_index, problem.c.is_repeat
                ).where(problem.c.id.in_(ids))
            )
        }
    return [rows[i] for i in ids]


LATE_START = datetime(2026, 2, 2, 10, tzinfo=TZ)


def test_a_late_report_becomes_what_a_later_stored_problem_repeats_and_one_outside_r_is_untouched(
    demo: tuple[Engine, GeoIndex], desk: IntakeDesk
) -> None:
    engine, _index = demo
    _grid_id, _community, lon, lat = a_grid_centre(engine, 14)
    rule = desk.rules.repeat_rule
    day = timedelta(days=1)
    far = at_metres(desk, lon, lat, rule.radius_m + 0.5)
    ids: list[int] = []
    try:
        later = file_intake(
            engine, desk, category="暴露垃圾", lon=lon, lat=lat, found_at=LATE_START + 10 * day
        )
        outside = file_intake(
            engine, desk, category="暴露垃圾", lon=far[0], lat=far[1], found_at=LATE_START + 10 * day
        )
        ids += [later.problem_id, outside.problem_id]
        assert later.repeat_of is None
        late = file_intake(engine, desk, category="暴露垃圾", lon=lon, lat=lat, found_at=LATE_START + 5 * day)
        ids.append(late.problem_id)
        assert (late.repeat_of, late.repeat_index, late.relinked) == (None, 0, (later.problem_id,))
        assert stored_links(engine, ids) == [(late.problem_id, 1, True), (None, 0, False), (None, 0, False)]
    finally:
        with engine.begin() as conn:
            forget(conn, problem.c.id.in_(ids))


def test_a_late_report_inside_a_chain_moves_the_indexes_down_the_chain(
    demo: tuple[Engine, GeoIndex], desk: IntakeDesk
) -> None:
    engine, _index = demo
    _grid_id, _community, lon, lat = a_grid_centre(engine, 15)
    day = timedelta(days=1)
    ids: list[int] = []

    def report(days: int) -> Intake:
        intake = file_intake(
            engine, desk, category="暴露垃圾", lon=lon, lat=lat, found_at=LATE_START + days * day
        )
        ids.append(intake.problem_id)
        return intake

    try:
        first, middle, later, last = report(0), report(7), report(10), report(12)
        assert [i.repeat_index for i in (first, middle, later, last)] == [0, 1, 2, 3]
        # Found on day 5, filed now: it repeats the first; the one from day 7 now repeats it, and the
        # problems down that chain count one repeat more. Day 10 keeps its link to day 7 (later than 5).
        late = report(5)
        assert (late.repeat_of, late.repeat_index, late.relinked) == (
            first.problem_id,
            1,
            (middle.problem_id,),
        )
        assert stored_links(engine, ids) == [
            (None, 0, False),
            (late.problem_id, 2, True),
            (middle.problem_id, 3, True),
            (later.problem_id, 4, True),
            (first.problem_id, 1, True),
        ]
    finally:
        with engine.begin() as conn:
            forget(conn, problem.c.id.in_(ids))
