from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from kaoping.domain.errors import InvalidPeriodError
from kaoping.domain.periods import Period, PeriodKind

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("code", "kind", "label"),
    [
        ("2021Q1", PeriodKind.QUARTER, "2021年第1季度"),
        ("2021-03", PeriodKind.MONTH, "2021年3月"),
        ("2021", PeriodKind.YEAR, "2021年"),
        ("2021q4", PeriodKind.QUARTER, "2021年第4季度"),
    ],
)
def test_period_codes_people_write_are_read(code: str, kind: PeriodKind, label: str) -> None:
    period = Period.parse(code)
    assert period.kind is kind
    assert period.label == label
    assert Period.parse(period.code) == period


@pytest.mark.parametrize("code", ["2021Q5", "2021-13", "21Q1", "2021年", ""])
def test_an_invalid_period_is_refused(code: str) -> None:
    with pytest.raises(InvalidPeriodError, match="考评周期"):
        Period.parse(code)


def test_the_previous_quarter_of_a_first_quarter_is_last_years_fourth() -> None:
    assert Period.parse("2021Q1").previous() == Period.parse("2020Q4")
    assert Period.parse("2021-01").previous() == Period.parse("2020-12")
    assert Period.parse("2020Q4").next() == Period.parse("2021Q1")


def test_a_quarter_starts_and_ends_at_local_midnight() -> None:
    start, end = Period.parse("2021Q1").bounds(SHANGHAI)
    assert start.astimezone(UTC) == datetime(2020, 12, 31, 16, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2021, 3, 31, 16, tzinfo=UTC)
