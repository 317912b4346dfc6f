"""Locating points in bulk against the `city` demo geography (10,000 grids, 2,000 road sections).

Prints timings and the ratio to the floor: a bare ``STRtree.query(points, predicate="intersects")`` on
points already projected and already turned into geometries — the least any point-in-grid lookup must
do. Not a test: nothing here gates CI.

    .venv/bin/python bench/geo_locate.py [--points 500000] [--size city] [--seed 2021]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely

from kaoping.demo.geography import DemoGeography, build_geography
from kaoping.demo.sizes import SIZES
from kaoping.geo import index as index_module
from kaoping.geo.index import GeoIndex, GridRecord, RoadRecord


def timed(label: str, fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Best of ``repeat`` runs, printed in seconds."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    print(f"  {label:<58} {best:8.3f} s")
    return best, result


def make_index(geo: DemoGeography) -> GeoIndex:
    community_ids = {c.code: i for i, c in enumerate(geo.communities)}
    town_ids = {t.code: i for i, t in enumerate(geo.towns)}
    district_ids = {d.code: i for i, d in enumerate(geo.districts)}
    grids = [
        GridRecord(
            i,
            g.code,
            community_ids[g.community_code],
            town_ids[g.code[:9]],
            district_ids[g.code[:6]],
            g.geometry,
        )
        for i, g in enumerate(geo.grids)
    ]
    return GeoIndex(grids, [RoadRecord(i, r.geometry) for i, r in enumerate(geo.roads)])


def random_points(geo: DemoGeography, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform over the city's bounding box: most land in a grid, some outside the blob."""
    xmin, ymin, xmax, ymax = shapely.bounds(geo.city.geometry)
    rng = np.random.default_rng(seed)
    return rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)


def serial_map(fn: Callable[[Any], Any], chunks: list[Any]) -> list[Any]:
    return [fn(chunk) for chunk in chunks]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=500_000)
    parser.add_argument("--size", default="city", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()

    print(f"demo geography '{args.size}', seed {args.seed}")
    _, geo = timed("build_geography", lambda: build_geography(SIZES[args.size], args.seed), repeat=1)
    print(f"  {len(geo.grids)} grids, {len(geo.roads)} road sections")
    _, index = timed("GeoIndex(...) (project + two STRtrees)", lambda: make_index(geo), repeat=1)
    lon, lat = random_points(geo, args.points, args.seed)

    print(f"\n{args.points:,} random points")
    total, batch = timed(
        "locate_many (validate, project, grid, road), all cores", lambda: index.locate_many(lon, lat)
    )
    original_map = index_module._map
    index_module._map = serial_map  # type: ignore[assignment]
    try:
        serial, _ = timed("locate_many, one core", lambda: index.locate_many(lon, lat))
    finally:
        index_module._map = original_map
    print(
        f"  located {len(batch) - batch.unassigned.size:,}, outside every grid {batch.unassigned.size:,}, "
        f"with a road within {index.road_snap_m:.0f} m {(batch.road_id >= 0).sum():,}"
    )

    print("\nparts and floors")
    projection = index.projection
    _, (x, y) = timed("project lon/lat → metres (pyproj)", lambda: projection.to_metric(lon, lat))
    _, points = timed("shapely.points", lambda: shapely.points(x, y))
    grid_geoms = projection.geometry_to_metric(np.array([g.geometry for g in geo.grids], dtype=object))
    road_geoms = projection.geometry_to_metric(np.array([r.geometry for r in geo.roads], dtype=object))
    grid_tree, road_tree = shapely.STRtree(grid_geoms), shapely.STRtree(road_geoms)
    floor, _ = timed(
        "FLOOR: STRtree.query(points, 'intersects')", lambda: grid_tree.query(points, "intersects")
    )
    timed(
        "STRtree.query(points, 'dwithin', 0.01 m) (border rule)",
        lambda: grid_tree.query(points, "dwithin", distance=0.01),
    )
    timed(
        "roads: query_nearest(max 50 m, all_matches=False)",
        lambda: road_tree.query_nearest(points, max_distance=50, return_distance=True, all_matches=False),
        1,
    )
    timed(
        "roads: query_nearest(max 50 m, all_matches=True)",
        lambda: road_tree.query_nearest(points, max_distance=50, return_distance=True, all_matches=True),
        1,
    )

    def dwithin_then_distance() -> np.ndarray:
        pairs = road_tree.query(points, "dwithin", distance=50)
        return shapely.distance(points[pairs[0]], road_geoms[pairs[1]])

    timed("roads: query(dwithin 50 m) + shapely.distance (used)", dwithin_then_distance, 1)

    print("\nratios to the floor")
    print(f"  locate_many, all cores: {total / floor:5.1f}×   one core: {serial / floor:5.1f}×")
    print(f"  throughput: {args.points / total:,.0f} points/s (all cores)")

    one_lon, one_lat = lon[:2000], lat[:2000]
    inside = np.flatnonzero(index.locate_many(one_lon, one_lat).grid_id >= 0)[:1000]

    def one_by_one() -> None:
        for i in inside:
            index.locate(float(one_lon[i]), float(one_lat[i]))

    single, _ = timed(f"locate() one point at a time × {inside.size}", one_by_one, 1)
    print(f"  per point: {single / inside.size * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
