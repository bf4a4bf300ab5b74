"""Scan detection from image content: which layout makes the rows line up.

One pass over the frames gives several virtual detectors and the binned
patterns (:mod:`.signals`: bright field, annular dark field, centre of
mass, and the principal components of the whole patterns).  Beam-blanked
(dark) or constant frames before and after the scan are set aside; the
frames left are the scan, from its first frame (or frame 0 when nothing is
set aside: the content does not show where a row begins).  Row lengths are
taken from the lags at which frames are most alike (a row, or for a snake
two rows, apart) and from the divisors of the number of scan frames; every
fly-back and snake layout of those lengths, and of the lengths one shorter
and one longer, is scored by how well vertical neighbours agree
(:mod:`.layouts`), and one that explains every scan frame is preferred.
The best must win clearly; where it does not (a crystal lattice can make
diagonal neighbours more alike than vertical ones), the row boundaries
(:mod:`.boundaries`) may still give the row length, and the vertical or
else the best diagonal neighbours (:mod:`.diagonal`) the winding of that
length.  Otherwise the method refuses and names the two best layouts with
the arguments that give them.
"""

from __future__ import annotations

import numpy as np

from ..errors import ScanDetectionError
from .arrange import scan_index_map
from .boundaries import STRENGTH, WEAK_STRENGTH, row_boundaries
from .diagonal import diagonal_layouts
from .layouts import (MAX_ASPECT, MIN_ROW_LENGTH, MIN_ROWS, account, decide, examine,
                      layouts_of, open_arguments, shapes_of)
from .result import ScanDetection
from .signals import DETECTORS, NAMES, scan_signals, with_patterns

__all__ = ["from_image", "refusal"]

_OWN = "or your own scan_shape=(rows, cols) and scan_start_frame=k, to open()"


def _junk_ends(bf, total):
    """Leading and trailing runs of frames that are not scan frames.

    A junk frame is beam-blanked -- its bright field or its total intensity
    far below the series' typical level: under half the median, or (bright
    field) under q10 - 2 (q50 - q10), about 3.8 standard deviations under the
    mean of a normal distribution -- or repeats the first (last) frame's
    bright field exactly, as a constant or frozen frame does.  These are
    only candidates: see :func:`_confirm_junk`.  Returns (first scan frame,
    one past the last)."""
    n = bf.size
    q10, q50 = np.percentile(bf, [10, 50])
    dark = total < 0.5 * np.median(total)
    # A blanked beam darkens the whole frame; only when no end is dark as a
    # whole is a dark bright field taken for it (a thick area darkens the
    # bright field alone).
    if not (dark[0] or dark[-1]):
        dark = (bf < q10 - 2.0 * (q50 - q10)) | (bf < 0.5 * q50)
    lead = dark | (bf == bf[0])
    trail = dark | (bf == bf[-1])
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


def _confirm_junk(z, first, last, period):
    """Check the junk candidates against the row structure.

    Scan frames resemble the frames one period away (the same place one row,
    or for a snake two rows, over); junk does not.  Frames at the edge of a
    junk run that do resemble them are scan frames after all (e.g. a dark
    spot of the specimen), and a run whose frames do not differ from the
    frames a period away is not junk.  ``z`` holds the scaled detectors of
    every frame.  Returns (first, last) again."""
    n = z.shape[1]

    def apart(k, other):  # distance of frames k to frames other, all detectors
        return np.sqrt(((z[:, k] - z[:, other]) ** 2).sum(axis=0))

    inner = apart(np.arange(first, last - period), np.arange(first + period, last))
    tol = 4.0 * (np.median(inner) if inner.size else 0.0)
    if first:
        k = np.arange(first - 1, -1, -1)  # outward from the scan
        k = k[k + period < n]
        miss = np.flatnonzero(apart(k, k + period) > tol)
        first -= int(miss[0]) if miss.size else k.size
        k = np.arange(max(first - period, 0), first)
        if not k.size or np.median(apart(k, k + period)) <= tol:
            first = 0
    if last < n:
        k = np.arange(last, n)
        k = k[k - period >= 0]
        miss = np.flatnonzero(apart(k, k - period) > tol)
        last += int(miss[0]) if miss.size else k.size
        k = np.arange(last, min(last + period, n))
        if not k.size or np.median(apart(k, k - period)) <= tol:
            last = n
    return first, last


def _dark_ends(total):
    """(frames at the start, one past the last frame before the end) whose
    total intensity is at most a quarter of the median frame's."""
    n = total.size
    dark = total <= 0.25 * np.median(total)
    lead = int(np.argmin(dark)) if not dark.all() else n
    trail = n - (int(np.argmin(dark[::-1])) if not dark.all() else n)
    return lead, trail


def _constant_ends(signals):
    """(frames at the start, one past the last frame before the end) that
    repeat the first (last) frame exactly, runs of at least 2."""
    n = signals.shape[1]
    same_first = np.all(signals == signals[:, :1], axis=0)
    same_last = np.all(signals == signals[:, -1:], axis=0)
    lead = int(np.argmin(same_first)) if not same_first.all() else n
    trail = n - (int(np.argmin(same_last[::-1])) if not same_last.all() else n)
    return (lead if lead >= 2 else 0), (trail if n - trail >= 2 else n)


def weights_text(weights):
    used = [f"{k} {w:.2f}" for k, w in sorted(weights.items(), key=lambda kv: -kv[1])
            if w >= 0.005]
    return "detectors weighted " + (", ".join(used) if used else "none (no structure)")


def refusal(found, decision, start):
    """The ScanDetectionError text for a decision that is not clear."""
    best, rival = decision.best, decision.rival
    why = (f"{account(best)}; but next, {account(rival)}: better by "
           f"{decision.margin:.1f} standard deviations (needs {decision.needed:g}, with "
           f"no third of the scan clearly against it){decision.why}")
    return (f"could not detect the scan: {found}image content ({weights_text(decision.weights)}): "
            f"{why}. Pass {open_arguments(best, start)} (the best), or "
            f"{open_arguments(rival, start)} (the next), {_OWN}.")


def _by_boundaries(seen, count, decision):
    """(Boundaries, decision): the row length from the row boundaries among
    those that explain every frame, and the winding decided among the
    layouts of that length; or the given decision, its refusal noting what
    the boundaries showed.

    The winding is decided by the vertical neighbours, or where they leave
    it open (a lattice can make them as unlike as unrelated frames) by the
    best diagonal ones (:mod:`.diagonal`).  A snake's wrap column names its
    hysteresis: then the layout of that hysteresis is also taken if it fits
    its vertical neighbours best of that length (a lattice can make a shift
    by its period fit nearly as well, so that no margin is clear), and never
    one the wrap contradicts."""
    widths = [w for w in range(MIN_ROW_LENGTH, count // MIN_ROWS + 1)
              if count % w == 0 and max(w, count // w) <= MAX_ASPECT * min(w, count // w)]
    bounds = row_boundaries(seen.z, widths)
    weak = bounds.width is None
    if weak:
        # Weaker boundaries count only if that row length's own layouts
        # then decide clearly (vertical or diagonal neighbours), no wrap
        # column's word taken instead.
        bounds = row_boundaries(seen.z, widths, WEAK_STRENGTH)
        if bounds.width is None:
            return None, decision._replace(why=decision.why + f"; row boundaries: {bounds.why}")
    shape = (count // bounds.width, bounds.width)
    wrap = bounds.hysteresis

    def agrees(layout):
        return wrap is None or (layout.winding == "x" and layout.hysteresis == wrap)

    within = decide(layouts_of(seen.z, [shape]), seen.weights, seen.floor)
    found = None
    if within.clear and agrees(within.best):
        found = bounds, within
    elif wrap is not None and (not weak or bounds.wrap >= STRENGTH) and not within.clear \
            and agrees(within.best):
        found = bounds, within._replace(clear=True)
    else:
        diagonal = decide(diagonal_layouts(seen.z, shape), seen.weights, seen.floor)
        if diagonal.clear and agrees(diagonal.best) and not (
                within.clear and within.best != diagonal.best):
            best = next(t for t in layouts_of(seen.z, [shape])
                        if (t.winding, t.hysteresis) ==
                        (diagonal.best.winding, diagonal.best.hysteresis))
            found = (bounds._replace(why=bounds.why + "; winding from the best diagonal "
                                                      f"neighbours ({account(diagonal.best)})"),
                     within._replace(best=best, rival=None, margin=diagonal.margin,
                                     clear=True))
    if found is None:
        return None, decision._replace(
            why=decision.why + f"; row boundaries: {bounds.why}, but of that length "
                               f"{account(within.best)} is not clearly the best")
    # A wrap column rules the half rows out: a snake of rows half as long
    # would wrap in every row of this length, not in every other one.
    half = _half_rows_fit(seen.z, count, found[1].best) if wrap is None else None
    if half is not None:
        return None, decision._replace(
            why=decision.why + f"; row boundaries: {bounds.why}, but rows half as long fit "
                               f"better ({account(half)}: a snake whose turns at one end "
                               "do not stand out?)")
    return found


def _half_rows_fit(z, count, best):
    """A layout of rows half as long as ``best``'s that fits its vertical
    neighbours better, or None.  A snake whose turns at one end do not
    stand out shows boundaries every two rows only; its own rows should
    then fit better than the pairs of rows."""
    width = best.shape[1]
    if width % 2 or width // 2 < MIN_ROW_LENGTH:
        return None
    halves = layouts_of(z, [(count // (width // 2), width // 2)])
    better = min(halves, key=lambda t: t.mismatch)
    return better if better.mismatch < best.mismatch else None


def _refuse(found, what):
    raise ScanDetectionError(f"could not detect the scan: {found}image content: {what}. Pass "
                             f"scan_shape=(rows, cols) and scan_start_frame=k to open().")


def from_image(frames, n, notes):
    found = "; ".join(notes) + ("; " if notes else "")
    if n < MIN_ROWS * MIN_ROW_LENGTH:
        _refuse(found, f"{n} frame(s) are too few (need {MIN_ROWS * MIN_ROW_LENGTH})")
    signals, binned = scan_signals(frames, patterns=True)
    first, last = _junk_ends(signals[0], signals[4])
    if last - first < MIN_ROWS * MIN_ROW_LENGTH:
        _refuse(found, f"the virtual bright field of {n} frames is constant or dark throughout")
    names = [NAMES[k] for k in DETECTORS]
    seen = examine(*with_patterns(signals[:4, first:last], names, binned[first:last]),
                   (last - first) // MIN_ROWS)
    if not seen.lags or not any(seen.weights.values()):
        _refuse(found, f"no detector shows structure along the {last - first} scan frame(s)")
    # Junk is judged on the detectors that show the scan, in the scan's units.
    scale = np.std(signals[:4, first:last], axis=1)
    w = np.array([sum(v for label, v in seen.weights.items() if label.startswith(k))
                  for k in names])
    if not w.any():  # only the patterns show the scan: every detector alike
        w = np.ones(len(names))
    z = (signals[:4] - signals[:4, first:last].mean(axis=1, keepdims=True)) * (
        np.sqrt(w) / np.where(scale > 0, scale, 1.0))[:, None]
    first, last = _confirm_junk(z, first, last, seen.lags[0])
    # Frames identical in every detector to the first (last) frame are never
    # scan frames, whatever the row structure says.
    lead, trail = _constant_ends(signals)
    first, last = max(first, lead), min(last, trail)
    # Nor are frames with a quarter of the typical intensity or less: the
    # row structure cannot re-admit them (at low dose it is judged on
    # detectors, such as the centre of mass, in which a dark frame looks
    # like any other).
    lead, trail = _dark_ends(signals[4])
    first, last = max(first, lead), min(last, trail)
    if last - first < MIN_ROWS * MIN_ROW_LENGTH:
        _refuse(found, f"only {max(last - first, 0)} frame(s) are neither blank nor constant")
    count = last - first
    channels, labels = with_patterns(signals[:4, first:last], names, binned[first:last])
    seen = examine(channels, labels, count // MIN_ROWS, count)
    weights = seen.weights
    shapes = shapes_of(seen.widths, count)
    layouts = layouts_of(seen.z, shapes)
    if not layouts or not any(weights.values()):
        _refuse(found, f"no row length leaves {MIN_ROWS} rows of the {count} scan frames, "
                       "or no detector shows structure")
    decision = decide(layouts, weights, seen.floor)
    bounds = None
    if not decision.clear:
        # The vertical neighbours leave it open (a lattice can make diagonal
        # ones more alike): the row boundaries may still show the length.
        bounds, decision = _by_boundaries(seen, count, decision)
    if not decision.clear:
        raise ScanDetectionError(refusal(found, decision, first))
    best = decision.best
    rows, width = best.shape
    frame_index = scan_index_map(n, best.shape, first, best.winding, best.hysteresis)
    used = first + rows * width
    start_note = (f"start after {first} beam-blanked or constant frame(s)" if first
                  else "start assumed at frame 0 (no beam-blanked or constant "
                  "frames before the scan; the image content does not show "
                  "where a row begins)")
    evidence = f"image content: {account(best)}"
    if bounds is not None:
        evidence += f" (row length from the row boundaries: {bounds.why})"
    if decision.rival is not None:
        evidence += (f"; next best {account(decision.rival)}, beaten by "
                     f"{decision.margin:.1f} standard deviations (needed {decision.needed:g})")
    evidence += (f"; mismatch = mean square difference of vertical neighbours, 0 = "
                 f"identical, 1 = unrelated; {weights_text(weights)}; {start_note}; "
                 f"{n - used} frame(s) after the scan")
    return ScanDetection(best.shape, first, best.winding, best.hysteresis, frame_index,
                         "image_content", rows * width, first, n - used, evidence, True)
