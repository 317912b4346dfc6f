"""Photos delivered with a problem sheet: a zip of real JPEGs (with EXIF) and a PNG next to an XLSX,
names typed every way; kept like single intake keeps them, linked in the import's transaction, bad
files refused by row, nothing extracted by a member's path, and nothing left behind by a failed
import."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from sqlalchemy import Engine, func, select

from kaoping.db.tables import problem, problem_photo
from kaoping.domain.errors import KaopingError
from kaoping.io.photos import THUMBNAIL_PX
from kaoping.wiring.problem_import import ImportOptions, ImportResult, import_problem_sheet
from tests.integration.imports import TZ, grid_points, remove_imported

HEADERS = ["序号", "发现时间", "问题类别", "经度", "纬度", "问题来源", "问题描述", "照片"]
AT = datetime(2025, 10, 20, 9, 0, tzinfo=TZ)


def exif_jpeg(lon: float, lat: float, taken: str, colour: tuple[int, int, int]) -> bytes:
    """A JPEG whose EXIF says where (GPS, WGS84) and when (DateTimeOriginal) it was taken."""

    def dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        seconds = (value - degrees - minutes / 60) * 3600
        return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(round(seconds * 1e6), 1_000_000)

    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: dms(lat), 3: "E", 4: dms(lon)}
    exif[0x8769] = {36867: taken}
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), colour).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (20, 120, 60)).save(buffer, "PNG")
    return buffer.getvalue()


def write_sheet(path: Path, rows: list[list[Any]]) -> None:
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("检测问题")
        sheet.write_row(0, 0, HEADERS)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)


def write_zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("现场照片/"), b"")  # a directory entry, as zip tools write
        for name, data in members.items():
            archive.writestr(name, data)


@pytest.fixture
def clean(sheet_city: Engine) -> Iterator[Engine]:
    remove_imported(sheet_city)
    yield sheet_city
    remove_imported(sheet_city)


@pytest.fixture
def delivery(clean: Engine, tmp_path: Path) -> dict[str, Any]:
    """检测问题.xlsx and 检测问题.zip side by side: seven rows, five good, their photos in a sub-folder."""
    p = grid_points(clean, 7)
    photos = {
        "现场照片/img_0001.jpg": exif_jpeg(117.0213, 36.6612, "2025:09:03 09:12:30", (200, 80, 40)),
        "现场照片/A.jpg": exif_jpeg(117.03, 36.67, "2025:09:04 10:00:00", (40, 80, 200)),
        "b.png": png(),
        "现场照片/c.jpeg": exif_jpeg(117.04, 36.68, "2025:09:06 08:00:00", (90, 90, 90)),
        "notes.txt": "这不是照片".encode(),
    }
    rows: list[list[Any]] = [
        [1, "2025-09-03 09:10", "占道经营", p[0][1], p[0][2], "第三方测评", "照片一张", "IMG_0001.JPG"],
        [2, "2025-09-04 10:00", "暴露垃圾", p[1][1], p[1][2], "网格员上报", "两张照片", "a.jpg；b.png"],
        [3, "2025-09-05 11:00", "占道经营", p[2][1], p[2][2], "hotline", "共用照片", "A.JPG"],
        [4, "2025-09-05 12:00", "暴露垃圾", p[3][1], p[3][2], None, "没有照片", None],
        [5, "2025-09-06 08:00", "占道经营", p[4][1], p[4][2], "supervisor", "照片缺失", "a.jpg, missing.jpg"],
        [6, "2025-09-06 09:00", "暴露垃圾", p[5][1], p[5][2], "third_party", "不是图片", "notes.txt"],
        [7, "2025-09-06 10:00", "占道经营", p[6][1], p[6][2], "路长上报", "没写扩展名", "照片\\c"],
    ]
    sheet = tmp_path / "检测问题.xlsx"
    write_sheet(sheet, rows)
    write_zip(tmp_path / "检测问题.zip", photos)
    return {"sheet": sheet, "photos": photos, "folder": tmp_path / "photos"}


def run(engine: Engine, sheet: Path, folder: Path, **options: Any) -> ImportResult:
    return import_problem_sheet(
        engine, sheet, ImportOptions(crs="gcj02", tz=TZ, photo_dir=folder, **options), at=AT
    )


def photos_of(engine: Engine) -> dict[str, list[Any]]:
    """Stored photo rows by their problem's description."""
    query = (
        select(problem.c.description, problem_photo)
        .join(problem, problem.c.id == problem_photo.c.problem_id)
        .where(problem.c.source_key.is_not(None))
        .order_by(problem_photo.c.id)
    )
    found: dict[str, list[Any]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            found.setdefault(row.description, []).append(row)
    return found


def kept_files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def test_photos_in_the_zip_next_to_the_sheet_are_kept_with_thumbnails_and_their_exif(
    delivery: dict[str, Any], clean: Engine
) -> None:
    result = run(clean, delivery["sheet"], delivery["folder"])
    assert result.photo_zip == str(delivery["sheet"].with_suffix(".zip"))
    assert (result.imported, result.photos) == (5, 5)
    stored = photos_of(clean)
    assert {d: len(rows) for d, rows in stored.items()} == {
        "照片一张": 1, "两张照片": 2, "共用照片": 1, "没写扩展名": 1,
    }  # fmt: skip
    folder, originals = delivery["folder"], delivery["photos"]
    [first] = stored["照片一张"]
    assert (folder / first.path).read_bytes() == originals["现场照片/img_0001.jpg"]
    assert first.path.startswith("2025/10/")
    assert first.content_type == "image/jpeg"
    assert (first.width, first.height, first.size_bytes) == (
        1200,
        900,
        len(originals["现场照片/img_0001.jpg"]),
    )
    assert first.taken_at == datetime(2025, 9, 3, 9, 12, 30, tzinfo=TZ)
    assert abs(first.lon - 117.0213) < 1e-6
    assert abs(first.lat - 36.6612) < 1e-6
    with Image.open(folder / first.thumbnail_path) as thumbnail:
        assert max(thumbnail.size) == THUMBNAIL_PX
    jpeg, png_row = stored["两张照片"]
    assert (folder / png_row.path).read_bytes() == originals["b.png"]
    assert png_row.content_type == "image/png"
    assert png_row.taken_at is None
    # The same file named by two rows is kept once and linked to both.
    assert stored["共用照片"][0].path == jpeg.path
    assert (folder / stored["没写扩展名"][0].path).read_bytes() == originals["现场照片/c.jpeg"]


def test_a_row_naming_a_photo_the_zip_lacks_or_a_file_that_is_no_photo_is_a_bad_row(
    delivery: dict[str, Any], clean: Engine
) -> None:
    result = run(clean, delivery["sheet"], delivery["folder"])
    errors = {e.row: e.message for e in result.errors}
    assert errors.keys() == {6, 7}
    assert "照片 'missing.jpg' 不在压缩包 检测问题.zip 中" in errors[6]
    assert "照片 notes.txt 不是可识别的图片" in errors[7]
    assert result.error_sheet is not None
    import polars as pl

    back = pl.read_excel(result.error_sheet, infer_schema_length=0)
    assert back["照片"].to_list() == ["a.jpg, missing.jpg", "notes.txt"]
    assert "missing.jpg" in back["错误原因"][0]


def test_importing_the_sheet_and_its_photos_again_adds_nothing(
    delivery: dict[str, Any], clean: Engine
) -> None:
    run(clean, delivery["sheet"], delivery["folder"])
    files = {p: p.stat().st_mtime_ns for p in kept_files(delivery["folder"])}
    with clean.connect() as conn:
        before = conn.execute(select(func.count()).select_from(problem_photo)).scalar_one()
    again = run(clean, delivery["sheet"], delivery["folder"])
    assert (again.imported, again.photos, again.already_imported) == (0, 0, 5)
    with clean.connect() as conn:
        assert conn.execute(select(func.count()).select_from(problem_photo)).scalar_one() == before
    assert {p: p.stat().st_mtime_ns for p in kept_files(delivery["folder"])} == files


def test_a_zip_given_by_name_is_used_instead_of_one_next_to_the_sheet(
    delivery: dict[str, Any], clean: Engine, tmp_path: Path
) -> None:
    other = tmp_path / "elsewhere" / "照片.zip"
    other.parent.mkdir()
    delivery["sheet"].with_suffix(".zip").rename(other)
    result = run(clean, delivery["sheet"], delivery["folder"], photos=other)
    assert (result.photo_zip, result.photos) == (str(other), 5)


def test_without_a_zip_a_row_that_names_photos_is_refused_and_the_others_go_in(
    delivery: dict[str, Any], clean: Engine
) -> None:
    delivery["sheet"].with_suffix(".zip").unlink()
    result = run(clean, delivery["sheet"], delivery["folder"])
    assert result.imported == 1  # the row without photos
    assert all("未找到照片压缩包 检测问题.zip" in e.message for e in result.errors)


def test_a_zip_that_cannot_be_opened_is_refused_before_anything_is_stored(
    delivery: dict[str, Any], clean: Engine
) -> None:
    delivery["sheet"].with_suffix(".zip").write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(KaopingError, match=re.escape("无法打开照片压缩包 检测问题.zip")):
        run(clean, delivery["sheet"], delivery["folder"])
    with clean.connect() as conn:
        assert conn.execute(select(func.count()).where(problem.c.source_key.is_not(None))).scalar_one() == 0


def test_members_are_found_by_name_never_extracted_by_their_path_and_a_zip_bomb_stops_at_the_cap(
    clean: Engine, tmp_path: Path
) -> None:
    p = grid_points(clean, 2)
    sheet = tmp_path / "work" / "测评.xlsx"
    sheet.parent.mkdir()
    write_sheet(
        sheet,
        [
            [1, "2025-09-08 09:00", "占道经营", p[0][1], p[0][2], None, "路径穿越", "evil.jpg"],
            [2, "2025-09-08 10:00", "占道经营", p[1][1], p[1][2], None, "压缩炸弹", "bomb.jpg"],
        ],
    )
    with zipfile.ZipFile(sheet.with_suffix(".zip"), "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("../../evil.jpg", exif_jpeg(117.0, 36.6, "2025:09:08 09:00:00", (1, 2, 3)))
        archive.writestr("bomb.jpg", bytes(25 * 1024 * 1024))  # 25 MB of zeros, ~25 KB zipped
    folder = tmp_path / "work" / "photos"
    result = run(clean, sheet, folder)
    assert result.imported == 1
    [error] = result.errors
    assert error.row == 3
    assert "bomb.jpg 超过 20 MB" in error.message
    assert not list(tmp_path.rglob("evil.jpg"))
    [kept] = photos_of(clean)["路径穿越"]
    assert (folder / kept.path).resolve().is_relative_to(folder.resolve())


def test_a_failed_import_removes_the_photo_files_it_wrote_but_not_those_a_stored_problem_uses(
    delivery: dict[str, Any], clean: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, p = delivery["folder"], grid_points(clean, 8)
    first = tmp_path / "first.xlsx"
    write_sheet(
        first, [[1, "2025-09-09 09:00", "占道经营", p[7][1], p[7][2], None, "先导入", "IMG_0001.jpg"]]
    )
    run(clean, first, folder, photos=delivery["sheet"].with_suffix(".zip"))
    before = kept_files(folder)
    assert len(before) == 2  # the photo and its thumbnail

    def interrupted(conn: Any, rows: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("kaoping.db.problem_import.bulk_insert_photos", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(clean, delivery["sheet"], folder)
    assert kept_files(folder) == before
    assert list(photos_of(clean)) == ["先导入"]
