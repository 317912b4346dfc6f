"""Properties of the evaluation engine over random facts: deductions only lower scores, caps hold,
ranks are a competition ranking of the sort keys, and the result depends on the facts, not their order."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from kaoping.domain.evaluation import evaluate
from kaoping.domain.facts import AdjustmentEvent, EvaluationFacts, ManualScore, Previous, ProblemFact
from kaoping.domain.indicators import CaseCounters
from kaoping.domain.problems import Channel
from kaoping.domain.results import Evaluation
from tests.unit.evaluation_factories import MEMBERS, make_scheme

D = Decimal
SCHEME = make_scheme()

problems = st.builds(
    ProblemFact,
    unit=st.sampled_from(MEMBERS),
    sub_period=st.sampled_from((7, 8, 9)),
    category_code=st.sampled_from(("E0102", "E0103", "E0104", "E0201", "X9999")),
    channel=st.sampled_from((Channel.THIRD_PARTY, Channel.MEDIA, Channel.GRID_WORKER)),
    repeat_index=st.integers(0, 3),
    is_overdue=st.booleans(),
    is_no_feedback=st.booleans(),
    count=st.integers(0, 400),
    share=st.sampled_from((D(1), D("0.8"), D("0.2"))),
)
hundredths = st.integers(0, 10_000).map(lambda n: D(n).scaleb(-2))  # 0.00 … 100.00


@st.composite
def case_counters(draw: st.DrawFn) -> CaseCounters:
    finished = draw(st.integers(0, 1000))
    closed = draw(st.integers(0, finished))
    return CaseCounters(disposal_finished=finished, open_overdue=draw(st.integers(0, 50)), closed=closed)


@st.composite
def evaluation_facts(draw: st.DrawFn) -> EvaluationFacts:
    manual = []
    for unit in MEMBERS:
        manual.append(ManualScore(unit, "dept", draw(hundredths) * 5))
        manual.append(ManualScore(unit, "expert", draw(hundredths)))
    counters = {
        u: {Channel.SUPERVISOR: draw(case_counters())} for u in draw(st.sets(st.sampled_from(MEMBERS)))
    }
    events = draw(
        st.lists(
            st.builds(
                AdjustmentEvent,
                unit=st.sampled_from(MEMBERS),
                adjustment=st.sampled_from(("publicity", "exposure")),
                tier=st.sampled_from(("省级", "市级")),
                count=st.integers(0, 4),
            ),
            max_size=6,
        )
    )
    previous = {u: Previous(draw(st.integers(1, 4))) for u in draw(st.sets(st.sampled_from(MEMBERS)))}
    return EvaluationFacts(
        problems=tuple(draw(st.lists(problems, max_size=25))),
        counters=counters,
        manual=tuple(manual),
        adjustments=tuple(events),
        previous=previous,
        sub_periods=(7, 8, 9),
    )


@settings(max_examples=150, deadline=None)
@given(evaluation_facts(), problems)
def test_adding_a_deduction_never_raises_a_score(facts: EvaluationFacts, extra: ProblemFact) -> None:
    before = evaluate(SCHEME, facts).unit(extra.unit)
    after = evaluate(SCHEME, replace(facts, problems=(*facts.problems, extra))).unit(extra.unit)
    for old, new in zip(before.items, after.items, strict=True):
        assert new.points <= old.points
    assert after.subtotal <= before.subtotal
    assert after.total <= before.total  # a lower total can only lose places, never gain progress points


@settings(max_examples=150, deadline=None)
@given(evaluation_facts())
def test_caps_hold_and_lines_add_up(facts: EvaluationFacts) -> None:
    result = evaluate(SCHEME, facts)
    for unit in result.group("g1").units:
        for item in unit.items:
            assert D(0) <= item.deduction <= item.max_points
            assert item.points == item.max_points - item.deduction
            assert sum((line.total for line in item.lines), D(0)) == item.deduction
        for component in unit.components:
            assert D(0) <= component.points <= component.max_points
        for adjustment in unit.adjustments:
            cap = next(a.cap for a in SCHEME.adjustments if a.code == adjustment.code)
            assert cap is None or abs(adjustment.points) <= cap
            assert sum((line.total for line in adjustment.lines), D(0)) == adjustment.points


def sort_keys(result: Evaluation) -> dict[str, tuple[Decimal, Decimal]]:
    return {u.unit: (u.total, u.component("third").points) for u in result.group("g1").units}


@settings(max_examples=150, deadline=None)
@given(evaluation_facts())
def test_ranks_are_a_competition_ranking_of_total_then_tie_breaker(facts: EvaluationFacts) -> None:
    result = evaluate(SCHEME, facts)
    keys = sort_keys(result)
    ranks = {u.unit: u.rank for u in result.group("g1").units}
    for unit, key in keys.items():
        assert ranks[unit] == 1 + sum(other > key for other in keys.values())
    for u in keys:
        for v in keys:
            assert (ranks[u] == ranks[v]) == (keys[u] == keys[v])
            assert (ranks[u] < ranks[v]) == (keys[u] > keys[v])
    listed = [u.rank for u in result.group("g1").units]
    assert listed == sorted(listed)


@settings(max_examples=100, deadline=None)
@given(evaluation_facts(), st.randoms(use_true_random=False), st.integers(0, 24))
def test_the_same_facts_in_any_order_or_split_give_equal_results(
    facts: EvaluationFacts, random: object, split_at: int
) -> None:
    rows = list(facts.problems)
    if rows:
        # one row split in two with the same key is the same fact
        i = split_at % len(rows)
        half = rows[i].count // 2
        rows[i : i + 1] = [replace(rows[i], count=half), replace(rows[i], count=rows[i].count - half)]
    shuffle = random.shuffle  # type: ignore[attr-defined]
    shuffle(rows)
    manual, events = list(facts.manual), list(facts.adjustments)
    shuffle(manual)
    shuffle(events)
    other = replace(facts, problems=tuple(rows), manual=tuple(manual), adjustments=tuple(events))
    assert evaluate(SCHEME, other) == evaluate(SCHEME, facts)
