"""HyperSpy's own files, ``.hspy`` (HDF5) and ``.zspy`` (zarr), written by HyperSpy.

The signal is lazy: a dask array whose tasks read their positions through
the plan (the same blocks as every writer), with the plan's axes (cropped,
binned: scales and offsets follow) and the metadata and original metadata of
:meth:`TvipsDataset.to_hyperspy`.  HyperSpy stores it chunk by chunk, gzip-compressed by default
(``compression``: None, ``"gzip"`` or ``"lzf"``).
"""

from __future__ import annotations

import numpy as np

from ...errors import ArgumentError, require
from ...hyperspy.read import _signal_type_known, signal_dict
from ...io.daskio import to_dask

NAME = "hspy"
SUFFIXES = (".hspy", ".zspy")
OPTIONS = {"compression": "gzip"}  # HyperSpy's default; None writes several times faster
COMPRESSIONS = (None, "gzip", "lzf")


def _file_format(job) -> str:
    return "ZSPY" if job.out.suffix.lower() == ".zspy" else "HSPY"


def check(job):
    require("hyperspy.api", extra="hyperspy", purpose="writing .hspy/.zspy")
    if job.opts["compression"] not in COMPRESSIONS:
        raise ArgumentError(f".hspy compression is gzip, lzf or None, got "
                            f"{job.opts['compression']!r}")
    if _file_format(job) == "ZSPY":
        zarr = require("zarr", extra="convert", purpose="writing .zspy")
        if not hasattr(zarr.storage, "NestedDirectoryStore"):
            raise ArgumentError(f"HyperSpy's .zspy writer (RosettaSciIO) needs zarr 2, and zarr "
                                f"{zarr.__version__} is installed: write .hspy, or a zarr v3 "
                                f"group (*.zarr)")


def signal(job):
    """The plan as a lazy HyperSpy signal."""
    dict2signal = require("hyperspy.io", extra="hyperspy", purpose="writing .hspy").dict2signal
    plan, ds, bar = job.plan, job.ds, job.bar
    nav_chunks = plan.chunks(job.block_bytes)
    raw = to_dask(plan.table, plan.nav_shape, plan.frame_index,
                  chunks=(*nav_chunks, *ds.layout.frame_shape))

    def process(block):
        out = plan.apply(block)
        bar.update(int(np.prod(out.shape[:-2])))
        return out
    data = raw.map_blocks(process, dtype=plan.dtype,
                          chunks=(*raw.chunks[:-2], (plan.frame_shape[0],),
                                  (plan.frame_shape[1],)))
    d = signal_dict(ds, lazy=True)
    d["data"] = data
    d["axes"] = [dict(a.as_dict(), index_in_array=i, scale=float(a.scale),
                      offset=float(a.offset)) for i, a in enumerate(plan.axes)]
    if plan.frame_index is not None:
        d["original_metadata"]["frame_index"] = np.asarray(plan.frame_index).copy()
    if plan.record:
        d["original_metadata"]["tvips_ks_processing"] = plan.record
    signal_type = d["metadata"]["Signal"].get("signal_type")
    if signal_type and not _signal_type_known(signal_type):
        del d["metadata"]["Signal"]["signal_type"]
    return dict2signal(d, lazy=True)


def write(temps, job):
    extra = {"compression": job.opts["compression"]} if _file_format(job) == "HSPY" else {}
    signal(job).save(str(temps[0]), file_format=_file_format(job), overwrite=True,
                     show_progressbar=False, **extra)
