"""Scoring periods into stored revisions, moving them through their lifecycle, reading and comparing
them. The rules live in the domain: the engine (``domain.evaluation.evaluate``), the lifecycle and
the fingerprint (``domain.revisions``), the comparison (``domain.revision_diffs``). Here they meet
storage in one transaction each: the facts are read through a port, scored, and stored as a new
revision — or not at all when the facts and the scheme are those of the latest revision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from kaoping.domain.errors import KaopingError, NotFoundError
from kaoping.domain.evaluation import evaluate
from kaoping.domain.facts import AdjustmentEvent, EvaluationFacts, ManualScore
from kaoping.domain.periods import Period
from kaoping.domain.results import Evaluation
from kaoping.domain.revision_diffs import UnitChange, diff_evaluations
from kaoping.domain.revisions import (
    ACTION_TO,
    EvaluationPeriod,
    PeriodAction,
    PeriodStatus,
    PeriodStep,
    PeriodStepError,
    Recomputation,
    Revision,
    advance,
    allowed_actions,
    fingerprint,
    recompute,
)
from kaoping.domain.schemes import EvaluatedLevel, Scheme, scheme_in_force
from kaoping.services.evaluation_ports import EvaluationUnitOfWork, SchemeSource, VersionedScheme


class SchemeChoiceError(KaopingError):
    """No scheme, or more than one, fits a period, or a level the scheme does not score."""


@dataclass(frozen=True, slots=True)
class PeriodQuery:
    """Which evaluation of a period: the scheme and level may be left out when only one was computed."""

    period: Period
    scheme: str | None = None
    level: EvaluatedLevel | None = None


@dataclass(frozen=True, slots=True)
class ScoreOutcome:
    """What ``score_period`` did: a new revision (``is_new``), or the latest one left as it was."""

    period: EvaluationPeriod
    revision: Revision
    is_new: bool
    evaluation: Evaluation
    changes: tuple[UnitChange, ...] = ()  # against the revision before (empty for the first)
    step: PeriodStep | None = None  # published → final when a published period was recomputed
    names: Mapping[str, str] = field(default_factory=dict)  # unit code → name


@dataclass(frozen=True, slots=True)
class StoredResults:
    period: EvaluationPeriod
    revision: Revision
    evaluation: Evaluation
    names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RevisionDiff:
    period: EvaluationPeriod
    before: Revision
    after: Revision
    changes: tuple[UnitChange, ...]
    names: Mapping[str, str] = field(default_factory=dict)


# --- choosing the scheme and the level ------------------------------------------------------------


def choose_scheme(schemes: Sequence[VersionedScheme], code: str | None, period: Period) -> VersionedScheme:
    """The version of scheme ``code`` in force on the period's first day; without a code, the only
    scheme published as often as the period (monthly for 2025-07, quarterly for 2025Q3)."""
    if code is None:
        codes = sorted({v.scheme.code for v in schemes if v.scheme.period is period.kind})
        if len(codes) != 1:
            found = "、".join(codes) or "无"
            raise SchemeChoiceError(f"{period.label} 可用的方案: {found}; 请用 --scheme 指定方案代码")
        code = codes[0]
    chosen = scheme_in_force([v.scheme for v in schemes], code, period.first_day)
    if chosen.period is not period.kind:
        raise SchemeChoiceError(
            f"方案 {code} 按{_KIND_LABELS[chosen.period.value]}考评, 不能计算 {period.label}"
        )
    return next(v for v in schemes if v.scheme is chosen)


_KIND_LABELS = {"month": "月", "quarter": "季度", "year": "年"}


def scheme_at_level(
    scheme: Scheme, level: EvaluatedLevel | None, levels: Mapping[str, EvaluatedLevel]
) -> tuple[Scheme, EvaluatedLevel]:
    """The scheme narrowed to the groups of one evaluated level (``levels``: unit code → level, from
    the database). A group is of the level its known members are; a group none of whose members is
    known yet belongs to no level (it cannot be scored), one that mixes levels is refused."""
    names = "、".join(lv.value for lv in scheme.evaluated)
    if level is None:
        if len(scheme.evaluated) > 1:
            raise SchemeChoiceError(f"方案 {scheme.code} 考评多个层级 ({names}), 请用 --level 指定")
        level = scheme.evaluated[0]
    if level not in scheme.evaluated:
        raise SchemeChoiceError(f"方案 {scheme.code} 不考评 {level.value} (考评层级: {names})")
    if len(scheme.evaluated) == 1:
        return scheme, level
    groups = {code: g for code, g in scheme.groups.items() if _group_level(scheme, code, levels) is level}
    if not groups:
        raise SchemeChoiceError(f"方案 {scheme.code} 没有成员为 {level.value} 的组 (按数据库中的单位判断)")
    return replace(scheme, evaluated=(level,), groups=groups), level


def _group_level(scheme: Scheme, code: str, levels: Mapping[str, EvaluatedLevel]) -> EvaluatedLevel | None:
    found = {levels[m] for m in scheme.groups[code].members if m in levels}
    if len(found) > 1:
        raise SchemeChoiceError(f"方案 {scheme.code} 的组 {code} 混合了不同层级的成员, 无法确定其考评层级")
    return found.pop() if found else None


def members_of(scheme: Scheme) -> frozenset[str]:
    return frozenset(m for g in scheme.groups.values() for m in g.members)


# --- scoring --------------------------------------------------------------------------------------


def score_period(
    uow: EvaluationUnitOfWork,
    schemes: SchemeSource,
    query: PeriodQuery,
    *,
    at: datetime,
    tz: ZoneInfo,
    reason: str = "",
    actor: str = "",
) -> ScoreOutcome:
    """Score a period under the scheme in force on its first day and store a new revision — or none
    when the facts and the scheme are those of the latest revision."""
    chosen = choose_scheme(schemes.schemes(), query.scheme, query.period)
    with uow:
        scheme, current = _evaluated(uow, chosen.scheme, query)
        cutoff = min(at, query.period.bounds(tz)[1])
        facts = gather_facts(uow, scheme, query.period, current.level, tz, cutoff)
        revisions = uow.evaluations.list_revisions(current) if current.revisions else []
        latest = revisions[-1] if revisions else None
        plan = recompute(
            current, latest, scheme, chosen.digest, fingerprint(facts),
            at=at, facts_at=cutoff, reason=reason, actor=actor,
        )  # fmt: skip
        if plan.revision is None:
            assert latest is not None
            stored = uow.evaluations.results(current, latest.number)
            return ScoreOutcome(current, latest, False, stored, names=_names(uow, stored))
        outcome = _store(uow, scheme, facts, plan, latest, at)
        uow.commit()
    return outcome


def _evaluated(
    uow: EvaluationUnitOfWork, scheme: Scheme, query: PeriodQuery
) -> tuple[Scheme, EvaluationPeriod]:
    """The scheme narrowed to the level asked for, and the period as stored (or a new one)."""
    levels = uow.evaluation_facts.unit_levels(members_of(scheme))
    narrowed, level = scheme_at_level(scheme, query.level, levels)
    found = uow.evaluations.find_period(narrowed.code, query.period, level)
    return narrowed, found or EvaluationPeriod(narrowed.code, query.period, level)


def _store(
    uow: EvaluationUnitOfWork,
    scheme: Scheme,
    facts: EvaluationFacts,
    plan: Recomputation,
    latest: Revision | None,
    at: datetime,
) -> ScoreOutcome:
    """Evaluate, store the revision and its period, and compare it with the one before."""
    assert plan.revision is not None
    evaluation = evaluate(scheme, facts)
    uow.evaluations.save_period(plan.period, plan.step, at)
    uow.evaluations.add_revision(plan.period, plan.revision, evaluation, scheme.department_share)
    before = uow.evaluations.results(plan.period, latest.number) if latest else None
    changes = diff_evaluations(before, evaluation) if before is not None else ()
    names = _names(uow, evaluation)
    return ScoreOutcome(plan.period, plan.revision, True, evaluation, changes, plan.step, names)


def _names(uow: EvaluationUnitOfWork, evaluation: Evaluation) -> dict[str, str]:
    return uow.evaluation_facts.unit_names({u.unit for g in evaluation.groups for u in g.units})


def gather_facts(
    uow: EvaluationUnitOfWork,
    scheme: Scheme,
    period: Period,
    level: EvaluatedLevel,
    tz: ZoneInfo,
    at: datetime,
) -> EvaluationFacts:
    """The counted facts, the entered scores and events of the scheme's members, and the previous
    period's published ranks."""
    facts = uow.evaluation_facts.period_facts(scheme, period, tz, at)
    members = members_of(scheme)
    manual = tuple(
        ManualScore(e.unit, e.item, e.points)
        for e in uow.entries.list_manual_scores(scheme.code, period)
        if e.unit in members
    )
    events = tuple(
        AdjustmentEvent(e.unit, e.adjustment, e.tier, e.count, e.points)
        for e in uow.entries.list_adjustment_events(scheme.code, period)
        if e.unit in members
    )
    previous = uow.evaluations.published_standings(scheme.code, period.previous(), level)
    previous = {unit: p for unit, p in previous.items() if unit in members}
    return replace(facts, manual=manual, adjustments=events, previous=previous)


# --- the lifecycle ----------------------------------------------------------------------------------


def resolve_period(uow: EvaluationUnitOfWork, query: PeriodQuery) -> EvaluationPeriod:
    """The one computed evaluation of a period that fits the query; NotFoundError or, when several
    fit, an error naming them."""
    found = [
        p
        for p in uow.evaluations.list_periods(query.period)
        if query.scheme in (None, p.scheme) and query.level in (None, p.level)
    ]
    if not found:
        asked = " ".join(x for x in (query.period.code, query.scheme, query.level) if x)
        raise NotFoundError("考评结果", f"{asked} (请先运行 kaoping evaluate)")
    if len(found) > 1:
        names = "、".join(f"{p.scheme} ({p.level.value})" for p in found)
        raise SchemeChoiceError(f"{query.period.label} 有多个考评: {names}; 请用 --scheme 和 --level 指定")
    return found[0]


def publish(
    uow: EvaluationUnitOfWork,
    query: PeriodQuery,
    to: PeriodStatus | None = None,
    *,
    at: datetime,
    actor: str = "",
    reason: str = "",
    appeal_until: date | None = None,
) -> tuple[EvaluationPeriod, PeriodStep]:
    """Move a period one stage forward (to ``to``, or the next stage); its latest revision moves with it."""
    with uow:
        current = resolve_period(uow, query)
        moved, step = advance(current, _action_to(current, to), at=at, actor=actor, reason=reason,
                              appeal_until=appeal_until)  # fmt: skip
        uow.evaluations.save_period(moved, step, at)
        uow.evaluations.mark_revision(moved, moved.revisions, moved.status, at)
        uow.commit()
    return moved, step


def _action_to(period: EvaluationPeriod, to: PeriodStatus | None) -> PeriodAction:
    if to is None:
        forward = [a for a in allowed_actions(period.status) if a is not PeriodAction.RECOMPUTE]
        return forward[0] if forward else PeriodAction.PUBLISH  # the guard names what is allowed
    if to not in ACTION_TO:
        raise PeriodStepError(f"考评周期不能回到「{to.label}」")
    return ACTION_TO[to]


# --- reading ----------------------------------------------------------------------------------------


def list_revisions(uow: EvaluationUnitOfWork, query: PeriodQuery) -> tuple[EvaluationPeriod, list[Revision]]:
    """A period and its revisions, oldest first."""
    with uow:
        current = resolve_period(uow, query)
        return current, uow.evaluations.list_revisions(current)


def list_steps(uow: EvaluationUnitOfWork, query: PeriodQuery) -> list[PeriodStep]:
    """The recorded steps of a period through its lifecycle (who, when, from, to, why), oldest first."""
    with uow:
        return uow.evaluations.list_steps(resolve_period(uow, query))


def get_revision(revisions: Sequence[Revision], number: int | None) -> Revision:
    """Revision ``number`` (None: the latest); NotFoundError."""
    for revision in reversed(revisions):
        if number is None or revision.number == number:
            return revision
    raise NotFoundError("修订", number if number is not None else "尚无修订")


def get_results(uow: EvaluationUnitOfWork, query: PeriodQuery, number: int | None = None) -> StoredResults:
    """A revision's results (default: the latest revision), without score lines."""
    with uow:
        current = resolve_period(uow, query)
        revision = get_revision(uow.evaluations.list_revisions(current), number)
        evaluation = uow.evaluations.results(current, revision.number)
        return StoredResults(current, revision, evaluation, _names(uow, evaluation))


def diff_revisions(uow: EvaluationUnitOfWork, query: PeriodQuery, before: int, after: int) -> RevisionDiff:
    """What changed from revision ``before`` to revision ``after``."""
    with uow:
        current = resolve_period(uow, query)
        revisions = uow.evaluations.list_revisions(current)
        a, b = get_revision(revisions, before), get_revision(revisions, after)
        old = uow.evaluations.results(current, a.number)
        new = uow.evaluations.results(current, b.number)
        changes = diff_evaluations(old, new)
        names = uow.evaluation_facts.unit_names({c.unit for c in changes})
        return RevisionDiff(current, a, b, changes, names)
