"""Gap analysis on the hand-computed quarter of test_evaluation (A 948.22, B 948.22, C 856, D 856)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kaoping.domain.evaluation import evaluate
from kaoping.domain.facts import EvaluationError
from kaoping.domain.gaps import gap_to_first_tier, gap_to_rank
from kaoping.domain.results import Evaluation
from kaoping.domain.schemes import Ranking, TierRule
from tests.unit.evaluation_factories import make_scheme
from tests.unit.test_evaluation import DD, A, B, C, hand_facts

D = Decimal
SCHEME = make_scheme()


@pytest.fixture(scope="module")
def hand() -> Evaluation:
    return evaluate(SCHEME, hand_facts())


def test_a_unit_already_at_the_rank_needs_nothing(hand: Evaluation) -> None:
    assert gap_to_rank(SCHEME, hand_facts(), hand, A, 1).needed == 0
    assert gap_to_rank(SCHEME, hand_facts(), hand, DD, 3).needed == 0  # tied with C on everything


def test_an_equal_total_lost_on_the_tie_breaker_needs_one_hundredth_more(hand: Evaluation) -> None:
    gap = gap_to_rank(SCHEME, hand_facts(), hand, B, 1)
    assert (gap.rank, gap.target_rank, gap.needed) == (2, 1, D("0.01"))


def test_the_cheapest_items_are_those_needing_the_fewest_problems_fewer(hand: Evaluation) -> None:
    gap = gap_to_rank(SCHEME, hand_facts(), hand, B, 1)
    # one media problem fewer in August: (10 + 4 + 0)/3 = 4.67 → +0.33; one fewer in 占道经营治理: +0.33
    assert [(g.code, g.recoverable, g.problems_to_fix) for g in gap.items] == [
        ("waste", D(5), 1),
        ("stalls", D("3.33"), 1),
        ("dept", D("38.45"), None),
        ("expert", D(5), None),
        ("closure", D(0), None),
    ]


def test_actions_are_priced_by_scoring_again_and_sorted_by_value(hand: Evaluation) -> None:
    gap = gap_to_rank(SCHEME, hand_facts(), hand, B, 1)
    # 占道经营治理: all 10 gone → 150 (+3.33); 生活垃圾收集: the 5 media and 5 July problems gone →
    # (7.5 + 0 + 0)/3 = 2.5 → +2.5; publicity 省级 +3, 市级 +1 (nothing taken yet, cap 5)
    assert [(a.text, a.points) for a in gap.actions] == [
        ("占道经营治理: 少 10 件问题 = +3.33", D("3.33")),
        ("宣传报道采用: 多 1 篇省级 = +3", D(3)),
        ("生活垃圾收集: 少 10 件问题 = +2.5", D("2.5")),
        ("宣传报道采用: 多 1 篇市级 = +1", D(1)),
    ]


def test_repeat_and_overdue_actions(hand: Evaluation) -> None:
    actions = {a.text: a.points for a in gap_to_rank(SCHEME, hand_facts(), hand, A, 1).actions}
    # 3 July repeats gone: July 5 → (5 + 4 + 0)/3 = 3 → +1; the August overdue on time: 1/3 → +0.17
    assert actions["生活垃圾收集: 少 3 件重复问题 = +1"] == D(1)
    assert actions["占道经营治理: 1 件超时问题按期整改 = +0.17"] == D("0.17")
    # A's publicity is capped already: one more report is worth nothing and is not listed
    assert not any(text.startswith("宣传报道采用") for text in actions)


def test_a_capped_item_offers_nothing_for_ten_problems_fewer(hand: Evaluation) -> None:
    actions = {a.text: a.points for a in gap_to_rank(SCHEME, hand_facts(), hand, C, 1).actions}
    assert not any(text.startswith("生活垃圾收集") for text in actions)  # 390 × 0.5 = 195 is still over 150
    assert actions["负面曝光: 少 1 次省级 = +5"] == D(5)
    assert actions["结案率: 结案率提高 1 个百分点 = +1"] == D(1)


def test_the_gap_to_a_top_n_first_tier(hand: Evaluation) -> None:
    gap = gap_to_first_tier(SCHEME, hand_facts(), hand, C)
    # the second place is B's 948.22 with 第三方 291.67 > C's 250: 92.22 + 0.01
    assert (gap.target_rank, gap.needed) == (2, D("92.23"))
    assert all(g.problems_to_fix is None for g in gap.items)  # no single item can give 92.23


def test_the_gap_to_a_first_tier_within_points_of_the_leader(hand: Evaluation) -> None:
    scheme = make_scheme(
        ranking=Ranking(tie_breakers=("component:third",), tier=TierRule.WITHIN_POINTS, tier_value=D(90))
    )
    result = evaluate(scheme, hand_facts())
    gap = gap_to_first_tier(scheme, hand_facts(), result, C)
    # 948.22 − 90 − 856 = 2.22. C's 400 July problems (200 points) are capped at 150: 100 of them are
    # free. 113 fewer: 143.5 → mean 47.83 → +2.17, too little; 114 fewer: 143 → 47.67 → +2.33
    assert (gap.target_rank, gap.needed) == (None, D("2.22"))
    assert gap.items[0].code == "waste"
    assert gap.items[0].problems_to_fix == 114


def test_a_rank_outside_the_group_is_refused(hand: Evaluation) -> None:
    with pytest.raises(EvaluationError, match="目标名次 5 无效"):
        gap_to_rank(SCHEME, hand_facts(), hand, A, 5)
