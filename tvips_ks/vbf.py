"""Virtual bright field: the mean of a central disk of every frame.

In 4D-STEM the central (bright-field) disk of each diffraction pattern is
bright over thin or empty specimen areas and darker over thick ones, so the
per-frame disk mean traces the specimen along the scan.  It is the cheapest
image of a scan and the signal that image-content scan detection works on.
"""

from __future__ import annotations

import operator

import numpy as np

from .errors import ArgumentError

__all__ = ["virtual_bright_field", "disk_mask"]


def disk_mask(frame_shape, radius=None, center=None):
    """Boolean ``(h, w)`` mask of the pixels within ``radius`` of ``center``.

    ``center`` is ``(y, x)`` in pixel coordinates (pixel ``(i, j)`` has its
    centre at ``(i, j)``); the default is the frame centre
    ``((h - 1) / 2, (w - 1) / 2)``.  The default radius is ``min(h, w) // 8``
    but at least 1.  A pixel is inside when its centre's distance is
    ``<= radius``.
    """
    h, w = (operator.index(n) for n in frame_shape)
    if h < 1 or w < 1:
        raise ArgumentError(f"frames must be at least 1x1, got {h}x{w}")
    if radius is None:
        radius = max(min(h, w) // 8, 1)
    radius = float(radius)
    if not np.isfinite(radius) or radius < 0:
        raise ArgumentError(f"radius must be a finite number >= 0, got {radius}")
    if center is None:
        cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    else:
        try:
            cy, cx = (float(c) for c in center)
        except (TypeError, ValueError):
            raise ArgumentError(
                f"center must be a pair (y, x) of numbers, got {center!r}") from None
    yy = np.arange(h, dtype=np.float64)[:, None] - cy
    xx = np.arange(w, dtype=np.float64)[None, :] - cx
    mask = yy * yy + xx * xx <= radius * radius
    if not mask.any():
        raise ArgumentError(
            f"the disk of radius {radius} at (y, x) = ({cy}, {cx}) holds no "
            f"pixel of a {h}x{w} frame; give a larger radius or a center "
            f"inside the frame")
    return mask


def _series_shape(frames):
    """``(N, h, w)`` of an array-like stack, without reading any frame data
    when the object has a ``shape``."""
    shape = getattr(frames, "shape", None)
    if shape is not None:
        shape = tuple(shape)
    else:
        n = len(frames)
        first = np.asarray(frames[0:1]) if n else np.empty((0, 1, 1))
        shape = (n,) + tuple(first.shape[1:])
    if len(shape) != 3:
        raise ArgumentError(f"frames must be an (N, h, w) stack, got shape {shape}")
    return shape


def virtual_bright_field(frames, radius=None, center=None, chunk_frames=256):
    """Mean of a central disk per frame, in one streaming pass.

    Parameters
    ----------
    frames : array-like, shape ``(N, h, w)``
        A numpy array, an ``np.memmap``, or any object whose
        ``__getitem__(slice)`` returns a numpy array of those frames (e.g. a
        reader's lazy frame view).  Only ``chunk_frames`` frames are held at
        a time.
    radius, center :
        The disk, see :func:`disk_mask` (default: radius ``min(h, w) // 8``,
        at least 1, at the frame centre).
    chunk_frames : int
        Frames read per step; bounds the memory used.

    Returns
    -------
    numpy.ndarray of float64, shape ``(N,)``
    """
    chunk_frames = operator.index(chunk_frames)
    if chunk_frames < 1:
        raise ArgumentError(f"chunk_frames must be >= 1, got {chunk_frames}")
    n, h, w = _series_shape(frames)
    mask = disk_mask((h, w), radius, center)
    # Only the disk's bounding box is needed: for numpy and memmap stacks
    # slicing it out first means the rest of each frame is never touched
    # (for a memmap, never read from disk).
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    box_mask = mask[y0:y1, x0:x1]
    npix = int(box_mask.sum())
    out = np.empty(n, dtype=np.float64)
    crop_first = isinstance(frames, np.ndarray)
    for i in range(0, n, chunk_frames):  # one step per chunk, not per frame
        j = min(i + chunk_frames, n)
        if crop_first:
            box = frames[i:j, y0:y1, x0:x1]
        else:
            chunk = np.asarray(frames[i:j])
            if chunk.shape != (j - i, h, w):
                raise ArgumentError(
                    f"frames[{i}:{j}] returned shape {chunk.shape}, "
                    f"expected {(j - i, h, w)}")
            box = chunk[:, y0:y1, x0:x1]
        # float64 sums are exact for integer pixels (< 2**53 in total).
        out[i:j] = box[:, box_mask].sum(axis=1, dtype=np.float64)
    out /= npix
    return out
