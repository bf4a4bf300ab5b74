"""How to cut a series into blocks of whole frames: for dask chunks and for streaming.

One planner: :func:`nav_blocks` fills the fastest scan axes first, so a block
is ``(1, …, 1, k, full, …)``, one contiguous run of the C-ordered array.  A
stack's blocks (:func:`part_aligned`) also end where its parts end, so each
one is a zero-copy view of one file.
"""

from __future__ import annotations

import numpy as np

from ..errors import ArgumentError, require

__all__ = ["STACK_CHUNK_BYTES", "GATHER_CHUNK_BYTES", "SCAN_VIEW_BYTES", "nav_blocks",
           "part_aligned", "iter_blocks", "block_frames", "normalize_nav_chunks", "is_auto"]

STACK_CHUNK_BYTES = 64 * 2**20   #: a stack's chunks: zero-copy views of the files
GATHER_CHUNK_BYTES = 32 * 2**20  #: a scan's chunks where they are gathered into new arrays
SCAN_VIEW_BYTES = 64 * 2**20     #: a scan's chunks where they are views (io.views)


def is_auto(chunks) -> bool:
    """``"auto"`` or ``True`` (which RosettaSciIO passes for automatic chunks)."""
    return chunks is True or (isinstance(chunks, str) and chunks == "auto")


def nav_blocks(nav_shape: tuple[int, ...], frame_bytes: int, target_bytes: int
               ) -> tuple[int, ...]:
    """Regular block sizes over ``nav_shape`` of about ``target_bytes`` (at least one frame)."""
    per_block = max(1, target_bytes // max(frame_bytes, 1))
    sizes = []
    for size in reversed(nav_shape):
        take = max(1, min(size, per_block))
        sizes.append(take)
        per_block = max(1, per_block // size) if take == size else 1
    return tuple(reversed(sizes))


def part_aligned(part_frames, per_chunk: int) -> tuple[int, ...]:
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


def iter_blocks(nav_shape, block):
    """Slices of every block of ``nav_shape`` (regular sizes ``block``) in C order."""
    grids = [range(0, size, c) for size, c in zip(nav_shape, block)]
    for starts in np.ndindex(*(len(g) for g in grids)):
        yield tuple(slice(g[i], min(g[i] + c, size))
                    for g, i, c, size in zip(grids, starts, block, nav_shape))


def block_frames(frame_index, block_slices):
    """The frames of one block: a ``(start, stop)`` range when contiguous, else an array."""
    if frame_index is None:
        (s,) = block_slices
        return (s.start, s.stop)
    flat = frame_index[block_slices].ravel()
    if flat.size and flat[0] >= 0 and np.array_equal(flat, np.arange(flat[0], flat[0] + flat.size)):
        return (int(flat[0]), int(flat[0]) + flat.size)
    return flat.copy()


def normalize_nav_chunks(chunks, nav_shape, frame_shape, dtype, part_frames=None):
    """Dask chunks of ``(*nav_shape, h, w)`` that always hold whole frames.

    ``"auto"`` (or ``True``, which RosettaSciIO turns into 1-element chunks)
    aims at about 64 MiB per chunk for a stack (``part_frames`` given), whose
    chunks end where its parts end, and at about 32 MiB for a scan, whose
    chunks are gathered, whole rows of the scan first. ``False`` or ``None``
    keeps one chunk per part for a stack, and one scan row per chunk for a
    scan.  Anything else is given to dask (a tuple or dict of chunks).
    """
    da = require("dask.array", extra="dask", purpose="dask chunks")


    frame_bytes = int(np.prod(frame_shape)) * np.dtype(dtype).itemsize
    shape = (*nav_shape, *frame_shape)
    if is_auto(chunks):
        if part_frames:  # a stack (only a stack's table is passed)
            per_chunk = max(1, STACK_CHUNK_BYTES // max(frame_bytes, 1))
            return (part_aligned(part_frames, per_chunk), (frame_shape[0],), (frame_shape[1],))
        nav = nav_blocks(nav_shape, frame_bytes, GATHER_CHUNK_BYTES)
        return da.core.normalize_chunks((*nav, *frame_shape), shape, dtype=dtype)
    if chunks is False or chunks is None:
        if part_frames:  # a stack (only a stack's table is passed)
            return (tuple(n for n in part_frames if n), (frame_shape[0],), (frame_shape[1],))
        nav = (1,) * (len(nav_shape) - 1) + (nav_shape[-1],)
        return da.core.normalize_chunks((*nav, *frame_shape), shape, dtype=dtype)
    try:
        normalized = da.core.normalize_chunks(chunks, shape, dtype=dtype)
    except (ValueError, TypeError) as err:
        raise ArgumentError(f"rechunking/chunks {chunks!r} is not valid for shape {shape}: "
                            f"{err}") from None
    if any(len(c) != 1 for c in normalized[len(nav_shape):]):
        raise ArgumentError("chunks must hold whole frames (one chunk along each frame axis)")
    return normalized
