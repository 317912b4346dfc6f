"""Reading problem sheets as people make them: titles, merged headers, Chinese header names, vendor
profiles, and dates typed every way."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest
import xlsxwriter

from kaoping.io.problem_sheets import (
    SheetError,
    error_sheet_path,
    list_profiles,
    load_profile,
    parse_found_at,
    parse_found_at_column,
    parse_numbers,
    read_problem_sheet,
    write_error_sheet,
)

TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2021/3/5", datetime(2021, 3, 5, tzinfo=TZ)),
        ("2021-03-05", datetime(2021, 3, 5, tzinfo=TZ)),
        ("2021年3月5日", datetime(2021, 3, 5, tzinfo=TZ)),
        ("2021.3.5", datetime(2021, 3, 5, tzinfo=TZ)),
        ("2021/3/5 9:30", datetime(2021, 3, 5, 9, 30, tzinfo=TZ)),
        ("2021-03-05 09:30:15", datetime(2021, 3, 5, 9, 30, 15, tzinfo=TZ)),
        ("2021年3月5日 9时30分", datetime(2021, 3, 5, 9, 30, tzinfo=TZ)),
        ("2021年3月5日9点", datetime(2021, 3, 5, 9, tzinfo=TZ)),
        ("2021-03-05T09:30", datetime(2021, 3, 5, 9, 30, tzinfo=TZ)),
        ("44260", datetime(2021, 3, 5, tzinfo=TZ)),  # an Excel serial date
        ("44260.5", datetime(2021, 3, 5, 12, tzinfo=TZ)),
        (44260.75, datetime(2021, 3, 5, 18, tzinfo=TZ)),
        (date(2021, 3, 5), datetime(2021, 3, 5, tzinfo=TZ)),
    ],
)
def test_a_time_is_read_however_people_type_it(typed: object, expected: datetime) -> None:
    assert parse_found_at(typed, TZ) == expected


@pytest.mark.parametrize("typed", ["2021-02-30", "2021/13/1", "昨天", "", None, "2021-03-05 25:00", "-3"])
def test_a_time_that_is_no_time_is_refused_as_none(typed: object) -> None:
    assert parse_found_at(typed, TZ) is None


def test_a_column_of_mixed_dates_is_read_like_each_value_alone() -> None:
    typed = ["2021/3/5 9:30", "2021年3月5日", "2021.3.6", "44260.5", "2021-03-05 09:30:15", "坏", None]
    seconds = parse_found_at_column(pl.Series(typed, dtype=pl.String), TZ)
    for value, got in zip(typed, seconds.tolist(), strict=True):
        one = parse_found_at(value, TZ)
        assert np.isnan(got) if one is None else got == one.timestamp(), value


def test_numbers_are_read_and_text_is_not_a_number() -> None:
    got = parse_numbers(pl.Series([" 117.02 ", "36,6", None, "abc"], dtype=pl.String))
    assert got[0] == 117.02
    assert np.isnan(got[1:]).all()


def write_xlsx(path: Path) -> None:
    """A title row, a merged two-row header, two data rows and a blank one."""
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet()
        sheet.merge_range(0, 0, 0, 4, "某区 2021 年 3 月第三方测评问题清单")
        sheet.merge_range(1, 0, 2, 0, "发现时间")
        sheet.merge_range(1, 1, 2, 1, "问题类别")
        sheet.merge_range(1, 2, 1, 3, "坐标")
        sheet.write_row(2, 2, ["经度", "纬度"])
        sheet.merge_range(1, 4, 2, 4, "问题\n描述")
        sheet.write_row(3, 0, ["2021/3/5", "占道经营", 117.02, 36.66, "早市"])
        sheet.write_row(5, 0, ["2021/3/6", "暴露垃圾", 117.03, 36.67, "垃圾"])


def test_a_header_below_a_title_and_merged_over_two_rows_is_found(tmp_path: Path) -> None:
    path = tmp_path / "问题.xlsx"
    write_xlsx(path)
    sheet = read_problem_sheet(path, load_profile())
    assert sheet.header_rows == (2, 3)
    assert sheet.headers == ["发现时间", "问题类别", "坐标/经度", "坐标/纬度", "问题\n描述"]
    assert sheet.fields == {
        "found_at": "发现时间",
        "category": "问题类别",
        "lon": "坐标/经度",
        "lat": "坐标/纬度",
        "description": "问题\n描述",
    }
    assert sheet.row_numbers.tolist() == [4, 6]  # the blank row 5 is skipped, numbers stay the sheet's
    assert sheet.column("category").to_list() == ["占道经营", "暴露垃圾"]


def test_a_csv_with_a_title_line_and_gbk_encoding_is_read(tmp_path: Path) -> None:
    path = tmp_path / "问题.csv"
    text = "3月测评问题\n序号,检查时间,小类名称,X坐标,Y坐标,详细地址\n1,2021-03-05,占道经营,117.02,36.66,\n"
    path.write_bytes(text.encode("gb18030"))
    sheet = read_problem_sheet(path, load_profile())
    assert sheet.header_rows == (2,)
    assert {k: sheet.fields[k] for k in ("found_at", "category", "lon", "lat", "address", "key")} == {
        "found_at": "检查时间",
        "category": "小类名称",
        "lon": "X坐标",
        "lat": "Y坐标",
        "address": "详细地址",
        "key": "序号",
    }
    assert sheet.row_numbers.tolist() == [3]


def test_a_vendor_profile_adds_its_own_header_names_to_the_default_ones() -> None:
    assert {"default", "amap_tester"} <= set(list_profiles())
    profile = load_profile("amap_tester")
    assert profile.crs == "gcj02"
    assert profile.columns["lon"][0] == "高德经度"
    assert "经度" in profile.columns["lon"]


def test_an_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(SheetError, match=r"未找到导入模板 'nope', 可选: .*default"):
        load_profile("nope")


def test_a_sheet_without_a_time_column_is_refused_with_what_it_lacks(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("问题类别,经度,纬度\n占道经营,117,36\n", encoding="utf-8")
    with pytest.raises(SheetError, match="缺少必需的列 \\(found_at: 发现时间"):
        read_problem_sheet(path, load_profile())


def test_bad_rows_go_back_with_their_row_number_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "问题.xlsx"
    write_xlsx(path)
    sheet = read_problem_sheet(path, load_profile())
    target = write_error_sheet(sheet, {1: "问题类别为空"})
    assert target == error_sheet_path(path) == tmp_path / "问题.errors.xlsx"
    back = pl.read_excel(target, infer_schema_length=0)
    assert back.row(0) == ("6", "问题类别为空", "2021/3/6", "暴露垃圾", "117.03", "36.67", "垃圾")


def test_a_csv_gets_its_errors_back_as_csv(tmp_path: Path) -> None:
    assert error_sheet_path(tmp_path / "a.csv") == tmp_path / "a.errors.csv"


def test_row_numbers_count_the_empty_rows_above_a_sheet(tmp_path: Path) -> None:
    path = tmp_path / "下移.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet()
        sheet.write_row(2, 1, ["发现时间", "问题类别", "经度", "纬度"])
        sheet.write_row(3, 1, ["2021/3/5", "占道经营", 117.02, 36.66])
    sheet_read = read_problem_sheet(path, load_profile())
    assert sheet_read.header_rows == (3,)
    assert sheet_read.row_numbers.tolist() == [4]
