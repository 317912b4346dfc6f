"""Domain errors. Each carries the offending data and a message in Chinese for the user.

Entry points map these to HTTP codes or exit codes in one place each; the domain never knows about
either.
"""

from __future__ import annotations


class KaopingError(Exception):
    """Base of every error Kaoping reports to a user; ``str(err)`` is the Chinese message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(KaopingError):
    """A thing looked up by id or code does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"未找到{kind}: {key}")
        self.kind = kind
        self.key = key


class InvalidCoordinateError(KaopingError):
    """A coordinate that is not a number or is outside the range of its system."""

    def __init__(self, lon: object, lat: object, reason: str) -> None:
        super().__init__(f"坐标无效 (经度={lon!r}, 纬度={lat!r}): {reason}")
        self.lon = lon
        self.lat = lat
        self.reason = reason


class OutsideGridError(KaopingError):
    """A point that lies in no unit grid: it is refused rather than given to a wrong unit."""

    def __init__(self, lon: float, lat: float) -> None:
        super().__init__(
            f"坐标 (经度={lon:.6f}, 纬度={lat:.6f}) 不在任何单元网格内, 无法确定责任网格; "
            "请核对坐标与坐标系, 或在属地兜底后人工指定网格"
        )
        self.lon = lon
        self.lat = lat


class UnknownCategoryError(KaopingError):
    """A problem category (部件/事件 class) that the category tree does not hold."""

    def __init__(self, key: str) -> None:
        super().__init__(f"未知的问题类别: {key!r} (请使用类别代码或小类名称, 见 `kaoping categories`)")
        self.key = key


class InvalidGridCodeError(KaopingError):
    """A unit grid code that does not follow the 15-digit admin6 + town3 + community3 + seq3 form."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"单元网格编码 {code!r} 无效: {reason}")
        self.code = code
        self.reason = reason


class InvalidPeriodError(KaopingError):
    """A period code that is neither a month (2021-03), a quarter (2021Q1) nor a year (2021)."""

    def __init__(self, code: str) -> None:
        super().__init__(f"考评周期 {code!r} 无效: 应为 2021-03 (月)、2021Q1 (季度) 或 2021 (年)")
        self.code = code
