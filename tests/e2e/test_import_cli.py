"""`kaoping import problems` as a user runs it: a real process, a sheet with a zip of photos beside
it, the summary table and --json telling what was opened."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from PIL import Image


def kaoping(*args: str, database: Path, photos: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KAOPING_DATABASE_URL": f"sqlite:///{database}",
        "KAOPING_PHOTO_DIR": str(photos),
        "COLUMNS": "120",
    }
    return subprocess.run(
        [sys.executable, "-m", "kaoping", *args],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small demo city's database, and the photo folder."""
    folder = tmp_path_factory.mktemp("import-cli")
    database, photos = folder / "kaoping.db", folder / "photos"
    result = kaoping("demo", "--size", "small", "--no-serve", database=database, photos=photos)
    assert result.returncode == 0, result.stderr
    return database, photos


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (180, 60, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


HEADERS = ["发现时间", "问题类别", "经度", "纬度", "问题来源", "照片"]
EARLY_SEPTEMBER = [
    ["2025-09-03 09:30", "占道经营", 117.0, 36.66, "第三方测评", "现场1.JPG"],
    ["2025-09-04 10:00", "暴露垃圾", 117.01, 36.665, "网格员上报", ""],
]


def write_delivery(sheet: Path, rows: list[list[object]], zip_name: str | None = None) -> Path:
    """The sheet, and beside it a zip (named like the sheet unless told) holding 照片/现场1.jpg."""
    with xlsxwriter.Workbook(str(sheet)) as book:
        page = book.add_worksheet()
        for r, row in enumerate([HEADERS, *rows]):
            page.write_row(r, 0, row)
    with zipfile.ZipFile(sheet.with_name(zip_name or f"{sheet.stem}.zip"), "w") as archive:
        archive.writestr("照片/现场1.jpg", jpeg())
    return sheet


def test_an_import_with_a_zip_beside_the_sheet_says_what_it_opened_and_again_adds_nothing(
    city: tuple[Path, Path], tmp_path: Path
) -> None:
    database, photos = city
    sheet = write_delivery(tmp_path / "检测问题.xlsx", EARLY_SEPTEMBER)
    first = kaoping("import", "problems", str(sheet), database=database, photos=photos)
    assert first.returncode == 0, first.stderr
    for line in ("新导入", "新立案件", "新登记测评问题", "照片"):
        assert line in first.stdout
    assert f"照片取自 {sheet.with_suffix('.zip')}" in first.stdout.replace("\n", "")
    assert len([p for p in photos.rglob("*.jpg") if ".thumb" not in p.name]) == 1
    again = kaoping("import", "problems", str(sheet), "--json", database=database, photos=photos)
    assert again.returncode == 0, again.stderr
    body = json.loads(again.stdout)
    assert (body["imported"], body["already_imported"]) == (0, 2)
    assert (body["cases"], body["findings"], body["photos"]) == (0, 0, 0)


def test_json_counts_the_cases_findings_and_photos_of_a_zip_given_by_name(
    city: tuple[Path, Path], tmp_path: Path
) -> None:
    database, photos = city
    rows = [
        ["2025-09-05 09:30", "占道经营", 117.0, 36.66, "third_party", "现场1.jpg"],
        ["2025-09-05 10:00", "暴露垃圾", 117.01, 36.665, "hotline", "现场1.jpg"],
    ]
    sheet = write_delivery(tmp_path / "九月.xlsx", rows, zip_name="photos-september.zip")
    given = tmp_path / "photos-september.zip"
    result = kaoping(
        "import", "problems", str(sheet), "--photos", str(given), "--json", database=database, photos=photos
    )
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert (body["imported"], body["cases"], body["findings"], body["photos"]) == (2, 1, 1, 2)
    assert body["photo_zip"] == str(given)


def test_a_zip_that_cannot_be_opened_is_refused_in_chinese_without_a_traceback(
    city: tuple[Path, Path], tmp_path: Path
) -> None:
    database, photos = city
    sheet = write_delivery(tmp_path / "检测问题.xlsx", EARLY_SEPTEMBER)
    sheet.with_suffix(".zip").write_bytes(b"not a zip")
    result = kaoping("import", "problems", str(sheet), database=database, photos=photos)
    assert result.returncode == 1
    assert "无法打开照片压缩包 检测问题.zip" in result.stderr
    assert "Traceback" not in result.stderr
