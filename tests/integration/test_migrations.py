"""The migrations build exactly the schema in db/tables.py, and come down again, on both engines."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from kaoping.db import migrate
from kaoping.db.engine import make_engine
from kaoping.db.tables import metadata


def test_migrations_go_up_match_the_tables_and_come_down_again(fresh_db_url: str) -> None:
    engine = make_engine(fresh_db_url)
    try:
        migrate.upgrade(engine)
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert tables == set(metadata.tables)
        migrate.check(engine)  # raises if autogenerate sees any difference
        migrate.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)  # and up again, as a real deployment would after a rollback
        assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set(metadata.tables)
    finally:
        engine.dispose()


def test_sqlite_connections_have_foreign_keys_on_and_use_wal(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/k.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_rows_from_before_versioning_become_in_force_since_always(fresh_db_url: str) -> None:
    engine = make_engine(fresh_db_url)
    try:
        migrate.upgrade(engine, "ed7a3d70eb8d")  # the initial schema, without versions
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO admin_unit (code, name, level, kind) VALUES ('379901', '市中区', "
                    "'district', 'district')"
                )
            )
        migrate.upgrade(engine)
        with engine.connect() as conn:
            row = conn.execute(text("SELECT code, valid_from, valid_to FROM admin_unit")).one()
        assert (row.code, str(row.valid_from), row.valid_to) == ("379901", "1970-01-01", None)
    finally:
        engine.dispose()
