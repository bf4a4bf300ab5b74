"""Virtual bright field: the mean of a central disk of every frame.

In 4D-STEM the central (bright-field) disk of each diffraction pattern is
bright over thin or empty specimen areas and darker over thick ones, so the
per-frame disk mean traces the specimen along the scan.  It is the cheapest
image of a scan and the signal that image-content scan detection works on.
"""

from __future__ import annotations

import operator

import numpy as np

from ..errors import ArgumentError

__all__ = ["virtual_bright_field", "disk_mask", "bounding_box"]


def bounding_box(mask) -> tuple[slice, slice] | None:
    """The ``(rows, cols)`` slices of the smallest box that holds every nonzero pixel of
    ``mask`` (``(h, w)``, or ``(k, h, w)`` for the union of ``k`` masks); None if it has
    none.  Slicing frames to it first means the rest of each frame is never copied (and,
    for a lazy stack, never read)."""
    used = np.asarray(mask) != 0
    used = used.reshape(-1, *used.shape[-2:]).any(axis=0)
    rows, cols = np.flatnonzero(used.any(axis=1)), np.flatnonzero(used.any(axis=0))
    if rows.size == 0:
        return None
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


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
    """``(N, h, w)`` of an array-like stack."""
    shape = tuple(getattr(frames, "shape", ()))
    if len(shape) != 3:
        raise ArgumentError(f"frames must be an (N, h, w) stack, got shape {shape}")
    return shape


def virtual_bright_field(frames, radius=None, center=None, chunk_frames=256, *, start=0,
                         stop=None, progress=None):
    """Mean of a central disk per frame, in one streaming pass.

    Parameters
    ----------
    frames : array-like, shape ``(N, h, w)``
        A numpy array, an ``np.memmap``, or a lazy stack (``ds.frames``) whose
        slices are numpy arrays.  Only ``chunk_frames`` frames are held at a
        time.
    radius, center :
        The disk, see :func:`disk_mask` (default: radius ``min(h, w) // 8``,
        at least 1, at the frame centre).
    chunk_frames : int
        Frames read per step; bounds the memory used.
    start, stop : int
        The frames ``start:stop`` only (default all).
    progress :
        Something with ``update(n)`` (a :class:`tvips_ks.progress.Progress`).

    Returns
    -------
    numpy.ndarray of float64, shape ``(stop - start,)``
    """
    chunk_frames = operator.index(chunk_frames)
    if chunk_frames < 1:
        raise ArgumentError(f"chunk_frames must be >= 1, got {chunk_frames}")
    n, h, w = _series_shape(frames)
    start, stop, _ = slice(start, stop).indices(n)
    mask = disk_mask((h, w), radius, center)
    box = bounding_box(mask)  # a disk always holds a pixel
    box_mask = mask[box]
    npix = int(box_mask.sum())
    out = np.empty(max(stop - start, 0), dtype=np.float64)
    for i in range(start, stop, chunk_frames):  # one step per chunk, not per frame
        j = min(i + chunk_frames, stop)
        chunk = np.asarray(frames[i:j, box[0], box[1]])
        if chunk.shape != (j - i, *box_mask.shape):
            raise ArgumentError(f"frames[{i}:{j}] gave shape {chunk.shape}, expected "
                                f"{(j - i, *box_mask.shape)}")
        # float64 sums are exact for integer pixels (< 2**53 in total).
        out[i - start:j - start] = chunk[:, box_mask].sum(axis=1, dtype=np.float64)
        if progress is not None:
            progress.update(j - i)
    out /= npix
    return out
