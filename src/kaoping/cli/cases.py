"""`kaoping case …`: move a case through the loop, list a unit's open cases with their timers, show
a case's full history, sweep for problems open past their deadline. The rules are the transition
table's (docs/case-loop.md)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kaoping.cli.main import Json, app, console, engine_for, parse_time, print_json, reports_errors
from kaoping.db.calendar import load_calendar
from kaoping.db.cases import SqlCaseUnitOfWork
from kaoping.domain.cases import CaseAction, CaseStatus, Transition
from kaoping.domain.deadlines import StepTimer, TimerLight
from kaoping.domain.errors import KaopingError
from kaoping.domain.ids import CaseId, PersonId
from kaoping.services.cases import (
    CaseFile,
    CaseSummary,
    OpenCase,
    get_case_file,
    list_open_cases,
    move_case,
    sweep_overdue_problems,
)
from kaoping.settings import get_settings

case_app = typer.Typer(help="案件办理: 流转、单位在办案件与计时、案件历史、超时扫描", no_args_is_help=True)
app.add_typer(case_app, name="case")

LIGHTS = {
    TimerLight.GREEN: "[green]绿灯[/]",
    TimerLight.YELLOW: "[yellow]黄灯[/]",
    TimerLight.RED: "[red]红灯[/]",
}
AtOption = Annotated[str | None, typer.Option("--at", help='时间, 如 "2025-10-09 09:30"; 默认现在')]


@case_app.command("act")
@reports_errors
def act(
    case_id: Annotated[int, typer.Argument(metavar="CASE_ID", help="案件编号", show_default=False)],
    action: Annotated[
        str, typer.Argument(metavar="ACTION", help="操作: 受理、立案、派遣… 或 accept、file、dispatch…")
    ],
    actor: Annotated[int | None, typer.Option(help="操作人 (人员编号)", show_default=False)] = None,
    reason: Annotated[
        str, typer.Option(help="理由/意见 (不予受理、作废、返工、督办、申请与驳回须填写)")
    ] = "",
    deadline: Annotated[
        str | None, typer.Option(help="处置时限, 如 2025-10-09T18:00; 派遣时默认按类别时限计算")
    ] = None,
    attach: Annotated[list[Path] | None, typer.Option(help="附件 (照片或材料), 可重复")] = None,
    when: AtOption = None,
    version: Annotated[
        int | None, typer.Option(help="看到的案件版本; 案件已被他人处理时拒绝, 不覆盖")
    ] = None,
    as_json: Json = False,
) -> None:
    """对案件执行一步操作; 不允许的操作会被拒绝, 并列出当前可执行的操作."""
    if actor is None:
        raise KaopingError("请用 --actor 指明操作人 (人员编号)")
    settings = get_settings()
    moment = parse_time(when, settings)
    due = None if deadline is None else parse_time(deadline, settings)
    with engine_for(settings) as engine:
        with engine.connect() as conn:
            calendar = load_calendar(conn)
        record = move_case(
            SqlCaseUnitOfWork(engine), CaseId(case_id), CaseAction.parse(action),
            actor=PersonId(actor), at=moment, calendar=calendar, tz=settings.tz, reason=reason,
            attachments=[str(path) for path in attach or []], deadline=due, expected_version=version,
        )  # fmt: skip
    if as_json:
        print_json(transition_json(record))
        return
    line = f"案件 {case_id}: {record.action.label}, {record.from_status.label} → {record.to_status.label}"
    console.print(line + (f", 处置时限 {_when(record.deadline, settings.tz)}" if record.deadline else ""))


@case_app.command("list")
@reports_errors
def list_(
    unit: Annotated[str, typer.Option(help="镇街、区县或部门编码", show_default=False)],
    when: AtOption = None,
    as_json: Json = False,
) -> None:
    """列出单位在办 (未办结) 的案件: 处置时限与计时灯 (绿灯 <80%, 黄灯 80–100%, 红灯 超时)."""
    settings = get_settings()
    moment = parse_time(when, settings)
    with engine_for(settings) as engine:
        with engine.connect() as conn:
            calendar = load_calendar(conn)
        listed = list_open_cases(SqlCaseUnitOfWork(engine), unit, moment, calendar, settings.tz)
    if as_json:
        print_json({"unit": unit, "at": moment.isoformat(), "cases": [open_case_json(c) for c in listed]})
        return
    table = Table(title=f"{unit} 在办案件 ({_when(moment, settings.tz)})")
    for header in ("案件", "类别", "状态", "责任单位", "处置时限", "已用/时限", "计时"):
        table.add_column(header)
    for item in listed:
        s, t = item.summary, item.timer
        table.add_row(
            str(s.case.id), s.category_name, s.case.status.label, s.handler,
            _when(t.deadline, settings.tz) if t else "—", _used(t), LIGHTS[t.light] if t else "未派遣",
        )  # fmt: skip
    console.print(table if listed else f"{unit} 没有在办案件")


@case_app.command("show")
@reports_errors
def show(
    case_id: Annotated[int, typer.Argument(metavar="CASE_ID", help="案件编号", show_default=False)],
    when: AtOption = None,
    as_json: Json = False,
) -> None:
    """显示案件的当前状态、计时和全部流转记录 (操作人、时间、理由、附件)."""
    settings = get_settings()
    moment = parse_time(when, settings)
    with engine_for(settings) as engine:
        with engine.connect() as conn:
            calendar = load_calendar(conn)
        record = get_case_file(SqlCaseUnitOfWork(engine), CaseId(case_id), moment, calendar, settings.tz)
    if as_json:
        print_json(case_file_json(record))
        return
    _print_case(record, settings.tz)


@case_app.command("sweep")
@reports_errors
def sweep(when: AtOption = None, as_json: Json = False) -> None:
    """把过了处置时限仍未办结的问题标记为超时; 至少每天、每期结束时运行 (测评问题由 finding sweep 标记)."""
    settings = get_settings()
    moment = parse_time(when, settings)
    with engine_for(settings) as engine:
        result = sweep_overdue_problems(SqlCaseUnitOfWork(engine), moment)
    if as_json:
        print_json({"at": moment.isoformat(), "marked": result.marked, "overdue": result.overdue})
        return
    marked = f"{_when(moment, settings.tz)}: {result.marked} 个问题标记为超时"
    console.print(f"{marked}, 未办结的超时问题共 {result.overdue} 个")


# --- output (shared shape with the API's JSON) -----------------------------------------------------


def timer_json(timer: StepTimer | None) -> dict[str, Any] | None:
    if timer is None:
        return None
    return {
        "deadline": timer.deadline.isoformat(),
        "elapsed_seconds": int(timer.elapsed.total_seconds()),
        "limit_seconds": int(timer.limit.total_seconds()),
        "light": timer.light.value,
    }


def summary_json(s: CaseSummary) -> dict[str, Any]:
    c = s.case
    return {
        "id": c.id, "problem_id": c.problem_id, "status": c.status.value, "status_label": c.status.label,
        "status_type": c.status_type.value, "version": c.version, "lead": s.lead.value, "handler": s.handler,
        "category_code": s.category_code, "category_name": s.category_name,
        "reported_at": c.reported_at.isoformat(), "deadline_at": _iso(c.deadline_at),
        "closed_at": _iso(c.closed_at), "close_type": c.close_type.value if c.close_type else None,
        "holds": [[h.start.isoformat(), _iso(h.end)] for h in c.holds],
        "dispatch_count": c.dispatch_count, "rework_count": c.rework_count,
        "extension_count": c.extension_count, "supervision_count": c.supervision_count,
    }  # fmt: skip


def transition_json(t: Transition) -> dict[str, Any]:
    return {
        "action": t.action.value, "action_label": t.action.label,
        "from_status": t.from_status.value, "to_status": t.to_status.value, "actor": t.actor,
        "at": t.at.isoformat(), "reason": t.reason, "attachments": list(t.attachments),
        "deadline": _iso(t.deadline),
    }  # fmt: skip


def open_case_json(item: OpenCase) -> dict[str, Any]:
    return summary_json(item.summary) | {"timer": timer_json(item.timer)}


def case_file_json(record: CaseFile) -> dict[str, Any]:
    return summary_json(record.summary) | {
        "timer": timer_json(record.timer),
        "history": [transition_json(t) for t in record.history],
    }


def _print_case(record: CaseFile, tz: tzinfo) -> None:
    s, t = record.summary, record.timer
    console.print(f"案件 {s.case.id} ({s.category_name}, {s.handler}): {s.case.status.label}")
    if t is not None:
        console.print(f"处置时限 {_when(t.deadline, tz)}, 已用 {_used(t)}, {LIGHTS[t.light]}")
    table = Table(title="流转记录")
    for header in ("时间", "操作", "状态", "操作人", "理由", "附件"):
        table.add_column(header)
    table.add_row(_when(s.case.reported_at, tz), "上报", CaseStatus.REPORTED.label, "", "", "")
    for step in record.history:
        states = f"{step.from_status.label} → {step.to_status.label}"
        table.add_row(
            _when(step.at, tz),
            step.action.label,
            states,
            str(step.actor),
            step.reason,
            "、".join(step.attachments),
        )
    console.print(table)


def _used(timer: StepTimer | None) -> str:
    if timer is None:
        return "—"
    return f"{timer.elapsed.total_seconds() / 3600:.1f}/{timer.limit.total_seconds() / 3600:.1f} 小时"


def _when(at: datetime | None, tz: tzinfo) -> str:
    return "—" if at is None else f"{at.astimezone(tz):%Y-%m-%d %H:%M}"


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()
