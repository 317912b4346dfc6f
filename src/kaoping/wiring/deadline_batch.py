"""Handling deadlines of many rows at once, with numpy: for every row exactly what
``kaoping.domain.deadlines.deadline`` gives (without holds), for the bulk import and the demo.

The working clock is laid out once as absolute intervals (``WorkingTimeline``): every working
period of every working day of the calendar's years, in microseconds since the epoch, with the
working time before each. A start's clock position is one ``searchsorted`` over the period ends;
the instant at a position one ``searchsorted`` over the running totals — the earliest such
instant, as in the domain, so a count that runs out with a period ends at 12:00 or 18:00, not when
the next period begins. 小时 add wall time; 自然日 add days on the local wall clock. A row whose
count needs a year the calendar lacks gets that year back (the domain's
``CalendarYearMissingError``) instead of a deadline, so the import can refuse just that row.

Local time comes from each day's UTC offset, one ``zoneinfo`` call per day; on a day whose offset
changes (daylight saving) each row asks ``zoneinfo`` itself. A working period that spans a clock
change is refused when the timeline is built: its wall-clock length would not be its real length.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from kaoping.domain.calendar import CalendarYearMissingError, WorkCalendar
from kaoping.domain.categories import DeadlineUnit
from kaoping.domain.deadlines import limit_span

Micros = NDArray[np.int64]  # microseconds since the epoch (UTC), or durations in microseconds
Years = NDArray[np.int64]
Limit = tuple[Decimal | int, DeadlineUnit]  # a category's 处置时限: value and unit

US_PER_SECOND = 1_000_000
_US_PER_DAY = 86_400 * US_PER_SECOND
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - a wall clock, read in the zone later
_FAR_FUTURE = 2**62  # µs: far beyond year 9999, and no instant minus it overflows
_DENSE_DAYS = 50_000  # rows spread over more days than this look offsets up per distinct day


@dataclass(frozen=True)
class DueTimes:
    """Per row: the due instant (µs since the epoch), the year the calendar lacks for it (0: none)
    and whether its category has a deadline at all. ``due`` means nothing where a year is missing
    or there is no limit."""

    due: Micros
    missing_year: Years
    limited: NDArray[np.bool_]

    @property
    def computed(self) -> NDArray[np.bool_]:
        computed: NDArray[np.bool_] = self.limited & (self.missing_year == 0)
        return computed

    def refusal(self, row: int) -> str:
        """The domain's Chinese message for a row whose count needs a year the calendar lacks."""
        return CalendarYearMissingError(int(self.missing_year[row])).message


def epoch_micros(seconds: NDArray[np.float64]) -> Micros:
    """Float seconds since the epoch to microseconds, rounded like ``datetime.fromtimestamp`` (the
    fraction alone, half to even), so every row agrees with the domain to the microsecond."""
    whole = np.trunc(seconds)
    fraction = np.round((seconds - whole) * US_PER_SECOND)
    micros: Micros = whole.astype(np.int64) * US_PER_SECOND + fraction.astype(np.int64)
    return micros


def epoch_seconds(micros: Micros) -> NDArray[np.float64]:
    """Microseconds since the epoch to float seconds, rounded as ``datetime.timestamp`` rounds."""
    seconds: NDArray[np.float64] = micros.astype(np.float64) / US_PER_SECOND
    return seconds


def due_times(timeline: WorkingTimeline, start: Micros, value: Decimal | int, unit: DeadlineUnit) -> DueTimes:
    """When steps started at ``start`` with a limit of ``value`` ``unit`` are due."""
    return due_times_by_limit(timeline, start, np.zeros(start.size, dtype=np.int64), [(value, unit)])


def due_times_by_limit(
    timeline: WorkingTimeline, start: Micros, group: NDArray[np.int64], limits: Sequence[Limit | None]
) -> DueTimes:
    """Rows whose limit is ``limits[group]`` (a category index and each category's 处置时限; None: no
    deadline). An invalid limit raises the domain's ``InvalidDeadlineError``."""
    due = np.zeros(start.size, dtype=np.int64)
    missing = np.zeros(start.size, dtype=np.int64)
    limited = np.zeros(start.size, dtype=bool)
    wall = timeline.zone.to_wall(start)  # once for all rows: offsets cost a zoneinfo call per day
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(len(limits) + 1))
    for g, limit in enumerate(limits):
        rows = order[bounds[g] : bounds[g + 1]]
        if limit is None or rows.size == 0:
            continue
        due[rows], missing[rows] = timeline.due(start[rows], wall[rows], *limit)
        limited[rows] = True
    return DueTimes(due, missing, limited)


_OffsetAt = Callable[[int], int]


class Zone:
    """UTC offsets of a time zone for many instants at once."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz

    def to_wall(self, at: Micros) -> Micros:
        """Local wall-clock microseconds (counted as if the wall clock were UTC) of UTC instants."""
        wall: Micros = at + self._offsets(at, self._utc_offset)
        return wall

    def to_utc(self, wall: Micros) -> Micros:
        """The instants of local wall times, read as ``datetime(..., tzinfo=tz)`` reads them (fold 0)."""
        at: Micros = wall - self._offsets(wall, self._wall_offset)
        return at

    def _offsets(self, at: Micros, offset_at: _OffsetAt) -> Micros:
        """Per row its day's offset where the day starts and ends on the same one, else its own."""
        if at.size == 0:
            return np.zeros(0, dtype=np.int64)
        days = at // _US_PER_DAY
        first, last = int(days.min()), int(days.max())
        if last - first < _DENSE_DAYS:
            distinct, index = np.arange(first, last + 1), days - first
        else:
            distinct, index = np.unique(days, return_inverse=True)
        starts = np.array([offset_at(d * _US_PER_DAY) for d in distinct.tolist()], dtype=np.int64)
        ends = np.array([offset_at((d + 1) * _US_PER_DAY) for d in distinct.tolist()], dtype=np.int64)
        offsets = starts[index]
        changing = np.flatnonzero(starts[index] != ends[index])
        offsets[changing] = [offset_at(t) for t in at[changing].tolist()]
        return offsets

    def _utc_offset(self, at_us: int) -> int:
        local = (_EPOCH + timedelta(microseconds=at_us)).astimezone(self.tz)
        return _micros(local.utcoffset() or timedelta(0))

    def _wall_offset(self, wall_us: int) -> int:
        wall = (_NAIVE_EPOCH + timedelta(microseconds=wall_us)).replace(tzinfo=self.tz)
        return _micros(wall.utcoffset() or timedelta(0))


@dataclass(frozen=True)
class WorkingTimeline:
    """A calendar's working clock in a time zone: its working periods as absolute intervals, each
    array with one period more at the end (opening far in the future) so lookups need no bounds."""

    calendar: WorkCalendar
    zone: Zone
    opens: Micros  # when each working period starts, µs since the epoch, in order
    closes: Micros  # when it ends
    before: Micros  # working time before it: the clock position at its start
    period_year: Years  # the year of its day
    years: Years  # the years the calendar holds data for, sorted
    first_missing: Years  # from the first known year to the one after the last: the first year
    # from it on that the calendar lacks
    first_midnight: int  # 00:00 of the calendar's first day, where the domain puts position 0

    @classmethod
    def build(cls, calendar: WorkCalendar, tz: tzinfo) -> WorkingTimeline:
        """Lay out every working period of the calendar's years (a few thousand of them)."""
        zone, years = Zone(tz), np.array(sorted(calendar.years), dtype=np.int64)
        days = np.array(_working_days(calendar), dtype=np.int64)[:, None] * _US_PER_DAY
        starts = np.array([_time_micros(p.start) for p in calendar.periods], dtype=np.int64)
        ends = np.array([_time_micros(p.end) for p in calendar.periods], dtype=np.int64)
        opens, closes = zone.to_utc((days + starts).ravel()), zone.to_utc((days + ends).ravel())
        _require_steady(opens, closes, np.tile(ends - starts, days.shape[0]))
        after = np.cumsum(closes - opens)
        day_years = (days[:, 0] // _US_PER_DAY).astype("datetime64[D]").astype("datetime64[Y]")
        first_year = int(years[0]) if years.size else 1970
        first_day = (date(first_year, 1, 1) - _NAIVE_EPOCH.date()).days * _US_PER_DAY
        return cls(
            calendar,
            zone,
            np.append(opens, _FAR_FUTURE),
            np.append(closes, _FAR_FUTURE),
            np.append(after - (closes - opens), after[-1:] if after.size else 0),
            np.append(np.repeat(day_years.astype(np.int64) + 1970, starts.size), 0),
            years,
            _first_missing(years),
            int(zone.to_utc(np.array([first_day], dtype=np.int64))[0]),
        )

    @property
    def total(self) -> int:
        """Working time of all the calendar's years."""
        return int(self.before[-1])

    def due(
        self, start: Micros, wall: Micros, value: Decimal | int, unit: DeadlineUnit
    ) -> tuple[Micros, Years]:
        """Due instants of starts (with their local wall times) and the year each lacks (0: none)."""
        span = _micros(limit_span(value, unit, self.calendar))
        if unit is DeadlineUnit.HOURS:
            return start + span, np.zeros(start.size, dtype=np.int64)
        if unit is DeadlineUnit.NATURAL_DAYS:
            # Days on the local wall clock: across a daylight saving change a day is 23 or 25 hours.
            return self.zone.to_utc(wall + span), np.zeros(start.size, dtype=np.int64)
        return self._working_due(start, _years_of(wall), span)

    def position(self, at: Micros) -> Micros:
        """Working time from the calendar's start up to ``at`` (instants inside its years)."""
        k = np.searchsorted(self.closes, at, side="right")
        position: Micros = self.before[k] + np.maximum(at - self.opens[k], 0)
        return position

    def instant(self, position: Micros) -> tuple[Micros, Years]:
        """The earliest instant at each position (0 up to the total) and the year of its day."""
        k = np.searchsorted(self.before[1:], position, side="left")
        counted = position > 0
        at: Micros = np.where(counted, self.opens[k] + position - self.before[k], self.first_midnight)
        year: Years = np.where(counted, self.period_year[k], self.years[0] if self.years.size else 0)
        return at, year

    def _working_due(self, start: Micros, year: Years, span: int) -> tuple[Micros, Years]:
        """As the domain counts: the start's year must have data, then every year up to the due
        one; a count beyond the calendar's last day needs the year after it."""
        known = np.isin(year, self.years)
        target = self.position(np.where(known, start, self.first_midnight)) + span
        beyond = target > self.total
        due, due_year = self.instant(np.where(beyond, 0, target))
        first_missing = self._first_missing_from(year)
        lacking = beyond | (first_missing <= due_year)
        missing: Years = np.where(known, np.where(lacking, first_missing, 0), year)
        return due, missing

    def _first_missing_from(self, year: Years) -> Years:
        """The first year from each one on that the calendar lacks (itself, if it lacks it)."""
        if not self.years.size:
            return year
        index = year - self.years[0]
        inside = (index >= 0) & (index < self.first_missing.size)
        lookup = self.first_missing[np.clip(index, 0, self.first_missing.size - 1)]
        found: Years = np.where(inside, lookup, year)
        return found


def _working_days(calendar: WorkCalendar) -> list[int]:
    """Working days of the calendar's years, as days since the epoch (years between them are rest)."""
    days = []
    for year in sorted(calendar.years):
        first = date(year, 1, 1)
        for offset in range((date(year + 1, 1, 1) - first).days):
            day = first + timedelta(days=offset)
            if calendar.is_workday(day):
                days.append((day - _NAIVE_EPOCH.date()).days)
    return days


def _first_missing(years: Years) -> Years:
    """Per year from the first known to the one after the last: the first year from it on without data."""
    if not years.size:
        return years
    span = np.arange(int(years[0]), int(years[-1]) + 2)
    lacking = np.where(np.isin(span, years), span.size, np.arange(span.size))
    first = np.minimum.accumulate(lacking[::-1])[::-1]
    found: Years = span[0] + first
    return found


def _require_steady(opens: Micros, closes: Micros, lengths: Micros) -> None:
    """Refuse periods whose wall-clock length is not their real length (a clock change inside)."""
    unsteady = np.flatnonzero(closes - opens != lengths)
    overlapping = np.flatnonzero(opens[1:] < closes[:-1]) + 1
    if unsteady.size or overlapping.size:
        first = min(unsteady.min(initial=opens.size), overlapping.min(initial=opens.size))
        at = _EPOCH + timedelta(microseconds=int(opens[first]))
        raise ValueError(f"a working period around {at.isoformat()} spans a clock change")


def _years_of(wall: Micros) -> Years:
    years: Years = wall.astype("datetime64[us]").astype("datetime64[Y]").astype(np.int64) + 1970
    return years


def _time_micros(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * US_PER_SECOND + value.microsecond


def _micros(value: timedelta) -> int:
    return (value.days * 86_400 + value.seconds) * US_PER_SECOND + value.microseconds
