"""Importing a third-party spreadsheet as testers deliver it: title row, merged two-row headers,
mixed date formats, GCJ-02 coordinates, address-only rows and bad rows — every good row goes in,
every bad row comes back with its row number and reason, and importing again adds nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import shapely
import xlsxwriter
from sqlalchemy import Engine, select

from kaoping.db.problems import bulk_insert_problems
from kaoping.db.tables import problem, road
from kaoping.wiring.problem_import import ImportOptions, import_problem_sheet
from tests.integration.imports import TZ, grid_points, remove_imported


def two_roads(engine: Engine) -> tuple[str, str]:
    """A road's name (without its section) and the name of a road that crosses it."""
    with engine.connect() as conn:
        rows = conn.execute(select(road.c.name, road.c.geometry).order_by(road.c.code)).all()
    first = rows[0].name.split("(")[0]
    own = shapely.union_all([shapely.from_wkb(r.geometry) for r in rows if r.name.startswith(first)])
    for name, wkb in rows:
        base = name.split("(")[0]
        if base != first and shapely.from_wkb(wkb).intersects(own):
            return first, base
    raise AssertionError("no crossing road in the demo")


def write_messy_sheet(path: Path, rows: list[list[Any]]) -> None:
    """A title row, then headers merged over two rows (坐标 over 经度 | 纬度, 位置 over 道路 | 参照物)."""
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("测评问题")
        sheet.merge_range(0, 0, 0, 7, "2025年第三季度城市管理第三方测评问题清单 (高德坐标)")
        for col, name in enumerate(["序号", "发现时间", "问题类别"]):
            sheet.merge_range(1, col, 2, col, name)
        sheet.merge_range(1, 3, 1, 4, "坐标 (GCJ-02)")
        sheet.write_row(2, 3, ["经度", "纬度"])
        sheet.merge_range(1, 5, 1, 6, "位置")
        sheet.write_row(2, 5, ["道路", "参照物"])
        sheet.merge_range(1, 7, 2, 7, "问题描述")
        when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        for r, row in enumerate(rows, start=3):
            for c, value in enumerate(row):
                if isinstance(value, datetime):
                    sheet.write_datetime(r, c, value, when)
                elif value is not None:
                    sheet.write(r, c, value)


@pytest.fixture(scope="module")
def sheet(sheet_city: Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = grid_points(sheet_city, 6)
    road_name, crossing = two_roads(sheet_city)
    rows: list[list[Any]] = [
        [1, "2025/9/30 16:00", "上水井盖", p[0][1], p[0][2], None, None, "井盖破损"],  # row 4
        [2, "2025-09-03 09:30", "占道经营", p[1][1], p[1][2], None, None, "早市占道"],  # row 5
        [3, "2025年9月5日", "暴露垃圾", p[2][1], p[2][2], None, None, ""],  # row 6
        [4, "2025.9.6", "占道经营", p[3][1], p[3][2], None, None, "流动摊贩"],  # row 7
        [5, datetime(2025, 9, 7, 10, 0), "E0101", p[4][1], p[4][2], None, None, "Excel 日期"],  # row 8
        [6, 45908.4375, "占道经营", p[5][1], p[5][2], None, None, "Excel 序列数"],  # row 9
        [7, "2025-09-08 11:00", "占道经营", None, None, road_name, f"{crossing}口", "路口占道"],  # row 10
        [8, "2025-09-09", "暴露垃圾", None, None, road_name, None, "沿街垃圾"],  # row 11
        [9, "2025-02-30", "占道经营", p[0][1], p[0][2], None, None, "日期不存在"],  # row 12
        [10, "2025-09-10", "外星人入侵", p[0][1], p[0][2], None, None, "未知类别"],  # row 13
        [11, "2025-09-10", "占道经营", 100.0, 30.0, None, None, "网格之外"],  # row 14
        [12, "2025-09-10", "占道经营", None, None, None, None, "没有位置"],  # row 15
    ]
    path = tmp_path_factory.mktemp("sheets") / "测评问题.xlsx"
    write_messy_sheet(path, rows)
    return path


GOOD_ROWS = 8
BAD_ROWS = {
    12: "发现时间 '2025-02-30' 无法识别",
    13: "未知的问题类别: '外星人入侵'",
    14: "不在任何单元网格内",
    15: "缺少经纬度, 也没有道路/地址",
}


def stored(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        query = select(problem).where(problem.c.source_key.is_not(None)).order_by(problem.c.found_at)
        return list(conn.execute(query).all())


def test_a_messy_sheet_imports_every_good_row_and_reports_every_bad_row_by_row_number(
    sheet_city: Engine, sheet: Path
) -> None:
    options = ImportOptions(crs="gcj02", tz=TZ)
    result = import_problem_sheet(sheet_city, sheet, options)
    assert (result.rows, result.imported, result.approximate) == (12, GOOD_ROWS, 2)
    assert {e.row: e.message for e in result.errors}.keys() == BAD_ROWS.keys()
    for error in result.errors:
        assert BAD_ROWS[error.row] in error.message
    rows = stored(sheet_city)
    assert len(rows) == GOOD_ROWS
    assert sum(r.location_approximate for r in rows) == 2
    assert {r.orig_crs for r in rows if not r.location_approximate} == {"gcj02"}


def test_good_rows_land_on_their_grids_with_a_deadline_across_national_day(
    sheet_city: Engine, sheet: Path
) -> None:
    import_problem_sheet(sheet_city, sheet, ImportOptions(crs="gcj02", tz=TZ))
    points = grid_points(sheet_city, 6)
    rows = stored(sheet_city)
    for row in rows:
        if not row.location_approximate:  # the sheet's numbers come back to ~1e-9 degrees
            grid_id = next(
                g for g, lon, lat in points if abs(lon - row.orig_x) + abs(lat - row.orig_y) < 1e-8
            )
            assert row.grid_id == grid_id
    manhole = next(r for r in rows if r.description == "井盖破损")
    # 1 工作日 from Tuesday 30 September 2025 16:00: 1–8 October are the National Day holiday, so the
    # working day ends on Thursday 9 October at 16:00.
    assert manhole.found_at == datetime(2025, 9, 30, 16, tzinfo=TZ)
    assert manhole.deadline_at == datetime(2025, 10, 9, 16, tzinfo=TZ)
    times = {r.description: r.found_at for r in rows}
    assert times["Excel 日期"] == datetime(2025, 9, 7, 10, tzinfo=TZ)
    assert times["Excel 序列数"] == datetime(2025, 9, 8, 10, 30, tzinfo=TZ)


def test_importing_the_same_sheet_again_adds_nothing(sheet_city: Engine, sheet: Path) -> None:
    options = ImportOptions(crs="gcj02", tz=TZ)
    import_problem_sheet(sheet_city, sheet, options)
    before = len(stored(sheet_city))
    again = import_problem_sheet(sheet_city, sheet, options)
    assert (again.imported, again.already_imported) == (0, GOOD_ROWS)
    assert len(stored(sheet_city)) == before == GOOD_ROWS


def test_the_bad_rows_come_back_in_an_error_sheet_next_to_the_input(sheet_city: Engine, sheet: Path) -> None:
    result = import_problem_sheet(sheet_city, sheet, ImportOptions(crs="gcj02", tz=TZ))
    assert result.error_sheet == str(sheet.with_name("测评问题.errors.xlsx"))
    back = pl.read_excel(result.error_sheet, infer_schema_length=0)
    assert back.columns[:2] == ["原表行号", "错误原因"]
    assert [int(r) for r in back["原表行号"]] == sorted(BAD_ROWS)
    assert back["问题描述"].to_list() == ["日期不存在", "未知类别", "网格之外", "没有位置"]


def test_an_interrupted_import_leaves_no_partial_batch(
    sheet_city: Engine, tmp_path: Path, sheet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remove_imported(sheet_city)
    real_insert = bulk_insert_problems

    def insert_then_fail(conn: Any, rows: Any) -> int:
        real_insert(conn, list(rows)[:3])
        raise KeyboardInterrupt

    monkeypatch.setattr("kaoping.wiring.problem_import.bulk_insert_problems", insert_then_fail)
    with pytest.raises(KeyboardInterrupt):
        import_problem_sheet(sheet_city, sheet, ImportOptions(crs="gcj02", tz=TZ))
    assert stored(sheet_city) == []


def test_an_address_row_is_placed_on_its_road_near_the_crossing_the_landmark_names(
    sheet_city: Engine, sheet: Path
) -> None:
    import_problem_sheet(sheet_city, sheet, ImportOptions(crs="gcj02", tz=TZ))
    road_name, crossing = two_roads(sheet_city)
    row = next(r for r in stored(sheet_city) if r.description.startswith("路口占道"))
    with sheet_city.connect() as conn:
        geoms = conn.execute(select(road.c.name, road.c.geometry)).all()
    own = shapely.union_all([shapely.from_wkb(g) for n, g in geoms if n.split("(")[0] == road_name])
    other = shapely.union_all([shapely.from_wkb(g) for n, g in geoms if n.split("(")[0] == crossing])
    point = shapely.Point(row.lon, row.lat)
    assert point.distance(own) < 1e-7
    assert point.distance(other) < 1e-6  # on the junction, in degrees (~0.1 m)
    assert row.location_approximate
    assert f"地址: {road_name} {crossing}口" in row.description
