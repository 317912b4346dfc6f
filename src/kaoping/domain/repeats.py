"""Repeat problems (重复问题): when a problem counts as the same problem found again.

No standard defines a repeat (domain.md §10.5, Q9), so the rule is configuration: the scheme's
``repeats`` block says how close in space (R metres) and time (T days) a later problem must be to an
earlier one, what "the same problem" means (the same subclass, the same evaluation item or the same
major class), and whether the earlier one may still be open or must already have been rectified.
This module holds the rule and the decision for one pair; ``kaoping.geo.repeats`` applies the same
decision to millions of problems at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from kaoping.domain.categories import Category


class RepeatMatch(StrEnum):
    """What two problems must share to be the same problem."""

    CATEGORY = "category"  # 同一小类
    ITEM = "item"  # 同一考评项目 (subclasses in no item: the same subclass)
    MAJOR_CLASS = "major_class"  # 同一大类


MATCH_LABELS = {
    RepeatMatch.CATEGORY: "同一小类",
    RepeatMatch.ITEM: "同一考评项目",
    RepeatMatch.MAJOR_CLASS: "同一大类",
}


@dataclass(frozen=True, slots=True)
class RepeatRule:
    """A later problem repeats an earlier one of the same kind found at most ``radius_m`` metres away
    and at most ``window_days`` days before it; ``count_open`` / ``count_rectified`` say whether an
    earlier problem still open, or already rectified, at the later one's discovery counts."""

    radius_m: float = 30.0
    window_days: float = 30.0
    match: RepeatMatch = RepeatMatch.CATEGORY
    count_open: bool = True
    count_rectified: bool = True

    def __post_init__(self) -> None:
        for name, value, unit in (("radius_m", self.radius_m, "米"), ("window_days", self.window_days, "天")):
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"重复问题规则 {name} 应为数值 ({unit}), 实为 {value!r}")
            if value <= 0:
                raise ValueError(f"重复问题规则 {name} 应大于 0, 实为 {value!r}")
            object.__setattr__(self, name, float(value))
        try:
            object.__setattr__(self, "match", RepeatMatch(self.match))
        except ValueError:
            options = ", ".join(m.value for m in RepeatMatch)
            raise ValueError(f"重复问题规则 match 应为 {options} 之一, 实为 {self.match!r}") from None
        for name in ("count_open", "count_rectified"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"重复问题规则 {name} 应为 true 或 false, 实为 {getattr(self, name)!r}")
        if not (self.count_open or self.count_rectified):
            raise ValueError("重复问题规则 count_open 与 count_rectified 不能都为 false (否则不会有重复问题)")

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.window_days)

    @property
    def window_seconds(self) -> float:
        return self.window_days * 86400.0

    def key_of(self, category: Category, item_code: str | None) -> str:
        """What two problems must have in common under this rule (subclass, item or major class code).
        A subclass in no item is its own key under ``item``: it still repeats itself."""
        if self.match is RepeatMatch.MAJOR_CLASS:
            return category.major_code
        if self.match is RepeatMatch.ITEM and item_code is not None:
            return f"item:{item_code}"  # prefixed: an item code never equals a category code
        return category.code

    def describe(self) -> str:
        """The rule in one Chinese sentence, for reports and the scheme's explanation."""
        if self.count_open and self.count_rectified:
            state = "前一问题无论是否已整改均计"
        elif self.count_open:
            state = "仅计前一问题尚未整改的情形"
        else:
            state = "仅计前一问题已整改后再次出现的情形"
        return (
            f"{MATCH_LABELS[self.match]}的问题在前一问题发现后 {self.window_days:g} 天内、"
            f"{self.radius_m:g} 米范围内再次发现, 计为重复问题 ({state})"
        )


@dataclass(frozen=True, slots=True)
class RepeatSubject:
    """What a repeat check needs to know of one problem: its key under the rule, where it is in metres
    (a local metric projection, never degrees), when it was found, rectified, and whether it was voided."""

    key: str
    x_m: float
    y_m: float
    found_at: datetime  # timezone-aware
    closed_at: datetime | None = None  # rectified (结案) at; None while open
    voided: bool = False


def counts_as_earlier(rule: RepeatRule, earlier: RepeatSubject, at: datetime) -> bool:
    """Whether ``earlier``'s state at ``at`` (a later discovery) lets it be repeated under ``rule``."""
    if earlier.voided:  # a voided problem was never a problem
        return False
    rectified = earlier.closed_at is not None and earlier.closed_at <= at
    return rule.count_rectified if rectified else rule.count_open


def is_repeat_of(rule: RepeatRule, later: RepeatSubject, earlier: RepeatSubject) -> bool:
    """Whether ``later`` repeats ``earlier``: the same key, found strictly later (two reports of one
    moment are one finding, not a repeat) and at most T later, at most R metres away, and ``earlier``
    in a state the rule counts."""
    if later.key != earlier.key:
        return False
    lag = later.found_at - earlier.found_at
    if lag <= timedelta(0) or lag > rule.window:
        return False
    dx, dy = later.x_m - earlier.x_m, later.y_m - earlier.y_m
    # Squared distances, the same arithmetic as the bulk check, so both agree on the boundary.
    if dx * dx + dy * dy > rule.radius_m * rule.radius_m:
        return False
    return counts_as_earlier(rule, earlier, later.found_at)
