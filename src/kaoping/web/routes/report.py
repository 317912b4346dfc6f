"""The phone form grid workers and road chiefs report a problem with (/report).

The form goes through the same intake as ``POST /api/v1/problems`` (``wiring.intake.receive_report``
→ ``services.intake.report_problem``), so it accepts and refuses exactly what the API does; a refusal
comes back as the filled form with the Chinese message beside the field it is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData, UploadFile

from kaoping.db.intake import ProblemView, get_problem
from kaoping.domain.categories import Category, CategoryKind, CategoryLevel
from kaoping.domain.errors import KaopingError
from kaoping.domain.problems import Channel, CoordinateSystem
from kaoping.io.seeds import load_categories, load_channels
from kaoping.services.intake import ProblemReport, field_of
from kaoping.web.pages import render
from kaoping.wiring.intake import Upload, receive_report, shared_desks

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

FIELDS = ("channel", "category", "lon", "lat", "crs", "found_at", "description")
# Where on the form an error is shown: the coordinates and the located point are one 位置 block.
SHOWN_AT = {"lon": "location", "lat": "location"}
KIND_NAMES = {CategoryKind.COMPONENT: "部件", CategoryKind.EVENT: "事件"}
CRS_NAMES = {
    CoordinateSystem.WGS84: "WGS84 (手机 GPS)",
    CoordinateSystem.GCJ02: "GCJ-02 (高德、腾讯地图)",
    CoordinateSystem.BD09: "BD-09 (百度地图)",
    CoordinateSystem.CGCS2000: "CGCS2000 (国家大地坐标系)",
}


@dataclass(frozen=True, slots=True)
class CategoryGroup:
    label: str  # 部件 · 市政公用设施
    options: tuple[tuple[str, str], ...]  # (code, "C0101 上水井盖")


@cache
def category_groups() -> tuple[CategoryGroup, ...]:
    """The 小类 to choose from, grouped by kind and 大类, in code order."""
    tree = load_categories()
    majors = sorted((c for c in tree if c.level is CategoryLevel.MAJOR), key=lambda c: c.code)
    return tuple(
        CategoryGroup(
            f"{KIND_NAMES[major.kind]} · {major.name}",
            tuple((c.code, f"{c.code} {c.name}") for c in sorted(tree.children(major.code), key=_code_of)),
        )
        for major in majors
    )


def _code_of(category: Category) -> str:
    return category.code


@cache
def channel_options() -> tuple[tuple[str, str], ...]:
    """The sources to choose from: the district's own forces first (the form is theirs)."""
    specs = sorted(load_channels(), key=lambda s: not s.own_discovery)
    return tuple((s.code.value, s.name) for s in specs)


@router.get("/report")
def report_form(request: Request) -> Response:
    tz = request.app.state.settings.tz
    values = {"channel": Channel.GRID_WORKER.value, "crs": CoordinateSystem.WGS84.value}
    values["found_at"] = datetime.now(tz).strftime("%Y-%m-%dT%H:%M")
    return _form(request, values, {})


@router.post("/report")
async def submit_report(request: Request) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in FIELDS}
    report = ProblemReport(
        values["channel"], values["category"], values["lon"], values["lat"], values["found_at"],
        values["crs"] or CoordinateSystem.WGS84.value, values["description"],
    )  # fmt: skip
    try:
        view = await _file(request, report, await _uploads(form))
    except KaopingError as error:
        field = field_of(error)
        errors = {SHOWN_AT.get(field or "", field or "form"): error.message}
        if any(_sent(f) for f in form.getlist("photos")):
            errors.setdefault("photo", "照片未保存, 请在修改后重新选择")
        # The form to correct is a page that loaded fine: 200, not 422 (the browser would log a
        # 4xx page as a failed load; API clients get 422 from /api/v1/problems).
        return _form(request, values, errors)
    return RedirectResponse(f"/report/{view.id}", status_code=303)


@router.get("/report/{problem_id}")
async def report_done(request: Request, problem_id: int) -> Response:
    view = await run_in_threadpool(_read, request.app.state.engine, problem_id)
    tz = request.app.state.settings.tz
    return render(request, "report_done.html", {"problem": view, "tz": tz, "title": "上报成功"})


def _form(request: Request, values: dict[str, str], errors: dict[str, str]) -> Response:
    context = {
        "title": "问题上报",
        "values": values,
        "errors": errors,
        "channels": channel_options(),
        "categories": category_groups(),
        "crs_options": [(c.value, name) for c, name in CRS_NAMES.items()],
    }
    return render(request, "report.html", context)


async def _uploads(form: FormData) -> list[Upload]:
    # An empty file input still sends one part, with no name and no bytes.
    files = [f for f in form.getlist("photos") if isinstance(f, UploadFile) and _sent(f)]
    return [Upload(f.filename or "", await f.read()) for f in files]


def _sent(value: object) -> bool:
    return isinstance(value, UploadFile) and bool(value.filename or value.size)


async def _file(request: Request, report: ProblemReport, uploads: list[Upload]) -> ProblemView:
    """The same hand-over as the JSON API: the process's desk, intake off the event loop."""
    state = request.app.state
    settings = state.settings
    desk = await run_in_threadpool(shared_desks(state, state.engine, settings.tz, settings.road_snap_m).get)
    _intake, view = await run_in_threadpool(
        partial(receive_report, uploads=uploads, photo_dir=Path(settings.photo_dir)),
        state.engine, desk, report, at=datetime.now(UTC),
    )  # fmt: skip
    return view


def _read(engine: Any, problem_id: int) -> ProblemView:
    with engine.connect() as conn:
        return get_problem(conn, problem_id)
