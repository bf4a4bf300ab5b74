"""Row boundaries of snake scans and the diagonal-neighbour winding (issue 18).

The channels here are built position by position from a known scan map
(``snake_map`` of test_detect writes it out cell by cell), so what the
detector should find follows from the geometry, not from its output:

* a specimen that changes a lot from row to row and little along a row
  (``y`` strongly, ``x`` weakly) makes every boundary step stand out: a
  fly-back's jump back, a snake's turns, and inside each reversed row of a
  snake with hysteresis h the wrap across the row between frames h - 1 and
  h (``open()``'s hysteresis is a cyclic shift of the reversed rows);
* a lattice whose phase advances by 1 - 3 b turns per row and b = 0.2137
  turns per column (no period of whole columns, so a hysteresis shifted by
  a period does not fit as well) makes vertical neighbours unlike and the
  neighbours one row down and three columns over identical: only the
  diagonal shows the winding.
"""

import numpy as np
import pytest

from test_detect import snake_map
from tvips_ks.scan.boundaries import row_boundaries
from tvips_ks.scan.diagonal import diagonal_layouts
from tvips_ks.scan.layouts import decide, layouts_of

SHAPE = (30, 40)


def frames_in_order(values, index):
    """Per frame, the values of the position it was taken at: ``values``
    (K, rows, cols), ``index`` position -> frame."""
    out = np.empty((values.shape[0], index.size))
    out[:, index.ravel()] = values.reshape(values.shape[0], -1)
    return out


def ramp_channels(index, seed):
    rows, cols = index.shape
    yy, xx = np.indices((rows, cols), dtype=np.float64)
    rng = np.random.default_rng(seed)
    values = np.stack([yy, 0.1 * xx]) + 0.03 * rng.standard_normal((2, rows, cols))
    return frames_in_order(values, index)


def divisors(n):
    return [w for w in range(4, n // 3 + 1) if n % w == 0]


@pytest.mark.parametrize("hysteresis", [3, -2, 5])
def test_a_snakes_wrap_column_names_its_hysteresis(hysteresis):
    n = SHAPE[0] * SHAPE[1]
    z = ramp_channels(snake_map(n, SHAPE, 0, 0, hysteresis), 1)
    found = row_boundaries(z, divisors(n))
    assert found.width == SHAPE[1]
    assert found.hysteresis == hysteresis
    wrap_after = hysteresis if hysteresis > 0 else SHAPE[1] + hysteresis
    assert f"wrap after {wrap_after} frame(s)" in found.why


def test_a_fly_back_names_no_hysteresis():
    n = SHAPE[0] * SHAPE[1]
    z = ramp_channels(np.arange(n).reshape(SHAPE), 2)
    found = row_boundaries(z, divisors(n))
    assert found.width == SHAPE[1] and found.hysteresis is None


def test_a_snake_without_hysteresis_names_none():
    """Its turns stand out (a step of a whole row), but nothing wraps."""
    n = SHAPE[0] * SHAPE[1]
    z = ramp_channels(snake_map(n, SHAPE, 0, 0, 0), 3)
    found = row_boundaries(z, divisors(n))
    assert found.width == SHAPE[1] and found.hysteresis is None


def test_noise_names_no_row_length_even_at_the_weak_strength():
    rng = np.random.default_rng(7)
    z = rng.standard_normal((3, 1200))
    found = row_boundaries(z, divisors(1200), strength=5.0)
    assert found.width is None


def lattice_channels(index, seed):
    rows, cols = index.shape
    yy, xx = np.indices((rows, cols), dtype=np.float64)
    b = 0.2137
    phase = 2 * np.pi * ((1 - 3 * b) * yy + b * xx)
    rng = np.random.default_rng(seed)
    values = np.stack([np.cos(phase), np.sin(phase)]) + 0.05 * rng.standard_normal(
        (2, rows, cols))
    return frames_in_order(values, index)


@pytest.mark.parametrize("winding, hysteresis", [(None, 0), ("x", 0), ("x", 3)])
def test_the_best_diagonal_shows_the_winding_where_vertical_neighbours_are_opposite(
        winding, hysteresis):
    n = SHAPE[0] * SHAPE[1]
    index = (np.arange(n).reshape(SHAPE) if winding is None
             else snake_map(n, SHAPE, 0, 0, hysteresis))
    z = lattice_channels(index, 4)
    truth = next(t for t in layouts_of(z, [SHAPE])
                 if (t.winding, t.hysteresis) == (winding, hysteresis))
    # Vertical neighbours 0.36 turns apart: 2 - 2 cos(0.72 pi), over 3 (unrelated: 1).
    assert truth.mismatch > 3.0
    got = decide(diagonal_layouts(z, SHAPE), {}, 0.0)
    assert got.clear
    assert (got.best.winding, got.best.hysteresis) == (winding, hysteresis)
    assert got.best.mismatch < 0.1  # one row down, three columns over: the same phase
