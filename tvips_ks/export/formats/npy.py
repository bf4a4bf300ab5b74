"""``.npy`` with a sidecar ``OUT.headers.npz`` (main header, frame headers, index, attrs).

The array's header comes from numpy (``open_memmap``); the blocks are then
written with plain file writes at their offsets (in pieces, as the
series writer does: :func:`tvips_ks.io.partwriter.write_fully`), so no
page of the output stays mapped.
"""

from __future__ import annotations

import json

import numpy as np

from ...errors import ArgumentError
from ...io.partwriter import write_fully
from .common import attrs_of, frame_index_of

NAME = "npy"
SUFFIXES = (".npy",)
OPTIONS = {"compression": None}


def outputs(job):
    return [job.out, job.out.with_name(job.out.name + ".headers.npz")]


def check(job):
    if job.opts["compression"] is not None:
        raise ArgumentError(".npy cannot be compressed: choose zarr (*.zarr) or HDF5 (*.h5)")


def write_sidecar(path, ds, plan) -> None:
    with open(path, "wb") as f:
        np.savez(f, main_header=np.array([ds.header], dtype=ds.header.dtype),
                 frame_headers=ds.frame_headers, frame_index=frame_index_of(ds, plan),
                 attrs=np.array(json.dumps(attrs_of(ds, plan))))


def write(temps, job):
    plan = job.plan
    shape, dtype = plan.shape, np.dtype(plan.dtype)
    arr = np.lib.format.open_memmap(temps[0], mode="w+", dtype=dtype, shape=shape)
    data_offset = arr.offset
    del arr
    row = [int(np.prod(shape[i + 1:], dtype=np.int64)) for i in range(len(shape))]
    with open(temps[0], "r+b", buffering=0) as f:
        for slices, block in job.blocks():
            block = np.ascontiguousarray(block, dtype=dtype)
            first = sum(s.start * r for s, r in zip(slices, row))
            f.seek(data_offset + first * dtype.itemsize)
            write_fully(f, block)
    write_sidecar(temps[1], job.ds, plan)
