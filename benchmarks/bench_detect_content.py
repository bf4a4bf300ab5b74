"""Correctness of scan detection from image content, on synthetic 4D-STEM scans.

Not a test: run ``python benchmarks/bench_detect_content.py`` from the
repository root (``--quick`` for a smaller grid, ``--update-readme`` to put the
table in the README).  Every scan is built deterministically from its seed:

* a specimen, per scan position: ``smooth`` (a low-frequency random field of
  thickness, non-periodic), ``lattice`` (a crystal lattice of random period
  and angle under a smooth thickness envelope), ``grains`` (Voronoi grains,
  each with its own orientation: the diffraction disc shifts and the
  diffracted intensity changes from grain to grain, the thickness barely
  does) or ``noisy`` (the smooth specimen at a low dose);
* 16 x 16 frames: a bright-field disc (radius 3) whose intensity falls with
  thickness and whose position follows the grain's tilt, diffraction spots
  on a ring that grow with thickness, a background, all Poisson-sampled;
* a scan: fly-back, or snake with hysteresis 0..8, of a shape from 8 x 8 to
  512 x 512 (square and not);
* frames before and after the scan: none, constant (blank: the same frame
  repeated) or beam-blanked (dark counts).

The frames are made on the fly, a chunk at a time, so a 512 x 512 scan costs
no memory.  Each scan is passed to :func:`detect_scan` without headers; the
outcome is *correct* (shape, start, winding and hysteresis all right),
*refused* (ScanDetectionError) or *wrong* (anything else).
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tvips_ks.errors import ScanDetectionError  # noqa: E402
from tvips_ks.scan.arrange import scan_index_map  # noqa: E402
from tvips_ks.scan.detect import detect_scan  # noqa: E402

FRAME = 16
SPECIMENS = ("smooth", "lattice", "grains", "noisy")
ENDS = ("none", "blank", "beam-blanked")
SHAPES = [(8, 8), (10, 12), (12, 12), (12, 16), (15, 20), (16, 16), (20, 15), (24, 32),
          (32, 32), (31, 40), (48, 64), (64, 64), (64, 48), (100, 80), (128, 128),
          (150, 200), (256, 256), (200, 300), (512, 512)]
QUICK_SHAPES = [(8, 8), (12, 16), (15, 20), (32, 32), (48, 64), (100, 80), (256, 256)]


# -- specimens ---------------------------------------------------------------------

def _smooth_field(shape, rng, scale):
    """A non-periodic smooth random field, mean 0, std 1 (blurred on a grid
    padded by 3 blur lengths, then cropped)."""
    pad = int(3 * scale) + 2
    big = (shape[0] + 2 * pad, shape[1] + 2 * pad)
    ky = np.fft.fftfreq(big[0])[:, None]
    kx = np.fft.fftfreq(big[1])[None, :]
    blur = np.exp(-2 * (np.pi * scale) ** 2 * (ky ** 2 + kx ** 2))
    field = np.fft.ifft2(np.fft.fft2(rng.standard_normal(big)) * blur).real
    field = field[pad:pad + shape[0], pad:pad + shape[1]]
    return (field - field.mean()) / (field.std() or 1.0)


def specimen(kind, shape, rng):
    """Per position: thickness t (0..1), disc shift (dy, dx) in pixels and
    diffracted strength b, and the dose (electrons per frame, scale)."""
    rows, cols = shape
    scale = max(min(rows, cols) / 6.0, 1.5)
    if kind in ("smooth", "noisy"):
        t = 0.5 + 0.15 * _smooth_field(shape, rng, scale)
        dy = 0.3 * _smooth_field(shape, rng, scale)
        dx = 0.3 * _smooth_field(shape, rng, scale)
        b = t
    elif kind == "lattice":
        period = rng.uniform(3.0, 9.0)
        angle = rng.uniform(0, np.pi)
        yy, xx = np.indices(shape, dtype=np.float64)
        phase = 2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period
        envelope = 0.5 + 0.1 * _smooth_field(shape, rng, scale)
        t = envelope + 0.15 * np.cos(phase + rng.uniform(0, 2 * np.pi))
        dy = 0.2 * np.sin(phase)
        dx = 0.2 * np.cos(phase)
        b = t
    elif kind == "grains":
        count = max(int(rows * cols / 60), 4)
        seeds = rng.uniform(0, 1, (count, 2)) * [rows, cols]
        yy, xx = np.indices(shape, dtype=np.float64)
        grain = np.empty(shape, np.int64)
        step = max(1, 2_000_000 // (cols * count))  # rows at a time: bounded memory
        for r in range(0, rows, step):
            dist = ((yy[r:r + step, :, None] - seeds[:, 0]) ** 2
                    + (xx[r:r + step, :, None] - seeds[:, 1]) ** 2)
            grain[r:r + step] = np.argmin(dist, axis=-1)
        theta = rng.uniform(0, 2 * np.pi, count)
        strength = rng.uniform(0.2, 1.0, count)
        t = 0.5 + 0.02 * _smooth_field(shape, rng, scale)
        dy = 0.6 * np.sin(theta)[grain]
        dx = 0.6 * np.cos(theta)[grain]
        b = strength[grain]
    else:
        raise ValueError(kind)
    dose = 400.0 if kind == "noisy" else 20000.0
    return np.clip(t, 0.02, 0.98), dy, dx, b, dose


def _templates():
    """The bright-field disc, its derivatives (a small shift) and the spots."""
    yy, xx = np.mgrid[:FRAME, :FRAME].astype(np.float64)
    c = (FRAME - 1) / 2.0
    disc = 1.0 / (1.0 + np.exp((np.hypot(yy - c, xx - c) - 3.0) / 0.4))  # soft edge
    disc_dy, disc_dx = np.gradient(-disc)
    spots = sum(np.exp(-((yy - c - 6 * np.sin(a)) ** 2 + (xx - c - 6 * np.cos(a)) ** 2) / 1.5)
                for a in np.arange(6) * np.pi / 3)
    return disc, disc_dy, disc_dx, spots


DISC, DISC_DY, DISC_DX, SPOTS = _templates()


class LazyFrames:
    """The frames of a scan, made a slice at a time (what detection reads)."""

    def __init__(self, params, junk, seed):
        self.a, self.dy, self.dx, self.b, self.dose = params  # per frame (acquisition order)
        self.junk = junk  # per frame: 0 scan, 1 constant, 2 beam-blanked
        self.seed = seed
        self.shape = (self.a.size, FRAME, FRAME)
        self.blank = np.random.default_rng(seed + 1).poisson(
            self.dose / FRAME ** 2 * 0.1, (FRAME, FRAME)).astype(np.float32)

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        frames, *pixels = key if isinstance(key, tuple) else (key,)
        i, j, _ = frames.indices(self.shape[0])
        rng = np.random.default_rng([self.seed, i])
        s = slice(i, j)
        a = self.a[s, None, None]
        mean = (a * (DISC + self.dy[s, None, None] * DISC_DY + self.dx[s, None, None] * DISC_DX)
                + 0.15 * self.b[s, None, None] * SPOTS + 0.02)
        mean *= self.dose / (np.pi * 9.0)
        out = rng.poisson(np.clip(mean, 0, None)).astype(np.float32)
        junk = self.junk[s]
        out[junk == 1] = self.blank
        dark = junk == 2
        out[dark] = rng.poisson(0.05, (int(dark.sum()), FRAME, FRAME))
        return out[(slice(None), *pixels)]


def make_case(kind, shape, winding, hysteresis, ends, seed):
    rng = np.random.default_rng(seed)
    t, dy, dx, b, dose = specimen(kind, shape, rng)
    before = 0 if ends == "none" else int(rng.integers(1, 40))
    after = 0 if ends == "none" else int(rng.integers(1, 40))
    n = before + shape[0] * shape[1] + after
    index = scan_index_map(n, shape, before, winding, hysteresis)
    per_frame = [np.zeros(n) for _ in range(4)]
    for out, field in zip(per_frame, (1.0 - t, dy, dx, b)):
        out[index.ravel()] = field.ravel()
    junk = np.zeros(n, np.int8)
    junk[:before] = junk[n - after:] = 1 if ends == "blank" else 2
    return LazyFrames((*per_frame, dose), junk, seed), (shape, before, winding, hysteresis)


def cases(shapes):
    """The grid: every specimen, shape and ending; patterns and seeds vary."""
    k = 0
    for shape in shapes:
        hmax = min(8, (shape[1] - 1) // 2)
        big = shape[0] * shape[1] > 40_000  # one ending each, to keep the run in minutes
        for kind in SPECIMENS:
            for e, ends in enumerate(ENDS):
                for winding in (None, "x"):
                    k += 1
                    if big and e != k % len(ENDS):
                        continue
                    h = 0 if winding is None else (k * 5) % (hmax + 1)
                    yield kind, shape, winding, h, ends, 1000 + k


def run_case(case):
    kind, shape, winding, h, ends, seed = case
    frames, truth = make_case(kind, shape, winding, h, ends, seed)
    t0 = time.perf_counter()
    try:
        got = detect_scan(None, frames)
    except ScanDetectionError as e:
        return "refused", time.perf_counter() - t0, str(e)
    found = (got.scan_shape, got.scan_start_frame, got.winding_scan_axis, got.hysteresis)
    outcome = "correct" if found == truth else "wrong"
    return outcome, time.perf_counter() - t0, f"found {found}, truth {truth}: {got.evidence}"


def table(rows_by):
    lines = ["| category | scans | correct | refused | wrong |", "|---|---:|---:|---:|---:|"]
    for name, outcomes in rows_by.items():
        n = len(outcomes)
        c = outcomes.count("correct")
        r = outcomes.count("refused")
        w = outcomes.count("wrong")
        lines.append(f"| {name} | {n} | {c} ({100 * c / n:.1f} %) | {r} ({100 * r / n:.1f} %) "
                     f"| {w} ({100 * w / n:.1f} %) |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="a smaller grid of shapes")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "detect_content_results.md"))
    p.add_argument("--update-readme", action="store_true")
    p.add_argument("--verbose", action="store_true", help="print every wrong or refused scan")
    args = p.parse_args(argv)
    shapes = QUICK_SHAPES if args.quick else SHAPES
    by = defaultdict(list)
    wrongs = []
    t_all = time.perf_counter()
    for case in cases(shapes):
        kind, shape, winding, h, ends, seed = case
        outcome, seconds, text = run_case(case)
        pattern = "fly-back" if winding is None else "snake"
        big = "≥ 12 rows" if shape[0] >= 12 else "< 12 rows"
        for key in ("all scans", big, f"specimen {kind}", f"{pattern}", f"ends {ends}",
                    f"{big}, specimen {kind}"):
            by[key].append(outcome)
        if outcome == "wrong":
            wrongs.append(f"- {kind} {shape} {pattern} h={h} ends={ends} seed={seed}: {text}")
        if args.verbose and outcome != "correct":
            print(outcome, kind, shape, pattern, h, ends, seed, text[:700], flush=True)
    elapsed = time.perf_counter() - t_all
    order = ["all scans", "≥ 12 rows", "< 12 rows"] + sorted(
        k for k in by if k.startswith("specimen")) + ["fly-back", "snake"] + sorted(
        k for k in by if k.startswith("ends")) + sorted(k for k in by if ", specimen" in k)
    body = table({k: by[k] for k in order if k in by})
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    head = (f"Measured {when} by `python benchmarks/bench_detect_content.py"
            f"{' --quick' if args.quick else ''}`: {len(by['all scans'])} synthetic scans "
            f"without headers ({FRAME}×{FRAME} Poisson frames; shapes "
            f"{shapes[0][0]}×{shapes[0][1]} to {shapes[-1][0]}×{shapes[-1][1]}; fly-back and "
            f"snake with hysteresis 0–8; none, constant or beam-blanked frames before and "
            f"after), {elapsed:.0f} s on {platform.machine()} with {platform.python_version()}.")
    report = f"# Scan detection from image content: correctness\n\n{head}\n\n{body}\n"
    if wrongs:
        report += "\n## Wrong detections\n\n" + "\n".join(wrongs) + "\n"
    Path(args.out).write_text(report)
    print(report)
    if args.update_readme:
        readme = ROOT / "README.md"
        text = readme.read_text()
        a, b = "<!-- detect:start -->", "<!-- detect:end -->"
        i, j = text.index(a) + len(a), text.index(b)
        readme.write_text(text[:i] + f"\n{head}\n\n{body}\n" + text[j:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
