"""The cell raster that finds a point's candidate grids without a tree query: square cells about one
grid wide, each listing the grids whose bounding box reaches into it, so a point's candidates are
the grids of its cell — a division and a lookup, for a whole chunk of points at once."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from kaoping.geo.candidates import NONE, Candidates, IntArray, row_starts

FloatArray = NDArray[np.float64]

MAX_BUCKETS = 4_000_000
"""Cells of the grid lookup raster at most (32 MB of row starts); past that the cells grow."""


@dataclass(frozen=True)
class Buckets:
    """A raster of square cells about one grid wide; each cell lists the grids whose (tolerance-widened)
    bounding box reaches into it."""

    x0: float
    y0: float
    size: float
    nx: int
    ny: int
    grids: Candidates

    @classmethod
    def of(cls, boxes: FloatArray, min_size: float) -> Buckets:
        """Cells as wide as the typical grid box (wider when that would make more than
        ``MAX_BUCKETS``, never narrower than ``min_size`` metres): a point has a handful of
        candidates, and a grid is listed in a few cells."""
        ok = np.flatnonzero(np.isfinite(boxes).all(axis=1))  # an empty geometry has no box
        no_grids = Candidates(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64))
        if ok.size == 0:
            return cls(0.0, 0.0, 1.0, 0, 0, no_grids)
        box = boxes[ok]
        x0, y0 = float(box[:, 0].min()), float(box[:, 1].min())
        width, height = float(box[:, 2].max()) - x0, float(box[:, 3].max()) - y0
        typical = float(np.median(np.maximum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1])))
        size = max(typical, math.sqrt(width * height / MAX_BUCKETS), min_size)
        layout = cls(
            x0, y0, size, int(np.floor(width / size)) + 1, int(np.floor(height / size)) + 1, no_grids
        )
        box_i, cell = layout._cover(box)
        order = np.argsort(cell, kind="stable")
        return replace(
            layout, grids=Candidates(row_starts(cell[order], layout.nx * layout.ny), ok[box_i[order]])
        )

    def _cover(self, box: FloatArray) -> tuple[IntArray, IntArray]:
        """(box, cell) for every cell each box reaches into."""
        col0, row0 = self._column(box[:, 0]), self._row(box[:, 1])
        col1, row1 = self._column(box[:, 2]), self._row(box[:, 3])
        width = col1 - col0 + 1
        count = width * (row1 - row0 + 1)
        box_i = np.repeat(np.arange(box.shape[0]), count)
        k = np.arange(box_i.size) - np.repeat(np.cumsum(count) - count, count)
        return box_i, (row0[box_i] + k // width[box_i]) * self.nx + col0[box_i] + k % width[box_i]

    # Boxes and points go through the same arithmetic, so a point on a box's edge falls in one of
    # the box's cells (float floor division could round differently from floor of the quotient).
    def _column(self, x: FloatArray) -> IntArray:
        return np.floor((x - self.x0) / self.size).astype(np.int64)

    def _row(self, y: FloatArray) -> IntArray:
        return np.floor((y - self.y0) / self.size).astype(np.int64)

    def pairs(self, x: FloatArray, y: FloatArray) -> tuple[IntArray, IntArray]:
        """(point, grid) pairs: the grids listed in each point's cell, grouped by point in order."""
        # In floats first: a point far outside the city would overflow an integer cell number.
        col, row = np.floor((x - self.x0) / self.size), np.floor((y - self.y0) / self.size)
        inside = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        return self.grids.pairs(np.where(inside, row * self.nx + col, NONE).astype(np.int64))
