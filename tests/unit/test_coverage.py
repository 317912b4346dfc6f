"""Coverage of grid workers, road chiefs and community heads, rolled up from a fake reader."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

from kaoping.domain.errors import NotFoundError
from kaoping.domain.organisation import UnitLevel
from kaoping.services.coverage import (
    Post,
    PostCount,
    UnitCoverage,
    UnitRecord,
    Vacancy,
    coverage,
    share,
)

AT = date(2025, 6, 1)


def make_units(with_city: bool = True) -> list[UnitRecord]:
    """A city with two districts; district 01 has two towns, district 02 one town with nothing in it."""
    units = [
        UnitRecord("370101", "甲区", UnitLevel.DISTRICT, "370100" if with_city else None),
        UnitRecord("370102", "乙区", UnitLevel.DISTRICT, "370100" if with_city else None),
        UnitRecord("370101001", "东街道", UnitLevel.TOWN, "370101"),
        UnitRecord("370101100", "西镇", UnitLevel.TOWN, "370101"),
        UnitRecord("370102001", "空街道", UnitLevel.TOWN, "370102"),
        UnitRecord("370101001001", "东社区", UnitLevel.COMMUNITY, "370101001"),
        UnitRecord("370101001002", "南社区", UnitLevel.COMMUNITY, "370101001"),
        UnitRecord("370101100200", "王家村", UnitLevel.COMMUNITY, "370101100"),
    ]
    return [UnitRecord("370100", "某市", UnitLevel.CITY, None), *units] if with_city else units


def make_counts() -> list[PostCount]:
    return [
        PostCount(Post.GRID, "370101001001", 10, 9),
        PostCount(Post.GRID, "370101001002", 5, 5),
        PostCount(Post.GRID, "370101100200", 4, 2),
        PostCount(Post.GRID, "999999999999", 7, 0),  # a community not in force: dropped
        PostCount(Post.ROAD, "370101001", 3, 2),
        PostCount(Post.ROAD, "370101100", 1, 1),
        PostCount(Post.COMMUNITY, "370101001", 2, 2),
        PostCount(Post.COMMUNITY, "370101100", 1, 0),
    ]


def make_vacancies() -> list[Vacancy]:
    return [
        Vacancy(Post.GRID, "370101100200004", "", "370101100200"),
        Vacancy(Post.GRID, "370101100200003", "", "370101100200"),
        Vacancy(Post.GRID, "370101001001010", "", "370101001001"),
        Vacancy(Post.ROAD, "R7", "和平路", "370101001"),
        Vacancy(Post.COMMUNITY, "370101100200", "王家村", "370101100"),
        Vacancy(Post.GRID, "999999999999001", "", "999999999999"),  # under no unit in force
    ]


@dataclass
class FakeReader:
    units: list[UnitRecord] = field(default_factory=make_units)
    counts: list[PostCount] = field(default_factory=make_counts)
    vacancies: list[Vacancy] = field(default_factory=make_vacancies)
    asked: list[date] = field(default_factory=list)

    def list_units(self, at: date) -> list[UnitRecord]:
        self.asked.append(at)
        return self.units

    def count_posts(self, at: date) -> list[PostCount]:
        return self.counts

    def list_vacancies(self, at: date) -> list[Vacancy]:
        return self.vacancies


def figures(unit: UnitCoverage) -> tuple[int, ...]:
    return (
        unit.grids,
        unit.grids_with_worker,
        unit.roads,
        unit.roads_with_chief,
        unit.communities,
        unit.communities_with_head,
    )


def test_towns_add_up_to_districts_and_districts_to_the_city() -> None:
    report = coverage(FakeReader(), AT)
    towns = {t.unit_code: figures(t) for t in report.towns}
    assert towns == {
        "370101001": (15, 14, 3, 2, 2, 2),
        "370101100": (4, 2, 1, 1, 1, 0),
        "370102001": (0, 0, 0, 0, 0, 0),
    }
    assert [(d.unit_code, figures(d)) for d in report.districts] == [
        ("370101", (19, 16, 4, 3, 3, 2)),
        ("370102", (0, 0, 0, 0, 0, 0)),
    ]
    assert (report.city.unit_code, report.city.unit_name, figures(report.city)) == (
        "370100",
        "某市",
        (19, 16, 4, 3, 3, 2),
    )
    assert report.at == AT


def test_shares_are_exact_decimals_and_none_when_there_is_nothing_to_hold() -> None:
    report = coverage(FakeReader(), AT)
    district = report.districts[0]
    assert district.grid_worker_share == Decimal("0.8421")  # 16/19
    assert district.road_chief_share == Decimal("0.7500")
    assert district.community_head_share == Decimal("0.6667")
    empty = report.districts[1]
    assert (empty.grid_worker_share, empty.road_chief_share, empty.community_head_share) == (None, None, None)
    assert share(1, 8) == Decimal("0.1250")
    assert share(0, 0) is None


def test_a_unit_is_complete_only_when_every_post_is_held() -> None:
    report = coverage(FakeReader(), AT)
    assert not report.districts[0].is_complete
    assert report.districts[1].is_complete  # nothing to hold, nothing missing


def test_gaps_name_the_community_of_a_grid_and_the_town_of_a_road_or_community() -> None:
    gaps = coverage(FakeReader(), AT).gaps
    assert [(g.code, g.community_name, g.town_code) for g in gaps.grids_without_worker] == [
        ("370101001001010", "东社区", "370101001"),
        ("370101100200003", "王家村", "370101100"),
        ("370101100200004", "王家村", "370101100"),
    ]
    assert [(r.code, r.road_name, r.town_name) for r in gaps.roads_without_chief] == [
        ("R7", "和平路", "东街道")
    ]
    assert [(c.code, c.name, c.town_name) for c in gaps.communities_without_head] == [
        ("370101100200", "王家村", "西镇")
    ]
    assert gaps.count == 5


def test_one_district_gives_its_towns_and_only_its_gaps() -> None:
    report = coverage(FakeReader(), AT, district_code="370102")
    assert [d.unit_code for d in report.districts] == ["370102"]
    assert [t.unit_code for t in report.towns] == ["370102001"]
    assert report.gaps.count == 0
    assert figures(report.city) == (19, 16, 4, 3, 3, 2)  # the city total stays the whole city


def test_an_unknown_district_is_refused_naming_the_code_and_day() -> None:
    with pytest.raises(NotFoundError, match="370199") as err:
        coverage(FakeReader(), AT, district_code="370199")
    assert "2025-06-01" in err.value.message


def test_a_city_without_a_city_row_is_called_the_whole_city() -> None:
    report = coverage(FakeReader(units=make_units(with_city=False)), AT)
    assert (report.city.unit_code, report.city.unit_name) == ("", "全市")
    assert figures(report.city) == (19, 16, 4, 3, 3, 2)


def test_the_reader_is_asked_about_the_day_of_the_report() -> None:
    reader = FakeReader()
    coverage(reader, date(2024, 1, 1))
    assert reader.asked == [date(2024, 1, 1)]
