"""The working calendar (工作日历): which days are working days and when a working day works.

A calendar is data: day overrides (法定节假日 and 调休上班 make-up working days, each with a note)
over a default rule (Monday–Friday work, Saturday and Sunday rest), the years it holds data for,
and the working periods of a working day. A day in a year without data is refused
(``CalendarYearMissingError``): silently treating an unknown Spring Festival as working days would
make every deadline of that week wrong.

Working time is measured on a *working clock*: the working time elapsed from the first day of the
calendar's first year up to an instant, counted on the local wall clock of the business timezone.
Differences of positions are elapsed working time; the earliest instant at a position turns
working time back into a time. Deadline rules on top of the clock live in ``deadlines.py``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from functools import cached_property

from kaoping.domain.errors import KaopingError

_US_PER_SECOND = 1_000_000
_US_PER_DAY = 86_400 * _US_PER_SECOND
WEEKDAYS_ZH = ("一", "二", "三", "四", "五", "六", "日")


class DayKind(StrEnum):
    WORKDAY = "workday"  # 工作日 (incl. 调休上班 on a weekend)
    HOLIDAY = "holiday"  # 休息日 (法定节假日, or a weekday the city gives off)


class CalendarYearMissingError(KaopingError):
    """A date in a year the calendar holds no holiday data for."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"工作日历缺少 {year} 年的节假日数据, 请先导入 (kaoping calendar seed --year {year}) "
            f"或逐日录入 (kaoping calendar set … --new-year); 在此之前无法计算工作时限"
        )
        self.year = year


class NewCalendarYearError(KaopingError):
    """Setting one day of a year that has no data would make the rest of it Monday–Friday work."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"工作日历还没有 {year} 年的数据: 只录入这一天, {year} 年其他节假日都会被当作工作日. "
            f"请先导入 (kaoping calendar seed --year {year}); 若节假日库没有该年, "
            f"确认将逐日录入 {year} 年全部节假日与调休上班日后, 加 --new-year 重试"
        )
        self.year = year


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """One day that differs from, or is named beyond, the default rule; ``note`` says why (国庆节)."""

    day: date
    kind: DayKind
    note: str = ""


@dataclass(frozen=True, slots=True, order=True)
class WorkPeriod:
    """A working period of a working day, local wall clock, ``start`` < ``end``."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start >= self.end:
            raise ValueError(f"work period must start before it ends: {self.start}–{self.end}")

    @property
    def length(self) -> timedelta:
        return timedelta(microseconds=_time_us(self.end) - _time_us(self.start))

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


# 8 working hours a day, so 1 工作日 = 8 工作时 as deadline tables count it; a city with other
# office hours (夏季作息 etc.) passes its own periods.
DEFAULT_WORK_PERIODS = (WorkPeriod(time(8), time(12)), WorkPeriod(time(14), time(18)))


def parse_work_periods(text: str) -> tuple[WorkPeriod, ...]:
    """Read ``08:00-12:00,14:00-18:00`` (the form configuration and the CLI use)."""
    periods = []
    for part in text.replace("，", ",").split(","):
        start, sep, end = part.strip().partition("-")
        if not sep:
            raise ValueError(f"work period {part!r} is not HH:MM-HH:MM")
        periods.append(WorkPeriod(time.fromisoformat(start.strip()), time.fromisoformat(end.strip())))
    return tuple(periods)


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and working periods; ``days`` overrides the Monday–Friday rule in ``years``."""

    days: Mapping[date, CalendarDay]
    years: frozenset[int]
    periods: tuple[WorkPeriod, ...] = DEFAULT_WORK_PERIODS

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("a working day needs at least one work period")
        for before, after in zip(self.periods, self.periods[1:], strict=False):
            if before.end > after.start:
                raise ValueError(f"work periods must be in order and not overlap: {before}, {after}")
        strays = sorted({d.year for d in self.days} - self.years)
        if strays:
            raise ValueError(f"calendar days in years it does not declare: {strays}")

    @classmethod
    def from_days(
        cls,
        days: Iterable[CalendarDay],
        years: Iterable[int] | None = None,
        periods: tuple[WorkPeriod, ...] = DEFAULT_WORK_PERIODS,
    ) -> WorkCalendar:
        """A calendar of these days; its years are the days' years unless given."""
        by_day = {d.day: d for d in days}
        known = frozenset(years) if years is not None else frozenset(d.year for d in by_day)
        return cls(by_day, known, periods)

    def has_year(self, year: int) -> bool:
        return year in self.years

    def require_years(self, first: int, last: int) -> None:
        """Raise for the first year from ``first`` to ``last`` that has no data."""
        for year in range(first, last + 1):
            if year not in self.years:
                raise CalendarYearMissingError(year)

    def describe(self, day: date) -> CalendarDay:
        """The day as the calendar sees it: its override, or the default rule (note 周末 for rest)."""
        self.require_years(day.year, day.year)
        if (override := self.days.get(day)) is not None:
            return override
        if day.weekday() >= 5:
            return CalendarDay(day, DayKind.HOLIDAY, "周末")
        return CalendarDay(day, DayKind.WORKDAY)

    def is_workday(self, day: date) -> bool:
        return self.describe(day).kind is DayKind.WORKDAY

    def periods_on(self, day: date) -> tuple[WorkPeriod, ...]:
        return self.periods if self.is_workday(day) else ()

    @cached_property
    def day_length(self) -> timedelta:
        """Working time of one working day (8 h by default)."""
        return sum((p.length for p in self.periods), timedelta())

    def position(self, at: datetime, tz: tzinfo) -> timedelta:
        """Working time from the calendar's start up to ``at`` (the working clock)."""
        local = _local(at, tz)
        self.require_years(local.year, local.year)
        return timedelta(microseconds=self._clock.position(local.date(), _time_us(local.time())))

    def instant(self, position: timedelta, tz: tzinfo, since: date) -> datetime:
        """The earliest instant at which the working clock shows ``position``.

        ``since`` is the day counting started; every year from it to the answer must have data,
        so a count that runs into a year without data is refused rather than skipping it.
        """
        day, time_us = self._clock.instant(_timedelta_us(position), self, since)
        self.require_years(since.year, day.year)
        return datetime.combine(day, _us_time(time_us), tz)

    @cached_property
    def _clock(self) -> _Clock:
        return _Clock.build(self)


@dataclass(frozen=True, slots=True)
class _Clock:
    """Cumulative working time per day over the calendar's span, in microseconds."""

    first: date
    starts: tuple[int, ...]  # working time before each day
    ends: tuple[int, ...]  # working time up to the end of each day
    working: tuple[bool, ...]
    periods_us: tuple[tuple[int, int], ...]

    @classmethod
    def build(cls, calendar: WorkCalendar) -> _Clock:
        if not calendar.years:
            return cls(date(1970, 1, 1), (), (), (), ())
        first, last = date(min(calendar.years), 1, 1), date(max(calendar.years), 12, 31)
        length = _timedelta_us(calendar.day_length)
        starts, ends, working, total = [], [], [], 0
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            # Days of a year without data inside the span count as rest; crossing such a year is
            # refused by the callers' year checks, never silently skipped.
            works = day.year in calendar.years and calendar.is_workday(day)
            starts.append(total)
            total += length if works else 0
            ends.append(total)
            working.append(works)
        periods = tuple((_time_us(p.start), _time_us(p.end)) for p in calendar.periods)
        return cls(first, tuple(starts), tuple(ends), tuple(working), periods)

    def position(self, day: date, time_us: int) -> int:
        index = (day - self.first).days
        if not self.working[index]:
            return self.starts[index]
        return self.starts[index] + sum(max(0, min(time_us, end) - start) for start, end in self.periods_us)

    def instant(self, position: int, calendar: WorkCalendar, since: date) -> tuple[date, int]:
        if not self.ends or position > self.ends[-1]:
            calendar.require_years(since.year, max(calendar.years, default=since.year) + 1)
        index = bisect_left(self.ends, position)
        day = self.first + timedelta(days=index)
        left = position - self.starts[index]
        if left <= 0:  # only at the very start of the span
            return day, 0
        for start, end in self.periods_us:
            if left <= end - start:
                return day, start + left
            left -= end - start
        raise AssertionError("unreachable: a day's periods hold its whole working time")


def _local(at: datetime, tz: tzinfo) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: calendar arithmetic needs timezone-aware times")
    return at.astimezone(tz)


def _time_us(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * _US_PER_SECOND + value.microsecond


def _us_time(value: int) -> time:
    if value >= _US_PER_DAY:  # a period cannot end after midnight, so this is only a guard
        raise ValueError(f"time of day out of range: {value} µs")
    seconds, micro = divmod(value, _US_PER_SECOND)
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60, micro)


def _timedelta_us(value: timedelta) -> int:
    return (value.days * 86_400 + value.seconds) * _US_PER_SECOND + value.microseconds
