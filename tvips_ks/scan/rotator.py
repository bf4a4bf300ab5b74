"""Scan detection from the rotator index (``rotator_index``, written by EM-Konos).

The 1-based scan-point number, which repeats and skips.  The scan runs from
the first increase to the last increase before the value drops (or the series
ends); the number of points N is the largest value.  Square when N is a
perfect square; otherwise the row length comes from the image content and
must divide N.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ScanDetectionError
from .arrange import apply_winding, index_map_from_rotator, scan_index_map
from .layouts import (MIN_ROW_LENGTH, MIN_ROWS, account, decide, examine, layouts_of,
                      shapes_of)
from .result import ScanDetection
from .signals import DETECTORS, NAMES, scan_signals, with_patterns

__all__ = ["from_rotator"]

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


def from_rotator(headers, n, frames, image_content, notes):
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
    evidence = None
    want_content = image_content is True or side * side != num_points
    if want_content and frames is not None:
        signals, binned = scan_signals(frames, start=start, stop=stop + 1, patterns=True)
        channels, labels = with_patterns(signals[:4, linear - start],
                                         [NAMES[k] for k in DETECTORS], binned[linear - start])
        evidence = examine(channels, labels, num_points // MIN_ROWS, num_points)

    layout, seen = (_rotator_row_length(evidence, num_points) if evidence is not None
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
    if evidence is None:
        note = ("; fly-back or snake not checked (the rotator index does not "
                "record the scan direction; EM-Konos scans are usually snake: "
                "pass winding_scan_axis='x' if rows zig-zag, or call "
                "detect_scan(..., image_content=True))")
    else:
        decision = decide(layouts_of(evidence.z, [shape]), evidence.weights, evidence.floor)
        best, rival = decision.best, decision.rival
        if decision.clear:
            winding, hysteresis = best.winding, best.hysteresis
            note = f"; image content: {account(best)}"
            if rival is not None:
                note += (f" (next {account(rival)}, {decision.margin:.1f} standard "
                         "errors behind)")
        else:
            note = (f"; the image content cannot tell {account(best)} from "
                    f"{account(rival)} ({decision.margin:.1f} standard deviations apart, "
                    f"needs {decision.needed:g}): fly-back assumed, pass "
                    "winding_scan_axis='x' and hysteresis=h if rows zig-zag")
    frame_index = apply_winding(linear.reshape(shape), winding, hysteresis)
    kwargs_map = scan_index_map(n, shape, start, winding, hysteresis, pad=True)
    exact = bool(np.array_equal(kwargs_map, frame_index))
    evidence = found + f"; {how} {shape[0]}x{shape[1]}" + note
    if not exact:
        evidence += ("; repeated or skipped points make frame_index differ from "
                     "as_open_kwargs()")
    return ScanDetection(shape, start, winding, hysteresis, frame_index,
                         "rotator_index", agree, start, n - stop - 1, evidence, exact)


def _rotator_row_length(evidence, num_points):
    """(layout or None, description) of a rotator scan from its detectors in
    scan-point order.  The row length must divide the number of points; a
    square is always a candidate."""
    widths, lags = evidence.widths, evidence.lags
    side = math.isqrt(num_points)
    widths = sorted(set(widths) | ({side} if side * side == num_points else set()))
    widths = [w for w in widths
              if num_points % w == 0 and num_points // w >= MIN_ROWS and w >= MIN_ROW_LENGTH]
    shapes = shapes_of(widths, num_points)
    if not widths:
        return None, ("the image content shows no row length that divides "
                      f"{num_points} (lags where frames are most alike: "
                      f"{', '.join(map(str, lags[:4])) or 'none'})")
    decision = decide(layouts_of(evidence.z, shapes), evidence.weights, evidence.floor)
    if decision.clear and decision.best.left_over:
        return None, (f"the image content fits {account(decision.best)} best, whose row "
                      f"length does not divide {num_points}")
    if not decision.clear:
        return None, (f"the image content fits {account(decision.best)} hardly better "
                      f"than {account(decision.rival)} ({decision.margin:.1f} standard "
                      f"deviations, needs {decision.needed:g}){decision.why}")
    return decision.best, f"{decision.margin:.1f} standard deviations ahead of the next"
