"""Alembic environment: runs against the engine in ``config.attributes['connection']`` if given,
else against ``KAOPING_DATABASE_URL``."""

from __future__ import annotations

from alembic import context

from kaoping.db.engine import make_engine
from kaoping.db.tables import metadata
from kaoping.settings import get_settings

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
