"""The evaluation engine on a hand-computed four-district, 1000-point quarter (2019 Q3: July–September).

Scheme (tests/unit/evaluation_factories.py): 部门考评 500 (manual) + 社会评价 200 (结案率 100 linear,
专家评审 100 manual) + 第三方测评 300 measured monthly and averaged over the quarter (生活垃圾收集 150:
E0102/E0103/E0104 at 0.5 each, E0103 overridden to 2; 占道经营治理 150: E0201 at 1). Third-party
problems weigh 1, media 2, grid workers nothing; repeats × 2; overdue +0.5; no feedback +1.
Publicity +3 省级 / +1 市级 capped at 5; progress +3 per place capped at 4; regression −2 per place
capped at 4; negative exposure −5 省级. Ties broken by the 第三方测评 component, then shared. Rewards
100/80 to the first two, 100 paid by the last; D (370105) is rank-only. First tier = top 2. Item
classes: 优势 = first, 弱势 = last.

A (370102)
  部门考评 460; 专家评审 90; 结案率 911/972 → 100 × 0.93724… = 93.72
  生活垃圾收集: Jul 10 × 0.5 = 5, Jul 3 repeats × 0.5 × 2 = 3, Aug 2 × E0103 2 = 4, Sep 0
                monthly 8, 4, 0 → mean 4 → 150 − 4 = 146
  占道经营治理: Aug 1 overdue × (1 + 0.5) = 1.5 → monthly 0, 1.5, 0 → mean 0.5 → 149.5
  (50 grid-worker problems cost nothing)
  第三方 295.5; subtotal 460 + 93.72 + 90 + 295.5 = 939.22
  publicity 省级 1 × 3 + 市级 3 × 1 = 6 → capped at 5 → 944.22 before progress
B (370103)
  部门考评 461.55; 专家评审 95; 结案率 100/100 → 100
  生活垃圾收集: Jul 20 × 0.5 = 10, Aug 5 media × 0.5 × 2 = 5 → mean (10 + 5 + 0)/3 = 5 → 145
  占道经营治理: Sep 10 × 1 = 10 → mean 10/3 = 3.333… → 3.33 → 146.67
  第三方 291.67; subtotal 461.55 + 100 + 95 + 291.67 = 948.22
C (370104)
  部门考评 450; 专家评审 88; 结案率 45 / (50 finished + 10 open past deadline) → 100 × 0.75 = 75
  生活垃圾收集: Jul 400 × 0.5 = 200, capped at 150 (扣完为止) → mean (150 + 0 + 0)/3 = 50 → 100
  占道经营治理: none → 150
  第三方 250; subtotal 450 + 75 + 88 + 250 = 863; negative exposure 省级 −5 → 858
D (370105, rank only)
  部门考评 426; 专家评审 80; 结案率: no cases due → empty rate → full 100
  生活垃圾收集: none → 150
  占道经营治理: Jul 60 × 1 = 60, Aug 30 no-feedback × (1 + 1) = 60, Sep 15 repeats × 1 × 2 = 30
                → mean 150/3 = 50 → 100
  第三方 250; subtotal 426 + 100 + 80 + 250 = 856; publicity 市级 2 × 1 = +2 → 858

Before progress/regression: B 948.22 (1), A 944.22 (2), C 858 = D 858 with 第三方 250 = 250 (3, 3).
Previous ranks: B 1, C 2, D 2, A 4.
  A moved 4 → 2: +2 places × 3 = 6, capped at 4 → 948.22
  B stayed 1; C and D moved 2 → 3: −1 place × 2 = −2 → 856 each
Final: A 948.22 = B 948.22, broken by 第三方 295.5 > 291.67 → A 1, B 2; C = D on everything → 3, 3.
Rank changes: A +3, B −1, C −1, D −1. First tier: A, B.
Rewards among A, B, C (D skipped): A +100, B +80, C −100 (the last eligible), D 0.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest

from kaoping.domain.evaluation import evaluate
from kaoping.domain.facts import (
    AdjustmentEvent,
    EvaluationError,
    EvaluationFacts,
    ManualScore,
    Previous,
    split_liability,
)
from kaoping.domain.indicators import CaseCounters
from kaoping.domain.problems import Channel
from kaoping.domain.ranking import ItemClass
from kaoping.domain.results import Evaluation, LineKind
from kaoping.domain.schemes import (
    Component,
    Indicator,
    Normalisation,
    PeriodKind,
    Ranking,
    RepeatPolicy,
    Rollup,
    TierRule,
)
from tests.unit.evaluation_factories import make_deductions, make_scheme, problem, with_group

D = Decimal
A, B, C, DD = "370102", "370103", "370104", "370105"
CHANNELS = {Channel.THIRD_PARTY: "第三方测评", Channel.MEDIA: "媒体监督"}
NAMES = {"E0102": "垃圾满溢", "E0103": "垃圾暴露", "E0104": "垃圾焚烧", "E0201": "占道经营"}


def hand_facts() -> EvaluationFacts:
    problems = (
        problem(A, 7, "E0102", 10),
        problem(A, 7, "E0102", 3, repeat=1),
        problem(A, 8, "E0103", 2),
        problem(A, 8, "E0201", 1, overdue=True),
        problem(A, 7, "E0102", 50, Channel.GRID_WORKER),
        problem(B, 7, "E0102", 20),
        problem(B, 8, "E0102", 5, Channel.MEDIA),
        problem(B, 9, "E0201", 10),
        problem(C, 7, "E0102", 400),
        problem(DD, 7, "E0201", 60),
        problem(DD, 8, "E0201", 30, no_feedback=True),
        problem(DD, 9, "E0201", 15, repeat=1),
    )
    manual = (
        ManualScore(A, "dept", D(460)),
        ManualScore(A, "expert", D(90)),
        ManualScore(B, "dept", D("461.55")),
        ManualScore(B, "expert", D(95)),
        ManualScore(C, "dept", D(450)),
        ManualScore(C, "expert", D(88)),
        ManualScore(DD, "dept", D(426)),
        ManualScore(DD, "expert", D(80)),
    )
    counters = {
        A: {Channel.SUPERVISOR: CaseCounters(disposal_finished=972, closed=911)},
        B: {Channel.SUPERVISOR: CaseCounters(disposal_finished=100, closed=100)},
        C: {Channel.SUPERVISOR: CaseCounters(disposal_finished=50, open_overdue=10, closed=45)},
    }
    adjustments = (
        AdjustmentEvent(A, "publicity", "省级", 1),
        AdjustmentEvent(A, "publicity", "市级", 3),
        AdjustmentEvent(C, "exposure", "省级", 1),
        AdjustmentEvent(DD, "publicity", "市级", 2),
    )
    previous = {B: Previous(1), C: Previous(2), DD: Previous(2), A: Previous(4)}
    return EvaluationFacts(
        problems=problems,
        counters=counters,
        manual=manual,
        adjustments=adjustments,
        previous=previous,
        sub_periods=(7, 8, 9),
        category_names=NAMES,
        channel_names=CHANNELS,
    )


@pytest.fixture(scope="module")
def hand() -> Evaluation:
    return evaluate(make_scheme(), hand_facts())


def test_totals_ranks_and_rank_changes_of_the_hand_computed_quarter(hand: Evaluation) -> None:
    rows = [(u.unit, u.total, u.rank, u.rank_change) for u in hand.group("g1").units]
    assert rows == [
        (A, D("948.22"), 1, 3),
        (B, D("948.22"), 2, -1),
        (C, D(856), 3, -1),
        (DD, D(856), 3, -1),
    ]


def test_item_points_and_subtotals_of_the_hand_computed_quarter(hand: Evaluation) -> None:
    expected = {
        A: {"dept": "460", "closure": "93.72", "expert": "90", "waste": "146", "stalls": "149.5"},
        B: {"dept": "461.55", "closure": "100", "expert": "95", "waste": "145", "stalls": "146.67"},
        C: {"dept": "450", "closure": "75", "expert": "88", "waste": "100", "stalls": "150"},
        DD: {"dept": "426", "closure": "100", "expert": "80", "waste": "150", "stalls": "100"},
    }
    for unit, items in expected.items():
        result = hand.unit(unit)
        assert {i.code: i.points for i in result.items} == {k: D(v) for k, v in items.items()}
    assert [hand.unit(u).subtotal for u in (A, B, C, DD)] == [D("939.22"), D("948.22"), D(863), D(856)]
    assert [hand.unit(u).component("third").points for u in (A, B, C, DD)] == [
        D("295.5"),
        D("291.67"),
        D(250),
        D(250),
    ]


def test_bonuses_and_penalties_with_their_caps(hand: Evaluation) -> None:
    def adjustments(unit: str) -> dict[str, Decimal]:
        return {a.code: a.points for a in hand.unit(unit).adjustments}

    assert adjustments(A) == {"publicity": D(5), "exposure": D(0), "progress": D(4), "regression": D(0)}
    assert adjustments(B) == {"publicity": D(0), "exposure": D(0), "progress": D(0), "regression": D(0)}
    assert adjustments(C) == {"publicity": D(0), "exposure": D(-5), "progress": D(0), "regression": D(-2)}
    assert adjustments(DD) == {"publicity": D(2), "exposure": D(0), "progress": D(0), "regression": D(-2)}
    progress = next(a for a in hand.unit(A).adjustments if a.code == "progress")
    assert progress.raw == D(6)
    assert [line.text for line in progress.lines] == [
        "进步加分: 进步 2 位 × 3 = 6",
        "进步加分封顶 4: 6 按 4 计",
    ]


def test_the_tie_breaker_decides_equal_totals_and_full_ties_share_a_rank(hand: Evaluation) -> None:
    assert hand.unit(A).total == hand.unit(B).total
    assert (hand.unit(A).rank, hand.unit(B).rank) == (1, 2)  # 第三方 295.5 > 291.67
    assert hand.unit(C).rank == hand.unit(DD).rank == 3


def test_the_reward_ladder_skips_the_rank_only_member(hand: Evaluation) -> None:
    rewards = {u.unit: u.reward for u in hand.group("g1").units}
    assert rewards == {A: D(100), B: D(80), C: D(-100), DD: D(0)}
    assert hand.unit(DD).is_rank_only
    assert not hand.unit(C).is_rank_only


def test_the_first_tier_is_the_top_two(hand: Evaluation) -> None:
    assert [u.unit for u in hand.group("g1").units if u.is_first_tier] == [A, B]


def test_ranks_per_component(hand: Evaluation) -> None:
    # 部门考评 460 / 461.55 / 450 / 426; 社会评价 183.72 / 195 / 163 / 180; 第三方 295.5 / 291.67 / 250 / 250
    ranks = {u: {c.code: c.rank for c in hand.unit(u).components} for u in (A, B, C, DD)}
    assert ranks == {
        A: {"dept": 2, "social": 2, "third": 1},
        B: {"dept": 1, "social": 1, "third": 2},
        C: {"dept": 3, "social": 4, "third": 3},
        DD: {"dept": 4, "social": 3, "third": 3},
    }


def test_item_ranks_classes_and_top_and_bottom_counts(hand: Evaluation) -> None:
    # 结案率 93.72 / 100 / 75 / 100 → B and D share the first place; 生活垃圾收集 146 / 145 / 100 / 150
    assert {u: hand.unit(u).item("closure").rank for u in (A, B, C, DD)} == {A: 3, B: 1, C: 4, DD: 1}
    assert {u: hand.unit(u).item("waste").rank for u in (A, B, C, DD)} == {A: 2, B: 3, C: 4, DD: 1}
    classes = {u: {i.code: i.item_class for i in hand.unit(u).items} for u in (B, DD)}
    assert classes[B] == {
        "dept": ItemClass.STRONG,
        "closure": ItemClass.STRONG,
        "expert": ItemClass.STRONG,
        "waste": ItemClass.AVERAGE,
        "stalls": ItemClass.AVERAGE,
    }
    assert classes[DD] == {
        "dept": ItemClass.WEAK,
        "closure": ItemClass.STRONG,
        "expert": ItemClass.WEAK,
        "waste": ItemClass.STRONG,
        "stalls": ItemClass.WEAK,
    }
    counts = {u: (hand.unit(u).items_top, hand.unit(u).items_bottom) for u in (A, B, C, DD)}
    assert counts == {A: (0, 0), B: (3, 0), C: (1, 2), DD: (2, 3)}


def test_every_item_deduction_is_the_sum_of_its_lines(hand: Evaluation) -> None:
    for group in hand.groups:
        for unit in group.units:
            for item in unit.items:
                assert sum((line.total for line in item.lines), D(0)) == item.deduction
                assert item.points == item.max_points - item.deduction


def test_the_lines_of_a_monthly_item_explain_the_quarter_mean(hand: Evaluation) -> None:
    waste = hand.unit(A).item("waste")
    assert [(line.kind, line.total, line.text) for line in waste.lines] == [
        (LineKind.PROBLEMS, D(5), "7月 第三方测评 E0102 垃圾满溢 10 件 × 0.5 = 5"),
        (LineKind.PROBLEMS, D(3), "7月 第三方测评 E0102 垃圾满溢 重复问题 3 件 × 0.5 × 2 = 3"),
        (LineKind.PROBLEMS, D(4), "8月 第三方测评 E0103 垃圾暴露 2 件 × 2 = 4"),
        (LineKind.ROLLUP, D(-8), "按 3 个月平均: (8 + 4 + 0) / 3 = 4"),
    ]
    assert [line.rule for line in waste.lines[:3]] == ["item", "item", "category:E0103"]
    assert waste.raw_deduction == D(12)


def test_the_cap_is_a_line_of_its_own(hand: Evaluation) -> None:
    waste = hand.unit(C).item("waste")
    assert [(line.kind, line.total) for line in waste.lines] == [
        (LineKind.PROBLEMS, D(200)),
        (LineKind.CAP, D(-50)),
        (LineKind.ROLLUP, D(-100)),
    ]
    assert waste.lines[1].text == "7月 扣完为止: 扣分 200 超过满分 150, 按 150 计"
    assert waste.deduction == D(50)


def test_media_overdue_and_no_feedback_lines_show_their_arithmetic(hand: Evaluation) -> None:
    b_waste = hand.unit(B).item("waste").lines
    assert b_waste[1].text == "8月 媒体监督 E0102 垃圾满溢 5 件 × 0.5 × 权重 2 = 5"
    a_stalls = hand.unit(A).item("stalls").lines[0]
    assert a_stalls.text == "8月 第三方测评 E0201 占道经营 超时 1 件 × (1 + 超时 0.5) = 1.5"
    d_stalls = hand.unit(DD).item("stalls").lines[1]
    assert d_stalls.text == "8月 第三方测评 E0201 占道经营 逾期未反馈 30 件 × (1 + 逾期未反馈 1) = 60"


def test_the_rate_line_names_the_indicator(hand: Evaluation) -> None:
    closure = hand.unit(A).item("closure")
    assert closure.value == Fraction(911, 972)
    assert [line.text for line in closure.lines] == ["结案率: 结案率 93.72% → 93.72 / 100"]
    assert hand.unit(DD).item("closure").value is None


def test_problem_counters_and_shares_of_the_city(hand: Evaluation) -> None:
    a = hand.unit(A).counters
    # 10 + 3 + 2 + 1 + 50 grid-worker problems; 16 cost points; E0103 (2) and E0201 (1) reach the
    # high-score threshold of 1; raw deductions 5 + 3 + 4 + 1.5
    assert (a.total, a.deducted, a.repeats, a.high_score, a.overdue, a.no_feedback) == (66, 16, 3, 3, 1, 0)
    assert a.deduction == D("13.5")
    d = hand.unit(DD).counters
    assert (d.total, d.deducted, d.repeats, d.high_score, d.overdue, d.no_feedback) == (
        105,
        105,
        15,
        105,
        0,
        30,
    )
    b = hand.unit(B).counters
    assert b.high_score == 15  # media doubles E0102 to 1; E0201 is 1
    city = hand.counters
    assert (city.total, city.deduction) == (66 + 35 + 400 + 105, D("388.5"))
    assert a.problem_share == Fraction(66, 606)
    assert a.deduction_share == Fraction(D("13.5")) / Fraction(D("388.5"))


def test_category_concentration_of_a_unit_and_of_the_city(hand: Evaluation) -> None:
    cats = [(c.category_code, c.count, c.share) for c in hand.unit(A).categories]
    assert cats == [
        ("E0102", 63, Fraction(63, 66)),
        ("E0103", 2, Fraction(2, 66)),
        ("E0201", 1, Fraction(1, 66)),
    ]
    assert hand.categories[0].category_code == "E0102"
    assert hand.categories[0].count == 63 + 25 + 400
    waste = hand.unit(A).item("waste")
    assert (waste.problems, waste.deducted_problems, waste.problem_share) == (65, 15, Fraction(65, 66))


def test_indicators_of_each_unit(hand: Evaluation) -> None:
    assert hand.unit(A).indicators[Indicator.CLOSURE_RATE] == Fraction(911, 972)
    assert hand.unit(C).indicators[Indicator.CLOSURE_RATE] == Fraction(45, 60)
    assert hand.unit(DD).indicators[Indicator.CLOSURE_RATE] is None


def test_the_same_facts_in_another_order_give_the_same_evaluation(hand: Evaluation) -> None:
    facts = hand_facts()
    shuffled = replace(
        facts,
        problems=tuple(reversed(facts.problems)),
        manual=tuple(reversed(facts.manual)),
        adjustments=tuple(reversed(facts.adjustments)),
    )
    assert evaluate(make_scheme(), shuffled) == hand


def test_a_previous_mapping_passed_to_evaluate_overrides_the_facts() -> None:
    result = evaluate(make_scheme(), hand_facts(), previous={})
    assert all(u.rank_change is None for u in result.group("g1").units)
    # without progress and regression: B 948.22, A 944.22, C 858 = D 858
    assert [(u.unit, u.total, u.rank) for u in result.group("g1").units] == [
        (B, D("948.22"), 1),
        (A, D("944.22"), 2),
        (C, D(858), 3),
        (DD, D(858), 3),
    ]


def test_a_missing_manual_score_counts_zero_and_is_reported() -> None:
    facts = replace(
        hand_facts(), manual=tuple(m for m in hand_facts().manual if (m.unit, m.item) != (A, "expert"))
    )
    result = evaluate(make_scheme(), facts)
    assert result.unit(A).item("expert").points == D(0)
    assert result.unit(A).missing_manual == ("expert",)
    assert result.unit(B).missing_manual == ()


@pytest.mark.parametrize("points", ["-1", "500.01"])
def test_a_manual_score_out_of_range_is_refused_naming_unit_and_item(points: str) -> None:
    facts = EvaluationFacts(manual=(ManualScore(A, "dept", D(points)),), unit_names={A: "历下区"})
    with pytest.raises(EvaluationError) as err:
        evaluate(make_scheme(), facts)
    assert "历下区 (370102)" in str(err.value)
    assert "部门考评 (dept)" in str(err.value)
    assert points in str(err.value)


def test_a_manual_score_for_a_deduction_item_or_entered_twice_is_refused() -> None:
    with pytest.raises(EvaluationError, match="不是方案中的人工评分项目"):
        evaluate(make_scheme(), EvaluationFacts(manual=(ManualScore(A, "waste", D(1)),)))
    twice = (ManualScore(A, "dept", D(1)), ManualScore(A, "dept", D(2)))
    with pytest.raises(EvaluationError, match="重复录入"):
        evaluate(make_scheme(), EvaluationFacts(manual=twice))


def test_an_unknown_adjustment_or_tier_is_refused() -> None:
    with pytest.raises(EvaluationError, match="没有加减分项"):
        evaluate(make_scheme(), EvaluationFacts(adjustments=(AdjustmentEvent(A, "award", "省级"),)))
    with pytest.raises(EvaluationError, match="没有级别 '国家级'"):
        evaluate(make_scheme(), EvaluationFacts(adjustments=(AdjustmentEvent(A, "publicity", "国家级"),)))
    with pytest.raises(EvaluationError, match="由名次变化计算"):
        evaluate(make_scheme(), EvaluationFacts(adjustments=(AdjustmentEvent(A, "progress"),)))


def test_a_member_with_no_facts_keeps_full_deduction_items_and_empty_rates() -> None:
    result = evaluate(make_scheme(), EvaluationFacts())
    unit = result.unit(A)
    assert unit.item("waste").points == D(150)
    assert unit.item("closure").points == D(100)
    assert unit.total == D(400)  # 150 + 150 + 100; the manual items (600) not entered count 0
    assert {u.rank for u in result.group("g1").units} == {1}


def test_category_points_beat_severity_points_which_beat_the_items_points() -> None:
    facts = EvaluationFacts(
        problems=(problem(A, 7, "E0103", 1), problem(A, 7, "E0104", 1), problem(A, 7, "E0102", 1)),
        severities={"E0103": 3, "E0104": 3, "E0102": 1},
        sub_periods=(7,),
    )
    lines = evaluate(make_scheme(), facts).unit(A).item("waste").lines
    assert [
        (line.category_code, line.rule, line.points_each) for line in lines if line.kind is LineKind.PROBLEMS
    ] == [
        ("E0102", "item", D("0.5")),
        ("E0103", "category:E0103", D(2)),
        ("E0104", "severity:3", D("1.5")),
    ]


def test_repeat_escalation_by_repeat_index() -> None:
    scheme = make_scheme(deductions=make_deductions(repeat=RepeatPolicy(escalation=(D(2), D(3)))))
    facts = EvaluationFacts(
        problems=tuple(problem(A, 7, "E0201", 1, repeat=index) for index in (1, 2, 5)),
        sub_periods=(7,),
        channel_names=CHANNELS,
    )
    lines = evaluate(scheme, facts).unit(A).item("stalls").lines
    assert [line.points_each for line in lines if line.kind is LineKind.PROBLEMS] == [D(2), D(3), D(3)]
    assert lines[1].text == "7月 第三方测评 E0201 第2次重复 1 件 × 1 × 3 = 3"


def test_a_liability_split_charges_the_department_and_the_town_their_shares() -> None:
    scheme = with_group(make_scheme(), members=(A, B), rank_only=frozenset())
    fact = problem(A, 7, "E0201", 10)
    facts = EvaluationFacts(
        problems=split_liability(fact, B, D("0.2")), sub_periods=(7,), channel_names=CHANNELS
    )
    result = evaluate(scheme, facts)
    # monthly deduction 10 × 1 × 0.8 = 8 for the town, 10 × 1 × 0.2 = 2 for the department; one month
    assert result.unit(A).item("stalls").deduction == D(8)
    assert result.unit(B).item("stalls").deduction == D(2)
    assert result.unit(A).item("stalls").lines[0].text == "7月 第三方测评 E0201 10 件 × 1 × 责任比例 0.8 = 8"


def test_monthly_sum_rollup_caps_the_quarter_once() -> None:
    components = dict(make_scheme().components)
    components["third"] = Component(
        "third", "第三方测评", D(300), measured=PeriodKind.MONTH, rollup=Rollup.SUM
    )
    scheme = make_scheme(components=components)
    facts = EvaluationFacts(
        problems=(problem(A, 7, "E0201", 100), problem(A, 8, "E0201", 100)), sub_periods=(7, 8, 9)
    )
    stalls = evaluate(scheme, facts).unit(A).item("stalls")
    assert (stalls.raw_deduction, stalls.deduction) == (D(200), D(150))
    assert [line.kind for line in stalls.lines] == [LineKind.PROBLEMS, LineKind.PROBLEMS, LineKind.CAP]
    assert stalls.lines[-1].text == "扣完为止: 扣分 200 超过满分 150, 按 150 计"


def test_monthly_last_rollup_takes_the_last_month() -> None:
    components = dict(make_scheme().components)
    components["third"] = Component(
        "third", "第三方测评", D(300), measured=PeriodKind.MONTH, rollup=Rollup.LAST
    )
    scheme = make_scheme(components=components)
    facts = EvaluationFacts(
        problems=(problem(A, 7, "E0201", 100), problem(A, 9, "E0201", 4)), sub_periods=(7, 8, 9)
    )
    stalls = evaluate(scheme, facts).unit(A).item("stalls")
    assert stalls.deduction == D(4)
    assert stalls.lines[-1].text == "按最后一个月 (9月) 的扣分计"


def test_a_normalised_item_divides_by_the_units_exposure() -> None:
    items = dict(make_scheme().items)
    items["stalls"] = replace(items["stalls"], normalisation=Normalisation.PER_SAMPLE_POINT)
    scheme = make_scheme(
        items=items,
        components={**make_scheme().components, "third": Component("third", "第三方测评", D(300))},
    )
    facts = EvaluationFacts(
        problems=(problem(A, 0, "E0201", 30),),
        exposures={A: {Normalisation.PER_SAMPLE_POINT: D(8)}},
    )
    stalls = evaluate(scheme, facts).unit(A).item("stalls")
    # 30 ÷ 8 sample points = 3.75
    assert stalls.deduction == D("3.75")
    assert [line.total for line in stalls.lines] == [D(30), D("-26.25")]
    assert stalls.lines[1].text == "按测评点位数折算: 30 ÷ 8 = 3.75"
    with pytest.raises(EvaluationError, match="缺少测评点位数"):
        evaluate(scheme, replace(facts, exposures={}))


def test_the_within_points_tier_takes_units_close_to_the_leader(hand: Evaluation) -> None:
    scheme = make_scheme(ranking=Ranking(tier=TierRule.WITHIN_POINTS, tier_value=D(92)))
    result = evaluate(scheme, hand_facts())
    # leader 948.22; C and D at 856 are 92.22 behind
    assert [u.unit for u in result.group("g1").units if u.is_first_tier] == [A, B]
    wider = evaluate(
        make_scheme(ranking=Ranking(tier=TierRule.WITHIN_POINTS, tier_value=D("92.22"))), hand_facts()
    )
    assert all(u.is_first_tier for u in wider.group("g1").units)


def test_default_item_classes_in_a_small_group_prefer_strong_over_weak() -> None:
    scheme = make_scheme(ranking=Ranking())  # top three / bottom three in a group of four
    result = evaluate(scheme, hand_facts())
    # B is third on 生活垃圾收集 (145): in the top three and the bottom three; counted in both, classed 优势
    waste = result.unit(B).item("waste")
    assert waste.rank == 3
    assert waste.item_class is ItemClass.STRONG
    assert result.unit(C).item("waste").item_class is ItemClass.WEAK


def test_a_bad_tie_breaker_is_refused() -> None:
    with pytest.raises(EvaluationError, match="并列排名规则"):
        evaluate(make_scheme(ranking=Ranking(tie_breakers=("total",))), EvaluationFacts())
