"""Storing and reading scores of a period."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from kaoping.db.tables import admin_unit, eval_group, evaluation_item, period, score
from kaoping.domain.ids import UnitId
from kaoping.domain.organisation import UnitLevel
from kaoping.domain.periods import Period
from kaoping.domain.scoring import UnitScore


class SqlScoreStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def group_members(self) -> dict[str, list[UnitId]]:
        stmt = (
            select(eval_group.c.code, admin_unit.c.id)
            .join(eval_group, eval_group.c.id == admin_unit.c.group_id)
            .where(admin_unit.c.level == UnitLevel.DISTRICT.value)
            .order_by(eval_group.c.code, admin_unit.c.code)
        )
        members: dict[str, list[UnitId]] = defaultdict(list)
        for code, unit_id in self._conn.execute(stmt):
            members[code].append(UnitId(unit_id))
        return dict(members)

    def total_ranks(self, period_: Period) -> dict[UnitId, int]:
        stmt = (
            select(score.c.unit_id, score.c.rank)
            .join(period, period.c.id == score.c.period_id)
            .where(period.c.code == period_.code, score.c.item_id.is_(None))
        )
        return {UnitId(u): int(r) for u, r in self._conn.execute(stmt) if r is not None}

    def save_scores(
        self, period_: Period, start: datetime, end: datetime, scores: Sequence[UnitScore]
    ) -> None:
        period_id = self._period_id(period_, start, end)
        self._conn.execute(delete(score).where(score.c.period_id == period_id))
        groups = dict(self._conn.execute(select(eval_group.c.code, eval_group.c.id)).all())
        items = dict(self._conn.execute(select(evaluation_item.c.code, evaluation_item.c.id)).all())
        rows = []
        for s in scores:
            common = {"period_id": period_id, "unit_id": s.unit_id, "group_id": groups[s.group_code]}
            for line in s.items:
                rows.append(
                    {
                        **common,
                        "item_id": items[line.item_code],
                        "max_points": line.max_points,
                        "deduction": line.deduction,
                        "raw_deduction": line.raw_deduction,
                        "points": line.points,
                        "problems": line.problems,
                        "deducted_problems": line.deducted_problems,
                        "repeats": line.repeats,
                        "rank": None,
                        "rank_change": None,
                    }
                )
            rows.append(
                {
                    **common,
                    "item_id": None,
                    "max_points": sum((line.max_points for line in s.items), start=0),
                    "deduction": sum((line.deduction for line in s.items), start=0),
                    "raw_deduction": sum((line.raw_deduction for line in s.items), start=0),
                    "points": s.total,
                    "problems": sum(line.problems for line in s.items),
                    "deducted_problems": sum(line.deducted_problems for line in s.items),
                    "repeats": sum(line.repeats for line in s.items),
                    "rank": s.rank,
                    "rank_change": s.rank_change,
                }
            )
        if rows:
            self._conn.execute(insert(score), rows)

    def _period_id(self, period_: Period, start: datetime, end: datetime) -> int:
        found = self._conn.execute(select(period.c.id).where(period.c.code == period_.code)).scalar()
        if found is not None:
            return int(found)
        values = {"code": period_.code, "kind": period_.kind.value, "starts_at": start, "ends_at": end}
        return int(self._conn.execute(insert(period).values(values).returning(period.c.id)).scalar_one())
