"""Write docs/cli.md from the commands' own --help, so the reference cannot drift.

Run `python scripts/cli_docs.py` after changing a command; tests/unit/test_docs.py fails until then.
"""

from __future__ import annotations

import sys
from pathlib import Path

from typer.main import get_command
from typer.testing import CliRunner

from kaoping.cli.main import app

DOCS = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "_TYPER_FORCE_DISABLE_TERMINAL": "1"}


def command_paths() -> list[list[str]]:
    root = get_command(app)
    paths: list[list[str]] = [[]]
    for name, command in sorted(root.commands.items()):  # type: ignore[attr-defined]
        paths.append([name])
        for sub in sorted(getattr(command, "commands", {}) or {}):
            paths.append([name, sub])
    return paths


def render() -> str:
    runner = CliRunner()
    parts = [
        "# Command line reference",
        "",
        "Generated from `--help` by `scripts/cli_docs.py`; do not edit by hand.",
        "",
    ]
    for path in command_paths():
        result = runner.invoke(app, [*path, "--help"], env=ENV, prog_name="kaoping")
        title = " ".join(["kaoping", *path])
        body = "\n".join(line.rstrip() for line in result.output.strip().splitlines())
        parts += [f"## `{title}`", "", "```", body, "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    DOCS.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOCS}\n")
