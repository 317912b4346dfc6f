"""Routing (派遣): who answers for a problem, and how a deduction is shared.

The rules of domain.md §4: a 部件 (component) problem goes to its owner first, then to the territory
("先属主、后属地"); an 事件 (event) problem goes to the territory first, then to the competent
department ("先属地、后属主"). A problem no department answers for falls to the territory (属地兜底:
"属地管理、责随权走、责任主体唯一"). Deductions are shared between the department and the town/street
by a configurable split (one district charges 2:8, [S43]); fields a department manages directly are
charged to it in full.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from kaoping.domain.categories import Category, CategoryKind
from kaoping.domain.ids import DepartmentId, UnitId
from kaoping.domain.problems import Location

ONE = Decimal(1)


class Lead(StrEnum):
    """Who leads the handling: the owner/competent department, or the territory (town/street)."""

    DEPARTMENT = "department"
    TERRITORY = "territory"


@dataclass(frozen=True, slots=True)
class LiabilitySplit:
    """How a deduction is shared: ``department_share`` to the department, the rest to the town/street.

    ``direct_fields`` are department types that manage their facilities directly (the deduction is
    theirs in full when they lead)."""

    department_share: Decimal = Decimal("0.2")
    direct_fields: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.department_share <= ONE:
            raise ValueError(f"department_share must be between 0 and 1, not {self.department_share}")


@dataclass(frozen=True, slots=True)
class Responsibility:
    """The outcome of routing: who leads, who else answers, and each one's share of a deduction."""

    lead: Lead
    town_id: UnitId
    department_id: DepartmentId | None
    department_share: Decimal

    @property
    def town_share(self) -> Decimal:
        return ONE - self.department_share

    @property
    def is_territorial_fallback(self) -> bool:
        """No department answers for it: 属地兜底."""
        return self.department_id is None


@dataclass(frozen=True, slots=True)
class DepartmentDirectory:
    """Departments by field: a district's own bureau first, else the city-level department."""

    by_field: Mapping[tuple[str, UnitId | None], DepartmentId]

    def find(self, field_code: str | None, district_id: UnitId) -> DepartmentId | None:
        if not field_code:
            return None
        return self.by_field.get((field_code, district_id)) or self.by_field.get((field_code, None))


def route(
    category: Category, location: Location, departments: DepartmentDirectory, split: LiabilitySplit
) -> Responsibility:
    """Who answers for a problem of ``category`` at ``location``, and how its deduction is shared."""
    department = departments.find(category.department_type, location.district_id)
    if department is None:
        return Responsibility(Lead.TERRITORY, location.town_id, None, Decimal(0))
    if category.kind is CategoryKind.COMPONENT:
        direct = category.department_type in split.direct_fields
        share = ONE if direct else split.department_share
        return Responsibility(Lead.DEPARTMENT, location.town_id, department, share)
    return Responsibility(Lead.TERRITORY, location.town_id, department, split.department_share)
