"""Reading stored scores for rankings: one query per period, no per-row look-ups."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, Engine, exists, select

from kaoping.db.engine import connected
from kaoping.db.tables import admin_unit, eval_group, evaluation_item, period, score
from kaoping.domain.organisation import UnitLevel
from kaoping.services.rankings import ScoreRecord


class SqlRankingReader:
    """A ``RankingReader`` over the ``score`` table, for units of one level (districts by default).

    Give it an open connection to read inside a caller's transaction, or an engine to have each
    read open (and return) a pooled connection of its own.
    """

    def __init__(self, bind: Connection | Engine, level: UnitLevel = UnitLevel.DISTRICT) -> None:
        self._bind = bind
        self._level = level.value

    def list_scored_periods(self) -> list[str]:
        has_scores = exists().where(
            score.c.period_id == period.c.id,
            score.c.unit_id == admin_unit.c.id,
            admin_unit.c.level == self._level,
        )
        # A quarter and its last month end together: the longer period sorts last, as "latest".
        stmt = (
            select(period.c.code)
            .where(has_scores)
            .order_by(period.c.ends_at, period.c.starts_at.desc(), period.c.code)
        )
        with connected(self._bind) as conn:
            return list(conn.execute(stmt).scalars())

    def read_scores(self, period_code: str) -> list[ScoreRecord]:
        stmt = (
            select(
                eval_group.c.code,
                eval_group.c.name,
                admin_unit.c.code,
                admin_unit.c.name,
                evaluation_item.c.code,
                evaluation_item.c.name,
                score.c.points,
                score.c.rank,
                score.c.rank_change,
            )
            .select_from(score)
            .join(period, period.c.id == score.c.period_id)
            .join(admin_unit, admin_unit.c.id == score.c.unit_id)
            .join(eval_group, eval_group.c.id == score.c.group_id)
            .outerjoin(evaluation_item, evaluation_item.c.id == score.c.item_id)
            .where(period.c.code == period_code, admin_unit.c.level == self._level)
        )
        with connected(self._bind) as conn:
            return [
                ScoreRecord(g_code, g_name, u_code, u_name, i_code, i_name, Decimal(points), rank, change)
                for g_code, g_name, u_code, u_name, i_code, i_name, points, rank, change in conn.execute(stmt)
            ]
