"""Documentation that tests keep honest: settings and commands cannot go undocumented."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType

from kaoping.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def load_cli_docs_script() -> object:
    spec = importlib.util.spec_from_file_location("cli_docs", ROOT / "scripts" / "cli_docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_setting_is_documented_in_the_configuration_page() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"`KAOPING_{name.upper()}`" not in page]
    assert not missing, f"document these settings in docs/configuration.md: {missing}"


def test_the_cli_reference_matches_the_commands_help() -> None:
    script = load_cli_docs_script()
    expected = script.render()  # type: ignore[attr-defined]
    actual = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/cli.md is stale: run `.venv/bin/python scripts/cli_docs.py`"


def test_the_readme_gives_exactly_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("```", 2)[1]
    assert [line.split("#")[0].strip() for line in quick_start.strip().splitlines()[1:]] == [
        "make demo",
        "make test",
    ]


def glossary_identifiers() -> list[str]:
    """Dotted names in the glossary's identifier column, except those marked (planned)."""
    names: list[str] = []
    for line in (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8").splitlines():
        cells = line.split("|")
        if len(cells) < 5 or "(planned)" in cells[3]:
            continue
        names += re.findall(r"`((?:domain|services|io|geo|db)\.[A-Za-z_][\w.]*)`", cells[3])
    return names


def test_every_identifier_the_glossary_names_exists_in_the_code() -> None:
    missing = []
    for name in glossary_identifiers():
        module_path, *attributes = name.split(".")
        target: object = importlib.import_module(f"kaoping.{module_path}")
        for part in attributes:
            if isinstance(target, ModuleType) and not hasattr(target, part):
                try:
                    target = importlib.import_module(f"{target.__name__}.{part}")
                    continue
                except ModuleNotFoundError:
                    pass
            fields = getattr(target, "__dataclass_fields__", {})
            if part in fields:
                target = fields[part]
            elif hasattr(target, part):
                target = getattr(target, part)
            else:
                missing.append(name)
                break
    assert len(glossary_identifiers()) > 50
    assert not missing, f"the glossary names identifiers the code does not have: {missing}"
