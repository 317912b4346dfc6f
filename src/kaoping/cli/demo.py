"""`kaoping demo` — the front door — and `kaoping serve`."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from kaoping.cli.main import app, console, engine_for, reports_errors
from kaoping.cli.scores import print_ranking
from kaoping.demo.build import DEMO_YEAR, build_demo
from kaoping.demo.sizes import SIZES
from kaoping.settings import get_settings


@app.command()
@reports_errors
def demo(
    size: Annotated[str, typer.Option(help="城市规模: small | city | megacity")] = "city",
    seed: Annotated[int, typer.Option(help="随机种子: 相同种子生成相同的城市与排名")] = 2021,
    year: Annotated[int, typer.Option(help="模拟的年份")] = DEMO_YEAR,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="生成后启动看板")] = True,
) -> None:
    """生成演示城市 (组织、网格、道路、一年的问题), 计算得分排名, 并启动看板."""
    if size not in SIZES:
        raise typer.BadParameter(f"未知规模 {size!r}, 可选: {', '.join(SIZES)}", param_hint="--size")
    settings = get_settings()
    console.print(f"[bold]生成演示城市[/] 规模={size} 种子={seed} 年份={year} → {settings.database_url}")
    with engine_for(settings) as engine, _progress() as progress:
        tasks: dict[str, TaskID] = {}

        def on_step(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=total)
            progress.update(tasks[label], completed=done, total=total)

        summary = build_demo(
            engine, SIZES[size], seed, settings.tz, on_step, year=year, road_snap_m=settings.road_snap_m
        )
    counts = summary.counts
    console.print(
        f"{counts['districts']} 个区县, {counts['towns']} 个镇街, {counts['communities']} 个社区, "
        f"{counts['grids']} 个单元网格, {counts['roads']} 条道路, {counts['departments']} 个部门, "
        f"{counts['problems']} 个问题 (其中重复问题 {counts['repeats']} 个)"
    )
    console.print("耗时 (秒): " + ", ".join(f"{k} {v}" for k, v in summary.seconds.items()))
    print_ranking(summary.latest_period)
    if serve:
        _serve()


@app.command()
def serve() -> None:
    """启动看板与 API (http://127.0.0.1:8000)."""
    _serve()


def _serve() -> None:
    settings = get_settings()
    console.print(f"看板: [link]http://{settings.host}:{settings.port}[/link]  (Ctrl+C 退出)")
    uvicorn.run(
        "kaoping.app:create_app", factory=True, host=settings.host, port=settings.port, log_level="warning"
    )


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
