"""GCJ-02 ⇄ WGS84 for a million points: kaoping.geo.crs (numpy) against its floor and the FFI library.

The floor is the bare numpy cost of the functions the formula cannot avoid, per forward evaluation:
12 trigonometric passes (10 sines in the offset series, sin and cos of the latitude) and 2 square
roots, each timed as a plain ``np.sin`` / ``np.sqrt`` over the same million values. The ~60 additions
and multiplications around them are not in the floor; they are what a ratio above 1 costs. The
inverse evaluates the forward once per round for each point still moving; that count is measured,
not assumed, and the inverse's floor scales with it. The FFI rate (geocoordinates-rs, one call per
point, the tests' oracle) is measured on a sample and extrapolated. Not a test: nothing here gates CI.

    .venv/bin/python bench/crs.py [--points 1000000] [--ffi-sample 20000] [--seed 2021]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from kaoping.geo import crs

TRIG_PER_EVALUATION = 12
SQRT_PER_EVALUATION = 2


def timed(label: str, fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Best of ``repeat`` runs, printed in seconds."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    print(f"  {label:<52} {best:8.3f} s")
    return best, result


def forward_evaluations(gcj_lon: np.ndarray, gcj_lat: np.ndarray) -> float:
    """How many forward GCJ-02 evaluations per point the inverse makes (counted, not assumed)."""
    original = crs._shift_gcj02
    count = 0

    def counting(lon: crs.FloatArray, lat: crs.FloatArray) -> crs.Pair:
        nonlocal count
        count += lon.size
        return original(lon, lat)

    crs._shift_gcj02 = counting
    try:
        crs.to_wgs84(gcj_lon, gcj_lat, "gcj02")
    finally:
        crs._shift_gcj02 = original
    return count / gcj_lon.size


def ffi_seconds_per_point(lon: np.ndarray, lat: np.ndarray) -> tuple[float, float]:
    """geocoordinates-rs, one FFI call per point: (forward, inverse) seconds per point."""
    import geocoordinates_ffi as gc  # dev dependency, only for the comparison

    pairs = list(zip(lon.tolist(), lat.tolist(), strict=True))
    start = time.perf_counter()
    for x, y in pairs:
        gc.wgs84_to_gcj02(gc.Wgs84(lat=y, lon=x))
    forward = (time.perf_counter() - start) / len(pairs)
    start = time.perf_counter()
    for x, y in pairs:
        gc.gcj02_to_wgs84_refined(gc.Gcj02(lat=y, lon=x))
    return forward, (time.perf_counter() - start) / len(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--ffi-sample", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()
    n = args.points
    rng = np.random.default_rng(args.seed)
    # Across mainland China, as a national import would be; all inside the out_of_china box.
    lon, lat = rng.uniform(73.5, 135.0, n), rng.uniform(18.0, 53.5, n)

    print(f"{n:,} points across China, seed {args.seed}")
    sin_pass, _ = timed("floor: one np.sin pass", lambda: np.sin(lon), repeat=5)
    sqrt_pass, _ = timed("floor: one np.sqrt pass", lambda: np.sqrt(lon), repeat=5)
    floor = sin_pass * TRIG_PER_EVALUATION + sqrt_pass * SQRT_PER_EVALUATION
    fwd, (glon, glat) = timed("WGS84 → GCJ-02  crs.from_wgs84", lambda: crs.from_wgs84(lon, lat, "gcj02"))
    inv, _ = timed("GCJ-02 → WGS84  crs.to_wgs84", lambda: crs.to_wgs84(glon, glat, "gcj02"))
    rounds = forward_evaluations(glon, glat)
    sample = slice(0, min(args.ffi_sample, n))
    ffi_fwd, ffi_inv = ffi_seconds_per_point(lon[sample], lat[sample])

    passes = f"{TRIG_PER_EVALUATION} np.sin + {SQRT_PER_EVALUATION} np.sqrt passes"
    print(f"\nfloor = {passes} = {floor:.3f} s per forward evaluation")
    print(f"  forward: {fwd:.3f} s, {fwd / floor:.2f} × floor")
    print(
        f"  inverse: {inv:.3f} s, {rounds:.2f} forward evaluations a point, "
        f"{inv / (floor * rounds):.2f} × floor"
    )
    print(f"FFI (geocoordinates-rs, {sample.stop:,}-point sample, extrapolated to {n:,}):")
    print(f"  forward: {ffi_fwd * 1e6:.1f} µs/point → {ffi_fwd * n:.1f} s ({ffi_fwd * n / fwd:.0f} × numpy)")
    print(f"  inverse: {ffi_inv * 1e6:.1f} µs/point → {ffi_inv * n:.1f} s ({ffi_inv * n / inv:.0f} × numpy)")


if __name__ == "__main__":
    main()
