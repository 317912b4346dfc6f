"""Score lines made fast: a line's text is written out when first read, and reads as it always did;
the fast makers make what the constructors make."""

from __future__ import annotations

import dataclasses
import pickle
from decimal import Decimal
from fractions import Fraction

import pytest

from kaoping.domain.deductions import ProblemText, base_points, cost_of, problem_text
from kaoping.domain.evaluation import evaluate
from kaoping.domain.facts import AdjustmentEvent, EvaluationFacts, ProblemFact
from kaoping.domain.frozen import maker
from kaoping.domain.problems import Channel
from kaoping.domain.ranking import ItemClass, Place, places
from kaoping.domain.results import (
    CategoryShare,
    ComponentResult,
    ItemResult,
    LineKind,
    ProblemCounters,
    ScoreLine,
    UnitResult,
    make_category_share,
    make_component_result,
    make_item_result,
    make_line,
    make_problem_counters,
    make_score_line,
    make_unit_result,
)
from kaoping.domain.schemes import ItemKind, RepeatPolicy
from tests.unit.evaluation_factories import make_deductions, make_scheme, problem

D = Decimal
A = "370102"
SCHEME = make_scheme(deductions=make_deductions(repeat=RepeatPolicy(escalation=(D(2), D(3)))))
FACTS = EvaluationFacts(
    problems=(
        problem(A, 7, "E0201", 4, Channel.MEDIA, repeat=2, overdue=True, no_feedback=True, share="0.8"),
        problem(A, 8, "E0104", 3, repeat=1),
        problem(A, 9, "E0103", 2, Channel.MEDIA, no_feedback=True),
        problem(A, 9, "E9999", 2),
    ),
    adjustments=(AdjustmentEvent(A, "publicity", "省级", 2), AdjustmentEvent(A, "exposure", "市级", 1)),
    sub_periods=(7, 8, 9),
    severities={"E0104": 3},
    category_names={"E0201": "占道经营", "E0104": "垃圾焚烧"},
    channel_names={Channel.MEDIA: "媒体监督"},
)


def test_every_line_reads_as_the_engine_wrote_it_before_texts_were_deferred() -> None:
    # the texts of the engine that wrote every text at once, for the same facts
    unit = evaluate(SCHEME, FACTS).unit(A)
    texts = [(i.code, line.kind, line.text) for i in unit.items for line in i.lines]
    texts += [(a.code, line.kind, line.text) for a in unit.adjustments for line in a.lines]
    assert texts == [
        ("dept", LineKind.MANUAL, "部门考评: 未录入, 暂按 0 分计"),
        ("closure", LineKind.RATE, "结案率: 结案率 — → 100 / 100"),
        ("expert", LineKind.MANUAL, "专家评审: 未录入, 暂按 0 分计"),
        ("waste", LineKind.PROBLEMS, "8月 third_party E0104 垃圾焚烧 重复问题 3 件 × 1.5 × 2 = 9"),
        ("waste", LineKind.PROBLEMS, "9月 媒体监督 E0103 逾期未反馈 2 件 × (2 × 权重 2 + 逾期未反馈 1) = 10"),
        ("waste", LineKind.ROLLUP, "按 3 个月平均: (0 + 9 + 10) / 3 = 6.33"),
        (
            "stalls",
            LineKind.PROBLEMS,
            "7月 媒体监督 E0201 占道经营 第2次重复 超时 逾期未反馈 4 件 × "
            "(1 × 权重 2 × 3 + 超时 0.5 + 逾期未反馈 1) × 责任比例 0.8 = 24",
        ),
        ("stalls", LineKind.ROLLUP, "按 3 个月平均: (24 + 0 + 0) / 3 = 8"),
        ("publicity", LineKind.ADJUSTMENT, "宣传报道采用 省级 2 篇 × 3 = 6"),
        ("publicity", LineKind.CAP, "宣传报道采用封顶 5: 6 按 5 计"),
        ("exposure", LineKind.ADJUSTMENT, "负面曝光 市级 1 次 × 2 = -2"),
    ]


def test_a_problem_lines_text_is_its_price_written_out() -> None:
    lines = [line for i in evaluate(SCHEME, FACTS).unit(A).items for line in i.lines]
    for line in (x for x in lines if x.kind is LineKind.PROBLEMS):
        item = SCHEME.items[line.ref]
        base, rule = base_points(SCHEME, item, line.category_code, FACTS.severities)
        assert line.channel is not None
        cost = cost_of(
            SCHEME,
            base,
            rule,
            line.channel,
            line.repeat_index,
            line.is_overdue,
            line.is_no_feedback,
            line.share,
        )
        assert cost is not None
        assert (line.rule, line.points_each) == (rule, cost.each)
        assert line.text == problem_text(line, cost, FACTS.category_names, FACTS.channel_names)


def _problem_line(text: object) -> ScoreLine:
    return make_score_line(
        LineKind.PROBLEMS,
        "stalls",
        "item",
        D(3),
        text,
        7,
        "E0201",
        Channel.THIRD_PARTY,
        0,
        False,
        False,
        D(1),
        3,
        D(1),
    )


def test_a_deferred_text_is_written_once_and_behaves_like_any_text() -> None:
    calls = []

    def explain(line: ScoreLine) -> str:
        calls.append(line)
        return f"7月 第三方测评 E0201 {line.count} 件 × 1 = 3"

    lazy = _problem_line(explain)
    eager = ScoreLine(
        LineKind.PROBLEMS, "stalls", "item", D(3), "7月 第三方测评 E0201 3 件 × 1 = 3", 7, "E0201",
        Channel.THIRD_PARTY, 0, False, False, D(1), 3, D(1),
    )  # fmt: skip
    assert type(lazy) is ScoreLine
    assert lazy == eager
    assert hash(lazy) == hash(eager)
    assert repr(lazy) == repr(eager)
    assert lazy.text == lazy.text == eager.text
    assert len(calls) == 1  # written out on the first read, kept
    assert dataclasses.asdict(_problem_line(explain)) == dataclasses.asdict(eager)
    assert dataclasses.replace(_problem_line(explain), count=4).text == "7月 第三方测评 E0201 3 件 × 1 = 3"
    assert pickle.loads(pickle.dumps(_problem_line(explain))) == eager
    with pytest.raises(dataclasses.FrozenInstanceError):
        lazy.text = "changed"  # type: ignore[misc]


def test_the_engines_explanation_prices_the_line_again_under_its_scheme() -> None:
    explain = ProblemText(SCHEME, {}, {"E0201": "占道经营"}, {})
    line = make_score_line(
        LineKind.PROBLEMS, "stalls", "item", D("3.2"), explain, 8, "E0201", Channel.MEDIA, 0, False, False,
        D("0.8"), 2, D("1.6"),
    )  # fmt: skip
    assert line.text == "8月 media E0201 占道经营 2 件 × 1 × 权重 2 × 责任比例 0.8 = 3.2"


def test_the_fast_makers_make_what_the_constructors_make() -> None:
    line = make_line(LineKind.RATE, "closure", "rate:closure_rate:linear", D(5), "结案率")
    assert line == ScoreLine(LineKind.RATE, "closure", "rate:closure_rate:linear", D(5), "结案率")
    fields = ("waste", "生活垃圾收集", "third", ItemKind.DEDUCTION, D(150), D(146), D(4), D(12), (line,))
    counts = (65, 15, 3, None, Fraction(65, 66), 2, ItemClass.WEAK)
    assert make_item_result(*fields, *counts) == ItemResult(*fields, *counts)  # type: ignore[arg-type]
    assert make_component_result("third", "第三方测评", D(300), D(295), 1) == ComponentResult(
        "third", "第三方测评", D(300), D(295), 1
    )
    counters = (66, 16, 3, 3, 1, 0, D("13.5"), Fraction(1, 2), None)
    assert make_problem_counters(*counters) == ProblemCounters(*counters)
    assert make_category_share("E0102", 63, Fraction(63, 66)) == CategoryShare("E0102", 63, Fraction(63, 66))
    unit = (
        A,
        "g1",
        False,
        (),
        (),
        (),
        D(900),
        D(904),
        1,
        ProblemCounters(),
        2,
        True,
        3,
        0,
        D(100),
        {},
        (),
        (),
    )
    assert make_unit_result(*unit) == UnitResult(*unit)  # type: ignore[arg-type]
    assert places({"a": (D(2),), "b": (D(1),)}) == {"a": Place(1, 0, 1), "b": Place(2, 1, 0)}


def test_a_maker_is_refused_for_a_class_whose_init_does_more() -> None:
    with pytest.raises(TypeError, match="not a frozen"):
        maker(dataclasses.make_dataclass("Open", [("a", int)], slots=True))
    with pytest.raises(TypeError, match="does more"):
        maker(ProblemFactWithCheck)


@dataclasses.dataclass(frozen=True, slots=True)
class ProblemFactWithCheck:
    fact: ProblemFact

    def __post_init__(self) -> None:
        if self.fact.count < 0:
            raise ValueError("negative")
