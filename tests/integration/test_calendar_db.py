"""The working calendar table on each engine: seeding from the library, days set by hand taking
precedence (and surviving a re-seed), unknown years refused, and the calendar commands."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, Engine
from typer.testing import CliRunner, Result

from kaoping.cli.main import app
from kaoping.db.calendar import MANUAL, has_year, known_years, list_days, load_calendar, seed_year, set_day
from kaoping.domain.calendar import CalendarDay, CalendarYearMissingError, DayKind, NewCalendarYearError
from kaoping.domain.categories import DeadlineUnit
from kaoping.domain.deadlines import deadline
from kaoping.io.holidays import LIBRARY, holiday_days, library_calendar
from kaoping.settings import get_settings

TZ = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hour: int = 0) -> datetime:
    return datetime(y, m, d, hour, tzinfo=TZ)


def seed(conn: Connection, year: int) -> None:
    seed_year(conn, year, holiday_days(year), LIBRARY)


def test_a_seeded_year_reads_back_as_the_library_has_it(conn: Connection) -> None:
    seed(conn, 2025)
    stored = load_calendar(conn)
    library = library_calendar([2025])
    assert stored.years == frozenset({2025})
    assert dict(stored.days) == dict(library.days)
    assert {s.source for s in list_days(conn)} == {LIBRARY}
    assert deadline(at(2025, 9, 30, 16), 2, DeadlineUnit.WORK_DAYS, stored, TZ) == at(2025, 10, 10, 16)


def test_seeding_a_year_twice_changes_nothing(conn: Connection) -> None:
    first = seed_year(conn, 2021, holiday_days(2021), LIBRARY)
    before = list_days(conn)
    second = seed_year(conn, 2021, holiday_days(2021), LIBRARY)
    assert (first.written, second.written, second.kept) == (len(holiday_days(2021)), first.written, 0)
    assert list_days(conn) == before


def test_a_day_set_by_hand_overrides_the_library_and_survives_a_re_seed(conn: Connection) -> None:
    seed(conn, 2025)
    start = at(2025, 9, 30, 16)
    assert deadline(start, 3, DeadlineUnit.WORK_DAYS, load_calendar(conn), TZ) == at(2025, 10, 11, 16)
    set_day(conn, CalendarDay(date(2025, 10, 11), DayKind.HOLIDAY, "本市不调休"))
    result = seed_year(conn, 2025, holiday_days(2025), LIBRARY)
    calendar = load_calendar(conn)
    assert result.kept == 1
    assert calendar.describe(date(2025, 10, 11)) == CalendarDay(
        date(2025, 10, 11), DayKind.HOLIDAY, "本市不调休"
    )
    assert [s.source for s in list_days(conn, date(2025, 10, 11), date(2025, 10, 11))] == [MANUAL]
    assert deadline(start, 3, DeadlineUnit.WORK_DAYS, calendar, TZ) == at(2025, 10, 13, 16)


def test_a_year_not_in_the_table_is_refused_even_when_the_library_has_it(conn: Connection) -> None:
    seed(conn, 2025)
    with pytest.raises(CalendarYearMissingError, match="2026"):
        deadline(at(2025, 12, 31, 16), 2, DeadlineUnit.WORK_DAYS, load_calendar(conn), TZ)


def test_the_first_day_of_an_unknown_year_needs_the_new_year_flag(conn: Connection) -> None:
    day = CalendarDay(date(2027, 1, 1), DayKind.HOLIDAY, "元旦")
    with pytest.raises(NewCalendarYearError, match="--new-year"):
        set_day(conn, day)
    set_day(conn, day, new_year=True)
    set_day(conn, CalendarDay(date(2027, 2, 6), DayKind.HOLIDAY, "春节"))  # the year is known now
    assert has_year(conn, 2027)
    assert known_years(conn) == [2027]
    assert not load_calendar(conn).is_workday(date(2027, 1, 1))


def run(engine: Engine, *args: str) -> Result:
    url = engine.url.render_as_string(hide_password=False)
    get_settings.cache_clear()  # settings are read once per process; this run has its own URL
    try:
        return CliRunner().invoke(app, list(args), env={"KAOPING_DATABASE_URL": url})
    finally:
        get_settings.cache_clear()


def test_the_calendar_commands_seed_show_set_and_compute_a_deadline(clean_engine: Engine) -> None:
    seeded = run(clean_engine, "calendar", "seed", "--year", "2025")
    assert seeded.exit_code == 0, seeded.output
    assert "写入 33 天" in seeded.output
    shown = run(clean_engine, "calendar", "show", "--month", "2025-10", "--json")
    october = {d["date"]: d for d in json.loads(shown.output)}
    assert october["2025-10-11"] == {
        "date": "2025-10-11",
        "kind": "workday",
        "note": "国庆节调休上班",
        "source": LIBRARY,
    }
    assert october["2025-10-12"]["source"] == "rule"
    changed = run(clean_engine, "calendar", "set", "2025-10-11", "--holiday", "--note", "本市不调休")
    assert changed.exit_code == 0, changed.output
    computed = run(
        clean_engine,
        "deadline",
        "--from",
        "2025-09-30 16:00",
        "--value",
        "3",
        "--unit",
        "work_days",
        "--json",
    )
    assert json.loads(computed.output)["deadline"] == "2025-10-13T16:00:00+08:00"
    text = run(clean_engine, "deadline", "--from", "2025-09-30 16:00", "--value", "2", "--unit", "work_days")
    assert "截止 2025-10-10 16:00 (周五)" in text.output


def test_the_commands_refuse_unknown_years_with_a_chinese_message(clean_engine: Engine) -> None:
    beyond = run(clean_engine, "calendar", "seed", "--year", "2027")
    assert beyond.exit_code == 1
    assert "没有 2027 年" in beyond.output
    missing = run(
        clean_engine, "deadline", "--from", "2025-09-30 16:00", "--value", "2", "--unit", "work_days"
    )
    assert missing.exit_code == 1
    assert "工作日历缺少 2025 年的节假日数据" in missing.output
