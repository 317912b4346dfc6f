"""Scheme files (``data/schemes/*.yaml`` or a city's own): read, validated and turned into ``Scheme``.

A scheme file is checked as a whole before anything uses it: unknown keys (with the closest valid
one suggested), unknown categories, channels, items and components, maxima that do not add up,
members in two groups, circular roll-ups … Every problem is collected and reported together, each
naming the file, the line and the field path, in Chinese:
``方案文件 jinan.yaml 第 42 行 groups[1].maxima.noise: 考评项目 noise 不存在``. The sections are read
by ``io.schemes_items`` (components, items), ``io.schemes_groups`` (groups, rewards, ranking) and
``io.schemes_rules`` (deductions, bonuses, penalties); ``io.schemes_nodes`` keeps lines and paths.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TypeVar

import yaml

from kaoping.domain.categories import CategoryTree
from kaoping.domain.periods import PeriodKind
from kaoping.domain.problems import Channel
from kaoping.domain.schemes import (
    DeductionRules,
    DiscoveryVariant,
    EvaluatedLevel,
    Item,
    ItemKind,
    NoSchemeInForceError,
    Scheme,
    scheme_in_force,
)
from kaoping.io.schemes_groups import read_groups, read_ranking, read_rewards
from kaoping.io.schemes_items import Listed, check_component_total, read_components, read_items
from kaoping.io.schemes_nodes import Reader, SchemeFileError, SchemeIssue, Value, compose_file
from kaoping.io.schemes_rules import read_adjustments, read_deductions
from kaoping.io.seeds import load_categories

__all__ = [
    "NoSchemeInForceError",
    "SchemeFileError",
    "SchemeIssue",
    "load_scheme_file",
    "load_schemes",
    "packaged_schemes",
    "scheme_in_force",
]

T = TypeVar("T")

_TOP_REQUIRED = {
    "code",
    "name",
    "version",
    "effective_from",
    "evaluated",
    "period",
    "base_points",
    "components",
    "items",
    "groups",
}
_TOP_KEYS = _TOP_REQUIRED | {
    "deductions",
    "bonuses",
    "penalties",
    "rewards",
    "ranking",
    "own_channels",
    "discovery",
    "department_share",
}


def packaged_schemes() -> Traversable:
    """The folder of the schemes Kaoping ships (``kaoping/data/schemes``)."""
    return files("kaoping") / "data" / "schemes"


def load_scheme_file(path: Path | Traversable, categories: CategoryTree | None = None) -> Scheme:
    """The scheme in ``path``, checked against ``categories`` (default: the packaged tree); every
    problem in the file is raised together as one ``SchemeFileError``."""
    read = read_scheme_file(path, categories if categories is not None else load_categories())
    if read.scheme is None:
        raise SchemeFileError(read.issues)
    return read.scheme


def load_schemes(
    folder: Path | Traversable | None = None, categories: CategoryTree | None = None
) -> list[Scheme]:
    """Every scheme file (``*.yaml``) in ``folder`` (default: the packaged ones), by code then date.

    Two files with the same code must differ in version and in effective date, or the version in
    force on a day would be ambiguous."""
    source = folder if folder is not None else packaged_schemes()
    tree = categories if categories is not None else load_categories()
    paths = sorted((p for p in source.iterdir() if p.name.endswith((".yaml", ".yml"))), key=lambda p: p.name)
    reads = [read_scheme_file(path, tree) for path in paths]
    issues = [issue for read in reads for issue in read.issues] + _clashes(reads)
    if issues:
        raise SchemeFileError(issues)
    schemes = [read.scheme for read in reads if read.scheme is not None]
    return sorted(schemes, key=lambda s: (s.code, s.effective_from))


def _clashes(reads: list[SchemeRead]) -> list[SchemeIssue]:
    issues = []
    first: dict[tuple[str, str], SchemeRead] = {}
    for read in reads:
        if read.scheme is None:
            continue
        s = read.scheme
        for key, value in (("version", s.version), ("effective_from", s.effective_from.isoformat())):
            seen = first.setdefault((s.code, f"{key}={value}"), read)
            if seen is not read:
                issues.append(
                    SchemeIssue(
                        read.file,
                        read.lines.get(key, 1),
                        key,
                        f"方案 {s.code} 的 {key} {value} 与 {seen.file} 相同, 同一方案的各版本须各不相同",
                    )
                )
    return issues


@dataclass
class SchemeRead:
    """What reading one file gave: the scheme (None when refused), its problems, and the lines of the
    top-level fields (for problems found across files)."""

    file: str
    scheme: Scheme | None
    issues: list[SchemeIssue]
    lines: dict[str, int] = field(default_factory=dict)


def read_scheme_file(path: Path | Traversable, tree: CategoryTree) -> SchemeRead:
    """Read and check one file, collecting every problem instead of stopping at the first."""
    label, root, issues = compose_file(path)
    if root is None:
        return SchemeRead(label, None, issues)
    r = Reader(label)
    scheme = _scheme(r, Value(root, ""), tree)
    lines = {key.value: key.start_mark.line + 1 for key, _ in getattr(root, "value", ()) if _is_key(key)}
    issues = sorted(r.issues, key=lambda issue: issue.line)  # in file order, as a reader goes through it
    return SchemeRead(label, scheme if not issues else None, issues, lines)


def _is_key(node: object) -> bool:
    return isinstance(node, yaml.ScalarNode)


def _optional(fields: dict[str, Value], key: str, read: Callable[[Value], T], default: T) -> T:
    return read(fields[key]) if key in fields else default


def _scheme(r: Reader, root: Value, tree: CategoryTree) -> Scheme | None:
    fields = r.fields(root, _TOP_KEYS, _TOP_REQUIRED)
    period = _optional(fields, "period", lambda v: r.choice(v, PeriodKind, "周期"), None)
    base = _optional(fields, "base_points", lambda v: r.decimal(v, positive=True, what="基础分"), None)
    components = read_components(r, fields.get("components"), period)
    check_component_total(r, fields.get("components"), components, base)
    items = read_items(r, fields.get("items"), components, tree)
    groups = read_groups(r, fields.get("groups"), items, components)
    deductions = _deductions(r, root, fields, items)
    adjustments = read_adjustments(r, fields.get("bonuses"), fields.get("penalties"))
    rewards = read_rewards(r, fields.get("rewards"), groups)
    ranking = read_ranking(r, fields.get("ranking"), items, components)
    identity = _identity(r, fields)
    extras = _extras(r, fields)
    if r.issues or identity is None or extras is None or period is None or base is None:
        return None
    if deductions is None or adjustments is None or rewards is None or ranking is None:
        return None
    code, name, version, effective_from, evaluated = identity
    own_channels, discovery, department_share = extras
    return Scheme(
        code, name, version, effective_from, evaluated, period, base,
        components.objects, items.objects, groups.objects, deductions, adjustments, rewards, ranking,
        own_channels, discovery, department_share,
    )  # fmt: skip


def _identity(
    r: Reader, fields: dict[str, Value]
) -> tuple[str, str, str, date, tuple[EvaluatedLevel, ...]] | None:
    code = _optional(fields, "code", lambda v: r.code(v, hyphens=True), None)
    name = _optional(fields, "name", r.scalar, None)
    version = _optional(fields, "version", r.scalar, None)
    effective_from = _optional(fields, "effective_from", r.day, None)
    evaluated: list[EvaluatedLevel] = _optional(
        fields, "evaluated", lambda v: r.choices(v, EvaluatedLevel, "被考评层级"), []
    )
    if "evaluated" in fields and not evaluated and not r.issues:
        r.refuse(fields["evaluated"], "至少要有一个被考评层级 (district / town / department)")
    if code is None or name is None or version is None or effective_from is None or not evaluated:
        return None
    return code, name, version, effective_from, tuple(evaluated)


def _extras(
    r: Reader, fields: dict[str, Value]
) -> tuple[frozenset[Channel], DiscoveryVariant, Decimal] | None:
    own: list[Channel] = _optional(fields, "own_channels", lambda v: r.choices(v, Channel, "来源"), [])
    discovery = (
        r.choice(fields["discovery"], DiscoveryVariant, "发现率口径")
        if "discovery" in fields
        else DiscoveryVariant.SHARE
    )
    share = (
        r.fraction(fields["department_share"], "部门分担比例") if "department_share" in fields else Decimal(0)
    )
    if discovery is None or share is None:
        return None
    return frozenset(own), discovery, share


def _deductions(
    r: Reader, root: Value, fields: dict[str, Value], items: Listed[Item]
) -> DeductionRules | None:
    deducting = [item for item in items.objects.values() if item.kind is ItemKind.DEDUCTION]
    if "deductions" not in fields:
        if deducting:
            r.refuse(root, "方案有扣分项目, 须设置扣分规则 (至少 channel_weights)", "deductions")
            return None
        return DeductionRules(channel_weights={})
    mapped = {code for item in deducting for code in item.categories} if items.is_complete else None
    return read_deductions(r, fields["deductions"], mapped)
