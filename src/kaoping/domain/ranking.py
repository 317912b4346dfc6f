"""Ranks within a group, tiers (第一梯队), item classes (优势/一般/弱势) and the reward ladder.

A member's sort key is its total followed by the scheme's tie-breakers, higher first. Members equal on
the whole key share a rank and the next rank is skipped (competition ranking: 1, 2, 2, 4).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from kaoping.domain.frozen import maker
from kaoping.domain.schemes import Ranking, RewardSchedule, TierRule

Key = tuple[Decimal, ...]


class ItemClass(StrEnum):
    """Where a unit stands on one item in its group [S24]."""

    STRONG = "strong"  # 优势项目: in the top places
    AVERAGE = "average"  # 一般项目
    WEAK = "weak"  # 弱势项目: in the bottom places


ITEM_CLASS_LABELS = {ItemClass.STRONG: "优势", ItemClass.AVERAGE: "一般", ItemClass.WEAK: "弱势"}


@dataclass(frozen=True, slots=True)
class Place:
    """A member's place on one ranking: its rank and how many are strictly ahead and behind."""

    rank: int
    better: int
    worse: int

    def is_top(self, places: int) -> bool:
        """Among the first ``places`` (fewer than ``places`` members strictly ahead)."""
        return self.better < places

    def is_bottom(self, places: int) -> bool:
        """Among the last ``places`` — unless nobody is ahead (a tie of all is nobody's weakness)."""
        return self.worse < places and self.better > 0


_make_place = maker(Place)


def places(keys: Mapping[str, Key]) -> dict[str, Place]:
    """Each member's place, ties shared."""
    ordered = sorted(keys.values())
    n = len(ordered)
    result = {}
    for member, key in keys.items():
        better = n - bisect_right(ordered, key)
        result[member] = _make_place(better + 1, better, bisect_left(ordered, key))
    return result


def competition_ranks(keys: Mapping[str, Key]) -> dict[str, int]:
    """1, 2, 2, 4: one more than the number of members with a strictly higher key."""
    return {member: place.rank for member, place in places(keys).items()}


def classify(place: Place, ranking: Ranking) -> ItemClass:
    """优势 in the top ``strong_top``, 弱势 in the bottom ``weak_bottom`` (top wins in small groups)."""
    if place.is_top(ranking.strong_top):
        return ItemClass.STRONG
    if place.is_bottom(ranking.weak_bottom):
        return ItemClass.WEAK
    return ItemClass.AVERAGE


def first_tier(ranking: Ranking, totals: Mapping[str, Decimal], ranks: Mapping[str, int]) -> frozenset[str]:
    """第一梯队: ranks 1..n (TOP_N) or the members within n points of the leader (WITHIN_POINTS)."""
    if not totals:
        return frozenset()
    if ranking.tier is TierRule.TOP_N:
        return frozenset(m for m, r in ranks.items() if r <= ranking.tier_value)
    leader = max(totals.values())
    return frozenset(m for m, total in totals.items() if leader - total <= ranking.tier_value)


def rewards(
    schedule: RewardSchedule, keys: Mapping[str, Key], eligible: Collection[str]
) -> dict[str, Decimal]:
    """Money by place among the eligible members (rank-only members are skipped): ``top[k]`` to the
    (k+1)-th, ``bottom[k]`` paid by the (k+1)-th from last; tied members get the same; a member
    that qualifies for both (a small group) is rewarded, not penalised."""
    ladder = places({m: keys[m] for m in eligible})
    money: dict[str, Decimal] = {}
    for member, place in ladder.items():
        if place.better < len(schedule.top):
            money[member] = schedule.top[place.better]
        elif place.worse < len(schedule.bottom):
            money[member] = -schedule.bottom[place.worse]
        else:
            money[member] = Decimal(0)
    return money
