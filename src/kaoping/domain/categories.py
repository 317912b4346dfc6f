"""The category tree of 部件 (components) and 事件 (events), domain.md §6.

Names, codes, deadlines and responsible department types are data (``kaoping/data/categories.yaml``);
this module only knows their shape and how to look one up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from kaoping.domain.errors import UnknownCategoryError


class CategoryKind(StrEnum):
    COMPONENT = "component"  # 部件: a facility
    EVENT = "event"  # 事件: behaviour or incident


class CategoryLevel(StrEnum):
    MAJOR = "major"  # 大类
    MINOR = "minor"  # 小类


class DeadlineUnit(StrEnum):
    """How a handling deadline is counted (the clock itself lives with the case loop)."""

    WORK_HOURS = "work_hours"  # 工作时
    WORK_DAYS = "work_days"  # 工作日
    HOURS = "hours"  # 小时 (wall clock)
    NATURAL_DAYS = "natural_days"  # 自然日


KIND_PREFIX = {CategoryKind.COMPONENT: "C", CategoryKind.EVENT: "E"}


@dataclass(frozen=True, slots=True)
class Category:
    """One node of the tree. ``code`` is kind letter + major 2 digits (+ minor 2 digits)."""

    code: str
    kind: CategoryKind
    level: CategoryLevel
    name: str
    parent_code: str | None = None
    deadline_value: int | None = None
    deadline_unit: DeadlineUnit | None = None
    department_type: str | None = None
    severity: int = 1  # 1 minor … 3 serious; the scheme turns it into points
    aliases: tuple[str, ...] = ()  # other names people use (广告条幅 for 悬挂横幅)

    @property
    def major_code(self) -> str:
        return self.code[:3]


def category_code(kind: CategoryKind, major: int, minor: int | None = None) -> str:
    """``C01`` for a major class, ``C0101`` for a subclass (部件 公用设施 / 上水井盖)."""
    code = f"{KIND_PREFIX[kind]}{major:02d}"
    return code if minor is None else f"{code}{minor:02d}"


class CategoryTree:
    """The loaded tree: look a category up by code or by (unique) subclass name."""

    def __init__(self, categories: Iterable[Category]) -> None:
        self._by_code: dict[str, Category] = {}
        self._by_name: dict[str, Category] = {}
        for cat in categories:
            if cat.code in self._by_code:
                raise ValueError(f"duplicate category code {cat.code}")
            self._by_code[cat.code] = cat
        for cat in self._by_code.values():
            if cat.parent_code is not None and cat.parent_code not in self._by_code:
                raise ValueError(f"category {cat.code} has unknown parent {cat.parent_code}")
            if cat.level is CategoryLevel.MINOR:
                self._by_name.setdefault(cat.name, cat)
        # Aliases come after every name, so a real subclass name always wins over an alias.
        for cat in self.minors():
            for alias in cat.aliases:
                self._by_name.setdefault(alias, cat)

    def __iter__(self) -> Iterator[Category]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, key: str) -> Category:
        """The category with this code, subclass name or alias; raises ``UnknownCategoryError``."""
        key = key.strip()
        found = self._by_code.get(key.upper()) or self._by_name.get(key)
        if found is None:
            raise UnknownCategoryError(key)
        return found

    def minors(self) -> list[Category]:
        return [c for c in self._by_code.values() if c.level is CategoryLevel.MINOR]

    def children(self, code: str) -> list[Category]:
        return [c for c in self._by_code.values() if c.parent_code == code]
