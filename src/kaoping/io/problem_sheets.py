"""Problem sheets: findings in bulk from XLSX and CSV, as third-party testers deliver them.

A sheet is read the way people make them: a title above the header, headers merged over two rows
(坐标 above 经度 | 纬度), Chinese header names that differ from vendor to vendor (a saved column
mapping, ``data/import_profiles/*.yaml``, per vendor), dates typed every way (2021/3/5, 2021-03-05,
2021年3月5日, 2021.3.5, Excel serial numbers, with or without a time). Every cell is read as text
and kept as typed, so the error sheet gives the user back what they wrote; parsing is column-wise
(polars), with a per-value fallback only for the odd formats.

Row numbers are the spreadsheet's own (1-based, header and title rows counted), so an error
message points at the row the user sees.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import yaml
from numpy.typing import NDArray

from kaoping.domain.errors import KaopingError

PROFILE_DIR = Path(__file__).resolve().parent.parent / "data" / "import_profiles"
DEFAULT_PROFILE = "default"
FIELDS = (
    "found_at",
    "category",
    "lon",
    "lat",
    "road",
    "landmark",
    "address",
    "description",
    "channel",
    "crs",
    "key",
    "photos",
)
REQUIRED = ("found_at", "category")
HEADER_SCAN_ROWS = 12  # a header further down than this is not a header
EXCEL_EPOCH = date(1899, 12, 30)  # day 0 of Excel's (1900, Lotus-compatible) serial dates
EXCEL_SERIAL_RANGE = (1.0, 2958466.0)  # 1900-01-01 … 9999-12-31
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
_TEXT_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:：时点]\s*(\d{1,2})?\s*(?:[:：分]\s*(\d{1,2}(?:\.\d+)?)?\s*秒?)?)?$"
)
_FIRST_CELL = re.compile(r'<c r="[A-Z]+(\d+)"[^>]*>(?:<f>[^<]*</f>)?<(?:v|is)>')
_SERIAL = re.compile(r"^\d{1,7}(\.\d+)?$")
_NOISE = re.compile(r"[\s\u3000()（）\[\]【】:：*＊]")

FloatArray = NDArray[np.float64]


class SheetError(KaopingError):
    """A sheet that cannot be read at all (as opposed to a bad row, which is reported and skipped)."""


@dataclass(frozen=True, slots=True)
class ImportProfile:
    """A saved column mapping: which headers a vendor uses for each field, and its defaults."""

    name: str
    label: str
    crs: str = "wgs84"
    channel: str = "third_party"
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ProblemSheet:
    """The data rows of a sheet, every cell as typed (text, None when empty).

    ``fields`` maps each recognised field to its column of ``data``; ``row_numbers`` are the rows
    as the spreadsheet shows them; ``headers`` names every column of ``data`` (two-row headers
    joined as 坐标/经度)."""

    path: Path
    data: pl.DataFrame
    headers: list[str]
    fields: dict[str, str]
    row_numbers: NDArray[np.int64]
    header_rows: tuple[int, ...]  # spreadsheet row numbers of the header

    def __len__(self) -> int:
        return self.data.height

    def column(self, name: str) -> pl.Series:
        """A field's cells, stripped, empty text as None; all None when the sheet has no such column."""
        if name not in self.fields:
            return pl.Series(name, [None] * self.data.height, dtype=pl.String)
        cells = self.data.get_column(self.fields[name]).str.strip_chars()
        return cells.replace("", None).alias(name)


# --- profiles -----------------------------------------------------------------------------------


def list_profiles(directory: Path = PROFILE_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.yaml"))


def load_profile(name: str = DEFAULT_PROFILE, directory: Path = PROFILE_DIR) -> ImportProfile:
    """A vendor's profile, its header names tried before the default profile's."""
    own = _read_profile(name, directory)
    if name == DEFAULT_PROFILE:
        return own
    base = _read_profile(DEFAULT_PROFILE, directory)
    columns = {f: own.columns.get(f, ()) + base.columns.get(f, ()) for f in FIELDS}
    return ImportProfile(own.name, own.label, own.crs, own.channel, columns)


def _read_profile(name: str, directory: Path) -> ImportProfile:
    path = directory / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(list_profiles(directory))
        raise SheetError(f"未找到导入模板 {name!r}, 可选: {known}")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    columns = raw.get("columns") or {}
    unknown = sorted(set(columns) - set(FIELDS))
    if unknown:
        raise SheetError(f"导入模板 {path.name} 含未知字段 {unknown}, 可用字段: {', '.join(FIELDS)}")
    return ImportProfile(
        name=str(raw.get("name", name)),
        label=str(raw.get("label", name)),
        crs=str(raw.get("crs", "wgs84")),
        channel=str(raw.get("channel", "third_party")),
        columns={f: tuple(str(h) for h in names) for f, names in columns.items()},
    )


# --- reading --------------------------------------------------------------------------------------


def read_problem_sheet(path: Path, profile: ImportProfile) -> ProblemSheet:
    """Read an XLSX/XLS or CSV sheet of problems: find its header, map its columns to fields."""
    raw = _read_cells(path)
    if raw.height == 0:
        raise SheetError(f"{path.name} 是空表")
    first, rows = _find_header(raw, profile)
    headers = _header_names(raw, first, rows)
    fields = _map_fields(headers, profile)
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        wanted = "; ".join(f"{f}: {'/'.join(profile.columns.get(f, ())[:4])}" for f in missing)
        raise SheetError(f"{path.name} 缺少必需的列 ({wanted}); 请检查表头或使用 --profile 指定导入模板")
    if "lon" not in fields and "road" not in fields and "address" not in fields:
        raise SheetError(f"{path.name} 既没有经纬度列, 也没有道路/地址列, 无法定位问题")
    data = raw.slice(first + rows).rename(dict(zip(raw.columns, headers, strict=True)))
    skipped = _leading_empty_rows(path)
    first += skipped
    numbers = np.arange(data.height, dtype=np.int64) + first + rows + 1
    blank = data.select(pl.all_horizontal(pl.all().str.strip_chars().replace("", None).is_null()))
    keep = ~blank.to_series().to_numpy()
    header_rows = tuple(range(first + 1, first + rows + 1))
    return ProblemSheet(path, data.filter(pl.Series(keep)), headers, fields, numbers[keep], header_rows)


def is_csv(path: Path) -> bool:
    return path.suffix.lower() in {".csv", ".txt"}


def _read_cells(path: Path) -> pl.DataFrame:
    """Every cell as text (None when empty), no header taken; columns column_0, column_1 …"""
    if not path.is_file():
        raise SheetError(f"文件不存在: {path}")
    try:
        if is_csv(path):
            return _read_csv(path)
        if path.suffix.lower() in {".xlsx", ".xlsm", ".xls", ".ods"}:
            frame = pl.read_excel(path, has_header=False, infer_schema_length=0, drop_empty_rows=False)
            return frame.rename({c: f"column_{i}" for i, c in enumerate(frame.columns)})
    except (pl.exceptions.PolarsError, OSError, ValueError) as err:
        raise SheetError(f"无法读取 {path.name}: {err}") from err
    raise SheetError(f"不支持的文件类型 {path.suffix!r}: 请使用 .xlsx、.xls 或 .csv")


def _read_csv(path: Path) -> pl.DataFrame:
    """CSV as text; UTF-8 (with or without BOM) first, then GBK, which Excel in China writes."""
    content = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return _csv_cells(text)
    raise SheetError(f"{path.name} 的编码无法识别: 请另存为 UTF-8 或 GBK 编码的 CSV")


def _leading_empty_rows(path: Path) -> int:
    """Empty rows above an XLSX sheet's first cell: the reader starts at that cell, the user counts
    from row 1."""
    if path.suffix.lower() not in {".xlsx", ".xlsm"}:
        return 0
    try:
        with zipfile.ZipFile(path) as book:
            head = book.open("xl/worksheets/sheet1.xml").read(1 << 20).decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile):
        return 0
    found = _FIRST_CELL.search(head)
    return int(found.group(1)) - 1 if found else 0


def _csv_cells(text: str) -> pl.DataFrame:
    """The cells of a CSV whose first lines (a title) may be narrower than its header and data."""
    first = list(csv.reader(io.StringIO("\n".join(text.splitlines()[:HEADER_SCAN_ROWS]))))
    width = max((len(r) for r in first), default=0)
    lead = next((k for k, r in enumerate(first) if len(r) == width), 0)
    names = [f"column_{i}" for i in range(width)]
    body = pl.read_csv(
        io.StringIO(text), has_header=False, skip_rows=lead, new_columns=names, infer_schema_length=0
    )
    title = [[(r[i].strip() or None) if i < len(r) else None for i in range(width)] for r in first[:lead]]
    return pl.concat([pl.DataFrame(title, schema=dict.fromkeys(names, pl.String), orient="row"), body])


def _find_header(raw: pl.DataFrame, profile: ImportProfile) -> tuple[int, int]:
    """(index of the first header row, 1 or 2 header rows): the row naming most fields wins, and
    the row under it is part of the header when it names fields its upper row leaves unnamed."""
    best, best_score = 0, 0
    scan = min(raw.height, HEADER_SCAN_ROWS)
    for i in range(scan):
        score = len(_map_fields(_row_text(raw, i), profile))
        if score > best_score:
            best, best_score = i, score
    if best_score == 0:
        return 0, 1
    if best + 1 < raw.height:
        upper = _map_fields(_header_names(raw, best, 1), profile)
        both = _map_fields(_header_names(raw, best, 2), profile)
        if len(both) > len(upper):
            return best, 2
        # The lower row alone may be the better header (the upper one a group label row).
        if best > 0 and len(_map_fields(_header_names(raw, best - 1, 2), profile)) > len(upper):
            return best - 1, 2
    return best, 1


def _row_text(raw: pl.DataFrame, i: int) -> list[str]:
    return ["" if v is None else str(v).strip() for v in raw.row(i)]


def _header_names(raw: pl.DataFrame, first: int, rows: int) -> list[str]:
    """Header names; with two rows, a merged upper cell (text only in its first column) is carried
    right over the empty cells it spans, and each name is upper/lower (坐标/经度)."""
    upper = _row_text(raw, first)
    if rows == 1:
        return _unique([u or f"列{i + 1}" for i, u in enumerate(upper)])
    lower = _row_text(raw, first + 1)
    carried, names = "", []
    for i, (u, low) in enumerate(zip(upper, lower, strict=True)):
        carried = u or (carried if low else "")
        names.append("/".join(p for p in (carried, low) if p) or f"列{i + 1}")
    return _unique(names)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return result


def _map_fields(headers: list[str], profile: ImportProfile) -> dict[str, str]:
    """field → header. Equal names first (the lower part of a two-row name counts alone too),
    then names that contain a synonym; each header serves one field."""
    keys = [_normal(h) for h in headers]
    tails = [_normal(h.rsplit("/", 1)[-1]) for h in headers]
    found: dict[str, str] = {}
    for exact in (True, False):
        for name in FIELDS:
            if name in found:
                continue
            for synonym in (_normal(s) for s in profile.columns.get(name, ())):
                hit = _match(synonym, keys, tails, exact, set(found.values()), headers)
                if hit is not None:
                    found[name] = hit
                    break
    return found


def _match(
    synonym: str, keys: list[str], tails: list[str], exact: bool, taken: set[str], headers: list[str]
) -> str | None:
    for header, key, tail in zip(headers, keys, tails, strict=True):
        if header in taken or not key:
            continue
        if exact and synonym in (key, tail):
            return header
        if not exact and len(synonym) >= 2 and synonym in tail:
            return header
    return None


def _normal(text: str) -> str:
    return _NOISE.sub("", text).lower()


# --- values -------------------------------------------------------------------------------------


def parse_found_at(value: object, tz: tzinfo) -> datetime | None:
    """A time as people type it, in ``tz`` unless it says otherwise; None when unreadable.

    A date alone is the start of that day (00:00): the deadline then runs from the first working
    instant."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=tz)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_serial(float(value), tz)
    text = str(value).strip() if value is not None else ""
    if _SERIAL.match(text):
        return _from_serial(float(text), tz)
    return _from_text(text, tz)


def _from_serial(serial: float, tz: tzinfo) -> datetime | None:
    low, high = EXCEL_SERIAL_RANGE
    if not (math.isfinite(serial) and low <= serial < high):
        return None
    # Aware + timedelta is wall-clock arithmetic: the serial is a local time as the sheet shows it.
    return datetime.combine(EXCEL_EPOCH, time(), tzinfo=tz) + timedelta(seconds=round(serial * 86400))


def _from_text(text: str, tz: tzinfo) -> datetime | None:
    match = _TEXT_DATE.match(text)
    if match is None:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    year, month, day, hour, minute, second = match.groups()
    seconds = float(second or 0)
    try:
        return datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(seconds),
            round((seconds % 1) * 1e6), tzinfo=tz,
        )  # fmt: skip
    except ValueError:  # 2021-02-30, 25:00 …
        return None


def parse_found_at_column(cells: pl.Series, tz: tzinfo) -> FloatArray:
    """Seconds since the epoch (UTC) of every cell, NaN where unreadable or empty.

    The common forms are parsed column-wise; the rest (Chinese time marks, Excel serials, ISO with
    an offset) value by value."""
    text = _normalised_dates(cells)
    parsed = pl.coalesce(
        [text.str.strptime(pl.Datetime("us"), f, strict=False, exact=True) for f in _DATE_FORMATS]
    )
    zone = getattr(tz, "key", None)
    seconds = np.full(cells.len(), np.nan)
    if zone is not None:
        local = pl.select(parsed.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null"))
        epoch = local.to_series().dt.epoch("us").cast(pl.Float64) / 1e6
        seconds = epoch.fill_null(np.nan).to_numpy().copy()
    for i in np.flatnonzero(np.isnan(seconds) & cells.is_not_null().to_numpy()).tolist():
        found = parse_found_at(cells[i], tz)
        if found is not None:
            seconds[i] = found.timestamp()
    return seconds


def _normalised_dates(cells: pl.Series) -> pl.Series:
    """2021/3/5, 2021.3.5 and 2021年3月5日 as 2021-3-5; times left as typed."""
    text = cells.str.strip_chars()
    text = text.str.replace(r"^(\d{4})[/.年](\d{1,2})[/.月](\d{1,2})日?", "${1}-${2}-${3}")
    return text.str.replace("T", " ", literal=True).str.replace(r"\s+", " ")


def parse_numbers(cells: pl.Series) -> FloatArray:
    """Cells as numbers, NaN where empty or not a number (full-width digits and spaces tolerated)."""
    text = cells.str.strip_chars().str.replace_all("\u3000", "", literal=True)
    numbers = text.cast(pl.Float64, strict=False)
    return numbers.fill_null(np.nan).to_numpy().astype(np.float64, copy=True)


# --- the error sheet ------------------------------------------------------------------------------


ERROR_HEADER = "错误原因"
ROW_HEADER = "原表行号"


def error_sheet_path(path: Path) -> Path:
    """Where the bad rows go back to the user: next to the input, ``<name>.errors.xlsx`` (or .csv)."""
    suffix = ".csv" if is_csv(path) else ".xlsx"
    return path.with_name(f"{path.stem}.errors{suffix}")


def write_error_sheet(sheet: ProblemSheet, errors: dict[int, str]) -> Path:
    """The bad rows as the user typed them, with their row number and the reason in Chinese.

    ``errors`` maps a position in ``sheet`` (0-based data row) to its message."""
    target = error_sheet_path(sheet.path)
    positions = sorted(errors)
    rows = sheet.data[positions] if positions else sheet.data.clear()
    frame = rows.with_columns(
        pl.Series(ROW_HEADER, sheet.row_numbers[positions].tolist(), dtype=pl.Int64),
        pl.Series(ERROR_HEADER, [errors[p] for p in positions], dtype=pl.String),
    ).select([ROW_HEADER, ERROR_HEADER, *sheet.headers])
    if target.suffix == ".csv":
        target.write_bytes(b"\xef\xbb\xbf" + frame.write_csv().encode("utf-8"))  # BOM: Excel reads UTF-8
    else:
        _write_xlsx(frame, target)
    return target


def _write_xlsx(frame: pl.DataFrame, target: Path) -> None:
    import xlsxwriter  # only the error sheet needs it

    with xlsxwriter.Workbook(str(target)) as book:
        sheet = book.add_worksheet("错误行")
        bold = book.add_format({"bold": True})
        red = book.add_format({"font_color": "#C00000"})
        for col, name in enumerate(frame.columns):
            sheet.write_string(0, col, name, bold)
        for r, row in enumerate(frame.iter_rows(), start=1):
            for col, value in enumerate(row):
                if value is not None:
                    sheet.write(r, col, value, red if col == 1 else None)
        sheet.set_column(1, 1, 48)
        sheet.freeze_panes(1, 0)


def raw_value(value: Any) -> str:
    """A cell for a message: as typed, or 空 when empty."""
    return "空" if value is None or value == "" else str(value)
