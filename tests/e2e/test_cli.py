"""The `kaoping` command as a user runs it: a real process, a real database file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def kaoping(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KAOPING_DATABASE_URL": f"sqlite:///{database}", "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "kaoping", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "kaoping.db"
    result = kaoping("demo", "--size", "small", "--no-serve", database=path)
    assert result.returncode == 0, result.stderr
    assert "第一组" in result.stdout
    assert "2025年第4季度" in result.stdout
    return path


def test_the_demo_prints_what_it_built_and_the_ranking(database: Path) -> None:
    ranking = json.loads(kaoping("rank", "--json", database=database).stdout)
    assert ranking["period_code"] == "2025Q4"
    assert [g["group_name"] for g in ranking["groups"]] == ["第一组", "第二组"]


def test_rank_of_a_named_month_and_score_of_a_period(database: Path) -> None:
    assert "2025年3月" in kaoping("rank", "--period", "2025-03", database=database).stdout
    scored = kaoping("score", "--period", "2025Q2", database=database)
    assert scored.returncode == 0, scored.stderr
    assert "2025年第2季度" in scored.stdout


def test_locate_names_the_grid_of_a_point(database: Path) -> None:
    sample = json.loads(kaoping("rank", "--json", database=database).stdout)
    assert sample["groups"]
    result = kaoping("locate", "--lon", "117.0", "--lat", "36.66", "--json", database=database)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["grid_id"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("locate", "--lon", "100.0", "--lat", "20.0"), "不在任何单元网格内"),
        (("locate", "--lon", "117.0", "--lat", "北纬36度"), "纬度 '北纬36度' 不是数字"),
        (("report", "--category", "外星人入侵", "--lon", "117.0", "--lat", "36.66"), "未知的问题类别"),
        (("rank", "--period", "2025Q5"), "考评周期 '2025Q5' 无效"),
        (("rank", "--period", "2019Q1"), "未找到"),
    ],
)
def test_bad_input_is_refused_in_chinese_without_a_traceback(
    database: Path, args: tuple[str, ...], message: str
) -> None:
    result = kaoping(*args, database=database)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_report_accepts_a_problem_from_a_grid_worker(database: Path) -> None:
    result = kaoping(
        "report",
        "--category",
        "占道经营",
        "--lon",
        "117.0",
        "--lat",
        "36.66",
        "--at",
        "2026-03-05T09:30",
        database=database,
    )
    assert result.returncode == 0, result.stderr
    assert "已受理" in result.stdout
