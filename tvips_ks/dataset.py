"""``tvips_ks.open``: a whole series as one lazy dataset."""

from __future__ import annotations

import math
import os
from functools import cached_property

import numpy as np

from . import daskio
from .errors import ArgumentError
from .generated.layout import LEN_MAIN_HEADER
from .layout import SeriesLayout, validate_main_header
from .metadata import Metadata, build_metadata
from .parts import find_parts
from .reader import FrameStack, LazyArray, Part, read_frame_headers, read_main_header, scan_parts

__all__ = ["open", "TvipsDataset", "ScanArray"]

#: With ``pad=True`` a scan may have more positions than the series has frames,
#: up to this many (a 2 GiB frame index); beyond it the shape is surely a mistake.
_MAX_PADDED_POSITIONS = 2**28


class ScanArray(LazyArray):
    """Frames arranged by a scan: ``(*scan_shape, height, width)``, read on demand.

    Indexing reads only the frames behind the positions it selects (padded
    positions read as zeros); ``np.asarray`` reads them all.
    """

    def __init__(self, frames: FrameStack, frame_index: np.ndarray):
        self._frames = frames
        self.frame_index = frame_index
        self.shape = (*frame_index.shape, *frames.shape[1:])
        self.dtype = frames.dtype

    def __repr__(self) -> str:
        return f"<ScanArray shape={self.shape} dtype={self.dtype}>"

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            key = (key,)
        nav_ndim = self.frame_index.ndim
        if Ellipsis in key:
            i = key.index(Ellipsis)
            fill = self.ndim - (len(key) - 1 - key.count(None))
            key = key[:i] + (slice(None),) * fill + key[i + 1:]
        nav_key, sig_key = key[:nav_ndim], key[nav_ndim:]
        selected = self.frame_index[nav_key]
        flat = np.asarray(selected).ravel()
        out = self._frames.take(flat, fill=0).reshape(*np.shape(selected), *self.shape[-2:])
        return out[(slice(None),) * np.ndim(selected) + tuple(sig_key)] if sig_key else out

    def flat_frames(self, start: int, stop: int) -> np.ndarray:
        return self._frames.take(self.frame_index.ravel()[start:stop], fill=0)

    def __array__(self, dtype=None, copy=None):
        if copy is False:
            raise ValueError("a ScanArray cannot be turned into an array without a copy")
        out = self._frames.take(self.frame_index.ravel(), fill=0).reshape(self.shape)
        return out if dtype is None else out.astype(dtype, copy=False)


class TvipsDataset:
    """A TVIPS series opened with :func:`tvips_ks.open`.

    Attributes are computed on first use and cached; opening reads the main
    header and the file sizes only.
    """

    def __init__(self, path, *, scan_shape=None, scan_start_frame=0, winding_scan_axis=None,
                 hysteresis=0, rechunking="auto", pad=False, permissive=False,
                 frame_index=None):
        paths = find_parts(path)
        self.path = paths[0]
        self.permissive = permissive
        self.header = read_main_header(paths[0], validate=not permissive)
        if permissive:  # still refuse a header whose records have no defined layout
            validate_main_header(self.header, paths[0], strict=False)
        self.layout = SeriesLayout.from_header(self.header)
        self.files: list[Part] = scan_parts(paths, self.layout, len_main_header=LEN_MAIN_HEADER,
                                            permissive=permissive)
        self.num_frames = sum(p.num_frames for p in self.files)
        self.frames = FrameStack(self.files, self.layout)
        self.rechunking = rechunking
        self.scan = None
        self.frame_index = None
        if frame_index is not None:
            if scan_shape is not None or winding_scan_axis is not None or hysteresis \
                    or scan_start_frame:
                raise ArgumentError("frame_index is the whole arrangement: give it without "
                                    "scan_shape, scan_start_frame, winding_scan_axis or "
                                    "hysteresis")
            self.frame_index = self._checked_frame_index(frame_index)
        elif scan_shape is not None:
            self._arrange(scan_shape, scan_start_frame, winding_scan_axis, hysteresis, pad)
        elif winding_scan_axis is not None or hysteresis:
            raise ArgumentError("winding_scan_axis and hysteresis need a scan_shape")

    def _checked_frame_index(self, frame_index) -> np.ndarray:
        index = np.asarray(frame_index)
        if index.ndim < 1 or index.size == 0 or index.dtype.kind not in "iu":
            raise ArgumentError(f"frame_index must be a non-empty integer array (one frame "
                                f"number per scan position, -1 for zeros), got "
                                f"{index.dtype} of shape {index.shape}")
        index = index.astype(np.int64)
        low, high = int(index.min()), int(index.max())
        if low < -1 or high >= self.num_frames:
            raise ArgumentError(f"frame_index holds {low if low < -1 else high}; frame numbers "
                                f"run from 0 to {self.num_frames - 1} (-1 reads as zeros)",
                                path=self.path)
        index.setflags(write=False)
        return index

    def _arrange(self, scan_shape, scan_start_frame, winding_scan_axis, hysteresis, pad):
        from .scan import scan_index_map

        if isinstance(scan_shape, str):
            if scan_shape != "auto":
                raise ArgumentError(f"scan_shape must be a tuple of ints or 'auto', "
                                    f"got {scan_shape!r}")
            from .detect import detect_scan

            self.scan = detect_scan(self)
            self.frame_index = self.scan.frame_index
            return
        try:
            shape = tuple(int(s) for s in np.atleast_1d(scan_shape))
        except (TypeError, ValueError):
            raise ArgumentError(f"scan_shape must be a tuple of ints or 'auto', "
                                f"got {scan_shape!r}") from None
        if not shape or any(s < 1 for s in shape):
            raise ArgumentError(f"scan_shape must hold positive sizes, got {scan_shape!r}")
        positions = math.prod(shape)  # a Python int: no overflow
        if pad and positions > max(self.num_frames, _MAX_PADDED_POSITIONS):
            raise ArgumentError(
                f"scan_shape {shape} has {positions} positions but the series has only "
                f"{self.num_frames} frames; padding that many positions would need a "
                f"{positions * 8 / 2**30:.3g} GiB frame index. Check scan_shape", path=self.path)
        self.frame_index = scan_index_map(self.num_frames, shape, scan_start_frame,
                                          winding_scan_axis, hysteresis, pad=pad)

    # -- what the series holds -------------------------------------------------------

    @cached_property
    def frame_headers(self) -> np.ndarray:
        """Every frame header as one structured array (fields named as in the spec)."""
        return read_frame_headers(self.files, self.layout)

    @property
    def nav_shape(self) -> tuple[int, ...]:
        return (self.num_frames,) if self.frame_index is None else self.frame_index.shape

    @cached_property
    def data(self):
        """The frames arranged by the scan options, or all frames without a scan shape."""
        if self.frame_index is None:
            return self.frames
        return ScanArray(self.frames, self.frame_index)

    @property
    def shape(self) -> tuple[int, ...]:
        return (*self.nav_shape, *self.layout.frame_shape)

    @property
    def dtype(self) -> np.dtype:
        return self.layout.pixel_dtype

    @cached_property
    def metadata(self) -> Metadata:
        return build_metadata(self.header, self.frame_headers, self.nav_shape,
                              is_scan=self.frame_index is not None)

    def to_dask(self, chunks=None):
        """A lazy dask array of ``.data``; ``chunks`` defaults to the ``rechunking`` option."""
        return daskio.to_dask(self.files, self.layout, self.nav_shape, self.frame_index,
                              chunks=self.rechunking if chunks is None else chunks)

    def to_hyperspy(self, lazy: bool = False):
        """A HyperSpy signal of ``.data`` (needs the ``hyperspy`` extra)."""
        from .hyperspy_bridge import to_hyperspy

        return to_hyperspy(self, lazy=lazy)

    # -- life cycle ------------------------------------------------------------------

    def close(self) -> None:
        self.frames.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        return (f"<TvipsDataset {os.fspath(self.path)!r}: {self.num_frames} frames of "
                f"{self.layout.height}×{self.layout.width} {self.dtype} in {len(self.files)} "
                f"part(s), data shape {self.shape}>")


def open(path: str | os.PathLike, *, scan_shape=None, scan_start_frame: int = 0,
         winding_scan_axis=None, hysteresis: int = 0, rechunking="auto", pad: bool = False,
         permissive: bool = False, frame_index=None) -> TvipsDataset:
    """Open a TVIPS series lazily.

    ``path`` is any part of a series (``scan_000.tvips``, ``scan_001.tvips``) or
    its name without a part number (``scan.tvips``).  The scan options have
    RosettaSciIO's names and meanings: ``scan_shape`` (a tuple, or ``"auto"``),
    ``scan_start_frame``, ``winding_scan_axis`` (None, ``"x"``, ``"y"``),
    ``hysteresis`` and ``rechunking`` (the default chunks of
    :meth:`TvipsDataset.to_dask`).  ``pad=True`` lets a scan extend past the
    last frame, reading the missing positions as zeros.  ``permissive=True``
    opens damaged files: of the main header only what the record layout
    needs is checked (a wrong ``len_header`` or an unknown ``version`` is
    tolerated), and partial records are dropped in any part, with a warning.

    ``frame_index`` gives the arrangement directly: an integer array of any
    shape holding the frame number behind each scan position (−1 for zeros),
    for instance a detection's ``frame_index``, inspected or edited (repeats
    and skips of a rotator scan, a snake whose first row runs forward: maps
    that the scan options cannot express).

    Every error is a :class:`tvips_ks.TvipsError` naming the file and, where it
    matters, the byte offset; problems of the file system itself (a file
    removed while it is read, say) may also surface as ``OSError``.
    """
    return TvipsDataset(path, scan_shape=scan_shape, scan_start_frame=scan_start_frame,
                        winding_scan_axis=winding_scan_axis, hysteresis=hysteresis,
                        rechunking=rechunking, pad=pad, permissive=permissive,
                        frame_index=frame_index)
