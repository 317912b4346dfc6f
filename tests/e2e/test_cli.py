"""The `kaoping` command as a user runs it: a real process, a real database file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kaoping.geo.crs import from_wgs84


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


def test_locate_names_the_grid_community_town_district_and_road_of_a_point(database: Path) -> None:
    result = kaoping("locate", "--lon", "117.0", "--lat", "36.66", "--json", database=database)
    assert result.returncode == 0, result.stderr
    place = json.loads(result.stdout)
    assert place["grid_code"].startswith(place["community_code"])
    assert place["community_code"].startswith(place["town_code"])
    assert place["town_code"].startswith(place["district_code"])
    assert place["district_name"].endswith(("区", "县"))
    assert place["road_distance_m"] is None or place["road_distance_m"] <= 50


def test_locate_converts_gcj02_and_bd09_to_the_same_place(database: Path) -> None:
    def grid_of(lon: str, lat: str, crs: str) -> str:
        result = kaoping("locate", "--lon", lon, "--lat", lat, "--crs", crs, "--json", database=database)
        assert result.returncode == 0, result.stderr
        return str(json.loads(result.stdout)["grid_code"])

    # The same WGS84 point 117.0034, 36.6621 as Amap (GCJ-02) and Baidu (BD-09) would give it.
    wgs = ("117.0034", "36.6621")
    gcj = [str(float(v[0])) for v in from_wgs84([117.0034], [36.6621], "gcj02")]
    bd = [str(float(v[0])) for v in from_wgs84([117.0034], [36.6621], "bd09")]
    assert grid_of(*wgs, "wgs84") == grid_of(*gcj, "gcj02") == grid_of(*bd, "bd09")


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
    case_id = result.stdout.split("案件编号 ")[1].split(":")[0]
    shown = json.loads(kaoping("case", "show", case_id, "--json", database=database).stdout)
    assert (shown["status"], shown["reported_at"]) == ("reported", "2026-03-05T01:30:00+00:00")


def test_a_report_during_national_day_is_due_after_the_holiday(database: Path) -> None:
    # 占道经营 has 2 working hours; found on 2 October 2025 (a holiday), the clock starts on the 9th.
    result = kaoping(
        "report",
        "--category",
        "占道经营",
        "--lon",
        "117.01",
        "--lat",
        "36.665",
        "--at",
        "2025-10-02T16:00",
        database=database,
    )
    assert result.returncode == 0, result.stderr
    assert "处置时限 2025-10-09 10:00" in " ".join(result.stdout.split())
