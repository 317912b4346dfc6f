"""Chinese public holidays and make-up working days (调休) from the maintained library.

``chinesecalendar`` (``import chinese_calendar``) follows the State Council's yearly notice; this
module turns one year of it into calendar days with Chinese notes. The database table is what
deadlines are computed on (a city may change a day, and the library does not know the years after
its last release): ``kaoping calendar seed --year`` copies a year from here into it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import chinese_calendar

from kaoping.domain.calendar import DEFAULT_WORK_PERIODS, CalendarDay, DayKind, WorkCalendar, WorkPeriod
from kaoping.domain.errors import KaopingError

LIBRARY = f"chinesecalendar {chinese_calendar.__version__}"
FIRST_YEAR = min(chinese_calendar.holidays).year
LAST_YEAR = max(chinese_calendar.holidays).year
MAKE_UP = "调休上班"
IN_LIEU = "调休"


class HolidayDataUnavailableError(KaopingError):
    """The library has no holiday data for a year (before its first or after its last release)."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"节假日库 {LIBRARY} 只含 {FIRST_YEAR}–{LAST_YEAR} 年的数据, 没有 {year} 年; "
            f"请按国务院办公厅的放假通知, 用 `kaoping calendar set 日期 --holiday|--workday --new-year` "
            f"逐日录入 {year} 年的节假日与调休上班日"
        )
        self.year = year


def library_years() -> range:
    return range(FIRST_YEAR, LAST_YEAR + 1)


def holiday_days(year: int) -> list[CalendarDay]:
    """Every day of ``year`` the library names: holidays (春节, 国庆节 …) and make-up working days."""
    if year not in library_years():
        raise HolidayDataUnavailableError(year)
    named = {d: False for d in chinese_calendar.holidays if d.year == year}
    named.update({d: True for d in chinese_calendar.workdays if d.year == year})
    return [_calendar_day(day, works) for day, works in sorted(named.items())]


def library_calendar(
    years: Iterable[int], periods: tuple[WorkPeriod, ...] = DEFAULT_WORK_PERIODS
) -> WorkCalendar:
    """A calendar straight from the library (tests and previews; deadlines use the table)."""
    wanted = sorted(set(years))
    return WorkCalendar.from_days((d for y in wanted for d in holiday_days(y)), wanted, periods)


def _calendar_day(day: date, works: bool) -> CalendarDay:
    is_rest, english = chinese_calendar.get_holiday_detail(day)
    if is_rest == works:  # the library's own answer disagrees with its tables: a broken release
        raise ValueError(f"{LIBRARY} is inconsistent on {day}")
    name = _chinese_name(english)
    if works:
        return CalendarDay(day, DayKind.WORKDAY, f"{name}{MAKE_UP}")
    lieu = f" ({IN_LIEU})" if chinese_calendar.is_in_lieu(day) else ""
    return CalendarDay(day, DayKind.HOLIDAY, f"{name}{lieu}")


def _chinese_name(english: str | None) -> str:
    try:
        return str(chinese_calendar.Holiday(english).chinese)
    except ValueError:  # a holiday this module has never seen: keep the library's own name
        return english or ""
