"""What follows each imported problem, opened in the import's transaction: a third-party finding
(第三方测评问题, ``record_finding``) for the 考评发现 channel, due for rectification at the problem's
deadline; a case (案件, ``report_case``) for every other channel, reported when the problem was
found (never later than the import) and led by whom routing says — as single intake opens them.

The domain opens one of each as a template; every column takes the template's value, or what
differs per problem, read from the problem row itself by the database (``kaoping.db.
problem_follow_ups``): a million findings cost one statement and no Python object per row.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Connection

from kaoping.db import problem_follow_ups as follow_ups
from kaoping.db.problem_follow_ups import FromProblem, FromRoute, ReportedBy, RouteAnswer
from kaoping.domain.cases import report_case
from kaoping.domain.findings import record_finding
from kaoping.domain.ids import CaseId, FindingId, ProblemId
from kaoping.domain.problems import Channel

_PROBE = datetime(2000, 1, 1, tzinfo=UTC)
"""The time the templates are opened at: a field holding it takes the problem's time."""


def open_follow_ups(conn: Connection, ids: range, at: datetime, routes: list[RouteAnswer]) -> tuple[int, int]:
    """Open a finding for each third-party problem among ``ids``, a case for each other one, as
    reported no later than ``at``; returns (cases, findings)."""
    third_party = Channel.THIRD_PARTY.value
    finding = _template_values(record_finding(FindingId(0), ProblemId(0), _PROBE), FromProblem("found_at"))
    finding |= {"problem_id": FromProblem("id"), "rectify_deadline_at": FromProblem("deadline_at")}
    found = follow_ups.open_findings(conn, ids, third_party, finding)
    case = _template_values(report_case(CaseId(0), ProblemId(0), at=_PROBE), ReportedBy(at))
    case |= {
        "problem_id": FromProblem("id"),
        "town_id": FromProblem("town_id"),
        "district_id": FromProblem("district_id"),
        **{name: FromRoute(name) for name in ("lead", "department_id", "department_share")},
    }
    opened = follow_ups.open_cases(conn, ids, third_party, case, routes) if found < len(ids) else 0
    return opened, found


def _template_values(entity: Any, time: object) -> dict[str, Any]:
    """A domain entity's fields as column values (enums as their value, tuples as lists); ``time``
    where it holds the probe time. Its own id is the database's to give."""
    values: dict[str, Any] = {}
    for name in (f.name for f in fields(entity) if f.name != "id"):
        value = getattr(entity, name)
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        values[name] = time if value == _PROBE else value
    return values
