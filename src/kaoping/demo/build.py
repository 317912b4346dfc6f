"""Build the demo city into a database: schema, seed data, geography, a year of problems, scores."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import shapely
from sqlalchemy import Connection, Engine

from kaoping.db import calendar, migrate, reference
from kaoping.db.problems import bulk_insert_problems
from kaoping.db.uow import SqlUnitOfWork
from kaoping.demo.geography import DemoGeography, UnitSpec, build_geography
from kaoping.demo.problems import DemoInputs, generate_year
from kaoping.demo.sizes import DemoSize
from kaoping.domain.calendar import WorkCalendar
from kaoping.domain.categories import CategoryLevel
from kaoping.domain.periods import Period, PeriodKind
from kaoping.geo.index import GeoIndex
from kaoping.io import holidays
from kaoping.io.seeds import SchemeSpec, load_categories, load_channels, load_scheme
from kaoping.services.scoring import score_period
from kaoping.wiring import load_index

DEMO_YEAR = 2025  # a whole year inside the span the holiday calendar covers; never "today"

OnStep = Callable[[str, int, int], None]
"""Progress callback: (step label, units done, units in the step)."""

T = TypeVar("T")


@dataclass
class DemoSummary:
    size: str
    seed: int
    year: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    latest_period: str = ""


def build_demo(
    engine: Engine,
    size: DemoSize,
    seed: int,
    tz: ZoneInfo,
    on_step: OnStep | None = None,
    year: int = DEMO_YEAR,
    road_snap_m: float = 50.0,
) -> DemoSummary:
    """Replace everything in the database with a fresh demo city (deterministic for ``seed``)."""
    report = on_step or (lambda _label, _done, _total: None)
    summary = DemoSummary(size.name, seed, year)
    clock = _Clock(summary)
    with clock("schema"):
        report("准备数据库", 0, 1)
        migrate.reset(engine)
        report("准备数据库", 1, 1)
    scheme = load_scheme()
    with clock("geography"):
        report("生成城市地理", 0, 1)
        geo = build_geography(size, seed)
        report("生成城市地理", 1, 1)
    with clock("organisation"), engine.begin() as conn:
        _save_reference(conn, geo, scheme)
        _seed_calendar(conn, year)
        report("写入组织与网格", 1, 1)
    with clock("index"), engine.connect() as conn:
        index = load_index(conn, road_snap_m)
        inputs = _inputs(conn, geo, index, scheme, tz, _demo_calendar(conn, year))
    with clock("problems"):
        report("生成一年的问题", 0, 1)
        generated = generate_year(inputs, size.problems_per_year, year, seed)
        report("生成一年的问题", 1, 1)
    with clock("insert"), engine.begin() as conn:
        total = len(generated.rows)
        rows = _counting(generated.rows, lambda done: report("写入问题", done, total))
        summary.counts["problems"] = bulk_insert_problems(conn, rows)
    summary.counts.update(
        grids=len(geo.grids),
        roads=len(geo.roads),
        districts=len(geo.districts),
        towns=len(geo.towns),
        communities=len(geo.communities),
        departments=len(geo.departments),
        repeats=generated.repeats,
        unassigned=generated.unassigned,
    )
    with clock("scoring"):
        periods = _periods(year)
        for done, period in enumerate(periods, start=1):
            score_period(SqlUnitOfWork(engine), scheme.rules, period, tz)
            report("计算得分与排名", done, len(periods))
    summary.latest_period = Period(year, PeriodKind.QUARTER, 4).code
    return summary


def _periods(year: int) -> list[Period]:
    """Months, then quarters, then the year — each kind in order, so rank changes have a predecessor."""
    months = [Period(year, PeriodKind.MONTH, m) for m in range(1, 13)]
    quarters = [Period(year, PeriodKind.QUARTER, q) for q in range(1, 5)]
    return [*months, *quarters, Period(year, PeriodKind.YEAR, 1)]


def _seed_calendar(conn: Connection, year: int) -> None:
    """The working calendar for the demo year and the next (as far as the holiday library reaches),
    so deadlines of problems reported into the demo city count working time."""
    for y in (year, year + 1):
        if y in holidays.library_years():
            calendar.seed_year(conn, y, holidays.holiday_days(y), holidays.LIBRARY)


def _demo_calendar(conn: Connection, year: int) -> WorkCalendar:
    """The seeded calendar for the problems' deadlines. A year around the demo's that the holiday
    library lacks counts Monday–Friday here (a demo has no State Council notice to go by), so every
    problem gets a deadline; the table itself stays without it, and the app refuses it as always."""
    seeded = calendar.load_calendar(conn)
    return WorkCalendar(seeded.days, seeded.years | {year, year + 1}, seeded.periods)


def _save_reference(conn: Connection, geo: DemoGeography, scheme: SchemeSpec) -> None:
    reference.seed_categories(conn, load_categories())
    reference.seed_channels(conn, [(c.code.value, c.name, c.own_discovery) for c in load_channels()])
    item_categories = {code: sorted(item.category_codes) for code, item in scheme.rules.items.items()}
    reference.seed_items(conn, scheme.item_names, item_categories)
    reference.save_groups(conn, [(g.code, g.name) for g in geo.groups])
    units = [geo.city, *geo.districts, *geo.towns, *geo.communities]
    reference.save_units(conn, [_unit_row(u) for u in units])
    reference.save_grids(
        conn,
        [
            {
                "code": g.code,
                "community_code": g.community_code,
                "area_m2": g.area_m2,
                "geometry": shapely.to_wkb(g.geometry),
            }
            for g in geo.grids
        ],
    )
    reference.save_roads(
        conn,
        [
            {
                "code": r.code,
                "name": r.name,
                "tier": r.tier,
                "town_code": r.town_code,
                "length_m": r.length_m,
                "geometry": shapely.to_wkb(r.geometry),
            }
            for r in geo.roads
        ],
    )
    reference.save_departments(
        conn,
        [
            {"code": d.code, "name": d.name, "field": d.field, "district_code": d.district_code}
            for d in geo.departments
        ],
    )
    reference.save_people(
        conn,
        [{"name": p.name, "role": p.role, "scope": p.scope, "scope_code": p.scope_code} for p in geo.people],
    )


def _unit_row(u: UnitSpec) -> dict[str, Any]:
    return {
        "code": u.code,
        "name": u.name,
        "level": u.level,
        "kind": u.kind,
        "parent_code": u.parent_code,
        "group_code": u.group_code,
        "area_m2": u.area_m2,
        "geometry": shapely.to_wkb(u.geometry),
    }


def _inputs(
    conn: Connection,
    geo: DemoGeography,
    index: GeoIndex,
    scheme: SchemeSpec,
    tz: ZoneInfo,
    work_calendar: WorkCalendar,
) -> DemoInputs:
    tree = load_categories()
    minors = [c for c in tree if c.level is CategoryLevel.MINOR]
    return DemoInputs(
        geography=geo,
        index=index,
        categories=minors,
        category_ids=reference.category_ids(conn),
        category_weights=scheme.category_weights,
        category_seasons=scheme.category_seasons,
        channel_shares={c.code: c.share for c in load_channels()},
        rules=scheme.rules,
        departments=reference.department_ids_by_field(conn),
        road_names=reference.road_names(conn),
        tz=tz,
        calendar=work_calendar,
    )


def _counting(rows: Iterable[T], report: Callable[[int], None], every: int = 20_000) -> Iterator[T]:
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % every == 0:
            report(done)
    report(done)


class _Clock:
    """Times named steps into the summary (``with clock("insert"): …``)."""

    def __init__(self, summary: DemoSummary) -> None:
        self._summary = summary

    def __call__(self, name: str) -> _Clock:
        self._name = name
        return self

    def __enter__(self) -> None:
        self._start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self._summary.seconds[self._name] = round(time.perf_counter() - self._start, 2)
