"""Lazy dask arrays of a series whose graphs hold paths and byte offsets, not arrays.

Handing a memory map to dask makes it pull the data into memory (dask#11152;
RosettaSciIO's "lazy" load takes the file size in RAM that way).  Here every
task reads just its own frames while it runs (:func:`gather.read_frames`), so
opening costs nothing, memory is bounded by the chunks in flight, and the
graph pickles small enough to ship to a ``dask.distributed`` cluster.
"""

from __future__ import annotations

import functools
import itertools
import math
import pickle
import sys
import threading

import numpy as np

from ..errors import require
from .chunks import (GATHER_CHUNK_BYTES, SCAN_VIEW_BYTES, block_frames, is_auto, nav_blocks,
                     normalize_nav_chunks)
from .gather import read_frames
from .parts import PartTable
from .views import affine, read_view, view_chunks

__all__ = ["to_dask", "graph_size_bytes"]


#: Gathered chunks are written into buffers reused once nothing refers to them any
#: more: a fresh array of a chunk's size costs page faults and zeroing as large as the
#: copy itself.  Bounded, so memory stays that of the chunks in flight.
_POOL: list[np.ndarray] = []
_POOL_LOCK = threading.Lock()
_POOL_SIZE = 8


def _pooled(shape, dtype) -> np.ndarray:
    nbytes = int(np.prod(shape)) * dtype.itemsize
    with _POOL_LOCK:
        for buf in _POOL:
            # referred to by the pool, this loop and getrefcount only: nobody holds it
            if buf.nbytes == nbytes and sys.getrefcount(buf) == 3:
                return buf.view(dtype).reshape(shape)
        buf = np.empty(nbytes, dtype=np.uint8)
        if len(_POOL) < _POOL_SIZE:
            _POOL.append(buf)
        return buf.view(dtype).reshape(shape)


def _load(table, frames, block_shape):
    if isinstance(frames, tuple):  # a run of frames: a view unless it crosses parts
        part = table.part_of(frames[0])
        if frames[1] <= part.first_frame + part.num_frames:
            return read_frames(table, frames).reshape(block_shape)
    n = frames[1] - frames[0] if isinstance(frames, tuple) else len(frames)
    out = _pooled((n, *block_shape[-2:]), table.layout.pixel_dtype)
    return read_frames(table, frames, out=out).reshape(block_shape)


def _load_view(table, first, steps, block_shape):
    return read_view(table, first, steps, block_shape[:-2])


def to_dask(table: PartTable, nav_shape, frame_index=None, chunks="auto", name=None):
    """A dask array ``(*nav_shape, h, w)`` of the frames of a series.

    ``frame_index`` maps each scan position to a frame (−1 for zeros); ``None``
    means the frames in order.  Each task carries the part table (paths and
    offsets, in a loader shared by all tasks) and its own frame range or index
    block: never a memory map.
    """
    da = require("dask.array", extra="dask", purpose="to_dask()")
    from dask.base import tokenize

    layout = table.layout
    frame_shape, dtype = layout.frame_shape, layout.pixel_dtype
    if frame_index is not None and is_auto(chunks):
        # a scan: blocks that are views of the files wherever its rows run straight
        frame_bytes = int(np.prod(frame_shape)) * dtype.itemsize
        gather = nav_blocks(frame_index.shape, frame_bytes, GATHER_CHUNK_BYTES)
        nav = view_chunks(frame_index, table, frame_bytes, SCAN_VIEW_BYTES,
                          math.prod(-(-n // c) for n, c in zip(frame_index.shape, gather)))
        if nav is not None:
            chunks = (*nav, (frame_shape[0],), (frame_shape[1],))
    chunks = normalize_nav_chunks(chunks, nav_shape, frame_shape, dtype,
                                  [p.num_frames for p in table.parts]
                                  if frame_index is None else None)
    name = name or "tvips-" + tokenize(
        [(str(p.path), p.offset, p.num_frames, p.size) for p in table.parts], layout,
        nav_shape, chunks, frame_index)
    nav_chunks = chunks[:len(nav_shape)]
    bounds = [np.concatenate([[0], np.cumsum(c)]) for c in nav_chunks]
    # one loader shared by every task: dask treats it as opaque, so it does not walk the
    # part table once per task when it converts and fuses the graph
    load = functools.partial(_load, table)
    load_view = functools.partial(_load_view, table)
    graph = {}
    for block_id in itertools.product(*(range(len(c)) for c in nav_chunks)):
        slices = tuple(slice(int(b[i]), int(b[i + 1])) for b, i in zip(bounds, block_id))
        block_shape = tuple(s.stop - s.start for s in slices) + frame_shape
        view = None if frame_index is None else affine(frame_index[slices])
        if view is not None:
            graph[(name, *block_id, 0, 0)] = (load_view, *view, block_shape)
        else:
            graph[(name, *block_id, 0, 0)] = (load, block_frames(frame_index, slices),
                                              block_shape)
    meta = np.empty((0,) * (len(nav_shape) + 2), dtype=dtype)
    return da.Array(graph, name, chunks, meta=meta)


def graph_size_bytes(array) -> int:
    """Pickled size of a dask array's graph (for tests and benchmarks)."""
    return len(pickle.dumps(dict(array.__dask_graph__())))
