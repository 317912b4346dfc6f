"""Portable column types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC.

    SQLite has no timezone type, so values are stored as naive UTC everywhere (``timestamp without
    time zone`` on PostgreSQL) and come back aware. A naive datetime is refused: it is a bug.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Kaoping stores only timezone-aware times")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQLite rows written by the bulk path
            value = datetime.fromisoformat(value)
        aware: datetime = value.replace(tzinfo=UTC)
        return aware


def utc_text(value: datetime) -> str:
    """The text form SQLite stores for ``UTCDateTime``; used by the raw bulk-insert path."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
