"""The evaluation scheme (考评方案) as data: what is scored, out of how much, by which rules, for whom.

A scheme is written as a YAML file (``kaoping.io.schemes`` reads and validates it) and becomes the
frozen objects below; the engine (``kaoping.domain.evaluation``) turns facts into scores under it.
Every city writes its own and changes it each year, so nothing here is a rule of one city: Jinan's
1000-point quarterly scheme and a district's 100-point monthly scheme are two files
(``data/schemes/``). A scheme is in force from ``effective_from`` until the next version of the same
code takes over; each period is scored under the version in force on its first day.

Points are ``Decimal``. Codes are lowercase identifiers; names are what the scheme publishes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from kaoping.domain.errors import KaopingError
from kaoping.domain.periods import PeriodKind
from kaoping.domain.problems import Channel
from kaoping.domain.repeats import RepeatRule


class EvaluatedLevel(StrEnum):
    """Who a scheme scores (被考评对象): the city scores districts, a district its towns and departments."""

    DISTRICT = "district"  # 区县 (incl. 功能区/管委会)
    TOWN = "town"  # 镇街
    DEPARTMENT = "department"  # 部门


class ItemKind(StrEnum):
    """Where an item's points come from."""

    DEDUCTION = "deduction"  # problems found, each costing points (第三方测评, 督查…)
    RATE = "rate"  # a case-loop indicator scored by a formula (结案率…)
    MANUAL = "manual"  # entered per unit × item (部门考评, 专家评审, 12345 评价…)


class Rollup(StrEnum):
    """How a component measured more often than the period (monthly testing in a quarter) adds up."""

    MEAN = "mean"  # the mean of the sub-period scores (each already capped)
    SUM = "sum"  # the deductions of all sub-periods together, capped once
    LAST = "last"  # the last sub-period's score


class Normalisation(StrEnum):
    """What an item's deduction is divided by before the cap (Q10); exposure comes with the facts."""

    NONE = "none"
    PER_SAMPLE_POINT = "per_sample_point"  # 每个测评点位
    PER_ROAD_KM = "per_road_km"
    PER_10K_POPULATION = "per_10k_population"
    PER_KM2 = "per_km2"


class Indicator(StrEnum):
    """Case-loop indicators a rate item scores (domain.md §8.3, §10.3, §10.6, §10.7)."""

    CLOSURE_RATE = "closure_rate"  # 结案率 = 结案数 / 应结案数
    ONTIME_CLOSURE_RATE = "ontime_closure_rate"  # 按期结案率 = 按期结案数 / 应结案数
    DISPOSAL_RATE = "disposal_rate"  # 处置率 = 处置数 / 应处置数
    ONTIME_DISPOSAL_RATE = "ontime_disposal_rate"  # 按期处置率
    REWORK_RATE = "rework_rate"  # 返工率 = 返工数 / 应结案数
    RECTIFICATION_RATE = "rectification_rate"  # 整改率 = (按期 + 超时整改) / 第三方问题数
    THIRD_PARTY_DISCOVERY_RATE = "third_party_discovery_rate"  # 第三方发现率 (variant in the scheme)
    PROACTIVE_RATE = "proactive_rate"  # 问题主动处置率


class RateFormula(StrEnum):
    """How an indicator becomes points (domain.md §10.3)."""

    LINEAR = "linear"  # max × rate
    INVERSE = "inverse"  # max × (1 − rate): for rates to push down (返工率, 第三方发现率)
    BANDED = "banded"  # a lookup: the first band whose lower bound the value reaches
    THRESHOLD = "threshold"  # full marks at or above the target, minus per_point per point below


class ReworkBase(StrEnum):
    """The denominator of 返工率 (Q6): the cases due (应结案) or the cases disposed (处置)."""

    DUE = "due"
    DISPOSED = "disposed"


class TierRule(StrEnum):
    TOP_N = "top_n"  # 第一梯队 = ranks 1..n of the group
    WITHIN_POINTS = "within_points"  # units within n points of the group's leader


@dataclass(frozen=True, slots=True)
class Component:
    """A component of the total (部门考评 500, 社会评价 200, 第三方测评 300)."""

    code: str
    name: str
    max_points: Decimal
    measured: PeriodKind | None = None  # measured monthly inside a quarterly scheme: rolled up
    rollup: Rollup = Rollup.MEAN


@dataclass(frozen=True, slots=True)
class Band:
    lower: Decimal  # the band applies to values ≥ lower (rates as fractions 0…1, counts as counts)
    points: Decimal  # as a fraction of the item's maximum (1 = full marks)


@dataclass(frozen=True, slots=True)
class RateRule:
    """A rate item: which indicator, how it is scored, and what its denominator leaves out."""

    indicator: Indicator
    formula: RateFormula = RateFormula.LINEAR
    target: Decimal | None = None  # THRESHOLD: full marks at or above (a fraction, 0.9 = 90 %)
    per_point: Decimal = Decimal(0)  # THRESHOLD: points lost per percentage point below target
    bands: tuple[Band, ...] = ()  # BANDED, highest lower bound first
    exclude_on_hold: bool = False  # 缓办/挂账 cases leave the denominator (金华) or not (天门, 湖州)
    empty_points: Decimal = Decimal(1)  # a zero denominator earns this fraction of the maximum
    channels: frozenset[Channel] = frozenset()  # only cases from these channels (12345 办理); empty: all
    rework_base: ReworkBase = ReworkBase.DUE  # REWORK_RATE: over 应结案 or over 处置


@dataclass(frozen=True, slots=True)
class RepeatPolicy:
    """What a repeat problem costs: ``multiplier`` times its points, or by ``escalation`` per repeat
    index (1st repeat × escalation[0], 2nd × escalation[1], the last value for any later one)."""

    rule: RepeatRule = field(default_factory=RepeatRule)
    multiplier: Decimal = Decimal(2)
    escalation: tuple[Decimal, ...] = ()

    def factor(self, repeat_index: int) -> Decimal:
        """The multiplier of a problem with this repeat index (0: not a repeat)."""
        if repeat_index <= 0:
            return Decimal(1)
        if self.escalation:
            return self.escalation[min(repeat_index, len(self.escalation)) - 1]
        return self.multiplier


@dataclass(frozen=True, slots=True)
class DeductionRules:
    """How problems cost points (by source × category), shared by every deduction item."""

    channel_weights: Mapping[Channel, Decimal]  # only channels listed deduct
    repeat: RepeatPolicy = field(default_factory=RepeatPolicy)
    overdue_extra: Decimal = Decimal(0)  # per problem rectified late or open past its deadline
    no_feedback_extra: Decimal = Decimal(0)  # per 逾期未反馈 finding
    high_score_threshold: Decimal = Decimal("0.5")  # 高分问题: points × weight at or above
    severity_points: Mapping[int, Decimal] = field(default_factory=dict)  # severity → points
    category_points: Mapping[str, Decimal] = field(default_factory=dict)  # category → points


@dataclass(frozen=True, slots=True)
class Item:
    """An evaluation item (考评项目)."""

    code: str
    name: str
    component: str  # component code
    kind: ItemKind
    categories: frozenset[str] = frozenset()  # DEDUCTION: subclass codes whose problems count here
    points_per_problem: Decimal = Decimal(0)  # DEDUCTION: before severity/category overrides
    normalisation: Normalisation = Normalisation.NONE
    rate: RateRule | None = None  # RATE only


@dataclass(frozen=True, slots=True)
class Group:
    """An evaluation group (组): members ranked together over the group's items."""

    code: str
    name: str
    members: tuple[str, ...]  # unit codes (admin unit or department codes)
    maxima: Mapping[str, Decimal]  # item code → maximum in this group; a component's items add up to it
    rank_only: frozenset[str] = frozenset()  # ranked, no reward or penalty (只排名不奖惩)


class BonusKind(StrEnum):
    PUBLICITY = "publicity"  # 宣传报道采用: points by outlet tier
    PROGRESS = "progress"  # 进步加分: points per place gained
    MANUAL = "manual"  # entered (上级表扬, 重大活动保障…)


class PenaltyKind(StrEnum):
    REGRESSION = "regression"  # 退步扣分: points per place lost
    NEGATIVE_EXPOSURE = "negative_exposure"  # 负面舆情/媒体曝光: points by outlet tier
    MANUAL = "manual"  # entered (上级通报…)


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A bonus (加分) or penalty (扣分) outside the items, capped per unit and period."""

    code: str
    name: str
    kind: BonusKind | PenaltyKind
    points_by_tier: Mapping[str, Decimal] = field(default_factory=dict)  # outlet tier → points each
    per_place: Decimal = Decimal(0)  # PROGRESS / REGRESSION
    cap: Decimal | None = None

    @property
    def is_bonus(self) -> bool:
        return isinstance(self.kind, BonusKind)


@dataclass(frozen=True, slots=True)
class RewardSchedule:
    """Money by rank in a group (万元): top[0] to the first, bottom[0] paid by the last."""

    top: tuple[Decimal, ...] = ()
    bottom: tuple[Decimal, ...] = ()


@dataclass(frozen=True, slots=True)
class Ranking:
    """Tie-breakers, tiers and item classes."""

    # Compared in order after the total: "component:<code>" or "item:<code>", higher first.
    tie_breakers: tuple[str, ...] = ()
    tier: TierRule = TierRule.TOP_N
    tier_value: Decimal = Decimal(3)
    strong_top: int = 3  # 优势项目: rank ≤ 3 in the group
    weak_bottom: int = 3  # 弱势项目: among the last 3


class DiscoveryVariant(StrEnum):
    """第三方发现率 variants (domain.md §10.7; no source defines it, Q19)."""

    SHARE = "share"  # third-party finds / (third-party + own discovery)
    INTENSITY = "intensity"  # third-party finds per unit of exposure


@dataclass(frozen=True, slots=True)
class Scheme:
    """One version of an evaluation scheme."""

    code: str
    name: str
    version: str
    effective_from: date
    evaluated: tuple[EvaluatedLevel, ...]  # who it scores
    period: PeriodKind  # how often results are published (月度 / 季度)
    base_points: Decimal
    components: Mapping[str, Component]
    items: Mapping[str, Item]
    groups: Mapping[str, Group]
    deductions: DeductionRules
    adjustments: tuple[Adjustment, ...] = ()
    rewards: Mapping[str, RewardSchedule] = field(default_factory=dict)  # group code → schedule
    ranking: Ranking = field(default_factory=Ranking)
    own_channels: frozenset[Channel] = frozenset()  # 主动发现 channels (Q22)
    discovery: DiscoveryVariant = DiscoveryVariant.SHARE
    department_share: Decimal = Decimal(0)  # liability split: a department's share of a deduction
    # category code → deduction item code, built once: the engine asks for every fact row
    category_items: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {
            category: item.code
            for item in self.items.values()
            if item.kind is ItemKind.DEDUCTION
            for category in sorted(item.categories)
        }
        object.__setattr__(self, "category_items", index)

    def item_of(self, category_code: str) -> Item | None:
        """The deduction item a category's problems count for, if any."""
        code = self.category_items.get(category_code)
        return None if code is None else self.items[code]


class NoSchemeInForceError(KaopingError):
    """No version of a scheme is in force on a day (the day is before the first one, or no such code)."""

    def __init__(self, code: str, day: date, first: date | None) -> None:
        reason = "没有这个方案" if first is None else f"最早的版本自 {first.isoformat()} 起生效"
        super().__init__(f"方案 {code} 在 {day.isoformat()} 没有生效的版本 ({reason})")
        self.code = code
        self.day = day


def scheme_in_force(schemes: Iterable[Scheme], code: str, day: date) -> Scheme:
    """The version of scheme ``code`` in force on ``day``: the latest ``effective_from`` ≤ ``day``."""
    versions = [s for s in schemes if s.code == code]
    in_force = [s for s in versions if s.effective_from <= day]
    if not in_force:
        first = min((s.effective_from for s in versions), default=None)
        raise NoSchemeInForceError(code, day, first)
    return max(in_force, key=lambda s: s.effective_from)
