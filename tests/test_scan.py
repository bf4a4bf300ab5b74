"""Tests of tvips_ks.scan: explicit scan reconstruction."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tvips_ks.errors import ArgumentError, TvipsError, TvipsWarning
from tvips_ks.scan.arrange import (apply_winding, index_map_from_rotator, scan_index_map)
from tvips_ks.scan.options import normalize_winding_axis


def reference_rotator_map(r, start, stop, num_positions):
    """Loop-based transcription of the reference reader's rules (research
    notes section 3.4 step 4), written independently of the module: walk the
    runs of equal values; a run of v followed by w fills positions v-1..w-2
    with its first w-v frames, then its last frame; the last run fills the
    rest with its first frame."""
    seg = [int(v) for v in r[start:stop + 1]]
    runs = []  # (value, [frames])
    for i, v in enumerate(seg):
        if runs and runs[-1][0] == v:
            runs[-1][1].append(start + i)
        else:
            runs.append((v, [start + i]))
    out = [runs[0][1][0]] * num_positions  # positions before the first value
    for k, (v, frames) in enumerate(runs):
        if k + 1 < len(runs):
            w = runs[k + 1][0]
            for j, p in enumerate(range(v - 1, w - 1)):
                if 0 <= p < num_positions:
                    out[p] = frames[j] if j < len(frames) else frames[-1]
        else:
            for p in range(v - 1, num_positions):
                out[p] = frames[0]
    return out


# -- scan_index_map: hand-written cases ----------------------------------------------

# The verified table of the research notes (section 3.5): 3x4 scan, frames 0-11.
TABLE_3x4 = {
    ("x", 0): [[3, 2, 1, 0], [4, 5, 6, 7], [11, 10, 9, 8]],
    ("x", 1): [[0, 3, 2, 1], [4, 5, 6, 7], [8, 11, 10, 9]],
    ("y", 0): [[8, 1, 10, 3], [4, 5, 6, 7], [0, 9, 2, 11]],
    ("y", 1): [[0, 1, 2, 3], [8, 5, 10, 7], [4, 9, 6, 11]],
}


@pytest.mark.parametrize("axis,hysteresis", sorted(TABLE_3x4))
def test_winding_table_from_research_notes(axis, hysteresis):
    got = scan_index_map(12, (3, 4), 0, axis, hysteresis)
    assert got.tolist() == TABLE_3x4[axis, hysteresis]
    assert got.dtype == np.int64


@pytest.mark.parametrize("alias,name", [(0, "x"), (1, "y"), (np.int64(0), "x")])
def test_winding_integer_aliases(alias, name):
    assert np.array_equal(scan_index_map(12, (3, 4), 0, alias, 1),
                          scan_index_map(12, (3, 4), 0, name, 1))
    assert normalize_winding_axis(alias) == name


def test_plain_scan_with_start_frame():
    got = scan_index_map(10, (2, 3), 2)
    assert got.tolist() == [[2, 3, 4], [5, 6, 7]]


def test_one_dimensional_scan():
    assert scan_index_map(5, (4,), 1).tolist() == [1, 2, 3, 4]


def test_leading_axis_each_slice_wound_alike():
    got = scan_index_map(12, (2, 2, 3), 0, "x", 0)
    assert got.tolist() == [[[2, 1, 0], [3, 4, 5]], [[8, 7, 6], [9, 10, 11]]]


def test_negative_hysteresis():
    got = scan_index_map(12, (3, 4), 0, "x", -1)
    assert got.tolist() == [[2, 1, 0, 3], [4, 5, 6, 7], [10, 9, 8, 11]]


def test_hysteresis_is_cyclic():
    assert np.array_equal(scan_index_map(12, (3, 4), 0, "x", 4),
                          scan_index_map(12, (3, 4), 0, "x", 0))
    assert np.array_equal(scan_index_map(12, (3, 4), 0, "y", 3),
                          scan_index_map(12, (3, 4), 0, "y", 0))


def test_hysteresis_without_winding_has_no_effect():
    assert scan_index_map(12, (3, 4), 0, None, 3).tolist() == \
        np.arange(12).reshape(3, 4).tolist()


def test_negative_start_pads_leading_positions():
    got = scan_index_map(10, (3, 4), -2)
    assert got.tolist() == [[-1, -1, 0, 1], [2, 3, 4, 5], [6, 7, 8, 9]]


def test_pad_true_marks_missing_trailing_frames():
    got = scan_index_map(10, (3, 4), 0, pad=True)
    assert got.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, -1, -1]]


def test_padding_follows_winding():
    got = scan_index_map(10, (3, 4), 0, "x", 0, pad=True)
    assert got.tolist() == [[3, 2, 1, 0], [4, 5, 6, 7], [-1, -1, 9, 8]]


def test_too_few_frames_is_an_argument_error():
    with pytest.raises(ArgumentError) as err:
        scan_index_map(10, (3, 4), 1)
    msg = str(err.value)
    assert "12 frames" in msg and "frame 1" in msg and "10 frame(s)" in msg
    assert "pad=True" in msg and "smaller scan_shape" in msg
    assert isinstance(err.value, TvipsError) and isinstance(err.value, ValueError)


def test_start_past_the_end():
    with pytest.raises(ArgumentError):
        scan_index_map(10, (1,), 10)
    with pytest.warns(TvipsWarning, match="holds no frame"):
        assert scan_index_map(10, (2,), 10, pad=True).tolist() == [-1, -1]
    with pytest.warns(TvipsWarning, match="holds no frame"):  # far past: no huge arange either
        assert scan_index_map(10, (2,), 10**20, pad=True).tolist() == [-1, -1]
    with pytest.warns(TvipsWarning, match="holds no frame"):
        assert scan_index_map(10, (2,), -2).tolist() == [-1, -1]


def test_a_scan_that_holds_a_frame_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert scan_index_map(10, (2,), 9, pad=True).tolist() == [9, -1]
        assert scan_index_map(10, (2,), -1).tolist() == [-1, 0]


@pytest.mark.parametrize("bad", ["z", "X", 2, -1, True, 0.0, "xy", (0,)])
def test_invalid_winding_axis(bad):
    with pytest.raises(ArgumentError, match=r"None, 'x' \(or 0\) or 'y' \(or 1\)"):
        scan_index_map(12, (3, 4), 0, bad)


def test_winding_needs_two_axes():
    with pytest.raises(ArgumentError, match="at least 2 scan axes"):
        scan_index_map(12, (12,), 0, "x")
    with pytest.raises(ArgumentError, match="at least 2 scan axes"):
        apply_winding(np.arange(4), "y")


@pytest.mark.parametrize("shape", [(), (0, 3), (-1,), (2.5,), "ab", 5, (True, 2)])
def test_invalid_shapes(shape):
    with pytest.raises(ArgumentError):
        scan_index_map(100, shape)


@pytest.mark.parametrize("kwargs", [dict(num_frames=-1), dict(num_frames=1.5),
                                    dict(scan_start_frame=0.5), dict(hysteresis=1.5)])
def test_invalid_numbers(kwargs):
    args = dict(num_frames=100, scan_shape=(3, 4)) | kwargs
    with pytest.raises(ArgumentError):
        scan_index_map(**args)


# -- scan_index_map: properties --------------------------------------------------------

shapes = st.lists(st.integers(1, 6), min_size=1, max_size=3).map(tuple)


@settings(max_examples=150, deadline=None)
@given(shape=shapes, start=st.integers(-8, 12), num_frames=st.integers(0, 60))
def test_unwound_map_is_the_used_range_in_order(shape, start, num_frames):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TvipsWarning)  # a scan that holds no frame
        got = scan_index_map(num_frames, shape, start, pad=True)
    assert got.shape == shape and got.dtype == np.int64
    flat = got.ravel()
    used = flat[flat >= 0]
    expected = np.arange(max(start, 0), min(start + flat.size, num_frames))
    assert np.array_equal(used, expected)
    assert np.all((flat == -1) | ((flat >= 0) & (flat < num_frames)))


@settings(max_examples=150, deadline=None)
@given(shape=shapes.filter(lambda s: len(s) >= 2), start=st.integers(-8, 12),
       num_frames=st.integers(0, 60), axis=st.sampled_from(["x", "y"]),
       hysteresis=st.integers(-9, 9))
def test_winding_only_permutes_positions(shape, start, num_frames, axis, hysteresis):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TvipsWarning)  # a scan that holds no frame
        plain = scan_index_map(num_frames, shape, start, pad=True)
        wound = scan_index_map(num_frames, shape, start, axis, hysteresis, pad=True)
    assert np.array_equal(np.sort(plain, axis=None), np.sort(wound, axis=None))
    # Odd rows (columns) are never touched.
    if axis == "x":
        assert np.array_equal(plain[..., 1::2, :], wound[..., 1::2, :])
    else:
        assert np.array_equal(plain[..., 1::2], wound[..., 1::2])


@settings(max_examples=100, deadline=None)
@given(shape=shapes.filter(lambda s: len(s) >= 2), axis=st.sampled_from(["x", "y"]),
       hysteresis=st.integers(-9, 9))
def test_winding_twice_is_identity(shape, axis, hysteresis):
    plain = np.arange(np.prod(shape)).reshape(shape)
    once = apply_winding(plain, axis, hysteresis)
    assert np.array_equal(apply_winding(once, axis, hysteresis), plain)
    if hysteresis == 0 and shape[-1 if axis == "x" else -2] > 1:
        assert not np.array_equal(once, plain)


@settings(max_examples=150, deadline=None)
@given(rows=st.integers(1, 7), cols=st.integers(1, 7), start=st.integers(0, 5),
       axis=st.sampled_from(["x", "y"]), hysteresis=st.integers(-9, 9))
def test_winding_matches_per_position_formula(rows, cols, start, axis, hysteresis):
    got = scan_index_map(start + rows * cols, (rows, cols), start, axis, hysteresis)
    for r in range(rows):
        for c in range(cols):
            if axis == "x" and r % 2 == 0:
                want = start + r * cols + (cols - 1 - (c - hysteresis) % cols)
            elif axis == "y" and c % 2 == 0:
                want = start + (rows - 1 - (r - hysteresis) % rows) * cols + c
            else:
                want = start + r * cols + c
            assert got[r, c] == want


# -- index_map_from_rotator ------------------------------------------------------------

def test_rotator_vector_from_research_notes():
    got = index_map_from_rotator([1, 3, 3, 4, 5, 5, 9, 0, 0], 0, 6, 9)
    assert got.tolist() == [0, 0, 1, 3, 4, 5, 5, 5, 6]
    assert got.dtype == np.int64


def test_rotator_worked_example_unsigned():
    # Research notes section 3.4 step 5, read as uint32 as from a file.
    r = np.array([0, 0, 0, 1, 2, 3, 4, 4, 5, 6, 8, 9, 0, 0], dtype=np.uint32)
    got = index_map_from_rotator(r, 3, 11, 9)
    assert got.reshape(3, 3).tolist() == [[3, 4, 5], [6, 8, 9], [9, 10, 11]]


def test_rotator_positions_before_first_value_take_first_frame():
    got = index_map_from_rotator([0, 3, 4, 5], 1, 3, 5)
    assert got.tolist() == [1, 1, 1, 2, 3]


def test_rotator_last_run_fills_the_rest_with_its_first_frame():
    got = index_map_from_rotator([1, 2, 3, 3, 3], 0, 4, 6)
    assert got.tolist() == [0, 1, 2, 2, 2, 2]


def test_rotator_long_run_spreads_over_skipped_positions():
    got = index_map_from_rotator([1, 1, 1, 1, 5], 0, 4, 5)
    assert got.tolist() == [0, 1, 2, 3, 4]


def test_rotator_dip_inside_the_range_counts_as_repeat():
    got = index_map_from_rotator([1, 2, 1, 4], 0, 3, 4)
    assert got.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("args", [(0, 9, 4), (3, 2, 4), (-1, 2, 4), (0, 2, 0)])
def test_rotator_bad_arguments(args):
    with pytest.raises(ArgumentError):
        index_map_from_rotator(np.arange(1, 10), *args)


def test_rotator_needs_1d():
    with pytest.raises(ArgumentError):
        index_map_from_rotator(np.ones((2, 2)), 0, 1, 2)


@st.composite
def rotator_runs(draw):
    """A non-decreasing rotator sequence from 1 with repeats and skips."""
    steps = draw(st.lists(st.integers(0, 3), min_size=1, max_size=40))
    values = 1 + np.cumsum([0] + steps)
    lead = draw(st.integers(0, 3))
    return np.concatenate([np.zeros(lead, np.int64), values, [0, 0]]), lead


@settings(max_examples=200, deadline=None)
@given(data=rotator_runs(), extra=st.integers(-2, 3))
def test_rotator_matches_reference_loop(data, extra):
    r, lead = data
    stop = lead + int(np.argmax(r[lead:]))  # first frame holding the maximum
    num_positions = max(int(r[stop]) + extra, 1)
    got = index_map_from_rotator(r.astype(np.uint32), lead, stop, num_positions)
    assert got.tolist() == reference_rotator_map(r, lead, stop, num_positions)
    assert np.all(np.diff(got) >= 0)  # frames keep acquisition order
    assert got.min() >= lead and got.max() <= stop
