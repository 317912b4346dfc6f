"""Single intake over JSON: file a problem (located, routed, timed, checked for a repeat, followed up
by a case or a third-party finding) and read it back. Refusals are Chinese 422 answers naming the
field (``api/errors.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path as PathLib
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from kaoping.api.errors import ErrorOut
from kaoping.db.intake import ProblemView, get_problem
from kaoping.services.intake import Intake, ProblemReport
from kaoping.wiring.intake import Upload, receive_report, shared_desks

router = APIRouter(tags=["problems"])
REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorOut, "description": "上报内容有误 (说明哪一项)"}
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "没有该编号的问题"}}


class ProblemIn(BaseModel):
    """A problem as a grid worker's or road chief's app sends it. Values are checked by the intake
    service, so every channel refuses the same things with the same Chinese message."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    channel: str = Field("grid_worker", description="来源代码", examples=["grid_worker", "road_chief"])
    category: str | None = Field(None, description="问题类别: 小类代码或名称", examples=["E0501", "占道经营"])
    lon: float | str | None = Field(None, description="经度 (无则取照片 GPS)", examples=[117.0213])
    lat: float | str | None = Field(None, description="纬度", examples=[36.6612])
    crs: str = Field("wgs84", description="坐标系: wgs84 | gcj02 | bd09 | cgcs2000")
    found_at: str | None = Field(
        None,
        description="发现时间, ISO 8601; 不带时区按业务时区; 缺省为收到时间",
        examples=["2026-03-05T09:30:00+08:00"],
    )
    description: str = Field("", description="问题描述", max_length=10_000)

    def to_report(self) -> ProblemReport:
        return ProblemReport(
            channel=self.channel,
            category=self.category or "",
            lon=self.lon,
            lat=self.lat,
            found_at=self.found_at,
            crs=self.crs,
            description=self.description,
        )


class ProblemOut(BaseModel):
    id: int
    channel: str
    category_code: str
    category_name: str
    found_at: datetime
    lon: float = Field(description="WGS84 经度")
    lat: float = Field(description="WGS84 纬度")
    description: str
    status: str
    grid_code: str
    community_code: str
    community_name: str
    town_code: str
    town_name: str
    district_code: str
    district_name: str
    road_code: str | None
    road_name: str | None
    road_distance_m: float | None
    department_code: str | None = Field(description="责任部门; null 为属地兜底")
    department_name: str | None
    deadline: datetime | None = Field(description="处置时限 (业务时区); 工作日历缺该年数据时为 null")
    repeat_of: int | None = Field(description="重复的前一问题编号; 不是重复问题时为 null")
    repeat_index: int = Field(0, description="重复序号: 0 非重复, 1 首次重复, 2 重复的重复 …")
    is_high_score: bool
    is_overdue: bool = Field(False, description="超时: 过了处置时限仍未办结, 或办结晚于时限")
    case_id: int | None = Field(None, description="跟进该问题的案件编号 (考评发现的问题为 null)")
    finding_id: int | None = Field(None, description="考评发现 (第三方测评) 的问题: 测评问题编号")
    photos: list[str]
    # Computed at intake only (null or empty when read back).
    relinked: list[int] = Field(
        default_factory=list, description="补报: 之后发现、现改记为本问题重复问题的问题编号"
    )
    lead: str | None = Field(None, description="主办: department (部门) 或 territory (属地)")
    department_share: str | None = Field(None, description="部门承担的扣分比例", examples=["0.2"])
    notes: list[str] = []

    @classmethod
    def of(cls, view: ProblemView, intake: Intake | None = None) -> ProblemOut:
        place = view.place
        out = cls(
            id=view.id, channel=view.channel, category_code=view.category_code,
            category_name=view.category_name, found_at=view.found_at, lon=view.lon, lat=view.lat,
            description=view.description, status=view.status, grid_code=place.grid_code,
            community_code=place.community_code, community_name=place.community_name,
            town_code=place.town_code, town_name=place.town_name, district_code=place.district_code,
            district_name=place.district_name, road_code=place.road_code, road_name=place.road_name,
            road_distance_m=place.road_distance_m, department_code=view.department_code,
            department_name=view.department_name, deadline=view.deadline_at, repeat_of=view.repeat_of,
            repeat_index=view.repeat_index, is_high_score=view.is_high_score, is_overdue=view.is_overdue,
            case_id=view.case_id, finding_id=view.finding_id, photos=list(view.photos),
        )  # fmt: skip
        if intake is not None:
            out.relinked = list(intake.relinked)
            out.lead = intake.responsibility.lead.value
            out.department_share = str(intake.responsibility.department_share)
            out.notes = list(intake.notes)
            out.deadline = intake.deadline_at  # in the business timezone, as computed
        return out


ProblemNumber = Annotated[int, Path(description="问题编号")]


@router.post("/problems", status_code=201, summary="上报一个问题", responses=REFUSED)
async def create_problem(body: ProblemIn, request: Request) -> ProblemOut:
    return await file_report(request, body.to_report())


@router.post(
    "/problems/with-photos", status_code=201, summary="上报一个问题并附照片 (multipart)", responses=REFUSED
)
async def create_problem_with_photos(
    request: Request,
    category: Annotated[str, Form(description="问题类别: 小类代码或名称")] = "",
    channel: Annotated[str, Form(description="来源代码")] = "grid_worker",
    lon: Annotated[str, Form(description="经度; 空则取照片 GPS")] = "",
    lat: Annotated[str, Form(description="纬度")] = "",
    crs: Annotated[str, Form(description="坐标系")] = "wgs84",
    found_at: Annotated[str, Form(description="发现时间; 空则取照片拍摄时间")] = "",
    description: Annotated[str, Form(description="问题描述")] = "",
    photos: Annotated[list[UploadFile] | None, File(description="照片 (JPEG/PNG/WebP)")] = None,
) -> ProblemOut:
    report = ProblemReport(channel, category, lon, lat, found_at, crs, description)
    uploads = [Upload(f.filename or "", await f.read()) for f in photos or [] if f.filename or f.size]
    return await file_report(request, report, uploads)


async def file_report(request: Request, report: ProblemReport, uploads: Sequence[Upload] = ()) -> ProblemOut:
    """Hand the report to intake off the event loop (locating and the database are blocking work),
    in one hop to the thread pool."""
    state = request.app.state
    settings = state.settings
    desks = shared_desks(state, state.engine, settings.tz, settings.road_snap_m)

    def receive() -> tuple[Intake, ProblemView]:
        photo_dir = PathLib(settings.photo_dir)
        at = datetime.now(UTC)
        return receive_report(state.engine, desks.get(), report, at=at, uploads=uploads, photo_dir=photo_dir)

    intake, view = await run_in_threadpool(receive)
    return ProblemOut.of(view, intake)


@router.get("/problems/{problem_id}", summary="查看一个问题", responses=NOT_FOUND)
async def read_problem(problem_id: ProblemNumber, request: Request) -> ProblemOut:
    return ProblemOut.of(await run_in_threadpool(_read, request.app.state.engine, problem_id))


def _read(engine: Any, problem_id: int) -> ProblemView:
    with engine.connect() as conn:
        return get_problem(conn, problem_id)
