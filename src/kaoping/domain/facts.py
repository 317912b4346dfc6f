"""The facts an evaluation is computed from (统计事实): plain counts and entries, no rules.

One SQL pass per period produces them (DESIGN.md decision 2); ``kaoping.domain.evaluation.evaluate``
turns them into scores under a scheme. Nothing here knows a scheme, so the same facts can be scored
under two versions and compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from operator import attrgetter

from kaoping.domain.errors import KaopingError
from kaoping.domain.frozen import maker
from kaoping.domain.indicators import CaseCounters
from kaoping.domain.problems import Channel
from kaoping.domain.schemes import Normalisation


@dataclass(frozen=True, slots=True)
class ProblemFact:
    """How many problems of one kind a unit had: one row of the fact query."""

    unit: str  # unit code (town/district/department)
    sub_period: int  # 0, or the month (1-12) when a component is measured monthly inside a quarter
    category_code: str
    channel: Channel
    repeat_index: int  # 0: not a repeat; 1: the first repeat; 2: a repeat of a repeat…
    is_overdue: bool  # rectified late, or open past its deadline (超时)
    is_no_feedback: bool  # 逾期未反馈
    count: int
    share: Decimal = Decimal(1)  # liability split: the part of each deduction this unit carries


@dataclass(frozen=True, slots=True)
class ManualScore:
    """Points entered for a unit × manual item (部门考评, 专家评审…)."""

    unit: str
    item: str
    points: Decimal


@dataclass(frozen=True, slots=True)
class AdjustmentEvent:
    """Something a bonus or penalty counts: ``count`` adopted reports of an outlet tier, or entered
    points (``points`` each, for manual bonuses and penalties)."""

    unit: str
    adjustment: str  # adjustment code in the scheme
    tier: str = ""  # outlet tier (省级, 市级…) for points_by_tier; "" otherwise
    count: int = 1
    points: Decimal | None = None  # entered points each; None: the scheme's points for the tier


@dataclass(frozen=True, slots=True)
class Previous:
    """A unit's published result of the previous period (for 进步加分/退步扣分 and rank change)."""

    rank: int
    total: Decimal | None = None


@dataclass(frozen=True, slots=True)
class EvaluationFacts:
    """Everything one period's evaluation reads."""

    problems: tuple[ProblemFact, ...] = ()
    counters: Mapping[str, Mapping[Channel, CaseCounters]] = field(default_factory=dict)  # unit → channel
    manual: tuple[ManualScore, ...] = ()
    adjustments: tuple[AdjustmentEvent, ...] = ()
    exposures: Mapping[str, Mapping[Normalisation, Decimal]] = field(default_factory=dict)  # unit → base
    previous: Mapping[str, Previous] = field(default_factory=dict)
    severities: Mapping[str, int] = field(default_factory=dict)  # category code → severity (1-3)
    sub_periods: tuple[int, ...] = ()  # months a monthly component covers (7, 8, 9); () from the facts
    category_names: Mapping[str, str] = field(default_factory=dict)
    channel_names: Mapping[Channel, str] = field(default_factory=dict)
    unit_names: Mapping[str, str] = field(default_factory=dict)

    def counters_of(self, unit: str, channels: frozenset[Channel] = frozenset()) -> CaseCounters:
        """A unit's case counters summed over ``channels`` (all channels when empty)."""
        by_channel = self.counters.get(unit, {})
        rows = [c for ch, c in by_channel.items() if not channels or ch in channels]
        return sum_counters(rows)

    def unit_label(self, unit: str) -> str:
        """ "历下区 (370102)" for messages, or the bare code when the name is unknown."""
        name = self.unit_names.get(unit)
        return f"{name} ({unit})" if name else unit


_counter_values = attrgetter(*CaseCounters.__dataclass_fields__)
_make_counters = maker(CaseCounters)


def sum_counters(rows: list[CaseCounters]) -> CaseCounters:
    """Counters are counts, so channels add up field by field."""
    if len(rows) <= 1:
        return rows[0] if rows else CaseCounters()
    return _make_counters(*map(sum, zip(*map(_counter_values, rows), strict=True)))


class EvaluationError(KaopingError):
    """Facts the scheme cannot score: an entry out of range, a missing base, an unknown code."""

    def __init__(self, message: str, unit: str = "", item: str = "") -> None:
        super().__init__(message)
        self.unit = unit
        self.item = item


def split_liability(fact: ProblemFact, department: str, department_share: Decimal) -> tuple[ProblemFact, ...]:
    """The two facts of a problem whose deduction a department and a town share (2:8 [S43])."""
    if department_share <= 0:
        return (fact,)
    return (
        replace(fact, unit=department, share=fact.share * department_share),
        replace(fact, share=fact.share * (1 - department_share)),
    )
