"""The outcome of scan detection, whichever method found it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .options import describe_scan

__all__ = ["ScanDetection"]


@dataclass(frozen=True, eq=False)
class ScanDetection:
    """The outcome of :func:`detect_scan`.

    Attributes
    ----------
    scan_shape : tuple of int
        ``(rows, cols)``.
    scan_start_frame : int
        The frame at which the scan starts (acquisition order).
    winding_scan_axis : None or "x"
        ``"x"`` for a snake scan (with open()'s convention: even rows
        reversed), None for a fly-back scan.
    hysteresis : int
        Cyclic shift of the reversed rows of a snake scan (0 otherwise).
    frame_index : numpy.ndarray of int64, shape ``scan_shape``
        The frame behind each position, ``-1`` where there is none.  This is
        the detected map itself; for rotator scans it resolves repeated and
        skipped scan points, which ``as_open_kwargs()`` cannot express.
    method : str
        ``"scan_position"``, ``"rotator_index"`` or ``"image_content"``.
    num_frames_agree : int
        Frames whose own evidence agrees with ``frame_index``: frames whose
        scan position equals their position in the map (scan_position); frames
        that are the chosen frame for their own rotator value
        (rotator_index); frames in the scan (image_content, which has no
        per-frame evidence).
    num_frames_before, num_frames_after : int
        Frames before the scan start and after the last frame of the scan.
    evidence : str
        A short human-readable account of what was found.
    kwargs_exact : bool
        True when ``scan_index_map(N, **as_open_kwargs(), pad=True)``
        reproduces ``frame_index`` exactly.  False for rotator scans with
        repeated or skipped points, for a scan-position snake whose first row
        runs forward (open()'s winding reverses the even rows, so the
        arguments give the scan mirrored along x), and for a scan-position
        raster whose row 0 was only partly recorded.  Use ``frame_index``
        then.
    """

    scan_shape: tuple
    scan_start_frame: int
    winding_scan_axis: str | None
    hysteresis: int
    frame_index: np.ndarray = field(repr=False)
    method: str
    num_frames_agree: int
    num_frames_before: int
    num_frames_after: int
    evidence: str
    kwargs_exact: bool = True

    def __post_init__(self):
        # Frozen means frozen: the map cannot be edited in place either.
        self.frame_index.flags.writeable = False

    def describe(self) -> str:
        """``"12 × 16 from frame 5, fly-back (no winding)"``."""
        return describe_scan(self.scan_shape, self.scan_start_frame, self.winding_scan_axis,
                             self.hysteresis)

    @property
    def headline(self) -> str:
        """The first statement of the evidence: what was found, in one line."""
        return self.evidence.split(";")[0]

    def as_open_kwargs(self) -> dict:
        """The scan arguments to pass to ``open(...)`` by hand.

        They assume one frame per position; see ``kwargs_exact``.
        """
        return {
            "scan_shape": tuple(self.scan_shape),
            "scan_start_frame": self.scan_start_frame,
            "winding_scan_axis": self.winding_scan_axis,
            "hysteresis": self.hysteresis,
        }
