"""A local metric projection: transverse Mercator centred on the city.

Areas, lengths and distances are always computed here, never in degrees. With k = 1 at the central
meridian the scale error is x² / 2R²: under 0.001 % within 30 km of the centre and 0.003 % at 50 km,
far below what a GPS fix or a surveyed boundary can tell apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer

FloatArray = NDArray[np.float64]
G = TypeVar("G")


@dataclass(frozen=True)
class LocalProjection:
    """WGS84 longitude/latitude ⇄ metres east/north of (``lon0``, ``lat0``)."""

    lon0: float
    lat0: float
    _forward: Transformer = field(init=False, repr=False, compare=False)
    _inverse: Transformer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # numpy scalars would print as "np.float64(…)" in the PROJ string below.
        object.__setattr__(self, "lon0", float(self.lon0))
        object.__setattr__(self, "lat0", float(self.lat0))
        if not (math.isfinite(self.lon0) and math.isfinite(self.lat0)):
            raise ValueError(f"projection centre must be finite, got ({self.lon0}, {self.lat0})")
        if not (-180.0 <= self.lon0 <= 180.0 and -85.0 <= self.lat0 <= 85.0):
            raise ValueError(f"projection centre out of range: ({self.lon0}, {self.lat0})")
        local = CRS.from_proj4(
            f"+proj=tmerc +lat_0={self.lat0!r} +lon_0={self.lon0!r} +k=1 +x_0=0 +y_0=0 "
            "+ellps=WGS84 +towgs84=0,0,0 +units=m +no_defs"
        )
        wgs84 = CRS.from_epsg(4326)
        # always_xy: (lon, lat) in and out, whatever axis order EPSG:4326 declares.
        object.__setattr__(self, "_forward", Transformer.from_crs(wgs84, local, always_xy=True))
        object.__setattr__(self, "_inverse", Transformer.from_crs(local, wgs84, always_xy=True))

    def to_metric(self, lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Project longitudes/latitudes (degrees) to x/y metres; inf where the projection is undefined."""
        x, y = self._forward.transform(_floats(lon), _floats(lat))
        return _floats(x), _floats(y)

    def to_wgs84(self, x: ArrayLike, y: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Unproject x/y metres back to longitudes/latitudes (degrees)."""
        lon, lat = self._inverse.transform(_floats(x), _floats(y))
        return _floats(lon), _floats(lat)

    def geometry_to_metric(self, geom: G) -> G:
        """Project a shapely geometry, or a numpy array of them, to metres."""
        return shapely.transform(geom, self._coords_to_metric)  # type: ignore[no-any-return]

    def geometry_to_wgs84(self, geom: G) -> G:
        """Unproject a shapely geometry, or a numpy array of them, to WGS84 degrees."""
        return shapely.transform(geom, self._coords_to_wgs84)  # type: ignore[no-any-return]

    def _coords_to_metric(self, coords: FloatArray) -> FloatArray:
        return np.column_stack(self.to_metric(coords[:, 0], coords[:, 1]))

    def _coords_to_wgs84(self, coords: FloatArray) -> FloatArray:
        return np.column_stack(self.to_wgs84(coords[:, 0], coords[:, 1]))


def _floats(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)
