"""One period's evaluation facts for a scheme, at every level it evaluates, from one set of passes.

The passes (``kaoping.db.evaluation_facts``) count per town × department; here the rows are rolled
up to the units the scheme scores — districts (their towns added up), towns/streets and departments
(a deduction split by the scheme's ``department_share``: the department carries that part, the town
the rest; a problem with no department stays the town's whole) — and written in codes, as the
engine's ``EvaluationFacts``.

Which problems an evaluation counts: those from the channels its scheme weighs
(``deductions.channel_weights``; weight 0 counts without deducting). Problems from other channels —
a megacity's own discovery, millions a quarter — enter only the case counters (own / external /
third party), so the engine never walks them one kind at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from kaoping.db.evaluation_facts import CaseRow, FactRow, MonthFacts, case_rows, read_month_facts
from kaoping.db.tables import admin_unit, category, channel, department
from kaoping.domain.facts import EvaluationFacts, ProblemFact
from kaoping.domain.findings import FindingStatus
from kaoping.domain.indicators import CaseCounters
from kaoping.domain.organisation import UnitLevel
from kaoping.domain.periods import Period, PeriodKind
from kaoping.domain.problems import Channel
from kaoping.domain.routing import Lead
from kaoping.domain.schemes import EvaluatedLevel, Scheme

ONE = Decimal(1)
_FIELDS = tuple(CaseCounters.__dataclass_fields__)
_AT = {name: i for i, name in enumerate(_FIELDS)}
_ZEROS = (0,) * len(_FIELDS)
# The case pass's counters, named as in CaseCounters.
_CASE_FIELDS = tuple(name for name in _FIELDS if name in CaseRow._fields)
_RECTIFIED = {
    FindingStatus.RECTIFIED_ON_TIME: "rectified_on_time",
    FindingStatus.RECTIFIED_LATE: "rectified_late",
}


@dataclass(frozen=True, slots=True)
class Reference:
    """The codes and names facts are written in, read once per evaluation."""

    town_codes: Mapping[int, str]  # town id (any version of it) → its code
    town_districts: Mapping[int, str]  # town id → its district's code
    department_codes: Mapping[int, str]
    category_codes: Mapping[int, str]
    severities: Mapping[str, int]  # category code → severity
    category_names: Mapping[str, str]
    channel_names: Mapping[Channel, str]
    unit_names: Mapping[str, str]  # district, town and department codes → names


def load_reference(conn: Connection) -> Reference:
    """Units, departments, categories and channels, each one small query."""
    units = conn.execute(
        select(
            admin_unit.c.id, admin_unit.c.code, admin_unit.c.name, admin_unit.c.level, admin_unit.c.parent_id
        )
    ).all()
    code_of = {u.id: u.code for u in units}
    towns = [u for u in units if u.level == UnitLevel.TOWN.value]
    categories = conn.execute(
        select(category.c.id, category.c.code, category.c.name, category.c.severity)
    ).all()
    departments = conn.execute(select(department.c.id, department.c.code, department.c.name)).all()
    names = {u.code: u.name for u in units if u.level in (UnitLevel.DISTRICT.value, UnitLevel.TOWN.value)}
    names.update({d.code: d.name for d in departments})
    return Reference(
        {t.id: t.code for t in towns},
        {t.id: code_of[t.parent_id] for t in towns if t.parent_id in code_of},
        {d.id: d.code for d in departments},
        {c.id: c.code for c in categories},
        {c.code: c.severity for c in categories},
        {c.code: c.name for c in categories},
        {Channel(code): name for code, name in conn.execute(select(channel.c.code, channel.c.name))},
        names,
    )


def months_of(period: Period) -> list[Period]:
    """The months a period is made of (a month is its own only one)."""
    if period.kind is PeriodKind.MONTH:
        return [period]
    month = Period(period.year, PeriodKind.MONTH, period.first_day.month)
    count = 3 if period.kind is PeriodKind.QUARTER else 12
    months = [month]
    while len(months) < count:
        months.append(months[-1].next())
    return months


_Cache = dict[tuple[object, ...], "_LevelFacts"]


@dataclass(frozen=True, slots=True)
class _LevelFacts:
    """One level's facts per (unit, month): the engine's rows, and counter sums per channel."""

    problems: Mapping[tuple[str, int], list[ProblemFact]]
    counters: Mapping[tuple[str, int], Mapping[Channel, list[int]]]


@dataclass(frozen=True, slots=True)
class PeriodFacts:
    """Everything the passes read for some months, per town × department, before any scheme; each
    level is rolled up once, on first use, however many schemes and months ask for it."""

    reference: Reference
    months: tuple[int, ...]
    rows: MonthFacts
    cases: list[CaseRow]
    _levels: _Cache = field(default_factory=dict)

    def level(self, level: EvaluatedLevel, scheme: Scheme) -> _LevelFacts:
        counted = frozenset(scheme.deductions.channel_weights)
        key = (level, scheme.department_share, counted, scheme.own_channels)
        if key not in self._levels:
            problems = roll_up_problems(
                self.rows.problems, self.reference, level, scheme.department_share, counted
            )
            counters = roll_up_counters(self.rows, self.cases, self.reference, level, scheme.own_channels)
            self._levels[key] = _LevelFacts(problems, counters)
        return self._levels[key]


def read_period_facts(
    conn: Connection, months: Sequence[Period], tz: ZoneInfo, at: datetime, counted: frozenset[Channel] | None
) -> PeriodFacts:
    """One problem pass, one finding pass and one case pass per month; every scheme and level of
    these months is served from them (``facts_for``). Cases are judged as they stand at ``at``.
    ``counted``: the channels any of the schemes to be served weighs (None: all)."""
    reference = load_reference(conn)
    rows = read_month_facts(conn, months, tz, counted)
    return PeriodFacts(reference, tuple(m.index for m in months), rows, case_rows(conn, months, tz, at))


def evaluation_facts(
    conn: Connection, scheme: Scheme, period: Period, tz: ZoneInfo, at: datetime
) -> EvaluationFacts:
    """The facts of ``period`` for every level and member of ``scheme``."""
    counted = frozenset(scheme.deductions.channel_weights)
    return facts_for(scheme, read_period_facts(conn, months_of(period), tz, at, counted))


def facts_for(scheme: Scheme, read: PeriodFacts, months: Sequence[int] | None = None) -> EvaluationFacts:
    """The engine's facts for the members of ``scheme`` in ``months`` (default: all read) — so one
    read serves a quarterly city scheme and each month of each district's monthly scheme."""
    chosen = tuple(sorted(read.months if months is None else months))
    members = sorted({m for g in scheme.groups.values() for m in g.members})
    problems: list[ProblemFact] = []
    counters: dict[str, dict[Channel, CaseCounters]] = {}
    for level in scheme.evaluated:
        facts = read.level(level, scheme)
        for unit in members:
            sums: dict[Channel, list[int]] = {}
            for month in chosen:
                problems += facts.problems.get((unit, month), ())
                for ch, values in facts.counters.get((unit, month), {}).items():
                    sums[ch] = [a + b for a, b in zip(sums.get(ch, _ZEROS), values, strict=True)]
            if sums:
                counters[unit] = {
                    ch: CaseCounters(**dict(zip(_FIELDS, v, strict=True))) for ch, v in sums.items()
                }
    ref = read.reference
    return EvaluationFacts(
        problems=tuple(problems),
        counters=counters,
        severities=ref.severities,
        sub_periods=chosen,
        category_names=ref.category_names,
        channel_names=ref.channel_names,
        unit_names=ref.unit_names,
    )


def roll_up_problems(
    rows: Iterable[FactRow],
    reference: Reference,
    level: EvaluatedLevel,
    department_share: Decimal,
    counted: frozenset[Channel],
) -> dict[tuple[str, int], list[ProblemFact]]:
    """The fact rows of ``counted`` channels as one level's ``ProblemFact``s per (unit, month), rows
    of the same key added up."""
    units: dict[tuple[int, int | None], tuple[str, Decimal] | None] = {}
    counts: dict[tuple[str, int, int, Channel, int, bool, bool, Decimal], int] = defaultdict(int)
    for r in rows:
        if r.channel not in counted:
            continue
        pair = (r.town_id, r.department_id)
        if pair not in units:
            units[pair] = _liable(reference, level, r.town_id, r.department_id, department_share)
        target = units[pair]
        if target is not None:
            unit, share = target
            key = (
                unit,
                r.month,
                r.category_id,
                r.channel,
                r.repeat_index,
                r.is_overdue,
                r.is_no_feedback,
                share,
            )
            counts[key] += r.problems
    codes = reference.category_codes
    result: dict[tuple[str, int], list[ProblemFact]] = defaultdict(list)
    for (unit, month, cat, ch, repeat, overdue, no_feedback, share), n in counts.items():
        result[(unit, month)].append(
            ProblemFact(unit, month, codes[cat], ch, repeat, overdue, no_feedback, n, share)
        )
    return result


def _liable(
    reference: Reference, level: EvaluatedLevel, town: int, dept: int | None, department_share: Decimal
) -> tuple[str, Decimal] | None:
    """Who answers at ``level`` for problems of this town × department, and for what share."""
    if level is EvaluatedLevel.DISTRICT:
        return reference.town_districts[town], ONE
    if level is EvaluatedLevel.TOWN:
        return reference.town_codes[town], ONE - department_share if dept else ONE
    return None if dept is None else (reference.department_codes[dept], department_share)


def roll_up_counters(
    rows: MonthFacts,
    cases: Sequence[CaseRow],
    reference: Reference,
    level: EvaluatedLevel,
    own: frozenset[Channel],
) -> dict[tuple[str, int], dict[Channel, list[int]]]:
    """Case counters per (unit, month) and channel at ``level``: the case loop from ``cases`` (a
    town answers for the cases it leads, a department for its own, a district for all in it),
    findings and problems by channel from ``rows`` (a town and a district for all in their
    territory, a department for its own)."""
    sums: dict[tuple[str, int], dict[Channel, list[int]]] = defaultdict(dict)

    def add(unit: str | None, month: int, ch: Channel, field_values: Iterable[tuple[int, int]]) -> None:
        if unit is not None:
            row = sums[(unit, month)].setdefault(ch, list(_ZEROS))
            for i, n in field_values:
                row[i] += n

    for c in cases:
        values = [(_AT[name], getattr(c, name)) for name in _CASE_FIELDS]
        if c.channel in own:
            values.append((_AT["own_closed_on_time"], c.closed_on_time))
        add(_unit(reference, level, c.town_id, c.department_id, c.lead), c.month, c.channel, values)
    for f in rows.findings:
        if f.status is not FindingStatus.VOIDED:
            values = [(_AT["findings"], f.findings)]
            if f.status in _RECTIFIED:
                values.append((_AT[_RECTIFIED[f.status]], f.findings))
            add(_unit(reference, level, f.town_id, f.department_id), f.month, Channel.THIRD_PARTY, values)
    for v in rows.channels:
        values = [(_AT["own" if v.channel in own else "external"], v.problems)]
        if v.channel is Channel.THIRD_PARTY:
            values.append((_AT["third_party"], v.problems))
        add(_unit(reference, level, v.town_id, v.department_id), v.month, v.channel, values)
    return sums


def _unit(
    reference: Reference, level: EvaluatedLevel, town: int, dept: int | None, lead: Lead | None = None
) -> str | None:
    """The unit at ``level`` a row counts for (``lead``: cases count only for whoever leads them)."""
    if level is EvaluatedLevel.DISTRICT:
        return reference.town_districts[town]
    if level is EvaluatedLevel.TOWN:
        return reference.town_codes[town] if lead in (None, Lead.TERRITORY) else None
    if dept is None or lead is Lead.TERRITORY:
        return None
    return reference.department_codes[dept]
