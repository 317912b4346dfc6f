"""What the evaluation reads besides its own tables: the levels of unit codes, the period's facts
(the fact passes of ``kaoping.db.evaluation_levels``), and the problems behind a score line.

A problem line's fact key is matched exactly as the fact pass counted it: found in the line's span,
not voided, of the line's category and channel, the same repeat index (the last one counts every
deeper repeat), the same overdue and 逾期未反馈 flags, and answered for by the unit at its level —
a district for the problems of its towns, a town for its own (a share below 1 means those with a
department, a whole share those without one when the scheme splits liability), a department for
its own.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, exists, func, select

from kaoping.db.evaluation_facts import MAX_REPEAT_INDEX
from kaoping.db.evaluation_levels import evaluation_facts
from kaoping.db.tables import admin_unit, category, department, finding, grid, problem
from kaoping.domain.facts import EvaluationFacts
from kaoping.domain.findings import FindingStatus
from kaoping.domain.ids import ProblemId
from kaoping.domain.organisation import UnitLevel
from kaoping.domain.periods import Period
from kaoping.domain.problems import Channel, ProblemStatus
from kaoping.domain.schemes import EvaluatedLevel, Scheme
from kaoping.services.evaluation_ports import LineProblems, LineQuery, ProblemBehind

_LEVELS = {UnitLevel.DISTRICT.value: EvaluatedLevel.DISTRICT, UnitLevel.TOWN.value: EvaluatedLevel.TOWN}


class SqlEvaluationFactSource:
    """``kaoping.services.evaluation_ports.EvaluationFactSource`` on one connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def unit_levels(self, codes: Collection[str]) -> dict[str, EvaluatedLevel]:
        wanted = sorted(codes)
        units = select(admin_unit.c.code, admin_unit.c.level).where(
            admin_unit.c.code.in_(wanted), admin_unit.c.level.in_(sorted(_LEVELS))
        )
        levels = {code: _LEVELS[level] for code, level in self._conn.execute(units)}
        departments = select(department.c.code).where(department.c.code.in_(wanted))
        levels.update(dict.fromkeys(self._conn.execute(departments).scalars(), EvaluatedLevel.DEPARTMENT))
        return levels

    def unit_names(self, codes: Collection[str]) -> dict[str, str]:
        wanted = sorted(codes)
        # Oldest version first, so the name in force now (the latest) wins.
        units = select(admin_unit.c.code, admin_unit.c.name).where(admin_unit.c.code.in_(wanted))
        names = dict(self._conn.execute(units.order_by(admin_unit.c.valid_from)).all())
        departments = select(department.c.code, department.c.name).where(department.c.code.in_(wanted))
        names.update(self._conn.execute(departments).all())
        return names

    def period_facts(self, scheme: Scheme, period: Period, tz: ZoneInfo, at: datetime) -> EvaluationFacts:
        return evaluation_facts(self._conn, scheme, period, tz, at)

    def problems_behind(self, query: LineQuery, limit: int) -> LineProblems:
        conditions = _matching(query)
        count = self._conn.execute(select(func.count()).select_from(problem).where(*conditions)).scalar_one()
        town = admin_unit.alias("town")
        p = problem.c
        stmt = (
            select(
                p.id,
                p.found_at,
                category.c.code,
                category.c.name,
                p.channel,
                grid.c.code,
                town.c.name,
                p.status,
            )
            .join(category, category.c.id == p.category_id)
            .join(grid, grid.c.id == p.grid_id)
            .join(town, town.c.id == p.town_id)
            .where(*conditions)
            .order_by(p.found_at, p.id)
            .limit(limit)
        )
        shown = tuple(
            ProblemBehind(ProblemId(r[0]), r[1], r[2], r[3], Channel(r[4]), r[5], r[6], r[7])
            for r in self._conn.execute(stmt)
        )
        return LineProblems(int(count), shown)


def _matching(query: LineQuery) -> list[ColumnElement[bool]]:
    p, line = problem.c, query.line
    category_id = select(category.c.id).where(category.c.code == line.category_code).scalar_subquery()
    no_feedback = exists().where(
        finding.c.problem_id == p.id, finding.c.status == FindingStatus.OVERDUE_NO_FEEDBACK.value
    )
    repeat = (
        p.repeat_index >= MAX_REPEAT_INDEX
        if line.repeat_index >= MAX_REPEAT_INDEX
        else p.repeat_index == line.repeat_index
    )
    conditions = [
        p.found_at >= query.start,
        p.found_at < query.end,
        p.status != ProblemStatus.VOIDED.value,
        p.category_id == category_id,
        p.channel == (line.channel.value if line.channel else ""),
        repeat,
        p.is_overdue == line.is_overdue,
        no_feedback if line.is_no_feedback else ~no_feedback,
    ]
    return conditions + _liable(query)


def _liable(query: LineQuery) -> list[ColumnElement[bool]]:
    """The unit's problems at its level (``kaoping.db.evaluation_levels`` rolls the facts up alike)."""
    p, unit = problem.c, query.unit
    if query.level is EvaluatedLevel.DEPARTMENT:
        return [p.department_id.in_(select(department.c.id).where(department.c.code == unit))]
    if query.level is EvaluatedLevel.DISTRICT:
        district = admin_unit.alias("district")
        towns = select(admin_unit.c.id).join(district, district.c.id == admin_unit.c.parent_id)
        return [p.town_id.in_(towns.where(district.c.code == unit))]
    towns = select(admin_unit.c.id).where(
        admin_unit.c.code == unit, admin_unit.c.level == UnitLevel.TOWN.value
    )
    conditions: list[ColumnElement[bool]] = [p.town_id.in_(towns)]
    if query.line.share < 1:
        conditions.append(p.department_id.is_not(None))
    elif query.department_share > 0:
        conditions.append(p.department_id.is_(None))
    return conditions
