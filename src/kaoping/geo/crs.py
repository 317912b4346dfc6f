"""Coordinate systems in and out: WGS84, GCJ-02 (Amap, Tencent), BD-09 (Baidu) and CGCS2000.

Kaoping stores and computes in WGS84. Coordinates in another system are converted on the way in
(``to_wgs84``) and, for a user who wants them on their own map, on the way out (``from_wgs84``);
callers keep the original coordinates and their system next to the converted ones.

Why the formulas are written here. GCJ-02 and BD-09 are not in PROJ. geocoordinates-rs is the
maintained library for them, but it converts one point per FFI call, about 19 µs a point: 19 s for a
1M-row import, 5 s for 250k boundary vertices. The forward GCJ-02 offset (the published,
public-domain polynomial plus sinusoids, scaled on the Krasovsky 1940 ellipsoid) and the BD-09 polar
nudge are a few dozen float operations, so this module writes them once as numpy array code. The
inverses have no closed form. They use the library's fixed-point iteration
(x ← x + target − forward(x)) and stop, point by point, once a step is under 1e-9°. That is about
0.1 mm, well inside the 1e-7° (1 cm) the import needs, and it takes 3 to 4 rounds because the offset
changes slowly.

How it is kept honest. tests/unit/test_crs.py converts 10,000 random points across China, in every
direction, both here and with geocoordinates-rs. The library is a dev dependency and the oracle; it
is never imported at run time. The test asserts that forward results agree to 1e-9° and inverse
results to 1e-6°. The out-of-China rule is the library's, and the test checks it at the box edges
and in Tokyo and Beijing. A GCJ-02 point outside the standard bounding box (lon 72.004–137.8347,
lat 0.8293–55.8271) is left unshifted. The BD-09 nudge has no such gate, the same as in the library.

CGCS2000. Its geographic coordinates are treated as WGS84 unchanged. Both are realisations of the
ITRF: the ellipsoids (GRS80 and WGS84) differ by 0.1 mm in the semi-minor axis, and at one epoch the
frames agree within centimetres. CGCS2000 is fixed at epoch 2000.0 while WGS84 follows the plate,
which moves China a few centimetres a year. That is still well below a phone's GPS fix or a
boundary traced on a web map. Records keep "cgcs2000" as their original system.

Bad values. NaN comes back as NaN, as do inf and out-of-range numbers, which pass through unchanged.
Bulk callers convert a whole column and flag bad rows themselves; single points are already checked
when ``Coordinate.parse`` builds them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from kaoping.domain.errors import InvalidCoordinateError, KaopingError
from kaoping.domain.problems import Coordinate, CoordinateSystem

FloatArray = NDArray[np.float64]
Pair = tuple[FloatArray, FloatArray]
Conversion = Callable[[FloatArray, FloatArray], Pair]
G = TypeVar("G")

# GCJ-02 is defined on Krasovsky 1940, not WGS84: a = 6378137 here is a classic ~100 m bug.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.006693421622965943  # e² = 2f − f², 1/f = 298.3
# Baidu's angular constant is π·3000/180; plain π (found in old ports) is off by about 2 m.
_X_PI = math.pi * 3000.0 / 180.0
_BD_DLON, _BD_DLAT = 0.0065, 0.0060
_BD_R, _BD_THETA = 0.00002, 0.000003
# The standard out_of_china box shared by eviltransform, coordtransform and geocoordinates-rs.
# Matching it matters more than its coarseness: files traced on Amap used the same rule.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)
_STEP_DEG = 1e-9  # fixed-point stop, the library's: ~0.1 mm
_MAX_ROUNDS = 100  # the library's cap; convergence takes 3–4 rounds, the cap guards the box edge

_ALIASES = {
    "wgs84": CoordinateSystem.WGS84,
    "epsg:4326": CoordinateSystem.WGS84,
    "gcj02": CoordinateSystem.GCJ02,
    "bd09": CoordinateSystem.BD09,
    "bd09ll": CoordinateSystem.BD09,
    "cgcs2000": CoordinateSystem.CGCS2000,
    "epsg:4490": CoordinateSystem.CGCS2000,
}


class UnknownCoordinateSystemError(InvalidCoordinateError):
    """A coordinate system name that is not one Kaoping converts; the message lists those it does."""

    def __init__(self, crs: object) -> None:
        # Not InvalidCoordinateError.__init__: there is no single point to name, only the system.
        reason = f"未知坐标系 {crs!r}, 应为 wgs84、gcj02、bd09 或 cgcs2000"
        KaopingError.__init__(self, reason)
        self.lon = None
        self.lat = None
        self.reason = reason
        self.crs = crs


def parse_crs(crs: CoordinateSystem | str) -> CoordinateSystem:
    """The system named by ``crs``: any case, with or without "-"/"_", EPSG:4326 and EPSG:4490 too."""
    if isinstance(crs, CoordinateSystem):
        return crs
    key = str(crs).strip().lower().replace("-", "").replace("_", "").replace(" ", "")
    try:
        return _ALIASES[key]
    except KeyError:
        raise UnknownCoordinateSystemError(crs) from None


def to_wgs84(lon: ArrayLike, lat: ArrayLike, crs: CoordinateSystem | str) -> Pair:
    """Convert longitudes/latitudes in ``crs`` to WGS84 degrees (new arrays, the input's shape)."""
    return _convert(lon, lat, _TO_WGS84[parse_crs(crs)])


def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: CoordinateSystem | str) -> Pair:
    """Convert WGS84 longitudes/latitudes to ``crs`` (new arrays, the input's shape)."""
    return _convert(lon, lat, _FROM_WGS84[parse_crs(crs)])


def geometry_to_wgs84(geometry: G, crs: CoordinateSystem | str) -> G:
    """Convert a shapely geometry, or a numpy array of them, from ``crs`` to WGS84 (2-D out)."""
    return _transform(geometry, _TO_WGS84[parse_crs(crs)])


def geometry_from_wgs84(geometry: G, crs: CoordinateSystem | str) -> G:
    """Convert a shapely geometry, or a numpy array of them, from WGS84 to ``crs`` (2-D out)."""
    return _transform(geometry, _FROM_WGS84[parse_crs(crs)])


def coordinate_to_wgs84(c: Coordinate) -> Coordinate:
    """The same place in WGS84; it goes through the bulk path, so both give identical answers."""
    if c.system is CoordinateSystem.WGS84:
        return c
    lon, lat = to_wgs84([c.lon], [c.lat], c.system)
    return Coordinate(float(lon[0]), float(lat[0]), CoordinateSystem.WGS84)


def coordinate_from_wgs84(c: Coordinate, crs: CoordinateSystem | str) -> Coordinate:
    """The same WGS84 place expressed in ``crs``, e.g. to show it on a user's Amap or Baidu map."""
    system = parse_crs(crs)
    wgs = coordinate_to_wgs84(c)
    lon, lat = from_wgs84([wgs.lon], [wgs.lat], system)
    return Coordinate(float(lon[0]), float(lat[0]), system)


# --- plumbing: shapes in and out ----------------------------------------------------------------


def _convert(lon: ArrayLike, lat: ArrayLike, conversion: Conversion) -> Pair:
    try:
        lon_a = np.asarray(lon, dtype=np.float64)
        lat_a = np.asarray(lat, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidCoordinateError(lon, lat, "经纬度必须是数字") from None
    if lon_a.shape != lat_a.shape:
        raise ValueError(f"lon and lat must have one shape, got {lon_a.shape} and {lat_a.shape}")
    # ravel() may return a view: every conversion below writes only to new arrays.
    out_lon, out_lat = conversion(lon_a.ravel(), lat_a.ravel())
    return out_lon.reshape(lon_a.shape), out_lat.reshape(lat_a.shape)


def _transform(geometry: G, conversion: Conversion) -> G:
    if conversion is _unchanged:
        return geometry  # shapely geometries are immutable; nothing to copy
    # shapely.transform hands over every vertex of every geometry as one (N, 2) array: one pass.
    return shapely.transform(  # type: ignore[no-any-return]
        geometry, lambda xy: np.column_stack(conversion(xy[:, 0], xy[:, 1]))
    )


def _unchanged(lon: FloatArray, lat: FloatArray) -> Pair:
    return lon.copy(), lat.copy()


def _where(mask: NDArray[np.bool_], lon: FloatArray, lat: FloatArray, conversion: Conversion) -> Pair:
    """``conversion`` on the points in ``mask``; the others come back unchanged."""
    if mask.all():
        return conversion(lon, lat)
    out_lon, out_lat = lon.copy(), lat.copy()
    if mask.any():
        out_lon[mask], out_lat[mask] = conversion(lon[mask], lat[mask])
    return out_lon, out_lat


def _in_china(lon: FloatArray, lat: FloatArray) -> NDArray[np.bool_]:
    """Inside the out_of_china box, edges included; NaN and inf are outside."""
    return (lon >= _CHINA_LON[0]) & (lon <= _CHINA_LON[1]) & (lat >= _CHINA_LAT[0]) & (lat <= _CHINA_LAT[1])


def _is_valid(lon: FloatArray, lat: FloatArray) -> NDArray[np.bool_]:
    return (np.abs(lon) <= 180.0) & (np.abs(lat) <= 90.0)  # False for NaN and inf


# --- GCJ-02 --------------------------------------------------------------------------------------


def _gcj02_offset(lon: FloatArray, lat: FloatArray) -> Pair:
    """(Δlon, Δlat) in degrees that WGS84 → GCJ-02 adds at (lon, lat), before the China gate."""
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    # The published formula; the sinusoid in 6x and 2x is common to both axes.
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    sqrt_x = np.sqrt(np.abs(x))
    raw_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_x + common
    raw_lat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    raw_lat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    raw_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_x + common
    raw_lon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    raw_lon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    # raw_* are metres; divide by the Krasovsky radii of curvature at lat to get degrees.
    rad_lat = np.radians(lat)
    magic = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (raw_lat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * pi)
    d_lon = (raw_lon * 180.0) / (_KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * pi)
    return d_lon, d_lat


def _shift_gcj02(lon: FloatArray, lat: FloatArray) -> Pair:
    d_lon, d_lat = _gcj02_offset(lon, lat)
    return lon + d_lon, lat + d_lat


def _wgs84_to_gcj02(lon: FloatArray, lat: FloatArray) -> Pair:
    return _where(_in_china(lon, lat), lon, lat, _shift_gcj02)


def _gcj02_to_wgs84(lon: FloatArray, lat: FloatArray) -> Pair:
    # As in the library: the gate is decided on the GCJ-02 input, and each round's forward step is
    # gated again, so an iterate that leaves the box near its edge behaves the same way.
    return _where(_in_china(lon, lat), lon, lat, lambda lo, la: _invert(lo, la, _wgs84_to_gcj02, lo, la))


def _invert(
    target_lon: FloatArray, target_lat: FloatArray, forward: Conversion, lon0: FloatArray, lat0: FloatArray
) -> Pair:
    """Solve forward(p) = target by p ← p + (target − forward(p)), each point until its step < 1e-9°."""
    lon, lat = lon0.copy(), lat0.copy()
    # A slice while every point still moves: most need the same number of rounds, and gathering
    # a million values by index each round would cost a third of the work.
    active: slice | NDArray[np.intp] = slice(None)
    for _ in range(_MAX_ROUNDS):
        f_lon, f_lat = forward(lon[active], lat[active])
        step_lon = target_lon[active] - f_lon
        step_lat = target_lat[active] - f_lat
        lon[active] += step_lon
        lat[active] += step_lat
        moving = (np.abs(step_lon) >= _STEP_DEG) | (np.abs(step_lat) >= _STEP_DEG)
        if moving.all():
            continue
        active = np.flatnonzero(moving) if isinstance(active, slice) else active[moving]
        if active.size == 0:
            break
    return lon, lat


# --- BD-09 (applied on top of GCJ-02; no China gate of its own) ----------------------------------


def _gcj02_to_bd09(lon: FloatArray, lat: FloatArray) -> Pair:
    z = np.sqrt(lon * lon + lat * lat) + _BD_R * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + _BD_THETA * np.cos(lon * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd09_to_gcj02_first_guess(lon: FloatArray, lat: FloatArray) -> Pair:
    x = lon - _BD_DLON
    y = lat - _BD_DLAT
    z = np.sqrt(x * x + y * y) - _BD_R * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - _BD_THETA * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _solve_bd09(lon: FloatArray, lat: FloatArray) -> Pair:
    return _invert(lon, lat, _gcj02_to_bd09, *_bd09_to_gcj02_first_guess(lon, lat))


def _wgs84_to_bd09(lon: FloatArray, lat: FloatArray) -> Pair:
    # Out-of-range values would turn into NaN in the polar nudge: let them through untouched instead.
    return _where(_is_valid(lon, lat), lon, lat, lambda lo, la: _gcj02_to_bd09(*_wgs84_to_gcj02(lo, la)))


def _bd09_to_wgs84(lon: FloatArray, lat: FloatArray) -> Pair:
    # Without the mask a NaN would never converge and keep the iteration going for 100 rounds.
    return _where(_is_valid(lon, lat), lon, lat, lambda lo, la: _gcj02_to_wgs84(*_solve_bd09(lo, la)))


_TO_WGS84: dict[CoordinateSystem, Conversion] = {
    CoordinateSystem.WGS84: _unchanged,
    CoordinateSystem.CGCS2000: _unchanged,
    CoordinateSystem.GCJ02: _gcj02_to_wgs84,
    CoordinateSystem.BD09: _bd09_to_wgs84,
}
_FROM_WGS84: dict[CoordinateSystem, Conversion] = {
    CoordinateSystem.WGS84: _unchanged,
    CoordinateSystem.CGCS2000: _unchanged,
    CoordinateSystem.GCJ02: _wgs84_to_gcj02,
    CoordinateSystem.BD09: _wgs84_to_bd09,
}
