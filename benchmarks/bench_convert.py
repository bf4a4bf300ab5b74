"""Throughput and peak memory of every output of ``tvips-ks convert`` (issue 15).

A series of several GiB (256×256 uint16 frames, built by bench_memory's builder) is
converted to each format, each case in a fresh process; its wall time gives the
throughput (series bytes read per second) and ``wait4``'s ``ru_maxrss`` its peak RSS.
The same conversion through HyperSpy (``hs.load(..., lazy=True).save(...)``, reading with
tvips_ks.rsciio) is measured wherever HyperSpy can write the format.  Figures, not
assertions; the .npy conversion (one write per block, no processing) is the yardstick.

    python benchmarks/bench_convert.py                  # 4 GiB in /work/tmp-export-convert
    python benchmarks/bench_convert.py --size-gib 1 --update-readme
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from bench_memory import series, update_readme  # noqa: E402  (the same builder)

MARKERS = ("<!-- convert:start -->", "<!-- convert:end -->")
SCALE = "0-4096"

# (name, what, tvips-ks arguments after SRC OUT, or python code for HyperSpy; output name)
CASES = [
    ("npy", "tvips-ks convert OUT.npy", ["--scan-shape", "{shape}"], "c.npy"),
    ("zarr", "tvips-ks convert OUT.zarr", ["--scan-shape", "{shape}"], "c.zarr"),
    ("zarr zstd", "… --compression zstd", ["--scan-shape", "{shape}", "--compression", "zstd"],
     "c.zarr"),
    ("h5", "tvips-ks convert OUT.h5", ["--scan-shape", "{shape}"], "c.h5"),
    ("h5 gzip", "… --compression gzip", ["--scan-shape", "{shape}", "--compression", "gzip"],
     "c.h5"),
    ("blo", f"… OUT.blo --linscale {SCALE}", ["--scan-shape", "{shape}", "--linscale", SCALE],
     "c.blo"),
    ("blo bin 2", "… OUT.blo --bin 2 --linscale 0-16384",
     ["--scan-shape", "{shape}", "--bin", "2", "--linscale", "0-16384"], "c.blo"),
    ("hspy", "tvips-ks convert OUT.hspy", ["--scan-shape", "{shape}"], "c.hspy"),
    ("zspy", "tvips-ks convert OUT.zspy", ["--scan-shape", "{shape}"], "c.zspy"),
    ("mrc", "tvips-ks convert OUT.mrc (stack)", [], "c.mrc"),
    ("tif", "tvips-ks convert OUT.tif (stack)", [], "c.tif"),
    ("smv", "tvips-ks convert OUT_#####.img (stack)",
     ["--distance", "500", "--osc-range", "0.1", "--wavelength", "0.0197",
      "--pixel-size", "0.028"], "s_#####.img"),
    ("HyperSpy blo", f"hs.load(lazy).save(.blo, intensity_scaling=({SCALE.replace('-', ', ')}))",
     "s.save(OUT, intensity_scaling=(0, 4096), overwrite=True)", "h.blo"),
    ("HyperSpy hspy", "hs.load(lazy).save(.hspy)", "s.save(OUT, overwrite=True)", "h.hspy"),
    ("HyperSpy zspy", "hs.load(lazy).save(.zspy)", "s.save(OUT, overwrite=True)", "h.zspy"),
    ("HyperSpy tif", "hs.load(lazy).save(.tif) (stack)", "s.save(OUT, overwrite=True)", "h.tif"),
]

def _zarr_version():
    try:
        import zarr
    except ImportError:
        return "none"
    return zarr.__version__


HS_PRELUDE = """
import hyperspy.api as hs, tvips_ks.rsciio
SRC, OUT, SHAPE = {src!r}, {out!r}, {shape!r}
kw = dict(scan_shape=SHAPE) if {scan!r} else {{}}
s = hs.load(SRC, file_format=tvips_ks.rsciio, lazy=True, **kw)
"""


def run_case(argv: list[str], timeout: float) -> tuple[float, float, str]:
    """Run ``argv``; its peak RSS (MiB), wall time (s) and status ("ok", "timeout", error)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    status = "ok"
    while True:
        pid, wait_status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - start > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
            _, wait_status, usage = os.wait4(proc.pid, 0)
            status = f"stopped after {timeout:.0f} s"
            break
        time.sleep(0.05)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace").strip().splitlines()
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(wait_status)
    if status == "ok" and code:
        status = f"failed ({code}): {err[-1] if err else ''}"[:120]
    return usage.ru_maxrss / 1024, wall, status


def render(rows, size, args, load) -> str:
    npy = next(r for r in rows if r[0] == "npy")
    lines = [
        "# Conversion throughput and peak memory",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
        f"`python benchmarks/bench_convert.py --size-gib {args.size_gib}"
        f"{' --repeat %d' % args.repeat if args.repeat > 1 else ''}"
        f"{' --only ' + ' '.join(repr(n) for n in args.only) if args.only else ''}`"
        f"{' (median of %d rounds, run in turn; min–max in brackets)' % args.repeat if args.repeat > 1 else ''}: "
        f"a series of "
        f"{size / 2**30:.2f} GiB (256×256 uint16 frames; scan {args.shape[0]}×{args.shape[1]} "
        f"where a scan is written), page cache warmed before each case (every part read once), 2 cores shared with other jobs (load "
        f"average {load[0]:.2f} at start, {load[1]:.2f} at end). Each case ran in a fresh "
        f"process; throughput is series bytes read per second of wall time; peak RSS is "
        f"`ru_maxrss` (heap plus mapped file pages). HyperSpy reads through tvips_ks.rsciio "
        f"(lazy) and writes with RosettaSciIO; it has no MRC or SMV writer, and its .zspy "
        f"writer needs zarr 2 (zarr {_zarr_version()} is installed here).",
        "",
        "| output | how | wall | throughput | vs .npy | peak RSS | status |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for name, what, peak, walls, status in rows:
        wall = statistics.median(walls)
        spread = f" ({min(walls):.1f}–{max(walls):.1f})" if len(walls) > 1 else ""
        if status != "ok":  # a failed case's time says nothing about throughput
            lines.append(f"| {name} | {what} | {wall:.1f} s | — | — | {peak:,.0f} MiB | "
                         f"{status} |")
            continue
        rate = size / wall / 2**20
        ratio = statistics.median(npy[3]) / wall
        lines.append(f"| {name} | {what} | {wall:.1f} s{spread} | {rate:,.0f} MiB/s | "
                     f"{ratio:.2f}× | {peak:,.0f} MiB | {status} |")
    return "\n".join(lines) + "\n"


def warm(first_part: str) -> None:
    """Read every part once, so that each case starts with the series in the page cache
    (this machine's cache also loses pages on its own, a few per cent a minute)."""
    for path in sorted(Path(first_part).parent.glob("mem_*.tvips")):
        with open(path, "rb", buffering=0) as f:
            while f.read(16 * 2**20):
                pass


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=4)
    parser.add_argument("--part-mib", type=int, default=1024)
    parser.add_argument("--data-dir", default="/work/tmp-export-convert/bench")
    parser.add_argument("--reuse", action="store_true", help="reuse a series already built")
    parser.add_argument("--keep", action="store_true", help="keep the series afterwards")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per case")
    parser.add_argument("--only", nargs="*", help="run only these cases (names)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the cases this many rounds, in turn; report each one's median")
    parser.add_argument("--out", default=str(HERE / "convert_results.md"))
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args(argv)

    src, size = series(args)
    out = Path(args.data_dir) / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    import tvips_ks
    args.shape = (tvips_ks.open(src).num_frames // 256, 256)
    shape = f"{args.shape[0]},{args.shape[1]}"
    cli = [str(Path(sys.executable).with_name("tvips-ks"))]
    if not Path(cli[0]).exists():
        cli = [sys.executable, "-m", "tvips_ks"]
    load0 = os.getloadavg()[0]
    best = {}
    for _ in range(args.repeat):
        for name, what, body, target in CASES:
            if args.only and name not in args.only:
                continue
            dest = str(out / target)
            if isinstance(body, list):
                argv_ = cli + ["convert", src, dest, "--overwrite"] + [a.format(shape=shape)
                                                                      for a in body]
            else:
                scan = not target.endswith(".tif")
                code = HS_PRELUDE.format(src=src, out=dest, shape=args.shape, scan=scan) + body
                argv_ = [sys.executable, "-c", code]
            warm(src)
            peak, wall, status = run_case(argv_, args.timeout)
            if name not in best:
                best[name] = (name, what, peak, [wall], status)
            else:
                old = best[name]
                best[name] = (name, what, max(old[2], peak), old[3] + [wall],
                              old[4] if old[4] != "ok" else status)
            print(f"{name:16s} {peak:8.0f} MiB {wall:7.1f} s  {status}", flush=True)
            shutil.rmtree(out)
            out.mkdir()
    rows = list(best.values())
    table = render(rows, size, args, (load0, os.getloadavg()[0]))
    Path(args.out).write_text(table)
    print(table)
    if args.update_readme:
        update_readme(table, MARKERS)
    if not args.keep:
        shutil.rmtree(args.data_dir)


if __name__ == "__main__":
    main()
