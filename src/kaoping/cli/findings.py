"""`kaoping finding …`: act on a third-party finding (第三方测评问题), show its history, sweep for
逾期未反馈. The rules are the transition table's (docs/case-loop.md)."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kaoping.cli.main import Json, app, console, engine_for, parse_time, print_json, reports_errors
from kaoping.db.cases import SqlCaseUnitOfWork
from kaoping.domain.errors import KaopingError
from kaoping.domain.findings import Finding, FindingAction, FindingTransition
from kaoping.domain.ids import FindingId, PersonId
from kaoping.services.findings import (
    FindingFile,
    act_on_finding,
    get_finding_file,
    sweep_overdue,
)
from kaoping.settings import get_settings

finding_app = typer.Typer(help="第三方测评问题: 交办、反馈、复核、申诉, 逾期未反馈扫描", no_args_is_help=True)
app.add_typer(finding_app, name="finding")

FindingNo = Annotated[int, typer.Argument(metavar="FINDING_ID", help="测评问题编号", show_default=False)]
AtOption = Annotated[str | None, typer.Option("--at", help='时间, 如 "2025-10-09 09:30"; 默认现在')]


@finding_app.command("act")
@reports_errors
def act(
    finding_id: FindingNo,
    action: Annotated[
        str, typer.Argument(metavar="ACTION", help="操作: 交办、整改反馈、复核通过… 或 assign、feed_back…")
    ],
    actor: Annotated[int | None, typer.Option(help="操作人 (人员编号)", show_default=False)] = None,
    reason: Annotated[str, typer.Option(help="理由/意见 (复核不通过、申诉及其裁定须填写)")] = "",
    deadline: Annotated[
        str | None, typer.Option(help="整改期限, 如 2025-10-09T18:00 (交办须填写; 复核不通过可重设)")
    ] = None,
    attach: Annotated[list[Path] | None, typer.Option(help="附件 (整改照片或材料), 可重复")] = None,
    when: AtOption = None,
    as_json: Json = False,
) -> None:
    """对测评问题执行一步操作; 不允许的操作会被拒绝, 并列出当前可执行的操作."""
    if actor is None:
        raise KaopingError("请用 --actor 指明操作人 (人员编号)")
    settings = get_settings()
    moment = parse_time(when, settings)
    due = None if deadline is None else parse_time(deadline, settings)
    with engine_for(settings) as engine:
        record = act_on_finding(
            SqlCaseUnitOfWork(engine), FindingId(finding_id), FindingAction.parse(action),
            actor=PersonId(actor), at=moment, reason=reason,
            attachments=[str(path) for path in attach or []], deadline=due,
        )  # fmt: skip
    if as_json:
        print_json(transition_json(record))
        return
    states = f"{record.from_status.label} → {record.to_status.label}"
    line = f"测评问题 {finding_id}: {record.action.label}, {states}"
    console.print(line + (f", 整改期限 {_when(record.deadline, settings.tz)}" if record.deadline else ""))


@finding_app.command("show")
@reports_errors
def show(finding_id: FindingNo, as_json: Json = False) -> None:
    """显示测评问题的当前状态、整改期限和全部流转记录 (操作人、时间、理由、附件)."""
    settings = get_settings()
    with engine_for(settings) as engine:
        record = get_finding_file(SqlCaseUnitOfWork(engine), FindingId(finding_id))
    if as_json:
        print_json(finding_file_json(record))
        return
    _print_finding(record, settings.tz)


@finding_app.command("sweep")
@reports_errors
def sweep(
    when: AtOption = None,
    grace_hours: Annotated[float, typer.Option(min=0, help="宽限小时数: 期限加宽限仍未反馈才标记")] = 0,
    as_json: Json = False,
) -> None:
    """把已交办、过了整改期限 (加宽限) 仍未反馈的测评问题标记为逾期未反馈; 至少每天、每期结束时运行."""
    settings = get_settings()
    moment = parse_time(when, settings)
    with engine_for(settings) as engine:
        marked = sweep_overdue(SqlCaseUnitOfWork(engine), moment, timedelta(hours=grace_hours))
    if as_json:
        print_json({"at": moment.isoformat(), "marked": [transition_json(t) for t in marked]})
        return
    ids = "、".join(str(t.finding_id) for t in marked)
    line = f"{_when(moment, settings.tz)}: {len(marked)} 个测评问题标记为逾期未反馈"
    console.print(line + (f": {ids}" if ids else ""))


# --- output (shared shape with the API's JSON) -----------------------------------------------------


def finding_json(item: Finding) -> dict[str, Any]:
    return {
        "id": item.id, "problem_id": item.problem_id, "status": item.status.value,
        "status_label": item.status.label, "status_type": item.status_type.value,
        "found_at": item.found_at.isoformat(), "rectify_deadline_at": _iso(item.rectify_deadline_at),
        "fed_back_at": _iso(item.fed_back_at), "reviewed_at": _iso(item.reviewed_at),
        "marked_overdue_at": _iso(item.marked_overdue_at), "review_failures": item.review_failures,
        "appealed_from": item.appealed_from.value if item.appealed_from else None,
    }  # fmt: skip


def transition_json(t: FindingTransition) -> dict[str, Any]:
    return {
        "finding_id": t.finding_id, "action": t.action.value, "action_label": t.action.label,
        "from_status": t.from_status.value, "to_status": t.to_status.value, "actor": t.actor,
        "at": t.at.isoformat(), "reason": t.reason, "attachments": list(t.attachments),
        "deadline": _iso(t.deadline),
    }  # fmt: skip


def finding_file_json(record: FindingFile) -> dict[str, Any]:
    return finding_json(record.finding) | {"history": [transition_json(t) for t in record.history]}


def _print_finding(record: FindingFile, tz: tzinfo) -> None:
    item = record.finding
    console.print(f"测评问题 {item.id} (问题 {item.problem_id}): {item.status.label}")
    if item.rectify_deadline_at is not None:
        console.print(f"整改期限 {_when(item.rectify_deadline_at, tz)}, 复核不通过 {item.review_failures} 次")
    table = Table(title="流转记录")
    for header in ("时间", "操作", "状态", "操作人", "理由", "附件"):
        table.add_column(header)
    for step in record.history:
        table.add_row(
            _when(step.at, tz),
            step.action.label,
            f"{step.from_status.label} → {step.to_status.label}",
            "系统" if step.actor is None else str(step.actor),
            step.reason,
            "、".join(step.attachments),
        )
    console.print(table)


def _when(at: datetime | None, tz: tzinfo) -> str:
    return "—" if at is None else f"{at.astimezone(tz):%Y-%m-%d %H:%M}"


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()
