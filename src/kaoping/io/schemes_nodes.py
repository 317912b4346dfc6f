"""Reading a scheme file's YAML nodes: every value keeps its line and its field path, and every
problem found is collected, so one run of ``kaoping scheme check`` lists them all.

The file is composed to nodes (``yaml.compose``) rather than loaded to Python values, because a
value alone has forgotten where it was written and whether it was quoted: ``0.05`` unquoted is a
float, which Kaoping refuses for points (exact decimals only).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TypeVar

import yaml

try:  # the C composer when PyYAML has libyaml: the same nodes, faster
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader  # type: ignore[assignment]

from kaoping.domain.errors import KaopingError

E = TypeVar("E", bound=StrEnum)

_TAG = "tag:yaml.org,2002:"
_FLOAT, _INT, _BOOL, _NULL = _TAG + "float", _TAG + "int", _TAG + "bool", _TAG + "null"


@dataclass(frozen=True, slots=True)
class SchemeIssue:
    """One problem in a scheme file: where (file, line, field path) and what, in Chinese."""

    file: str
    line: int
    path: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"方案文件 {self.file} 第 {self.line} 行 {where}{self.reason}"


class SchemeFileError(KaopingError):
    """A scheme file (or folder of them) that cannot be used; ``issues`` lists every problem found."""

    def __init__(self, issues: Sequence[SchemeIssue]) -> None:
        self.issues = tuple(issues)
        count = f"共 {len(self.issues)} 处错误:\n" if len(self.issues) > 1 else ""
        super().__init__(count + "\n".join(str(issue) for issue in self.issues))


@dataclass(frozen=True, slots=True)
class Value:
    """A YAML node and the field path that leads to it (``groups[1].maxima.noise``); a mapping's value
    keeps the line of its key, where the field is named (a block list starts on the next line)."""

    node: yaml.Node
    path: str
    key_line: int | None = None

    @property
    def line(self) -> int:
        return self.key_line if self.key_line is not None else self.node.start_mark.line + 1

    def child(self, key: str | int, node: yaml.Node, key_node: yaml.Node | None = None) -> Value:
        if isinstance(key, int):
            return Value(node, f"{self.path}[{key}]")
        line = key_node.start_mark.line + 1 if key_node is not None else None
        return Value(node, f"{self.path}.{key}" if self.path else key, line)

    @property
    def is_null(self) -> bool:
        return isinstance(self.node, yaml.ScalarNode) and self.node.tag == _NULL


def compose_file(path: Path | Traversable) -> tuple[str, yaml.Node | None, list[SchemeIssue]]:
    """The file's label, its root node (None when unreadable or empty) and the reading problems."""
    label = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return label, None, [SchemeIssue(label, 1, "", f"文件不存在: {path}")]
    except (OSError, UnicodeDecodeError) as err:
        return label, None, [SchemeIssue(label, 1, "", f"无法读取文件 (应为 UTF-8 编码): {err}")]
    try:
        root = yaml.compose(text, Loader=SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(err, "problem", None) or str(err)
        return label, None, [SchemeIssue(label, line, "", f"YAML 格式错误: {problem}")]
    if root is None:
        return label, None, [SchemeIssue(label, 1, "", "文件是空的")]
    return label, root, []


def suggestion(word: str, options: Collection[str]) -> str:
    """``, 是否应为 'maxima'?`` when a known option is close to ``word`` (a typo), else nothing."""
    close = difflib.get_close_matches(word, [str(o) for o in options], n=1, cutoff=0.6)
    return f", 是否应为 {close[0]!r}?" if close else ""


def field_of(at: Value, key: str) -> Value | None:
    """A mapping's field, found without checking anything (for a problem found after reading)."""
    if isinstance(at.node, yaml.MappingNode):
        for key_node, value_node in at.node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return at.child(key, value_node, key_node)
    return None


def mapping_keys(at: Value) -> list[str]:
    """A mapping's keys as text, without checking anything (the checks are the reader's)."""
    if not isinstance(at.node, yaml.MappingNode):
        return []
    return [str(key.value) for key, _ in at.node.value if isinstance(key, yaml.ScalarNode)]


def _shown(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "映射"
    if isinstance(node, yaml.SequenceNode):
        return "列表"
    return "空值" if node.tag == _NULL else repr(node.value)


class Reader:
    """Reads values out of nodes; a value that does not fit is recorded as an issue and read as None,
    so the rest of the file is still checked."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.issues: list[SchemeIssue] = []

    def refuse(self, at: Value, reason: str, path: str | None = None) -> None:
        self.issues.append(SchemeIssue(self.file, at.line, at.path if path is None else path, reason))

    # --- structure ---------------------------------------------------------------------------------

    def entries(self, at: Value) -> list[tuple[str, Value]]:
        """A mapping's entries in file order, keys as text; an empty (null) value has none."""
        if at.is_null:
            return []
        if not isinstance(at.node, yaml.MappingNode):
            self.refuse(at, f"应为映射 (键: 值), 实为{_shown(at.node)}")
            return []
        seen: set[str] = set()
        result = []
        for key_node, value_node in at.node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
            key_at = at.child(key or "?", key_node)
            if key is None or not key.strip():
                self.refuse(key_at, "键应为文字")
            elif key in seen:
                self.refuse(key_at, f"键 {key!r} 重复 (后一个会覆盖前一个)")
            else:
                seen.add(key)
                result.append((key, at.child(key, value_node, key_node)))
        return result

    def fields(self, at: Value, allowed: Collection[str], required: Collection[str] = ()) -> dict[str, Value]:
        """A mapping with a fixed set of keys: unknown keys (typos) and missing ones are refused."""
        if at.is_null or not isinstance(at.node, yaml.MappingNode):
            self.refuse(at, f"应为映射 (键: 值), 实为{_shown(at.node)}")
            return {}
        found: dict[str, Value] = {}
        for key, value in self.entries(at):
            if key in allowed:
                found[key] = value
            else:
                hint = suggestion(key, allowed) or f" (可用字段: {', '.join(sorted(allowed))})"
                self.refuse(value, f"未知字段 {key!r}{hint}")
        for key in sorted(set(required) - set(found)):
            self.refuse(at, "缺少此字段", at.child(key, at.node).path)
        return found

    def sequence(self, at: Value) -> list[Value]:
        """A list's entries (``items[0]``, ``items[1]`` …); an empty (null) value has none."""
        if at.is_null:
            return []
        if not isinstance(at.node, yaml.SequenceNode):
            self.refuse(at, f"应为列表, 实为{_shown(at.node)}")
            return []
        return [at.child(index, node) for index, node in enumerate(at.node.value)]

    # --- scalars -----------------------------------------------------------------------------------

    def scalar(self, at: Value) -> str | None:
        """The text as written (``379901`` stays a code, not the number 379901)."""
        if not isinstance(at.node, yaml.ScalarNode) or at.is_null or not str(at.node.value).strip():
            self.refuse(at, f"应为文字, 实为{_shown(at.node)}")
            return None
        return str(at.node.value).strip()

    def code(self, at: Value, *, hyphens: bool = False) -> str | None:
        """A code: lowercase letters, digits and underscores (and hyphens for a scheme), a letter first."""
        text = self.scalar(at)
        if text is None:
            return None
        body = text.replace("_", "").replace("-", "") if hyphens else text.replace("_", "")
        if not (text.isascii() and body.isalnum() and text[0].isalpha() and text.islower()):
            allowed = "小写字母、数字、下划线和连字符" if hyphens else "小写字母、数字和下划线"
            self.refuse(at, f"代码应由{allowed}组成并以字母开头, 实为 {text!r}")
            return None
        return text

    def decimal(
        self, at: Value, *, positive: bool = False, at_most: Decimal | None = None, what: str = "数值"
    ) -> Decimal | None:
        """An exact decimal from a quoted string ("0.05") or an integer; a bare float is refused."""
        node = at.node
        if not isinstance(node, yaml.ScalarNode) or node.tag in (_NULL, _BOOL):
            self.refuse(at, f'应为{what} (如 "0.05"), 实为{_shown(node)}')
            return None
        if node.tag == _FLOAT and not node.style:  # plain (unquoted); libyaml says "", PyYAML None
            self.refuse(at, f'小数应加引号写成 "{node.value}": 不加引号会被读成浮点数, 分值不精确')
            return None
        try:
            value = Decimal(str(node.value).strip())
        except InvalidOperation:
            self.refuse(at, f"不是有效的{what}: {node.value!r}")
            return None
        return self._in_range(at, value, positive, at_most)

    def _in_range(self, at: Value, value: Decimal, positive: bool, at_most: Decimal | None) -> Decimal | None:
        if not value.is_finite() or value < 0 or (positive and value == 0):
            self.refuse(at, f"应为{'正数' if positive else '非负数'}, 实为 {at.node.value!r}")
            return None
        if at_most is not None and value > at_most:
            self.refuse(at, f"应不大于 {at_most}, 实为 {at.node.value!r}")
            return None
        return value

    def fraction(self, at: Value, what: str = "比例") -> Decimal | None:
        """A share or a rate between 0 and 1 (90 % is written "0.9")."""
        value = self.decimal(at, what=what)
        if value is not None and value > 1:
            self.refuse(at, f'{what}应为 0 到 1 之间的小数 (90% 写作 "0.9"), 实为 {at.node.value!r}')
            return None
        return value

    def integer(self, at: Value, minimum: int = 0) -> int | None:
        node = at.node
        if not isinstance(node, yaml.ScalarNode) or node.tag != _INT:
            self.refuse(at, f"应为整数, 实为{_shown(node)}")
            return None
        try:
            value = int(str(node.value).replace("_", ""))
        except ValueError:  # YAML 1.1 octal/hex/sexagesimal forms: not what anyone means here
            self.refuse(at, f"应为十进制整数, 实为 {node.value!r}")
            return None
        if value < minimum:
            self.refuse(at, f"应不小于 {minimum}, 实为 {value}")
            return None
        return value

    def number(self, at: Value) -> float | None:
        """A measure that is not points (metres, days): an integer or a plain decimal."""
        node = at.node
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (_INT, _FLOAT):
            self.refuse(at, f"应为数值, 实为{_shown(node)}")
            return None
        return float(str(node.value).replace("_", ""))

    def boolean(self, at: Value) -> bool | None:
        node = at.node
        if not isinstance(node, yaml.ScalarNode) or node.tag != _BOOL:
            self.refuse(at, f"应为 true 或 false, 实为{_shown(node)}")
            return None
        return str(node.value).lower() in ("true", "yes", "on")

    def day(self, at: Value) -> date | None:
        text = self.scalar(at)
        if text is None:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.refuse(at, f"应为日期 (如 2021-01-01), 实为 {text!r}")
            return None

    def choice(self, at: Value, options: type[E], what: str) -> E | None:
        text = self.scalar(at)
        if text is None:
            return None
        known = [o.value for o in options]
        if text not in known:
            hint = suggestion(text, known)
            self.refuse(at, f"未知的{what} {text!r}{hint} (可选: {', '.join(known)})")
            return None
        return options(text)

    def choices(self, at: Value, options: type[E], what: str) -> list[E]:
        """A list of options, each at most once."""
        result: list[E] = []
        for entry in self.sequence(at):
            value = self.choice(entry, options, what)
            if value is not None and value in result:
                self.refuse(entry, f"{what} {value.value} 重复")
            elif value is not None:
                result.append(value)
        return result
