"""`kaoping calendar …` (the working calendar) and `kaoping deadline` (a deadline on it)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer
from rich.table import Table

from kaoping.cli.main import Json, app, console, engine_for, parse_time, print_json, reports_errors
from kaoping.db.calendar import list_days, load_calendar, seed_year, set_day
from kaoping.domain.calendar import WEEKDAYS_ZH, CalendarDay, DayKind, WorkCalendar
from kaoping.domain.categories import DeadlineUnit
from kaoping.domain.deadlines import UNIT_LABELS, deadline
from kaoping.domain.errors import KaopingError
from kaoping.domain.periods import Period, PeriodKind
from kaoping.io.holidays import LIBRARY, holiday_days
from kaoping.settings import get_settings

calendar_app = typer.Typer(
    help="工作日历: 法定节假日与调休上班日, 工作时/工作日时限按它计算", no_args_is_help=True
)
app.add_typer(calendar_app, name="calendar")

KIND_LABELS = {DayKind.WORKDAY: "工作日", DayKind.HOLIDAY: "休息日"}


@calendar_app.command("seed")
@reports_errors
def seed(
    year: Annotated[int, typer.Option(help="年份, 如 2025 (节假日库所含年份)", show_default=False)],
    as_json: Json = False,
) -> None:
    """从节假日库 (chinesecalendar) 导入一年的法定节假日与调休上班日.

    重复导入只更新库中的日子; 用 `kaoping calendar set` 手工设置过的日子保持不变.
    """
    days = holiday_days(year)
    with engine_for(get_settings()) as engine, engine.begin() as conn:
        result = seed_year(conn, year, days, LIBRARY)
    if as_json:
        print_json(result)
        return
    console.print(
        f"已导入 {year} 年节假日数据 ({LIBRARY}): 写入 {result.written} 天, 保留手工设置 {result.kept} 天"
    )


@calendar_app.command("show")
@reports_errors
def show(
    month: Annotated[str, typer.Option(help="月份, 如 2025-10", show_default=False)],
    as_json: Json = False,
) -> None:
    """列出一个月每天是工作日还是休息日, 以及原因 (节日、调休上班、周末) 和来源."""
    period = Period.parse(month)
    if period.kind is not PeriodKind.MONTH:
        raise KaopingError(f"月份 {month!r} 无效: 应为 2025-10 这样的月份")
    first, last = period.first_day, period.next().first_day - timedelta(days=1)
    with engine_for(get_settings()) as engine, engine.connect() as conn:
        calendar = load_calendar(conn)
        sources = {stored.day.day: stored.source for stored in list_days(conn, first, last)}
    days = [calendar.describe(first + timedelta(days=i)) for i in range((last - first).days + 1)]
    if as_json:
        print_json([_day_json(d, sources.get(d.day)) for d in days])
        return
    _print_month(period, calendar, days, sources)


@calendar_app.command("set")
@reports_errors
def set_(
    day: Annotated[str, typer.Argument(metavar="DATE", help="日期, 如 2025-10-11", show_default=False)],
    workday: Annotated[
        bool, typer.Option("--workday/--holiday", help="设为工作日 (如调休上班) 或休息日", show_default=False)
    ],
    note: Annotated[str, typer.Option(help="说明, 如 国庆节、调休上班、本市防汛放假")] = "",
    new_year: Annotated[
        bool, typer.Option("--new-year", help="该年尚无数据时仍录入 (之后须逐日录入该年全部节假日)")
    ] = False,
) -> None:
    """手工设置一天为工作日或休息日 (本市的决定), 优先于节假日库, 重新导入也不会覆盖."""
    entry = CalendarDay(_parse_date(day), DayKind.WORKDAY if workday else DayKind.HOLIDAY, note)
    with engine_for(get_settings()) as engine, engine.begin() as conn:
        set_day(conn, entry, new_year=new_year)
    console.print(
        f"{entry.day} ({_weekday(entry.day)}) 已设为{KIND_LABELS[entry.kind]}" + (f": {note}" if note else "")
    )


@app.command("deadline")
@reports_errors
def deadline_(
    value: Annotated[str, typer.Option(help="时限数值, 如 2 或 1.5", show_default=False)],
    unit: Annotated[
        DeadlineUnit, typer.Option(help="时限单位: 工作时/工作日/小时/自然日", show_default=False)
    ],
    start: Annotated[
        str | None, typer.Option("--from", help='起算时间, 如 "2025-09-30 16:00"; 默认现在')
    ] = None,
    as_json: Json = False,
) -> None:
    """按工作日历计算时限的截止时间 (工作时只计工作日的上班时段, 工作日计整工作日).

    规则与例子见 docs/workflow.md "Deadlines and the working calendar".
    """
    settings = get_settings()
    begins = parse_time(start, settings)
    amount = _parse_value(value)
    with engine_for(settings) as engine, engine.connect() as conn:
        calendar = load_calendar(conn)
    due = deadline(begins, amount, unit, calendar, settings.tz)
    if as_json:
        print_json(
            {"from": begins.isoformat(), "value": str(amount), "unit": unit, "deadline": due.isoformat()}
        )
        return
    label = f"{amount} {UNIT_LABELS[unit]}"
    console.print(f"{_when(begins.astimezone(settings.tz))} 起 {label}, 截止 {_when(due)}")


def _print_month(
    period: Period, calendar: WorkCalendar, days: list[CalendarDay], sources: dict[date, str]
) -> None:
    periods = ", ".join(str(p) for p in calendar.periods)
    table = Table(title=f"{period.label} 工作日历 (上班时段 {periods})")
    for header in ("日期", "星期", "类型", "说明", "来源"):
        table.add_column(header)
    for d in days:
        kind = KIND_LABELS[d.kind]
        styled = f"[green]{kind}[/]" if d.kind is DayKind.WORKDAY else f"[red]{kind}[/]"
        table.add_row(str(d.day), _weekday(d.day), styled, d.note, _source_label(sources.get(d.day)))
    console.print(table)


def _day_json(day: CalendarDay, source: str | None) -> dict[str, Any]:
    return {"date": day.day.isoformat(), "kind": day.kind, "note": day.note, "source": source or "rule"}


def _source_label(source: str | None) -> str:
    if source is None:
        return "默认规则"
    return "手工设置" if source == "manual" else source


def _weekday(day: date) -> str:
    return f"周{WEEKDAYS_ZH[day.weekday()]}"


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} ({_weekday(at.date())})"


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise KaopingError(f"日期 {text!r} 无法识别, 请使用 2025-10-11 格式") from None


def _parse_value(text: str) -> Decimal | int:
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise KaopingError(f"时限 {text!r} 不是数字") from None
    return int(amount) if amount == amount.to_integral_value() else amount
