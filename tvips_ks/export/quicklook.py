"""Quick looks at a series: mean and maximum pattern, beam centre, VBF, a scan-start hint.

:func:`quicklook` reads the series once, block by block (memory bounded by
one block, no dask), and accumulates per pixel the sum and the maximum, and
per frame the mean intensity and the virtual bright field (VBF: the mean of
a circular aperture).  From these:

* the mean and the maximum pattern over every frame of the series;
* the beam centre: the centre of mass of the mean pattern (above its
  median), refined to the centroid of the bright disc: the pixels above half
  maximum that connect to the brightest spot (a 3×3 minimum first, so a hot
  pixel is not the brightest spot).  ``beam_center_method`` says which one
  was found;
* the VBF per frame and, for a scan, as an image over the scan;
* where there is no scan (none given, or detection was not sure), a
  *suggested* scan start: the frame where the per-frame intensity (or the
  VBF) rises step-wise, as when the beam is unblanked, with its evidence.
  It is only reported, never applied.

The aperture is ``vbf_center``/``vbf_radius`` (pixels, centre ``(y, x)``);
by default a disc around the beam centre, which the pass itself cannot know
yet: it is estimated first from a sample of up to 64 frames spread over the
series (the only frames read twice).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ArgumentError
from ..progress import Progress
from ..scan.vbf import bounding_box, disk_mask

__all__ = ["quicklook", "QuickLook", "ScanStartSuggestion", "estimate_beam_center",
           "suggest_scan_start", "scan_image"]

_BLOCK_BYTES = 32 * 2**20
_SAMPLE_FRAMES = 64
#: A rise counts as step-wise when the levels on either side differ by this
#: many times the robust frame-to-frame noise.
_STEP_SIGMAS = 8.0


@dataclass(frozen=True)
class ScanStartSuggestion:
    """Where the scan seems to start, and why; a suggestion, never applied."""

    frame: int
    signal: str            #: "mean intensity" or "virtual bright field"
    level_before: float    #: median of the frames before
    level_after: float     #: median of the frames from ``frame`` on
    noise: float           #: robust frame-to-frame noise of the signal
    evidence: str


@dataclass(frozen=True)
class QuickLook:
    """What :func:`quicklook` finds; arrays are numpy."""

    mean: np.ndarray                 #: (h, w) float64, over every frame
    maximum: np.ndarray              #: (h, w), the pixel dtype
    beam_center: tuple[float, float]  #: (y, x) in pixels
    beam_center_method: str          #: "thresholded disc" or "centre of mass"
    beam_radius: float | None        #: radius of the half-maximum disc, if found
    vbf_center: tuple[float, float]
    vbf_radius: float
    vbf_aperture: str                #: where the aperture came from
    vbf: np.ndarray                  #: (frames,) aperture mean per frame
    intensity: np.ndarray            #: (frames,) mean pixel value per frame
    vbf_image: np.ndarray | None     #: the VBF over the scan (NaN at padding), or None
    suggested_scan_start: ScanStartSuggestion | None
    scan_start_note: str             #: why there is (no) suggestion

    def describe_beam_center(self) -> str:
        y, x = self.beam_center
        text = f"(y, x) = ({y:.2f}, {x:.2f}) px, {self.beam_center_method}"
        if self.beam_radius is not None:
            text += f" (radius {self.beam_radius:.1f} px)"
        return text


def _min3(image: np.ndarray) -> np.ndarray:
    padded = np.pad(image, 1, mode="edge")
    return np.lib.stride_tricks.sliding_window_view(padded, (3, 3)).min(axis=(-2, -1))


def _grow(seed: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The 4-connected part of ``mask`` holding ``seed``."""
    region = seed & mask
    while True:
        grown = region.copy()
        grown[1:] |= region[:-1]
        grown[:-1] |= region[1:]
        grown[:, 1:] |= region[:, :-1]
        grown[:, :-1] |= region[:, 1:]
        grown &= mask
        if (grown == region).all():
            return region
        region = grown


def estimate_beam_center(pattern) -> tuple[tuple[float, float], str, float | None]:
    """``((y, x), method, radius)`` of the bright disc of a (mean) pattern; see the module doc."""
    p = np.asarray(pattern, dtype=np.float64)
    if p.ndim != 2 or p.size == 0:
        raise ArgumentError(f"a pattern is a 2-D array, got shape {p.shape}")
    h, w = p.shape
    background = float(np.median(p))
    weights = np.clip(p - background, 0, None)
    total = weights.sum()
    if not total > 0:
        return ((h - 1) / 2, (w - 1) / 2), "frame centre (the pattern is flat)", None
    yy, xx = np.indices(p.shape, dtype=np.float64)
    com = (float((weights * yy).sum() / total), float((weights * xx).sum() / total))
    smooth = _min3(p)
    peak = float(smooth.max())
    disc = None
    if peak > background:
        seed = np.zeros(p.shape, bool)
        seed[np.unravel_index(int(np.argmax(smooth)), p.shape)] = True
        disc = _grow(seed, p >= background + (peak - background) / 2)
    if disc is None or disc.sum() < 3:
        return com, "centre of mass (no disc above half maximum)", None
    inside = weights * disc
    centre = (float((inside * yy).sum() / inside.sum()),
              float((inside * xx).sum() / inside.sum()))
    return centre, "thresholded disc", math.sqrt(disc.sum() / math.pi)


def _noise(steps: np.ndarray) -> float:
    """Robust standard deviation of frame-to-frame changes (median absolute deviation)."""
    return 1.4826 * float(np.median(np.abs(steps - np.median(steps))))


def suggest_scan_start(signal, name: str = "mean intensity"):
    """``(ScanStartSuggestion | None, note)``: the frame where ``signal`` rises step-wise.

    The candidate is the largest rise from one frame to the next; it counts
    when that one step makes at least half the difference between the medians
    before and after it, and that difference is :data:`_STEP_SIGMAS` times the
    frame-to-frame noise (of the frames before, when there are a few: a
    blanked beam is quiet, a specimen under the beam is not).
    """
    x = np.asarray(signal, dtype=np.float64)
    if x.size < 4:
        return None, f"too few frames ({x.size}) to find a step"
    steps = np.diff(x)
    k = int(np.argmax(steps)) + 1
    noise = _noise(steps)
    if k >= 4:
        noise = min(noise, _noise(steps[:k - 1]))
    before, after = float(np.median(x[:k])), float(np.median(x[k:]))
    rise = after - before
    floor = max(noise, 1e-12 * max(abs(after), abs(before), 1.0))
    if rise <= _STEP_SIGMAS * floor or steps[k - 1] < rise / 2:
        return None, (f"no step-wise rise of the {name}: the largest, at frame {k}, changes "
                      f"the level by {rise:.4g} against a frame-to-frame noise of {noise:.3g}")
    evidence = (f"the {name} rises at frame {k} from {before:.4g} (median of frames 0–{k - 1}) "
                f"to {after:.4g} (median of frames {k}–{x.size - 1}), "
                f"{rise / floor:.0f}× the frame-to-frame noise: the beam looks unblanked there")
    return ScanStartSuggestion(k, name, before, after, noise, evidence), evidence


def scan_image(per_frame: np.ndarray, frame_index: np.ndarray) -> np.ndarray:
    """A per-frame value over the scan: ``frame_index``'s shape, NaN at padding (-1)."""
    return np.where(frame_index >= 0, per_frame[np.clip(frame_index, 0, None)], np.nan)


def _exact_sum(block: np.ndarray, axis: int) -> np.ndarray:
    """Sums of integer pixels along ``axis``, exact: in uint32 when they cannot overflow it
    (half the time of float64 sums), else in float64 (exact below 2**53)."""
    count = block.shape[axis]
    if block.dtype.kind == "u" and count * int(np.iinfo(block.dtype).max) < 2**32:
        return block.sum(axis=axis, dtype=np.uint32)
    return block.sum(axis=axis, dtype=np.float64)


def _aperture(ds, vbf_center, vbf_radius, h, w, step):
    if vbf_center is not None and vbf_radius is not None:
        return vbf_center, float(vbf_radius), "given"
    source = "given"
    center, radius = vbf_center, vbf_radius
    if center is None or radius is None:
        n = ds.num_frames
        picks = np.unique(np.linspace(0, n - 1, min(n, _SAMPLE_FRAMES)).round().astype(np.int64))
        sample = np.zeros((h, w), dtype=np.float64)
        for i in range(0, picks.size, step):
            sample += np.asarray(ds.frames[picks[i:i + step]]).sum(axis=0, dtype=np.float64)
        found, _, disc_radius = estimate_beam_center(sample / picks.size)
        parts = []
        if center is None:
            center = found
            parts.append(f"centre: the beam centre of {picks.size} frames spread over the "
                         f"series")
        if radius is None:
            radius = disc_radius if disc_radius else max(min(h, w) // 8, 1)
            parts.append("radius: the half-maximum disc's" if disc_radius
                         else "radius: min(h, w) // 8 (no disc found)")
        source = "; ".join(parts)
    return center, float(radius), source


def quicklook(ds, *, vbf_center=None, vbf_radius=None, block_bytes: int = _BLOCK_BYTES,
              progress=None) -> QuickLook:
    """Mean and maximum pattern, beam centre, VBF and a scan-start hint of ``ds``.

    ``vbf_center`` ``(y, x)`` and ``vbf_radius`` (pixels) give the VBF
    aperture (a pixel is inside when its centre is within the radius);
    either defaults to the beam's disc (module doc).  ``block_bytes`` bounds
    the memory of the pass; ``progress`` is True/False/None (a bar on a
    terminal) or an object with ``update(n)``.
    """
    n = ds.num_frames
    h, w = ds.layout.frame_shape
    if n < 1:
        raise ArgumentError("the series holds no frames: nothing to look at", path=ds.path)
    if block_bytes < 1:
        raise ArgumentError(f"block_bytes must be positive, got {block_bytes}")
    step = max(1, block_bytes // max(h * w * ds.dtype.itemsize, 1))
    center, radius, source = _aperture(ds, vbf_center, vbf_radius, h, w, step)
    mask = disk_mask((h, w), radius, center)
    box = bounding_box(mask)
    box_mask = mask[box]
    npix = int(box_mask.sum())

    bar = progress if hasattr(progress, "update") else Progress(n, "quick look", progress)
    total = np.zeros((h, w), dtype=np.float64)
    maximum = None
    vbf = np.empty(n, dtype=np.float64)
    intensity = np.empty(n, dtype=np.float64)
    for i in range(0, n, step):
        j = min(i + step, n)
        block = np.asarray(ds.frames[i:j])
        total += _exact_sum(block, 0)
        peak = block.max(axis=0)
        maximum = peak if maximum is None else np.maximum(maximum, peak)
        intensity[i:j] = _exact_sum(block, 2).sum(axis=1, dtype=np.float64) / (h * w)
        vbf[i:j] = block[:, box[0], box[1]][:, box_mask].sum(axis=1, dtype=np.float64) / npix
        bar.update(j - i)
    mean = total / n
    beam, method, beam_radius = estimate_beam_center(mean)

    image = None
    if ds.frame_index is not None:
        image = scan_image(vbf, ds.frame_index)
        suggestion, note = None, "the scan is given or detected: no suggestion"
    else:
        suggestion, note = suggest_scan_start(intensity)
        if suggestion is None:
            found, vbf_note = suggest_scan_start(vbf, "virtual bright field")
            if found is not None:
                suggestion, note = found, vbf_note
            else:
                note = f"{note}; {vbf_note}"
    return QuickLook(mean=mean, maximum=maximum, beam_center=beam, beam_center_method=method,
                     beam_radius=beam_radius, vbf_center=tuple(float(c) for c in center),
                     vbf_radius=radius, vbf_aperture=source, vbf=vbf, intensity=intensity,
                     vbf_image=image, suggested_scan_start=suggestion, scan_start_note=note)
