"""Deadlines in bulk (numpy) against the domain's one-at-a-time ``deadline``, to the microsecond, on
the real holiday calendar: 100,000 starts over 2021 and 2025 — the Spring Festival and National Day
weeks with their make-up working days, nights, weekends, and exactly at period boundaries — under
every unit, with integer and decimal limits. The calendar holds 2021 and 2025 only, so counts that
run into 2022 or 2026 must be refused with the year, row by row, as the domain refuses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaoping.domain.calendar import CalendarYearMissingError, WorkCalendar, WorkPeriod, parse_work_periods
from kaoping.domain.categories import DeadlineUnit
from kaoping.domain.deadlines import deadline
from kaoping.io.holidays import library_calendar
from kaoping.wiring.deadline_batch import (
    DueTimes,
    Limit,
    Micros,
    WorkingTimeline,
    due_times,
    due_times_by_limit,
    epoch_micros,
    epoch_seconds,
)

TZ = ZoneInfo("Asia/Shanghai")
CAL = library_calendar([2021, 2025])
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = 1_000_000
ONE_US = timedelta(microseconds=1)
HOLIDAY_WEEKS = [  # the days off with the make-up working days around them
    (date(2021, 2, 6), date(2021, 2, 21)),  # 春节 2021, make-up 02-07 and 02-20
    (date(2025, 1, 25), date(2025, 2, 9)),  # 春节 2025, make-up 01-26 and 02-08
    (date(2021, 9, 25), date(2021, 10, 10)),  # 国庆 2021, make-up 09-26 and 10-09
    (date(2025, 9, 27), date(2025, 10, 12)),  # 国庆 2025, make-up 09-28 and 10-11
    (date(2021, 12, 20), date(2021, 12, 31)),  # counts that run into 2022, which the calendar lacks
    (date(2025, 12, 15), date(2025, 12, 31)),  # … and into 2026
]
BOUNDARIES = [
    time(0),
    time(7, 59, 59, 999_999),
    time(8),
    time(8, 0, 0, 1),
    time(11, 59, 59, 999_999),
    time(12),
    time(12, 0, 0, 1),
    time(13, 30),
    time(14),
    time(17, 59, 59, 999_999),
    time(18),
    time(18, 0, 0, 1),
    time(23, 59, 59, 999_999),
]
LIMITS: dict[DeadlineUnit, list[Decimal | int]] = {
    DeadlineUnit.WORK_HOURS: [1, 2, 4, 8, 24, Decimal("0.5"), Decimal("1.25"), Decimal("3.333333")],
    DeadlineUnit.WORK_DAYS: [1, 2, 3, 5, 15, Decimal("0.5"), Decimal("1.5"), Decimal("0.0000001")],
    DeadlineUnit.HOURS: [1, 2, 4, 8, 72, Decimal("0.5"), Decimal("1.0000001"), Decimal("2.75")],
    DeadlineUnit.NATURAL_DAYS: [1, 2, 3, 7, 30, Decimal("0.5"), Decimal("1.25"), Decimal("0.3333333")],
}


def micros(at: datetime) -> int:
    return (at - EPOCH) // ONE_US


def domain_due(
    start: int, value: Decimal | int, unit: DeadlineUnit, calendar: WorkCalendar, tz: ZoneInfo = TZ
) -> tuple[int, int]:
    """(due µs, 0) from the domain, or (0, the year it lacks)."""
    try:
        due = deadline(EPOCH + start * ONE_US, value, unit, calendar, tz)
    except CalendarYearMissingError as err:
        return 0, err.year
    return micros(due), 0


def pairs(times: DueTimes) -> list[tuple[int, int]]:
    """(due µs, 0) per row, or (0, the year it lacks), like ``domain_due``."""
    due = np.where(times.missing_year, 0, times.due).tolist()
    return list(zip(due, times.missing_year.tolist(), strict=True))


def random_starts(rng: np.random.Generator, n: int) -> Micros:
    """A third anywhere in 2021 and 2025, a third in the holiday weeks, a third exactly at (or a
    microsecond off) a period boundary on a day of the holiday weeks or of 2021."""
    third = n // 3
    years = [(micros(_local(date(y, 1, 1))), micros(_local(date(y + 1, 1, 1)))) for y in (2021, 2025)]
    weeks = [(micros(_local(a)), micros(_local(b + timedelta(days=1)))) for a, b in HOLIDAY_WEEKS]
    days = [d for a, b in HOLIDAY_WEEKS for d in _days(a, b)] + _days(date(2021, 1, 1), date(2021, 12, 31))
    picked = rng.integers(len(days), size=n - 2 * third).tolist()
    clock = rng.integers(len(BOUNDARIES), size=len(picked)).tolist()
    at_boundaries = [
        micros(datetime.combine(days[d], BOUNDARIES[c], TZ)) for d, c in zip(picked, clock, strict=True)
    ]
    return np.concatenate([_within(years, third, rng), _within(weeks, third, rng), at_boundaries])


def _within(spans: list[tuple[int, int]], n: int, rng: np.random.Generator) -> Micros:
    low, high = (np.array(bound, dtype=np.int64) for bound in zip(*spans, strict=True))
    pick = rng.integers(len(spans), size=n)
    within: Micros = low[pick] + (rng.random(n) * (high[pick] - low[pick])).astype(np.int64)
    return within


def _local(day: date) -> datetime:
    return datetime.combine(day, time(0), TZ)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.fixture(scope="module")
def starts() -> Micros:
    return random_starts(np.random.default_rng(2025), 100_000)


@pytest.mark.parametrize("unit", list(DeadlineUnit))
def test_bulk_deadlines_equal_the_domains_for_100_000_starts_to_the_microsecond(
    starts: Micros, unit: DeadlineUnit
) -> None:
    limits: list[Limit | None] = [(v, unit) for v in LIMITS[unit]]
    group = np.random.default_rng(4).integers(len(limits), size=starts.size)
    times = due_times_by_limit(WorkingTimeline.build(CAL, TZ), starts, group, limits)
    expected = [
        domain_due(s, LIMITS[unit][g], unit, CAL)
        for s, g in zip(starts.tolist(), group.tolist(), strict=True)
    ]
    assert times.limited.all()
    assert pairs(times) == expected
    if unit in (DeadlineUnit.WORK_HOURS, DeadlineUnit.WORK_DAYS):  # refusals were compared too
        assert {year for _, year in expected} == {0, 2022, 2026}


def test_a_start_in_a_year_the_calendar_lacks_is_refused_with_the_domains_message() -> None:
    start = np.array(
        [micros(datetime(2023, 5, 8, 9, tzinfo=TZ)), micros(datetime(2021, 5, 10, 9, tzinfo=TZ))]
    )
    times = due_times(WorkingTimeline.build(CAL, TZ), start, 1, DeadlineUnit.WORK_DAYS)
    assert times.missing_year.tolist() == [2023, 0]
    with pytest.raises(CalendarYearMissingError) as raised:
        deadline(datetime(2023, 5, 8, 9, tzinfo=TZ), 1, DeadlineUnit.WORK_DAYS, CAL, TZ)
    assert times.refusal(0) == raised.value.message
    assert times.computed.tolist() == [False, True]


def test_rows_of_a_category_without_a_deadline_are_left_alone() -> None:
    start = np.array([micros(datetime(2025, 5, 8, 9, tzinfo=TZ))] * 2)
    times = due_times_by_limit(
        WorkingTimeline.build(CAL, TZ), start, np.array([0, 1]), [None, (4, DeadlineUnit.HOURS)]
    )
    assert times.limited.tolist() == [False, True]
    assert times.due[1] == start[1] + 4 * 3600 * US


def test_an_empty_calendar_refuses_every_working_count_but_not_the_wall_clock() -> None:
    timeline = WorkingTimeline.build(WorkCalendar.from_days([]), TZ)
    start = np.array([micros(datetime(2025, 5, 8, 9, tzinfo=TZ))])
    assert due_times(timeline, start, 1, DeadlineUnit.WORK_HOURS).missing_year.tolist() == [2025]
    assert due_times(timeline, start, 1, DeadlineUnit.NATURAL_DAYS).missing_year.tolist() == [0]


def test_float_seconds_round_to_microseconds_as_datetime_does_both_ways() -> None:
    rng = np.random.default_rng(7)
    seconds = np.concatenate(
        [rng.uniform(1.6e9, 1.8e9, 20_000), np.round(rng.uniform(1.6e9, 1.8e9, 5_000), 6), [1.7e9 + 0.5e-6]]
    )
    expected = [micros(datetime.fromtimestamp(s, UTC)) for s in seconds.tolist()]
    assert epoch_micros(seconds).tolist() == expected
    back = [(EPOCH + m * ONE_US).timestamp() for m in expected]
    assert epoch_seconds(np.array(expected)).tolist() == back


@pytest.mark.parametrize(
    "zone", ["America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Tehran"]
)
def test_daylight_saving_zones_agree_with_the_domain_across_their_clock_changes(zone: str) -> None:
    tz = ZoneInfo(zone)
    timeline = WorkingTimeline.build(CAL, tz)
    rng = np.random.default_rng(11)
    start = rng.integers(
        micros(datetime(2021, 1, 1, tzinfo=tz)), micros(datetime(2022, 1, 1, tzinfo=tz)), 2_000
    )
    start[::2] = start[::2] // (1800 * US) * (1800 * US)  # half of them on the half hour
    for unit, values in LIMITS.items():
        times = due_times(timeline, start, values[1], unit)
        expected = [domain_due(s, values[1], unit, CAL, tz) for s in start.tolist()]
        assert pairs(times) == expected


def test_a_working_period_across_a_clock_change_is_refused_when_the_timeline_is_built() -> None:
    night = (WorkPeriod(time(0), time(2)),)  # Tehran sprang forward at 00:00 on Monday 2021-03-22
    with pytest.raises(ValueError, match="clock change"):
        WorkingTimeline.build(library_calendar([2021], night), ZoneInfo("Asia/Tehran"))


# --- property: any start, limit, unit and working periods -----------------------------------------

PERIODS = [
    "08:00-12:00,14:00-18:00",
    "08:30-12:00,13:30-17:30",  # a summer schedule (夏季作息)
    "09:00-17:00",
    "07:45-11:15,12:00-12:00:30,13:30-18:10",  # a 30-second period
]


@cache
def timeline_for(periods: str) -> tuple[WorkCalendar, WorkingTimeline]:
    calendar = library_calendar([2021, 2022, 2025], parse_work_periods(periods))
    return calendar, WorkingTimeline.build(calendar, TZ)


@settings(max_examples=300, deadline=None)
@given(
    starts=st.lists(
        st.datetimes(datetime(2020, 12, 20), datetime(2026, 1, 10), timezones=st.just(TZ)),
        min_size=1,
        max_size=20,
    ),
    value=st.one_of(
        st.integers(min_value=1, max_value=400),
        st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(400), places=6),
    ),
    unit=st.sampled_from(list(DeadlineUnit)),
    periods=st.sampled_from(PERIODS),
)
def test_bulk_deadlines_equal_the_domains_for_any_start_limit_unit_and_working_periods(
    starts: Sequence[datetime], value: Decimal | int, unit: DeadlineUnit, periods: str
) -> None:
    calendar, timeline = timeline_for(periods)
    start = np.array([micros(s) for s in starts], dtype=np.int64)
    times = due_times(timeline, start, value, unit)
    expected = [domain_due(s, value, unit, calendar) for s in start.tolist()]
    assert pairs(times) == expected
