"""The packaged reference data (categories, channels, scheme) and the loaders that check it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml

try:  # the safe loader and dumper through libyaml: the pure-Python ones make these tests slow
    from yaml import CSafeDumper as SafeDumper
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover
    from yaml import SafeDumper, SafeLoader  # type: ignore[assignment]

from kaoping.domain.categories import Category, CategoryKind, CategoryLevel, CategoryTree, DeadlineUnit
from kaoping.domain.ids import UnitId
from kaoping.domain.problems import Channel
from kaoping.domain.scoring import ProblemFact, score_unit
from kaoping.io.seeds import (
    DEPARTMENT_TYPES,
    SchemeSpec,
    Season,
    SeedError,
    load_categories,
    load_channels,
    load_scheme,
)

SPEECH_PROBLEMS = [
    "占道经营",
    "广告条幅",
    "违规广告",
    "垃圾外溢",
    "乱涂乱画",
    "路面积尘",
    "小区卫生死角",
    "绿化缺枝断垄",
    "河道杂物垃圾",
]

JINAN_GROUP1_ITEMS = [
    "生活垃圾分类", "城市治理路长制工作", "临街建筑外立面管理", "道路保洁", "公共卫生间管理",
    "建筑垃圾运输处置管理", "生活垃圾收集", "户外广告和牌匾标识管理", "环卫公用设施建设", "占道经营治理",
    "执法行为规范", "噪声扰民整治", "工地围挡管理", "居民小区物业管理", "城市道路桥梁管理", "河道水域管理",
    "绿化养护管理", "交通设施与秩序管理",
]  # fmt: skip
NOT_IN_GROUP2 = {"执法行为规范", "噪声扰民整治", "工地围挡管理", "城市道路桥梁管理"}


@pytest.fixture(scope="module")
def tree() -> CategoryTree:
    return load_categories()


@pytest.fixture(scope="module")
def scheme() -> SchemeSpec:
    return load_scheme()


# --- factories -------------------------------------------------------------------------------------


def packaged(name: str) -> Any:
    """The packaged seed file as plain YAML data, to be broken on purpose by a test."""
    return yaml.load((files("kaoping") / "data" / name).read_text(encoding="utf-8"), Loader=SafeLoader)


def write_yaml(tmp_path: Path, name: str, doc: Any) -> Path:
    path = tmp_path / name
    path.write_text(yaml.dump(doc, Dumper=SafeDumper, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def subclass(doc: Any, code: str) -> dict[str, Any]:
    """The raw entry of one subclass in a categories document."""
    return next(m for major in doc["majors"] for m in major["minors"] if m["code"] == code)


def scheme_item(doc: Any, code: str) -> dict[str, Any]:
    return next(item for item in doc["items"] if item["code"] == code)


def typical_quarter(
    spec: SchemeSpec, deductible: int, boost: Mapping[str, float] | None = None
) -> list[ProblemFact]:
    """Expected facts of a district with ``deductible`` problems from deducting channels in a quarter,
    spread by the categories' weights and the channels' shares, with 5% repeats and 3% overdue;
    ``boost`` multiplies the counts of some categories (a district's weak spots)."""
    shares = {c.code: c.share for c in load_channels() if c.code in spec.rules.channel_weights}
    total_weight = sum(spec.category_weights.values())
    facts = []
    for code, weight in spec.category_weights.items():
        for channel, share in shares.items():
            expected = deductible * weight / total_weight * share / sum(shares.values())
            expected *= (boost or {}).get(code, 1.0)
            for repeat, p_repeat in ((True, 0.05), (False, 0.95)):
                for overdue, p_overdue in ((True, 0.03), (False, 0.97)):
                    count = round(expected * p_repeat * p_overdue)
                    if count:
                        facts.append(ProblemFact(UnitId(1), code, channel, repeat, overdue, count))
    return facts


# --- the category tree -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", SPEECH_PROBLEMS)
def test_every_problem_the_speech_names_is_found_by_name(tree: CategoryTree, name: str) -> None:
    found = tree.get(name)
    assert found.level is CategoryLevel.MINOR
    assert name == found.name or name in found.aliases


def test_category_codes_are_well_formed_and_unique(tree: CategoryTree) -> None:
    codes = [c.code for c in tree]
    assert len(codes) == len(set(codes))
    for cat in tree:
        letter = "C" if cat.kind is CategoryKind.COMPONENT else "E"
        if cat.level is CategoryLevel.MAJOR:
            assert re.fullmatch(rf"{letter}\d{{2}}", cat.code), cat.code
        else:
            assert re.fullmatch(rf"{letter}\d{{4}}", cat.code), cat.code
            assert cat.code.startswith(cat.parent_code or "-"), cat.code


def test_major_classes_follow_the_adopted_order(tree: CategoryTree) -> None:
    majors = {c.code: c.name for c in tree if c.level is CategoryLevel.MAJOR}
    assert majors == {
        "C01": "公用设施", "C02": "道路交通", "C03": "市容环境", "C04": "园林绿化", "C05": "房屋土地",
        "C06": "其他设施", "C07": "扩展部件", "E01": "市容环境", "E02": "宣传广告", "E03": "施工管理",
        "E04": "突发事件", "E05": "街面秩序", "E06": "扩展事件",
    }  # fmt: skip


def test_the_tree_holds_about_a_hundred_subclasses_under_every_major(tree: CategoryTree) -> None:
    assert 80 <= len(tree.minors()) <= 120
    for major in (c for c in tree if c.level is CategoryLevel.MAJOR):
        assert tree.children(major.code), major.code


def test_every_subclass_has_a_deadline_a_department_type_and_a_severity(tree: CategoryTree) -> None:
    for cat in tree.minors():
        assert (cat.deadline_value or 0) > 0, cat.code
        assert isinstance(cat.deadline_unit, DeadlineUnit), cat.code
        assert cat.department_type in DEPARTMENT_TYPES, cat.code
        assert cat.severity in (1, 2, 3), cat.code


def test_a_code_is_looked_up_like_a_name(tree: CategoryTree) -> None:
    assert tree.get("e0501").name == "占道经营"
    assert tree.get("悬挂横幅") is tree.get("广告条幅")


def test_a_real_subclass_name_wins_over_an_alias_of_another() -> None:
    major = Category("E01", CategoryKind.EVENT, CategoryLevel.MAJOR, "市容环境")
    aliased = Category(
        "E0101", CategoryKind.EVENT, CategoryLevel.MINOR, "暴露垃圾", "E01", aliases=("道路不洁",)
    )
    named = Category("E0102", CategoryKind.EVENT, CategoryLevel.MINOR, "道路不洁", "E01")
    assert CategoryTree([major, aliased, named]).get("道路不洁").code == "E0102"


def test_serious_categories_include_burst_pipes_missing_covers_and_banners(tree: CategoryTree) -> None:
    for name in ("管道破裂", "井盖缺失", "违规户外广告", "悬挂横幅"):
        assert tree.get(name).severity == 3, name


# --- channels --------------------------------------------------------------------------------------


def test_every_channel_is_listed_once_with_its_own_discovery_flag() -> None:
    specs = {spec.code: spec for spec in load_channels()}
    assert set(specs) == set(Channel)
    own = {code for code, spec in specs.items() if spec.own_discovery}
    assert own == {Channel.GRID_WORKER, Channel.ROAD_CHIEF, Channel.SUPERVISOR, Channel.VIDEO}
    assert sum(spec.share for spec in specs.values()) == pytest.approx(1.0)


# --- the scheme ------------------------------------------------------------------------------------


def test_the_scheme_has_jinans_eighteen_items(scheme: SchemeSpec) -> None:
    assert sorted(scheme.item_names.values()) == sorted(JINAN_GROUP1_ITEMS)


def test_every_category_in_the_scheme_is_a_subclass_of_the_tree(tree: CategoryTree) -> None:
    doc = packaged("scheme.yaml")
    mapped = [code for item in doc["items"] for code in item["categories"]]
    assert len(mapped) == len(set(mapped))
    for code in mapped:
        assert tree.get(code).code == code
        assert tree.get(code).level is CategoryLevel.MINOR
    assert len(mapped) >= 0.8 * len(tree.minors())  # most subclasses count for an item


def test_every_group_adds_up_to_a_thousand_points(scheme: SchemeSpec) -> None:
    assert scheme.rules.base_points == Decimal(1000)
    assert set(scheme.group_names) == {"group1", "group2", "group3"}
    for group in scheme.rules.groups.values():
        assert sum(group.item_maxima.values(), Decimal(0)) == Decimal(1000), group.code


def test_groups_two_and_three_drop_the_four_urban_items(scheme: SchemeSpec) -> None:
    names = scheme.item_names
    group1 = {names[c] for c in scheme.rules.groups["group1"].item_maxima}
    for code in ("group2", "group3"):
        items = {names[c] for c in scheme.rules.groups[code].item_maxima}
        assert items == group1 - NOT_IN_GROUP2
    assert group1 == set(JINAN_GROUP1_ITEMS)


def test_only_outside_channels_deduct_and_media_and_leaders_count_double(scheme: SchemeSpec) -> None:
    assert dict(scheme.rules.channel_weights) == {
        Channel.THIRD_PARTY: Decimal(1),
        Channel.SUPERVISION: Decimal(1),
        Channel.MEDIA: Decimal(2),
        Channel.LEADER: Decimal(2),
    }
    assert scheme.rules.problem_points("E0501", Channel.GRID_WORKER) == 0


def test_points_are_read_as_exact_decimals(scheme: SchemeSpec) -> None:
    assert scheme.rules.items["traffic_order"].points_per_problem == Decimal("0.015")
    assert scheme.rules.repeat_multiplier == Decimal(2)


def test_third_party_high_score_problems_are_the_serious_categories(
    tree: CategoryTree, scheme: SchemeSpec
) -> None:
    rules = scheme.rules
    for cat in tree.minors():
        if rules.item_of(cat.code) is None:
            continue
        for channel in rules.channel_weights:
            assert rules.is_high_score(cat.code, channel) == (cat.severity == 3), (cat.code, channel)


def test_banners_and_illegal_ads_make_up_most_high_score_problems(scheme: SchemeSpec) -> None:
    high = {
        c: w for c, w in scheme.category_weights.items() if scheme.rules.is_high_score(c, Channel.THIRD_PARTY)
    }
    assert (high["E0203"] + high["E0204"]) / sum(high.values()) > 0.5


def test_weights_and_seasons_come_with_the_scheme(tree: CategoryTree, scheme: SchemeSpec) -> None:
    assert set(scheme.category_weights) == {c.code for c in tree.minors()}
    assert scheme.category_weights["E0501"] > scheme.category_weights["E0401"]
    flooding = scheme.category_seasons[tree.get("道路积水").code]
    assert flooding == Season.SUMMER.monthly_factors
    assert max(flooding) == flooding[6]  # July
    assert tree.get("暴露垃圾").code not in scheme.category_seasons  # all year round


@pytest.mark.parametrize("season", list(Season))
def test_a_season_raises_its_months_and_keeps_the_yearly_average(season: Season) -> None:
    factors = season.monthly_factors
    assert len(factors) == 12
    assert sum(factors) / 12 == pytest.approx(1.0)
    assert {m for m in range(1, 13) if factors[m - 1] == max(factors)} == set(season.months)
    assert Season.WINTER.months == (12, 1, 2)


@pytest.mark.parametrize("deductible", [1800, 3000, 4500])
def test_a_typical_district_quarter_scores_between_850_and_960(scheme: SchemeSpec, deductible: int) -> None:
    facts = typical_quarter(scheme, deductible)
    for group in scheme.rules.groups.values():
        score = score_unit(scheme.rules, group, UnitId(1), facts)
        assert Decimal(850) <= score.total <= Decimal(960), (group.code, deductible, score.total)


def test_no_item_is_capped_in_a_busy_but_ordinary_quarter(scheme: SchemeSpec) -> None:
    group = scheme.rules.groups["group1"]
    busy = score_unit(scheme.rules, group, UnitId(1), typical_quarter(scheme, 4500))
    assert all(line.raw_deduction < line.max_points for line in busy.items)


def test_a_district_where_banners_pile_up_reaches_the_advertising_cap(scheme: SchemeSpec) -> None:
    group = scheme.rules.groups["group1"]
    ads = dict.fromkeys(scheme.rules.items["outdoor_ads"].category_codes, 3.0)
    ordinary = score_unit(scheme.rules, group, UnitId(1), typical_quarter(scheme, 3000))
    score = score_unit(scheme.rules, group, UnitId(1), typical_quarter(scheme, 3000, boost=ads))
    capped = {line.item_code for line in score.items if line.raw_deduction > line.max_points}
    assert capped == {"outdoor_ads"}
    assert score.total < ordinary.total - 30


# --- broken files are refused, naming the place ----------------------------------------------------


def test_an_unknown_department_type_is_refused(tmp_path: Path) -> None:
    doc = packaged("categories.yaml")
    subclass(doc, "E0501")["department"] = "foo"
    with pytest.raises(SeedError) as err:
        load_categories(write_yaml(tmp_path, "categories.yaml", doc))
    assert err.value.message.startswith("categories.yaml 第 E0501 项 (department): 未知的部门类型 'foo'")


def test_a_duplicate_category_code_is_refused(tmp_path: Path) -> None:
    doc = packaged("categories.yaml")
    subclass(doc, "E0502")["code"] = "E0501"
    with pytest.raises(SeedError, match="重复") as err:
        load_categories(write_yaml(tmp_path, "categories.yaml", doc))
    assert (err.value.file, err.value.entry, err.value.field) == ("categories.yaml", "E0501", "code")


def test_a_subclass_code_outside_its_major_is_refused(tmp_path: Path) -> None:
    doc = packaged("categories.yaml")
    subclass(doc, "E0501")["code"] = "E0199"
    with pytest.raises(SeedError, match="E05") as err:
        load_categories(write_yaml(tmp_path, "categories.yaml", doc))
    assert (err.value.entry, err.value.field) == ("E0199", "code")


def test_a_bad_deadline_unit_is_refused(tmp_path: Path) -> None:
    doc = packaged("categories.yaml")
    subclass(doc, "E0102")["deadline"]["unit"] = "fortnights"
    with pytest.raises(SeedError, match="未知的时限单位 'fortnights'") as err:
        load_categories(write_yaml(tmp_path, "categories.yaml", doc))
    assert (err.value.entry, err.value.field) == ("E0102", "deadline.unit")


def test_an_alias_used_twice_is_refused(tmp_path: Path) -> None:
    doc = packaged("categories.yaml")
    subclass(doc, "E0502")["aliases"] = ["马路市场"]
    with pytest.raises(SeedError, match="E0501") as err:
        load_categories(write_yaml(tmp_path, "categories.yaml", doc))
    assert (err.value.entry, err.value.field) == ("E0502", "aliases")


def test_a_misspelt_field_is_refused_rather_than_ignored(tmp_path: Path) -> None:
    doc = packaged("categories.yaml")
    subclass(doc, "C0101")["deparment"] = subclass(doc, "C0101").pop("department")
    with pytest.raises(SeedError, match="未知字段 'deparment'") as err:
        load_categories(write_yaml(tmp_path, "categories.yaml", doc))
    assert err.value.entry == "C0101"


def test_a_file_that_is_not_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "categories.yaml"
    path.write_text("majors:\n  - code: C01\n    name: [公用设施\n", encoding="utf-8")
    with pytest.raises(SeedError, match=r"categories.yaml: YAML 格式错误 第 \d+ 行"):
        load_categories(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="文件不存在"):
        load_channels(tmp_path / "channels.yaml")


def test_a_missing_channel_is_refused(tmp_path: Path) -> None:
    doc = packaged("channels.yaml")
    doc["channels"] = [c for c in doc["channels"] if c["code"] != "video"]
    with pytest.raises(SeedError, match="缺少来源: video"):
        load_channels(write_yaml(tmp_path, "channels.yaml", doc))


def test_an_unknown_category_in_the_scheme_is_refused(tmp_path: Path) -> None:
    doc = packaged("scheme.yaml")
    scheme_item(doc, "road_cleaning")["categories"].append("E0999")
    with pytest.raises(SeedError) as err:
        load_scheme(write_yaml(tmp_path, "scheme.yaml", doc))
    assert err.value.message.startswith(
        "scheme.yaml 第 road_cleaning 项 (categories): 未知的类别代码 'E0999'"
    )


def test_a_category_in_two_items_is_refused(tmp_path: Path) -> None:
    doc = packaged("scheme.yaml")
    scheme_item(doc, "road_cleaning")["categories"].append("E0501")
    with pytest.raises(SeedError, match="E0501 已映射到考评项目") as err:
        load_scheme(write_yaml(tmp_path, "scheme.yaml", doc))
    assert err.value.field == "categories"


def test_group_maxima_that_do_not_add_up_are_refused(tmp_path: Path) -> None:
    doc = packaged("scheme.yaml")
    maxima = doc["groups"][1]["maxima"]
    maxima["street_vending"] = str(Decimal(maxima["street_vending"]) - 10)
    with pytest.raises(SeedError) as err:
        load_scheme(write_yaml(tmp_path, "scheme.yaml", doc))
    assert err.value.message == "scheme.yaml 第 group2 项 (maxima): 各项目满分之和为 990, 应等于基础分 1000"


def test_a_group_naming_an_unknown_item_is_refused(tmp_path: Path) -> None:
    doc = packaged("scheme.yaml")
    doc["groups"][0]["maxima"]["parking"] = "0"
    with pytest.raises(SeedError, match="未知的考评项目 'parking'") as err:
        load_scheme(write_yaml(tmp_path, "scheme.yaml", doc))
    assert err.value.entry == "group1"


def test_points_that_are_not_numbers_are_refused(tmp_path: Path) -> None:
    doc = packaged("scheme.yaml")
    scheme_item(doc, "noise")["points_per_problem"] = "一分"
    with pytest.raises(SeedError, match="不是有效的数值") as err:
        load_scheme(write_yaml(tmp_path, "scheme.yaml", doc))
    assert (err.value.entry, err.value.field) == ("noise", "points_per_problem")


def test_a_scheme_is_checked_against_the_categories_it_is_given(tmp_path: Path) -> None:
    doc = packaged("categories.yaml")
    doc["majors"] = [m for m in doc["majors"] if m["code"] != "E06"]
    with pytest.raises(SeedError, match=r"未知的类别代码 'E06\d\d'"):
        load_scheme(categories_path=write_yaml(tmp_path, "categories.yaml", doc))
