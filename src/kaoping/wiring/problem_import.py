"""Importing a sheet of problems: parse → check each row → WGS84 → locate → route → deadline →
repeats → high-score flag → photos → one insert of the problems, their photos and what follows
each (a case, or a third-party finding).

A bad row never stops the good ones: each check marks the rows it refuses with a Chinese reason,
later steps only see the rows still good, and the bad rows go back to the user in an error sheet
next to the input. Every good row gets a source key (a hash of what the row says, not of the file),
so importing the same sheet again adds nothing. All rows are written in one transaction: an import
that fails or is interrupted leaves nothing behind.

The steps live by noun: ``problem_checks`` checks each row, ``problem_locations`` places it (rows
with only an address 道路 + 参照物 on the road they name, ``kaoping.geo.addresses``, marked
approximate), ``problem_routing`` routes it, ``problem_repeats`` links repeats, ``problem_photos``
finds its photos in the zip next to the sheet and keeps them, ``problem_rows`` builds source keys
and storage rows and ``problem_follow_ups`` the rows of the case or finding each problem opens; this
module loads what rows are checked against, computes deadlines, and owns the transaction (photo
files written for an import that fails are removed again).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection, Engine

from kaoping.db import problem_import as queries
from kaoping.db import reference
from kaoping.db.calendar import load_calendar
from kaoping.db.problems import bulk_insert_problems
from kaoping.domain.categories import Category
from kaoping.domain.ids import UnitId
from kaoping.domain.problems import Channel
from kaoping.domain.routing import DepartmentDirectory, LiabilitySplit
from kaoping.geo.addresses import RoadBook
from kaoping.geo.index import LocatedBatch
from kaoping.io.photo_zips import PhotoZip
from kaoping.io.photos import discard_photos
from kaoping.io.problem_sheets import ProblemSheet, load_profile, read_problem_sheet, write_error_sheet
from kaoping.io.seeds import load_categories, load_channels, load_scheme
from kaoping.wiring import load_index
from kaoping.wiring.deadline_batch import (
    Limit,
    WorkingTimeline,
    due_times_by_limit,
    epoch_micros,
    epoch_seconds,
)
from kaoping.wiring.problem_batch import FloatArray, ImportContext, IntArray, ProblemBatch
from kaoping.wiring.problem_checks import check_rows
from kaoping.wiring.problem_follow_ups import open_follow_ups
from kaoping.wiring.problem_locations import place_rows
from kaoping.wiring.problem_photos import RowPhotos, find_photo_zip, keep_row_photos, name_photos, photo_rows
from kaoping.wiring.problem_repeats import find_repeats
from kaoping.wiring.problem_routing import Routes, route_rows
from kaoping.wiring.problem_rows import row_times, source_keys, storage_rows

OnStep = Callable[[str, int, int], None]
"""Progress: (step label, units done, units in the step)."""


@dataclass(frozen=True)
class ImportOptions:
    """How to read a sheet: the vendor profile, and the coordinate system and channel of rows that
    do not say (None: the profile's); the zip of photos (None: one named like the sheet next to
    it, if any) and the folder photos are kept in."""

    profile: str = "default"
    crs: str | None = None
    channel: str | None = None
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    road_snap_m: float = 50.0
    split: LiabilitySplit = field(default_factory=LiabilitySplit)
    write_errors: bool = True
    photos: Path | None = None
    photo_dir: Path | None = None


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
    cases: int = 0  # cases opened (every channel but third-party testing)
    findings: int = 0  # third-party findings opened
    photos: int = 0  # photos linked to the imported problems
    photo_zip: str | None = None
    errors: list[RowError] = field(default_factory=list)
    error_sheet: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def import_problem_sheet(
    engine: Engine,
    path: Path,
    options: ImportOptions,
    on_step: OnStep | None = None,
    *,
    at: datetime | None = None,
) -> ImportResult:
    """Import every good row of the sheet at ``path`` in one transaction; report the bad ones.
    ``at`` is when the import runs (photos are kept under its month)."""
    result = ImportResult(file=str(path))
    run = _Import(engine, options, result, on_step or (lambda _label, _done, _total: None), at)
    zip_path = find_photo_zip(path, options.photos)
    result.photo_zip = None if zip_path is None else str(zip_path)
    # A zip that cannot be opened is refused before anything is read.
    with _open_zip(zip_path) as archive:
        sheet, batch, located, photos = run.check(path, archive)
        try:
            run.store(batch, located, photos)
        except BaseException:
            run.discard(photos)
            raise
    _finish(sheet, batch, options, result)
    return result


def _open_zip(path: Path | None) -> AbstractContextManager[PhotoZip | None]:
    return nullcontext() if path is None else PhotoZip(path)


class _Import:
    """One import's steps and what they share."""

    def __init__(
        self,
        engine: Engine,
        options: ImportOptions,
        result: ImportResult,
        report: OnStep,
        at: datetime | None,
    ) -> None:
        self.engine, self.options, self.result, self.report = engine, options, result, report
        self.at = at or datetime.now(UTC)
        self.clock = _Stopwatch(result)

    def check(
        self, path: Path, archive: PhotoZip | None
    ) -> tuple[ProblemSheet, ProblemBatch, LocatedBatch, RowPhotos]:
        """Read the sheet, check every row and place the good ones."""
        options, clock, report = self.options, self.clock, self.report
        with clock("read"):
            report("读取表格", 0, 1)
            profile = load_profile(options.profile)
            sheet = read_problem_sheet(path, profile)
            self.result.rows = len(sheet)
        with clock("context"), self.engine.connect() as conn:
            self.context = _load_context(conn, options)
        with clock("parse"):
            report("校验各行", 0, len(sheet))
            crs, channel = options.crs or profile.crs, options.channel or profile.channel
            batch = check_rows(sheet, self.context, options.tz, crs, channel)
            photos = name_photos(sheet, batch, archive)
        with clock("locate"):
            report("定位网格", 0, len(sheet))
            located = place_rows(batch, self.context, options.tz)
        return sheet, batch, located, photos

    def store(self, batch: ProblemBatch, located: LocatedBatch, photos: RowPhotos) -> None:
        """Write the new rows, their photos and their cases or findings: all of it or nothing."""
        clock, report, result = self.clock, self.report, self.result
        with self.engine.begin() as conn, queries.bulk_write(conn), _no_gc():
            stored = self._prepare(conn, batch, located, photos)
            with clock("insert"):
                rows = stored.problem_rows
                result.imported = bulk_insert_problems(conn, _counting(rows, len(rows), report))
            with clock("follow-up"):
                report("开立案件与测评问题", 0, stored.rows.size)
                ids = range(stored.first_id, stored.first_id + stored.rows.size)
                result.cases, result.findings = open_follow_ups(conn, ids, self.at, stored.routes.answers)
            with clock("photos"):
                result.photos = queries.bulk_insert_photos(
                    conn, photo_rows(photos, stored.rows, stored.first_id)
                )

    def _prepare(
        self, conn: Connection, batch: ProblemBatch, located: LocatedBatch, photos: RowPhotos
    ) -> _Stored:
        """The rows to insert, in storage form; rows stored before, repeated in the sheet or with a
        file that is not a photo drop out."""
        clock, report, context, options = self.clock, self.report, self.context, self.options
        with clock("deadline"):
            report("计算处置时限", 0, len(batch.error))
            deadlines = _deadlines(batch, context, options.tz)
        with clock("keys"):
            keys = source_keys(batch, context)
            rows = _new_rows(conn, batch, keys, self.result)
        with clock("photos"):
            report("保存照片", 0, rows.size)
            rows = keep_row_photos(photos, batch, rows, options.photo_dir, options.tz, self.at)
        # Ids follow discovery time, so a repeat's link points at a row already written.
        rows = rows[np.argsort(batch.found[rows], kind="stable")]
        with clock("route"):
            routes = route_rows(batch, located, context, options.split, rows)
        with clock("repeats"):
            report("识别重复问题", 0, rows.size)
            first_id = queries.next_problem_id(conn)
            repeat_of = find_repeats(conn, batch, context, rows, first_id)
            self.result.repeats = int(np.count_nonzero(repeat_of > 0))
        with clock("rows"):
            self.result.approximate = int(np.count_nonzero(batch.approximate[rows]))
            times = row_times(batch, deadlines, rows)
            problem_rows = storage_rows(
                batch, located, context, rows, first_id, routes.department_id, times, keys, repeat_of
            )
        return _Stored(rows, first_id, routes, problem_rows)

    def discard(self, photos: RowPhotos) -> None:
        """Remove the photo files this import wrote that no stored problem refers to."""
        folder = self.options.photo_dir
        if folder is None or not photos.written:
            return
        with self.engine.connect() as conn:
            used = queries.referenced_photo_paths(conn, [p.path for p in photos.written])
        discard_photos(folder, [p for p in photos.written if p.path not in used])


@dataclass(frozen=True)
class _Stored:
    """The rows about to be stored (positions in the sheet, by discovery time) and their ids from
    ``first_id`` on, with how they were routed and their problems in storage form."""

    rows: IntArray
    first_id: int
    routes: Routes
    problem_rows: list[tuple[object, ...]]


# --- loading --------------------------------------------------------------------------------------


def _load_context(conn: Connection, options: ImportOptions) -> ImportContext:
    tree = load_categories()
    minors = tree.minors()
    channels: dict[str, Channel] = {c.value: c for c in Channel}
    channels.update({spec.name: spec.code for spec in load_channels()})
    directory = {(f, UnitId(d) if d is not None else None): i for (f, d), i in _departments(conn)}
    return ImportContext(
        tree=tree,
        minors=minors,
        minor_index={c.code: i for i, c in enumerate(minors)},
        category_ids=reference.category_ids(conn),
        channels=channels,
        rules=load_scheme().rules,
        calendar=load_calendar(conn),
        departments=DepartmentDirectory(directory),  # type: ignore[arg-type]
        index=load_index(conn, options.road_snap_m, include_history=True),
        roads=RoadBook(queries.list_named_roads(conn)),
    )


def _departments(conn: Connection) -> Iterator[tuple[tuple[str, int | None], int]]:
    return iter(reference.department_ids_by_field(conn).items())


# --- deadlines and new rows -----------------------------------------------------------------------


def _deadlines(batch: ProblemBatch, context: ImportContext, tz: ZoneInfo) -> FloatArray:
    """The handling deadline of every good row on the working calendar (seconds since the epoch,
    NaN for a category without one), all rows at once; rows whose count needs a year the calendar
    lacks are refused."""
    out = np.full(batch.found.size, np.nan)
    good = batch.good
    limits = [_limit_of(c) for c in context.minors]
    timeline = WorkingTimeline.build(context.calendar, tz)
    times = due_times_by_limit(timeline, epoch_micros(batch.found[good]), batch.category[good], limits)
    out[good[times.computed]] = epoch_seconds(times.due[times.computed])
    for row in np.flatnonzero(times.missing_year).tolist():
        batch.refuse([good[row]], f"无法计算处置时限: {times.refusal(row)}")
    return out


def _limit_of(category: Category) -> Limit | None:
    if category.deadline_value is None or category.deadline_unit is None:
        return None
    return category.deadline_value, category.deadline_unit


def _new_rows(
    conn: Connection, batch: ProblemBatch, keys: list[str | None], result: ImportResult
) -> IntArray:
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


# --- reporting ------------------------------------------------------------------------------------


def _finish(sheet: ProblemSheet, batch: ProblemBatch, options: ImportOptions, result: ImportResult) -> None:
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
