"""Scoring candidate scan layouts against the virtual detectors.

A layout (rows x width, fly-back or snake with a hysteresis) says which
frame lies under which: in the right one, vertically neighbouring positions
are about as alike as horizontally neighbouring ones, whatever the specimen;
in a wrong one they are farther apart on the specimen and differ more.

Every detector is scaled so that frames next to each other in acquisition
order (neighbours in a row) differ by 1 in mean square, and weighted by how
much structure it shows (its lag-1 correlation), so that a detector that
sees only noise adds nothing.  A layout's **ratio** is the mean square
difference of vertical neighbours in those units: about 1 for the right
layout, more for a wrong one, and about 1 for every layout of pure noise.

Two layouts are compared frame by frame (each frame with the frame below it
in either layout), averaged per row: the **margin** is the mean difference
in standard errors of those row means.  A winner must beat every rival by a
clear margin, and in each third of the scan, so that a series made of two
scans of different row lengths does not pass as either.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .arrange import scan_index_map

__all__ = ["Layout", "Decision", "prepare", "structure", "candidate_widths",
           "layouts_of", "decide", "describe", "open_arguments"]

#: Shortest row (frames) and fewest rows the image-content method accepts.
MIN_ROW_LENGTH = 4
MIN_ROWS = 3
#: Hysteresis values tried for a snake scan (cyclic shift of reversed rows).
MAX_HYSTERESIS = 8
#: Margins (standard errors) a winner needs over a rival: when both explain
#: the same frames, when only the winner explains every frame, and when only
#: the rival does.
MARGIN = 3.5
MARGIN_EXACT = 2.0
MARGIN_LEFT_OVER = 6.0
#: Added to a row's mean difference before a log ratio (the unit is the mean
#: square difference of neighbours in a row), so flat rows count as ties.
FLOOR = 1e-3
#: Lags of the structure function kept as row-length candidates.
TOP_LAGS = 4


class Layout(NamedTuple):
    """One way of laying the scan frames out, and how well it fits."""

    shape: tuple
    winding: str | None
    hysteresis: int
    ratio: float  # mean square difference of vertical neighbours (1: like a row's)
    left_over: int  # scan frames after the last whole row
    cost: np.ndarray  # per frame: difference to the frame below (nan: none)


class Decision(NamedTuple):
    best: Layout
    rival: Layout | None
    margin: float  # best over rival, in standard errors (inf: no rival)
    needed: float
    clear: bool
    weights: dict  # detector name -> weight


def prepare(signals, names, region=slice(None)):
    """Detectors scaled and weighted on the frames of ``region``.

    Returns the scaled ``(K, N)`` detectors of every frame (scaled with the
    statistics of ``region``) and the weights by name; a detector that is
    constant, or shows no more structure than noise, gets weight 0."""
    s = np.asarray(signals, dtype=np.float64)
    r = s[:, region]
    # The median, not the mean: a fly-back scan's jump back at every row's
    # end is no measure of how alike neighbours in a row are.  (The median
    # of a chi-square variable of one degree of freedom is 0.455 times its mean.)
    d1 = (np.median(np.diff(r, axis=1) ** 2, axis=1) / 0.455 if r.shape[1] > 1
          else np.zeros(len(r)))
    var = r.var(axis=1)
    safe_var = np.where(var > 0, var, 1.0)
    safe_d1 = np.where(d1 > 0, d1, 1.0)
    w = np.where((var > 0) & (d1 > 0), np.clip(1.0 - d1 / (2.0 * safe_var), 0.0, None), 0.0)
    total = w.sum()
    scale = np.sqrt(w / total / safe_d1) if total > 0 else np.zeros(len(s))
    scaled = (s - r.mean(axis=1, keepdims=True)) * scale[:, None]
    return scaled, {n: float(x / total) if total > 0 else 0.0 for n, x in zip(names, w)}


def structure(z, max_lag):
    """Mean square difference of frames ``L`` apart, for ``L = 0..max_lag``."""
    n = z.shape[1]
    max_lag = min(max_lag, n - 1)
    nfft = 1 << (2 * n - 1).bit_length()  # zero padding: no wrap-around
    spec = np.fft.rfft(z, nfft, axis=1)
    corr = np.fft.irfft((spec.real ** 2 + spec.imag ** 2).sum(axis=0), nfft)[:max_lag + 1]
    sq = np.concatenate(([0.0], np.cumsum((z * z).sum(axis=0))))
    lag = np.arange(max_lag + 1)
    head = sq[n - lag]  # frames 0 .. n-L-1
    tail = sq[n] - sq[lag]  # frames L .. n-1
    return np.maximum(head + tail - 2.0 * corr, 0.0) / (n - lag)


def candidate_widths(z, max_width, min_width=MIN_ROW_LENGTH):
    """Row lengths worth trying: around the lags where frames are most alike
    compared with the lags next to them (a row, or for a snake two rows,
    apart), and half of each."""
    d = structure(z, 2 * max_width + 2)
    lags = []
    for lag in range(min_width, d.size - 1):
        if d[lag] < d[lag - 1] and d[lag] <= d[lag + 1]:
            around = d[max(lag - 2, 1):lag + 3]
            around = np.delete(around, lag - max(lag - 2, 1))
            lags.append((1.0 - d[lag] / around.mean() if around.mean() > 0 else 0.0, lag))
    lags.sort(reverse=True)
    widths = set()
    for _, lag in lags[:TOP_LAGS]:
        widths |= {lag - 1, lag, lag + 1, lag // 2 - 1, lag // 2, (lag + 1) // 2 + 1}
    return sorted(w for w in widths if min_width <= w <= max_width), [lag for _, lag in lags]


def _layout(z, n, shape, winding, hysteresis):
    index = scan_index_map(n, shape, 0, winding, hysteresis)
    a, b = index[:-1].ravel(), index[1:].ravel()
    cost = np.full(n, np.nan)
    cost[a] = ((z[:, a] - z[:, b]) ** 2).sum(axis=0)
    rows, width = shape
    return Layout(shape, winding, hysteresis, float(np.nanmean(cost)), n - rows * width, cost)


def layouts_of(z, shapes):
    """Fly-back and snake (hysteresis -8..8) layouts of each shape."""
    n = z.shape[1]
    out = []
    for shape in shapes:
        width = shape[1]
        if shape[0] < 2 or shape[0] * width > n:
            continue
        hmax = min(MAX_HYSTERESIS, (width - 1) // 2)
        for winding, h in [(None, 0)] + [("x", h) for h in range(-hmax, hmax + 1)]:
            out.append(_layout(z, n, shape, winding, h))
    return out


def _row_means(cost, rows, width):
    per_row = cost[:rows * width].reshape(rows, width)
    ok = ~np.isnan(per_row)
    count = ok.sum(axis=1)
    return np.where(ok, per_row, 0.0).sum(axis=1) / np.maximum(count, 1), count > 0


def margin(best, rival, parts=1):
    """Standard errors by which ``best`` fits better than ``rival``, overall
    and the mean in each of ``parts`` pieces of the scan.

    Per row of ``best`` (the frames with a neighbour below in both layouts),
    the log of the ratio of the two layouts' mean differences: a log ratio
    is alike in smooth and in busy parts of the specimen, so its spread over
    the rows gives a fair standard error."""
    rows, width = best.shape[0] - 1, best.shape[1]
    both = np.where(np.isnan(best.cost) | np.isnan(rival.cost), np.nan, 1.0)
    ours, ok = _row_means(best.cost * both, rows, width)
    theirs, ok2 = _row_means(rival.cost * both, rows, width)
    keep = ok & ok2
    logs = np.log((theirs[keep] + FLOOR) / (ours[keep] + FLOOR))
    if logs.size < 2:
        return 0.0, [0.0]
    se = logs.std(ddof=1) / math.sqrt(logs.size)
    mean = logs.mean()
    overall = mean / se if se > 0 else (math.inf if mean > 0 else 0.0)
    pieces = [float(p.mean()) for p in np.array_split(logs, parts) if p.size]
    return float(overall), pieces


def _needed(best, rival):
    if (best.left_over == 0) == (rival.left_over == 0):
        return MARGIN
    return MARGIN_EXACT if best.left_over == 0 else MARGIN_LEFT_OVER


def decide(layouts, weights):
    """The best layout, its closest rival and whether it wins clearly.

    Layouts are ranked by ratio.  The winner must beat every other layout
    (another shape, winding or hysteresis) by the margin it needs, and be
    better in each third of the scan.  The rival reported is the first it
    fails against, or else the one it beats by the least."""
    ranked = sorted(layouts, key=lambda t: t.ratio)
    best = ranked[0]
    results = []
    for other in ranked[1:]:
        m, pieces = margin(best, other, parts=3)
        need = _needed(best, other)
        results.append((m >= need and min(pieces) > 0, m - need, m, need, other))
    if not results:
        return Decision(best, None, math.inf, MARGIN, True, weights)
    failing = [r for r in results if not r[0]]
    _, _, m, need, rival = failing[0] if failing else min(results, key=lambda r: r[1])
    return Decision(best, rival, m, need, not failing, weights)


def describe(layout):
    rows, width = layout.shape
    how = ("fly-back" if layout.winding is None
           else f"snake with hysteresis {layout.hysteresis}")
    return f"{how} {rows}x{width}"


def account(layout):
    """``"rows line up 1.02, every frame explained"``: a layout's score."""
    left = ("every frame in a whole row" if layout.left_over == 0 else
            f"{layout.left_over} frame(s) left over")
    return f"{describe(layout)}: rows line up {layout.ratio:.2f}, {left}"


def open_arguments(layout, start):
    """The arguments of open() that give ``layout`` from frame ``start``."""
    text = f"scan_shape={tuple(layout.shape)}, scan_start_frame={start}"
    if layout.winding is not None:
        text += f", winding_scan_axis='x', hysteresis={layout.hysteresis}"
    return text
