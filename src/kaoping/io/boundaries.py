"""Boundary and road files as a city delivers them: GeoJSON, Shapefile or GeoPackage, read with pyogrio.

Nothing here knows about coordinate systems or the database. A file becomes a ``SourceFile``: its
fields, the CRS it declares, and one ``SourceFeature`` per row with the properties and the geometry as
WKB exactly as read. Fields are named by the user (``--code-field adcode``); a dotted name such as
``parent.adcode`` reaches into a nested property, which is how DataV GeoAtlas files give the parent
code (GDAL reads the nested object as a JSON string).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyogrio.raw
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from kaoping.domain.errors import KaopingError
from kaoping.domain.organisation import RoadTier, UnitKind


class BoundaryFileError(KaopingError):
    """A boundary or road file that cannot be used as a whole: unreadable, or a mapped field missing."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"文件 {Path(path).name}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SourceFeature:
    """One row of the file: 1-based ``row`` (file order), the driver's ``fid``, properties, geometry."""

    row: int
    fid: int
    properties: Mapping[str, Any]
    wkb: bytes | None  # as read, in the file's own coordinates

    @property
    def label(self) -> str:
        """How messages name the feature: 第 3 行 (FID 2)."""
        return f"第 {self.row} 行 (FID {self.fid})"


@dataclass(frozen=True)
class SourceFile:
    path: Path
    layer: str
    fields: tuple[str, ...]
    declared_crs: str | None  # what the file says ("EPSG:4326"); GeoJSON always says WGS84, even for GCJ-02
    features: list[SourceFeature]


def read_source(path: Path, layer: str | None = None, encoding: str | None = None) -> SourceFile:
    """Read every feature of one layer; ``encoding`` overrides a Shapefile's (GBK files often lack a .cpg)."""
    if not path.exists():
        raise BoundaryFileError(path, "文件不存在")
    chosen = _layer(path, layer)
    try:
        meta, fids, wkbs, columns = pyogrio.raw.read(path, layer=chosen, encoding=encoding, return_fids=True)
    except (DataSourceError, DataLayerError, UnicodeDecodeError) as err:
        raise BoundaryFileError(path, f"无法读取: {err}") from None
    fields = tuple(str(f) for f in meta["fields"])
    values = [_python_values(column) for column in columns]
    features = [
        SourceFeature(
            row=i + 1,
            fid=int(fids[i]),
            properties={name: column[i] for name, column in zip(fields, values, strict=True)},
            wkb=None if wkbs is None or wkbs[i] is None else bytes(wkbs[i]),
        )
        for i in range(len(fids))
    ]
    return SourceFile(path, chosen, fields, meta.get("crs"), features)


def _layer(path: Path, layer: str | None) -> str:
    try:
        layers = [str(name) for name, _kind in pyogrio.list_layers(path)]
    except DataSourceError as err:
        raise BoundaryFileError(path, f"无法识别的文件格式: {err}") from None
    if layer is not None:
        if layer not in layers:
            raise BoundaryFileError(path, f"没有图层 {layer!r}; 现有图层: {', '.join(layers)}")
        return layer
    if len(layers) != 1:
        raise BoundaryFileError(path, f"文件有 {len(layers)} 个图层, 请用 --layer 指定: {', '.join(layers)}")
    return layers[0]


def _python_values(column: np.ndarray) -> list[Any]:
    """numpy scalars → Python values; list-valued properties (DataV's ``center``) → lists."""
    return [v.tolist() if isinstance(v, np.ndarray) else v for v in column.tolist()]


def projected_to_degrees(source: SourceFile) -> Transformer | None:
    """For a file in a projected CRS (surveyed layers come in a CGCS2000 Gauss-Krüger zone such as
    EPSG:4547), the transformer back to the longitudes/latitudes of its own datum; None for a file
    already in degrees. Datums other than CGCS2000 and WGS84 (Xi'an 80, Beijing 54) are refused:
    PROJ has no public parameters to convert them reliably."""
    declared = _declared(source)
    if declared is None or not declared.is_projected:
        return None
    datum = declared.geodetic_crs
    if datum is None or datum.to_epsg() not in (4490, 4326):
        name = datum.name if datum is not None else "未知基准"
        reason = f"坐标系 {source.declared_crs} 基于 {name}, 无法可靠转换; 请先转为 CGCS2000 或 WGS84 经纬度"
        raise BoundaryFileError(source.path, reason)
    return Transformer.from_crs(declared, datum, always_xy=True)


def original_crs(source: SourceFile, crs: str) -> str:
    """What the geometries as read are in: a projected CRS as declared (EPSG:4547), else ``crs``
    (the system the user said the degrees are in: GeoJSON always declares WGS84, even for GCJ-02)."""
    declared = _declared(source)
    epsg = declared.to_epsg() if declared is not None and declared.is_projected else None
    return f"EPSG:{epsg}" if epsg else crs


def _declared(source: SourceFile) -> CRS | None:
    try:
        return CRS.from_user_input(source.declared_crs) if source.declared_crs else None
    except CRSError:
        return None  # an unreadable .prj: the user's --crs says what the coordinates are


def require_fields(source: SourceFile, wanted: Mapping[str, str | None]) -> None:
    """Refuse the file when a mapped field is missing, naming it and the fields that exist.

    ``wanted`` maps the option (``--code-field``) to the field name given, or None when not given.
    """
    missing = [
        (option, name) for option, name in wanted.items() if name and not has_field(source.fields, name)
    ]
    if missing:
        named = "; ".join(f"{option} {name!r}" for option, name in missing)
        raise BoundaryFileError(source.path, f"没有字段 {named}; 文件中的字段: {', '.join(source.fields)}")


def has_field(fields: Sequence[str], name: str) -> bool:
    """A field exists, or the top of a dotted path does (``parent`` for ``parent.adcode``)."""
    return name in fields or ("." in name and name.split(".", 1)[0] in fields)


def field_value(properties: Mapping[str, Any], name: str) -> Any:
    """A property by name; ``a.b`` reads key ``b`` of property ``a`` (an object or its JSON text)."""
    if name in properties or "." not in name:
        return properties.get(name)
    value: Any = properties
    for key in name.split("."):
        if isinstance(value, str):
            value = _json_object(value)
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _json_object(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def as_code(value: Any) -> str | None:
    """A code as text: DataV gives ``adcode`` as an integer, a Shapefile may give 370102.0; blank → None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else str(value)
    text = str(value).strip()
    return text or None


def as_text(value: Any) -> str | None:
    """A name or label as stripped text; blank → None."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# --- codes, kinds and tiers as Chinese sources write them -------------------------------------------

TIER_NAMES: dict[str, RoadTier] = {
    **{tier.value: tier for tier in RoadTier},
    "市级": RoadTier.CITY,
    "市管": RoadTier.CITY,
    "区一级": RoadTier.DISTRICT_1,
    "区级": RoadTier.DISTRICT_1,
    "一级": RoadTier.DISTRICT_1,
    "区二级": RoadTier.DISTRICT_2,
    "二级": RoadTier.DISTRICT_2,
}


def as_tier(value: Any) -> RoadTier | None:
    """A road tier from its code (``district_1``) or its Chinese label (区一级); None if unknown."""
    text = as_text(value)
    return TIER_NAMES.get(text.lower()) if text else None


def normalise_code(code: str, digits: int) -> str:
    """A statistical division code padded to 12 digits (370102001000) cut back to the level's own
    ``digits`` (a town's 9), when what is cut is only zeros; anything else is returned unchanged."""
    if len(code) == 12 and digits < 12 and code.isdigit() and set(code[digits:]) == {"0"}:
        return code[:digits]
    return code


def guess_kind(level: str, code: str, name: str) -> UnitKind:
    """What a unit is called locally, from its name's ending and, failing that, its code.

    GB/T 10114 numbers 街道 001–099, 镇 100–199 and 乡 200–399 within a county, and within a town
    居委会 (社区) 001–199 and 村委会 200–399.
    """
    if level == "city":
        return UnitKind.CITY
    if level == "district":
        return _district_kind(name)
    if level == "town":
        return _town_kind(code, name)
    if name.endswith(("村", "村委会", "村民委员会", "嘎查")):
        return UnitKind.VILLAGE
    if name.endswith(("社区", "居委会", "居民委员会")):
        return UnitKind.COMMUNITY
    return UnitKind.VILLAGE if _segment(code, 9) in range(200, 400) else UnitKind.COMMUNITY


def _district_kind(name: str) -> UnitKind:
    if name.endswith(("县", "旗", "自治县", "自治旗")):
        return UnitKind.COUNTY
    if any(word in name for word in ("开发区", "新区", "高新区", "管委会", "功能区", "园区")):
        return UnitKind.ZONE
    return UnitKind.DISTRICT


def _town_kind(code: str, name: str) -> UnitKind:
    if name.endswith(("街道", "街道办事处", "办事处")):
        return UnitKind.STREET
    if name.endswith(("乡", "苏木", "民族乡")):
        return UnitKind.TOWNSHIP
    if name.endswith("镇"):
        return UnitKind.TOWN
    segment = _segment(code, 6)
    if segment in range(100, 200):
        return UnitKind.TOWN
    return UnitKind.TOWNSHIP if segment in range(200, 400) else UnitKind.STREET


def _segment(code: str, start: int) -> int:
    """The 3-digit part of a code starting at ``start``, or -1 when there is none."""
    part = code[start : start + 3]
    return int(part) if len(part) == 3 and part.isdigit() else -1
