"""Time scan detection on 1,000,000-frame synthetic header arrays.

Not a test: run ``python benchmarks/bench_detect.py`` from the repository
root.  Builds frame headers that imitate EM-Scan (scan positions, a
1000x990 fly-back raster after 4,000 junk frames) and EM-Konos (rotator
index with repeats and skips, a 900x900 scan after 5,000 constant frames),
and prints how long :func:`tvips_ks.scan.detect.detect_scan` takes on each.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tvips_ks.scan.detect import detect_scan  # noqa: E402

N = 1_000_000
HEADER = np.dtype([("counter", "<u4"), ("timestamp_s", "<u4"), ("timestamp_ms", "<u4"),
                   ("rotator_index", "<u4"), ("scan_x", "<f4"), ("scan_y", "<f4")])


def em_scan_headers(rows=1000, cols=990, start=4000):
    h = np.zeros(N, HEADER)
    h["counter"] = np.arange(N)
    k = np.arange(rows * cols)
    h["scan_y"][start:start + k.size] = k // cols
    h["scan_x"][start:start + k.size] = k % cols
    return h


def em_konos_headers(points=900 * 900, start=5000, seed=0):
    rng = np.random.default_rng(seed)
    # One frame per point, ~15% repeated, ~5% of points skipped.
    step = np.where(rng.random(points) < 0.05, 2, 1)
    step[rng.random(points) < 0.15] = 0
    values = 1 + np.cumsum(np.concatenate(([0], step)))
    values = values[values <= points]
    values[-1] = points
    h = np.zeros(N, HEADER)
    h["rotator_index"][:start] = 7  # constant before the scan
    h["rotator_index"][start:start + values.size] = values
    h["rotator_index"][start + values.size:] = 1  # the drop after it
    return h


def timed(headers, repeat=5):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = detect_scan(headers)
        best = min(best, time.perf_counter() - t0)
    return best, result


def main():
    for name, headers in (("scan_position (EM-Scan)", em_scan_headers()),
                          ("rotator_index (EM-Konos)", em_konos_headers())):
        seconds, result = timed(headers)
        print(f"{name}: {seconds * 1000:.0f} ms for {N:,} frames -> "
              f"{result.scan_shape} from frame {result.scan_start_frame} "
              f"({result.method})")


if __name__ == "__main__":
    main()
