"""Cases through the real application (FastAPI TestClient over HTTP semantics) and the real `kaoping`
command: the whole loop, the history, an illegal action and a stale version refused in Chinese."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from kaoping.app import create_app
from kaoping.db.cases import SqlCaseUnitOfWork
from kaoping.db.engine import make_engine
from kaoping.db.migrate import upgrade
from kaoping.domain.ids import CaseId
from kaoping.services.cases import open_case_for
from kaoping.settings import Settings
from tests.integration.test_cases_db import add_problem, seed_world, territory

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with a district, its towns, a category, a person, the 2025–26 calendar."""
    path = tmp_path_factory.mktemp("cases") / "kaoping.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as conn:
        ids = seed_world(conn)
        problems = [add_problem(conn, ids, datetime(2025, 9, 30, 15, tzinfo=TZ)) for _ in range(3)]
    for problem_id in problems:
        open_case_for(
            SqlCaseUnitOfWork(engine), problem_id, territory(ids), datetime(2025, 9, 30, 15, tzinfo=TZ)
        )
    engine.dispose()
    return path


@pytest.fixture(scope="module")
def client(database: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url=f"sqlite:///{database}"))) as test_client:
        yield test_client


def post_action(client: TestClient, case_id: int, action: str, at: str, **extra: object) -> object:
    body = {"action": action, "actor": 1, "at": f"{at}+08:00", **extra}
    return client.post(f"/api/v1/cases/{case_id}/actions", json=body)


def test_a_case_walks_the_whole_loop_through_the_api_and_shows_its_history(client: TestClient) -> None:
    walk = [
        ("受理", "2025-09-30T15:10:00", {}),
        ("file", "2025-09-30T15:20:00", {}),
        ("派遣", "2025-09-30T16:00:00", {}),
        ("feed_back", "2025-10-09T09:30:00", {"attachments": ["整改后.jpg"]}),
        ("核查通过", "2025-10-09T11:00:00", {}),
    ]
    for action, at, extra in walk:
        answer = post_action(client, 1, action, at, **extra)
        assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    shown = client.get("/api/v1/cases/1").json()
    assert (shown["status"], shown["status_label"], shown["close_type"], shown["version"]) == (
        "closed", "已结案", "normal", 5,
    )  # fmt: skip
    assert shown["deadline_at"] == "2025-10-09T02:00:00Z"  # 10:00 in Beijing, after National Day
    assert [(h["action_label"], h["to_status"]) for h in shown["history"]] == [
        ("受理", "accepted"),
        ("立案", "filed"),
        ("派遣", "in_disposal"),
        ("处置反馈", "checking"),
        ("核查通过", "closed"),
    ]
    assert shown["history"][3]["attachments"] == ["整改后.jpg"]
    assert shown["timer"]["light"] == "yellow"  # stopped at the feedback: 3.5 of 4 工作时


def test_an_illegal_action_answers_409_naming_the_allowed_ones(client: TestClient) -> None:
    answer = post_action(client, 2, "pass_check", "2025-09-30T15:30:00")
    assert answer.status_code == 409  # type: ignore[attr-defined]
    assert answer.json() == {  # type: ignore[attr-defined]
        "detail": "案件当前状态为「已上报(待受理)」, 不能执行「核查通过」; "
        "可执行: 发核实、受理、不予受理、督办、自行处置",
        "error": "IllegalTransitionError",
    }


def test_a_stale_version_answers_409_and_a_missing_reason_422(client: TestClient) -> None:
    assert post_action(client, 2, "supervise", "2025-09-30T15:40:00", reason="催办").status_code == 200  # type: ignore[attr-defined]
    stale = post_action(client, 2, "accept", "2025-09-30T15:50:00", version=0)
    assert stale.status_code == 409  # type: ignore[attr-defined]
    assert stale.json()["detail"] == "案件 2 刚被他人处理, 请刷新后重试"  # type: ignore[attr-defined]
    missing = post_action(client, 2, "refuse", "2025-09-30T15:50:00", version=1)
    assert missing.status_code == 422  # type: ignore[attr-defined]
    assert "须说明理由" in missing.json()["detail"]  # type: ignore[attr-defined]
    assert client.get("/api/v1/cases/404").status_code == 404


def test_a_towns_open_cases_come_with_their_lights_at_a_given_time(client: TestClient) -> None:
    for action, at in [
        ("accept", "2025-09-30T15:10:00"),
        ("file", "2025-09-30T15:20:00"),
        ("dispatch", "2025-09-30T16:00:00"),
    ]:
        assert post_action(client, 3, action, at).status_code == 200  # type: ignore[attr-defined]
    listed = client.get("/api/v1/units/370102001/cases", params={"at": "2025-10-09T09:30:00+08:00"}).json()
    timers = {c["id"]: (c["timer"] or {}).get("light") for c in listed["cases"]}
    assert timers == {3: "yellow", 2: None}  # case 1 is closed; case 3 used 3½ of 4 工作时
    assert listed["cases"][0]["handler"] == "解放路街道"
    naive = client.get("/api/v1/units/370102001/cases", params={"at": "2025-10-09T09:00:00"})
    assert naive.status_code == 422


# --- the command line ------------------------------------------------------------------------------


def kaoping(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KAOPING_DATABASE_URL": f"sqlite:///{database}", "COLUMNS": "160"}
    command = [sys.executable, "-m", "kaoping", "case", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)


def test_the_command_line_moves_lists_and_shows_a_case_and_refuses_an_illegal_action(
    database: Path, client: TestClient
) -> None:
    refused = kaoping(database, "act", "3", "立案", "--actor", "1", "--at", "2025-10-09T09:10")
    assert refused.returncode == 1
    assert "不能执行「立案」; 可执行: 处置反馈、申请回退、申请延期、申请挂账、督办、作废" in refused.stderr
    moved = kaoping(
        database, "act", "3", "申请挂账", "--actor", "1", "--reason", "等待材料", "--at", "2025-10-09T09:10"
    )
    assert moved.returncode == 0, moved.stderr
    assert "处置中 → 挂账待审批" in moved.stdout
    listed = json.loads(
        kaoping(database, "list", "--unit", "370102001", "--at", "2025-10-09T09:20", "--json").stdout
    )
    assert [(c["id"], c["status"], (c["timer"] or {}).get("light")) for c in listed["cases"]] == [
        (3, "hold_pending", "yellow"),
        (2, "reported", None),
    ]
    table = kaoping(database, "list", "--unit", "370102001", "--at", "2025-10-09T09:20")
    assert "黄灯" in table.stdout
    assert "未派遣" in table.stdout
    shown = json.loads(kaoping(database, "show", "3", "--json").stdout)
    assert [h["action"] for h in shown["history"]] == ["accept", "file", "dispatch", "request_hold"]
    assert shown["history"][-1]["reason"] == "等待材料"
    assert "申请挂账" in kaoping(database, "show", "3").stdout
    assert CaseId(3) == shown["id"]
