"""Photos of a problem import: the file names a row gives (its 照片 column), found in the zip of
photos that came with the sheet, kept the way single intake keeps them (``keep_photo``: a file
named by its content, a thumbnail, the EXIF time and place) and linked to the row's problem.

A row naming a file the zip lacks is refused when the rows are checked; a row whose file is not a
photo is refused when its photos are kept, which happens only for rows about to be stored (a row
imported before keeps nothing again). Files kept for an import that then fails are removed by the
caller, unless a stored problem refers to the same file.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

import numpy as np

from kaoping.db.types import utc_text
from kaoping.io.photo_zips import PhotoZip, member_name, split_photo_names
from kaoping.io.photos import PhotoError, keep_photo
from kaoping.io.problem_sheets import ProblemSheet
from kaoping.services.ports import PhotoRecord
from kaoping.wiring.problem_batch import IntArray, ProblemBatch

ZIP_SUFFIX = ".zip"
ERROR_SHEET_STEM = ".errors"  # the error sheet a user fixes and imports again names no zip of its own


@dataclass
class RowPhotos:
    """The zip members each row that names photos names, and what was kept of them."""

    archive: PhotoZip | None
    members: dict[int, tuple[zipfile.ZipInfo, ...]]  # row → its photos
    kept: dict[int, list[PhotoRecord]] = field(default_factory=dict)  # row → its photos
    written: list[PhotoRecord] = field(default_factory=list)  # files this import wrote

    @property
    def count(self) -> int:
        return sum(len(records) for records in self.kept.values())


def find_photo_zip(sheet: Path, given: Path | None) -> Path | None:
    """The zip of photos: the one given, else one with the sheet's name next to it (测评问题.xlsx →
    测评问题.zip; an error sheet 测评问题.errors.xlsx also finds 测评问题.zip)."""
    if given is not None:
        return given
    stem = sheet.stem
    candidates = [stem, stem.removesuffix(ERROR_SHEET_STEM)]
    for name in dict.fromkeys(candidates):
        for suffix in (ZIP_SUFFIX, ZIP_SUFFIX.upper()):
            path = sheet.with_name(name + suffix)
            if path.is_file():
                return path
    return None


def name_photos(sheet: ProblemSheet, batch: ProblemBatch, archive: PhotoZip | None) -> RowPhotos:
    """Each row's photos found in ``archive``; a row naming one it lacks (or with no zip at all) is
    refused."""
    members: dict[int, tuple[zipfile.ZipInfo, ...]] = {}
    cells = sheet.column("photos")
    typed = cells.to_list()
    for i in np.flatnonzero(cells.is_not_null().to_numpy()).tolist():
        found: list[zipfile.ZipInfo] = []
        for name in split_photo_names(typed[i]):
            answer = archive.find(name) if archive is not None else _no_zip(sheet.path, name)
            if isinstance(answer, str):
                batch.refuse([i], answer)
            elif answer not in found:
                found.append(answer)
        if found:
            members[i] = tuple(found)
    return RowPhotos(archive, members)


def _no_zip(sheet: Path, name: str) -> str:
    return (
        f"表中列出了照片 {name!r}, 但未找到照片压缩包 {sheet.stem}{ZIP_SUFFIX} "
        f"(请把照片压缩包放在表格旁, 或用 --photos 指定)"
    )


def keep_row_photos(
    photos: RowPhotos, batch: ProblemBatch, rows: IntArray, folder: Path | None, tz: tzinfo, at: datetime
) -> IntArray:
    """Keep the photos of ``rows`` in ``folder``; rows with a file that is not a photo are refused
    and left out of the rows returned. A file several rows name is read and kept once."""
    if photos.archive is None or not photos.members:
        return rows
    if folder is None:
        raise PhotoError(photos.archive.path.name, "无处保存: 未设置照片目录 (KAOPING_PHOTO_DIR)")
    done: dict[str, PhotoRecord | str] = {}
    keep = np.ones(rows.size, dtype=bool)
    for k, i in enumerate(rows.tolist()):
        records = []
        for info in photos.members.get(i, ()):
            if info.filename not in done:
                done[info.filename] = _keep(photos, info, folder, tz, at)
            answer = done[info.filename]
            if isinstance(answer, str):
                batch.refuse([i], answer)
                keep[k] = False
                break
            records.append(answer)
        else:
            if records:
                photos.kept[i] = records
    return rows[keep]


def _keep(
    photos: RowPhotos, info: zipfile.ZipInfo, folder: Path, tz: tzinfo, at: datetime
) -> PhotoRecord | str:
    assert photos.archive is not None
    try:
        name = member_name(info).rsplit("/", 1)[-1]
        record = keep_photo(folder, photos.archive.read(info), name, tz, at)
    except PhotoError as err:
        return f"照片 {err.filename} {err.reason}"
    photos.written.append(record)
    return record


def photo_rows(photos: RowPhotos, rows: IntArray, first_id: int) -> list[tuple[object, ...]]:
    """``problem_photo`` rows (``kaoping.db.problem_import.PHOTO_COLUMNS``) of the stored ``rows``,
    whose problems take ids from ``first_id`` in their order."""
    out: list[tuple[object, ...]] = []
    with_photos = np.flatnonzero(np.isin(rows, list(photos.kept)))
    for k, i in zip(with_photos.tolist(), rows[with_photos].tolist(), strict=True):
        for p in photos.kept[i]:
            taken = None if p.taken_at is None else utc_text(p.taken_at)
            out.append(
                (first_id + k, p.path, p.thumbnail_path, p.content_type, p.size_bytes, p.width, p.height,
                 taken, p.lon, p.lat)
            )  # fmt: skip
    return out
