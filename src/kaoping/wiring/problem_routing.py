"""Routing a problem import's rows (``kaoping.domain.routing.route``): who leads, which department
answers and its share of a deduction — the problem keeps the department, its case all three.
Routed once per (category, district): nothing else changes the answer but the town, which the case
takes from the problem's place."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kaoping.db.problem_follow_ups import RouteAnswer
from kaoping.domain.ids import GridId, UnitId
from kaoping.domain.problems import Location
from kaoping.domain.routing import LiabilitySplit, Responsibility, route
from kaoping.geo.index import LocatedBatch
from kaoping.wiring.problem_batch import ImportContext, IntArray, ProblemBatch, pair_groups


@dataclass(frozen=True)
class Routes:
    """The department of each row routed (in their order; None: no department answers, the
    territory does, 属地兜底), and routing's answer for each (stored category, district) among them."""

    department_id: list[int | None]
    answers: list[RouteAnswer]


def route_rows(
    batch: ProblemBatch, located: LocatedBatch, context: ImportContext, split: LiabilitySplit, rows: IntArray
) -> Routes:
    """Route ``rows``: each one's department, and the answer per (category, district)."""
    if rows.size == 0:
        return Routes([], [])
    category, district = batch.category[rows], located.district_id[rows]
    first, inverse = pair_groups(category, district)
    pairs = list(zip(category[first].tolist(), district[first].tolist(), strict=True))
    towns = located.town_id[rows[first]].tolist()
    answers = [_route_one(context, split, c, d, town) for (c, d), town in zip(pairs, towns, strict=True)]
    departments = np.array([a.department_id for a in answers], dtype=object)[inverse]
    return Routes(
        departments.tolist(),
        [
            RouteAnswer(
                context.category_ids[context.minors[c].code],
                d,
                a.lead.value,
                a.department_id,
                a.department_share,
            )
            for (c, d), a in zip(pairs, answers, strict=True)
        ],
    )


def _route_one(
    context: ImportContext, split: LiabilitySplit, category: int, district: int, town: int
) -> Responsibility:
    location = Location(GridId(0), UnitId(0), UnitId(town), UnitId(district))
    return route(context.minors[category], location, context.departments, split)
