"""Lazy arrays of a series' frames that index exactly as numpy arrays do.

:class:`FrameStack` (``ds.frames``) holds every frame in file order,
``(num_frames, height, width)``; :class:`ScanArray` (``ds.data`` with a scan)
arranges them by a position → frame map, ``(*scan_shape, height, width)``,
−1 reading as a frame of zeros.  Both read only what an index selects:

* every key numpy accepts gives numpy's result (shape, dtype, values), and
  every key numpy refuses raises numpy's ``IndexError``
  (:mod:`tvips_ks.indexing` works out what a key selects);
* the result is always a writable numpy array that never aliases anything
  a later read sees: a selection of consecutive frames inside one part is a
  zero-copy view of a private (copy-on-write) map of just those records,
  anything else a new array;
* memory is bounded by the result (and, where pixels are picked out of
  many frames, by a 64 MiB working block), never by the series.

Nothing here holds a map between calls, so a dataset pickles to its paths and
offsets, and a file that shrank since it was opened gives a
:class:`~tvips_ks.SeriesError` on the next read instead of a crash.
"""

from __future__ import annotations

import math

import numpy as np

from .indexing import Selection, analyse, as_numpy
from .io.gather import read_frames
from .io.parts import PartTable

__all__ = ["LazyArray", "FrameStack", "ScanArray"]

#: Pixels picked out of many frames are read through blocks of about this size.
_BLOCK_BYTES = 64 * 2**20


class LazyArray:
    """What numpy-like consumers ask of an array that reads on demand."""

    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    def __len__(self) -> int:
        return self.shape[0]

    def __iter__(self):
        for i in range(self.shape[0]):
            yield self[i]

    def flat_frames(self, start: int, stop: int) -> np.ndarray:
        """Frames ``start:stop`` of the array flattened to ``(n, height, width)`` in C order."""
        raise NotImplementedError


def _as_range(frames: np.ndarray):
    """A ``range`` equal to ``frames`` (1-D, no padding) when it is an arithmetic run."""
    if frames.size == 0 or frames.min() < 0:
        return None
    if frames.size == 1:
        return range(int(frames[0]), int(frames[0]) + 1)
    step = int(frames[1] - frames[0])
    if step and np.array_equal(np.diff(frames), np.full(frames.size - 1, step)):
        return range(int(frames[0]), int(frames[-1]) + step, step)
    return None


class _FrameArray(LazyArray):
    """Frames of a series arranged by a position → frame map (identity when None)."""

    def __init__(self, table: PartTable, frame_index: np.ndarray | None):
        self._table = table
        self._index = frame_index
        nav = (table.num_frames,) if frame_index is None else tuple(frame_index.shape)
        self.shape = (*nav, *table.layout.frame_shape)
        self.dtype = table.layout.pixel_dtype

    @property
    def _nav_ndim(self) -> int:
        return self.ndim - 2

    # -- what a key selects ----------------------------------------------------------

    def __getitem__(self, key):
        sel = analyse(key, self.shape)
        return sel.to_result(self._canonical(sel))

    def _frames(self, sel: Selection):
        """Frame numbers behind the selected positions: ``(*adv?, *nav slice dims)``.

        The advanced dimensions lead when a navigation axis is advanced; a plain
        run of frames comes back as a ``range``.
        """
        nav = [as_numpy(c) for c in sel.axes[:self._nav_ndim]]
        adv = [i for i, c in enumerate(nav) if isinstance(c, np.ndarray)]
        if self._index is None:  # a stack: positions are frame numbers
            (c,) = sel.axes[:1]
            if isinstance(c, slice):
                return range(c.start, c.stop, c.step)
            return np.asarray(c)  # an int, or analyse()'s int64 coordinates
        if adv:
            basic = [i for i, c in enumerate(nav) if isinstance(c, slice)]
            moved = self._index.transpose(adv + basic)
            return moved[tuple(nav[i] for i in adv) + tuple(nav[i] for i in basic)]
        return self._index[tuple(nav)]

    def _canonical(self, sel: Selection) -> np.ndarray:
        frames = self._frames(sel)
        pixels = tuple(as_numpy(c) for c in sel.axes[self._nav_ndim:])
        nav_adv = any(isinstance(c, np.ndarray) for c in sel.axes[:self._nav_ndim])
        if any(isinstance(c, np.ndarray) for c in pixels):
            return self._pick_pixels(sel, frames, nav_adv)
        data = self._read(frames, pixels)
        if sel.adv_shape is not None and not nav_adv:  # only a scalar boolean was advanced
            lead = sel.adv_shape
            data = np.broadcast_to(data, (*lead, *data.shape)).copy()
        return data.reshape(sel.canonical_shape)

    def _read(self, frames, pixels: tuple) -> np.ndarray:
        """``(frames.size, *selected pixels)``, frames in C order: ``frames`` is a range
        or an array (its shape is the caller's to restore)."""
        if not isinstance(frames, range):
            flat = frames.ravel()
            run = _as_range(flat)
            if run is None:
                return read_frames(self._table, flat, pixels)
            frames = run
        return self._read_range(frames, pixels)

    def _read_range(self, frames: range, pixels: tuple) -> np.ndarray:
        if len(frames):
            lo, hi = min(frames[0], frames[-1]), max(frames[0], frames[-1]) + 1
            part = self._table.part_of(lo)
            if frames.step == 1 or hi <= part.first_frame + part.num_frames:
                # one part, or a plain run: a view of its map, stepped
                return read_frames(self._table, (lo, hi), pixels)[::frames.step]
        # a stepped run across parts reads only its own frames (and the empty run nothing)
        return read_frames(self._table, np.array(frames, dtype=np.int64), pixels)

    def _pick_pixels(self, sel: Selection, frames, nav_adv: bool) -> np.ndarray:
        """Advanced indices on the signal axes: pixels picked per element, block by block."""
        lead = sel.adv_shape
        m = math.prod(lead)
        frames = np.asarray(frames)  # a range, or int64 frame numbers
        nav_dims = frames.shape[len(lead):] if nav_adv else frames.shape
        n = math.prod(nav_dims)
        frames = frames.reshape(m if nav_adv else 1, n)
        hull, index, sig_dims = [], [], []
        for c in sel.axes[self._nav_ndim:]:
            if isinstance(c, slice):
                coords = np.arange(c.start, c.stop, c.step)
                sig_dims.append(coords.size)
            else:
                coords = c.ravel()  # analyse()'s int64 coordinates
            lo = int(coords.min()) if coords.size else 0
            hi = int(coords.max()) + 1 if coords.size else 1
            hull.append(slice(lo, hi))
            index.append((c, coords - lo))
        out = np.empty((m, n, *sig_dims), dtype=self.dtype)
        if m and n and out.size:
            frame_bytes = max(1, (hull[0].stop - hull[0].start)
                              * (hull[1].stop - hull[1].start) * self.dtype.itemsize)
            budget = max(1, _BLOCK_BYTES // frame_bytes)
            b_step = max(1, budget // n) if nav_adv else m
            n_step = min(n, budget) if not nav_adv else min(n, max(1, budget // b_step))
            for b0 in range(0, m, b_step):
                b1 = min(m, b0 + b_step)
                for n0 in range(0, n, n_step):
                    n1 = min(n, n0 + n_step)
                    rows = frames[b0:b1, n0:n1] if nav_adv else frames[:, n0:n1]
                    box = read_frames(self._table, rows.ravel(), tuple(hull))
                    box = box.reshape(*rows.shape, *box.shape[1:])
                    out[b0:b1, n0:n1] = self._pick(box, index, b0, b1, nav_adv)
        return out.reshape(sel.canonical_shape)

    @staticmethod
    def _pick(box, index, b0, b1, nav_adv):
        """``box[b, n, y, x]`` at each element's own pixel: ``(b1-b0, n, *slice dims)``."""
        mb = b1 - b0
        ib = (np.arange(mb) if nav_adv else np.zeros(mb, dtype=np.int64))[:, None, None, None]
        inn = np.arange(box.shape[1])[None, :, None, None]
        (cy, y), (cx, x) = index
        yy = y[None, None, :, None] if isinstance(cy, slice) else y[b0:b1, None, None, None]
        xx = x[None, None, None, :] if isinstance(cx, slice) else x[b0:b1, None, None, None]
        picked = box[ib, inn, yy, xx]
        keep = [d for d, c in zip((2, 3), (cy, cx)) if isinstance(c, slice)]
        return picked.reshape(mb, box.shape[1], *(picked.shape[d] for d in keep))

    # -- whole arrays ------------------------------------------------------------------

    def flat_frames(self, start: int, stop: int) -> np.ndarray:
        if self._index is None:
            return read_frames(self._table, (start, stop))
        return self._read(self._index.ravel()[start:stop], ())

    def __array__(self, dtype=None, copy=None):
        if copy is False:
            raise ValueError(f"a {type(self).__name__} is read from files: it cannot be turned "
                             f"into an array without a copy")
        out = self[...]
        if copy and not out.flags.owndata:
            out = out.copy()
        return np.asarray(out, dtype=dtype)


class FrameStack(_FrameArray):
    """All frames of a series, ``(num_frames, height, width)``, without reading them."""

    def __init__(self, table: PartTable):
        super().__init__(table, None)

    def __repr__(self) -> str:
        return (f"<FrameStack {self.shape[0]} frames of {self.shape[1]}×{self.shape[2]} "
                f"{self.dtype} in {len(self._table.used)} part(s)>")


class ScanArray(_FrameArray):
    """Frames arranged by a scan: ``(*scan_shape, height, width)``, read on demand.

    ``frame_index`` is the frame behind each position (−1 reads as zeros).
    """

    def __init__(self, table: PartTable, frame_index: np.ndarray):
        super().__init__(table, frame_index)

    @property
    def frame_index(self) -> np.ndarray:
        return self._index

    def __repr__(self) -> str:
        return f"<ScanArray shape={self.shape} dtype={self.dtype}>"
