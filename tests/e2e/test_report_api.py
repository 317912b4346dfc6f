"""Single intake over real HTTP: the application served by uvicorn on 127.0.0.1 with the small demo
city; good reports are stored with their place, deadline and repeat link, bad ones are refused in
Chinese with the field named, and a photo's EXIF GPS and time stand in for missing ones."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import shapely
import uvicorn
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from sqlalchemy import select

from kaoping.app import create_app
from kaoping.db.calendar import seed_year
from kaoping.db.engine import make_engine
from kaoping.db.tables import admin_unit, grid
from kaoping.demo.build import build_demo
from kaoping.demo.sizes import SIZES
from kaoping.io.holidays import LIBRARY, holiday_days
from kaoping.settings import Settings

TZ = ZoneInfo("Asia/Shanghai")


@contextmanager
def serve_app(settings: Settings) -> Iterator[str]:
    """Run the real app in uvicorn on a free loopback port; yield its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start within 10 s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass(frozen=True)
class City:
    base: str
    photo_dir: Path
    grid_code: str
    community: str
    lon: float
    lat: float


def make_city(folder: Path) -> tuple[str, str, str, float, float]:
    """A SQLite demo city with a working calendar; the first grid's code, community and inner point."""
    url = f"sqlite:///{folder / 'kaoping.db'}"
    engine = make_engine(url)
    build_demo(engine, SIZES["small"], 2021, TZ)
    with engine.begin() as conn:
        for year in (2025, 2026):
            seed_year(conn, year, holiday_days(year), LIBRARY)
        code, wkb, community_id = conn.execute(
            select(grid.c.code, grid.c.geometry, grid.c.community_id).order_by(grid.c.code).limit(1)
        ).one()
        community = conn.execute(select(admin_unit.c.name).where(admin_unit.c.id == community_id)).scalar()
    engine.dispose()
    point = shapely.from_wkb(wkb).point_on_surface()
    return url, code, community, point.x, point.y


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    folder = tmp_path_factory.mktemp("intake")
    url, code, community, lon, lat = make_city(folder)
    settings = Settings.model_validate({"database_url": url, "photo_dir": str(folder / "photos")})
    with serve_app(settings) as base:
        yield City(base, folder / "photos", code, community, lon, lat)


def post(city: City, **changes: object) -> httpx.Response:
    body: dict[str, object] = {
        "channel": "grid_worker",
        "category": "占道经营",
        "lon": city.lon,
        "lat": city.lat,
        "found_at": "2026-03-05T09:30:00+08:00",
        "description": "早市摊点占道",
    }
    body.update(changes)
    return httpx.post(city.base + "/api/v1/problems", json=body, timeout=30)


def test_a_good_report_is_stored_with_its_place_deadline_and_no_repeat(city: City) -> None:
    response = post(city)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["grid_code"] == city.grid_code
    assert body["community_name"] == city.community
    assert body["grid_code"].startswith(body["district_code"])
    assert body["town_code"].startswith(body["district_code"])
    assert body["category_code"] == "E0501"
    # 2 工作时 from Thursday 09:30.
    assert datetime.fromisoformat(body["deadline"]) == datetime(2026, 3, 5, 11, 30, tzinfo=TZ)
    assert body["lead"] == "territory"
    assert body["department_code"] is not None
    read = httpx.get(f"{city.base}/api/v1/problems/{body['id']}").json()
    assert read["grid_code"] == body["grid_code"]
    assert datetime.fromisoformat(read["deadline"]) == datetime.fromisoformat(body["deadline"])
    again = post(city, found_at="2026-03-06T10:00:00+08:00").json()
    assert again["repeat_of"] == body["id"]
    assert again["repeat_index"] == 1
    assert httpx.get(f"{city.base}/api/v1/problems/{again['id']}").json()["repeat_index"] == 1  # stored


def test_a_report_names_the_case_that_follows_it_and_a_tester_s_report_its_finding(city: City) -> None:
    body = post(city, found_at="2026-03-10T09:30:00+08:00").json()
    assert (isinstance(body["case_id"], int), body["finding_id"]) == (True, None)
    case = httpx.get(f"{city.base}/api/v1/cases/{body['case_id']}").json()
    assert (case["problem_id"], case["status"], case["lead"]) == (body["id"], "reported", "territory")
    tested = post(city, channel="third_party", found_at="2026-03-10T10:30:00+08:00").json()
    assert (tested["case_id"], isinstance(tested["finding_id"], int)) == (None, True)
    item = httpx.get(f"{city.base}/api/v1/findings/{tested['finding_id']}").json()
    assert (item["problem_id"], item["status"]) == (tested["id"], "found")
    assert datetime.fromisoformat(item["rectify_deadline_at"]) == datetime.fromisoformat(tested["deadline"])
    read = httpx.get(f"{city.base}/api/v1/problems/{tested['id']}").json()
    assert (read["case_id"], read["finding_id"]) == (None, tested["finding_id"])


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"channel": "pigeon"}, ["来源 (channel)", "未知的问题来源 'pigeon'"]),
        ({"category": "外星人入侵"}, ["未知的问题类别: '外星人入侵'"]),
        ({"category": "E05"}, ["问题类别 (category)", "是大类"]),
        ({"category": None}, ["问题类别 (category)", "请选择"]),
        ({"lon": "117,02"}, ["经度 '117,02' 不是数字"]),
        ({"lon": 36.66, "lat": 117.02}, ["经纬度是否填反"]),
        ({"lon": None, "lat": None}, ["经度 (lon)", "缺少位置"]),
        ({"lon": 100.0, "lat": 20.0}, ["不在任何单元网格内"]),
        ({"crs": "mars"}, ["未知坐标系 'mars'"]),
        ({"found_at": "去年春天"}, ["发现时间 (found_at)", "不是有效时间"]),
        ({"found_at": "2099-01-01T00:00:00+08:00"}, ["发现时间 (found_at)", "晚于当前时间"]),
        ({"description": "长" * 2001}, ["问题描述 (description)", "不能超过 2000 字"]),
    ],
)
def test_each_bad_field_is_refused_in_chinese_with_422(
    city: City, changes: dict[str, object], words: list[str]
) -> None:
    response = post(city, **changes)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    for word in words:
        assert word in detail


def test_an_unknown_problem_number_is_a_chinese_404(city: City) -> None:
    response = httpx.get(city.base + "/api/v1/problems/999999")
    assert response.status_code == 404
    assert response.json()["detail"] == "未找到问题: 999999"


def exif_photo(lon: float, lat: float, taken: str) -> bytes:
    """A small JPEG whose EXIF says where (GPS, WGS84) and when (DateTimeOriginal) it was taken."""

    def dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        seconds = (value - degrees - minutes / 60) * 3600
        return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(round(seconds * 1e6), 1_000_000)

    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: dms(lat), 3: "E", 4: dms(lon)}
    exif[0x8769] = {36867: taken}
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 80, 40)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_a_photo_with_exif_gps_places_and_times_a_report_that_has_neither(city: City) -> None:
    photo = exif_photo(city.lon, city.lat, "2026:03:09 15:20:00")
    response = httpx.post(
        city.base + "/api/v1/problems/with-photos",
        data={"category": "暴露垃圾", "channel": "road_chief"},
        files={"photos": ("street.jpg", photo, "image/jpeg")},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["grid_code"] == city.grid_code
    assert datetime.fromisoformat(body["found_at"]) == datetime(2026, 3, 9, 15, 20, tzinfo=TZ)
    assert abs(body["lon"] - city.lon) < 1e-6
    [path] = body["photos"]
    assert (city.photo_dir / path).read_bytes() == photo
    thumbnail = Image.open(city.photo_dir / path.replace(".jpg", ".thumb.jpg"))
    assert max(thumbnail.size) == 320


def test_a_file_that_is_not_an_image_is_refused_and_not_kept(city: City) -> None:
    response = httpx.post(
        city.base + "/api/v1/problems/with-photos",
        data={"category": "暴露垃圾", "lon": str(city.lon), "lat": str(city.lat)},
        files={"photos": ("notes.txt", b"not a photo", "image/jpeg")},
        timeout=30,
    )
    assert response.status_code == 422
    assert "照片 (photo): notes.txt 不是可识别的图片" in response.json()["detail"]
