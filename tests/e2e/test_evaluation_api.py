"""The evaluation API through the real application: a period's latest and a given revision with
units and items, its revisions and their diff, and the explanation of a unit × item down to the
problems — on the small demo city scored under the test scheme (tests/schemes)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from kaoping.app import create_app
from kaoping.db.engine import make_engine
from kaoping.db.evaluations import SqlEvaluationUnitOfWork
from kaoping.db.tables import problem
from kaoping.demo.build import build_demo
from kaoping.demo.sizes import SIZES
from kaoping.domain.periods import Period
from kaoping.io.scheme_sources import SchemeFolders
from kaoping.services.evaluation_explain import explain
from kaoping.services.evaluations import PeriodQuery, score_period
from kaoping.settings import Settings

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime(2025, 10, 9, 9, 0, tzinfo=TZ)
QUERY = PeriodQuery(Period.parse("2025Q3"), "small-city-quarterly")
URL = "/api/v1/evaluations/2025Q3"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo, 2025Q3 scored twice: revision 2 after voiding the problems behind one line."""
    path = tmp_path_factory.mktemp("evaluation-api") / "kaoping.db"
    engine = make_engine(f"sqlite:///{path}")
    build_demo(engine, SIZES["small"], 2021, TZ)
    schemes = SchemeFolders(Path(__file__).parents[1] / "schemes")
    score_period(SqlEvaluationUnitOfWork(engine), schemes, QUERY, at=AT, tz=TZ)
    first = explain(SqlEvaluationUnitOfWork(engine), QUERY, "379903", "street_vending", tz=TZ, limit=100)
    ids = [p.id for line in first.lines if line.problems for p in line.problems.shown][:3]
    with engine.begin() as conn:
        conn.execute(update(problem).where(problem.c.id.in_(ids)).values(status="voided"))
    score_period(SqlEvaluationUnitOfWork(engine), schemes, QUERY, at=AT, tz=TZ)
    engine.dispose()
    return path


@pytest.fixture(scope="module")
def client(database: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url=f"sqlite:///{database}"))) as test_client:
        yield test_client


def test_the_latest_revision_comes_with_every_group_unit_and_item(client: TestClient) -> None:
    body = client.get(URL).json()
    assert (body["scheme"], body["level"], body["status"], body["revision"]["number"]) == (
        "small-city-quarterly", "district", "open", 2,
    )  # fmt: skip
    assert [g["code"] for g in body["groups"]] == ["group1", "group2"]
    unit = next(u for g in body["groups"] for u in g["units"] if u["unit"] == "379903")
    assert unit["name"] == "济水区"
    assert [i["code"] for i in unit["items"]] == ["dept_review", "garbage_collection", "street_vending"]
    assert sum(float(i["points"]) for i in unit["items"]) == pytest.approx(float(unit["total"]))


def test_a_given_revision_and_the_diff_name_what_changed(client: TestClient) -> None:
    first = client.get(URL, params={"revision": 1}).json()
    assert first["revision"]["number"] == 1
    listed = client.get(f"{URL}/revisions").json()
    revisions = listed["revisions"]
    assert listed["steps"] == []  # never moved on: scored twice while open
    assert [r["number"] for r in revisions] == [1, 2]
    assert revisions[0]["fingerprint"] != revisions[1]["fingerprint"]
    [change] = client.get(f"{URL}/diff", params={"before": 1, "after": 2}).json()["changes"]
    assert change["unit"] == "379903"
    [item] = change["items"]
    assert item["item"] == "street_vending"
    assert float(item["after"]) > float(item["before"])


def test_explain_gives_each_line_and_the_problems_behind_it(client: TestClient) -> None:
    body = client.get(f"{URL}/units/379903/explain", params={"item": "street_vending", "limit": 500}).json()
    assert body["item"]["code"] == "street_vending"
    assert body["unit"]["name"] == "济水区"
    problem_lines = [line for line in body["lines"] if line["kind"] == "problems"]
    assert problem_lines
    for line in problem_lines:
        assert line["problems_now"] == line["count"] == len(line["problems"])
        assert all(p["category_code"] == line["category_code"] for p in line["problems"])
        assert all(p["grid_code"].startswith("379903") for p in line["problems"])
    everything = client.get(f"{URL}/units/379903/explain").json()
    assert everything["item"] is None
    assert all(line["problems"] == [] for line in everything["lines"])


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/api/v1/evaluations/2019Q1", 404, "未找到考评结果: 2019Q1"),
        ("/api/v1/evaluations/2025Q5", 422, "考评周期 '2025Q5' 无效"),
        (f"{URL}?revision=7", 404, "未找到修订: 7"),
        (f"{URL}/units/370102/explain", 404, "未找到被考评单位"),
        (f"{URL}/units/379903/explain?item=noise", 404, "未找到考评项目: noise"),
    ],
)
def test_errors_answer_in_chinese(client: TestClient, path: str, status: int, message: str) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert message in response.json()["detail"]
