"""The demo city's roads: streets along cell edges, denser in the centre, cut into road sections (路段)
at junctions, and named the way Chinese cities name them (文化路, 和平东路, 经纬大道).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import LineString

from kaoping.demo.lattice import CELL_M, Cells, FloatArray, IntArray
from kaoping.demo.names import NameBook
from kaoping.domain.organisation import RoadTier
from kaoping.geo.projection import LocalProjection


@dataclass(frozen=True)
class RoadSpec:
    """A road section (路段) with one road chief's worth of street; ``geometry`` in WGS84."""

    code: str
    name: str
    tier: RoadTier
    town_code: str
    geometry: LineString
    length_m: float


@dataclass(frozen=True)
class _Lattice:
    """Cells on a padded raster, seen along one orientation: ``inside[u, v]`` with u across the roads
    and v along them. A road at u runs on the lattice line between cell columns u − 1 and u."""

    vertical: bool  # north-south roads (u = column, v = row); otherwise east-west (u = row, v = column)
    cell_at: IntArray  # [u, v] → cell index, −1 outside the city
    across_offset: int  # lattice coordinate = padded index + offset
    along_offset: int

    @property
    def inside(self) -> NDArray[np.bool_]:
        return self.cell_at >= 0

    def metres(self, u: int, v: IntArray) -> FloatArray:
        """Metric (x, y) of lattice points ``v`` on the road at ``u``."""
        across = np.full(v.size, (u + self.across_offset) * CELL_M)
        along = (v + self.along_offset) * CELL_M
        return np.column_stack((across, along) if self.vertical else (along, across))


@dataclass(frozen=True)
class _Piece:
    """A stretch of one road inside the city, from lattice point ``start`` to ``end``."""

    line: int  # index into the list of road lines
    start: int
    end: int
    nodes: IntArray  # junctions on it (ends included when there is one there)

    @property
    def inner_nodes(self) -> IntArray:
        return self.nodes[(self.nodes > self.start) & (self.nodes < self.end)]


@dataclass(frozen=True)
class _Line:
    vertical: bool
    u: int  # padded index across
    arterial: bool


_Section = tuple[_Piece, int, int]  # a stretch of a piece, from one lattice point to another


def _lattices(cells: Cells) -> tuple[_Lattice, _Lattice]:
    col0, row0 = int(cells.col.min()), int(cells.row.min())
    cell_at = np.full((int(cells.col.max()) - col0 + 3, int(cells.row.max()) - row0 + 3), -1, dtype=np.int64)
    cell_at[cells.col - col0 + 1, cells.row - row0 + 1] = np.arange(cells.size)
    return _Lattice(True, cell_at, col0 - 1, row0 - 1), _Lattice(False, cell_at.T.copy(), row0 - 1, col0 - 1)


def lay_roads(
    cells: Cells,
    cell_town: NDArray[np.str_],
    target: int,
    names: NameBook,
    rng: np.random.Generator,
    projection: LocalProjection,
) -> list[RoadSpec]:
    """Streets along cell edges, denser in the centre, cut at junctions into about ``target`` sections."""
    lattices = _lattices(cells)
    radius = math.sqrt(cells.size / np.pi)
    lines, pieces = _road_plan(lattices, target, radius, rng.uniform(0.75, 1.3, 4096))
    sections = _cut_sections(pieces, target, rng)
    namer = _RoadNamer(lines, lattices, names, rng)
    geoms = projection.geometry_to_wgs84(_metric_lines(sections, lines, lattices))
    specs = []
    taken: set[str] = set()
    for k, ((piece, start, end), geom) in enumerate(zip(sections, geoms, strict=True), start=1):
        line = lines[piece.line]
        town = _section_town(lattices[0 if line.vertical else 1], line.u, start + end, cell_town)
        tier = RoadTier.CITY if line.arterial else namer.tier(piece.line)
        name = namer.section(piece, start, end, taken)
        specs.append(RoadSpec(f"R{k:05d}", name, tier, town, geom, (end - start) * CELL_M))
    return specs


def _metric_lines(
    sections: list[_Section], lines: list[_Line], lattices: tuple[_Lattice, _Lattice]
) -> NDArray[np.object_]:
    """Each section as a line in metres through every lattice point along it."""
    metric = []
    for piece, start, end in sections:
        line = lines[piece.line]
        lattice = lattices[0 if line.vertical else 1]
        metric.append(shapely.linestrings(lattice.metres(line.u, np.arange(start, end + 1))))
    return np.array(metric, dtype=object)


def _road_plan(
    lattices: tuple[_Lattice, _Lattice], target: int, radius: float, jitter: FloatArray
) -> tuple[list[_Line], list[_Piece]]:
    """The sparsest street pattern that still has a third more blocks than sections wanted."""
    lines: list[_Line] = []
    pieces: list[_Piece] = []
    for spacing in (10.0, 8.0, 6.0, 5.0, 4.0, 3.0, 2.5, 2.0, 1.5):  # cells between streets, at the centre
        lines = [line for lattice in lattices for line in _lines(lattice, spacing, radius, jitter)]
        pieces = [p for i in range(len(lines)) for p in _pieces(lattices, lines, i)]
        if sum(p.inner_nodes.size + 1 for p in pieces) >= 1.3 * target:
            break
    return lines, pieces


def _lines(lattice: _Lattice, spacing: float, radius: float, jitter: FloatArray) -> list[_Line]:
    """Road positions from the centre outwards, gaps widening towards the edge; every fourth an arterial."""
    centre, last = -lattice.across_offset, lattice.cell_at.shape[0] - 1
    found = [_Line(lattice.vertical, centre, True)]
    for direction in (1, -1):
        u, k = centre, 0
        while True:
            k += 1
            gap = (
                spacing
                * (1 + 1.5 * abs(u - centre) / radius)
                * jitter[(k * 2 + (direction > 0)) % jitter.size]
            )
            u += direction * max(2, round(gap))
            if not 1 <= u <= last:
                break
            found.append(_Line(lattice.vertical, u, k % 4 == 0))
    return sorted(found, key=lambda line: line.u)


def _pieces(lattices: tuple[_Lattice, _Lattice], lines: list[_Line], index: int) -> list[_Piece]:
    """Stretches of road ``index`` inside the city, with the junctions on each."""
    line = lines[index]
    inside = lattices[0 if line.vertical else 1].inside
    u = line.u
    edge = inside[u - 1] & inside[u]  # edge v joins lattice points v and v + 1
    crossing = np.zeros(inside.shape[1] + 1, dtype=bool)
    crossing[[other.u for other in lines if other.vertical != line.vertical]] = True
    passes = np.zeros_like(crossing)
    passes[1:-1] = (inside[u - 1, :-1] & inside[u - 1, 1:]) | (inside[u, :-1] & inside[u, 1:])
    node = crossing & passes
    change = np.diff(np.concatenate(([0], edge.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(change == 1), np.flatnonzero(change == -1)
    return [
        _Piece(index, int(s), int(e), np.flatnonzero(node[s : e + 1]) + s)
        for s, e in zip(starts, ends, strict=True)
    ]


def _cut_sections(pieces: list[_Piece], target: int, rng: np.random.Generator) -> list[_Section]:
    """Cut each piece at randomly chosen junctions so the section count lands near ``target``."""
    blocks = np.array([p.inner_nodes.size + 1 for p in pieces], dtype=np.float64)
    low, high = 0.0, 1.0
    for _ in range(40):  # the share of junctions to cut at, by bisection
        mid = (low + high) / 2
        low, high = (mid, high) if np.clip(blocks * mid, 1, blocks).sum() < target else (low, mid)
    wanted = np.clip(blocks * high, 1, blocks)
    counts = np.floor(wanted) + (rng.random(blocks.size) < wanted - np.floor(wanted))
    sections: list[_Section] = []
    for piece, count in zip(pieces, counts.astype(np.int64).tolist(), strict=True):
        cuts = rng.choice(piece.inner_nodes, size=count - 1, replace=False).tolist() if count > 1 else []
        bounds = [piece.start, *sorted(int(c) for c in cuts), piece.end]
        sections.extend((piece, a, b) for a, b in itertools.pairwise(bounds))
    return sections


def _section_town(lattice: _Lattice, u: int, twice_mid: int, cell_town: NDArray[np.str_]) -> str:
    """The town holding the section's midpoint; on a border (roads often are) the smallest code."""
    v = [twice_mid // 2 - 1, twice_mid // 2] if twice_mid % 2 == 0 else [twice_mid // 2]
    touching = lattice.cell_at[np.ix_([u - 1, u], v)].ravel()
    return str(min(cell_town[touching[touching >= 0]]))


class _RoadNamer:
    """Names roads (文化路, 和平东路, 经纬大道) and their sections (文化路(和平街至建设路段))."""

    def __init__(
        self,
        lines: list[_Line],
        lattices: tuple[_Lattice, _Lattice],
        names: NameBook,
        rng: np.random.Generator,
    ) -> None:
        self._lines = lines
        self._by_position = {(line.vertical, line.u): i for i, line in enumerate(lines)}
        # The centre along a road: where a split road changes from 西 to 东 (or 南 to 北).
        self._centre = {lat.vertical: -lat.along_offset for lat in lattices}
        roots: set[str] = set()
        self._root = [names.road_root(roots) for _ in lines]
        self._suffix = [self._pick_suffix(line, rng) for line in lines]
        self._split = (rng.random(len(lines)) < 0.35) & np.array([s != "大道" for s in self._suffix])

    @staticmethod
    def _pick_suffix(line: _Line, rng: np.random.Generator) -> str:
        if line.arterial:
            return "大道" if rng.random() < 0.3 else "路"
        return "路" if rng.random() < 0.6 else "街"

    def tier(self, index: int) -> RoadTier:
        return RoadTier.DISTRICT_1 if self._suffix[index] == "路" else RoadTier.DISTRICT_2

    def name_at(self, index: int, v: float) -> str:
        """The road's name at point ``v`` along it."""
        line = self._lines[index]
        if not self._split[index]:
            return self._root[index] + self._suffix[index]
        ahead = v >= self._centre[line.vertical]
        side = ("北" if ahead else "南") if line.vertical else ("东" if ahead else "西")
        return self._root[index] + side + self._suffix[index]

    def section(self, piece: _Piece, start: int, end: int, taken: set[str]) -> str:
        """A unique section name from the junctions at its ends, read west→east or north→south."""
        line = self._lines[piece.line]
        at = {int(n): self._crossing_name(line, int(n)) for n in piece.nodes}
        first, second = (at.get(end), at.get(start)) if line.vertical else (at.get(start), at.get(end))
        base = self.name_at(piece.line, (start + end) / 2)
        if first and second:
            name = f"{base}({first}至{second}段)"
        elif first or second:
            side = ("南" if first else "北") if line.vertical else ("东" if first else "西")
            name = f"{base}({first or second}以{side}段)"
        else:
            name = base
        return _unique_name(name, taken)

    def _crossing_name(self, line: _Line, v: int) -> str:
        return self.name_at(self._by_position[(not line.vertical, v)], line.u)


def _unique_name(name: str, taken: set[str]) -> str:
    unique, k = name, 2
    while unique in taken:
        unique, k = f"{name}(第{k}段)", k + 1
    taken.add(unique)
    return unique
