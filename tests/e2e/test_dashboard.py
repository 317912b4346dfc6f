"""The dashboard and the JSON API through the real application served by uvicorn on 127.0.0.1, the
page opened in Debian's Chromium (never a downloaded browser build)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from sqlalchemy import Connection, insert, select

from kaoping.app import create_app
from kaoping.db.engine import make_engine
from kaoping.db.migrate import upgrade
from kaoping.db.tables import admin_unit, eval_group, evaluation_item, period, score
from kaoping.domain.periods import Period
from kaoping.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOT = Path("/tmp/dashboard.png")
TZ = ZoneInfo("Asia/Shanghai")

GROUPS = {"group1": "第一组", "group2": "第二组"}
ITEMS = {"env": "市容环境", "sanitation": "环境卫生", "order": "秩序管理", "facility": "设施维护"}
# district → (code, group, item points this quarter, rank, rank change)
DISTRICTS = {
    "历下区": ("370102", "group1", ("24.50", "24.00", "23.75", "23.50"), 1, 2),
    "市中区": ("370103", "group1", ("24.00", "23.50", "24.25", "23.00"), 2, -1),
    "槐荫区": ("370104", "group1", ("23.00", "24.50", "22.00", "24.25"), 3, None),
    "天桥区": ("370105", "group1", ("22.50", "22.00", "23.00", "22.75"), 4, 0),
    "历城区": ("370112", "group1", ("21.00", "23.00", "22.50", "22.00"), 5, -2),
    "章丘区": ("370114", "group2", ("24.75", "24.00", "24.50", "24.00"), 1, 1),
    "长清区": ("370113", "group2", ("23.50", "24.25", "23.00", "23.75"), 2, -1),
    "济阳区": ("370115", "group2", ("22.00", "23.00", "23.50", "22.25"), 3, 0),
}


# --- factories -------------------------------------------------------------------------------


def insert_quarter(conn: Connection, period_code: str = "2025Q4") -> None:
    """The organisation and one scored quarter, as the scoring service stores it."""
    conn.execute(insert(eval_group), [{"code": c, "name": n} for c, n in GROUPS.items()])
    groups = dict(conn.execute(select(eval_group.c.code, eval_group.c.id)).all())
    conn.execute(insert(evaluation_item), [{"code": c, "name": n} for c, n in ITEMS.items()])
    items = list(conn.execute(select(evaluation_item.c.id).order_by(evaluation_item.c.id)).scalars())
    start, end = Period.parse(period_code).bounds(TZ)
    period_id = conn.execute(
        insert(period)
        .values(code=period_code, kind="quarter", starts_at=start, ends_at=end)
        .returning(period.c.id)
    ).scalar_one()
    rows = []
    for name, (code, group, points, rank, change) in DISTRICTS.items():
        unit_id = conn.execute(
            insert(admin_unit)
            .values(code=code, name=name, level="district", kind="district", group_id=groups[group])
            .returning(admin_unit.c.id)
        ).scalar_one()
        common = {"period_id": period_id, "unit_id": unit_id, "group_id": groups[group]}
        for item_id, value in zip(items, points, strict=True):
            rows.append({**common, **_line(Decimal(value), Decimal(25)), "item_id": item_id})
        total = sum((Decimal(p) for p in points), Decimal(0))
        rows.append(
            {**common, **_line(total, Decimal(100)), "item_id": None, "rank": rank, "rank_change": change}
        )
    conn.execute(insert(score), rows)


def _line(points: Decimal, maximum: Decimal) -> dict[str, object]:
    return {
        "max_points": maximum,
        "deduction": maximum - points,
        "raw_deduction": maximum - points,
        "points": points,
        "problems": 0,
        "deducted_problems": 0,
        "repeats": 0,
        "rank": None,
        "rank_change": None,
    }


def make_database(path: Path, *, scored: bool) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    if scored:
        with engine.begin() as conn:
            insert_quarter(conn)
    engine.dispose()
    return url


# --- the server ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(database_url: str) -> Iterator[str]:
    """Run the real app in uvicorn on a free loopback port; yield its base URL."""
    port = _free_port()
    app = create_app(Settings.model_validate({"database_url": database_url}))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
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


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = make_database(tmp_path_factory.mktemp("dashboard") / "kaoping.db", scored=True)
    with serve(url) as base:
        yield base


@pytest.fixture(scope="module")
def empty_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = make_database(tmp_path_factory.mktemp("empty") / "kaoping.db", scored=False)
    with serve(url) as base:
        yield base


# --- the page in a real browser --------------------------------------------------------------


@dataclass
class PageVisit:
    texts: dict[str, list[str]]
    canvases: int
    requests: list[str]
    console_errors: list[str]


def visit_dashboard(base_url: str) -> PageVisit:
    """Open the dashboard in Chromium, screenshot it, and keep what the tests look at."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium); browser test skipped")
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.on("request", lambda request: requests.append(request.url))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(base_url + "/", wait_until="networkidle")
            page.wait_for_selector(".chart canvas", state="attached", timeout=10_000)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
            texts = {
                "h1": page.locator("h1").all_inner_texts(),
                "period": page.locator("#period-label").all_inner_texts(),
                "h2": page.locator("section.group h2").all_inner_texts(),
                "headers": page.locator("section#group1 thead th").all_inner_texts(),
                "group1": page.locator("section#group1 tbody th.unit").all_inner_texts(),
                "group2": page.locator("section#group2 tbody th.unit").all_inner_texts(),
                "changes": page.locator("section#group1 tbody .change").all_inner_texts(),
                "visible": [str(page.locator("section#group2 tbody th.unit").first.is_visible())],
            }
            canvases = page.locator("section.group .chart canvas").count()
        finally:
            browser.close()
    return PageVisit(texts, canvases, requests, errors)


@pytest.fixture(scope="module")
def visit(base_url: str) -> PageVisit:
    return visit_dashboard(base_url)


@pytest.mark.browser
def test_the_dashboard_shows_the_title_and_period_in_chinese(visit: PageVisit) -> None:
    assert visit.texts["h1"] == ["城市管理综合考评 排名"]
    assert visit.texts["period"] == ["2025年第4季度"]
    assert visit.texts["headers"] == ["名次", "区县", "总分", "名次变化", "前三项数", "后三项数"]


@pytest.mark.browser
def test_the_dashboard_lists_each_group_with_its_districts_in_rank_order(visit: PageVisit) -> None:
    assert visit.texts["h2"] == ["第一组", "第二组"]
    assert visit.texts["group1"] == ["历下区", "市中区", "槐荫区", "天桥区", "历城区"]
    assert visit.texts["group2"] == ["章丘区", "长清区", "济阳区"]
    assert visit.texts["visible"] == ["True"]


@pytest.mark.browser
def test_rank_changes_show_arrows_and_a_dash_when_there_was_no_previous_rank(visit: PageVisit) -> None:
    assert visit.texts["changes"] == ["↑2", "↓1", "—", "持平", "↓2"]


@pytest.mark.browser
def test_each_group_has_an_echarts_bar_chart_drawn_on_a_canvas(visit: PageVisit) -> None:
    assert visit.canvases == 2


@pytest.mark.browser
def test_the_page_loads_nothing_from_outside_the_local_server_and_logs_no_error(
    visit: PageVisit, base_url: str
) -> None:
    hosts = {urlsplit(url).hostname for url in visit.requests if not url.startswith("data:")}
    assert hosts == {"127.0.0.1"}
    assert any(url.endswith("/static/vendor/echarts/echarts.min.js") for url in visit.requests)
    assert visit.console_errors == []


# --- pages and the JSON API over real HTTP ---------------------------------------------------


def test_the_page_says_there_are_no_results_yet_on_an_empty_database(empty_base_url: str) -> None:
    response = httpx.get(empty_base_url + "/")
    assert response.status_code == 200
    assert "尚无考评结果, 请先运行 kaoping demo 或 kaoping score" in response.text
    assert "echarts" not in response.text


def test_the_api_gives_the_latest_ranking_with_exact_totals_as_strings(base_url: str) -> None:
    body = httpx.get(base_url + "/api/v1/rankings").json()
    assert (body["period_code"], body["period_label"]) == ("2025Q4", "2025年第4季度")
    group1 = body["groups"][0]
    assert (group1["group_code"], group1["group_name"]) == ("group1", "第一组")
    assert group1["rows"][0] == {
        "rank": 1,
        "unit_code": "370102",
        "unit_name": "历下区",
        "total": "95.75",
        "rank_change": 2,
        "items_top3": 4,
        "items_bottom3": 0,
    }
    assert [row["rank_change"] for row in group1["rows"]] == [2, -1, None, 0, -2]


def test_the_api_answers_a_named_period_and_says_in_chinese_when_it_has_no_scores(base_url: str) -> None:
    assert httpx.get(base_url + "/api/v1/rankings/2025q4").json()["period_code"] == "2025Q4"
    missing = httpx.get(base_url + "/api/v1/rankings/2030Q1")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "未找到考评结果: 2030Q1", "error": "NotFoundError"}
    invalid = httpx.get(base_url + "/api/v1/rankings/next-year")
    assert invalid.status_code == 422
    assert "考评周期" in invalid.json()["detail"]


def test_the_api_has_no_latest_ranking_on_an_empty_database(empty_base_url: str) -> None:
    response = httpx.get(empty_base_url + "/api/v1/rankings")
    assert response.status_code == 404
    assert "尚未评分" in response.json()["detail"]


def test_a_period_page_without_scores_is_a_chinese_404_page(base_url: str) -> None:
    response = httpx.get(base_url + "/rankings/2030Q1")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "未找到考评结果: 2030Q1" in response.text


def test_health_and_the_openapi_docs_are_served(base_url: str) -> None:
    assert httpx.get(base_url + "/api/v1/health").json()["status"] == "ok"
    assert httpx.get(base_url + "/docs").status_code == 200
    paths = httpx.get(base_url + "/openapi.json").json()["paths"]
    assert {"/api/v1/rankings", "/api/v1/rankings/{period}", "/api/v1/health"} <= set(paths)
    assert "/" not in paths
