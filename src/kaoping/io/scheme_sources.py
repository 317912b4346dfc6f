"""Scheme files with the sha256 of their content, which every revision records: the same scheme
version edited in place (a changed point value, a fixed category list) is a different hash, so a
recomputation under it is a new revision even when the facts did not change."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib.resources.abc import Traversable
from pathlib import Path

from kaoping.domain.categories import CategoryTree
from kaoping.domain.schemes import Scheme
from kaoping.io.schemes import SchemeFileError, SchemeIssue, load_scheme_file, packaged_schemes
from kaoping.io.seeds import load_categories
from kaoping.services.evaluation_ports import VersionedScheme


class SchemeFolders:
    """The packaged schemes and, when given, the city's own folder (``SchemeSource``); read once."""

    def __init__(self, folder: Path | None = None, categories: CategoryTree | None = None) -> None:
        self._folder = folder
        self._categories = categories
        self._read: list[VersionedScheme] | None = None

    def schemes(self) -> Sequence[VersionedScheme]:
        if self._read is None:
            tree = self._categories if self._categories is not None else load_categories()
            sources: list[Path | Traversable] = [packaged_schemes()]
            if self._folder is not None:
                sources.append(self._folder)
            self._read = read_versioned([p for s in sources for p in _scheme_files(s)], tree)
        return self._read


def _scheme_files(folder: Path | Traversable) -> list[Path | Traversable]:
    return sorted((p for p in folder.iterdir() if p.name.endswith((".yaml", ".yml"))), key=lambda p: p.name)


def read_versioned(paths: Sequence[Path | Traversable], categories: CategoryTree) -> list[VersionedScheme]:
    """Every file's scheme with its content hash; two files giving one code the same version are refused."""
    read: list[VersionedScheme] = []
    issues: list[SchemeIssue] = []
    for path in paths:
        try:
            scheme = load_scheme_file(path, categories)
        except SchemeFileError as err:
            issues += err.issues
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        twin = next((v for v in read if _clash(v.scheme, scheme)), None)
        if twin is not None:
            message = f"方案 {scheme.code} 的版本或生效日期与 {twin.source} 相同, 同一方案的各版本须各不相同"
            issues.append(SchemeIssue(path.name, 1, "version", message))
            continue
        read.append(VersionedScheme(scheme, digest, path.name))
    if issues:
        raise SchemeFileError(issues)
    return read


def _clash(a: Scheme, b: Scheme) -> bool:
    """Two versions of one scheme that cannot be told apart by version or by the day they start."""
    return a.code == b.code and (a.version == b.version or a.effective_from == b.effective_from)
