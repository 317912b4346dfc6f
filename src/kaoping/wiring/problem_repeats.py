"""Repeats among a problem import's rows: ``kaoping.geo.repeats.link_repeats`` over the sheet's new
rows together with the stored problems found within the scheme's repeat window before them."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Connection

from kaoping.db import problem_import as queries
from kaoping.geo.repeats import RepeatColumns, link_repeats
from kaoping.wiring.problem_batch import FloatArray, ImportContext, IntArray, ProblemBatch


def find_repeats(
    conn: Connection, batch: ProblemBatch, context: ImportContext, rows: IntArray, first_id: int
) -> IntArray:
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
    found = np.concatenate([stored.found, batch.found[rows]])
    ids = np.concatenate([stored.id, first_id + np.arange(rows.size)])
    order = np.argsort(found, kind="stable")
    links = link_repeats(rule, _repeat_columns(batch, context, rows, stored, found, order))
    matched = np.where(links.repeat_of >= 0, ids[order][np.maximum(links.repeat_of, 0)], 0)
    by_position = np.zeros(found.size, dtype=np.int64)
    by_position[order] = matched
    return by_position[stored.id.size :]


def _repeat_columns(
    batch: ProblemBatch,
    context: ImportContext,
    rows: IntArray,
    stored: queries.StoredProblems,
    found: FloatArray,
    order: IntArray,
) -> RepeatColumns:
    """The stored problems then the sheet's ``rows``, taken in ``order`` (by discovery time)."""
    key_of_id = _repeat_keys_by_category_id(context)
    new_keys = [
        key_of_id[context.category_ids[context.minors[c].code]] for c in batch.category[rows].tolist()
    ]
    old_keys = [key_of_id.get(int(c), f"?{c}") for c in stored.category_id.tolist()]
    lon = np.concatenate([stored.lon, batch.lon[rows]])
    lat = np.concatenate([stored.lat, batch.lat[rows]])
    x, y = context.index.projection.to_metric(lon, lat)
    return RepeatColumns(
        x[order],
        y[order],
        found[order],
        np.array(old_keys + new_keys, dtype=object)[order].astype(str),
        np.concatenate([stored.closed, np.full(rows.size, np.nan)])[order],
        np.concatenate([stored.voided, np.zeros(rows.size, dtype=bool)])[order],
    )


def _repeat_keys_by_category_id(context: ImportContext) -> dict[int, str]:
    rules = context.rules
    keys = {}
    for c in context.minors:
        item = rules.item_of(c.code)
        if c.code in context.category_ids:
            keys[context.category_ids[c.code]] = rules.repeat_rule.key_of(c, item.code if item else None)
    return keys
