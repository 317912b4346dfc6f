"""Third-party findings (第三方测评问题): take an action, read a finding with its history.

An illegal action answers 409 with the Chinese message naming the actions allowed now; a missing
reason, photo or deadline 422; an unknown finding or actor 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import AwareDatetime, BaseModel, Field

from kaoping.api.errors import ErrorOut
from kaoping.db.cases import SqlCaseUnitOfWork
from kaoping.domain.findings import Finding, FindingAction, FindingTransition
from kaoping.domain.ids import FindingId, PersonId
from kaoping.services.findings import FindingFile, act_on_finding, get_finding_file
from kaoping.settings import Settings

router = APIRouter(tags=["findings"])
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "测评问题或操作人不存在"},
    409: {"model": ErrorOut, "description": "当前状态不允许该操作 (列出可执行的操作)"},
    422: {"model": ErrorOut, "description": "缺少理由、整改照片或整改期限, 或时间无效"},
}


class FindingActionIn(BaseModel):
    action: str = Field(
        description="操作: assign、feed_back、pass_review… 或 交办、整改反馈、复核通过…", examples=["assign"]
    )
    actor: int = Field(description="操作人 (人员编号)")
    at: AwareDatetime | None = Field(None, description="操作时间 (带时区); 默认现在")
    reason: str = Field("", description="理由/意见 (复核不通过、申诉及其裁定须填写)")
    attachments: list[str] = Field(default_factory=list, description="附件文件名或地址 (整改反馈须有照片)")
    deadline: AwareDatetime | None = Field(None, description="整改期限 (带时区); 交办须填写")


class FindingTransitionOut(BaseModel):
    action: str
    action_label: str
    from_status: str
    to_status: str
    actor: int | None = Field(description="操作人; null: 系统 (逾期未反馈)")
    at: datetime
    reason: str
    attachments: list[str]
    deadline: datetime | None

    @classmethod
    def of(cls, t: FindingTransition) -> FindingTransitionOut:
        return cls(
            action=t.action, action_label=t.action.label, from_status=t.from_status, to_status=t.to_status,
            actor=t.actor, at=t.at, reason=t.reason, attachments=list(t.attachments), deadline=t.deadline,
        )  # fmt: skip


class FindingOut(BaseModel):
    id: int
    problem_id: int
    status: str
    status_label: str
    status_type: str = Field(description="open / handled / closed")
    found_at: datetime
    rectify_deadline_at: datetime | None
    fed_back_at: datetime | None
    reviewed_at: datetime | None
    marked_overdue_at: datetime | None = Field(description="标记逾期未反馈的时间; 迟到的反馈后仍保留")
    review_failures: int = Field(description="复核不通过次数")
    appealed_from: str | None = Field(description="申诉中: 申诉前的状态 (驳回后回到该状态)")
    history: list[FindingTransitionOut]

    @classmethod
    def of(cls, record: FindingFile) -> FindingOut:
        f: Finding = record.finding
        return cls(
            id=f.id, problem_id=f.problem_id, status=f.status, status_label=f.status.label,
            status_type=f.status_type, found_at=f.found_at, rectify_deadline_at=f.rectify_deadline_at,
            fed_back_at=f.fed_back_at, reviewed_at=f.reviewed_at, marked_overdue_at=f.marked_overdue_at,
            review_failures=f.review_failures, appealed_from=f.appealed_from,
            history=[FindingTransitionOut.of(t) for t in record.history],
        )  # fmt: skip


def uow_of(request: Request) -> SqlCaseUnitOfWork:
    return SqlCaseUnitOfWork(request.app.state.engine)


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Uow = Annotated[SqlCaseUnitOfWork, Depends(uow_of)]
AppSettings = Annotated[Settings, Depends(settings_of)]
FindingNo = Annotated[int, Path(description="测评问题编号")]


@router.post("/findings/{finding_id}/actions", summary="对测评问题执行一步操作", responses=ERRORS)
def act_on(finding_id: FindingNo, body: FindingActionIn, uow: Uow, settings: AppSettings) -> FindingOut:
    act_on_finding(
        uow, FindingId(finding_id), FindingAction.parse(body.action), actor=PersonId(body.actor),
        at=body.at or datetime.now(settings.tz), reason=body.reason, attachments=body.attachments,
        deadline=body.deadline,
    )  # fmt: skip
    return FindingOut.of(get_finding_file(uow, FindingId(finding_id)))


@router.get("/findings/{finding_id}", summary="测评问题详情与全部流转记录", responses=ERRORS)
def show_finding(finding_id: FindingNo, uow: Uow) -> FindingOut:
    return FindingOut.of(get_finding_file(uow, FindingId(finding_id)))
