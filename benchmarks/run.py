"""Benchmark tvips-ks against numpy's limit and its peers, side by side, in one run.

    python benchmarks/run.py [--size-gib 2] [--frames 100000] [--out benchmarks/results.md]
                             [--update-readme] [--keep] [--reuse] [--no-libertem]

Builds a synthetic series with ``tvips_ks.save`` under ``bench-data/`` (several
parts), then runs every case of ``benchmarks/cases.py`` in a process of its own
(so that each peak RSS is its own), checks that every reader computed the same
numbers, and prints and writes a Markdown report: the machine, then one table
per section with each figure as a ratio to the limit and to tvips-ks, then the
targets.  The data are removed afterwards unless ``--keep``.

LiberTEM runs from its own virtual environment (``benchmarks/out/venv-libertem``,
created with ``--system-site-packages`` and ``pip install libertem==0.16.0`` on
first use) unless the current interpreter already has it: installing it
brings numba and sparse, and ``dask.array`` then imports sparse (and numba)
in every process, which would add about 60 MiB to every other dask case here.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CASES = HERE / "cases.py"
LIBERTEM_VERSION = "0.16.0"
README_START, README_END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
GIB, MIB = 2**30, 2**20

sys.path.insert(0, str(HERE))
from cases import make_frames  # noqa: E402  (the synthetic frames, shared with the builder)


# -- the machine ---------------------------------------------------------------------------

def _read(path, default=""):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def _version(module, python=None):
    code = f"import importlib.metadata as m; print(m.version({module!r}))"
    try:
        out = subprocess.run([python or sys.executable, "-c", code], capture_output=True,
                             text=True, timeout=60)
        return out.stdout.strip() or "not installed"
    except (OSError, subprocess.SubprocessError):
        return "not installed"


def machine(work_dir: Path, libertem_python):
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    flags = next((line.split(":", 1)[1].split() for line in _read("/proc/cpuinfo").splitlines()
                  if line.startswith("flags")), [])
    simd = [f for f in ("sse4_2", "avx", "avx2", "avx512f") if f in flags]
    mem_kib = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                    if line.startswith("MemTotal")), 0)
    usage = shutil.disk_usage(work_dir)
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--",
                                "tvips_ks"], capture_output=True, text=True).stdout.strip()
    except OSError:
        commit, dirty = "?", ""
    return {
        "cpu": cpu, "simd": " ".join(simd), "cores": os.cpu_count(), "usable_cores": affinity,
        "ram_gib": round(mem_kib / 2**20, 1), "kernel": platform.release(),
        "python": platform.python_version(), "numpy": _version("numpy"),
        "dask": _version("dask"), "distributed": _version("distributed"),
        "rosettasciio": _version("rosettasciio"), "tvips_ks": _version("tvips-ks"),
        "libertem": _version("libertem", libertem_python) if libertem_python else "not run",
        "commit": commit + (" + uncommitted changes in tvips_ks/" if dirty else ""),
        "openblas": {k: v for k, v in sorted(os.environ.items()) if k.startswith("OPENBLAS")},
        "threads_env": {k: v for k, v in sorted(os.environ.items())
                        if k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")},
        "disk_free_gib": round(usage.free / GIB, 1),
        "load_start": os.getloadavg(),
    }


# -- LiberTEM's interpreter ----------------------------------------------------------------

def libertem_python(args):
    """An interpreter that imports libertem, or (None, why not)."""
    if args.no_libertem:
        return None, "skipped (--no-libertem)"
    probe = "import libertem, sys; print(libertem.__version__)"
    here = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    if here.returncode == 0:
        return sys.executable, ""
    venv = Path(args.libertem_venv)
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} for LiberTEM {LIBERTEM_VERSION} (once)", flush=True)
        try:
            subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                           check=True)
            subprocess.run([str(python), "-m", "pip", "install", "-q",
                            f"libertem=={LIBERTEM_VERSION}"], check=True, timeout=900)
        except (OSError, subprocess.SubprocessError) as err:
            return None, f"could not install libertem=={LIBERTEM_VERSION}: {err}"
    check = subprocess.run([str(python), "-c", probe], capture_output=True, text=True)
    if check.returncode != 0:
        return None, f"libertem does not import in {venv}: {check.stderr.strip()[-200:]}"
    return str(python), ""


# -- running cases -------------------------------------------------------------------------

def run_case(kind, params, python=None, timeout=900):
    """Run one case in a fresh process; its RESULT line as a dict (or an error)."""
    path = Path(params["work_dir"]) / f"params-{params['name']}.json"
    path.write_text(json.dumps(params))
    cmd = [python or sys.executable, str(CASES), kind, "--params", "@" + str(path)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"case": params["name"], "error": f"timed out after {timeout} s"}
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"case": params["name"], "error": " / ".join(tail)[-300:] or
                f"exit code {proc.returncode}"}
    out = json.loads(lines[-1][len("RESULT "):])
    out["wall_s"] = time.perf_counter() - t0
    return out


def series_info(path):
    import tvips_ks

    with tvips_ks.open(path) as ds:
        return {
            "path": str(ds.path), "num_frames": ds.num_frames,
            "frame_shape": list(ds.layout.frame_shape), "dtype": ds.dtype.str,
            "len_record": ds.layout.len_record, "len_frame_header": ds.layout.len_frame_header,
            "pixel_bytes": int(ds.frames.nbytes),
            "file_bytes": int(sum(p.size for p in ds.files)),
            "parts": [{"path": str(p.path), "offset": p.offset, "num_frames": p.num_frames,
                       "first_frame": p.first_frame} for p in ds.files],
        }


def expected_sums(frames, frame_shape):
    """Per-frame sums of the synthetic data, computed from its formula."""
    out = np.empty(len(frames), dtype=np.float64)
    for i in range(0, len(frames), 256):
        block = np.asarray(frames[i:i + 256])
        out[i:i + 256] = np.concatenate([make_frames(f, f + 1, frame_shape) for f in block]
                                        ).reshape(len(block), -1).sum(axis=1)
    return out


# -- the plan ------------------------------------------------------------------------------

SECTIONS = {
    "a": "(a) Open a series",
    "b": "(b) Full pass: the virtual image (sum of each frame)",
    "c": "(c) Random access",
    "d": "(d) Scan reassembly (winding 'x', hysteresis), then the virtual image",
    "e": "(e) Writing a series",
    "f": "(f) The generated Kaitai parser",
    "g": "(g) Full pass on 1–8 GiB series: the median of fresh processes",
}


def plan(args):
    """(section, name, kind, series, repeat, needs LiberTEM, extra params, what)."""
    r = args.repeat
    rows = [
        ("a", "open.limit", "open.limit", "big", 20, False, {},
         "limit: stat every part, read the 256-byte main header"),
        ("a", "open.tvips_ks", "open.tvips_ks", "big", 20, False, {},
         "tvips_ks.open(path): header, part table, shape"),
        ("a", "open.tvips_ks@small", "open.tvips_ks", "small", 20, False, {},
         "the same on the 10× smaller series"),
        ("a", "open.tvips_ks_headers", "open.tvips_ks_headers", "big", r, False, {},
         "tvips_ks.open + .frame_headers (every frame header)"),
        ("a", "open.rsciio_lazy", "open.rsciio_lazy", "big", 2, False, {},
         "RosettaSciIO file_reader(lazy=True)"),
        ("a", "open.libertem", "open.libertem", "big", 3, True, {},
         "LiberTEM ctx.load('tvips', nav_shape, sync_offset=0), inline"),
        ("b", "vimg.numpy_1t", "vimg.numpy_1t", "big", r, False, {},
         "numpy: strided memmap per part, .sum(axis=(1, 2)), 1 thread"),
        ("b", "vimg.numpy_threads", "vimg.numpy_threads", "big", r, False, {},
         "numpy: the same in 16 MiB blocks, one thread per core"),
        ("b", "vimg.tvips_ks", "vimg.tvips_ks", "big", r, False, {},
         "tvips-ks: open(...).to_dask().sum(axis=(-2, -1)).compute(), default scheduler"),
        ("b", "vimg.tvips_ks@small", "vimg.tvips_ks", "small", r, False, {},
         "the same on the 10× smaller series (peak RSS vs series size)"),
        ("b", "vimg.tvips_ks_distributed", "vimg.tvips_ks_distributed", "big", 3, False, {},
         "the same graph on a dask.distributed LocalCluster, 1 process per core (start-up "
         "excluded; peak RSS = largest worker)"),
        ("b", "vimg.tvips_ks_distributed_unqueued", "vimg.tvips_ks_distributed_unqueued", "big",
         3, False, {}, "the same LocalCluster with `distributed.scheduler.worker-saturation: "
         "inf` (no queuing on the scheduler)"),
        ("b", "vimg.rsciio_lazy", "vimg.rsciio_lazy", "big", 2, False, {},
         "RosettaSciIO file_reader(lazy=True)['data'].sum(...).compute()"),
        ("b", "vimg.rsciio_eager", "vimg.rsciio_eager", "big", 2, False, {},
         "RosettaSciIO file_reader(lazy=False)['data'].sum(...)"),
        ("b", "vimg.libertem", "vimg.libertem", "big", 3, True, {},
         "LiberTEM SumSigUDF, threads executor, one thread per core"),
        ("c", "random.numpy", "random.numpy", "big", r, False, {"count": 1000},
         "limit: numpy gather from per-part strided memmaps"),
        ("c", "random.tvips_ks", "random.tvips_ks", "big", r, False, {"count": 1000},
         "tvips-ks: open(...).data[idx]"),
        ("c", "random.tvips_ks@small", "random.tvips_ks", "small", r, False, {"count": 1000},
         "the same, 1,000 frames of the 10× smaller series"),
        ("c", "random.tvips_ks@100", "random.tvips_ks", "big", r, False, {"count": 100},
         "the same, 100 frames instead of 1,000"),
        ("c", "random.tvips_ks_dask", "random.tvips_ks_dask", "big", r, False, {"count": 1000},
         "tvips-ks: open(...).to_dask()[idx].compute()"),
        ("c", "random.rsciio_lazy", "random.rsciio_lazy", "big", 2, False, {"count": 1000},
         "RosettaSciIO lazy: open + data[idx].compute()"),
        ("c", "random.libertem", "random.libertem", "big", 3, True, {"count": 1000},
         "LiberTEM PickUDF with a 1,000-frame ROI, threads executor"),
        ("d", "scan.numpy", "scan.numpy", "big", r, False, {},
         "limit: numpy virtual image (one thread per core), then the scan map applied"),
        ("d", "scan.tvips_ks", "scan.tvips_ks", "big", r, False, {},
         "tvips-ks: open(..., scan options).to_dask().sum(...).compute()"),
        ("d", "scan.tvips_ks_flyback", "scan.tvips_ks", "big", r, False,
         {"winding_scan_axis": None, "hysteresis": 0},
         "tvips-ks: the same scan as a fly-back (no winding): its chunks are views"),
        ("d", "scan.tvips_ks_virtual", "scan.tvips_ks_virtual", "big", r, False, {},
         "tvips-ks: open(..., scan options).virtual_image(): file order, then the scan map"),
        ("d", "scan.tvips_ks_virtual_lazy", "scan.tvips_ks_virtual_lazy", "big", r, False, {},
         "tvips-ks: the same, virtual_image(lazy=True).compute(), threads"),
        ("d", "scan.tvips_ks_virtual_distributed", "scan.tvips_ks_virtual_distributed", "big",
         3, False, {}, "the same graph on a dask.distributed LocalCluster, 1 process per "
         "core (start-up excluded; peak RSS = largest worker)"),
        ("d", "pattern.numpy", "pattern.numpy", "big", r, False, {"limit": ["pattern.numpy"]},
         "limit: numpy sum over the frames the scan shows (one thread per core)"),
        ("d", "pattern.tvips_ks", "pattern.tvips_ks", "big", r, False, {"limit": ["pattern.numpy"]},
         "tvips-ks: open(..., scan options).virtual_diffraction(): the sum over the scan"),
        ("d", "pattern.tvips_ks_dask", "pattern.tvips_ks_dask", "big", r, False, {"limit": ["pattern.numpy"]},
         "tvips-ks: open(..., scan options).to_dask().sum(axis=(0, 1)).compute()"),
        ("d", "scan.rsciio_lazy", "scan.rsciio_lazy", "big", 2, False, {},
         "RosettaSciIO file_reader(lazy=True, scan options)"),
        ("d", "scan.rsciio_eager", "scan.rsciio_eager", "big", 1, False, {},
         "RosettaSciIO file_reader(lazy=False, scan options)"),
        ("e", "write.numpy", "write.numpy", "big", 3, False, {},
         "limit: ndarray.tofile of the same bytes in the same parts"),
        ("e", "write.tvips_ks", "write.tvips_ks", "big", 3, False, {},
         "tvips_ks.save(path, array, max_file_size=...)"),
        ("e", "write.rsciio", "write.rsciio", "big", 3, False, {},
         "RosettaSciIO file_writer(path, signal dict, max_file_size=...)"),
        ("f", "kaitai.parse", "kaitai.parse", "big", 3, False, {},
         "generated Kaitai parser: Tvips.from_bytes over the first records"),
        ("f", "kaitai.numpy_headers", "kaitai.numpy_headers", "big", r, False, {},
         "tvips-ks bulk path: open + .frame_headers (all frames)"),
    ]
    for size in pass_sizes(args):
        label, tag = f"pass{size:g}", f"@{size:g}g"
        limit = {"limit": [f"vimg.numpy_1t{tag}", f"vimg.numpy_threads{tag}"]}
        rows += [
            ("g", f"vimg.numpy_1t{tag}", "vimg.numpy_1t", label, 3, False, limit,
             f"{size:g} GiB: numpy, strided memmap per part, 1 thread"),
            ("g", f"vimg.numpy_threads{tag}", "vimg.numpy_threads", label, 3, False, limit,
             f"{size:g} GiB: numpy, 16 MiB blocks, one thread per core"),
            ("g", f"vimg.tvips_ks{tag}", "vimg.tvips_ks", label, 3, False, limit,
             f"{size:g} GiB: open(...).to_dask().sum(axis=(-2, -1)).compute(), threads"),
        ]
    for i, row in enumerate(rows):  # what the case process imports before its baseline
        section, name, kind = row[:3]
        extra = dict(row[6])
        if kind.split(".")[1].startswith("tvips_ks"):
            uses_dask = section in "bdg" or "dask" in kind or "distributed" in kind
            extra["preimport"] = ["numpy", "tvips_ks"] + (["dask.array"] if uses_dask else []) \
                + (["distributed"] if "distributed" in kind else [])
        if section in "bdg" or kind == "random.tvips_ks_dask":
            extra["warmup"] = 1  # dask's imports and thread pools are not the pass
        rows[i] = (*row[:6], extra, row[7])
    if args.only:
        wanted = set(args.only.split(","))
        rows = [x for x in rows if x[1] in wanted or x[0] in wanted]
    return rows


def pass_sizes(args):
    return [float(x) for x in args.pass_sizes.split(",") if x.strip()]


# -- report --------------------------------------------------------------------------------

def fmt_time(s):
    if s is None or not math.isfinite(s):
        return "—"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def fmt_ratio(x):
    if x is None or not math.isfinite(x) or x <= 0:
        return "—"
    if x < 0.1:
        return f"1/{1 / x:,.0f}"
    return f"{x:.2f}" if x < 10 else f"{x:,.0f}"


LIMITS = {"a": "open.limit", "c": "random.numpy", "d": "scan.numpy", "e": "write.numpy",
          "f": "kaitai.numpy_headers"}  # (b): the better of the two numpy rows
TVIPS = {"a": "open.tvips_ks", "b": "vimg.tvips_ks", "c": "random.tvips_ks",
         "d": "scan.tvips_ks", "e": "write.tvips_ks", "f": "kaitai.numpy_headers"}


def best_time(by, name):
    """The median of every timed repetition of ``name`` in all its processes."""
    r = by.get(name)
    return float(np.median(r["times_s"])) if r and r.get("times_s") else None


def limit_of(by, section, extra=None):
    """The limit of a row: its own list (the better median wins), or its section's."""
    names = (extra or {}).get("limit") or (
        ["vimg.numpy_1t", "vimg.numpy_threads"] if section == "b" else [LIMITS[section]])
    return min(names, key=lambda n: best_time(by, n) or math.inf)


def ratio_spread(by, limit, name):
    """Lowest and highest ratio over the rounds, each round's limit against the same
    round of the row (interleaved, fresh processes): how much one run can vary."""
    a, b = by.get(limit, {}).get("round_medians"), by.get(name, {}).get("round_medians")
    if not a or not b or len(a) != len(b) or len(a) < 2:
        return None
    ratios = [x / y for x, y in zip(a, b)]
    return min(ratios), max(ratios)


def table_rows(results, info, checks):
    """One dict per case: the figures and their ratios, ready to format."""
    by = {r["case"]: r for r in results}
    out = []
    for section, name, kind, series, _repeat, _le, extra, what in info["plan"]:
        r = by.get(name, {"error": "not run"})
        row = {"section": section, "name": name, "what": what}
        if "error" in r:
            out.append(dict(row, error=r["error"]))
            continue
        best = best_time(by, name)
        limit = limit_of(by, section, extra)
        tvips = TVIPS.get(section, "vimg.tvips_ks" + name[name.find("@"):] if "@" in name
                          else None)
        lim, tv = best_time(by, limit), best_time(by, tvips)
        same_work = "@" not in name or section == "g"  # @small, @100: see the targets
        data = info[series]
        if section == "f":
            volume = None
            rate = f"{r['frames'] / best:,.0f} frames/s"
        else:
            volume = {"b": data["pixel_bytes"], "d": data["pixel_bytes"],
                      "g": data["pixel_bytes"],
                      "c": r.get("count", 1000) * data["pixel_bytes"] / data["num_frames"],
                      "e": r.get("bytes_written", data["file_bytes"])}.get(section)
            rate = f"{volume / best / GIB:.2f} GiB/s" if volume else "—"
        procs = len(r.get("round_medians") or [0])
        runs = f"{len(r['times_s'])}" + (f" in {procs} processes" if procs > 1 else "") + (
            f" (first {fmt_time(r['first_s'])})" if r["first_s"] > 1.5 * best
            and not r.get("warmup") else "")
        if name == limit:
            x_lim = "limit"
        elif section == "f":
            ref = by.get(limit)
            x_lim = (f"{(ref['frames'] / ref['best_s']) / (r['frames'] / best):,.0f}× slower"
                     if ref else "—")
        else:
            x_lim = fmt_ratio(lim / best) if lim and same_work else "—"
            spread = ratio_spread(by, limit, name) if same_work else None
            if spread and x_lim != "—":
                x_lim += f" ({fmt_ratio(spread[0])}–{fmt_ratio(spread[1])})"
        own = name.split(".")[1].startswith("tvips_ks")  # tvips-ks's other paths
        x_tv = "—" if own or not (tv and same_work) or section == "f" else fmt_ratio(best / tv)
        if section == "f":
            what += f" ({r['frames']:,} frames)"
        times = r["times_s"]
        spread_t = (f" ({fmt_time(min(times))}–{fmt_time(max(times))})" if len(times) > 1
                    else "")
        imports = r.get("imports_mib")
        rss = f"{(r.get('workers_peak_rss_mib') or r['vmhwm_mib']):,.0f} MiB" + (
            f" ({imports:,.0f})" if imports and imports > r.get("start_mib", 0) + 1
            and not r.get("workers_peak_rss_mib") else "")
        out.append(dict(row, time=fmt_time(best) + spread_t, rate=rate, rss=rss,
                        x_lim=x_lim, x_tv=x_tv, check=checks.get(name, ""), runs=runs))
    return out


def machine_line(mach):
    return ("**Machine.** " + f"{mach['cpu']} ({mach['simd']}), {mach['cores']} cores "
            f"({mach['usable_cores']} usable), {mach['ram_gib']} GiB RAM, Linux "
            f"{mach['kernel']}; Python {mach['python']}, numpy {mach['numpy']}, dask "
            f"{mach['dask']}, distributed {mach['distributed']}, RosettaSciIO "
            f"{mach['rosettasciio']}, LiberTEM {mach['libertem']}, tvips-ks {mach['tvips_ks']} "
            f"(commit {mach['commit']}). OPENBLAS: "
            f"{', '.join(f'{k}={v}' for k, v in mach['openblas'].items()) or 'not set'}"
            + (f"; {', '.join(f'{k}={v}' for k, v in mach['threads_env'].items())}"
               if mach["threads_env"] else "") +
            f". Load average at start {mach['load_start'][0]:.2f}, at end "
            f"{mach['load_end'][0]:.2f} (1-minute averages; other work on the machine inflates "
            f"wall times, which is why every figure is a median with its spread).")


def data_line(info, args, mach):
    big, small = info["big"], info["small"]
    h, w = big["frame_shape"]
    return (f"**Data.** Synthetic series written by `tvips_ks.save`: {big['num_frames']:,} "
            f"frames of {h}×{w} uint16 with {big['len_frame_header']}-byte frame headers, "
            f"{big['file_bytes'] / GIB:.2f} GiB in {len(big['parts'])} parts of ≤ "
            f"{args.part_mib} MiB ({big['pixel_bytes'] / GIB:.2f} GiB of pixels), and a 10× "
            f"smaller one ({small['num_frames']:,} frames, {small['file_bytes'] / GIB:.2f} "
            f"GiB). Page cache warm (the data were just written and {mach['ram_gib']} GiB of "
            f"RAM holds them): these are CPU and memory figures, not disk figures, except for "
            f"writing. Throughput counts pixel bytes (bytes written for (e)). Every case ran in "
            f"a process of its own; peak RSS is that process's VmHWM, which counts the file "
            f"pages it has mapped as well as its heap; in brackets, the same after the imports "
            f"every user of that path makes (numpy, tvips_ks, and dask.array for the dask "
            f"paths), before any work. "
            f"Times are the median of every repetition (\"runs\") of every process that ran "
            f"the case, with the fastest and slowest in brackets; each repetition starts from "
            f"the file path, and in (b), (d) and (g) follows one untimed warm-up (imports, "
            f"thread pools). \"× limit\" is the limit's median over the row's, in brackets the "
            f"lowest and highest ratio of one round (the limit and the row run one after "
            f"the other, in fresh processes, several rounds); \"tvips-ks is × faster\" the "
            f"row's median over tvips-ks's.")


def render(results, info, mach, args, checks, notes, started, elapsed):
    lines = []
    add = lines.append
    add(f"Measured {started:%Y-%m-%d %H:%M} UTC by `python benchmarks/run.py "
        f"--size-gib {args.size_gib:g} --frames {args.frames}` in {elapsed / 60:.1f} min.")
    add("")
    add(machine_line(mach))
    add("")
    add(data_line(info, args, mach))
    add("")
    rows = table_rows(results, info, checks)
    for key, title in SECTIONS.items():
        section = [r for r in rows if r["section"] == key]
        if not section:
            continue
        add(f"### {title}")
        add("")
        add("| case | what | median time (min–max) | throughput | peak RSS (imports) | "
            "× limit (rounds) | tvips-ks is × faster | check | runs |")
        add("|---|---|---:|---:|---:|---:|---:|:-:|---:|")
        for r in section:
            if "error" in r:
                add(f"| `{r['name']}` | {r['what']} | not run: {r['error']} | | | | | | |")
                continue
            add(f"| `{r['name']}` | {r['what']} | {r['time']} | {r['rate']} | {r['rss']} | "
                f"{r['x_lim']} | {r['x_tv']} | {r['check']} | {r['runs']} |")
        add("")
        for note in notes.get(key, []):
            add(note)
            add("")
    add("### Targets")
    add("")
    add(targets_table(results, info))
    add("")
    add("✓: the result equals the numbers the data were built from (virtual images exactly, "
        "LiberTEM's float32 to 1e-6; random frames and scan positions by their sums).")
    return "\n".join(lines)


def render_summary(results, info, mach, args, checks, started):
    """The README's section: every row in one table, the targets, where the rest is."""
    lines = []
    add = lines.append
    add(f"Measured {started:%Y-%m-%d} with `python benchmarks/run.py` (one command: it builds "
        f"its own {info['big']['file_bytes'] / GIB:.1f} GiB series and runs every case in a "
        f"process of its own); details, notes and the methods are in "
        f"[benchmarks/results.md](benchmarks/results.md) and "
        f"[benchmarks/README.md](benchmarks/README.md).")
    add("")
    add(machine_line(mach))
    add("")
    add(data_line(info, args, mach))
    add("")
    add("| | case | median time (min–max) | throughput | peak RSS (imports) | "
        "× limit (rounds) | tvips-ks is × faster |")
    add("|---|---|---:|---:|---:|---:|---:|")
    for r in table_rows(results, info, checks):
        label = f"({r['section']})"
        if "error" in r:
            add(f"| {label} | `{r['name']}` | not run: {r['error'][:80]} | | | | |")
            continue
        add(f"| {label} | `{r['name']}` | {r['time']} | {r['rate']} | {r['rss']} | "
            f"{r['x_lim']} | {r['x_tv']} |")
    add("")
    add(targets_table(results, info))
    return "\n".join(lines)


def targets_table(results, info):
    by = {r["case"]: r for r in results}
    lines = ["| target | measured | met |", "|---|---|:-:|"]
    for target, measured, ok in targets(by, lambda n: best_time(by, n),
                                        {"b": limit_of(by, "b")}, info):
        lines.append(f"| {target} | {measured} | "
                     f"{'yes' if ok else ('**no**' if ok is not None else '—')} |")
    return "\n".join(lines)


def targets(by, t, limits, info):
    out = []

    def ratio(a, b):
        ta, tb = t(a), t(b)
        return tb / ta if ta and tb else None
    big_open, small_open = t("open.tvips_ks"), t("open.tvips_ks@small")
    if big_open and small_open:
        out.append(("(a) opening costs per part, not per frame: "
                    f"{info['big']['num_frames']:,} frames in {len(info['big']['parts'])} "
                    f"parts vs {info['small']['num_frames']:,} in "
                    f"{len(info['small']['parts'])}",
                    f"{big_open / small_open:.2f}× the time", big_open / small_open <= 2))
    def versus(name, limit, goal, label):
        x = ratio(name, limit)
        if x is None:
            return
        spread = ratio_spread(by, limit, name)
        text = f"{x:.2f}" + (f" ({spread[0]:.2f}–{spread[1]:.2f})" if spread else "")
        out.append((label, text, x >= goal))
    versus("vimg.tvips_ks", limits["b"], 0.9, "(b) ≥ 0.9 of the numpy limit (median; rounds)")
    x = ratio("vimg.tvips_ks", "vimg.rsciio_lazy")
    out.append(("(b) ≥ 5× RosettaSciIO lazy (open + pass)", f"{x:.1f}×" if x else "—",
                None if x is None else x >= 5))
    versus("vimg.tvips_ks_distributed", "vimg.tvips_ks", 0.85,
           "(b) the same graph on a LocalCluster (2 processes × 1 thread) ≥ 0.85× threads")
    versus("vimg.tvips_ks_distributed_unqueued", "vimg.tvips_ks", 0.85,
           "(b) … with worker-saturation inf ≥ 0.85× threads")
    for section, name, *_ in info["plan"]:
        if section == "g" and name.startswith("vimg.tvips_ks"):
            size = name.split("@")[1]
            versus(name, limit_of(by, "g", {"limit": [f"vimg.numpy_1t@{size}",
                                                      f"vimg.numpy_threads@{size}"]}),
                   0.9, f"(g) {size[:-1]} GiB: ≥ 0.9 of the numpy limit (median; rounds)")
    versus("scan.tvips_ks", "scan.numpy", 0.85,
           "(d) snake with hysteresis ≥ 0.85 of its limit (median; rounds)")
    versus("scan.tvips_ks_flyback", "scan.numpy", 0.85,
           "(d) fly-back ≥ 0.85 of the limit (median; rounds)")
    versus("scan.tvips_ks_virtual", "scan.numpy", 0.85,
           "(d) snake with hysteresis, `virtual_image()` ≥ 0.85 of the limit (median; rounds)")
    versus("scan.tvips_ks_virtual_lazy", "scan.numpy", 0.85,
           "(d) … `virtual_image(lazy=True)`, threads ≥ 0.85 of the limit (median; rounds)")
    versus("pattern.tvips_ks", "pattern.numpy", 0.85,
           "(d) the sum over a snake's scan, `virtual_diffraction()` ≥ 0.85 of its limit")
    versus("scan.tvips_ks_virtual_distributed", "scan.tvips_ks_virtual_lazy", 0.85,
           "(d) that graph on a LocalCluster (2 processes × 1 thread) ≥ 0.85× threads")
    for section, name, kind, *_ in info["plan"]:  # every tvips-ks path that reads frames
        r = by.get(name)
        if not (r and "vmhwm_mib" in r) or section not in "bcdg" or \
                not kind.split(".")[1].startswith("tvips_ks"):
            continue
        peak = r.get("workers_peak_rss_mib") or r["vmhwm_mib"]
        where = "largest worker" if r.get("workers_peak_rss_mib") else \
            f"imports {r.get('imports_mib', r['start_mib']):.0f} MiB"
        out.append((f"({section}) `{name}` peak RSS ≤ 256 MiB", f"{peak:.0f} MiB ({where})",
                    peak <= 256))
    big, small, few = t("random.tvips_ks"), t("random.tvips_ks@small"), t("random.tvips_ks@100")
    if big and small:
        out.append(("(c) cost ∝ frames read, not series size: 1,000 frames from a 10× larger "
                    "series", f"{big / small:.2f}× the time", big / small <= 1.5))
    if big and few:
        out.append(("(c) … and 100 frames instead of 1,000 from the same series",
                    f"{few / big:.2f}× the time", few / big <= 0.3))
    x = ratio("vimg.tvips_ks", "scan.tvips_ks")
    out.append(("(d) scan + winding + hysteresis within 1.5× of (b)",
                f"{x:.2f}× the time of (b)" if x else "—", None if x is None else x <= 1.5))
    x = ratio("write.tvips_ks", "write.rsciio")
    out.append(("(e) writing ≥ 2× RosettaSciIO's writer", f"{x:.1f}×" if x else "—",
                None if x is None else x >= 2))
    r = by.get("vimg.tvips_ks_distributed")
    if r:
        out.append(("scale-out: the same graph on dask.distributed gives the same image",
                    "same result" if "error" not in r else r["error"], "error" not in r))
    return out


def check_results(results, info, params_by_name):
    """Compare every saved result with the numbers the data were built from."""
    checks = {}
    by = {r["case"]: r for r in results if "result" in r}
    big = info["big"]
    shape = tuple(big["frame_shape"])
    references = {}  # series path -> numpy's virtual image, checked against the formula
    for name, r in by.items():
        if name.startswith(("vimg.numpy_1t", "vimg.numpy_threads")):
            series = params_by_name[name]["series"]
            value = np.load(r["result"]).astype(np.float64)
            sample = np.random.default_rng(7).choice(series["num_frames"], 300, replace=False)
            if np.array_equal(value[sample], expected_sums(sample,
                                                            tuple(series["frame_shape"]))):
                references.setdefault(series["path"], value)
    for name, r in by.items():
        value = np.load(r["result"]).astype(np.float64)
        p = params_by_name[name]
        if name.startswith("vimg."):  # the small series holds the first frames of the big one
            n = p["series"]["num_frames"]
            reference = references.get(p["series"]["path"], references.get(big["path"]))
            ok = reference is not None and value.shape == (n,) and \
                np.allclose(value, reference[:n], rtol=1e-6, atol=0)
        elif name.startswith("random."):
            n = p["series"]["num_frames"]
            idx = np.random.default_rng(p["seed"]).choice(n, min(p["count"], n), replace=False)
            ok = np.allclose(value, expected_sums(idx, shape), rtol=1e-9)
        elif name.startswith("pattern."):
            # exactly numpy's pattern, whose total is the checked virtual image's over the scan
            first = p["scan_start_frame"]
            stop = first + int(np.prod(p["scan_shape"]))
            reference = references.get(big["path"])
            limit = by.get("pattern.numpy")
            ok = reference is not None and limit is not None and \
                np.array_equal(np.load(r["result"]), np.load(limit["result"])) and \
                float(value.sum()) == float(reference[first:stop].sum())
        elif name.startswith("scan."):
            rows, cols = p["scan_shape"]
            index = np.arange(p["scan_start_frame"], p["scan_start_frame"] + rows * cols
                              ).reshape(rows, cols)
            if p["winding_scan_axis"] == "x":
                index[::2] = np.roll(index[::2, ::-1], p["hysteresis"], axis=1)
            positions = np.random.default_rng(8).integers(0, rows * cols, 300)
            ok = value.shape == (rows, cols) and np.array_equal(
                value.ravel()[positions], expected_sums(index.ravel()[positions], shape))
        else:
            continue
        checks[name] = "✓" if ok else "✗"
    return checks


def update_readme(text):
    readme = ROOT / "README.md"
    content = readme.read_text() if readme.exists() else ""
    if README_START not in content or README_END not in content:
        return False
    head, rest = content.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{text}\n{README_END}{tail}")
    return True


# -- main ----------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=2.0,
                        help="size of the main series (default 2 GiB); frames are square, "
                             "sized so that --frames of them fill it")
    parser.add_argument("--frames", type=int, default=100_000,
                        help="frames in the main series (default 100,000)")
    parser.add_argument("--part-mib", type=int, default=512, help="part size cap (512 MiB)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of fast cases")
    parser.add_argument("--rounds", type=int, default=5,
                        help="the closely compared cases of (b), (d) and (g) run this many "
                             "times, interleaved, each in a fresh process (medians reported)")
    parser.add_argument("--pass-sizes", default="1,4,8",
                        help="sizes in GiB of the series of (g), 256×256 frames in 1 GiB parts, "
                             "built and removed one at a time ('' to skip)")
    parser.add_argument("--out", default=str(HERE / "results.md"))
    parser.add_argument("--data-dir", default=str(ROOT / "bench-data"))
    parser.add_argument("--keep", action="store_true", help="keep the data afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse series already in --data-dir if they match")
    parser.add_argument("--update-readme", action="store_true",
                        help="replace the text between the benchmark markers in README.md")
    parser.add_argument("--no-libertem", action="store_true")
    parser.add_argument("--libertem-venv", default=str(HERE / "out" / "venv-libertem"))
    parser.add_argument("--only", help="comma-separated case names or sections (a–g)")
    parser.add_argument("--timeout", type=int, default=900, help="per case, seconds")
    args = parser.parse_args(argv)

    started = datetime.now(timezone.utc)
    t_start = time.perf_counter()
    work = Path(args.data_dir)
    created = not work.exists()
    work.mkdir(parents=True, exist_ok=True)
    (work / "results").mkdir(exist_ok=True)
    le_python, le_why = libertem_python(args)
    mach = machine(work, le_python)
    print(json.dumps(mach, indent=1), flush=True)

    side = max(8, math.ceil(math.sqrt(args.size_gib * GIB / args.frames / 2) / 8) * 8)
    part_bytes = args.part_mib * MIB
    info = {}
    for label, frames in (("big", args.frames), ("small", args.frames // 10)):
        path = work / f"{label}_000.tvips"
        expected = 256 + frames * (60 + side * side * 2)
        have = sorted(work.glob(f"{label}_*.tvips"))
        if not (args.reuse and have and sum(p.stat().st_size for p in have) == expected):
            for p in have:
                p.unlink()
            print(f"building {label}: {frames:,} frames of {side}×{side}", flush=True)
            r = run_case("build", {"name": f"build-{label}", "work_dir": str(work),
                                   "path": str(path), "frames": frames,
                                   "frame_shape": [side, side], "part_bytes": part_bytes},
                         timeout=args.timeout)
            if "error" in r:
                sys.exit(f"building the {label} series failed: {r['error']}")
            print(f"  {r['best_s']:.1f} s, peak RSS {r['vmhwm_mib']:.0f} MiB", flush=True)
            info[f"build_{label}"] = r
        info[label] = series_info(path)
    for size in pass_sizes(args):  # built just before their rows run, removed after
        frames = int(size * GIB) // (256 * 256 * 2)
        info[f"pass{size:g}"] = {"build": {"frames": frames, "frame_shape": [256, 256],
                                           "part_bytes": GIB,
                                           "path": str(work / f"pass{size:g}_000.tvips")}}

    rows = plan(args)
    info["plan"] = rows
    rows_n = info["big"]["num_frames"]
    cols = 400 if rows_n >= 4000 else max(2, int(math.sqrt(rows_n)))
    common = {"work_dir": str(work), "results_dir": str(work / "results"), "seed": 20240601,
              "scan_shape": [(rows_n - 7) // cols, cols], "scan_start_frame": 7,
              "winding_scan_axis": "x", "hysteresis": 3, "part_bytes": part_bytes,
              "write_frames": rows_n, "kaitai_frames": 2000}
    params_by_name, results = {}, []
    interleaved = {"vimg.numpy_1t", "vimg.numpy_threads", "vimg.tvips_ks",
                   "vimg.tvips_ks_distributed", "vimg.tvips_ks_distributed_unqueued",
                   "scan.numpy", "scan.tvips_ks",
                   "scan.tvips_ks_flyback", "scan.tvips_ks_virtual",
                   "scan.tvips_ks_virtual_lazy", "scan.tvips_ks_virtual_distributed",
                   "pattern.numpy", "pattern.tvips_ks"}
    schedule = [(row, 0) for row in rows]
    # extra rounds of the closely compared cases, interleaved, at the end of their section
    for k in range(1, args.rounds):
        for row in rows:
            if row[1] in interleaved or row[0] == "g":
                schedule.append((row, k))
    schedule.sort(key=lambda x: ("abcdefg".index(x[0][0]), x[0][3], x[1]))

    merged = {}
    for (section, name, kind, series, repeat, needs_le, extra, what), k in schedule:
        if "build" in info[series]:
            build_pass_series(info, series, work, args.timeout)
        params = {**common, **extra, "name": name, "repeat": repeat, "series": info[series]}
        params_by_name[name] = params
        if needs_le and not le_python:
            merged[name] = {"case": name, "error": le_why}
            continue
        label = f"{name}" + (f" (round {k + 1})" if k else "")
        print(f"[{(time.perf_counter() - t_start) / 60:4.1f} min] {label} …", end=" ", flush=True)
        r = run_case(kind, params, le_python if needs_le else None, args.timeout)
        if "error" in r:
            print("error:", r["error"], flush=True)
        else:
            print(f"median {fmt_time(float(np.median(r['times_s'])))}, peak RSS "
                  f"{r['vmhwm_mib']:.0f} MiB, load {os.getloadavg()[0]:.2f}", flush=True)
        if "error" not in r:
            r["round_medians"] = [float(np.median(r["times_s"]))]
        old = merged.get(name)
        if old is None or "error" in old:
            merged[name] = r
        elif "error" not in r:  # every repetition of every round; peak RSS the largest seen
            merged[name] = dict(old, times_s=old["times_s"] + r["times_s"],
                                round_medians=old["round_medians"] + r["round_medians"],
                                vmhwm_mib=max(old["vmhwm_mib"], r["vmhwm_mib"]),
                                imports_mib=max(old.get("imports_mib", 0),
                                                r.get("imports_mib", 0)))
            for key in ("workers_peak_rss_mib",):
                if key in r:
                    merged[name][key] = max(old.get(key) or 0, r[key] or 0)
        if section == "g" and k == args.rounds - 1 and name.startswith("vimg.tvips_ks"):
            remove_series(info[series])  # the last row of this size: free the disk
    results = [merged[row[1]] for row in rows if row[1] in merged]
    for r in results:
        p = params_by_name.get(r["case"], {})
        if "count" in p:
            r["count"] = min(p["count"], p["series"]["num_frames"])
    checks = check_results(results, info, params_by_name)
    mach["load_end"] = os.getloadavg()

    notes = section_notes(info, common, le_why)
    elapsed = time.perf_counter() - t_start
    text = render(results, info, mach, args, checks, notes, started, elapsed)
    print()
    print(text)
    Path(args.out).write_text("# tvips-ks benchmark results\n\n" + text + "\n")
    (work / "results.json").write_text(json.dumps({"machine": mach, "results": results},
                                                  indent=1, default=str))
    if args.update_readme:
        if update_readme(render_summary(results, info, mach, args, checks, started)):
            print("README.md updated between the benchmark markers")
        else:
            print(f"README.md has no {README_START} … {README_END} markers; the table is in "
                  f"{args.out} only")
    if not args.keep:
        if created:
            shutil.rmtree(work)
        else:
            for p in [*work.glob("*.tvips"), *work.glob("params-*.json")]:  # (g)'s too
                p.unlink()
            shutil.rmtree(work / "results")
        print(f"removed the data in {work} (use --keep to keep it)")
    return 0


def build_pass_series(info, label, work, timeout):
    """Build one series of (g) (256×256 frames, 1 GiB parts) on first use."""
    b = info[label]["build"]
    print(f"building {label}: {b['frames']:,} frames of 256×256", flush=True)
    r = run_case("build", {"name": f"build-{label}", "work_dir": str(work), **b},
                 timeout=timeout)
    if "error" in r:
        sys.exit(f"building the {label} series failed: {r['error']}")
    info[label] = series_info(b["path"])
    info[label]["build_s"] = r["best_s"]


def remove_series(series):
    for part in series["parts"]:
        Path(part["path"]).unlink(missing_ok=True)


def section_notes(info, common, le_why):
    rows, cols = common["scan_shape"]
    notes = {
        "a": ["Opening reads the main header and the part sizes only; frame headers are read "
              "in bulk (one strided read per part) when first asked for. RosettaSciIO's "
              "\"lazy\" open materialises the data (see peak RSS)."],
        "b": ["The limit is the better of the two numpy rows: plain reductions over "
              "strided memory maps of the same bytes, mapped afresh in each repetition as a "
              "script would. tvips-ks tasks map just their own frames while they run "
              "(`gather.map_records`), so memory stays bounded by the chunks in flight; "
              "the graph carries paths and offsets only. LiberTEM sums in float32."
              + (f" LiberTEM: {le_why}." if le_why else ""),
              "What decides the ratio of the full pass (issue 20): the work per byte is the "
              "same as numpy's (a 64 MiB chunk costs the same CPU time mapped privately "
              "per task as in numpy's whole-part map: the page cache is in 2 MiB folios, so "
              "mapping is a few hundred faults per GiB). The difference is dask's: the "
              "threaded scheduler keeps one task per thread in flight and hands out the "
              "next only when the main thread has woken up and recorded the last one, "
              "twice per chunk (the fused read-and-sum task, then its alias), and runs "
              "each fused task through a small graph of its own. That costs about 1 ms of "
              "idle thread per chunk on a quiet machine and several when other processes "
              "hold the cores, which is why one run varies more than numpy's thread pool, "
              "whose threads take their next block without waiting. Measured on this "
              "machine with a timeline of the tasks of a 4 GiB pass (64 chunks): at load 0.3 "
              "a thread waits 2.5–3 ms between chunks (dask alone, sleeping tasks: 1 ms; "
              "unmapping a 64 MiB chunk: 1.6 ms), 12 % of the pass; at load 3, 4–11 ms, "
              "20–40 %. Fewer, larger chunks would wait less but map more at once (peak "
              "RSS counts the mapped chunks in flight): two 64 MiB chunks in flight add "
              "about 145 MiB to the imports, and dask.array's imports here (sparse, numba "
              "and scipy, which LiberTEM installs) already take 133 MiB, so the peak is "
              "about 280 MiB, over the 256 MiB target (in a venv of tvips-ks and its extras "
              "alone, dask.array imports 46 MiB: see benchmarks/memory_results.md). "
              "Read-ahead hints are asked only for the 1 MiB steps whose first page is not "
              "in the page cache (a one-byte `preadv` with `RWF_NOWAIT`): a `WILLNEED` walks "
              "its range even when every page is cached, and 64 of them per 64 MiB chunk "
              "took 11–28 ms at load 4 here, against about 0.2 ms for the 64 probes.",
              "The LocalCluster rows run the same graph with one worker process per core; "
              "their ratio to the threaded row is the per-task cost of dask.distributed "
              "(scheduler round trips over TCP) against the same 64 MiB tasks. By default "
              "the scheduler queues root tasks and gives a worker its next task only when "
              "it reports the last one done, one round trip per chunk (and one more for "
              "each chunk's alias task); with `worker-saturation: inf` every worker gets its "
              "share of the reads at once, which suits these independent, equally costly "
              "tasks. The scheduler and the client share the two cores with the workers."],
        "c": ["1,000 frames drawn at random (seeded) from the whole series, in random order. "
              "Time includes opening. `random.tvips_ks@small` and `@100` show the cost follows "
              "the frames read, not the size of the series. `.data[idx]` reads whole frames "
              "with `preadv` straight into the result, one call per run of consecutive "
              "records (the frame headers between them into a scratch buffer): no map, no "
              "page fault, nothing resident but the result. The numpy row's peak RSS counts "
              "the page-cache pages the kernel maps around each frame it touches; "
              "`.to_dask()[idx]` maps one chunk per task and drops it."],
        "d": [f"Scan {rows}×{cols} starting at frame {common['scan_start_frame']}, "
              f"winding_scan_axis='x', hysteresis={common['hysteresis']}: RosettaSciIO's "
              f"semantics, checked position by position against a numpy reference. The "
              f"limit applies the scan map to numpy's finished virtual image (the same for a "
              f"fly-back map). A scan's chunks are zero-copy views wherever its frames run "
              f"straight (`io/views.py`): a fly-back scan in blocks of whole rows (a row "
              f"across two parts is its own block), a snake row by row, cut at the "
              f"hysteresis roll, reversed rows as negative strides. Those views cost one "
              f"dask task each, and a snake of short rows makes many small ones: where the "
              f"extra tasks would cost more than copying (about 6 MiB of copy per task), "
              f"the snake is gathered instead, with `preadv` (one call per run of records, "
              f"each frame read straight to its position, reversed rows included) into "
              f"32 MiB buffers that are reused once no chunk refers to them. That copy, or "
              f"those tasks, is what (d) costs over (b).",
              "`virtual_image()` does not arrange frames at all: it reduces them in the order "
              "they lie on disk, in 16 MiB steps spread over one thread per core (numpy's "
              "own pass), and applies the scan map to the 100,000 per-frame sums after, which "
              "is exactly what the limit does; the snake then costs what a stack costs, and "
              "what is left between it and the limit is opening the series and mapping each "
              "step privately while it is reduced. `virtual_image(lazy=True)` is the same "
              "work as a dask graph: one task per part-aligned range of about 128 MiB (each "
              "walking its range in 16 MiB steps), then one task that applies the scan map; "
              "the graph holds the part table, the scan map and the mask. On a LocalCluster "
              "it is compared with the threaded scheduler on that same graph: its 17 "
              "tasks each reduce about 128 MiB, so the scheduler's round trips (a few ms "
              "each on these shared cores, see (b)) are a small share of each task, where the "
              "`to_dask()` graph of (b) pays them for each 64 MiB chunk and its alias.",
              "The sum over the scan (the summed diffraction pattern): its limit sums the "
              "frames the scan shows in 16 MiB blocks over one thread per core with uint32 "
              "partial sums per block (exact for uint16 below 65,538 frames and faster than "
              "numpy's default uint64 accumulator), then adds the partials in uint64. "
              "`virtual_diffraction()` does the same in file order, counting each frame as "
              "often as the scan shows it; `to_dask().sum(axis=(0, 1))` reduces the snake's "
              "chunks (views or gathered copies, as above) with dask's uint64 sum."],
        "e": ["Every writer's time includes an fsync of each file it wrote (tvips_ks.save "
              "always makes its parts durable before renaming them into place), so the disk "
              "is part of these figures; the input is an in-memory uint16 array of the same "
              "frames (its size is included in peak RSS)."],
        "f": ["The Kaitai parser generated from `spec/tvips.ksy` is pure Python and builds "
              "objects field by field for every record. It is used where that is the point: "
              "`tvips-ks dump` (a few records, every field with its byte range) and the "
              "conformance tests that hold the numpy path to the spec. No path whose cost "
              "grows with the series uses it: frame headers and frames are read through numpy "
              "dtypes generated from the same spec (the bulk row)."],
        "g": ["Series of 256×256 frames in 1 GiB parts (the shape of issue 20's 4 GiB "
              "series), built just before their rows and removed after. Each round runs "
              "the two numpy rows and tvips-ks one after the other, each in a fresh "
              "process with one untimed warm-up; the median is over every repetition of "
              "every round, the ratio in brackets the lowest and highest of one round.",
              "What made single runs vary (issue 20), besides dask's hand-over between chunks "
              "(see (b)): read-ahead hints on cached data (now skipped when four probes across "
              "a chunk find it cached), and this machine's kernel running DAMON with a "
              "`pageout` scheme: a series left alone for a minute is partly paged out, so a "
              "run without a warm-up reads part of it from the disk, whichever reader it is "
              "(hence the untimed warm-up in every process)."],
    }
    return notes


if __name__ == "__main__":
    sys.exit(main())
