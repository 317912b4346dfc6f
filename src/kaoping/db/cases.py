"""Storing cases and findings: the row as it stands now plus one row per step, never updated.

A case is saved only over the version it was loaded at (compare-and-set in the UPDATE's WHERE), so
two people acting on one case at once cannot both win; the loser gets ``CaseChangedError`` and its
transaction stores nothing. Every save also keeps the problem row in step (status, closing time,
overdue flag: ``kaoping.domain.follow_ups``), in the same transaction.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any, Self

from sqlalchemy import ColumnElement, Connection, Row, Table, and_, bindparam, insert, select, true, update

from kaoping.db.problems import SqlProblemStore
from kaoping.db.tables import (
    admin_unit,
    case_file,
    case_transition,
    category,
    department,
    finding,
    finding_transition,
    person,
    problem,
)
from kaoping.db.uow import SqlUnitOfWork
from kaoping.domain.cases import (
    STATUS_TYPES,
    Case,
    CaseAction,
    CaseStatus,
    CloseType,
    Hold,
    StatusType,
    Transition,
)
from kaoping.domain.categories import DeadlineUnit
from kaoping.domain.errors import KaopingError, NotFoundError
from kaoping.domain.findings import Finding, FindingAction, FindingStatus, FindingTransition
from kaoping.domain.follow_ups import case_standing, finding_standing
from kaoping.domain.ids import CaseId, FindingId, PersonId, ProblemId
from kaoping.domain.routing import Lead, Responsibility
from kaoping.services.cases import CaseChangedError, CaseSummary
from kaoping.services.findings import FindingChangedError

OPEN_STATUSES = [s.value for s, kind in STATUS_TYPES.items() if kind is StatusType.OPEN]
_CASE_FIELDS = (
    "status", "reported_at", "changed_at", "filed_at", "dispatched_at", "deadline_at",
    "requested_deadline", "fed_back_at", "closed_at", "close_type", "dispatch_count", "rework_count",
    "extension_count", "supervision_count", "is_self_handled", "version",
)  # fmt: skip


class SqlCaseStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, case_id: CaseId) -> Case:
        row = self._conn.execute(select(case_file).where(case_file.c.id == case_id)).first()
        if row is None:
            raise NotFoundError("案件", case_id)
        return _case(row)

    def find_by_problem(self, problem_id: ProblemId) -> Case | None:
        row = self._conn.execute(select(case_file).where(case_file.c.problem_id == problem_id)).first()
        return None if row is None else _case(row)

    def add(self, case: Case, responsibility: Responsibility) -> CaseId:
        """One INSERT that takes the district from the problem row (none inserted: no problem)."""
        values = _case_values(case) | {
            "problem_id": case.problem_id,
            "lead": responsibility.lead.value,
            "town_id": responsibility.town_id,
            "department_id": responsibility.department_id,
            "department_share": responsibility.department_share,
        }
        new_id = _insert_from_problem(
            self._conn, case_file, case.problem_id, values, ("district_id", problem.c.district_id)
        )
        return CaseId(new_id)

    def save(self, case: Case, transition: Transition) -> None:
        self._require_person(transition.actor)
        stored = case_file.c.version == case.version - 1
        result = self._conn.execute(
            update(case_file).where(case_file.c.id == case.id, stored).values(_case_values(case))
        )
        if result.rowcount != 1:
            self.get(case.id)  # NotFoundError when there is no such case at all
            raise CaseChangedError(case.id)
        self._conn.execute(insert(case_transition).values(_transition_values(transition)))
        SqlProblemStore(self._conn).keep_in_step(case.problem_id, case_standing(case, transition.at))

    def list_transitions(self, case_id: CaseId) -> list[Transition]:
        self.get(case_id)
        query = select(case_transition).where(case_transition.c.case_id == case_id)
        return [_transition(row) for row in self._conn.execute(query.order_by(case_transition.c.id))]

    def summary(self, case_id: CaseId) -> CaseSummary:
        row = self._conn.execute(_summaries().where(case_file.c.id == case_id)).first()
        if row is None:
            raise NotFoundError("案件", case_id)
        return _summary(row)

    def list_open(self, unit_code: str) -> list[CaseSummary]:
        query = _summaries().where(self._led_by(unit_code), case_file.c.status.in_(OPEN_STATUSES))
        return [_summary(row) for row in self._conn.execute(query.order_by(case_file.c.id))]

    def _led_by(self, unit_code: str) -> ColumnElement[bool]:
        """Cases a unit answers for: a town/street those it leads, a district every one in it, the
        city all; a department those it leads. Every version of a unit's code counts."""
        code = unit_code.strip()
        units = self._conn.execute(
            select(admin_unit.c.id, admin_unit.c.level).where(admin_unit.c.code == code)
        ).all()
        if units:
            ids = [unit_id for unit_id, _ in units]
            match units[0].level:
                case "town":
                    return and_(case_file.c.town_id.in_(ids), case_file.c.lead == Lead.TERRITORY.value)
                case "district":
                    return case_file.c.district_id.in_(ids)
                case "city":
                    return true()
            raise KaopingError(f"单位 {code} 是社区: 案件按镇街、区县或部门列出")
        found = self._conn.execute(select(department.c.id).where(department.c.code == code)).scalar()
        if found is None:
            raise NotFoundError("单位或部门", code)
        return and_(case_file.c.department_id == found, case_file.c.lead == Lead.DEPARTMENT.value)

    def _require_person(self, actor: PersonId | None) -> None:
        if actor is None:
            return
        if self._conn.execute(select(person.c.id).where(person.c.id == actor)).first() is None:
            raise NotFoundError("人员", actor)


class SqlFindingStore:
    """Findings as stored. Findings carry no version, so a save is set over the status it was
    loaded in: a finding moved meanwhile is refused rather than overwritten."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, finding_id: FindingId) -> Finding:
        row = self._conn.execute(select(finding).where(finding.c.id == finding_id)).first()
        if row is None:
            raise NotFoundError("测评问题", finding_id)
        return _finding(row)

    def find_by_problem(self, problem_id: ProblemId) -> Finding | None:
        row = self._conn.execute(select(finding).where(finding.c.problem_id == problem_id)).first()
        return None if row is None else _finding(row)

    def add(self, item: Finding) -> FindingId:
        """One INSERT, of nothing when there is no such problem."""
        values = _finding_values(item)
        return FindingId(
            _insert_from_problem(self._conn, finding, item.problem_id, values, ("problem_id", problem.c.id))
        )

    def save(self, item: Finding, transition: FindingTransition) -> None:
        SqlCaseStore(self._conn)._require_person(transition.actor)
        loaded = and_(finding.c.id == item.id, finding.c.status == transition.from_status.value)
        result = self._conn.execute(update(finding).where(loaded).values(_finding_values(item)))
        if result.rowcount != 1:
            self.get(item.id)
            raise FindingChangedError(item.id)
        values = _transition_values(transition) | {"finding_id": transition.finding_id}
        del values["case_id"]
        self._conn.execute(insert(finding_transition).values(values))
        SqlProblemStore(self._conn).keep_in_step(item.problem_id, finding_standing(item, transition.at))

    def list_transitions(self, finding_id: FindingId) -> list[FindingTransition]:
        self.get(finding_id)
        query = select(finding_transition).where(finding_transition.c.finding_id == finding_id)
        return [
            _finding_transition(row) for row in self._conn.execute(query.order_by(finding_transition.c.id))
        ]

    def list_assigned(self, due_before: datetime) -> list[Finding]:
        """Assigned findings due before ``due_before``, oldest deadline first (the sweep's read)."""
        query = select(finding).where(
            finding.c.status == FindingStatus.ASSIGNED.value, finding.c.rectify_deadline_at < due_before
        )
        order = (finding.c.rectify_deadline_at, finding.c.id)
        return [_finding(row) for row in self._conn.execute(query.order_by(*order))]


class SqlCaseUnitOfWork(SqlUnitOfWork):
    """The unit of work with the case and finding stores on the same connection."""

    def __enter__(self) -> Self:
        super().__enter__()
        self.cases = SqlCaseStore(self.connection)
        self.findings = SqlFindingStore(self.connection)
        return self


def _insert_from_problem(
    conn: Connection, table: Table, problem_id: ProblemId, values: dict[str, Any], taken: tuple[str, Any]
) -> int:
    """Insert ``values`` and ``taken`` (a column name and the problem column it is read from) as one
    INSERT … SELECT from the problem row, so a missing problem inserts nothing: ``NotFoundError``
    without a read first."""
    stmt = _insert_select(table, tuple(values), taken)
    new_id = conn.execute(stmt, {**values, "problem_key": problem_id}).scalar_one_or_none()
    if new_id is None:
        raise NotFoundError("问题", problem_id)
    return int(new_id)


@functools.cache
def _insert_select(table: Table, names: tuple[str, ...], taken: tuple[str, Any]) -> Any:
    """The INSERT … SELECT for these columns, built once: values are typed bound parameters (so both
    engines store them as their columns'), and a statement built once is compiled once — intake
    opens a case for every report."""
    name, column = taken
    source = select(*(bindparam(k, type_=table.c[k].type) for k in names), column)
    source = source.where(problem.c.id == bindparam("problem_key"))
    return insert(table).from_select([*names, name], source).returning(table.c.id)


# --- rows ⇄ domain --------------------------------------------------------------------------------


def _summaries() -> Any:
    town = admin_unit.alias("town")
    return (
        select(
            case_file,
            town.c.name.label("town_name"),
            department.c.name.label("department_name"),
            category.c.code.label("category_code"),
            category.c.name.label("category_name"),
            category.c.deadline_value,
            category.c.deadline_unit,
        )
        .join(problem, problem.c.id == case_file.c.problem_id)
        .join(category, category.c.id == problem.c.category_id)
        .join(town, town.c.id == case_file.c.town_id)
        .outerjoin(department, department.c.id == case_file.c.department_id)
    )


def _summary(row: Row[Any]) -> CaseSummary:
    lead = Lead(row.lead)
    handler = row.department_name if lead is Lead.DEPARTMENT and row.department_name else row.town_name
    unit = DeadlineUnit(row.deadline_unit) if row.deadline_unit else None
    return CaseSummary(
        _case(row), lead, handler, row.category_code, row.category_name, row.deadline_value, unit
    )


def _case_values(case: Case) -> dict[str, Any]:
    values = {name: getattr(case, name) for name in _CASE_FIELDS}
    values["status"] = case.status.value
    values["close_type"] = case.close_type.value if case.close_type else None
    values["holds"] = [[_iso(h.start), _iso(h.end)] for h in case.holds]
    return values


def _case(row: Row[Any]) -> Case:
    values = {name: getattr(row, name) for name in _CASE_FIELDS}
    values["status"] = CaseStatus(row.status)
    values["close_type"] = CloseType(row.close_type) if row.close_type else None
    holds = tuple(Hold(_time(start), _time(end) if end else None) for start, end in row.holds)
    return Case(id=CaseId(row.id), problem_id=ProblemId(row.problem_id), holds=holds, **values)


def _transition_values(t: Transition | FindingTransition) -> dict[str, Any]:
    return {
        "case_id": getattr(t, "case_id", None),
        "action": t.action.value,
        "from_status": t.from_status.value,
        "to_status": t.to_status.value,
        "actor_id": t.actor,
        "at": t.at,
        "reason": t.reason,
        "attachments": list(t.attachments),
        "deadline": t.deadline,
    }


def _transition(row: Row[Any]) -> Transition:
    return Transition(
        CaseId(row.case_id),
        CaseAction(row.action),
        CaseStatus(row.from_status),
        CaseStatus(row.to_status),
        PersonId(row.actor_id),
        row.at,
        row.reason,
        tuple(row.attachments),
        row.deadline,
    )


_FINDING_FIELDS = (
    "found_at", "changed_at", "rectify_deadline_at", "fed_back_at", "reviewed_at", "marked_overdue_at",
    "review_failures",
)  # fmt: skip


def _finding_values(item: Finding) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(item, name) for name in _FINDING_FIELDS}
    values["status"] = item.status.value
    values["appealed_from"] = item.appealed_from.value if item.appealed_from else None
    return values


def _finding(row: Row[Any]) -> Finding:
    return Finding(
        id=FindingId(row.id),
        problem_id=ProblemId(row.problem_id),
        status=FindingStatus(row.status),
        appealed_from=FindingStatus(row.appealed_from) if row.appealed_from else None,
        **{name: getattr(row, name) for name in _FINDING_FIELDS},
    )


def _finding_transition(row: Row[Any]) -> FindingTransition:
    return FindingTransition(
        FindingId(row.finding_id),
        FindingAction(row.action),
        FindingStatus(row.from_status),
        FindingStatus(row.to_status),
        None if row.actor_id is None else PersonId(row.actor_id),
        row.at,
        row.reason,
        tuple(row.attachments),
        row.deadline,
    )


def _iso(at: datetime | None) -> str | None:
    """Hold times as UTC text in the JSON column (JSON has no datetime)."""
    return None if at is None else at.astimezone(UTC).isoformat()


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
