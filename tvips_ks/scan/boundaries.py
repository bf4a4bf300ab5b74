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
cannot move the row boundaries.  It decides the row length; the winding
and hysteresis are then left to :func:`.layouts.decide`, except that a
snake's wrap column can name the hysteresis (below).

A snake scan with hysteresis h is read differently: ``open()``'s
hysteresis is a cyclic shift of the reversed (even) rows, so inside each
of them the beam jumps across the row once, between frames h - 1 and h
(h > 0; W + h - 1 and W + h for h < 0); and its two turns are steps in two
different directions, so they may stand out with opposite signs.  The
rows of each parity are therefore judged apart: the last column must
stand out in both, no other column in the odd rows, and at most one (the
wrap, which gives h) in the even rows.
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
#: A weaker boundary column (standard errors) that counts only when the
#: layouts of that row length then decide the winding clearly on their own
#: (see :func:`.content._by_boundaries`).
WEAK_STRENGTH = 5.0
#: Standard errors another column of the row may stand out by (at most half
#: the boundary's): more, and it is a boundary too.
OTHER = 5.0
#: Fewest rows for the evidence to count (in each parity, for a snake).
MIN_ROWS = 8
MIN_ROWS_PARITY = 5
#: Largest hysteresis a wrap column may name (as :data:`.layouts.MAX_HYSTERESIS`).
MAX_HYSTERESIS = 8


class Boundaries(NamedTuple):
    width: int | None  # the row length the boundaries show, or None
    strength: float  # its boundary column, in standard errors
    agree: float  # share of rows whose boundary stands out the same way
    why: str  # what was found, for evidence and refusals
    hysteresis: int | None = None  # a snake's hysteresis named by its wrap column
    wrap: float = 0.0  # how far that wrap column stands out, in standard errors


def _column_t(contrast):
    """Per column, the mean contrast over the rows in standard errors, and
    the share of rows whose last column stands out the same way."""
    rows = contrast.shape[0]
    sd = contrast.std(axis=0, ddof=1)
    mean = contrast.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(sd > 0, mean / (sd / math.sqrt(rows)), 0.0)
    last = contrast[:, -1]
    agree = float(np.mean(np.sign(last) == np.sign(mean[-1]))) if mean[-1] else 0.0
    return t, agree


def _contrast(step, width):
    """Per row of ``width`` frames (all but the last), the difference to the
    next frame at each column less the median difference inside the row."""
    rows = (step.size + 1) // width
    inside = step[:(rows - 1) * width].reshape(rows - 1, width)
    return inside - np.median(inside[:, :-1], axis=1, keepdims=True)


def _strength(step, width):
    """(t, share of rows agreeing, largest |t| of another column) of the
    boundary column of rows of ``width`` frames: per row, the difference to
    the next frame at the last column less the median difference inside
    the row; the other columns likewise."""
    rows = (step.size + 1) // width
    if rows - 1 < MIN_ROWS:
        return 0.0, 0.0, math.inf
    t, agree = _column_t(_contrast(step, width))
    return float(t[-1]), agree, float(np.abs(t[:-1]).max())


def _snake(step, width, strength=STRENGTH):
    """(hysteresis, weakest |t| of the turns, weakest agreement, |t| of the
    wrap column) when rows of ``width`` frames show a snake's boundaries;
    None otherwise.

    Each parity of rows on its own: the turn (last column) stands out in
    both; in the odd rows nothing else does, in the even rows at most one
    column, the wrap of the cyclic shift, which names the hysteresis."""
    rows = (step.size + 1) // width
    if (rows - 1) // 2 < MIN_ROWS_PARITY:
        return None
    contrast = _contrast(step, width)
    hmax = min(MAX_HYSTERESIS, (width - 1) // 2)
    turns, agrees, wraps = [], [], []
    for parity in (0, 1):
        t, agree = _column_t(contrast[parity::2])
        if abs(t[-1]) < strength or agree < AGREE:
            return None
        loud = np.flatnonzero(np.abs(t[:-1]) >= max(OTHER, abs(t[-1]) / 2))
        turns.append(abs(float(t[-1])))
        agrees.append(agree)
        wraps.append(loud)
        if parity == 0:
            even = t
    if wraps[1].size or wraps[0].size > 1:
        return None
    if not wraps[0].size:
        return 0, min(turns), min(agrees), 0.0
    e = int(wraps[0][0])  # the jump from frame e to e + 1 of a reversed row
    h = e + 1 if e + 1 <= hmax else e + 1 - width
    if not -hmax <= h <= hmax or h == 0:
        return None
    return h, min(turns), min(agrees), abs(float(even[e]))


def row_boundaries(z, widths, strength=STRENGTH):
    """The row length among ``widths`` (each dividing the frames of ``z``,
    ``(K, n)``: the weighted channels) whose boundaries stand out in every
    row and no other column does (or, for a snake, in the rows of each
    parity, a wrap column aside): the shortest one, provided every other
    that does is a multiple of it (k rows of the scan)."""
    zt = np.ascontiguousarray(z.T)
    step = ((zt[1:] - zt[:-1]) ** 2).sum(axis=1)  # frame i to frame i + 1
    found = []
    for w in sorted(widths):
        # A snake's wrap column first: a fly-back reading would take it
        # for a column that merely stands out less than the turn.
        snake = _snake(step, w, strength)
        if snake is not None and snake[0]:
            found.append((w, *snake))
            continue
        t, agree, other = _strength(step, w)
        # Only the last column may stand out: another one that does is a
        # boundary too (two rows in one, or a snake's turns alternating).
        if abs(t) >= strength and agree >= AGREE and other < max(OTHER, abs(t) / 2):
            found.append((w, None, abs(t), agree, 0.0))
        elif snake is not None:
            found.append((w, *snake))
    if not found:
        return Boundaries(None, 0.0, 0.0, "no row length shows its boundaries in every row")
    w, h, t, agree, wrap = found[0]
    others = [f[0] for f in found[1:] if f[0] % w]
    if others:
        return Boundaries(None, t, agree, f"rows of {w} and of {others[0]} frames both show "
                                          "boundaries in every row")
    why = (f"row boundaries every {w} frames stand out by {t:.1f} standard errors, the "
           f"same way in {100 * agree:.0f} % of the rows")
    if h is None:
        return Boundaries(w, t, agree, why)
    if h:
        why += (f" of each parity, and the reversed rows wrap after {h if h > 0 else w + h} "
                f"frame(s) (a snake with hysteresis {h}, by {wrap:.1f} standard errors)")
    else:
        why += " of each parity"
    return Boundaries(w, t, agree, why, h if h else None, wrap)
