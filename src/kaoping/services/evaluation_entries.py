"""Entering what the facts cannot count: manual scores per unit × item (部门考评, 专家评审…) and the
events bonuses and penalties count (an adopted publicity report, a negative exposure…).

Each entry is checked against the scheme in force on the period's first day by the same rules the
engine applies (``domain.evaluation.manual_scores``, ``domain.adjustments.check_events``), so an
entry that is accepted here can always be scored. The next ``score_period`` picks entries up: they
are facts, part of the fingerprint, and change the revision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from kaoping.domain.adjustments import check_events
from kaoping.domain.evaluation import manual_scores
from kaoping.domain.facts import AdjustmentEvent, EvaluationError, EvaluationFacts, ManualScore
from kaoping.domain.periods import Period
from kaoping.domain.schemes import Scheme
from kaoping.services.evaluation_ports import (
    AdjustmentEntry,
    EvaluationUnitOfWork,
    ManualEntry,
    VersionedScheme,
)
from kaoping.services.evaluations import choose_scheme, members_of


def _scheme_for(schemes: Sequence[VersionedScheme], code: str | None, period: Period) -> Scheme:
    return choose_scheme(schemes, code, period).scheme


def _check_member(scheme: Scheme, unit: str) -> None:
    if unit not in members_of(scheme):
        raise EvaluationError(f"单位 {unit!r} 不是方案 {scheme.code} 任何一组的成员", unit)


def set_manual_score(
    uow: EvaluationUnitOfWork, schemes: Sequence[VersionedScheme], entry: ManualEntry, *, scheme: str | None
) -> ManualEntry:
    """Enter (or replace) a unit's points on a manual item, checked against the scheme."""
    chosen = _scheme_for(schemes, scheme, entry.period)
    _check_member(chosen, entry.unit)
    manual_scores(chosen, EvaluationFacts(manual=(ManualScore(entry.unit, entry.item, entry.points),)))
    stored = replace(entry, scheme=chosen.code)
    with uow:
        uow.entries.set_manual_score(stored)
        uow.commit()
    return stored


def list_manual_scores(
    uow: EvaluationUnitOfWork, schemes: Sequence[VersionedScheme], period: Period, scheme: str | None
) -> list[ManualEntry]:
    chosen = _scheme_for(schemes, scheme, period)
    with uow:
        return uow.entries.list_manual_scores(chosen.code, period)


def add_adjustment_event(
    uow: EvaluationUnitOfWork,
    schemes: Sequence[VersionedScheme],
    entry: AdjustmentEntry,
    *,
    scheme: str | None,
) -> AdjustmentEntry:
    """Record an event a bonus or penalty counts, checked against the scheme."""
    chosen = _scheme_for(schemes, scheme, entry.period)
    _check_member(chosen, entry.unit)
    if entry.count < 1:
        raise EvaluationError(f"次数 {entry.count} 无效: 至少为 1", entry.unit)
    event = AdjustmentEvent(entry.unit, entry.adjustment, entry.tier, entry.count, entry.points)
    check_events(chosen, EvaluationFacts(adjustments=(event,)))
    stored = replace(entry, scheme=chosen.code)
    with uow:
        event_id = uow.entries.add_adjustment_event(stored)
        uow.commit()
    return replace(stored, id=event_id)


def list_adjustment_events(
    uow: EvaluationUnitOfWork, schemes: Sequence[VersionedScheme], period: Period, scheme: str | None
) -> list[AdjustmentEntry]:
    chosen = _scheme_for(schemes, scheme, period)
    with uow:
        return uow.entries.list_adjustment_events(chosen.code, period)


def remove_adjustment_event(uow: EvaluationUnitOfWork, event_id: int) -> AdjustmentEntry:
    """Delete an event entered by mistake; the next scoring leaves it out (and makes a revision)."""
    with uow:
        removed = uow.entries.remove_adjustment_event(event_id)
        uow.commit()
    return removed
