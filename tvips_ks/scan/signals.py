"""Virtual detectors for scan detection, all from one pass over the frames.

A smooth specimen can be flat in the bright field and structured in the dark
field or in the beam's deflection (centre of mass), so detection looks at
several virtual detectors at once:

* ``bf``: mean of the central disk (the virtual bright field, see :mod:`.vbf`);
* ``adf``: mean of an annulus from twice the disk radius to the frame's edge;
* ``com_y``, ``com_x``: the intensity-weighted centre of the frame;
* ``total``: the mean of the whole frame (beam-blanked frames are dark);

and, on request, the whole pattern binned to at most 8 x 8 blocks: the
principal components of its square root (:func:`pattern_channels`) carry
every change of the pattern at once, which a scalar detector at low dose
does not.  Each frame is read once, in chunks; only the sums per frame and
the binned patterns are kept.
"""

from __future__ import annotations

import operator

import numpy as np

from ..errors import ArgumentError
from .vbf import disk_mask

__all__ = ["DETECTORS", "PATTERN_BINS", "scan_signals", "pattern_channels",
           "with_patterns"]

#: The virtual detectors whose structure is compared, in the order of the rows
#: of :func:`scan_signals`' result (``total`` follows them).
DETECTORS = ("bf", "adf", "com_y", "com_x")
NAMES = {"bf": "bright field", "adf": "annular dark field", "com_y": "centre of mass y",
         "com_x": "centre of mass x"}
#: Blocks per axis of the binned pattern (fewer for a smaller frame).
PATTERN_BINS = 8
#: Principal components of the binned patterns used as channels.
PATTERN_COMPONENTS = 8


def scan_signals(frames, chunk_frames=64, *, start=0, stop=None, patterns=False):
    """``(5, N)`` float64: bf, adf, com_y, com_x and total of every frame;
    with ``patterns=True`` also ``(N, B)`` float32, every frame binned to at
    most ``PATTERN_BINS`` x ``PATTERN_BINS`` blocks (the block sums; a frame
    whose size is not a multiple of the block loses its last pixels).

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
    by, bx = max(h // PATTERN_BINS, 1), max(w // PATTERN_BINS, 1)
    gy, gx = h // by, w // bx
    binned = np.empty((max(stop - start, 0), gy * gx), np.float32) if patterns else None
    for i in range(start, stop, chunk_frames):  # one step per chunk, not per frame
        j = min(i + chunk_frames, stop)
        chunk = np.asarray(frames[i:j])
        if chunk.shape != (j - i, h, w):
            raise ArgumentError(f"frames[{i}:{j}] gave shape {chunk.shape}, expected "
                                f"{(j - i, h, w)}")
        out[:, i - start:j - start] = (chunk.reshape(j - i, -1).astype(np.float64) @ weights).T
        if patterns:
            blocks = chunk[:, :gy * by, :gx * bx].reshape(j - i, gy, by, gx, bx)
            binned[i - start:j - start] = blocks.sum(axis=(2, 4), dtype=np.float64).reshape(
                j - i, -1)
    total = out[4] * (h * w)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[2:4] = np.where(total != 0, out[2:4] / total, 0.0)
    return (out, binned) if patterns else out


def pattern_channels(binned, count=PATTERN_COMPONENTS):
    """``(count, L)``: the leading principal components of the square root
    of the binned patterns ``(L, B)`` (of the scan frames only: junk frames
    would take the first components), largest first; fewer when the
    patterns vary in fewer ways.  The square root makes Poisson noise about
    equally strong in every block, so a component's variance above the
    noise is structure of the specimen."""
    x = np.sqrt(np.clip(np.asarray(binned, dtype=np.float64), 0.0, None))
    x -= x.mean(axis=0)
    if x.shape[0] < 2:
        return np.zeros((0, x.shape[0]))
    cov = x.T @ x / x.shape[0]
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1][:count]
    keep = order[vals[order] > 1e-12 * max(vals.max(), 1e-300)]
    return (x @ vecs[:, keep]).T


def with_patterns(signals, names, binned):
    """The detectors and the principal components of the binned patterns of
    the same frames, as channels ``(K, L)`` and their names."""
    comps = pattern_channels(binned)
    return (np.concatenate([signals, comps]),
            list(names) + [f"pattern component {k + 1}" for k in range(len(comps))])
