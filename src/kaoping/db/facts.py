"""The fact query: one GROUP BY over a period's problems (DESIGN.md decision 2)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select

from kaoping.db.tables import category, problem
from kaoping.domain.ids import UnitId
from kaoping.domain.problems import Channel, ProblemStatus
from kaoping.domain.scoring import ProblemFact


class SqlFactStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def problem_facts(self, start: datetime, end: datetime) -> list[ProblemFact]:
        """Problems found in [start, end) per district × category × channel × repeat × overdue."""
        keys = (
            problem.c.district_id,
            category.c.code,
            problem.c.channel,
            problem.c.is_repeat,
            problem.c.is_overdue,
        )
        stmt = (
            select(*keys, func.count())
            .join(category, category.c.id == problem.c.category_id)
            .where(problem.c.found_at >= start, problem.c.found_at < end)
            .where(problem.c.status != ProblemStatus.VOIDED.value)
            .group_by(*keys)
        )
        return [
            ProblemFact(UnitId(d), code, Channel(ch), bool(rep), bool(late), int(n))
            for d, code, ch, rep, late, n in self._conn.execute(stmt)
        ]
