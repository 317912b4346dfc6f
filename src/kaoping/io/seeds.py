"""Loaders for the reference data Kaoping ships with: the 部件/事件 category tree, the channels and
the first-pass scoring scheme (``kaoping/data/*.yaml``), and what they return.

Pure reading and validation, no database. Every refusal is a ``SeedError`` whose Chinese message
names the file, the entry and the field (``io.seed_files``); the scheme's rules are read by
``io.scheme_file``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from kaoping.domain.categories import (
    Category,
    CategoryKind,
    CategoryLevel,
    CategoryTree,
    DeadlineUnit,
)
from kaoping.domain.problems import Channel
from kaoping.domain.scoring import ScoringRules
from kaoping.io.scheme_file import read_scheme_fields, scheme_rules, scheme_version
from kaoping.io.seed_files import Place, SeedError, read_yaml

__all__ = [
    "DEPARTMENT_TYPES",
    "ChannelSpec",
    "SchemeSpec",
    "Season",
    "SeedError",
    "load_categories",
    "load_channels",
    "load_scheme",
]

CATEGORIES_FILE = "categories.yaml"
CHANNELS_FILE = "channels.yaml"

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
    label, doc = read_yaml(path, CATEGORIES_FILE)
    top = Place(label)
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


def _major(top: Place, raw: object, index: int) -> Category:
    place, fields = top.entry_fields(raw, index, _MAJOR_KEYS, _MAJOR_KEYS)
    code = _code(place, fields["code"], 3, "大类代码应为 C 或 E 加 2 位数字, 如 C01、E05")
    name = place.text(fields["name"], "name")
    return Category(code, _KIND_BY_LETTER[code[0]], CategoryLevel.MAJOR, name)


def _minor(unnamed: Place, major: Category, raw: object) -> tuple[Category, float, Season | None]:
    """A subclass, its demo weight and season; ``unnamed`` names the entry until its code is known."""
    fields = unnamed.mapping(raw)
    place = unnamed.at_code(fields, unnamed.entry)
    place.keys(fields, _MINOR_KEYS, _MINOR_REQUIRED)
    code = _code(place, fields["code"], 5, "小类代码应为 C 或 E 加 4 位数字, 如 C0101、E0501")
    if not code.startswith(major.code):
        place.fail(f"小类代码应以所属大类代码 {major.code} 开头", "code")
    value, unit = _deadline(place, fields["deadline"])
    severity = place.severity(fields["severity"], "severity")
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
    season = _season(place, fields.get("season"))
    return category, place.number(fields["weight"], "weight"), season


def _season(place: Place, raw: object) -> Season | None:
    return None if raw is None else Season(place.choice(raw, Season, "season", "季节"))


def _code(place: Place, raw: object, length: int, rule: str) -> str:
    if not isinstance(raw, str) or len(raw) != length or raw[0] not in _KIND_BY_LETTER:
        place.fail(f"{rule}, 实为 {raw!r}", "code")
    if not raw[1:].isascii() or not raw[1:].isdigit():
        place.fail(f"{rule}, 实为 {raw!r}", "code")
    return raw


def _deadline(place: Place, raw: object) -> tuple[int, DeadlineUnit]:
    fields = place.mapping(raw, "deadline")
    place.keys(fields, {"value", "unit"}, {"value", "unit"})
    value = fields["value"]
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        place.fail(f"处置时限应为正整数, 实为 {value!r}", "deadline.value")
    unit = place.choice(fields["unit"], DeadlineUnit, "deadline.unit", "时限单位")
    return value, DeadlineUnit(unit)


def _aliases(place: Place, raw: object) -> tuple[str, ...]:
    return tuple(place.text(alias, "aliases") for alias in place.sequence(raw, "aliases"))


def _claim_code(top: Place, category: Category, seen: dict[str, Category]) -> None:
    if category.code in seen:
        top.at(category.code).fail(f"类别代码重复 (已用于 {seen[category.code].name})", "code")
    seen[category.code] = category


def _claim_names(place: Place, minor: Category, names: dict[str, str]) -> None:
    """Names and aliases must be unique over the tree, or a problem filed by name would be ambiguous."""
    for name in (minor.name, *minor.aliases):
        if name in names:
            place.fail(f"名称 {name!r} 已被 {names[name]} 使用", "aliases" if name != minor.name else "name")
        names[name] = minor.code


# --- channels ------------------------------------------------------------------------------------

_CHANNEL_KEYS = {"code", "name", "own_discovery", "share"}


def load_channels(path: Path | None = None) -> list[ChannelSpec]:
    """Every channel (来源) with its name, own-discovery flag and demo share, in file order."""
    label, doc = read_yaml(path, CHANNELS_FILE)
    top = Place(label)
    specs: dict[Channel, ChannelSpec] = {}
    for index, raw in enumerate(top.sequence(top.mapping(doc).get("channels"), "channels"), start=1):
        place, fields = top.entry_fields(raw, index, _CHANNEL_KEYS, _CHANNEL_KEYS)
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


# --- scheme ------------------------------------------------------------------------------------


def load_scheme(path: Path | None = None, categories_path: Path | None = None) -> SchemeSpec:
    """The scheme from ``path`` (default: the packaged ``scheme.yaml``), checked against the categories."""
    top, fields = read_scheme_fields(path)
    categories = _read_categories(categories_path)
    rules = scheme_rules(top, fields, categories.tree)
    return SchemeSpec(
        code=top.text(fields["code"], "code"),
        name=top.text(fields["name"], "name"),
        version=scheme_version(top, fields["version"]),
        rules=rules,
        item_names={code: item.name for code, item in rules.items.items()},
        group_names={code: group.name for code, group in rules.groups.items()},
        category_weights=categories.weights,
        category_seasons={code: season.monthly_factors for code, season in categories.seasons.items()},
    )
