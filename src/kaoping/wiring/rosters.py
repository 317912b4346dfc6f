"""Importing a roster file: read and check its rows (``io.rosters``), then save the good ones
(``db.rosters``) in one transaction — an interrupted import leaves nothing behind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from kaoping.db.rosters import save_roster
from kaoping.io.rosters import RowRefusal, read_roster


@dataclass(frozen=True, slots=True)
class RosterReport:
    """What an import did, in rows of the file (``closed``: assignments ended by moves)."""

    file: str
    sheet: str | None
    header_row: int
    rows: int
    added: int
    unchanged: int
    moved: int
    closed: int
    refusals: list[RowRefusal]  # by row number

    @property
    def refused(self) -> int:
        return len(self.refusals)


def import_roster(engine: Engine, path: Path, default_from: date, sheet: str | None = None) -> RosterReport:
    """Import a roster of people and their posts; rows without a start date start on ``default_from``."""
    roster = read_roster(path, sheet)
    incomplete = {r.holder for r in roster.refusals if r.holder is not None}
    with engine.begin() as conn:
        changes = save_roster(conn, roster.entries, default_from, incomplete)
    refusals = [*roster.refusals, *(RowRefusal(row, reason) for row, reason in changes.refusals)]
    return RosterReport(
        file=roster.file,
        sheet=sheet,
        header_row=roster.header_row,
        rows=roster.rows,
        added=changes.added,
        unchanged=changes.unchanged,
        moved=changes.moved,
        closed=changes.closed,
        refusals=sorted(refusals, key=lambda r: r.row),
    )
