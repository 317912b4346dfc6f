"""Rosters (花名册) of people and their posts, from XLSX or CSV as Chinese offices send them.

A roster is one sheet: an optional title row or two, a header row in Chinese (``HEADERS``), then one
row per post someone holds. Every row is checked on its own: a bad row becomes a ``RowRefusal`` with
its row number as the spreadsheet shows it and the reason in Chinese, and never stops the good ones.
Only a file that cannot be read at all (no header row, a required column missing) is a
``RosterError``. Whether a scope code exists is the database's question (``db.rosters``).

The accepted header names and role names are documented in docs/organisation.md; a test keeps the
page and these tables in step.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal, TypeVar

from kaoping.domain.errors import KaopingError
from kaoping.domain.organisation import Role, UnitLevel

Scope = Literal["unit", "grid", "road", "department"]
Cells = list[str | None]

HEADER_SCAN_ROWS = 20  # title rows above the header: rarely more than two or three
EXCEL_EPOCH = date(1899, 12, 30)  # day 0 of Excel's serial dates (the 1900 leap-year bug included)
NAME_MAX = 64  # person.name
CODE_MAX = 32  # road.code, the longest code column
MIN_YEAR, MAX_YEAR = 1949, 2099
_CJK = re.compile(r"[\u3400-\u9fff]")
_PHONE_NOISE = re.compile(r"[\s\-()（）]")
_COUNTRY_CODE = re.compile(r"^(\+86|0086|86)(?=1\d{10}$)")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{9,11}")  # area code (3–4 digits with the 0) + 7–8 digits
_SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")
_TIME = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_EXCEL_SERIAL = re.compile(r"\d{5}(\.\d+)?")
_TRAILING_NOTE = re.compile(r"\([^()]*\)$")

T = TypeVar("T")


class RosterField(StrEnum):
    NAME = "name"
    PHONE = "phone"
    ROLE = "role"
    GRID = "grid"
    ROAD = "road"
    COMMUNITY = "community"
    TOWN = "town"
    DISTRICT = "district"
    UNIT = "unit"  # any administrative unit, the city included
    DEPARTMENT = "department"
    VALID_FROM = "valid_from"


# The one table of accepted headers; the first name of each is the one templates should use.
# Headers are compared without spaces, "*" (required-field marks) and with full-width brackets as ASCII.
HEADERS: dict[RosterField, tuple[str, ...]] = {
    RosterField.NAME: ("姓名", "人员姓名", "名字"),
    RosterField.PHONE: ("手机", "手机号", "手机号码", "联系电话", "联系方式", "电话"),
    RosterField.ROLE: ("角色", "岗位", "职务", "人员类型"),
    RosterField.GRID: ("网格编码", "网格编号", "网格代码", "单元网格编码"),
    RosterField.ROAD: ("道路编码", "道路编号", "路段编码", "路段编号"),
    RosterField.COMMUNITY: ("社区编码", "社区代码", "社区(村)编码", "村(社区)编码", "村居编码"),
    RosterField.TOWN: ("镇街编码", "镇街代码", "街道编码", "乡镇(街道)编码", "街镇编码"),
    RosterField.DISTRICT: ("区县编码", "区县代码"),
    RosterField.UNIT: ("区划代码", "区划编码", "行政区划代码"),
    RosterField.DEPARTMENT: ("部门编码", "部门代码", "单位编码"),
    RosterField.VALID_FROM: ("起始日期", "开始日期", "任职日期", "上岗日期", "生效日期"),
}
REQUIRED = (RosterField.NAME, RosterField.PHONE, RosterField.ROLE)

# Role names as offices write them (compared without spaces); the English values are accepted too.
ROLE_NAMES: dict[str, Role] = {
    "网格员": Role.GRID_WORKER,
    "专职网格员": Role.GRID_WORKER,
    "兼职网格员": Role.GRID_WORKER,
    "网格管理员": Role.GRID_WORKER,
    "路长": Role.ROAD_CHIEF,
    "街长": Role.ROAD_CHIEF,
    "路段长": Role.ROAD_CHIEF,
    "社区主任": Role.COMMUNITY_HEAD,
    "社区书记": Role.COMMUNITY_HEAD,
    "社区(村)主任": Role.COMMUNITY_HEAD,
    "社区(村)书记": Role.COMMUNITY_HEAD,
    "村主任": Role.COMMUNITY_HEAD,
    "村书记": Role.COMMUNITY_HEAD,
    "社区负责人": Role.COMMUNITY_HEAD,
    "镇街负责人": Role.TOWN_LEAD,
    "镇街城管负责人": Role.TOWN_LEAD,
    "街道负责人": Role.TOWN_LEAD,
    "镇负责人": Role.TOWN_LEAD,
    "乡镇负责人": Role.TOWN_LEAD,
    "部门联络员": Role.DEPARTMENT_CONTACT,
    "联络员": Role.DEPARTMENT_CONTACT,
    "监督员": Role.SUPERVISOR,
    "城管监督员": Role.SUPERVISOR,
    "信息采集员": Role.SUPERVISOR,
    "测评员": Role.TESTER,
    "第三方测评员": Role.TESTER,
    "考评办": Role.EVALUATOR,
    "考评员": Role.EVALUATOR,
    "领导": Role.LEADER,
    "分管领导": Role.LEADER,
}

# Where each role's scope is read from, most specific first: a row may carry more codes than its
# scope (a grid worker's community, say) and the first filled one of these wins.
ROLE_SCOPES: dict[Role, tuple[RosterField, ...]] = {
    Role.GRID_WORKER: (RosterField.GRID,),
    Role.ROAD_CHIEF: (RosterField.ROAD,),
    Role.COMMUNITY_HEAD: (RosterField.COMMUNITY,),
    Role.TOWN_LEAD: (RosterField.TOWN,),
    Role.DEPARTMENT_CONTACT: (RosterField.DEPARTMENT,),
    Role.SUPERVISOR: (
        RosterField.GRID,
        RosterField.COMMUNITY,
        RosterField.TOWN,
        RosterField.DISTRICT,
        RosterField.UNIT,
    ),
    Role.TESTER: (RosterField.COMMUNITY, RosterField.TOWN, RosterField.DISTRICT, RosterField.UNIT),
    Role.EVALUATOR: (RosterField.DISTRICT, RosterField.UNIT),
    Role.LEADER: (RosterField.TOWN, RosterField.DISTRICT, RosterField.UNIT, RosterField.DEPARTMENT),
}

# The scope a code column names, and the level a unit code must have there (None: any level).
FIELD_SCOPES: dict[RosterField, tuple[Scope, UnitLevel | None]] = {
    RosterField.GRID: ("grid", None),
    RosterField.ROAD: ("road", None),
    RosterField.COMMUNITY: ("unit", UnitLevel.COMMUNITY),
    RosterField.TOWN: ("unit", UnitLevel.TOWN),
    RosterField.DISTRICT: ("unit", UnitLevel.DISTRICT),
    RosterField.UNIT: ("unit", None),
    RosterField.DEPARTMENT: ("department", None),
}

# The name each role is shown under: its first name above.
ROLE_LABELS: dict[Role, str] = {
    role: next((n for n, r in ROLE_NAMES.items() if r is role), role.value) for role in Role
}


class RosterError(KaopingError):
    """A roster file that cannot be imported at all (its rows are never half-imported)."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One row that reads well: a person (name + phone) holding a role over a scope named by code."""

    row: int  # as the spreadsheet shows it (1-based, title rows counted)
    name: str
    phone: str
    role: Role
    scope: Scope
    scope_code: str
    scope_level: UnitLevel | None  # the level a unit scope must have; None: any
    scope_label: str  # the column the code came from, for messages
    valid_from: date | None  # None: the import's default date


@dataclass(frozen=True, slots=True)
class RowRefusal:
    """A row left out, with the reason in Chinese; ``holder`` is (name, phone, role) when those read
    well, so that the import knows this person's list of posts in the file is incomplete."""

    row: int
    reason: str
    holder: tuple[str, str, Role] | None = None


@dataclass(frozen=True, slots=True)
class Roster:
    file: str
    sheet: str | None
    header_row: int
    entries: list[RosterEntry]
    refusals: list[RowRefusal]

    @property
    def rows(self) -> int:
        return len(self.entries) + len(self.refusals)


def read_roster(path: Path, sheet: str | None = None) -> Roster:
    """Read and check every row of a roster (.xlsx/.xlsm/.xls or .csv/.txt, UTF-8 or GBK)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise RosterError(path.name, f"文件不存在: {path}")
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        rows = read_sheet(path, sheet)
    elif suffix in {".csv", ".txt"}:
        rows = read_csv_rows(path)
    else:
        raise RosterError(path.name, f"不支持的文件类型 {suffix or '(无扩展名)'}, 请使用 .xlsx 或 .csv")
    header, columns = find_header(path.name, rows)
    entries: list[RosterEntry] = []
    refusals: list[RowRefusal] = []
    for index in range(header + 1, len(rows)):
        cells = [_cell(rows[index], i) for i in columns.values()]
        if not any(cells):
            continue  # blank lines and spacer rows say nothing
        parsed = parse_row(index + 1, dict(zip(columns, cells, strict=True)))
        if isinstance(parsed, RosterEntry):
            entries.append(parsed)
        else:
            refusals.append(parsed)
    return Roster(path.name, sheet, header + 1, entries, refusals)


# --- reading cells --------------------------------------------------------------------------------


def read_sheet(path: Path, sheet: str | None) -> list[Cells]:
    """Every row of one sheet as text, leading blank rows kept so that row numbers match Excel's."""
    # Imported here: polars takes a third of a second to load, and every `kaoping` command would pay it.
    import fastexcel
    import polars as pl

    try:
        names = fastexcel.read_excel(path).sheet_names
    except Exception as err:  # calamine's errors are one opaque type
        raise RosterError(path.name, f"无法作为 Excel 文件读取: {str(err).splitlines()[0]}") from None
    if sheet is not None and sheet not in names:
        raise RosterError(path.name, f"没有名为 {sheet!r} 的工作表 (现有: {', '.join(names)})")
    frame = pl.read_excel(
        path,
        sheet_name=sheet,
        sheet_id=None if sheet is not None else 1,
        has_header=False,
        drop_empty_rows=False,
        drop_empty_cols=False,
        raise_if_empty=False,
        # skip_rows=0 keeps leading blank rows (calamine starts a sheet at its first filled row);
        # all text, so that codes and phone numbers typed as numbers lose nothing.
        read_options={"header_row": None, "skip_rows": 0, "dtypes": "string"},
    )
    return [list(row) for row in frame.iter_rows()]


def read_csv_rows(path: Path) -> list[Cells]:
    try:
        text = decode_text(path.read_bytes())
    except UnicodeDecodeError:
        raise RosterError(path.name, "无法识别文件编码 (应为 UTF-8 或 GBK)") from None
    sample = "\n".join(text.splitlines()[:HEADER_SCAN_ROWS])
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return [[c if c.strip() else None for c in row] for row in csv.reader(io.StringIO(text), dialect)]


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) or GBK — what Excel saves as "CSV" on a Chinese Windows.

    GB18030 is GBK's superset, so it also reads the rare characters of names GBK lacks.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def find_header(file: str, rows: Sequence[Cells]) -> tuple[int, dict[RosterField, int]]:
    """The index of the header row (the first naming 姓名 and 角色) and the column of each field."""
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns = header_columns(row)
        if RosterField.NAME in columns and RosterField.ROLE in columns:
            return index, _complete(file, index, columns)
    raise RosterError(
        file,
        f"前 {HEADER_SCAN_ROWS} 行中找不到表头 (需要 {'、'.join(HEADERS[f][0] for f in REQUIRED)} 等列, "
        "见 docs/organisation.md)",
    )


def header_columns(row: Cells) -> dict[RosterField, int]:
    columns: dict[RosterField, int] = {}
    for index, text in enumerate(row):
        key = _header_key(text or "")
        # "手机号码(必填)": a note in brackets after a known header does not hide it
        field = _HEADER_LOOKUP.get(key) or _HEADER_LOOKUP.get(_TRAILING_NOTE.sub("", key))
        if field is not None and field not in columns:  # a repeated header: the first one counts
            columns[field] = index
    return columns


def _complete(file: str, index: int, columns: dict[RosterField, int]) -> dict[RosterField, int]:
    missing = [HEADERS[f][0] for f in REQUIRED if f not in columns]
    if missing:
        raise RosterError(file, f"第 {index + 1} 行表头缺少必填列: {'、'.join(missing)}")
    if not any(f in columns for f in FIELD_SCOPES):
        names = "、".join(HEADERS[f][0] for f in FIELD_SCOPES)
        raise RosterError(file, f"第 {index + 1} 行表头没有任何编码列 (应至少有 {names} 之一)")
    return columns


def _header_key(text: str) -> str:
    return "".join(text.split()).translate(_FULL_WIDTH).strip("*:").lower()


_FULL_WIDTH = str.maketrans({"（": "(", "）": ")", "＊": "*", "：": ":"})
_HEADER_LOOKUP = {_header_key(name): field for field, names in HEADERS.items() for name in names}
_ROLE_LOOKUP = {_header_key(name): role for name, role in ROLE_NAMES.items()} | {
    role.value: role for role in Role
}


def _cell(row: Cells, index: int) -> str | None:
    value = row[index] if index < len(row) else None
    return (value.strip() or None) if value is not None else None


# --- checking a row -------------------------------------------------------------------------------


def parse_row(row: int, cells: dict[RosterField, str | None]) -> RosterEntry | RowRefusal:
    """One data row, checked field by field; every reason found is reported, not just the first."""
    reasons: list[str] = []
    name = _checked(reasons, parse_name, cells.get(RosterField.NAME))
    phone = _checked(reasons, parse_phone, cells.get(RosterField.PHONE))
    role = _checked(reasons, parse_role, cells.get(RosterField.ROLE))
    raw_date = cells.get(RosterField.VALID_FROM)
    valid_from = _checked(reasons, parse_date, raw_date) if raw_date else None
    scope = _checked(reasons, lambda _: parse_scope(role, cells), None) if role is not None else None
    if name is None or phone is None or role is None or scope is None or reasons:
        holder = (name, phone, role) if name and phone and role else None
        return RowRefusal(row, "; ".join(reasons), holder)
    field, code = scope
    kind, level = FIELD_SCOPES[field]
    return RosterEntry(row, name, phone, role, kind, code, level, HEADERS[field][0], valid_from)


def _checked(reasons: list[str], parse: Callable[[str | None], T], raw: str | None) -> T | None:
    try:
        return parse(raw)
    except ValueError as err:
        reasons.append(str(err))
        return None


def parse_name(raw: str | None) -> str:
    """A person's name; the spaces offices pad two-character Chinese names with (张　三) are dropped."""
    name = " ".join((raw or "").split())
    if not name:
        raise ValueError("缺少姓名")
    if _CJK.search(name):
        name = name.replace(" ", "")
    if len(name) > NAME_MAX:
        raise ValueError(f"姓名过长 ({len(name)} 个字, 最多 {NAME_MAX} 个)")
    return name


def parse_phone(raw: str | None) -> str:
    """A mobile number (11 digits, +86 dropped) or a landline with its area code, digits only."""
    if not raw:
        raise ValueError("缺少手机号码")
    _refuse_scientific("手机号码", raw)
    digits = _PHONE_NOISE.sub("", raw)
    digits = _COUNTRY_CODE.sub("", digits)
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    raise ValueError(f"手机号码 {raw!r} 格式不对 (应为 11 位手机号, 如 13812345678, 或带区号的固定电话)")


def parse_role(raw: str | None) -> Role:
    if not raw:
        raise ValueError("缺少角色")
    role = _ROLE_LOOKUP.get(_header_key(raw))
    if role is None:
        raise ValueError(f"角色 {raw!r} 无法识别 (可用: {'、'.join(ROLE_LABELS.values())})")
    return role


def parse_date(raw: str | None) -> date:
    """A date as people type it or Excel stores it: 2024-03-01, 2024/3/1, 2024.3.1, 2024年3月1日,
    20240301, or an Excel serial day number (45352)."""
    text = _TIME.sub("", (raw or "").strip())
    match = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    try:
        if match:
            day = date(int(match[1]), int(match[2]), int(match[3]))
        elif _EXCEL_SERIAL.fullmatch(text):
            day = EXCEL_EPOCH + timedelta(days=int(float(text)))
        else:
            raise ValueError(text)
    except (ValueError, OverflowError):
        raise ValueError(f"起始日期 {raw!r} 无法识别 (应为 2024-03-01 这样的日期)") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError(f"起始日期 {raw!r} 不在 {MIN_YEAR}—{MAX_YEAR} 年之间")
    return day


def parse_scope(role: Role, cells: dict[RosterField, str | None]) -> tuple[RosterField, str]:
    """The code column that names the role's scope (the most specific filled one) and its code."""
    for field in ROLE_SCOPES[role]:
        raw = cells.get(field)
        if raw:
            return field, parse_code(HEADERS[field][0], raw)
    names = "或".join(HEADERS[f][0] for f in ROLE_SCOPES[role])
    raise ValueError(f"{ROLE_LABELS[role]}需要填写{names}")


def parse_code(label: str, raw: str) -> str:
    _refuse_scientific(label, raw)
    code = "".join(raw.split())
    if len(code) > CODE_MAX:
        raise ValueError(f"{label} {raw!r} 过长 (最多 {CODE_MAX} 位)")
    return code


def _refuse_scientific(label: str, raw: str) -> None:
    """Excel shows long numbers as 3.79901E+14 and saves them so to CSV: the digits are gone."""
    if _SCIENTIFIC.fullmatch(raw.strip()):
        raise ValueError(f"{label} {raw!r} 是科学计数法, 数字已丢失; 请把该列设为文本格式后重新填写导出")
