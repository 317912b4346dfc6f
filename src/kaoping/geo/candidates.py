"""Candidate lists in compressed rows (CSR): which items each key may match — a grid's edges, a raster
cell's grids, a grid's nearby road segments — kept as two flat arrays that numpy expands without a
Python loop, for every point of a chunk at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]

NONE = -1
"""The key that stands for none (a point in no cell, no grid): it has no candidates."""


@dataclass(frozen=True)
class Candidates:
    """Compressed rows (CSR): the candidates of key ``k`` are ``item[indptr[k]:indptr[k + 1]]``."""

    indptr: IntArray
    item: IntArray

    @classmethod
    def grouping(cls, key: IntArray, keys: int) -> Candidates:
        """Items 0 … n-1 grouped by ``key`` (which must already be sorted)."""
        return cls(row_starts(key, keys), np.arange(key.size, dtype=np.int64))

    def pairs(self, keys: IntArray) -> tuple[IntArray, IntArray]:
        """(position, item) pairs for each position's key (-1: none), grouped by position in order."""
        rows = np.flatnonzero(keys >= 0)
        start = self.indptr[keys[rows]]
        count = self.indptr[keys[rows] + 1] - start
        position = np.repeat(rows, count)
        # Output k reads item[start[p] + (k - first output of p)].
        offset = np.repeat(start - (np.cumsum(count) - count), count)
        return position.astype(np.int64), self.item[offset + np.arange(position.size)]


def row_starts(key: IntArray, keys: int) -> IntArray:
    """Row starts of a CSR whose items are sorted by ``key`` (values 0 … keys-1)."""
    return np.concatenate([[0], np.cumsum(np.bincount(key, minlength=keys))]).astype(np.int64)
