"""A problem import's rows in storage form: the source key that makes an import idempotent, and the
tuples ``kaoping.db.problems.bulk_insert_problems`` writes."""

from __future__ import annotations

import hashlib

import numpy as np

from kaoping.db.problems import BULK_COLUMNS
from kaoping.domain.problems import ProblemStatus
from kaoping.geo.index import LocatedBatch
from kaoping.wiring.problem_batch import CHANNELS, FloatArray, ImportContext, IntArray, ProblemBatch

COORDINATE_DECIMALS = 6  # ~0.1 m: the precision a source key compares coordinates at


def source_keys(batch: ProblemBatch, context: ImportContext) -> list[str | None]:
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


def storage_rows(
    batch: ProblemBatch,
    located: LocatedBatch,
    context: ImportContext,
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


def _description(batch: ProblemBatch, i: int) -> str:
    text = batch.description[i]
    if batch.approximate[i]:  # the address is the only record of where it was
        return f"{text} (地址: {batch.address[i]})".strip()
    return text


def _utc_text(seconds: FloatArray) -> list[str | None]:
    finite = np.isfinite(seconds)
    micros = np.where(finite, np.round(seconds * 1e6), 0).astype(np.int64)
    text = np.datetime_as_string(micros.astype("datetime64[us]"), unit="us")
    return [s.replace("T", " ") if ok else None for s, ok in zip(text.tolist(), finite.tolist(), strict=True)]
