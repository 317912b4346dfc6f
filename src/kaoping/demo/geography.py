"""The deterministic synthetic demo city, 青川市: districts, towns/streets, communities, unit grids,
roads, departments and the people in charge of them.

Everything is built in a local metric projection on a lattice of 100 m square cells; each cell is one
unit grid (万米单元网格, 10,000 m²). The cells fill an irregular blob around a fictional centre near
Jinan. Districts, towns and communities are weighted k-means partitions of their parent's cells —
weighted by footfall, which is highest in the centre, so central units come out smaller — and any
stray fragment is merged into a neighbour so every unit is one connected piece. Each polygon is the
exact union of its cells, so children nest exactly in their parents and siblings share borders
exactly. Roads run along cell edges like streets and are cut into sections at junctions.

The same seed always gives the same city: each concern draws from its own random stream.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import LineString, MultiPolygon, Polygon

from kaoping.demo.names import CITY_NAME, NameBook, department_name
from kaoping.demo.sizes import DemoSize
from kaoping.domain.grid_codes import GridCode, reading_order
from kaoping.domain.organisation import RoadTier, Role, UnitKind, UnitLevel
from kaoping.geo.projection import LocalProjection

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
Scope = Literal["unit", "grid", "road", "department"]

CELL_M = 100.0
CENTER = (117.0, 36.66)
ADMIN_PREFIX = "3799"  # not a real prefecture code (GB/T 2260 stops at 3717 in Shandong)
CITY_CODE = ADMIN_PREFIX + "00"
GROUP_NAMES = ("第一组", "第二组", "第三组")

DEPARTMENT_FIELDS: dict[str, str] = {
    # The codes categories use in ``department_type``; do not rename one without the other.
    "sanitation": "环卫",
    "landscaping": "园林绿化",
    "municipal": "市政设施",
    "enforcement": "城管执法",
    "water": "水务",
    "transport": "交通运输",
    "traffic_police": "公安交警",
    "housing": "住房城乡建设",
    "market": "市场监管",
    "ecology": "生态环境",
    "power": "供电",
    "telecom": "通信",
    "gas": "燃气",
    "heating": "热力",
}
# Fields a district runs its own bureau for, most common first; utilities stay city-wide.
DISTRICT_FIELDS = (
    "sanitation",
    "landscaping",
    "enforcement",
    "municipal",
    "housing",
    "market",
    "water",
    "transport",
    "ecology",
    "traffic_police",
)

# Share of posts left empty on purpose: "网格和路长还没全部到位".
MISSING_GRID_WORKERS = 0.05
MISSING_ROAD_CHIEFS = 0.08
MISSING_COMMUNITY_HEADS = 0.03


@dataclass(frozen=True)
class GroupSpec:
    code: str
    name: str


@dataclass(frozen=True)
class UnitSpec:
    """A city, district/county, town/street or community; ``geometry`` in WGS84."""

    code: str
    name: str
    level: UnitLevel
    kind: UnitKind
    parent_code: str | None
    group_code: str | None
    geometry: Polygon | MultiPolygon
    area_m2: float


@dataclass(frozen=True)
class GridSpec:
    """A unit grid; ``density`` is its relative footfall (1 = city average, the centre is higher)."""

    code: str
    community_code: str
    geometry: Polygon
    area_m2: float
    density: float = 1.0


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
class DepartmentSpec:
    code: str
    name: str
    field: str  # a DEPARTMENT_FIELDS code
    district_code: str | None  # None for a city-level department


@dataclass(frozen=True)
class PersonSpec:
    name: str
    role: Role
    scope: Scope
    scope_code: str


@dataclass(frozen=True)
class DemoGeography:
    city: UnitSpec
    groups: list[GroupSpec]
    districts: list[UnitSpec]
    towns: list[UnitSpec]
    communities: list[UnitSpec]
    grids: list[GridSpec]
    roads: list[RoadSpec]
    departments: list[DepartmentSpec]
    people: list[PersonSpec]
    quality: dict[str, float]  # district code → 0.6–1.4; higher = fewer problems, faster handling
    hot_spot_towns: list[str]  # town codes that attract many more problems (重灾区)
    center: tuple[float, float]
    projection: LocalProjection


def build_geography(size: DemoSize, seed: int) -> DemoGeography:
    """Build the demo city of ``size``; the same seed always gives the same city."""
    shape_rng, split_rng, name_rng, road_rng, people_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)
    )
    names = NameBook(name_rng)
    projection = LocalProjection(*CENTER)
    cells = _city_cells(size.grids, shape_rng)
    labels = _partition(cells, size, split_rng)
    units = _code_units(cells, labels, size, names)
    geometry = _unit_geometries(cells, labels, projection)
    grids = _grids(cells, labels, units, projection)
    roads = _roads(cells, units.town_codes[labels.town], size.roads, names, road_rng, projection)
    districts = _specs(units.districts, geometry.districts, cells, labels.district)
    quality = _quality([d.code for d in districts], people_rng)
    departments = _departments(size, districts)
    return DemoGeography(
        city=_city(geometry.city, cells),
        groups=[GroupSpec(f"group{k + 1}", GROUP_NAMES[k]) for k in range(size.groups)],
        districts=districts,
        towns=_specs(units.towns, geometry.towns, cells, labels.town),
        communities=_specs(units.communities, geometry.communities, cells, labels.community),
        grids=grids,
        roads=roads,
        departments=departments,
        people=_people(units, grids, roads, departments, quality, names, people_rng),
        quality=quality,
        hot_spot_towns=_hot_spots(units, cells, labels, quality, people_rng),
        center=CENTER,
        projection=projection,
    )


def _city(geometry: Polygon, cells: _Cells) -> UnitSpec:
    area = cells.size * CELL_M**2
    return UnitSpec(CITY_CODE, CITY_NAME, UnitLevel.CITY, UnitKind.CITY, None, None, geometry, area)


# --- the lattice of cells -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cells:
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


def _city_cells(count: int, rng: np.random.Generator) -> _Cells:
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
    return _Cells(col, row, _density(col, row, radius, rng), *_neighbour_pairs(col, row))


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
class _Labels:
    district: IntArray  # per cell; districts numbered from the centre outwards
    town: IntArray  # per cell; numbered district by district
    community: IntArray  # per cell; numbered town by town


def _partition(cells: _Cells, size: DemoSize, rng: np.random.Generator) -> _Labels:
    district = _split(cells, np.zeros(cells.size, dtype=np.int64), np.array([size.districts]), rng)
    distance = np.hypot(*_label_means(cells.xy, district).T)
    district = np.argsort(np.argsort(distance, kind="stable"))[district]  # 0 = most central
    town = _split(cells, district, _allocate(size.towns, district, cells), rng)
    community = _split(cells, town, _allocate(size.communities, town, cells), rng)
    return _Labels(district, town, community)


def _allocate(total: int, parent: IntArray, cells: _Cells) -> IntArray:
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


def _split(cells: _Cells, parent: IntArray, counts: IntArray, rng: np.random.Generator) -> IntArray:
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


def _merge_fragments(labels: IntArray, parent: IntArray, cells: _Cells) -> IntArray:
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
    labels: IntArray, parent: IntArray, comp: IntArray, stray: NDArray[np.bool_], cells: _Cells
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


def _label_means(values: FloatArray, labels: IntArray) -> FloatArray:
    counts = np.bincount(labels)
    return np.column_stack(
        [np.bincount(labels, weights=values[:, i]) / counts for i in range(values.shape[1])]
    )


def _parents(child: IntArray, parent: IntArray) -> IntArray:
    """Parent label of every child label, from per-cell labels."""
    result = np.empty(int(child.max()) + 1, dtype=np.int64)
    result[child] = parent
    return result


# --- codes, kinds and names -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    code: str
    name: str
    level: UnitLevel
    kind: UnitKind
    parent_code: str | None
    group_code: str | None = None


@dataclass(frozen=True)
class _Units:
    districts: list[_Unit]  # indexed by label
    towns: list[_Unit]
    communities: list[_Unit]

    @property
    def town_codes(self) -> NDArray[np.str_]:
        return np.array([t.code for t in self.towns])


def _code_units(cells: _Cells, labels: _Labels, size: DemoSize, names: NameBook) -> _Units:
    districts = _code_districts(int(labels.district.max()) + 1, size.groups, names)
    towns = _code_towns(cells, labels, districts, names)
    return _Units(districts, towns, _code_communities(cells, labels, towns, names))


def _code_districts(count: int, groups: int, names: NameBook) -> list[_Unit]:
    """Central districts first and in group 1; the outermost one or two are counties (县)."""
    counties = 1 if count < 8 else 2
    group_of = np.concatenate(
        [np.full(len(part), g) for g, part in enumerate(np.array_split(np.arange(count), groups))]
    )
    units = []
    for k, name in enumerate(names.districts(count - counties, counties)):
        county = k >= count - counties
        seq = 21 + k - (count - counties) if county else k + 1  # GB/T 2260 numbers counties from 21
        kind = UnitKind.COUNTY if county else UnitKind.DISTRICT
        units.append(
            _Unit(
                f"{ADMIN_PREFIX}{seq:02d}",
                name,
                UnitLevel.DISTRICT,
                kind,
                CITY_CODE,
                f"group{group_of[k] + 1}",
            )
        )
    return units


def _code_towns(cells: _Cells, labels: _Labels, districts: list[_Unit], names: NameBook) -> list[_Unit]:
    """Urban towns are 街道 (codes 001–099), the rest 镇 (100–199); a county keeps one 街道, its seat."""
    parent = _parents(labels.town, labels.district)
    xy = _label_means(cells.xy, labels.town)
    density = _label_means(cells.density[:, None], labels.town)[:, 0]
    urban = density >= np.quantile(density, 0.45)
    units: dict[int, _Unit] = {}
    taken: set[str] = set()
    for d, district in enumerate(districts):
        members = np.flatnonzero(parent == d)
        is_street = (urban[members] & (district.kind is UnitKind.DISTRICT)) | (
            density[members] == density[members].max()
        )
        for first, chosen in ((1, members[is_street]), (100, members[~is_street])):
            kind = UnitKind.STREET if first == 1 else UnitKind.TOWN
            for seq, t in enumerate(_reading(xy, chosen, 1_000.0)):
                name = names.street(taken) if kind is UnitKind.STREET else names.town(taken)
                units[t] = _Unit(
                    f"{district.code}{first + seq:03d}", name, UnitLevel.TOWN, kind, district.code
                )
    return [units[t] for t in range(len(units))]


def _code_communities(cells: _Cells, labels: _Labels, towns: list[_Unit], names: NameBook) -> list[_Unit]:
    """社区 get codes 001–199 and 村 200–399; a 镇 has one or two 社区 at its seat, the rest are 村."""
    parent = _parents(labels.community, labels.town)
    xy = _label_means(cells.xy, labels.community)
    density = _label_means(cells.density[:, None], labels.community)[:, 0]
    units: dict[int, _Unit] = {}
    for t, town in enumerate(towns):
        members = np.flatnonzero(parent == t)
        seats = 1 if members.size < 8 else 2
        is_community = np.ones(members.size, dtype=bool)
        if town.kind is UnitKind.TOWN:
            is_community = np.isin(members, members[np.argsort(-density[members], kind="stable")[:seats]])
        taken: set[str] = set()
        for first, chosen in ((1, members[is_community]), (200, members[~is_community])):
            kind = UnitKind.COMMUNITY if first == 1 else UnitKind.VILLAGE
            for seq, c in enumerate(_reading(xy, chosen, 300.0)):
                name = names.community(taken) if kind is UnitKind.COMMUNITY else names.village(taken)
                units[c] = _Unit(f"{town.code}{first + seq:03d}", name, UnitLevel.COMMUNITY, kind, town.code)
    return [units[c] for c in range(len(units))]


def _reading(xy: FloatArray, ids: IntArray, row_height: float) -> list[int]:
    """``ids`` in reading order of their centres (the order codes are handed out in)."""
    order = reading_order([(float(x), float(y)) for x, y in xy[ids]], row_height)
    return [int(ids[i]) for i in order]


# --- geometry -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Geometries:
    city: Polygon
    districts: NDArray[np.object_]  # WGS84, indexed by label
    towns: NDArray[np.object_]
    communities: NDArray[np.object_]


def _cell_boxes(cells: _Cells) -> NDArray[np.object_]:
    return np.asarray(
        shapely.box(
            cells.col * CELL_M, cells.row * CELL_M, (cells.col + 1) * CELL_M, (cells.row + 1) * CELL_M
        )
    )


def _unit_geometries(cells: _Cells, labels: _Labels, projection: LocalProjection) -> _Geometries:
    """Unions of cells, level by level; the coverage union keeps every lattice vertex on the borders,
    so a parent's border runs through exactly the vertices of its children's."""
    communities = _grouped_union(_cell_boxes(cells), labels.community)
    towns = _grouped_union(communities, _parents(labels.community, labels.town))
    districts = _grouped_union(towns, _parents(labels.town, labels.district))
    city = shapely.coverage_union_all(districts)
    to_wgs84 = projection.geometry_to_wgs84
    return _Geometries(to_wgs84(city), to_wgs84(districts), to_wgs84(towns), to_wgs84(communities))


def _grouped_union(geoms: NDArray[np.object_], groups: IntArray) -> NDArray[np.object_]:
    """One union per group, in one vectorised call over a table padded with None."""
    order = np.argsort(groups, kind="stable")
    counts = np.bincount(groups)
    slot = np.arange(groups.size) - np.repeat(np.cumsum(counts) - counts, counts)
    table = np.full((counts.size, int(counts.max())), None, dtype=object)
    table[groups[order], slot] = geoms[order]
    return np.asarray(shapely.coverage_union_all(table, axis=1))


def _specs(units: list[_Unit], geoms: NDArray[np.object_], cells: _Cells, labels: IntArray) -> list[UnitSpec]:
    area = np.bincount(labels) * CELL_M**2
    specs = [
        UnitSpec(u.code, u.name, u.level, u.kind, u.parent_code, u.group_code, geoms[i], float(area[i]))
        for i, u in enumerate(units)
    ]
    return sorted(specs, key=lambda s: s.code)


def _grids(cells: _Cells, labels: _Labels, units: _Units, projection: LocalProjection) -> list[GridSpec]:
    """One grid per cell, numbered in reading order inside its community."""
    boxes = projection.geometry_to_wgs84(_cell_boxes(cells))
    xy = cells.xy
    order = np.argsort(labels.community, kind="stable")
    specs = []
    for community, members in enumerate(np.split(order, np.cumsum(np.bincount(labels.community))[:-1])):
        code = units.communities[community].code
        for seq, i in enumerate(_reading(xy, members, CELL_M), start=1):
            specs.append(
                GridSpec(str(GridCode.compose(code, seq)), code, boxes[i], CELL_M**2, float(cells.density[i]))
            )
    return sorted(specs, key=lambda g: g.code)


# --- roads ----------------------------------------------------------------------------------------


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


def _lattices(cells: _Cells) -> tuple[_Lattice, _Lattice]:
    col0, row0 = int(cells.col.min()), int(cells.row.min())
    cell_at = np.full((int(cells.col.max()) - col0 + 3, int(cells.row.max()) - row0 + 3), -1, dtype=np.int64)
    cell_at[cells.col - col0 + 1, cells.row - row0 + 1] = np.arange(cells.size)
    return _Lattice(True, cell_at, col0 - 1, row0 - 1), _Lattice(False, cell_at.T.copy(), row0 - 1, col0 - 1)


def _roads(
    cells: _Cells,
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
    specs, metric = [], []
    taken: set[str] = set()
    for k, (piece, start, end) in enumerate(sections, start=1):
        line = lines[piece.line]
        lattice = lattices[0 if line.vertical else 1]
        metric.append(shapely.linestrings(lattice.metres(line.u, np.arange(start, end + 1))))
        town = _section_town(lattice, line.u, start + end, cell_town)
        tier = RoadTier.CITY if line.arterial else namer.tier(piece.line)
        specs.append(
            (f"R{k:05d}", namer.section(piece, start, end, taken), tier, town, (end - start) * CELL_M)
        )
    geoms = projection.geometry_to_wgs84(np.array(metric, dtype=object))
    return [
        RoadSpec(code, name, tier, town, geom, length)
        for (code, name, tier, town, length), geom in zip(specs, geoms, strict=True)
    ]


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


def _cut_sections(
    pieces: list[_Piece], target: int, rng: np.random.Generator
) -> list[tuple[_Piece, int, int]]:
    """Cut each piece at randomly chosen junctions so the section count lands near ``target``."""
    blocks = np.array([p.inner_nodes.size + 1 for p in pieces], dtype=np.float64)
    low, high = 0.0, 1.0
    for _ in range(40):  # the share of junctions to cut at, by bisection
        mid = (low + high) / 2
        low, high = (mid, high) if np.clip(blocks * mid, 1, blocks).sum() < target else (low, mid)
    wanted = np.clip(blocks * high, 1, blocks)
    counts = np.floor(wanted) + (rng.random(blocks.size) < wanted - np.floor(wanted))
    sections: list[tuple[_Piece, int, int]] = []
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


# --- departments, people, quality -----------------------------------------------------------------


def _departments(size: DemoSize, districts: list[UnitSpec]) -> list[DepartmentSpec]:
    """One city department per field, then district bureaus (common fields first) up to the size's
    count; every field has a department, so a small city gets a few more than it asked for."""
    fields = list(DEPARTMENT_FIELDS)
    specs = [
        DepartmentSpec(f"BM{CITY_CODE}{k + 1:02d}", department_name(f, None), f, None)
        for k, f in enumerate(fields)
    ]
    for field in DISTRICT_FIELDS:
        for d in districts:
            if len(specs) >= size.departments:
                return specs
            code = f"BM{d.code}{fields.index(field) + 1:02d}"
            specs.append(DepartmentSpec(code, department_name(field, d.name), field, d.code))
    return specs


def _quality(district_codes: list[str], rng: np.random.Generator) -> dict[str, float]:
    """Evenly spread, shuffled quality levels, so every district differs from every other."""
    n = len(district_codes)
    levels = np.linspace(0.65, 1.35, n) if n > 1 else np.ones(1)
    values = rng.permutation(levels) + rng.uniform(-0.02, 0.02, n)
    return {
        code: round(float(np.clip(v, 0.6, 1.4)), 3) for code, v in zip(district_codes, values, strict=True)
    }


def _people(
    units: _Units,
    grids: list[GridSpec],
    roads: list[RoadSpec],
    departments: list[DepartmentSpec],
    quality: dict[str, float],
    names: NameBook,
    rng: np.random.Generator,
) -> list[PersonSpec]:
    """Leaders and staff; grid workers, road chiefs and community heads leave some posts empty,
    more of them in weaker districts."""
    posts: list[tuple[Role, Scope, str]] = [
        (Role.LEADER, "unit", CITY_CODE),
        (Role.EVALUATOR, "unit", CITY_CODE),
        (Role.EVALUATOR, "unit", CITY_CODE),
        *[(Role.TESTER, "unit", CITY_CODE) for _ in range(4)],
        *[(Role.LEADER, "unit", d.code) for d in units.districts],
        *[(Role.TOWN_LEAD, "unit", t.code) for t in units.towns],
    ]
    staffed: list[tuple[Role, Scope, list[str], float]] = [
        (Role.COMMUNITY_HEAD, "unit", sorted(c.code for c in units.communities), MISSING_COMMUNITY_HEADS),
        (Role.GRID_WORKER, "grid", [g.code for g in grids], MISSING_GRID_WORKERS),
        (Role.ROAD_CHIEF, "road", [r.code for r in roads], MISSING_ROAD_CHIEFS),
    ]
    for role, scope, codes, missing in staffed:
        district = [r.town_code[:6] for r in roads] if role is Role.ROAD_CHIEF else [c[:6] for c in codes]
        posts += [(role, scope, c) for c in _filled(codes, district, missing, quality, rng)]
    posts += [(Role.DEPARTMENT_CONTACT, "department", d.code) for d in departments]
    return [PersonSpec(n, r, s, c) for n, (r, s, c) in zip(names.people(len(posts)), posts, strict=True)]


def _filled(
    codes: Sequence[str],
    district: Sequence[str],
    missing: float,
    quality: dict[str, float],
    rng: np.random.Generator,
) -> list[str]:
    """The posts that have someone: ``missing`` of them stay empty, weighted towards weak districts."""
    weight = np.array([1.6 - quality[d] for d in district])
    empty = rng.choice(len(codes), size=round(missing * len(codes)), replace=False, p=weight / weight.sum())
    vacant = np.zeros(len(codes), dtype=bool)
    vacant[empty] = True
    return [c for c, v in zip(codes, vacant.tolist(), strict=True) if not v]


def _hot_spots(
    units: _Units, cells: _Cells, labels: _Labels, quality: dict[str, float], rng: np.random.Generator
) -> list[str]:
    """A few busy streets, most likely in weak districts: the 重灾区 of the speech."""
    density = _label_means(cells.density[:, None], labels.town)[:, 0]
    district_quality = np.array([quality[t.parent_code or ""] for t in units.towns])
    street = np.array([1.5 if t.kind is UnitKind.STREET else 0.5 for t in units.towns])
    weight = density * street * (2.0 - district_quality) ** 2
    count = min(len(units.towns), max(2, round(len(units.towns) * 0.04)))
    chosen = rng.choice(len(units.towns), size=count, replace=False, p=weight / weight.sum())
    return sorted(units.towns[i].code for i in chosen)
