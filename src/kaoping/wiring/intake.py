"""The intake desk built from the database and the geography: the locator over every boundary
version, the local projection the repeat rule measures in, cached calendar, departments and the
names a stored problem is answered with.

Building it reads every grid and road (a second or more for a big city), so a server builds it once
and keeps it (``IntakeDesks``); the calendar, departments and names inside refresh themselves.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from pathlib import Path

from sqlalchemy import Engine

from kaoping.db import reference
from kaoping.db.intake import (
    ProblemView,
    SqlCalendarSource,
    SqlDepartmentSource,
    SqlIntakeUnitOfWork,
    SqlNameSource,
    get_problem,
    intake_view,
    stored_photo_paths,
)
from kaoping.domain.errors import KaopingError
from kaoping.geo.crs import coordinate_to_wgs84
from kaoping.geo.index import GeoIndex
from kaoping.io.photos import discard_photos, keep_photo
from kaoping.io.seeds import load_categories, load_scheme
from kaoping.services.intake import Intake, IntakeDesk, IntakeError, ProblemReport, report_problem
from kaoping.services.ports import PhotoRecord
from kaoping.wiring import load_index


def build_desk(engine: Engine, tz: tzinfo, road_snap_m: float) -> IntakeDesk:
    """An intake desk over what ``engine`` holds now."""
    with engine.connect() as conn:
        if not reference.list_grid_rows(conn, include_history=True):
            raise KaopingError(
                "尚无单元网格边界, 无法受理问题: 请先导入网格 (kaoping geo import) 或运行 kaoping demo"
            )
        index = load_index(conn, road_snap_m, include_history=True)
    return desk_for(index, engine, tz)


@dataclass(frozen=True)
class ServedDesk(IntakeDesk):
    """The intake desk with the cached names intake answers with, so a report is not read back."""

    names: SqlNameSource | None = None


def desk_for(index: GeoIndex, engine: Engine, tz: tzinfo) -> ServedDesk:
    """An intake desk around an index already built."""
    projection = index.projection

    def to_metric(lon: float, lat: float) -> tuple[float, float]:
        x, y = projection.to_metric([lon], [lat])
        return float(x[0]), float(y[0])

    names = SqlNameSource(engine)
    return ServedDesk(
        locator=index,
        to_wgs84=coordinate_to_wgs84,
        to_metric=to_metric,
        categories=load_categories(),
        rules=load_scheme().rules,
        calendar=SqlCalendarSource(engine),
        departments=SqlDepartmentSource(engine),
        tz=tz,
        category_ids=names.category_ids,
        names=names,
    )


class IntakeDesks:
    """One desk per process, built on first use (a server may start before the city is loaded)."""

    def __init__(self, engine: Engine, tz: tzinfo, road_snap_m: float) -> None:
        self._engine, self._tz, self._snap = engine, tz, road_snap_m
        self._desk: IntakeDesk | None = None
        self._lock = threading.Lock()

    def get(self) -> IntakeDesk:
        if self._desk is None:
            with self._lock:
                if self._desk is None:
                    self._desk = build_desk(self._engine, self._tz, self._snap)
        return self._desk

    def reset(self) -> None:
        """Forget the desk: the next report rebuilds it (after boundaries changed)."""
        self._desk = None


def shared_desks(holder: object, engine: Engine, tz: tzinfo, road_snap_m: float) -> IntakeDesks:
    """The desks kept on ``holder`` (an application's state), made on first use."""
    desks = getattr(holder, "intake_desks", None)
    if desks is None:
        desks = IntakeDesks(engine, tz, road_snap_m)
        setattr(holder, "intake_desks", desks)  # noqa: B010 — holder is any attribute bag
    return desks


@dataclass(frozen=True, slots=True)
class Upload:
    """A file sent with a report, as the entry point received it."""

    filename: str
    data: bytes


def receive_report(
    engine: Engine,
    desk: IntakeDesk,
    report: ProblemReport,
    *,
    at: datetime,
    uploads: Sequence[Upload] = (),
    photo_dir: Path | None = None,
) -> tuple[Intake, ProblemView]:
    """Keep the photos, file the report, and answer with the stored problem as people read it. Photos
    of a refused report are removed again."""
    photos: list[PhotoRecord] = []
    try:
        for upload in uploads:
            if photo_dir is None:
                raise IntakeError("此入口不接受照片", "photo")
            photos.append(keep_photo(photo_dir, upload.data, upload.filename, desk.tz, at))
        intake = report_problem(SqlIntakeUnitOfWork(engine), desk, replace(report, photos=photos), at=at)
    except Exception:
        if photo_dir is not None:
            discard_photos(photo_dir, _unshared(engine, photos))
        raise
    return intake, _stored_view(engine, desk, intake, photos)


def _stored_view(engine: Engine, desk: IntakeDesk, intake: Intake, photos: list[PhotoRecord]) -> ProblemView:
    """Built from what intake computed and the desk's cached names; read back only from a desk
    without names, or when a name is not cached yet (a boundary imported since)."""
    names = desk.names if isinstance(desk, ServedDesk) else None
    if names is not None:
        try:
            return intake_view(names.names(), intake, photos)
        except KeyError:
            pass
    with engine.connect() as conn:
        return get_problem(conn, intake.problem_id)


def _unshared(engine: Engine, photos: list[PhotoRecord]) -> list[PhotoRecord]:
    """The kept photos no stored problem refers to (the same photo sent twice is one file)."""
    if not photos:
        return []
    with engine.connect() as conn:
        used = stored_photo_paths(conn, [p.path for p in photos])
    return [p for p in photos if p.path not in used]
