"""Rate points are worked out on integers: they must be exactly what the formulas in Fractions give,
rounded half up to 0.01 (docs/scoring.md "评分引擎")."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from kaoping.domain.indicators import percent, ratio, round_half_up, score_rate
from kaoping.domain.schemes import Band, Indicator, RateFormula, RateRule

D = Decimal
hundredths = st.integers(0, 100).map(lambda n: D(n).scaleb(-2))  # 0.00 … 1.00
maxima = st.integers(1, 100_000).map(lambda n: D(n).scaleb(-2))
rates = st.one_of(
    st.none(), st.builds(lambda d, n: Fraction(min(n, d), d), st.integers(1, 5000), st.integers(0, 5000))
)


def reference(rule: RateRule, value: Fraction | None, maximum: Decimal) -> Decimal:
    """The formulas as written, in Fractions, then half up: floor(|v|·100 + ½)."""
    full = Fraction(maximum)
    if value is None:
        points = full * Fraction(rule.empty_points)
    elif rule.formula is RateFormula.LINEAR:
        points = full * value
    elif rule.formula is RateFormula.INVERSE:
        points = full * (1 - value)
    elif rule.formula is RateFormula.BANDED:
        bands = sorted(rule.bands, key=lambda b: b.lower, reverse=True)
        points = next((full * Fraction(b.points) for b in bands if value >= Fraction(b.lower)), Fraction(0))
    else:
        target = Fraction(rule.target if rule.target is not None else 1)
        points = full if value >= target else full - Fraction(rule.per_point) * (target - value) * 100
    points = min(max(points, Fraction(0)), full)
    magnitude = (abs(points) * 200 + 1) // 2
    return D(-magnitude if points < 0 else magnitude).scaleb(-2)


@st.composite
def rules(draw: st.DrawFn) -> RateRule:
    formula = draw(st.sampled_from(RateFormula))
    bands = tuple(Band(draw(hundredths), draw(hundredths)) for _ in range(draw(st.integers(0, 4))))
    return RateRule(
        Indicator.CLOSURE_RATE,
        formula,
        target=draw(st.one_of(st.none(), hundredths)),
        per_point=draw(st.integers(0, 500).map(lambda n: D(n).scaleb(-1))),
        bands=bands,
        empty_points=draw(hundredths),
    )


@settings(max_examples=400, deadline=None)
@given(rules(), rates, maxima)
def test_rate_points_in_integers_are_the_formulas_in_fractions(
    rule: RateRule, value: Fraction | None, maximum: Decimal
) -> None:
    assert score_rate(rule, value, maximum) == reference(rule, value, maximum)
    assert str(score_rate(rule, value, maximum)) == str(reference(rule, value, maximum))


@settings(max_examples=200, deadline=None)
@given(st.fractions(min_value=-1000, max_value=1000))
def test_rounding_half_up_in_integers_rounds_halves_away_from_zero(value: Fraction) -> None:
    magnitude = (abs(value) * 200 + 1) // 2
    expected = D(-magnitude if value < 0 else magnitude).scaleb(-2)
    assert str(round_half_up(value)) == str(expected)
    assert percent(value) == round_half_up(value * 100)


def test_halves_and_published_figures() -> None:
    assert round_half_up(Fraction(1, 200)) == D("0.01")
    assert round_half_up(Fraction(-1, 200)) == D("-0.01")
    assert percent(Fraction(911, 972)) == D("93.72")


def test_a_ratio_of_decimals_is_exact() -> None:
    assert ratio(D("13.5"), D("388.5")) == Fraction(135, 3885)
    assert ratio(3, 0) is None
    assert ratio(D(1), D("-2")) is None
