"""Evaluation periods: months, quarters and years, with codes people write (2021-03, 2021Q1, 2021)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from kaoping.domain.errors import InvalidPeriodError


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A calendar period; ``index`` is the month (1-12) or quarter (1-4), 1 for a year."""

    year: int
    kind: PeriodKind
    index: int

    @classmethod
    def parse(cls, code: str) -> Period:
        """Read ``2021-03``, ``2021Q1`` or ``2021``."""
        text = str(code).strip()
        if m := _QUARTER.match(text):
            return cls(int(m[1]), PeriodKind.QUARTER, int(m[2]))
        if (m := _MONTH.match(text)) and 1 <= int(m[2]) <= 12:
            return cls(int(m[1]), PeriodKind.MONTH, int(m[2]))
        if m := _YEAR.match(text):
            return cls(int(m[1]), PeriodKind.YEAR, 1)
        raise InvalidPeriodError(text)

    @classmethod
    def containing(cls, kind: PeriodKind, day: date) -> Period:
        """The period of ``kind`` that contains ``day``."""
        if kind is PeriodKind.MONTH:
            return cls(day.year, kind, day.month)
        if kind is PeriodKind.QUARTER:
            return cls(day.year, kind, (day.month - 1) // 3 + 1)
        return cls(day.year, kind, 1)

    @property
    def code(self) -> str:
        if self.kind is PeriodKind.MONTH:
            return f"{self.year}-{self.index:02d}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.year}Q{self.index}"
        return f"{self.year}"

    @property
    def label(self) -> str:
        """Chinese label: 2021年3月, 2021年第1季度, 2021年."""
        if self.kind is PeriodKind.MONTH:
            return f"{self.year}年{self.index}月"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.year}年第{self.index}季度"
        return f"{self.year}年"

    @property
    def first_day(self) -> date:
        if self.kind is PeriodKind.MONTH:
            return date(self.year, self.index, 1)
        if self.kind is PeriodKind.QUARTER:
            return date(self.year, 3 * self.index - 2, 1)
        return date(self.year, 1, 1)

    def next(self) -> Period:
        if self.kind is PeriodKind.YEAR:
            return Period(self.year + 1, self.kind, 1)
        last = 12 if self.kind is PeriodKind.MONTH else 4
        if self.index == last:
            return Period(self.year + 1, self.kind, 1)
        return Period(self.year, self.kind, self.index + 1)

    def previous(self) -> Period:
        if self.kind is PeriodKind.YEAR:
            return Period(self.year - 1, self.kind, 1)
        last = 12 if self.kind is PeriodKind.MONTH else 4
        if self.index == 1:
            return Period(self.year - 1, self.kind, last)
        return Period(self.year, self.kind, self.index - 1)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes: midnight of the first day to midnight after the last."""
        start = datetime.combine(self.first_day, time(), tz)
        end = datetime.combine(self.next().first_day, time(), tz)
        return start, end

    def __str__(self) -> str:
        return self.code
