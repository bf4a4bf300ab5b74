"""Virtual detector images (one number per scan position from a mask over each frame)
and virtual diffraction patterns (the frames summed over a region of the scan).

The commonest reductions of a 4D-STEM series (virtual bright field, annular
dark field, the total intensity) need every pixel once and nothing else, so
they are computed in the order the frames lie on disk, in zero-copy views of
the files, and the scan map is applied to the small per-frame result after.
A scan arranged from the files (a snake, hysteresis, repeats) then costs
what a stack costs: a snake's rows run both ways, so no one strided array
holds two of them, and reducing ``to_dask()`` of a snake copies each chunk
first (benchmarks/results.md, (d)).

The result equals numpy's on ``np.asarray(ds.data)``: with no detector,
``data.sum(axis=(-2, -1))``; with a boolean mask ``m``,
``data[..., m].sum(axis=-1)``; with integer weights ``w``,
``(data * w).sum(axis=(-2, -1))`` with the products widened to the sum's
dtype first (numpy's ``uint16 * uint8`` would wrap); all three exact, in numpy's
sum dtype. With
floating-point weights, the same sum in float64 (whatever the weights' float
type, and equal up to the rounding of the summation order).  Positions padded with ``-1`` read
as zero frames, so they give 0, as in ``data``.
"""

from __future__ import annotations

import functools
import operator
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .errors import ArgumentError, require
from .io.chunks import part_aligned
from .io.gather import read_frames
from .scan.vbf import bounding_box, disk_mask

__all__ = ["virtual_image", "virtual_diffraction", "disk_mask", "annulus_mask", "Detector",
           "STEP_BYTES", "TASK_BYTES"]

#: Frames reduced at a time: one view of this many bytes per step (what numpy's own
#: threaded pass uses), so memory is a step per thread however large the series.
STEP_BYTES = 16 * 2**20
#: Bytes per dask task of the lazy image; each task walks its range in steps.
TASK_BYTES = 128 * 2**20


def annulus_mask(frame_shape, inner_radius, outer_radius, center=None) -> np.ndarray:
    """Boolean ``(h, w)`` mask of the pixels whose centre lies farther than
    ``inner_radius`` and at most ``outer_radius`` from ``center`` (an annular
    dark-field detector), with the conventions of :func:`disk_mask`."""
    try:
        inner, outer = float(inner_radius), float(outer_radius)
    except (TypeError, ValueError):
        raise ArgumentError(f"the radii must be numbers, got {inner_radius!r} and "
                            f"{outer_radius!r}") from None
    if not np.isfinite(inner) or inner < 0 or not outer > inner:
        raise ArgumentError(f"an annulus needs 0 <= inner_radius < outer_radius, got "
                            f"{inner_radius} and {outer_radius}")
    mask = disk_mask(frame_shape, outer, center)
    if _holds_a_pixel(mask.shape, inner, center):
        mask &= ~disk_mask(frame_shape, inner, center)
    if not mask.any():
        raise ArgumentError(f"the annulus {inner}-{outer} holds no pixel of a "
                            f"{mask.shape[0]}x{mask.shape[1]} frame; give other radii")
    return mask


def _holds_a_pixel(frame_shape, radius, center) -> bool:
    try:
        disk_mask(frame_shape, radius, center)
    except ArgumentError:  # an inner disk with no pixel takes none away
        return False
    return True


def _sum_dtype(dtype) -> np.dtype:
    """The dtype numpy's ``sum`` gives an array of ``dtype``."""
    return np.sum(np.zeros(1, dtype)).dtype


class Detector:
    """Validated detector masks over a frame: none (the whole frame), boolean or weights.

    ``masks`` is ``None``, ``(h, w)`` or ``(k, h, w)``.  Only the bounding box
    of where any mask is nonzero is read from each frame; ``box`` is None when
    no mask selects a pixel (then nothing is read at all).  ``reduce`` maps
    ``(n, h, w)`` frames to ``(n, count)`` values in ``dtype``.
    """

    def __init__(self, masks, frame_shape, pixel_dtype):
        self.frame_shape = tuple(frame_shape)
        self.pixel_dtype = np.dtype(pixel_dtype)
        self.stacked = False
        self.count = 1
        self.dtype = _sum_dtype(self.pixel_dtype)
        if masks is None:
            self.masks = None
            self.box = (slice(None), slice(None))
            self.reduce = self._reduce_all
            return
        m = np.asarray(masks)
        if m.ndim == 3:
            self.stacked = True
        elif m.ndim != 2:
            raise ArgumentError(f"a detector is an (h, w) mask or a (k, h, w) stack of masks, "
                                f"got shape {m.shape}")
        m = m.reshape((-1, *m.shape[-2:]))
        if m.shape[1:] != self.frame_shape:
            raise ArgumentError(f"the detector's frames are {m.shape[1]}x{m.shape[2]}, the "
                                f"series' {self.frame_shape[0]}x{self.frame_shape[1]}")
        if m.shape[0] == 0:
            raise ArgumentError("the stack of detector masks is empty")
        if m.dtype != bool and m.dtype.kind not in "iuf":
            raise ArgumentError(f"detector masks are booleans or numbers, got {m.dtype}")
        if m.dtype.kind == "f" and not np.isfinite(m).all():
            raise ArgumentError("detector weights must be finite numbers")
        self.box = bounding_box(m)
        if self.box is not None:
            m = m[:, self.box[0], self.box[1]]
        self.masks = m
        self.count = m.shape[0]
        if m.dtype == bool:
            self.reduce = self._reduce_bool
        elif m.dtype.kind == "f":  # any float precision: summed in float64
            self.dtype = np.dtype(np.float64)
            self.masks = m.astype(np.float64)
            self.reduce = self._reduce_float
        else:  # integer weights: exact integer sums in numpy's dtype
            self.dtype = _sum_dtype(np.result_type(self.pixel_dtype, m.dtype))
            self.reduce = self._reduce_int
            top = float(np.iinfo(self.pixel_dtype).max)
            if top * float(np.abs(m.astype(np.float64)).sum(axis=(1, 2)).max()) < 2.0**53:
                # BLAS in float64 is exact while every partial sum stays below 2**53
                self.float_masks = m.astype(np.float64)
                self.reduce = self._reduce_int_in_float

    def _crop(self, frames: np.ndarray) -> np.ndarray:
        return frames[:, self.box[0], self.box[1]]

    def _reduce_all(self, frames):
        return frames.sum(axis=(1, 2))[:, None]

    def _reduce_bool(self, frames):
        crop = self._crop(frames)
        out = np.empty((len(frames), self.count), dtype=self.dtype)
        for k, mask in enumerate(self.masks):
            out[:, k] = crop.sum(axis=(1, 2)) if mask.all() else crop[:, mask].sum(axis=1)
        return out

    def _reduce_float(self, frames):
        return np.tensordot(self._crop(frames), self.masks, axes=([1, 2], [1, 2]))

    def _reduce_int_in_float(self, frames):
        return np.tensordot(self._crop(frames), self.float_masks,
                            axes=([1, 2], [1, 2])).astype(self.dtype)

    def _reduce_int(self, frames):
        return np.tensordot(self._crop(frames).astype(self.dtype),
                            self.masks.astype(self.dtype), axes=([1, 2], [1, 2]))

    def shape_result(self, per_position: np.ndarray) -> np.ndarray:
        """``(*nav, count)`` to ``nav`` (one mask) or ``(count, *nav)`` (a stack)."""
        if self.stacked:
            return np.moveaxis(per_position, -1, 0)
        return per_position[..., 0]


def _frames_read(ds) -> tuple[int, int]:
    """The range of frames the arrangement uses (all of them without a scan)."""
    if ds.frame_index is None:
        return 0, ds.num_frames
    used = ds.frame_index[ds.frame_index >= 0]
    if used.size == 0:
        return 0, 0
    return int(used.min()), int(used.max()) + 1


def _pieces(table, lo: int, hi: int, most_bytes: int) -> list[tuple[int, int]]:
    """``[lo, hi)`` cut into ranges of at most ``most_bytes`` that never cross a part."""
    counts = []
    for part in table.parts:
        a = max(lo, part.first_frame)
        b = min(hi, part.first_frame + part.num_frames)
        counts.append(max(b - a, 0))
    frame_bytes = table.layout.len_image
    sizes = []
    for n in counts:  # part by part, so that no range crosses a file
        if n:
            sizes += part_aligned([n], max(1, most_bytes // max(frame_bytes, 1)))
    bounds = np.cumsum([lo, *sizes])
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def _reduce_step(table, detector: Detector, step: tuple[int, int]) -> np.ndarray:
    """Per-frame values of the frames of one step (read only if the detector sees any)."""
    if detector.box is None:
        return np.zeros((step[1] - step[0], detector.count), dtype=detector.dtype)
    return detector.reduce(read_frames(table, step))


def _reduce_range(table, detector: Detector, first: int, stop: int) -> np.ndarray:
    """Per-frame values of frames ``[first, stop)`` (one part), a step at a time."""
    out = np.empty((stop - first, detector.count), dtype=detector.dtype)
    for a, b in _pieces(table, first, stop, STEP_BYTES):
        out[a - first:b - first] = _reduce_step(table, detector, (a, b))
    return out


def _arrange(frame_index, first: int, detector: Detector, *per_frame) -> np.ndarray:
    """The per-frame values over the scan (0 at padding), shaped for the caller."""
    if frame_index is None:  # a stack (never empty: a series holds a frame at least)
        return detector.shape_result(np.concatenate(per_frame))
    out = np.zeros((*frame_index.shape, detector.count), dtype=detector.dtype)
    if per_frame:  # a scan that shows no frame has read none
        real = frame_index >= 0
        out[real] = np.concatenate(per_frame)[frame_index[real] - first]
    return detector.shape_result(out)


def _thread_count(threads) -> int:
    threads = (os.cpu_count() or 1) if threads is None else operator.index(threads)
    if threads < 1:
        raise ArgumentError(f"threads must be >= 1, got {threads}")
    return threads


def virtual_image(ds, detector=None, *, lazy: bool = False, threads: int | None = None):
    """Virtual detector images of a dataset: for each scan position (or frame), the
    sum of its frame's pixels under a mask.

    ``detector`` is ``None`` (every pixel: the total intensity), a boolean
    ``(h, w)`` mask (a virtual bright field of a disk, an annular dark field:
    :func:`tvips_ks.disk_mask`, :func:`tvips_ks.annulus_mask`), numeric
    ``(h, w)`` weights, or a ``(k, h, w)`` stack of either kind, which gives
    ``k`` images from one pass.  Returns an array of ``ds.nav_shape`` (or
    ``(k, *nav_shape)``); with ``lazy=True`` a dask array of it whose tasks
    each read about ``TASK_BYTES`` of frames, for a dask.distributed cluster.
    ``threads`` (default: one per core) reduce the frames in parallel.
    """
    layout = ds.layout
    spec = Detector(detector, layout.frame_shape, layout.pixel_dtype)
    lo, hi = _frames_read(ds)
    index = ds.frame_index
    if lazy:
        da = require("dask.array", extra="dask", purpose="virtual_image(lazy=True)")
        from dask.base import tokenize

        name = "tvips-virtual-" + tokenize(
            [(str(p.path), p.offset, p.num_frames, p.size) for p in ds.table.parts],
            layout, index, lo, hi, spec.dtype, spec.masks)
        reduce_range = functools.partial(_reduce_range, ds.table, spec)
        graph = {}
        keys = []
        for i, (a, b) in enumerate(_pieces(ds.table, lo, hi, TASK_BYTES)):
            keys.append((name + "-frames", i))
            graph[keys[-1]] = (reduce_range, a, b)
        out_shape = spec.shape_result(np.empty((*ds.nav_shape, spec.count), dtype=bool)).shape
        graph[(name, *(0,) * len(out_shape))] = (functools.partial(_arrange, index, lo, spec),
                                                 *keys)
        chunks = tuple((n,) for n in out_shape)
        return da.Array(graph, name, chunks, meta=np.empty((0,) * len(out_shape), spec.dtype))
    threads = _thread_count(threads)
    steps = _pieces(ds.table, lo, hi, STEP_BYTES)

    one = functools.partial(_reduce_step, ds.table, spec)

    if threads == 1 or len(steps) < 2:
        per_frame = [one(s) for s in steps]
    else:
        with ThreadPoolExecutor(max_workers=min(threads, len(steps))) as pool:
            per_frame = list(pool.map(one, steps))
    return _arrange(index, lo, spec, *per_frame)


def _position_counts(ds, roi) -> tuple[int, np.ndarray]:
    """``(first, counts)``: how many selected scan positions show each frame from ``first``
    on (a frame shown twice, as a rotator scan's repeats, counts twice; padding never)."""
    index = ds.frame_index if ds.frame_index is not None else np.arange(ds.num_frames)
    if roi is not None:
        roi = np.asarray(roi)
        if roi.dtype != bool or roi.shape != tuple(ds.nav_shape):
            raise ArgumentError(f"roi must be a boolean array of the scan's shape "
                                f"{tuple(ds.nav_shape)}, got {roi.dtype} {roi.shape}")
        index = index[roi]
    shown = index[index >= 0].ravel()
    first = int(shown.min()) if shown.size else 0
    return first, np.bincount(shown - first)


def _add_pattern(out: np.ndarray, frames: np.ndarray, counts: np.ndarray) -> None:
    """``out += sum_i counts[i] * frames[i]``, exactly (``out`` is numpy's sum dtype)."""
    for c in np.unique(counts[counts > 0]):
        chosen = frames if (counts == c).all() else frames[counts == c]
        target = out if c == 1 else np.zeros_like(out)
        if frames.dtype.kind == "u" and frames.dtype.itemsize <= 2:
            # uint32 partial sums are exact for this many frames, and faster
            most = (2**32 - 1) // int(np.iinfo(frames.dtype).max)
            for k in range(0, len(chosen), most):
                target += chosen[k:k + most].sum(axis=0, dtype=np.uint32)
        else:
            target += chosen.sum(axis=0, dtype=out.dtype)
        if c != 1:
            out += target * out.dtype.type(c)


def _add_step(out: np.ndarray, table, counts, first: int, step) -> None:
    """Add one step's frames, as often as positions show them (read only if any does)."""
    weights = counts[step[0] - first:step[1] - first]
    if weights.any():
        _add_pattern(out, read_frames(table, step), weights)


def _pattern_range(table, counts, first, dtype, a: int, b: int) -> np.ndarray:
    out = np.zeros(table.layout.frame_shape, dtype=dtype)
    for step in _pieces(table, a, b, STEP_BYTES):
        _add_step(out, table, counts, first, step)
    return out


def _total(dtype, shape, *partials) -> np.ndarray:
    out = np.zeros(shape, dtype=dtype)
    for p in partials:
        out += p
    return out


def virtual_diffraction(ds, roi=None, *, lazy: bool = False, threads: int | None = None):
    """The sum of the frames over the scan positions ``roi`` selects (every position by
    default): the summed diffraction pattern, ``(h, w)``.

    Equals ``np.asarray(ds.data)[roi].sum(axis=0)`` (over every position without
    ``roi``), exactly and in numpy's sum dtype; ``roi`` is a boolean array of
    ``ds.nav_shape``. The frames are read in file order, each once however
    often the scan shows it, so a snake costs what a stack costs; padded
    positions add nothing. ``lazy`` and ``threads`` as for :func:`virtual_image`.
    Divide by ``roi.sum()`` (or the number of positions) for the mean pattern.
    """
    layout = ds.layout
    dtype = _sum_dtype(layout.pixel_dtype)
    first, counts = _position_counts(ds, roi)
    stop = first + len(counts)
    shape = layout.frame_shape
    if lazy:
        da = require("dask.array", extra="dask", purpose="virtual_diffraction(lazy=True)")
        from dask.base import tokenize

        name = "tvips-pattern-" + tokenize(
            [(str(p.path), p.offset, p.num_frames, p.size) for p in ds.table.parts],
            layout, first, counts)
        one_range = functools.partial(_pattern_range, ds.table, counts, first, dtype)
        graph, keys = {}, []
        for i, (a, b) in enumerate(_pieces(ds.table, first, stop, TASK_BYTES)):
            keys.append((name + "-frames", i))
            graph[keys[-1]] = (one_range, a, b)
        graph[(name, 0, 0)] = (functools.partial(_total, dtype, shape), *keys)
        return da.Array(graph, name, tuple((n,) for n in shape),
                        meta=np.empty((0, 0), dtype))
    threads = _thread_count(threads)
    steps = iter(_pieces(ds.table, first, stop, STEP_BYTES))

    def worker() -> np.ndarray:  # one sum per thread, whatever the number of steps
        out = np.zeros(shape, dtype=dtype)
        for step in steps:  # shared: each thread takes the next step
            _add_step(out, ds.table, counts, first, step)
        return out

    if threads == 1:
        return worker()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return _total(dtype, shape, *pool.map(lambda _: worker(), range(threads)))
