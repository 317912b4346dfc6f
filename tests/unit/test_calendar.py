"""The working calendar and deadlines, on real holidays from the calendar library.

Working periods are the default 08:00–12:00 and 14:00–18:00 (8 working hours a day) unless a test
says otherwise. Every holiday fact the deadlines rely on is first checked against the library.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaoping.domain.calendar import (
    CalendarDay,
    CalendarYearMissingError,
    DayKind,
    WorkCalendar,
    WorkPeriod,
    parse_work_periods,
)
from kaoping.domain.categories import DeadlineUnit
from kaoping.domain.deadlines import (
    InvalidDeadlineError,
    TimerLight,
    deadline,
    elapsed,
    elapsed_working,
    limit_span,
    step_timer,
    timer_light,
)
from kaoping.io.holidays import HolidayDataUnavailableError, holiday_days, library_calendar

TZ = ZoneInfo("Asia/Shanghai")
CAL = library_calendar(range(2020, 2027))
WORK_HOURS, WORK_DAYS = DeadlineUnit.WORK_HOURS, DeadlineUnit.WORK_DAYS
HOURS, NATURAL_DAYS = DeadlineUnit.HOURS, DeadlineUnit.NATURAL_DAYS


def at(y: int, m: int, d: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=TZ)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def due(start: datetime, value: int | Decimal, unit: DeadlineUnit, **kw: object) -> datetime:
    return deadline(start, value, unit, CAL, TZ, **kw)  # type: ignore[arg-type]


# --- the holidays themselves, as the library has them ------------------------------------------


@pytest.mark.parametrize(
    ("off", "make_up", "named"),
    [
        ((date(2021, 2, 11), date(2021, 2, 17)), [date(2021, 2, 7), date(2021, 2, 20)], "春节"),
        ((date(2025, 1, 28), date(2025, 2, 4)), [date(2025, 1, 26), date(2025, 2, 8)], "春节"),
        ((date(2021, 10, 1), date(2021, 10, 7)), [date(2021, 9, 26), date(2021, 10, 9)], "国庆节"),
        ((date(2025, 10, 1), date(2025, 10, 8)), [date(2025, 9, 28), date(2025, 10, 11)], "国庆节"),
    ],
)
def test_the_library_knows_each_holiday_week_and_its_make_up_working_days(
    off: tuple[date, date], make_up: list[date], named: str
) -> None:
    assert not any(CAL.is_workday(d) for d in days(*off))
    assert CAL.is_workday(off[0] - timedelta(days=1)) or off[0].weekday() == 0
    assert all(CAL.is_workday(d) and d.weekday() >= 5 for d in make_up)
    assert [CAL.describe(d).note for d in make_up] == [f"{named}调休上班"] * 2
    assert CAL.describe(off[0]).note == named


def test_a_weekday_inside_a_holiday_made_up_for_by_a_weekend_says_so() -> None:
    assert CAL.describe(date(2025, 2, 3)).note == "春节 (调休)"  # Monday, made up on 01-26
    assert CAL.describe(date(2025, 10, 6)).note == "中秋"  # Mid-Autumn inside the National Day week
    assert CAL.describe(date(2025, 10, 12)) == CalendarDay(date(2025, 10, 12), DayKind.HOLIDAY, "周末")


def test_the_library_refuses_years_it_has_no_data_for() -> None:
    for year in (2003, 2027):
        with pytest.raises(HolidayDataUnavailableError, match=f"没有 {year} 年"):
            holiday_days(year)


# --- work hours and work days across holidays ----------------------------------------------------


@pytest.mark.parametrize(
    ("start", "value", "unit", "expected"),
    [
        # 2021 Spring Festival: off Thu 02-11 … Wed 02-17; make-up Sun 02-07 and Sat 02-20.
        (at(2021, 2, 10, 16), 4, WORK_HOURS, at(2021, 2, 18, 10)),
        (at(2021, 2, 10, 16), 2, WORK_DAYS, at(2021, 2, 19, 16)),
        (at(2021, 2, 19, 16), 2, WORK_DAYS, at(2021, 2, 22, 16)),  # through make-up Saturday 02-20
        (at(2021, 2, 20, 9), 4, WORK_HOURS, at(2021, 2, 20, 15)),  # start on the make-up Saturday
        (at(2021, 2, 7, 17), 1, WORK_DAYS, at(2021, 2, 8, 17)),  # start on the make-up Sunday
        (at(2021, 2, 13, 10), 1, WORK_DAYS, at(2021, 2, 18, 18)),  # inside the holiday
        # 2025 Spring Festival: off Tue 01-28 … Tue 02-04; make-up Sun 01-26 and Sat 02-08.
        (at(2025, 1, 27, 18), 2, WORK_HOURS, at(2025, 2, 5, 10)),  # at the end of a working day
        (at(2025, 1, 27, 18), 1, WORK_DAYS, at(2025, 2, 5, 18)),
        (at(2025, 1, 26, 16), 2, WORK_DAYS, at(2025, 2, 5, 16)),  # make-up Sunday
        (at(2025, 1, 30, 10), 4, WORK_HOURS, at(2025, 2, 5, 12)),  # inside the holiday
        (at(2025, 2, 7, 16), 1, WORK_DAYS, at(2025, 2, 8, 16)),  # into the make-up Saturday
        (at(2025, 2, 8, 7), 1, WORK_DAYS, at(2025, 2, 8, 18)),  # before the first period
        # 2021 National Day: off 10-01 … 10-07; make-up Sun 09-26 and Sat 10-09.
        (at(2021, 9, 30, 16), 2, WORK_DAYS, at(2021, 10, 9, 16)),
        (at(2021, 9, 26, 10), 8, WORK_HOURS, at(2021, 9, 27, 10)),
        (at(2021, 9, 30, 17), 3, WORK_HOURS, at(2021, 10, 8, 10)),
        # 2025 National Day: off 10-01 … 10-08; make-up Sun 09-28 and Sat 10-11.
        (at(2025, 9, 30, 16), 2, WORK_DAYS, at(2025, 10, 10, 16)),
        (at(2025, 9, 30, 16), 3, WORK_DAYS, at(2025, 10, 11, 16)),
        (at(2025, 9, 30, 16), 4, WORK_DAYS, at(2025, 10, 13, 16)),
        (at(2025, 9, 28, 7, 30), 12, WORK_HOURS, at(2025, 9, 29, 12)),
        (at(2025, 10, 3, 9), Decimal("1.5"), WORK_HOURS, at(2025, 10, 9, 9, 30)),
    ],
)
def test_working_deadlines_skip_holidays_and_count_make_up_days(
    start: datetime, value: int | Decimal, unit: DeadlineUnit, expected: datetime
) -> None:
    assert due(start, value, unit) == expected


def test_wall_clock_units_run_straight_through_a_holiday() -> None:
    assert due(at(2025, 9, 30, 16), 48, HOURS) == at(2025, 10, 2, 16)
    assert due(at(2025, 9, 30, 16), 3, NATURAL_DAYS) == at(2025, 10, 3, 16)
    assert due(at(2025, 9, 30, 16), Decimal("0.5"), NATURAL_DAYS) == at(2025, 10, 1, 4)


def test_a_count_that_runs_out_with_the_working_day_ends_at_its_close_not_the_next_morning() -> None:
    assert due(at(2025, 10, 9, 14), 4, WORK_HOURS) == at(2025, 10, 9, 18)
    assert due(at(2025, 10, 9, 8), 1, WORK_DAYS) == at(2025, 10, 9, 18)
    assert due(at(2025, 10, 10, 19), 1, WORK_DAYS) == at(2025, 10, 11, 18)  # Friday evening


def test_a_start_in_the_lunch_break_counts_from_the_afternoon() -> None:
    assert due(at(2025, 10, 9, 12, 30), 1, WORK_HOURS) == at(2025, 10, 9, 15)


def test_a_working_day_is_the_working_time_of_one_day_of_the_calendar() -> None:
    short = WorkCalendar(CAL.days, CAL.years, parse_work_periods("08:30-12:00, 13:30-17:30"))
    assert short.day_length == timedelta(hours=7, minutes=30)
    assert limit_span(2, WORK_DAYS, short) == timedelta(hours=15)
    assert deadline(at(2025, 9, 30, 9), 1, WORK_DAYS, short, TZ) == at(2025, 10, 9, 9)
    assert deadline(at(2025, 9, 30, 9), Decimal("7.5"), WORK_HOURS, short, TZ) == at(2025, 10, 9, 9)


def test_a_deadline_in_another_timezone_is_counted_on_the_business_clock() -> None:
    utc_start = at(2025, 9, 30, 16).astimezone(ZoneInfo("UTC"))
    assert due(utc_start, 2, WORK_DAYS) == at(2025, 10, 10, 16)


# --- holds: the clock pauses -----------------------------------------------------------------------


def test_a_hold_spanning_a_holiday_pushes_the_deadline_by_the_held_working_time() -> None:
    start = at(2025, 9, 29, 10)  # Monday before National Day; 3 工作日 = 24 working hours
    hold = (at(2025, 9, 30, 10), at(2025, 10, 10, 10))  # 6 h + holiday + 8 h + 2 h = 16 h held
    assert due(start, 3, WORK_DAYS) == at(2025, 10, 10, 10)
    pushed = due(start, 3, WORK_DAYS, holds=[hold])
    assert pushed == at(2025, 10, 13, 10)  # 6 h on Friday 10-10, 8 h on make-up Saturday, 2 h Monday
    assert elapsed_working(start, pushed, CAL, TZ, holds=[hold]) == timedelta(hours=24)
    assert elapsed_working(start, pushed, CAL, TZ) == timedelta(hours=40)


def test_overlapping_holds_count_once_and_holds_outside_the_step_count_not_at_all() -> None:
    start = at(2025, 10, 9, 8)
    holds = [
        (at(2025, 10, 9, 9), at(2025, 10, 9, 11)),
        (at(2025, 10, 9, 10), at(2025, 10, 9, 12)),  # overlaps the first: 09–12 held, 3 h
        (at(2025, 10, 8, 9), at(2025, 10, 9, 8)),  # before the start
        (at(2025, 10, 20, 9), at(2025, 10, 21, 9)),  # after the deadline
    ]
    assert due(start, 4, WORK_HOURS, holds=holds) == at(2025, 10, 9, 17)
    assert elapsed_working(start, at(2025, 10, 9, 17), CAL, TZ, holds) == timedelta(hours=4)


def test_a_hold_that_starts_when_the_limit_is_used_up_does_not_move_the_deadline() -> None:
    start = at(2025, 10, 9, 8)
    assert due(start, 4, WORK_HOURS, holds=[(at(2025, 10, 9, 12), at(2025, 10, 10, 12))]) == at(
        2025, 10, 9, 12
    )


def test_a_hold_on_a_wall_clock_limit_pushes_it_by_wall_time() -> None:
    start = at(2025, 10, 1, 8)
    hold = (at(2025, 10, 1, 9), at(2025, 10, 1, 21))
    assert due(start, 2, HOURS, holds=[hold]) == at(2025, 10, 1, 22)
    assert elapsed(start, at(2025, 10, 1, 22), HOURS, CAL, TZ, [hold]) == timedelta(hours=2)


def test_a_hold_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        due(at(2025, 10, 9, 8), 4, WORK_HOURS, holds=[(at(2025, 10, 9, 12), at(2025, 10, 9, 9))])


# --- step timers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("used", "light"),
    [
        (timedelta(0), TimerLight.GREEN),
        (timedelta(hours=7, minutes=59, seconds=59), TimerLight.GREEN),
        (timedelta(hours=8), TimerLight.YELLOW),  # exactly 80 %
        (timedelta(hours=10), TimerLight.YELLOW),  # exactly 100 %
        (timedelta(hours=10, microseconds=1), TimerLight.RED),
    ],
)
def test_the_timer_light_is_green_below_80_percent_yellow_to_100_and_red_beyond(
    used: timedelta, light: TimerLight
) -> None:
    assert timer_light(used, timedelta(hours=10)) is light


def test_a_timer_without_a_positive_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        timer_light(timedelta(hours=1), timedelta(0))


def test_a_step_timer_counts_working_time_and_turns_red_once_the_deadline_passes() -> None:
    start = at(2025, 9, 30, 16)  # 4 工作时 → due Thursday 10-09 10:00
    during_holiday = step_timer(start, at(2025, 10, 5, 12), 4, WORK_HOURS, CAL, TZ)
    assert (during_holiday.deadline, during_holiday.elapsed) == (at(2025, 10, 9, 10), timedelta(hours=2))
    assert during_holiday.light is TimerLight.GREEN
    assert during_holiday.remaining == timedelta(hours=2)
    assert step_timer(start, at(2025, 10, 9, 9, 12), 4, WORK_HOURS, CAL, TZ).light is TimerLight.YELLOW
    assert step_timer(start, at(2025, 10, 9, 10), 4, WORK_HOURS, CAL, TZ).light is TimerLight.YELLOW
    assert step_timer(start, at(2025, 10, 9, 10, 1), 4, WORK_HOURS, CAL, TZ).light is TimerLight.RED


def test_a_step_past_its_deadline_is_red_even_when_no_working_time_has_passed_since() -> None:
    timer = step_timer(at(2025, 10, 9, 14), at(2025, 10, 9, 20), 4, WORK_HOURS, CAL, TZ)
    assert (timer.elapsed, timer.limit, timer.light) == (
        timedelta(hours=4),
        timedelta(hours=4),
        TimerLight.RED,
    )


def test_a_step_on_hold_keeps_its_timer_still() -> None:
    start, hold = at(2025, 10, 9, 8), (at(2025, 10, 9, 9), at(2025, 10, 13, 8))
    timer = step_timer(start, at(2025, 10, 13, 8), 4, WORK_HOURS, CAL, TZ, holds=[hold])
    assert (timer.elapsed, timer.light, timer.deadline) == (
        timedelta(hours=1),
        TimerLight.GREEN,
        at(2025, 10, 13, 11),
    )


# --- refusals ---------------------------------------------------------------------------------------------


def test_a_year_without_holiday_data_is_refused_rather_than_treated_as_working_days() -> None:
    only_2025 = library_calendar([2025])
    with pytest.raises(CalendarYearMissingError, match="工作日历缺少 2026 年的节假日数据") as err:
        deadline(at(2025, 12, 31, 16), 2, WORK_DAYS, only_2025, TZ)
    assert err.value.year == 2026
    with pytest.raises(CalendarYearMissingError, match="2027"):
        CAL.is_workday(date(2027, 1, 4))
    with pytest.raises(CalendarYearMissingError, match="2024"):
        elapsed_working(at(2024, 12, 31, 9), at(2025, 1, 2, 9), only_2025, TZ)


def test_a_count_across_a_year_without_data_is_refused_even_when_later_years_have_data() -> None:
    gap = library_calendar([2021, 2025])
    with pytest.raises(CalendarYearMissingError, match="2022"):
        elapsed_working(at(2021, 12, 1, 9), at(2025, 1, 2, 9), gap, TZ)
    with pytest.raises(CalendarYearMissingError, match="2022"):
        deadline(at(2021, 12, 31, 9), 3, WORK_DAYS, gap, TZ)


def test_wall_clock_deadlines_need_no_holiday_data() -> None:
    empty = WorkCalendar.from_days([])
    assert deadline(at(2030, 1, 1, 9), 2, HOURS, empty, TZ) == at(2030, 1, 1, 11)
    assert deadline(at(2030, 1, 1, 9), 2, NATURAL_DAYS, empty, TZ) == at(2030, 1, 3, 9)


@pytest.mark.parametrize("value", [0, -1, Decimal("-0.5"), True])
def test_a_limit_that_is_not_a_positive_number_is_refused(value: int | Decimal) -> None:
    with pytest.raises(InvalidDeadlineError, match="大于 0"):
        due(at(2025, 10, 9, 8), value, WORK_HOURS)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        due(datetime(2025, 10, 9, 8), 1, WORK_HOURS)
    with pytest.raises(ValueError, match="naive"):
        due(datetime(2025, 10, 9, 8), 1, HOURS)


def test_work_periods_must_be_in_order_and_not_overlap() -> None:
    with pytest.raises(ValueError, match="overlap"):
        WorkCalendar.from_days([], [2025], parse_work_periods("08:00-12:00,11:00-18:00"))
    with pytest.raises(ValueError, match="start before it ends"):
        WorkPeriod(time(12), time(8))
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        parse_work_periods("08:00")


def test_a_day_outside_the_declared_years_is_refused() -> None:
    with pytest.raises(ValueError, match="does not declare"):
        WorkCalendar.from_days([CalendarDay(date(2025, 10, 1), DayKind.HOLIDAY)], [2024])


# --- properties -----------------------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2026, 6, 30), timezones=st.just(TZ)
).map(lambda d: d.replace(second=0, microsecond=0))
work_minutes = st.integers(min_value=1, max_value=400 * 60)  # up to 50 working days
unit_minutes = st.integers(min_value=1, max_value=60 * 60)  # up to 60 of any unit


@settings(max_examples=300, deadline=None)
@given(start=starts, minutes=unit_minutes, unit=st.sampled_from(list(DeadlineUnit)))
def test_a_deadline_is_never_before_its_start(start: datetime, minutes: int, unit: DeadlineUnit) -> None:
    assert due(start, Decimal(minutes) / 60, unit) > start


@settings(max_examples=300, deadline=None)
@given(start=starts, first=work_minutes, second=work_minutes)
def test_adding_working_time_is_monotonic(start: datetime, first: int, second: int) -> None:
    low, high = sorted((first, second))
    assert due(start, Decimal(low) / 60, WORK_HOURS) <= due(start, Decimal(high) / 60, WORK_HOURS)
    later = start + timedelta(minutes=low)
    assert due(start, Decimal(high) / 60, WORK_HOURS) <= due(later, Decimal(high) / 60, WORK_HOURS)


@settings(max_examples=300, deadline=None)
@given(start=starts, minutes=work_minutes)
def test_the_working_time_up_to_a_deadline_is_its_limit(start: datetime, minutes: int) -> None:
    end = due(start, Decimal(minutes) / 60, WORK_HOURS)
    assert elapsed_working(start, end, CAL, TZ) == timedelta(minutes=minutes)
    # and it is the earliest such instant: a microsecond before, the limit is not yet used up
    assert elapsed_working(start, end - timedelta(microseconds=1), CAL, TZ) < timedelta(minutes=minutes)


@settings(max_examples=200, deadline=None)
@given(start=starts, days_=st.integers(min_value=1, max_value=30))
def test_n_working_days_are_n_times_the_working_day(start: datetime, days_: int) -> None:
    assert due(start, days_, WORK_DAYS) == due(start, days_ * 8, WORK_HOURS)


@settings(max_examples=200, deadline=None)
@given(
    start=starts,
    minutes=work_minutes,
    holds=st.lists(st.tuples(st.integers(0, 60 * 24 * 60), st.integers(1, 60 * 24 * 20)), max_size=4),
)
def test_the_working_time_up_to_a_deadline_with_holds_is_its_limit(
    start: datetime, minutes: int, holds: list[tuple[int, int]]
) -> None:
    spans = [(start + timedelta(minutes=a), start + timedelta(minutes=a + b)) for a, b in holds]
    end = due(start, Decimal(minutes) / 60, WORK_HOURS, holds=spans)
    assert end >= due(start, Decimal(minutes) / 60, WORK_HOURS)
    assert elapsed_working(start, end, CAL, TZ, spans) == timedelta(minutes=minutes)
