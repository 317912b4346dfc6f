"""`kaoping geo import` and `kaoping geo check`: boundaries, grids and roads from a city's own files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kaoping.cli.geo import geo_app
from kaoping.cli.main import Json, console, engine_for, parse_date, print_json, reports_errors
from kaoping.db import migrate
from kaoping.db.boundaries import Layer
from kaoping.geo.checks import FindingKind, Tolerance
from kaoping.geo.crs import parse_crs
from kaoping.settings import get_settings
from kaoping.wiring.boundaries import FieldMapping, ImportReport, ImportRequest, Outcome, import_boundaries
from kaoping.wiring.checks import CheckReport, check_geography

SHOWN_ROWS = 200  # the tables list at most this many features or findings; --json lists them all
OUTCOME_LABELS = {
    Outcome.CREATED: "新建",
    Outcome.UPDATED: "新版本",
    Outcome.UNCHANGED: "未变",
    Outcome.REFUSED: "[red]拒绝[/]",
}
KIND_LABELS = {
    FindingKind.INVALID: "几何无效",
    FindingKind.OVERLAP: "同级重叠",
    FindingKind.GAP: "同级缝隙",
    FindingKind.OUTSIDE_PARENT: "超出上级",
    FindingKind.GRID_CROSSES_COMMUNITY: "网格跨社区",
    FindingKind.GRID_WITHOUT_WORKER: "网格无网格员",
    FindingKind.ROAD_WITHOUT_CHIEF: "道路无路长",
    FindingKind.COMMUNITY_WITHOUT_HEAD: "社区无主任",
}
LAYER_HELP = "层级: city | district | town | community | grid | road"


@geo_app.command("import")
@reports_errors
def geo_import(
    level: Annotated[Layer, typer.Argument(help=LAYER_HELP, show_default=False)],
    file: Annotated[Path, typer.Argument(help="GeoJSON、Shapefile (.shp) 或 GeoPackage (.gpkg) 文件")],
    code_field: Annotated[str, typer.Option(help="编码字段, 如 adcode; 可用 a.b 读取嵌套属性")],
    name_field: Annotated[str | None, typer.Option(help="名称字段 (单元网格可省略)")] = None,
    parent_field: Annotated[
        str | None,
        typer.Option(help="上级编码字段, 如 parent.adcode; 省略时由编码前缀推出 (道路: 按中点所在镇街)"),
    ] = None,
    tier_field: Annotated[
        str | None, typer.Option(help="道路等级字段 (city/市级, district_1/区一级 …)")
    ] = None,
    crs: Annotated[str, typer.Option(help="文件坐标系: wgs84 | gcj02 | bd09 | cgcs2000")] = "wgs84",
    valid_from: Annotated[
        str | None, typer.Option(help="新版本生效日期 YYYY-MM-DD; 默认今天 (该层首次导入为 1970-01-01)")
    ] = None,
    layer: Annotated[str | None, typer.Option(help="GeoPackage 等多图层文件中的图层名")] = None,
    encoding: Annotated[str | None, typer.Option(help="Shapefile 属性编码, 如 GBK (缺少 .cpg 时)")] = None,
    tolerance_pct: Annotated[float, typer.Option(help="下级超出上级的允许比例 (%)")] = 1.0,
    tolerance_m2: Annotated[float, typer.Option(help="下级超出上级的允许面积 (m²), 与比例取较大者")] = 50.0,
    dry_run: Annotated[bool, typer.Option(help="只检查, 不写入")] = False,
    as_json: Json = False,
) -> None:
    """导入区县/镇街/社区/单元网格边界或道路: 校验后整体写入, 有任何要素被拒绝则不写入任何数据."""
    settings = get_settings()
    request = ImportRequest(
        layer=level,
        path=file,
        fields=FieldMapping(code_field, name_field, parent_field, tier_field),
        crs=parse_crs(crs),
        valid_from=parse_date(valid_from, "--valid-from"),
        source_layer=layer,
        encoding=encoding,
        tolerance=Tolerance(tolerance_pct / 100, tolerance_m2),
        dry_run=dry_run,
    )
    with engine_for(settings) as engine:
        migrate.upgrade(engine)  # an empty database gets its schema: a city may start from its files
        with engine.begin() as conn:
            report = import_boundaries(conn, request, datetime.now(settings.tz).date())
    if as_json:
        print_json(_import_json(report))
    else:
        _print_import(report)
    if not report.ok:
        raise typer.Exit(1)


def _import_json(report: ImportReport) -> dict[str, Any]:
    return {
        "layer": report.layer,
        "file": report.file,
        "crs": report.crs,
        "valid_from": report.valid_from,
        "ok": report.ok,
        "written": report.written,
        "counts": report.counts,
        "problems": report.problems,
        "features": [
            {
                "row": f.row,
                "fid": f.fid,
                "code": f.code,
                "name": f.name,
                "outcome": f.outcome.value,
                "repaired": f.repaired,
                "messages": f.messages,
            }
            for f in report.features
        ],
    }


def _print_import(report: ImportReport) -> None:
    counts = report.counts
    console.print(
        f"{report.file} ({report.layer}, {report.crs}): 新建 {counts['created']}, "
        f"新版本 {counts['updated']}, 未变 {counts['unchanged']}, "
        f"已修复 {counts['repaired']}, 拒绝 {counts['refused']}"
    )
    for problem in report.problems:
        console.print(f"[bold red]文件问题:[/] {problem}")
    noteworthy = [f for f in report.features if f.outcome is not Outcome.UNCHANGED or f.repaired]
    if noteworthy:
        table = Table("行号", "FID", "编码", "名称", "结果", "说明")
        for f in noteworthy[:SHOWN_ROWS]:
            outcome = OUTCOME_LABELS[f.outcome] + (" (已修复)" if f.repaired else "")
            table.add_row(str(f.row), str(f.fid), f.code or "", f.name or "", outcome, "; ".join(f.messages))
        console.print(table)
        if len(noteworthy) > SHOWN_ROWS:
            console.print(f"… 另有 {len(noteworthy) - SHOWN_ROWS} 条未列出 (用 --json 查看全部)")
    if report.written:
        console.print(f"已写入 (生效日期 {report.valid_from})" if report.valid_from else "没有变化, 未写入")
    elif report.ok:
        console.print("检查通过 (--dry-run, 未写入)")
    else:
        console.print("[bold red]有要素被拒绝, 未写入任何数据[/]")


@geo_app.command("check")
@reports_errors
def geo_check(
    level: Annotated[
        list[Layer] | None, typer.Option(help="只检查这些层级 (可重复); 默认全部", show_default=False)
    ] = None,
    tolerance_m2: Annotated[float, typer.Option(help="重叠、缝隙、跨界面积超过此值 (m²) 才报告")] = 50.0,
    people: Annotated[
        bool, typer.Option("--people/--no-people", help="同时列出无网格员、无路长、无社区主任")
    ] = True,
    as_json: Json = False,
) -> None:
    """检查现行边界 (无效多边形、同级重叠与缝隙、下级超出上级、网格跨社区) 与人员到位 (无网格员、无路长、
    无社区主任); 有问题时退出码为 1."""
    settings = get_settings()
    today = datetime.now(settings.tz).date() if people else None
    with engine_for(settings) as engine, engine.connect() as conn:
        report = check_geography(conn, level, tolerance_m2, people_at=today)
    if as_json:
        print_json(_check_json(report))
    else:
        _print_check(report)
    if not report.ok:
        raise typer.Exit(1)


def _check_json(report: CheckReport) -> dict[str, Any]:
    return {
        "layers": report.layers,
        "tolerance_m2": report.tolerance_m2,
        "ok": report.ok,
        "counts": report.counts,
        "findings": [
            {
                "kind": f.kind.value,
                "level": f.level,
                "codes": list(f.codes),
                "area_m2": None if f.area_m2 is None else round(f.area_m2, 1),
                "lon": f.lon,
                "lat": f.lat,
                "message": f.message,
            }
            for f in report.findings
        ],
    }


def _print_check(report: CheckReport) -> None:
    if report.ok:
        console.print(f"检查了 {', '.join(report.layers)}: 未发现问题")
        return
    table = Table("类型", "层级", "编码", "面积 (m²)", "位置 (经度, 纬度)", "说明")
    for f in report.findings[:SHOWN_ROWS]:
        area = "" if f.area_m2 is None else f"{f.area_m2:,.0f}"
        where = "" if f.lon is None else f"{f.lon:.6f}, {f.lat:.6f}"
        table.add_row(KIND_LABELS[f.kind], f.level, " / ".join(f.codes), area, where, f.message)
    console.print(table)
    if len(report.findings) > SHOWN_ROWS:
        console.print(f"… 另有 {len(report.findings) - SHOWN_ROWS} 条未列出 (用 --json 查看全部)")
    summary = ", ".join(f"{KIND_LABELS[FindingKind(k)]} {n}" for k, n in report.counts.items())
    console.print(f"[bold red]共发现 {len(report.findings)} 处问题:[/] {summary}")
