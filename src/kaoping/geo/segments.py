"""Straight segments as flat numpy arrays: grid edges (for the point-in-grid test) and road segments
(for the nearest road), with the distance and ray-crossing tests run on many (point, segment) pairs
at once.

Point-to-segment distances use the formula GEOS uses (``Distance::pointToSegment``), so they agree
with ``shapely.distance``."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import STRtree

from kaoping.geo.candidates import Candidates, IntArray, row_starts

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Segments:
    """Straight segments a → b in metres, each with the index of the line or polygon it belongs to,
    and what the distance and crossing tests need of them, computed once."""

    ax: FloatArray
    ay: FloatArray
    bx: FloatArray
    by: FloatArray
    owner: IntArray
    dx: FloatArray
    dy: FloatArray
    length2: FloatArray  # squared length
    length: FloatArray
    nonzero_length2: FloatArray  # length2, 1 for a zero-length segment: divisions never fail
    nonzero_dy: FloatArray  # dy, 1 for a horizontal segment (which no eastward ray crosses)

    @classmethod
    def between(cls, a: FloatArray, b: FloatArray, owner: IntArray) -> Segments:
        dx, dy = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
        length2 = dx * dx + dy * dy  # as GEOS computes it, so distances round the same way
        return cls(
            np.ascontiguousarray(a[:, 0]),
            np.ascontiguousarray(a[:, 1]),
            np.ascontiguousarray(b[:, 0]),
            np.ascontiguousarray(b[:, 1]),
            owner,
            dx,
            dy,
            length2,
            np.sqrt(length2),
            np.where(length2 == 0, 1.0, length2),
            np.where(dy == 0, 1.0, dy),
        )

    @classmethod
    def of(cls, lines: NDArray[np.object_]) -> Segments:
        """The segments of ``lines`` (LineStrings, MultiLineStrings, rings), owned by their line."""
        parts, part_line = shapely.get_parts(lines, return_index=True)
        coords, coord_part = shapely.get_coordinates(parts, return_index=True)
        same = np.flatnonzero(coord_part[1:] == coord_part[:-1])  # a segment joins i and i + 1
        return cls.between(coords[same], coords[same + 1], part_line[coord_part[same]].astype(np.int64))

    @classmethod
    def of_rings(cls, polygons: NDArray[np.object_]) -> Segments:
        """The segments of every ring (shells and holes) of ``polygons``, owned by their polygon."""
        parts, part_of = shapely.get_parts(polygons, return_index=True)
        rings, ring_of = shapely.get_rings(parts, return_index=True)
        segments = cls.of(rings)
        return replace(segments, owner=part_of[ring_of][segments.owner].astype(np.int64))

    def near(self, areas: NDArray[np.object_], distance: float) -> Candidates:
        """For each area, the segments within ``distance`` of it (one tree query, at build time)."""
        if self.owner.size == 0:
            return Candidates(np.zeros(areas.size + 1, dtype=np.int64), np.zeros(0, dtype=np.int64))
        lines = shapely.linestrings(np.stack([self.ax, self.ay, self.bx, self.by], axis=1).reshape(-1, 2, 2))
        pairs = STRtree(lines).query(areas, predicate="dwithin", distance=distance)
        order = np.lexsort((pairs[1], pairs[0]))
        return Candidates(row_starts(pairs[0], areas.size), pairs[1][order].astype(np.int64))

    def distance(self, px: FloatArray, py: FloatArray, segment_i: IntArray) -> FloatArray:
        """Distance from each point to its segment, computed as GEOS does (Distance::pointToSegment):
        to an end when the foot of the perpendicular falls outside, else along the perpendicular."""
        qx, qy = px - self.ax[segment_i], py - self.ay[segment_i]
        dx, dy, divisor = self.dx[segment_i], self.dy[segment_i], self.nonzero_length2[segment_i]
        r = (qx * dx + qy * dy) / divisor
        across = np.abs((qx * dy - qy * dx) / divisor) * self.length[segment_i]
        to_a = np.sqrt(qx * qx + qy * qy)
        to_b = np.sqrt((px - self.bx[segment_i]) ** 2 + (py - self.by[segment_i]) ** 2)
        return np.where((r <= 0) | (self.length2[segment_i] == 0), to_a, np.where(r >= 1, to_b, across))

    def crosses_east(self, px: FloatArray, py: FloatArray, segment_i: IntArray) -> NDArray[np.bool_]:
        """Whether a ray from each point towards +x crosses its segment (half-open in y, so a ray
        through a vertex counts once): an odd count over a polygon's rings means inside."""
        ax, ay = self.ax[segment_i], self.ay[segment_i]
        spans = (ay > py) != (self.by[segment_i] > py)
        at_x = ax + (py - ay) * self.dx[segment_i] / self.nonzero_dy[segment_i]
        crosses: NDArray[np.bool_] = spans & (px < at_x)
        return crosses
