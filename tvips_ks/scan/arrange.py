"""Scan reconstruction: which frame of a series sits at which scan position.

A TVIPS series is a flat run of frames; nothing in the files records the
scan.  The functions here turn a scan description into an explicit
position -> frame map (an ``int64`` array of the scan's shape, ``-1`` where a
position has no frame), so that readers can fancy-index the frame stack once
and never loop per frame.

Two ways of describing a scan are supported:

* :func:`scan_index_map` -- a shape, a start frame and an optional snake
  ("winding") correction with hysteresis, with the same semantics as
  RosettaSciIO's ``scan_shape``/``scan_start_frame``/``winding_scan_axis``/
  ``hysteresis`` arguments (frames taken one per position, in C order);
* :func:`index_map_from_rotator` -- a rotator-index scan (EM-Konos), whose
  per-frame scan-point numbers repeat and skip, resolved the way the
  reference reader does it.

:func:`apply_winding` exposes the snake correction on its own, for maps that
did not come from consecutive frames.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ArgumentError, TvipsWarning, warn
from .options import as_int, as_shape, normalize_winding_axis

__all__ = ["scan_index_map", "index_map_from_rotator", "apply_winding", "MAX_PADDED_POSITIONS"]

#: A scan may have more positions than the series has frames (``pad=True``), up
#: to this many (a 2 GiB map); beyond it the shape is surely a mistake.
MAX_PADDED_POSITIONS = 2**28


def apply_winding(index, winding_scan_axis, hysteresis=0):
    """Undo a snake (meander) scan on a position -> frame map; returns a copy.

    ``index`` has the scan's shape, frames laid out in acquisition order
    (C order).  The semantics are RosettaSciIO's:

    * ``"x"``: on every even row (rows 0, 2, 4, ... of the second-to-last
      axis) reverse the order along x, then ``np.roll`` those rows by
      ``hysteresis`` along x;
    * ``"y"``: the same for every even column (0, 2, 4, ... of the last
      axis), reversed and rolled along the second-to-last axis;
    * ``None``: no change (``hysteresis`` is then ignored).

    The roll is cyclic: frames shifted off one end of a row reappear at the
    other end.  Leading axes (e.g. ``(t, y, x)``) are treated independently.
    ``hysteresis`` may be negative.
    """
    axis = normalize_winding_axis(winding_scan_axis)
    hysteresis = as_int(hysteresis, "hysteresis")
    out = np.array(index, copy=True)
    if axis is None:
        return out
    if out.ndim < 2:
        raise ArgumentError(
            f"winding_scan_axis={winding_scan_axis!r} needs at least 2 scan "
            f"axes, but scan_shape is {out.shape}")
    if axis == "x":
        out[..., ::2, :] = np.roll(out[..., ::2, ::-1], hysteresis, axis=-1)
    else:
        out[..., :, ::2] = np.roll(out[..., ::-1, ::2], hysteresis, axis=-2)
    return out


def scan_index_map(num_frames, scan_shape, scan_start_frame=0,
                   winding_scan_axis=None, hysteresis=0, pad=False):
    """Position -> frame map for a scan of consecutive frames.

    Parameters
    ----------
    num_frames : int
        Number of frames in the series (frames ``0 .. num_frames-1``).
    scan_shape : tuple of int
        The scan's shape, any number (>= 1) of positive sizes, e.g.
        ``(rows, cols)`` or ``(t, rows, cols)``.
    scan_start_frame : int
        Frame at the first position; positions follow in C order, one frame
        each.  May be negative: the leading positions then have no frame
        (``-1``), like LiberTEM's negative ``sync_offset``.
    winding_scan_axis : None, "x" (or 0), "y" (or 1)
        Snake-scan correction, see :func:`apply_winding`.
    hysteresis : int
        Cyclic shift of the reversed rows (columns) of a snake scan.  Has no
        effect when ``winding_scan_axis`` is None.
    pad : bool
        What to do when the scan runs past the last frame: ``False`` raises
        :class:`ArgumentError`, ``True`` marks those positions ``-1``.

    Returns
    -------
    numpy.ndarray of int64, shape ``scan_shape``
        The frame behind each position, ``-1`` where there is none.
    """
    num_frames = as_int(num_frames, "num_frames")
    if num_frames < 0:
        raise ArgumentError(f"num_frames must be >= 0, got {num_frames}")
    shape = as_shape(scan_shape)
    start = as_int(scan_start_frame, "scan_start_frame")
    axis = normalize_winding_axis(winding_scan_axis)
    hysteresis = as_int(hysteresis, "hysteresis")
    if axis is not None and len(shape) < 2:
        raise ArgumentError(
            f"winding_scan_axis={winding_scan_axis!r} needs at least 2 scan "
            f"axes, but scan_shape is {shape}")

    total = math.prod(shape)  # Python int: no overflow for absurd shapes
    if total > max(num_frames, MAX_PADDED_POSITIONS):
        raise ArgumentError(
            f"scan_shape {shape} has {total} positions but the series has only "
            f"{num_frames} frames; a map of that many positions would need "
            f"{total * 8 / 2**30:.3g} GiB. Check scan_shape")
    end = start + total  # one past the last frame the scan wants
    if end > num_frames and not pad:
        first = max(start, 0)
        raise ArgumentError(
            f"scan_shape {shape} starting at frame {start} needs frames "
            f"{first} to {end - 1} ({end - first} frames), but the series has "
            f"{num_frames} frame(s) (0 to {num_frames - 1}); pass pad=True to "
            f"mark the missing positions -1, or give a smaller scan_shape or "
            f"an earlier scan_start_frame")
    if start >= num_frames or end <= 0:
        warn(TvipsWarning(
            f"scan_shape {shape} from frame {start} holds no frame of the {num_frames} in the "
            f"series: every position reads as zeros. Check scan_start_frame"))
        return np.full(shape, -1, dtype=np.int64)

    index = np.arange(start, end, dtype=np.int64).reshape(shape)
    index = apply_winding(index, axis, hysteresis)
    # Padding is decided on frame numbers, so it follows the winding.
    index[(index < 0) | (index >= num_frames)] = -1
    return index


def index_map_from_rotator(rotator_index, start, stop, num_positions):
    """Position -> frame map (1-D, ``num_positions`` long) for a rotator scan.

    ``rotator_index`` holds, per frame, the 1-based scan point the frame
    belongs to (EM-Konos).  Frames ``start .. stop`` (both inclusive) form
    the scan; within it values may repeat (several frames per point) or skip
    (points without a frame).  Resolution follows the reference reader
    (RosettaSciIO's ``_guess_scan_index_grid``):

    * a run of frames with value ``v`` followed by a run with value ``w``
      covers positions ``v-1 .. w-2``: its frames in order, then its last
      frame repeated for the positions left (skipped values); frames beyond
      ``w-v`` of a long run are not used;
    * the last run covers ``v-1`` to the end with its first frame;
    * positions before the first value get the first frame.

    For example ``r = [1, 3, 3, 4, 5, 5, 9, 0, 0]``, ``start=0``, ``stop=6``
    gives ``[0, 0, 1, 3, 4, 5, 5, 5, 6]``.

    Unlike the reference the arithmetic is signed (``int64``), and a value
    lower than an earlier one inside the range is treated as a repeat of
    the running maximum, so the result is defined for any input.
    """
    r = np.asarray(rotator_index)
    if r.ndim != 1:
        raise ArgumentError(
            f"rotator_index must be 1-D, got shape {r.shape}")
    start = as_int(start, "start")
    stop = as_int(stop, "stop")
    num_positions = as_int(num_positions, "num_positions")
    if not 0 <= start <= stop < r.size:
        raise ArgumentError(
            f"need 0 <= start <= stop < {r.size} (the number of frames), "
            f"got start={start}, stop={stop}")
    if num_positions < 1:
        raise ArgumentError(f"num_positions must be >= 1, got {num_positions}")

    # Signed copy: unsigned differences turn a drop into a huge increase.
    seg = r[start:stop + 1].astype(np.int64)
    level = np.maximum.accumulate(seg)
    new_run = np.empty(level.size, dtype=bool)
    new_run[0] = True
    np.greater(level[1:], level[:-1], out=new_run[1:])
    run_start = np.flatnonzero(new_run)  # frame offset of each run
    run_value = level[run_start]
    run_length = np.diff(np.append(run_start, level.size))

    value = np.arange(1, num_positions + 1, dtype=np.int64)  # 1-based points
    run = np.searchsorted(run_value, value, side="right") - 1
    before_first = run < 0
    run = np.maximum(run, 0)
    step = value - run_value[run]  # how far past the run's own value
    used = np.minimum(step, run_length[run] - 1)
    used[run == run_start.size - 1] = 0  # last run: its first frame
    used[before_first] = 0
    return run_start[run] + used + start
