"""Virtual detectors for scan detection, all from one pass over the frames.

A smooth specimen can be flat in the bright field and structured in the dark
field or in the beam's deflection (centre of mass), so detection looks at
several virtual detectors at once:

* ``bf``: mean of the central disk (the virtual bright field, see :mod:`.vbf`);
* ``adf``: mean of an annulus from twice the disk radius to the frame's edge;
* ``com_y``, ``com_x``: the intensity-weighted centre of the frame;
* ``total``: the mean of the whole frame (beam-blanked frames are dark).

Each frame is read once, in chunks; only the sums per frame are kept.
"""

from __future__ import annotations

import operator

import numpy as np

from ..errors import ArgumentError
from .vbf import disk_mask

__all__ = ["DETECTORS", "scan_signals"]

#: The virtual detectors whose structure is compared, in the order of the rows
#: of :func:`scan_signals`' result (``total`` follows them).
DETECTORS = ("bf", "adf", "com_y", "com_x")
NAMES = {"bf": "bright field", "adf": "annular dark field", "com_y": "centre of mass y",
         "com_x": "centre of mass x"}


def scan_signals(frames, chunk_frames=64, *, start=0, stop=None):
    """``(5, N)`` float64: bf, adf, com_y, com_x and total of every frame.

    ``frames`` is an ``(N, h, w)`` array-like (a numpy array, a memmap or a
    lazy stack whose slices are numpy arrays); only ``chunk_frames`` frames
    are held at a time.  A frame with no intensity has its centre of mass at
    the frame centre.
    """
    chunk_frames = operator.index(chunk_frames)
    if chunk_frames < 1:
        raise ArgumentError(f"chunk_frames must be >= 1, got {chunk_frames}")
    shape = tuple(getattr(frames, "shape", ()))
    if len(shape) != 3:
        raise ArgumentError(f"frames must be an (N, h, w) stack, got shape {shape}")
    n, h, w = shape
    start, stop, _ = slice(start, stop).indices(n)
    disk = disk_mask((h, w))
    radius = max(min(h, w) // 8, 1)
    yy = np.arange(h, dtype=np.float64)[:, None] - (h - 1) / 2.0
    xx = np.arange(w, dtype=np.float64)[None, :] - (w - 1) / 2.0
    rr = yy * yy + xx * xx
    ring = (rr > (2 * radius) ** 2) & (rr <= (min(h, w) / 2.0) ** 2)
    if not ring.any():  # a frame too small for an annulus: everything off the disk
        ring = ~disk if (~disk).any() else np.ones_like(disk)
    # One matrix product per chunk gives every detector's sum at once.
    weights = np.stack([disk / disk.sum(), ring / ring.sum(),
                        np.broadcast_to(yy, (h, w)), np.broadcast_to(xx, (h, w)),
                        np.full((h, w), 1.0 / (h * w))]).reshape(5, -1).T
    out = np.empty((5, max(stop - start, 0)), dtype=np.float64)
    for i in range(start, stop, chunk_frames):  # one step per chunk, not per frame
        j = min(i + chunk_frames, stop)
        chunk = np.asarray(frames[i:j])
        if chunk.shape != (j - i, h, w):
            raise ArgumentError(f"frames[{i}:{j}] gave shape {chunk.shape}, expected "
                                f"{(j - i, h, w)}")
        out[:, i - start:j - start] = (chunk.reshape(j - i, -1).astype(np.float64) @ weights).T
    total = out[4] * (h * w)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[2:4] = np.where(total != 0, out[2:4] / total, 0.0)
    return out
