"""Scheme files: the shipped ones load, and a broken one is refused with every place named."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from kaoping.demo.geography import build_geography
from kaoping.demo.sizes import SIZES
from kaoping.domain.categories import CategoryTree
from kaoping.domain.periods import PeriodKind
from kaoping.domain.problems import Channel
from kaoping.domain.schemes import EvaluatedLevel, ItemKind, RateFormula, Scheme
from kaoping.io.schemes import (
    NoSchemeInForceError,
    SchemeFileError,
    load_scheme_file,
    load_schemes,
    scheme_in_force,
)
from kaoping.io.seeds import load_categories

# A small valid scheme; each test breaks one thing in it. Line numbers below are found by text, so
# the tests say which line a message must name without counting by hand.
VALID = """\
code: test-scheme
name: 测试方案
version: "1"
effective_from: 2021-01-01
evaluated: [district]
period: quarter
base_points: 100
components:
  - code: manual
    name: 部门考评
    max_points: "40"
  - code: tested
    name: 第三方测评
    max_points: "60"
    measured: month
items:
  - code: review
    name: 部门评价
    component: manual
    kind: manual
  - code: vending
    name: 占道经营治理
    component: tested
    kind: deduction
    points_per_problem: "0.5"
    categories: [E0501, E0502]
  - code: cleaning
    name: 道路保洁
    component: tested
    kind: deduction
    points_per_problem: "0.5"
    categories: [E0104]
  - code: closure
    name: 结案率
    component: manual
    kind: rate
    rate:
      indicator: closure_rate
      formula: threshold
      target: "0.9"
      per_point: "1"
groups:
  - code: group1
    name: 第一组
    members: ["379901", "379902", "379903"]
    rank_only: ["379903"]
    maxima:
      review: "30"
      closure: "10"
      vending: "40"
      cleaning: "20"
  - code: group2
    name: 第二组
    members: ["379904"]
    maxima:
      review: "30"
      closure: "10"
      vending: "60"
deductions:
  channel_weights:
    third_party: "1"
    media: "2"
"""


@pytest.fixture(scope="module")
def tree() -> CategoryTree:
    return load_categories()


def write(tmp_path: Path, text: str, name: str = "test.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def changed(old: str, new: str, text: str = VALID) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once in the scheme"
    return text.replace(old, new)


def line_of(text: str, fragment: str, nth: int = 1) -> int:
    """The 1-based line of the ``nth`` line containing ``fragment``."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return found[nth - 1]


def refusals(tmp_path: Path, text: str, tree: CategoryTree) -> list[str]:
    with pytest.raises(SchemeFileError) as caught:
        load_scheme_file(write(tmp_path, text), tree)
    return [str(issue) for issue in caught.value.issues]


def assert_refused(tmp_path: Path, text: str, tree: CategoryTree, line: int, path: str, reason: str) -> None:
    expected = f"方案文件 test.yaml 第 {line} 行 {path}: "
    messages = refusals(tmp_path, text, tree)
    assert any(m.startswith(expected) and reason in m for m in messages), messages


# --- the shipped schemes -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> dict[str, Scheme]:
    return {scheme.code: scheme for scheme in load_schemes()}


def test_the_small_valid_scheme_loads(tmp_path: Path, tree: CategoryTree) -> None:
    scheme = load_scheme_file(write(tmp_path, VALID), tree)
    assert scheme.period is PeriodKind.QUARTER
    assert scheme.components["tested"].measured is PeriodKind.MONTH
    assert scheme.items["closure"].rate is not None
    assert scheme.items["closure"].rate.formula is RateFormula.THRESHOLD
    assert scheme.groups["group1"].rank_only == frozenset({"379903"})
    assert scheme.item_of("E0502") is scheme.items["vending"]
    assert scheme.item_of("E0601") is None


def test_both_shipped_schemes_load(shipped: dict[str, Scheme]) -> None:
    assert set(shipped) == {"jinan-city-quarterly", "district-monthly"}


def test_the_city_scheme_is_jinans_thousand_points_in_three_components(shipped: dict[str, Scheme]) -> None:
    city = shipped["jinan-city-quarterly"]
    assert city.base_points == 1000
    assert city.period is PeriodKind.QUARTER
    assert {c.code: c.max_points for c in city.components.values()} == {
        "departments": 500,
        "social": 200,
        "third_party": 300,
    }
    assert city.components["third_party"].measured is PeriodKind.MONTH


def test_the_city_groups_test_eighteen_and_fourteen_items_with_rank_only_counties(
    shipped: dict[str, Scheme],
) -> None:
    city = shipped["jinan-city-quarterly"]
    tested = {code for code, item in city.items.items() if item.component == "third_party"}
    group1, group2 = city.groups["group1"], city.groups["group2"]
    assert len(tested & set(group1.maxima)) == 18
    assert tested - set(group2.maxima) == {"enforcement_conduct", "noise", "site_hoarding", "roads_bridges"}
    assert len(group1.members) == 6
    assert group2.rank_only == frozenset({"379921", "379922"})
    assert city.rewards["group1"].top == (100, 80, 50)
    assert city.rewards["group2"].bottom == (100, 80)


def test_the_city_schemes_third_party_items_keep_the_first_pass_calibration(
    shipped: dict[str, Scheme],
) -> None:
    from kaoping.io.seeds import load_scheme

    first = load_scheme().rules
    city = shipped["jinan-city-quarterly"]
    for code, rule in first.items.items():
        assert city.items[code].categories == rule.category_codes
        assert city.items[code].points_per_problem == rule.points_per_problem
        assert city.groups["group1"].maxima[code] == first.groups["group1"].item_maxima[code] * Decimal("0.3")


def test_the_district_scheme_scores_towns_and_departments_monthly_with_a_two_eight_split(
    shipped: dict[str, Scheme],
) -> None:
    district = shipped["district-monthly"]
    assert district.evaluated == (EvaluatedLevel.TOWN, EvaluatedLevel.DEPARTMENT)
    assert district.period is PeriodKind.MONTH
    assert district.base_points == 100
    assert district.department_share == Decimal("0.2")
    rates = {item.rate.indicator.value for item in district.items.values() if item.rate is not None}
    assert {"closure_rate", "ontime_closure_rate", "rework_rate", "proactive_rate"} <= rates
    assert district.rewards["towns"].top == (3, 2, 1)


def test_the_shipped_members_are_the_city_demos_units(shipped: dict[str, Scheme]) -> None:
    city = build_geography(SIZES["city"], 2021)
    first = city.districts[0].code
    districts = {d.code for d in city.districts}
    towns = {t.code for t in city.towns if t.parent_code == first}
    departments = {d.code for d in city.departments if d.district_code == first}
    by_group = {g.code: set(g.members) for g in shipped["jinan-city-quarterly"].groups.values()}
    assert by_group["group1"] | by_group["group2"] == districts
    assert by_group["group1"] == {d.code for d in city.districts if d.group_code == "group1"}
    district = shipped["district-monthly"].groups
    assert set(district["towns"].members) == towns
    assert set(district["departments"].members) == departments


# --- refusals, each naming the file, the line and the field --------------------------------------


def test_an_unknown_category_is_refused(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed("categories: [E0104]", "categories: [E0104, E9999]")
    line = line_of(text, "E9999")
    assert_refused(tmp_path, text, tree, line, "items[2].categories[1]", "类别 E9999 不存在")


def test_a_major_class_cannot_be_mapped(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed("categories: [E0104]", "categories: [E01]")
    assert_refused(tmp_path, text, tree, line_of(text, "[E01]"), "items[2].categories[0]", "只能映射小类")


def test_a_category_in_two_deduction_items_is_refused(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed("categories: [E0104]", "categories: [E0104, E0501]")
    line = line_of(text, "[E0104, E0501]")
    assert_refused(tmp_path, text, tree, line, "items[2].categories[1]", "已映射到考评项目 vending")


def test_component_maxima_must_add_up_to_the_base_points(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed('max_points: "40"', 'max_points: "50"')
    line = line_of(text, "components:")
    assert_refused(tmp_path, text, tree, line, "components", "各组件满分之和为 110, 应等于基础分")


def test_a_component_above_the_base_points_is_refused(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed('max_points: "40"', 'max_points: "140"')
    line = line_of(text, '"140"')
    assert_refused(tmp_path, text, tree, line, "components[0].max_points", "组件满分 140 超过基础分 100")


def test_a_groups_items_must_add_up_to_each_components_maximum(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed('      vending: "60"', '      vending: "50"')
    line = line_of(text, "maxima:", nth=2)
    assert_refused(
        tmp_path, text, tree, line, "groups[1].maxima", "组件 tested 的项目满分之和为 50, 应等于组件满分 60"
    )


def test_an_item_in_no_group_is_refused(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed(
        '      review: "30"\n      closure: "10"\n      vending: "40"',
        '      review: "30"\n      closure: "10"\n      vending: "60"',
    )
    text = changed('      cleaning: "20"\n', "", text)
    line = line_of(text, "code: cleaning")
    assert_refused(tmp_path, text, tree, line, "items[2]", "考评项目 cleaning 不在任何组中")


def test_a_group_listing_an_unknown_item_is_refused_with_the_closest_one(
    tmp_path: Path, tree: CategoryTree
) -> None:
    text = changed('      cleaning: "20"', '      cleanin: "20"')
    line = line_of(text, "cleanin:")
    assert_refused(
        tmp_path,
        text,
        tree,
        line,
        "groups[0].maxima.cleanin",
        "考评项目 cleanin 不存在, 是否应为 'cleaning'?",
    )


def test_an_item_whose_component_is_unknown_is_refused(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed("    component: manual\n    kind: manual", "    component: manuel\n    kind: manual")
    line = line_of(text, "component: manuel")
    assert_refused(tmp_path, text, tree, line, "items[0].component", "组件 manuel 不存在, 是否应为 'manual'?")


def test_a_rate_item_needs_a_rate_rule(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed("    kind: rate\n    rate:\n", "    kind: rate\n    rules:\n")
    line = line_of(text, "code: closure")
    assert_refused(tmp_path, text, tree, line, "items[3].rate", "比率项目须有比率规则 rate")


def test_a_deduction_item_needs_categories(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed("    categories: [E0104]\n", "")
    line = line_of(text, "code: cleaning")
    assert_refused(tmp_path, text, tree, line, "items[2].categories", "扣分项目须列出映射的小类")


def test_a_manual_item_takes_no_categories(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed("    kind: manual\n", "    kind: manual\n    categories: [E0601]\n")
    line = line_of(text, "[E0601]")
    assert_refused(tmp_path, text, tree, line, "items[0].categories", "manual 项目不用 categories")


def test_a_member_in_two_groups_is_refused(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed('members: ["379904"]', 'members: ["379904", "379901"]')
    line = line_of(text, '"379904", "379901"')
    assert_refused(tmp_path, text, tree, line, "groups[1].members[1]", "成员 379901 已在组 group1 中")


def test_a_rank_only_member_must_be_a_member(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed('rank_only: ["379903"]', 'rank_only: ["379909"]')
    line = line_of(text, "rank_only")
    assert_refused(
        tmp_path, text, tree, line, "groups[0].rank_only[0]", "只排名成员 379909 不在本组 members 中"
    )


def test_bands_must_descend(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed(
        '      formula: threshold\n      target: "0.9"\n      per_point: "1"\n',
        "      formula: banded\n      bands:\n"
        '        - {lower: "0.8", points: "1"}\n'
        '        - {lower: "0.9", points: "0.5"}\n',
    )
    line = line_of(text, '"0.9", points')
    assert_refused(tmp_path, text, tree, line, "items[3].rate.bands[1].lower", "分档应按下限从高到低排列")


def test_a_threshold_needs_a_target(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed('      target: "0.9"\n', "")
    line = line_of(text, "    rate:")
    assert_refused(
        tmp_path, text, tree, line, "items[3].rate.target", "threshold (达标) 计分须设置达标值 target"
    )


def test_a_rate_is_written_as_a_fraction(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed('target: "0.9"', 'target: "90"')
    assert_refused(tmp_path, text, tree, line_of(text, "target"), "items[3].rate.target", '90% 写作 "0.9"')


def test_a_quarterly_component_in_a_monthly_scheme_is_a_circular_rollup(
    tmp_path: Path, tree: CategoryTree
) -> None:
    text = changed("period: quarter", "period: month")
    text = changed("measured: month", "measured: quarter", text)
    line = line_of(text, "measured: quarter")
    assert_refused(tmp_path, text, tree, line, "components[1].measured", "循环汇总")


def test_a_component_measured_at_the_schemes_own_period_is_refused_too(
    tmp_path: Path, tree: CategoryTree
) -> None:
    text = changed("measured: month", "measured: quarter")
    assert_refused(
        tmp_path, text, tree, line_of(text, "measured"), "components[1].measured", "不比方案周期 quarter 更细"
    )


def test_an_unknown_channel_is_refused_with_the_closest_one(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed('    media: "2"', '    medai: "2"')
    line = line_of(text, "medai")
    assert_refused(
        tmp_path,
        text,
        tree,
        line,
        "deductions.channel_weights.medai",
        "未知的来源 'medai', 是否应为 'media'?",
    )


@pytest.mark.parametrize(
    ("old", "new", "path", "closest"),
    [
        ("base_points: 100", "base_point: 100", "base_point", "base_points"),
        ("    rank_only:", "    rank_onyl:", "groups[0].rank_onyl", "rank_only"),
        (
            "      indicator: closure_rate",
            "      indicater: closure_rate",
            "items[3].rate.indicater",
            "indicator",
        ),
        ("    measured: month", "    mesured: month", "components[1].mesured", "measured"),
        (
            '    media: "2"',
            '    media: "2"\n  overdue_extr: "0.1"',
            "deductions.overdue_extr",
            "overdue_extra",
        ),
    ],
)
def test_an_unknown_key_is_refused_with_the_closest_valid_one(
    tmp_path: Path, tree: CategoryTree, old: str, new: str, path: str, closest: str
) -> None:
    text = changed(old, new)
    key = path.rsplit(".", 1)[-1]
    line = line_of(text, f"{key}:")
    assert_refused(tmp_path, text, tree, line, path, f"未知字段 {key!r}, 是否应为 {closest!r}?")


def test_effective_from_must_be_a_date(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed("effective_from: 2021-01-01", "effective_from: 2021-13-01")
    assert_refused(tmp_path, text, tree, 4, "effective_from", "应为日期")


@pytest.mark.parametrize(
    ("old", "new", "path", "reason"),
    [
        ("  - code: cleaning", "  - code: vending", "items[2].code", "考评项目代码 vending 重复"),
        ("  - code: tested", "  - code: manual", "components[1].code", "组件代码 manual 重复"),
        ("  - code: group2", "  - code: group1", "groups[1].code", "组代码 group1 重复"),
        (
            '      closure: "10"\n      vending: "60"',
            '      closure: "10"\n      closure: "60"',
            "groups[1].maxima.closure",
            "键 'closure' 重复",
        ),
    ],
)
def test_duplicate_codes_are_refused(
    tmp_path: Path, tree: CategoryTree, old: str, new: str, path: str, reason: str
) -> None:
    text = changed(old, new)
    needle = new.splitlines()[-1].strip()
    line = line_of(text, needle, nth=2 if text.count(needle) > 1 else 1)
    assert reason in "\n".join(refusals(tmp_path, text, tree))
    assert any(f"第 {line} 行 {path}: " in m for m in refusals(tmp_path, text, tree))


def test_a_bare_float_for_points_is_refused(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed(
        'points_per_problem: "0.5"\n    categories: [E0104]',
        "points_per_problem: 0.5\n    categories: [E0104]",
    )
    line = line_of(text, "points_per_problem: 0.5")
    assert_refused(tmp_path, text, tree, line, "items[2].points_per_problem", '小数应加引号写成 "0.5"')


def test_a_missing_field_is_named(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed("period: quarter\n", "")
    assert_refused(tmp_path, text, tree, 1, "period", "缺少此字段")


def test_a_yaml_syntax_error_names_its_line(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed("  - code: group2\n", "  - code: [group2\n")
    messages = refusals(tmp_path, text, tree)
    assert len(messages) == 1
    assert messages[0].startswith("方案文件 test.yaml 第 ")
    assert "YAML 格式错误" in messages[0]


def test_every_error_is_collected_and_reported_together_in_file_order(
    tmp_path: Path, tree: CategoryTree
) -> None:
    text = changed("effective_from: 2021-01-01", "effective_from: soon")
    text = changed("categories: [E0104]", "categories: [E9999]", text)
    text = changed('      cleaning: "20"', '      cleanin: "20"', text)
    text = changed('    media: "2"', '    medai: "2"', text)
    with pytest.raises(SchemeFileError) as caught:
        load_scheme_file(write(tmp_path, text), tree)
    issues = caught.value.issues
    paths = [issue.path for issue in issues]
    assert paths == [
        "effective_from",
        "items[2]",  # cleaning: in no group, since the group's typo names another item
        "items[2].categories[0]",
        "groups[0].maxima.cleanin",
        "deductions.channel_weights.medai",
    ]
    assert [issue.line for issue in issues] == sorted(issue.line for issue in issues)
    assert str(caught.value).startswith("共 5 处错误:\n方案文件 test.yaml 第 4 行 effective_from")


# --- versions ------------------------------------------------------------------------------------


def test_the_version_in_force_is_the_latest_that_has_started(tmp_path: Path, tree: CategoryTree) -> None:
    write(tmp_path, VALID, "a-2021.yaml")
    later = changed('version: "1"', 'version: "2"')
    write(tmp_path, changed("effective_from: 2021-01-01", "effective_from: 2022-01-01", later), "a-2022.yaml")
    schemes = load_schemes(tmp_path, tree)
    assert [s.version for s in schemes] == ["1", "2"]
    assert scheme_in_force(schemes, "test-scheme", date(2021, 12, 31)).version == "1"
    assert scheme_in_force(schemes, "test-scheme", date(2022, 1, 1)).version == "2"
    with pytest.raises(NoSchemeInForceError, match="方案 test-scheme 在 2020-06-30 没有生效的版本"):
        scheme_in_force(schemes, "test-scheme", date(2020, 6, 30))
    with pytest.raises(NoSchemeInForceError, match="没有这个方案"):
        scheme_in_force(schemes, "other", date(2022, 1, 1))


def test_two_versions_of_a_scheme_may_not_share_a_version_or_a_date(
    tmp_path: Path, tree: CategoryTree
) -> None:
    write(tmp_path, VALID, "a.yaml")
    write(tmp_path, changed("effective_from: 2021-01-01", "effective_from: 2022-01-01"), "b.yaml")
    with pytest.raises(SchemeFileError) as caught:
        load_schemes(tmp_path, tree)
    assert [str(i) for i in caught.value.issues] == [
        "方案文件 b.yaml 第 3 行 version: "
        "方案 test-scheme 的 version 1 与 a.yaml 相同, 同一方案的各版本须各不相同"
    ]


def test_an_own_channel_must_be_a_channel(tmp_path: Path, tree: CategoryTree) -> None:
    text = VALID + "own_channels: [grid_worker, road_chef]\n"
    scheme_text = VALID + "own_channels: [grid_worker, road_chief]\n"
    assert load_scheme_file(write(tmp_path, scheme_text), tree).own_channels == {
        Channel.GRID_WORKER,
        Channel.ROAD_CHIEF,
    }
    assert_refused(
        tmp_path, text, tree, line_of(text, "own_channels"), "own_channels[1]", "是否应为 'road_chief'?"
    )


def test_a_rework_rate_can_count_over_disposed_cases(tmp_path: Path, tree: CategoryTree) -> None:
    text = changed(
        "      indicator: closure_rate\n      formula: threshold\n"
        '      target: "0.9"\n      per_point: "1"\n',
        "      indicator: rework_rate\n      formula: inverse\n      rework_base: disposed\n",
    )
    rate = load_scheme_file(write(tmp_path, text), tree).items["closure"].rate
    assert rate is not None
    assert rate.rework_base.value == "disposed"
    assert ItemKind.RATE is load_scheme_file(write(tmp_path, text), tree).items["closure"].kind
