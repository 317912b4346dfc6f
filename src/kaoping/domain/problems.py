"""Problems (问题): what a tester, grid worker, road chief, hotline or citizen reports."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kaoping.domain.errors import InvalidCoordinateError
from kaoping.domain.ids import CategoryId, GridId, ProblemId, RoadId, UnitId


class Channel(StrEnum):
    """Where a problem came from (来源). Which channels count as own discovery is configuration."""

    THIRD_PARTY = "third_party"  # 第三方测评 (考评发现)
    SUPERVISOR = "supervisor"  # 监督员/信息采集
    GRID_WORKER = "grid_worker"  # 网格员上报
    ROAD_CHIEF = "road_chief"  # 路长上报
    HOTLINE = "hotline"  # 12345 热线
    MEDIA = "media"  # 媒体监督
    SUPERVISION = "supervision"  # 督查检查
    LEADER = "leader"  # 领导交办
    CITIZEN = "citizen"  # 市民随手拍 / 网络上报
    VIDEO = "video"  # 视频/智能分析


class ProblemStatus(StrEnum):
    """Coarse status of a problem; the full case loop refines it (open → handled → closed)."""

    REPORTED = "reported"  # 上报
    DISPATCHED = "dispatched"  # 派遣, 处置中
    CLOSED = "closed"  # 结案 / 整改完成
    VOIDED = "voided"  # 作废


OPEN_STATUSES = frozenset({ProblemStatus.REPORTED, ProblemStatus.DISPATCHED})


class CoordinateSystem(StrEnum):
    WGS84 = "wgs84"  # GPS
    GCJ02 = "gcj02"  # Amap, Tencent (国测局)
    BD09 = "bd09"  # Baidu
    CGCS2000 = "cgcs2000"  # national geodetic system; equal to WGS84 within centimetres


@dataclass(frozen=True, slots=True)
class Coordinate:
    """A longitude/latitude pair in a named system, checked to be a real place on Earth."""

    lon: float
    lat: float
    system: CoordinateSystem = CoordinateSystem.WGS84

    @classmethod
    def parse(cls, lon: object, lat: object, system: str = "wgs84") -> Coordinate:
        """Read numbers typed by people ("117.02", 117.02); refuse text, NaN and swapped axes."""
        try:
            sys_ = CoordinateSystem(str(system).strip().lower())
        except ValueError:
            raise InvalidCoordinateError(lon, lat, f"未知坐标系 {system!r}") from None
        x = _number(lon, lat, lon, "经度")
        y = _number(lon, lat, lat, "纬度")
        if not -180.0 <= x <= 180.0:
            raise InvalidCoordinateError(lon, lat, "经度应在 -180 到 180 之间")
        if not -90.0 <= y <= 90.0:
            hint = " (经纬度是否填反?)" if -90.0 <= x <= 90.0 and -180.0 <= y <= 180.0 else ""
            raise InvalidCoordinateError(lon, lat, "纬度应在 -90 到 90 之间" + hint)
        return cls(x, y, sys_)


def _number(lon: object, lat: object, value: object, label: str) -> float:
    if isinstance(value, bool):
        raise InvalidCoordinateError(lon, lat, f"{label}不是数字")
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidCoordinateError(lon, lat, f"{label} {value!r} 不是数字") from None
    if not math.isfinite(number):
        raise InvalidCoordinateError(lon, lat, f"{label}不是有限数值")
    return number


@dataclass(frozen=True, slots=True)
class Location:
    """Where a point was located at intake: stored on the problem, never recomputed by reports."""

    grid_id: GridId
    community_id: UnitId
    town_id: UnitId
    district_id: UnitId
    road_id: RoadId | None = None
    road_distance_m: float | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    id: ProblemId | None
    channel: Channel
    category_id: CategoryId
    found_at: datetime  # timezone-aware
    point: Coordinate  # WGS84
    original: Coordinate  # as reported
    location: Location
    status: ProblemStatus = ProblemStatus.REPORTED
    deadline_at: datetime | None = None
    closed_at: datetime | None = None
    description: str = ""
    is_repeat: bool = False
    repeat_of_id: ProblemId | None = None
    repeat_index: int = 0  # 0: not a repeat; 1: repeats a first report; 2: a repeat of a repeat …
    is_overdue: bool = False
    is_high_score: bool = False
