"""Unit grid codes (单元网格编码): admin 6 + town/street 3 + community 3 + sequence 3 = 15 digits.

The structure follows DB11/T 2157-2023 and matches real grid ids such as 320582110152102
(domain.md §5.2). Inside a community, grids are numbered west → east within a row and rows
north → south, like reading a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kaoping.domain.errors import InvalidGridCodeError

GRID_CODE_LENGTH = 15


@dataclass(frozen=True, slots=True)
class GridCode:
    """A parsed 15-digit unit grid code."""

    admin: str
    town: str
    community: str
    sequence: str

    @classmethod
    def parse(cls, code: str) -> GridCode:
        """Split a grid code into its parts, refusing anything that is not 15 digits."""
        text = str(code).strip()
        if len(text) != GRID_CODE_LENGTH:
            raise InvalidGridCodeError(text, f"应为 {GRID_CODE_LENGTH} 位数字, 实为 {len(text)} 位")
        if not text.isascii() or not text.isdigit():
            raise InvalidGridCodeError(text, "只能包含数字 0-9")
        if text[12:] == "000":
            raise InvalidGridCodeError(text, "网格顺序码从 001 开始")
        return cls(text[:6], text[6:9], text[9:12], text[12:])

    @classmethod
    def compose(cls, community_code: str, sequence: int) -> GridCode:
        """Build the code of the ``sequence``-th grid (1-based) of a 12-digit community code."""
        if len(community_code) != 12 or not community_code.isdigit():
            raise InvalidGridCodeError(community_code, "社区编码应为 12 位数字 (行政区 6 + 镇街 3 + 社区 3)")
        if not 1 <= sequence <= 999:
            raise InvalidGridCodeError(f"{community_code}{sequence}", "网格顺序码应在 001-999 之间")
        return cls.parse(f"{community_code}{sequence:03d}")

    @property
    def community_code(self) -> str:
        """The 12-digit code of the community the grid belongs to."""
        return self.admin + self.town + self.community

    def __str__(self) -> str:
        return self.admin + self.town + self.community + self.sequence


def reading_order(centroids: Sequence[tuple[float, float]], row_height: float) -> list[int]:
    """Indexes of ``centroids`` (x east, y north, metres) in grid-numbering order.

    Rows are bands of ``row_height`` counted down from the northernmost centroid; within a band,
    west before east. Ties (same band, same x) fall back to the input order, so the result is
    deterministic.
    """
    if not centroids:
        return []
    if row_height <= 0:
        raise ValueError("row_height must be positive")
    top = max(y for _, y in centroids)

    def key(i: int) -> tuple[int, float, int]:
        x, y = centroids[i]
        # A small epsilon keeps a centroid that sits exactly on a band edge in the upper band
        # despite floating-point noise from projection.
        return (int((top - y) / row_height + 1e-9), x, i)

    return sorted(range(len(centroids)), key=key)
