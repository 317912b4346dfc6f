"""`kaoping scheme …`: check a scheme file (every error, with its line and field) and list the
schemes Kaoping ships or a city keeps in a folder, with the version in force."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kaoping.cli.main import Json, app, console, err_console, parse_date, print_json, reports_errors
from kaoping.domain.errors import KaopingError
from kaoping.domain.schemes import ItemKind, Scheme, scheme_in_force
from kaoping.io.schemes import SchemeFileError, load_scheme_file, load_schemes
from kaoping.settings import get_settings

scheme_app = typer.Typer(help="考评方案文件: 检查与列出", no_args_is_help=True)
app.add_typer(scheme_app, name="scheme")

_KIND_LABELS = {ItemKind.DEDUCTION: "扣分", ItemKind.RATE: "比率", ItemKind.MANUAL: "录入"}
_PERIOD_LABELS = {"month": "月度", "quarter": "季度", "year": "年度"}


@scheme_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="方案文件 (YAML)", show_default=False)],
    as_json: Json = False,
) -> None:
    """检查一个方案文件: 无误时打印摘要; 有错误时列出全部错误 (文件、行号、字段) 并以状态 1 退出."""
    try:
        scheme = load_scheme_file(file)
    except SchemeFileError as err:
        _print_errors(err, as_json)
        raise typer.Exit(1) from err
    if as_json:
        print_json({"ok": True, "scheme": scheme_summary(scheme)})
        return
    _print_summary(scheme)


@scheme_app.command("list")
@reports_errors
def list_schemes(
    folder: Annotated[
        Path | None, typer.Option(help="另外列出此文件夹中的方案文件 (本市自己的方案)", show_default=False)
    ] = None,
    on: Annotated[str | None, typer.Option(help="按此日期判断生效版本, 如 2025-03-01; 默认今天")] = None,
    as_json: Json = False,
) -> None:
    """列出随 Kaoping 提供的方案 (及 --folder 中的方案), 标出指定日期生效的版本."""
    day = parse_date(on, "--on") or datetime.now(get_settings().tz).date()
    sources = [("随附", load_schemes())]
    if folder is not None:
        if not folder.is_dir():
            raise KaopingError(f"文件夹不存在: {folder}")
        sources.append((str(folder), load_schemes(folder)))
    rows = [_list_row(scheme, source, day, sources) for source, schemes in sources for scheme in schemes]
    if as_json:
        print_json({"on": day.isoformat(), "schemes": rows})
        return
    table = Table(title=f"考评方案 ({day.isoformat()} 生效的版本标 ✓)")
    for header in ("代码", "名称", "版本", "生效日期", "周期", "基础分", "生效", "来源"):
        table.add_column(header, no_wrap=header != "名称")
    for row in rows:
        table.add_row(
            row["code"], row["name"], row["version"], row["effective_from"],
            _PERIOD_LABELS[row["period"]], row["base_points"], "✓" if row["in_force"] else "", row["source"],
        )  # fmt: skip
    console.print(table)


def _list_row(
    scheme: Scheme, source: str, day: date, sources: list[tuple[str, list[Scheme]]]
) -> dict[str, Any]:
    every = [s for _, schemes in sources for s in schemes]
    try:
        in_force = scheme_in_force(every, scheme.code, day) is scheme
    except KaopingError:  # not yet in force on that day
        in_force = False
    return {
        "code": scheme.code,
        "name": scheme.name,
        "version": scheme.version,
        "effective_from": scheme.effective_from.isoformat(),
        "period": scheme.period.value,
        "base_points": str(scheme.base_points),
        "in_force": in_force,
        "source": source,
    }


def scheme_summary(scheme: Scheme) -> dict[str, Any]:
    """What `scheme check` prints: identity, components with maxima, groups with their counts."""
    return {
        "code": scheme.code,
        "name": scheme.name,
        "version": scheme.version,
        "effective_from": scheme.effective_from.isoformat(),
        "period": scheme.period.value,
        "evaluated": [level.value for level in scheme.evaluated],
        "base_points": str(scheme.base_points),
        "components": [
            {**dataclasses.asdict(c), "items": sum(1 for i in scheme.items.values() if i.component == c.code)}
            for c in scheme.components.values()
        ],
        "items": {kind.value: sum(1 for i in scheme.items.values() if i.kind is kind) for kind in ItemKind},
        "groups": [
            {
                "code": g.code,
                "name": g.name,
                "members": len(g.members),
                "rank_only": len(g.rank_only),
                "items": len(g.maxima),
            }
            for g in scheme.groups.values()
        ],
        "adjustments": [a.code for a in scheme.adjustments],
    }


def _print_summary(scheme: Scheme) -> None:
    period = _PERIOD_LABELS[scheme.period.value]
    console.print(
        f"[bold green]方案有效[/] {scheme.code} {scheme.name}\n"
        f"版本 {scheme.version}, 自 {scheme.effective_from.isoformat()} 起生效, {period}考评, "
        f"基础分 {scheme.base_points}"
    )
    components = Table(title="组件")
    for header in ("代码", "名称", "满分", "测评周期", "项目数"):
        components.add_column(header)
    for c in scheme.components.values():
        count = sum(1 for i in scheme.items.values() if i.component == c.code)
        measured = _PERIOD_LABELS[c.measured.value] + f" ({c.rollup.value})" if c.measured else period
        components.add_row(c.code, c.name, str(c.max_points), measured, str(count))
    console.print(components)
    groups = Table(title="组")
    for header in ("代码", "名称", "成员", "只排名", "项目"):
        groups.add_column(header)
    for g in scheme.groups.values():
        groups.add_row(g.code, g.name, str(len(g.members)), str(len(g.rank_only)), str(len(g.maxima)))
    console.print(groups)
    kinds = ", ".join(
        f"{_KIND_LABELS[kind]} {sum(1 for i in scheme.items.values() if i.kind is kind)}" for kind in ItemKind
    )
    console.print(f"考评项目 {len(scheme.items)} 个 ({kinds}); 加扣分规则 {len(scheme.adjustments)} 条")


def _print_errors(err: SchemeFileError, as_json: bool) -> None:
    if as_json:
        errors = [{**dataclasses.asdict(issue), "message": str(issue)} for issue in err.issues]
        print_json({"ok": False, "errors": errors})
        return
    err_console.print(f"[bold red]方案文件有 {len(err.issues)} 处错误:[/]")
    for issue in err.issues:
        err_console.print(str(issue), markup=False, highlight=False, soft_wrap=True)  # one line each
