"""Loaders for the reference data Kaoping ships with: the 部件/事件 category tree, the channels and
the first-pass scoring scheme (``kaoping/data/*.yaml``).

Pure reading and validation, no database. Every refusal is a ``SeedError`` whose Chinese message
names the file, the entry and the field, because the people who edit these files are a city's
evaluation office, not programmers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, NoReturn

import yaml

try:  # yaml.safe_load semantics, through libyaml when it is installed: ten times faster on these files
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader  # type: ignore[assignment]

from kaoping.domain.categories import (
    Category,
    CategoryKind,
    CategoryLevel,
    CategoryTree,
    DeadlineUnit,
)
from kaoping.domain.errors import KaopingError, UnknownCategoryError
from kaoping.domain.problems import Channel
from kaoping.domain.scoring import GroupRule, ItemRule, ScoringRules

CATEGORIES_FILE = "categories.yaml"
CHANNELS_FILE = "channels.yaml"
SCHEME_FILE = "scheme.yaml"

# The fixed list of department types a subclass can name; cities match their departments to it.
DEPARTMENT_TYPES: dict[str, str] = {
    "sanitation": "环卫",
    "landscaping": "园林绿化",
    "municipal": "市政",
    "enforcement": "综合执法",
    "water": "水务",
    "transport": "交通运输",
    "traffic_police": "交警",
    "housing": "住建/物业",
    "market": "市场监管",
    "ecology": "生态环境",
    "power": "供电",
    "telecom": "通信",
    "gas": "燃气",
    "heating": "供热",
}

SEVERITIES = (1, 2, 3)
_KIND_BY_LETTER = {"C": CategoryKind.COMPONENT, "E": CategoryKind.EVENT}


class Season(StrEnum):
    """The season a kind of problem peaks in (demo data; meteorological seasons)."""

    SPRING = "spring"
    SUMMER = "summer"
    AUTUMN = "autumn"
    WINTER = "winter"

    @property
    def months(self) -> tuple[int, int, int]:
        return _SEASON_MONTHS[self]

    @property
    def monthly_factors(self) -> tuple[float, ...]:
        """Twelve factors, January first: high in the season, a little raised in the month either side.

        They average 1, so a category's weight stays its frequency over the whole year.
        """
        first, *_, last = self.months
        shoulders = {(first - 2) % 12 + 1, last % 12 + 1}
        raw = [_PEAK if m in self.months else _SHOULDER if m in shoulders else _OFF for m in range(1, 13)]
        mean = sum(raw) / len(raw)
        return tuple(f / mean for f in raw)


_PEAK, _SHOULDER, _OFF = 2.0, 1.2, 0.6  # relative frequency in, next to and away from the season
_SEASON_MONTHS = {
    Season.SPRING: (3, 4, 5),
    Season.SUMMER: (6, 7, 8),
    Season.AUTUMN: (9, 10, 11),
    Season.WINTER: (12, 1, 2),
}


class SeedError(KaopingError):
    """A seed file that cannot be used: unreadable, or an entry with a missing or wrong field."""

    def __init__(self, file: str, entry: str | None, reason: str, field: str | None = None) -> None:
        where = f"第 {entry} 项" if entry is not None else ""
        if field is not None:
            where = f"{where} ({field})" if where else f"({field})"
        super().__init__(f"{file} {where}: {reason}" if where else f"{file}: {reason}")
        self.file = file
        self.entry = entry
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """A channel (来源) with its display name, whether it is own discovery, and its demo share."""

    code: Channel
    name: str
    own_discovery: bool
    share: float


@dataclass(frozen=True, slots=True)
class SchemeSpec:
    """A loaded scheme: the scoring rules plus the names and demo profile that go with them."""

    code: str
    name: str
    version: int
    rules: ScoringRules
    item_names: dict[str, str]  # item code → 考评项目 name
    group_names: dict[str, str]  # group code → 组 name
    category_weights: dict[str, float]  # subclass code → relative frequency (categories.yaml)
    # subclass code → 12 monthly factors (January first, averaging 1), for subclasses with a season
    category_seasons: dict[str, tuple[float, ...]]


# --- reading -------------------------------------------------------------------------------------


def _read_yaml(path: Path | None, default: str) -> tuple[str, Any]:
    """The parsed document and the file name used in messages."""
    source: Path | Traversable = path if path is not None else files("kaoping") / "data" / default
    label = source.name
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SeedError(label, None, f"文件不存在: {source}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SeedError(label, None, f"无法读取文件 (应为 UTF-8 编码): {err}") from None
    try:
        return label, yaml.load(text, Loader=SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f"第 {mark.line + 1} 行 " if mark is not None else ""
        raise SeedError(label, None, f"YAML 格式错误 {line}{getattr(err, 'problem', '') or err}") from None


@dataclass(frozen=True, slots=True)
class _Place:
    """Where in a seed file a value was read: every check below fails with this place in the message."""

    file: str
    entry: str | None = None

    def at(self, entry: object) -> _Place:
        return _Place(self.file, str(entry))

    def fail(self, reason: str, field: str | None = None) -> NoReturn:
        raise SeedError(self.file, self.entry, reason, field)

    def mapping(self, raw: object, field: str | None = None) -> dict[Any, Any]:
        if not isinstance(raw, dict):
            self.fail(f"应为映射 (键: 值), 实为 {_shown(raw)}", field)
        return raw

    def sequence(self, raw: object, field: str) -> list[Any]:
        if not isinstance(raw, list):
            self.fail(f"应为列表, 实为 {_shown(raw)}", field)
        return raw

    def keys(self, raw: Mapping[str, Any], allowed: set[str], required: set[str]) -> None:
        """Refuse unknown keys (a typo would otherwise be ignored silently) and missing ones."""
        for key in raw:
            if key not in allowed:
                self.fail(f"未知字段 {key!r} (可用字段: {', '.join(sorted(allowed))})", str(key))
        for key in sorted(required - set(raw)):
            self.fail("缺少此字段", key)

    def text(self, raw: object, field: str) -> str:
        if not isinstance(raw, str) or not raw.strip():
            self.fail(f"应为非空文字, 实为 {_shown(raw)}", field)
        return raw.strip()

    def decimal(self, raw: object, field: str, *, positive: bool = False) -> Decimal:
        """An exact decimal from a quoted string or an integer (a bare float is read as written)."""
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            self.fail(f'应为数值 (如 "0.05"), 实为 {_shown(raw)}', field)
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            self.fail(f"不是有效的数值: {raw!r}", field)
        if not value.is_finite() or value < 0 or (positive and value == 0):
            self.fail(f"应为{'正数' if positive else '非负数'}, 实为 {raw!r}", field)
        return value

    def number(self, raw: object, field: str) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw) or raw < 0:
            self.fail(f"应为非负数, 实为 {_shown(raw)}", field)
        return float(raw)

    def choice(self, raw: object, options: Mapping[str, Any] | type[StrEnum], field: str, what: str) -> str:
        known = [str(o) for o in options] if isinstance(options, type) else list(options)
        if not isinstance(raw, str) or raw not in known:
            self.fail(f"未知的{what} {raw!r} (可选: {', '.join(known)})", field)
        return raw


def _named(place: _Place, fields: Mapping[str, Any], fallback: object) -> _Place:
    """The place of an entry: its code when it has a usable one, else its position in the file."""
    code = fields.get("code")
    return place.at(code if isinstance(code, str) and code.strip() else fallback)


def _shown(raw: object) -> str:
    return "空值" if raw is None else f"{type(raw).__name__} {raw!r}"


# --- categories ----------------------------------------------------------------------------------

_MAJOR_KEYS = {"code", "name", "minors"}
_MINOR_KEYS = {"code", "name", "aliases", "deadline", "department", "severity", "weight", "season"}
_MINOR_REQUIRED = _MINOR_KEYS - {"aliases", "season"}


@dataclass(frozen=True, slots=True)
class _CategoryData:
    tree: CategoryTree
    weights: dict[str, float]
    seasons: dict[str, Season]


def load_categories(path: Path | None = None) -> CategoryTree:
    """The 部件/事件 category tree from ``path`` (default: the packaged ``categories.yaml``)."""
    return _read_categories(path).tree


def _read_categories(path: Path | None) -> _CategoryData:
    label, doc = _read_yaml(path, CATEGORIES_FILE)
    top = _Place(label)
    majors = top.sequence(top.mapping(doc).get("majors"), "majors")
    categories: dict[str, Category] = {}
    weights: dict[str, float] = {}
    seasons: dict[str, Season] = {}
    names: dict[str, str] = {}  # every name and alias → the code that holds it
    for index, raw in enumerate(majors, start=1):
        major = _major(top, raw, index)
        _claim_code(top, major, categories)
        minors = top.at(major.code).sequence(raw.get("minors"), "minors")
        for position, raw_minor in enumerate(minors, start=1):
            minor, weight, season = _minor(top.at(f"{major.code}/{position}"), major, raw_minor)
            _claim_code(top, minor, categories)
            _claim_names(top.at(minor.code), minor, names)
            weights[minor.code] = weight
            if season is not None:
                seasons[minor.code] = season
    return _CategoryData(CategoryTree(categories.values()), weights, seasons)


def _major(top: _Place, raw: object, index: int) -> Category:
    fields = top.at(index).mapping(raw)
    place = _named(top, fields, index)
    place.keys(fields, _MAJOR_KEYS, _MAJOR_KEYS)
    code = _code(place, fields["code"], 3, "大类代码应为 C 或 E 加 2 位数字, 如 C01、E05")
    name = place.text(fields["name"], "name")
    return Category(code, _KIND_BY_LETTER[code[0]], CategoryLevel.MAJOR, name)


def _minor(unnamed: _Place, major: Category, raw: object) -> tuple[Category, float, Season | None]:
    """A subclass, its demo weight and season; ``unnamed`` names the entry until its code is known."""
    fields = unnamed.mapping(raw)
    place = _named(unnamed, fields, unnamed.entry)
    place.keys(fields, _MINOR_KEYS, _MINOR_REQUIRED)
    code = _code(place, fields["code"], 5, "小类代码应为 C 或 E 加 4 位数字, 如 C0101、E0501")
    if not code.startswith(major.code):
        place.fail(f"小类代码应以所属大类代码 {major.code} 开头", "code")
    value, unit = _deadline(place, fields["deadline"])
    severity = fields["severity"]
    if isinstance(severity, bool) or severity not in SEVERITIES:
        place.fail(f"严重程度应为 1、2 或 3, 实为 {severity!r}", "severity")
    category = Category(
        code=code,
        kind=major.kind,
        level=CategoryLevel.MINOR,
        name=place.text(fields["name"], "name"),
        parent_code=major.code,
        deadline_value=value,
        deadline_unit=unit,
        department_type=place.choice(fields["department"], DEPARTMENT_TYPES, "department", "部门类型"),
        severity=severity,
        aliases=_aliases(place, fields.get("aliases", [])),
    )
    season = fields.get("season")
    if season is not None:
        season = Season(place.choice(season, Season, "season", "季节"))
    return category, place.number(fields["weight"], "weight"), season


def _code(place: _Place, raw: object, length: int, rule: str) -> str:
    if not isinstance(raw, str) or len(raw) != length or raw[0] not in _KIND_BY_LETTER:
        place.fail(f"{rule}, 实为 {raw!r}", "code")
    if not raw[1:].isascii() or not raw[1:].isdigit():
        place.fail(f"{rule}, 实为 {raw!r}", "code")
    return raw


def _deadline(place: _Place, raw: object) -> tuple[int, DeadlineUnit]:
    fields = place.mapping(raw, "deadline")
    place.keys(fields, {"value", "unit"}, {"value", "unit"})
    value = fields["value"]
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        place.fail(f"处置时限应为正整数, 实为 {value!r}", "deadline.value")
    unit = place.choice(fields["unit"], DeadlineUnit, "deadline.unit", "时限单位")
    return value, DeadlineUnit(unit)


def _aliases(place: _Place, raw: object) -> tuple[str, ...]:
    return tuple(place.text(alias, "aliases") for alias in place.sequence(raw, "aliases"))


def _claim_code(top: _Place, category: Category, seen: dict[str, Category]) -> None:
    if category.code in seen:
        top.at(category.code).fail(f"类别代码重复 (已用于 {seen[category.code].name})", "code")
    seen[category.code] = category


def _claim_names(place: _Place, minor: Category, names: dict[str, str]) -> None:
    """Names and aliases must be unique over the tree, or a problem filed by name would be ambiguous."""
    for name in (minor.name, *minor.aliases):
        if name in names:
            place.fail(f"名称 {name!r} 已被 {names[name]} 使用", "aliases" if name != minor.name else "name")
        names[name] = minor.code


# --- channels ------------------------------------------------------------------------------------

_CHANNEL_KEYS = {"code", "name", "own_discovery", "share"}


def load_channels(path: Path | None = None) -> list[ChannelSpec]:
    """Every channel (来源) with its name, own-discovery flag and demo share, in file order."""
    label, doc = _read_yaml(path, CHANNELS_FILE)
    top = _Place(label)
    specs: dict[Channel, ChannelSpec] = {}
    for index, raw in enumerate(top.sequence(top.mapping(doc).get("channels"), "channels"), start=1):
        fields = top.at(index).mapping(raw)
        place = _named(top, fields, index)
        place.keys(fields, _CHANNEL_KEYS, _CHANNEL_KEYS)
        code = Channel(place.choice(fields["code"], Channel, "code", "来源代码"))
        if code in specs:
            place.fail("来源重复", "code")
        if not isinstance(fields["own_discovery"], bool):
            place.fail(f"应为 true 或 false, 实为 {fields['own_discovery']!r}", "own_discovery")
        share = place.number(fields["share"], "share")
        specs[code] = ChannelSpec(code, place.text(fields["name"], "name"), fields["own_discovery"], share)
    missing = [c.value for c in Channel if c not in specs]
    if missing:
        top.fail(f"缺少来源: {', '.join(missing)}", "channels")
    total = sum(s.share for s in specs.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        top.fail(f"各来源占比之和应为 1, 实为 {total:g}", "share")
    return list(specs.values())


# --- scheme --------------------------------------------------------------------------------------

_SCHEME_KEYS = {
    "code",
    "name",
    "version",
    "base_points",
    "channel_weights",
    "repeat_multiplier",
    "overdue_extra",
    "high_score_threshold",
    "severity_points",
    "category_points",
    "items",
    "groups",
}
_SCHEME_REQUIRED = _SCHEME_KEYS - {"severity_points", "category_points", "overdue_extra"}
_ITEM_KEYS = {"code", "name", "points_per_problem", "categories"}
_GROUP_KEYS = {"code", "name", "maxima"}


def load_scheme(path: Path | None = None, categories_path: Path | None = None) -> SchemeSpec:
    """The scheme from ``path`` (default: the packaged ``scheme.yaml``), checked against the categories."""
    label, doc = _read_yaml(path, SCHEME_FILE)
    top = _Place(label)
    fields = top.mapping(doc)
    top.keys(fields, _SCHEME_KEYS, _SCHEME_REQUIRED)
    categories = _read_categories(categories_path)
    rules = _rules(top, fields, categories.tree)
    return SchemeSpec(
        code=top.text(fields["code"], "code"),
        name=top.text(fields["name"], "name"),
        version=_version(top, fields["version"]),
        rules=rules,
        item_names={code: item.name for code, item in rules.items.items()},
        group_names={code: group.name for code, group in rules.groups.items()},
        category_weights=categories.weights,
        category_seasons={code: season.monthly_factors for code, season in categories.seasons.items()},
    )


def _rules(top: _Place, fields: Mapping[str, Any], tree: CategoryTree) -> ScoringRules:
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
        )
    except ValueError as err:  # the domain's own checks, should a case slip past the ones above
        top.fail(f"考评规则无效: {err}")


def _version(top: _Place, raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0:
        top.fail(f"版本号应为正整数, 实为 {raw!r}", "version")
    return raw


def _identifier(place: _Place, raw: object) -> str:
    code = place.text(raw, "code")
    if not (code.isascii() and code.replace("_", "").isalnum() and code[0].isalpha() and code.islower()):
        place.fail(f"代码应由小写字母、数字和下划线组成, 实为 {code!r}", "code")
    return code


def _items(top: _Place, raw: object, tree: CategoryTree) -> dict[str, ItemRule]:
    items: dict[str, ItemRule] = {}
    owner: dict[str, str] = {}  # category code → the item it is already mapped to
    for index, raw_item in enumerate(top.sequence(raw, "items"), start=1):
        fields = top.at(index).mapping(raw_item)
        place = _named(top, fields, index)
        place.keys(fields, _ITEM_KEYS, _ITEM_KEYS)
        code = _identifier(place, fields["code"])
        if code in items:
            place.fail("考评项目代码重复", "code")
        codes = _item_categories(place, fields["categories"], tree)
        for category in codes:
            if category in owner:
                place.fail(
                    f"类别 {category} 已映射到考评项目 {owner[category]}, 一个小类只能属于一个项目",
                    "categories",
                )
            owner[category] = code
        points = place.decimal(fields["points_per_problem"], "points_per_problem")
        items[code] = ItemRule(code, place.text(fields["name"], "name"), frozenset(codes), points)
    return items


def _item_categories(place: _Place, raw: object, tree: CategoryTree) -> list[str]:
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


def _groups(top: _Place, raw: object, items: Mapping[str, ItemRule], base: Decimal) -> dict[str, GroupRule]:
    groups: dict[str, GroupRule] = {}
    for index, raw_group in enumerate(top.sequence(raw, "groups"), start=1):
        fields = top.at(index).mapping(raw_group)
        place = _named(top, fields, index)
        place.keys(fields, _GROUP_KEYS, _GROUP_KEYS)
        code = _identifier(place, fields["code"])
        if code in groups:
            place.fail("组代码重复", "code")
        maxima: dict[str, Decimal] = {}
        for item, points in place.mapping(fields["maxima"], "maxima").items():
            if item not in items:
                place.fail(f"未知的考评项目 {item!r}", "maxima")
            maxima[item] = place.decimal(points, f"maxima.{item}", positive=True)
        total = sum(maxima.values(), Decimal(0))
        if total != base:
            place.fail(f"各项目满分之和为 {total}, 应等于基础分 {base}", "maxima")
        groups[code] = GroupRule(code, place.text(fields["name"], "name"), maxima)
    return groups


def _channel_weights(top: _Place, raw: object) -> dict[Channel, Decimal]:
    weights: dict[Channel, Decimal] = {}
    for code, weight in top.mapping(raw, "channel_weights").items():
        channel = Channel(top.choice(code, Channel, "channel_weights", "来源代码"))
        weights[channel] = top.decimal(weight, f"channel_weights.{code}")
    return weights


def _category_points(
    top: _Place, fields: Mapping[str, Any], items: Mapping[str, ItemRule], tree: CategoryTree
) -> dict[str, Decimal]:
    """Per-category points: the severity rule first, then the explicit overrides on top of it."""
    by_severity: dict[int, Decimal] = {}
    for severity, points in top.mapping(fields.get("severity_points") or {}, "severity_points").items():
        if isinstance(severity, bool) or severity not in SEVERITIES:
            top.fail(f"严重程度应为 1、2 或 3, 实为 {severity!r}", "severity_points")
        by_severity[severity] = top.decimal(points, f"severity_points.{severity}")
    mapped = {code for item in items.values() for code in item.category_codes}
    severities = {code: tree.get(code).severity for code in mapped}
    result = {code: by_severity[sev] for code, sev in severities.items() if sev in by_severity}
    for code, points in top.mapping(fields.get("category_points") or {}, "category_points").items():
        if code not in mapped:
            top.fail(f"类别 {code!r} 未映射到任何考评项目, 单独设置分值无效", "category_points")
        result[code] = top.decimal(points, f"category_points.{code}")
    return result
