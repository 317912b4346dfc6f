"""`kaoping geo grid`: unit grids (万米单元网格) generated for communities that have none."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from kaoping.cli.geo import geo_app
from kaoping.cli.main import Json, console, engine_for, parse_date, print_json, reports_errors
from kaoping.domain.errors import KaopingError
from kaoping.geo.grids import DEFAULT_AREA_M2
from kaoping.settings import get_settings
from kaoping.wiring.grids import CommunityGrids, GridOutcome, GridRequest, GridSelection, generate_grids

OUTCOME_LABELS = {
    GridOutcome.GENERATED: "已生成",
    GridOutcome.REPLACED: "重新划分",
    GridOutcome.KEPT: "保留原网格",
    GridOutcome.NO_BOUNDARY: "[red]无边界[/]",
}
SHOWN_KEPT = 30  # up to this many communities, the table lists the untouched ones too


@geo_app.command("grid")
@reports_errors
def geo_grid(
    community: Annotated[
        list[str] | None,
        typer.Option(metavar="CODE", help="社区编码 (12 位), 可重复; 已有现行网格的社区须加 --replace"),
    ] = None,
    town: Annotated[
        str | None, typer.Option(metavar="CODE", help="镇街编码 (9 位): 该镇街下尚无网格的社区")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="全部尚无网格的现行社区")] = False,
    area_m2: Annotated[float, typer.Option(help="目标网格面积 (m²), 默认万米单元网格")] = DEFAULT_AREA_M2,
    valid_from: Annotated[
        str | None,
        typer.Option(help="新网格启用日期 YYYY-MM-DD; 默认: 首次划分随社区, 重新划分为今天"),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="重新划分已有网格的社区: 旧网格以 valid_to 关闭, 已定位的问题不变"),
    ] = False,
    as_json: Json = False,
) -> None:
    """为尚无单元网格的社区按目标面积生成网格: 沿社区边界切分, 自西向东、自北向南编 15 位码.

    已导入或已生成网格的社区保留原网格与编码 (重新划分须加 --replace); 全部结果在一个事务中写入.
    """
    if [bool(community), town is not None, all_].count(True) != 1:
        raise KaopingError("请指定 --community、--town 或 --all 之一")
    if not area_m2 > 0:
        raise KaopingError(f"目标网格面积应为正数, 实为 {area_m2}")
    settings = get_settings()
    request = GridRequest(
        selection=GridSelection(tuple(community or ()), town),
        today=datetime.now(settings.tz).date(),
        area_m2=area_m2,
        valid_from=parse_date(valid_from, "--valid-from"),
        replace=replace,
    )
    with engine_for(settings) as engine, engine.begin() as conn:
        results = generate_grids(conn, request)
    if as_json:
        print_json(_json(results))
    else:
        _print(results, area_m2)


def _json(results: list[CommunityGrids]) -> dict[str, Any]:
    return {
        "counts": _counts(results),
        "communities": [
            {
                "code": r.code,
                "name": r.name,
                "outcome": r.outcome.value,
                "grids": r.grids,
                "closed": r.closed,
                "area_m2": r.area_m2,
                "valid_from": r.valid_from.isoformat() if r.valid_from else None,
            }
            for r in results
        ],
    }


def _counts(results: list[CommunityGrids]) -> dict[str, int]:
    counts = {outcome.value: 0 for outcome in GridOutcome}
    for r in results:
        counts[r.outcome.value] += 1
    counts["grids"] = sum(
        r.grids for r in results if r.outcome in (GridOutcome.GENERATED, GridOutcome.REPLACED)
    )
    return counts


def _print(results: list[CommunityGrids], asked_m2: float) -> None:
    shown = (
        results if len(results) <= SHOWN_KEPT else [r for r in results if r.outcome is not GridOutcome.KEPT]
    )
    if shown:
        table = Table("社区编码", "名称", "结果", "网格数", "关闭", "目标面积 m²", "启用日期")
        table.columns[0].no_wrap = True
        for r in shown:
            area = (
                "" if r.area_m2 is None else f"{r.area_m2:,.0f}" + (" (放大)" if r.area_m2 > asked_m2 else "")
            )
            valid_from = r.valid_from.isoformat() if r.valid_from else ""
            row = (r.code, r.name, OUTCOME_LABELS[r.outcome], str(r.grids), str(r.closed), area, valid_from)
            table.add_row(*row)
        console.print(table)
    counts = _counts(results)
    console.print(
        f"生成 {counts['grids']} 个网格: 新划分 {counts['generated']} 个社区, "
        f"重新划分 {counts['replaced']} 个, 已有网格未改动 {counts['kept']} 个, "
        f"无边界 {counts['no_boundary']} 个"
    )
    if counts["kept"] and len(shown) < len(results):
        console.print("(已有网格的社区未逐一列出, --json 可见全部)")
