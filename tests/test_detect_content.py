"""Scan detection from image content (issue 18): detected where the content
shows the scan, refused -- never guessed -- where it does not.

The scans are built here, independently of the detector: a specimen (a
smooth random field cropped from a larger one, so not periodic) seen through
a scan map made position by position; frames are 16 x 16 Poisson images of a
bright-field disc whose intensity and position follow the specimen.
"""

import numpy as np
import pytest

import tvips_ks
from test_detect import HEADER, em_scan_headers, konos_series, snake_map
from test_scan import reference_rotator_map
from tvips_ks.cli import main
from tvips_ks.errors import ScanDetectionError
from tvips_ks.examples import FRAMES_BEFORE, SCAN_SHAPE, example_frames
from tvips_ks.scan.boundaries import row_boundaries
from tvips_ks.scan.detect import detect_scan

FRAME = 16


def smooth_field(shape, seed, scale):
    """Mean 0, std 1, correlated over ``scale`` positions, not periodic:
    white noise convolved with a Gaussian along each axis ("valid" part)."""
    rng = np.random.default_rng(seed)
    half = int(3 * scale) + 1
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / scale) ** 2)
    noise = rng.standard_normal((shape[0] + 2 * half, shape[1] + 2 * half))
    rows = np.apply_along_axis(np.convolve, 1, noise, kernel, "valid")
    field = np.apply_along_axis(np.convolve, 0, rows, kernel, "valid")
    return (field - field.mean()) / field.std()


def frames_of(order, bright, shift_y, shift_x, seed, dose=20000.0):
    """Poisson frames, one per entry of ``order`` (values per position in
    acquisition order; None: a beam-blanked frame)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:FRAME, :FRAME].astype(float)
    c = (FRAME - 1) / 2
    frames = np.empty((len(order), FRAME, FRAME), np.uint16)
    for k, p in enumerate(order):
        if p is None:
            frames[k] = rng.poisson(0.05, (FRAME, FRAME))
            continue
        r = np.hypot(yy - c - shift_y[p], xx - c - shift_x[p])
        disc = 1 / (1 + np.exp((r - 3.0) / 0.4))
        frames[k] = rng.poisson(dose / 28 * (bright[p] * disc + 0.01))
    return frames


def scan_series(shape, seed, *, snake_hysteresis=None, before=0, after=0, scale=3.0,
                bright_only=False, com_only=False):
    """Frames of a scan of ``shape`` (fly-back, or a snake whose even rows run
    backwards shifted by ``snake_hysteresis``), with beam-blanked frames
    before and after; returns (frames, position -> frame map)."""
    n = before + shape[0] * shape[1] + after
    if snake_hysteresis is None:
        index = before + np.arange(shape[0] * shape[1]).reshape(shape)
    else:
        index = snake_map(n, shape, before, 0, snake_hysteresis)
    field = smooth_field(shape, seed, scale).ravel()
    bright = np.full(field.size, 0.6) if com_only else 0.6 + 0.15 * field
    tilt = smooth_field(shape, seed + 1, scale).ravel()
    shift_y = np.zeros(field.size) if bright_only else 0.4 * tilt
    shift_x = np.zeros(field.size) if bright_only else -0.3 * tilt
    order = [None] * n
    for p, f in enumerate(index.ravel()):
        order[f] = p
    return frames_of(order, bright, shift_y, shift_x, seed), index


def save_hidden(path, frames):
    """A series with neither scan positions nor a rotator index."""
    tvips_ks.save(path, frames, frame_headers={"rotator_index": np.zeros(len(frames), np.uint32)})


def hidden(frames):
    """Headers of a series whose scan fields are absent (all zero)."""
    return np.zeros(len(frames), HEADER)


# -- the issue's examples ----------------------------------------------------------

def outcomes(series, truth_shape, truth_start=0):
    """(correct, refused, wrong) detections of the given series, and the
    evidence of the correct ones."""
    correct, refused, wrong, evidence = 0, 0, 0, []
    for frames, index in series:
        try:
            got = detect_scan(hidden(frames), frames)
        except ScanDetectionError:
            refused += 1
            continue
        if (got.scan_shape, got.scan_start_frame) == (truth_shape, truth_start) and \
                np.array_equal(got.frame_index, index):
            correct += 1
            evidence.append(got.evidence)
        else:
            wrong += 1
    return correct, refused, wrong, evidence


def test_issue_15x20_fly_back_of_a_smooth_specimen():
    """300 frames, nothing before or after: 15x20 explains every frame, and
    15x19 (15 frames left over) fits worse.  Every one of eight specimens
    is detected."""
    correct, refused, wrong, evidence = outcomes(
        (scan_series((15, 20), seed) for seed in range(8)), (15, 20))
    assert (correct, refused, wrong) == (8, 0, 0)
    for text in evidence:
        assert text.startswith("image content: fly-back 15x20: mismatch")
        assert "every frame in a whole row" in text
        assert "next best" in text and "standard deviations" in text


@pytest.mark.parametrize("seed", range(4))
def test_15x20_seen_in_bright_field_alone_is_detected(seed):
    """With the disc's position constant, the tilt detectors see nothing;
    the bright field (and the patterns' intensity) of 300 frames of a
    smooth specimen still shows the scan."""
    frames, index = scan_series((15, 20), seed, bright_only=True)
    got = detect_scan(None, frames)
    assert np.array_equal(got.frame_index, index)


def test_shipped_example_without_scan_fields_is_detected(tmp_path):
    """The example's specimen, sin(x/2.5) cos(y/3), is nearly symmetric within
    a 16-frame row, so a snake with hysteresis -7 lines its rows up almost as
    well as the fly-back it is; the whole patterns still tell them apart.
    Found from the right frame (after the 5 beam-blanked ones), with the
    snake named as the next best."""
    frames, _ = example_frames()
    save_hidden(tmp_path / "ex.tvips", frames)
    with tvips_ks.open(tmp_path / "ex_000.tvips", scan_shape="auto") as ds:
        got = np.asarray(ds.data)
        index = ds.frame_index
    rows, cols = SCAN_SHAPE
    assert got.shape == (rows, cols, *frames.shape[1:])
    expected = FRAMES_BEFORE + np.arange(rows * cols).reshape(rows, cols)
    assert np.array_equal(index, expected)
    assert np.array_equal(got, frames[expected])
    found = detect_scan(None, frames)
    assert found.evidence.startswith(f"image content: fly-back {rows}x{cols}: mismatch")
    assert "next best snake" in found.evidence


# -- more than one virtual detector ------------------------------------------------

def test_a_specimen_flat_in_bright_field_is_found_by_its_centre_of_mass():
    series = [scan_series((40, 48), seed, com_only=True, before=7, after=4)
              for seed in range(6)]
    correct, refused, wrong, evidence = outcomes(series, (40, 48), 7)
    assert wrong == 0 and correct >= 4, (correct, refused, wrong)
    for text in evidence:  # the tilt, not the bright field, carries the scan
        listed = text.split("detectors weighted ")[1].split(";")[0].split(", ")
        weights = {k: float(w) for k, w in (item.rsplit(" ", 1) for item in listed)}
        assert weights.get("bright field", 0.0) < 0.05, weights
        assert weights.get("centre of mass y", 0.0) + weights.get("centre of mass x", 0.0) \
            > 0.3, weights


@pytest.mark.parametrize("hysteresis", [0, 3, 8])
def test_snake_with_hysteresis_and_blanked_ends(hysteresis):
    frames, index = scan_series((32, 40), 10 + hysteresis, snake_hysteresis=hysteresis,
                                before=9, after=13)
    got = detect_scan(None, frames)
    assert (got.scan_shape, got.scan_start_frame, got.winding_scan_axis,
            got.hysteresis) == ((32, 40), 9, "x", hysteresis)
    assert np.array_equal(got.frame_index, index)
    assert got.num_frames_after == 13


# -- refuse, never guess ----------------------------------------------------------

def assert_refusal_names_two_layouts(err):
    msg = str(err.value)
    assert "(the best)" in msg and "(the next)" in msg
    assert msg.count("scan_shape=(") >= 3  # two layouts and the general advice
    return msg


def test_constant_specimen_is_refused():
    frames, _ = scan_series((20, 25), 3)
    flat = frames_of([0] * 500, np.array([0.6]), np.zeros(1), np.zeros(1), 3)
    with pytest.raises(ScanDetectionError, match="image content"):
        detect_scan(None, flat)
    with pytest.raises(ScanDetectionError, match="neither blank nor constant|constant"):
        detect_scan(None, np.repeat(frames[:1], 500, axis=0))


def test_pure_noise_is_refused():
    rng = np.random.default_rng(4)
    with pytest.raises(ScanDetectionError, match="image content"):
        detect_scan(None, rng.poisson(50, (600, FRAME, FRAME)).astype(np.uint16))


@pytest.mark.parametrize("second", [(25, 16), (20, 30)])
def test_two_scans_of_different_row_lengths_are_refused(second):
    a, _ = scan_series((20, 20), 21)
    b, _ = scan_series(second, 22)
    with pytest.raises(ScanDetectionError) as err:
        detect_scan(None, np.concatenate([a, b]))
    assert_refusal_names_two_layouts(err)


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_a_12x12_snake_is_not_held_back_by_two_rows_in_one(seed):
    """A 6x24 layout (two snake rows in one) fits clearly worse, but a scan
    of 12 rows gives few blocks for the margin: the 12x12 rows fitting
    alike, row after row, settle it."""
    frames, index = scan_series((12, 12), seed, snake_hysteresis=0, before=20, after=15)
    got = detect_scan(None, frames)
    assert np.array_equal(got.frame_index, index)


@pytest.mark.parametrize("shape,hysteresis", [((10, 40), None), ((10, 40), 0), ((6, 48), 0),
                                              ((8, 36), 3)])
def test_rows_twice_as_long_are_never_cut_in_two(shape, hysteresis):
    """The smaller margin against a layout of k rows in one never takes the
    halves of a real scan's rows for rows."""
    for seed in range(3):
        frames, index = scan_series(shape, seed, snake_hysteresis=hysteresis, before=20,
                                    after=15)
        try:
            got = detect_scan(None, frames)
        except ScanDetectionError:
            continue
        assert np.array_equal(got.frame_index, index)


def test_too_few_rows_is_refused_with_the_arguments():
    frames, _ = scan_series((4, 40), 6)
    with pytest.raises(ScanDetectionError) as err:
        detect_scan(None, frames)
    assert "scan_shape=(rows, cols)" in str(err.value)


def lattice_series(shape, seed, period, angle, snake_hysteresis=None):
    """A crystal lattice and nothing else (no smooth thickness): fringes of
    ``period`` positions at ``angle``, in the bright field and the disc's
    position; fly-back, or snake with ``snake_hysteresis``."""
    n = shape[0] * shape[1]
    index = (np.arange(n).reshape(shape) if snake_hysteresis is None
             else snake_map(n, shape, 0, 0, snake_hysteresis))
    yy, xx = np.indices(shape)
    phase = (2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period).ravel()
    order = [None] * n
    for p, f in enumerate(index.ravel()):
        order[f] = p
    return frames_of(order, 0.6 + 0.15 * np.cos(phase), 0.3 * np.sin(phase),
                     0.3 * np.cos(phase), seed), index


LATTICES = [(4.3, 0.7), (6.1, 2.0), (3.4, 1.1), (7.7, 0.3), (5.0, 2.6)]


@pytest.mark.parametrize("seed", range(len(LATTICES)))
@pytest.mark.parametrize("hysteresis", [None, 0, 3])
def test_a_pure_lattice_is_detected_or_refused_never_wrong(seed, hysteresis):
    """Frames a lattice period apart are as alike as neighbours, and diagonal
    neighbours can be more alike than vertical ones: the layouts cannot be
    told apart by their vertical neighbours alone."""
    frames, index = lattice_series((30, 40), seed, *LATTICES[seed], hysteresis)
    try:
        got = detect_scan(None, frames)
    except ScanDetectionError as err:
        assert "(the best)" in str(err) and "(the next)" in str(err)
    else:
        assert np.array_equal(got.frame_index, index)


@pytest.mark.parametrize("seed", [1, 3])
def test_a_lattice_fly_back_is_found_by_its_row_boundaries(seed):
    """Where the diagonal neighbours fit best, the jump from each row's end
    to the next row's start still marks the row length."""
    frames, index = lattice_series((30, 40), seed, *LATTICES[seed])
    got = detect_scan(None, frames)
    assert np.array_equal(got.frame_index, index)
    assert "row length from the row boundaries: row boundaries every 40 frames" in got.evidence


def test_pure_noise_shows_no_row_boundaries():
    rng = np.random.default_rng(5)
    z = rng.standard_normal((3, 1200))
    found = row_boundaries(z, [w for w in range(4, 101) if 1200 % w == 0])
    assert found.width is None and "no row length" in found.why


# -- snake hysteresis from the image, when positions give the scan -------------------

@pytest.mark.parametrize("true_h", [3, -2])
def test_positions_without_the_lag_get_their_hysteresis_from_the_image(true_h):
    """The headers say where the beam was sent (a snake without hysteresis),
    the frames show where it was (reversed rows shifted by ``true_h``)."""
    shape, before, after = (24, 30), 4, 6
    frames, index = scan_series(shape, 40 + true_h, snake_hysteresis=true_h, before=before,
                                after=after)
    n = len(frames)
    headers = em_scan_headers(n, snake_map(n, shape, before, 0, 0))
    from_headers = detect_scan(headers, frames)
    assert from_headers.hysteresis == 0  # the headers alone: as they say
    got = detect_scan(headers, frames, image_content=True)
    assert (got.scan_shape, got.scan_start_frame, got.winding_scan_axis, got.hysteresis) == \
        (shape, before, "x", true_h)
    assert np.array_equal(got.frame_index, index)
    assert f"hysteresis {true_h} from the image content, not 0 as the positions say" \
        in got.evidence
    assert got.num_frames_agree < from_headers.num_frames_agree  # reversed rows disagree


def test_positions_with_the_right_hysteresis_are_confirmed_by_the_image():
    shape = (20, 24)
    frames, index = scan_series(shape, 7, snake_hysteresis=2, before=3)
    headers = em_scan_headers(len(frames), index)
    got = detect_scan(headers, frames, image_content=True)
    assert got.hysteresis == 2 and np.array_equal(got.frame_index, index)
    assert "the image content agrees" in got.evidence


# -- the rotator path ------------------------------------------------------------

def test_rotator_non_square_row_length_from_the_centre_of_mass():
    shape, h = (30, 48), 3
    points = shape[0] * shape[1]
    headers, stop = konos_series(points, 6, 20, 8)
    r = headers["rotator_index"].astype(np.int64)
    where = snake_map(points, shape, 0, 0, h)  # acquisition order -> position
    position = np.empty(points, np.int64)
    position[where.ravel()] = np.arange(points)
    order = [position[v - 1] if 1 <= v <= points else None for v in r]
    field = smooth_field(shape, 8, 3.0).ravel()
    frames = frames_of(order, np.full(points, 0.6), 0.4 * field, -0.3 * field, 8)
    got = detect_scan(headers, frames)
    assert (got.scan_shape, got.winding_scan_axis, got.hysteresis) == (shape, "x", h)
    linear = np.array(reference_rotator_map(r, 6, stop, points))
    assert np.array_equal(got.frame_index, linear[where])
    assert "row length 48 from the image content" in got.evidence


# -- what info prints --------------------------------------------------------------

def test_info_prints_the_score_and_the_refusal_as_flags(tmp_path, capsys):
    frames, _ = scan_series((15, 20), 2)
    save_hidden(tmp_path / "scan.tvips", frames)
    assert main(["info", str(tmp_path / "scan_000.tvips")]) == 0
    out = capsys.readouterr().out
    assert "detected by image_content" in out and "mismatch" in out
    a, _ = scan_series((20, 20), 21)
    b, _ = scan_series((25, 16), 22)
    save_hidden(tmp_path / "two.tvips", np.concatenate([a, b]))
    main(["info", str(tmp_path / "two_000.tvips")])
    out = capsys.readouterr().out.replace("\n", " ")
    assert "none detected" in out
    assert "(the best)" in out and "(the next)" in out and "--scan-shape " in out
