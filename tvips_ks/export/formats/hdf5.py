"""HDF5: ``data`` (main-header fields and settings as attributes), ``frame_headers``
(compound), ``main_header`` (one record), ``frame_index``.

``compression``: None, ``"gzip"`` (built into HDF5), or ``"zstd"`` / ``"blosc"``
through hdf5plugin (readers need hdf5plugin imported, or HDF5_PLUGIN_PATH set).
"""

from __future__ import annotations

import json
import math

import numpy as np

from ...errors import ArgumentError, require
from ...io.atomic import AtomicOutputs
from .common import attrs_of, frame_index_of, storage_chunks

NAME = "hdf5"
SUFFIXES = (".h5", ".hdf5", ".hdf", ".nxs")
OPTIONS = {"compression": None}
CHUNK_BYTES = 2**20
COMPRESSIONS = (None, "gzip", "zstd", "blosc")


def check(job):
    name = job.opts["compression"]
    if name not in COMPRESSIONS:
        raise ArgumentError(f"HDF5 compression is gzip, zstd or blosc, got {name!r}")
    require("h5py", extra="convert", purpose="writing HDF5")
    if name in ("zstd", "blosc"):
        require("hdf5plugin", extra="convert", purpose=f"HDF5 {name} compression")


def _filter(name) -> dict:
    if name == "gzip":
        return {"compression": "gzip", "compression_opts": 4, "shuffle": True}
    if name in ("zstd", "blosc"):
        hdf5plugin = require("hdf5plugin", extra="convert", purpose=f"HDF5 {name} compression")
        if name == "zstd":
            return dict(hdf5plugin.Zstd(clevel=3))
        return dict(hdf5plugin.Blosc(cname="zstd", clevel=5, shuffle=hdf5plugin.Blosc.BITSHUFFLE))
    return {}


def _upper_bound(ds, plan, dtype, attrs) -> int:
    """Bytes the file can take at most: data (uncompressed), headers, attributes, chunk index."""
    data = math.prod(plan.shape) * dtype.itemsize
    return (data + ds.frame_headers.nbytes + ds.header.nbytes + 8 * frame_index_of(ds, plan).size
            + 4 * len(json.dumps(attrs)) + 512 * (data // CHUNK_BYTES + 1) + 2**20)


def write(temps, job):
    h5py = require("h5py", extra="convert", purpose="writing HDF5")
    plan, ds = job.plan, job.ds
    attrs = attrs_of(ds, plan)
    dtype = np.dtype(plan.dtype)
    frame_bytes = int(np.prod(plan.frame_shape)) * dtype.itemsize
    # HDF5 crashes the interpreter when a write fails inside it: prove the room first
    AtomicOutputs.reserve(temps[0], _upper_bound(ds, plan, dtype, attrs))
    with h5py.File(temps[0], "w") as f:
        data = f.create_dataset("data", shape=plan.shape, dtype=dtype,
                                chunks=storage_chunks(plan.chunks(job.block_bytes), plan.shape,
                                                      frame_bytes, CHUNK_BYTES),
                                **_filter(job.opts["compression"]))
        for key, value in attrs["main_header"].items():
            data.attrs[key] = value
        for key in ("format", "tvips_ks_version", "num_frames", "len_frame_header",
                    "len_record"):
            data.attrs[key] = attrs[key]
        data.attrs["source"] = attrs["source"]
        data.attrs["dims"] = attrs["dims"]
        data.attrs["tvips_json"] = json.dumps(attrs)
        if attrs["acquisition_time"]:
            data.attrs["acquisition_time"] = attrs["acquisition_time"]
        for key, value in (attrs["scan"] or {}).items():
            if value is not None:
                data.attrs[key] = value
        for slices, block in job.blocks():
            data[slices] = block
        f.create_dataset("frame_headers", data=ds.frame_headers)
        f.create_dataset("main_header", data=np.array([ds.header], dtype=ds.header.dtype))
        f.create_dataset("frame_index", data=frame_index_of(ds, plan))
