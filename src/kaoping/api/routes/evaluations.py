"""Evaluations (考评结果): a period's stored revision with every unit and item, its revisions and
the diff between two, and the explanation of a unit × item down to the problems behind each line.

Points are exact decimal strings. A period computed under several schemes or levels needs
``scheme`` and ``level``; one that was never computed answers 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from kaoping.api.errors import ErrorOut
from kaoping.db.evaluations import SqlEvaluationUnitOfWork
from kaoping.domain.periods import Period
from kaoping.domain.ranking import ITEM_CLASS_LABELS
from kaoping.domain.results import ItemResult, ScoreLine, UnitResult
from kaoping.domain.revision_diffs import UnitChange
from kaoping.domain.revisions import PeriodStep, Revision
from kaoping.domain.schemes import EvaluatedLevel
from kaoping.services.evaluation_explain import ExplainedLine, explain
from kaoping.services.evaluation_ports import ProblemBehind
from kaoping.services.evaluations import PeriodQuery, diff_revisions, get_results, list_revisions, list_steps
from kaoping.settings import Settings

router = APIRouter(tags=["evaluations"])
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "该周期尚未计算, 或没有该修订、单位、项目"},
    422: {"model": ErrorOut, "description": "周期代码无效, 或该周期有多个方案/层级须指定"},
}


class RevisionOut(BaseModel):
    number: int
    status: str = Field(description="open / preliminary / appeal / final / published")
    status_label: str = Field(examples=["已公布"])
    scheme_version: str
    scheme_hash: str = Field(description="方案文件内容的 sha256")
    fingerprint: str = Field(description="全部计分事实的 sha256; 相同的事实与方案不会生成新修订")
    created_at: datetime
    facts_at: datetime = Field(description="案件状态的截止时间 (周期结束或计算时刻)")
    published_at: datetime | None
    reason: str

    @classmethod
    def of(cls, r: Revision) -> RevisionOut:
        return cls(
            number=r.number, status=r.status, status_label=r.status.label, scheme_version=r.scheme_version,
            scheme_hash=r.scheme_hash, fingerprint=r.fingerprint, created_at=r.created_at,
            facts_at=r.facts_at, published_at=r.published_at, reason=r.reason,
        )  # fmt: skip


class ItemOut(BaseModel):
    code: str
    name: str
    component: str
    kind: str
    max_points: str
    points: str
    deduction: str
    problems: int
    deducted_problems: int
    repeats: int
    rank: int
    item_class: str = Field(description="strong 优势 / average 一般 / weak 弱势")
    item_class_label: str

    @classmethod
    def of(cls, i: ItemResult) -> ItemOut:
        return cls(
            code=i.code, name=i.name, component=i.component, kind=i.kind, max_points=str(i.max_points),
            points=str(i.points), deduction=str(i.deduction), problems=i.problems,
            deducted_problems=i.deducted_problems, repeats=i.repeats, rank=i.rank, item_class=i.item_class,
            item_class_label=ITEM_CLASS_LABELS[i.item_class],
        )  # fmt: skip


class UnitOut(BaseModel):
    unit: str
    name: str
    rank: int
    previous_rank: int | None
    total: str = Field(examples=["96.82"])
    subtotal: str = Field(description="加减分之前的各组件合计")
    is_first_tier: bool
    is_rank_only: bool
    reward: str = Field(description="奖惩 (万元): 正数奖励, 负数扣罚")
    items_top: int
    items_bottom: int
    items: list[ItemOut]

    @classmethod
    def of(cls, u: UnitResult, name: str) -> UnitOut:
        return cls(
            unit=u.unit, name=name, rank=u.rank, previous_rank=u.previous_rank, total=str(u.total),
            subtotal=str(u.subtotal), is_first_tier=u.is_first_tier, is_rank_only=u.is_rank_only,
            reward=str(u.reward), items_top=u.items_top, items_bottom=u.items_bottom,
            items=[ItemOut.of(i) for i in u.items],
        )  # fmt: skip


class GroupOut(BaseModel):
    code: str
    name: str
    units: list[UnitOut]


class EvaluationOut(BaseModel):
    period: str = Field(examples=["2025Q3"])
    scheme: str
    level: str
    status: str
    revision: RevisionOut
    groups: list[GroupOut]


class StepOut(BaseModel):
    action: str = Field(description="announce / open_appeals / finalise / publish / recompute")
    action_label: str
    from_status: str
    to_status: str
    revision: int
    at: datetime
    actor: str
    reason: str

    @classmethod
    def of(cls, s: PeriodStep) -> StepOut:
        return cls(
            action=s.action, action_label=s.action.label, from_status=s.from_status, to_status=s.to_status,
            revision=s.revision, at=s.at, actor=s.actor, reason=s.reason,
        )  # fmt: skip


class RevisionsOut(BaseModel):
    period: str
    scheme: str
    level: str
    status: str
    revisions: list[RevisionOut]
    steps: list[StepOut] = Field(description="阶段记录: 每次推进或公布后重新计算, 各一条")


class ItemChangeOut(BaseModel):
    item: str
    name: str
    before: str | None
    after: str | None


class UnitChangeOut(BaseModel):
    unit: str
    group: str
    total_before: str | None
    total_after: str | None
    rank_before: int | None
    rank_after: int | None
    tier_before: bool | None
    tier_after: bool | None
    reward_before: str | None
    reward_after: str | None
    items: list[ItemChangeOut]

    @classmethod
    def of(cls, c: UnitChange) -> UnitChangeOut:
        return cls(
            unit=c.unit, group=c.group, total_before=_text(c.total_before), total_after=_text(c.total_after),
            rank_before=c.rank_before, rank_after=c.rank_after, tier_before=c.tier_before,
            tier_after=c.tier_after, reward_before=_text(c.reward_before), reward_after=_text(c.reward_after),
            items=[ItemChangeOut(item=i.item, name=i.name, before=_text(i.before), after=_text(i.after))
                   for i in c.items],
        )  # fmt: skip


class DiffOut(BaseModel):
    period: str
    before: RevisionOut
    after: RevisionOut
    changes: list[UnitChangeOut]


class ProblemOut(BaseModel):
    id: int
    found_at: datetime
    category_code: str
    category_name: str
    channel: str
    grid_code: str
    town_name: str
    status: str


class LineOut(BaseModel):
    kind: str = Field(description="problems / normalisation / cap / rollup / rate / manual / adjustment")
    ref: str
    rule: str
    total: str = Field(description="扣分 (项目行) 或带符号的加减分 (加减分行)")
    text: str = Field(examples=["7月 第三方测评 E0102 暴露垃圾 6 件 × 0.05 = 0.3"])
    sub_period: int
    category_code: str
    channel: str | None
    repeat_index: int
    is_overdue: bool
    is_no_feedback: bool
    count: int
    problems_now: int | None = Field(None, description="现存符合该行的问题数 (与 count 不同: 数据已变化)")
    problems: list[ProblemOut] = Field(default_factory=list, description="该行背后的问题 (最多 limit 个)")

    @classmethod
    def of(cls, e: ExplainedLine) -> LineOut:
        line: ScoreLine = e.line
        found = e.problems
        return cls(
            kind=line.kind, ref=line.ref, rule=line.rule, total=str(line.total), text=line.text,
            sub_period=line.sub_period, category_code=line.category_code, channel=line.channel,
            repeat_index=line.repeat_index, is_overdue=line.is_overdue, is_no_feedback=line.is_no_feedback,
            count=line.count, problems_now=found.count if found else None,
            problems=[ProblemOut(**_problem(p)) for p in found.shown] if found else [],
        )  # fmt: skip


class ExplanationOut(BaseModel):
    period: str
    scheme: str
    level: str
    revision: RevisionOut
    unit: UnitOut
    item: ItemOut | None
    lines: list[LineOut]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _problem(p: ProblemBehind) -> dict[str, Any]:
    return {
        "id": p.id, "found_at": p.found_at, "category_code": p.category_code,
        "category_name": p.category_name, "channel": p.channel, "grid_code": p.grid_code,
        "town_name": p.town_name, "status": p.status,
    }  # fmt: skip


def uow_of(request: Request) -> SqlEvaluationUnitOfWork:
    return SqlEvaluationUnitOfWork(request.app.state.engine)


def query_of(
    period: Annotated[str, Path(description="考评周期: 2025Q3 (季度)、2025-07 (月) 或 2025 (年)")],
    scheme: Annotated[str | None, Query(description="方案代码; 该周期只有一个考评时可省略")] = None,
    level: Annotated[EvaluatedLevel | None, Query(description="被考评层级")] = None,
) -> PeriodQuery:
    return PeriodQuery(Period.parse(period), scheme, level)


Uow = Annotated[SqlEvaluationUnitOfWork, Depends(uow_of)]
Which = Annotated[PeriodQuery, Depends(query_of)]
RevisionNo = Annotated[int | None, Query(description="修订号; 默认最新修订")]


@router.get("/evaluations/{period}", summary="一个周期的考评结果 (最新或指定修订)", responses=ERRORS)
def show_evaluation(uow: Uow, query: Which, revision: RevisionNo = None) -> EvaluationOut:
    s = get_results(uow, query, revision)
    groups = [
        GroupOut(code=g.code, name=g.name, units=[UnitOut.of(u, s.names.get(u.unit, "")) for u in g.units])
        for g in s.evaluation.groups
    ]
    return EvaluationOut(
        period=s.period.period.code, scheme=s.period.scheme, level=s.period.level, status=s.period.status,
        revision=RevisionOut.of(s.revision), groups=groups,
    )  # fmt: skip


@router.get("/evaluations/{period}/revisions", summary="一个周期的全部修订", responses=ERRORS)
def show_revisions(uow: Uow, query: Which) -> RevisionsOut:
    current, listed = list_revisions(uow, query)
    steps = list_steps(uow, query)
    return RevisionsOut(
        period=current.period.code, scheme=current.scheme, level=current.level, status=current.status,
        revisions=[RevisionOut.of(r) for r in listed], steps=[StepOut.of(s) for s in steps],
    )  # fmt: skip


@router.get("/evaluations/{period}/diff", summary="两个修订之间的变化", responses=ERRORS)
def show_diff(
    uow: Uow,
    query: Which,
    before: Annotated[int, Query(description="较早的修订号")],
    after: Annotated[int, Query(description="较晚的修订号")],
) -> DiffOut:
    d = diff_revisions(uow, query, before, after)
    return DiffOut(
        period=d.period.period.code, before=RevisionOut.of(d.before), after=RevisionOut.of(d.after),
        changes=[UnitChangeOut.of(c) for c in d.changes],
    )  # fmt: skip


@router.get("/evaluations/{period}/units/{unit}/explain", summary="单位得分说明 (到问题)", responses=ERRORS)
def explain_unit(
    request: Request,
    uow: Uow,
    query: Which,
    unit: Annotated[str, Path(description="被考评单位代码")],
    item: Annotated[str | None, Query(description="项目代码; 给出时列出每条扣分背后的问题")] = None,
    revision: RevisionNo = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="每条扣分最多列出的问题数")] = 50,
) -> ExplanationOut:
    settings: Settings = request.app.state.settings
    x = explain(uow, query, unit, item, tz=settings.tz, revision=revision, limit=limit)
    return ExplanationOut(
        period=x.period.period.code, scheme=x.period.scheme, level=x.period.level,
        revision=RevisionOut.of(x.revision), unit=UnitOut.of(x.unit, x.unit_name),
        item=ItemOut.of(x.item) if x.item else None, lines=[LineOut.of(e) for e in x.lines],
    )  # fmt: skip
