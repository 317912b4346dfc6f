"""A feature of a boundary, grid or road file on its way through ``kaoping geo import``: what was read,
what the checks made of it, what is in force to compare it with, and the report of what happened to it.

The use case (``wiring.boundaries``) and its checks (``wiring.boundary_checks``) both work on these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from shapely.geometry.base import BaseGeometry

from kaoping.db.boundaries import Layer, Version
from kaoping.domain.organisation import RoadTier
from kaoping.io.boundaries import SourceFeature

CODE_DIGITS = {Layer.CITY: 6, Layer.DISTRICT: 6, Layer.TOWN: 9, Layer.COMMUNITY: 12, Layer.GRID: 15}
"""Length of a code in the GB/T 2260 (6) + GB/T 10114 (3 + 3) + grid (3) hierarchy."""
LEVEL_NAMES = {
    Layer.CITY: "市",
    Layer.DISTRICT: "区县",
    Layer.TOWN: "镇街",
    Layer.COMMUNITY: "社区",
    Layer.GRID: "单元网格",
    Layer.ROAD: "道路",
}


class Outcome(StrEnum):
    CREATED = "created"  # 新建
    UPDATED = "updated"  # 新版本
    UNCHANGED = "unchanged"  # 未变
    REFUSED = "refused"  # 拒绝


@dataclass
class FeatureReport:
    row: int
    fid: int
    code: str | None
    name: str | None
    outcome: Outcome = Outcome.UNCHANGED
    repaired: bool = False
    messages: list[str] = field(default_factory=list)


@dataclass
class Feature:
    """A feature on its way through the checks; ``report`` collects what happened to it."""

    source: SourceFeature
    report: FeatureReport
    parent_code: str | None = None
    tier: RoadTier | None = None
    original: BaseGeometry | None = None  # as read, 2-D, in degrees (a projected file is unprojected)
    geometry: BaseGeometry | None = None  # WGS84, repaired
    metric: BaseGeometry | None = None
    parent: Version | None = None
    valid_from: date | None = None  # when the new version starts (created or updated features)

    @property
    def ok(self) -> bool:
        return self.report.outcome is not Outcome.REFUSED

    @property
    def code(self) -> str:
        return self.report.code or ""

    def refuse(self, reason: str) -> None:
        self.report.outcome = Outcome.REFUSED
        self.report.messages.append(reason)


@dataclass
class Context:
    """What is in force in the database, as the checks need it."""

    current: dict[str, Version]  # the layer's in-force rows by code
    parents: dict[str, Version]  # the parent layer's in-force rows by code
    reference: BaseGeometry | None  # WGS84: the city, else the union of the districts
    first_load: bool  # the layer has never had a row
