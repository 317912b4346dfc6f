"""The unit of work: one connection, one transaction; only ``commit()`` makes changes stick."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine

from kaoping.db.facts import SqlFactStore
from kaoping.db.problems import SqlProblemStore
from kaoping.db.scores import SqlScoreStore


class SqlUnitOfWork:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None

    def __enter__(self) -> Self:
        self._conn = self._engine.connect()
        self._conn.begin()
        self.facts = SqlFactStore(self._conn)
        self.scores = SqlScoreStore(self._conn)
        self.problems = SqlProblemStore(self._conn)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._conn is not None
        try:
            self._conn.rollback()  # a no-op after commit()
        finally:
            self._conn.close()
            self._conn = None

    def commit(self) -> None:
        assert self._conn is not None
        self._conn.commit()

    @property
    def connection(self) -> Connection:
        assert self._conn is not None, "use the unit of work in a with-block"
        return self._conn
