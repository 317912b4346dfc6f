"""Indicator formulas reproduce published figures exactly; rate rules score them as the schemes say."""

from decimal import Decimal
from fractions import Fraction

import pytest

from kaoping.domain.indicators import (
    CaseCounters,
    cases_due,
    closure_rate,
    discovery_intensity,
    discovery_share,
    disposal_rate,
    format_percent,
    indicator_value,
    ontime_closure_rate,
    percent,
    proactive_rate,
    rectification_rate,
    rework_rate,
    round_half_up,
    score_rate,
    share,
)
from kaoping.domain.schemes import Band, DiscoveryVariant, Indicator, RateFormula, RateRule, ReworkBase

D = Decimal


def test_tianmen_december_closure_rates_match_the_bulletin() -> None:
    # 天门 December [S4]: 应结案 972, 结案 911, 按期结案 737
    assert percent(closure_rate(911, 972)) == D("93.72")
    assert percent(ontime_closure_rate(737, 972)) == D("75.82")


def test_huzhou_august_2022_closure_rates_match_the_bulletin() -> None:
    # 湖州 Aug 2022 [S6]: 15,300 and 15,289 of 15,308 cases due
    assert percent(closure_rate(15_300, 15_308)) == D("99.95")
    assert percent(ontime_closure_rate(15_289, 15_308)) == D("99.88")


def test_jinan_2019_q3_rectification_rate_counts_late_rectifications() -> None:
    # 济南 2019 Q3 [S37]: 41,462 findings, 39,199 on time, 1,273 late → 97.6 %
    rate = rectification_rate(39_199, 1_273, 41_462)
    assert rate == Fraction(40_472, 41_462)
    assert percent(rate, places=1) == D("97.6")


def test_jinan_weekly_share_of_household_waste_collection() -> None:
    # 济南 2–8 March 2020 [S36]: 生活垃圾收集 987 of 2,904 problems
    assert percent(share(987, 2_904)) == D("33.99")
    assert format_percent(share(829, 2_904)) == "28.55%"
    assert format_percent(share(603, 2_904)) == "20.76%"


def test_rates_are_exact_fractions_until_displayed() -> None:
    rate = closure_rate(911, 972)
    assert isinstance(rate, Fraction)
    assert rate == Fraction(911, 972)


def test_cases_due_are_finished_disposals_plus_open_cases_past_their_deadline() -> None:
    assert cases_due(960, 12) == 972
    counters = CaseCounters(disposal_finished=960, open_overdue=12, closed=911, closed_on_time=737)
    assert counters.due == 972
    assert indicator_value(RateRule(Indicator.CLOSURE_RATE), counters) == Fraction(911, 972)
    assert indicator_value(RateRule(Indicator.ONTIME_CLOSURE_RATE), counters) == Fraction(737, 972)


def test_the_jinhua_variant_leaves_cases_on_hold_out_of_the_denominator() -> None:
    counters = CaseCounters(disposal_finished=100, closed=80, closed_on_time=70, on_hold=10)
    plain = RateRule(Indicator.ONTIME_CLOSURE_RATE)
    jinhua = RateRule(Indicator.ONTIME_CLOSURE_RATE, exclude_on_hold=True)
    assert indicator_value(plain, counters) == Fraction(70, 100)
    assert indicator_value(jinhua, counters) == Fraction(70, 90)
    assert closure_rate(80, 100, on_hold=10) == Fraction(80, 90)


def test_zero_denominators_give_no_rate_rather_than_zero_or_full() -> None:
    assert closure_rate(0, 0) is None
    assert closure_rate(0, 5, on_hold=5) is None
    assert disposal_rate(0, 0) is None
    assert rework_rate(0, 0) is None
    assert rectification_rate(0, 0, 0) is None
    assert share(0, 0) is None
    assert discovery_share(0, 0) is None
    assert discovery_intensity(3, None) is None
    assert discovery_intensity(3, D(0)) is None
    assert proactive_rate(0, 0, 0) is None
    assert percent(None) is None
    assert format_percent(None) == "—"


def test_disposal_and_on_time_disposal_rates() -> None:
    counters = CaseCounters(should_dispose=50, disposed=45, disposed_on_time=40)
    assert indicator_value(RateRule(Indicator.DISPOSAL_RATE), counters) == Fraction(45, 50)
    assert indicator_value(RateRule(Indicator.ONTIME_DISPOSAL_RATE), counters) == Fraction(40, 50)


def test_rework_rate_over_cases_due_or_over_cases_disposed() -> None:
    counters = CaseCounters(disposal_finished=200, disposed=160, rework=8)
    assert indicator_value(RateRule(Indicator.REWORK_RATE), counters) == Fraction(8, 200)
    over_disposed = RateRule(Indicator.REWORK_RATE, rework_base=ReworkBase.DISPOSED)
    assert indicator_value(over_disposed, counters) == Fraction(8, 160)


def test_third_party_discovery_rate_as_a_share_or_an_intensity() -> None:
    counters = CaseCounters(third_party=30, own=90)
    rule = RateRule(Indicator.THIRD_PARTY_DISCOVERY_RATE)
    assert indicator_value(rule, counters) == Fraction(30, 120)
    intensity = indicator_value(rule, counters, variant=DiscoveryVariant.INTENSITY, exposure=D("12.5"))
    assert intensity == Fraction(30) / Fraction("12.5")


def test_proactive_rate_is_own_finds_closed_on_time_over_own_and_external_finds() -> None:
    counters = CaseCounters(own=90, external=30, own_closed_on_time=84)
    assert indicator_value(RateRule(Indicator.PROACTIVE_RATE), counters) == Fraction(84, 120)


def test_rectification_rate_from_counters() -> None:
    counters = CaseCounters(findings=41_462, rectified_on_time=39_199, rectified_late=1_273)
    assert percent(indicator_value(RateRule(Indicator.RECTIFICATION_RATE), counters), 1) == D("97.6")


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (Fraction(1, 8), 2, "0.13"),  # 0.125 → half up
        (Fraction(-1, 8), 2, "-0.13"),  # halves away from zero
        (Fraction(1, 3), 2, "0.33"),
        (Fraction(2, 3), 4, "0.6667"),
        (Fraction(5), 2, "5.00"),
    ],
)
def test_round_half_up_is_exact(value: Fraction, places: int, expected: str) -> None:
    assert round_half_up(value, places) == D(expected)
    assert str(round_half_up(value, places)) == expected


def test_linear_scoring_is_the_maximum_times_the_rate() -> None:
    rule = RateRule(Indicator.CLOSURE_RATE)
    # 20 × 911/972 = 18.7448… → 18.74
    assert score_rate(rule, Fraction(911, 972), D(20)) == D("18.74")


def test_inverse_scoring_rewards_a_low_rate() -> None:
    rule = RateRule(Indicator.REWORK_RATE, formula=RateFormula.INVERSE)
    assert score_rate(rule, Fraction(8, 200), D(10)) == D("9.60")


def test_inverse_scoring_never_goes_below_zero() -> None:
    rule = RateRule(Indicator.THIRD_PARTY_DISCOVERY_RATE, formula=RateFormula.INVERSE)
    assert score_rate(rule, Fraction(3, 2), D(10)) == D(0)


def test_banded_scoring_takes_the_first_band_the_value_reaches() -> None:
    bands = (Band(D("0.95"), D(1)), Band(D("0.9"), D("0.8")), Band(D("0.8"), D("0.5")))
    rule = RateRule(Indicator.CLOSURE_RATE, formula=RateFormula.BANDED, bands=bands)
    assert score_rate(rule, Fraction(96, 100), D(10)) == D(10)
    assert score_rate(rule, Fraction(95, 100), D(10)) == D(10)  # the lower bound is included
    assert score_rate(rule, Fraction(91, 100), D(10)) == D(8)
    assert score_rate(rule, Fraction(85, 100), D(10)) == D(5)
    assert score_rate(rule, Fraction(79, 100), D(10)) == D(0)


def test_banded_scoring_does_not_depend_on_the_order_bands_are_written_in() -> None:
    bands = (Band(D("0.8"), D("0.5")), Band(D("0.95"), D(1)), Band(D("0.9"), D("0.8")))
    rule = RateRule(Indicator.CLOSURE_RATE, formula=RateFormula.BANDED, bands=bands)
    assert score_rate(rule, Fraction(96, 100), D(10)) == D(10)


def test_jinhua_threshold_full_marks_at_seventy_percent_minus_one_per_point_below() -> None:
    # 金华 [S62]: 按期结案率 ≥ 70 % → 50 points, −1 per percentage point below, floored at 0
    rule = RateRule(
        Indicator.ONTIME_CLOSURE_RATE, formula=RateFormula.THRESHOLD, target=D("0.7"), per_point=D(1)
    )
    assert score_rate(rule, Fraction(70, 100), D(50)) == D(50)
    assert score_rate(rule, Fraction(95, 100), D(50)) == D(50)
    assert score_rate(rule, Fraction(65, 100), D(50)) == D(45)
    assert score_rate(rule, Fraction(655, 1000), D(50)) == D("45.50")
    assert score_rate(rule, Fraction(1, 100), D(50)) == D(0)


def test_an_empty_rate_earns_the_rules_empty_points() -> None:
    assert score_rate(RateRule(Indicator.CLOSURE_RATE), None, D(20)) == D(20)
    half = RateRule(Indicator.CLOSURE_RATE, empty_points=D("0.5"))
    assert score_rate(half, None, D(20)) == D(10)
    nothing = RateRule(Indicator.CLOSURE_RATE, empty_points=D(0))
    assert score_rate(nothing, None, D(20)) == D(0)
