"""The lattice of 100 m cells the demo city is built on, the blob of cells that is the city, and its
hierarchical partition into districts, towns/streets and communities.

Each cell is one unit grid (万米单元网格, 10,000 m²) in a local metric projection. The cells fill an
irregular blob around the centre. Districts, towns and communities are weighted k-means partitions of
their parent's cells — weighted by footfall, which is highest in the centre, so central units come out
smaller — and any stray fragment is merged into a neighbour so every unit is one connected piece. Each
polygon is the exact union of its cells, so children nest exactly in their parents and siblings share
borders exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import Polygon

from kaoping.demo.sizes import DemoSize
from kaoping.geo.projection import LocalProjection

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

CELL_M = 100.0

# --- the lattice of cells -------------------------------------------------------------------------


@dataclass(frozen=True)
class Cells:
    """The city's cells, one unit grid each, in metres of the local projection."""

    col: IntArray  # the cell spans x ∈ [col, col + 1] · CELL_M
    row: IntArray  # and y ∈ [row, row + 1] · CELL_M (north is up)
    density: FloatArray  # relative footfall, mean 1
    pair_a: IntArray  # pairs of cells that share an edge
    pair_b: IntArray

    @property
    def size(self) -> int:
        return int(self.col.size)

    @property
    def xy(self) -> FloatArray:
        return np.column_stack(((self.col + 0.5) * CELL_M, (self.row + 0.5) * CELL_M))


def city_cells(count: int, rng: np.random.Generator) -> Cells:
    """``count`` cells (a few fewer after dropping islands) filling a blob with a noisy radius."""
    harmonics = np.arange(2, 7)
    amplitude = rng.uniform(0.03, 0.12, harmonics.size) / np.sqrt(harmonics - 1)
    phase = rng.uniform(0.0, 2 * np.pi, harmonics.size)

    def relative_radius(theta: FloatArray) -> FloatArray:
        return np.asarray(1.0 + (amplitude * np.cos(np.outer(theta, harmonics) + phase)).sum(axis=1))

    theta = np.linspace(0.0, 2 * np.pi, 720, endpoint=False)
    radius = math.sqrt(count / (np.pi * float(np.mean(relative_radius(theta) ** 2))))  # in cells
    half = math.ceil(radius * 1.6) + 2
    row, col = (a.ravel() for a in np.mgrid[-half:half, -half:half])
    cx, cy = col + 0.5, row + 0.5
    rho = np.hypot(cx, cy) / (radius * relative_radius(np.arctan2(cy, cx)))
    pick = np.sort(np.argsort(rho, kind="stable")[:count])
    col, row = col[pick], row[pick]
    pair_a, pair_b = _neighbour_pairs(col, row)
    main = _components(np.zeros(col.size, dtype=np.int64), pair_a, pair_b)
    keep = main == np.bincount(main).argmax()  # diagonal-only islands on the rim are dropped
    col, row = col[keep].astype(np.int64), row[keep].astype(np.int64)
    return Cells(col, row, _density(col, row, radius, rng), *_neighbour_pairs(col, row))


def _density(col: IntArray, row: IntArray, radius: float, rng: np.random.Generator) -> FloatArray:
    """Footfall: a strong old centre and a smaller new business district off-centre."""
    x, y = (col + 0.5) / radius, (row + 0.5) / radius
    angle = rng.uniform(0.0, 2 * np.pi)
    new_x, new_y = 0.55 * math.cos(angle), 0.55 * math.sin(angle)
    weight = (
        0.25
        + 2.0 * np.exp(-((x**2 + y**2) / 0.35**2))
        + 0.8 * np.exp(-((x - new_x) ** 2 + (y - new_y) ** 2) / 0.18**2)
    )
    return np.asarray(weight / weight.mean(), dtype=np.float64)


def _neighbour_pairs(col: IntArray, row: IntArray) -> tuple[IntArray, IntArray]:
    """Index pairs of cells sharing an edge (east and north neighbours)."""
    width = int(row.max() - row.min()) + 2  # +2 so a north step never wraps into the next column
    key = (col - col.min()) * width + (row - row.min())
    order = np.argsort(key)
    ordered = key[order]
    a_parts, b_parts = [], []
    for step in (width, 1):
        pos = np.minimum(np.searchsorted(ordered, key + step), key.size - 1)
        hit = ordered[pos] == key + step
        a_parts.append(np.flatnonzero(hit))
        b_parts.append(order[pos[hit]])
    return np.concatenate(a_parts).astype(np.int64), np.concatenate(b_parts).astype(np.int64)


def _components(labels: IntArray, pair_a: IntArray, pair_b: IntArray) -> IntArray:
    """Connected pieces of equal label: each cell gets the smallest cell index of its piece."""
    same = labels[pair_a] == labels[pair_b]
    a, b = pair_a[same], pair_b[same]
    comp = np.arange(labels.size)
    while True:
        low = np.minimum(comp[a], comp[b])
        new = comp.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]  # pointer jumping: halves the remaining path every round
        if np.array_equal(new, comp):
            return comp
        comp = new


# --- the administrative partition -----------------------------------------------------------------


@dataclass(frozen=True)
class Labels:
    """Which district, town and community every cell belongs to."""

    district: IntArray  # per cell; districts numbered from the centre outwards
    town: IntArray  # per cell; numbered district by district
    community: IntArray  # per cell; numbered town by town


def partition(cells: Cells, size: DemoSize, rng: np.random.Generator) -> Labels:
    """Districts, then towns inside them, then communities inside those, each one connected piece."""
    district = _split(cells, np.zeros(cells.size, dtype=np.int64), np.array([size.districts]), rng)
    distance = np.hypot(*label_means(cells.xy, district).T)
    district = np.argsort(np.argsort(distance, kind="stable"))[district]  # 0 = most central
    town = _split(cells, district, _allocate(size.towns, district, cells), rng)
    community = _split(cells, town, _allocate(size.communities, town, cells), rng)
    return Labels(district, town, community)


def _allocate(total: int, parent: IntArray, cells: Cells) -> IntArray:
    """Children per parent in proportion to its footfall (largest remainder, ≥ 1, ≤ its cells)."""
    weight = np.bincount(parent, weights=cells.density)
    caps = np.bincount(parent)
    raw = total * weight / weight.sum()
    counts: IntArray = np.clip(np.floor(raw).astype(np.int64), 1, caps)
    order = np.argsort(np.floor(raw) - raw, kind="stable")  # largest remainders first
    while counts.sum() < min(total, caps.sum()):
        for p in order:
            if counts.sum() < total and counts[p] < caps[p]:
                counts[p] += 1
    return counts


def _split(cells: Cells, parent: IntArray, counts: IntArray, rng: np.random.Generator) -> IntArray:
    """Split every parent into ``counts[parent]`` connected children, numbered parent by parent."""
    labels = np.empty(cells.size, dtype=np.int64)
    xy, offset = cells.xy, 0
    for p, k in enumerate(counts.tolist()):
        members = np.flatnonzero(parent == p)
        labels[members] = offset + _kmeans(xy[members], cells.density[members], k, rng)
        offset += k
    merged = _merge_fragments(labels, parent, cells)
    return np.unique(merged, return_inverse=True)[1].astype(np.int64)  # drop labels left empty


def _kmeans(
    xy: FloatArray, weight: FloatArray, k: int, rng: np.random.Generator, rounds: int = 10
) -> IntArray:
    """Weighted Lloyd iterations from k-means++ seeds: heavy cells pull centres, so busy areas split finer"""
    k = min(k, len(xy))
    if k <= 1:
        return np.zeros(len(xy), dtype=np.int64)
    centres = _seed_centres(xy, weight, k, rng)
    for _ in range(rounds):
        labels, dist = _nearest(xy, centres)
        mass = np.bincount(labels, weights=weight, minlength=k)
        for axis in (0, 1):
            moment = np.bincount(labels, weights=weight * xy[:, axis], minlength=k)
            centres[:, axis] = np.where(mass > 0, moment / np.maximum(mass, 1e-12), centres[:, axis])
        empty = np.flatnonzero(mass == 0)
        centres[empty] = xy[np.argsort(-dist, kind="stable")[: empty.size]]  # restart where fit is worst
    return _nearest(xy, centres)[0]


def _seed_centres(xy: FloatArray, weight: FloatArray, k: int, rng: np.random.Generator) -> FloatArray:
    centres = np.empty((k, 2))
    centres[0] = xy[rng.choice(len(xy), p=weight / weight.sum())]
    d2 = ((xy - centres[0]) ** 2).sum(axis=1)
    for c in range(1, k):
        p = weight * d2
        centres[c] = xy[rng.choice(len(xy), p=p / p.sum())]
        d2 = np.minimum(d2, ((xy - centres[c]) ** 2).sum(axis=1))
    return centres


def _nearest(xy: FloatArray, centres: FloatArray) -> tuple[IntArray, FloatArray]:
    d2 = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    labels = d2.argmin(axis=1)
    return labels.astype(np.int64), d2[np.arange(len(xy)), labels]


def _merge_fragments(labels: IntArray, parent: IntArray, cells: Cells) -> IntArray:
    """Give every stray piece of a unit to the neighbour (same parent) it shares most edges with."""
    labels = labels.copy()
    for _ in range(50):
        comp = _components(labels, cells.pair_a, cells.pair_b)
        stray = _stray_cells(comp, labels)
        if not stray.any():
            return labels
        labels = _absorb(labels, parent, comp, stray, cells)
    raise RuntimeError("demo partition did not become connected")  # cannot happen for a connected parent


def _stray_cells(comp: IntArray, labels: IntArray) -> NDArray[np.bool_]:
    """Cells outside the largest piece of their unit."""
    roots = np.flatnonzero(comp == np.arange(comp.size))
    sizes = np.bincount(comp, minlength=comp.size)[roots]
    order = np.lexsort((roots, -sizes, labels[roots]))
    ranked = labels[roots[order]]
    main = np.ones(order.size, dtype=bool)
    main[1:] = ranked[1:] != ranked[:-1]
    return ~np.isin(comp, roots[order][main])


def _absorb(
    labels: IntArray, parent: IntArray, comp: IntArray, stray: NDArray[np.bool_], cells: Cells
) -> IntArray:
    a = np.concatenate((cells.pair_a, cells.pair_b))
    b = np.concatenate((cells.pair_b, cells.pair_a))
    ok = stray[a] & (labels[b] != labels[a]) & (parent[b] == parent[a])
    keys, counts = np.unique(
        np.column_stack((comp[a[ok]], labels[b[ok]], ~stray[b[ok]])), axis=0, return_counts=True
    )
    # Prefer a main piece (so the stray really joins something whole), then most shared edges.
    order = np.lexsort((keys[:, 1], -counts, -keys[:, 2], keys[:, 0]))
    keys = keys[order]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:, 0] != keys[:-1, 0]
    target = np.full(labels.size, -1, dtype=np.int64)
    target[keys[first, 0]] = keys[first, 1]
    moved = stray & (target[comp] >= 0)
    labels[moved] = target[comp[moved]]
    return labels


def label_means(values: FloatArray, labels: IntArray) -> FloatArray:
    """The mean of every column of ``values`` over the cells of each label."""
    counts = np.bincount(labels)
    return np.column_stack(
        [np.bincount(labels, weights=values[:, i]) / counts for i in range(values.shape[1])]
    )


def parents(child: IntArray, parent: IntArray) -> IntArray:
    """Parent label of every child label, from per-cell labels."""
    result = np.empty(int(child.max()) + 1, dtype=np.int64)
    result[child] = parent
    return result


# --- the units' polygons --------------------------------------------------------------------------


@dataclass(frozen=True)
class Geometries:
    """The units' polygons, in WGS84."""

    city: Polygon
    districts: NDArray[np.object_]  # WGS84, indexed by label
    towns: NDArray[np.object_]
    communities: NDArray[np.object_]


def cell_boxes(cells: Cells) -> NDArray[np.object_]:
    """Every cell's square, in metres."""
    return np.asarray(
        shapely.box(
            cells.col * CELL_M, cells.row * CELL_M, (cells.col + 1) * CELL_M, (cells.row + 1) * CELL_M
        )
    )


def unit_geometries(cells: Cells, labels: Labels, projection: LocalProjection) -> Geometries:
    """Unions of cells, level by level; the coverage union keeps every lattice vertex on the borders,
    so a parent's border runs through exactly the vertices of its children's."""
    communities = _grouped_union(cell_boxes(cells), labels.community)
    towns = _grouped_union(communities, parents(labels.community, labels.town))
    districts = _grouped_union(towns, parents(labels.town, labels.district))
    city = shapely.coverage_union_all(districts)
    to_wgs84 = projection.geometry_to_wgs84
    return Geometries(to_wgs84(city), to_wgs84(districts), to_wgs84(towns), to_wgs84(communities))


def _grouped_union(geoms: NDArray[np.object_], groups: IntArray) -> NDArray[np.object_]:
    """One union per group, in one vectorised call over a table padded with None."""
    order = np.argsort(groups, kind="stable")
    counts = np.bincount(groups)
    slot = np.arange(groups.size) - np.repeat(np.cumsum(counts) - counts, counts)
    table = np.full((counts.size, int(counts.max())), None, dtype=object)
    table[groups[order], slot] = geoms[order]
    return np.asarray(shapely.coverage_union_all(table, axis=1))
