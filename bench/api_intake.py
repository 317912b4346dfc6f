"""Single intake over HTTP: ``POST /api/v1/problems`` served by uvicorn (1 and 2 workers) on the
``city`` demo in SQLite (~10,000 grids, ~2,000 roads, a year of problems), driven by ``wrk`` with
varied points inside the city, categories and discovery times — every request is located, routed,
timed on the working calendar, checked for a repeat and stored.

The floor: the same ``wrk`` run against ``GET /api/v1/health`` (the server doing nothing but HTTP).
Issue 4 asks for ≥ 300 requests/s with p95 ≤ 50 ms on 2 cores. ``wrk`` keeps a fixed number of
requests in flight, so latency grows with the connections once the server is busy (Little's law:
16 in flight at 400 req/s wait 40 ms on average): each worker count is measured at 8 connections (a
busy intake desk) and at 16 (saturation). Not a test: nothing here gates CI. ``wrk`` is a system
package (``apt-get install wrk``).

    .venv/bin/python bench/api_intake.py [--db /tmp/kaoping-apibench/city.db] [--workers 1 2]
        [--duration 20] [--connections 8 16] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import numpy as np
import shapely
from sqlalchemy import select

from kaoping.db.calendar import known_years, seed_year
from kaoping.db.engine import make_engine
from kaoping.db.tables import grid
from kaoping.io.holidays import LIBRARY, holiday_days
from kaoping.io.seeds import load_categories

TARGET_RPS = 300.0
TARGET_P95_MS = 50.0
TZ = ZoneInfo("Asia/Shanghai")
YEARS = (2025, 2026)
BIN = Path(sys.executable).parent

# wrk's own --latency table has no p95; done() prints the figures as one JSON line instead.
DONE_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "non2xx": %d, "errors": %d, "p50": %f, "p95": %f, "p99": %f}\\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3))
end
"""


def build_city(path: Path) -> None:
    """The ``city`` demo through the CLI, as a user builds it, into a SQLite file."""
    start = time.perf_counter()
    env = {**os.environ, "KAOPING_DATABASE_URL": f"sqlite:///{path}"}
    subprocess.run([str(BIN / "kaoping"), "demo", "--size", "city", "--no-serve"], env=env, check=True)
    print(f"  built the city demo in {time.perf_counter() - start:.0f} s → {path}")


def seed_calendar(path: Path) -> None:
    """The working calendar for the years reports are found in, or every deadline stays empty."""
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for year in sorted(set(YEARS) - set(known_years(conn))):
            seed_year(conn, year, holiday_days(year), LIBRARY)
    engine.dispose()


def post_script(path: Path, points: int, seed: int = 2021) -> str:
    """A wrk script posting ``points`` distinct reports in turn: a point inside a random grid (its
    point on surface, nudged), a minor category with a deadline, a working-hours time in YEARS."""
    rng = np.random.default_rng(seed)
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        wkb = conn.execute(select(grid.c.geometry).where(grid.c.valid_to.is_(None))).scalars().all()
    engine.dispose()
    inner = shapely.point_on_surface(shapely.from_wkb(wkb))
    pick = inner[rng.choice(len(inner), size=points, replace=len(inner) < points)]
    codes = [c.code for c in load_categories().minors() if c.deadline_value is not None]
    first = datetime(YEARS[0], 1, 2, 8, tzinfo=TZ)
    span_days = (datetime(YEARS[-1], 10, 31, tzinfo=TZ) - first).days
    rows = []
    for point in pick:
        found = first + timedelta(days=int(rng.integers(span_days)), minutes=int(rng.integers(600)))
        body = {
            "channel": str(rng.choice(["grid_worker", "road_chief", "supervisor"])),
            "category": str(rng.choice(codes)),
            "lon": round(point.x, 6),
            "lat": round(point.y, 6),
            "found_at": found.isoformat(),
            "description": "压测上报",
        }
        rows.append("  " + _lua_string(json.dumps(body, ensure_ascii=False)) + ",")
    return "\n".join(
        [
            'wrk.method = "POST"',
            'wrk.headers["Content-Type"] = "application/json"',
            "bodies = {",
            *rows,
            "}",
            "counter = 0",
            "request = function()",
            "  counter = counter + 1",
            "  return wrk.format(nil, nil, nil, bodies[(counter % #bodies) + 1])",
            "end",
            DONE_LUA,
        ]
    )


def _lua_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(path: Path, workers: int, photo_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "KAOPING_DATABASE_URL": f"sqlite:///{path}",
        "KAOPING_PHOTO_DIR": str(photo_dir),
    }
    command = [
        str(BIN / "uvicorn"), "--factory", "kaoping.app:create_app", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/v1/health", timeout=1).status_code == 200:
                return server, base
        except httpx.TransportError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("uvicorn did not answer within 60 s")


def wrk(
    base: str, path: str, script: Path, args: argparse.Namespace, seconds: int, connections: int
) -> dict[str, float]:
    command = [
        "wrk", f"-t{args.threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
        "--timeout", "30s", "-s", str(script), base + path,
    ]  # fmt: skip
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    figures["rps"] = figures["requests"] / figures["seconds"]
    return figures


def measure(path: Path, workers: int, scripts: tuple[Path, Path], args: argparse.Namespace) -> None:
    photo_dir = args.workdir / "photos"
    server, base = start_server(path, workers, photo_dir)
    try:
        # Each worker builds its intake desk (the locator over every grid and road) on its first
        # report; a warm-up long enough for every worker to have taken one.
        wrk(base, "/api/v1/problems", scripts[0], args, args.warmup, max(args.connections))
        for connections in args.connections:
            post = wrk(base, "/api/v1/problems", scripts[0], args, args.duration, connections)
            floor = wrk(base, "/api/v1/health", scripts[1], args, args.duration, connections)
            report(workers, connections, post, floor)
    finally:
        server.terminate()
        server.wait(timeout=30)


def report(workers: int, connections: int, post: dict[str, float], floor: dict[str, float]) -> None:
    label = f"{workers} worker{'s' if workers > 1 else ' '} c{connections:<3}"
    for name, f in (("POST /problems", post), ("GET /health", floor)):
        print(
            f"  {label} {name:<15} {f['rps']:8.0f} req/s   "
            f"p50 {f['p50']:6.1f} ms  p95 {f['p95']:6.1f} ms  p99 {f['p99']:6.1f} ms   "
            f"non-2xx {f['non2xx']:.0f}  errors {f['errors']:.0f}"
        )
    ok = post["rps"] >= TARGET_RPS and post["p95"] <= TARGET_P95_MS
    print(
        f"  {label} ratio to floor  {floor['rps'] / post['rps']:8.1f} ×"
        f"   target ≥ {TARGET_RPS:.0f} req/s with p95 ≤ {TARGET_P95_MS:.0f} ms: {'met' if ok else 'NOT met'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, help="a city database to reuse (built when it does not exist)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/kaoping-apibench"))
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--points", type=int, default=4000)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    source = args.db or args.workdir / "city.db"
    if not source.exists():
        build_city(source)
    seed_calendar(source)
    print(f"bench/api_intake: {source}, wrk -t{args.threads} -c{args.connections} -d{args.duration}s")
    # Reports are stored: each worker count starts from the same copy of the city.
    work = args.workdir / "served.db"
    post_lua, floor_lua = args.workdir / "post.lua", args.workdir / "floor.lua"
    post_lua.write_text(post_script(source, args.points), encoding="utf-8")
    floor_lua.write_text(DONE_LUA, encoding="utf-8")
    for workers in args.workers:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)
            if Path(f"{source}{suffix}").exists():
                shutil.copy(f"{source}{suffix}", f"{work}{suffix}")
        measure(work, workers, (post_lua, floor_lua), args)


if __name__ == "__main__":
    main()
