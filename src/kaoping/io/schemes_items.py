"""A scheme file's components and items (with their category mapping and rate rules)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

from kaoping.domain.categories import CategoryLevel, CategoryTree
from kaoping.domain.errors import UnknownCategoryError
from kaoping.domain.periods import PeriodKind
from kaoping.domain.problems import Channel
from kaoping.domain.schemes import (
    Band,
    Component,
    Indicator,
    Item,
    ItemKind,
    Normalisation,
    RateFormula,
    RateRule,
    ReworkBase,
    Rollup,
)
from kaoping.io.schemes_nodes import Reader, Value, field_of, suggestion

_COMPONENT_KEYS = {"code", "name", "max_points", "measured", "rollup"}
_ITEM_KEYS = {
    "code",
    "name",
    "component",
    "kind",
    "categories",
    "points_per_problem",
    "normalisation",
    "rate",
}
_RATE_KEYS = {
    "indicator",
    "formula",
    "target",
    "per_point",
    "bands",
    "exclude_on_hold",
    "empty_points",
    "channels",
}
_BAND_KEYS = {"lower", "points"}

# The fields each kind of item takes beyond code, name, component and kind; the others are refused.
_KIND_FIELDS: dict[ItemKind, set[str]] = {
    ItemKind.DEDUCTION: {"categories", "points_per_problem", "normalisation"},
    ItemKind.RATE: {"rate"},
    ItemKind.MANUAL: set(),
}
_KIND_NEEDS: dict[ItemKind, dict[str, str]] = {
    ItemKind.DEDUCTION: {
        "categories": "扣分项目须列出映射的小类 categories",
        "points_per_problem": "扣分项目须设置 points_per_problem",
    },
    ItemKind.RATE: {"rate": "比率项目须有比率规则 rate"},
    ItemKind.MANUAL: {},
}
# A component measured at a sub-period is rolled up into the scheme's period, so it must be finer.
_FINENESS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 2, PeriodKind.YEAR: 3}

T = TypeVar("T")


@dataclass
class Listed(Generic[T]):
    """The entries of a list section: each entry's place by code, and the objects read in full."""

    places: dict[str, Value] = field(default_factory=dict)
    objects: dict[str, T] = field(default_factory=dict)
    broken: bool = False  # an entry without a usable code, or with a wrong field
    # What the sums need even when another field of an entry is wrong, so a wrong roll-up does not
    # hide a wrong total: component code → its maximum; item code → its component.
    sizes: dict[str, Decimal] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)

    @property
    def is_complete(self) -> bool:
        return not self.broken and len(self.objects) == len(self.places)

    @property
    def has_all_sizes(self) -> bool:
        return not self.uncoded and len(self.sizes) == len(self.places)

    uncoded: bool = False  # an entry without a usable (or with a repeated) code

    def keep(self, code: str, obj: T | None) -> None:
        if obj is None:
            self.broken = True
        else:
            self.objects[code] = obj


@dataclass(frozen=True, slots=True)
class Entry:
    """One coded entry of a list section."""

    code: str
    name: str
    at: Value
    fields: dict[str, Value]


def listed_entries(
    r: Reader, at: Value | None, keys: Collection[str], what: str, listed: Listed[T]
) -> list[Entry]:
    """A list of coded entries: their places go into ``listed`` by code (duplicates refused)."""
    entries = []
    for entry in r.sequence(at) if at is not None else []:
        fields = r.fields(entry, keys, {"code", "name"})
        code = r.code(fields["code"]) if "code" in fields else None
        name = r.scalar(fields["name"]) if "name" in fields else None
        if code is None:
            listed.broken = listed.uncoded = True
            continue
        if code in listed.places:
            r.refuse(fields["code"], f"{what}代码 {code} 重复 (第 {listed.places[code].line} 行已用)")
            listed.broken = listed.uncoded = True
            continue
        listed.places[code] = entry
        entries.append(Entry(code, name or "", entry, fields))
    return entries


# --- components ----------------------------------------------------------------------------------


def read_components(r: Reader, at: Value | None, period: PeriodKind | None) -> Listed[Component]:
    """The components (部门考评, 社会评价, 第三方测评…) with their maxima and sub-period roll-up."""
    listed: Listed[Component] = Listed()
    for entry in listed_entries(r, at, _COMPONENT_KEYS, "组件", listed):
        fields = entry.fields
        maximum = (
            r.decimal(fields["max_points"], positive=True, what="满分") if "max_points" in fields else None
        )
        if "max_points" not in fields:
            r.refuse(entry.at, "缺少此字段", f"{entry.at.path}.max_points")
        if maximum is not None:
            listed.sizes[entry.code] = maximum
        usable, measured = _measured(r, fields.get("measured"), period)
        rollup = r.choice(fields["rollup"], Rollup, "汇总方式") if "rollup" in fields else Rollup.MEAN
        if maximum is None or not usable or rollup is None:
            listed.broken = True
            continue
        listed.keep(entry.code, Component(entry.code, entry.name, maximum, measured, rollup))
    return listed


def _measured(r: Reader, at: Value | None, period: PeriodKind | None) -> tuple[bool, PeriodKind | None]:
    """Whether the sub-period a component is measured at is usable, and that sub-period. Rolling a
    quarter up into a month (or a month into a month) would be a circular roll-up: refused."""
    if at is None:
        return True, None
    measured = r.choice(at, PeriodKind, "周期")
    if measured is None:
        return False, None
    if period is not None and _FINENESS[measured] >= _FINENESS[period]:
        r.refuse(
            at,
            f"循环汇总: 组件按 {measured.value} 测评, 不比方案周期 {period.value} 更细, 无法汇总到方案周期"
            " (measured 只用于比方案周期更短的测评, 如季度方案中的月度测评)",
        )
        return False, None
    return True, measured


def check_component_total(
    r: Reader, at: Value | None, components: Listed[Component], base: Decimal | None
) -> None:
    """The components' maxima add up to the base points (500 + 200 + 300 = 1000)."""
    if at is None or base is None or not components.has_all_sizes:
        return
    for code, maximum in components.sizes.items():
        if maximum > base:
            place = field_of(components.places[code], "max_points") or components.places[code]
            r.refuse(place, f"组件满分 {maximum} 超过基础分 {base}")
    total = sum(components.sizes.values(), Decimal(0))
    if components.sizes and total != base:
        r.refuse(at, f"各组件满分之和为 {total}, 应等于基础分 base_points {base}")


# --- items ---------------------------------------------------------------------------------------


def read_items(
    r: Reader, at: Value | None, components: Listed[Component], tree: CategoryTree
) -> Listed[Item]:
    """The items (考评项目); a subclass may count towards one deduction item only."""
    listed: Listed[Item] = Listed()
    owner: dict[str, str] = {}  # category code → the item that already maps it
    for entry in listed_entries(r, at, _ITEM_KEYS, "考评项目", listed):
        listed.keep(entry.code, _item(r, entry, components, tree, owner, listed.parents))
    return listed


def _item(
    r: Reader,
    entry: Entry,
    components: Listed[Component],
    tree: CategoryTree,
    owner: dict[str, str],
    components_of: dict[str, str],
) -> Item | None:
    fields = entry.fields
    component = _item_component(r, entry.at, fields.get("component"), components)
    if component is not None:
        components_of[entry.code] = component
    kind = r.choice(fields["kind"], ItemKind, "项目类型") if "kind" in fields else None
    if "kind" not in fields:
        r.refuse(entry.at, "缺少此字段 (deduction 扣分 / rate 比率 / manual 录入)", f"{entry.at.path}.kind")
    if kind is None or not _kind_fields(r, entry.at, fields, kind):
        return None
    item = Item(entry.code, entry.name, component or "", kind)
    if kind is ItemKind.DEDUCTION:
        categories = _categories(r, fields["categories"], entry.code, tree, owner)
        points = r.decimal(fields["points_per_problem"], what="分值")
        normalisation = (
            r.choice(fields["normalisation"], Normalisation, "折算方式")
            if "normalisation" in fields
            else Normalisation.NONE
        )
        if categories is None or points is None or normalisation is None:
            return None
        item = Item(entry.code, entry.name, item.component, kind, categories, points, normalisation)
    elif kind is ItemKind.RATE:
        rate = read_rate(r, fields["rate"])
        if rate is None:
            return None
        item = Item(entry.code, entry.name, item.component, kind, rate=rate)
    return item if component is not None else None


def _item_component(r: Reader, entry: Value, at: Value | None, components: Listed[Component]) -> str | None:
    if at is None:
        r.refuse(entry, "缺少此字段 (所属组件代码)", f"{entry.path}.component")
        return None
    code = r.scalar(at)
    if code is not None and code not in components.places:
        r.refuse(at, f"组件 {code} 不存在{suggestion(code, components.places)}")
        return None
    return code


def _kind_fields(r: Reader, entry: Value, fields: Mapping[str, Value], kind: ItemKind) -> bool:
    """Refuse fields another kind of item takes, and the ones this kind needs but lacks."""
    fine = True
    for key in ("categories", "points_per_problem", "normalisation", "rate"):
        if key in fields and key not in _KIND_FIELDS[kind]:
            r.refuse(fields[key], f"{kind.value} 项目不用 {key} (只有 {_users(key)} 项目用)")
            fine = False
    for key, reason in _KIND_NEEDS[kind].items():
        if key not in fields:
            r.refuse(entry, reason, f"{entry.path}.{key}")
            fine = False
    return fine


def _users(key: str) -> str:
    return "、".join(kind.value for kind, keys in _KIND_FIELDS.items() if key in keys)


def _categories(
    r: Reader, at: Value, item: str, tree: CategoryTree, owner: dict[str, str]
) -> frozenset[str] | None:
    """The subclass codes of a deduction item, each known, a subclass, and in no other item."""
    codes: set[str] = set()
    issues = len(r.issues)
    entries = r.sequence(at)
    if len(r.issues) > issues:  # not a list
        return None
    if not entries:
        r.refuse(at, "扣分项目须至少映射一个小类")
        return None
    fine = True
    for entry in entries:
        code = r.scalar(entry)
        reason = None if code is None else _category_problem(code, item, tree, codes, owner)
        if reason is not None:
            r.refuse(entry, reason)
        if code is None or reason is not None:
            fine = False
            continue
        codes.add(code)
        owner[code] = item
    return frozenset(codes) if fine else None


def _category_problem(
    code: str, item: str, tree: CategoryTree, codes: set[str], owner: dict[str, str]
) -> str | None:
    try:
        category = tree.get(code)
    except UnknownCategoryError:
        category = None
    if category is None or category.code != code:  # codes only: a name here would hide a typo
        return f"类别 {code} 不存在 (不在 categories.yaml 中)"
    if category.level is not CategoryLevel.MINOR:
        return f"类别 {code} 是大类, 只能映射小类"
    if code in codes:
        return f"类别 {code} 在本项目中重复"
    if code in owner:
        return (
            f"类别 {code} 已映射到考评项目 {owner[code]}, 一个小类只能属于一个扣分项目 (否则一个问题扣两次分)"
        )
    return None


# --- rate rules ----------------------------------------------------------------------------------


def read_rate(r: Reader, at: Value) -> RateRule | None:
    """A rate item's rule: the indicator and how it becomes points. Fields not written keep the
    defaults of ``RateRule``."""
    issues = len(r.issues)
    fields = r.fields(at, _RATE_READERS, {"indicator"})
    values = {key: read(r, fields[key]) for key, read in _RATE_READERS.items() if key in fields}
    formula = values.get("formula", RateFormula.LINEAR)
    if isinstance(formula, RateFormula):
        _formula_needs(r, at, fields, formula)
    indicator = values.get("indicator")
    if "rework_base" in fields and indicator is not None and indicator is not Indicator.REWORK_RATE:
        r.refuse(fields["rework_base"], f"rework_base 只用于返工率 rework_rate, 本规则为 {indicator}")
    if len(r.issues) > issues:
        return None
    return RateRule(**values)  # type: ignore[arg-type]  # each value was read by its own reader


def _formula_needs(r: Reader, at: Value, fields: Mapping[str, Value], formula: RateFormula) -> None:
    """What each formula needs (threshold: a target; banded: bands) and takes (nothing else's)."""
    if formula is RateFormula.THRESHOLD and "target" not in fields:
        r.refuse(at, "threshold (达标) 计分须设置达标值 target", f"{at.path}.target")
    if formula is RateFormula.BANDED and "bands" not in fields:
        r.refuse(at, "banded (分档) 计分须列出分档 bands", f"{at.path}.bands")
    for key, user in (
        ("target", RateFormula.THRESHOLD),
        ("per_point", RateFormula.THRESHOLD),
        ("bands", RateFormula.BANDED),
    ):
        if key in fields and formula is not user:
            r.refuse(fields[key], f"{key} 只用于 {user.value} 计分, 本规则为 {formula.value}")


def _bands(r: Reader, at: Value) -> tuple[Band, ...] | None:
    """Bands from the highest lower bound down: the first one a value reaches applies."""
    bands: list[Band] = []
    fine = True
    for entry in r.sequence(at):
        fields = r.fields(entry, _BAND_KEYS, _BAND_KEYS)
        lower = r.fraction(fields["lower"], "下限") if "lower" in fields else None
        points = r.fraction(fields["points"], "得分比例") if "points" in fields else None
        if lower is None or points is None:
            fine = False
            continue
        if bands and lower >= bands[-1].lower:
            r.refuse(fields["lower"], f"分档应按下限从高到低排列: {lower} 不低于上一档的 {bands[-1].lower}")
            fine = False
        bands.append(Band(lower, points))
    if not bands and fine:
        r.refuse(at, "分档 bands 不能为空")
        fine = False
    return tuple(bands) if fine else None


_RATE_READERS: dict[str, Callable[[Reader, Value], object]] = {
    "indicator": lambda r, v: r.choice(v, Indicator, "指标"),
    "formula": lambda r, v: r.choice(v, RateFormula, "计分方式"),
    "target": lambda r, v: r.fraction(v, "达标值"),
    "per_point": lambda r, v: r.decimal(v, what="分值"),
    "bands": _bands,
    "exclude_on_hold": lambda r, v: r.boolean(v),
    "empty_points": lambda r, v: r.fraction(v, "得分比例"),
    "channels": lambda r, v: frozenset(r.choices(v, Channel, "来源")),
    "rework_base": lambda r, v: r.choice(v, ReworkBase, "返工率分母"),
}
