"""Saving a roster (花名册): people and the posts they hold, keeping history.

The rules, applied inside the caller's transaction:

- A person is a name + phone; the same pair in the file and the database is the same person.
- A row's scope code must name a grid, road, unit (of the level its column asks for) or department
  in force on the row's start date; otherwise the row is refused and says why.
- For each person and role in the file, the file lists every post they hold in that role. A post
  already held (open assignment, same scope code) is unchanged; a new one is opened from the row's
  start date; a post held but no longer listed is closed (valid_to) on that date — a move keeps its
  history. People and roles the file does not mention are left alone, so a roster may cover one
  district only.
- A roster never rewrites newer history: if a post to be closed began after the file's start date,
  the person's new rows are refused instead. Nothing is closed for a person whose rows in the file
  were partly refused, since their list of posts is then incomplete.

Importing the same file twice therefore changes nothing the second time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlalchemy import Connection, bindparam, insert, literal, select, update

from kaoping.db.tables import admin_unit, department, grid, person, road, role_assignment
from kaoping.domain.organisation import Role, UnitLevel

LEVEL_NAMES = {
    UnitLevel.CITY: "市",
    UnitLevel.DISTRICT: "区县",
    UnitLevel.TOWN: "镇街",
    UnitLevel.COMMUNITY: "社区(村)",
}
_SCOPE_TABLES: dict[str, Any] = {"unit": admin_unit, "grid": grid, "road": road}
_SCOPE_COLUMNS = {"unit": "unit_id", "grid": "grid_id", "road": "road_id", "department": "department_id"}

Holder = tuple[str, str, Role]  # name, phone, role
ScopeKey = tuple[str, str]  # scope kind, code


class RosterLine(Protocol):
    """A roster row that reads well (``io.rosters.RosterEntry`` is one)."""

    @property
    def row(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def phone(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def scope(self) -> str: ...  # 'unit' | 'grid' | 'road' | 'department'
    @property
    def scope_code(self) -> str: ...
    @property
    def scope_level(self) -> UnitLevel | None: ...
    @property
    def scope_label(self) -> str: ...
    @property
    def valid_from(self) -> date | None: ...


@dataclass
class RosterChanges:
    """What saving a roster did, counted in rows; ``closed`` counts assignments ended by moves."""

    added: int = 0
    unchanged: int = 0
    moved: int = 0
    closed: int = 0
    refusals: list[tuple[int, str]] = field(default_factory=list)  # (row, reason in Chinese)


def save_roster(
    conn: Connection, lines: Sequence[RosterLine], default_from: date, incomplete: Collection[Holder] = ()
) -> RosterChanges:
    """Apply a roster's rows (see the module docstring); ``default_from`` is the start date of rows
    that give none, ``incomplete`` the (name, phone, role) whose rows were partly refused upstream."""
    changes = RosterChanges()
    scopes = _Scopes.load(conn)
    partly_refused = set(incomplete)
    groups = _resolve(lines, scopes, default_from, changes, partly_refused)
    people = _people(conn)
    held = _open_assignments(conn, scopes)
    plan = _Plan()
    for holder, wanted in groups.items():
        person_id = people.get(holder[:2])
        current = held.get((person_id, holder[2]), {}) if person_id is not None else {}
        plan.add(holder, wanted, current, holder in partly_refused, changes)
    _write(conn, plan, people)
    changes.refusals.sort()
    return changes


# --- scopes ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Version:
    id: int
    valid_from: date
    valid_to: date | None
    level: UnitLevel | None

    def is_in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def describe(self) -> str:
        return f"{self.valid_from} 起" + (f", {self.valid_to} 停用" if self.valid_to else "")


class _Scopes:
    """Every version of every scope row, by (kind, code), and the code of each row id."""

    def __init__(self) -> None:
        self.versions: dict[ScopeKey, list[_Version]] = defaultdict(list)
        self.codes: dict[tuple[str, int], str] = {}

    @classmethod
    def load(cls, conn: Connection) -> _Scopes:
        scopes = cls()
        for kind, table in _SCOPE_TABLES.items():
            level = table.c.level if kind == "unit" else literal(None)
            stmt = select(table.c.id, table.c.code, table.c.valid_from, table.c.valid_to, level)
            for row_id, code, start, end, lvl in conn.execute(stmt):
                scopes.add(kind, code, _Version(row_id, start, end, UnitLevel(lvl) if lvl else None))
        for row_id, code in conn.execute(select(department.c.id, department.c.code)):
            scopes.add("department", code, _Version(row_id, date.min, None, None))
        return scopes

    def add(self, kind: str, code: str, version: _Version) -> None:
        self.versions[(kind, code)].append(version)
        self.codes[(kind, version.id)] = code

    def find(self, line: RosterLine, day: date) -> _Version:
        """The scope row in force on ``day``; raises ValueError with the reason in Chinese."""
        label, code = line.scope_label, line.scope_code
        versions = self.versions.get((line.scope, code))
        if not versions:
            raise ValueError(f"{label} {code} 不存在")
        level = line.scope_level
        if level is not None and all(v.level is not level for v in versions):
            found = LEVEL_NAMES[versions[0].level] if versions[0].level else "?"
            raise ValueError(f"{label} {code} 是{found}, 不是{LEVEL_NAMES[level]}")
        version = next((v for v in versions if v.is_in_force(day)), None)
        if version is None:
            spans = "; ".join(v.describe() for v in sorted(versions, key=lambda v: v.valid_from))
            raise ValueError(f"{label} {code} 在 {day} 不在有效期内 (有效期: {spans})")
        return version


@dataclass(frozen=True, slots=True)
class _Line:
    """A row with its scope found: ready to open."""

    row: int
    scope: str
    code: str
    scope_id: int
    start: date


def _resolve(
    lines: Iterable[RosterLine],
    scopes: _Scopes,
    default_from: date,
    changes: RosterChanges,
    partly_refused: set[Holder],
) -> dict[Holder, dict[ScopeKey, _Line]]:
    """Rows grouped by holder (name, phone, role), each scope found; bad and repeated rows refused
    (and the holder of a bad one added to ``partly_refused``)."""
    groups: dict[Holder, dict[ScopeKey, _Line]] = defaultdict(dict)
    for line in sorted(lines, key=lambda line: line.row):
        start = line.valid_from or default_from
        holder, key = (line.name, line.phone, line.role), (line.scope, line.scope_code)
        if key in groups[holder]:
            changes.refusals.append((line.row, f"与第 {groups[holder][key].row} 行重复"))
            continue
        try:
            version = scopes.find(line, start)
        except ValueError as err:
            changes.refusals.append((line.row, str(err)))
            partly_refused.add(holder)
            continue
        groups[holder][key] = _Line(line.row, line.scope, line.scope_code, version.id, start)
    return {holder: wanted for holder, wanted in groups.items() if wanted}


# --- people and what they hold --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Held:
    assignment_id: int
    valid_from: date


def _people(conn: Connection) -> dict[tuple[str, str], int]:
    """(name, phone) → person id; people without a phone (the demo's) never match a roster."""
    stmt = select(person.c.name, person.c.phone, person.c.id).where(person.c.phone.is_not(None))
    people: dict[tuple[str, str], int] = {}
    for name, phone, person_id in conn.execute(stmt.order_by(person.c.id)):
        people.setdefault((name, phone), person_id)
    return people


def _open_assignments(conn: Connection, scopes: _Scopes) -> dict[tuple[int, Role], dict[ScopeKey, _Held]]:
    """The open assignments of people with a phone: (person, role) → scope (kind, code) → assignment."""
    ra = role_assignment
    scope_columns = [ra.c[column] for column in _SCOPE_COLUMNS.values()]
    stmt = (
        select(ra.c.id, ra.c.person_id, ra.c.role, ra.c.valid_from, *scope_columns)
        .join(person, person.c.id == ra.c.person_id)
        .where(ra.c.valid_to.is_(None), person.c.phone.is_not(None))
        .order_by(ra.c.id)
    )
    held: dict[tuple[int, Role], dict[ScopeKey, _Held]] = defaultdict(dict)
    for assignment_id, person_id, role, start, *ids in conn.execute(stmt):
        for kind, scope_id in zip(_SCOPE_COLUMNS, ids, strict=True):
            code = scopes.codes.get((kind, scope_id)) if scope_id is not None else None
            if code is not None:
                held[(person_id, Role(role))].setdefault((kind, code), _Held(assignment_id, start))
    return held


# --- the plan and the writes ----------------------------------------------------------------------


@dataclass
class _Plan:
    opens: list[tuple[tuple[str, str], Role, _Line]] = field(default_factory=list)
    closes: list[tuple[int, date]] = field(default_factory=list)  # assignment id, valid_to

    def add(
        self,
        holder: Holder,
        wanted: dict[ScopeKey, _Line],
        held: dict[ScopeKey, _Held],
        incomplete: bool,
        changes: RosterChanges,
    ) -> None:
        """Compare one holder's rows with what they hold, and count each row."""
        new = [line for key, line in wanted.items() if key not in held]
        changes.unchanged += len(wanted) - len(new)
        gone = [] if incomplete else [h for key, h in held.items() if key not in wanted]
        since = min(line.start for line in (new or wanted.values()))
        newer = [h.valid_from for h in gone if h.valid_from > since]
        if newer:
            changes.refusals += [
                (
                    line.row,
                    f"该人员此角色自 {max(newer)} 起已有更新的任职记录, "
                    f"晚于本行起始日期 {line.start}, 未作调整",
                )
                for line in new
            ]
            return
        self.closes += [(h.assignment_id, since) for h in gone]
        self.opens += [(holder[:2], holder[2], line) for line in new]
        changes.closed += len(gone)
        if gone:
            changes.moved += len(new)
        else:
            changes.added += len(new)


def _write(conn: Connection, plan: _Plan, people: dict[tuple[str, str], int]) -> None:
    newcomers = list(dict.fromkeys(who for who, _role, _line in plan.opens if who not in people))
    if newcomers:
        stmt = insert(person).returning(person.c.id, sort_by_parameter_order=True)
        new_ids = conn.execute(stmt, [{"name": n, "phone": p} for n, p in newcomers]).scalars().all()
        people = {**people, **dict(zip(newcomers, new_ids, strict=True))}
    if plan.closes:
        stmt_close = (
            update(role_assignment)
            .where(role_assignment.c.id == bindparam("assignment_id"))
            .values(valid_to=bindparam("until"))
        )
        conn.execute(stmt_close, [{"assignment_id": i, "until": until} for i, until in plan.closes])
    rows = [
        {
            "person_id": people[who],
            "role": role.value,
            **dict.fromkeys(_SCOPE_COLUMNS.values()),
            _SCOPE_COLUMNS[line.scope]: line.scope_id,
            "valid_from": line.start,
        }
        for who, role, line in plan.opens
    ]
    if rows:
        conn.execute(insert(role_assignment), rows)
