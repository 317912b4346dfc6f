"""The bulk writer stores each row's repeat index, derived from its link — to a row of the same load or
to a problem stored before it — on both engines; rows out of order are refused. The migration that
added the index fills it in for the repeats already stored."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, func, select, text, update

from kaoping.db import migrate
from kaoping.db.engine import make_engine
from kaoping.db.problems import BULK_COLUMNS, bulk_insert_problems
from kaoping.db.tables import problem
from kaoping.db.types import utc_text
from tests.integration.test_cases_db import add_problem, grid_for, seed_world

TZ = ZoneInfo("Asia/Shanghai")
FOUND = datetime(2025, 3, 3, 9, tzinfo=TZ)


def bulk_row(ids: dict[str, int], problem_id: int, repeat_of: int | None) -> tuple[object, ...]:
    """A row shaped like ``BULK_COLUMNS``, in storage form."""
    values: dict[str, object] = {
        "id": problem_id, "channel": "grid_worker", "category_id": ids["category"],
        "found_at": utc_text(FOUND), "lon": 117.0, "lat": 36.66, "orig_x": 117.0, "orig_y": 36.66,
        "orig_crs": "wgs84", "description": "",
        "grid_id": ids["grid"], "community_id": ids["town"], "town_id": ids["town"],
        "district_id": ids["district"], "road_id": None, "road_distance_m": None, "department_id": None,
        "status": "reported", "deadline_at": None, "closed_at": None, "is_repeat": int(repeat_of is not None),
        "repeat_of_id": repeat_of, "is_overdue": 0, "is_high_score": 0, "source_key": None,
        "location_approximate": 0,
    }  # fmt: skip
    return tuple(values[name] for name in BULK_COLUMNS)


def indexes(conn: Connection, ids: list[int]) -> list[int]:
    rows = dict(conn.execute(select(problem.c.id, problem.c.repeat_index).where(problem.c.id.in_(ids))).all())
    return [rows[i] for i in ids]


def test_a_bulk_load_stores_repeat_indexes_from_its_links_to_its_own_rows_and_to_stored_problems(
    conn: Connection,
) -> None:
    ids = seed_world(conn)
    ids["grid"] = grid_for(conn, ids)
    first = add_problem(conn, ids, FOUND)
    second = add_problem(conn, ids, FOUND)
    conn.execute(update(problem).where(problem.c.id == second).values(repeat_of_id=first, repeat_index=1))
    start = second + 100
    links = {start: second, start + 1: start, start + 2: None, start + 3: start + 2, start + 4: first}
    count = bulk_insert_problems(conn, (bulk_row(ids, i, parent) for i, parent in links.items()))
    assert count == 5
    assert indexes(conn, [first, second, *links]) == [0, 1, 2, 3, 0, 1, 1]


def test_a_bulk_row_linking_to_a_later_row_is_refused(conn: Connection) -> None:
    ids = seed_world(conn)
    ids["grid"] = grid_for(conn, ids)
    with pytest.raises(ValueError, match="id order"):
        bulk_insert_problems(conn, [bulk_row(ids, 900, 901), bulk_row(ids, 901, None)])


def test_the_migration_fills_in_the_repeat_index_of_stored_chains(fresh_db_url: str) -> None:
    engine = make_engine(fresh_db_url)
    try:
        migrate.upgrade(engine, "7e5dc35567b9")  # before the repeat index
        with engine.begin() as conn:
            ids = seed_world(conn)
            chain = [add_problem(conn, ids, FOUND) for _ in range(4)]
            for parent, child in [(chain[0], chain[1]), (chain[1], chain[2])]:  # 0 ← 1 ← 2; 3 alone
                conn.execute(text(f"UPDATE problem SET repeat_of_id = {parent} WHERE id = {child}"))
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert indexes(conn, chain) == [0, 1, 2, 0]
    finally:
        engine.dispose()


def test_the_demo_stores_each_repeat_s_index_one_more_than_that_of_what_it_repeats(demo_url: str) -> None:
    engine = make_engine(demo_url)
    parent = problem.alias("parent")
    try:
        with engine.connect() as conn:
            linked = problem.join(parent, parent.c.id == problem.c.repeat_of_id)
            wrong = (
                select(func.count())
                .select_from(linked)
                .where(problem.c.repeat_index != parent.c.repeat_index + 1)
            )
            unlinked = select(func.count()).where(
                problem.c.repeat_of_id.is_(None), problem.c.repeat_index != 0
            )
            deepest = select(func.max(problem.c.repeat_index))
            assert (conn.execute(wrong).scalar(), conn.execute(unlinked).scalar()) == (0, 0)
            assert conn.execute(deepest).scalar_one() >= 2  # the demo has repeats of repeats
    finally:
        engine.dispose()
