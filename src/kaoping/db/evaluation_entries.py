"""Entered manual scores and adjustment events (``kaoping.services.evaluation_ports.EntryStore``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select

from kaoping.db.tables import adjustment_event, manual_score
from kaoping.domain.errors import NotFoundError
from kaoping.domain.periods import Period
from kaoping.services.evaluation_ports import AdjustmentEntry, ManualEntry

_M, _E = manual_score.c, adjustment_event.c


class SqlEntryStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def list_manual_scores(self, scheme: str, period: Period) -> list[ManualEntry]:
        stmt = (
            select(manual_score)
            .where(_M.scheme_code == scheme, _M.period_code == period.code)
            .order_by(_M.unit_code, _M.item_code)
        )
        return [_manual(row) for row in self._conn.execute(stmt)]

    def set_manual_score(self, entry: ManualEntry) -> None:
        key = {
            "scheme_code": entry.scheme,
            "period_code": entry.period.code,
            "unit_code": entry.unit,
            "item_code": entry.item,
        }
        # Replace rather than upsert: one portable statement pair on both engines.
        self._conn.execute(delete(manual_score).where(*(manual_score.c[k] == v for k, v in key.items())))
        values = {"points": entry.points, "entered_by": entry.entered_by, "entered_at": entry.entered_at}
        self._conn.execute(insert(manual_score).values(**key, **values, note=entry.note))

    def list_adjustment_events(self, scheme: str, period: Period) -> list[AdjustmentEntry]:
        stmt = (
            select(adjustment_event)
            .where(_E.scheme_code == scheme, _E.period_code == period.code)
            .order_by(_E.unit_code, _E.id)
        )
        return [_event(row) for row in self._conn.execute(stmt)]

    def add_adjustment_event(self, entry: AdjustmentEntry) -> int:
        values = {
            "scheme_code": entry.scheme, "period_code": entry.period.code, "unit_code": entry.unit,
            "adjustment_code": entry.adjustment, "tier": entry.tier, "count": entry.count,
            "points": entry.points, "entered_by": entry.entered_by, "entered_at": entry.entered_at,
            "note": entry.note,
        }  # fmt: skip
        return int(self._conn.execute(insert(adjustment_event).values(values).returning(_E.id)).scalar_one())

    def remove_adjustment_event(self, event_id: int) -> AdjustmentEntry:
        row = self._conn.execute(select(adjustment_event).where(_E.id == event_id)).first()
        if row is None:
            raise NotFoundError("加减分事件", event_id)
        self._conn.execute(delete(adjustment_event).where(_E.id == event_id))
        return _event(row)


def _exact(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(format(Decimal(value).normalize(), "f"))


def _manual(row: Row[Any]) -> ManualEntry:
    points = _exact(row.points)
    assert points is not None
    return ManualEntry(
        row.scheme_code, Period.parse(row.period_code), row.unit_code, row.item_code, points,
        row.entered_by, row.entered_at, row.note,
    )  # fmt: skip


def _event(row: Row[Any]) -> AdjustmentEntry:
    return AdjustmentEntry(
        row.scheme_code, Period.parse(row.period_code), row.unit_code, row.adjustment_code, row.tier,
        row._mapping["count"], _exact(row.points), row.entered_by, row.entered_at, row.note, row.id,
    )  # fmt: skip
