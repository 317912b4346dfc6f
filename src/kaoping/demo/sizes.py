"""Sizes of the demo city, from a quick look to the megacity the design is meant to carry."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoSize:
    """Target counts for one demo size; the geography lands near them, not always exactly on them."""

    name: str
    districts: int
    groups: int
    towns: int
    communities: int
    grids: int
    roads: int
    departments: int
    problems_per_year: int


SIZES: dict[str, DemoSize] = {
    "small": DemoSize("small", 4, 2, 12, 60, 600, 120, 12, 20_000),
    "city": DemoSize("city", 12, 2, 100, 1_000, 10_000, 2_000, 40, 500_000),
    "megacity": DemoSize("megacity", 16, 3, 250, 5_000, 50_000, 10_000, 100, 4_000_000),
}
