"""What an evaluation produces (考评结果): score lines, items, components, totals, ranks, rewards.

Every number can be explained: an item keeps one ``ScoreLine`` per rule and fact key, and its lines
add up exactly to the item's deduction (the cap and the monthly roll-up are lines of their own).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from kaoping.domain.errors import NotFoundError
from kaoping.domain.frozen import maker
from kaoping.domain.problems import Channel
from kaoping.domain.ranking import ItemClass
from kaoping.domain.schemes import Indicator, ItemKind


class LineKind(StrEnum):
    PROBLEMS = "problems"  # problems of one kind × points each
    NORMALISATION = "normalisation"  # ÷ exposure (每个测评点位…)
    CAP = "cap"  # 扣完为止: the part of the deduction beyond the item's maximum, given back
    ROLLUP = "rollup"  # monthly deductions turned into the quarter's (mean, last)
    RATE = "rate"  # a rate item: the indicator and the points it lost
    MANUAL = "manual"  # entered points
    ADJUSTMENT = "adjustment"  # a bonus or penalty (signed points)


@dataclass(frozen=True, slots=True)
class ScoreLine:
    """One rule applied to one kind of fact. ``total`` is a deduction on item lines (points lost) and
    signed points on adjustment lines (+ bonus, − penalty)."""

    kind: LineKind
    ref: str  # item or adjustment code
    rule: str  # what set the points: "category:E0102", "severity:3", "item", "tier:省级", "cap"…
    total: Decimal
    text: str  # the explanation in Chinese, with the arithmetic (the engine's: written out when read)
    sub_period: int = 0
    category_code: str = ""
    channel: Channel | None = None
    repeat_index: int = 0
    is_overdue: bool = False
    is_no_feedback: bool = False
    share: Decimal = Decimal(1)
    count: int = 0
    points_each: Decimal = Decimal(0)


# A period has tens of thousands of lines and few are ever read, so the engine makes them with
# their explanation unwritten: the ``text`` slot holds an ``Explain`` (line → text) until the
# first read writes the text into it. ``text`` stays a field — the constructor, equality, ``repr``,
# ``asdict`` and ``replace`` all see the text — but is read through this property.
Explain = Callable[[ScoreLine], str]
_TEXT_SLOT: Any = ScoreLine.__dict__["text"]


def _read_text(line: ScoreLine) -> str:
    value = _TEXT_SLOT.__get__(line, ScoreLine)
    if isinstance(value, str):
        return value
    text: str = value(line)
    _TEXT_SLOT.__set__(line, text)  # a frozen line: the explanation is written once, never changed
    return text


setattr(ScoreLine, "text", property(_read_text, _TEXT_SLOT.__set__, doc="The explanation in Chinese."))  # noqa: B010


# ``make_score_line(kind, ref, rule, total, text, …every field)``: a ScoreLine made fast (see
# ``kaoping.domain.frozen``); ``text`` may be an ``Explain``, written out when first read.
make_score_line = maker(ScoreLine)
_ONE = Decimal(1)
_ZERO = Decimal(0)


def make_line(kind: LineKind, ref: str, rule: str, total: Decimal, text: str | Explain) -> ScoreLine:
    """A line without a fact (rate, manual, adjustment…), made fast; ``text`` may be an ``Explain``."""
    return make_score_line(kind, ref, rule, total, text, 0, "", None, 0, False, False, _ONE, 0, _ZERO)


@dataclass(frozen=True, slots=True)
class ItemResult:
    """An item's score for one unit: ``points = max_points − deduction``."""

    code: str
    name: str
    component: str
    kind: ItemKind
    max_points: Decimal
    points: Decimal
    deduction: Decimal  # after the cap and the roll-up; the sum of ``lines``
    raw_deduction: Decimal  # problem lines (and normalisation) before the cap and the roll-up
    lines: tuple[ScoreLine, ...]
    problems: int = 0  # problems of the item's categories, deducting or not
    deducted_problems: int = 0
    repeats: int = 0
    value: Fraction | None = None  # RATE: the indicator
    problem_share: Fraction | None = None  # the item's problems / the unit's problems (单项占比)
    rank: int = 0  # in the group
    item_class: ItemClass = ItemClass.AVERAGE


@dataclass(frozen=True, slots=True)
class ComponentResult:
    code: str
    name: str
    max_points: Decimal
    points: Decimal
    rank: int = 0


@dataclass(frozen=True, slots=True)
class AdjustmentResult:
    """A bonus or penalty for one unit: ``points`` signed, after its cap."""

    code: str
    name: str
    points: Decimal
    raw: Decimal  # before the cap
    lines: tuple[ScoreLine, ...]


@dataclass(frozen=True, slots=True)
class ProblemCounters:
    """The problem counters a review speech quotes, and the unit's shares of the city's totals."""

    total: int = 0  # 问题总数
    deducted: int = 0  # 扣分问题
    repeats: int = 0  # 重复问题
    high_score: int = 0  # 高分问题
    overdue: int = 0  # 超时
    no_feedback: int = 0  # 逾期未反馈
    deduction: Decimal = Decimal(0)  # points of the problems before caps
    problem_share: Fraction | None = None  # 占全市比例
    deduction_share: Fraction | None = None


@dataclass(frozen=True, slots=True)
class CategoryShare:
    """How much of a unit's (or the city's) problems one category makes up (问题集中度)."""

    category_code: str
    count: int
    share: Fraction | None


@dataclass(frozen=True, slots=True)
class UnitResult:
    unit: str
    group: str
    is_rank_only: bool
    items: tuple[ItemResult, ...]
    components: tuple[ComponentResult, ...]
    adjustments: tuple[AdjustmentResult, ...]
    subtotal: Decimal  # the components, before bonuses and penalties
    total: Decimal
    rank: int
    counters: ProblemCounters
    previous_rank: int | None = None
    is_first_tier: bool = False
    items_top: int = 0  # "x 项位列前三"
    items_bottom: int = 0  # "y 项在后三名"
    reward: Decimal = Decimal(0)  # 万元: + received, − paid
    indicators: Mapping[Indicator, Fraction | None] = field(default_factory=dict)
    categories: tuple[CategoryShare, ...] = ()
    missing_manual: tuple[str, ...] = ()  # manual items nobody entered (scored 0)

    @property
    def rank_change(self) -> int | None:
        """Places gained since the previous period (positive = moved up)."""
        return None if self.previous_rank is None else self.previous_rank - self.rank

    def item(self, code: str) -> ItemResult:
        """The result of one item; raises NotFoundError."""
        for item in self.items:
            if item.code == code:
                return item
        raise NotFoundError("考评项目", code)

    def component(self, code: str) -> ComponentResult:
        """The result of one component; raises NotFoundError."""
        for component in self.components:
            if component.code == code:
                return component
        raise NotFoundError("考评组成部分", code)


# The result types the engine makes per unit and item, made fast (``kaoping.domain.frozen``): every
# field passed, in order.
make_item_result = maker(ItemResult)
make_component_result = maker(ComponentResult)
make_adjustment_result = maker(AdjustmentResult)
make_problem_counters = maker(ProblemCounters)
make_category_share = maker(CategoryShare)
make_unit_result = maker(UnitResult)


@dataclass(frozen=True, slots=True)
class GroupResult:
    code: str
    name: str
    units: tuple[UnitResult, ...]  # by rank, then unit code


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One period's results under one scheme version."""

    scheme: str
    version: str
    groups: tuple[GroupResult, ...]
    counters: ProblemCounters  # the city's (all evaluated units)
    categories: tuple[CategoryShare, ...] = ()

    def group(self, code: str) -> GroupResult:
        """One group's results; raises NotFoundError."""
        for group in self.groups:
            if group.code == code:
                return group
        raise NotFoundError("考评组", code)

    def unit(self, code: str) -> UnitResult:
        """A unit's result (in the first group that lists it); raises NotFoundError."""
        for group in self.groups:
            for unit in group.units:
                if unit.unit == code:
                    return unit
        raise NotFoundError("被考评单位", code)
