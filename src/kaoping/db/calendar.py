"""The working calendar table: read it as a ``WorkCalendar``, seed a year, set one day.

The table is what deadlines are computed on. Seeding copies the library's holidays and make-up
working days for a year; a day set by hand (``source = 'manual'``, a city's own decision) is never
overwritten by a later seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Connection, and_, delete, insert, select

from kaoping.db.tables import calendar_day
from kaoping.domain.calendar import (
    DEFAULT_WORK_PERIODS,
    CalendarDay,
    DayKind,
    NewCalendarYearError,
    WorkCalendar,
    WorkPeriod,
)

MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class StoredDay:
    day: CalendarDay
    source: str  # "manual" or the library it was seeded from


@dataclass(frozen=True, slots=True)
class SeedResult:
    year: int
    written: int  # days written from the library
    kept: int  # days left as a city set them by hand


def load_calendar(conn: Connection, periods: tuple[WorkPeriod, ...] = DEFAULT_WORK_PERIODS) -> WorkCalendar:
    """The calendar in the table; its years are those with at least one row."""
    return WorkCalendar.from_days((stored.day for stored in list_days(conn)), periods=periods)


def list_days(conn: Connection, first: date | None = None, last: date | None = None) -> list[StoredDay]:
    """Stored days from ``first`` to ``last`` (inclusive; open ends when None), in date order."""
    query = select(calendar_day).order_by(calendar_day.c.day)
    if first is not None:
        query = query.where(calendar_day.c.day >= first)
    if last is not None:
        query = query.where(calendar_day.c.day <= last)
    return [
        StoredDay(CalendarDay(row.day, DayKind(row.kind), row.note), row.source)
        for row in conn.execute(query)
    ]


def known_years(conn: Connection) -> list[int]:
    return sorted({row.day.year for row in conn.execute(select(calendar_day.c.day))})


def has_year(conn: Connection, year: int) -> bool:
    query = select(calendar_day.c.day).where(_in_year(year)).limit(1)
    return conn.execute(query).first() is not None


def seed_year(conn: Connection, year: int, days: Sequence[CalendarDay], source: str) -> SeedResult:
    """Replace the seeded days of ``year`` with ``days``; days set by hand stay as they are."""
    if any(d.day.year != year for d in days):
        raise ValueError(f"days outside {year} in its seed")
    in_year = _in_year(year)
    conn.execute(delete(calendar_day).where(in_year, calendar_day.c.source != MANUAL))
    manual = {row.day for row in conn.execute(select(calendar_day.c.day).where(in_year))}
    rows = [_row(d, source) for d in days if d.day not in manual]
    if rows:
        conn.execute(insert(calendar_day), rows)
    return SeedResult(year, len(rows), len(manual))


def set_day(conn: Connection, day: CalendarDay, *, new_year: bool = False) -> None:
    """Make ``day`` a working day or a rest day by hand; it then outlives any re-seeding.

    The first day of a year without data is refused unless ``new_year``: from then on the year
    counts as known, and every day not entered would silently follow the Monday–Friday rule.
    """
    if not new_year and not has_year(conn, day.day.year):
        raise NewCalendarYearError(day.day.year)
    conn.execute(delete(calendar_day).where(calendar_day.c.day == day.day))
    conn.execute(insert(calendar_day), [_row(day, MANUAL)])


def _in_year(year: int) -> ColumnElement[bool]:
    return and_(calendar_day.c.day >= date(year, 1, 1), calendar_day.c.day <= date(year, 12, 31))


def _row(day: CalendarDay, source: str) -> dict[str, object]:
    return {"day": day.day, "kind": day.kind.value, "note": day.note, "source": source}
