"""Scan detection from image content: the row period of the virtual bright field.

The row length is the dominant period of the virtual bright field (VBF, mean
of a central disk per frame), found by autocorrelation; the row length (the
period, half of it for a snake, or one off), fly-back or snake and the
snake's hysteresis are chosen by how well neighbouring rows line up, and
must win clearly.  Beam-blanked (dark) or constant frames before and after
the scan are left out; without them the start is frame 0, since the content
does not show where a row begins.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..errors import ScanDetectionError
from .arrange import apply_winding, scan_index_map
from .result import ScanDetection
from .vbf import virtual_bright_field

__all__ = ["from_image", "row_period", "candidate_widths", "candidate_layouts", "choose", "describe"]

#: Shortest row (frames) the image-content method looks for.
MIN_ROW_LENGTH = 4
#: Fewest rows the image-content method accepts.
MIN_ROWS = 3
#: Hysteresis values tried for a snake scan (cyclic shift of reversed rows).
MAX_HYSTERESIS = 8
#: Autocorrelation peak height, in robust standard deviations of the other
#: lags, below which a row period is not trusted.  Noise without rows scores
#: about 3 to 4.5.
MIN_PERIOD_SCORE = 6.0


# -- method 3: image content ----------------------------------------------------------

def _moving_average(values, width):
    """Centred moving average over ``width`` samples (fewer at the ends)."""
    total = np.concatenate(([0.0], np.cumsum(values)))
    i = np.arange(values.size)
    lo = np.maximum(i - width // 2, 0)
    hi = np.minimum(i + width // 2 + 1, values.size)
    return (total[hi] - total[lo]) / (hi - lo)


def row_period(signal, min_lag, max_lag):
    """Dominant period of ``signal`` and its score, or (None, 0.0).

    The autocorrelation of the first difference is used, whitened: the power
    spectrum is divided by its own average over a band of 1/8 of the
    frequencies.  Differencing removes slow drifts; whitening removes the
    specimen's smoothness along a row (correlations over fewer than about 8
    frames), which would otherwise spread over many lags and bury the peak
    at the lag between frames of neighbouring rows.  The score is the
    peak's height above the median of the searched lags, in robust standard
    deviations (1.4826 MAD); pure noise scores about 3 to 4.5.
    """
    d = np.diff(np.asarray(signal, dtype=np.float64))
    m = d.size
    max_lag = min(max_lag, m - 1)
    if m < 4 or max_lag < min_lag or not np.any(d):
        return None, 0.0
    d -= d.mean()
    nfft = 1 << (2 * m - 1).bit_length()  # zero padding: no wrap-around
    spec = np.fft.rfft(d, nfft)
    power = spec.real ** 2 + spec.imag ** 2
    smooth = _moving_average(power, max(nfft // 8, 3))
    smooth += 1e-12 * smooth.max()
    ac = np.fft.irfft(power / smooth, nfft)[:max_lag + 1]
    ac /= m - np.arange(max_lag + 1)  # unbiased: fewer pairs at long lags
    ac /= ac[0]
    # Skip the lobe around lag 0 (what is left of the signal's smoothness).
    nonpos = np.flatnonzero(ac[1:] <= 0)
    lo = max(min_lag, int(nonpos[0]) + 1 if nonpos.size else max_lag + 1)
    if lo > max_lag:
        return None, 0.0
    window = ac[lo:max_lag + 1]
    period = lo + int(np.argmax(window))
    med = np.median(window)
    mad = 1.4826 * np.median(np.abs(window - med))
    score = (ac[period] - med) / mad if mad > 0 else math.inf
    return period, float(score)


def candidate_widths(period):
    """Row lengths worth trying for an autocorrelation period.

    A fly-back scan repeats every row and a snake every two rows, so the row
    is the period or half of it; in a noisy signal the peak can also be one
    lag off.  The best candidate is chosen by how well rows line up."""
    widths = {period - 1, period, period + 1}
    widths |= {(period - 1) // 2, period // 2, (period + 1) // 2 + (period % 2 == 0)}
    return sorted(w for w in widths if w >= 2)


class Layout(NamedTuple):
    """One way of laying a signal out as a scan, and how well it fits."""

    score: float  # mean alignment of neighbouring rows
    se: float  # its standard error (spread over row pairs)
    shape: tuple
    winding: str | None
    hysteresis: int


def row_alignment(image, margin):
    """Per pair of neighbouring rows: 1 - mean squared difference /
    (2 variance) -- 1 for identical rows, about 0 for unrelated ones.
    Columns within ``margin`` of the edges are left out (a cyclic shift
    wraps them)."""
    if margin and image.shape[1] > 4 * margin:
        image = image[:, margin:-margin]
    var = image.var()
    if image.shape[0] < 2 or var == 0:
        return np.zeros(1)
    return 1.0 - np.mean((image[1:] - image[:-1]) ** 2, axis=1) / (2.0 * var)


def candidate_layouts(values, shape):
    """Fly-back and snake layouts (shifts -8..8 of the reversed rows) of
    ``values``, given in acquisition order, as a scan of ``shape``."""
    rows, width = shape
    image = np.asarray(values[:rows * width], dtype=np.float64).reshape(shape)
    hmax = min(MAX_HYSTERESIS, (width - 1) // 2)
    out = []
    for winding, h in [(None, 0)] + [("x", h) for h in range(-hmax, hmax + 1)]:
        pairs = row_alignment(apply_winding(image, winding, h), hmax)
        se = pairs.std() / math.sqrt(pairs.size) if pairs.size > 1 else math.inf
        out.append(Layout(float(pairs.mean()), float(se), shape, winding, h))
    return out


def choose(layouts):
    """(best layout, best rival of another shape or winding, clear?).

    Clear when the best scores more than two standard errors above the
    rival; a different hysteresis of the same snake is not a rival."""
    ranked = sorted(layouts, key=lambda t: -t.score)
    best = ranked[0]
    rival = next((t for t in ranked[1:]
                  if (t.shape, t.winding) != (best.shape, best.winding)), None)
    clear = rival is None or (best.score - rival.score
                              > 2.0 * math.hypot(best.se, rival.se))
    return best, rival, clear


def describe(layout):
    rows, width = layout.shape
    return f"{pattern(layout.winding, layout.hysteresis)} {rows}x{width}"


def pattern(winding, hysteresis):
    if winding is None:
        return "fly-back"
    return f"snake with hysteresis {hysteresis}"


def _junk_ends(v):
    """Leading and trailing runs of frames that are not scan frames.

    A junk frame is beam-blanked -- its VBF far below the series' typical
    level: under half the median, or under q10 - 2 (q50 - q10) of the VBF
    values (about 3.8 standard deviations under the mean of a normal
    distribution) -- or repeats the first (last) frame's VBF exactly, as a
    constant or frozen frame does.  These are only candidates: see
    :func:`_confirm_junk`.  Returns (first scan frame, one past the last)."""
    n = v.size
    q10, q50 = np.percentile(v, [10, 50])
    dark = (v < q10 - 2.0 * (q50 - q10)) | (v < 0.5 * q50)
    lead = dark | (v == v[0])
    trail = dark | (v == v[-1])
    not_lead = np.flatnonzero(~lead)
    not_trail = np.flatnonzero(~trail)
    first = int(not_lead[0]) if not_lead.size else n
    last = int(not_trail[-1]) + 1 if not_trail.size else 0
    # A single frame equal to itself is not a constant run.
    if first == 1 and not dark[0]:
        first = 0
    if last == n - 1 and not dark[-1]:
        last = n
    return first, max(last, first)


def _confirm_junk(v, first, last, period):
    """Check the junk candidates against the row structure.

    Scan frames resemble the frames one period away (the same place one row,
    or for a snake two rows, over); junk does not.  Frames at the edge of a
    junk run that do resemble them are scan frames after all (e.g. a dark
    spot of the specimen), and a run whose frames do not differ from the
    frames a period away is not junk.  Returns (first, last) again."""
    n = v.size
    inner = np.abs(v[first + period:last] - v[first:last - period])
    tol = 4.0 * (np.median(inner) if inner.size else 0.0)
    if first:
        k = np.arange(first - 1, -1, -1)  # outward from the scan
        k = k[k + period < n]
        miss = np.flatnonzero(np.abs(v[k] - v[k + period]) > tol)
        first -= int(miss[0]) if miss.size else k.size
        k = np.arange(max(first - period, 0), first)
        if not k.size or np.median(np.abs(v[k] - v[k + period])) <= tol:
            first = 0
    if last < n:
        k = np.arange(last, n)
        k = k[k - period >= 0]
        miss = np.flatnonzero(np.abs(v[k] - v[k - period]) > tol)
        last += int(miss[0]) if miss.size else k.size
        k = np.arange(last, min(last + period, n))
        if not k.size or np.median(np.abs(v[k] - v[k - period])) <= tol:
            last = n
    return first, last


def from_image(frames, n, notes):
    found = "; ".join(notes)
    if n < MIN_ROWS * MIN_ROW_LENGTH:
        raise ScanDetectionError(
            f"could not detect the scan: {found}; image content: {n} frame(s) "
            f"are too few (need {MIN_ROWS * MIN_ROW_LENGTH}). Pass "
            "scan_shape=(rows, cols) and scan_start_frame=k to open().")
    v = virtual_bright_field(frames)
    first, last = _junk_ends(v)
    if last - first < MIN_ROWS * MIN_ROW_LENGTH:
        raise ScanDetectionError(
            f"could not detect the scan: {found}; image content: the virtual "
            f"bright field of {n} frames is constant or dark throughout. Pass "
            "scan_shape=(rows, cols) and scan_start_frame=k to open().")
    period, score = row_period(v[first:last], MIN_ROW_LENGTH,
                                (last - first) // MIN_ROWS)
    if period is None or score < MIN_PERIOD_SCORE:
        seen = ("no row period" if period is None else
                f"best row period {period} frames with score {score:.1f} "
                f"(need {MIN_PERIOD_SCORE:g})")
        raise ScanDetectionError(
            f"could not detect the scan: {found}; image content: {seen} in the "
            f"virtual bright field of {n} frames. Pass scan_shape=(rows, cols) "
            "and scan_start_frame=k to open().")
    first, last = _confirm_junk(v, first, last, period)

    layouts = [t for width in candidate_widths(period)  # a few candidates
               if (last - first) // width >= MIN_ROWS
               for t in candidate_layouts(v[first:], ((last - first) // width, width))]
    if not layouts:
        raise ScanDetectionError(
            f"could not detect the scan: {found}; image content: period {period} "
            f"leaves fewer than {MIN_ROWS} rows. Pass scan_shape=(rows, cols) "
            "and scan_start_frame=k to open().")
    best, rival, clear = choose(layouts)
    if not clear:
        raise ScanDetectionError(
            f"could not detect the scan: {found}; image content: row period "
            f"{period} (score {score:.1f}), but {describe(best)} fits "
            f"({best.score:.2f}) hardly better than {describe(rival)} "
            f"({rival.score:.2f}). Pass scan_shape=(rows, cols) and "
            f"scan_start_frame=k to open().")
    shape, winding, h = best.shape, best.winding, best.hysteresis
    rows, width = shape
    frame_index = scan_index_map(n, shape, first, winding, h)
    used = first + rows * width
    start_note = (f"start after {first} beam-blanked or constant frame(s)" if first
                  else "start assumed at frame 0 (no beam-blanked or constant "
                  "frames before the scan; the image content does not show "
                  "where a row begins)")
    evidence = (f"image content: row period {period} (score {score:.1f}); "
                f"{describe(best)}, rows line up {best.score:.2f}")
    if rival is not None:
        evidence += f" ({describe(rival)}: {rival.score:.2f})"
    evidence += f"; {start_note}; {n - used} frame(s) after the scan"
    return ScanDetection(shape, first, winding, h, frame_index, "image_content",
                         rows * width, first, n - used, evidence, True)
