"""Plain factories for evaluation tests: a small 1000-point quarterly scheme and its facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from kaoping.domain.facts import ProblemFact
from kaoping.domain.periods import PeriodKind
from kaoping.domain.problems import Channel
from kaoping.domain.schemes import (
    Adjustment,
    BonusKind,
    Component,
    DeductionRules,
    EvaluatedLevel,
    Group,
    Indicator,
    Item,
    ItemKind,
    PenaltyKind,
    Ranking,
    RateRule,
    RepeatPolicy,
    RewardSchedule,
    Rollup,
    Scheme,
    TierRule,
)

D = Decimal
MEMBERS = ("370102", "370103", "370104", "370105")  # A 历下, B 市中, C 槐荫, D 天桥


def make_scheme(**overrides: object) -> Scheme:
    """部门考评 500 (manual) + 社会评价 200 (结案率 100, 专家评审 100) + 第三方测评 300 measured
    monthly and averaged (生活垃圾收集 150, 占道经营治理 150)."""
    components = {
        "dept": Component("dept", "部门考评", D(500)),
        "social": Component("social", "社会评价", D(200)),
        "third": Component("third", "第三方测评", D(300), measured=PeriodKind.MONTH, rollup=Rollup.MEAN),
    }
    items = {
        "dept": Item("dept", "部门考评", "dept", ItemKind.MANUAL),
        "closure": Item("closure", "结案率", "social", ItemKind.RATE, rate=RateRule(Indicator.CLOSURE_RATE)),
        "expert": Item("expert", "专家评审", "social", ItemKind.MANUAL),
        "waste": Item(
            "waste",
            "生活垃圾收集",
            "third",
            ItemKind.DEDUCTION,
            frozenset({"E0102", "E0103", "E0104"}),
            D("0.5"),
        ),
        "stalls": Item("stalls", "占道经营治理", "third", ItemKind.DEDUCTION, frozenset({"E0201"}), D(1)),
    }
    maxima = {"dept": D(500), "closure": D(100), "expert": D(100), "waste": D(150), "stalls": D(150)}
    group = Group("g1", "第一组", MEMBERS, maxima, rank_only=frozenset({"370105"}))
    values: dict[str, object] = {
        "code": "test-city",
        "name": "测试市城市管理综合考评",
        "version": "2019",
        "effective_from": date(2019, 1, 1),
        "evaluated": (EvaluatedLevel.DISTRICT,),
        "period": PeriodKind.QUARTER,
        "base_points": D(1000),
        "components": components,
        "items": items,
        "groups": {"g1": group},
        "deductions": make_deductions(),
        "adjustments": make_adjustments(),
        "rewards": {"g1": RewardSchedule(top=(D(100), D(80)), bottom=(D(100),))},
        "ranking": Ranking(
            tie_breakers=("component:third",),
            tier=TierRule.TOP_N,
            tier_value=D(2),
            strong_top=1,
            weak_bottom=1,
        ),
    }
    values.update(overrides)
    return Scheme(**values)  # type: ignore[arg-type]


def make_deductions(**overrides: object) -> DeductionRules:
    values: dict[str, object] = {
        "channel_weights": {Channel.THIRD_PARTY: D(1), Channel.MEDIA: D(2)},
        "repeat": RepeatPolicy(multiplier=D(2)),
        "overdue_extra": D("0.5"),
        "no_feedback_extra": D(1),
        "high_score_threshold": D(1),
        "severity_points": {3: D("1.5")},
        "category_points": {"E0103": D(2)},
    }
    values.update(overrides)
    return DeductionRules(**values)  # type: ignore[arg-type]


def make_adjustments() -> tuple[Adjustment, ...]:
    return (
        Adjustment("publicity", "宣传报道采用", BonusKind.PUBLICITY, {"省级": D(3), "市级": D(1)}, cap=D(5)),
        Adjustment("progress", "进步加分", BonusKind.PROGRESS, per_place=D(3), cap=D(4)),
        Adjustment("regression", "退步扣分", PenaltyKind.REGRESSION, per_place=D(2), cap=D(4)),
        Adjustment("exposure", "负面曝光", PenaltyKind.NEGATIVE_EXPOSURE, {"省级": D(5), "市级": D(2)}),
    )


def problem(
    unit: str,
    month: int,
    category: str,
    count: int,
    channel: Channel = Channel.THIRD_PARTY,
    *,
    repeat: int = 0,
    overdue: bool = False,
    no_feedback: bool = False,
    share: str = "1",
) -> ProblemFact:
    return ProblemFact(unit, month, category, channel, repeat, overdue, no_feedback, count, D(share))


def with_group(scheme: Scheme, **changes: object) -> Scheme:
    """The scheme with its only group changed."""
    return replace(scheme, groups={"g1": replace(scheme.groups["g1"], **changes)})  # type: ignore[arg-type]
