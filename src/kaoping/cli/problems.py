"""`kaoping locate`, `kaoping report` and `kaoping categories`."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from kaoping.cli.main import Json, app, console, engine_for, parse_time, print_json, reports_errors
from kaoping.db.intake import SqlIntakeUnitOfWork
from kaoping.db.places import describe
from kaoping.domain.categories import CategoryLevel
from kaoping.domain.problems import Coordinate
from kaoping.geo.crs import coordinate_to_wgs84
from kaoping.io.seeds import load_categories
from kaoping.services.intake import Intake, ProblemReport, report_problem
from kaoping.settings import get_settings
from kaoping.wiring import load_index
from kaoping.wiring.intake import build_desk


@app.command()
@reports_errors
def locate(
    lon: Annotated[str, typer.Option(help="经度")],
    lat: Annotated[str, typer.Option(help="纬度")],
    crs: Annotated[str, typer.Option(help="坐标系: wgs84 | gcj02 | bd09 | cgcs2000")] = "wgs84",
    at: Annotated[str | None, typer.Option(help="按该日现行的边界定位 (YYYY-MM-DD); 默认为现行边界")] = None,
    as_json: Json = False,
) -> None:
    """查询一个坐标所在的单元网格、社区、镇街、区县和最近的道路 (含距离)."""
    settings = get_settings()
    point = coordinate_to_wgs84(Coordinate.parse(lon, lat, crs))
    day = parse_time(at, settings).date() if at else None
    with engine_for(settings) as engine, engine.connect() as conn:
        index = load_index(conn, settings.road_snap_m, include_history=day is not None)
        place = describe(conn, index.locate(point.lon, point.lat, at=day))
    if as_json:
        print_json({"lon": point.lon, "lat": point.lat, **dataclasses.asdict(place)})
        return
    road = (
        f"{place.road_name} ({place.road_code}), 距离 {place.road_distance_m} 米" if place.road_code else "—"
    )
    table = Table(title=f"定位结果 (WGS84 {point.lon:.6f}, {point.lat:.6f})", show_header=False)
    for label, value in (
        ("单元网格", place.grid_code),
        ("社区", f"{place.community_name} ({place.community_code})"),
        ("镇街", f"{place.town_name} ({place.town_code})"),
        ("区县", f"{place.district_name} ({place.district_code})"),
        (f"最近道路 ({settings.road_snap_m:g} 米内)", road),
    ):
        table.add_row(label, value)
    console.print(table)


@app.command()
@reports_errors
def report(
    category: Annotated[str, typer.Option(help="问题类别: 小类代码或名称, 如 E0501 或 占道经营")],
    lon: Annotated[str, typer.Option(help="经度")],
    lat: Annotated[str, typer.Option(help="纬度")],
    channel: Annotated[str, typer.Option(help="来源, 如 grid_worker, third_party")] = "grid_worker",
    crs: Annotated[str, typer.Option(help="坐标系: wgs84 | gcj02 | bd09 | cgcs2000")] = "wgs84",
    at: Annotated[str | None, typer.Option(help="发现时间, 默认为现在")] = None,
    description: Annotated[str, typer.Option(help="问题描述")] = "",
) -> None:
    """上报一个问题: 校验类别与坐标, 定位到网格后入库."""
    settings = get_settings()
    draft = ProblemReport(
        channel=channel,
        category=category,
        lon=lon,
        lat=lat,
        crs=crs,
        found_at=parse_time(at, settings),
        description=description,
    )
    with engine_for(settings) as engine:
        desk = build_desk(engine, settings.tz, settings.road_snap_m)
        intake = report_problem(SqlIntakeUnitOfWork(engine), desk, draft, at=datetime.now(UTC))
        with engine.connect() as conn:
            place = describe(conn, intake.location)
    deadline = (
        intake.deadline_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M") if intake.deadline_at else "—"
    )
    repeat = (
        f"是, 重复第 {intake.repeat_of} 号问题 (第 {intake.repeat_index} 次重复)"
        if intake.repeat_of
        else "否"
    )
    console.print(
        f"已受理, 问题编号 {intake.problem_id}: {intake.category.name}, 网格 {place.grid_code} "
        f"({place.community_name}, {place.town_name}), 处置时限 {deadline}, 重复问题: {repeat}"
    )
    console.print(follow_up_line(intake))
    if intake.relinked:
        later = "、".join(str(i) for i in intake.relinked)
        console.print(f"补报: 之后发现的问题 {later} 改记为本问题的重复问题")
    for note in intake.notes:
        console.print(f"[yellow]注意:[/] {note}")


def follow_up_line(intake: Intake) -> str:
    """The case or finding intake opened for the problem, as people read it."""
    if intake.finding_id is not None:
        return f"测评问题编号 {intake.finding_id}: 已发现(待交办) (kaoping finding show {intake.finding_id})"
    return f"案件编号 {intake.case_id}: 已上报(待受理) (kaoping case show {intake.case_id})"


@app.command()
def categories(as_json: Json = False) -> None:
    """列出部件/事件类别 (大类、小类、处置时限、责任部门类型)."""
    tree = load_categories()
    if as_json:
        print_json(
            [
                {
                    "code": c.code,
                    "name": c.name,
                    "kind": c.kind,
                    "level": c.level,
                    "deadline": c.deadline_value,
                    "unit": c.deadline_unit,
                    "department": c.department_type,
                }
                for c in tree
            ]
        )
        return
    table = Table(title=f"问题类别 ({len(tree)} 项)")
    for header in ("代码", "名称", "时限", "责任部门类型"):
        table.add_column(header)
    for c in tree:
        indent = "" if c.level is CategoryLevel.MAJOR else "  "
        limit = f"{c.deadline_value} {c.deadline_unit}" if c.deadline_value else ""
        table.add_row(c.code, indent + c.name, limit, c.department_type or "")
    console.print(table)
