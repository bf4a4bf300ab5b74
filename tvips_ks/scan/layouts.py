"""Scoring candidate scan layouts against the virtual detectors.

A layout (rows x width, fly-back or snake with a hysteresis) says which
frame lies under which: in the right one, vertically neighbouring positions
are about as alike as horizontally neighbouring ones, whatever the specimen;
in a wrong one they are farther apart on the specimen and differ more.

The channels are the virtual detectors and the principal components of the
binned patterns (:mod:`.signals`).  Every channel is scaled so that two
unrelated frames differ by 1 in mean square, and weighted by how much
structure it shows (:func:`examine`), so that a channel that sees only
noise adds nothing.  A layout's **mismatch** is the weighted mean square
difference of vertical neighbours in those units: 0 for rows that line up
perfectly, 1 for unrelated rows (noise keeps it above 0 even then; its
level, the *floor*, is estimated from neighbours 1 and 2 frames apart).

Two layouts are compared frame by frame (each frame with the frame below it
in either layout), per row: the **margin** is how consistently the log
ratios of the two layouts' row mismatches favour one, in standard
deviations.  The winner (:func:`decide`):

* fits better than every layout one frame shorter and one frame longer (a
  *dip*: along a smooth specimen frames a few apart are alike whatever the
  row length; a row shows as a dip);
* explains every scan frame with whole rows when any dip does, and then
  needs only to fit no worse than a layout that leaves frames over (the
  frame count is evidence too), while a layout that leaves frames over
  needs a clear margin over one that does not;
* beats every other layout by :data:`MARGIN` standard deviations, without a
  third of the scan clearly against it (so that two scans of different row
  lengths in one series do not pass as either);
* leaves no dip of a row k times shorter fitting nearly as well above the
  floor, nor one k times longer unless its own rows fit alike whatever
  their number mod k (the rows of a k-th of a real row would not: see
  :func:`_uneven`);
* is no more than 4 times longer than wide (a periodic specimen makes
  frames a lattice period, or k rows, apart alike).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .arrange import scan_index_map

__all__ = ["Layout", "Decision", "Evidence", "examine", "structure", "layouts_of", "shapes_of",
           "decide",
           "describe", "account", "open_arguments"]

#: Shortest row (frames) and fewest rows the image-content method accepts.
MIN_ROW_LENGTH = 4
MIN_ROWS = 3
#: Hysteresis values tried for a snake scan (cyclic shift of reversed rows).
MAX_HYSTERESIS = 8
#: Margins (standard deviations) a winner needs over a rival: when both explain
#: the same frames, when only the winner explains every frame, and when only
#: the rival does.
MARGIN = 3.0
MARGIN_EXACT = 0.0
MARGIN_LEFT_OVER = 6.0
#: Added to a row's mismatch before a log ratio (1 is unrelated frames), so
#: that flat rows count as ties.
FLOOR = 1e-3
#: A row k times shorter (longer) that fits within this factor of the
#: winner's mismatch makes the winner doubtful (see :func:`decide`).
FINER = 4.0
COARSER = 1.6
#: Standard errors by which rows k apart may differ before a row k times
#: longer is taken for a possible scan (see :func:`_uneven`).
UNEVEN = 2.5
#: Margin a winner needs over a rival whose rows are k of the winner's, when
#: the rival fits clearly worse (by more than ``COARSER``) and the winner's
#: rows fit alike whatever their number mod k (see :func:`_rows_in_one`).
MARGIN_ROWS = 1.5
#: The most rows per column (or columns per row) a detected scan may have.
MAX_ASPECT = 4
#: Lags of the structure function kept as row-length candidates.
TOP_LAGS = 4


class Layout(NamedTuple):
    """One way of laying the scan frames out, and how well it fits."""

    shape: tuple
    winding: str | None
    hysteresis: int
    mismatch: float  # mean square difference of vertical neighbours (0 same, 1 unrelated)
    left_over: int  # scan frames after the last whole row
    cost: np.ndarray  # per frame: difference to the frame below (nan: none)


class Decision(NamedTuple):
    best: Layout
    rival: Layout | None
    margin: float  # best over rival, in standard deviations (inf: no rival)
    needed: float
    clear: bool
    weights: dict  # detector name -> weight
    why: str = ""  # a reason to refuse besides the margin


class Evidence(NamedTuple):
    """The detectors of a scan, ready for scoring layouts."""

    z: np.ndarray  # (K, L): a pair's difference is sum_k (z[k, a] - z[k, b]) ** 2
    weights: dict  # channel name -> weight
    lags: list  # lags at which frames are most alike, clearest first
    widths: list  # row lengths worth trying
    floor: float = 0.0  # mismatch of noise alone (frames of the same place), estimated


def structure(c, max_lag):
    """Per channel, the mean square difference of frames ``L`` apart, for
    ``L = 0..max_lag``: ``(K, max_lag + 1)``."""
    n = c.shape[1]
    max_lag = min(max_lag, n - 1)
    nfft = 1 << (2 * n - 1).bit_length()  # zero padding: no wrap-around
    spec = np.fft.rfft(c, nfft, axis=1)
    corr = np.fft.irfft(spec.real ** 2 + spec.imag ** 2, nfft, axis=1)[:, :max_lag + 1]
    sq = np.concatenate((np.zeros((len(c), 1)), np.cumsum(c * c, axis=1)), axis=1)
    lag = np.arange(max_lag + 1)
    head = sq[:, n - lag]  # frames 0 .. n-L-1
    tail = sq[:, n:n + 1] - sq[:, lag]  # frames L .. n-1
    return np.maximum(head + tail - 2.0 * corr, 0.0) / (n - lag)


def _clear_lags(d, min_lag, n):
    """Local minima of ``d`` (of ``n`` frames), clearest first: by how far
    they dip below the lags around them, in units of the noise of a mean
    over ``n - L`` pairs."""
    out = []
    for lag in range(max(min_lag, 1), d.size - 1):
        if d[lag] < d[lag - 1] and d[lag] <= d[lag + 1]:
            around = np.concatenate((d[max(lag - 2, 1):lag], d[lag + 1:lag + 3]))
            out.append(((around.mean() - d[lag]) * math.sqrt(n - lag), lag))
    out.sort(reverse=True)
    return [lag for _, lag in out]


def examine(signals, names, max_width, count=None, min_width=MIN_ROW_LENGTH):
    """Weigh the detectors of a scan region ``(K, L)`` and find row lengths.

    Every channel is scaled so that two unrelated frames differ by 1 in
    mean square (no channel is smoothed along the scan: that would make
    frames a few apart alike whatever the row length, and the principal
    components of the patterns already bring a low-dose specimen out of
    the noise).  A channel's weight is
    how much more alike frames are at the clearest lags than unrelated
    frames, less what noise alone gives, over how much they still differ.
    Row lengths are tried around the
    clearest lags (a row, or for a snake two rows, apart) and half of each,
    and, when ``count`` is given, every divisor of it (a periodic specimen
    can hide the row's own lag among its lattice's)."""
    raw = np.asarray(signals, dtype=np.float64)
    channels = raw
    labels = list(names)
    n = channels.shape[1]
    var = channels.var(axis=1)
    live = var > 0
    c = np.zeros_like(channels)
    c[live] = (channels[live] - channels[live].mean(axis=1, keepdims=True)) / np.sqrt(
        2.0 * var[live])[:, None]
    if not live.any() or n < 2 * min_width:
        return Evidence(c, dict.fromkeys(labels, 0.0), [], [])
    d = structure(c, 2 * max_width + 2)
    # A first weight: how alike frames get at any lag, less what noise
    # alone reaches; it keeps noise out of the search.
    beyond = d[:, 1:]
    allowance = 6.0 * math.sqrt(1.0 / n)
    prior = np.where(live, np.clip(1.0 - beyond.min(axis=1) - allowance, 0.0, None), 0.0)
    if not prior.any():
        return Evidence(c, dict.fromkeys(labels, 0.0), [], [])
    lags = _clear_lags((prior[:, None] * d).sum(axis=0) / prior.sum(), min_width, n)
    if not lags:
        return Evidence(c, dict.fromkeys(labels, 0.0), [], [])
    best = d[:, lags[:TOP_LAGS]].min(axis=1)
    # Shared over differing variance: a channel whose aligned frames still
    # differ mostly by noise counts little next to a cleaner one.
    w = np.where(live, np.clip(1.0 - best - allowance, 0.0, None) / np.maximum(best, 0.01), 0.0)
    total = w.sum()
    weights = {k: float(x / total) if total > 0 else 0.0 for k, x in zip(labels, w)}
    z = c * np.sqrt(w / total)[:, None] if total > 0 else np.zeros_like(c)
    widths = set()
    for lag in lags[:TOP_LAGS]:
        widths |= {lag - 1, lag, lag + 1, lag // 2 - 1, lag // 2, (lag + 1) // 2 + 1}
    if count is not None:  # every row length that explains every frame
        k = np.arange(min_width, max_width + 1)
        widths |= set(k[count % k == 0].tolist())
    # Noise alone keeps even frames of the same place apart: extrapolated
    # from neighbours 1 and 2 frames apart (for a smooth specimen the
    # difference grows about as the square of the distance, so the straight
    # line under-estimates it, which is the safe side).
    dz = (d[:, 1:3] * (w / total)[:, None]).sum(axis=0) if total > 0 else np.zeros(2)
    floor = float(np.clip(2.0 * dz[0] - dz[1], 0.0, dz[0]))
    return Evidence(z, weights, lags, sorted(k for k in widths if min_width <= k <= max_width),
                    floor)


def _layout(zt, n, shape, winding, hysteresis):
    """``zt``: the channels frame by frame, ``(n, K)`` (rows gather fast)."""
    # Every column counts: the hysteresis of open() is a cyclic shift, so
    # in the right layout even the wrapped columns line up.
    index = scan_index_map(n, shape, 0, winding, hysteresis)
    a, b = index[:-1].ravel(), index[1:].ravel()
    diff = zt[a] - zt[b]
    pair = np.einsum("ij,ij->i", diff, diff)
    cost = np.full(n, np.nan)
    cost[a] = pair
    rows, width = shape
    return Layout(shape, winding, hysteresis, float(pair.mean()), n - rows * width, cost)


def layouts_of(z, shapes):
    """Fly-back and snake (hysteresis -8..8) layouts of each shape."""
    n = z.shape[1]
    used = np.any(z != 0, axis=1)  # channels of weight 0 add nothing
    zt = np.ascontiguousarray(z[used].T) if used.any() else np.zeros((n, 1))
    out = []
    for shape in shapes:
        width = shape[1]
        if shape[0] < 2 or shape[0] * width > n:
            continue
        hmax = min(MAX_HYSTERESIS, (width - 1) // 2)
        for winding, h in [(None, 0)] + [("x", h) for h in range(-hmax, hmax + 1)]:
            out.append(_layout(zt, n, shape, winding, h))
    return out


def _block_means(cost, rows, width):
    """Mean of ``cost`` per block: each row, or each half of a row of at
    least 16 columns (the columns left out by the layout do not count)."""
    pieces = 2 if width >= 16 else 1
    blocks = np.array_split(cost[:rows * width].reshape(rows, width), pieces, axis=1)
    sums = np.stack([np.nansum(b, axis=1) for b in blocks], axis=1).ravel()
    count = np.stack([(~np.isnan(b)).sum(axis=1) for b in blocks], axis=1).ravel()
    return sums / np.maximum(count, 1), count > 0


def margin(best, rival, parts=1):
    """How clearly ``best`` fits better than ``rival``, in standard
    deviations, and the mean log ratio in each of ``parts`` pieces of the
    scan.

    Per row (or half row) of ``best``, over the frames with a neighbour
    below in both layouts, the log of the ratio of the two layouts'
    mismatches.  Two tests of those log ratios, and the stronger counts: the
    mean in standard errors (strong when every row gains about as much), and
    the Wilcoxon signed-rank statistic in standard deviations of its null
    distribution (strong when nearly every row gains, by however different
    amounts, as where the specimen is busy in some rows and flat in
    others); and, unpaired, Welch's t of each layout's own rows."""
    rows, width = best.shape[0] - 1, best.shape[1]
    both = np.where(np.isnan(best.cost) | np.isnan(rival.cost), np.nan, 1.0)
    ours, ok = _block_means(best.cost * both, rows, width)
    theirs, ok2 = _block_means(rival.cost * both, rows, width)
    keep = ok & ok2
    logs = np.log((theirs[keep] + FLOOR) / (ours[keep] + FLOOR))
    pieces = [float(p.mean()) for p in np.array_split(logs, parts) if p.size] or [0.0]
    if logs.size < 2:
        return 0.0, pieces
    se = logs.std(ddof=1) / math.sqrt(logs.size)
    mean = logs.mean()
    t = mean / se if se > 0 else (math.inf if mean > 0 else 0.0)
    nonzero = logs[logs != 0]
    m = nonzero.size
    if m < 2:
        return float(t), pieces
    ranks = np.empty(m)
    ranks[np.argsort(np.abs(nonzero), kind="stable")] = np.arange(1, m + 1)
    plus = ranks[nonzero > 0].sum()
    z = (plus - m * (m + 1) / 4.0) / math.sqrt(m * (m + 1) * (2 * m + 1) / 24.0)
    return float(max(t, z, _unpaired(best, rival))), pieces


def _unpaired(best, rival):
    """Welch's t of the log block mismatches of each layout over its own
    frames: fairer than the pairs when the widths differ and few frames
    have a neighbour below in both."""
    samples = []
    for t in (best, rival):
        means, ok = _block_means(t.cost, t.shape[0] - 1, t.shape[1])
        samples.append(np.log(means[ok] + FLOOR))
    a, b = samples
    if a.size < 2 or b.size < 2:
        return 0.0
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    diff = b.mean() - a.mean()
    return diff / se if se > 0 else (math.inf if diff > 0 else 0.0)


def _needed(best, rival):
    if (best.left_over == 0) == (rival.left_over == 0):
        return MARGIN
    return MARGIN_EXACT if best.left_over == 0 else MARGIN_LEFT_OVER


def _possible(best, other):
    """Whether ``other``'s rows could be the scan's as far as their length
    goes: longer than ``best``'s, or at least ``MIN_ROW_LENGTH`` frames."""
    return other.shape[1] > best.shape[1] or other.shape[1] >= MIN_ROW_LENGTH


def _rows_in_one(best, other, floor=0.0):
    """Whether ``other`` lays k of ``best``'s rows (the same frames) into one
    and fits clearly worse, while ``best``'s rows show no sign of being
    pieces of longer rows.

    Were ``other`` the scan, ``best``'s rows would be k-ths of real rows and
    its vertical neighbours would alternate between frames of one real row
    and frames of the next (for a snake, the pieces of a reversed row even
    face the wrong way): its rows would fit unevenly with a period of k
    (:func:`_uneven`).  With even rows and a clearly worse fit for the long
    rows, a smaller margin settles it: a scan of few rows gives few blocks
    for the margin's tests, not weaker evidence per row."""
    rows, width = best.shape
    wide = other.shape[1]
    if other.shape[0] * wide != rows * width or wide <= width or wide % width:
        return False
    ours, theirs = best.mismatch - floor, other.mismatch - floor
    return theirs > COARSER * ours and not _uneven(best, wide // width)


def _folded(best, other, floor=0.0):
    """Whether ``other``, of a width k times shorter or longer than
    ``best``'s and the same frames, fits too nearly as well to rule out."""
    rows, width = best.shape
    if other.shape[0] * other.shape[1] != rows * width or other.shape[1] == width:
        return False
    # Compared above the noise floor: at low dose both sit on it.
    ours, theirs = best.mismatch - floor, other.mismatch - floor
    if width % other.shape[1] == 0:
        return theirs <= FINER * ours
    if other.shape[1] % width == 0:
        return theirs <= COARSER * ours and _uneven(best, other.shape[1] // width)
    return False


def _uneven(layout, k):
    """Whether the rows of ``layout`` differ in mismatch with a period of
    ``k`` rows.  Were each of its rows a k-th of a real row (a lattice
    period along the row), its vertical neighbours would alternate between
    frames side by side in one row and frames of the next row: rows 0, k,
    2k, ... would fit differently from the others.  Rows of a real scan fit
    alike whatever their number mod k.  Uneven: some class of rows mod k
    differs from the rest by at least ``UNEVEN`` standard errors (or too few
    rows to tell)."""
    rows, width = layout.shape
    per_row = np.nanmean(layout.cost[:(rows - 1) * width].reshape(rows - 1, width), axis=1)
    phase = np.arange(rows - 1) % k
    for c in range(k):
        a, b = per_row[phase == c], per_row[phase != c]
        if a.size < 3 or b.size < 3:
            return True
        se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        if se == 0 or abs(a.mean() - b.mean()) >= UNEVEN * se:
            return True
    return False


def _consistent(pieces):
    """No third of the scan goes against the winner by more than half as
    much as the winner gains on average: a specimen may favour a rival a
    little in places, a second scan of another row length favours it a lot."""
    return min(pieces) > -0.5 * float(np.mean(pieces)) and np.mean(pieces) > 0


def _dips(layouts):
    """ids of the layouts that fit better than every layout of a row one
    frame shorter and one frame longer."""
    best_of = {}
    for t in layouts:
        best_of[t.shape[1]] = min(best_of.get(t.shape[1], math.inf), t.mismatch)
    return {id(t) for t in layouts
            if t.mismatch < min(best_of.get(t.shape[1] - 1, math.inf),
                                best_of.get(t.shape[1] + 1, math.inf))}


def shapes_of(widths, count, min_rows=MIN_ROWS):
    """The shapes ``(count // w, w)`` of ``widths`` and of the row lengths one
    shorter and one longer (the references of :func:`_dips`), with at least
    ``min_rows`` rows."""
    every = {v for w in widths for v in (w - 1, w, w + 1) if v >= 2}
    return [(count // w, w) for w in sorted(every) if count // w >= min_rows]


def decide(layouts, weights, floor=0.0):
    """The best layout, its closest rival and whether it wins clearly.

    Layouts are ranked by mismatch.  The winner must beat every other layout
    (another shape, winding or hysteresis) by the margin it needs, and be
    not clearly worse in any third of the scan.  The rival reported is the first it
    fails against, or else the one it beats by the least."""
    ranked = sorted(layouts, key=lambda t: t.mismatch)
    dips = _dips(ranked)
    # A winner fits better than the row lengths one shorter and one longer
    # (which are scored as references even where too short to win): frames
    # a few apart along a smooth specimen are alike whatever the row length,
    # a row shows as a dip.  Then the count: every frame in a whole row.
    eligible = [t for t in ranked if t.shape[1] >= MIN_ROW_LENGTH]
    tiers = ([t for t in eligible if id(t) in dips and t.left_over == 0],
             [t for t in eligible if id(t) in dips], eligible, ranked)
    best = next(tier[0] for tier in tiers if tier)
    ranked = [best] + [t for t in ranked if t is not best]
    results = []
    for other in ranked[1:]:
        if best.left_over == 0 < other.left_over and other.shape[1] % best.shape[1] == 0:
            # Frames k rows apart in the same column: the winner explains
            # why this one fits, and, leaving frames over, it is no scan.
            continue
        m, pieces = margin(best, other, parts=3)
        need = _needed(best, other)
        if _rows_in_one(best, other, floor):
            need = min(need, MARGIN_ROWS)
        # A rival that leaves frames over is already held back by the count.
        even = _consistent(pieces) or (best.left_over == 0 < other.left_over)
        results.append((m >= need and even, m - need, m, need, other))
    if not results:
        return Decision(best, None, math.inf, MARGIN, True, weights)
    failing = [r + ("",) for r in results if not r[0]]
    scores = {id(r[4]): r for r in results}
    # A periodic specimen can make frames k rows apart more alike than
    # neighbours: when a k times shorter row fits nearly as well, the longer
    # one may be k rows folded into one, and the content cannot tell.
    # Likewise a row k times longer that fits nearly as well: the winner may
    # be a lattice's period, not a row.  A shorter row counts only if the
    # method could take it (at least MIN_ROW_LENGTH frames): a smooth
    # specimen's rows cut in five fit nearly as well.  A longer one always
    # counts, whatever its shape: the rows fitting unevenly mod k are
    # evidence of a lattice in themselves.
    failing += [scores[id(t)][:4] + (t, "; a row length k times shorter or longer fits "
                                        "nearly as well (a periodic specimen?)")
                for t in ranked[1:] if id(t) in dips and _possible(best, t)
                and _folded(best, t, floor)]
    if id(best) not in dips and len(ranked) > 1:
        failing.insert(0, results[0] + (
            "; no row length fits better than the row lengths one shorter and one longer",))
    # Frames one lattice period (or several rows) apart are alike too: a
    # winner many times longer than wide or wide than long is more likely a
    # periodic specimen than a scan, and is not taken.
    if max(best.shape) > MAX_ASPECT * min(best.shape):
        failing.insert(0, results[0] + (
            f"; a scan over {MAX_ASPECT} times longer than wide is more likely a periodic "
            "specimen",))
    _, _, m, need, rival, why = failing[0] if failing else \
        min(results, key=lambda r: r[1]) + ("",)
    return Decision(best, rival, m, need, not failing, weights, why)


def describe(layout):
    rows, width = layout.shape
    how = ("fly-back" if layout.winding is None
           else f"snake with hysteresis {layout.hysteresis}")
    return f"{how} {rows}x{width}"


def account(layout):
    """``"fly-back 15x20: mismatch 0.012, every frame in a whole row"``."""
    left = ("every frame in a whole row" if layout.left_over == 0 else
            f"{layout.left_over} frame(s) left over")
    return f"{describe(layout)}: mismatch {layout.mismatch:.3f}, {left}"


def open_arguments(layout, start):
    """The arguments of open() that give ``layout`` from frame ``start``."""
    text = f"scan_shape={tuple(layout.shape)}, scan_start_frame={start}"
    if layout.winding is not None:
        text += f", winding_scan_axis='x', hysteresis={layout.hysteresis}"
    return text
