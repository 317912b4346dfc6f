"""`kaoping evaluate`, `ranking`, `publish`, `revisions` and `explain`: score a period under the
scheme in force into a stored revision, move it through 初评公示 → 申诉期 → 终评 → 已公布, list and
compare its revisions, and explain any score down to the problems behind it (docs/scoring.md).

The first-pass `kaoping score` and `kaoping rank` (cli/scores.py) stay until the dashboard and the
demo move to these stored revisions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kaoping.cli.evaluation_output import (
    change_rows,
    changes_json,
    evaluation_json,
    explanation_json,
    points,
    print_standings,
    revision_json,
    step_json,
)
from kaoping.cli.main import (
    Json,
    app,
    console,
    engine_for,
    parse_date,
    parse_time,
    print_json,
    reports_errors,
)
from kaoping.db.evaluations import SqlEvaluationUnitOfWork
from kaoping.domain.periods import Period
from kaoping.domain.ranking import ITEM_CLASS_LABELS
from kaoping.domain.revisions import PeriodStep, Revision, parse_status
from kaoping.domain.schemes import EvaluatedLevel
from kaoping.io.scheme_sources import SchemeFolders
from kaoping.services.evaluation_explain import Explanation, explain
from kaoping.services.evaluations import (
    PeriodQuery,
    RevisionDiff,
    ScoreOutcome,
    diff_revisions,
    get_results,
    list_revisions,
    list_steps,
    publish,
    score_period,
)
from kaoping.settings import get_settings

PeriodOption = Annotated[
    str, typer.Option("--period", help="考评周期: 2025-07 (月) / 2025Q3 (季度) / 2025 (年)")
]
SchemeOption = Annotated[
    str | None, typer.Option("--scheme", help="方案代码; 默认为与周期同频的唯一方案 (或唯一已计算的方案)")
]
LevelOption = Annotated[
    EvaluatedLevel | None,
    typer.Option("--level", help="被考评层级; 方案只考评一个层级时可省略", show_default=False),
]
FolderOption = Annotated[
    Path | None,
    typer.Option("--schemes", help="本市方案文件所在文件夹 (另外读取; 随附方案总是可用)", show_default=False),
]
RevisionOption = Annotated[
    int | None, typer.Option("--revision", help="修订号; 默认最新修订", show_default=False)
]
AtOption = Annotated[str | None, typer.Option("--at", help='时间, 如 "2025-10-09 09:30"; 默认现在')]


def query_of(period: str, scheme: str | None, level: EvaluatedLevel | None) -> PeriodQuery:
    return PeriodQuery(Period.parse(period), scheme, level)


@app.command()
@reports_errors
def evaluate(
    period: PeriodOption,
    scheme: SchemeOption = None,
    level: LevelOption = None,
    reason: Annotated[str, typer.Option(help='重新计算的理由, 如 "申诉 #12 改判"; 初评公示后必填')] = "",
    actor: Annotated[str, typer.Option(help="操作人")] = "",
    folder: FolderOption = None,
    when: AtOption = None,
    as_json: Json = False,
) -> None:
    """按周期第一天生效的方案计算得分、排名与奖惩, 存为新修订; 数据与方案均未变化时不生成新修订."""
    settings = get_settings()
    query = query_of(period, scheme, level)
    with engine_for(settings) as engine:
        outcome = score_period(
            SqlEvaluationUnitOfWork(engine), SchemeFolders(folder), query,
            at=parse_time(when, settings), tz=settings.tz, reason=reason, actor=actor,
        )  # fmt: skip
    if as_json:
        print_json(outcome_json(outcome))
        return
    print_standings(outcome.period, outcome.revision, outcome.evaluation, outcome.names)
    _print_outcome(outcome)


def outcome_json(outcome: ScoreOutcome) -> dict[str, Any]:
    return {
        **evaluation_json(outcome.period, outcome.revision, outcome.evaluation, outcome.names),
        "is_new": outcome.is_new,
        "changes": changes_json(outcome.changes, outcome.names),
        "step": step_json(outcome.step) if outcome.step else None,
    }


def _print_outcome(outcome: ScoreOutcome) -> None:
    number = outcome.revision.number
    if not outcome.is_new:
        console.print(f"数据与方案均未变化, 未生成新修订 (仍为修订 #{number})")
        return
    reason = f", 理由: {outcome.revision.reason}" if outcome.revision.reason else ""
    console.print(f"[bold green]已生成修订 #{number}[/]{reason}")
    if outcome.step is not None:
        console.print("已公布的结果保持不变; 新修订处于「终评」, 需再次公布 (kaoping publish)")
    missing = sorted({u.unit for g in outcome.evaluation.groups for u in g.units if u.missing_manual})
    if missing:
        console.print(
            f"[yellow]注意:[/] {len(missing)} 个单位有未录入的人工评分项目, 暂按 0 分计 (kaoping manual set)"
        )
    if number > 1:
        _print_changes(outcome.changes, outcome.names, f"与修订 #{number - 1} 相比")


def _print_changes(changes: Any, names: Mapping[str, str], title: str) -> None:
    if not changes:
        console.print(f"{title}: 总分、名次、梯队、奖惩与各项目得分均无变化")
        return
    table = Table(title=f"{title}的变化")
    for header in ("组", "单位", "总分", "名次", "第一梯队", "奖惩(万元)", "项目得分"):
        table.add_column(header)
    for row in change_rows(changes, names):
        table.add_row(*row)
    console.print(table)


@app.command()
@reports_errors
def ranking(
    period: PeriodOption,
    scheme: SchemeOption = None,
    level: LevelOption = None,
    revision: RevisionOption = None,
    as_json: Json = False,
) -> None:
    """显示已存修订的分组排名 (默认最新修订)."""
    settings = get_settings()
    with engine_for(settings) as engine:
        stored = get_results(SqlEvaluationUnitOfWork(engine), query_of(period, scheme, level), revision)
    if as_json:
        print_json(evaluation_json(stored.period, stored.revision, stored.evaluation, stored.names))
        return
    print_standings(stored.period, stored.revision, stored.evaluation, stored.names)


@app.command("publish")
@reports_errors
def publish_(
    period: PeriodOption,
    scheme: SchemeOption = None,
    level: LevelOption = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="推进到: preliminary 初评公示 / appeal 申诉期 / final 终评 / published 已公布; 默认下一阶段",
        ),
    ] = None,
    appeal_until: Annotated[
        str | None, typer.Option(help="申诉截止日期 (进入申诉期时), 如 2025-10-17; 之前不能确定终评")
    ] = None,
    actor: Annotated[str, typer.Option(help="操作人")] = "",
    reason: Annotated[str, typer.Option(help="说明")] = "",
    when: AtOption = None,
    as_json: Json = False,
) -> None:
    """把考评周期推进一个阶段 (计分中 → 初评公示 → 申诉期 → 终评 → 已公布); 不允许的步骤会被拒绝."""
    settings = get_settings()
    target = parse_status(to) if to else None
    with engine_for(settings) as engine:
        moved, step = publish(
            SqlEvaluationUnitOfWork(engine), query_of(period, scheme, level), target,
            at=parse_time(when, settings), actor=actor, reason=reason,
            appeal_until=parse_date(appeal_until, "--appeal-until"),
        )  # fmt: skip
    if as_json:
        print_json({"period": period, "scheme": moved.scheme, "level": moved.level.value, **step_json(step)})
        return
    until = (
        f", 申诉截止 {moved.appeal_until.isoformat()}"
        if step.to_status.value == "appeal" and moved.appeal_until
        else ""
    )
    moves = f"{step.from_status.label} → [bold]{step.to_status.label}[/]"
    console.print(f"{moved.label}: {moves} (修订 #{step.revision}){until}")


@app.command()
@reports_errors
def revisions(
    period: PeriodOption,
    scheme: SchemeOption = None,
    level: LevelOption = None,
    diff: Annotated[
        tuple[int, int] | None,
        typer.Option("--diff", help="对比两个修订, 如 --diff 1 2", show_default=False),
    ] = None,
    as_json: Json = False,
) -> None:
    """列出考评周期的全部修订 (方案版本、数据指纹、理由、状态) 与阶段记录, 或对比两个修订."""
    settings = get_settings()
    query = query_of(period, scheme, level)
    with engine_for(settings) as engine:
        if diff is not None:
            _print_diff(diff_revisions(SqlEvaluationUnitOfWork(engine), query, *diff), as_json)
            return
        current, listed = list_revisions(SqlEvaluationUnitOfWork(engine), query)
        steps = list_steps(SqlEvaluationUnitOfWork(engine), query)
    if as_json:
        print_json({"period": period, "scheme": current.scheme, "level": current.level.value,
                    "status": current.status.value, "revisions": [revision_json(r) for r in listed],
                    "steps": [step_json(s) for s in steps]})  # fmt: skip
        return
    _print_revisions(current.label, current.status.label, listed, settings.tz)
    _print_steps(steps, settings.tz)


def _print_diff(compared: RevisionDiff, as_json: bool) -> None:
    if as_json:
        print_json({"before": compared.before.number, "after": compared.after.number,
                    "changes": changes_json(compared.changes, compared.names)})  # fmt: skip
        return
    title = f"{compared.period.label} 修订 #{compared.before.number} → #{compared.after.number}"
    _print_changes(compared.changes, compared.names, title)


def _print_revisions(label: str, status: str, listed: list[Revision], tz: tzinfo) -> None:
    table = Table(title=f"{label} 的修订 (当前: {status})")
    for header in ("修订", "状态", "方案版本", "方案文件", "数据指纹", "计算时间", "公布时间", "理由"):
        table.add_column(header)
    for r in listed:
        table.add_row(
            f"#{r.number}", r.status.label, r.scheme_version, r.scheme_hash[:12], r.fingerprint[:12],
            f"{r.created_at.astimezone(tz):%Y-%m-%d %H:%M}",
            f"{r.published_at.astimezone(tz):%Y-%m-%d %H:%M}" if r.published_at else "—", r.reason or "—",
        )  # fmt: skip
    console.print(table)


def _print_steps(steps: list[PeriodStep], tz: tzinfo) -> None:
    if not steps:
        return
    table = Table(title="阶段记录")
    for header in ("时间", "操作", "状态", "修订", "操作人", "说明"):
        table.add_column(header)
    for step in steps:
        moved = f"{step.from_status.label} → {step.to_status.label}"
        when = f"{step.at.astimezone(tz):%Y-%m-%d %H:%M}"
        table.add_row(when, step.action.label, moved, f"#{step.revision}", step.actor, step.reason)
    console.print(table)


@app.command("explain")
@reports_errors
def explain_(
    period: PeriodOption,
    unit: Annotated[str, typer.Option("--unit", help="被考评单位代码", show_default=False)],
    item: Annotated[
        str | None, typer.Option("--item", help="项目代码; 给出时列出每条扣分背后的问题", show_default=False)
    ] = None,
    scheme: SchemeOption = None,
    level: LevelOption = None,
    revision: RevisionOption = None,
    limit: Annotated[int, typer.Option(help="每条扣分最多列出的问题数")] = 20,
    as_json: Json = False,
) -> None:
    """说明一个单位的得分: 每条计分规则与算式; 指定项目时列出每条扣分背后的问题 (编号、时间、网格…)."""
    settings = get_settings()
    with engine_for(settings) as engine:
        explained = explain(
            SqlEvaluationUnitOfWork(engine), query_of(period, scheme, level), unit, item,
            tz=settings.tz, revision=revision, limit=limit,
        )  # fmt: skip
    if as_json:
        print_json(explanation_json(explained))
        return
    _print_explanation(explained, settings.tz)


def _print_explanation(x: Explanation, tz: tzinfo) -> None:
    u = x.unit
    name = f"{x.unit_name} ({u.unit})" if x.unit_name else u.unit
    console.print(
        f"{x.period.label} 修订 #{x.revision.number} ({x.revision.status.label}): {name} "
        f"总分 {points(u.total)}, 组内第 {u.rank} 名"
    )
    if x.item is None:
        _print_items(x)
        return
    i = x.item
    console.print(
        f"{i.name} ({i.code}): {points(i.points)} / {points(i.max_points)}, 扣 {points(i.deduction)}"
    )
    for entry in x.lines:
        line = entry.line
        console.print(f"• {line.text}")
        if entry.problems is None:
            continue
        p = entry.problems
        if entry.is_stale:
            console.print(
                f"  [yellow]数据已变化:[/] 现有 {p.count} 件 (计分时 {line.count} 件), 重新计算将生成新修订"
            )
        for found in p.shown:
            when = f"{found.found_at.astimezone(tz):%Y-%m-%d %H:%M}"
            where = f"网格 {found.grid_code} {found.town_name}"
            console.print(f"  问题 {found.id}  {when}  {found.category_name}  {found.channel.value}  {where}")
        if p.count > len(p.shown):
            console.print(f"  … 共 {p.count} 件, 已列出 {len(p.shown)} 件 (--limit 调整)")


def _print_items(x: Explanation) -> None:
    """Without an item: each item's score, rank and class, then the bonuses and penalties."""
    table = Table(title="项目得分")
    for header in ("项目代码", "项目", "得分/满分", "组内名次", "类别", "扣分问题", "计分规则条数"):
        table.add_column(header)
    for i in x.unit.items:
        rules = sum(1 for e in x.lines if e.line.ref == i.code)
        table.add_row(
            i.code, i.name, f"{points(i.points)}/{points(i.max_points)}", str(i.rank),
            ITEM_CLASS_LABELS[i.item_class], str(i.deducted_problems), str(rules),
        )  # fmt: skip
    console.print(table)
    for a in x.unit.adjustments:
        for line in a.lines:
            console.print(f"{a.name}: {line.text}")
    console.print("加 --item 项目代码 列出该项目的每条计分规则及其背后的问题")
