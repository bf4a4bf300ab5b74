"""Blocks of a scan that are zero-copy views of the files.

A block of scan positions whose frames are an affine function of the
position (``first + i·s_row + j·s_col``, nonzero steps, all in one part) is a
strided view of a private map of the records between its first and last
frame: no copy, whatever the steps' signs.  A fly-back scan is affine over
whole runs of rows; a snake scan row by row, in each stretch of columns that
runs one way (the reversed rows of a snake are negative strides, and a
hysteresis roll splits them at the roll).

:func:`view_chunks` plans a scan's dask chunks on those lines; blocks that
are not affine (padding, repeats, a row across two parts) are gathered as
before.  :func:`affine` recognises an affine block and :func:`read_view`
reads one.
"""

from __future__ import annotations

import math

import numpy as np

from .gather import map_records, read_frames
from .parts import PartTable

__all__ = ["affine", "read_view", "view_chunks", "MAX_PATTERNS"]

#: Rows whose frames follow more distinct shapes than this (a rotator scan's
#: repeats and skips) are not worth cutting into views: the planner gives up.
MAX_PATTERNS = 64

#: What one more dask task costs, in bytes copied in the same time (about 0.4 ms of
#: scheduling, fusing and mapping against 16 GiB/s of memcpy into a reused buffer,
#: measured here).  A snake with hysteresis splits every row at the roll: many small
#: views can cost more than gathering fewer, larger chunks.
TASK_COST_BYTES = 6 * 2**20


def affine(block: np.ndarray):
    """``(first, steps)`` when ``block[i, j, …] == first + i·steps[0] + j·steps[1] + …``
    with nonzero steps and no padding, else ``None``."""
    if block.size == 0 or block.min() < 0:
        return None
    first = int(block.flat[0])
    steps = []
    for axis, n in enumerate(block.shape):
        if n == 1:
            steps.append(1)
            continue
        d = np.diff(block, axis=axis)
        step = int(d.flat[0])
        if step == 0 or not (d == step).all():
            return None
        steps.append(step)
    return first, tuple(steps)


def read_view(table: PartTable, first: int, steps: tuple, nav_shape: tuple) -> np.ndarray:
    """Frames ``first + Σ i_k·steps[k]`` over ``nav_shape``: a view when in one part."""
    extent = [(n - 1) * s for n, s in zip(nav_shape, steps)]
    lo = first + sum(e for e in extent if e < 0)
    hi = first + sum(e for e in extent if e > 0) + 1
    part = table.part_of(lo)
    if hi > part.first_frame + part.num_frames:  # across parts: gathered
        grid = first + sum(np.arange(n).reshape(
            [n if k == a else 1 for k in range(len(nav_shape))]) * s
            for a, (n, s) in enumerate(zip(nav_shape, steps)))
        frames = np.broadcast_to(grid, nav_shape).ravel()
        return read_frames(table, frames).reshape(*nav_shape, *table.layout.frame_shape)
    images = map_records(part, lo - part.first_frame, hi - lo, table.layout.image_dtype)["image"]
    record = images.strides[0]
    return np.lib.stride_tricks.as_strided(
        images[first - lo:], shape=(*nav_shape, *images.shape[1:]),
        strides=(*(s * record for s in steps), *images.strides[1:]))


def _weights(n: int) -> np.ndarray:
    return np.random.default_rng(n).integers(1, 2**61, n, dtype=np.int64)


def _segments(pattern: np.ndarray) -> list[int]:
    """Where runs of equal steps start in one row (greedy, left to right)."""
    starts, c, n = [0], 0, pattern.size
    while c < n - 1:
        step = pattern[c + 1] - pattern[c]
        end = c + 1
        while end + 1 < n and pattern[end + 1] - pattern[end] == step:
            end += 1
        c = end + 1
        if c < n:
            starts.append(c)
    return starts


def _split(sizes, most: int) -> list[int]:
    """Each size cut into near-equal pieces of at most ``most``."""
    out = []
    for n in sizes:
        pieces = -(-n // most)
        out += [n // pieces + 1] * (n % pieces) + [n // pieces] * (pieces - n % pieces)
    return out


def view_chunks(frame_index: np.ndarray, table: PartTable, frame_bytes: int,
                target_bytes: int, gather_blocks: int):
    """Chunks of ``frame_index.shape`` whose blocks are affine wherever the scan allows.

    Columns are cut where a row's frames change direction or jump (the union
    over rows), then to at most ``target_bytes``; rows are grouped while the
    group stays affine in one part and within ``target_bytes``; leading axes
    are cut into single planes.  ``None`` when the map has too many shapes
    of rows to cut into views, or when the extra tasks would cost more than
    gathering the scan in ``gather_blocks`` blocks copies (gather it instead).
    """
    shape = frame_index.shape
    rows = frame_index.reshape(-1, shape[-1])
    per_block = max(1, target_bytes // max(frame_bytes, 1))
    full = rows[(rows >= 0).all(axis=1)]
    shapes = full - full[:, :1]
    # rows of one shape (a frame offset apart) cut alike: one row of each shape is
    # enough (a hash finds them; a collision only costs a gathered block, never a value)
    _, first_of = np.unique(shapes @ _weights(shapes.shape[1]), return_index=True)
    patterns = shapes[first_of]
    if len(patterns) > MAX_PATTERNS:
        return None
    cuts = sorted({c for p in patterns for c in _segments(p)} | {0})
    col_sizes = _split(np.diff([*cuts, shape[-1]]).tolist(), per_block)
    if len(shape) == 1:
        chunks = (tuple(col_sizes),)
    else:
        edges = np.cumsum([0, *col_sizes])
        width = shape[-1]
        row_chunks = _row_groups(frame_index.reshape(-1, shape[-2], width), table, edges,
                                 max(1, per_block // width))
        chunks = (*[(1,) * n for n in shape[:-2]], tuple(row_chunks), tuple(col_sizes))
    extra_tasks = math.prod(len(c) for c in chunks) - gather_blocks
    if extra_tasks * TASK_COST_BYTES > frame_index.size * frame_bytes:
        return None
    return chunks


def _row_groups(planes: np.ndarray, table: PartTable, edges: np.ndarray, most: int):
    """Rows grouped while every column block stays one affine run in one part.

    The same grouping serves every plane of the leading axes (a dask grid), so
    a row starts a new group when it breaks the run in any plane.
    """
    nplanes, nrows, _ = planes.shape
    owner = np.where(planes >= 0, table.locate(np.maximum(planes, 0)), -1)
    one_part = (owner == owner[..., :1]).all(axis=-1) & (planes >= 0).all(axis=-1)
    step = np.diff(planes, axis=1)  # (planes, rows - 1, cols): row-to-row steps
    # a row continues the group when its steps from the row before are constant in
    # each column block, equal to the previous row's, and it stays in the same part
    same_block = np.ones(step.shape[:2], dtype=bool)
    for a, b in zip(edges[:-1], edges[1:]):
        s = step[..., a:b]
        same_block &= (s == s[..., :1]).all(axis=-1) & (s[..., 0] != 0)
    same_part = owner[:, 1:, 0] == owner[:, :-1, 0]
    links = same_block & same_part & one_part[:, 1:] & one_part[:, :-1]
    repeat = np.ones_like(links)
    repeat[:, 1:] = (step[:, 1:] == step[:, :-1]).all(axis=-1)
    groups, size = [], 0
    for r in range(nrows):
        if size and (size >= most or not links[:, r - 1].all()
                     or (size >= 2 and not repeat[:, r - 1].all())):
            groups.append(size)
            size = 0
        size += 1
    groups.append(size)
    return groups
