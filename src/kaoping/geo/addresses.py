"""Placing an address on the road it names: rows that give 道路 + 参照物 instead of coordinates.

The point is where the named road meets the crossing road the landmark names (和平路口), else the
road's midpoint; either way it is approximate, and the caller marks it so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import shapely


class NamedRoad(Protocol):
    """A road in force as the address book needs it (``kaoping.db.problem_import.NamedRoad``)."""

    @property
    def name(self) -> str: ...

    @property
    def geometry(self) -> bytes: ...  # WKB, WGS84


class RoadBook:
    """Roads in force by name, for rows that give an address instead of coordinates."""

    def __init__(self, roads: Sequence[NamedRoad]) -> None:
        self._roads = list(roads)
        self._geometry = shapely.from_wkb([r.geometry for r in roads]) if roads else np.zeros(0, dtype=object)
        self._base = [base_name(r.name) for r in roads]
        # Longest names first, so 和平东路 is found before 和平路 in 和平东路与文化路口.
        self._by_length = sorted(range(len(roads)), key=lambda k: -len(self._base[k]))

    def locate(self, address: str) -> tuple[float, float] | None:
        """A WGS84 point for "road + landmark": where the road meets the crossing road the landmark
        names, else the middle of the road; None when no road in force is named."""
        sections = self._named(address)
        if not sections:
            return None
        rest = address
        for k in sections[:1]:
            rest = rest.replace(self._roads[k].name, " ").replace(self._base[k], " ")
        crossing = self._crossing(rest, {self._base[k] for k in sections})
        if crossing is not None:
            lines = self._geometry[sections]
            nearest = int(np.argmin(shapely.distance(lines, crossing)))
            point = shapely.shortest_line(lines[nearest], crossing).coords[0]
            return float(point[0]), float(point[1])
        middle = shapely.line_interpolate_point(self._geometry[sections[0]], 0.5, normalized=True)
        return float(middle.x), float(middle.y)

    def _named(self, address: str) -> list[int]:
        """Sections named in the address: the full name first, else sections whose base name (the
        name without its (…段) part) the address contains."""
        text = address.strip()
        exact = [k for k, r in enumerate(self._roads) if r.name == text or r.name in text.split()]
        if exact:
            return exact
        for k in self._by_length:
            if self._base[k] and self._base[k] in text:
                return [j for j, b in enumerate(self._base) if b == self._base[k]]
        return []

    def _crossing(self, landmark: str, own: set[str]) -> shapely.Geometry | None:
        for k in self._by_length:
            base = self._base[k]
            if base and base not in own and base in landmark:
                same = [j for j, b in enumerate(self._base) if b == base]
                return shapely.union_all(self._geometry[same])
        return None


def base_name(name: str) -> str:
    """A road's name without its section part: 和平路(东段) → 和平路."""
    return name.split("(", 1)[0].split("（", 1)[0].strip()
