"""The period lifecycle (one table, one guard), when a computation makes a revision, the facts'
fingerprint (the same facts in any order give the same one), and the diff between two revisions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaoping.domain.cases import IllegalTransitionError
from kaoping.domain.evaluation import evaluate
from kaoping.domain.facts import AdjustmentEvent, EvaluationFacts, ManualScore, ProblemFact
from kaoping.domain.periods import Period
from kaoping.domain.revision_diffs import diff_evaluations
from kaoping.domain.revisions import (
    EvaluationPeriod,
    PeriodAction,
    PeriodStatus,
    PeriodStepError,
    Revision,
    advance,
    allowed_actions,
    fingerprint,
    parse_status,
    recompute,
)
from kaoping.domain.schemes import EvaluatedLevel
from tests.unit.evaluation_factories import make_scheme, problem
from tests.unit.test_evaluation_properties import evaluation_facts

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime(2025, 10, 10, 9, 0, tzinfo=TZ)
SCHEME = make_scheme()
D = Decimal


def scored(status: PeriodStatus = PeriodStatus.OPEN, revisions: int = 1, **kw: object) -> EvaluationPeriod:
    period = EvaluationPeriod(
        "test-city", Period.parse("2025Q3"), EvaluatedLevel.DISTRICT, status, None, revisions
    )
    return replace(period, **kw)


def revision(number: int = 1, fp: str = "f" * 64, digest: str = "s" * 64) -> Revision:
    return Revision(number, PeriodStatus.OPEN, SCHEME.version, digest, fp, AT, AT)


# --- the lifecycle ---------------------------------------------------------------------------------


def test_a_period_walks_from_open_to_published_one_stage_at_a_time() -> None:
    period = scored()
    steps = []
    for action in (
        PeriodAction.ANNOUNCE,
        PeriodAction.OPEN_APPEALS,
        PeriodAction.FINALISE,
        PeriodAction.PUBLISH,
    ):
        period, step = advance(period, action, at=AT, actor="考评办")
        steps.append((step.from_status, step.to_status))
    assert period.status is PeriodStatus.PUBLISHED
    assert steps == [
        (PeriodStatus.OPEN, PeriodStatus.PRELIMINARY),
        (PeriodStatus.PRELIMINARY, PeriodStatus.APPEAL),
        (PeriodStatus.APPEAL, PeriodStatus.FINAL),
        (PeriodStatus.FINAL, PeriodStatus.PUBLISHED),
    ]


def test_skipping_a_stage_is_refused_naming_what_is_allowed() -> None:
    with pytest.raises(IllegalTransitionError) as refused:
        advance(scored(PeriodStatus.PRELIMINARY), PeriodAction.PUBLISH, at=AT)
    assert (
        "当前状态为「初评公示」, 不能执行「正式公布」; 可执行: 进入申诉期、重新计算" in refused.value.message
    )


def test_a_published_period_only_allows_recomputing() -> None:
    assert allowed_actions(PeriodStatus.PUBLISHED) == (PeriodAction.RECOMPUTE,)
    with pytest.raises(IllegalTransitionError, match="可执行: 重新计算"):
        advance(scored(PeriodStatus.PUBLISHED), PeriodAction.PUBLISH, at=AT)


def test_a_period_never_computed_cannot_be_announced() -> None:
    with pytest.raises(PeriodStepError, match="尚未计算"):
        advance(scored(revisions=0), PeriodAction.ANNOUNCE, at=AT)


def test_the_appeal_window_holds_the_final_result_back_until_it_ends() -> None:
    appeal, _ = advance(
        scored(PeriodStatus.PRELIMINARY), PeriodAction.OPEN_APPEALS, at=AT, appeal_until=date(2025, 10, 17)
    )
    assert appeal.appeal_until == date(2025, 10, 17)
    with pytest.raises(PeriodStepError, match="申诉期至 2025-10-17 结束"):
        advance(appeal, PeriodAction.FINALISE, at=datetime(2025, 10, 17, 18, tzinfo=TZ))
    final, _ = advance(appeal, PeriodAction.FINALISE, at=datetime(2025, 10, 18, 9, tzinfo=TZ))
    assert final.status is PeriodStatus.FINAL


def test_an_appeal_deadline_goes_only_with_opening_the_appeal_window() -> None:
    with pytest.raises(PeriodStepError, match="只有进入申诉期时"):
        advance(scored(), PeriodAction.ANNOUNCE, at=AT, appeal_until=date(2025, 10, 17))


def test_statuses_are_read_as_stored_or_as_people_say_them() -> None:
    assert parse_status("final") is parse_status("终评") is PeriodStatus.FINAL
    with pytest.raises(Exception, match="可选: 计分中、初评公示、申诉期、终评、已公布"):
        parse_status("定稿")


# --- recomputing --------------------------------------------------------------------------------------


def test_the_same_facts_and_scheme_make_no_new_revision() -> None:
    plan = recompute(scored(), revision(), SCHEME, "s" * 64, "f" * 64, at=AT, facts_at=AT)
    assert plan.revision is None
    assert plan.period == scored()


def test_changed_facts_or_a_changed_scheme_file_make_the_next_revision() -> None:
    for digest, fp in (("s" * 64, "g" * 64), ("t" * 64, "f" * 64)):
        plan = recompute(scored(), revision(), SCHEME, digest, fp, at=AT, facts_at=AT)
        assert plan.revision is not None
        assert (plan.revision.number, plan.period.revisions, plan.revision.status) == (
            2,
            2,
            PeriodStatus.OPEN,
        )


def test_recomputing_shown_results_needs_a_reason() -> None:
    period = scored(PeriodStatus.APPEAL)
    with pytest.raises(PeriodStepError, match="已申诉期, 重新计算须说明理由"):
        recompute(period, revision(), SCHEME, "s" * 64, "g" * 64, at=AT, facts_at=AT)
    plan = recompute(
        period, revision(), SCHEME, "s" * 64, "g" * 64, at=AT, facts_at=AT, reason="申诉 #12 改判"
    )
    assert plan.revision is not None
    assert plan.revision.reason == "申诉 #12 改判"
    assert plan.revision.status is PeriodStatus.APPEAL
    assert plan.step is None


def test_recomputing_a_published_period_makes_a_final_revision_to_publish_again() -> None:
    plan = recompute(
        scored(PeriodStatus.PUBLISHED),
        revision(),
        SCHEME,
        "s" * 64,
        "g" * 64,
        at=AT,
        facts_at=AT,
        reason="补录数据",
    )
    assert plan.revision is not None
    assert plan.revision.status is PeriodStatus.FINAL
    assert plan.period.status is PeriodStatus.FINAL
    assert plan.step is not None
    assert (plan.step.from_status, plan.step.to_status) == (
        PeriodStatus.PUBLISHED,
        PeriodStatus.FINAL,
    )


# --- the fingerprint ---------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(evaluation_facts(), st.randoms(use_true_random=False))
def test_the_same_facts_in_any_order_give_the_same_fingerprint(facts: EvaluationFacts, rnd: object) -> None:
    shuffled = replace(
        facts,
        problems=tuple(rnd.sample(facts.problems, len(facts.problems))),  # type: ignore[attr-defined]
        manual=tuple(reversed(facts.manual)),
        adjustments=tuple(rnd.sample(facts.adjustments, len(facts.adjustments))),  # type: ignore[attr-defined]
        counters=dict(reversed(list(facts.counters.items()))),
        previous=dict(reversed(list(facts.previous.items()))),
    )
    assert fingerprint(shuffled) == fingerprint(facts)


@settings(max_examples=100, deadline=None)
@given(evaluation_facts(), st.integers(1, 50))
def test_a_changed_count_changes_the_fingerprint(facts: EvaluationFacts, more: int) -> None:
    extra = problem("370102", 7, "E0102", more)
    assert fingerprint(replace(facts, problems=(*facts.problems, extra))) != fingerprint(facts)


def test_rows_split_differently_and_equal_decimals_give_the_same_fingerprint() -> None:
    one = EvaluationFacts(
        problems=(problem("370102", 7, "E0102", 5),),
        manual=(ManualScore("370102", "dept", D("450.0")),),
        adjustments=(AdjustmentEvent("370102", "publicity", "省级", 2),),
    )
    split = EvaluationFacts(
        problems=(problem("370102", 7, "E0102", 2), problem("370102", 7, "E0102", 3, share="1.00")),
        manual=(ManualScore("370102", "dept", D(450)),),
        adjustments=(
            AdjustmentEvent("370102", "publicity", "省级", 1),
            AdjustmentEvent("370102", "publicity", "省级"),
        ),
    )
    assert fingerprint(one) == fingerprint(split)
    assert fingerprint(one) != fingerprint(replace(one, manual=(ManualScore("370102", "dept", D(451)),)))


def test_names_are_not_facts() -> None:
    facts = EvaluationFacts(problems=(problem("370102", 7, "E0102", 5),))
    assert fingerprint(facts) == fingerprint(replace(facts, category_names={"E0102": "暴露垃圾"}))


# --- the diff -------------------------------------------------------------------------------------


def quarter(*extra: ProblemFact) -> EvaluationFacts:
    manual = tuple(
        ManualScore(u, i, D(p))
        for u in ("370102", "370103", "370104", "370105")
        for i, p in (("dept", 450), ("expert", 90))
    )
    problems = (problem("370102", 7, "E0102", 20), problem("370103", 8, "E0201", 6), *extra)
    return EvaluationFacts(problems=problems, manual=manual, sub_periods=(7, 8, 9))


def test_the_same_results_differ_in_nothing() -> None:
    assert diff_evaluations(evaluate(SCHEME, quarter()), evaluate(SCHEME, quarter())) == ()


def test_a_diff_names_the_unit_its_total_and_rank_and_the_item_that_moved() -> None:
    before = evaluate(SCHEME, quarter())
    after = evaluate(SCHEME, quarter(problem("370104", 9, "E0201", 90)))
    changes = {c.unit: c for c in diff_evaluations(before, after)}
    c = changes["370104"]
    assert [(i.item, i.before, i.after) for i in c.items] == [("stalls", D(150), D(120))]  # 90 × 1 / 3 months
    assert c.total_delta == D(-30)
    assert (c.rank_before, c.rank_after) != (None, None)
    assert all(not ch.items for unit, ch in changes.items() if unit != "370104")  # others moved in rank only
