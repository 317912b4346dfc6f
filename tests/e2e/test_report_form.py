"""The phone report form (/report) in Debian's Chromium on a phone-sized screen, against the real app
served by uvicorn on 127.0.0.1 with the small demo city: a good report with a photo lands on the
success page with its number and grid; a point outside the city comes back with the error at 位置."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from PIL import Image

from kaoping.settings import Settings
from tests.e2e.test_dashboard import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_report_api import make_city, serve_app

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

PHONE: ViewportSize = {"width": 390, "height": 844}


@dataclass
class Form:
    base: str
    grid_code: str
    lon: float
    lat: float
    photo: Path
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def make_jpeg(path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 120, 60)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture(scope="module")
def form(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Form]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium); browser test skipped")
    folder = tmp_path_factory.mktemp("report-form")
    url, code, _community, lon, lat = make_city(folder)
    settings = Settings.model_validate({"database_url": url, "photo_dir": str(folder / "photos")})
    with serve_app(settings) as base:
        yield Form(base, code, lon, lat, make_jpeg(folder / "street.jpg"))


def submit(form: Form, lon: float, lat: float, photo: bool) -> dict[str, str]:
    """Fill the form as a grid worker does on a phone, submit it, and read the page that comes back."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
            page.on("request", lambda request: form.requests.append(request.url))
            page.on("console", lambda msg: form.errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: form.errors.append(str(exc)))
            page.goto(form.base + "/report", wait_until="networkidle")
            page.select_option("#channel", "road_chief")
            page.fill("#category-filter", "占道经营")
            page.select_option("#category", "E0501")
            page.fill("#lon", f"{lon:.6f}")
            page.fill("#lat", f"{lat:.6f}")
            page.fill("#found_at", "2026-03-05T09:30")
            page.fill("#description", "早市摊点占用人行道")
            if photo:
                page.set_input_files("#photos", str(form.photo))
            page.click("#submit")
            page.wait_for_load_state("networkidle")
            texts = {"url": page.url, "h1": page.inner_text("h1")}
            for name in ("problem-id", "grid", "deadline", "repeat", "case", "photos", "error-location"):
                node = page.locator(f"#{name}")
                texts[name] = node.inner_text() if node.count() else ""
            texts["lon"] = page.input_value("#lon") if page.locator("#lon").count() else ""
            texts["wide"] = str(page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))
        finally:
            browser.close()
    return texts


@pytest.mark.browser
def test_a_good_report_with_a_photo_shows_its_number_and_grid(form: Form) -> None:
    page = submit(form, form.lon, form.lat, photo=True)
    assert page["h1"] == "上报成功"
    assert re.fullmatch(r"\d+", page["problem-id"])
    assert page["url"].endswith("/report/" + page["problem-id"])
    assert page["grid"] == form.grid_code
    assert page["deadline"] == "2026-03-05 11:30"  # 2 工作时 from Thursday 09:30
    assert page["photos"] == "1 张"
    assert re.fullmatch(r"\d+ 号", page["case"])  # the case that follows it up
    assert page["wide"] == "False"  # one column: nothing sticks out sideways on the phone


@pytest.mark.browser
def test_a_point_outside_the_city_comes_back_with_the_error_at_location(form: Form) -> None:
    page = submit(form, 100.0, 30.0, photo=False)
    assert page["h1"] == "问题上报"
    assert "网格" in page["error-location"] or "范围" in page["error-location"]
    assert page["lon"] == "100.000000"  # what was typed is kept
    assert page["problem-id"] == ""


@pytest.mark.browser
def test_the_form_never_leaves_the_machine_and_logs_no_errors(form: Form) -> None:
    if not form.requests:
        submit(form, form.lon, form.lat, photo=False)
    assert {urlsplit(url).hostname for url in form.requests} == {"127.0.0.1"}
    assert form.errors == []
