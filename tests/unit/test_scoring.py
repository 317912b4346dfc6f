"""The first scoring pass on a hand-computed example, plus its invariants."""

from decimal import Decimal

import pytest

from kaoping.domain.ids import UnitId
from kaoping.domain.problems import Channel
from kaoping.domain.scoring import GroupRule, ItemRule, ProblemFact, ScoringRules, rank, score_group

D = Decimal


def make_rules(**overrides: object) -> ScoringRules:
    items = {
        "A": ItemRule("A", "道路保洁", frozenset({"E0101", "E0102"}), D("1.0")),
        "B": ItemRule("B", "公用设施", frozenset({"C0101"}), D("2.0")),
    }
    values: dict[str, object] = {
        "base_points": D(100),
        "items": items,
        "groups": {"g1": GroupRule("g1", "第一组", {"A": D(60), "B": D(40)})},
        "channel_weights": {Channel.THIRD_PARTY: D(1), Channel.MEDIA: D(2)},
        "repeat_multiplier": D(2),
        "overdue_extra": D("0.5"),
    }
    values.update(overrides)
    return ScoringRules(**values)  # type: ignore[arg-type]


def fact(
    unit: int, code: str, channel: Channel, count: int, repeat: bool = False, late: bool = False
) -> ProblemFact:
    return ProblemFact(UnitId(unit), code, channel, repeat, late, count)


HAND_FACTS = [
    # unit 1, item A: 10×1 + 3×1×2 (repeats) + 2×(1×2 media + 0.5 overdue) = 21;
    # grid-worker finds cost nothing
    fact(1, "E0101", Channel.THIRD_PARTY, 10),
    fact(1, "E0102", Channel.THIRD_PARTY, 3, repeat=True),
    fact(1, "E0101", Channel.MEDIA, 2, late=True),
    fact(1, "E0101", Channel.GRID_WORKER, 50),
    # unit 1, item B: 15 × (2×2 + 0.5) = 67.5, capped at the item's 40 (扣完为止)
    fact(1, "C0101", Channel.THIRD_PARTY, 15, repeat=True, late=True),
    # units 2 and 3 tie at 79; unit 4 has no problems at all
    fact(2, "E0101", Channel.THIRD_PARTY, 21),
    fact(3, "E0102", Channel.THIRD_PARTY, 21),
]


def test_the_hand_computed_group_scores_ranks_and_rank_changes() -> None:
    previous = {UnitId(1): 2, UnitId(2): 1, UnitId(3): 4, UnitId(4): 3}
    scores = score_group(
        make_rules(), make_rules().groups["g1"], [UnitId(u) for u in (1, 2, 3, 4)], HAND_FACTS, previous
    )
    by_unit = {s.unit_id: s for s in scores}
    assert [(s.unit_id, s.total, s.rank, s.rank_change) for s in scores] == [
        (4, D(100), 1, 2),
        (2, D(79), 2, -1),
        (3, D(79), 2, 2),
        (1, D(39), 4, -2),
    ]
    item_a, item_b = by_unit[UnitId(1)].items
    assert (item_a.problems, item_a.deducted_problems, item_a.repeats, item_a.overdue) == (65, 15, 3, 2)
    assert (item_a.raw_deduction, item_a.deduction, item_a.points) == (D(21), D(21), D(39))
    assert (item_b.raw_deduction, item_b.deduction, item_b.points) == (D("67.5"), D(40), D(0))


def test_a_repeat_problem_costs_the_repeat_multiplier() -> None:
    rules = make_rules()
    once = score_group(rules, rules.groups["g1"], [UnitId(1)], [fact(1, "E0101", Channel.THIRD_PARTY, 1)])
    again = score_group(
        rules, rules.groups["g1"], [UnitId(1)], [fact(1, "E0101", Channel.THIRD_PARTY, 1, repeat=True)]
    )
    assert once[0].items[0].deduction == D(1)
    assert again[0].items[0].deduction == D(2)


def test_a_unit_without_a_previous_rank_has_no_rank_change() -> None:
    rules = make_rules()
    (only,) = score_group(rules, rules.groups["g1"], [UnitId(9)], [])
    assert only.rank == 1
    assert only.rank_change is None
    assert only.total == D(100)


def test_competition_ranking_shares_ties_and_skips_the_next_rank() -> None:
    totals = {UnitId(1): D("90.5"), UnitId(2): D("95"), UnitId(3): D("90.50"), UnitId(4): D(80)}
    assert rank(totals) == {UnitId(2): 1, UnitId(1): 2, UnitId(3): 2, UnitId(4): 4}


def test_rules_whose_item_maxima_do_not_add_up_to_the_base_are_refused() -> None:
    with pytest.raises(ValueError, match="add up to 90"):
        make_rules(groups={"g1": GroupRule("g1", "第一组", {"A": D(60), "B": D(30)})})


def test_a_category_mapped_to_two_items_is_refused() -> None:
    items = {
        "A": ItemRule("A", "甲", frozenset({"E0101"}), D(1)),
        "B": ItemRule("B", "乙", frozenset({"E0101"}), D(1)),
    }
    with pytest.raises(ValueError, match="E0101"):
        make_rules(items=items, groups={"g1": GroupRule("g1", "第一组", {"A": D(50), "B": D(50)})})


def test_high_score_problems_are_those_at_or_above_the_threshold() -> None:
    rules = make_rules(high_score_threshold=D(2))
    assert rules.is_high_score("C0101", Channel.THIRD_PARTY)  # 2 points
    assert not rules.is_high_score("E0101", Channel.THIRD_PARTY)  # 1 point
    assert rules.is_high_score("E0101", Channel.MEDIA)  # 1 × media weight 2
    assert not rules.is_high_score("C0101", Channel.GRID_WORKER)  # own discovery costs nothing
