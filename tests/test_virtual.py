"""Virtual detector images equal numpy's reduction of ``np.asarray(ds.data)``.

``virtual_image`` reads frames in file order and applies the scan map to the
per-frame values after, so every scan option (start, snake, hysteresis, padding,
3-D scans), every part boundary and every step size must give what numpy gives
on the arranged array: exact integer sums in numpy's dtype for the whole frame
and for boolean masks, float64 weighted sums up to summation order.
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from builders import Series

import tvips_ks
from tvips_ks import virtual
from tvips_ks.errors import ArgumentError, TvipsError, TvipsWarning

FRAMES, HEIGHT, WIDTH = 60, 6, 7


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    s = Series(num_frames=FRAMES, frames_per_part=(25, 35), width=WIDTH, height=HEIGHT, seed=9)
    return s.write(tmp_path_factory.mktemp("virtual"), "v")[0], s


@pytest.fixture
def tiny_steps(monkeypatch):
    """Steps and tasks of a few frames, so that they end inside parts and at their ends."""
    record = HEIGHT * WIDTH * 2
    monkeypatch.setattr(virtual, "STEP_BYTES", 4 * record)
    monkeypatch.setattr(virtual, "TASK_BYTES", 11 * record)


SCANS = [  # open() arguments
    {},
    dict(scan_shape=(6, 9)),
    dict(scan_shape=(6, 9), scan_start_frame=3),
    dict(scan_shape=(7, 9), scan_start_frame=-4, winding_scan_axis="x", hysteresis=2, pad=True),
    dict(scan_shape=(6, 9), scan_start_frame=2, winding_scan_axis="x"),
    dict(scan_shape=(9, 6), scan_start_frame=1, winding_scan_axis="y", hysteresis=-2, pad=True),
    dict(scan_shape=(2, 3, 9), scan_start_frame=1, winding_scan_axis="x", hysteresis=1),
    dict(scan_shape=(8, 9), scan_start_frame=30, pad=True),  # runs past the last frame
    dict(scan_shape=(30,), scan_start_frame=28),             # starts in the second part
]


def detectors():
    rng = np.random.default_rng(3)
    ring = np.zeros((HEIGHT, WIDTH), bool)
    ring[1:5, 2:6] = True
    ring[2:4, 3:5] = False
    corner = np.zeros((HEIGHT, WIDTH), bool)
    corner[-1, -1] = True
    return {
        "none": None,
        "ring": ring,
        "corner": corner,
        "all-true": np.ones((HEIGHT, WIDTH), bool),
        "stack": np.stack([ring, corner, ~ring]),
        "weights": rng.normal(size=(HEIGHT, WIDTH)),
        "int-weights": rng.integers(-3, 4, size=(2, HEIGHT, WIDTH)),
        # too large for float64 to sum exactly: summed in integers
        "huge-int-weights": rng.integers(-2**40, 2**40, size=(HEIGHT, WIDTH)),
        "uint8-weights": rng.integers(0, 256, size=(HEIGHT, WIDTH), dtype=np.uint8),
        "float32-weights": rng.normal(size=(HEIGHT, WIDTH)).astype(np.float32),
    }


def expected(data, detector):
    """numpy's reduction of the arranged array, written out per detector kind."""
    if detector is None:
        return data.sum(axis=(-2, -1))
    detector = np.asarray(detector)
    if detector.dtype == bool and detector.ndim == 2:
        return data[..., detector].sum(axis=-1)
    if detector.dtype == bool:
        return np.stack([data[..., m].sum(axis=-1) for m in detector])
    if detector.dtype.kind in "iu":  # the products widened first: uint16 * uint8 would wrap
        data = data.astype(np.sum(np.zeros(1, np.result_type(data, detector))).dtype)
    else:  # float weights of any precision are summed in float64
        data, detector = data.astype(np.float64), detector.astype(np.float64)
    if detector.ndim == 2:
        return (data * detector).sum(axis=(-2, -1))
    return np.stack([(data * w).sum(axis=(-2, -1)) for w in detector])


def check(image, want, detector):
    assert image.shape == want.shape
    if detector is not None and np.asarray(detector).dtype.kind == "f":
        assert image.dtype == np.float64
        np.testing.assert_allclose(image, want, rtol=1e-12, atol=1e-6)
    else:  # integer sums: exact and in numpy's dtype
        assert image.dtype == want.dtype
        np.testing.assert_array_equal(image, want)


@pytest.mark.parametrize("scan", SCANS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items())
                         or "stack")
@pytest.mark.parametrize("name", list(detectors()))
def test_equals_numpy_on_the_arranged_array(series, tiny_steps, scan, name):
    path, _ = series
    detector = detectors()[name]
    with tvips_ks.open(path, **scan) as ds:
        data = np.asarray(ds.data)
        want = expected(data, detector)
        for threads in (1, 2):
            check(ds.virtual_image(detector, threads=threads), want, detector)
        lazy = tvips_ks.virtual_image(ds, detector, lazy=True)
        assert lazy.shape == want.shape and lazy.dtype == want.dtype
        check(lazy.compute(scheduler="threads"), want, detector)


def test_scan_map_is_applied_to_the_right_frames(series):
    """The snake's map by hand: per-frame sums of the builder's images, rolled rows."""
    path, s = series
    with tvips_ks.open(path, scan_shape=(6, 9), scan_start_frame=2, winding_scan_axis="x",
                       hysteresis=3) as ds:
        image = ds.virtual_image()
    index = np.arange(2, 2 + 54).reshape(6, 9)
    index[::2] = np.roll(index[::2, ::-1], 3, axis=1)
    np.testing.assert_array_equal(image, s.images.astype(np.uint64).sum(axis=(1, 2))[index])


def test_padding_reads_as_zero(series):
    path, s = series
    with tvips_ks.open(path, scan_shape=(8, 9), scan_start_frame=30, pad=True) as ds:
        image = ds.virtual_image()
    flat = image.ravel()
    assert flat.size == 72 and FRAMES - 30 == 30
    np.testing.assert_array_equal(flat[:30], s.images[30:].astype(np.uint64).sum(axis=(1, 2)))
    assert not flat[30:].any()
    assert s.images[30:].sum() > 0  # the real positions are not zero by accident


def test_an_empty_mask_reads_nothing(series, monkeypatch):
    path, _ = series

    def no_reads(*args, **kwargs):
        raise AssertionError("an empty detector read frames")

    monkeypatch.setattr(virtual, "read_frames", no_reads)
    with tvips_ks.open(path, scan_shape=(6, 9)) as ds:
        image = ds.virtual_image(np.zeros((HEIGHT, WIDTH), bool))
        weights = ds.virtual_image(np.zeros((2, HEIGHT, WIDTH)), lazy=True).compute()
    assert image.shape == (6, 9) and image.dtype == np.uint64 and not image.any()
    assert weights.shape == (2, 6, 9) and weights.dtype == np.float64 and not weights.any()


def test_only_the_masks_bounding_box_is_reduced(series, monkeypatch):
    """A mask's pixels outside it may be anything: only the box is summed."""
    path, s = series
    mask = np.zeros((HEIGHT, WIDTH), bool)
    mask[2:4, 1:3] = True
    spec = virtual.Detector(mask, (HEIGHT, WIDTH), np.uint16)
    assert spec.box == (slice(2, 4), slice(1, 3))
    frames = s.images[:5].copy()
    frames[:, 0] = 60000  # outside the box
    np.testing.assert_array_equal(spec.reduce(frames)[:, 0],
                                  frames[:, 2:4, 1:3].astype(np.uint64).sum(axis=(1, 2)))


def test_lazy_tasks_never_cross_a_part_and_respect_task_bytes(series, tiny_steps):
    path, _ = series
    with tvips_ks.open(path) as ds:
        pieces = virtual._pieces(ds.table, 0, FRAMES, virtual.TASK_BYTES)
        lazy = ds.virtual_image(lazy=True)
        assert len(dict(lazy.__dask_graph__())) == len(pieces) + 1  # tasks + the arrangement
    sizes = [b - a for a, b in pieces]
    assert pieces[0][0] == 0 and pieces[-1][1] == FRAMES
    assert all(a == b for (_, a), (b, _) in zip(pieces, pieces[1:]))  # contiguous
    assert max(sizes) <= 11 and min(sizes) >= 1
    assert all(not (a < 25 < b) for a, b in pieces)  # 25: where the second part starts


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 6), cols=st.integers(1, 9), start=st.integers(-10, 40),
       snake=st.booleans(), hysteresis=st.integers(-9, 9), step_frames=st.integers(1, 30),
       threads=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_property_matches_numpy(series, rows, cols, start, snake, hysteresis,
                                step_frames, threads, seed):
    path, _ = series
    mask = np.random.default_rng(seed).random((HEIGHT, WIDTH)) < 0.4
    options = dict(scan_shape=(rows, cols), scan_start_frame=start, pad=True,
                   winding_scan_axis="x" if snake else None,
                   hysteresis=hysteresis if snake else 0)
    try:
        with warnings.catch_warnings():  # a scan that holds no frame warns; it reads zeros
            warnings.simplefilter("ignore", TvipsWarning)
            ds = tvips_ks.open(path, **options)
    except TvipsError:  # options the scan cannot take are refused, not tested here
        return
    with ds, pytest.MonkeyPatch.context() as patch:
        patch.setattr(virtual, "STEP_BYTES", step_frames * HEIGHT * WIDTH * 2)
        data = np.asarray(ds.data)
        np.testing.assert_array_equal(ds.virtual_image(mask, threads=threads),
                                      data[..., mask].sum(axis=-1))


def test_annulus_is_between_the_radii():
    mask = tvips_ks.annulus_mask((9, 11), 1.5, 3.0, center=(4, 5))
    yy, xx = np.mgrid[:9, :11]
    distance = np.hypot(yy - 4, xx - 5)
    np.testing.assert_array_equal(mask, (distance > 1.5) & (distance <= 3.0))
    # an inner radius that holds no pixel takes nothing away: a full disk
    full = tvips_ks.annulus_mask((9, 11), 0.0, 3.0, center=(4.5, 5.5))
    np.testing.assert_array_equal(full, np.hypot(yy - 4.5, xx - 5.5) <= 3.0)
    np.testing.assert_array_equal(tvips_ks.disk_mask((9, 11), 3.0, (4, 5)), distance <= 3.0)


@pytest.mark.parametrize("radii, words", [
    ((3, 3), "inner_radius < outer_radius"), ((4, 2), "inner_radius < outer_radius"),
    ((-1, 2), "inner_radius < outer_radius"), ((float("nan"), 2), "inner_radius < outer"),
    (("a", 2), "must be numbers"), ((20, 30), "holds no pixel of a 9x11 frame")])
def test_bad_annulus_is_refused(radii, words):
    with pytest.raises(ArgumentError, match=words):
        tvips_ks.annulus_mask((9, 11), *radii)


def test_annulus_off_the_frame_centre():
    """Both disks follow the centre given, not the frame's."""
    mask = tvips_ks.annulus_mask((9, 11), 1.0, 2.5, center=(2, 7))
    yy, xx = np.mgrid[:9, :11]
    distance = np.hypot(yy - 2, xx - 7)
    np.testing.assert_array_equal(mask, (distance > 1.0) & (distance <= 2.5))


@pytest.mark.parametrize("detector, words", [
    (np.ones((HEIGHT, WIDTH + 1), bool), "the detector's frames are 6x8, the series' 6x7"),
    (np.ones(WIDTH, bool), r"\(h, w\) mask"),
    (np.ones((1, 1, HEIGHT, WIDTH), bool), r"\(h, w\) mask"),
    (np.ones((0, HEIGHT, WIDTH), bool), "empty"),
    (np.full((HEIGHT, WIDTH), np.inf), "finite"),
    (np.full((HEIGHT, WIDTH), np.nan), "finite"),
    (np.ones((HEIGHT, WIDTH), complex), "booleans or numbers"),
    (np.full((HEIGHT, WIDTH), "x"), "booleans or numbers"),
])
def test_bad_detectors_are_refused(series, detector, words):
    path, _ = series
    with tvips_ks.open(path) as ds:
        with pytest.raises(ArgumentError, match=words):
            ds.virtual_image(detector)
        with pytest.raises(ArgumentError, match=words):
            ds.virtual_image(detector, lazy=True)


@pytest.mark.parametrize("threads", [0, -1])
def test_bad_thread_counts_are_refused(series, threads):
    path, _ = series
    with tvips_ks.open(path) as ds:
        with pytest.raises(ArgumentError, match="threads"):
            ds.virtual_image(threads=threads)
    with pytest.raises(TypeError):
        with tvips_ks.open(path) as ds:
            ds.virtual_image(threads=1.5)


# virtual diffraction: the frames summed over scan positions

def pattern_expected(data, roi):
    nav = data.ndim - 2
    if roi is None:
        return data.reshape(-1, *data.shape[nav:]).sum(axis=0)
    return data[roi].sum(axis=0)


@pytest.mark.parametrize("scan", SCANS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items())
                         or "stack")
def test_pattern_equals_numpy_on_the_arranged_array(series, tiny_steps, scan):
    path, _ = series
    with tvips_ks.open(path, **scan) as ds:
        data = np.asarray(ds.data)
        rng = np.random.default_rng(len(scan))
        for roi in (None, rng.random(ds.nav_shape) < 0.3, np.zeros(ds.nav_shape, bool)):
            want = pattern_expected(data, roi)
            for threads in (1, 2):
                got = ds.virtual_diffraction(roi, threads=threads)
                assert got.dtype == want.dtype == np.uint64 and got.shape == (HEIGHT, WIDTH)
                np.testing.assert_array_equal(got, want)
            lazy = ds.virtual_diffraction(roi, lazy=True)
            assert lazy.dtype == want.dtype and lazy.shape == want.shape
            np.testing.assert_array_equal(lazy.compute(scheduler="threads"), want)


def test_pattern_counts_a_frame_as_often_as_the_scan_shows_it(series, tiny_steps):
    """A rotator-like map repeats frames and skips others: each repeat adds again."""
    path, s = series
    index = np.array([[3, 3, 3, 4], [10, -1, 10, 59], [26, 26, 24, 25]])
    with tvips_ks.open(path, frame_index=index) as ds:
        got = ds.virtual_diffraction()
        roi = np.zeros(index.shape, bool)
        roi[:, :2] = True
        part = ds.virtual_diffraction(roi, threads=1)
        image = ds.virtual_image(threads=2)  # the same map for the image: repeats and padding
        np.testing.assert_array_equal(image, np.asarray(ds.data).sum(axis=(-2, -1)))
        assert image[1, 1] == 0
    wide = s.images.astype(np.uint64)
    want = 3 * wide[3] + wide[4] + 2 * wide[10] + wide[59] + 2 * wide[26] + wide[24] + wide[25]
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(part, 2 * wide[3] + wide[10] + 2 * wide[26])


def test_pattern_sums_do_not_wrap(tmp_path):
    """Full-scale uint16 and uint8 frames: the uint32 partial sums must not overflow."""
    for dtype in (np.uint16, np.uint8):
        top = np.iinfo(dtype).max
        frames = np.full((70, 2, 3), top, dtype=dtype)
        path = tvips_ks.save(tmp_path / f"full{np.dtype(dtype).itemsize}.tvips", frames,
                             progress=False)[0]
        with tvips_ks.open(path) as ds:
            got = ds.virtual_diffraction()
        assert got.dtype == np.uint64
        assert (got == 70 * int(top)).all()
    # more frames than a uint32 partial sum holds at full scale
    most = (2**32 - 1) // 65535
    frames = np.full((most + 3, 1, 1), 65535, dtype=np.uint16)
    out = np.zeros((1, 1), np.uint64)
    virtual._add_pattern(out, frames, np.ones(most + 3, np.intp))
    assert int(out[0, 0]) == (most + 3) * 65535 > 2**32


@pytest.mark.parametrize("roi", [np.ones((6, 8), bool), np.ones((6, 9), np.uint8),
                                 np.ones(54, bool)])
def test_bad_roi_is_refused(series, roi):
    path, _ = series
    with tvips_ks.open(path, scan_shape=(6, 9)) as ds:
        with pytest.raises(ArgumentError, match="roi"):
            ds.virtual_diffraction(roi)


def test_bounding_box_holds_every_selected_pixel_of_every_mask():
    from tvips_ks.scan.vbf import bounding_box

    assert bounding_box(np.zeros((3, 4), bool)) is None
    stack = np.zeros((2, 5, 6))
    stack[0, 1, 2] = 1.0
    stack[1, 3, 4] = -2.0  # a negative weight selects its pixel too
    assert bounding_box(stack) == (slice(1, 4), slice(2, 5))
    assert bounding_box(np.ones((1, 1), bool)) == (slice(0, 1), slice(0, 1))


# what the results do not show: the work done, the threads used, the graph's names

class Pools:
    """Records the thread pools virtual.py starts (their max_workers)."""

    def __init__(self, monkeypatch):
        self.sizes = []
        real = virtual.ThreadPoolExecutor
        record = self.sizes

        class Recording(real):
            def __init__(self, max_workers=None, *args, **kwargs):
                record.append(max_workers)
                super().__init__(max_workers, *args, **kwargs)

        monkeypatch.setattr(virtual, "ThreadPoolExecutor", Recording)


def test_threads_decide_the_pool(series, tiny_steps, monkeypatch):
    path, _ = series
    pools = Pools(monkeypatch)
    with tvips_ks.open(path, scan_shape=(6, 9)) as ds:
        steps = len(virtual._pieces(ds.table, 0, 54, virtual.STEP_BYTES))
        assert steps > 3
        want = np.asarray(ds.data).sum(axis=(-2, -1))
        pattern = np.asarray(ds.data).sum(axis=(0, 1))
        for threads, pool in [(1, []), (3, [3]), (None, [min(os.cpu_count(), steps)])]:
            pools.sizes.clear()
            np.testing.assert_array_equal(ds.virtual_image(threads=threads), want)
            assert pools.sizes == ([] if pool == [1] else pool), threads
            pools.sizes.clear()
            np.testing.assert_array_equal(ds.virtual_diffraction(threads=threads), pattern)
            expected = [] if threads == 1 else [threads or os.cpu_count()]
            assert pools.sizes == ([] if expected == [1] else expected), threads
        monkeypatch.setattr(virtual.os, "cpu_count", lambda: None)  # unknown: one thread
        pools.sizes.clear()
        ds.virtual_image()
        ds.virtual_diffraction()
        assert pools.sizes == []


def test_one_step_needs_no_pool(series, monkeypatch):
    path, _ = series
    pools = Pools(monkeypatch)
    with tvips_ks.open(path, scan_shape=(2, 5)) as ds:  # 10 frames: one 16 MiB step
        assert len(virtual._pieces(ds.table, 0, 10, virtual.STEP_BYTES)) == 1
        ds.virtual_image(threads=2)
    assert pools.sizes == []
    with tvips_ks.open(path, scan_shape=(2, 10), scan_start_frame=20) as ds:  # across parts
        assert len(virtual._pieces(ds.table, 20, 40, virtual.STEP_BYTES)) == 2
        ds.virtual_image(threads=3)
    assert pools.sizes == [2]  # two steps: two threads


def test_virtual_diffraction_refuses_bad_thread_counts(series):
    path, _ = series
    with tvips_ks.open(path) as ds:
        with pytest.raises(ArgumentError, match="threads"):
            ds.virtual_diffraction(threads=0)


def test_results_are_numpy_arrays_unless_lazy(series):
    path, _ = series
    with tvips_ks.open(path, scan_shape=(6, 9)) as ds:
        assert type(ds.virtual_image()) is np.ndarray
        assert type(tvips_ks.virtual_image(ds)) is np.ndarray
        assert type(ds.virtual_diffraction()) is np.ndarray
        assert type(tvips_ks.virtual_diffraction(ds)) is np.ndarray


def reads(monkeypatch):
    """The frame ranges virtual.py reads, as a list that fills while it runs."""
    seen = []
    real = virtual.read_frames

    def recording(table, frames, *args, **kwargs):
        seen.append(tuple(frames))
        return real(table, frames, *args, **kwargs)

    monkeypatch.setattr(virtual, "read_frames", recording)
    return seen


def test_only_the_frames_the_scan_shows_are_read(series, tiny_steps, monkeypatch):
    path, _ = series
    seen = reads(monkeypatch)
    with tvips_ks.open(path, scan_shape=(6, 9), scan_start_frame=3) as ds:  # frames 3..56
        for run in (lambda: ds.virtual_image(threads=1),
                    lambda: ds.virtual_image(lazy=True).compute(scheduler="sync"),
                    lambda: ds.virtual_diffraction(threads=1),
                    lambda: ds.virtual_diffraction(lazy=True).compute(scheduler="sync")):
            seen.clear()
            run()
            frames = sorted(f for a, b in seen for f in range(a, b))
            assert frames == list(range(3, 57))


def test_a_scan_of_padding_reads_nothing(series, monkeypatch):
    path, _ = series
    seen = reads(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TvipsWarning)
        ds = tvips_ks.open(path, scan_shape=(2, 3), scan_start_frame=FRAMES + 5, pad=True)
    with ds:
        assert (ds.frame_index == -1).all()
        image = ds.virtual_image()
        lazy = ds.virtual_image(lazy=True).compute()
        pattern = ds.virtual_diffraction()
        lazy_pattern = ds.virtual_diffraction(lazy=True).compute()
    assert seen == []
    for a in (image, lazy):
        assert a.shape == (2, 3) and a.dtype == np.uint64 and not a.any()
    for a in (pattern, lazy_pattern):
        assert a.shape == (HEIGHT, WIDTH) and a.dtype == np.uint64 and not a.any()


def test_an_empty_mask_over_a_stack_keeps_the_dtype(series):
    path, _ = series
    with tvips_ks.open(path) as ds:
        image = ds.virtual_image(np.zeros((HEIGHT, WIDTH), bool), threads=2)
    assert image.shape == (FRAMES,) and image.dtype == np.uint64 and not image.any()


def test_steps_hold_whole_frames():
    table = type("T", (), {})()
    table.layout = type("L", (), {"len_image": 10})()
    table.parts = [type("P", (), {"first_frame": 0, "num_frames": 7})()]
    assert virtual._pieces(table, 0, 7, 25) == [(0, 2), (2, 4), (4, 6), (6, 7)]
    assert virtual._pieces(table, 0, 7, 4) == [(i, i + 1) for i in range(7)]  # < one frame
    table.layout.len_image = 1  # one-byte frames (1x1, 8-bit)
    assert virtual._pieces(table, 1, 7, 3) == [(1, 4), (4, 7)]


def test_lazy_names_tell_different_images_apart(series, tmp_path):
    """dask merges graphs by key: two different images must never share a name."""
    path, s = series
    ring, corner = detectors()["ring"], detectors()["corner"]
    with tvips_ks.open(path, scan_shape=(6, 9), winding_scan_axis="x", hysteresis=1) as ds, \
            tvips_ks.open(path, scan_shape=(6, 9), winding_scan_axis="x", hysteresis=2) as other:
        a, b = ds.virtual_image(ring, lazy=True), ds.virtual_image(corner, lazy=True)
        c = other.virtual_image(ring, lazy=True)
        assert ds.virtual_image(ring, lazy=True).name == a.name  # the same image, the same key
        assert len({a.name, b.name, c.name}) == 3
        both = __import__("dask.array").array.stack([a, b, c]).compute()
        np.testing.assert_array_equal(both, np.stack([ds.virtual_image(ring),
                                                      ds.virtual_image(corner),
                                                      other.virtual_image(ring)]))
    with tvips_ks.open(path, scan_shape=(6, 9)) as ds:
        roi = np.zeros((6, 9), bool)
        roi[0, :4] = True  # frames 0-3
        shifted = np.zeros((6, 9), bool)
        shifted[1, :4] = True  # frames 9-12: each shown once too, from another first frame
        fewer = np.zeros((6, 9), bool)
        fewer[0, :2] = True  # frames 0-1: the same first frame
        p = ds.virtual_diffraction(roi, lazy=True)
        names = {p.name, ds.virtual_diffraction(shifted, lazy=True).name,
                 ds.virtual_diffraction(fewer, lazy=True).name}
        assert len(names) == 3
        assert ds.virtual_diffraction(roi, lazy=True).name == p.name
        both = __import__("dask.array").array.stack(
            [p, ds.virtual_diffraction(shifted, lazy=True)]).compute()
        np.testing.assert_array_equal(both, np.stack([ds.virtual_diffraction(roi),
                                                      ds.virtual_diffraction(shifted)]))
    # another series of the same shapes, and the same file rewritten with other frames
    twin = Series(num_frames=FRAMES, frames_per_part=(25, 35), width=WIDTH, height=HEIGHT,
                  seed=10).write(tmp_path, "t")[0]
    flipped = tvips_ks.save(tmp_path / "f.tvips", np.ones((FRAMES, WIDTH, HEIGHT), np.uint16),
                            progress=False)[0]
    names = set()
    for p, shape in [(path, (HEIGHT, WIDTH)), (twin, (HEIGHT, WIDTH))]:
        with tvips_ks.open(p) as ds:
            names.add(ds.virtual_image(lazy=True).name)
            names.add(ds.virtual_diffraction(lazy=True).name)
    with tvips_ks.open(flipped) as ds:  # WIDTH x HEIGHT frames
        before = (ds.virtual_image(lazy=True).name, ds.virtual_diffraction(lazy=True).name)
    tvips_ks.save(tmp_path / "f.tvips", np.ones((FRAMES, HEIGHT, WIDTH), np.uint16),
                  overwrite=True, progress=False)  # same sizes, frames transposed
    with tvips_ks.open(flipped) as ds:
        after = (ds.virtual_image(lazy=True).name, ds.virtual_diffraction(lazy=True).name)
    assert len(names) == 4 and not set(before) & set(after)


def test_without_dask_lazy_asks_for_the_extra(series, monkeypatch):
    from tvips_ks.errors import MissingDependencyError

    path, _ = series
    with tvips_ks.open(path) as ds:
        monkeypatch.setitem(sys.modules, "dask.array", None)  # as if not installed
        for method, name in [(ds.virtual_image, "virtual_image"),
                             (ds.virtual_diffraction, "virtual_diffraction")]:
            with pytest.raises(MissingDependencyError) as info:
                method(lazy=True)
            assert f"{name}(lazy=True) needs dask" in str(info.value)
            assert "pip install 'tvips-ks[dask]'" in str(info.value)


def test_integer_weights_past_float64s_exact_range(tmp_path):
    """65535 x w above 2**53 and odd: float64 cannot hold it, the integer path must."""
    w = 2**53 // 65535 + 2
    w += 1 - w % 2  # odd, so the product is odd
    assert 2**53 < 65535 * w < 2**54
    path = tvips_ks.save(tmp_path / "one.tvips", np.full((3, 1, 1), 65535, np.uint16),
                         progress=False)[0]
    with tvips_ks.open(path) as ds:
        image = ds.virtual_image(np.array([[w]], dtype=np.int64))
    assert image.dtype == np.int64
    assert [int(v) for v in image] == [65535 * w] * 3
    assert float(65535 * w) != 65535 * w  # the float path would have rounded


@pytest.mark.parametrize("bits", [32, 64])
def test_wide_pixels(tmp_path, bits):
    dtype = np.dtype(f"uint{bits}")
    frames = np.random.default_rng(bits).integers(0, 2**31, (70, 3, 4)).astype(dtype)
    with warnings.catch_warnings():  # 32- and 64-bit series: fine here, rare in cameras
        warnings.simplefilter("ignore", TvipsWarning)
        path = tvips_ks.save(tmp_path / "w.tvips", frames, progress=False)[0]
    with tvips_ks.open(path, scan_shape=(7, 9), scan_start_frame=4, winding_scan_axis="x",
                       hysteresis=1) as ds:
        data = np.asarray(ds.data)
        mask = np.zeros((3, 4), bool)
        mask[1:, 2:] = True
        np.testing.assert_array_equal(ds.virtual_image(mask), data[..., mask].sum(axis=-1))
        weights = np.full((3, 4), 3, dtype=np.int64)
        # numpy's dtype of data * weights: int64 for uint32, float64 for uint64 (no int holds both)
        wide = np.result_type(data, weights)
        assert wide == (np.int64 if bits == 32 else np.float64)
        image = ds.virtual_image(weights)
        assert image.dtype == wide
        np.testing.assert_array_equal(image, (data.astype(wide) * weights).sum(axis=(-2, -1)))
        roi = np.zeros((7, 9), bool)
        roi[2:5, 1:] = True
        for r in (None, roi):
            got = ds.virtual_diffraction(r)
            assert got.dtype == np.uint64
            np.testing.assert_array_equal(got, pattern_expected(data, r))
