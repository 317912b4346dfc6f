"""A problem import's rows in storage form: the source key that makes an import idempotent, and the
tuples ``kaoping.db.problems.bulk_insert_problems`` writes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from kaoping.db.problems import BULK_COLUMNS
from kaoping.domain.problems import ProblemStatus
from kaoping.geo.index import LocatedBatch
from kaoping.wiring.problem_batch import (
    CHANNELS,
    FloatArray,
    ImportContext,
    IntArray,
    ProblemBatch,
    pair_groups,
)

COORDINATE_DECIMALS = 6  # ~0.1 m: the precision a source key compares coordinates at


def source_keys(batch: ProblemBatch, context: ImportContext) -> list[str | None]:
    """What a row says, hashed: channel, time, category, place (coordinates as typed, rounded, or
    the address) and description. The file's name and the row's position do not count.

    Columns are taken as Python lists first: formatting numpy scalars one by one costs twice as much."""
    keys: list[str | None] = [None] * batch.found.size
    good = batch.good
    columns = zip(
        good.tolist(),
        _pick([c.value for c in CHANNELS], batch.channel[good]),
        batch.found[good].tolist(),
        _pick([c.code for c in context.minors], batch.category[good]),
        batch.x[good].tolist(),
        batch.y[good].tolist(),
        _pick(batch.crs, good),
        _pick(batch.address, good),
        batch.approximate[good].tolist(),
        _pick(batch.description, good),
        strict=True,
    )
    d = COORDINATE_DECIMALS
    for i, channel, found, code, x, y, crs, address, approximate, description in columns:
        place = f"addr:{address}" if approximate else f"{x:.{d}f},{y:.{d}f},{crs}"
        text = f"{channel}|{found:.3f}|{code}|{place}|{description}"
        keys[i] = hashlib.blake2b(text.encode("utf-8"), digest_size=20).hexdigest()
    return keys


def storage_rows(
    batch: ProblemBatch,
    located: LocatedBatch,
    context: ImportContext,
    rows: IntArray,
    first_id: int,
    department_id: list[int | None],
    times: RowTimes,
    keys: list[str | None],
    repeat_of: IntArray,
) -> list[tuple[object, ...]]:
    """Rows shaped like ``BULK_COLUMNS`` (storage form: UTC text times, 0/1 flags), built column by
    column: a row costs its tuple, not a Python loop over its fields."""
    category, channel = batch.category[rows], batch.channel[rows]
    road = located.road_id[rows]
    distance = np.round(located.road_distance_m[rows], 1)
    columns: dict[str, Iterable[object]] = {
        "id": range(first_id, first_id + rows.size),
        "channel": np.array([c.value for c in CHANNELS], dtype=object)[channel].tolist(),
        "category_id": _category_ids(context)[category].tolist(),
        "found_at": times.found,
        "lon": batch.lon[rows].tolist(),
        "lat": batch.lat[rows].tolist(),
        "orig_x": batch.x[rows].tolist(),
        "orig_y": batch.y[rows].tolist(),
        "orig_crs": _pick(batch.crs, rows),
        "description": _descriptions(batch, rows),
        "grid_id": located.grid_id[rows].tolist(),
        "community_id": located.community_id[rows].tolist(),
        "town_id": located.town_id[rows].tolist(),
        "district_id": located.district_id[rows].tolist(),
        "road_id": _or_none(road, road >= 0),
        "road_distance_m": _or_none(distance, road >= 0),
        "department_id": department_id,
        "status": repeat(ProblemStatus.REPORTED.value),
        "deadline_at": times.deadline,
        "closed_at": repeat(None),
        "is_repeat": (repeat_of > 0).astype(np.int64).tolist(),
        "repeat_of_id": _or_none(repeat_of, repeat_of > 0),
        "is_overdue": repeat(0),
        "is_high_score": _high_score(context, category, channel).tolist(),
        "source_key": _pick(keys, rows),
        "location_approximate": batch.approximate[rows].astype(np.int64).tolist(),
    }
    return list(zip(*(columns[name] for name in BULK_COLUMNS)))  # noqa: B905 — repeat() is endless


@dataclass(frozen=True)
class RowTimes:
    """The stored rows' discovery times and deadlines in storage form."""

    found: list[str | None]
    deadline: list[str | None]


def row_times(batch: ProblemBatch, deadlines: FloatArray, rows: IntArray) -> RowTimes:
    return RowTimes(_utc_text(batch.found[rows]), _utc_text(deadlines[rows]))


def _category_ids(context: ImportContext) -> IntArray:
    """Stored category id by index into ``context.minors`` (-1: not stored; such rows were refused)."""
    return np.array([context.category_ids.get(c.code, -1) for c in context.minors], dtype=np.int64)


def _high_score(context: ImportContext, category: IntArray, channel: IntArray) -> IntArray:
    """1 where the scheme calls a (category, channel) high-score, decided once per pair."""
    if category.size == 0:
        return np.zeros(0, dtype=np.int64)
    first, inverse = pair_groups(category, channel)
    pairs = zip(category[first].tolist(), channel[first].tolist(), strict=True)
    answers = [int(context.rules.is_high_score(context.minors[c].code, CHANNELS[ch])) for c, ch in pairs]
    return np.array(answers, dtype=np.int64)[inverse]


def _or_none(values: NDArray[Any], present: NDArray[np.bool_]) -> list[object]:
    """The values as Python numbers, None where not ``present``."""
    out = values.astype(object)
    out[~present] = None
    return out.tolist()  # type: ignore[no-any-return]


def _pick(values: list[Any], rows: IntArray) -> list[Any]:
    """``values`` at ``rows``, taken by numpy rather than a Python loop."""
    return np.array(values, dtype=object)[rows].tolist()  # type: ignore[no-any-return]


def _descriptions(batch: ProblemBatch, rows: IntArray) -> list[str]:
    """Descriptions as stored: a row placed from its address keeps the address in it, the only
    record of where it was."""
    out = np.array(batch.description, dtype=object)[rows]
    for k in np.flatnonzero(batch.approximate[rows]).tolist():
        out[k] = f"{out[k]} (地址: {batch.address[rows[k]]})".strip()
    return out.tolist()  # type: ignore[no-any-return]


def _utc_text(seconds: FloatArray) -> list[str | None]:
    """Seconds since the epoch as the UTC text ``types.utc_text`` writes, None where not finite."""
    finite = np.isfinite(seconds)
    micros = pl.Series(np.where(finite, np.round(seconds * 1e6), 0).astype(np.int64)).cast(pl.Datetime("us"))
    text = pl.when(pl.Series(finite)).then(micros.dt.strftime("%Y-%m-%d %H:%M:%S%.6f"))
    return pl.select(text).to_series().to_list()
