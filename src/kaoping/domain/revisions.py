"""Evaluation periods and their revisions (考评周期与修订): the lifecycle, the facts' fingerprint.

A period of a scheme at one level goes 计分中 → 初评公示 → 申诉期 → 终评 → 已公布. Every computation
that changes something is a new numbered revision recording the scheme version, a hash of the scheme
file and a fingerprint of the facts; a computation over the same facts and scheme makes none.
Results may be recomputed at every stage; after publication a recomputation is a new revision that
has to be published again, and the published one stays as it was (frozen, readable).

``TRANSITIONS`` is the only place that says what may follow what; ``advance`` is the only guard.
Comparing two revisions is ``kaoping.domain.revision_diffs``.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from kaoping.domain.cases import IllegalTransitionError, WorkflowError, parse_labelled
from kaoping.domain.facts import EvaluationFacts
from kaoping.domain.periods import Period
from kaoping.domain.schemes import EvaluatedLevel, Scheme


class PeriodStatus(StrEnum):
    OPEN = "open"  # 计分中: data still coming in; results are working figures
    PRELIMINARY = "preliminary"  # 初评公示: shown to the units
    APPEAL = "appeal"  # 申诉期: units may contest deductions until appeal_until
    FINAL = "final"  # 终评: appeals settled, waiting to be published
    PUBLISHED = "published"  # 已公布 (通报/点评会): the revision is frozen

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


class PeriodAction(StrEnum):
    ANNOUNCE = "announce"  # 公示初评
    OPEN_APPEALS = "open_appeals"  # 进入申诉期
    FINALISE = "finalise"  # 确定终评
    PUBLISH = "publish"  # 正式公布
    RECOMPUTE = "recompute"  # 重新计算 (a new revision)

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


STATUS_LABELS: Mapping[PeriodStatus, str] = MappingProxyType(
    {
        PeriodStatus.OPEN: "计分中",
        PeriodStatus.PRELIMINARY: "初评公示",
        PeriodStatus.APPEAL: "申诉期",
        PeriodStatus.FINAL: "终评",
        PeriodStatus.PUBLISHED: "已公布",
    }
)
ACTION_LABELS: Mapping[PeriodAction, str] = MappingProxyType(
    {
        PeriodAction.ANNOUNCE: "公示初评",
        PeriodAction.OPEN_APPEALS: "进入申诉期",
        PeriodAction.FINALISE: "确定终评",
        PeriodAction.PUBLISH: "正式公布",
        PeriodAction.RECOMPUTE: "重新计算",
    }
)

_S, _A = PeriodStatus, PeriodAction
_FORWARD = {
    (_S.OPEN, _A.ANNOUNCE): _S.PRELIMINARY,
    (_S.PRELIMINARY, _A.OPEN_APPEALS): _S.APPEAL,
    (_S.APPEAL, _A.FINALISE): _S.FINAL,
    (_S.FINAL, _A.PUBLISH): _S.PUBLISHED,
}
# A recomputation keeps the stage, except after publication: the new revision waits at 终评 to be
# published again, while the published one stays as it was.
_RECOMPUTE = {(s, _A.RECOMPUTE): s for s in PeriodStatus if s is not _S.PUBLISHED}
TRANSITIONS: Mapping[tuple[PeriodStatus, PeriodAction], PeriodStatus] = MappingProxyType(
    _FORWARD | _RECOMPUTE | {(_S.PUBLISHED, _A.RECOMPUTE): _S.FINAL}
)
"""(status, action) → the status after it; a pair not in the table is refused."""

ACTION_TO: Mapping[PeriodStatus, PeriodAction] = MappingProxyType(
    {target: action for (_, action), target in _FORWARD.items()}
)
"""The forward action that leads to a status (``kaoping publish --to final``)."""


def allowed_actions(status: PeriodStatus) -> tuple[PeriodAction, ...]:
    """The actions the table allows from ``status``, in the order of ``PeriodAction``."""
    return tuple(a for a in PeriodAction if (status, a) in TRANSITIONS)


def parse_status(text: str) -> PeriodStatus:
    """A status as stored (``final``) or as people say it (终评)."""
    return parse_labelled(STATUS_LABELS, text, "考评周期状态")


@dataclass(frozen=True, slots=True)
class EvaluationPeriod:
    """One period of one scheme at one level, and where it stands."""

    scheme: str  # scheme code (the version is the revision's)
    period: Period
    level: EvaluatedLevel
    status: PeriodStatus = PeriodStatus.OPEN
    appeal_until: date | None = None  # the last day of the appeal window
    revisions: int = 0  # the latest revision's number (0: never computed)

    @property
    def label(self) -> str:
        """方案 jinan-city-quarterly 2025年第3季度 (district)."""
        return f"方案 {self.scheme} {self.period.label} ({self.level.value})"


@dataclass(frozen=True, slots=True)
class PeriodStep:
    """One move of a period through its lifecycle, recorded as its own row."""

    action: PeriodAction
    from_status: PeriodStatus
    to_status: PeriodStatus
    at: datetime
    actor: str
    reason: str
    revision: int  # the revision the period stands on after the step


@dataclass(frozen=True, slots=True)
class Revision:
    """One computation of a period's results that changed something (修订)."""

    number: int  # 1, 2, … within the period
    status: PeriodStatus  # the stage it reached; a published one never changes again
    scheme_version: str
    scheme_hash: str  # sha256 of the scheme file
    fingerprint: str  # sha256 of the facts (``fingerprint``)
    created_at: datetime
    facts_at: datetime  # the cut-off cases were judged at (the period's end, or the moment before it)
    reason: str = ""  # 申诉 #12 改判, 补录数据 …
    published_at: datetime | None = None

    @property
    def is_published(self) -> bool:
        return self.status is PeriodStatus.PUBLISHED


class PeriodStepError(WorkflowError):
    """A step the lifecycle allows, refused for what it lacks (results, a reason, the appeal window over)."""


def advance(
    period: EvaluationPeriod,
    action: PeriodAction,
    *,
    at: datetime,
    actor: str = "",
    reason: str = "",
    appeal_until: date | None = None,
) -> tuple[EvaluationPeriod, PeriodStep]:
    """Move a period forward one stage: the one guard of the lifecycle (recomputing is ``recompute``)."""
    if action is PeriodAction.RECOMPUTE:
        raise PeriodStepError("重新计算请用 kaoping evaluate, 它会按需生成新修订")
    target = TRANSITIONS.get((period.status, action))
    if target is None:
        raise IllegalTransitionError(
            f"{period.label} ", period.status, action, allowed_actions(period.status)
        )
    if period.revisions == 0:
        raise PeriodStepError(f"{period.label} 尚未计算, 请先运行 kaoping evaluate")
    if appeal_until is not None and target is not PeriodStatus.APPEAL:
        raise PeriodStepError("只有进入申诉期时才能设定申诉截止日期")
    if period.status is PeriodStatus.APPEAL and period.appeal_until and at.date() <= period.appeal_until:
        raise PeriodStepError(f"申诉期至 {period.appeal_until.isoformat()} 结束, 之后才能确定终评")
    if appeal_until is not None and appeal_until < at.date():
        raise PeriodStepError(f"申诉截止日期 {appeal_until.isoformat()} 早于今天")
    moved = replace(period, status=target, appeal_until=appeal_until or period.appeal_until)
    return moved, PeriodStep(action, period.status, target, at, actor, reason, period.revisions)


@dataclass(frozen=True, slots=True)
class Recomputation:
    """What a computation over ``fingerprint`` decides: a new revision (with the period after it and
    the recorded step), or none because the latest one was made from the same facts and scheme."""

    period: EvaluationPeriod
    revision: Revision | None  # None: nothing changed
    step: PeriodStep | None = None


def recompute(
    period: EvaluationPeriod,
    latest: Revision | None,
    scheme: Scheme,
    scheme_hash: str,
    fingerprint: str,
    *,
    at: datetime,
    facts_at: datetime,
    reason: str = "",
    actor: str = "",
) -> Recomputation:
    """A new revision when the facts or the scheme changed; refused without a reason once the
    results have been shown (初评公示 or later)."""
    if latest is not None and (latest.fingerprint, latest.scheme_hash) == (fingerprint, scheme_hash):
        return Recomputation(period, None)
    if latest is not None and period.status is not PeriodStatus.OPEN and not reason.strip():
        raise PeriodStepError(
            f'{period.label} 已{period.status.label}, 重新计算须说明理由 (如 --reason "申诉 #12 改判")'
        )
    target = TRANSITIONS[(period.status, PeriodAction.RECOMPUTE)]
    number = period.revisions + 1
    revision = Revision(
        number, target, scheme.version, scheme_hash, fingerprint, at, facts_at, reason.strip()
    )
    moved = replace(period, status=target, revisions=number)
    step = None
    if target is not period.status:
        step = PeriodStep(PeriodAction.RECOMPUTE, period.status, target, at, actor, reason.strip(), number)
    return Recomputation(moved, revision, step)


# --- the fingerprint of the facts --------------------------------------------------------------------


def fingerprint(facts: EvaluationFacts) -> str:
    """sha256 over a canonical serialisation of every fact a score depends on — problems, case
    counters, manual scores, adjustment events, exposures, previous ranks, severities, months — so
    the same facts in any order (or split into rows differently) give the same fingerprint. Names
    are left out: renaming a category changes no score."""
    canonical = json.dumps(_canonical(facts), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _number(value: Decimal | None) -> str | None:
    """1, 1.0 and 1.00 are one number: written without trailing zeros or exponent."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def _canonical(facts: EvaluationFacts) -> dict[str, object]:
    problems: dict[tuple[object, ...], int] = defaultdict(int)
    for p in facts.problems:
        key = (p.unit, p.sub_period, p.category_code, p.channel.value, p.repeat_index)
        problems[(*key, p.is_overdue, p.is_no_feedback, _number(p.share))] += p.count
    events: dict[tuple[object, ...], int] = defaultdict(int)
    for e in facts.adjustments:
        events[(e.unit, e.adjustment, e.tier, _number(e.points))] += e.count
    counters = [
        [unit, channel.value, *(getattr(c, name) for name in type(c).__dataclass_fields__)]
        for unit, by_channel in facts.counters.items()
        for channel, c in by_channel.items()
    ]
    exposures = [
        [unit, kind.value, _number(value)]
        for unit, bases in facts.exposures.items()
        for kind, value in bases.items()
    ]
    return {
        "problems": _sorted([*k, n] for k, n in problems.items() if n),
        "counters": _sorted(counters),
        "manual": _sorted([m.unit, m.item, _number(m.points)] for m in facts.manual),
        "adjustments": _sorted([*k, n] for k, n in events.items() if n),
        "exposures": _sorted(exposures),
        "previous": _sorted([unit, p.rank, _number(p.total)] for unit, p in facts.previous.items()),
        "severities": _sorted([code, severity] for code, severity in facts.severities.items()),
        "sub_periods": sorted(set(facts.sub_periods)),
    }


def _sorted(rows: Iterable[list[Any]]) -> list[list[Any]]:
    """Rows in the order of their JSON text: total, whatever mix of None, text and numbers they hold."""
    return sorted(rows, key=lambda row: json.dumps(row, ensure_ascii=False))
