"""Zips of photos as people make them: names typed every way in the sheet, sub-folders, Windows
zips with GBK names, Finder's extra files, and zips that are damaged, encrypted or bombs."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from kaoping.io.photo_zips import PhotoZip, PhotoZipError, member_name, split_photo_names
from kaoping.io.photos import MAX_BYTES, PhotoError


class GbkInfo(zipfile.ZipInfo):
    """A member named the way zip tools on Chinese Windows name it: GBK bytes, no UTF-8 flag."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def make_zip(path: Path, members: dict[str, bytes], gbk: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name in gbk:
            archive.writestr(GbkInfo(name), b"gbk")
    return path


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        (None, ()),
        ("", ()),
        ("a.jpg", ("a.jpg",)),
        ("a.jpg; b.jpg；c.jpg", ("a.jpg", "b.jpg", "c.jpg")),
        ("a.jpg, b.jpg，c.jpg、d.jpg", ("a.jpg", "b.jpg", "c.jpg", "d.jpg")),
        ("a.jpg\nb.jpg\r\n a.jpg ", ("a.jpg", "b.jpg")),
    ],
)
def test_a_photo_cell_is_split_on_every_separator_people_type(
    cell: str | None, names: tuple[str, ...]
) -> None:
    assert split_photo_names(cell) == names


def test_members_are_found_by_base_name_in_any_folder_whatever_the_case(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "p.zip", {"现场/IMG_0001.JPG": b"1", "b.png": b"2", "深/层/c.jpeg": b"3"})
    with PhotoZip(path) as photos:
        for typed, member in [
            ("img_0001.jpg", "现场/IMG_0001.JPG"),
            ("B.PNG", "b.png"),
            ("c", "深/层/c.jpeg"),
        ]:
            found = photos.find(typed)
            assert isinstance(found, zipfile.ZipInfo)
            assert found.filename == member
        found = photos.find(r"D:\照片\现场\IMG_0001.jpg")  # a path typed in the sheet counts by its name
        assert isinstance(found, zipfile.ZipInfo)
        assert photos.find("d.jpg") == "照片 'd.jpg' 不在压缩包 p.zip 中"


def test_a_zip_made_on_chinese_windows_gives_its_gbk_names_back(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "p.zip", {}, gbk=("现场照片/井盖破损.jpg",))
    with PhotoZip(path) as photos:
        found = photos.find("井盖破损.jpg")
        assert isinstance(found, zipfile.ZipInfo)
        assert member_name(found) == "现场照片/井盖破损.jpg"
        assert photos.read(found) == b"gbk"


def test_folders_and_what_finder_adds_are_not_photos_and_a_name_twice_is_refused(tmp_path: Path) -> None:
    members = {"__MACOSX/._a.jpg": b"x", "._a.jpg": b"x", "a.jpg": b"a", "x/b.jpg": b"1", "y/b.jpg": b"2"}
    path = make_zip(tmp_path / "p.zip", members)
    with PhotoZip(path) as photos:
        found = photos.find("a.jpg")
        assert isinstance(found, zipfile.ZipInfo)
        assert photos.read(found) == b"a"
        assert photos.find("b.jpg") == (
            "照片 'b.jpg' 在压缩包 p.zip 中有多个同名文件 (x/b.jpg、y/b.jpg), 无法确定是哪一个"
        )


def test_a_member_bigger_than_single_intake_takes_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "p.zip", {"bomb.jpg": bytes(MAX_BYTES + 1)})
    with PhotoZip(path) as photos:
        found = photos.find("bomb.jpg")
        assert isinstance(found, zipfile.ZipInfo)
        with pytest.raises(PhotoError, match=re.escape("bomb.jpg 超过 20 MB")):
            photos.read(found)


def test_an_encrypted_member_is_refused_by_name(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "p.zip", {"secret.jpg": bytes(32)})
    raw = bytearray(path.read_bytes())
    # Mark it encrypted (flag bit 0) in its local and central headers, as a password-protected zip does.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        raw[raw.index(signature) + offset] |= 0x1
    path.write_bytes(bytes(raw))
    with PhotoZip(path) as photos:
        found = photos.find("secret.jpg")
        assert isinstance(found, zipfile.ZipInfo)
        with pytest.raises(PhotoError, match=re.escape("secret.jpg 在压缩包 p.zip 中已加密")):
            photos.read(found)


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04 truncated"])
def test_a_file_that_is_no_zip_is_refused_naming_it(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "检测问题.zip"
    path.write_bytes(content)
    with pytest.raises(PhotoZipError, match=re.escape("无法打开照片压缩包 检测问题.zip")):
        PhotoZip(path)


def test_a_zip_that_does_not_exist_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(PhotoZipError, match=r"照片压缩包不存在: .*没有.zip"):
        PhotoZip(tmp_path / "没有.zip")
