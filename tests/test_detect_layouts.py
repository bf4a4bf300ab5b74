"""Deciding between layouts (issue 18): which rivals hold a winner back.

Channels are built position by position from a known snake map, with noise
added, so the right layout follows from the geometry.
"""

import numpy as np
import pytest

from test_detect import snake_map
from test_detect_content import smooth_field
from tvips_ks.scan.layouts import decide, examine, layouts_of, shapes_of


def snake_channels(shape, seed, noise, channels=3):
    """``channels`` smooth fields of ``shape`` in acquisition order of a
    snake with hysteresis 0, plus white noise of std ``noise``."""
    n = shape[0] * shape[1]
    index = snake_map(n, shape, 0, 0, 0)
    out = []
    for k in range(channels):
        v = np.empty(n)
        v[index.ravel()] = smooth_field(shape, seed * 10 + k, 2.5).ravel()
        out.append(v + noise * np.random.default_rng(seed + 100 * k).standard_normal(n))
    return np.array(out)


# Seeds 1 and 3 are held back by another rival (a row length of at least 4
# frames), which still counts; seeds 2, 5, 6, 7 were refused before.
@pytest.mark.parametrize("seed", [0, 2, 4, 5, 6, 7])
def test_rows_cut_too_short_to_be_a_scan_raise_no_periodic_doubt(seed):
    """Rows of 3 frames (a 100x3 layout of a 20x15 snake) fit nearly as well
    on a smooth specimen, but no scan of rows under 4 frames is ever taken:
    they do not hold the 20x15 back."""
    z = snake_channels((20, 15), seed, 0.3)
    seen = examine(z, ["a", "b", "c"], z.shape[1] // 3, z.shape[1])
    d = decide(layouts_of(seen.z, shapes_of(seen.widths, z.shape[1])), seen.weights, seen.floor)
    assert d.clear, d.why
    assert (d.best.shape, d.best.winding, d.best.hysteresis) == ((20, 15), "x", 0)


def test_unrelated_channels_decide_nothing():
    """Pure noise: whatever the rivals, no layout wins clearly."""
    z = np.random.default_rng(7).standard_normal((3, 300))
    seen = examine(z, ["a", "b", "c"], 100, 300)
    layouts = layouts_of(seen.z, shapes_of(seen.widths, 300))
    assert not layouts or not any(seen.weights.values()) or \
        not decide(layouts, seen.weights, seen.floor).clear
