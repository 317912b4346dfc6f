"""`kaoping scheme check` and `kaoping scheme list` as a user runs them: a real process, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

SHIPPED = Path(str(files("kaoping") / "data" / "schemes"))


def kaoping(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "kaoping", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_checking_the_city_scheme_prints_its_components_and_groups() -> None:
    result = kaoping("scheme", "check", str(SHIPPED / "jinan-city-quarterly.yaml"))
    assert result.returncode == 0, result.stderr
    assert "方案有效 jinan-city-quarterly" in result.stdout
    assert "自 2021-01-01 起生效, 季度考评, 基础分 1000" in result.stdout
    for line in ("部门考评", "社会评价", "第三方测评", "第一组", "第二组"):
        assert line in result.stdout


def test_the_json_summary_counts_members_and_items_per_group() -> None:
    result = kaoping("scheme", "check", str(SHIPPED / "district-monthly.yaml"), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)["scheme"]
    assert summary["period"] == "month"
    assert [c["max_points"] for c in summary["components"]] == ["30", "50", "20"]
    assert {g["code"]: (g["members"], g["items"]) for g in summary["groups"]} == {
        "towns": (14, 12),
        "departments": (3, 10),
    }


def test_a_broken_file_lists_every_error_and_exits_with_one(tmp_path: Path) -> None:
    text = (SHIPPED / "jinan-city-quarterly.yaml").read_text(encoding="utf-8")
    text = text.replace('      noise: "9"\n', '      nosie: "9"\n', 1)
    text = text.replace('  third_party: "1"\n', '  third_part: "1"\n', 1)
    broken = tmp_path / "jinan.yaml"
    broken.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    nosie = next(n for n, line in enumerate(lines, start=1) if "nosie" in line)
    result = kaoping("scheme", "check", str(broken))
    assert result.returncode == 1
    assert (
        f"方案文件 jinan.yaml 第 {nosie} 行 groups[0].maxima.nosie: 考评项目 nosie 不存在, 是否应为 'noise'?"
        in result.stderr
    )
    assert "deductions.channel_weights.third_part: 未知的来源 'third_part'" in result.stderr
    assert "考评项目 noise 不在任何组中" in result.stderr
    assert "方案文件有 3 处错误" in result.stderr


def test_json_errors_carry_the_line_and_the_path(tmp_path: Path) -> None:
    broken = tmp_path / "bad.yaml"
    broken.write_text("code: x\nname: 测试\nversoin: '1'\n", encoding="utf-8")
    result = kaoping("scheme", "check", str(broken), "--json")
    assert result.returncode == 1
    errors = {error["path"]: error for error in json.loads(result.stdout)["errors"]}
    assert (errors["versoin"]["file"], errors["versoin"]["line"]) == ("bad.yaml", 3)
    assert "是否应为 'version'?" in errors["versoin"]["reason"]
    assert errors["version"]["reason"] == "缺少此字段"
    assert errors["base_points"]["message"] == "方案文件 bad.yaml 第 1 行 base_points: 缺少此字段"


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    result = kaoping("scheme", "check", str(tmp_path / "none.yaml"))
    assert result.returncode == 1
    assert "文件不存在" in result.stderr
    assert "Traceback" not in result.stderr


def test_list_shows_the_shipped_schemes_and_the_version_in_force(tmp_path: Path) -> None:
    newer = (SHIPPED / "district-monthly.yaml").read_text(encoding="utf-8")
    newer = newer.replace('version: "2021.1"', 'version: "2025.1"').replace(
        "effective_from: 2021-01-01", "effective_from: 2025-01-01"
    )
    (tmp_path / "district-2025.yaml").write_text(newer, encoding="utf-8")
    result = kaoping("scheme", "list", "--folder", str(tmp_path), "--on", "2025-03-01", "--json")
    assert result.returncode == 0, result.stderr
    rows = {(r["code"], r["version"]): r for r in json.loads(result.stdout)["schemes"]}
    assert rows[("district-monthly", "2025.1")]["in_force"]
    assert not rows[("district-monthly", "2021.1")]["in_force"]
    assert rows[("jinan-city-quarterly", "2021.1")]["in_force"]
    assert rows[("district-monthly", "2021.1")]["source"] == "随附"
    before = json.loads(kaoping("scheme", "list", "--on", "2020-12-31", "--json").stdout)
    assert not any(r["in_force"] for r in before["schemes"])
