"""`kaoping import problems`: findings in bulk from a spreadsheet (XLSX) or CSV."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kaoping.cli.main import Json, app, console, engine_for, err_console, print_json, reports_errors
from kaoping.io.problem_sheets import list_profiles
from kaoping.settings import get_settings
from kaoping.wiring.problem_import import ImportOptions, ImportResult, import_problem_sheet

import_app = typer.Typer(help="批量导入: 第三方测评等渠道的问题表格 (XLSX/CSV)", no_args_is_help=True)
app.add_typer(import_app, name="import")

SHOWN_ERRORS = 20


@import_app.command("problems")
@reports_errors
def problems(
    file: Annotated[Path, typer.Argument(help="问题表格: .xlsx、.xls 或 .csv", show_default=False)],
    profile: Annotated[
        str, typer.Option(help=f"导入模板 (列名映射), 可选: {', '.join(list_profiles())}")
    ] = "default",
    crs: Annotated[
        str | None,
        typer.Option(help="表中坐标的坐标系 (表中没有坐标系列时): wgs84 | gcj02 | bd09 | cgcs2000"),
    ] = None,
    channel: Annotated[
        str | None, typer.Option(help="问题来源 (表中没有来源列时), 如 third_party 或 第三方测评")
    ] = None,
    photos: Annotated[
        Path | None,
        typer.Option(
            help="照片压缩包 (.zip); 不指定时使用表格旁同名的 .zip (如 检测问题.zip)", show_default=False
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """导入问题表格: 逐行校验、定位网格、派遣、计算时限、识别重复问题, 连同照片和案件/测评问题一次写入.

    表头可在标题行之下, 可为两行合并表头; 日期可写作 2021/3/5、2021-03-05 09:30、2021年3月5日
    或 Excel 日期. 照片列 (照片/图片) 写压缩包中的文件名, 多张用 ; , 、 或换行分隔. 第三方测评的问题
    登记为测评问题 (整改期限即处置时限), 其他来源的问题立为案件 (已上报). 错误行不影响其他行, 连同
    原表行号和错误原因写入原文件旁的 <文件名>.errors.xlsx (CSV 则为 .errors.csv). 同一表格重复导入
    不会重复写入.
    """
    settings = get_settings()
    options = ImportOptions(
        profile, crs, channel, settings.tz, settings.road_snap_m, photos=photos,
        photo_dir=Path(settings.photo_dir),
    )  # fmt: skip
    with engine_for(settings) as engine:
        if as_json:
            result = import_problem_sheet(engine, file, options)
        else:
            with _progress() as on_step:
                result = import_problem_sheet(engine, file, options, on_step)
    if as_json:
        print_json(dataclasses.asdict(result))
        return
    _print_result(result)


class _progress:
    """A rich progress bar fed by the import's (step, done, total) callback."""

    def __enter__(self) -> _progress:
        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err_console, transient=True,
        )  # fmt: skip
        self._bar.__enter__()
        self._tasks: dict[str, int] = {}
        return self

    def __call__(self, label: str, done: int, total: int) -> None:
        if label not in self._tasks:
            self._tasks[label] = int(self._bar.add_task(label, total=max(total, 1)))
        self._bar.update(self._tasks[label], completed=done, total=max(total, 1))  # type: ignore[arg-type]

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)


def _print_result(result: ImportResult) -> None:
    table = Table(title=f"导入 {Path(result.file).name}")
    table.add_column("项目")
    table.add_column("行数", justify="right")
    for label, value in (
        ("表中数据行", result.rows),
        ("新导入", result.imported),
        ("此前已导入 (跳过)", result.already_imported),
        ("表内重复行 (跳过)", result.duplicates),
        ("按地址推算位置 (近似)", result.approximate),
        ("重复问题", result.repeats),
        ("新立案件", result.cases),
        ("新登记测评问题", result.findings),
        ("照片", result.photos),
        ("错误行", len(result.errors)),
    ):
        table.add_row(label, str(value))
    console.print(table)
    if result.photo_zip:
        console.print(f"照片取自 {result.photo_zip}")
    for error in result.errors[:SHOWN_ERRORS]:
        console.print(f"  第 {error.row} 行: {error.message}")
    if len(result.errors) > SHOWN_ERRORS:
        console.print(f"  … 共 {len(result.errors)} 个错误行")
    if result.error_sheet:
        console.print(f"错误行已写入 {result.error_sheet} (含原表行号与错误原因, 修改后可重新导入)")
