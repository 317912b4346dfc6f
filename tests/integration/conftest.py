"""Fixtures of the integration tests: the demo city the problem import tests import into."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, func, select

from kaoping.db.calendar import seed_year
from kaoping.db.engine import make_engine
from kaoping.db.tables import calendar_day
from kaoping.io.holidays import LIBRARY, holiday_days
from tests.integration.imports import remove_imported


@pytest.fixture(scope="module")
def sheet_city(demo_url: str) -> Iterator[Engine]:
    """The shared demo city with the 2025 calendar; what a module imports is removed afterwards."""
    engine = make_engine(demo_url)
    with engine.begin() as conn:
        had_calendar = conn.execute(select(func.count()).select_from(calendar_day)).scalar_one() > 0
        if not had_calendar:
            seed_year(conn, 2025, holiday_days(2025), LIBRARY)
    yield engine
    remove_imported(engine)
    with engine.begin() as conn:
        if not had_calendar:
            conn.execute(delete(calendar_day))
    engine.dispose()
