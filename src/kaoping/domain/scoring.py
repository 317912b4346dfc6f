"""The first scoring pass: per-problem deductions by item, a repeat multiplier, item caps
(扣完为止), totals, rank within group and rank change against the previous period.

Everything here is a pure function over plain facts (counts per unit × category × channel × flags),
so any number can be recomputed and explained. Points are ``Decimal``; they are rounded to
hundredths only when a score line is built, never compared as floats.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from kaoping.domain.ids import UnitId
from kaoping.domain.problems import Channel
from kaoping.domain.repeats import RepeatRule

HUNDREDTH = Decimal("0.01")


def to_points(value: Decimal) -> Decimal:
    """Round to the hundredths that schemes publish (half up, as people round)."""
    return value.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class ProblemFact:
    """How many problems of one kind a unit had in a period: one row of the fact query."""

    unit_id: UnitId
    category_code: str
    channel: Channel
    is_repeat: bool
    is_overdue: bool
    count: int


@dataclass(frozen=True, slots=True)
class ItemRule:
    """An evaluation item (考评项目) and the categories whose problems are deducted from it."""

    code: str
    name: str
    category_codes: frozenset[str]
    points_per_problem: Decimal


@dataclass(frozen=True, slots=True)
class GroupRule:
    """An evaluation group (组): its members are ranked together over its items."""

    code: str
    name: str
    item_maxima: Mapping[str, Decimal]  # item code → maximum points in this group


@dataclass(frozen=True, slots=True)
class ScoringRules:
    """The parameters of the first pass; the versioned scheme engine grows from here."""

    base_points: Decimal
    items: Mapping[str, ItemRule]
    groups: Mapping[str, GroupRule]
    channel_weights: Mapping[Channel, Decimal]  # deductible channels and their weight
    repeat_multiplier: Decimal = Decimal(2)
    overdue_extra: Decimal = Decimal(0)  # added per problem rectified late or still open late
    category_points: Mapping[str, Decimal] = field(default_factory=dict)  # per-category override
    high_score_threshold: Decimal = Decimal("0.5")
    repeat_rule: RepeatRule = field(default_factory=RepeatRule)  # what counts as a repeat problem
    _item_by_category: dict[str, ItemRule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, ItemRule] = {}
        for item in self.items.values():
            for code in item.category_codes:
                if code in index:
                    raise ValueError(f"category {code} is mapped to both {index[code].code} and {item.code}")
                index[code] = item
        object.__setattr__(self, "_item_by_category", index)
        for group in self.groups.values():
            unknown = set(group.item_maxima) - set(self.items)
            if unknown:
                raise ValueError(f"group {group.code} lists unknown items {sorted(unknown)}")
            total = sum(group.item_maxima.values(), Decimal(0))
            if total != self.base_points:
                raise ValueError(
                    f"group {group.code}: item maxima add up to {total}, not the base {self.base_points}"
                )

    def item_of(self, category_code: str) -> ItemRule | None:
        """The item a category's problems are deducted from, if any."""
        return self._item_by_category.get(category_code)

    def problem_points(self, category_code: str, channel: Channel) -> Decimal:
        """Points one (non-repeat, on-time) problem of this category from this channel costs."""
        weight = self.channel_weights.get(channel)
        item = self.item_of(category_code)
        if weight is None or item is None:
            return Decimal(0)
        return self.category_points.get(category_code, item.points_per_problem) * weight

    def is_high_score(self, category_code: str, channel: Channel) -> bool:
        """A high-score problem (高分问题): one whose deduction reaches the scheme's threshold."""
        points = self.problem_points(category_code, channel)
        return points > 0 and points >= self.high_score_threshold


@dataclass(frozen=True, slots=True)
class ItemScore:
    """One line of a score card: an item's problems, its deduction before and after the cap."""

    item_code: str
    max_points: Decimal
    problems: int
    deducted_problems: int
    repeats: int
    overdue: int
    raw_deduction: Decimal
    deduction: Decimal  # min(raw, max): 扣完为止
    points: Decimal


@dataclass(frozen=True, slots=True)
class UnitScore:
    unit_id: UnitId
    group_code: str
    total: Decimal
    items: tuple[ItemScore, ...]
    rank: int = 0
    previous_rank: int | None = None

    @property
    def rank_change(self) -> int | None:
        """Places gained since the previous period (positive = moved up)."""
        return None if self.previous_rank is None else self.previous_rank - self.rank


@dataclass
class _Tally:
    problems: int = 0
    deducted: int = 0
    repeats: int = 0
    overdue: int = 0
    deduction: Decimal = Decimal(0)


def score_unit(
    rules: ScoringRules, group: GroupRule, unit_id: UnitId, facts: Iterable[ProblemFact]
) -> UnitScore:
    """Score one unit of ``group`` from its facts (facts of other units must not be passed)."""
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    for fact in facts:
        item = rules.item_of(fact.category_code)
        if item is None or item.code not in group.item_maxima:
            continue
        tally = tallies[item.code]
        tally.problems += fact.count
        points = rules.problem_points(fact.category_code, fact.channel)
        if points == 0:
            continue
        tally.deducted += fact.count
        tally.repeats += fact.count if fact.is_repeat else 0
        tally.overdue += fact.count if fact.is_overdue else 0
        each = points * (rules.repeat_multiplier if fact.is_repeat else 1)
        each += rules.overdue_extra if fact.is_overdue else 0
        tally.deduction += each * fact.count
    lines = []
    for code, maximum in group.item_maxima.items():
        tally = tallies.get(code, _Tally())
        raw = to_points(tally.deduction)
        capped = min(raw, maximum)
        lines.append(
            ItemScore(
                code,
                maximum,
                tally.problems,
                tally.deducted,
                tally.repeats,
                tally.overdue,
                raw,
                capped,
                maximum - capped,
            )
        )
    total = sum((line.points for line in lines), Decimal(0))
    return UnitScore(unit_id, group.code, total, tuple(lines))


def rank(totals: Mapping[UnitId, Decimal]) -> dict[UnitId, int]:
    """Competition ranking (1, 2, 2, 4): equal totals share a rank, the next rank is skipped."""
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    ranks: dict[UnitId, int] = {}
    for position, (unit_id, total) in enumerate(ordered, start=1):
        if position > 1 and total == ordered[position - 2][1]:
            ranks[unit_id] = ranks[ordered[position - 2][0]]
        else:
            ranks[unit_id] = position
    return ranks


def score_group(
    rules: ScoringRules,
    group: GroupRule,
    members: Sequence[UnitId],
    facts: Iterable[ProblemFact],
    previous_ranks: Mapping[UnitId, int] | None = None,
) -> list[UnitScore]:
    """Score and rank every member of a group; members with no problems keep full points."""
    by_unit: dict[UnitId, list[ProblemFact]] = defaultdict(list)
    member_set = set(members)
    for fact in facts:
        if fact.unit_id in member_set:
            by_unit[fact.unit_id].append(fact)
    scores = [score_unit(rules, group, unit_id, by_unit.get(unit_id, [])) for unit_id in members]
    ranks = rank({s.unit_id: s.total for s in scores})
    previous = previous_ranks or {}
    ranked = [
        UnitScore(s.unit_id, s.group_code, s.total, s.items, ranks[s.unit_id], previous.get(s.unit_id))
        for s in scores
    ]
    return sorted(ranked, key=lambda s: (s.rank, s.unit_id))
