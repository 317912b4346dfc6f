"""Seeding reference data into each engine: complete, linked, and idempotent."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from kaoping.db import reference
from kaoping.db.tables import category, channel, evaluation_item, item_category
from kaoping.io.seeds import load_categories, load_channels, load_scheme

SPEECH_PROBLEMS = (
    "占道经营",
    "广告条幅",
    "违规广告",
    "垃圾外溢",
    "乱涂乱画",
    "路面积尘",
    "小区卫生死角",
    "绿化缺枝断垄",
    "河道杂物垃圾",
)


def seed_all(conn: Connection) -> tuple[int, int]:
    scheme = load_scheme()
    changed = reference.seed_categories(conn, load_categories())
    changed_channels = reference.seed_channels(
        conn, [(c.code.value, c.name, c.own_discovery) for c in load_channels()]
    )
    mapping = {code: sorted(item.category_codes) for code, item in scheme.rules.items.items()}
    reference.seed_items(conn, scheme.item_names, mapping)
    return changed, changed_channels


def test_the_category_tree_is_stored_with_parents_deadlines_and_departments(conn: Connection) -> None:
    tree = load_categories()
    seed_all(conn)
    parent = category.alias()
    rows = conn.execute(
        select(
            category.c.code, category.c.deadline_value, category.c.department_type, parent.c.code
        ).outerjoin(parent, parent.c.id == category.c.parent_id)
    ).all()
    assert len(rows) == len(tree)
    for code, deadline, department, parent_code in rows:
        expected = tree.get(code)
        assert parent_code == expected.parent_code
        assert (deadline, department) == (expected.deadline_value, expected.department_type)


def test_every_problem_the_speech_names_has_a_stored_category(conn: Connection) -> None:
    seed_all(conn)
    tree = load_categories()
    stored = set(conn.execute(select(category.c.code)).scalars())
    assert {tree.get(name).code for name in SPEECH_PROBLEMS} <= stored


def test_seeding_twice_changes_nothing(conn: Connection) -> None:
    first = seed_all(conn)
    counts = [
        conn.execute(select(func.count()).select_from(t)).scalar_one()
        for t in (category, channel, evaluation_item, item_category)
    ]
    second = seed_all(conn)
    assert first[0] > 0
    assert second == (0, 0)
    assert [
        conn.execute(select(func.count()).select_from(t)).scalar_one()
        for t in (category, channel, evaluation_item, item_category)
    ] == counts
