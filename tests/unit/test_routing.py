"""Routing: 部件 owner first, 事件 territory first, 属地兜底, and the liability split."""

from decimal import Decimal

import pytest

from kaoping.domain.categories import Category, CategoryKind, CategoryLevel
from kaoping.domain.ids import DepartmentId, GridId, UnitId
from kaoping.domain.problems import Location
from kaoping.domain.routing import DepartmentDirectory, Lead, LiabilitySplit, route

DISTRICT, OTHER_DISTRICT, TOWN = UnitId(2), UnitId(3), UnitId(20)
HERE = Location(GridId(1), UnitId(200), TOWN, DISTRICT)
CITY_SANITATION, DISTRICT_SANITATION, CITY_MUNICIPAL = DepartmentId(1), DepartmentId(2), DepartmentId(3)
DIRECTORY = DepartmentDirectory(
    {
        ("sanitation", None): CITY_SANITATION,
        ("sanitation", DISTRICT): DISTRICT_SANITATION,
        ("municipal", None): CITY_MUNICIPAL,
    }
)
SPLIT = LiabilitySplit(Decimal("0.2"), frozenset({"municipal"}))


def make_category(kind: CategoryKind = CategoryKind.EVENT, department: str | None = "sanitation") -> Category:
    code = "C0101" if kind is CategoryKind.COMPONENT else "E0102"
    return Category(code, kind, CategoryLevel.MINOR, "测试类别", code[:3], department_type=department)


def test_an_event_goes_to_the_territory_first_with_the_department_sharing_two_to_eight() -> None:
    result = route(make_category(CategoryKind.EVENT), HERE, DIRECTORY, SPLIT)
    assert (result.lead, result.town_id, result.department_id) == (Lead.TERRITORY, TOWN, DISTRICT_SANITATION)
    assert (result.department_share, result.town_share) == (Decimal("0.2"), Decimal("0.8"))


def test_a_component_goes_to_its_owner_first() -> None:
    result = route(make_category(CategoryKind.COMPONENT), HERE, DIRECTORY, SPLIT)
    assert (result.lead, result.department_id) == (Lead.DEPARTMENT, DISTRICT_SANITATION)
    assert result.department_share == Decimal("0.2")


def test_a_component_of_a_directly_managed_field_is_charged_to_its_department_in_full() -> None:
    result = route(make_category(CategoryKind.COMPONENT, "municipal"), HERE, DIRECTORY, SPLIT)
    assert (result.department_id, result.department_share, result.town_share) == (CITY_MUNICIPAL, 1, 0)


def test_the_districts_own_bureau_answers_before_the_city_department() -> None:
    elsewhere = Location(GridId(9), UnitId(300), UnitId(30), OTHER_DISTRICT)
    assert route(make_category(), HERE, DIRECTORY, SPLIT).department_id == DISTRICT_SANITATION
    assert route(make_category(), elsewhere, DIRECTORY, SPLIT).department_id == CITY_SANITATION


@pytest.mark.parametrize("kind", list(CategoryKind))
@pytest.mark.parametrize("department", [None, "telecom"])  # no field, or a field nobody holds here
def test_a_problem_no_department_answers_for_falls_to_the_territory(
    kind: CategoryKind, department: str | None
) -> None:
    result = route(make_category(kind, department), HERE, DIRECTORY, SPLIT)
    assert result.is_territorial_fallback
    assert (result.lead, result.town_id, result.town_share) == (Lead.TERRITORY, TOWN, 1)


def test_a_split_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        LiabilitySplit(Decimal("1.2"))
