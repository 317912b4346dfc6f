"""Evaluation periods, their lifecycle steps and revisions in the database, and the unit of work the
evaluation services run in (periods, facts and entries on one connection)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Self

from sqlalchemy import Connection, Row, insert, select, update

from kaoping.db.evaluation_entries import SqlEntryStore
from kaoping.db.evaluation_problems import SqlEvaluationFactSource
from kaoping.db.evaluation_results import category_json, counters_json, insert_results, read_results
from kaoping.db.tables import (
    evaluation_period,
    evaluation_period_step,
    evaluation_revision,
    evaluation_unit_result,
)
from kaoping.db.uow import SqlUnitOfWork
from kaoping.domain.errors import NotFoundError
from kaoping.domain.facts import Previous
from kaoping.domain.periods import Period
from kaoping.domain.results import Evaluation
from kaoping.domain.revisions import EvaluationPeriod, PeriodAction, PeriodStatus, PeriodStep, Revision
from kaoping.domain.schemes import EvaluatedLevel

_P, _R = evaluation_period.c, evaluation_revision.c


class SqlEvaluationStore:
    """Periods, steps, revisions and their results (``kaoping.services.evaluation_ports.PeriodStore``)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def list_periods(self, period: Period) -> list[EvaluationPeriod]:
        rows = self._conn.execute(
            select(evaluation_period).where(_P.period_code == period.code).order_by(_P.scheme_code, _P.level)
        )
        return [_period(row) for row in rows]

    def find_period(self, scheme: str, period: Period, level: EvaluatedLevel) -> EvaluationPeriod | None:
        row = self._conn.execute(select(evaluation_period).where(*_key(scheme, period, level))).first()
        return None if row is None else _period(row)

    def save_period(self, period: EvaluationPeriod, step: PeriodStep | None, at: datetime) -> None:
        values = {
            "status": period.status.value,
            "appeal_until": period.appeal_until,
            "revisions": period.revisions,
        }
        key = _key(period.scheme, period.period, period.level)
        found = self._conn.execute(select(_P.id).where(*key)).scalar()
        if found is None:
            row = {
                "scheme_code": period.scheme,
                "period_code": period.period.code,
                "level": period.level.value,
            }
            stmt = insert(evaluation_period).values(**row, **values, created_at=at, changed_at=at)
            found = self._conn.execute(stmt.returning(_P.id)).scalar_one()
        else:
            self._conn.execute(
                update(evaluation_period).where(_P.id == found).values(**values, changed_at=at)
            )
        if step is not None:
            self._conn.execute(insert(evaluation_period_step).values(period_id=found, **_step_values(step)))

    def list_steps(self, period: EvaluationPeriod) -> list[PeriodStep]:
        """Every recorded step of the period, oldest first."""
        s = evaluation_period_step.c
        stmt = select(evaluation_period_step).where(s.period_id == self._period_id(period)).order_by(s.id)
        return [
            PeriodStep(
                PeriodAction(r.action),
                PeriodStatus(r.from_status),
                PeriodStatus(r.to_status),
                r.at,
                r.actor,
                r.reason,
                r.revision,
            )
            for r in self._conn.execute(stmt)
        ]

    def list_revisions(self, period: EvaluationPeriod) -> list[Revision]:
        stmt = select(evaluation_revision).where(_R.period_id == self._period_id(period)).order_by(_R.number)
        return [_revision(row) for row in self._conn.execute(stmt)]

    def add_revision(
        self, period: EvaluationPeriod, revision: Revision, evaluation: Evaluation, department_share: Decimal
    ) -> None:
        values = {
            "period_id": self._period_id(period), "number": revision.number, "status": revision.status.value,
            "scheme_version": revision.scheme_version, "scheme_hash": revision.scheme_hash,
            "fingerprint": revision.fingerprint, "department_share": department_share,
            "facts_at": revision.facts_at, "created_at": revision.created_at,
            "published_at": revision.published_at, "reason": revision.reason,
            "counters": counters_json(evaluation.counters),
            "categories": [category_json(c) for c in evaluation.categories],
        }  # fmt: skip
        revision_id = self._conn.execute(
            insert(evaluation_revision).values(values).returning(_R.id)
        ).scalar_one()
        insert_results(self._conn, revision_id, evaluation)

    def mark_revision(
        self, period: EvaluationPeriod, number: int, status: PeriodStatus, at: datetime
    ) -> None:
        published = {"published_at": at} if status is PeriodStatus.PUBLISHED else {}
        where = (_R.period_id == self._period_id(period), _R.number == number)
        self._conn.execute(update(evaluation_revision).where(*where).values(status=status.value, **published))

    def results(
        self, period: EvaluationPeriod, number: int, *, unit: str | None = None, lines: bool = False
    ) -> Evaluation:
        head = self._head(period, number)
        evaluation = read_results(self._conn, head.id, head, unit=unit, lines=lines)
        if unit is not None and not evaluation.groups:
            raise NotFoundError("被考评单位", f"{unit} (不在{period.label}的结果中)")
        return evaluation

    def department_share(self, period: EvaluationPeriod, number: int) -> Decimal:
        return Decimal(self._head(period, number).department_share)

    def published_standings(self, scheme: str, period: Period, level: EvaluatedLevel) -> dict[str, Previous]:
        latest = (
            select(_R.id)
            .join(evaluation_period, _P.id == _R.period_id)
            .where(*_key(scheme, period, level), _R.status == PeriodStatus.PUBLISHED.value)
            .order_by(_R.number.desc())
            .limit(1)
        ).scalar_subquery()
        u = evaluation_unit_result.c
        rows = self._conn.execute(
            select(u.unit_code, u.rank, u.total).where(u.revision_id == latest).order_by(u.id)
        )
        standings: dict[str, Previous] = {}
        for code, rank, total in rows:
            standings.setdefault(code, Previous(rank, Decimal(total)))  # a unit in two groups: its first
        return standings

    def _period_id(self, period: EvaluationPeriod) -> int:
        found = self._conn.execute(
            select(_P.id).where(*_key(period.scheme, period.period, period.level))
        ).scalar()
        if found is None:
            raise NotFoundError("考评周期", period.label)
        return int(found)

    def _head(self, period: EvaluationPeriod, number: int) -> Row[Any]:
        stmt = (
            select(evaluation_revision, _P.scheme_code)
            .join(evaluation_period, _P.id == _R.period_id)
            .where(*_key(period.scheme, period.period, period.level), _R.number == number)
        )
        row = self._conn.execute(stmt).first()
        if row is None:
            raise NotFoundError("修订", f"{period.label} 第 {number} 版")
        return row


def _key(scheme: str, period: Period, level: EvaluatedLevel) -> tuple[Any, ...]:
    return (_P.scheme_code == scheme, _P.period_code == period.code, _P.level == level.value)


def _period(row: Row[Any]) -> EvaluationPeriod:
    return EvaluationPeriod(
        row.scheme_code,
        Period.parse(row.period_code),
        EvaluatedLevel(row.level),
        PeriodStatus(row.status),
        row.appeal_until,
        row.revisions,
    )


def _revision(row: Row[Any]) -> Revision:
    return Revision(
        row.number, PeriodStatus(row.status), row.scheme_version, row.scheme_hash, row.fingerprint,
        row.created_at, row.facts_at, row.reason, row.published_at,
    )  # fmt: skip


def _step_values(step: PeriodStep) -> dict[str, Any]:
    return {
        "action": step.action.value, "from_status": step.from_status.value, "to_status": step.to_status.value,
        "revision": step.revision, "actor": step.actor, "at": step.at, "reason": step.reason,
    }  # fmt: skip


class SqlEvaluationUnitOfWork(SqlUnitOfWork):
    """The unit of work with the evaluation stores on the same connection."""

    def __enter__(self) -> Self:
        super().__enter__()
        self.evaluations = SqlEvaluationStore(self.connection)
        self.evaluation_facts = SqlEvaluationFactSource(self.connection)
        self.entries = SqlEntryStore(self.connection)
        return self
