"""Photos sent with a report: checked to be images, kept in the photo folder with a thumbnail, and
read for the EXIF time and GPS position a phone camera writes.

Files are named by the hash of their content under ``YYYY/MM/`` of the day they arrived, so the same
photo sent twice is kept once; paths stored in the database are relative to the folder.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from datetime import datetime, tzinfo
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from kaoping.services.intake import IntakeError
from kaoping.services.ports import PhotoRecord

MAX_BYTES = 20 * 1024 * 1024
THUMBNAIL_PX = 320
FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
_GPS_IFD, _EXIF_IFD = 0x8825, 0x8769
_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL = 36867, 36881


class PhotoError(IntakeError):
    """A file that is not a photo Kaoping can keep."""

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename or '上传的文件'} {reason}", "photo")
        self.filename = filename
        self.reason = reason


def keep_photo(folder: Path, data: bytes, filename: str, tz: tzinfo, at: datetime) -> PhotoRecord:
    """Check ``data`` is a JPEG/PNG/WebP image, keep it and its thumbnail under ``folder``, and read
    its EXIF time (camera clock, in ``tz`` unless the photo says its offset) and GPS position."""
    if not data:
        raise PhotoError(filename, "是空文件")
    if len(data) > MAX_BYTES:
        raise PhotoError(filename, f"超过 {MAX_BYTES // 1024 // 1024} MB")
    image = _open(data, filename)
    content_type, suffix = FORMATS[str(image.format)]
    name = f"{at.astimezone(tz):%Y/%m}/{hashlib.sha256(data).hexdigest()[:24]}"
    path, thumb = f"{name}{suffix}", f"{name}.thumb.jpg"
    (folder / path).parent.mkdir(parents=True, exist_ok=True)
    (folder / path).write_bytes(data)
    _thumbnail(image).save(folder / thumb, "JPEG", quality=80)
    lon, lat = _gps(image)
    return PhotoRecord(
        path, thumb, content_type, len(data), image.width, image.height, _taken_at(image, tz), lon, lat
    )


def discard_photos(folder: Path, photos: list[PhotoRecord]) -> None:
    """Remove kept files of a report that was refused (a photo shared with a stored one is the same
    file: only files no problem refers to may be removed, so callers pass only new ones)."""
    for photo in photos:
        for relative in (photo.path, photo.thumbnail_path):
            (folder / relative).unlink(missing_ok=True)


def _open(data: bytes, filename: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # A few KB of JPEG can claim 30,000 × 30,000 pixels; Pillow only warns below twice its
            # limit, and decoding that takes gigabytes.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()  # decode now: a truncated or fake file fails here, not later
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(filename, f"像素过多 (超过 {Image.MAX_IMAGE_PIXELS:,} 像素), 不像是照片") from None
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise PhotoError(filename, "不是可识别的图片, 请上传 JPEG、PNG 或 WebP 格式的照片") from None
    if image.format not in FORMATS:
        raise PhotoError(filename, f"是 {image.format} 格式, 只接受 JPEG、PNG 或 WebP 格式的照片")
    return image


def _thumbnail(image: Image.Image) -> Image.Image:
    thumb = ImageOps.exif_transpose(image).convert("RGB")  # phones store portrait photos rotated
    thumb.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    return thumb


def _taken_at(image: Image.Image, tz: tzinfo) -> datetime | None:
    exif = image.getexif().get_ifd(_EXIF_IFD)
    raw, offset = exif.get(_DATETIME_ORIGINAL), exif.get(_OFFSET_TIME_ORIGINAL)
    if not isinstance(raw, str):
        return None
    text = raw.strip("\x00 ")
    zone = offset.strip("\x00 ") if isinstance(offset, str) else ""
    try:
        if zone:
            return datetime.strptime(text + zone, "%Y:%m:%d %H:%M:%S%z")
        return datetime.strptime(text, "%Y:%m:%d %H:%M:%S").replace(tzinfo=tz)
    except ValueError:
        return None  # a camera with a broken clock: the report's own time stands


def _gps(image: Image.Image) -> tuple[float | None, float | None]:
    gps = image.getexif().get_ifd(_GPS_IFD)
    try:
        lat = _degrees(gps[2], gps.get(1, "N"), "S")
        lon = _degrees(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None  # 0, 0 is what a phone writes before it has a fix
    return lon, lat


def _degrees(dms: object, ref: object, negative: str) -> float:
    degrees, minutes, seconds = (float(v) for v in dms)  # type: ignore[attr-defined]
    value = degrees + minutes / 60 + seconds / 3600
    return -value if str(ref).strip("\x00 ").upper() == negative else value
