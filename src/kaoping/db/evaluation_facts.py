"""The fact passes an evaluation reads (DESIGN.md decision 2): per month, one GROUP BY over the
problems, one over their third-party findings and one over the cases.

Rows are per town × department, so one pass serves every level: districts are a roll-up of their
towns, departments a roll-up by ``department_id`` (``kaoping.db.evaluation_levels``).

Speed (bench/scoring.py, ~1.2 million problems a quarter): the problem pass reads a covering index
led by ``found_at`` and groups by the fact key packed into one integer — SQLite sorts one integer
about twice as fast as seven columns, PostgreSQL hashes either as fast — and SQLite sorts with
worker threads. The key is unpacked here; its widths come from the largest ids, so nothing is
assumed about how many units, departments or categories there are. The case pass joins each case
to its problem for the channel; that join is its main cost.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Integer,
    Label,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy import case as when

from kaoping.db.tables import admin_unit, case_file, category, department, finding, problem
from kaoping.domain.cases import STATUS_TYPES, CaseStatus, CloseType, StatusType
from kaoping.domain.errors import KaopingError
from kaoping.domain.findings import FindingStatus
from kaoping.domain.ids import CategoryId, DepartmentId, UnitId
from kaoping.domain.periods import Period
from kaoping.domain.problems import Channel, ProblemStatus
from kaoping.domain.routing import Lead

# Repeat indexes above this count as this one: schemes escalate no further (1st, 2nd, 3rd+ repeat).
MAX_REPEAT_INDEX = 3
_CHANNELS = tuple(Channel)  # a channel's position is its code in the packed key
_KEY_BITS = 62  # signed 64-bit integers on both engines, with room to spare


class FactRow(NamedTuple):
    """Problems of one kind found in one month in one town (a row of the problem pass)."""

    month: int  # 1-12, in the business time zone
    town_id: UnitId
    department_id: DepartmentId | None  # the department answerable with the town, if any
    category_id: CategoryId
    channel: Channel
    repeat_index: int  # 0 not a repeat … MAX_REPEAT_INDEX (and beyond)
    is_overdue: bool
    is_no_feedback: bool  # its third-party finding is 逾期未反馈
    is_high_score: bool
    problems: int  # how many


class FindingRow(NamedTuple):
    """Third-party findings of one status on the problems of one town × department × month."""

    month: int
    town_id: UnitId
    department_id: DepartmentId | None
    status: FindingStatus
    findings: int  # how many


class CaseRow(NamedTuple):
    """Case-loop counters of the cases one town × department × lead × channel reported in a month."""

    month: int
    town_id: UnitId
    department_id: DepartmentId | None
    lead: Lead
    channel: Channel
    disposal_finished: int  # 处置完毕: fed back (待核查) or closed (结案, incl. 自行处置)
    open_overdue: int  # still open past the deadline at ``at``
    closed: int
    closed_on_time: int  # 正常结案
    on_hold: int  # 挂账中, among the due (open past the deadline)
    should_dispose: int  # dispatched, and disposed or past the deadline (应处置)
    disposed: int
    disposed_on_time: int  # fed back by the deadline
    rework: int  # cases sent back at least once (返工)


class FactKeyTooWideError(KaopingError):
    def __init__(self, bits: int) -> None:
        super().__init__(f"单位、部门或类别的编号过大: 统计键需要 {bits} 位, 超过 {_KEY_BITS} 位")


@dataclass(frozen=True, slots=True)
class _Layout:
    """How a fact key is packed: town | department | category | channel (4) | repeat (2) | 2 flags."""

    department_bits: int
    category_bits: int

    @property
    def low_bits(self) -> int:
        return self.department_bits + self.category_bits + 8


class ChannelRow(NamedTuple):
    """How many problems one channel brought in one month in one town (for the discovery rates)."""

    month: int
    town_id: UnitId
    department_id: DepartmentId | None
    channel: Channel
    problems: int  # how many


@dataclass(frozen=True, slots=True)
class MonthFacts:
    """What the monthly passes found: problems per fact key (of the channels asked for), problems
    per channel (of every channel), findings per status."""

    problems: list[FactRow]
    channels: list[ChannelRow]
    findings: list[FindingRow]


def read_month_facts(
    conn: Connection, months: Sequence[Period], tz: ZoneInfo, channels: frozenset[Channel] | None = None
) -> MonthFacts:
    """Problems found in each month, not voided, per town × department × category × channel ×
    repeat index × overdue × 逾期未反馈 × high score — one pass over the problems per month — and
    their third-party findings per status — one pass over the findings, which also sets 逾期未反馈.

    Only problems from ``channels`` (None: all) are told apart by category and flags; the others are
    counted per channel only, which keeps a megacity's own-discovery millions out of the rows."""
    layout = _layout(conn)
    _sort_with_threads(conn)
    key = _packed_key(layout, channels)
    problems: list[FactRow] = []
    volumes: dict[tuple[int, int, int, int], int] = defaultdict(int)
    findings: dict[tuple[int, int, int, FindingStatus], int] = defaultdict(int)
    for month in months:
        start, end = month.bounds(tz)
        counts = _problem_counts(conn, key, start, end)
        for k, status, n in _finding_counts(conn, key, start, end):
            findings[(month.index, *_unpack_unit(k, layout), status)] += n
            if status is FindingStatus.OVERDUE_NO_FEEDBACK and (k, False) in counts:
                counts[(k, False)] -= n
                counts[(k, True)] += n
        for (k, nf), n in counts.items():
            channel = (k >> 4) & 15
            volumes[(month.index, *_unpack_unit(k, layout), channel)] += n
            if n and (channels is None or _CHANNELS[channel] in channels):
                problems.append(_fact_row(month.index, k, nf, n, layout))
    return MonthFacts(
        problems,
        [
            ChannelRow(m, UnitId(t), _department(d), _CHANNELS[c], n)
            for (m, t, d, c), n in volumes.items()
            if n
        ],
        [FindingRow(m, UnitId(t), _department(d), s, n) for (m, t, d, s), n in findings.items()],
    )


def _problem_counts(
    conn: Connection, key: Label[int], start: datetime, end: datetime
) -> defaultdict[tuple[int, bool], int]:
    stmt = (
        select(key, func.count())
        .where(problem.c.found_at >= start, problem.c.found_at < end)
        .where(problem.c.status != ProblemStatus.VOIDED.value)
        .group_by(literal_column(key.name))
    )
    counts: defaultdict[tuple[int, bool], int] = defaultdict(int)
    for k, n in conn.execute(stmt).fetchall():
        counts[(k, False)] = n
    return counts


def _finding_counts(
    conn: Connection, key: Label[int], start: datetime, end: datetime
) -> list[tuple[int, FindingStatus, int]]:
    """Findings per packed problem key and status (few: third-party problems only)."""
    stmt = (
        select(key, finding.c.status, func.count())
        .select_from(finding.join(problem, problem.c.id == finding.c.problem_id))
        .where(problem.c.found_at >= start, problem.c.found_at < end)
        .where(problem.c.status != ProblemStatus.VOIDED.value)
        .group_by(literal_column(key.name), finding.c.status)
    )
    return [(k, FindingStatus(s), n) for k, s, n in conn.execute(stmt)]


def _packed_key(layout: _Layout, channels: frozenset[Channel] | None) -> Label[int]:
    """The fact key as one integer; for channels not asked for, category and flags are left 0."""
    p = problem.c

    def shift(value: ColumnElement[int], bits: int, low: ColumnElement[int]) -> ColumnElement[int]:
        return value * literal_column(str(1 << bits)) + low

    def detail(value: ColumnElement[int]) -> ColumnElement[int]:
        if channels is None:
            return value
        return when((p.channel.in_(sorted(c.value for c in channels)), value), else_=0)

    channel = when({c.value: i for i, c in enumerate(_CHANNELS)}, value=p.channel, else_=15)
    repeat = when((p.repeat_index > MAX_REPEAT_INDEX, MAX_REPEAT_INDEX), else_=p.repeat_index)
    key: ColumnElement[int] = cast(p.town_id, BigInteger)
    key = shift(key, layout.department_bits, func.coalesce(p.department_id, 0))
    key = shift(key, layout.category_bits, detail(p.category_id))
    key = shift(key, 4, channel)
    key = shift(key, 2, detail(repeat))
    key = shift(key, 1, detail(cast(p.is_overdue, Integer)))
    key = shift(key, 1, detail(cast(p.is_high_score, Integer)))
    return key.label("fact_key")


def _fact_row(month: int, key: int, no_feedback: bool, n: int, layout: _Layout) -> FactRow:
    high, key = key & 1, key >> 1
    overdue, key = key & 1, key >> 1
    repeat, key = key & 3, key >> 2
    channel, key = key & 15, key >> 4
    cat = key & ((1 << layout.category_bits) - 1)
    town, dept = _unpack_unit(key >> layout.category_bits, layout, shifted=True)
    return FactRow(
        month,
        UnitId(town),
        _department(dept),
        CategoryId(cat),
        _CHANNELS[channel],
        repeat,
        bool(overdue),
        no_feedback,
        bool(high),
        n,
    )


def _unpack_unit(key: int, layout: _Layout, shifted: bool = False) -> tuple[int, int]:
    """(town id, department id or 0) of a packed key (``shifted``: category and below removed)."""
    if not shifted:
        key >>= layout.category_bits + 8
    return key >> layout.department_bits, key & ((1 << layout.department_bits) - 1)


def _department(dept: int) -> DepartmentId | None:
    return DepartmentId(dept) if dept else None


def _layout(conn: Connection) -> _Layout:
    """Key widths from the largest ids in use; refused when the key would not fit 62 bits."""
    top = conn.execute(
        select(
            select(func.max(admin_unit.c.id)).scalar_subquery(),
            select(func.max(department.c.id)).scalar_subquery(),
            select(func.max(category.c.id)).scalar_subquery(),
        )
    ).one()
    units, departments, categories = (int(v or 0).bit_length() or 1 for v in top)
    layout = _Layout(departments, categories)
    if units + layout.low_bits > _KEY_BITS:
        raise FactKeyTooWideError(units + layout.low_bits)
    return layout


def _sort_with_threads(conn: Connection) -> None:
    """SQLite sorts a large GROUP BY with worker threads only when asked (per connection)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA threads={min(4, os.cpu_count() or 1)}")


_OPEN = [s.value for s in CaseStatus if STATUS_TYPES[s] is StatusType.OPEN]
_DISPOSED = [CaseStatus.CHECKING.value, CaseStatus.CLOSED.value]


def case_rows(conn: Connection, months: Sequence[Period], tz: ZoneInfo, at: datetime) -> list[CaseRow]:
    """The case-loop counters of the cases reported in each month, as they stand (open ones judged
    at ``at``), per town × department × lead × channel: one GROUP BY per month."""
    c = case_file.c
    finished = c.status.in_(_DISPOSED)
    overdue = c.status.in_(_OPEN) & (c.deadline_at < at)
    dispatched = c.dispatched_at.is_not(None)
    keys = (c.town_id, c.department_id, c.lead, problem.c.channel)
    counters = (
        _count(finished),
        _count(overdue),
        _count(c.status == CaseStatus.CLOSED.value),
        _count((c.status == CaseStatus.CLOSED.value) & (c.close_type == CloseType.NORMAL.value)),
        _count(overdue & (c.status == CaseStatus.ON_HOLD.value)),
        _count(dispatched & (finished | overdue)),
        _count(dispatched & finished),
        _count(dispatched & finished & (c.fed_back_at <= c.deadline_at)),
        _count(c.rework_count > 0),
    )
    stmt = (
        select(*keys, *counters)
        .select_from(case_file.join(problem, problem.c.id == c.problem_id))
        .group_by(*keys)
    )
    rows = []
    for month in months:
        start, end = month.bounds(tz)
        reported = (c.reported_at >= start, c.reported_at < end)
        # The problems of a month's cases lie between these ids: bounding the join by them lets
        # PostgreSQL read those problems instead of hashing the whole table (ids follow time).
        lowest = select(func.min(c.problem_id)).where(*reported).scalar_subquery()
        highest = select(func.max(c.problem_id)).where(*reported).scalar_subquery()
        bounded = stmt.where(*reported, problem.c.id.between(lowest, highest))
        for town, dept, lead, ch, *counts in conn.execute(bounded):
            rows.append(
                CaseRow(
                    month.index,
                    UnitId(town),
                    _department(dept or 0),
                    Lead(lead),
                    Channel(ch),
                    *map(int, counts),
                )
            )
    return rows


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(when((condition, 1), else_=0))
