"""Automatic scan detection: shape, start frame and snake of a TVIPS series.

Nothing in a TVIPS file states the scan.  :func:`detect_scan` works it out
from what the acquisition software left behind, trying in order:

1. **Scan positions** (``scan_x``/``scan_y``, EM-Scan): the raster itself.
   The scan starts at the first row 0 that is followed by row 1 (for a
   fly-back scan: the first frame at (y, x) = (0, 0) followed by (0, 1));
   the row length comes from row 1, the height from the rows that follow
   until the positions drop back, and an incomplete last row is left out.
   Fly-back and snake scans (rows alternating direction) are recognised.
2. **Rotator index** (``rotator_index``, EM-Konos): the 1-based scan-point
   number, which repeats and skips.  The scan runs from the first increase
   to the last increase before the value drops (or the series ends); the
   number of points N is the largest value.  Square when N is a perfect
   square; otherwise the row length comes from the image content (3.) and
   must divide N.
3. **Image content**: the row length is the dominant period of the virtual
   bright field (VBF, mean of a central disk per frame), found by
   autocorrelation; the row length (the period, half of it for a snake, or
   one off), fly-back or snake and the snake's hysteresis are chosen by how
   well neighbouring rows line up, and must win clearly.  Beam-blanked
   (dark) or constant frames before and after the scan are left out; without
   them the start is frame 0, since the content does not show where a row
   begins.

The result's ``frame_index`` is the detected position -> frame map (what a
reader should use); ``as_open_kwargs()`` gives the equivalent arguments of
``open`` where they can express it (see ``ScanDetection.kwargs_exact``).
Headers alone decide methods 1 and 2 unless ``image_content=True`` asks for
the frames too (to tell a rotator scan's fly-back from snake); the frames
are read, once and in chunks, only when needed.

A detection that is not confident raises :class:`ScanDetectionError` saying
what was found and which arguments to pass to ``open``.  Everything is
vectorised numpy; the only Python loops run over candidate row lengths,
hysteresis shifts and chunks of frames, never over frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .errors import ArgumentError, ScanDetectionError
from .scan import apply_winding, index_map_from_rotator, scan_index_map
from .vbf import virtual_bright_field

__all__ = ["ScanDetection", "detect_scan"]

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


def detect_scan(ds_or_headers, frames=None, *, image_content=None) -> ScanDetection:
    """Detect the scan of a TVIPS series.

    Parameters
    ----------
    ds_or_headers :
        A dataset with ``.frame_headers`` (a numpy structured array with any
        of the fields ``scan_x``, ``scan_y``, ``rotator_index``) and
        ``.frames`` (an ``(N, h, w)`` array-like), or the structured array of
        frame headers itself, or None when there are no headers.
    frames : array-like, optional
        The ``(N, h, w)`` frames, for the image-content method; defaults to
        the dataset's ``.frames``.
    image_content : None, True or False
        None (default): read the frames only when the headers cannot settle
        the scan.  True: for a rotator-index scan also decide fly-back or
        snake and the hysteresis from the image content (one pass over the
        scan's frames).  False: never read frames.

    Returns
    -------
    ScanDetection

    Raises
    ------
    ScanDetectionError
        When no method gives a confident result.
    """
    headers, frames = _inputs(ds_or_headers, frames)
    if image_content is False:
        frames = None
    num_frames = len(headers) if headers is not None else len(frames)
    notes = []  # what each method found, for the final error message

    if headers is None:
        notes.append("no frame headers")
    else:
        found = _from_positions(headers, num_frames, notes)
        if found is not None:
            return found
        found = _from_rotator(headers, num_frames, frames, image_content, notes)
        if found is not None:
            return found
    if frames is None:
        notes.append("image content: no frames to look at")
        raise ScanDetectionError(
            "could not detect the scan: " + "; ".join(notes)
            + ". Pass scan_shape=(rows, cols) and scan_start_frame=k to open().")
    return _from_image(frames, num_frames, notes)


# -- inputs ---------------------------------------------------------------------------

def _inputs(ds_or_headers, frames):
    if hasattr(ds_or_headers, "frame_headers"):
        headers = ds_or_headers.frame_headers
        if frames is None:
            frames = getattr(ds_or_headers, "frames", None)
    else:
        headers = ds_or_headers
    if headers is not None:
        headers = np.asarray(headers)
        if headers.dtype.names is None or headers.ndim != 1:
            raise ArgumentError(
                "frame headers must be a 1-D numpy structured array, got "
                f"dtype {headers.dtype} and shape {headers.shape}")
    if headers is None and frames is None:
        raise ArgumentError("detect_scan needs frame headers or frames")
    if headers is not None and frames is not None and len(frames) != len(headers):
        raise ArgumentError(
            f"{len(headers)} frame headers but {len(frames)} frames")
    return headers, frames


class _SubStack:
    """Frames ``start .. stop-1`` of a stack, sliced lazily (for the VBF)."""

    def __init__(self, frames, start, stop):
        self._frames, self._start = frames, start
        shape = getattr(frames, "shape", None)
        tail = (tuple(shape)[1:] if shape is not None
                else np.asarray(frames[start:start + 1]).shape[1:])
        self.shape = (stop - start, *tail)

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        i, j, _ = key.indices(self.shape[0])
        return np.asarray(self._frames[self._start + i:self._start + j])


# -- method 1: scan positions ---------------------------------------------------------

def _rounded(values):
    """float32 positions -> int64; non-finite or absurd values become -1."""
    with np.errstate(invalid="ignore"):  # a signalling NaN in the file is just "absent"
        v = np.asarray(values, dtype=np.float64)
    v = np.where(np.isfinite(v) & (np.abs(v) < 2**31), np.rint(v), -1)
    return v.astype(np.int64)


def _snake_map(num_frames, shape, start, parity, hysteresis):
    """Consecutive frames laid out as a snake whose rows of ``parity``
    (0 = even, 1 = odd) run backwards, rolled by ``hysteresis``."""
    index = scan_index_map(num_frames, shape, start, pad=True)
    if parity == 0:
        return apply_winding(index, "x", hysteresis)
    index[1::2] = np.roll(index[1::2, ::-1], hysteresis, axis=-1)
    return index


def _from_positions(headers, n, notes):
    names = headers.dtype.names
    if "scan_x" not in names or "scan_y" not in names:
        notes.append("scan positions: no scan_x/scan_y fields")
        return None
    x = _rounded(headers["scan_x"])
    y = _rounded(headers["scan_y"])
    if n < 2 or not np.any((x != 0) | (y != 0)):
        notes.append("scan positions: all zero")
        return None

    # Anchor on the first run of row-1 frames that follows row 0: unlike
    # (0, 0) it does not depend on the direction of row 0.  Junk before the
    # scan can hold any values, so prefer a run that looks like a whole row
    # (x from 0 to its length - 1) followed by row 2 or by the scan's end.
    change = np.flatnonzero(y[1:] != y[:-1]) + 1
    run_start = np.concatenate(([0], change))
    run_len = np.diff(np.append(run_start, n))
    run_y = y[run_start]
    run_xmax = np.maximum.reduceat(x, run_start)
    prev_y = np.concatenate(([-1], run_y[:-1]))
    next_y = np.append(run_y[1:], -1)
    row1 = (run_y == 1) & (prev_y == 0) & (run_len >= 2)
    clean = row1 & (run_xmax + 1 == run_len) & ((next_y == 2) | (next_y < 1))
    pick = np.flatnonzero(clean if clean.any() else row1)
    if pick.size:
        r1 = int(run_start[pick[0]])
        width = int(run_xmax[pick[0]]) + 1
        if width < 2:
            notes.append(f"scan positions: row 1 at frame {r1} has width {width}")
            return None
        # Row 0 is the longest run of distinct x positions at y=0 right
        # before r1 (at most `width` frames): junk before it is either off
        # row 0 or repeats a position.
        lo = max(r1 - width, 0)
        wx, wy = x[lo:r1], y[lo:r1]
        last_seen = np.zeros(wx.size, dtype=bool)
        _, last = np.unique(wx[::-1], return_index=True)
        last_seen[wx.size - 1 - last] = True  # True at the last occurrence
        bad = np.flatnonzero((wy != 0) | ~last_seen)
        first_real = lo + (int(bad[-1]) + 1 if bad.size else 0)
        # If row 0 is shorter than the others the scan began mid-row: the
        # raster still starts one row before r1, and its missing head is -1.
        start = r1 - width
        # The scan ends where y drops (a new scan, or positions reset).
        drops = np.flatnonzero((y[r1 + 1:] < y[r1:-1]) | (y[r1 + 1:] < 0))
        end = r1 + 1 + int(drops[0]) if drops.size else n
    else:
        # A single row: the first (0, 0) followed by (0, 1), then x counting up.
        starts = np.flatnonzero((x[:-1] == 0) & (y[:-1] == 0)
                                & (x[1:] == 1) & (y[1:] == 0))
        if not starts.size:
            notes.append("scan positions: present, but no frame at (0, 0) "
                         "followed by (0, 1) and no step from row 0 to row 1")
            return None
        start = int(starts[0])
        stops = np.flatnonzero((y[start + 1:] != 0)
                               | (x[start + 1:] != x[start:-1] + 1))
        end = start + 1 + (int(stops[0]) if stops.size else n - start - 1)
        width = end - start
        first_real = start

    # Rows present between start and end: keep the leading rows that are at
    # least half filled, and drop a last row that is not complete.
    xs = np.full(end - start, -1, dtype=np.int64)  # -1: before the series
    ys = xs.copy()
    xs[first_real - start:] = x[first_real:end]
    ys[first_real - start:] = y[first_real:end]
    ok = (xs >= 0) & (xs < width) & (ys >= 0)
    height_max = int(ys[ok].max()) + 1
    per_row = np.bincount(ys[ok], minlength=height_max)
    per_row[0] = max(per_row[0], width)  # a partial row 0 is padded, not dropped
    short = np.flatnonzero(per_row * 2 < width)
    height = int(short[0]) if short.size else height_max
    if height and per_row[height - 1] < width:
        height -= 1
    if height < 1:
        notes.append(f"scan positions: start at frame {start}, width {width}, "
                     "but no complete row")
        return None
    shape = (height, width)
    used = start + height * width

    # Direction of each row from the steps between neighbouring frames.
    xs, ys, ok = xs[:height * width], ys[:height * width], ok[:height * width]
    same_row = ok[1:] & ok[:-1] & (ys[1:] == ys[:-1])
    step = np.sign(xs[1:] - xs[:-1])[same_row]
    direction = np.bincount(ys[:-1][same_row], weights=step, minlength=height)[:height]
    forward = direction > 0
    reverse = direction < 0
    rows = np.arange(height)
    parity = None
    if height > 1 and np.all(reverse == (rows % 2 == 0)) and np.all(forward == (rows % 2 == 1)):
        parity = 0
    elif height > 1 and np.all(forward == (rows % 2 == 0)) and np.all(reverse == (rows % 2 == 1)):
        parity = 1
    elif height == 1 and reverse[0]:
        parity = 0

    if parity is None:
        winding, hysteresis, pattern = None, 0, "fly-back"
        frame_index = scan_index_map(n, shape, start, pad=True)
    else:
        # The first frame of the first reversed row sits at x = W-1+h (mod W).
        first = start + parity * width
        if first < first_real:  # that row's head is missing: use the next one
            first += 2 * width
        h = (int(x[first]) - (width - 1)) % width if first < used else 0
        hysteresis = h - width if h > width // 2 else h
        winding = "x"
        frame_index = _snake_map(n, shape, start, parity, hysteresis)
        pattern = ("snake" if parity == 0 else
                   "snake whose first row runs forward (odd rows reversed)")

    frame_index[frame_index < first_real] = -1  # junk before a partial row 0

    # Frames whose header position is where frame_index puts them.
    f = frame_index.ravel()
    valid = f >= 0
    py, px = np.divmod(np.flatnonzero(valid), width)
    agree = int(np.count_nonzero((y[f[valid]] == py) & (x[f[valid]] == px)))
    in_scan = int(np.count_nonzero(valid))

    evidence = (f"scan positions: {pattern} raster of {height}x{width} from frame "
                f"{start}; {agree} of its {in_scan} frames at their header "
                f"position")
    if agree * 2 < in_scan:  # not a raster after all: let the others try
        notes.append(evidence + ", so the positions do not follow a raster")
        return None
    if hysteresis:
        evidence += f"; reversed rows shifted by {hysteresis} (hysteresis)"
    if parity == 1:
        evidence += ("; open()'s winding convention reverses the even rows, so "
                     "as_open_kwargs() gives this scan mirrored along x: use "
                     "frame_index")
    if first_real > start:
        evidence += (f"; row 0 starts mid-row at frame {first_real}, its first "
                     f"{first_real - start} position(s) have no frame")
    kwargs_map = scan_index_map(n, shape, start, winding, hysteresis, pad=True)
    exact = bool(np.array_equal(kwargs_map, frame_index))
    return ScanDetection(shape, start, winding, hysteresis, frame_index,
                         "scan_position", agree, first_real, n - used, evidence,
                         exact)


# -- method 2: rotator index ----------------------------------------------------------

def _rotator_extent(r):
    """(start, stop) frames of a rotator scan, both inclusive, or None.

    Signed differences: a drop must not count as an increase.
    """
    d = np.diff(r)
    inc = np.flatnonzero(d > 0)
    if not inc.size:
        return None
    i0 = int(inc[0])
    # The frame before the first increase belongs to the scan if it carries
    # a scan point (>= 1).  Its value's run starts the scan -- unless that
    # run is the series' leading constant, whose last frame is taken.
    if r[i0] < 1:
        start = i0 + 1
    else:
        changes = np.flatnonzero(d[:i0] != 0)
        start = int(changes[-1]) + 1 if changes.size else i0
    drops = np.flatnonzero(d[start:] < 0)
    last = start + int(drops[0]) if drops.size else r.size - 1  # last frame before the drop
    inc_before = inc[inc < last]
    stop = int(inc_before[-1]) + 1 if inc_before.size else start
    return start, stop


def _from_rotator(headers, n, frames, image_content, notes):
    names = headers.dtype.names
    if "rotator_index" not in names:
        notes.append("rotator index: no rotator_index field")
        return None
    r = headers["rotator_index"].astype(np.int64)
    extent = _rotator_extent(r) if n >= 2 else None
    if extent is None:
        notes.append("rotator index: never increases")
        return None
    start, stop = extent
    num_points = int(r[stop])
    if num_points < 4 or stop - start < 3:
        notes.append(f"rotator index: only {num_points} scan point(s) from "
                     f"frame {start} to {stop}")
        return None
    if num_points > 2 * (stop - start + 1):
        # fewer frames than half the points can never pass the skipped-points test
        # below; refusing here also keeps a damaged rotator_index (say 3e9) from
        # sizing an allocation
        raise ScanDetectionError(
            f"rotator index: scan from frame {start} to {stop} claims {num_points} points "
            f"for {stop - start + 1} frames: too many skipped points to trust (or a "
            f"damaged rotator_index). Pass scan_shape=(rows, cols), scan_start_frame={start} "
            f"to open().")
    linear = index_map_from_rotator(r, start, stop, num_points)

    seg = r[start:stop + 1]
    in_range = (seg >= 1) & (seg <= num_points)
    chosen = np.zeros(seg.size, dtype=bool)
    chosen[in_range] = linear[seg[in_range] - 1] == np.arange(start, stop + 1)[in_range]
    agree = int(np.count_nonzero(chosen))
    hit = int(np.count_nonzero(np.bincount(seg[in_range], minlength=num_points + 1)))
    found = (f"rotator index: scan from frame {start} to {stop}, {num_points} "
             f"points, {hit} of them with their own frame")
    if hit * 2 < num_points:
        raise ScanDetectionError(
            found + ": too many skipped points to trust. Pass "
            f"scan_shape=(rows, cols), scan_start_frame={start} to open().")

    side = math.isqrt(num_points)
    vbf = None
    want_content = image_content is True or side * side != num_points
    if want_content and frames is not None:
        vbf = virtual_bright_field(_SubStack(frames, start, stop + 1))[linear - start]

    layout, seen = (_rotator_row_length(vbf, num_points) if vbf is not None
                    else (None, "there are no frames to find the row length from"))
    if layout is not None and (side * side != num_points or layout.shape[1] != side):
        shape = layout.shape
        how = f"row length {shape[1]} from the image content ({seen})"
    elif side * side == num_points:
        shape, how = (side, side), "square"
    else:
        raise ScanDetectionError(
            found + f"; {num_points} is not a square and {seen}. Pass "
            f"scan_shape=(rows, cols) with rows*cols={num_points}, "
            f"scan_start_frame={start} to open().")

    winding, hysteresis = None, 0
    if vbf is None:
        note = ("; fly-back or snake not checked (the rotator index does not "
                "record the scan direction; EM-Konos scans are usually snake: "
                "pass winding_scan_axis='x' if rows zig-zag, or call "
                "detect_scan(..., image_content=True))")
    else:
        best, rival, clear = _choose(_layouts(vbf, shape))
        if clear:
            winding, hysteresis = best.winding, best.hysteresis
            note = f"; rows line up {best.score:.2f} as {_describe(best)}"
            if rival is not None:
                note += f" ({_describe(rival)}: {rival.score:.2f})"
        else:
            note = (f"; the image content cannot tell {_describe(best)} "
                    f"({best.score:.2f}) from {_describe(rival)} "
                    f"({rival.score:.2f}): fly-back assumed, pass "
                    "winding_scan_axis='x' if rows zig-zag")
    frame_index = apply_winding(linear.reshape(shape), winding, hysteresis)
    kwargs_map = scan_index_map(n, shape, start, winding, hysteresis, pad=True)
    exact = bool(np.array_equal(kwargs_map, frame_index))
    evidence = found + f"; {how} {shape[0]}x{shape[1]}" + note
    if not exact:
        evidence += ("; repeated or skipped points make frame_index differ from "
                     "as_open_kwargs()")
    return ScanDetection(shape, start, winding, hysteresis, frame_index,
                         "rotator_index", agree, start, n - stop - 1, evidence, exact)


def _rotator_row_length(vbf, num_points):
    """(layout or None, description) of a rotator scan from its VBF in
    scan-point order.  The row length must divide the number of points."""
    period, score = _row_period(vbf, MIN_ROW_LENGTH, num_points // MIN_ROWS)
    if period is None:
        return None, "the image content shows no row period"
    candidates = [w for w in _candidate_widths(period)
                  if num_points % w == 0 and num_points // w >= MIN_ROWS]
    if score < MIN_PERIOD_SCORE or not candidates:
        return None, (f"the image-content period {period} (score {score:.1f}) "
                      f"is not clear (need {MIN_PERIOD_SCORE:g}) or does not "
                      f"divide {num_points}")
    layouts = [t for w in candidates for t in _layouts(vbf, (num_points // w, w))]
    best, rival, clear = _choose(layouts)
    if not clear:
        return None, (f"the image content fits {_describe(best)} "
                      f"({best.score:.2f}) hardly better than {_describe(rival)} "
                      f"({rival.score:.2f})")
    return best, f"period {period}, score {score:.1f}"


# -- method 3: image content ----------------------------------------------------------

def _moving_average(values, width):
    """Centred moving average over ``width`` samples (fewer at the ends)."""
    total = np.concatenate(([0.0], np.cumsum(values)))
    i = np.arange(values.size)
    lo = np.maximum(i - width // 2, 0)
    hi = np.minimum(i + width // 2 + 1, values.size)
    return (total[hi] - total[lo]) / (hi - lo)


def _row_period(signal, min_lag, max_lag):
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


def _candidate_widths(period):
    """Row lengths worth trying for an autocorrelation period.

    A fly-back scan repeats every row and a snake every two rows, so the row
    is the period or half of it; in a noisy signal the peak can also be one
    lag off.  The best candidate is chosen by how well rows line up."""
    widths = {period - 1, period, period + 1}
    widths |= {(period - 1) // 2, period // 2, (period + 1) // 2 + (period % 2 == 0)}
    return sorted(w for w in widths if w >= 2)


class _Layout(NamedTuple):
    """One way of laying a signal out as a scan, and how well it fits."""

    score: float  # mean alignment of neighbouring rows
    se: float  # its standard error (spread over row pairs)
    shape: tuple
    winding: str | None
    hysteresis: int


def _row_alignment(image, margin):
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


def _layouts(values, shape):
    """Fly-back and snake layouts (shifts -8..8 of the reversed rows) of
    ``values``, given in acquisition order, as a scan of ``shape``."""
    rows, width = shape
    image = np.asarray(values[:rows * width], dtype=np.float64).reshape(shape)
    hmax = min(MAX_HYSTERESIS, (width - 1) // 2)
    out = []
    for winding, h in [(None, 0)] + [("x", h) for h in range(-hmax, hmax + 1)]:
        pairs = _row_alignment(apply_winding(image, winding, h), hmax)
        se = pairs.std() / math.sqrt(pairs.size) if pairs.size > 1 else math.inf
        out.append(_Layout(float(pairs.mean()), float(se), shape, winding, h))
    return out


def _choose(layouts):
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


def _describe(layout):
    rows, width = layout.shape
    return f"{_pattern(layout.winding, layout.hysteresis)} {rows}x{width}"


def _pattern(winding, hysteresis):
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


def _from_image(frames, n, notes):
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
    period, score = _row_period(v[first:last], MIN_ROW_LENGTH,
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

    layouts = [t for width in _candidate_widths(period)  # a few candidates
               if (last - first) // width >= MIN_ROWS
               for t in _layouts(v[first:], ((last - first) // width, width))]
    if not layouts:
        raise ScanDetectionError(
            f"could not detect the scan: {found}; image content: period {period} "
            f"leaves fewer than {MIN_ROWS} rows. Pass scan_shape=(rows, cols) "
            "and scan_start_frame=k to open().")
    best, rival, clear = _choose(layouts)
    if not clear:
        raise ScanDetectionError(
            f"could not detect the scan: {found}; image content: row period "
            f"{period} (score {score:.1f}), but {_describe(best)} fits "
            f"({best.score:.2f}) hardly better than {_describe(rival)} "
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
                f"{_describe(best)}, rows line up {best.score:.2f}")
    if rival is not None:
        evidence += f" ({_describe(rival)}: {rival.score:.2f})"
    evidence += f"; {start_note}; {n - used} frame(s) after the scan"
    return ScanDetection(shape, first, winding, h, frame_index, "image_content",
                         rows * width, first, n - used, evidence, True)
