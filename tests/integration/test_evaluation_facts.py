"""The evaluation's fact passes on both engines equal a direct count of the rows: on a few
hand-built problems, findings and cases (every flag, the month boundary in the business time zone,
the liability split, each level), and on the small demo city."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, Engine, insert, select

from kaoping.db.engine import make_engine
from kaoping.db.evaluation_facts import MAX_REPEAT_INDEX, FactRow, read_month_facts
from kaoping.db.evaluation_levels import facts_for, load_reference, months_of, read_period_facts
from kaoping.db.tables import admin_unit, case_file, category, channel, department, finding, grid, problem
from kaoping.domain.facts import ProblemFact
from kaoping.domain.indicators import CaseCounters
from kaoping.domain.periods import Period
from kaoping.domain.problems import Channel
from kaoping.domain.schemes import EvaluatedLevel, Group, Scheme
from kaoping.io.schemes import load_schemes

TZ = ZoneInfo("Asia/Shanghai")
JULY, AUGUST = Period.parse("2025-07"), Period.parse("2025-08")
TP, GW, MEDIA = Channel.THIRD_PARTY, Channel.GRID_WORKER, Channel.MEDIA
COUNTED = frozenset({TP, MEDIA})


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


# --- a hand-built world ------------------------------------------------------------------------


def seed_world(conn: Connection) -> dict[str, int]:
    """A district with two towns, two departments, two categories and three channels."""
    ids: dict[str, int] = {}
    for key, code, level, parent in [
        ("district", "370102", "district", None),
        ("town_a", "370102001", "town", "district"),
        ("town_b", "370102002", "town", "district"),
    ]:
        parent_id = ids[parent] if parent else None
        values = {"code": code, "name": f"单位{code}", "level": level, "kind": level, "parent_id": parent_id}
        ids[key] = conn.execute(insert(admin_unit).values(values).returning(admin_unit.c.id)).scalar_one()
    for key, code in [("sanitation", "BMHW"), ("roads", "BMSZ")]:
        row = {"code": code, "name": f"部门{code}", "field": key, "district_id": ids["district"]}
        ids[key] = conn.execute(insert(department).values(row).returning(department.c.id)).scalar_one()
    for code, name, own in [(TP, "第三方测评", False), (GW, "网格员上报", True), (MEDIA, "媒体监督", False)]:
        conn.execute(insert(channel).values(code=code.value, name=name, is_own_discovery=own))
    for key, code in [("litter", "E0102"), ("manhole", "C0101")]:
        row = {"code": code, "kind": "event", "level": "minor", "name": f"类别{code}", "severity": 2}
        ids[key] = conn.execute(insert(category).values(row).returning(category.c.id)).scalar_one()
    row = {"code": "370102001001001", "community_id": ids["town_a"], "area_m2": 1.0, "geometry": b"\x00"}
    ids["grid"] = conn.execute(insert(grid).values(row).returning(grid.c.id)).scalar_one()
    return ids


def add_problem(conn: Connection, ids: dict[str, int], found: str, **kw: Any) -> int:
    """A problem in town A, no department, third party, litter, not a repeat, not late — unless told."""
    town = ids[kw.pop("town", "town_a")]
    values = {
        "channel": kw.pop("channel", TP).value, "category_id": ids[kw.pop("category", "litter")],
        "found_at": local(found), "lon": 117.0, "lat": 36.66, "orig_x": 117.0, "orig_y": 36.66,
        "orig_crs": "wgs84", "grid_id": ids["grid"], "community_id": town, "town_id": town,
        "district_id": ids["district"], "department_id": ids.get(kw.pop("department", "")),
        "status": kw.pop("status", "closed"), **kw,
    }  # fmt: skip
    return int(conn.execute(insert(problem).values(values).returning(problem.c.id)).scalar_one())


def add_finding(conn: Connection, problem_id: int, status: str) -> None:
    at = local("2025-07-01T09:00")
    conn.execute(insert(finding).values(problem_id=problem_id, status=status, found_at=at, changed_at=at))


def add_case(conn: Connection, ids: dict[str, int], problem_id: int, status: str, **kw: Any) -> None:
    found = local(kw.pop("reported", "2025-07-10T09:00"))
    values = {
        "problem_id": problem_id, "status": status, "reported_at": found, "changed_at": found,
        "dispatched_at": found, "deadline_at": found + timedelta(days=2), "holds": [], "version": 1,
        "lead": kw.pop("lead", "territory"), "town_id": ids["town_a"], "district_id": ids["district"],
        "department_id": ids.get(kw.pop("department", "")), "department_share": Decimal("0.2"), **kw,
    }  # fmt: skip
    conn.execute(insert(case_file).values(values))


@pytest.fixture
def world(conn: Connection) -> dict[str, int]:
    ids = seed_world(conn)
    july = "2025-07-10T09:00"
    add_problem(conn, ids, july, is_overdue=True)
    add_problem(conn, ids, july, is_overdue=True)
    add_problem(conn, ids, july, repeat_index=1, is_repeat=True, department="sanitation")
    add_problem(conn, ids, july, repeat_index=5, is_repeat=True, department="sanitation")  # counts as 3rd
    add_problem(conn, ids, july, channel=MEDIA, is_high_score=True, town="town_b", department="roads")
    add_problem(conn, ids, july, status="voided")  # never counted
    add_problem(conn, ids, "2025-07-01T07:00")  # July in Beijing, still June in UTC
    add_problem(conn, ids, "2025-08-01T00:30")  # August in Beijing, still July in UTC
    add_problem(conn, ids, july, channel=GW, category="manhole", department="roads")
    add_problem(conn, ids, july, channel=GW, town="town_b")
    add_finding(conn, add_problem(conn, ids, july, department="sanitation"), "overdue_no_feedback")
    add_finding(conn, add_problem(conn, ids, july), "rectified_late")
    add_finding(conn, add_problem(conn, ids, july), "rectified_on_time")
    return ids


def direct_count(conn: Connection, months: list[Period]) -> Counter[tuple[object, ...]]:
    """The fact key of every stored problem, counted one by one in Python."""
    no_feedback = set(
        conn.execute(select(finding.c.problem_id).where(finding.c.status == "overdue_no_feedback")).scalars()
    )
    rows = conn.execute(select(problem).where(problem.c.status != "voided")).all()
    counts: Counter[tuple[object, ...]] = Counter()
    for r in rows:
        local_month = r.found_at.astimezone(TZ)
        month = next(
            (m.index for m in months if m.year == local_month.year and m.index == local_month.month), None
        )
        if month is not None:
            repeat = min(r.repeat_index, MAX_REPEAT_INDEX)
            key = (month, r.town_id, r.department_id, r.category_id, Channel(r.channel), repeat)
            counts[(*key, bool(r.is_overdue), r.id in no_feedback, bool(r.is_high_score))] += 1
    return counts


def counted_rows(rows: list[FactRow]) -> Counter[tuple[object, ...]]:
    return Counter({tuple(r[:-1]): r.problems for r in rows})


# --- the passes ------------------------------------------------------------------------------------


def test_the_problem_pass_equals_a_direct_count_with_every_flag(
    conn: Connection, world: dict[str, int]
) -> None:
    facts = read_month_facts(conn, [JULY, AUGUST], TZ)
    assert counted_rows(facts.problems) == direct_count(conn, [JULY, AUGUST])
    july = sum(r.problems for r in facts.problems if r.month == 7)
    assert (july, sum(r.problems for r in facts.problems if r.month == 8)) == (11, 1)
    assert {r.repeat_index for r in facts.problems} == {0, 1, MAX_REPEAT_INDEX}
    assert sum(r.problems for r in facts.problems if r.is_no_feedback) == 1


def test_only_the_counted_channels_are_told_apart_and_every_channel_is_counted(
    conn: Connection, world: dict[str, int]
) -> None:
    facts = read_month_facts(conn, [JULY], TZ, COUNTED)
    assert {r.channel for r in facts.problems} == COUNTED
    expected = Counter({k: n for k, n in direct_count(conn, [JULY]).items() if k[4] in COUNTED})
    assert counted_rows(facts.problems) == expected
    by_channel = Counter[Channel]()
    for row in facts.channels:
        by_channel[row.channel] += row.problems
    assert by_channel == Counter({TP: 8, MEDIA: 1, GW: 2})


def test_findings_are_counted_per_status(conn: Connection, world: dict[str, int]) -> None:
    facts = read_month_facts(conn, [JULY], TZ)
    statuses = Counter({r.status.value: r.findings for r in facts.findings})
    assert statuses == Counter({"overdue_no_feedback": 1, "rectified_late": 1, "rectified_on_time": 1})


# --- the levels ------------------------------------------------------------------------------------


def district_scheme(members: tuple[str, ...], departments: tuple[str, ...]) -> Scheme:
    """The shipped district scheme, for the hand-built district's towns and departments."""
    scheme = next(s for s in load_schemes() if s.code == "district-monthly")
    groups = {
        "towns": replace(scheme.groups["towns"], members=members),
        "departments": replace(scheme.groups["departments"], members=departments),
    }
    weights = {TP: Decimal(1), MEDIA: Decimal(2)}
    return replace(scheme, groups=groups, deductions=replace(scheme.deductions, channel_weights=weights))


def city_scheme(district: str) -> Scheme:
    scheme = next(s for s in load_schemes() if s.code == "jinan-city-quarterly")
    group: Group = replace(next(iter(scheme.groups.values())), members=(district,), rank_only=frozenset())
    return replace(scheme, groups={group.code: group})


def test_a_deduction_is_split_between_the_department_and_the_town(
    conn: Connection, world: dict[str, int]
) -> None:
    read = read_period_facts(conn, [JULY], TZ, local("2025-08-01T00:00"), COUNTED)
    facts = facts_for(district_scheme(("370102001", "370102002"), ("BMHW", "BMSZ")), read)
    carried: Counter[tuple[str, Decimal]] = Counter()
    for f in facts.problems:
        carried[(f.unit, f.share)] += f.count
    # Town A: 5 problems without a department (whole), 3 with the sanitation department (0.8).
    assert carried == Counter(
        {
            ("370102001", Decimal(1)): 5,
            ("370102001", Decimal("0.8")): 3,
            ("BMHW", Decimal("0.2")): 3,
            ("370102002", Decimal("0.8")): 1,
            ("BMSZ", Decimal("0.2")): 1,
        }
    )


def test_a_district_carries_all_its_towns_problems_whole(conn: Connection, world: dict[str, int]) -> None:
    read = read_period_facts(conn, [JULY, AUGUST], TZ, local("2025-09-01T00:00"), COUNTED)
    facts = facts_for(city_scheme("370102"), read)
    assert {(f.unit, f.share) for f in facts.problems} == {("370102", Decimal(1))}
    assert sum(f.count for f in facts.problems) == 10  # 8 third-party and 1 media in July, 1 in August
    one = next(f for f in facts.problems if f.repeat_index == MAX_REPEAT_INDEX)
    assert one == ProblemFact("370102", 7, "E0102", TP, MAX_REPEAT_INDEX, False, False, 1, Decimal(1))


def test_case_counters_follow_the_lead_at_each_level(conn: Connection, world: dict[str, int]) -> None:
    ids = world
    july = "2025-07-10T09:00"
    p = [add_problem(conn, ids, july, channel=GW) for _ in range(6)]
    add_case(conn, ids, p[0], "closed", close_type="normal", fed_back_at=local(july), closed_at=local(july))
    add_case(
        conn, ids, p[1], "closed", close_type="overdue", rework_count=1, fed_back_at=local("2025-07-20T09:00")
    )
    add_case(conn, ids, p[2], "checking", fed_back_at=local("2025-07-11T09:00"))
    add_case(conn, ids, p[3], "in_disposal")  # past its deadline at the end of July
    add_case(conn, ids, p[4], "on_hold", lead="department", department="sanitation")
    add_case(conn, ids, p[5], "voided")
    read = read_period_facts(conn, [JULY], TZ, local("2025-08-01T00:00"), COUNTED)
    scheme = district_scheme(("370102001", "370102002"), ("BMHW", "BMSZ"))
    town = facts_for(scheme, read).counters_of("370102001")
    assert (town.due, town.closed, town.closed_on_time, town.rework) == (4, 2, 1, 1)
    assert (town.should_dispose, town.disposed, town.disposed_on_time, town.on_hold) == (4, 3, 2, 0)
    assert town.own_closed_on_time == 1  # grid workers are an own channel of the scheme
    department_cases = facts_for(scheme, read).counters_of("BMHW")
    assert (department_cases.due, department_cases.on_hold, department_cases.open_overdue) == (1, 1, 1)
    district = facts_for(city_scheme("370102"), read).counters_of("370102")
    assert (district.due, district.closed, district.findings, district.rectified_late) == (5, 2, 3, 1)
    assert (district.third_party, district.own + district.external) == (8, 17)


# --- the small demo city ---------------------------------------------------------------------------


def test_facts_of_the_small_demo_equal_a_direct_count(demo_url: str) -> None:
    engine: Engine = make_engine(demo_url)
    quarter = Period.parse("2025Q3")
    with engine.connect() as conn:
        months = months_of(quarter)
        facts = read_month_facts(conn, months, TZ)
        assert counted_rows(facts.problems) == direct_count(conn, months)
        reference = load_reference(conn)
        read = read_period_facts(conn, months, TZ, quarter.bounds(TZ)[1], None)
        per_district: Counter[str] = Counter()
        for r in conn.execute(
            select(admin_unit.c.code, problem.c.found_at)
            .join(admin_unit, admin_unit.c.id == problem.c.district_id)
            .where(problem.c.status != "voided")
        ):
            if r.found_at.astimezone(TZ).month in (7, 8, 9):
                per_district[r.code] += 1
    engine.dispose()
    scheme = next(s for s in load_schemes() if s.code == "jinan-city-quarterly")
    districts = tuple(sorted(set(reference.town_districts.values())))
    group = replace(next(iter(scheme.groups.values())), members=districts, rank_only=frozenset())
    everything = replace(
        scheme,
        groups={group.code: group},
        evaluated=(EvaluatedLevel.DISTRICT,),
        deductions=replace(scheme.deductions, channel_weights={c: Decimal(1) for c in Channel}),
    )
    facts_all = facts_for(everything, read)
    summed: Counter[str] = Counter()
    for f in facts_all.problems:
        summed[f.unit] += f.count
    assert summed == per_district
    assert all(isinstance(c, CaseCounters) for u in facts_all.counters.values() for c in u.values())
