"""What changed between two revisions of a period (修订对比): per unit the total, rank, tier and
reward, and per item the points — so a recomputation is never a silent change."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from kaoping.domain.results import Evaluation, UnitResult


@dataclass(frozen=True, slots=True)
class ItemChange:
    """One item's points in both revisions (None: the item is in only one of them)."""

    item: str
    name: str
    before: Decimal | None
    after: Decimal | None

    @property
    def delta(self) -> Decimal | None:
        return None if self.before is None or self.after is None else self.after - self.before


@dataclass(frozen=True, slots=True)
class UnitChange:
    """A unit whose standing or some item changed; ``*_before`` is None for a unit new in the later
    revision, ``*_after`` None for one gone from it."""

    unit: str
    group: str
    total_before: Decimal | None
    total_after: Decimal | None
    rank_before: int | None
    rank_after: int | None
    tier_before: bool | None
    tier_after: bool | None
    reward_before: Decimal | None
    reward_after: Decimal | None
    items: tuple[ItemChange, ...]

    @property
    def total_delta(self) -> Decimal | None:
        if self.total_before is None or self.total_after is None:
            return None
        return self.total_after - self.total_before


def _members(evaluation: Evaluation) -> Iterator[tuple[tuple[str, str], UnitResult]]:
    for group in evaluation.groups:
        for unit in group.units:
            yield (group.code, unit.unit), unit


def diff_evaluations(old: Evaluation, new: Evaluation) -> tuple[UnitChange, ...]:
    """The units whose total, rank, tier, reward or item points differ, by group then unit code."""
    before, after = dict(_members(old)), dict(_members(new))
    changes = []
    for key in sorted(before.keys() | after.keys()):
        change = _unit_change(key, before.get(key), after.get(key))
        if change is not None:
            changes.append(change)
    return tuple(changes)


def _unit_change(key: tuple[str, str], old: UnitResult | None, new: UnitResult | None) -> UnitChange | None:
    items = _item_changes(old, new)
    standing = [(u.total, u.rank, u.is_first_tier, u.reward) if u else None for u in (old, new)]
    if standing[0] == standing[1] and not items:
        return None
    group, unit = key
    return UnitChange(
        unit,
        group,
        old.total if old else None,
        new.total if new else None,
        old.rank if old else None,
        new.rank if new else None,
        old.is_first_tier if old else None,
        new.is_first_tier if new else None,
        old.reward if old else None,
        new.reward if new else None,
        items,
    )


def _item_changes(old: UnitResult | None, new: UnitResult | None) -> tuple[ItemChange, ...]:
    before = {i.code: i for i in old.items} if old else {}
    after = {i.code: i for i in new.items} if new else {}
    changes = []
    for code in [*before, *(c for c in after if c not in before)]:
        a, b = before.get(code), after.get(code)
        points_a, points_b = (a.points if a else None), (b.points if b else None)
        if points_a != points_b:
            either = a or b
            changes.append(ItemChange(code, either.name if either else code, points_a, points_b))
    return tuple(changes)
