"""Deadlines of imported rows are computed all at once and agree with the domain's, row by row; a
row whose count needs a year the working calendar lacks is refused with the calendar's message,
and the other rows go in. Expectations come from the domain on the calendar as stored, since other
tests of the shared demo city may change which years it holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, select

from kaoping.db.calendar import load_calendar
from kaoping.db.tables import problem
from kaoping.domain.calendar import CalendarYearMissingError
from kaoping.domain.deadlines import deadline
from kaoping.io.seeds import load_categories
from kaoping.wiring.problem_import import ImportOptions, import_problem_sheet
from tests.integration.imports import TZ, grid_points, remove_imported

ROWS = [  # found, category, description; the shared demo city's calendar has 2025, maybe 2026
    ("2025-09-30 16:00", "上水井盖", "国庆前一天"),  # row 2: 1 工作日, over National Day
    ("2025-12-31 17:30", "人行道", "跨年"),  # row 3: 3 工作日 into 2026
    ("2024-06-03 10:00", "上水井盖", "日历没有的年份"),  # row 4: the calendar has no 2024
    ("2026-12-31 17:00", "人行道", "数到日历之外"),  # row 5: 3 工作日 need 2027 (and 2026)
    ("2024-06-03 10:00", "交通信号灯", "墙钟时限"),  # row 6: 4 小时 need no calendar
]


@pytest.fixture
def sheet(sheet_city: Engine, tmp_path: Path) -> Iterator[Path]:
    lon, lat = grid_points(sheet_city, 1)[0][1:]
    path = tmp_path / "时限.csv"
    pl.DataFrame(
        {
            "发现时间": [r[0] for r in ROWS],
            "问题类别": [r[1] for r in ROWS],
            "经度": [lon] * len(ROWS),
            "纬度": [lat] * len(ROWS),
            "问题描述": [r[2] for r in ROWS],
        }
    ).write_csv(path)
    yield path
    remove_imported(sheet_city)


def test_rows_whose_count_needs_a_year_the_calendar_lacks_are_refused_and_the_rest_get_the_domains_deadline(
    sheet_city: Engine, sheet: Path
) -> None:
    result = import_problem_sheet(sheet_city, sheet, ImportOptions(crs="gcj02", tz=TZ, write_errors=False))
    with sheet_city.connect() as conn:
        calendar = load_calendar(conn)
        rows = conn.execute(select(problem).where(problem.c.source_key.is_not(None))).all()
    tree = load_categories()
    due, refused = {}, {}
    for number, (found, name, description) in enumerate(ROWS, start=2):
        limit = tree.get(name)
        assert limit.deadline_value is not None
        assert limit.deadline_unit is not None
        start = datetime.fromisoformat(found).replace(tzinfo=TZ)
        try:
            due[description] = deadline(start, limit.deadline_value, limit.deadline_unit, calendar, TZ)
        except CalendarYearMissingError as err:
            refused[number] = f"无法计算处置时限: {err.message}"
    assert {e.row: e.message for e in result.errors} == refused
    assert {r.description: r.deadline_at.astimezone(TZ) for r in rows} == due
    assert refused[4] == "无法计算处置时限: " + _missing(2024)
    assert due["国庆前一天"] == datetime(2025, 10, 9, 16, tzinfo=TZ)
    assert due["墙钟时限"] == datetime(2024, 6, 3, 14, tzinfo=TZ)


def _missing(year: int) -> str:
    return (
        f"工作日历缺少 {year} 年的节假日数据, 请先导入 (kaoping calendar seed --year {year}) "
        f"或逐日录入 (kaoping calendar set … --new-year); 在此之前无法计算工作时限"
    )
