"""Reading roster rows: names, phones, roles, dates and codes as offices type them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kaoping.domain.organisation import Role, UnitLevel
from kaoping.io.rosters import (
    HEADERS,
    ROLE_LABELS,
    ROLE_NAMES,
    RosterEntry,
    RosterError,
    RosterField,
    RowRefusal,
    decode_text,
    find_header,
    parse_date,
    parse_name,
    parse_phone,
    parse_role,
    parse_row,
)

ROOT = Path(__file__).resolve().parents[2]
F = RosterField


def make_cells(**overrides: str | None) -> dict[RosterField, str | None]:
    cells: dict[RosterField, str | None] = {
        F.NAME: "张伟",
        F.PHONE: "13812345678",
        F.ROLE: "网格员",
        F.GRID: "379901001001001",
        F.COMMUNITY: "379901001001",
    }
    cells.update({RosterField(k): v for k, v in overrides.items()})
    return cells


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0531-88776655", "053188776655"),
        ("(010)12345678", "01012345678"),
    ],
)
def test_phone_numbers_are_kept_as_digits(raw: str, expected: str) -> None:
    assert parse_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "缺少手机号码"),
        ("1381234567", "格式不对"),
        ("23812345678", "格式不对"),
        ("138123456789", "格式不对"),
        ("1.38123E+10", "科学计数法"),
        ("打电话给我", "格式不对"),
    ],
)
def test_a_malformed_phone_number_is_refused_in_chinese(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_phone(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "2024-03-01",
        "2024/3/1",
        "2024.3.1",
        "2024年3月1日",
        "2024 年 3 月 1 日",
        "20240301",
        "45352",
        "2024-03-01 00:00:00",
        "2024-03-01T08:30",
    ],
)
def test_dates_are_read_as_people_type_them_and_as_excel_stores_them(raw: str) -> None:
    assert parse_date(raw) == date(2024, 3, 1)


@pytest.mark.parametrize("raw", ["2024-02-30", "三月一日", "2024-13-01", "03/01/2024", "1850-01-01", "明天"])
def test_a_date_that_cannot_be_read_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="起始日期"):
        parse_date(raw)


def test_role_names_and_their_synonyms_map_to_roles() -> None:
    assert parse_role("网格员") is Role.GRID_WORKER
    assert parse_role(" 专职网格员 ") is Role.GRID_WORKER
    assert parse_role("社区（村）主任") is Role.COMMUNITY_HEAD  # full-width brackets
    assert parse_role("村书记") is Role.COMMUNITY_HEAD
    assert parse_role("街长") is Role.ROAD_CHIEF
    assert parse_role("grid_worker") is Role.GRID_WORKER
    with pytest.raises(ValueError, match="角色 '保洁员' 无法识别"):
        parse_role("保洁员")


def test_every_role_has_a_chinese_name() -> None:
    assert set(ROLE_NAMES.values()) == set(Role)
    assert all(label != role.value for role, label in ROLE_LABELS.items())


def test_padded_chinese_names_lose_their_padding() -> None:
    assert parse_name("张　伟") == "张伟"
    assert parse_name(" 欧阳 修 ") == "欧阳修"
    assert parse_name("Li  Wei") == "Li Wei"
    with pytest.raises(ValueError, match="缺少姓名"):
        parse_name("  ")


def test_a_good_row_names_its_scope_by_the_column_its_role_needs() -> None:
    entry = parse_row(7, make_cells())
    assert entry == RosterEntry(
        7, "张伟", "13812345678", Role.GRID_WORKER, "grid", "379901001001001", None, "网格编码", None
    )
    head = parse_row(8, make_cells(role="社区主任", valid_from="2024/5/1"))
    assert isinstance(head, RosterEntry)
    assert (head.scope, head.scope_code, head.scope_level, head.valid_from) == (
        "unit",
        "379901001001",
        UnitLevel.COMMUNITY,
        date(2024, 5, 1),
    )


def test_a_bad_row_gives_every_reason_and_its_holder_when_known() -> None:
    refusal = parse_row(9, make_cells(phone="12345", role="路长", valid_from="昨天"))
    assert isinstance(refusal, RowRefusal)
    assert refusal.row == 9
    assert "手机号码 '12345' 格式不对" in refusal.reason
    assert "起始日期 '昨天' 无法识别" in refusal.reason
    assert "路长需要填写道路编码" in refusal.reason
    assert refusal.holder is None  # the phone did not read, so neither did the person
    missing_grid = parse_row(10, make_cells(grid=None))
    assert isinstance(missing_grid, RowRefusal)
    assert missing_grid.reason == "网格员需要填写网格编码"
    assert missing_grid.holder == ("张伟", "13812345678", Role.GRID_WORKER)


def test_the_header_is_found_below_title_rows_despite_marks_spaces_and_notes() -> None:
    rows: list[list[str | None]] = [
        [None, None],
        ["青川市网格员花名册", None, None, None],
        ["序号", "*姓 名", "手机号码（必填）", "岗位", "网格编号", "备注"],
    ]
    index, columns = find_header("f.xlsx", rows)
    assert index == 2
    assert columns == {F.NAME: 1, F.PHONE: 2, F.ROLE: 3, F.GRID: 4}


def test_a_file_without_a_header_or_a_required_column_is_refused_whole() -> None:
    with pytest.raises(RosterError, match="找不到表头"):
        find_header("f.csv", [["a", "b"], ["1", "2"]])
    with pytest.raises(RosterError, match="第 1 行表头缺少必填列: 手机"):
        find_header("f.csv", [["姓名", "角色", "网格编码"]])
    with pytest.raises(RosterError, match="没有任何编码列"):
        find_header("f.csv", [["姓名", "手机", "角色"]])


def test_text_is_decoded_as_utf8_with_or_without_bom_or_as_gbk() -> None:
    text = "姓名,手机\n张伟,13812345678\n"
    assert decode_text(text.encode("utf-8")) == text
    assert decode_text(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert decode_text(text.encode("gbk")) == text
    assert decode_text("喆,堃".encode("gb18030")) == "喆,堃"


def test_every_header_and_role_name_is_documented() -> None:
    page = (ROOT / "docs" / "organisation.md").read_text(encoding="utf-8")
    names = [n for synonyms in HEADERS.values() for n in synonyms] + list(ROLE_NAMES)
    missing = [n for n in names if n not in page]
    assert not missing, f"document these in docs/organisation.md: {missing}"
