"""`kaoping org import` (rosters of people and posts) and `kaoping org coverage` (到位率 and gaps)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kaoping.cli.geo import org_app
from kaoping.cli.main import Json, console, engine_for, parse_date, print_json, reports_errors
from kaoping.db.coverage import SqlCoverageReader
from kaoping.services.coverage import CoverageGaps, CoverageReport, UnitCoverage, coverage
from kaoping.settings import Settings, get_settings
from kaoping.wiring.rosters import RosterReport, import_roster

NO_SHARE = "—"  # nothing to hold: no grids, roads or communities below the unit


@org_app.command("import")
@reports_errors
def import_(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="花名册文件: .xlsx 或 .csv (UTF-8 或 GBK)", show_default=False),
    ],
    sheet: Annotated[str | None, typer.Option(help="工作表名称, 默认第一个工作表")] = None,
    valid_from: Annotated[
        str | None, typer.Option(help="未填起始日期的行从哪天起生效, 如 2025-03-01; 默认今天")
    ] = None,
    as_json: Json = False,
) -> None:
    """导入花名册: 人员及其网格员、路长、社区主任等任职.

    坏行逐行报告 (行号与原因), 不影响其他行; 同一文件重复导入不会重复添加;
    人员调岗时结束旧任职、开始新任职, 保留历史. 表头与角色写法见 docs/organisation.md.
    """
    settings = get_settings()
    start = parse_day(valid_from, settings, "--valid-from")
    with engine_for(settings) as engine:
        report = import_roster(engine, file, start, sheet)
    if as_json:
        print_json(roster_json(report))
        return
    print_roster_report(report)


@org_app.command("coverage")
@reports_errors
def coverage_(
    district: Annotated[str | None, typer.Option(help="区县编码: 列出该区县各镇街")] = None,
    at: Annotated[str | None, typer.Option(help="统计日期, 如 2025-03-01; 默认今天")] = None,
    gaps: Annotated[
        bool, typer.Option("--gaps", help="列出缺口: 无网格员的网格、无路长的道路、无主任的社区")
    ] = False,
    as_json: Json = False,
) -> None:
    """网格员、路长、社区主任到位情况: 各区县 (或某区县各镇街) 的到位率, 以及缺口清单."""
    settings = get_settings()
    day = parse_day(at, settings, "--at")
    with engine_for(settings) as engine:
        report = coverage(SqlCoverageReader(engine), day, district)
    if as_json:
        print_json(coverage_json(report, with_gaps=gaps))
        return
    print_coverage(report, by_town=district is not None)
    if gaps:
        print_gaps(report.gaps)


def parse_day(value: str | None, settings: Settings, option: str) -> date:
    """A date typed by a user; today in the business timezone when none is given."""
    return parse_date(value, option) or datetime.now(settings.tz).date()


# --- coverage -------------------------------------------------------------------------------------


def share_text(share: Decimal | None) -> str:
    return NO_SHARE if share is None else f"{share:.1%}"


def _cell(share: Decimal | None, filled: int, total: int) -> str:
    return f"{share_text(share)} ({filled}/{total})"


def _row(unit: UnitCoverage) -> list[str]:
    return [
        unit.unit_name,
        unit.unit_code,
        _cell(unit.grid_worker_share, unit.grids_with_worker, unit.grids),
        _cell(unit.road_chief_share, unit.roads_with_chief, unit.roads),
        _cell(unit.community_head_share, unit.communities_with_head, unit.communities),
    ]


def print_coverage(report: CoverageReport, by_town: bool) -> None:
    units, total = (report.towns, report.districts[0]) if by_town else (report.districts, report.city)
    table = Table(title=f"{total.unit_name}长效机制到位情况 ({report.at})")
    for header in ("镇街" if by_town else "区县", "编码", "网格员到位率", "路长到位率", "社区主任到位率"):
        table.add_column(header, justify="left" if header in {"区县", "镇街", "编码"} else "right")
    for unit in units:
        table.add_row(*_row(unit))
    table.add_section()
    table.add_row(*_row(total), style="bold")
    console.print(table)


def print_gaps(gaps: CoverageGaps) -> None:
    tables: list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]] = [
        (
            "无网格员的网格",
            ("网格编码", "社区"),
            [(g.code, g.community_name) for g in gaps.grids_without_worker],
        ),
        (
            "无路长的道路",
            ("道路编码", "道路", "镇街"),
            [(r.code, r.road_name, r.town_name) for r in gaps.roads_without_chief],
        ),
        (
            "无主任的社区",
            ("社区编码", "社区", "镇街"),
            [(c.code, c.name, c.town_name) for c in gaps.communities_without_head],
        ),
    ]
    for title, headers, rows in tables:
        if not rows:
            console.print(f"{title}: 无")
            continue
        table = Table(*headers, title=f"{title} ({len(rows)})")
        for row in rows:
            table.add_row(*row)
        console.print(table)


def coverage_json(report: CoverageReport, with_gaps: bool) -> dict[str, Any]:
    def unit(u: UnitCoverage) -> dict[str, Any]:
        return {
            **dataclasses.asdict(u),
            "grid_worker_share": u.grid_worker_share,
            "road_chief_share": u.road_chief_share,
            "community_head_share": u.community_head_share,
        }

    data: dict[str, Any] = {
        "at": report.at.isoformat(),
        "city": unit(report.city),
        "districts": [unit(d) for d in report.districts],
        "towns": [unit(t) for t in report.towns],
    }
    if with_gaps:
        data["gaps"] = dataclasses.asdict(report.gaps)
    return data


# --- rosters --------------------------------------------------------------------------------------


def print_roster_report(report: RosterReport) -> None:
    where = f" 工作表 {report.sheet}" if report.sheet else ""
    console.print(
        f"[bold]花名册[/] {report.file}{where}: 表头在第 {report.header_row} 行, 共 {report.rows} 行数据"
    )
    table = Table("新增", "未变", "调岗", "结束任职", "拒收", title="导入结果")
    table.add_row(
        *(str(n) for n in (report.added, report.unchanged, report.moved, report.closed, report.refused))
    )
    console.print(table)
    if report.refusals:
        refused = Table(title=f"拒收的行 ({report.refused})")
        refused.add_column("行号", justify="right")
        refused.add_column("原因", overflow="fold")  # every reason in full, never cut with "…"
        for refusal in report.refusals:
            refused.add_row(str(refusal.row), refusal.reason)
        console.print(refused)


def roster_json(report: RosterReport) -> dict[str, Any]:
    data = dataclasses.asdict(report)
    data["refused"] = report.refused
    data["refusals"] = [{"row": r.row, "reason": r.reason} for r in report.refusals]
    return data
