"""Deadlines (处置时限) and step timers on the working calendar, domain.md §6.5, §7.3, §10.2.

Units (``DeadlineUnit``):

- 小时 ``hours`` and 自然日 ``natural_days`` run on the wall clock: N hours of real time; N natural
  days end at the same local clock time N calendar days later, holidays included.
- 工作时 ``work_hours`` counts only the working periods of working days (default 08:00–12:00 and
  14:00–18:00): 4 工作时 from Friday 16:00 end on Monday 10:00.
- 工作日 ``work_days``: N working days end at the same working-clock position N working days
  later — from Tuesday 16:00, 2 工作日 end on Thursday 16:00. A start outside working time (before
  the first period, in the lunch break, after work, on a rest day) counts from the next working
  instant, so 1 工作日 from Monday 07:00, Friday 19:00 or a holiday ends when the next full working
  day closes (Monday 18:00, Monday 18:00, the first day back at 18:00). With every working day the
  same length this is N × 8 工作时.

A deadline is the *earliest* instant at which the limit is used up, so a count that runs out with
a working day ends at 18:00 that day, not at 08:00 the next one. The clock pauses while a case is
on approved hold (挂账/缓办): time inside holds is not counted, which pushes the deadline back by
the held time on the unit's clock (working time for working units, wall time for the others).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from kaoping.domain.calendar import WorkCalendar
from kaoping.domain.categories import DeadlineUnit
from kaoping.domain.errors import KaopingError

Hold = tuple[datetime, datetime]  # [from, to) of an approved hold
WORKING_UNITS = frozenset({DeadlineUnit.WORK_HOURS, DeadlineUnit.WORK_DAYS})
UNIT_LABELS = {
    DeadlineUnit.WORK_HOURS: "工作时",
    DeadlineUnit.WORK_DAYS: "工作日",
    DeadlineUnit.HOURS: "小时",
    DeadlineUnit.NATURAL_DAYS: "自然日",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UNIT_SPANS = {
    DeadlineUnit.WORK_HOURS: timedelta(hours=1),
    DeadlineUnit.HOURS: timedelta(hours=1),
    DeadlineUnit.NATURAL_DAYS: timedelta(days=1),
}


class TimerLight(StrEnum):
    """Step timer status light (domain.md §7.3)."""

    GREEN = "green"  # below 80 % of the limit
    YELLOW = "yellow"  # 80 % up to and including 100 %
    RED = "red"  # beyond the limit


class InvalidDeadlineError(KaopingError):
    """A deadline limit that is not a positive number."""

    def __init__(self, value: object) -> None:
        super().__init__(f"时限 {value!r} 无效: 应为大于 0 的数")
        self.value = value


@dataclass(frozen=True, slots=True)
class StepTimer:
    """Where a step stands at ``at``: its deadline, the time used and allowed on its clock, light."""

    deadline: datetime
    elapsed: timedelta
    limit: timedelta
    light: TimerLight

    @property
    def remaining(self) -> timedelta:
        return self.limit - self.elapsed


def deadline(
    start: datetime,
    value: Decimal | int,
    unit: DeadlineUnit,
    calendar: WorkCalendar,
    tz: tzinfo,
    holds: Iterable[Hold] = (),
) -> datetime:
    """When a step started at ``start`` with a limit of ``value`` ``unit`` is due (in ``tz``)."""
    clock = _clock_for(unit, calendar, tz)
    limit = _limit(start, value, unit, calendar, tz, clock)
    return _due(start, limit, clock, _merged(holds, start)).astimezone(tz)


def elapsed(
    start: datetime,
    end: datetime,
    unit: DeadlineUnit,
    calendar: WorkCalendar,
    tz: tzinfo,
    holds: Iterable[Hold] = (),
) -> timedelta:
    """Time used from ``start`` to ``end`` on the clock of ``unit``, holds not counted."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    clock = _clock_for(unit, calendar, tz)
    clock.require(start, end)
    used = clock.position(end) - clock.position(start)
    for held_from, held_to in _merged(holds, start, end):
        used -= clock.position(held_to) - clock.position(held_from)
    return used


def elapsed_working(
    start: datetime, end: datetime, calendar: WorkCalendar, tz: tzinfo, holds: Iterable[Hold] = ()
) -> timedelta:
    """Working time from ``start`` to ``end`` (working periods of working days), holds not counted."""
    return elapsed(start, end, DeadlineUnit.WORK_HOURS, calendar, tz, holds)


def timer_light(used: timedelta, limit: timedelta) -> TimerLight:
    """GREEN below 80 % of ``limit``, YELLOW up to 100 %, RED beyond (exact, no floats)."""
    if limit <= timedelta(0):
        raise ValueError(f"a step limit must be positive, got {limit}")
    if used * 5 < limit * 4:
        return TimerLight.GREEN
    return TimerLight.YELLOW if used <= limit else TimerLight.RED


def step_timer(
    start: datetime,
    at: datetime,
    value: Decimal | int,
    unit: DeadlineUnit,
    calendar: WorkCalendar,
    tz: tzinfo,
    holds: Sequence[Hold] = (),
) -> StepTimer:
    """The timer of a step started at ``start``, read at ``at``.

    Past its deadline a step is RED even when no working time has passed since (after 18:00), so
    the light agrees with the overdue flag (``at > deadline``).
    """
    clock = _clock_for(unit, calendar, tz)
    limit = _limit(start, value, unit, calendar, tz, clock)
    due = _due(start, limit, clock, _merged(holds, start)).astimezone(tz)
    used = elapsed(start, at, unit, calendar, tz, holds) if at > start else timedelta(0)
    light = TimerLight.RED if at > due else timer_light(used, limit)
    return StepTimer(due, used, limit, light)


def limit_span(value: Decimal | int, unit: DeadlineUnit, calendar: WorkCalendar) -> timedelta:
    """A limit as a duration on its clock: 2 工作日 = 16 h of working time with 8-hour days."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or not value > 0:
        raise InvalidDeadlineError(value)
    per_unit = calendar.day_length if unit is DeadlineUnit.WORK_DAYS else _UNIT_SPANS[unit]
    if isinstance(value, int):
        return per_unit * value
    micro = value * (per_unit // timedelta(microseconds=1))
    return timedelta(microseconds=int(micro.to_integral_value()))


class _Clock(Protocol):
    def position(self, at: datetime) -> timedelta: ...
    def instant(self, position: timedelta, since: datetime) -> datetime: ...
    def require(self, start: datetime, end: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class _WallClock:
    def position(self, at: datetime) -> timedelta:
        _require_aware(at)
        return at - _EPOCH

    def instant(self, position: timedelta, since: datetime) -> datetime:
        return _EPOCH + position

    def require(self, start: datetime, end: datetime) -> None:
        """The wall clock needs no holiday data."""


@dataclass(frozen=True, slots=True)
class _WorkingClock:
    calendar: WorkCalendar
    tz: tzinfo

    def position(self, at: datetime) -> timedelta:
        return self.calendar.position(at, self.tz)

    def instant(self, position: timedelta, since: datetime) -> datetime:
        return self.calendar.instant(position, self.tz, since.astimezone(self.tz).date())

    def require(self, start: datetime, end: datetime) -> None:
        self.calendar.require_years(start.astimezone(self.tz).year, end.astimezone(self.tz).year)


def _clock_for(unit: DeadlineUnit, calendar: WorkCalendar, tz: tzinfo) -> _Clock:
    return _WorkingClock(calendar, tz) if unit in WORKING_UNITS else _WallClock()


def _limit(
    start: datetime,
    value: Decimal | int,
    unit: DeadlineUnit,
    calendar: WorkCalendar,
    tz: tzinfo,
    clock: _Clock,
) -> timedelta:
    """The limit on the unit's clock. Natural days are local calendar days, so across a daylight
    saving change they hold 23 or 25 real hours; every other unit is a fixed span."""
    span = limit_span(value, unit, calendar)
    if unit is not DeadlineUnit.NATURAL_DAYS:
        return span
    _require_aware(start)
    local = start.astimezone(tz)
    due = (local.replace(tzinfo=None) + span).replace(tzinfo=tz)
    return clock.position(due) - clock.position(start)


def _due(start: datetime, limit: timedelta, clock: _Clock, holds: Sequence[Hold]) -> datetime:
    """The earliest instant with ``limit`` used since ``start``, holds not counted.

    A hold that begins before the current due instant pushes it by the hold's length on the clock;
    holds are merged and sorted, so one pass suffices and later holds are never read.
    """
    target = clock.position(start) + limit
    due = clock.instant(target, start)
    for held_from, held_to in holds:
        if held_from >= due:
            break
        target += clock.position(held_to) - clock.position(held_from)
        due = clock.instant(target, start)
    return due


def _merged(holds: Iterable[Hold], start: datetime, end: datetime | None = None) -> list[Hold]:
    """Holds clipped to [start, end], sorted, overlapping ones joined, empty ones dropped."""
    clipped = []
    for held_from, held_to in holds:
        _require_aware(held_from)
        _require_aware(held_to)
        if held_to < held_from:
            raise ValueError(f"hold ends ({held_to}) before it starts ({held_from})")
        low, high = max(held_from, start), held_to if end is None else min(held_to, end)
        if low < high:
            clipped.append((low, high))
    merged: list[Hold] = []
    for low, high in sorted(clipped):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: deadlines need timezone-aware times")
