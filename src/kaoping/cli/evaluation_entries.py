"""`kaoping manual …` and `kaoping adjustment …`: enter what the facts cannot count — manual scores
per unit × item, and the events bonuses and penalties count — checked against the scheme in force.
The next `kaoping evaluate` counts them (a new revision)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from rich.table import Table

from kaoping.cli.evaluations import FolderOption, PeriodOption, SchemeOption
from kaoping.cli.main import Json, app, console, engine_for, print_json, reports_errors
from kaoping.db.evaluations import SqlEvaluationUnitOfWork
from kaoping.domain.errors import KaopingError
from kaoping.domain.periods import Period
from kaoping.io.scheme_sources import SchemeFolders
from kaoping.services.evaluation_entries import (
    add_adjustment_event,
    list_adjustment_events,
    list_manual_scores,
    remove_adjustment_event,
    set_manual_score,
)
from kaoping.services.evaluation_ports import AdjustmentEntry, ManualEntry
from kaoping.settings import get_settings

manual_app = typer.Typer(help="人工评分: 按单位 × 项目录入 (部门考评、专家评审…)", no_args_is_help=True)
adjustment_app = typer.Typer(help="加减分事件: 宣传报道采用、负面曝光…", no_args_is_help=True)
app.add_typer(manual_app, name="manual")
app.add_typer(adjustment_app, name="adjustment")

UnitOption = Annotated[str, typer.Option("--unit", help="被考评单位代码", show_default=False)]
ByOption = Annotated[str, typer.Option("--by", help="录入人 (部门或姓名)")]
NoteOption = Annotated[str, typer.Option(help="备注")]


def parse_points(text: str, option: str) -> Decimal:
    """A number of points typed by a user, exactly (18.5, not 18.499999…)."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise KaopingError(f"{option} {text!r} 不是数字") from None
    if not value.is_finite():
        raise KaopingError(f"{option} {text!r} 不是数字")
    return value


@manual_app.command("set")
@reports_errors
def manual_set(
    period: PeriodOption,
    unit: UnitOption,
    item: Annotated[str, typer.Option("--item", help="人工评分项目代码", show_default=False)],
    points: Annotated[str, typer.Option("--points", help="得分, 如 18.5", show_default=False)],
    scheme: SchemeOption = None,
    by: ByOption = "",
    note: NoteOption = "",
    folder: FolderOption = None,
) -> None:
    """录入 (或改正) 一个单位在一个人工评分项目上的得分; 项目、单位与分值范围按方案检查."""
    settings = get_settings()
    entry = ManualEntry(
        "",
        Period.parse(period),
        unit,
        item,
        parse_points(points, "--points"),
        by,
        datetime.now(settings.tz),
        note,
    )
    with engine_for(settings) as engine:
        stored = set_manual_score(
            SqlEvaluationUnitOfWork(engine), SchemeFolders(folder).schemes(), entry, scheme=scheme
        )
    console.print(
        f"已录入: 方案 {stored.scheme} {stored.period.label} 单位 {unit} 项目 {item} {stored.points} 分"
    )


@manual_app.command("list")
@reports_errors
def manual_list(
    period: PeriodOption, scheme: SchemeOption = None, folder: FolderOption = None, as_json: Json = False
) -> None:
    """列出一个周期录入的人工评分."""
    settings = get_settings()
    with engine_for(settings) as engine:
        entries = list_manual_scores(
            SqlEvaluationUnitOfWork(engine), SchemeFolders(folder).schemes(), Period.parse(period), scheme
        )
    if as_json:
        print_json([{"unit": e.unit, "item": e.item, "points": str(e.points), "entered_by": e.entered_by,
                     "entered_at": e.entered_at.isoformat(), "note": e.note} for e in entries])  # fmt: skip
        return
    table = Table(title=f"{Period.parse(period).label} 人工评分")
    for header in ("单位", "项目", "得分", "录入人", "录入时间", "备注"):
        table.add_column(header)
    for e in entries:
        at = f"{e.entered_at.astimezone(settings.tz):%Y-%m-%d %H:%M}"
        table.add_row(e.unit, e.item, str(e.points), e.entered_by, at, e.note)
    console.print(table if entries else "该周期尚未录入人工评分")


@adjustment_app.command("add")
@reports_errors
def adjustment_add(
    period: PeriodOption,
    unit: UnitOption,
    adjustment: Annotated[
        str, typer.Option("--adjustment", help="方案中的加减分代码, 如 publicity", show_default=False)
    ],
    tier: Annotated[str, typer.Option(help="媒体级别 (方案 points_by_tier 中的键), 如 provincial")] = "",
    count: Annotated[int, typer.Option(help="次数/篇数")] = 1,
    points: Annotated[
        str | None,
        typer.Option(
            "--points", help="每次的分值 (录入类加减分); 不填则按方案的级别分值", show_default=False
        ),
    ] = None,
    scheme: SchemeOption = None,
    by: ByOption = "",
    note: NoteOption = "",
    folder: FolderOption = None,
) -> None:
    """记录一个加减分事件 (如被省级媒体采用的宣传报道 2 篇); 按方案检查代码、级别与分值."""
    settings = get_settings()
    each = parse_points(points, "--points") if points is not None else None
    entry = AdjustmentEntry(
        "", Period.parse(period), unit, adjustment, tier, count, each, by, datetime.now(settings.tz), note
    )
    with engine_for(settings) as engine:
        stored = add_adjustment_event(
            SqlEvaluationUnitOfWork(engine), SchemeFolders(folder).schemes(), entry, scheme=scheme
        )
    console.print(
        f"已记录事件 {stored.id}: 方案 {stored.scheme} {stored.period.label} 单位 {unit} "
        f"{adjustment} {tier} × {count}"
    )


@adjustment_app.command("list")
@reports_errors
def adjustment_list(
    period: PeriodOption, scheme: SchemeOption = None, folder: FolderOption = None, as_json: Json = False
) -> None:
    """列出一个周期记录的加减分事件."""
    settings = get_settings()
    with engine_for(settings) as engine:
        events = list_adjustment_events(
            SqlEvaluationUnitOfWork(engine), SchemeFolders(folder).schemes(), Period.parse(period), scheme
        )
    if as_json:
        print_json([{"id": e.id, "unit": e.unit, "adjustment": e.adjustment, "tier": e.tier, "count": e.count,
                     "points": str(e.points) if e.points is not None else None, "entered_by": e.entered_by,
                     "note": e.note} for e in events])  # fmt: skip
        return
    table = Table(title=f"{Period.parse(period).label} 加减分事件")
    for header in ("编号", "单位", "加减分", "级别", "次数", "分值", "录入人", "备注"):
        table.add_column(header)
    for e in events:
        each = str(e.points) if e.points is not None else "按级别"
        table.add_row(
            str(e.id), e.unit, e.adjustment, e.tier or "—", str(e.count), each, e.entered_by, e.note
        )
    console.print(table if events else "该周期尚未记录加减分事件")


@adjustment_app.command("remove")
@reports_errors
def adjustment_remove(
    event_id: Annotated[
        int, typer.Argument(metavar="EVENT_ID", help="事件编号 (kaoping adjustment list)", show_default=False)
    ],
) -> None:
    """删除一个录错的加减分事件; 下次计算不再计入 (生成新修订)."""
    with engine_for(get_settings()) as engine:
        removed = remove_adjustment_event(SqlEvaluationUnitOfWork(engine), event_id)
    console.print(
        f"已删除事件 {event_id}: 单位 {removed.unit} {removed.adjustment} {removed.tier} × {removed.count}"
    )
