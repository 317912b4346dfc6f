"""Rankings by evaluation group: the latest scored period, or a named one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from kaoping.api.errors import ErrorOut
from kaoping.db.rankings import SqlRankingReader
from kaoping.domain.errors import NotFoundError
from kaoping.domain.scoring import to_points
from kaoping.services.rankings import GroupRanking, PeriodRanking, RankingReader, RankingRow
from kaoping.services.rankings import latest_ranking as read_latest_ranking
from kaoping.services.rankings import period_ranking as read_period_ranking

router = APIRouter(tags=["rankings"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "该周期尚无考评结果"}}


class RankingRowOut(BaseModel):
    rank: int
    unit_code: str
    unit_name: str
    total: str = Field(description="总分, 两位小数的字符串 (精确值, 不经浮点)", examples=["95.50"])
    rank_change: int | None = Field(description="较上期上升的名次 (负数为下降); 上期无排名时为 null")
    items_top3: int = Field(description="单项得分位列本组前三的项数")
    items_bottom3: int = Field(description="单项得分位列本组后三名的项数")

    @classmethod
    def of(cls, row: RankingRow) -> RankingRowOut:
        return cls(
            rank=row.rank,
            unit_code=row.unit_code,
            unit_name=row.unit_name,
            total=str(to_points(row.total)),
            rank_change=row.rank_change,
            items_top3=row.items_top3,
            items_bottom3=row.items_bottom3,
        )


class GroupRankingOut(BaseModel):
    group_code: str
    group_name: str
    rows: list[RankingRowOut]

    @classmethod
    def of(cls, group: GroupRanking) -> GroupRankingOut:
        return cls(
            group_code=group.group_code,
            group_name=group.group_name,
            rows=[RankingRowOut.of(row) for row in group.rows],
        )


class PeriodRankingOut(BaseModel):
    period_code: str = Field(examples=["2025Q4"])
    period_label: str = Field(examples=["2025年第4季度"])
    groups: list[GroupRankingOut]

    @classmethod
    def of(cls, ranking: PeriodRanking) -> PeriodRankingOut:
        return cls(
            period_code=ranking.period_code,
            period_label=ranking.period_label,
            groups=[GroupRankingOut.of(group) for group in ranking.groups],
        )


async def ranking_reader(request: Request) -> RankingReader:
    # Built per request from the app's engine; each read checks a pooled connection out and back.
    return SqlRankingReader(request.app.state.engine)


Reader = Annotated[RankingReader, Depends(ranking_reader)]
PeriodCode = Annotated[str, Path(description="考评周期: 2025Q4 (季度)、2025-03 (月) 或 2025 (年)")]


@router.get("/rankings", summary="最近一期的分组排名", responses=NOT_FOUND)
def latest_ranking(reader: Reader) -> PeriodRankingOut:
    ranking = read_latest_ranking(reader)
    if ranking is None:
        raise NotFoundError("考评结果", "尚未评分, 请先运行 kaoping demo 或 kaoping score")
    return PeriodRankingOut.of(ranking)


@router.get("/rankings/{period}", summary="指定周期的分组排名", responses=NOT_FOUND)
def period_ranking(reader: Reader, period: PeriodCode) -> PeriodRankingOut:
    return PeriodRankingOut.of(read_period_ranking(reader, period))
