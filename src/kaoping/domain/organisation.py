"""The organisation: city → districts/counties → towns/streets → communities → unit grids, roads,
departments and the people who hold roles in them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from kaoping.domain.ids import DepartmentId, GridId, GroupId, PersonId, RoadId, UnitId


class UnitLevel(StrEnum):
    """Levels of the administrative hierarchy; unit grids sit below ``COMMUNITY`` in their own table."""

    CITY = "city"  # 市
    DISTRICT = "district"  # 区/县/县级市/功能区
    TOWN = "town"  # 镇街 (镇 or 街道)
    COMMUNITY = "community"  # 社区/村


class UnitKind(StrEnum):
    """What an administrative unit is called locally (区, 县, 街道, 镇, 社区, 村 …)."""

    CITY = "city"  # 市
    DISTRICT = "district"  # 区
    COUNTY = "county"  # 县
    ZONE = "zone"  # 管委会/功能区
    STREET = "street"  # 街道
    TOWN = "town"  # 镇
    TOWNSHIP = "township"  # 乡
    COMMUNITY = "community"  # 社区
    VILLAGE = "village"  # 村


class RoadTier(StrEnum):
    """Road tiers used to sample roads and assign road chiefs (市级, 区一级, 区二级)."""

    CITY = "city"
    DISTRICT_1 = "district_1"
    DISTRICT_2 = "district_2"


class Role(StrEnum):
    """Roles people hold, each scoped to a unit, grid, road or department."""

    GRID_WORKER = "grid_worker"  # 网格员
    ROAD_CHIEF = "road_chief"  # 路长
    COMMUNITY_HEAD = "community_head"  # 社区(村)主任, 第一责任人
    TOWN_LEAD = "town_lead"  # 镇街城管负责人
    DEPARTMENT_CONTACT = "department_contact"  # 部门联络员
    SUPERVISOR = "supervisor"  # 监督员 / 信息采集员
    TESTER = "tester"  # 第三方测评员
    EVALUATOR = "evaluator"  # 考评办
    LEADER = "leader"  # 领导


@dataclass(frozen=True, slots=True)
class AdminUnit:
    """A city, district/county, town/street or community."""

    id: UnitId
    code: str  # GB/T 2260 + GB/T 10114: 6 digits (district), 9 (town), 12 (community)
    name: str
    level: UnitLevel
    kind: UnitKind
    parent_id: UnitId | None
    group_id: GroupId | None = None  # evaluation group (组), for districts
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True, slots=True)
class Grid:
    """A unit grid (单元网格), the smallest polygon of responsibility."""

    id: GridId
    code: str  # 15 digits, see grid_codes
    community_id: UnitId
    area_m2: float


@dataclass(frozen=True, slots=True)
class Road:
    """A road (or road section) with its tier and its one road chief."""

    id: RoadId
    code: str
    name: str
    tier: RoadTier
    length_m: float
    town_id: UnitId


@dataclass(frozen=True, slots=True)
class Department:
    """A department (部门单位) responsible for a field such as sanitation or landscaping."""

    id: DepartmentId
    code: str
    name: str
    field: str  # department type code, matched against Category.department_type
    district_id: UnitId | None  # None for a city-level department


@dataclass(frozen=True, slots=True)
class Person:
    id: PersonId
    name: str


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    """A person holding a role over one scope (unit, grid, road or department)."""

    person_id: PersonId
    role: Role
    unit_id: UnitId | None = None
    grid_id: GridId | None = None
    road_id: RoadId | None = None
    department_id: DepartmentId | None = None
