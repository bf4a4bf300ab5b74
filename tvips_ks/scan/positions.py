"""Scan detection from scan positions (``scan_x``/``scan_y``, written by EM-Scan).

The raster itself: the scan starts at the first row 0 that is followed by row
1 (for a fly-back scan: the first frame at (y, x) = (0, 0) followed by
(0, 1)); the row length comes from row 1, the height from the rows that follow
until the positions drop back, and an incomplete last row is left out.
Fly-back and snake scans (rows alternating direction) are recognised.
"""

from __future__ import annotations

import numpy as np

from .arrange import apply_winding, scan_index_map
from .result import ScanDetection

__all__ = ["from_positions"]

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


def from_positions(headers, n, notes):
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
                         "scan_position", agree, first_real, max(0, n - used), evidence,
                         exact)


