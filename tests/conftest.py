"""Shared fixtures: real SQLite and real PostgreSQL databases built by the migrations.

Every database test runs on both engines. PostgreSQL tests use a fresh database per test session
and skip (saying why, in the summary) when no server is reachable — unless
KAOPING_REQUIRE_POSTGRES=1 (set by CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, Engine, text

from kaoping.db import migrate
from kaoping.db.engine import make_engine
from kaoping.db.tables import metadata
from kaoping.demo.build import build_demo
from kaoping.demo.sizes import SIZES

PG_ADMIN_URL = os.environ.get("KAOPING_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
_pg_status: dict[str, str] = {}


def _create_pg_database() -> str:
    """A new empty database on the test server; returns its URL."""
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"kaoping_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _drop_pg_database(url: str) -> None:
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this session (skips if the server is unreachable)."""
    try:
        url = _create_pg_database()
    except Exception as err:  # any failure to connect means "no server"
        reason = f"PostgreSQL unreachable at {PG_ADMIN_URL}: {type(err).__name__}: {str(err).splitlines()[0]}"
        _pg_status["skipped"] = reason
        if os.environ.get("KAOPING_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " (KAOPING_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    _pg_status["ran"] = PG_ADMIN_URL
    yield url
    _drop_pg_database(url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database URL for each engine; the schema is not built yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'kaoping.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of each engine for one test (dropped afterwards)."""
    if request.param == "postgresql":
        request.getfixturevalue("pg_url")  # skips (or fails in CI) when there is no server
    url = new_database_url(request.param, tmp_path)
    yield url
    drop_database(url)


def new_database_url(kind: str, tmp_dir: Path) -> str:
    """A new, empty database of ``kind`` ('sqlite' or 'postgresql'); PostgreSQL ones are dropped by
    ``drop_database`` (or left for the server when the session ends)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_dir / f'{uuid.uuid4().hex[:8]}.db'}"
    return _create_pg_database()


def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        _drop_pg_database(url)


@pytest.fixture(scope="session")
def demo_url(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of each engine holding the small demo city, seed 2021, built once per session.

    Tests may read it; tests that write must undo what they wrote.
    """
    kind = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    url = new_database_url(kind, tmp_path_factory.mktemp("demo"))
    engine = make_engine(url)
    build_demo(engine, SIZES["small"], 2021, ZoneInfo("Asia/Shanghai"))
    engine.dispose()
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database whose schema was built by the migrations."""
    eng = make_engine(db_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def clean_engine(engine: Engine) -> Iterator[Engine]:
    """The engine, for tests whose code commits (units of work): every table is emptied afterwards."""
    yield engine
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if "ran" in _pg_status:
        terminalreporter.write_line(f"PostgreSQL tests ran against {_pg_status['ran']}")
    elif "skipped" in _pg_status:
        terminalreporter.write_line(f"PostgreSQL tests SKIPPED: {_pg_status['skipped']}", yellow=True)
