"""The disk: writing a series, and a full pass over a series that is not in the page cache.

    python benchmarks/bench_disk.py [--size-gib 4] [--runs 5] [--only write,cold]
                                    [--data-dir DIR] [--out benchmarks/disk_results.md]
                                    [--update-readme] [--keep]

Two questions of issue 17, each answered as a ratio to the machine's limit
measured in the same run, every case in a fresh process, ``--runs`` rounds
in rotating order, the median and the spread of the per-round ratios:

* **writing**: ``tvips_ks.save`` of an in-memory array against numpy's
  ``tofile`` of the same bytes in the same number of parts, both timed up to
  an ``fsync`` of every file (``save`` makes its parts durable itself);
* **cold cache**: the full pass ``open(...).to_dask().sum(axis=(-2, -1))``
  after every part is evicted from the page cache
  (``posix_fadvise(DONTNEED)``, checked with ``mincore``), against a plain
  sequential read of the same files in 16 MiB blocks, as ``dd`` does.

One-time costs of a process are paid before the clock starts (importing dask and
starting its thread pool, importing the construct structs ``save`` uses).
Variants with the library's hints turned off (and read-ahead hints tried in
other forms) show what decided each ratio.  The series is built by
``cases.py build`` (``tvips_ks.save`` from dask); data go to ``--data-dir``
and are removed afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import math
import mmap
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from cases import clean, fsync_paths, make_frames, status_mib  # noqa: E402
from run import expected_sums, run_case  # noqa: E402

GIB, MIB = 2**30, 2**20
BLOCK = 16 * MIB
README_START, README_END = "<!-- disk:start -->", "<!-- disk:end -->"
PAGE = mmap.PAGESIZE

# -- page cache: evict, and count what is resident ----------------------------------------

_LIBC = ctypes.CDLL(None, use_errno=True)
_LIBC.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]


def resident_pages(path) -> tuple[int, int]:
    """(pages of ``path`` in the page cache, pages of ``path``), by ``mincore``."""
    size = os.path.getsize(path)
    if size == 0:
        return 0, 0
    with open(path, "rb") as f:
        mapped = mmap.mmap(f.fileno(), size, access=mmap.ACCESS_READ)
    try:
        view = np.frombuffer(mapped, np.uint8)
        pages = (size + PAGE - 1) // PAGE
        vec = np.zeros(pages, np.uint8)
        if _LIBC.mincore(ctypes.c_void_p(view.ctypes.data), size,
                         ctypes.c_void_p(vec.ctypes.data)) != 0:
            raise OSError(ctypes.get_errno(), "mincore failed", str(path))
        del view
        return int(np.count_nonzero(vec & 1)), pages
    finally:
        mapped.close()


def resident_fraction(paths) -> float:
    counts = [resident_pages(p) for p in paths]
    return sum(c[0] for c in counts) / max(1, sum(c[1] for c in counts))


def evict(paths) -> None:
    """Drop every page of ``paths`` from the page cache (written back first)."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fdatasync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


# -- cases: each runs in a process of its own -----------------------------------------------

def _layout(p):
    s = p["series"]
    return s["len_frame_header"], tuple(s["frame_shape"]), s["len_record"]


def _capacities(n, len_record, part_bytes):
    caps, left = [], n
    while left:
        caps.append(min(left, (part_bytes - 256 if not caps else part_bytes) // len_record))
        left -= caps[-1]
    return caps


def _write_dir(p):
    directory = os.path.join(p["work_dir"], "write-" + p["case"])
    os.makedirs(directory, exist_ok=True)
    clean(directory)
    os.sync()  # nothing dirty when the clock starts
    return directory


def _timed_write(p, write, directory):
    t0 = time.perf_counter()
    paths = write(directory)
    fsync_paths(paths)
    elapsed = time.perf_counter() - t0
    sizes = [os.path.getsize(x) for x in paths]
    clean(directory)
    os.rmdir(directory)
    return {"s": elapsed, "bytes": sum(sizes), "files": len(paths)}


def write_tofile(p):
    """The limit: ndarray.tofile of whole records (built beforehand), part by part."""
    len_fh, shape, len_record = _layout(p)
    n = p["frames"]
    dtype = np.dtype({"names": ["header", "image"], "formats": [f"V{len_fh}", ("<u2", shape)],
                      "offsets": [0, len_fh], "itemsize": len_record})
    records = np.zeros(n, dtype)
    for start in range(0, n, 4096):
        records["image"][start:start + 4096] = make_frames(start, min(n, start + 4096), shape)
    directory = _write_dir(p)

    def write(directory):
        paths, start = [], 0
        for k, cap in enumerate(_capacities(n, len_record, p["part_bytes"])):
            path = os.path.join(directory, f"limit_{k:03d}.tvips")
            with open(path, "wb") as f:
                if k == 0:
                    f.write(bytes(256))
                records[start:start + cap].tofile(f)
            paths.append(path)
            start += cap
        return paths
    return _timed_write(p, write, directory)


def _save_case(p, writeback):
    import tvips_ks
    import tvips_ks.generated.structs  # noqa: F401  (save imports it on first use: not timed)
    import tvips_ks.io.hints as hints

    hints.WRITEBACK = writeback and hints.WRITEBACK
    _, shape, _ = _layout(p)
    n = p["frames"]
    data = np.empty((n, *shape), np.uint16)
    for start in range(0, n, 4096):
        data[start:start + 4096] = make_frames(start, min(n, start + 4096), shape)
    directory = _write_dir(p)

    def write(directory):
        return [str(x) for x in tvips_ks.save(os.path.join(directory, "out.tvips"), data,
                                              max_file_size=p["part_bytes"], start_time=0,
                                              progress=False)]
    return dict(_timed_write(p, write, directory), writeback=hints.WRITEBACK)


def write_tvips_ks(p):
    return _save_case(p, writeback=True)


def write_tvips_ks_no_writeback(p):
    return _save_case(p, writeback=False)


def _cold(p):
    """Evict the series (unless the case is a warm one); the resident fraction after."""
    paths = [x["path"] for x in p["series"]["parts"]]
    if not p.get("warm"):
        evict(paths)
    return paths, resident_fraction(paths)


def read_dd(p):
    """The limit: every part read in order, 16 MiB at a time, into one buffer."""
    paths, before = _cold(p)
    buf = bytearray(BLOCK)
    t0 = time.perf_counter()
    total = 0
    for path in paths:
        with open(path, "rb", buffering=0) as f:
            while count := f.readinto(buf):
                total += count
    return {"s": time.perf_counter() - t0, "bytes": total, "resident_before": before}


def _full_pass(p, prepare=None):
    import dask.array as da
    import tvips_ks

    # a session's first compute starts dask's thread pool: done before the clock starts
    da.ones(4, chunks=2).sum().compute()
    if prepare:
        prepare()
    paths, before = _cold(p)
    t0 = time.perf_counter()
    with tvips_ks.open(p["series"]["path"]) as ds:
        v = ds.to_dask().sum(axis=(-2, -1)).compute()
    elapsed = time.perf_counter() - t0
    sample = np.random.default_rng(7).choice(len(v), 300, replace=False)
    ok = bool(np.array_equal(v[sample], expected_sums(sample, tuple(p["series"]["frame_shape"]))))
    return {"s": elapsed, "bytes": sum(os.path.getsize(x) for x in paths),
            "resident_before": before, "correct": ok}


def read_tvips_ks(p):
    return _full_pass(p)


def read_tvips_ks_no_hints(p):
    import tvips_ks.io.hints as hints

    def off():
        hints.READ_HINTS = False
    return _full_pass(p, off)


def _madvise_variant(option):
    """Replace the library's read hint by ``madvise(option)`` on each task's own map."""
    import tvips_ks.io.gather as gather
    import tvips_ks.io.hints as hints

    hints.READ_HINTS = False
    original = gather.map_records

    def hinted(part, first, count, dtype, **kwargs):
        out = original(part, first, count, dtype, **kwargs)
        base = out
        while not isinstance(base, mmap.mmap):
            base = base.base if isinstance(base, np.ndarray) else base.obj
        try:
            base.madvise(option)
        except OSError:
            pass
        return out
    gather.map_records = hinted


def read_tvips_ks_madv_sequential(p):
    return _full_pass(p, lambda: _madvise_variant(mmap.MADV_SEQUENTIAL))


def read_tvips_ks_madv_populate(p):
    # MADV_POPULATE_READ (Linux 5.14): fault the whole window in at once
    return _full_pass(p, lambda: _madvise_variant(22))


def _ahead_variant():
    """The library's hint stretched over the next window too (the next chunk of a stack)."""
    import tvips_ks.io.gather as gather
    import tvips_ks.io.hints as hints

    gather.advise_read = lambda fd, offset, length: hints.advise_read(fd, offset, 2 * length)


def read_tvips_ks_ahead(p):
    return _full_pass(p, _ahead_variant)


def read_tvips_ks_one_call(p):
    import tvips_ks.io.hints as hints

    def one_call():
        hints.READ_STEP = 2**62
    return _full_pass(p, one_call)


def _pread_variant():
    """Replace the map of a whole range by ``preadv`` into a new buffer (a copy)."""
    import tvips_ks.io.gather as gather
    import tvips_ks.io.hints as hints

    hints.READ_HINTS = False
    original = gather.map_records

    def read(part, first, count, dtype, read_all=False):
        if not read_all:
            return original(part, first, count, dtype)
        buf = bytearray(count * part.len_record)
        fd = os.open(part.path, os.O_RDONLY)
        try:
            done, view = 0, memoryview(buf)
            while done < len(buf):
                got = os.preadv(fd, [view[done:]], part.offset + first * part.len_record + done)
                if not got:
                    raise OSError("short read", str(part.path))
                done += got
        finally:
            os.close(fd)
        return np.ndarray((count,), dtype=dtype, buffer=buf)
    gather.map_records = read


def read_tvips_ks_pread(p):
    return _full_pass(p, _pread_variant)


CASES = {
    "write.tofile": write_tofile,
    "write.tvips_ks": write_tvips_ks,
    "write.tvips_ks_no_writeback": write_tvips_ks_no_writeback,
    "read.dd": read_dd,
    "read.tvips_ks": read_tvips_ks,
    "read.tvips_ks_no_hints": read_tvips_ks_no_hints,
    "read.tvips_ks_madv_sequential": read_tvips_ks_madv_sequential,
    "read.tvips_ks_madv_populate": read_tvips_ks_madv_populate,
    "read.tvips_ks_pread": read_tvips_ks_pread,
    "read.tvips_ks_ahead": read_tvips_ks_ahead,
    "read.tvips_ks_one_call": read_tvips_ks_one_call,
}


def case_main(name, params):
    params["case"] = name
    out = CASES[name](params)
    out.update(case=name, vmhwm_mib=status_mib("VmHWM"))
    sys.stdout.write("\nRESULT " + json.dumps(out) + "\n")


# -- the driver ------------------------------------------------------------------------------

def run_one(name, params, timeout):
    path = Path(params["work_dir"]) / f"params-{name}.json"
    path.write_text(json.dumps(params))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--case", name, "--params",
           "@" + str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"case": name, "error": f"timed out after {timeout} s"}
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"case": name, "error": " / ".join(tail)[-300:]}
    return json.loads(lines[-1][len("RESULT "):])


SECTIONS = {
    "write": ("write.tofile", ["write.tvips_ks", "write.tvips_ks_no_writeback"]),
    "cold": ("read.dd", ["read.tvips_ks", "read.tvips_ks_no_hints",
                         "read.tvips_ks_madv_sequential", "read.tvips_ks_madv_populate",
                         "read.tvips_ks_pread", "read.tvips_ks_ahead",
                         "read.tvips_ks_one_call"]),
}

WHAT = {
    "write.tofile": "limit: `ndarray.tofile` of the same records, part by part, + fsync",
    "write.tvips_ks": "`tvips_ks.save(path, array, max_file_size=…)` + fsync",
    "write.tvips_ks_no_writeback": "the same without early write-back (`hints.WRITEBACK = "
                                   "False`)",
    "read.dd": "limit: each part read in order in 16 MiB blocks (`readinto`), as `dd` does",
    "read.tvips_ks": "`open(…).to_dask().sum(axis=(-2, -1)).compute()` (read-ahead hints on)",
    "read.tvips_ks_no_hints": "the same without read-ahead hints (`hints.READ_HINTS = False`)",
    "read.tvips_ks_madv_sequential": "tried: `madvise(MADV_SEQUENTIAL)` on each task's map "
                                     "instead",
    "read.tvips_ks_madv_populate": "tried: `madvise(MADV_POPULATE_READ)` on each task's map "
                                   "instead",
    "read.tvips_ks_pread": "tried: `preadv` of each task's records into a new buffer instead "
                           "of a map (a copy)",
    "read.tvips_ks_ahead": "tried: the hint stretched over the next chunk as well",
    "read.tvips_ks_one_call": "tried: the hint as one call per window (the kernel reads only "
                              "its first read-ahead window)",
    "read.dd@warm": "the limit again without eviction (shows what eviction changes)",
    "read.tvips_ks@warm": "the full pass without eviction",
    "read.tvips_ks_no_hints@warm": "the full pass without eviction and without hints",
}


def build_series(args, work):
    frames = args.frames
    side = max(8, math.ceil(math.sqrt(args.size_gib * GIB / frames / 2) / 8) * 8)
    path = work / "disk_000.tvips"
    expected = 256 + frames * (60 + side * side * 2)
    have = sorted(work.glob("disk_*.tvips"))
    if not (args.reuse and have and sum(p.stat().st_size for p in have) == expected):
        for p in have:
            p.unlink()
        print(f"building {frames:,} frames of {side}×{side}", flush=True)
        r = run_case("build", {"name": "build-disk", "work_dir": str(work), "path": str(path),
                               "frames": frames, "frame_shape": [side, side],
                               "part_bytes": args.part_mib * MIB, "repeat": 1},
                     timeout=args.timeout)
        if "error" in r:
            sys.exit(f"building the series failed: {r['error']}")
    parts = sorted(work.glob("disk_*.tvips"))
    record = 60 + side * side * 2
    caps = _capacities(frames, record, args.part_mib * MIB)
    first = np.concatenate([[0], np.cumsum(caps)[:-1]]).tolist()
    return {"path": str(path), "num_frames": frames, "frame_shape": [side, side],
            "len_frame_header": 60, "len_record": record,
            "file_bytes": sum(p.stat().st_size for p in parts),
            "parts": [{"path": str(p), "offset": 256 if k == 0 else 0, "num_frames": c,
                       "first_frame": f} for k, (p, c, f) in enumerate(zip(parts, caps, first))]}


def summarise(rounds, limit, names):
    """Per case: the per-round ratios limit/case (higher is better), median and spread."""
    out = {}
    for name in [limit, *names]:
        times = [r[name]["s"] for r in rounds if "s" in r.get(name, {})]
        ratios = [r[limit]["s"] / r[name]["s"] for r in rounds
                  if "s" in r.get(name, {}) and "s" in r.get(limit, {})]
        if not times:
            out[name] = {"error": next((r[name].get("error") for r in rounds if name in r),
                                       "not run")}
            continue
        out[name] = {"times": times, "median_s": statistics.median(times),
                     "ratios": ratios, "median_ratio": statistics.median(ratios),
                     "min_ratio": min(ratios), "max_ratio": max(ratios),
                     "bytes": next(r[name]["bytes"] for r in rounds if "s" in r.get(name, {})),
                     "files": next((r[name].get("files") for r in rounds
                                    if "files" in r.get(name, {})), None),
                     "resident_before": [r[name]["resident_before"] for r in rounds
                                         if "resident_before" in r.get(name, {})],
                     "correct": all(r[name].get("correct", True) for r in rounds
                                    if "s" in r.get(name, {})),
                     "vmhwm_mib": max(r[name]["vmhwm_mib"] for r in rounds
                                      if "s" in r.get(name, {}))}
    return out


def fmt_table(summary, limit):
    lines = ["| case | what | median time | GiB/s | × limit: median (min–max) | resident "
             "before | peak RSS |", "|---|---|---:|---:|---:|---:|---:|"]
    for name, s in summary.items():
        if "error" in s:
            lines.append(f"| `{name}` | {WHAT.get(name, '')} | error: {s['error']} | | | | |")
            continue
        ratio = "limit" if name == limit else \
            f"**{s['median_ratio']:.2f}** ({s['min_ratio']:.2f}–{s['max_ratio']:.2f})"
        res = s["resident_before"]
        resident = f"{max(res):.1%}" if res else "—"
        check = "" if s["correct"] else " ✗ wrong result"
        lines.append(f"| `{name}` | {WHAT.get(name, '')}{check} | {s['median_s']:.2f} s | "
                     f"{s['bytes'] / s['median_s'] / GIB:.2f} | {ratio} | {resident} | "
                     f"{s['vmhwm_mib']:,.0f} MiB |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--params", help=argparse.SUPPRESS)
    parser.add_argument("--size-gib", type=float, default=4.0)
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--part-mib", type=int, default=512)
    parser.add_argument("--runs", type=int, default=5, help="rounds (fresh processes each)")
    parser.add_argument("--only", default="write,cold")
    parser.add_argument("--data-dir", default=str(ROOT / "bench-data" / "disk"))
    parser.add_argument("--out", default=str(HERE / "disk_results.md"))
    parser.add_argument("--update-readme", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--timeout", type=int, default=900)
    args = parser.parse_args(argv)
    if args.case:
        text = args.params
        case_main(args.case, json.loads(Path(text[1:]).read_text() if text.startswith("@")
                                        else text))
        return 0

    started = datetime.now(timezone.utc)
    work = Path(args.data_dir)
    work.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()
    series = build_series(args, work)
    common = {"work_dir": str(work), "series": series, "frames": series["num_frames"],
              "part_bytes": args.part_mib * MIB}
    sections = [s for s in args.only.split(",") if s in SECTIONS]
    report = {}
    for section in sections:
        limit, names = SECTIONS[section]
        cases = [limit, *names]
        rounds = []
        for k in range(args.runs):
            order = cases[k % len(cases):] + cases[:k % len(cases)]  # rotate: no fixed slot
            got = {}
            for name in order:
                r = run_one(name, dict(common), args.timeout)
                got[name] = r
                print(f"[{section} round {k + 1}] {name}: " + (
                    f"{r['s']:.2f} s" + (f", resident before {r['resident_before']:.1%}"
                                         if "resident_before" in r else "")
                    if "s" in r else f"error {r.get('error')}"), flush=True)
            rounds.append(got)
        summary = summarise(rounds, limit, names)
        if section == "cold":  # the same two cases without eviction: does eviction matter?
            warm = {}
            for name in ("read.dd", "read.tvips_ks", "read.tvips_ks_no_hints"):
                runs = [run_one(name, dict(common, warm=True), args.timeout) for _ in range(3)]
                good = [r for r in runs if "s" in r]
                if good:
                    best = min(good, key=lambda r: r["s"])
                    warm[name + "@warm"] = dict(best, times=[r["s"] for r in good])
            summary["_warm"] = warm
        report[section] = {"limit": limit, "summary": summary, "rounds": rounds}
    load_end = os.getloadavg()
    text = render(report, series, args, started, load_start, load_end)
    print(text)
    Path(args.out).write_text(text + "\n")
    (work / "disk_results.json").write_text(json.dumps(report, indent=1, default=str))
    if args.update_readme:
        update_readme(render_summary(report, series, args, started, load_start, load_end))
    if not args.keep:
        shutil.rmtree(work)
    return 0


NOTES = {
    "write": """\
What decides the ratio. `tofile` hands the kernel one array of finished records
per part; the kernel copies it into the page cache, and `fsync` then waits for the
disk to write all of it: the two phases run one after the other. `tvips_ks.save`
must also build each record (the frame header from the spec's fields, then the
pixels copied behind it), which `tofile` is not timed for. It does so
(`tvips_ks/io/partwriter.py`) in one 32 MiB buffer allocated once, so no batch
pays for fresh pages, writes each batch in `write(2)` calls of 1 MiB (`tofile`
hands over a whole part in one call; here that was slower than the same bytes in
pieces, which is most of the difference), and
then starts write-back of those pages at once (`sync_file_range(WRITE)`,
`tvips_ks/io/hints.py`): the disk writes batch *k* while batch *k + 1* is built
and copied; like `tofile` here, the parts are synced after the last one is
written (and before any is renamed into place), so the `fsync` calls find
little left to write.
The row without write-back is the same writer with that hint off: the
difference between the two rows is what overlapping the disk with the copying
is worth here; the rest (the one extra copy of every byte, into the record
buffer) is what the writer costs over `tofile`. The bytes are the same: same
total size, same number of files, and `tests/test_save_bytes.py` checks them
against records built one by one with the construct mirror of the spec.""",
    "cold": """\
What decides the ratio. With every page evicted (the resident fraction before
each case is counted with `mincore`; 0.0% means nothing of the series was
cached), both paths wait for the disk. The limit reads each part in order with
`readinto` of 16 MiB, and the kernel's read-ahead keeps the next blocks in
flight while one is copied. A tvips-ks task maps its own records (a 64 MiB
chunk) and sums them in place, two tasks at a time (dask's threads, one per
core): without a hint each page fault reads one read-around window and waits
for it, so the disk idles while numpy sums what has arrived. With the hint
(`posix_fadvise(WILLNEED)` on exactly the records the task maps,
`tvips_ks/io/hints.py`, given by `gather.map_records` for range reads only,
never for gathers of scattered frames), the whole chunk is queued when the task
starts, and the sum follows the disk. The rows marked "tried" replace that hint
by other forms (`madvise` on the task's map, or `preadv` into a buffer, which
copies every byte): they are kept to show which form won here. A virtual
machine's disk may be backed by the host's page cache, so "cold" here means
"not in this kernel's page cache"; the rows without eviction show how much
that is worth on this machine. This machine's block device reads ahead
`read_ahead_kb` = {ra} KiB; a laptop's default of 128 KiB makes each page
fault's read-around smaller, where queuing the chunk matters more (not measured
here).""",
}


def _read_ahead_kb():
    try:
        device = os.stat(ROOT).st_dev
        path = Path(f"/sys/dev/block/{os.major(device)}:{os.minor(device)}/queue/read_ahead_kb")
        if not path.exists():
            path = Path(f"/sys/dev/block/{os.major(device)}:{os.minor(device)}/../queue/"
                        f"read_ahead_kb")
        return path.read_text().strip()
    except OSError:
        return "?"


def _machine_line(series, args, started, load_start, load_end):
    return (f"{started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
            f"{series['file_bytes'] / GIB:.2f} GiB series ({series['num_frames']:,} frames of "
            f"{series['frame_shape'][0]}×{series['frame_shape'][1]} uint16, "
            f"{len(series['parts'])} parts of ≤ {args.part_mib} MiB), {args.runs} rounds, "
            f"load average {load_start[0]:.2f} at the start and {load_end[0]:.2f} at the end")


def render(report, series, args, started, load_start, load_end):
    lines = ["# tvips-ks on the disk: writing and the cold page cache", "",
             "Made by `python benchmarks/bench_disk.py` (see its docstring); explanations in "
             "the sections below the tables.", "",
             _machine_line(series, args, started, load_start, load_end) + ".", ""]
    for section, data in report.items():
        title = {"write": "## Writing (fsync included in every case)",
                 "cold": "## Full pass with a cold page cache"}[section]
        lines += [title, "", fmt_table({k: v for k, v in data["summary"].items()
                                        if not k.startswith("_")}, data["limit"]), ""]
        if section == "write":
            summary = data["summary"]
            sizes = {(v["bytes"], v["files"]) for k, v in summary.items()
                     if not k.startswith("_") and "bytes" in v}
            if len(sizes) == 1:
                (size, files), = sizes
                lines += [f"Every writer wrote the same bytes: {size:,} bytes in {files} files.",
                          ""]
            else:
                lines += [f"**The writers wrote different amounts**: {sorted(sizes)}.", ""]
        warm = data["summary"].get("_warm")
        if warm:
            lines += ["Without eviction (best of 3), for comparison:", ""]
            for name, r in warm.items():
                lines.append(f"- `{name}`: {r['s']:.2f} s, {r['bytes'] / r['s'] / GIB:.2f} GiB/s "
                             f"(resident before: {r['resident_before']:.1%})")
            lines.append("")
        lines += [NOTES[section].replace("{ra}", _read_ahead_kb()), ""]
        lines.append("Per round (seconds, in the order run):")
        lines.append("")
        for k, r in enumerate(data["rounds"]):
            cells = ", ".join(f"{n} {v['s']:.2f}" if "s" in v else f"{n} error"
                              for n, v in r.items())
            lines.append(f"{k + 1}. {cells}")
        lines.append("")
    return "\n".join(lines)


def render_summary(report, series, args, started, load_start, load_end):
    lines = ["| path | limit (same run) | GiB/s: path, limit (medians) | "
             "× limit: median (min–max) |", "|---|---|---:|---:|"]
    labels = {"write.tvips_ks": "writing: `tvips_ks.save` + fsync",
              "write.tvips_ks_no_writeback": "… without early write-back",
              "read.tvips_ks": "full pass, cold page cache",
              "read.tvips_ks_no_hints": "… without read-ahead hints"}
    limits = {"write": "`tofile` + fsync", "cold": "sequential 16 MiB reads (`dd`)"}
    resident = []
    for section, data in report.items():
        summary = data["summary"]
        limit = summary.get(data["limit"], {})
        for name, s in summary.items():
            if not name.startswith("_"):
                resident += s.get("resident_before", [])
            if name in labels and "median_ratio" in s and "median_s" in limit:
                lines.append(f"| {labels[name]} | {limits[section]} | "
                             f"{s['bytes'] / s['median_s'] / GIB:.2f}, "
                             f"{limit['bytes'] / limit['median_s'] / GIB:.2f} | "
                             f"**{s['median_ratio']:.2f}** ({s['min_ratio']:.2f}–"
                             f"{s['max_ratio']:.2f}) |")
    lines += ["", _machine_line(series, args, started, load_start, load_end) + "."
              + (f" Page cache before each cold case (`mincore`): at most {max(resident):.1%} "
                 f"of the series resident." if resident else "")]
    return "\n".join(lines)


def update_readme(text):
    readme = ROOT / "README.md"
    content = readme.read_text()
    if README_START not in content or README_END not in content:
        print(f"README.md has no {README_START} … {README_END} markers")
        return False
    head, rest = content.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{text}\n{README_END}{tail}")
    return True


if __name__ == "__main__":
    sys.exit(main())
