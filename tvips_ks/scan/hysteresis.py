"""Snake hysteresis from the image content, when positions give the scan.

Scan positions in the headers may be the positions the scan generator was
asked for rather than where the beam was: the reversed rows of a snake can
lag by a few positions that the headers do not show.  With the shape, start
and winding from the positions, the image content decides the shift of the
reversed rows: every snake layout of that shape (hysteresis -8..8) is scored
by how alike vertical neighbours are (:mod:`.layouts`), and the best must
win clearly, or the positions' hysteresis stays.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .arrange import scan_index_map
from .layouts import MIN_ROWS, account, decide, examine, layouts_of
from .positions import _rounded
from .signals import DETECTORS, NAMES, scan_signals, with_patterns

__all__ = ["refine_hysteresis"]


def refine_hysteresis(found, frames, n, headers):
    """``found`` (a scan-position snake detection whose ``frame_index`` is
    what its open() arguments give) with the hysteresis the image content
    shows, and the evidence saying so; unchanged but for a note when the
    content does not decide.  ``headers`` give the positions the frames
    are counted against (``num_frames_agree``)."""
    rows, width = found.scan_shape
    start = found.scan_start_frame
    count = rows * width
    signals, binned = scan_signals(frames, start=start, stop=start + count, patterns=True)
    channels, labels = with_patterns(signals[:4], [NAMES[k] for k in DETECTORS], binned)
    seen = examine(channels, labels, max(count // MIN_ROWS, width), count)
    snakes = [t for t in layouts_of(seen.z, [(rows, width)]) if t.winding == "x"]
    if not any(seen.weights.values()) or len(snakes) < 2:
        note = "; hysteresis not checked against the image content (no structure seen)"
        return dataclasses.replace(found, evidence=found.evidence + note)
    decision = decide(snakes, seen.weights, seen.floor)
    best = decision.best
    if not decision.clear:
        note = (f"; the image content cannot tell the hysteresis ({account(best)}, next "
                f"{account(decision.rival)}, {decision.margin:.1f} standard deviations apart): "
                f"{found.hysteresis} from the positions kept")
        return dataclasses.replace(found, evidence=found.evidence + note)
    if best.hysteresis == found.hysteresis:
        note = (f"; the image content agrees ({account(best)}, next {account(decision.rival)}, "
                f"{decision.margin:.1f} standard deviations behind)")
        return dataclasses.replace(found, evidence=found.evidence + note)
    frame_index = scan_index_map(n, found.scan_shape, start, "x", best.hysteresis, pad=True)
    f = frame_index.ravel()
    valid = f >= 0
    py, px = np.divmod(np.flatnonzero(valid), width)
    agree = int(np.count_nonzero((_rounded(headers["scan_y"])[f[valid]] == py)
                                 & (_rounded(headers["scan_x"])[f[valid]] == px)))
    note = (f"; hysteresis {best.hysteresis} from the image content, not {found.hysteresis} "
            f"as the positions say ({account(best)}, next {account(decision.rival)}, "
            f"{decision.margin:.1f} standard deviations behind)")
    return dataclasses.replace(found, hysteresis=best.hysteresis, frame_index=frame_index,
                               num_frames_agree=agree, evidence=found.evidence + note)
