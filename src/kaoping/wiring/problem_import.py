"""Importing a sheet of problems: parse → check each row → WGS84 → locate → route → deadline →
repeats → high-score flag → one insert.

A bad row never stops the good ones: each check marks the rows it refuses with a Chinese reason,
later steps only see the rows still good, and the bad rows go back to the user in an error sheet
next to the input. Every good row gets a source key (a hash of what the row says, not of the file),
so importing the same sheet again adds nothing. All rows are written in one transaction: an import
that fails or is interrupted leaves nothing behind.

Rows with only an address (道路 + 参照物) are placed on the named road: at the point nearest the
crossing road the landmark names (和平路口), else at the road's midpoint; their location is marked
approximate.
"""

from __future__ import annotations

import gc
import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import shapely
from numpy.typing import NDArray
from sqlalchemy import Connection, Engine

from kaoping.db import problem_import as queries
from kaoping.db import reference
from kaoping.db.calendar import load_calendar
from kaoping.db.problems import BULK_COLUMNS, bulk_insert_problems
from kaoping.domain.calendar import WorkCalendar
from kaoping.domain.categories import Category, CategoryLevel, CategoryTree
from kaoping.domain.deadlines import deadline
from kaoping.domain.errors import KaopingError, UnknownCategoryError
from kaoping.domain.ids import UnitId
from kaoping.domain.problems import Channel, CoordinateSystem, Location, ProblemStatus
from kaoping.domain.routing import DepartmentDirectory, LiabilitySplit, route
from kaoping.domain.scoring import ScoringRules
from kaoping.geo.crs import parse_crs, to_wgs84
from kaoping.geo.index import GeoIndex, LocatedBatch
from kaoping.geo.repeats import RepeatColumns, link_repeats
from kaoping.io.problem_sheets import (
    ProblemSheet,
    load_profile,
    parse_found_at_column,
    parse_numbers,
    raw_value,
    read_problem_sheet,
    write_error_sheet,
)
from kaoping.io.seeds import load_categories, load_channels, load_scheme
from kaoping.wiring import load_index

OnStep = Callable[[str, int, int], None]
"""Progress: (step label, units done, units in the step)."""

CHANNELS = list(Channel)
COORDINATE_DECIMALS = 6  # ~0.1 m: the precision a source key compares coordinates at
DATE_HINT = "可用 2021/3/5、2021-03-05 09:30、2021年3月5日 或 Excel 日期"
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class ImportOptions:
    """How to read a sheet: the vendor profile, and the coordinate system and channel of rows that
    do not say (None: the profile's)."""

    profile: str = "default"
    crs: str | None = None
    channel: str | None = None
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    road_snap_m: float = 50.0
    split: LiabilitySplit = field(default_factory=LiabilitySplit)
    write_errors: bool = True


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # as the spreadsheet shows it
    message: str


@dataclass
class ImportResult:
    file: str
    rows: int = 0
    imported: int = 0
    already_imported: int = 0  # rows whose problem is stored already (an earlier import)
    duplicates: int = 0  # rows that repeat an earlier row of the same sheet word for word
    approximate: int = 0  # placed from an address
    repeats: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_sheet: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Context:
    """What every row is checked against, loaded once."""

    tree: CategoryTree
    minors: list[Category]
    minor_index: dict[str, int]
    category_ids: dict[str, int]
    channels: dict[str, Channel]  # code or Chinese name → channel
    rules: ScoringRules
    calendar: WorkCalendar
    departments: DepartmentDirectory
    index: GeoIndex
    roads: _RoadBook


@dataclass
class _Batch:
    """The sheet's rows as columns; ``error`` holds the first reason a row was refused (None: good)."""

    found: FloatArray  # seconds since the epoch, UTC
    category: IntArray  # index into _Context.minors
    channel: IntArray  # index into CHANNELS
    crs: list[str]
    x: FloatArray  # as typed, in ``crs``
    y: FloatArray
    address: list[str | None]
    description: list[str]
    error: list[str | None]
    lon: FloatArray = field(default_factory=lambda: np.zeros(0))
    lat: FloatArray = field(default_factory=lambda: np.zeros(0))
    approximate: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def refuse(self, rows: Sequence[int] | NDArray[np.int64], message: str | Callable[[int], str]) -> None:
        for i in np.asarray(rows, dtype=np.int64).tolist():
            if self.error[i] is None:
                self.error[i] = message(i) if callable(message) else message

    @property
    def good(self) -> IntArray:
        return np.flatnonzero(np.array([e is None for e in self.error], dtype=bool))


def import_problem_sheet(
    engine: Engine, path: Path, options: ImportOptions, on_step: OnStep | None = None
) -> ImportResult:
    """Import every good row of the sheet at ``path`` in one transaction; report the bad ones."""
    report = on_step or (lambda _label, _done, _total: None)
    result = ImportResult(file=str(path))
    clock = _Stopwatch(result)
    with clock("read"):
        report("读取表格", 0, 1)
        profile = load_profile(options.profile)
        sheet = read_problem_sheet(path, profile)
        result.rows = len(sheet)
    with clock("context"), engine.connect() as conn:
        context = _load_context(conn, options)
    with clock("parse"):
        report("校验各行", 0, len(sheet))
        batch = _parse(sheet, context, options, profile.crs, profile.channel)
    with clock("locate"):
        report("定位网格", 0, len(sheet))
        located = _place(batch, context, options.tz)
    # One transaction: all good rows or nothing.
    with engine.begin() as conn, queries.bulk_write(conn), _no_gc():
        rows = _prepare(conn, batch, located, context, options, result, clock, report)
        with clock("insert"):
            result.imported = bulk_insert_problems(conn, _counting(rows, len(rows), report))
    _finish(sheet, batch, options, result)
    return result


# --- loading --------------------------------------------------------------------------------------


def _load_context(conn: Connection, options: ImportOptions) -> _Context:
    tree = load_categories()
    minors = tree.minors()
    channels: dict[str, Channel] = {c.value: c for c in Channel}
    channels.update({spec.name: spec.code for spec in load_channels()})
    directory = {(f, UnitId(d) if d is not None else None): i for (f, d), i in _departments(conn)}
    return _Context(
        tree=tree,
        minors=minors,
        minor_index={c.code: i for i, c in enumerate(minors)},
        category_ids=reference.category_ids(conn),
        channels=channels,
        rules=load_scheme().rules,
        calendar=load_calendar(conn),
        departments=DepartmentDirectory(directory),  # type: ignore[arg-type]
        index=load_index(conn, options.road_snap_m, include_history=True),
        roads=_RoadBook(queries.list_named_roads(conn)),
    )


def _departments(conn: Connection) -> Iterator[tuple[tuple[str, int | None], int]]:
    return iter(reference.department_ids_by_field(conn).items())


# --- parsing and checking -----------------------------------------------------------------------


def _parse(sheet: ProblemSheet, context: _Context, options: ImportOptions, crs: str, channel: str) -> _Batch:
    n = len(sheet)
    batch = _Batch(
        found=parse_found_at_column(sheet.column("found_at"), options.tz),
        category=np.full(n, -1, dtype=np.int64),
        channel=np.zeros(n, dtype=np.int64),
        crs=[],
        x=parse_numbers(sheet.column("lon")),
        y=parse_numbers(sheet.column("lat")),
        address=_addresses(sheet),
        description=[d or "" for d in sheet.column("description").to_list()],
        error=[None] * n,
    )
    _check_times(sheet, batch)
    _check_categories(sheet, batch, context)
    _check_channels(sheet, batch, context, options.channel or channel)
    _check_crs(sheet, batch, options.crs or crs)
    _check_coordinates(sheet, batch)
    return batch


def _addresses(sheet: ProblemSheet) -> list[str | None]:
    road, landmark, address = (sheet.column(f).to_list() for f in ("road", "landmark", "address"))
    joined = []
    for r, mark, a in zip(road, landmark, address, strict=True):
        parts = [p for p in (r, mark) if p] or ([a] if a else [])
        joined.append(" ".join(parts) if parts else None)
    return joined


def _check_times(sheet: ProblemSheet, batch: _Batch) -> None:
    cells = sheet.column("found_at").to_list()
    bad = np.flatnonzero(np.isnan(batch.found))
    batch.refuse(
        bad,
        lambda i: "发现时间为空" if cells[i] is None else f"发现时间 {cells[i]!r} 无法识别 ({DATE_HINT})",
    )


def _check_categories(sheet: ProblemSheet, batch: _Batch, context: _Context) -> None:
    cells = sheet.column("category")
    answers: dict[str | None, int | str] = {}
    for value in cells.unique().to_list():
        answers[value] = _category_answer(value, context)
    for i, value in enumerate(cells.to_list()):
        answer = answers[value]
        if isinstance(answer, str):
            batch.refuse([i], answer)
        else:
            batch.category[i] = answer


def _category_answer(value: str | None, context: _Context) -> int | str:
    if value is None:
        return "问题类别为空"
    try:
        found = context.tree.get(value)
    except UnknownCategoryError as err:
        return err.message
    if found.level is not CategoryLevel.MINOR:
        return f"问题类别 {found.code} {found.name} 是大类, 请填写具体的小类"
    if found.code not in context.category_ids:
        return f"问题类别 {found.code} {found.name} 尚未写入数据库 (请先运行 kaoping seed)"
    return context.minor_index[found.code]


def _check_channels(sheet: ProblemSheet, batch: _Batch, context: _Context, default: str) -> None:
    fallback = context.channels.get(default.strip().lower()) or context.channels.get(default.strip())
    if fallback is None:
        raise KaopingError(f"未知的问题来源 {default!r}, 可选: {', '.join(c.value for c in Channel)}")
    for i, value in enumerate(sheet.column("channel").to_list()):
        found = (
            fallback if value is None else context.channels.get(value) or context.channels.get(value.lower())
        )
        if found is None:
            batch.refuse([i], f"问题来源 {value!r} 未知, 可选: {', '.join(sorted(context.channels))}")
        else:
            batch.channel[i] = CHANNELS.index(found)


def _check_crs(sheet: ProblemSheet, batch: _Batch, default: str) -> None:
    fallback = parse_crs(default).value  # a bad option is the user's error, not a row's
    for i, value in enumerate(sheet.column("crs").to_list()):
        if value is None:
            batch.crs.append(fallback)
            continue
        try:
            batch.crs.append(parse_crs(value.replace("-", "").replace(" ", "")).value)
        except KaopingError:
            batch.crs.append(fallback)
            batch.refuse([i], f"坐标系 {value!r} 未知, 可选: wgs84, gcj02, bd09, cgcs2000")


def _check_coordinates(sheet: ProblemSheet, batch: _Batch) -> None:
    lon_cells, lat_cells = sheet.column("lon").to_list(), sheet.column("lat").to_list()
    for i in np.flatnonzero(np.isnan(batch.x) | np.isnan(batch.y)).tolist():
        typed = lon_cells[i] is not None or lat_cells[i] is not None
        if typed and (lon_cells[i] is None or lat_cells[i] is None):
            batch.refuse(
                [i], f"经纬度不完整 (经度={raw_value(lon_cells[i])}, 纬度={raw_value(lat_cells[i])})"
            )
        elif typed:
            batch.refuse([i], f"经纬度不是数字 (经度={lon_cells[i]!r}, 纬度={lat_cells[i]!r})")
        elif batch.address[i] is None:
            batch.refuse([i], "缺少经纬度, 也没有道路/地址, 无法定位")
    ok = np.isfinite(batch.x) & np.isfinite(batch.y)
    swapped = ok & (np.abs(batch.y) > 90) & (np.abs(batch.x) <= 90)
    batch.refuse(np.flatnonzero(swapped), "纬度应在 -90 到 90 之间 (经纬度是否填反?)")
    batch.refuse(
        np.flatnonzero(ok & ((np.abs(batch.x) > 180) | (np.abs(batch.y) > 90))), "经纬度超出有效范围"
    )


# --- placing: WGS84, addresses, grids -----------------------------------------------------------


def _place(batch: _Batch, context: _Context, tz: ZoneInfo) -> LocatedBatch:
    """WGS84 points for every good row (converted, or from its address), then located on the day
    each was found; rows in no grid are refused."""
    n = batch.found.size
    batch.lon, batch.lat = np.full(n, np.nan), np.full(n, np.nan)
    batch.approximate = np.zeros(n, dtype=bool)
    good = batch.good
    crs = np.array(batch.crs, dtype=object)
    with_xy = good[np.isfinite(batch.x[good])]
    for system in set(crs[with_xy].tolist()):
        rows = with_xy[crs[with_xy] == system]
        batch.lon[rows], batch.lat[rows] = to_wgs84(batch.x[rows], batch.y[rows], system)
    for i in good[~np.isfinite(batch.x[good])].tolist():
        _place_address(batch, context, i)
    rows = batch.good
    located = context.index.locate_many(
        batch.lon[rows], batch.lat[rows], at=_local_days(batch.found[rows], tz)
    )
    outside = rows[located.grid_id < 0]
    batch.refuse(outside, lambda i: _outside_message(batch, i))
    return _spread(located, rows, n)


def _place_address(batch: _Batch, context: _Context, i: int) -> None:
    address = batch.address[i] or ""
    point = context.roads.locate(address)
    if point is None:
        batch.refuse([i], f"地址 {address!r} 中未找到现行道路名称, 无法定位 (请填写经纬度或核对道路名称)")
        return
    batch.lon[i], batch.lat[i] = point
    batch.approximate[i] = True
    batch.crs[i] = CoordinateSystem.WGS84.value
    batch.x[i], batch.y[i] = point


def _outside_message(batch: _Batch, i: int) -> str:
    if batch.approximate[i]:
        return f"按地址 {batch.address[i]!r} 推算的位置不在任何单元网格内"
    return f"坐标 (经度={batch.x[i]:.6f}, 纬度={batch.y[i]:.6f}, {batch.crs[i]}) 不在任何单元网格内"


def _local_days(found: FloatArray, tz: ZoneInfo) -> NDArray[np.datetime64]:
    """The local calendar day of each time: boundaries in force that day locate it."""
    utc = pl.Series(np.round(found * 1e6).astype(np.int64)).cast(pl.Datetime("us", "UTC"))
    return utc.dt.convert_time_zone(tz.key).dt.date().to_numpy()


def _spread(located: LocatedBatch, rows: IntArray, n: int) -> LocatedBatch:
    """A located batch over all ``n`` rows (-1 / NaN for rows not located)."""

    def full(values: NDArray[np.int64]) -> NDArray[np.int64]:
        out = np.full(n, -1, dtype=np.int64)
        out[rows] = values
        return out

    distance = np.full(n, np.nan)
    distance[rows] = located.road_distance_m
    return LocatedBatch(
        full(located.grid_id),
        full(located.community_id),
        full(located.town_id),
        full(located.district_id),
        full(located.road_id),
        distance,
    )


class _RoadBook:
    """Roads in force by name, for rows that give an address instead of coordinates."""

    def __init__(self, roads: Sequence[queries.NamedRoad]) -> None:
        self._roads = list(roads)
        self._geometry = shapely.from_wkb([r.geometry for r in roads]) if roads else np.zeros(0, dtype=object)
        self._base = [_base_name(r.name) for r in roads]
        # Longest names first, so 和平东路 is found before 和平路 in 和平东路与文化路口.
        self._by_length = sorted(range(len(roads)), key=lambda k: -len(self._base[k]))

    def locate(self, address: str) -> tuple[float, float] | None:
        """A WGS84 point for "road + landmark": where the road meets the crossing road the landmark
        names, else the middle of the road; None when no road in force is named."""
        sections = self._named(address)
        if not sections:
            return None
        rest = address
        for k in sections[:1]:
            rest = rest.replace(self._roads[k].name, " ").replace(self._base[k], " ")
        crossing = self._crossing(rest, {self._base[k] for k in sections})
        if crossing is not None:
            lines = self._geometry[sections]
            nearest = int(np.argmin(shapely.distance(lines, crossing)))
            point = shapely.shortest_line(lines[nearest], crossing).coords[0]
            return float(point[0]), float(point[1])
        middle = shapely.line_interpolate_point(self._geometry[sections[0]], 0.5, normalized=True)
        return float(middle.x), float(middle.y)

    def _named(self, address: str) -> list[int]:
        """Sections named in the address: the full name first, else sections whose base name (the
        name without its (…段) part) the address contains."""
        text = address.strip()
        exact = [k for k, r in enumerate(self._roads) if r.name == text or r.name in text.split()]
        if exact:
            return exact
        for k in self._by_length:
            if self._base[k] and self._base[k] in text:
                return [j for j, b in enumerate(self._base) if b == self._base[k]]
        return []

    def _crossing(self, landmark: str, own: set[str]) -> shapely.Geometry | None:
        for k in self._by_length:
            base = self._base[k]
            if base and base not in own and base in landmark:
                same = [j for j, b in enumerate(self._base) if b == base]
                return shapely.union_all(self._geometry[same])
        return None


def _base_name(name: str) -> str:
    return name.split("(", 1)[0].split("（", 1)[0].strip()


# --- routing, deadlines, keys, repeats, rows ----------------------------------------------------


def _prepare(
    conn: Connection,
    batch: _Batch,
    located: LocatedBatch,
    context: _Context,
    options: ImportOptions,
    result: ImportResult,
    clock: _Stopwatch,
    report: OnStep,
) -> list[tuple[object, ...]]:
    """The rows to insert, in storage form; rows stored before or repeated in the sheet drop out."""
    with clock("deadline"):
        report("计算处置时限", 0, len(batch.error))
        deadlines = _deadlines(batch, context, options.tz)
    with clock("keys"):
        keys = _source_keys(batch, context)
        rows = _new_rows(conn, batch, keys, result)
        # Ids follow discovery time, so a repeat's link points at a row already written.
        rows = rows[np.argsort(batch.found[rows], kind="stable")]
    with clock("route"):
        departments = _route(batch, located, context, options.split, rows)
    with clock("repeats"):
        report("识别重复问题", 0, rows.size)
        first_id = queries.next_problem_id(conn)
        repeat_of = _repeats(conn, batch, context, rows, first_id)
        result.repeats = int(np.count_nonzero(repeat_of > 0))
    with clock("rows"):
        result.approximate = int(np.count_nonzero(batch.approximate[rows]))
        return _storage_rows(batch, located, context, rows, first_id, departments, deadlines, keys, repeat_of)


def _deadlines(batch: _Batch, context: _Context, tz: ZoneInfo) -> FloatArray:
    """The handling deadline of every good row on the working calendar (seconds since the epoch);
    rows whose year the calendar lacks are refused. Rows found at one moment share a computation."""
    out = np.full(batch.found.size, np.nan)
    memo: dict[tuple[float, int], float | str] = {}
    for i in batch.good.tolist():
        key = (float(batch.found[i]), int(batch.category[i]))
        if key not in memo:
            memo[key] = _deadline_of(key[0], context.minors[key[1]], context.calendar, tz)
        answer = memo[key]
        if isinstance(answer, str):
            batch.refuse([i], answer)
        else:
            out[i] = answer
    return out


def _deadline_of(found: float, category: Category, calendar: WorkCalendar, tz: ZoneInfo) -> float | str:
    if category.deadline_value is None or category.deadline_unit is None:
        return np.nan
    start = datetime.fromtimestamp(found, tz)
    try:
        return deadline(start, category.deadline_value, category.deadline_unit, calendar, tz).timestamp()
    except KaopingError as err:
        return f"无法计算处置时限: {err.message}"


def _source_keys(batch: _Batch, context: _Context) -> list[str | None]:
    """What a row says, hashed: channel, time, category, place (coordinates as typed, rounded, or
    the address) and description. The file's name and the row's position do not count."""
    keys: list[str | None] = [None] * batch.found.size
    for i in batch.good.tolist():
        if batch.approximate[i]:
            place = f"addr:{batch.address[i]}"
        else:
            place = (
                f"{batch.x[i]:.{COORDINATE_DECIMALS}f},{batch.y[i]:.{COORDINATE_DECIMALS}f},{batch.crs[i]}"
            )
        text = "|".join(
            (
                CHANNELS[batch.channel[i]].value,
                f"{batch.found[i]:.3f}",
                context.minors[batch.category[i]].code,
                place,
                batch.description[i],
            )
        )
        keys[i] = hashlib.blake2b(text.encode("utf-8"), digest_size=20).hexdigest()
    return keys


def _new_rows(conn: Connection, batch: _Batch, keys: list[str | None], result: ImportResult) -> IntArray:
    """Good rows not stored before and not a word-for-word copy of an earlier row of the sheet."""
    good = batch.good
    if good.size == 0:
        return good
    first, last = (
        datetime.fromtimestamp(float(f), UTC) for f in (batch.found[good].min(), batch.found[good].max())
    )
    stored = queries.stored_source_keys(conn, first, last)
    seen: set[str] = set()
    keep = []
    for i in good.tolist():
        key = keys[i]
        assert key is not None
        if key in stored:
            result.already_imported += 1
        elif key in seen:
            result.duplicates += 1
        else:
            seen.add(key)
            keep.append(i)
    return np.array(keep, dtype=np.int64)


def _route(
    batch: _Batch, located: LocatedBatch, context: _Context, split: LiabilitySplit, rows: IntArray
) -> dict[int, int | None]:
    """Responsible department per row (None: the territory answers, 属地兜底), routed once per
    (category, district): the department depends on nothing else."""
    answers: dict[tuple[int, int], int | None] = {}
    departments: dict[int, int | None] = {}
    for i in rows.tolist():
        pair = (int(batch.category[i]), int(located.district_id[i]))
        if pair not in answers:
            location = Location(located.grid_id[i], located.community_id[i], located.town_id[i], pair[1])  # type: ignore[arg-type]
            answers[pair] = route(context.minors[pair[0]], location, context.departments, split).department_id
        departments[i] = answers[pair]
    return departments


def _repeats(conn: Connection, batch: _Batch, context: _Context, rows: IntArray, first_id: int) -> IntArray:
    """Per row of ``rows``, the id of the earlier problem it repeats (0: none) — among the sheet's
    rows and the stored problems found within the rule's window before them."""
    if rows.size == 0:
        return np.zeros(0, dtype=np.int64)
    rule = context.rules.repeat_rule
    start = float(batch.found[rows].min()) - rule.window_seconds
    end = float(batch.found[rows].max())
    stored = queries.list_problems_between(
        conn, datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
    )
    key_of_id = _repeat_keys_by_category_id(context)
    new_keys = [
        key_of_id[context.category_ids[context.minors[c].code]] for c in batch.category[rows].tolist()
    ]
    old_keys = [key_of_id.get(int(c), f"?{c}") for c in stored.category_id.tolist()]
    lon = np.concatenate([stored.lon, batch.lon[rows]])
    lat = np.concatenate([stored.lat, batch.lat[rows]])
    x, y = context.index.projection.to_metric(lon, lat)
    found = np.concatenate([stored.found, batch.found[rows]])
    ids = np.concatenate([stored.id, first_id + np.arange(rows.size)])
    order = np.argsort(found, kind="stable")
    columns = RepeatColumns(
        x[order],
        y[order],
        found[order],
        np.array(old_keys + new_keys, dtype=object)[order].astype(str),
        np.concatenate([stored.closed, np.full(rows.size, np.nan)])[order],
        np.concatenate([stored.voided, np.zeros(rows.size, dtype=bool)])[order],
    )
    links = link_repeats(rule, columns)
    matched = np.where(links.repeat_of >= 0, ids[order][np.maximum(links.repeat_of, 0)], 0)
    by_position = np.zeros(found.size, dtype=np.int64)
    by_position[order] = matched
    return by_position[stored.id.size :]


def _repeat_keys_by_category_id(context: _Context) -> dict[int, str]:
    rules = context.rules
    keys = {}
    for c in context.minors:
        item = rules.item_of(c.code)
        if c.code in context.category_ids:
            keys[context.category_ids[c.code]] = rules.repeat_rule.key_of(c, item.code if item else None)
    return keys


def _storage_rows(
    batch: _Batch,
    located: LocatedBatch,
    context: _Context,
    rows: IntArray,
    first_id: int,
    departments: dict[int, int | None],
    deadlines: FloatArray,
    keys: list[str | None],
    repeat_of: IntArray,
) -> list[tuple[object, ...]]:
    """Rows shaped like ``BULK_COLUMNS`` (storage form: UTC text times, 0/1 flags)."""
    assert BULK_COLUMNS[-2:] == ("source_key", "location_approximate")
    high = {(c, ch): context.rules.is_high_score(context.minors[c].code, CHANNELS[ch]) for c, ch in
            set(zip(batch.category[rows].tolist(), batch.channel[rows].tolist(), strict=True))}  # fmt: skip
    found_t, deadline_t = _utc_text(batch.found[rows]), _utc_text(deadlines[rows])
    reported = ProblemStatus.REPORTED.value
    out: list[tuple[object, ...]] = []
    for k, i in enumerate(rows.tolist()):
        cat, ch, road = int(batch.category[i]), int(batch.channel[i]), int(located.road_id[i])
        distance = float(located.road_distance_m[i])
        out.append(
            (
                first_id + k, CHANNELS[ch].value, context.category_ids[context.minors[cat].code], found_t[k],
                float(batch.lon[i]), float(batch.lat[i]), float(batch.x[i]), float(batch.y[i]), batch.crs[i],
                _description(batch, i), int(located.grid_id[i]), int(located.community_id[i]),
                int(located.town_id[i]), int(located.district_id[i]), road if road >= 0 else None,
                round(distance, 1) if road >= 0 else None, departments[i], reported, deadline_t[k], None,
                1 if repeat_of[k] else 0, int(repeat_of[k]) or None, 0, int(high[(cat, ch)]), keys[i],
                int(batch.approximate[i]),
            )
        )  # fmt: skip
    return out


def _description(batch: _Batch, i: int) -> str:
    text = batch.description[i]
    if batch.approximate[i]:  # the address is the only record of where it was
        return f"{text} (地址: {batch.address[i]})".strip()
    return text


def _utc_text(seconds: FloatArray) -> list[str | None]:
    finite = np.isfinite(seconds)
    micros = np.where(finite, np.round(seconds * 1e6), 0).astype(np.int64)
    text = np.datetime_as_string(micros.astype("datetime64[us]"), unit="us")
    return [s.replace("T", " ") if ok else None for s, ok in zip(text.tolist(), finite.tolist(), strict=True)]


# --- reporting ------------------------------------------------------------------------------------


def _finish(sheet: ProblemSheet, batch: _Batch, options: ImportOptions, result: ImportResult) -> None:
    bad = {i: e for i, e in enumerate(batch.error) if e is not None}
    result.errors = [RowError(int(sheet.row_numbers[i]), e) for i, e in bad.items()]
    if bad and options.write_errors:
        result.error_sheet = str(write_error_sheet(sheet, bad))


def _counting(rows: list[tuple[object, ...]], total: int, report: OnStep) -> Iterator[tuple[object, ...]]:
    report("写入数据库", 0, total)
    for done, row in enumerate(rows, start=1):
        if done % 20_000 == 0:
            report("写入数据库", done, total)
        yield row
    report("写入数据库", total, total)


@contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic garbage collector off while millions of row tuples are built and written: none of
    them form cycles, and its full passes over them cost more than building them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Stopwatch:
    def __init__(self, result: ImportResult) -> None:
        self._result = result

    def __call__(self, name: str) -> _Stopwatch:
        self._name = name
        return self

    def __enter__(self) -> None:
        self._start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        spent = time.perf_counter() - self._start
        self._result.seconds[self._name] = self._result.seconds.get(self._name, 0.0) + spent
