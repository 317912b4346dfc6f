"""Photos delivered with a problem sheet: a zip archive, read member by member.

Nothing is extracted by the member's path (a member named ``../../etc/cron.d/x`` goes nowhere): a
member is found by its base name, read into memory up to the size single intake accepts (read
with a cap, so a zip bomb stops at the cap whatever its header claims), and kept by
``kaoping.io.photos.keep_photo`` under a name made of its content.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
import zlib
from collections import defaultdict
from pathlib import Path
from types import TracebackType
from typing import Self

from kaoping.domain.errors import KaopingError
from kaoping.io.photos import MAX_BYTES, PhotoError

_SEPARATORS = re.compile(r"[;；,，、\r\n]+")
_UTF8_NAMES = 0x800  # general purpose flag: the member's name is UTF-8
_SKIPPED = ("__MACOSX/", ".DS_Store", "Thumbs.db")  # what Finder and Explorer add to a zip


class PhotoZipError(KaopingError):
    """A photo archive that cannot be opened at all: the import is refused before it starts."""


def split_photo_names(cell: str | None) -> tuple[str, ...]:
    """The file names a sheet's 照片 cell gives, separated by ; , 、 or line breaks (each once)."""
    if not cell:
        return ()
    names = (name.strip() for name in _SEPARATORS.split(cell))
    return tuple(dict.fromkeys(name for name in names if name))


class PhotoZip:
    """A zip of photos, its members found by base name (case-insensitive, in any sub-folder)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise PhotoZipError(f"照片压缩包不存在: {path}")
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as err:
            raise PhotoZipError(f"无法打开照片压缩包 {path.name}: {err}") from None
        self._by_name: dict[str, list[zipfile.ZipInfo]] = defaultdict(list)
        self._by_stem: dict[str, list[zipfile.ZipInfo]] = defaultdict(list)
        for info in self._zip.infolist():
            name = member_name(info)
            base = name.rsplit("/", 1)[-1]
            if info.is_dir() or not base or base.startswith("._") or any(s in name for s in _SKIPPED):
                continue
            self._by_name[_key(base)].append(info)
            self._by_stem[_key(base.rsplit(".", 1)[0])].append(info)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._zip.close()

    def find(self, name: str) -> zipfile.ZipInfo | str:
        """The member a sheet names (a path typed in the sheet counts by its base name; a name
        without an extension matches the one file of that stem), or why there is none (Chinese)."""
        base = name.replace("\\", "/").rsplit("/", 1)[-1]
        found = self._by_name.get(_key(base)) or ([] if "." in base else self._by_stem.get(_key(base), []))
        if not found:
            return f"照片 {name!r} 不在压缩包 {self.path.name} 中"
        if len(found) > 1:
            where = "、".join(member_name(info) for info in found[:3])
            return f"照片 {name!r} 在压缩包 {self.path.name} 中有多个同名文件 ({where}), 无法确定是哪一个"
        return found[0]

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """A member's bytes; ``PhotoError`` when it is too big, encrypted or damaged."""
        name = member_name(info).rsplit("/", 1)[-1]
        too_big = PhotoError(name, f"超过 {MAX_BYTES // 1024 // 1024} MB")
        if info.file_size > MAX_BYTES:
            raise too_big
        try:
            with self._zip.open(info) as member:
                data = member.read(MAX_BYTES + 1)  # the header may lie: stop at the cap regardless
        except RuntimeError:  # what zipfile raises for an encrypted member without a password
            raise PhotoError(name, f"在压缩包 {self.path.name} 中已加密, 无法读取") from None
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as err:
            raise PhotoError(name, f"在压缩包 {self.path.name} 中已损坏, 无法读取 ({err})") from None
        if len(data) > MAX_BYTES:
            raise too_big
        return data


def member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its maker wrote it: zips made on Chinese Windows store GBK names without
    the UTF-8 flag, which ``zipfile`` decodes as code page 437."""
    if info.flag_bits & _UTF8_NAMES:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _key(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().casefold()
