"""One benchmark case per process: ``python benchmarks/cases.py CASE --params JSON``.

Each case times its operation ``repeat`` times in this process (every
repetition starts from scratch: open, compute, drop), and prints one JSON line
with the best and first wall times, the process CPU time, the peak resident
set size (``VmHWM`` from ``/proc/self/status``, which counts mapped file pages
as well as heap) and, where there is one, the path of a result saved for
``run.py`` to check against the reference.

Peers are black boxes: RosettaSciIO, LiberTEM and numpy are called through
their public APIs only.  ``run.py`` builds the data and passes everything a
case needs (paths, layout, scan and random-access parameters) in ``--params``,
so peer cases never import tvips_ks.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

CASES = {}


def case(name):
    def register(fn):
        CASES[name] = fn
        return fn
    return register


def status_mib(key: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Timer:
    """Wall times of the repetitions, after ``warmup`` untimed ones (imports, pools)."""

    def __init__(self, warmup=0):
        self.times = []
        self.warmup = warmup

    def run(self, fn, repeat):
        out = None
        for _ in range(self.warmup):
            fn()
        for _ in range(repeat):
            t0 = time.perf_counter()
            out = fn()
            self.times.append(time.perf_counter() - t0)
        return out


# -- the data: layout passed by run.py ---------------------------------------------------

def parts_of(series):
    return [(p["path"], p["offset"], p["num_frames"], p["first_frame"]) for p in series["parts"]]


def record_dtype(series):
    h, w = series["frame_shape"]
    return np.dtype({"names": ["image"], "formats": [(series["dtype"], (h, w))],
                     "offsets": [series["len_frame_header"]], "itemsize": series["len_record"]})


def numpy_views(series):
    """One strided ``(n, h, w)`` view per part over a read-only np.memmap (headers skipped)."""
    dtype = record_dtype(series)
    return [np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=(n,))["image"]
            for path, offset, n, _ in parts_of(series)]


def numpy_sum_threads(views, threads, block_bytes=16 * 2**20):
    """Per-frame sums over the views, blocks of frames spread over ``threads`` threads."""
    frame_bytes = views[0][0].nbytes
    block = max(1, block_bytes // frame_bytes)
    jobs = [(v, s) for v in views for s in range(0, len(v), block)]
    if threads == 1:
        return np.concatenate([v[s:s + block].sum(axis=(1, 2)) for v, s in jobs])
    with ThreadPoolExecutor(threads) as pool:
        return np.concatenate(list(pool.map(lambda j: j[0][j[1]:j[1] + block].sum(axis=(1, 2)),
                                            jobs)))


def scan_map_numpy(p):
    """Position -> frame for a snake scan, in plain numpy (RosettaSciIO's semantics)."""
    rows, cols = p["scan_shape"]
    index = np.arange(p["scan_start_frame"], p["scan_start_frame"] + rows * cols).reshape(rows, cols)
    if p["winding_scan_axis"] == "x":
        index[::2] = np.roll(index[::2, ::-1], p["hysteresis"], axis=1)
    return index


def save_result(p, name, array):
    path = os.path.join(p["results_dir"], name + ".npy")
    np.save(path, np.asarray(array))
    return path


def frame_digest(frames):
    """Per-frame float64 sums: a cheap fingerprint of gathered frames."""
    return np.asarray(frames).reshape(len(frames), -1).sum(axis=1, dtype=np.float64)


# -- (a) open ------------------------------------------------------------------------------

@case("open.limit")
def open_limit(p, t):
    """The least any reader must do: stat every part and read the 256-byte main header."""
    s = p["series"]

    def go():
        sizes = [os.stat(path).st_size for path, *_ in parts_of(s)]
        with open(s["path"], "rb") as f:
            header = np.frombuffer(f.read(256), dtype="<u4")
        return sizes, header
    t.run(go, p["repeat"])


@case("open.tvips_ks")
def open_tvips_ks(p, t):
    import tvips_ks

    def go():
        with tvips_ks.open(p["series"]["path"]) as ds:
            return ds.shape
    shape = t.run(go, p["repeat"])
    return {"shape": list(shape)}


@case("open.tvips_ks_headers")
def open_tvips_ks_headers(p, t):
    import tvips_ks

    def go():
        with tvips_ks.open(p["series"]["path"]) as ds:
            return ds.frame_headers
    headers = t.run(go, p["repeat"])
    return {"frames": len(headers)}


@case("open.rsciio_lazy")
def open_rsciio_lazy(p, t):
    from rsciio.tvips import file_reader

    def go():
        return file_reader(p["series"]["path"], lazy=True)[0]["data"].shape
    shape = t.run(go, p["repeat"])
    return {"shape": list(shape)}


@case("open.libertem")
def open_libertem(p, t):
    from libertem.api import Context

    ctx = Context.make_with("inline")
    n = p["series"]["num_frames"]

    def go():
        return ctx.load("tvips", path=p["series"]["path"], nav_shape=(n,), sync_offset=0).shape
    shape = t.run(go, p["repeat"])
    return {"shape": list(shape)}


# -- (b) full pass: the virtual image ------------------------------------------------------

@case("vimg.numpy_1t")
def vimg_numpy_1t(p, t):
    v = t.run(lambda: numpy_sum_threads(numpy_views(p["series"]), 1), p["repeat"])
    return {"result": save_result(p, p["case"], v)}


@case("vimg.numpy_threads")
def vimg_numpy_threads(p, t):
    threads = os.cpu_count()
    v = t.run(lambda: numpy_sum_threads(numpy_views(p["series"]), threads), p["repeat"])
    return {"result": save_result(p, p["case"], v), "threads": threads}


@case("vimg.tvips_ks")
def vimg_tvips_ks(p, t):
    import tvips_ks

    def go():
        with tvips_ks.open(p["series"]["path"]) as ds:
            return ds.to_dask().sum(axis=(-2, -1)).compute()
    v = t.run(go, p["repeat"])
    return {"result": save_result(p, p["case"], v)}


@case("vimg.tvips_ks_distributed")
def vimg_tvips_ks_distributed(p, t, saturation=None):
    """The same graph on a dask.distributed LocalCluster (one worker process per core)."""
    import dask
    import tvips_ks
    from dask.distributed import Client, LocalCluster

    settings = {} if saturation is None else \
        {"distributed.scheduler.worker-saturation": saturation}
    with dask.config.set(settings), \
            LocalCluster(n_workers=os.cpu_count(), threads_per_worker=1, processes=True,
                         dashboard_address=None) as cluster, Client(cluster):
        def go():
            with tvips_ks.open(p["series"]["path"]) as ds:
                return ds.to_dask().sum(axis=(-2, -1)).compute()
        v = t.run(go, p["repeat"])
        workers_hwm = cluster_peak_rss(cluster)
    return {"result": save_result(p, p["case"], v), "workers_peak_rss_mib": workers_hwm}


@case("vimg.tvips_ks_distributed_unqueued")
def vimg_tvips_ks_distributed_unqueued(p, t):
    """The same, with the scheduler's queuing off (worker-saturation inf): every worker
    is given its share of the (independent, equally costly) read tasks at once."""
    return vimg_tvips_ks_distributed(p, t, saturation=float("inf"))


def cluster_peak_rss(cluster):
    """Largest VmHWM among the workers (read on each worker)."""
    from dask.distributed import Client

    with Client(cluster) as client:
        values = client.run(lambda: status_mib("VmHWM"))
    return max(values.values()) if values else None


@case("vimg.rsciio_lazy")
def vimg_rsciio_lazy(p, t):
    from rsciio.tvips import file_reader

    def go():
        data = file_reader(p["series"]["path"], lazy=True)[0]["data"]
        return data.sum(axis=(-2, -1)).compute()
    v = t.run(go, p["repeat"])
    return {"result": save_result(p, p["case"], v)}


@case("vimg.rsciio_eager")
def vimg_rsciio_eager(p, t):
    from rsciio.tvips import file_reader

    def go():
        data = file_reader(p["series"]["path"], lazy=False)[0]["data"]
        return data.sum(axis=(-2, -1))
    v = t.run(go, p["repeat"])
    return {"result": save_result(p, p["case"], v)}


@case("vimg.libertem")
def vimg_libertem(p, t):
    from libertem.api import Context
    from libertem.udf.sumsigudf import SumSigUDF

    ctx = Context.make_with("threads", cpus=os.cpu_count())
    n = p["series"]["num_frames"]

    def go():
        ds = ctx.load("tvips", path=p["series"]["path"], nav_shape=(n,), sync_offset=0)
        return np.asarray(ctx.run_udf(dataset=ds, udf=SumSigUDF())["intensity"].data)
    v = t.run(go, p["repeat"])
    return {"result": save_result(p, p["case"], v), "executor": "threads"}


# -- (c) random access ---------------------------------------------------------------------

def random_frames(p):
    n = p["series"]["num_frames"]
    return np.random.default_rng(p["seed"]).choice(n, min(p["count"], n), replace=False)


@case("random.numpy")
def random_numpy(p, t):
    """Gather from per-part strided memmaps, in file order, into the requested order."""
    s = p["series"]
    idx = random_frames(p)

    def go():
        views = numpy_views(s)
        starts = np.array([part["first_frame"] for part in s["parts"]])
        owner = np.searchsorted(starts, idx, side="right") - 1
        out = np.empty((idx.size, *s["frame_shape"]), dtype=s["dtype"])
        for k in np.unique(owner):
            sel = np.flatnonzero(owner == k)
            local = idx[sel] - starts[k]
            order = np.argsort(local)
            out[sel[order]] = views[k][local[order]]
        return out
    out = t.run(go, p["repeat"])
    return {"result": save_result(p, p["case"], frame_digest(out))}


@case("random.tvips_ks")
def random_tvips_ks(p, t):
    import tvips_ks

    idx = random_frames(p)

    def go():
        with tvips_ks.open(p["series"]["path"]) as ds:
            return ds.data[idx]
    out = t.run(go, p["repeat"])
    return {"result": save_result(p, p["case"], frame_digest(out))}


@case("random.tvips_ks_dask")
def random_tvips_ks_dask(p, t):
    import tvips_ks

    idx = random_frames(p)

    def go():
        with tvips_ks.open(p["series"]["path"]) as ds:
            return ds.to_dask()[idx].compute()
    out = t.run(go, p["repeat"])
    return {"result": save_result(p, p["case"], frame_digest(out))}


@case("random.rsciio_lazy")
def random_rsciio_lazy(p, t):
    from rsciio.tvips import file_reader

    idx = random_frames(p)

    def go():
        data = file_reader(p["series"]["path"], lazy=True)[0]["data"]
        return data[idx].compute()
    out = t.run(go, p["repeat"])
    return {"result": save_result(p, p["case"], frame_digest(out))}


@case("random.libertem")
def random_libertem(p, t):
    from libertem.api import Context
    from libertem.udf.raw import PickUDF

    ctx = Context.make_with("threads", cpus=os.cpu_count())
    n = p["series"]["num_frames"]
    idx = random_frames(p)
    roi = np.zeros(n, dtype=bool)
    roi[idx] = True

    def go():
        ds = ctx.load("tvips", path=p["series"]["path"], nav_shape=(n,), sync_offset=0)
        picked = np.asarray(ctx.run_udf(dataset=ds, udf=PickUDF(), roi=roi)["intensity"].data)
        # the ROI comes back in frame order: put it in the requested order
        return picked[np.searchsorted(np.flatnonzero(roi), idx)]
    out = t.run(go, p["repeat"])
    return {"result": save_result(p, p["case"], frame_digest(out))}


# -- (d) scan reassembly (winding + hysteresis), then the virtual image ----------------------

def scan_kwargs(p):
    return dict(scan_shape=tuple(p["scan_shape"]), scan_start_frame=p["scan_start_frame"],
                winding_scan_axis=p["winding_scan_axis"], hysteresis=p["hysteresis"])


@case("scan.numpy")
def scan_numpy(p, t):
    """The limit: the numpy virtual image of every frame, then the scan map applied to it."""
    threads = os.cpu_count()

    def go():
        v = numpy_sum_threads(numpy_views(p["series"]), threads)
        return v[scan_map_numpy(p)]
    v = t.run(go, p["repeat"])
    return {"result": save_result(p, p["case"], v)}


@case("scan.tvips_ks")
def scan_tvips_ks(p, t):
    import tvips_ks

    def go():
        with tvips_ks.open(p["series"]["path"], **scan_kwargs(p)) as ds:
            return ds.to_dask().sum(axis=(-2, -1)).compute()
    v = t.run(go, p["repeat"])
    return {"result": save_result(p, p["case"], v)}


@case("scan.tvips_ks_virtual")
def scan_tvips_ks_virtual(p, t):
    """tvips-ks's virtual image: frames reduced in file order, the scan map applied after."""
    import tvips_ks

    def go():
        with tvips_ks.open(p["series"]["path"], **scan_kwargs(p)) as ds:
            return ds.virtual_image()
    v = t.run(go, p["repeat"])
    return {"result": save_result(p, p["case"], v)}


@case("scan.tvips_ks_virtual_lazy")
def scan_tvips_ks_virtual_lazy(p, t):
    import tvips_ks

    def go():
        with tvips_ks.open(p["series"]["path"], **scan_kwargs(p)) as ds:
            return ds.virtual_image(lazy=True).compute()
    v = t.run(go, p["repeat"])
    return {"result": save_result(p, p["case"], v)}


@case("scan.tvips_ks_virtual_distributed")
def scan_tvips_ks_virtual_distributed(p, t):
    """The lazy virtual image's graph on a LocalCluster, one worker process per core."""
    import tvips_ks
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=os.cpu_count(), threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        def go():
            with tvips_ks.open(p["series"]["path"], **scan_kwargs(p)) as ds:
                return ds.virtual_image(lazy=True).compute()
        v = t.run(go, p["repeat"])
        workers_hwm = cluster_peak_rss(cluster)
    return {"result": save_result(p, p["case"], v), "workers_peak_rss_mib": workers_hwm}


def numpy_pattern_threads(views, first, stop, threads, block_bytes=16 * 2**20):
    """Frames ``[first, stop)`` of the series summed over frames, in blocks over threads:
    ``sum(axis=0, dtype=uint32)`` per block (exact for uint16 blocks of < 65,538 frames, and
    faster than numpy's default uint64 accumulator), the partial sums added in uint64."""
    frame_bytes = views[0][0].nbytes
    block = max(1, block_bytes // frame_bytes)
    jobs, start = [], 0
    for v in views:
        a, b = max(first - start, 0), min(stop - start, len(v))
        jobs += [(v, s, min(s + block, b)) for s in range(a, b, block)]
        start += len(v)

    def one(job):
        v, s, e = job
        return v[s:e].sum(axis=0, dtype=np.uint32)
    out = np.zeros(views[0].shape[1:], dtype=np.uint64)
    with ThreadPoolExecutor(threads) as pool:
        for partial in pool.map(one, jobs):
            out += partial
    return out


@case("pattern.numpy")
def pattern_numpy(p, t):
    """The limit: numpy's sum over the frames the scan shows (each shown once)."""
    threads = os.cpu_count()
    first = p["scan_start_frame"]
    stop = first + int(np.prod(p["scan_shape"]))

    def go():
        return numpy_pattern_threads(numpy_views(p["series"]), first, stop, threads)
    v = t.run(go, p["repeat"])
    return {"result": save_result(p, p["case"], v)}


@case("pattern.tvips_ks")
def pattern_tvips_ks(p, t):
    """tvips-ks's virtual diffraction pattern: the frames summed over the whole scan."""
    import tvips_ks

    def go():
        with tvips_ks.open(p["series"]["path"], **scan_kwargs(p)) as ds:
            return ds.virtual_diffraction()
    v = t.run(go, p["repeat"])
    return {"result": save_result(p, p["case"], v)}


@case("pattern.tvips_ks_dask")
def pattern_tvips_ks_dask(p, t):
    import tvips_ks

    def go():
        with tvips_ks.open(p["series"]["path"], **scan_kwargs(p)) as ds:
            return ds.to_dask().sum(axis=(0, 1)).compute()
    v = t.run(go, p["repeat"])
    return {"result": save_result(p, p["case"], v)}


@case("scan.rsciio_lazy")
def scan_rsciio_lazy(p, t):
    from rsciio.tvips import file_reader

    def go():
        data = file_reader(p["series"]["path"], lazy=True, **scan_kwargs(p))[0]["data"]
        return data.sum(axis=(-2, -1)).compute()
    v = t.run(go, p["repeat"])
    return {"result": save_result(p, p["case"], v)}


@case("scan.rsciio_eager")
def scan_rsciio_eager(p, t):
    from rsciio.tvips import file_reader

    def go():
        data = file_reader(p["series"]["path"], lazy=False, **scan_kwargs(p))[0]["data"]
        return data.sum(axis=(-2, -1))
    v = t.run(go, p["repeat"])
    return {"result": save_result(p, p["case"], v)}


# -- (e) writing ---------------------------------------------------------------------------

def make_frames(start, stop, frame_shape):
    """The synthetic frames (also what build writes): (31·frame + pixel) mod 4093."""
    h, w = frame_shape
    f = np.arange(start, stop, dtype=np.uint32)[:, None]
    pix = np.arange(h * w, dtype=np.uint32)[None, :]
    return ((f * 31 + pix) % 4093).astype(np.uint16).reshape(-1, h, w)


def write_input(p):
    """The frames to write, as one in-memory array (built in blocks: peak = its size)."""
    n, shape = p["write_frames"], tuple(p["series"]["frame_shape"])
    out = np.empty((n, *shape), dtype=np.uint16)
    for start in range(0, n, 4096):
        out[start:start + 4096] = make_frames(start, min(n, start + 4096), shape)
    return out


def fsync_paths(paths):
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def clean(directory):
    for name in os.listdir(directory):
        os.unlink(os.path.join(directory, name))


def write_case(p, t, write):
    """Time ``write(data, directory)`` (which returns the files it wrote) + fsync of each."""
    data = write_input(p)
    directory = os.path.join(p["work_dir"], "write-" + p["case"])
    os.makedirs(directory, exist_ok=True)
    written = 0
    for _ in range(p["repeat"]):
        clean(directory)
        os.sync()  # start every repetition with nothing dirty
        t0 = time.perf_counter()
        paths = write(data, directory)
        fsync_paths(paths)
        t.times.append(time.perf_counter() - t0)
        written = sum(os.path.getsize(x) for x in paths)
    clean(directory)
    os.rmdir(directory)
    return {"bytes_written": written, "files": len(paths), "input_mib": data.nbytes / 2**20}


@case("write.numpy")
def write_numpy(p, t):
    """The limit: the same number of bytes, split the same way, with ndarray.tofile."""
    s = p["series"]
    part_bytes = p["part_bytes"]
    dtype = np.dtype({"names": ["header", "image"],
                      "formats": [f"V{s['len_frame_header']}", (s["dtype"], tuple(s["frame_shape"]))],
                      "offsets": [0, s["len_frame_header"]], "itemsize": s["len_record"]})
    data = write_input(p)
    records = np.zeros(len(data), dtype=dtype)  # built before timing: tofile alone is timed
    records["image"] = data
    del data
    first = (part_bytes - 256) // s["len_record"]
    other = part_bytes // s["len_record"]

    def write(_, directory):
        paths, start, k = [], 0, 0
        while start < len(records):
            stop = min(len(records), start + (first if k == 0 else other))
            path = os.path.join(directory, f"limit_{k:03d}.tvips")
            with open(path, "wb") as f:
                if k == 0:
                    f.write(bytes(256))
                records[start:stop].tofile(f)
            paths.append(path)
            start, k = stop, k + 1
        return paths
    return write_case(p, t, write)


@case("write.tvips_ks")
def write_tvips_ks(p, t):
    import tvips_ks

    def write(data, directory):
        return tvips_ks.save(os.path.join(directory, "out.tvips"), data,
                             max_file_size=p["part_bytes"], start_time=0, progress=False)
    return write_case(p, t, write)


@case("write.rsciio")
def write_rsciio(p, t):
    from rsciio.tvips import file_writer

    def write(data, directory):
        n, h, w = data.shape
        signal = {
            "data": data,
            "axes": [{"name": "time", "size": n, "navigate": True, "scale": 1.0, "offset": 0.0,
                      "units": "ms"},
                     {"name": "y", "size": h, "navigate": False, "scale": 1.0, "offset": 0.0,
                      "units": "1/nm"},
                     {"name": "x", "size": w, "navigate": False, "scale": 1.0, "offset": 0.0,
                      "units": "1/nm"}],
            "metadata": {"General": {"title": "bench", "date": "2024-01-01", "time": "00:00:00",
                                     "time_zone": "UTC"},
                         "Signal": {"signal_type": "electron_diffraction"}},
            "original_metadata": {},
            "attributes": {"_lazy": False},
        }
        file_writer(os.path.join(directory, "out.tvips"), signal,
                    max_file_size=p["part_bytes"], show_progressbar=False)
        return sorted(os.path.join(directory, x) for x in os.listdir(directory))
    return write_case(p, t, write)


# -- (f) the generated Kaitai parser -------------------------------------------------------

@case("kaitai.parse")
def kaitai_parse(p, t):
    """Frames per second of the Kaitai parser generated from spec/tvips.ksy (pure Python)."""
    from tvips_ks.generated import Tvips

    s = p["series"]
    count = min(p["kaitai_frames"], s["parts"][0]["num_frames"])
    with open(s["path"], "rb") as f:
        raw = f.read(256 + count * s["len_record"])
    parsed = t.run(lambda: Tvips.from_bytes(raw), p["repeat"])
    assert len(parsed.records) == count
    return {"frames": count, "bytes": len(raw)}


@case("kaitai.numpy_headers")
def kaitai_numpy_headers(p, t):
    """The path tvips_ks uses instead: every frame header in one strided read per part."""
    import tvips_ks

    def go():
        with tvips_ks.open(p["series"]["path"]) as ds:
            return ds.frame_headers
    headers = t.run(go, p["repeat"])
    return {"frames": len(headers)}


# -- building the data ---------------------------------------------------------------------

@case("build")
def build(p, t):
    """Write the synthetic series with tvips_ks.save from a dask array (bounded memory)."""
    import dask.array as da
    import tvips_ks

    n, (h, w) = p["frames"], p["frame_shape"]
    block = max(1, (16 * 2**20) // (h * w * 2))

    def gen(x, block_info=None):
        start, stop = block_info[None]["array-location"][0]
        return make_frames(start, stop, (h, w))
    data = da.map_blocks(gen, da.empty((n, h, w), chunks=(block, h, w), dtype=np.uint16),
                         dtype=np.uint16)
    paths = t.run(lambda: tvips_ks.save(p["path"], data, max_file_size=p["part_bytes"],
                                        start_time=0, progress=False, overwrite=True), 1)
    return {"paths": [str(x) for x in paths]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--params", required=True, help="JSON, or @file with JSON")
    args = parser.parse_args(argv)
    text = args.params
    if text.startswith("@"):
        with open(text[1:]) as f:
            text = f.read()
    params = json.loads(text)
    params["case"] = params.get("name", args.case)
    base = status_mib("VmHWM")
    for module in params.get("preimport", ()):  # what every user of the path imports
        __import__(module)
    imports = status_mib("VmHWM")
    cpu0 = cpu_seconds()
    timer = Timer(params.get("warmup", 0))
    extra = CASES[args.case](params, timer) or {}
    out = {
        "case": params["case"],
        "kind": args.case,
        "best_s": min(timer.times),
        "first_s": timer.times[0],
        "times_s": timer.times,
        "cpu_s": cpu_seconds() - cpu0,
        "vmhwm_mib": status_mib("VmHWM"),
        "start_mib": base,
        "imports_mib": imports,
        "warmup": timer.warmup,
        **extra,
    }
    sys.stdout.write("\nRESULT " + json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
