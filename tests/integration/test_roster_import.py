"""Importing rosters (花名册) into a real database of each engine: XLSX and GBK CSV files, bad rows
reported by row number, idempotence, moves that keep history, and all-or-nothing saving."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import shapely
import xlsxwriter
from sqlalchemy import Connection, Engine, func, insert, select
from typer.testing import CliRunner, Result

from kaoping.cli.main import app
from kaoping.db import reference
from kaoping.db import rosters as db_rosters
from kaoping.db.coverage import SqlCoverageReader
from kaoping.db.tables import grid, person, role_assignment
from kaoping.domain.organisation import RoadTier, UnitKind, UnitLevel
from kaoping.io.rosters import RosterError
from kaoping.services.coverage import coverage
from kaoping.settings import get_settings
from kaoping.wiring.rosters import RosterReport, import_roster

DISTRICT, TOWN = "379901", "379901001"
C1, C2 = "379901001001", "379901001002"
G1, G2, G3, G4 = "379901001001001", "379901001001002", "379901001002001", "379901001002002"
RETIRED_GRID = "379901001002009"  # in force 2020-01-01 up to 2024-01-01
R1, R2 = "R0001", "R0002"
DEFAULT_FROM = date(2024, 1, 15)
HEADER = ["序号", "姓名", "手机", "角色", "社区编码", "网格编码", "道路编码", "部门编码", "起始日期"]


def make_city(conn: Connection) -> None:
    """A district with one street, two communities, four grids (and a retired one), two roads and
    a department: enough posts to hold, nobody holding them yet."""
    box = shapely.box(117.0, 36.6, 117.001, 36.601).wkb

    def unit(code: str, name: str, level: UnitLevel, kind: UnitKind, parent: str | None) -> dict[str, Any]:
        return {"code": code, "name": name, "level": level, "kind": kind, "parent_code": parent}

    reference.save_units(
        conn,
        [
            unit("379900", "青川市", UnitLevel.CITY, UnitKind.CITY, None),
            unit(DISTRICT, "市中区", UnitLevel.DISTRICT, UnitKind.DISTRICT, "379900"),
            unit(TOWN, "文化路街道", UnitLevel.TOWN, UnitKind.STREET, DISTRICT),
            unit(C1, "锦绣社区", UnitLevel.COMMUNITY, UnitKind.COMMUNITY, TOWN),
            unit(C2, "松园社区", UnitLevel.COMMUNITY, UnitKind.COMMUNITY, TOWN),
        ],
    )
    grids = [(G1, C1), (G2, C1), (G3, C2), (G4, C2)]
    reference.save_grids(
        conn, [{"code": g, "community_code": c, "area_m2": 1e4, "geometry": box} for g, c in grids]
    )
    community_id = reference.unit_ids(conn)[C2]
    conn.execute(
        insert(grid).values(
            code=RETIRED_GRID,
            community_id=community_id,
            area_m2=1e4,
            geometry=box,
            valid_from=date(2020, 1, 1),
            valid_to=date(2024, 1, 1),
        )
    )
    line = shapely.LineString([(117.0, 36.6), (117.001, 36.6)]).wkb
    roads = [(R1, "文化路"), (R2, "和平路")]
    reference.save_roads(
        conn,
        [
            {
                "code": c,
                "name": n,
                "tier": RoadTier.CITY,
                "town_code": TOWN,
                "length_m": 100.0,
                "geometry": line,
            }
            for c, n in roads
        ],
    )
    reference.save_departments(
        conn, [{"code": "BM01", "name": "市中区环卫处", "field": "sanitation", "district_code": DISTRICT}]
    )


@pytest.fixture
def city(clean_engine: Engine) -> Engine:
    with clean_engine.begin() as conn:
        make_city(conn)
    return clean_engine


def write_xlsx(
    path: Path, rows: Sequence[Sequence[object]], title: str | None = "青川市市中区花名册"
) -> Path:
    """A roster as an office sends it: a title row, a blank row, the header, then the rows."""
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("花名册")
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    first = 0
    if title:
        sheet.write(0, 0, title)
        first = 2
    sheet.write_row(first, 0, HEADER)
    for r, row in enumerate(rows, start=first + 1):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), dates)
            elif isinstance(value, int):
                sheet.write_number(r, c, value)  # phones typed as numbers
            elif value is not None:
                sheet.write_string(r, c, str(value))
    workbook.close()
    return path


def row(
    name: str | None,
    phone: object,
    role: str,
    *,
    community: str | None = None,
    grid_code: str | None = None,
    road: str | None = None,
    department: str | None = None,
    start: object = None,
) -> list[object]:
    return [None, name, phone, role, community, grid_code, road, department, start]


# The good rows are spreadsheet rows 4–9 (a title row, a blank row and the header come first).
GOOD = [
    row("张伟", 13812345678, "网格员", community=C1, grid_code=G1, start=date(2024, 3, 1)),
    row("王芳", "139 1234 5678", "专职网格员", grid_code=G2),
    row("李娜", 13700000001, "路长", road=R1),
    row("李娜", 13700000001, "路长", road=R2),
    row("刘洋", 13700000002, "社区主任", community=C1),
    row("陈静", 13700000003, "部门联络员", department="BM01", start="2024年2月1日"),
]
BAD = {
    11: (row("赵磊", 13700000004, "保洁员", grid_code=G3), "角色 '保洁员' 无法识别"),
    12: (row("孙丽", 12345, "网格员", grid_code=G3), "手机号码 '12345' 格式不对"),
    13: (row(None, 13700000005, "网格员", grid_code=G3), "缺少姓名"),
    14: (row("周杰", 13700000006, "网格员", grid_code="379901001009009"), "网格编码 379901001009009 不存在"),
    15: (row("吴敏", 13700000007, "网格员", grid_code=RETIRED_GRID), "在 2024-01-15 不在有效期内"),
    16: (
        row("郑强", 13700000008, "网格员", grid_code=G4, start="2024-02-30"),
        "起始日期 '2024-02-30' 无法识别",
    ),
    17: (row("黄磊", 13700000009, "社区主任", community=TOWN), f"社区编码 {TOWN} 是镇街, 不是社区(村)"),
    18: (row("张伟", 13812345678, "网格员", grid_code=G1), "与第 4 行重复"),
}


def make_roster(path: Path) -> Path:
    blank: list[object] = [None] * len(HEADER)
    return write_xlsx(path, [*GOOD, blank, *(r for r, _reason in BAD.values())])


def counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        people = conn.execute(select(func.count()).select_from(person)).scalar_one()
        assignments = conn.execute(select(func.count()).select_from(role_assignment)).scalar_one()
        open_ = conn.execute(select(func.count()).where(role_assignment.c.valid_to.is_(None))).scalar_one()
    return people, assignments, open_


def figures(report: RosterReport) -> tuple[int, int, int, int, int]:
    return report.added, report.unchanged, report.moved, report.closed, report.refused


def history(engine: Engine, name: str) -> list[tuple[str, date, date | None]]:
    """(grid code, valid_from, valid_to) of a person's grid-worker assignments, oldest first."""
    stmt = (
        select(grid.c.code, role_assignment.c.valid_from, role_assignment.c.valid_to)
        .join(role_assignment, role_assignment.c.grid_id == grid.c.id)
        .join(person, person.c.id == role_assignment.c.person_id)
        .where(person.c.name == name)
        .order_by(role_assignment.c.valid_from, grid.c.code)
    )
    with engine.connect() as conn:
        return [(code, start, end) for code, start, end in conn.execute(stmt)]


def grids_without_worker(engine: Engine, at: date) -> list[str]:
    return [g.code for g in coverage(SqlCoverageReader(engine), at).gaps.grids_without_worker]


def test_a_roster_imports_every_good_row_and_reports_every_bad_row_by_its_row_number(
    city: Engine, tmp_path: Path
) -> None:
    report = import_roster(city, make_roster(tmp_path / "花名册.xlsx"), DEFAULT_FROM)
    assert report.header_row == 3
    assert report.rows == len(GOOD) + len(BAD)
    assert figures(report) == (6, 0, 0, 0, 8)
    assert [r.row for r in report.refusals] == sorted(BAD)
    for refusal in report.refusals:
        assert BAD[refusal.row][1] in refusal.reason, refusal
    assert counts(city) == (5, 6, 6)
    assert history(city, "张伟") == [(G1, date(2024, 3, 1), None)]
    assert history(city, "王芳") == [(G2, DEFAULT_FROM, None)]  # no start date: the import's default
    report_at = coverage(SqlCoverageReader(city), date(2024, 6, 1))
    assert (report_at.city.grids, report_at.city.grids_with_worker) == (4, 2)
    assert (report_at.city.roads_with_chief, report_at.city.communities_with_head) == (2, 1)


def test_importing_the_same_roster_again_changes_nothing(city: Engine, tmp_path: Path) -> None:
    path = make_roster(tmp_path / "花名册.xlsx")
    import_roster(city, path, DEFAULT_FROM)
    before = counts(city)
    again = import_roster(city, path, date(2025, 1, 1))
    assert figures(again) == (0, 6, 0, 0, 8)
    assert counts(city) == before
    assert history(city, "王芳") == [(G2, DEFAULT_FROM, None)]


def test_a_roster_imports_beside_people_the_demo_wrote_with_their_own_ids(
    city: Engine, tmp_path: Path
) -> None:
    with city.begin() as conn:
        reference.save_people(
            conn, [{"name": "演示人员", "role": "grid_worker", "scope": "grid", "scope_code": G4}]
        )
    report = import_roster(city, make_roster(tmp_path / "花名册.xlsx"), DEFAULT_FROM)
    assert report.added == 6
    assert counts(city)[0] == 6


def test_a_gbk_csv_roster_imports_like_a_spreadsheet(city: Engine, tmp_path: Path) -> None:
    text = "\r\n".join(
        [
            "姓名,手机号码,岗位,网格编号,上岗日期",
            "张伟,13812345678,网格员,379901001001001,2024/3/1",
            "欧阳娜娜,13700000011,网格员,379901001002001,2024.4.1",
            "錢喆,13700000012,网格员,bad-code,",
        ]
    )
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode("gbk"))
    report = import_roster(city, path, DEFAULT_FROM)
    assert figures(report) == (2, 0, 0, 0, 1)
    assert [(r.row, r.reason) for r in report.refusals] == [(4, "网格编码 bad-code 不存在")]
    assert history(city, "欧阳娜娜") == [(G3, date(2024, 4, 1), None)]


def test_a_utf8_csv_with_a_bom_and_semicolons_imports_too(city: Engine, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes("姓名;手机;角色;道路编码\n李娜;13700000001;路长;R0001\n".encode("utf-8-sig"))
    assert figures(import_roster(city, path, DEFAULT_FROM)) == (1, 0, 0, 0, 0)


def test_moving_a_grid_worker_keeps_history_and_earlier_coverage(city: Engine, tmp_path: Path) -> None:
    first = write_xlsx(
        tmp_path / "v1.xlsx", [row("张伟", 13812345678, "网格员", grid_code=G1, start=date(2024, 3, 1))]
    )
    moved = write_xlsx(
        tmp_path / "v2.xlsx", [row("张伟", 13812345678, "网格员", grid_code=G3, start=date(2024, 9, 1))]
    )
    import_roster(city, first, DEFAULT_FROM)
    report = import_roster(city, moved, DEFAULT_FROM)
    assert figures(report) == (0, 0, 1, 1, 0)
    assert history(city, "张伟") == [(G1, date(2024, 3, 1), date(2024, 9, 1)), (G3, date(2024, 9, 1), None)]
    assert G1 not in grids_without_worker(city, date(2024, 8, 31))  # the old post, as it was then
    assert G3 in grids_without_worker(city, date(2024, 8, 31))
    assert G1 in grids_without_worker(city, date(2024, 9, 1))
    assert G3 not in grids_without_worker(city, date(2024, 9, 1))
    assert G1 in grids_without_worker(city, date(2024, 2, 29))  # before anyone held it


def test_an_older_roster_never_rewrites_newer_history(city: Engine, tmp_path: Path) -> None:
    old = write_xlsx(
        tmp_path / "old.xlsx", [row("张伟", 13812345678, "网格员", grid_code=G1, start=date(2024, 3, 1))]
    )
    new = write_xlsx(
        tmp_path / "new.xlsx", [row("张伟", 13812345678, "网格员", grid_code=G3, start=date(2024, 9, 1))]
    )
    import_roster(city, old, DEFAULT_FROM)
    import_roster(city, new, DEFAULT_FROM)
    before = history(city, "张伟")
    report = import_roster(city, old, DEFAULT_FROM)
    assert figures(report) == (0, 0, 0, 0, 1)
    assert "自 2024-09-01 起已有更新的任职记录" in report.refusals[0].reason
    assert history(city, "张伟") == before


def test_a_person_whose_rows_were_partly_refused_loses_no_post(city: Engine, tmp_path: Path) -> None:
    both = [row("王芳", 13912345678, "网格员", grid_code=code) for code in (G2, G4)]
    import_roster(city, write_xlsx(tmp_path / "v1.xlsx", both), DEFAULT_FROM)
    typo = [
        row("王芳", 13912345678, "网格员", grid_code=G2),
        row("王芳", 13912345678, "网格员", grid_code="G4?"),
    ]
    report = import_roster(city, write_xlsx(tmp_path / "v2.xlsx", typo), date(2024, 6, 1))
    assert figures(report) == (0, 1, 0, 0, 1)
    assert [code for code, _start, end in history(city, "王芳") if end is None] == [G2, G4]


def test_a_person_holding_several_roads_keeps_them_all_and_drops_the_one_left_out(
    city: Engine, tmp_path: Path
) -> None:
    roads = [row("李娜", 13700000001, "路长", road=code) for code in (R1, R2)]
    import_roster(city, write_xlsx(tmp_path / "v1.xlsx", roads), DEFAULT_FROM)
    report = import_roster(city, write_xlsx(tmp_path / "v2.xlsx", roads[:1]), date(2024, 6, 1))
    assert figures(report) == (0, 1, 0, 1, 0)
    report_at = coverage(SqlCoverageReader(city), date(2024, 6, 1))
    assert [r.code for r in report_at.gaps.roads_without_chief] == [R2]


def test_an_interrupted_import_leaves_nothing_behind(
    city: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = db_rosters._write

    def write_then_fail(*args: Any) -> None:
        original(*args)
        raise RuntimeError("断电")

    monkeypatch.setattr(db_rosters, "_write", write_then_fail)
    with pytest.raises(RuntimeError):
        import_roster(city, make_roster(tmp_path / "花名册.xlsx"), DEFAULT_FROM)
    assert counts(city) == (0, 0, 0)


def test_a_file_that_cannot_be_read_is_refused_whole(city: Engine, tmp_path: Path) -> None:
    with pytest.raises(RosterError, match="文件不存在"):
        import_roster(city, tmp_path / "missing.xlsx", DEFAULT_FROM)
    with pytest.raises(RosterError, match="没有名为 '二月' 的工作表 \\(现有: 花名册\\)"):
        import_roster(city, make_roster(tmp_path / "r.xlsx"), DEFAULT_FROM, sheet="二月")
    (tmp_path / "r.pdf").write_bytes(b"%PDF")
    with pytest.raises(RosterError, match=r"不支持的文件类型 \.pdf"):
        import_roster(city, tmp_path / "r.pdf", DEFAULT_FROM)
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(RosterError, match="无法作为 Excel 文件读取"):
        import_roster(city, tmp_path / "broken.xlsx", DEFAULT_FROM)
    assert counts(city) == (0, 0, 0)


def kaoping(url: str, *args: str) -> Result:
    """Run a command in this process (a subprocess costs a second of imports) against ``url``."""
    get_settings.cache_clear()  # settings are read once per process; this run has its own URL
    try:
        return CliRunner().invoke(app, list(args), env={"KAOPING_DATABASE_URL": url})
    finally:
        get_settings.cache_clear()


def test_the_import_command_prints_counts_and_refused_rows(city: Engine, tmp_path: Path) -> None:
    url = city.url.render_as_string(hide_password=False)
    command = ["org", "import", str(make_roster(tmp_path / "花名册.xlsx")), "--valid-from", "2024-01-15"]
    as_json = kaoping(url, *command, "--json")
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert (data["added"], data["refused"]) == (6, 8)
    assert [r["row"] for r in data["refusals"]] == sorted(BAD)
    table = kaoping(url, *command)
    assert table.exit_code == 0, table.output
    assert "拒收的行 (8)" in table.stdout
    assert "未变" in table.stdout
    bad_date = kaoping(url, *command[:-1], "3月1日")
    assert bad_date.exit_code == 1
    assert "--valid-from 日期 '3月1日' 无法识别" in bad_date.stderr
