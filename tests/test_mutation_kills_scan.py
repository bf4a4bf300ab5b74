"""Scan options, arrangement and detection: behaviours the mutation run found unpinned
(issue 19; see tests/mutation/survivors/).  Each test names what would break."""

import re
import warnings

import numpy as np
import pytest

from tvips_ks.errors import ArgumentError, ScanDetectionError
from tvips_ks.scan import arrange
from tvips_ks.scan.arrange import apply_winding, index_map_from_rotator, scan_index_map
from tvips_ks.scan.detect import detect_scan
from tvips_ks.scan.options import ScanOptions, describe_scan
from tvips_ks.scan.positions import _rounded

from test_detect import (HEADER, em_scan_headers, frames_with_vbf, konos_frames, konos_series,
                         snake_map)


def rotator_headers(values):
    h = np.zeros(len(values), HEADER)
    h["rotator_index"] = values
    return h


def detection_error(values):
    with pytest.raises(ScanDetectionError) as err:
        detect_scan(rotator_headers(values))
    return str(err.value)


# -- ScanOptions: what the CLI and the exporters hand on to open() ----------------------

def test_scan_options_give_every_open_argument_of_an_explicit_scan():
    options = ScanOptions.from_arguments((3, 4), scan_start_frame=2, winding_scan_axis="x",
                                         hysteresis=1, pad=True)
    assert options.as_open_kwargs() == dict(scan_shape=(3, 4), scan_start_frame=2,
                                            winding_scan_axis="x", hysteresis=1, pad=True)


@pytest.mark.parametrize("shape", [None, "auto"])
def test_scan_options_without_a_shape_give_only_the_shape(shape):
    assert ScanOptions.from_arguments(shape).as_open_kwargs() == {"scan_shape": shape}


def test_scan_options_describe_the_scan_in_words():
    assert ScanOptions.from_arguments((3, 4), 2).describe() == \
        "3 × 4 from frame 2, fly-back (no winding)"
    assert ScanOptions.from_arguments((5, 6, 7), -1, "y", 2).describe() == \
        "5 × 6 × 7 from frame -1, snake along y (hysteresis 2)"
    assert describe_scan((2, 2), 0, "x", 0) == "2 × 2 from frame 0, snake along x (hysteresis 0)"


# -- index_map_from_rotator ---------------------------------------------------------------

@pytest.mark.parametrize("name,args", [("start", (1.5, 2, 3)), ("stop", (0, "2", 3)),
                                       ("num_positions", (0, 2, 3.0))])
def test_rotator_map_names_the_argument_that_is_not_an_integer(name, args):
    with pytest.raises(ArgumentError, match=rf"^{name} must be an integer"):
        index_map_from_rotator([1, 2, 3, 4], *args)


def test_rotator_map_never_uses_frames_after_stop():
    # The last run (value 1, frames 0..2) covers the rest with its first frame; the
    # larger value after stop must not turn it into a run of its own.
    assert index_map_from_rotator([1, 1, 1, 9], 0, 2, 3).tolist() == [0, 0, 0]


# -- rotator detection: where the scan ends, and what is refused ----------------------------

def test_a_rotator_scan_ends_at_the_drop_even_if_a_second_scan_follows():
    got = detect_scan(rotator_headers([1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3]))
    assert (got.scan_shape, got.scan_start_frame) == ((3, 3), 0)
    assert got.num_frames_after == 3
    assert np.array_equal(got.frame_index, np.arange(9).reshape(3, 3))


def test_a_two_frame_rotator_series_is_reported_as_too_few_points():
    msg = detection_error([1, 2])
    assert "only 2 scan point(s) from frame 0 to 1" in msg


def test_a_rotator_scan_of_three_points_over_many_frames_is_too_few_points():
    msg = detection_error([1, 1, 2, 2, 3, 3])
    assert "only 3 scan point(s) from frame 1 to 4" in msg


def test_a_rotator_scan_of_three_frames_is_too_short_whatever_its_points():
    # 9 points over frames 2..4: too few frames, said as such (not as too many skips)
    msg = detection_error([0, 0, 1, 4, 9, 0])
    assert "only 9 scan point(s) from frame 2 to 4" in msg
    assert "claims" not in msg


def test_a_rotator_scan_with_exactly_two_points_per_frame_is_accepted():
    # 16 points over 8 frames: every other point skipped, the limit that is still read
    got = detect_scan(rotator_headers([1, 3, 5, 7, 9, 11, 13, 16, 0]))
    assert (got.scan_shape, got.scan_start_frame, got.num_frames_after) == ((4, 4), 0, 1)
    assert got.frame_index.ravel().tolist() == \
        index_map_from_rotator([1, 3, 5, 7, 9, 11, 13, 16], 0, 7, 16).tolist()


@pytest.mark.parametrize("values,claim", [
    ([1, 4, 7, 10, 13, 16, 0], "from frame 0 to 5 claims 16 points for 6 frames"),
    # one point more than twice the frames, after two frames before the scan
    ([0, 0, 1, 3, 5, 7, 9, 13, 0], "from frame 2 to 7 claims 13 points for 6 frames"),
])
def test_a_rotator_scan_with_more_than_two_points_per_frame_is_refused_up_front(values, claim):
    assert claim in detection_error(values)


def test_a_rotator_scan_where_fewer_than_half_the_points_have_a_frame_is_refused():
    # 8 frames for 16 points, but a repeat leaves 7 points with a frame of their own
    msg = detection_error([1, 2, 2, 7, 10, 13, 14, 16, 0])
    assert "16 points, 7 of them with their own frame: too many skipped points" in msg


def prime_rotator_scan(vbf):
    """307 rotator points (a prime: no row length divides it) with frames whose
    bright field is ``vbf(point)``."""
    h, stop = konos_series(307, 5, 10, 0)
    r = h["rotator_index"].astype(np.int64)
    noise = np.random.default_rng(0).normal(0, 5, r.size)
    values = np.where((r >= 1) & (r <= 307), vbf(r), 5.0) + noise
    return h, frames_with_vbf(values)


def test_a_rotator_scan_no_row_length_divides_names_the_lags_it_saw():
    # a specimen that repeats every 10 points: frames are most alike 10, 20, 30, 40 apart
    h, frames = prime_rotator_scan(lambda r: 1000 + 300 * np.sin(2 * np.pi * r / 10))
    with pytest.raises(ScanDetectionError) as err:
        detect_scan(h, frames)
    assert ("307 is not a square and the image content shows no row length that divides "
            "307 (lags where frames are most alike: 10, 20, 30, 40)") in str(err.value)


def test_a_rotator_scan_without_content_says_no_lag_was_seen():
    h, frames = prime_rotator_scan(lambda r: np.full(r.shape, 7.0))
    frames[:] = 7.0  # not even noise
    with pytest.raises(ScanDetectionError) as err:
        detect_scan(h, frames)
    assert "divides 307 (lags where frames are most alike: none)" in str(err.value)


# -- scan positions as read: rounding, and what counts as absent ----------------------------

def test_positions_are_rounded_and_absurd_ones_are_absent():
    values = np.array([1.4, 2.6, -0.6, np.nan, np.inf, -np.inf, 2**31, -2**31, 2**31 - 128,
                       3e9], dtype=np.float32)
    got = _rounded(values)
    assert got.dtype == np.int64
    assert got.tolist() == [1, 3, -1, -1, -1, -1, -1, -1, 2**31 - 128, -1]


def test_a_signalling_nan_position_is_absent_without_a_warning():
    snan = np.array([0x7FA00000], dtype="<u4").view("<f4")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _rounded(snan).tolist() == [-1]


# -- scan positions: a snake whose odd rows run backwards -------------------------------------

def test_positions_snake_with_odd_rows_reversed_and_hysteresis():
    # 6 rows: three reversed (odd) rows, each rolled by the hysteresis along its own row
    shape, start, after = (6, 5), 4, 3
    n = start + shape[0] * shape[1] + after
    index = snake_map(n, shape, start, 1, 2)
    got = detect_scan(em_scan_headers(n, index))
    assert (got.scan_shape, got.scan_start_frame, got.winding_scan_axis) == (shape, start, "x")
    assert np.array_equal(got.frame_index, index)
    assert got.num_frames_agree == shape[0] * shape[1]


def test_positions_snake_that_lost_a_frame_mid_scan_is_padded_at_its_end():
    # A 4x6 snake (even rows reversed) that dropped one frame in row 2 and ends with the
    # series: the frames are taken as consecutive, so the last position has no frame.
    sequence = [(r, x) for r in range(4) for x in (range(5, -1, -1) if r % 2 == 0 else range(6))]
    del sequence[15]
    h = np.zeros(len(sequence), HEADER)
    h["scan_y"], h["scan_x"] = zip(*sequence)
    got = detect_scan(h)
    assert (got.scan_shape, got.scan_start_frame, got.winding_scan_axis) == ((4, 6), 0, "x")
    assert np.array_equal(got.frame_index, snake_map(len(sequence), (4, 6), 0, 0, 0))
    assert got.frame_index[-1, -1] == -1
    assert got.num_frames_after == 0


# -- scan positions: the whole detection, evidence included, over the shapes a raster takes --

def position_headers(sequence):
    """Headers whose frames carry the (y, x) positions of ``sequence``, in order."""
    h = np.zeros(len(sequence), HEADER)
    h["scan_y"], h["scan_x"] = zip(*sequence)
    return h


def fly_back(rows, width):
    return [(r, x) for r in rows for x in range(width)]


RASTER = "of its {0} frames at their header position"
CASES = {
    # name: (positions, shape, start, winding, hysteresis, agree, before, after, exact,
    #        map (None: scan_index_map of the shape), evidence)
    "fly-back": (
        [(0, 0)] * 2 + fly_back(range(3), 4) + [(0, 0)],
        (3, 4), 2, None, 0, 12, 2, 1, True, None,
        "scan positions: fly-back raster of 3x4 from frame 2; 12 of its 12 frames at "
        "their header position"),
    "two frames": (
        [(0, 0), (0, 1)], (1, 2), 0, None, 0, 2, 0, 0, True, None,
        "scan positions: fly-back raster of 1x2 from frame 0; 2 of its 2 frames at their "
        "header position"),
    "single row after junk": (
        [(3, 5), (0, 0), (0, 0)] + [(0, x) for x in range(6)] + [(2, 2)],
        (1, 6), 3, None, 0, 6, 3, 1, True, None,
        "scan positions: fly-back raster of 1x6 from frame 3; 6 of its 6 frames at their "
        "header position"),
    "single row to the end": (
        [(0, x) for x in range(6)], (1, 6), 0, None, 0, 6, 0, 0, True, None,
        "scan positions: fly-back raster of 1x6 from frame 0; 6 of its 6 frames at their "
        "header position"),
    "last row more than half done": (
        fly_back(range(5), 6)[:28], (4, 6), 0, None, 0, 24, 0, 4, True, None,
        "scan positions: fly-back raster of 4x6 from frame 0; 24 of its 24 frames at their "
        "header position"),
    "a second scan follows": (
        fly_back(range(3), 4) + fly_back(range(5), 4), (3, 4), 0, None, 0, 12, 0, 20, True,
        None, "scan positions: fly-back raster of 3x4 from frame 0; 12 of its 12 frames at "
        "their header position"),
    "row 0 partly recorded after junk": (
        [(3, 1), (5, 5), (0, 4), (0, 3), (0, 4), (0, 5)] + fly_back(range(1, 4), 6),
        (4, 6), 0, None, 0, 21, 3, 0, False,
        [[-1, -1, -1, 3, 4, 5]] + [list(range(r * 6, r * 6 + 6)) for r in range(1, 4)],
        "scan positions: fly-back raster of 4x6 from frame 0; 21 of its 21 frames at their "
        "header position; row 0 starts mid-row at frame 3, its first 3 position(s) have no "
        "frame"),
    # junk before the scan holds a run at y = 1 after one at y = 0, not a whole row:
    # the scan's own row 1 (whole, and the series' last run) is the anchor
    "junk row 1 before two rows": (
        [(0, 3), (1, 2), (1, 2)] + fly_back(range(2), 4), (2, 4), 3, None, 0, 8, 3, 0, True,
        None, "scan positions: fly-back raster of 2x4 from frame 3; 8 of its 8 frames at their "
        "header position"),
    # a whole junk row 1 followed by y = 3 (not row 2, not a drop) is not the anchor
    "whole junk row 1 before the scan": (
        [(0, 5), (1, 0), (1, 1), (3, 3)] + fly_back(range(3), 4), (3, 4), 4, None, 0, 12, 4, 0,
        True, None, "scan positions: fly-back raster of 3x4 from frame 4; 12 of its 12 frames "
        "at their header position"),
    "two columns": (
        fly_back(range(3), 2), (3, 2), 0, None, 0, 6, 0, 0, True, None,
        "scan positions: fly-back raster of 3x2 from frame 0; 6 of its 6 frames at their "
        "header position"),
    "single row to the end after junk": (
        [(3, 5)] + [(0, x) for x in range(6)], (1, 6), 1, None, 0, 6, 1, 0, True, None,
        "scan positions: fly-back raster of 1x6 from frame 1; 6 of its 6 frames at their "
        "header position"),
    "two-column snake": (
        [(0, 1), (0, 0), (1, 0), (1, 1), (2, 1), (2, 0)], (3, 2), 0, "x", 0, 6, 0, 0, True,
        [[1, 0], [2, 3], [5, 4]],
        "scan positions: snake raster of 3x2 from frame 0; 6 of its 6 frames at their header "
        "position"),
    "two-row snake with hysteresis": (
        [(0, 0), (0, 3), (0, 2), (0, 1)] + fly_back([1], 4), (2, 4), 0, "x", 1, 8, 0, 0, True,
        [[0, 3, 2, 1], [4, 5, 6, 7]],
        "scan positions: snake raster of 2x4 from frame 0; 8 of its 8 frames at their header "
        "position; reversed rows shifted by 1 (hysteresis)"),
    "two-row snake, first row forward": (
        fly_back([0], 4) + [(1, 3), (1, 2), (1, 1), (1, 0)], (2, 4), 0, "x", 0, 8, 0, 0, False,
        [[0, 1, 2, 3], [7, 6, 5, 4]],
        "scan positions: snake whose first row runs forward (odd rows reversed) raster of 2x4 "
        "from frame 0; 8 of its 8 frames at their header position; open()'s winding convention "
        "reverses the even rows, so as_open_kwargs() gives this scan mirrored along x: use "
        "frame_index"),
    # row 0 lost its reversed head, and there is no row 2 to read the hysteresis from
    "two-row snake starting mid-row": (
        [(0, 1), (0, 0)] + fly_back([1], 4), (2, 4), -2, "x", 0, 6, 0, 0, True,
        [[1, 0, -1, -1], [2, 3, 4, 5]],
        "scan positions: snake raster of 2x4 from frame -2; 6 of its 6 frames at their header "
        "position; row 0 starts mid-row at frame 0, its first 2 position(s) have no frame"),
    # rows 2 and 3 hold every frame away from its place: half the frames agree, enough
    "half the frames where the raster puts them": (
        fly_back(range(2), 4) + [(r, x) for r in (2, 3) for x in (1, 0, 3, 2)], (4, 4), 0, None,
        0, 8, 0, 0, True, None,
        "scan positions: fly-back raster of 4x4 from frame 0; 8 of its 16 frames at their "
        "header position"),
    # row 2 kept fewer than half its frames: the scan ends before it
    "a row with too few frames ends the scan": (
        fly_back(range(2), 6) + [(2, 0), (2, 1)] + fly_back(range(3, 5), 6), (2, 6), 0, None, 0,
        12, 0, 14, True, None,
        "scan positions: fly-back raster of 2x6 from frame 0; 12 of its 12 frames at their "
        "header position"),
    "one reversed row": (
        [(0, x) for x in range(5, -1, -1)] + [(1, 0), (1, 5)],
        (1, 6), 0, "x", 0, 6, 0, 2, True, [[5, 4, 3, 2, 1, 0]],
        "scan positions: snake raster of 1x6 from frame 0; 6 of its 6 frames at their "
        "header position"),
}


@pytest.mark.parametrize("name", CASES)
def test_positions_detection_in_full(name):
    (positions, shape, start, winding, hysteresis, agree, before, after, exact, index,
     evidence) = CASES[name]
    got = detect_scan(position_headers(positions))
    assert got.method == "scan_position"
    assert (got.scan_shape, got.scan_start_frame, got.winding_scan_axis, got.hysteresis) == \
        (shape, start, winding, hysteresis)
    assert (got.num_frames_agree, got.num_frames_before, got.num_frames_after) == \
        (agree, before, after)
    assert got.kwargs_exact is exact
    want = scan_index_map(len(positions), shape, start, pad=True) if index is None else index
    assert got.frame_index.tolist() == np.asarray(want).tolist()
    assert got.evidence == evidence


@pytest.mark.parametrize("parity,hysteresis,start,evidence", [
    (0, 2, 3, "scan positions: snake raster of 5x6 from frame 3; 30 of its 30 frames at their "
              "header position; reversed rows shifted by 2 (hysteresis)"),
    (1, 5, 2, "scan positions: snake whose first row runs forward (odd rows reversed) raster "
              "of 5x6 from frame 2; 30 of its 30 frames at their header position; reversed "
              "rows shifted by -1 (hysteresis); open()'s winding convention reverses the even "
              "rows, so as_open_kwargs() gives this scan mirrored along x: use frame_index"),
    # row 0 begins 3 positions in, so its reversed head is missing: the hysteresis is read
    # from row 2
    (0, 2, -3, "scan positions: snake raster of 5x6 from frame -3; 27 of its 27 frames at "
               "their header position; reversed rows shifted by 2 (hysteresis); row 0 "
               "starts mid-row at frame 0, its first 3 position(s) have no frame"),
])
def test_positions_snake_detection_in_full(parity, hysteresis, start, evidence):
    n = max(start, 0) + 30 + 2 - max(-start, 0)
    index = snake_map(n, (5, 6), start, parity, hysteresis)
    got = detect_scan(em_scan_headers(n, index))
    shift = hysteresis if hysteresis <= 3 else hysteresis - 6
    assert (got.scan_shape, got.scan_start_frame, got.winding_scan_axis, got.hysteresis) == \
        ((5, 6), start, "x", shift)
    assert np.array_equal(got.frame_index, index)
    assert got.num_frames_agree == int(np.count_nonzero(index >= 0))
    assert got.kwargs_exact is (parity == 0)
    assert got.evidence == evidence


@pytest.mark.parametrize("positions,note", [
    # rows 2..7 hold every frame at x = 3: only one in four frames is where the raster puts it
    (fly_back(range(2), 4) + [(r, 3) for r in range(2, 8) for _ in range(4)],
     "scan positions: fly-back raster of 8x4 from frame 0; 14 of its 32 frames at their "
     "header position, so the positions do not follow a raster"),
    ([(0, 0), (1, 0), (1, 0), (2, 0)], "scan positions: row 1 at frame 1 has width 1"),
    ([(0, 3), (0, 2), (0, 5), (0, 4)],
     "scan positions: present, but no frame at (0, 0) followed by (0, 1) and no step from "
     "row 0 to row 1"),
    ([(0, 0)] * 5, "scan positions: all zero"),
])
def test_positions_that_give_no_scan_say_why(positions, note):
    with pytest.raises(ScanDetectionError) as err:
        detect_scan(position_headers(positions))
    assert f"could not detect the scan: {note}; rotator index: never increases" in str(err.value)


# -- ScanOptions.from_arguments: refusals that name what to fix --------------------------------

@pytest.mark.parametrize("kwargs,message", [
    (dict(scan_start_frame=1.5), r"^scan_start_frame must be an integer, got 1\.5$"),
    (dict(winding_scan_axis="x", hysteresis=0.5), r"^hysteresis must be an integer, got 0\.5$"),
    (dict(pad="yes"), r"^pad must be True or False, got 'yes'$"),
    (dict(scan_start_frame=2**62), r"^scan_start_frame=4611686018427387904 is beyond any series"),
    (dict(scan_start_frame=-2**62), r"^scan_start_frame=-4611686018427387904 is beyond any"),
])
def test_scan_options_refusals_name_the_argument(kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        ScanOptions.from_arguments((2, 2), **kwargs)


def test_scan_options_take_any_start_frame_below_the_limit():
    assert ScanOptions.from_arguments((2, 2), 2**62 - 1).scan_start_frame == 2**62 - 1


def test_scan_options_name_the_arguments_that_need_a_shape():
    with pytest.raises(ArgumentError, match=r"^scan_start_frame, pad need\(s\) scan_shape$"):
        ScanOptions.from_arguments(None, scan_start_frame=2, pad=True)


# -- rotator detection: the account it gives, and when open()'s arguments are exact ------------

def clean_rotator_headers(points, lead, after):
    """A rotator index that counts 1..points with no repeat and no skip."""
    return rotator_headers([0] * lead + list(range(1, points + 1)) + [0] * after)


def test_a_clean_square_rotator_scan_without_frames():
    got = detect_scan(clean_rotator_headers(9, 2, 1))
    assert (got.scan_shape, got.scan_start_frame, got.winding_scan_axis) == ((3, 3), 2, None)
    assert got.kwargs_exact is True  # one frame per point: open()'s arguments give the map
    assert got.evidence == (
        "rotator index: scan from frame 2 to 10, 9 points, 9 of them with their own frame; "
        "square 3x3; fly-back or snake not checked (the rotator index does not record the "
        "scan direction; EM-Konos scans are usually snake: pass winding_scan_axis='x' if "
        "rows zig-zag, or call detect_scan(..., image_content=True))")


def test_a_rotator_scan_with_repeats_says_its_map_differs_from_open_arguments():
    got = detect_scan(rotator_headers([1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 0]))
    assert got.kwargs_exact is False
    assert got.evidence.endswith("; repeated or skipped points make frame_index differ from "
                                 "as_open_kwargs()")


def test_a_clean_square_rotator_snake_found_from_the_image_content():
    h = clean_rotator_headers(1600, 9, 5)
    got = detect_scan(h, konos_frames(h, (40, 40), 0, 2, 3), image_content=True)
    assert (got.scan_shape, got.winding_scan_axis, got.hysteresis) == ((40, 40), "x", 2)
    assert got.kwargs_exact is True  # the snake and its hysteresis are in open()'s arguments
    assert np.array_equal(got.frame_index, snake_map(1615, (40, 40), 9, 0, 2))
    assert got.evidence.startswith(
        "rotator index: scan from frame 9 to 1608, 1600 points, 1600 of them with their own "
        "frame; square 40x40; image content: snake with hysteresis 2 40x40: ")
    assert " (next snake with hysteresis " in got.evidence
    assert got.evidence.endswith(" standard errors behind)")


def test_a_clean_rectangular_rotator_scan_names_its_row_length_source():
    h = clean_rotator_headers(2400, 9, 5)
    got = detect_scan(h, konos_frames(h, (40, 60), None, 0, 1))
    assert (got.scan_shape, got.winding_scan_axis, got.kwargs_exact) == ((40, 60), None, True)
    assert got.evidence.startswith(
        "rotator index: scan from frame 9 to 2408, 2400 points, 2400 of them with their own "
        "frame; row length 60 from the image content (")
    assert " standard deviations ahead of the next) 40x60; image content: fly-back 40x60: " \
        in got.evidence


@pytest.mark.parametrize("shape", [(3, 20), (20, 4)])
def test_row_lengths_at_the_smallest_scan_are_candidates(shape):
    # 3 rows and rows of 4 are the smallest scans the content is asked about: the account
    # names that shape as the best fit (too small a scan to be sure of it, so an error).
    # The wording of each layout comes from scan/layouts.py's account().
    points = shape[0] * shape[1]
    h = clean_rotator_headers(points, 3, 2)
    with pytest.raises(ScanDetectionError) as err:
        detect_scan(h, konos_frames(h, shape, None, 0, 1))
    assert re.search(rf"the image content fits \S.*\b{shape[0]}x{shape[1]}\b.* hardly better "
                     rf"than \S.*\d+x\d+", str(err.value))


def test_a_rotator_scan_whose_content_cannot_tell_its_direction_is_taken_as_fly_back():
    h = clean_rotator_headers(400, 3, 2)
    noise = frames_with_vbf(np.random.default_rng(3).normal(1000, 5, len(h)))
    got = detect_scan(h, noise, image_content=True)
    assert (got.scan_shape, got.winding_scan_axis, got.hysteresis) == ((20, 20), None, 0)
    assert "; square 20x20; the image content cannot tell " in got.evidence
    assert got.evidence.endswith(": fly-back assumed, pass winding_scan_axis='x' and "
                                 "hysteresis=h if rows zig-zag")


# -- scan_index_map and ScanOptions: arguments named, defaults ---------------------------------

@pytest.mark.parametrize("args,kwargs,name", [
    ((1.5, (2, 2)), {}, "num_frames"),
    ((10, (2, 2), 0.5), {}, "scan_start_frame"),
    ((10, (2, 2), 0, "x", 0.5), {}, "hysteresis"),
])
def test_scan_index_map_names_the_argument_that_is_not_an_integer(args, kwargs, name):
    with pytest.raises(ArgumentError, match=rf"^{name} must be an integer"):
        scan_index_map(*args, **kwargs)


def test_scan_index_map_has_no_hysteresis_unless_asked():
    assert scan_index_map(6, (2, 3), 0, "x").tolist() == [[2, 1, 0], [3, 4, 5]]


def test_scan_options_refuse_scan_arguments_with_auto_naming_them():
    with pytest.raises(ArgumentError, match=r"^scan_start_frame, winding_scan_axis, hysteresis, "
                                            r"pad cannot be combined with scan_shape='auto'"):
        ScanOptions.from_arguments("auto", scan_start_frame=2, winding_scan_axis="x",
                                   hysteresis=1, pad=True)


def test_scan_options_refuse_hysteresis_without_a_snake():
    with pytest.raises(ArgumentError, match=r"^hysteresis applies to a snake scan"):
        ScanOptions.from_arguments((2, 2), hysteresis=1)


@pytest.mark.parametrize("positions,shape", [
    # row 2 kept exactly half its frames: kept, the frames taken as consecutive
    (fly_back(range(2), 6) + [(2, 0), (2, 1), (2, 2)] + fly_back(range(3, 5), 6), (5, 6)),
    # a fly-back scan that lost one frame in row 2 and ends with the series: padded
    (fly_back(range(2), 6) + [(2, x) for x in (0, 1, 3, 4, 5)] + fly_back([3], 6), (4, 6)),
])
def test_a_raster_that_lost_frames_is_padded_at_its_end(positions, shape):
    got = detect_scan(position_headers(positions))
    assert got.scan_shape == shape
    want = scan_index_map(len(positions), shape, 0, pad=True)
    assert got.frame_index.tolist() == want.tolist()
    assert got.frame_index[-1, -1] == -1
    # the scan runs to the end of the series (padded there): no frame is after it
    assert (got.num_frames_before, got.num_frames_after) == (0, 0)


def test_scan_options_refuse_a_snake_of_one_axis():
    with pytest.raises(ArgumentError, match=r"^winding_scan_axis='x' needs at least 2 scan axes"):
        ScanOptions.from_arguments((5,), winding_scan_axis="x")


def test_scan_x_without_scan_y_is_no_scan_position():
    h = np.zeros(11, [("counter", "<u4"), ("rotator_index", "<u4"), ("scan_x", "<f4")])
    h["rotator_index"] = [0] + list(range(1, 10)) + [0]
    h["scan_x"] = np.arange(11) % 3
    got = detect_scan(h)
    assert (got.method, got.scan_shape, got.scan_start_frame) == ("rotator_index", (3, 3), 1)


def test_apply_winding_has_no_hysteresis_unless_asked_and_names_a_bad_one():
    assert apply_winding(np.arange(6).reshape(2, 3), "x").tolist() == [[2, 1, 0], [3, 4, 5]]
    with pytest.raises(ArgumentError, match=r"^hysteresis must be an integer"):
        apply_winding(np.arange(6).reshape(2, 3), "x", 0.5)


def test_a_padded_scan_may_have_up_to_max_padded_positions(monkeypatch):
    monkeypatch.setattr(arrange, "MAX_PADDED_POSITIONS", 100)
    assert (scan_index_map(10, (10, 10), pad=True) >= 0).sum() == 10
    with pytest.raises(ArgumentError) as err:
        scan_index_map(10, (11, 10), pad=True)
    assert str(err.value) == (
        "scan_shape (11, 10) has 110 positions but the series has only 10 frames; a map of "
        "that many positions would need 8.2e-07 GiB. Check scan_shape")


def test_a_scan_past_the_last_frame_says_which_frames_it_needs():
    with pytest.raises(ArgumentError, match=r"^scan_shape \(3, 4\) starting at frame -1 needs "
                                            r"frames 0 to 10 \(11 frames\), but the series has "
                                            r"10 frame\(s\) \(0 to 9\); pass pad=True"):
        scan_index_map(10, (3, 4), -1)


@pytest.mark.parametrize("shape,message", [
    ([[2, 3], [4, 5]], r"^scan_shape must be a tuple of positive integers, got \[\[2, 3\], \[4, 5\]\]$"),
    ((2, 1.5), r"^every scan_shape entry must be an integer, got 1\.5$"),
])
def test_scan_shapes_refused_say_why(shape, message):
    with pytest.raises(ArgumentError, match=message):
        ScanOptions.from_arguments(shape)


@pytest.mark.parametrize("shape", [[[1], [1, 2]], [(2, 3), (4,)], ((2,), [3, 4])])
def test_a_ragged_scan_shape_is_refused_as_a_shape_not_as_an_empty_one(shape):
    """numpy cannot even count the axes of a ragged nesting; it raised numpy's ValueError
    before the library's own error."""
    from tvips_ks.scan.options import as_shape

    with pytest.raises(ArgumentError, match=r"must be a tuple of positive integers, got [\[(]"):
        as_shape(shape)
