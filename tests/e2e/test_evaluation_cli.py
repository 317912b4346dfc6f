"""`kaoping evaluate`, `publish`, `revisions`, `explain`, `manual` and `adjustment` as a user runs
them: a real process on the small demo city, under the test scheme written for it (tests/schemes).

One walk through a quarter, in order: scored, scored again (no revision), a late third-party report
(a new revision naming the unit and the item), the lifecycle to publication with an illegal step
refused, a recomputation after publication (needs a reason, waits at 终评), and the explanation
listing the late problem behind its line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kaoping.db.engine import make_engine
from kaoping.db.tables import admin_unit, problem

SCHEMES = str(Path(__file__).parents[1] / "schemes")
SCHEME = ("--scheme", "small-city-quarterly")
Q3 = ("--period", "2025Q3", *SCHEME)


def kaoping(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KAOPING_DATABASE_URL": f"sqlite:///{database}", "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "kaoping", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def ok(*args: str, database: Path) -> str:
    result = kaoping(*args, database=database)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def refused(*args: str, database: Path) -> str:
    result = kaoping(*args, database=database)
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    return " ".join(result.stderr.split())  # rich wraps long messages


def as_json(*args: str, database: Path) -> Any:
    return json.loads(ok(*args, "--json", database=database))


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("evaluate") / "kaoping.db"
    ok("demo", "--size", "small", "--no-serve", database=path)
    return path


def a_point_in(database: Path, district: str) -> tuple[str, str]:
    """Where a stored problem of the district lies (so a new report there is located in it)."""
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        towns = select(admin_unit.c.id).where(
            admin_unit.c.code.like(f"{district}%"), admin_unit.c.level == "town"
        )
        lon, lat = conn.execute(
            select(problem.c.lon, problem.c.lat).where(problem.c.town_id.in_(towns)).limit(1)
        ).one()
    engine.dispose()
    return str(lon), str(lat)


def test_a_quarter_from_scoring_to_publication_and_an_explained_recomputation(database: Path) -> None:
    first = ok("evaluate", *Q3, "--schemes", SCHEMES, database=database)
    assert "2025年第3季度 区县考评 (方案 small-city-quarterly 2025.1) 修订 #1 · 计分中" in first
    assert "第一组 (group1)" in first
    assert "市中区" in first
    assert "临溪县 (只排名)" in first
    assert "数据与方案均未变化, 未生成新修订 (仍为修订 #1)" in ok(
        "evaluate", *Q3, "--schemes", SCHEMES, database=database
    )

    lon, lat = a_point_in(database, "379901")
    report = ("report", "--category", "E0102", "--channel", "third_party", "--lon", lon, "--lat", lat)
    late = ok(*report, "--at", "2025-08-20T10:00", database=database)
    late_id = int(late.split("问题编号 ")[1].split(":")[0])
    second = as_json("evaluate", *Q3, "--schemes", SCHEMES, database=database)
    assert second["is_new"]
    assert second["revision"]["number"] == 2
    [change] = second["changes"]
    assert (change["unit"], change["name"], change["group"]) == ("379901", "市中区", "group1")
    assert [i["item"] for i in change["items"]] == ["garbage_collection"]

    message = refused("publish", *Q3, "--to", "published", database=database)
    assert "当前状态为「计分中」, 不能执行「正式公布」; 可执行: 公示初评、重新计算" in message
    ok("publish", *Q3, "--at", "2025-10-08T09:00", database=database)
    appeal = ok("publish", *Q3, "--appeal-until", "2025-10-15", "--at", "2025-10-08T10:00", database=database)
    assert "初评公示 → 申诉期 (修订 #2), 申诉截止 2025-10-15" in appeal
    ok("publish", *Q3, "--to", "终评", "--at", "2025-10-16T09:00", database=database)
    assert "终评 → 已公布 (修订 #2)" in ok("publish", *Q3, "--at", "2025-10-16T10:00", database=database)

    dept_review = ("--unit", "379902", "--item", "dept_review", "--points", "17", "--by", "市城管局")
    ok("manual", "set", *Q3, *dept_review, "--schemes", SCHEMES, database=database)
    third = ok("evaluate", *Q3, "--schemes", SCHEMES, "--reason", "补录部门考评", database=database)
    assert "已生成修订 #3, 理由: 补录部门考评" in third
    assert "需再次公布" in third
    listed = as_json("revisions", *Q3, database=database)
    assert [(r["number"], r["status"]) for r in listed["revisions"]] == [
        (1, "open"),
        (2, "published"),
        (3, "final"),
    ]
    assert listed["status"] == "final"
    assert [(s["to_status"], s["revision"]) for s in listed["steps"]] == [
        ("preliminary", 2), ("appeal", 2), ("final", 2), ("published", 2), ("final", 3),
    ]  # fmt: skip
    assert "部门考评 0.00 → 17.00" in ok("revisions", *Q3, "--diff", "2", "3", database=database)

    explained = as_json("explain", *Q3, "--unit", "379901", "--item", "garbage_collection", "--limit", "500",
                        database=database)  # fmt: skip
    behind = [p["id"] for line in explained["lines"] for p in line.get("problems", {}).get("shown", [])]
    assert late_id in behind
    assert sum(line["count"] for line in explained["lines"] if line["kind"] == "problems") == len(behind)
    text = ok(
        "explain", *Q3, "--unit", "379901", "--item", "garbage_collection", "--limit", "2", database=database
    )
    assert "生活垃圾收集 (garbage_collection)" in text
    assert "8月 第三方测评 E0102 暴露垃圾" in text


def test_entries_are_checked_against_the_scheme_in_chinese(database: Path) -> None:
    entry = ("--period", "2025Q4", *SCHEME, "--unit", "379903", "--schemes", SCHEMES)
    assert "不是数字" in refused(
        "manual", "set", *entry, "--item", "dept_review", "--points", "十八", database=database
    )
    wrong = refused(
        "adjustment", "add", *entry, "--adjustment", "publicity", "--tier", "national", database=database
    )
    assert "没有级别 'national' 的分值 (可选: provincial、city)" in wrong
    publicity = ("--adjustment", "publicity", "--tier", "provincial", "--count", "2")
    added = ok("adjustment", "add", *entry, *publicity, database=database)
    event_id = added.split("已记录事件 ")[1].split(":")[0]
    events = as_json(
        "adjustment", "list", "--period", "2025Q4", *SCHEME, "--schemes", SCHEMES, database=database
    )
    assert [(e["id"], e["adjustment"], e["tier"], e["count"]) for e in events] == [
        (int(event_id), "publicity", "provincial", 2)
    ]


def test_a_period_never_scored_or_a_scheme_that_does_not_fit_is_refused(database: Path) -> None:
    assert "未找到考评结果: 2019Q1 (请先运行 kaoping evaluate)" in refused(
        "ranking", "--period", "2019Q1", database=database
    )
    assert "按季度考评, 不能计算 2025年7月" in refused(
        "evaluate", "--period", "2025-07", *SCHEME, "--schemes", SCHEMES, database=database
    )
