"""The deterministic synthetic demo city, 青川市: districts, towns/streets, communities, unit grids,
roads, departments and the people in charge of them.

The city is a blob of 100 m cells around a fictional centre near Jinan, partitioned level by level
(``demo.lattice``), with streets along the cell edges (``demo.roads``). This module gives the units
their codes and names, staffs them, and hands the whole city out as plain specs.

The same seed always gives the same city: each concern draws from its own random stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from shapely import MultiPolygon, Polygon

from kaoping.demo.lattice import (
    CELL_M,
    Cells,
    FloatArray,
    IntArray,
    Labels,
    cell_boxes,
    city_cells,
    label_means,
    parents,
    partition,
    unit_geometries,
)
from kaoping.demo.names import CITY_NAME, NameBook, department_name
from kaoping.demo.roads import RoadSpec, lay_roads  # RoadSpec is part of this module's API too
from kaoping.demo.sizes import DemoSize
from kaoping.domain.grid_codes import GridCode, reading_order
from kaoping.domain.organisation import Role, UnitKind, UnitLevel
from kaoping.geo.projection import LocalProjection

Scope = Literal["unit", "grid", "road", "department"]

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
    cells = city_cells(size.grids, shape_rng)
    labels = partition(cells, size, split_rng)
    units = _code_units(cells, labels, size, names)
    geometry = unit_geometries(cells, labels, projection)
    grids = _grids(cells, labels, units, projection)
    roads = lay_roads(cells, units.town_codes[labels.town], size.roads, names, road_rng, projection)
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


def _city(geometry: Polygon, cells: Cells) -> UnitSpec:
    area = cells.size * CELL_M**2
    return UnitSpec(CITY_CODE, CITY_NAME, UnitLevel.CITY, UnitKind.CITY, None, None, geometry, area)


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


def _code_units(cells: Cells, labels: Labels, size: DemoSize, names: NameBook) -> _Units:
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
        code, group = f"{ADMIN_PREFIX}{seq:02d}", f"group{group_of[k] + 1}"
        units.append(_Unit(code, name, UnitLevel.DISTRICT, kind, CITY_CODE, group))
    return units


def _code_towns(cells: Cells, labels: Labels, districts: list[_Unit], names: NameBook) -> list[_Unit]:
    """Urban towns are 街道 (codes 001–099), the rest 镇 (100–199); a county keeps one 街道, its seat."""
    parent = parents(labels.town, labels.district)
    xy = label_means(cells.xy, labels.town)
    density = label_means(cells.density[:, None], labels.town)[:, 0]
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


def _code_communities(cells: Cells, labels: Labels, towns: list[_Unit], names: NameBook) -> list[_Unit]:
    """社区 get codes 001–199 and 村 200–399; a 镇 has one or two 社区 at its seat, the rest are 村."""
    parent = parents(labels.community, labels.town)
    xy = label_means(cells.xy, labels.community)
    density = label_means(cells.density[:, None], labels.community)[:, 0]
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


# --- specs ----------------------------------------------------------------------------------------


def _specs(units: list[_Unit], geoms: NDArray[np.object_], cells: Cells, labels: IntArray) -> list[UnitSpec]:
    area = np.bincount(labels) * CELL_M**2
    specs = [
        UnitSpec(u.code, u.name, u.level, u.kind, u.parent_code, u.group_code, geoms[i], float(area[i]))
        for i, u in enumerate(units)
    ]
    return sorted(specs, key=lambda s: s.code)


def _grids(cells: Cells, labels: Labels, units: _Units, projection: LocalProjection) -> list[GridSpec]:
    """One grid per cell, numbered in reading order inside its community."""
    boxes = projection.geometry_to_wgs84(cell_boxes(cells))
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
    units: _Units, cells: Cells, labels: Labels, quality: dict[str, float], rng: np.random.Generator
) -> list[str]:
    """A few busy streets, most likely in weak districts: the 重灾区 of the speech."""
    density = label_means(cells.density[:, None], labels.town)[:, 0]
    district_quality = np.array([quality[t.parent_code or ""] for t in units.towns])
    street = np.array([1.5 if t.kind is UnitKind.STREET else 0.5 for t in units.towns])
    weight = density * street * (2.0 - district_quality) ** 2
    count = min(len(units.towns), max(2, round(len(units.towns) * 0.04)))
    chosen = rng.choice(len(units.towns), size=count, replace=False, p=weight / weight.sum())
    return sorted(units.towns[i].code for i in chosen)
