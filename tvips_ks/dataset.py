"""``tvips_ks.open``: a whole series as one lazy dataset.

Opening reads the main header and the file sizes, nothing more: path →
the series' files (:mod:`tvips_ks.io.naming`) → the main header, judged by
the spec's rules (:mod:`tvips_ks.format`) → the part table → the frames as a
lazy stack → the scan (from the options, a given map, or detection) → the
arranged data.
"""

from __future__ import annotations

import os
from functools import cached_property

import numpy as np

from .arrays import FrameStack, ScanArray
from .calibration import Calibration
from .errors import ArgumentError
from .format import RecordLayout, validate_main_header
from .hyperspy.read import to_hyperspy
from .io import daskio
from .io.files import read_main_header
from .io.headers import read_frame_headers
from .io.naming import find_parts
from .io.parts import Part, build_part_table
from .metadata import Metadata, build_metadata, header_detector_pixel_nm
from .scan.arrange import scan_index_map
from .scan.detect import ScanDetection, detect_scan
from .scan.options import ScanOptions

__all__ = ["open", "TvipsDataset", "ScanArray"]

#: attributes computed on first use, and not carried when a dataset is pickled
_CACHED = ("frame_headers", "data", "metadata")


class TvipsDataset:
    """A TVIPS series opened with :func:`tvips_ks.open`.

    Attributes are computed on first use and cached; opening reads the main
    header and the file sizes only.  A dataset pickles to its paths, header
    and options (never pixels), and works from any directory.
    """

    def __init__(self, path, *, scan_shape=None, scan_start_frame=0, winding_scan_axis=None,
                 hysteresis=0, rechunking="auto", pad=False, permissive=False,
                 frame_index=None, scan_step=None, diffraction_pixel_size=None,
                 image_pixel_size=None, camera_length_mm=None):
        options = ScanOptions.from_arguments(scan_shape, scan_start_frame, winding_scan_axis,
                                             hysteresis, pad)
        calibration = Calibration.from_arguments(scan_step, diffraction_pixel_size,
                                                 image_pixel_size, camera_length_mm)
        if calibration.scan_step is not None and options.scan_shape is None \
                and frame_index is None:
            raise ArgumentError("scan_step calibrates the scan axes: give scan_shape (or "
                                "scan_shape='auto', or frame_index) too")
        if frame_index is not None and options != ScanOptions():
            raise ArgumentError("frame_index is the whole arrangement: give it without "
                                "scan_shape, scan_start_frame, winding_scan_axis, hysteresis "
                                "or pad")
        self.series = find_parts(path)
        self.path = self.series.first
        self.permissive = bool(permissive)
        self.header = read_main_header(self.path)
        validate_main_header(self.header, self.path, permissive=self.permissive)
        calibration.check_detector(header_detector_pixel_nm(self.header),
                                   int(self.header["high_tension_kv"]), path=self.path)
        self.calibration = calibration
        self.layout = RecordLayout.from_header(self.header)
        self.table = build_part_table(self.series.parts, self.layout, permissive=self.permissive)
        self.files: list[Part] = list(self.table.parts)
        self.num_frames = self.table.num_frames
        self.frames = FrameStack(self.table)
        self.rechunking = rechunking
        self.scan_options = options
        self.scan: ScanDetection | None = None
        self.frame_index: np.ndarray | None = None
        if frame_index is not None:
            self.frame_index = self._checked_frame_index(frame_index)
        elif options.detect:
            self.scan = detect_scan(self.frame_headers, self.frames)
            self.frame_index = self.scan.frame_index
        elif options.scan_shape is not None:
            try:
                self.frame_index = scan_index_map(self.num_frames, options.scan_shape,
                                                  options.scan_start_frame,
                                                  options.winding_scan_axis, options.hysteresis,
                                                  pad=options.pad)
            except ArgumentError as err:  # the same advice, naming the series
                raise ArgumentError(err.message, path=self.path) from None
        if self.frame_index is not None:
            self.frame_index.setflags(write=False)

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
        return index

    # -- what the series holds -------------------------------------------------------

    @cached_property
    def frame_headers(self) -> np.ndarray:
        """Every frame header as one structured array (fields named as in the spec)."""
        return read_frame_headers(self.table)

    @property
    def nav_shape(self) -> tuple[int, ...]:
        return (self.num_frames,) if self.frame_index is None else self.frame_index.shape

    @cached_property
    def data(self):
        """The frames arranged by the scan, or all frames without a scan shape."""
        if self.frame_index is None:
            return self.frames
        return ScanArray(self.table, self.frame_index)

    @property
    def shape(self) -> tuple[int, ...]:
        return (*self.nav_shape, *self.layout.frame_shape)

    @property
    def dtype(self) -> np.dtype:
        return self.layout.pixel_dtype

    @cached_property
    def metadata(self) -> Metadata:
        return build_metadata(self.header, self.frame_headers, self.nav_shape,
                              is_scan=self.frame_index is not None,
                              calibration=self.calibration)

    def to_dask(self, chunks=None):
        """A lazy dask array of ``.data``; ``chunks`` defaults to the ``rechunking`` option."""
        return daskio.to_dask(self.table, self.nav_shape, self.frame_index,
                              chunks=self.rechunking if chunks is None else chunks)

    def virtual_image(self, detector=None, *, lazy: bool = False, threads=None):
        """Virtual detector images over the scan (:func:`tvips_ks.virtual.virtual_image`):
        per position, the sum of its frame's pixels under ``detector`` (None: all)."""
        from .virtual import virtual_image

        return virtual_image(self, detector, lazy=lazy, threads=threads)

    def virtual_diffraction(self, roi=None, *, lazy: bool = False, threads=None):
        """The frames summed over the scan positions ``roi`` selects (None: all), ``(h, w)``
        (:func:`tvips_ks.virtual.virtual_diffraction`)."""
        from .virtual import virtual_diffraction

        return virtual_diffraction(self, roi, lazy=lazy, threads=threads)

    def to_hyperspy(self, lazy: bool = False):
        """A HyperSpy signal of ``.data`` (needs the ``hyperspy`` extra)."""
        return to_hyperspy(self, lazy=lazy)

    # -- life cycle ------------------------------------------------------------------

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k not in _CACHED}

    def close(self) -> None:
        """Nothing is held open between reads; kept for ``with`` and for mrcfile's feel."""

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
         permissive: bool = False, frame_index=None, scan_step=None,
         diffraction_pixel_size=None, image_pixel_size=None,
         camera_length_mm=None) -> TvipsDataset:
    """Open a TVIPS series lazily.

    ``path`` is any part of a series (``scan_000.tvips``, ``scan_001.tvips``), its
    name without a part number (``scan.tvips``), or a single un-numbered file
    (an unsplit camera file).  The scan options have RosettaSciIO's names and
    meanings: ``scan_shape`` (a tuple, or ``"auto"``), ``scan_start_frame``,
    ``winding_scan_axis`` (None, ``"x"``, ``"y"``), ``hysteresis`` and
    ``rechunking`` (the default chunks of :meth:`TvipsDataset.to_dask`).
    ``pad=True`` lets a scan extend past the last frame, reading the missing
    positions as zeros.  ``permissive=True`` opens damaged files: of the main
    header only what the record layout needs is checked (a wrong
    ``len_header`` or an unknown ``version`` is tolerated), and partial
    records are dropped in any part, with a warning.

    ``frame_index`` gives the arrangement directly: an integer array of any
    shape holding the frame number behind each scan position (−1 for zeros),
    for instance a detection's ``frame_index``, inspected or edited (repeats
    and skips of a rotator scan, a snake whose first row runs forward: maps
    that the scan options cannot express).

    Calibrations (:mod:`tvips_ks.calibration`) the format does not record:
    ``scan_step`` (``(2.5, "nm")``, ``((2.5, 3.0), "nm")`` for y, x, or
    ``"2.5nm"``), ``diffraction_pixel_size`` (``(0.01, "1/nm")``, 1/Å or
    mrad) or ``image_pixel_size`` (``(0.5, "nm")``), and ``camera_length_mm``.
    They are kept as ``ds.calibration`` and land on ``ds.metadata`` (axes with
    ``source="user"``, ``camera_length_mm``), in :meth:`TvipsDataset.to_hyperspy`
    and in every output; conflicting values are an :class:`ArgumentError`.

    Every error is a :class:`tvips_ks.TvipsError` naming the file and, where it
    matters, the byte offset.
    """
    return TvipsDataset(path, scan_shape=scan_shape, scan_start_frame=scan_start_frame,
                        winding_scan_axis=winding_scan_axis, hysteresis=hysteresis,
                        rechunking=rechunking, pad=pad, permissive=permissive,
                        frame_index=frame_index, scan_step=scan_step,
                        diffraction_pixel_size=diffraction_pixel_size,
                        image_pixel_size=image_pixel_size, camera_length_mm=camera_length_mm)
