"""The demo's problems carry real deadlines: the working-calendar deadline the case loop would give
them (holidays and 调休 included), and overdue flags that agree with those deadlines."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from kaoping.db.engine import make_engine
from kaoping.db.tables import category, problem
from kaoping.domain.deadlines import deadline
from kaoping.domain.problems import ProblemStatus
from kaoping.io.holidays import library_calendar
from kaoping.io.seeds import load_categories

TZ = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 1, 1, tzinfo=TZ)  # the demo year is over


def test_every_demo_problem_is_due_when_the_domain_says_and_flagged_overdue_exactly_when_late(
    demo_url: str,
) -> None:
    engine = make_engine(demo_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                category.c.code,
                problem.c.found_at,
                problem.c.deadline_at,
                problem.c.closed_at,
                problem.c.status,
                problem.c.is_overdue,
            ).join(category, category.c.id == problem.c.category_id)
        ).all()
    engine.dispose()
    tree = load_categories()
    # What the demo seeded (other tests of the shared database may clear the table afterwards).
    calendar = library_calendar([2025, 2026])
    for row in rows:
        limit = tree.get(row.code)
        assert limit.deadline_value is not None
        assert limit.deadline_unit is not None
        due = deadline(row.found_at, limit.deadline_value, limit.deadline_unit, calendar, TZ)
        assert row.deadline_at == due, row
        late = row.closed_at > due if row.closed_at is not None else due < AS_OF
        assert bool(row.is_overdue) == (late and row.status != ProblemStatus.VOIDED.value), row
    assert 0.02 < sum(r.is_overdue for r in rows) / len(rows) < 0.5
