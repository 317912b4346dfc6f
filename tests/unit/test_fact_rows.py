"""Merging a period's fact rows, and the price table the runs of one read share."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from kaoping.domain.evaluation import evaluate, merge_problems
from kaoping.domain.fact_rows import facts_of, merge_rows, rows_of
from kaoping.domain.facts import EvaluationError, EvaluationFacts
from kaoping.domain.problems import Channel
from tests.unit.evaluation_factories import make_deductions, make_scheme, problem

D = Decimal
A, B = "370102", "370103"
SCHEME = make_scheme()


def test_rows_of_one_key_add_up_and_come_in_key_order() -> None:
    rows, months = merge_rows(
        SCHEME,
        (
            problem(B, 8, "E0201", 1),
            problem(A, 8, "E0102", 2, Channel.MEDIA),
            problem(A, 7, "E0102", 3),
            problem(A, 8, "E0102", 4, Channel.MEDIA),
            problem(A, 9, "E0102", 0),
        ),
    )
    assert list(rows) == [A, B]
    assert [(key[0], key[2], n) for key, n in rows[A]] == [(7, "third_party", 3), (8, "media", 6)]
    assert months == {7, 8, 9}  # a month nobody was found in still counts


def test_the_same_row_given_twice_counts_twice() -> None:
    row = problem(A, 7, "E0102", 3)
    assert merge_problems(SCHEME, (row, row))[A] == [replace(row, count=6)]


def test_equal_shares_written_differently_are_one_key_written_plainly() -> None:
    merged = merge_problems(
        SCHEME, (problem(A, 7, "E0201", 1, share="0.80"), problem(A, 7, "E0201", 2, share="0.8"))
    )
    assert [(f.count, str(f.share)) for f in merged[A]] == [(3, "0.8")]


def test_months_are_dropped_for_items_not_measured_monthly() -> None:
    components = {**SCHEME.components, "third": replace(SCHEME.components["third"], measured=None)}
    rows, months = merge_rows(
        make_scheme(components=components), (problem(A, 7, "E0201", 1), problem(A, 8, "E0201", 2))
    )
    assert [(key[0], n) for key, n in rows[A]] == [(0, 3)]
    assert months == set()


def test_rows_and_fact_rows_convert_both_ways() -> None:
    facts = merge_problems(SCHEME, (problem(A, 7, "E0201", 1, Channel.MEDIA, repeat=1, overdue=True),))[A]
    assert facts_of(A, rows_of(facts)) == facts


def test_a_negative_count_or_a_share_outside_one_is_refused_with_the_row_named() -> None:
    with pytest.raises(EvaluationError, match="单位 370102 类别 E0201: 问题数 -1"):
        merge_rows(SCHEME, (problem(A, 7, "E0201", 2), problem(A, 7, "E0201", -1)))
    with pytest.raises(EvaluationError, match=r"责任比例 1\.5 无效"):
        merge_rows(SCHEME, (problem(A, 7, "E0201", 2, share="1.5"),))


def test_the_price_table_of_one_scheme_follows_each_runs_severities() -> None:
    scheme = make_scheme(deductions=make_deductions(severity_points={3: D(4)}))
    facts = EvaluationFacts(problems=(problem(A, 7, "E0201", 2),), sub_periods=(7,))
    plain = evaluate(scheme, facts).unit(A).item("stalls")
    severe = evaluate(scheme, replace(facts, severities={"E0201": 3})).unit(A).item("stalls")
    again = evaluate(scheme, facts).unit(A).item("stalls")
    assert (plain.deduction, severe.deduction, again.deduction) == (D(2), D(8), D(2))
    assert severe.lines[0].rule == "severity:3"
