"""A seed file (``kaoping/data/*.yaml`` or a city's own copy): reading it, and checking its fields.

Every refusal is a ``SeedError`` whose Chinese message names the file, the entry and the field,
because the people who edit these files are a city's evaluation office, not programmers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, NoReturn

import yaml

try:  # yaml.safe_load semantics, through libyaml when it is installed: ten times faster on these files
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader  # type: ignore[assignment]

from kaoping.domain.errors import KaopingError

SEVERITIES = (1, 2, 3)


class SeedError(KaopingError):
    """A seed file that cannot be used: unreadable, or an entry with a missing or wrong field."""

    def __init__(self, file: str, entry: str | None, reason: str, field: str | None = None) -> None:
        where = f"第 {entry} 项" if entry is not None else ""
        if field is not None:
            where = f"{where} ({field})" if where else f"({field})"
        super().__init__(f"{file} {where}: {reason}" if where else f"{file}: {reason}")
        self.file = file
        self.entry = entry
        self.field = field
        self.reason = reason


def read_yaml(path: Path | None, default: str) -> tuple[str, Any]:
    """The parsed document and the file name used in messages; ``default`` is the packaged file."""
    source: Path | Traversable = path if path is not None else files("kaoping") / "data" / default
    label = source.name
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SeedError(label, None, f"文件不存在: {source}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SeedError(label, None, f"无法读取文件 (应为 UTF-8 编码): {err}") from None
    try:
        return label, yaml.load(text, Loader=SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f"第 {mark.line + 1} 行 " if mark is not None else ""
        raise SeedError(label, None, f"YAML 格式错误 {line}{getattr(err, 'problem', '') or err}") from None


@dataclass(frozen=True, slots=True)
class Place:
    """Where in a seed file a value was read: every check below fails with this place in the message."""

    file: str
    entry: str | None = None

    def at(self, entry: object) -> Place:
        return Place(self.file, str(entry))

    def at_code(self, fields: Mapping[str, Any], fallback: object) -> Place:
        """The place of an entry: its code when it has a usable one, else ``fallback`` (its position)."""
        code = fields.get("code")
        return self.at(code if isinstance(code, str) and code.strip() else fallback)

    def entry_fields(
        self, raw: object, index: int, allowed: set[str], required: set[str]
    ) -> tuple[Place, dict[Any, Any]]:
        """Entry ``index`` of a list: its place and its fields, with no unknown or missing key."""
        fields = self.at(index).mapping(raw)
        place = self.at_code(fields, index)
        place.keys(fields, allowed, required)
        return place, fields

    def fail(self, reason: str, field: str | None = None) -> NoReturn:
        raise SeedError(self.file, self.entry, reason, field)

    def mapping(self, raw: object, field: str | None = None) -> dict[Any, Any]:
        if not isinstance(raw, dict):
            self.fail(f"应为映射 (键: 值), 实为 {_shown(raw)}", field)
        return raw

    def sequence(self, raw: object, field: str) -> list[Any]:
        if not isinstance(raw, list):
            self.fail(f"应为列表, 实为 {_shown(raw)}", field)
        return raw

    def keys(self, raw: Mapping[str, Any], allowed: set[str], required: set[str]) -> None:
        """Refuse unknown keys (a typo would otherwise be ignored silently) and missing ones."""
        for key in raw:
            if key not in allowed:
                self.fail(f"未知字段 {key!r} (可用字段: {', '.join(sorted(allowed))})", str(key))
        for key in sorted(required - set(raw)):
            self.fail("缺少此字段", key)

    def text(self, raw: object, field: str) -> str:
        if not isinstance(raw, str) or not raw.strip():
            self.fail(f"应为非空文字, 实为 {_shown(raw)}", field)
        return raw.strip()

    def decimal(self, raw: object, field: str, *, positive: bool = False) -> Decimal:
        """An exact decimal from a quoted string or an integer (a bare float is read as written)."""
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            self.fail(f'应为数值 (如 "0.05"), 实为 {_shown(raw)}', field)
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            self.fail(f"不是有效的数值: {raw!r}", field)
        if not value.is_finite() or value < 0 or (positive and value == 0):
            self.fail(f"应为{'正数' if positive else '非负数'}, 实为 {raw!r}", field)
        return value

    def number(self, raw: object, field: str) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw) or raw < 0:
            self.fail(f"应为非负数, 实为 {_shown(raw)}", field)
        return float(raw)

    def severity(self, raw: object, field: str) -> int:
        """One of ``SEVERITIES``, as a category's ``severity`` and as a key of ``severity_points``."""
        if isinstance(raw, bool) or raw not in SEVERITIES:
            self.fail(f"严重程度应为 1、2 或 3, 实为 {raw!r}", field)
        return raw

    def choice(self, raw: object, options: Mapping[str, Any] | type[StrEnum], field: str, what: str) -> str:
        known = [str(o) for o in options] if isinstance(options, type) else list(options)
        if not isinstance(raw, str) or raw not in known:
            self.fail(f"未知的{what} {raw!r} (可选: {', '.join(known)})", field)
        return raw


def _shown(raw: object) -> str:
    return "空值" if raw is None else f"{type(raw).__name__} {raw!r}"
