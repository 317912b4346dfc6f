"""Bulk intake at scale: a 1,000,000-row CSV of third-party findings in the megacity demo, imported on
SQLite with everything the import does — parsing (mixed date formats, GCJ-02 coordinates), checking,
locating on the day found (~50,000 grids, ~10,000 roads), routing, working-calendar deadlines, source
keys, repeat detection against the sheet and the stored problems, one insert of the problems and of
the third-party finding each one opens (stage ``follow-up``).

The floor: a bare ``sqlite3`` ``executemany`` of the same problem rows (read back from the import;
not their findings) into the same, empty ``problem`` table of a database built by the same
migrations, with the same pragmas.
Issue 4 asks for ≤ 60 s. Not a test: nothing here gates CI.

    .venv/bin/python bench/intake.py [--rows 1000000] [--size megacity] [--workdir /tmp/kaoping-bench]
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sqlite3
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import shapely
from sqlalchemy import Engine, select

from kaoping.db import migrate
from kaoping.db.calendar import seed_year
from kaoping.db.engine import make_engine
from kaoping.db.problem_import import BULK_CACHE_KIB
from kaoping.db.tables import grid, problem
from kaoping.demo.build import build_demo
from kaoping.demo.sizes import SIZES
from kaoping.geo.crs import from_wgs84
from kaoping.io.holidays import LIBRARY, holiday_days
from kaoping.io.seeds import load_categories
from kaoping.wiring.problem_import import ImportOptions, import_problem_sheet

TARGET_S = 60.0
COLUMNS = [c.name for c in problem.columns]  # every column the import writes, as the floor does
TZ = ZoneInfo("Asia/Shanghai")
YEAR = 2025


def city(size: str, workdir: Path) -> Path:
    """The demo geography (with a token year of problems) in a SQLite file, built once and kept."""
    path = workdir / f"{size}-geography.db"
    if not path.exists():
        start = time.perf_counter()
        engine = make_engine(f"sqlite:///{path}")
        build_demo(engine, dataclasses.replace(SIZES[size], problems_per_year=20_000), 2021, TZ)
        with engine.begin() as conn:
            for year in (YEAR, YEAR + 1):
                seed_year(conn, year, holiday_days(year), LIBRARY)
            conn.execute(problem.delete())
        engine.dispose()
        print(f"  built the {size} geography in {time.perf_counter() - start:.1f} s → {path}")
    return path


def write_csv(engine: Engine, rows: int, path: Path, seed: int = 2021) -> None:
    """``rows`` findings in GCJ-02 inside random grids, found in YEAR, dates typed three ways."""
    rng = np.random.default_rng(seed)
    with engine.connect() as conn:
        wkb = conn.execute(select(grid.c.geometry).where(grid.c.valid_to.is_(None))).scalars().all()
    boxes = shapely.bounds(shapely.from_wkb(wkb))
    pick = rng.integers(0, len(boxes), rows)
    u = rng.uniform(0.15, 0.85, (2, rows))  # inside the middle of each grid's box
    lon = boxes[pick, 0] + u[0] * (boxes[pick, 2] - boxes[pick, 0])
    lat = boxes[pick, 1] + u[1] * (boxes[pick, 3] - boxes[pick, 1])
    gcj_lon, gcj_lat = from_wgs84(lon, lat, "gcj02")
    seconds = np.datetime64(f"{YEAR}-01-01T07:00") + rng.integers(0, 358 * 86400, rows).astype(
        "timedelta64[s]"
    )
    when = pl.Series(seconds.astype("datetime64[ms]")).dt
    style = rng.integers(0, 3, rows)
    typed = np.where(
        style == 0,
        when.strftime("%Y-%m-%d %H:%M:%S").to_numpy(),
        np.where(
            style == 1,
            when.strftime("%Y/%-m/%-d %H:%M").to_numpy(),
            when.strftime("%Y年%-m月%-d日").to_numpy(),
        ),
    )
    names = np.array([c.name for c in load_categories().minors()])
    frame = pl.DataFrame(
        {
            "序号": np.arange(1, rows + 1),
            "发现时间": typed,
            "问题类别": names[rng.integers(0, names.size, rows)],
            "经度": np.round(gcj_lon, 6),
            "纬度": np.round(gcj_lat, 6),
            "问题描述": np.char.add("测评发现 ", np.arange(rows).astype(str)),
        }
    )
    path.write_text("2025年度第三方测评问题清单\n", encoding="utf-8")  # a title row, as vendors add
    with path.open("a", encoding="utf-8") as out:
        frame.write_csv(out)


def floor(engine: Engine, workdir: Path) -> tuple[float, int]:
    """A bare executemany of the imported rows into an empty problem table of the same schema."""
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql(f"SELECT {', '.join(COLUMNS)} FROM problem")]
    path = workdir / "floor.db"
    path.unlink(missing_ok=True)
    bare = make_engine(f"sqlite:///{path}")
    migrate.upgrade(bare)
    bare.dispose()
    bare_db = sqlite3.connect(path)
    bare_db.execute("PRAGMA journal_mode=WAL")
    bare_db.execute("PRAGMA synchronous=NORMAL")
    bare_db.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")  # the cache the import writes with
    start = time.perf_counter()
    sql = f"INSERT INTO problem ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    bare_db.executemany(sql, rows)
    bare_db.commit()
    spent = time.perf_counter() - start
    bare_db.close()
    return spent, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--size", default="megacity", choices=sorted(SIZES))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/kaoping-bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"bench/intake: {args.rows:,} rows, {args.size} geography")
    geography = city(args.size, args.workdir)
    work = args.workdir / "intake.db"
    shutil.copy(geography, work)
    for suffix in ("-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{work}")
    migrate.upgrade(engine)  # a geography kept from an older schema
    sheet = args.workdir / f"problems-{args.rows}.csv"
    if not sheet.exists():
        write_csv(engine, args.rows, sheet)
    start = time.perf_counter()
    result = import_problem_sheet(engine, sheet, ImportOptions(crs="gcj02", tz=TZ, write_errors=False))
    total = time.perf_counter() - start
    for stage, seconds in result.seconds.items():
        print(f"  {stage:<10} {seconds:7.2f} s")
    print(
        f"  imported {result.imported:,} of {result.rows:,} rows ({len(result.errors):,} refused, "
        f"{result.repeats:,} repeats); opened {result.findings:,} findings and {result.cases:,} cases"
    )
    floor_s, floor_rows = floor(engine, args.workdir)
    engine.dispose()
    print(
        f"  import total {total:7.2f} s   ({result.imported / total:,.0f} rows/s; target ≤ {TARGET_S:.0f} s)"
    )
    print(f"  floor        {floor_s:7.2f} s   (bare sqlite3 executemany of the same {floor_rows:,} rows)")
    print(f"  ratio        {total / floor_s:7.1f} ×")


if __name__ == "__main__":
    main()
