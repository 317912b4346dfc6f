"""Coverage of the long-term mechanism (长效机制到位情况): per district and town/street, the share of
grids with a grid worker, roads with a road chief and communities with a head, and the list of gaps.

The speech says "网格和路长还没全部到位"; this makes it a number. Everything is counted as it stood on
one day (``at``): the units, grids, roads and role assignments in force then. Posts and the people
holding them are matched by code, not by row id, so a post keeps its holder when its boundary gets a
new version.

The storage side answers three questions (``CoverageReader``); rolling communities up into towns,
towns into districts and districts into the city happens here, so every level adds up the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Protocol

from kaoping.domain.errors import NotFoundError
from kaoping.domain.organisation import UnitLevel

SHARE_PLACES = Decimal("0.0001")  # a share of 0.9512 shows as 95.1 %
CITY_FALLBACK_NAME = "全市"


class Post(StrEnum):
    """A post of the long-term mechanism: each grid wants a grid worker, each road a road chief,
    each community a head."""

    GRID = "grid"  # 网格 → 网格员
    ROAD = "road"  # 道路 → 路长
    COMMUNITY = "community"  # 社区(村) → 社区(村)主任


# --- what storage provides ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitRecord:
    """A city, district, town/street or community in force on the day; ``parent_code`` None at the top."""

    code: str
    name: str
    level: UnitLevel
    parent_code: str | None


@dataclass(frozen=True, slots=True)
class PostCount:
    """How many posts of one kind a unit has, and how many of them someone holds.

    ``unit_code`` is the community a grid lies in, or the town/street a road or a community belongs to.
    """

    post: Post
    unit_code: str
    total: int
    filled: int


@dataclass(frozen=True, slots=True)
class Vacancy:
    """A post nobody holds; ``name`` is the road's or community's name ("" for a grid), ``unit_code``
    as in ``PostCount``."""

    post: Post
    code: str
    name: str
    unit_code: str


class CoverageReader(Protocol):
    def list_units(self, at: date) -> list[UnitRecord]:
        """The city, districts, towns/streets and communities in force on ``at``."""
        ...

    def count_posts(self, at: date) -> list[PostCount]:
        """Grids per community, roads per town and communities per town in force on ``at``, each with
        how many have someone holding the post (a role assignment in force on ``at``)."""
        ...

    def list_vacancies(self, at: date) -> list[Vacancy]:
        """Every grid, road and community in force on ``at`` whose post nobody holds then."""
        ...


# --- what the service gives -----------------------------------------------------------------------


def share(filled: int, total: int) -> Decimal | None:
    """``filled / total`` to four places; None when there is nothing to hold (shown as "—")."""
    if total == 0:
        return None
    return (Decimal(filled) / Decimal(total)).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class UnitCoverage:
    """The posts of one unit (everything below it counted) and how many are held."""

    unit_code: str
    unit_name: str
    level: UnitLevel
    grids: int = 0
    grids_with_worker: int = 0
    roads: int = 0
    roads_with_chief: int = 0
    communities: int = 0
    communities_with_head: int = 0

    @property
    def grid_worker_share(self) -> Decimal | None:
        """网格员到位率."""
        return share(self.grids_with_worker, self.grids)

    @property
    def road_chief_share(self) -> Decimal | None:
        """路长到位率."""
        return share(self.roads_with_chief, self.roads)

    @property
    def community_head_share(self) -> Decimal | None:
        """社区(村)主任到位率."""
        return share(self.communities_with_head, self.communities)

    @property
    def is_complete(self) -> bool:
        """Every post below the unit is held."""
        return (
            self.grids_with_worker == self.grids
            and self.roads_with_chief == self.roads
            and self.communities_with_head == self.communities
        )


@dataclass(frozen=True, slots=True)
class GridGap:
    """A grid without a grid worker."""

    code: str
    community_name: str
    town_code: str


@dataclass(frozen=True, slots=True)
class RoadGap:
    """A road without a road chief."""

    code: str
    road_name: str
    town_name: str
    town_code: str


@dataclass(frozen=True, slots=True)
class CommunityGap:
    """A community (or village) without a head."""

    code: str
    name: str
    town_name: str
    town_code: str


@dataclass(frozen=True, slots=True)
class CoverageGaps:
    grids_without_worker: list[GridGap]
    roads_without_chief: list[RoadGap]
    communities_without_head: list[CommunityGap]

    @property
    def count(self) -> int:
        return (
            len(self.grids_without_worker)
            + len(self.roads_without_chief)
            + len(self.communities_without_head)
        )


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """Coverage on one day: the whole city, its districts (or the one asked for), the towns/streets
    of those districts, and the gaps in them; units in code order."""

    at: date
    city: UnitCoverage
    districts: list[UnitCoverage]
    towns: list[UnitCoverage]
    gaps: CoverageGaps


def coverage(reader: CoverageReader, at: date, district_code: str | None = None) -> CoverageReport:
    """Coverage of grid workers, road chiefs and community heads on ``at``, for the whole city or for
    one district's towns/streets; raises NotFoundError for a district not in force on ``at``."""
    tree = _Tree(reader.list_units(at))
    if district_code is not None and district_code not in tree.districts:
        raise NotFoundError(f"在 {at.isoformat()} 有效的区县", district_code)
    towns = tree.roll_up_towns(reader.count_posts(at))
    districts = {code: tree.district(code, towns) for code in tree.districts}
    city = tree.city(list(districts.values()))
    chosen = [district_code] if district_code is not None else sorted(districts)
    town_codes = [t for d in chosen for t in tree.towns_of(d)]
    return CoverageReport(
        at=at,
        city=city,
        districts=[districts[d] for d in chosen],
        towns=sorted((towns[t] for t in town_codes), key=lambda u: u.unit_code),
        gaps=tree.gaps(reader.list_vacancies(at), set(town_codes)),
    )


class _Tree:
    """The units in force, by code, with the roll-up rules."""

    def __init__(self, units: Iterable[UnitRecord]) -> None:
        self.units = {u.code: u for u in units}
        self.districts = {c for c, u in self.units.items() if u.level is UnitLevel.DISTRICT}
        self._towns: dict[str, list[str]] = defaultdict(list)
        for code, unit in sorted(self.units.items()):
            if unit.level is UnitLevel.TOWN and unit.parent_code in self.districts:
                self._towns[unit.parent_code].append(code)

    def towns_of(self, district_code: str) -> list[str]:
        return self._towns.get(district_code, [])

    def town_of(self, code: str) -> str | None:
        """The town/street a town or community code belongs to (None if not in force)."""
        unit = self.units.get(code)
        if unit is None:
            return None
        return code if unit.level is UnitLevel.TOWN else unit.parent_code

    def name(self, code: str | None) -> str:
        unit = self.units.get(code or "")
        return unit.name if unit else ""

    def roll_up_towns(self, counts: Iterable[PostCount]) -> dict[str, UnitCoverage]:
        """Coverage of every town/street in a district; posts under units not in force are dropped
        (``kaoping geo check`` reports such orphans)."""
        totals: dict[str, dict[str, int]] = {
            t: defaultdict(int) for d in self.districts for t in self.towns_of(d)
        }
        for count in counts:
            town = self.town_of(count.unit_code)
            if town not in totals:
                continue
            total_field, filled_field = _FIELDS[count.post]
            totals[town][total_field] += count.total
            totals[town][filled_field] += count.filled
        return {
            code: UnitCoverage(code, self.name(code), UnitLevel.TOWN, **fields)
            for code, fields in totals.items()
        }

    def district(self, code: str, towns: dict[str, UnitCoverage]) -> UnitCoverage:
        parts = [towns[t] for t in self.towns_of(code)]
        return _summed(code, self.name(code), UnitLevel.DISTRICT, parts)

    def city(self, districts: Sequence[UnitCoverage]) -> UnitCoverage:
        """The city unit in force; a "全市" without a code when the data holds no city row."""
        cities = sorted(c for c, u in self.units.items() if u.level is UnitLevel.CITY)
        if len(cities) == 1:
            return _summed(cities[0], self.name(cities[0]), UnitLevel.CITY, districts)
        return _summed("", CITY_FALLBACK_NAME, UnitLevel.CITY, districts)

    def gaps(self, vacancies: Iterable[Vacancy], towns: set[str]) -> CoverageGaps:
        grids, roads, communities = [], [], []
        for v in sorted(vacancies, key=lambda v: v.code):
            town = self.town_of(v.unit_code)
            if town is None or town not in towns:
                continue
            if v.post is Post.GRID:
                grids.append(GridGap(v.code, self.name(v.unit_code), town))
            elif v.post is Post.ROAD:
                roads.append(RoadGap(v.code, v.name, self.name(town), town))
            else:
                communities.append(CommunityGap(v.code, v.name, self.name(town), town))
        return CoverageGaps(grids, roads, communities)


_FIELDS: dict[Post, tuple[str, str]] = {
    Post.GRID: ("grids", "grids_with_worker"),
    Post.ROAD: ("roads", "roads_with_chief"),
    Post.COMMUNITY: ("communities", "communities_with_head"),
}


def _summed(code: str, name: str, level: UnitLevel, parts: Sequence[UnitCoverage]) -> UnitCoverage:
    fields = {f: sum(getattr(p, f) for p in parts) for pair in _FIELDS.values() for f in pair}
    return UnitCoverage(code, name, level, **fields)
