"""Processing on the way out: selection, then a pipeline of per-block steps.

A conversion reads the series block by block (:func:`tvips_ks.io.gather.read_block`)
and hands each block, ``(*positions, h, w)``, through the same steps in the
same order, whatever the output format:

1. hot pixels set to 0 (given as ``(y, x)`` pairs of the frame, or detected
   as isolated spikes of the mean pattern: :func:`hot_from_mean`);
2. a signal crop ``(y0:y1, x0:x1)``;
3. N × N binning, summed (into an integer type wide enough that no sum can
   overflow: u16 → u32 for N ≤ 256) or averaged (float32);
4. scaling to 8 bits, linear between two given values or between two
   percentiles of a sample, clipped to 0…255 and rounded.

Before the steps, the positions are chosen: a frame range of a stack, a crop
of the scan.  Statistics (the mean pattern, percentiles) come from at most
``sample_frames`` frames spread evenly over the selection, so memory stays
bounded by two blocks (one written, the next read ahead) and one sample;
with fewer frames than that they are exact over the whole selection.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ..errors import ArgumentError
from ..io.chunks import iter_blocks, nav_blocks
from ..io.gather import read_block, read_frames
from ..metadata import Axis

__all__ = ["Plan", "make_plan", "sum_dtype", "scale_lut", "hot_from_mean", "SAMPLE_FRAMES"]

SAMPLE_FRAMES = 256
#: Blocks read and processed ahead of the writer, each in a thread of its own.
AHEAD = max(1, min(2, os.cpu_count() or 1))
LUT_SPAN = 2**20  # values in the table of a wider integer's scaling
LOOKUP_STEP = 2**18  # pixels looked up at a time (2 MiB of 64-bit indices)
_MEDIAN_BAND_ROWS = 128  # rows of the mean pattern median-filtered at a time


def sum_dtype(dtype: np.dtype, n: int) -> np.dtype:
    """The smallest type of the same kind that holds a sum of ``n`` values of ``dtype``."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return dtype
    if dtype.kind not in "iu":
        raise ArgumentError(f"cannot bin pixels of type {dtype}")
    bits = dtype.itemsize * 8 + math.ceil(math.log2(max(n, 1)))
    for size in (1, 2, 4, 8):
        if size * 8 >= bits:
            return np.dtype(f"{dtype.kind}{size}")
    return np.dtype("f8")


def _scaled(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``values`` mapped linearly from ``lo…hi`` onto 0…255, clipped and rounded."""
    y = (values.astype(np.float64) - lo) * 255.0 / (hi - lo)
    return np.rint(np.clip(y, 0.0, 255.0)).astype(np.uint8)


def scale_lut(dtype: np.dtype, lo: float, hi: float):
    """The 8-bit scaling as a step that looks each pixel up in a table, or None.

    Integers of up to 16 bits index a table of every value directly; wider
    integers (binned sums) are first clipped to ``floor(lo)…ceil(hi)``, which
    the scaling maps to 0 and 255 anyway, when that span is at most
    ``LUT_SPAN`` values.  Floats are scaled arithmetically.
    """
    dtype = np.dtype(dtype)
    if dtype.kind not in "iu":
        return None
    info = np.iinfo(dtype)
    if dtype.itemsize <= 2:
        table = _scaled(np.arange(info.min, info.max + 1), lo, hi)
        base = int(info.min)
        if base == 0:
            return lambda block: _look_up(table, block, lambda part: part)
        return lambda block: _look_up(table, block, lambda part: part.astype(np.int32) - base)
    a, b = max(int(info.min), math.floor(lo)), min(int(info.max), math.ceil(hi))
    if b - a > LUT_SPAN:
        return None
    table = _scaled(np.arange(a, b + 1), lo, hi)
    return lambda block: _look_up(table, block, lambda part: np.clip(part, a, b) - a)


def _look_up(table: np.ndarray, block: np.ndarray, index_of) -> np.ndarray:
    """``table[index_of(block)]``, ``LOOKUP_STEP`` values at a time.

    ``np.take`` turns its indices into a 64-bit array first: over a whole block
    that is 4 times a 16-bit block's size in memory, and slower than the same
    look-ups a slice at a time (10.7 ms against 18.7 ms for 32 MiB here).
    ``mode="clip"`` skips the bounds check (every index is in the table).
    """
    flat = block.reshape(-1)
    out = np.empty(flat.size, dtype=table.dtype)
    for start in range(0, flat.size, LOOKUP_STEP):
        stop = start + LOOKUP_STEP
        np.take(table, index_of(flat[start:stop]), out=out[start:stop], mode="clip")
    return out.reshape(block.shape)


def _median3(image: np.ndarray) -> np.ndarray:
    """3 × 3 median with edge pixels repeated, a band of rows at a time."""
    padded = np.pad(image, 1, mode="edge")
    out = np.empty_like(image)
    for r in range(0, image.shape[0], _MEDIAN_BAND_ROWS):
        band = padded[r:r + _MEDIAN_BAND_ROWS + 2]
        windows = np.lib.stride_tricks.sliding_window_view(band, (3, 3))
        out[r:r + windows.shape[0]] = np.median(windows.reshape(*windows.shape[:2], 9), axis=-1)
    return out


def _neighbour_max(image: np.ndarray) -> np.ndarray:
    """The largest of each pixel's 8 neighbours (those inside the frame)."""
    padded = np.pad(image, 1, mode="constant", constant_values=-np.inf)
    h, w = image.shape
    out = np.full_like(image, -np.inf)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            if (dy, dx) != (1, 1):
                np.maximum(out, padded[dy:dy + h, dx:dx + w], out=out)
    return out


def hot_from_mean(mean: np.ndarray, k: float) -> np.ndarray:
    """``(y, x)`` of pixels brighter than all 8 neighbours by more than ``k`` noise units.

    The noise unit is the MAD of the mean pattern minus its 3 × 3 median.
    Judging a pixel against its neighbours, not the whole pattern, keeps the
    direct beam and the edges of a diffraction disk (whose bright neighbours
    match them) from being taken for hot pixels; two hot pixels side by side
    hide each other (give those as a list).
    """
    mean = np.asarray(mean, dtype=np.float64)
    noise = mean - _median3(mean)
    mad = float(np.median(np.abs(noise - np.median(noise))))
    return np.argwhere(mean - _neighbour_max(mean) > k * mad)


def _as_slice(value, size: int, what: str) -> slice:
    if isinstance(value, slice):
        s = value
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        s = slice(*value)
    else:
        raise ArgumentError(f"{what} must be a slice or a (start, stop) pair, got {value!r}")
    start, stop, step = s.indices(size)
    if step < 1:
        raise ArgumentError(f"{what}: a step of {step} is not allowed (use a positive step)")
    if len(range(start, stop, step)) == 0:
        raise ArgumentError(f"{what} {value!r} selects nothing of {size}")
    return slice(start, stop, step)


def _nav_axis(axis: Axis, s: slice, size: int) -> Axis:
    return dataclasses.replace(axis, size=size, offset=axis.offset + s.start * axis.scale,
                               scale=axis.scale * s.step)


@dataclass
class Plan:
    """What a conversion writes: the positions, the steps, the resulting shape and axes."""

    table: object
    frame_index: np.ndarray | None   #: the selected frame per position (None: all, in order)
    nav_shape: tuple[int, ...]
    frame_shape: tuple[int, int]     #: after the steps
    dtype: np.dtype                  #: after the steps
    axes: tuple[Axis, ...]
    steps: list = field(default_factory=list)
    record: dict = field(default_factory=dict)  #: the processing, for the outputs' attributes
    in_frame_bytes: int = 0

    @property
    def shape(self) -> tuple[int, ...]:
        return (*self.nav_shape, *self.frame_shape)

    @property
    def num_positions(self) -> int:
        return math.prod(self.nav_shape)

    def frame_numbers(self) -> np.ndarray:
        """The series frame behind each position, flattened (−1 for padding)."""
        if self.frame_index is None:
            return np.arange(self.nav_shape[0])
        return self.frame_index.ravel()

    def chunks(self, block_bytes: int) -> tuple[int, ...]:
        """Positions per block so that the frames read stay within ``block_bytes``."""
        return nav_blocks(self.nav_shape, self.in_frame_bytes, block_bytes)

    def apply(self, block: np.ndarray) -> np.ndarray:
        for step in self.steps:
            block = step(block)
        return block

    def read(self, slices: tuple) -> np.ndarray:
        """The processed block at ``slices`` of the positions."""
        return self.apply(read_block(self.table, self.frame_index, slices))

    def blocks(self, block_bytes: int):
        """``(slices, block)`` over every block in C order of the positions.

        The next ``AHEAD`` blocks are read and processed in worker threads while
        the caller writes this one (numpy and the kernel release the GIL), so
        processing that costs more than the copy (scaling, binning) uses every
        core, and at most ``AHEAD + 1`` blocks are held.
        """
        order = iter_blocks(self.nav_shape, self.chunks(block_bytes))
        pending = collections.deque()
        with ThreadPoolExecutor(max_workers=AHEAD) as pool:
            for slices in order:
                pending.append((slices, pool.submit(self.read, slices)))
                if len(pending) > AHEAD:
                    done_slices, future = pending.popleft()
                    yield done_slices, future.result()
            while pending:
                done_slices, future = pending.popleft()
                yield done_slices, future.result()


def _sample(table, index: np.ndarray, limit: int) -> np.ndarray:
    """Frames spread evenly over ``index`` (flat frame numbers), at most ``limit``."""
    if index.size > limit:
        index = index[np.linspace(0, index.size - 1, limit).round().astype(np.int64)]
    return read_frames(table, index)


def make_plan(ds, *, frames=None, scan_crop=None, signal_crop=None, binning: int = 1,
              bin_mode: str = "sum", linscale=None, percentile=None, hot_pixels=None,
              hot_k: float = 50.0, sample_frames: int = SAMPLE_FRAMES) -> Plan:
    """The plan of a conversion of ``ds`` with the given processing (see the module)."""
    table = ds.table
    index = ds.frame_index
    nav_axes = list(ds.metadata.navigation_axes)
    sig_axes = list(ds.metadata.signal_axes)
    record = {}
    if frames is not None:
        if index is not None:
            raise ArgumentError("frames selects a range of a stack; for a scan, crop the "
                                "positions with scan_crop (--scan-crop) or move its start with "
                                "scan_start_frame")
        s = _as_slice(frames, ds.num_frames, "frames")
        index = np.arange(ds.num_frames)[s]
        nav_axes[0] = _nav_axis(nav_axes[0], s, index.size)
        record["frames"] = [s.start, s.stop, s.step]
    if scan_crop is not None:
        nav_shape = ds.nav_shape if index is None else index.shape
        if isinstance(scan_crop, (slice, tuple)) and len(nav_shape) == 1 and not (
                isinstance(scan_crop, tuple) and isinstance(scan_crop[0], (slice, tuple, list))):
            scan_crop = (scan_crop,)
        if len(scan_crop) != len(nav_shape):
            raise ArgumentError(f"scan_crop needs one range per scan axis ({len(nav_shape)}: "
                                f"{nav_shape}), got {len(scan_crop)}")
        crop = tuple(_as_slice(c, n, f"scan_crop axis {i}")
                     for i, (c, n) in enumerate(zip(scan_crop, nav_shape)))
        index = (np.arange(ds.num_frames) if index is None else index)[crop]
        nav_axes = [_nav_axis(a, s, n) for a, s, n in zip(nav_axes, crop, index.shape)]
        record["scan_crop"] = [[s.start, s.stop, s.step] for s in crop]
    nav_shape = ds.nav_shape if index is None else tuple(index.shape)
    h, w = ds.layout.frame_shape
    dtype = np.dtype(ds.dtype)
    steps = []
    flat = np.arange(ds.num_frames) if index is None else np.asarray(index).ravel()

    if hot_pixels is not None:
        if isinstance(hot_pixels, str) and hot_pixels == "auto":
            mean = _sample(table, flat, sample_frames).mean(axis=0, dtype=np.float64)
            hot = hot_from_mean(mean, hot_k)
        else:
            hot = np.asarray(hot_pixels, dtype=np.int64).reshape(-1, 2)
            bad = (hot[:, 0] < 0) | (hot[:, 0] >= h) | (hot[:, 1] < 0) | (hot[:, 1] >= w)
            if bad.any():
                raise ArgumentError(f"hot pixel {tuple(hot[bad][0])} is outside the "
                                    f"{h} × {w} frame")
        ys, xs = hot[:, 0].copy(), hot[:, 1].copy()

        def zero_hot(block):
            if not block.flags.writeable:
                block = block.copy()
            block[..., ys, xs] = 0
            return block
        if len(hot):
            steps.append(zero_hot)
        record["hot_pixels"] = hot.tolist()

    if signal_crop is not None:
        if len(signal_crop) != 2:
            raise ArgumentError(f"signal_crop is ((y0, y1), (x0, x1)), got {signal_crop!r}")
        cy, cx = (_as_slice(c, n, f"signal_crop {name}")
                  for c, n, name in zip(signal_crop, (h, w), "yx"))
        if cy.step != 1 or cx.step != 1:
            raise ArgumentError("signal_crop takes no step (use binning)")
        steps.append(lambda block: block[..., cy, cx])
        h, w = cy.stop - cy.start, cx.stop - cx.start
        sig_axes = [dataclasses.replace(a, size=n, offset=a.offset + s.start * a.scale)
                    for a, s, n in zip(sig_axes, (cy, cx), (h, w))]
        record["signal_crop"] = [[cy.start, cy.stop], [cx.start, cx.stop]]

    binning = int(binning)
    if binning < 1:
        raise ArgumentError(f"binning must be a positive integer, got {binning}")
    if binning > 1:
        if h % binning or w % binning:
            raise ArgumentError(f"binning {binning} does not divide the {h} × {w} frame: crop "
                                f"it first (signal_crop, --signal-crop)")
        if bin_mode not in ("sum", "mean"):
            raise ArgumentError(f"bin_mode is 'sum' or 'mean', got {bin_mode!r}")
        n = binning
        out_dtype = sum_dtype(dtype, n * n) if bin_mode == "sum" else np.dtype(np.float32)

        def bin_block(block, n=n, out_dtype=out_dtype, mode=bin_mode):
            shape = (*block.shape[:-2], block.shape[-2] // n, n, block.shape[-1] // n, n)
            pieces = block.reshape(shape)
            if block.dtype.kind == "f":
                if mode == "sum":
                    return pieces.sum(axis=(-3, -1), dtype=out_dtype)
                return pieces.mean(axis=(-3, -1), dtype=np.float64).astype(np.float32)
            # integers: n² strided adds, 3x faster than a reduction over two split axes,
            # and exact in any order (float64 holds these sums exactly)
            acc = np.zeros(shape[:-3] + shape[-2:-1], out_dtype if mode == "sum" else np.float64)
            for i in range(n):
                for j in range(n):
                    acc += pieces[..., i, :, j]
            return acc if mode == "sum" else (acc / (n * n)).astype(np.float32)
        steps.append(bin_block)
        dtype = out_dtype
        h, w = h // n, w // n
        sig_axes = [dataclasses.replace(a, size=size, scale=a.scale * n,
                                        offset=a.offset + (n - 1) * a.scale / 2)
                    for a, size in zip(sig_axes, (h, w))]
        record["binning"] = {"factor": n, "mode": bin_mode}

    if linscale is not None and percentile is not None:
        raise ArgumentError("give linscale or percentile, not both")
    if percentile is not None:
        p0, p1 = (float(p) for p in percentile)
        if not 0 <= p0 < p1 <= 100:
            raise ArgumentError(f"percentile needs 0 <= low < high <= 100, got {percentile!r}")
        sample = _sample(table, flat, sample_frames)
        for step in steps:
            sample = step(sample)
        lo, hi = (float(v) for v in np.percentile(sample, (p0, p1)))
        if hi <= lo:
            hi = lo + 1.0  # a flat sample: everything at or below lo becomes 0
        record["percentile"] = {"low": p0, "high": p1, "values": [lo, hi],
                                "sample_frames": int(min(flat.size, sample_frames))}
        linscale = (lo, hi)
    elif linscale is not None:
        lo, hi = (float(v) for v in linscale)
        if not hi > lo:
            raise ArgumentError(f"linscale needs low < high, got {linscale!r}")
        record["linscale"] = [lo, hi]
    if linscale is not None:
        lo, hi = linscale
        steps.append(scale_lut(dtype, lo, hi) or (lambda block: _scaled(block, lo, hi)))
        dtype = np.dtype(np.uint8)

    return Plan(table=table, frame_index=index, nav_shape=tuple(nav_shape), frame_shape=(h, w),
                dtype=dtype, axes=(*nav_axes, *sig_axes), steps=steps, record=record,
                in_frame_bytes=int(np.prod(ds.layout.frame_shape)) * np.dtype(ds.dtype).itemsize)
