"""Peak memory of every path that walks a whole series (issue 12, item 2).

Each path runs in a fresh process on a series of several GiB; its peak resident set
(``ru_maxrss`` from ``wait4``, which counts the file pages a process maps as well as its
heap) is compared with the series size and with a process that only imports tvips-ks,
numpy and dask (the fixed cost).  Figures, not assertions: the test suite holds the
mechanisms, this shows what they add up to.

    python benchmarks/bench_memory.py                 # 4 GiB series, about 2 min here
    python benchmarks/bench_memory.py --size-gib 8 --update-readme
    python benchmarks/bench_memory.py --minimal-env   # also in a venv of tvips-ks alone

``--minimal-env`` runs every path a second time in a virtual environment that holds
tvips-ks with its ``dask``, ``convert`` and ``preview`` extras and nothing else
(benchmarks/out/venv-minimal, made on first use from the package registry).  In the
test environment ``import dask.array`` also imports sparse, numba and scipy, because
LiberTEM (a benchmark peer) installs sparse and dask registers it as a chunk type; a
user without LiberTEM does not pay for them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MARKERS = ("<!-- memory:start -->", "<!-- memory:end -->")

BUILD = """
import numpy as np, dask.array as da, tvips_ks
n = {frames}
a = da.random.default_rng(1).integers(0, 4096, size=(n, 256, 256), chunks=(256, 256, 256),
                                      dtype=np.uint16)
tvips_ks.save({path!r}, a, max_file_size={part_bytes}, overwrite=True)
"""

PRELUDE = "import numpy, dask.array, tvips_ks\nSRC = {src!r}\nOUT = {out!r}\nSHAPE = {shape!r}\n"

# (name, what, python code or a tvips-ks command line); SRC/OUT/SHAPE come from PRELUDE.
CASES = [
    ("baseline", "import tvips-ks, numpy and dask only (the fixed cost)", "pass"),
    ("frames loop", "for f in ds.frames: f.sum()",
     "ds = tvips_ks.open(SRC)\nfor f in ds.frames: f.sum()"),
    ("scan loop", "ds.data[i, j].sum() at every scan position",
     "ds = tvips_ks.open(SRC, scan_shape=SHAPE)\n"
     "for i in range(SHAPE[0]):\n    for j in range(SHAPE[1]): ds.data[i, j].sum()"),
    ("slices", "ds.frames[k:k + 256] for every k, summed",
     "ds = tvips_ks.open(SRC)\n"
     "for k in range(0, ds.num_frames, 256): ds.frames[k:k + 256].sum()"),
    ("to_dask VBF", "open(...).to_dask().sum(axis=(-2, -1)).compute()",
     "tvips_ks.open(SRC).to_dask().sum(axis=(-2, -1)).compute()"),
    ("save(ds.frames)", "tvips_ks.save(out, ds.frames)",
     "tvips_ks.save(OUT + '/copy.tvips', tvips_ks.open(SRC).frames, overwrite=True)"),
    ("save(ds.data)", "tvips_ks.save(out, ds.data) of a scan",
     "tvips_ks.save(OUT + '/copy.tvips', tvips_ks.open(SRC, scan_shape=SHAPE).data,"
     " overwrite=True)"),
    ("check", "tvips_ks.validate(path)", "assert tvips_ks.validate(SRC, open(os.devnull, 'w'))"),
    ("cli info", "tvips-ks info", ["info", "{src}"]),
    ("cli check", "tvips-ks check", ["check", "{src}"]),
    ("cli preview", "tvips-ks preview (VBF and plot)",
     ["preview", "{src}", "{out}/p.png", "--overwrite"]),
    ("cli convert .npy", "tvips-ks convert to .npy", ["convert", "{src}", "{out}/c.npy",
                                                      "--overwrite"]),
    ("cli convert .zarr", "tvips-ks convert to .zarr", ["convert", "{src}", "{out}/c.zarr",
                                                        "--overwrite"]),
    ("cli convert .h5", "tvips-ks convert to .h5", ["convert", "{src}", "{out}/c.h5",
                                                    "--overwrite"]),
]


def peak_rss_mib(argv: list[str], cwd=None) -> tuple[float, float]:
    """Run ``argv`` to the end; its peak RSS (MiB) and wall time (s)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{argv} failed ({proc.returncode}):\n{err}")
    return usage.ru_maxrss / 1024, wall


def minimal_python(venv: Path) -> str:
    """The interpreter of a venv holding tvips-ks[dask,convert,preview] only (made once)."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q",
                        f"{ROOT}[dask,convert,preview]"], check=True)
    # this checkout's tvips-ks, not the one the venv was made with
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
                    str(ROOT)], check=True)
    return str(python)


def series(args) -> tuple[str, int]:
    """Build (or reuse) the series; its first part and its size in bytes."""
    data = Path(args.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    first = data / "mem_000.tvips"
    frames = int(args.size_gib * 2**30 // (256 * 256 * 2))
    frames -= frames % 256  # a 256-column scan fits exactly
    if not (args.reuse and first.exists()):
        code = BUILD.format(frames=frames, path=str(data / "mem.tvips"),
                            part_bytes=args.part_mib * 2**20)
        subprocess.run([sys.executable, "-c", code], check=True)
    size = sum(p.stat().st_size for p in data.glob("mem_*.tvips"))
    return str(first), size


def render(rows, size, args, load, minimal=None) -> str:
    lines = [
        "# Peak memory of every path over a series",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
        f"`python benchmarks/bench_memory.py --size-gib {args.size_gib}`: a series of "
        f"{size / 2**30:.2f} GiB (256×256 uint16 frames, parts of ≤ {args.part_mib} MiB), page "
        f"cache warm. Load average {load[0]:.2f} at start, {load[1]:.2f} at end. Each path ran "
        "in a fresh process; peak RSS is its `ru_maxrss` (heap plus the file pages it mapped).",
    ]
    if minimal:
        lines.append(
            "The last column is the same path in a venv of tvips-ks[dask,convert,preview] "
            "alone: in the test environment `import dask.array` also imports sparse, numba "
            "and scipy (LiberTEM, a benchmark peer, installs sparse, which dask registers as "
            "a chunk type).")
    lines += [
        "",
        "| path | what | peak RSS | over the fixed cost | share of the series | wall |"
        + (" peak RSS, tvips-ks alone |" if minimal else ""),
        "|---|---|---:|---:|---:|---:|" + ("---:|" if minimal else ""),
    ]
    base = rows[0][2]
    for k, (name, what, peak, wall) in enumerate(rows):
        extra = "—" if name == "baseline" else f"{peak - base:,.0f} MiB"
        alone = f" {minimal[k]:,.0f} MiB |" if minimal else ""
        lines.append(f"| {name} | {what} | {peak:,.0f} MiB | {extra} | "
                     f"{peak * 2**20 / size:.1%} | {wall:.1f} s |{alone}")
    return "\n".join(lines) + "\n"


def update_readme(table: str, markers=MARKERS) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = text.index(markers[0]), text.index(markers[1])
    body = "\n".join(table.splitlines()[2:])  # without the title
    readme.write_text(text[:start + len(markers[0])] + "\n" + body + "\n" + text[end:])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=4)
    parser.add_argument("--part-mib", type=int, default=1024)
    parser.add_argument("--data-dir", default=str(ROOT / "bench-data" / "memory"))
    parser.add_argument("--reuse", action="store_true", help="reuse a series already built")
    parser.add_argument("--keep", action="store_true", help="keep the series afterwards")
    parser.add_argument("--out", default=str(HERE / "memory_results.md"))
    parser.add_argument("--update-readme", action="store_true")
    parser.add_argument("--minimal-env", action="store_true",
                        help="also run every path in a venv of tvips-ks and its extras alone")
    args = parser.parse_args(argv)

    src, size = series(args)
    out = Path(args.data_dir) / "out"
    out.mkdir(exist_ok=True)
    import tvips_ks
    shape = (tvips_ks.open(src).num_frames // 256, 256)
    cli = [str(Path(sys.executable).with_name("tvips-ks"))]
    if not Path(cli[0]).exists():
        cli = [sys.executable, "-m", "tvips_ks"]
    pythons = [sys.executable]
    if args.minimal_env:
        pythons.append(minimal_python(HERE / "out" / "venv-minimal"))
    load0 = os.getloadavg()[0]
    rows, minimal = [], []
    for name, what, body in CASES:
        for python in pythons:
            if isinstance(body, list):
                argv_ = ([python, "-m", "tvips_ks"] if python != sys.executable else cli) + \
                    [a.format(src=src, out=out) for a in body]
            else:
                code = "import os\n" + PRELUDE.format(src=src, out=str(out), shape=shape) + body
                argv_ = [python, "-c", code]
            # elsewhere than the checkout, whose tvips_ks/ would shadow the installed one
            peak, wall = peak_rss_mib(argv_, cwd=None if python == sys.executable else HERE / "out")
            if python == sys.executable:
                rows.append((name, what, peak, wall))
            else:
                minimal.append(peak)
            print(f"{name:20s} {peak:8.0f} MiB {wall:6.1f} s  {python}", flush=True)
            shutil.rmtree(out)
            out.mkdir()
    table = render(rows, size, args, (load0, os.getloadavg()[0]), minimal or None)
    Path(args.out).write_text(table)
    print(table)
    if args.update_readme:
        update_readme(table)
    if not args.keep:
        shutil.rmtree(args.data_dir)


if __name__ == "__main__":
    main()
