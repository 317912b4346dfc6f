"""Cases: take an action, read a case with its history, list a unit's open cases with their timers.

An illegal action answers 409 with the Chinese message naming the actions allowed now; a case
changed since the version the client saw answers 409 too; a missing reason or deadline 422.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from kaoping.api.errors import ErrorOut
from kaoping.db.calendar import load_calendar
from kaoping.db.cases import SqlCaseUnitOfWork
from kaoping.domain.calendar import WorkCalendar
from kaoping.domain.cases import CaseAction, Transition
from kaoping.domain.deadlines import StepTimer
from kaoping.domain.ids import CaseId, PersonId
from kaoping.services.cases import CaseFile, CaseSummary, OpenCase, get_case_file, list_open_cases, move_case
from kaoping.settings import Settings

router = APIRouter(tags=["cases"])
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "案件、单位或操作人不存在"},
    409: {"model": ErrorOut, "description": "当前状态不允许该操作 (列出可执行的操作), 或案件已被他人处理"},
    422: {"model": ErrorOut, "description": "缺少理由、附件或处置时限, 时间无效, 或该年无工作日历"},
}


class ActionIn(BaseModel):
    action: str = Field(
        description="操作: accept、file、dispatch… 或 受理、立案、派遣…", examples=["dispatch"]
    )
    actor: int = Field(description="操作人 (人员编号)")
    at: AwareDatetime | None = Field(None, description="操作时间 (带时区); 默认现在")
    reason: str = Field("", description="理由/意见")
    attachments: list[str] = Field(default_factory=list, description="附件文件名或地址")
    deadline: AwareDatetime | None = Field(None, description="处置时限 (带时区); 派遣时默认按类别时限计算")
    version: int | None = Field(None, description="客户端看到的案件版本; 已被他人处理时返回 409")


class TimerOut(BaseModel):
    deadline: datetime
    elapsed_seconds: int = Field(description="已用时间 (按时限的钟: 工作时或自然时间), 挂账不计")
    limit_seconds: int
    light: str = Field(description="green (<80%) / yellow (80–100%) / red (超时)")

    @classmethod
    def of(cls, timer: StepTimer | None) -> TimerOut | None:
        if timer is None:
            return None
        elapsed, limit = int(timer.elapsed.total_seconds()), int(timer.limit.total_seconds())
        return cls(deadline=timer.deadline, elapsed_seconds=elapsed, limit_seconds=limit, light=timer.light)


class TransitionOut(BaseModel):
    action: str
    action_label: str
    from_status: str
    to_status: str
    actor: int
    at: datetime
    reason: str
    attachments: list[str]
    deadline: datetime | None

    @classmethod
    def of(cls, t: Transition) -> TransitionOut:
        return cls(
            action=t.action, action_label=t.action.label, from_status=t.from_status, to_status=t.to_status,
            actor=t.actor, at=t.at, reason=t.reason, attachments=list(t.attachments), deadline=t.deadline,
        )  # fmt: skip


class CaseOut(BaseModel):
    id: int
    problem_id: int
    status: str
    status_label: str
    status_type: str = Field(description="open / handled / closed")
    version: int = Field(description="每次流转加一; 操作时回传以防覆盖他人的处理")
    lead: str = Field(description="department (部门牵头) / territory (属地牵头)")
    handler: str = Field(description="牵头的镇街或部门")
    category_code: str
    category_name: str
    reported_at: datetime
    deadline_at: datetime | None
    closed_at: datetime | None
    close_type: str | None
    holds: list[tuple[datetime, datetime | None]] = Field(
        description="挂账时段 [开始, 结束]; 结束为 null: 挂账中"
    )
    timer: TimerOut | None = Field(description="处置计时 (派遣后)")

    @classmethod
    def of(cls, s: CaseSummary, timer: StepTimer | None) -> CaseOut:
        c = s.case
        return cls(
            id=c.id, problem_id=c.problem_id, status=c.status, status_label=c.status.label,
            status_type=c.status_type, version=c.version, lead=s.lead, handler=s.handler,
            category_code=s.category_code, category_name=s.category_name, reported_at=c.reported_at,
            deadline_at=c.deadline_at, closed_at=c.closed_at, close_type=c.close_type,
            holds=[(h.start, h.end) for h in c.holds], timer=TimerOut.of(timer),
        )  # fmt: skip


class CaseFileOut(CaseOut):
    history: list[TransitionOut]

    @classmethod
    def of_file(cls, record: CaseFile) -> CaseFileOut:
        base = CaseOut.of(record.summary, record.timer).model_dump()
        return cls(**base, history=[TransitionOut.of(t) for t in record.history])


class UnitCasesOut(BaseModel):
    unit: str
    at: datetime
    cases: list[CaseOut]


async def calendar_of(request: Request) -> WorkCalendar:
    with request.app.state.engine.connect() as conn:
        return load_calendar(conn)


def uow_of(request: Request) -> SqlCaseUnitOfWork:
    return SqlCaseUnitOfWork(request.app.state.engine)


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Calendar = Annotated[WorkCalendar, Depends(calendar_of)]
Uow = Annotated[SqlCaseUnitOfWork, Depends(uow_of)]
AppSettings = Annotated[Settings, Depends(settings_of)]
CaseNo = Annotated[int, Path(description="案件编号")]


@router.post("/cases/{case_id}/actions", summary="对案件执行一步操作", responses=ERRORS)
def act_on(
    case_id: CaseNo, body: ActionIn, uow: Uow, calendar: Calendar, settings: AppSettings
) -> CaseFileOut:
    at = body.at or datetime.now(settings.tz)
    move_case(
        uow, CaseId(case_id), CaseAction.parse(body.action), actor=PersonId(body.actor), at=at,
        calendar=calendar, tz=settings.tz, reason=body.reason, attachments=body.attachments,
        deadline=body.deadline, expected_version=body.version,
    )  # fmt: skip
    return CaseFileOut.of_file(get_case_file(uow, CaseId(case_id), at, calendar, settings.tz))


@router.get("/cases/{case_id}", summary="案件详情与全部流转记录", responses=ERRORS)
def show_case(case_id: CaseNo, uow: Uow, calendar: Calendar, settings: AppSettings) -> CaseFileOut:
    record = get_case_file(uow, CaseId(case_id), datetime.now(settings.tz), calendar, settings.tz)
    return CaseFileOut.of_file(record)


@router.get("/units/{code}/cases", summary="单位在办案件与计时灯", responses=ERRORS)
def unit_cases(
    code: Annotated[str, Path(description="镇街、区县或部门编码")],
    uow: Uow,
    calendar: Calendar,
    settings: AppSettings,
    at: Annotated[AwareDatetime | None, Query(description="计时读数的时间 (带时区); 默认现在")] = None,
) -> UnitCasesOut:
    moment = at or datetime.now(settings.tz)
    listed: list[OpenCase] = list_open_cases(uow, code, moment, calendar, settings.tz)
    return UnitCasesOut(unit=code, at=moment, cases=[CaseOut.of(i.summary, i.timer) for i in listed])
