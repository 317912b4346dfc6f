"""What every step of a problem import shares: the sheet's rows as columns (``ProblemBatch``) and
what each row is checked against, loaded once (``ImportContext``).

A step refuses a row by giving it a Chinese reason; later steps only see the rows still good.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from kaoping.domain.calendar import WorkCalendar
from kaoping.domain.categories import Category, CategoryTree
from kaoping.domain.problems import Channel
from kaoping.domain.routing import DepartmentDirectory
from kaoping.domain.scoring import ScoringRules
from kaoping.geo.addresses import RoadBook
from kaoping.geo.index import GeoIndex

CHANNELS = list(Channel)
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class ImportContext:
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
    roads: RoadBook


@dataclass
class ProblemBatch:
    """The sheet's rows as columns; ``error`` holds the first reason a row was refused (None: good)."""

    found: FloatArray  # seconds since the epoch, UTC
    category: IntArray  # index into ImportContext.minors
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


def pair_groups(a: IntArray, b: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct (a, b) pairs of non-empty columns, as the position of each one's first row, and
    each row's pair number: one sort of integer codes (numpy's row-wise unique is far slower)."""
    code = (a - a.min()) * (int(b.max() - b.min()) + 1) + (b - b.min())
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)
