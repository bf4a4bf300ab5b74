"""Layouts of one row length scored by their best diagonal neighbours.

Where a crystal lattice makes vertical neighbours as unlike as unrelated
frames, every winding of the right row length fits its vertical neighbours
equally badly, and :func:`.layouts.decide` cannot tell fly-back from snake.
But some diagonal neighbour, one row down and ``d`` columns over, lies
along the lattice and is alike -- in the right layout only: a wrong winding
mirrors every other row (and a wrong hysteresis shifts it), so that no one
``d`` lines up both the rows after a forward row and the rows after a
reversed one.  Each layout is scored with the ``d`` that fits it best; the
pairs that ``d`` pushes off the row's ends have no neighbour.

Used only once the row boundaries (:mod:`.boundaries`) have settled the row
length: across row lengths, a diagonal of one is the vertical of another.
"""

from __future__ import annotations

import numpy as np

from .arrange import scan_index_map
from .layouts import MAX_HYSTERESIS, Layout

__all__ = ["diagonal_layouts", "MAX_OFFSET"]

#: Largest diagonal offset tried (columns), and at most a quarter of the row.
MAX_OFFSET = 8


def _scored(zt, n, shape, winding, hysteresis, d):
    index = scan_index_map(n, shape, 0, winding, hysteresis)
    width = shape[1]
    lo, hi = max(0, -d), width - max(0, d)  # columns whose diagonal neighbour exists
    a = index[:-1, lo:hi].ravel()
    b = index[1:, lo + d:hi + d].ravel()
    diff = zt[a] - zt[b]
    pair = np.einsum("ij,ij->i", diff, diff)
    cost = np.full(n, np.nan)
    cost[a] = pair
    return Layout(shape, winding, hysteresis, float(pair.mean()), n - shape[0] * width, cost)


def diagonal_layouts(z, shape):
    """Fly-back and snake (hysteresis -8..8) layouts of ``shape``, each
    scored by the diagonal offset (-D..D, D = min(8, width // 4)) whose
    neighbours fit it best."""
    n = z.shape[1]
    used = np.any(z != 0, axis=1)
    zt = np.ascontiguousarray(z[used].T) if used.any() else np.zeros((n, 1))
    width = shape[1]
    hmax = min(MAX_HYSTERESIS, (width - 1) // 2)
    reach = min(MAX_OFFSET, width // 4)
    out = []
    for winding, h in [(None, 0)] + [("x", h) for h in range(-hmax, hmax + 1)]:
        out.append(min((_scored(zt, n, shape, winding, h, d) for d in range(-reach, reach + 1)),
                       key=lambda t: t.mismatch))
    return out
