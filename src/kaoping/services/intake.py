"""Intake of a single problem: validate, locate, store — or refuse with a message that says why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kaoping.domain.categories import CategoryLevel, CategoryTree
from kaoping.domain.errors import KaopingError
from kaoping.domain.ids import ProblemId
from kaoping.domain.problems import Channel, Coordinate, CoordinateSystem, Problem
from kaoping.domain.scoring import ScoringRules
from kaoping.services.ports import Locator, UnitOfWork


class IntakeError(KaopingError):
    """A report that cannot be accepted as it is."""


@dataclass(frozen=True, slots=True)
class ProblemReport:
    """A problem as a reporter sends it: raw values, checked by ``report_problem``."""

    channel: str
    category: str
    lon: object
    lat: object
    found_at: datetime
    crs: str = CoordinateSystem.WGS84.value
    description: str = ""


def report_problem(
    uow: UnitOfWork,
    locator: Locator,
    to_wgs84: Callable[[Coordinate], Coordinate],
    categories: CategoryTree,
    rules: ScoringRules,
    report: ProblemReport,
) -> ProblemId:
    """Check a report, locate it on its grid and store it; nothing is stored if any check fails.

    The point is converted to WGS84 (``to_wgs84``) for locating and storage; the coordinates as
    reported are kept beside it."""
    channel = _channel(report.channel)
    cat = categories.get(report.category)
    if cat.level is not CategoryLevel.MINOR:
        raise IntakeError(f"问题类别 {cat.code} {cat.name} 是大类, 请选择具体的小类")
    original = Coordinate.parse(report.lon, report.lat, report.crs)
    if report.found_at.tzinfo is None:
        raise IntakeError("发现时间缺少时区")
    point = to_wgs84(original)
    # Located against the boundaries in force on the day it was found, so an old report filed
    # late lands where responsibility lay then.
    location = locator.locate(point.lon, point.lat, at=report.found_at.date())
    with uow:
        category_id = uow.problems.category_ids()[cat.code]
        problem = Problem(
            id=None,
            channel=channel,
            category_id=category_id,
            found_at=report.found_at,
            point=point,
            original=original,
            location=location,
            description=report.description.strip(),
            is_high_score=rules.is_high_score(cat.code, channel),
        )
        problem_id = ProblemId(uow.problems.add(problem))
        uow.commit()
    return problem_id


def _channel(value: str) -> Channel:
    try:
        return Channel(value.strip().lower())
    except ValueError:
        known = ", ".join(c.value for c in Channel)
        raise IntakeError(f"未知的问题来源 {value!r}, 可选: {known}") from None
