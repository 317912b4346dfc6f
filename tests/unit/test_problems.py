import math

import pytest

from kaoping.domain.errors import InvalidCoordinateError
from kaoping.domain.problems import Coordinate, CoordinateSystem


def test_coordinates_typed_as_text_are_read() -> None:
    point = Coordinate.parse(" 117.0213 ", "36.6612", "GCJ02")
    assert (point.lon, point.lat, point.system) == (117.0213, 36.6612, CoordinateSystem.GCJ02)


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        ("117,02", "36.66", "经度 '117,02' 不是数字"),
        ("", "36.66", "不是数字"),
        (None, 36.66, "不是数字"),
        (math.nan, 36.66, "有限"),
        (True, 36.66, "不是数字"),
        (190.0, 36.66, "经度应在 -180 到 180 之间"),
        (36.66, 117.02, "经纬度是否填反"),
    ],
)
def test_a_malformed_coordinate_is_refused_with_what_is_wrong(lon: object, lat: object, message: str) -> None:
    with pytest.raises(InvalidCoordinateError, match=message):
        Coordinate.parse(lon, lat)


def test_an_unknown_coordinate_system_is_refused() -> None:
    with pytest.raises(InvalidCoordinateError, match="未知坐标系 'mars'"):
        Coordinate.parse(117.0, 36.6, "mars")
