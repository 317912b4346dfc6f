"""The scheme file (``scheme.yaml``): the scoring rules it spells, checked against the category tree.

``kaoping.io.seeds.load_scheme`` puts these together with the categories' demo profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from kaoping.domain.categories import Category, CategoryLevel, CategoryTree
from kaoping.domain.errors import UnknownCategoryError
from kaoping.domain.problems import Channel
from kaoping.domain.repeats import RepeatRule
from kaoping.domain.scoring import GroupRule, ItemRule, ScoringRules
from kaoping.io.seed_files import Place, read_yaml

SCHEME_FILE = "scheme.yaml"

_SCHEME_KEYS = {
    "code",
    "name",
    "version",
    "base_points",
    "channel_weights",
    "repeat_multiplier",
    "overdue_extra",
    "high_score_threshold",
    "repeats",
    "severity_points",
    "category_points",
    "items",
    "groups",
}
_SCHEME_REQUIRED = _SCHEME_KEYS - {"severity_points", "category_points", "overdue_extra", "repeats"}
_ITEM_KEYS = {"code", "name", "points_per_problem", "categories"}
_GROUP_KEYS = {"code", "name", "maxima"}
_REPEAT_KEYS = {"radius_m", "window_days", "match", "count_open", "count_rectified"}


def read_scheme_fields(path: Path | None) -> tuple[Place, dict[Any, Any]]:
    """The scheme's top-level fields from ``path`` (default: the packaged file), with no unknown or
    missing key; the values are checked by the functions below."""
    label, doc = read_yaml(path, SCHEME_FILE)
    top = Place(label)
    fields = top.mapping(doc)
    top.keys(fields, _SCHEME_KEYS, _SCHEME_REQUIRED)
    return top, fields


def scheme_version(top: Place, raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0:
        top.fail(f"版本号应为正整数, 实为 {raw!r}", "version")
    return raw


def scheme_rules(top: Place, fields: Mapping[str, Any], tree: CategoryTree) -> ScoringRules:
    """The scoring rules, every category code checked against ``tree``."""
    base = top.decimal(fields["base_points"], "base_points", positive=True)
    items = _items(top, fields["items"], tree)
    try:
        return ScoringRules(
            base_points=base,
            items=items,
            groups=_groups(top, fields["groups"], items, base),
            channel_weights=_channel_weights(top, fields["channel_weights"]),
            repeat_multiplier=top.decimal(fields["repeat_multiplier"], "repeat_multiplier"),
            overdue_extra=top.decimal(fields.get("overdue_extra", 0), "overdue_extra"),
            category_points=_category_points(top, fields, items, tree),
            high_score_threshold=top.decimal(fields["high_score_threshold"], "high_score_threshold"),
            repeat_rule=_repeat_rule(top, fields.get("repeats")),
        )
    except ValueError as err:  # the domain's own checks, should a case slip past the ones above
        top.fail(f"考评规则无效: {err}")


def _identifier(place: Place, raw: object) -> str:
    code = place.text(raw, "code")
    if not (code.isascii() and code.replace("_", "").isalnum() and code[0].isalpha() and code.islower()):
        place.fail(f"代码应由小写字母、数字和下划线组成, 实为 {code!r}", "code")
    return code


# --- items ---------------------------------------------------------------------------------------


def _items(top: Place, raw: object, tree: CategoryTree) -> dict[str, ItemRule]:
    items: dict[str, ItemRule] = {}
    owner: dict[str, str] = {}  # category code → the item it is already mapped to
    for index, raw_item in enumerate(top.sequence(raw, "items"), start=1):
        place, fields = top.entry_fields(raw_item, index, _ITEM_KEYS, _ITEM_KEYS)
        code = _identifier(place, fields["code"])
        if code in items:
            place.fail("考评项目代码重复", "code")
        codes = _item_categories(place, fields["categories"], tree)
        _claim_categories(place, code, codes, owner)
        points = place.decimal(fields["points_per_problem"], "points_per_problem")
        items[code] = ItemRule(code, place.text(fields["name"], "name"), frozenset(codes), points)
    return items


def _item_categories(place: Place, raw: object, tree: CategoryTree) -> list[str]:
    codes: list[str] = []
    for code in place.sequence(raw, "categories"):
        found = _find_category(tree, code)
        if found is None or found.code != code:  # codes only: a name here would hide a typo
            place.fail(f"未知的类别代码 {code!r} (不在 categories.yaml 中)", "categories")
        if found.level is not CategoryLevel.MINOR:
            place.fail(f"类别 {code} 是大类, 只能映射小类", "categories")
        codes.append(found.code)
    return codes


def _find_category(tree: CategoryTree, code: object) -> Category | None:
    if not isinstance(code, str):
        return None
    try:
        return tree.get(code)
    except UnknownCategoryError:
        return None


def _claim_categories(place: Place, item: str, codes: list[str], owner: dict[str, str]) -> None:
    """A subclass counts towards one item only, or one problem would be deducted twice."""
    for category in codes:
        if category in owner:
            place.fail(
                f"类别 {category} 已映射到考评项目 {owner[category]}, 一个小类只能属于一个项目",
                "categories",
            )
        owner[category] = item


# --- groups, channels and points -----------------------------------------------------------------


def _groups(top: Place, raw: object, items: Mapping[str, ItemRule], base: Decimal) -> dict[str, GroupRule]:
    groups: dict[str, GroupRule] = {}
    for index, raw_group in enumerate(top.sequence(raw, "groups"), start=1):
        place, fields = top.entry_fields(raw_group, index, _GROUP_KEYS, _GROUP_KEYS)
        code = _identifier(place, fields["code"])
        if code in groups:
            place.fail("组代码重复", "code")
        maxima = _maxima(place, fields["maxima"], items, base)
        groups[code] = GroupRule(code, place.text(fields["name"], "name"), maxima)
    return groups


def _maxima(place: Place, raw: object, items: Mapping[str, ItemRule], base: Decimal) -> dict[str, Decimal]:
    """A group's full marks per item; they add up to the base points."""
    maxima: dict[str, Decimal] = {}
    for item, points in place.mapping(raw, "maxima").items():
        if item not in items:
            place.fail(f"未知的考评项目 {item!r}", "maxima")
        maxima[item] = place.decimal(points, f"maxima.{item}", positive=True)
    total = sum(maxima.values(), Decimal(0))
    if total != base:
        place.fail(f"各项目满分之和为 {total}, 应等于基础分 {base}", "maxima")
    return maxima


def _repeat_rule(top: Place, raw: object) -> RepeatRule:
    """The ``repeats`` block: what counts as a repeat problem. Absent keys keep ``RepeatRule``'s
    defaults; the rule checks its own values (with Chinese messages naming the key)."""
    fields = {} if raw is None else top.mapping(raw, "repeats")
    for key in fields:
        if key not in _REPEAT_KEYS:
            top.fail(f"未知字段 {key!r} (可用字段: {', '.join(sorted(_REPEAT_KEYS))})", f"repeats.{key}")
    try:
        return RepeatRule(**fields)
    except ValueError as err:
        top.fail(str(err), "repeats")


def _channel_weights(top: Place, raw: object) -> dict[Channel, Decimal]:
    weights: dict[Channel, Decimal] = {}
    for code, weight in top.mapping(raw, "channel_weights").items():
        channel = Channel(top.choice(code, Channel, "channel_weights", "来源代码"))
        weights[channel] = top.decimal(weight, f"channel_weights.{code}")
    return weights


def _category_points(
    top: Place, fields: Mapping[str, Any], items: Mapping[str, ItemRule], tree: CategoryTree
) -> dict[str, Decimal]:
    """Per-category points: the severity rule first, then the explicit overrides on top of it."""
    by_severity: dict[int, Decimal] = {}
    for severity, points in top.mapping(fields.get("severity_points") or {}, "severity_points").items():
        checked = top.severity(severity, "severity_points")
        by_severity[checked] = top.decimal(points, f"severity_points.{severity}")
    mapped = {code for item in items.values() for code in item.category_codes}
    severities = {code: tree.get(code).severity for code in mapped}
    result = {code: by_severity[sev] for code, sev in severities.items() if sev in by_severity}
    for code, points in top.mapping(fields.get("category_points") or {}, "category_points").items():
        if code not in mapped:
            top.fail(f"类别 {code!r} 未映射到任何考评项目, 单独设置分值无效", "category_points")
        result[code] = top.decimal(points, f"category_points.{code}")
    return result
