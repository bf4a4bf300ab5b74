"""Tests of tvips_ks.detect: automatic scan detection on synthetic series.

The series imitate the acquisition software: EM-Scan writes scan positions
(fly-back, or snake), EM-Konos writes a rotator index that repeats and
skips, and some series carry neither, so only the image content is left.
Expected results are built independently of the detector: from the scan the
series was made with, or from the loop-based reference rotator map.
"""

import dataclasses

import numpy as np
import pytest

from test_scan import reference_rotator_map
from tvips_ks.scan.detect import ScanDetection, detect_scan
from tvips_ks.errors import ArgumentError, ScanDetectionError
from tvips_ks.scan.arrange import scan_index_map

HEADER = np.dtype([("counter", "<u4"), ("timestamp_s", "<u4"), ("timestamp_ms", "<u4"),
                   ("rotator_index", "<u4"), ("scan_x", "<f4"), ("scan_y", "<f4")])
FRAME = 8  # 8x8 frames: the default disk is the central 2x2 block


# -- builders ----------------------------------------------------------------------

def snake_map(n, shape, start, parity, hysteresis):
    """Position -> frame of a snake whose rows of ``parity`` run backwards,
    written out position by position (independent of the module)."""
    rows, cols = shape
    out = np.empty(shape, np.int64)
    for r in range(rows):
        for c in range(cols):
            if r % 2 == parity:
                j = cols - 1 - (c - hysteresis) % cols
            else:
                j = c
            f = start + r * cols + j
            out[r, c] = f if 0 <= f < n else -1
    return out


def em_scan_headers(n, position_of_frame, junk="zeros", seed=0):
    """Headers with scan positions; frames not in the map get junk positions."""
    h = np.zeros(n, HEADER)
    h["counter"] = np.arange(n)
    if junk == "random":
        rng = np.random.default_rng(seed)
        h["scan_x"] = rng.integers(0, 6, n)
        h["scan_y"] = rng.integers(0, 6, n)
    yy, xx = np.indices(position_of_frame.shape)
    f = position_of_frame.ravel()
    ok = f >= 0
    h["scan_x"][f[ok]] = xx.ravel()[ok]
    h["scan_y"][f[ok]] = yy.ravel()[ok]
    return h


def specimen(shape, seed, sigma=2.0):
    """A smooth random field (a specimen seen in bright field), mean 1000."""
    rng = np.random.default_rng(seed)
    ky = np.fft.fftfreq(shape[0])[:, None]
    kx = np.fft.fftfreq(shape[1])[None, :]
    blur = np.exp(-2 * (np.pi * sigma) ** 2 * (ky ** 2 + kx ** 2))
    field = np.fft.ifft2(np.fft.fft2(rng.standard_normal(shape)) * blur).real
    return 1000 + 200 * (field - field.mean()) / field.std()


def frames_with_vbf(values, seed=0):
    """Frames whose central 2x2 disk holds ``values``, noise elsewhere."""
    rng = np.random.default_rng(seed)
    frames = rng.normal(100, 10, (values.size, FRAME, FRAME)).astype(np.float32)
    frames[:, 3:5, 3:5] = values[:, None, None]
    return frames


def image_series(shape, start, after, parity=None, hysteresis=0, junk="blank", seed=0):
    """Frames of a scan (the specimen seen through the scan map) with junk
    frames before and after; returns (frames, position -> frame map)."""
    rng = np.random.default_rng(seed + 100)
    n = start + shape[0] * shape[1] + after
    if parity is None:
        index = scan_index_map(n, shape, start)
    else:
        index = snake_map(n, shape, start, parity, hysteresis)
    values = np.empty(n)
    outside = np.ones(n, bool)
    outside[index.ravel()] = False
    if junk == "blank":  # beam blanked: dark, with read noise
        values[outside] = rng.normal(5, 1, outside.sum())
    else:  # constant (frozen) frames
        values[outside] = 321.0
    values[index.ravel()] = specimen(shape, seed).ravel() + rng.normal(0, 5, index.size)
    return frames_with_vbf(values, seed), index


def konos_values(points, rng, p_repeat=0.2, p_skip=0.08):
    """EM-Konos rotator values 1..points with repeats and skips."""
    out, v = [], 1
    while v <= points:
        out.append(v)
        if rng.random() < p_repeat:
            out.append(v)
        v += 2 if (rng.random() < p_skip and 1 < v < points - 1) else 1
    return np.array(out)


def konos_series(points, lead, after, seed, lead_value=0, after_value=0):
    rng = np.random.default_rng(seed)
    values = konos_values(points, rng)
    n = lead + values.size + after
    r = np.full(n, after_value, np.int64)
    r[:lead] = lead_value
    r[lead:lead + values.size] = values
    h = np.zeros(n, HEADER)
    h["rotator_index"] = r
    stop = lead + int(np.flatnonzero(values == points)[0])
    return h, stop


def konos_frames(headers, shape, parity, hysteresis, seed):
    """Frames whose VBF shows the specimen at each frame's rotator point,
    the points taken in acquisition order (snake or fly-back)."""
    rng = np.random.default_rng(seed + 7)
    points = shape[0] * shape[1]
    if parity is None:
        where = scan_index_map(points, shape)
    else:
        where = snake_map(points, shape, 0, parity, hysteresis)
    position = np.empty(points, np.int64)  # acquisition order -> flat position
    position[where.ravel()] = np.arange(points)
    r = headers["rotator_index"].astype(np.int64)
    values = rng.normal(5, 1, r.size)
    inside = (r >= 1) & (r <= points)
    values[inside] = (specimen(shape, seed).ravel()[position[r[inside] - 1]]
                      + rng.normal(0, 5, inside.sum()))
    return frames_with_vbf(values, seed)


class FakeDataset:
    """What detect_scan reads from a dataset: frame headers and frames."""

    def __init__(self, frame_headers, frames=None):
        self.frame_headers = frame_headers
        self.frames = frames


class MultiPartFrames:
    """Frames split over parts, sliced like a reader's frame stack."""

    def __init__(self, parts):
        self.parts = parts
        self.starts = np.cumsum([0] + [len(p) for p in parts])
        self.shape = (int(self.starts[-1]), *parts[0].shape[1:])

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        frames, *pixels = key if isinstance(key, tuple) else (key,)
        i, j, _ = frames.indices(self.shape[0])
        pieces = [p[max(i - s, 0):max(j - s, 0)] for p, s in zip(self.parts, self.starts)]
        return np.concatenate(pieces)[(slice(None), *pixels)]


def check(result, shape, start, winding, hysteresis, index, method, before, after):
    assert result.scan_shape == shape
    assert result.scan_start_frame == start
    assert result.winding_scan_axis == winding
    assert result.hysteresis == hysteresis
    assert result.method == method
    assert result.frame_index.dtype == np.int64
    assert np.array_equal(result.frame_index, index)
    assert result.num_frames_before == before
    assert result.num_frames_after == after


# -- method 1: scan positions --------------------------------------------------------

def test_positions_fly_back_with_junk_before_and_after():
    n = 5 + 12 + 7
    index = scan_index_map(n, (3, 4), 5)
    h = em_scan_headers(n, index)  # junk at (0, 0) before and after
    got = detect_scan(h)
    check(got, (3, 4), 5, None, 0, index, "scan_position", 5, 7)
    assert got.num_frames_agree == 12 and got.kwargs_exact
    assert got.as_open_kwargs() == dict(scan_shape=(3, 4), scan_start_frame=5,
                                        winding_scan_axis=None, hysteresis=0)
    assert "3x4" in got.evidence


@pytest.mark.parametrize("hysteresis", range(6))
@pytest.mark.parametrize("shape", [(10, 7), (6, 16)])
def test_positions_snake_with_hysteresis(shape, hysteresis):
    n = 3 + shape[0] * shape[1] + 9
    index = snake_map(n, shape, 3, 0, hysteresis)
    got = detect_scan(em_scan_headers(n, index, junk="random", seed=hysteresis))
    # A cyclic shift is reported in (-W/2, W/2]: 4 and -3 are the same for W=7.
    width = shape[1]
    shift = hysteresis if hysteresis <= width // 2 else hysteresis - width
    check(got, shape, 3, "x", shift, index, "scan_position", 3, 9)
    assert got.kwargs_exact
    assert np.array_equal(scan_index_map(n, **got.as_open_kwargs()), index)


def test_positions_snake_whose_first_row_runs_forward():
    n = 9 + 40 + 4
    index = snake_map(n, (5, 8), 9, 1, 0)
    got = detect_scan(em_scan_headers(n, index))
    check(got, (5, 8), 9, "x", 0, index, "scan_position", 9, 4)
    assert not got.kwargs_exact
    assert got.num_frames_agree == 40
    assert "mirrored" in got.evidence


def test_positions_scan_starting_mid_row():
    # The recording began 4 positions into row 0 of a 6x9 scan.
    n = 50 + 11
    index = scan_index_map(n, (6, 9), -4)
    got = detect_scan(em_scan_headers(n, index))
    check(got, (6, 9), -4, None, 0, index, "scan_position", 0, 11)
    assert (got.frame_index[0, :4] == -1).all()


def test_positions_single_row():
    n = 2 + 6 + 3
    index = scan_index_map(n, (1, 6), 2)
    check(detect_scan(em_scan_headers(n, index)), (1, 6), 2, None, 0, index,
          "scan_position", 2, 3)


def test_positions_incomplete_last_row_is_left_out():
    n = 30
    full = scan_index_map(n, (5, 7), 1, pad=True)
    h = em_scan_headers(n, full)  # frames 1..29: rows 0-3, and 1 frame of row 4
    got = detect_scan(h)
    check(got, (4, 7), 1, None, 0, full[:4], "scan_position", 1, 1)


def test_positions_counted_by_agreement():
    n = 40
    index = scan_index_map(n, (5, 6), 4)
    h = em_scan_headers(n, index)
    h["scan_x"][index[2, 3]] = 5  # one glitched header
    got = detect_scan(h)
    check(got, (5, 6), 4, None, 0, index, "scan_position", 4, 6)
    assert got.num_frames_agree == 29


def test_positions_float_values_are_rounded():
    n = 20
    index = scan_index_map(n, (3, 5), 2)
    h = em_scan_headers(n, index)
    h["scan_x"] += np.float32(0.3)
    h["scan_y"] -= np.float32(0.2)
    check(detect_scan(h), (3, 5), 2, None, 0, index, "scan_position", 2, 3)


def test_positions_in_a_later_part_of_a_multi_part_series():
    # Part 0 is short and holds only junk; the scan starts in part 1.
    n = 7 + 24 * 30 + 5
    index = scan_index_map(n, (24, 30), 7)
    headers = em_scan_headers(n, index)
    parts = [np.zeros((3, FRAME, FRAME)), np.zeros((400, FRAME, FRAME)),
             np.zeros((n - 403, FRAME, FRAME))]
    got = detect_scan(FakeDataset(headers, MultiPartFrames(parts)))
    check(got, (24, 30), 7, None, 0, index, "scan_position", 7, 5)


def test_positions_that_follow_no_raster_fall_through():
    h = np.zeros(500, HEADER)
    rng = np.random.default_rng(3)
    h["scan_x"] = rng.integers(0, 9, 500)
    h["scan_y"] = rng.integers(0, 9, 500)
    with pytest.raises(ScanDetectionError) as err:
        detect_scan(h)
    msg = str(err.value)
    assert "do not follow a raster" in msg and "scan_shape=(rows, cols)" in msg
    h["rotator_index"][:484] = np.arange(1, 485)
    assert detect_scan(h).method == "rotator_index"


def test_zero_positions_fall_through_to_rotator():
    h = np.zeros(20, HEADER)
    h["rotator_index"][2:18] = np.arange(1, 17)
    got = detect_scan(h)
    assert got.method == "rotator_index"
    check(got, (4, 4), 2, None, 0, np.arange(2, 18).reshape(4, 4),
          "rotator_index", 2, 2)


# -- method 2: rotator index ---------------------------------------------------------

def test_rotator_worked_example_from_research_notes():
    h = np.zeros(14, HEADER)
    h["rotator_index"] = [0, 0, 0, 1, 2, 3, 4, 4, 5, 6, 8, 9, 0, 0]  # u4, as read
    got = detect_scan(h)
    check(got, (3, 3), 3, None, 0, [[3, 4, 5], [6, 8, 9], [9, 10, 11]],
          "rotator_index", 3, 2)
    assert not got.kwargs_exact
    assert "not checked" in got.evidence


@pytest.mark.parametrize("r,start", [
    ([5, 5, 5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 1, 1], 3),  # leading constant, drop
    ([1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0], 2),  # leading constant 1
    ([3, 3, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9], 2),  # run of 1 after the drop
])
def test_rotator_start_and_stop(r, start):
    h = np.zeros(len(r), HEADER)
    h["rotator_index"] = r
    got = detect_scan(h)
    expected = reference_rotator_map(np.array(r), start, r.index(9), 9)
    check(got, (3, 3), start, None, 0, np.reshape(expected, (3, 3)),
          "rotator_index", start, len(r) - r.index(9) - 1)


@pytest.mark.parametrize("seed", range(4))
def test_rotator_repeats_skips_junk(seed):
    h, stop = konos_series(400, 11, 37, seed, lead_value=7 * (seed % 2), after_value=seed % 2)
    got = detect_scan(h)
    r = h["rotator_index"].astype(np.int64)
    expected = np.reshape(reference_rotator_map(r, 11, stop, 400), (20, 20))
    check(got, (20, 20), 11, None, 0, expected, "rotator_index", 11, h.size - stop - 1)
    # The frames that agree are the first frame of each rotator value.
    assert got.num_frames_agree == np.unique(r[11:stop + 1]).size
    assert got.num_frames_agree < 400  # the series has skips


def test_rotator_non_square_without_frames_says_what_to_pass():
    h, stop = konos_series(300, 13, 20, 0)
    with pytest.raises(ScanDetectionError) as err:
        detect_scan(h)
    msg = str(err.value)
    assert "300 points" in msg and "not a square" in msg
    assert "scan_shape=(rows, cols)" in msg and "scan_start_frame=13" in msg


@pytest.mark.parametrize("shape,parity,hysteresis", [
    ((40, 60), None, 0), ((36, 50), 0, 3), ((48, 32), 0, 5), ((32, 75), 0, 0)])
def test_rotator_non_square_row_length_from_image_content(shape, parity, hysteresis):
    points = shape[0] * shape[1]
    h, stop = konos_series(points, 13, 60, 1)
    frames = konos_frames(h, shape, parity, hysteresis, 1)
    got = detect_scan(h, frames)
    r = h["rotator_index"].astype(np.int64)
    linear = np.array(reference_rotator_map(r, 13, stop, points))
    if parity is None:
        expected = linear.reshape(shape)
    else:
        expected = linear[snake_map(points, shape, 0, 0, hysteresis)]
    winding = None if parity is None else "x"
    check(got, shape, 13, winding, hysteresis, expected, "rotator_index", 13,
          h.size - stop - 1)


def test_rotator_square_count_but_rectangular_scan():
    shape = (36, 64)  # 2304 = 48 * 48 points
    h, stop = konos_series(2304, 5, 10, 2)
    frames = konos_frames(h, shape, None, 0, 2)
    assert detect_scan(h, frames).scan_shape == (48, 48)  # headers alone: square
    got = detect_scan(h, frames, image_content=True)
    assert got.scan_shape == shape and got.winding_scan_axis is None


def test_rotator_square_snake_found_with_image_content():
    h, stop = konos_series(1600, 9, 30, 3)
    frames = konos_frames(h, (40, 40), 0, 2, 3)
    got = detect_scan(FakeDataset(h, frames), image_content=True)
    assert (got.scan_shape, got.winding_scan_axis, got.hysteresis) == ((40, 40), "x", 2)
    linear = np.array(reference_rotator_map(h["rotator_index"].astype(np.int64),
                                            9, stop, 1600))
    assert np.array_equal(got.frame_index, linear[snake_map(1600, (40, 40), 0, 0, 2)])


def test_rotator_with_too_many_skips_is_an_error():
    h = np.zeros(12, HEADER)
    h["rotator_index"] = [0, 1, 4, 7, 10, 13, 16, 25, 0, 0, 0, 0]
    with pytest.raises(ScanDetectionError, match="too many skipped"):
        detect_scan(h)


def test_rotator_never_increasing_falls_through_to_image_content():
    frames, index = image_series((30, 40), 0, 0, seed=4)
    h = np.zeros(len(frames), HEADER)
    h["rotator_index"] = 3
    got = detect_scan(h, frames)
    assert got.method == "image_content" and got.scan_shape == (30, 40)


# -- method 3: image content ---------------------------------------------------------

@pytest.mark.parametrize("junk", ["blank", "constant"])
@pytest.mark.parametrize("shape", [(40, 50), (60, 33)])
def test_image_fly_back_with_junk(shape, junk):
    frames, index = image_series(shape, 17, 23, junk=junk, seed=shape[1])
    got = detect_scan(None, frames)
    check(got, shape, 17, None, 0, index, "image_content", 17, 23)
    assert got.num_frames_agree == shape[0] * shape[1]
    assert "17 beam-blanked or constant" in got.evidence


@pytest.mark.parametrize("hysteresis", range(6))
def test_image_snake_hysteresis(hysteresis):
    shape = (30, 64) if hysteresis % 2 else (48, 40)
    frames, index = image_series(shape, 11, 5, parity=0, hysteresis=hysteresis,
                                 seed=hysteresis)
    got = detect_scan(None, frames)
    check(got, shape, 11, "x", hysteresis, index, "image_content", 11, 5)


def test_image_without_junk_assumes_start_zero():
    frames, index = image_series((40, 50), 0, 0, seed=9)
    got = detect_scan(FakeDataset(np.zeros(len(frames), HEADER), frames))
    check(got, (40, 50), 0, None, 0, index, "image_content", 0, 0)
    assert "start assumed at frame 0" in got.evidence


def test_image_dark_corner_is_not_mistaken_for_junk():
    frames, index = image_series((40, 50), 0, 0, seed=10)
    vbf = frames[:, 3:5, 3:5].mean(axis=(1, 2))
    corner = index[:6, :5].ravel()  # a dark feature at the scan's start
    frames[corner, 3:5, 3:5] = (vbf[corner] * 0.1)[:, None, None]
    got = detect_scan(None, frames)
    assert got.scan_start_frame == 0 and got.scan_shape == (40, 50)


def test_image_multi_part_series_with_short_first_part():
    frames, index = image_series((40, 50), 12, 8, seed=11)
    parts = MultiPartFrames([frames[:5], frames[5:700], frames[700:]])
    got = detect_scan(None, parts)
    check(got, (40, 50), 12, None, 0, index, "image_content", 12, 8)


def test_image_noise_is_an_error():
    rng = np.random.default_rng(12)
    frames = frames_with_vbf(rng.normal(1000, 50, 2000))
    with pytest.raises(ScanDetectionError) as err:
        detect_scan(None, frames)
    msg = str(err.value)
    assert "image content" in msg and "scan_shape=(rows, cols)" in msg


def test_image_constant_frames_are_an_error():
    with pytest.raises(ScanDetectionError):
        detect_scan(None, np.ones((500, FRAME, FRAME)))


def test_no_headers_no_frames():
    h = np.zeros(100, HEADER)
    with pytest.raises(ScanDetectionError, match="no frames"):
        detect_scan(h)
    frames, _ = image_series((30, 40), 0, 0)
    with pytest.raises(ScanDetectionError, match="no frames"):
        detect_scan(np.zeros(len(frames), HEADER), frames, image_content=False)


def test_error_lists_every_method():
    h = np.zeros(300, np.dtype([("counter", "<u4")]))
    with pytest.raises(ScanDetectionError) as err:
        detect_scan(h, frames_with_vbf(np.random.default_rng(0).normal(9, 1, 300)))
    msg = str(err.value)
    assert "no scan_x/scan_y" in msg and "no rotator_index" in msg and "image content" in msg


# -- the result and the inputs -------------------------------------------------------

def test_result_is_frozen_and_read_only():
    n = 20
    got = detect_scan(em_scan_headers(n, scan_index_map(n, (3, 5), 2)))
    assert isinstance(got, ScanDetection)
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.scan_start_frame = 3
    with pytest.raises(ValueError):
        got.frame_index[0, 0] = 7
    assert "frame_index" not in repr(got)


def test_bad_inputs():
    with pytest.raises(ArgumentError, match="structured"):
        detect_scan(np.zeros(10))
    with pytest.raises(ArgumentError, match="headers or frames"):
        detect_scan(None)
    with pytest.raises(ArgumentError, match="10 frame headers but 5 frames"):
        detect_scan(np.zeros(10, HEADER), np.zeros((5, 4, 4)))


# -- speed ---------------------------------------------------------------------------

def test_million_frame_series_are_detected_exactly():
    """Correctness at scale; the speed is measured by benchmarks/bench_detect.py."""
    n = 1_000_000
    h = np.zeros(n, HEADER)
    k = np.arange(990 * 1000)
    h["scan_y"][4000:4000 + k.size] = k // 1000
    h["scan_x"][4000:4000 + k.size] = k % 1000
    got = detect_scan(h)
    assert (got.scan_shape, got.scan_start_frame) == ((990, 1000), 4000)

    h = np.zeros(n, HEADER)
    h["rotator_index"][5000:5000 + 900 * 900] = np.arange(1, 900 * 900 + 1)
    got = detect_scan(h)
    assert (got.scan_shape, got.scan_start_frame) == ((900, 900), 5000)


def test_a_damaged_rotator_index_cannot_size_an_allocation():
    """A rotator value of 3e9 after a short scan is refused, not allocated for."""
    h = np.zeros(100, HEADER)
    h["rotator_index"][10:20] = np.arange(1, 11)
    h["rotator_index"][20] = 3_000_000_000
    with pytest.raises(ScanDetectionError, match="claims 3000000000 points for 11 frames"):
        detect_scan(h)
