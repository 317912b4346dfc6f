"""Which version of a grid or road was in force on a day: validity periods as day numbers (days since
1970-01-01), so filtering a chunk's (point, record) pairs by day is two integer comparisons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

IntArray = NDArray[np.int64]

OPEN_START = np.iinfo(np.int64).min
OPEN_END = np.iinfo(np.int64).max
NOW = OPEN_END - 1
"""The day number that stands for "now": later than every real day, so only open versions
(``valid_to`` None) are in force on it."""

DateLike = date | np.datetime64
AtLike = DateLike | ArrayLike | None
"""When points were seen: None (now), one day for all, or one day per point (NaT: now)."""


class Dated(Protocol):
    """A record (grid or road version) with the days it was in force; None for open."""

    @property
    def valid_from(self) -> date | None: ...  # inclusive

    @property
    def valid_to(self) -> date | None: ...  # exclusive


@dataclass(frozen=True)
class Versions:
    """When each record of an index was in force, as day numbers (from inclusive, to exclusive)."""

    start: IntArray
    end: IntArray
    has_ended: bool  # some record is closed: "now" must filter too

    @classmethod
    def of(cls, records: Sequence[Dated]) -> Versions:
        start = np.array([_day(r.valid_from, OPEN_START) for r in records], dtype=np.int64)
        end = np.array([_day(r.valid_to, OPEN_END) for r in records], dtype=np.int64)
        return cls(start, end, bool((end != OPEN_END).any()))

    def in_force(self, record_i: IntArray, days: IntArray | None) -> NDArray[np.bool_] | None:
        """Which pairs have their record in force on their point's day; None when all of them do."""
        if days is None:
            return (self.end[record_i] == OPEN_END) if self.has_ended else None
        return (self.start[record_i] <= days) & (days < self.end[record_i])


def at_days(at: AtLike, n: int) -> IntArray | None:
    """Day numbers (days since 1970-01-01) for ``n`` points; None when every point means "now".

    A datetime counts as the day its own clock shows (no timezone conversion): pass the local day
    when a problem was found. Bulk callers should pass ``datetime64[D]`` arrays (NaT: now)."""
    if at is None:
        return None
    if isinstance(at, date | np.datetime64):
        return np.full(n, _day(at, NOW), dtype=np.int64)
    values = np.asarray(at)
    if values.shape != (n,):
        raise ValueError(f"at must be one day or one day per point ({n}), got shape {values.shape}")
    if values.dtype == object:  # dates, datetimes, None: one by one, as numpy refuses aware datetimes
        return np.array([_day(v, NOW) for v in values.tolist()], dtype=np.int64)
    days = values.astype("datetime64[D]")
    return np.where(np.isnat(days), NOW, days.astype(np.int64))


def _day(value: Any, missing: int) -> int:
    """The day number of a date, datetime (its own calendar day) or datetime64; ``missing`` for none."""
    if isinstance(value, datetime):
        value = value.date()
    if value is None:
        return missing
    day = np.datetime64(value, "D")
    return missing if np.isnat(day) else int(day.astype(np.int64))
