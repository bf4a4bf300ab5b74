"""Row length from the row boundaries: where consecutive frames jump.

Consecutive frames of a scan are neighbours on the specimen, except across
a row boundary: a fly-back scan jumps from the end of one row to the start
of the next, and a snake scan turns to the row below, a step in another
direction.  So the difference between consecutive frames, taken at the
last column of a row of the right length, stands out from the rest of that
row -- in every row.  A row length that is not the scan's (W + 1, or W / 2)
puts that column on boundaries in some rows and not in others.

This is evidence of a different kind from the vertical neighbours of
:mod:`.layouts`: a crystal lattice can make diagonal neighbours more alike
than vertical ones (so the layout one frame longer fits better), but it
cannot move the row boundaries.  It decides only the row length; the
winding and hysteresis are then left to :func:`.layouts.decide`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = ["Boundaries", "row_boundaries"]

#: Standard errors by which the boundary column must stand out, on average
#: over the rows, and the share of rows in which it must stand out the same
#: way, for a row length to count.
STRENGTH = 8.0
AGREE = 0.9
#: Standard errors another column of the row may stand out by (at most half
#: the boundary's): more, and it is a boundary too.
OTHER = 5.0
#: Fewest rows for the evidence to count.
MIN_ROWS = 8


class Boundaries(NamedTuple):
    width: int | None  # the row length the boundaries show, or None
    strength: float  # its boundary column, in standard errors
    agree: float  # share of rows whose boundary stands out the same way
    why: str  # what was found, for evidence and refusals


def _strength(step, width):
    """(t, share of rows agreeing, largest |t| of another column) of the
    boundary column of rows of ``width`` frames: per row, the difference to
    the next frame at the last column less the median difference inside
    the row; the other columns likewise."""
    rows = (step.size + 1) // width
    if rows - 1 < MIN_ROWS:
        return 0.0, 0.0, math.inf
    inside = step[:(rows - 1) * width].reshape(rows - 1, width)
    contrast = inside - np.median(inside[:, :-1], axis=1, keepdims=True)
    sd = contrast.std(axis=0, ddof=1)
    mean = contrast.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(sd > 0, mean / (sd / math.sqrt(rows - 1)), 0.0)
    last = contrast[:, -1]
    agree = float(np.mean(np.sign(last) == np.sign(mean[-1]))) if mean[-1] else 0.0
    return float(t[-1]), agree, float(np.abs(t[:-1]).max())


def row_boundaries(z, widths):
    """The row length among ``widths`` (each dividing the frames of ``z``,
    ``(K, n)``: the weighted channels) whose boundaries stand out in every
    row and no other column does: the shortest one, provided every other
    that does is a multiple of it (k rows of the scan)."""
    zt = np.ascontiguousarray(z.T)
    step = ((zt[1:] - zt[:-1]) ** 2).sum(axis=1)  # frame i to frame i + 1
    found = []
    for w in sorted(widths):
        t, agree, other = _strength(step, w)
        # Only the last column may stand out: another one that does is a
        # boundary too (two rows in one, or a snake's turns alternating).
        if abs(t) >= STRENGTH and agree >= AGREE and other < max(OTHER, abs(t) / 2):
            found.append((w, t, agree))
    if not found:
        return Boundaries(None, 0.0, 0.0, "no row length shows its boundaries in every row")
    w, t, agree = found[0]
    others = [v for v, _, _ in found[1:] if v % w]
    if others:
        return Boundaries(None, t, agree, f"rows of {w} and of {others[0]} frames both show "
                                          "boundaries in every row")
    return Boundaries(w, t, agree, f"row boundaries every {w} frames stand out by {abs(t):.1f} "
                                   f"standard errors, the same way in {100 * agree:.0f} % of "
                                   "the rows")
