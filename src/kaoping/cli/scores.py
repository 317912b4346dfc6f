"""`kaoping score` and `kaoping rank`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from kaoping.cli.main import Json, app, console, engine_for, print_json, reports_errors
from kaoping.db.rankings import SqlRankingReader
from kaoping.db.uow import SqlUnitOfWork
from kaoping.domain.periods import Period
from kaoping.io.seeds import load_scheme
from kaoping.services.rankings import PeriodRanking, latest_ranking, period_ranking
from kaoping.services.scoring import score_period
from kaoping.settings import get_settings


@app.command()
@reports_errors
def score(
    period: Annotated[str, typer.Option(help="考评周期: 2025-03 / 2025Q1 / 2025")],
    as_json: Json = False,
) -> None:
    """计算一个考评周期的得分与组内排名 (替换该周期已有结果)."""
    settings = get_settings()
    target = Period.parse(period)
    with engine_for(settings) as engine:
        score_period(SqlUnitOfWork(engine), load_scheme().rules, target, settings.tz)
    print_ranking(target.code, as_json)


@app.command()
@reports_errors
def rank(
    period: Annotated[str | None, typer.Option(help="考评周期; 默认为最近一个已计算的季度")] = None,
    as_json: Json = False,
) -> None:
    """显示各组排名."""
    print_ranking(period, as_json)


def print_ranking(period: str | None, as_json: bool = False) -> None:
    with engine_for(get_settings()) as engine:
        reader = SqlRankingReader(engine)
        ranking = period_ranking(reader, Period.parse(period).code) if period else latest_ranking(reader)
    if ranking is None:
        console.print("尚无考评结果, 请先运行 kaoping demo 或 kaoping score")
        return
    if as_json:
        print_json(ranking)
        return
    for table in ranking_tables(ranking):
        console.print(table)


def ranking_tables(ranking: PeriodRanking) -> list[Table]:
    tables = []
    for group in ranking.groups:
        table = Table(title=f"{ranking.period_label} 城市管理综合考评 {group.group_name}")
        for header in ("名次", "区县", "总分", "名次变化", "前三项", "后三项"):
            table.add_column(header, justify="left" if header == "区县" else "right")
        for row in group.rows:
            table.add_row(
                str(row.rank),
                row.unit_name,
                f"{row.total:.2f}",
                _change(row.rank_change),
                str(row.items_top3),
                str(row.items_bottom3),
            )
        tables.append(table)
    return tables


def _change(change: int | None) -> str:
    if change is None:
        return "—"
    if change > 0:
        return f"[red]↑{change}[/]"
    if change < 0:
        return f"[green]↓{-change}[/]"
    return "→0"
