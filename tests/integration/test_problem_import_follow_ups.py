"""What an imported problem opens, in the import's transaction: a third-party finding due at the
problem's deadline, or for every other channel a case as reported, routed like the problem — each
stored exactly as the case and finding stores store one, and opened once however often the sheet
is imported."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, delete, select

from kaoping.db.cases import SqlCaseStore, SqlFindingStore
from kaoping.db.intake import read_department_directory
from kaoping.db.tables import admin_unit, case_file, category, finding, problem
from kaoping.domain import findings
from kaoping.domain.cases import CaseStatus, report_case
from kaoping.domain.findings import FindingAction, FindingStatus, record_finding
from kaoping.domain.ids import CaseId, FindingId, GridId, ProblemId, UnitId
from kaoping.domain.problems import Location
from kaoping.domain.routing import Lead, LiabilitySplit, Responsibility, route
from kaoping.io.seeds import load_categories
from kaoping.wiring.problem_import import ImportOptions, import_problem_sheet
from tests.integration.imports import TZ, grid_points, remove_imported
from tests.integration.test_problem_import_photos import write_sheet

CHANNELS = ["第三方测评", "网格员上报", "hotline", None, "督查检查", "third_party", "路长上报"]


@pytest.fixture
def sheet(sheet_city: Engine, tmp_path: Path) -> Iterator[Path]:
    """Seven rows from five channels (a row without a channel is the profile's: third-party)."""
    remove_imported(sheet_city)
    p = grid_points(sheet_city, 7)
    categories = ["占道经营", "暴露垃圾", "上水井盖"]
    rows = [
        [k + 1, f"2025-09-{k + 10:02d} 09:30", categories[k % 3], p[k][1], p[k][2], channel, f"后续{k}", None]
        for k, channel in enumerate(CHANNELS)
    ]
    path = tmp_path / "混合来源.xlsx"
    write_sheet(path, rows)
    yield path
    remove_imported(sheet_city)


def imported(conn: Connection) -> list[Any]:
    query = select(problem).where(problem.c.source_key.is_not(None)).order_by(problem.c.found_at)
    return list(conn.execute(query))


def test_third_party_rows_open_a_finding_due_at_the_deadline_and_the_others_a_reported_case(
    sheet_city: Engine, sheet: Path
) -> None:
    result = import_problem_sheet(sheet_city, sheet, ImportOptions(crs="gcj02", tz=TZ))
    assert (result.imported, result.findings, result.cases) == (7, 3, 4)
    with sheet_city.connect() as conn:
        cases, found = SqlCaseStore(conn), SqlFindingStore(conn)
        for row in imported(conn):
            item, case = found.find_by_problem(row.id), cases.find_by_problem(row.id)
            if row.channel == "third_party":
                assert case is None
                assert item is not None
                expected = record_finding(item.id, ProblemId(row.id), row.found_at)
                assert item == replace(expected, rectify_deadline_at=row.deadline_at)
            else:
                assert item is None
                assert case is not None
                assert case == report_case(case.id, ProblemId(row.id), at=row.found_at)
                assert case.status is CaseStatus.REPORTED


def test_a_case_is_led_by_whom_routing_says_and_listed_among_its_districts_open_cases(
    sheet_city: Engine, sheet: Path
) -> None:
    import_problem_sheet(sheet_city, sheet, ImportOptions(crs="gcj02", tz=TZ))
    minors = {c.code: c for c in load_categories().minors()}
    with sheet_city.connect() as conn:
        directory = read_department_directory(conn)
        unit_codes = dict(conn.execute(select(admin_unit.c.id, admin_unit.c.code)).all())
        category_codes = dict(conn.execute(select(category.c.id, category.c.code)).all())
        for row in (r for r in imported(conn) if r.channel != "third_party"):
            stored = conn.execute(select(case_file).where(case_file.c.problem_id == row.id)).one()
            place = Location(
                GridId(row.grid_id), UnitId(row.community_id), UnitId(row.town_id), UnitId(row.district_id)
            )
            expected = route(minors[category_codes[row.category_id]], place, directory, LiabilitySplit())
            assert (stored.lead, stored.town_id, stored.district_id, stored.department_id) == (
                expected.lead.value, expected.town_id, row.district_id, expected.department_id,
            )  # fmt: skip
            assert Decimal(str(stored.department_share)) == expected.department_share
            assert row.department_id == expected.department_id
            listed = SqlCaseStore(conn).list_open(unit_codes[row.district_id])
            assert stored.id in {s.case.id for s in listed}


def test_imported_cases_and_findings_are_stored_exactly_as_their_stores_store_one(
    sheet_city: Engine, sheet: Path
) -> None:
    import_problem_sheet(sheet_city, sheet, ImportOptions(crs="gcj02", tz=TZ))
    with sheet_city.connect() as conn, conn.begin() as transaction:
        rows = imported(conn)
        a_case = next(r for r in rows if r.channel != "third_party")
        a_finding = next(r for r in rows if r.channel == "third_party")
        bulk_case = _raw(conn, "case_file", CASE_COLUMNS, a_case.id)
        bulk_finding = _raw(conn, "finding", FINDING_COLUMNS, a_finding.id)
        led = conn.execute(select(case_file).where(case_file.c.problem_id == a_case.id)).one()
        conn.execute(delete(case_file).where(case_file.c.problem_id == a_case.id))
        conn.execute(delete(finding).where(finding.c.problem_id == a_finding.id))
        # The stores' own writes of the same case and finding.
        responsibility = Responsibility(
            Lead(led.lead), led.town_id, led.department_id, Decimal(str(led.department_share))
        )
        SqlCaseStore(conn).add(
            report_case(CaseId(0), ProblemId(a_case.id), at=a_case.found_at), responsibility
        )
        item = record_finding(FindingId(0), ProblemId(a_finding.id), a_finding.found_at)
        SqlFindingStore(conn).add(replace(item, rectify_deadline_at=a_finding.deadline_at))
        assert _raw(conn, "case_file", CASE_COLUMNS, a_case.id) == bulk_case
        assert _raw(conn, "finding", FINDING_COLUMNS, a_finding.id) == bulk_finding
        transaction.rollback()


def test_an_imported_finding_moves_through_its_life_like_any_other(sheet_city: Engine, sheet: Path) -> None:
    import_problem_sheet(sheet_city, sheet, ImportOptions(crs="gcj02", tz=TZ))
    with sheet_city.connect() as conn, conn.begin() as transaction:
        row = next(r for r in imported(conn) if r.channel == "third_party")
        store = SqlFindingStore(conn)
        item = store.find_by_problem(ProblemId(row.id))
        assert item is not None
        assert item.status is FindingStatus.FOUND
        assigned, step = findings.apply(
            item, FindingAction.ASSIGN, actor=None, at=datetime(2025, 10, 1, tzinfo=TZ),
            deadline=datetime(2025, 10, 20, tzinfo=TZ),
        )  # fmt: skip
        store.save(assigned, step)
        assert store.get(item.id).status is FindingStatus.ASSIGNED
        assert [t.action for t in store.list_transitions(item.id)] == [FindingAction.ASSIGN]
        transaction.rollback()


def test_importing_again_opens_no_second_case_or_finding(sheet_city: Engine, sheet: Path) -> None:
    options = ImportOptions(crs="gcj02", tz=TZ)
    import_problem_sheet(sheet_city, sheet, options)
    again = import_problem_sheet(sheet_city, sheet, options)
    assert (again.imported, again.cases, again.findings) == (0, 0, 0)
    with sheet_city.connect() as conn:
        ids = [r.id for r in imported(conn)]
        opened = conn.execute(select(case_file.c.problem_id).where(case_file.c.problem_id.in_(ids))).all()
        found = conn.execute(select(finding.c.problem_id).where(finding.c.problem_id.in_(ids))).all()
    assert (len(opened), len(found)) == (4, 3)


CASE_COLUMNS = [c.name for c in case_file.columns if c.name != "id"]
FINDING_COLUMNS = [c.name for c in finding.columns if c.name != "id"]


def _raw(conn: Connection, table: str, columns: list[str], problem_id: int) -> tuple[Any, ...]:
    """The row as the driver returns it (SQLite: the stored text and numbers themselves)."""
    sql = f"SELECT {', '.join(columns)} FROM {table} WHERE problem_id = {int(problem_id)}"
    return tuple(conn.exec_driver_sql(sql).one())


def test_a_case_dated_ahead_of_its_import_counts_as_reported_when_imported(
    sheet_city: Engine, sheet: Path
) -> None:
    at = datetime(2025, 9, 12, 12, 0, tzinfo=TZ)  # rows were found from the 10th to the 16th
    import_problem_sheet(sheet_city, sheet, ImportOptions(crs="gcj02", tz=TZ), at=at)
    with sheet_city.connect() as conn:
        store = SqlCaseStore(conn)
        for row in (r for r in imported(conn) if r.channel != "third_party"):
            case = store.find_by_problem(ProblemId(row.id))
            assert case is not None
            assert case.reported_at == min(row.found_at, at)
