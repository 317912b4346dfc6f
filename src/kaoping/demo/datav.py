"""The demo city written the way Aliyun DataV GeoAtlas publishes boundaries: a fixture of the kind a
real city starts from.

A DataV file (``370100_full.json``: the districts of 济南市) is a GeoJSON FeatureCollection in GCJ-02
(it is traced on Amap), minified, with every geometry a MultiPolygon, coordinates rounded to 6
decimals, and these properties per feature::

    {"adcode": 370102, "name": "历下区", "center": [117.038621, 36.664169],
     "centroid": [117.120013, 36.658547], "childrenNum": 0, "level": "district",
     "parent": {"adcode": 370100}, "subFeatureIndex": 0, "acroutes": [100000, 370000, 370100]}

``adcode`` is an integer, ``center`` is the seat of government (here a point inside the unit),
``childrenNum`` is 0 at district level because DataV stops there, and ``acroutes`` lists the codes
from the country down to the parent. DataV has no towns/streets; ``town`` files here use the same
shape (level ``"town"``, 9-digit adcodes), as derived datasets do. Kaoping cannot download real DataV
files in its test environment, so this module makes them from the synthetic city.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
import shapely
from shapely import MultiPolygon, Polygon
from shapely.geometry import mapping

from kaoping.demo.geography import ADMIN_PREFIX, DemoGeography, UnitSpec
from kaoping.domain.problems import CoordinateSystem
from kaoping.geo.crs import geometry_from_wgs84

Level = Literal["city", "district", "town"]
COUNTRY_ADCODE = 100000
PROVINCE_ADCODE = int(ADMIN_PREFIX[:2] + "0000")
DECIMALS = 6  # DataV's precision: 0.1 m


def datav_collection(
    geo: DemoGeography, level: Level = "district", crs: CoordinateSystem = CoordinateSystem.GCJ02
) -> dict[str, Any]:
    """The demo city's units of ``level`` as a DataV-style FeatureCollection (GCJ-02 by default)."""
    units = {"city": [geo.city], "district": geo.districts, "town": geo.towns}[level]
    routes = {u.code: _routes(u, geo) for u in units}
    features = [_feature(u, i, level, routes[u.code], crs) for i, u in enumerate(units)]
    return {"type": "FeatureCollection", "features": features}


def write_datav(
    geo: DemoGeography,
    path: Path,
    level: Level = "district",
    crs: CoordinateSystem = CoordinateSystem.GCJ02,
) -> Path:
    """Write ``datav_collection`` minified, as DataV serves it; returns ``path``."""
    text = json.dumps(datav_collection(geo, level, crs), ensure_ascii=False, separators=(",", ":"))
    path.write_text(text, encoding="utf-8")
    return path


def _feature(
    unit: UnitSpec, index: int, level: Level, routes: list[int], crs: CoordinateSystem
) -> dict[str, Any]:
    shape = _rounded(geometry_from_wgs84(unit.geometry, crs))
    properties = {
        "adcode": int(unit.code),
        "name": unit.name,
        "center": _xy(shapely.point_on_surface(shape)),
        "centroid": _xy(shapely.centroid(shape)),
        "childrenNum": 0,
        "level": level,
        "parent": {"adcode": routes[-1]},
        "subFeatureIndex": index,
        "acroutes": routes,
    }
    return {"type": "Feature", "properties": properties, "geometry": mapping(shape)}


def _routes(unit: UnitSpec, geo: DemoGeography) -> list[int]:
    """Codes from the country down to the unit's parent (DataV's ``acroutes``)."""
    routes = [COUNTRY_ADCODE, PROVINCE_ADCODE]
    if unit.level != "city":
        routes.append(int(geo.city.code))
    if unit.level == "town" and unit.parent_code:
        routes.append(int(unit.parent_code))
    return routes


def _rounded(geometry: Polygon | MultiPolygon) -> MultiPolygon:
    """Coordinates rounded to DataV's 6 decimals; always a MultiPolygon, as DataV writes them."""
    rounded = shapely.transform(geometry, lambda xy: np.round(xy, DECIMALS))
    return rounded if isinstance(rounded, MultiPolygon) else MultiPolygon([rounded])


def _xy(point: shapely.Point) -> list[float]:
    return [round(point.x, DECIMALS), round(point.y, DECIMALS)]
