"""A zarr v3 group: ``data`` (attributes ``tvips``), ``frame_headers/<field>``, ``frame_index``.

``compression``: None, ``"zstd"`` or ``"blosc"`` (zstd inside blosc, bit
shuffled): zarr v3's own codecs.
"""

from __future__ import annotations

import numpy as np

from ...errors import ArgumentError, require
from .common import attrs_of, frame_index_of, storage_chunks

NAME = "zarr"
SUFFIXES = (".zarr",)
OPTIONS = {"compression": None}
CHUNK_BYTES = 4 * 2**20
COMPRESSIONS = (None, "zstd", "blosc")


def _zarr():
    zarr = require("zarr", extra="convert", purpose="writing zarr")
    if int(zarr.__version__.split(".")[0]) < 3:
        raise ArgumentError(f"writing zarr v3 needs zarr>=3, found {zarr.__version__}")
    return zarr


def check(job):
    if job.opts["compression"] not in COMPRESSIONS:
        raise ArgumentError(f"zarr compression is zstd or blosc, got "
                            f"{job.opts['compression']!r}")
    _zarr()


def _compressors(zarr, name):
    if name == "zstd":
        return [zarr.codecs.ZstdCodec(level=3)]
    if name == "blosc":
        return [zarr.codecs.BloscCodec(cname="zstd", clevel=5, shuffle="bitshuffle")]
    return None


def write(temps, job):
    zarr = _zarr()
    plan, ds = job.plan, job.ds
    attrs = attrs_of(ds, plan)
    root = zarr.open_group(store=str(temps[0]), mode="w", zarr_format=3)
    root.attrs.update({"tvips": attrs})
    dtype = np.dtype(plan.dtype)
    frame_bytes = int(np.prod(plan.frame_shape)) * dtype.itemsize
    data = root.create_array("data", shape=plan.shape, dtype=dtype,
                             dimension_names=attrs["dims"],
                             chunks=storage_chunks(plan.chunks(job.block_bytes), plan.shape,
                                                   frame_bytes, CHUNK_BYTES),
                             compressors=_compressors(zarr, job.opts["compression"]))
    data.attrs.update({"tvips": attrs})
    for slices, block in job.blocks():
        data[slices] = block
    fh = ds.frame_headers
    group = root.create_group("frame_headers")
    for name in fh.dtype.names:
        column = np.ascontiguousarray(fh[name])
        a = group.create_array(name, shape=column.shape, dtype=column.dtype,
                               chunks=(max(1, min(column.size, 2**20)),))
        a[...] = column
    index = frame_index_of(ds, plan)
    a = root.create_array("frame_index", shape=index.shape, dtype=np.int64, chunks=index.shape)
    a[...] = index
