"""Lazy dask arrays of a series whose graphs hold paths and byte offsets, not arrays.

Handing a memory map to dask makes it pull the data into memory (dask#11152;
RosettaSciIO's "lazy" load takes the file size in RAM that way).  Here every
task maps just its own frames while it runs (:func:`reader.map_frames`), so
opening costs nothing, memory is bounded by the chunks in flight, and the
graph pickles small enough to ship to a ``dask.distributed`` cluster.
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np

from .errors import ArgumentError
from .reader import map_frames

__all__ = ["to_dask", "normalize_nav_chunks"]

_TARGET_CHUNK_BYTES = 64 * 2**20   # a stack's chunks: zero-copy views of the files
_TARGET_GATHER_BYTES = 32 * 2**20  # a scan's chunks: frames gathered into new arrays


def normalize_nav_chunks(chunks, nav_shape, frame_shape, dtype, part_frames=None):
    """Chunks of ``(*nav_shape, h, w)`` that always hold whole frames.

    ``"auto"`` (or ``True``, which RosettaSciIO turns into 1-element chunks)
    aims at about 64 MiB per chunk for a stack (``part_frames`` given), whose
    chunks end where its parts end (unless parts are smaller than a chunk) so
    that each is one zero-copy view of one file, and at about 32 MiB for a
    scan, whose chunks are gathered, whole rows of the scan first. ``False``
    or ``None`` keeps one chunk per part for a stack, and one scan row per
    chunk for a scan.  Anything else is given to dask (a tuple or dict of
    chunks).
    """
    import dask.array as da

    frame_bytes = int(np.prod(frame_shape)) * np.dtype(dtype).itemsize
    shape = (*nav_shape, *frame_shape)
    if chunks is True or chunks == "auto":
        if len(nav_shape) == 1 and part_frames:
            per_chunk = max(1, _TARGET_CHUNK_BYTES // max(frame_bytes, 1))
            return (_part_aligned(part_frames, per_chunk), (frame_shape[0],), (frame_shape[1],))
        per_chunk = max(1, _TARGET_GATHER_BYTES // max(frame_bytes, 1))
        nav = []
        for size in reversed(nav_shape):  # fill the fastest axes first
            take = max(1, min(size, per_chunk))
            nav.append(take)
            per_chunk = max(1, per_chunk // size) if take == size else 1
        nav = tuple(reversed(nav))
        return da.core.normalize_chunks((*nav, *frame_shape), shape, dtype=dtype)
    if chunks is False or chunks is None:
        if len(nav_shape) == 1 and part_frames:
            return (tuple(n for n in part_frames if n), (frame_shape[0],), (frame_shape[1],))
        nav = (1,) * (len(nav_shape) - 1) + (nav_shape[-1],)
        return da.core.normalize_chunks((*nav, *frame_shape), shape, dtype=dtype)
    try:
        normalized = da.core.normalize_chunks(chunks, shape, dtype=dtype)
    except (ValueError, TypeError) as err:
        raise ArgumentError(f"rechunking/chunks {chunks!r} is not valid for shape {shape}: {err}")
    return normalized


def _part_aligned(part_frames, per_chunk):
    """Each part cut into near-equal chunks of at most ``per_chunk`` frames, then
    neighbours merged while they fit in one chunk (so small parts share one)."""
    out = []
    for n in part_frames:
        if not n:
            continue
        pieces = -(-n // per_chunk)
        for size in [n // pieces + 1] * (n % pieces) + [n // pieces] * (pieces - n % pieces):
            if out and out[-1] + size <= per_chunk:
                out[-1] += size
            else:
                out.append(size)
    return tuple(out)


def block_frames(frame_index, block_slices):
    """The frames of one block: a ``(start, stop)`` range when contiguous, else an array."""
    if frame_index is None:
        (s,) = block_slices
        return (s.start, s.stop)
    block = frame_index[block_slices]
    flat = block.ravel()
    if flat.size and flat[0] >= 0 and np.array_equal(flat, np.arange(flat[0], flat[0] + flat.size)):
        return (int(flat[0]), int(flat[0]) + flat.size)
    return flat.copy()


def _load(parts, len_record, len_frame_header, frame_shape, dtype, frames, block_shape):
    return map_frames(parts, len_record, len_frame_header, frame_shape, dtype,
                      frames).reshape(block_shape)


def to_dask(parts, layout, nav_shape, frame_index=None, chunks="auto", name=None):
    """A dask array ``(*nav_shape, h, w)`` of the frames of a series.

    ``frame_index`` maps each scan position to a frame (−1 for zeros); ``None``
    means the frames in order.  Each task carries the part table (paths and
    offsets, in a loader shared by all tasks) and its own frame range or index
    block: never a memory map.
    """
    import dask.array as da
    from dask.base import tokenize

    frame_shape = layout.frame_shape
    dtype = layout.pixel_dtype
    chunks = normalize_nav_chunks(chunks, nav_shape, frame_shape, dtype,
                                  [p.num_frames for p in parts] if frame_index is None else None)
    if any(len(c) != 1 for c in chunks[len(nav_shape):]):
        raise ArgumentError("chunks must hold whole frames (one chunk along each frame axis)")
    table = tuple((str(p.path), p.offset, p.num_frames, p.first_frame)
                  for p in parts if p.num_frames)
    name = name or "tvips-" + tokenize(table, layout, nav_shape, chunks,
                                       None if frame_index is None else frame_index.tobytes())
    nav_chunks = chunks[:len(nav_shape)]
    bounds = [np.concatenate([[0], np.cumsum(c)]) for c in nav_chunks]
    # one loader shared by every task: dask treats it as opaque, so it does not walk the
    # part table once per task when it converts and fuses the graph
    load = functools.partial(_load, table, layout.len_record, layout.len_frame_header,
                             frame_shape, dtype.str)
    graph = {}
    for block_id in itertools.product(*(range(len(c)) for c in nav_chunks)):
        slices = tuple(slice(int(b[i]), int(b[i + 1])) for b, i in zip(bounds, block_id))
        block_shape = tuple(s.stop - s.start for s in slices) + frame_shape
        graph[(name, *block_id, 0, 0)] = (load, block_frames(frame_index, slices),
                                          block_shape)
    meta = np.empty((0,) * (len(nav_shape) + 2), dtype=dtype)
    return da.Array(graph, name, chunks, meta=meta)


def graph_size_bytes(array) -> int:
    """Pickled size of a dask array's graph (for tests and benchmarks)."""
    import pickle

    return len(pickle.dumps(dict(array.__dask_graph__())))


def chunk_count(chunks) -> int:
    return math.prod(len(c) for c in chunks)
