"""Processing on the way out, each step against a numpy reference on the whole array.

The references are written here from the documented rules (not from the
library's code): numpy slicing for the selections, reshape-and-sum for
binning, the clipped and rounded linear map for 8-bit scaling, and SciPy's
median filter for hot-pixel detection.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import tvips_ks
from tvips_ks.export.process import make_plan, sum_dtype

from builders import Series

EXAMPLE = tvips_ks.example_path()
SCAN = dict(scan_shape=(12, 16), scan_start_frame=5)


def scaled(a, lo, hi):
    return np.rint(np.clip((a.astype(np.float64) - lo) * 255.0 / (hi - lo), 0, 255)).astype(
        np.uint8)


def binned(a, n, mode):
    pieces = a.reshape(*a.shape[:-2], a.shape[-2] // n, n, a.shape[-1] // n, n)
    if mode == "sum":
        return pieces.astype(np.uint64).sum(axis=(-3, -1))
    return pieces.astype(np.float64).mean(axis=(-3, -1)).astype(np.float32)


@pytest.fixture(scope="module")
def scan():
    return tvips_ks.open(EXAMPLE, **SCAN)


@pytest.fixture(scope="module")
def data(scan):
    return np.asarray(scan.data)


def converted(ds, tmp_path, name="out.npy", **kwargs):
    out = tmp_path / name
    tvips_ks.convert(ds, out, overwrite=True, block_bytes=3 * 32 * 32 * 2, **kwargs)
    return np.load(out)


def test_frame_range_of_a_stack(tmp_path):
    ds = tvips_ks.open(EXAMPLE)
    stack = np.asarray(ds.frames[:])
    assert np.array_equal(converted(ds, tmp_path, frames=(7, 150)), stack[7:150])
    assert np.array_equal(converted(ds, tmp_path, frames=slice(-20, None, 3)), stack[-20::3])
    with pytest.raises(tvips_ks.ArgumentError, match="selects nothing"):
        converted(ds, tmp_path, frames=(50, 50))


def test_frame_range_is_refused_for_a_scan(scan, tmp_path):
    with pytest.raises(tvips_ks.ArgumentError, match="scan_crop"):
        converted(scan, tmp_path, frames=(0, 10))


def test_scan_crop_and_signal_crop(scan, data, tmp_path):
    got = converted(scan, tmp_path, scan_crop=((3, 9), slice(1, 15, 2)),
                    signal_crop=((4, 28), (2, 30)))
    assert np.array_equal(got, data[3:9, 1:15:2, 4:28, 2:30])
    with pytest.raises(tvips_ks.ArgumentError, match="one range per scan axis"):
        converted(scan, tmp_path, scan_crop=((0, 4),))


def test_crops_move_the_axes(scan):
    plan = make_plan(scan, scan_crop=((3, 9), slice(1, 15, 2)), signal_crop=((4, 28), (2, 30)),
                     binning=2)
    y, x, dy, dx = plan.axes
    assert (y.size, y.offset, y.scale) == (6, 3.0, 1.0)
    assert (x.size, x.offset, x.scale) == (7, 1.0, 2.0)
    assert (dy.size, dx.size) == (12, 14)
    assert dy.scale == 2 * scan.metadata.axes[2].scale


@pytest.mark.parametrize("n", [2, 4])
def test_binning_sum_widens_and_mean_is_float32(scan, data, tmp_path, n):
    total = converted(scan, tmp_path, binning=n)
    assert total.dtype == np.uint32
    assert np.array_equal(total, binned(data, n, "sum"))
    mean = converted(scan, tmp_path, binning=n, bin_mode="mean")
    assert mean.dtype == np.float32 and np.array_equal(mean, binned(data, n, "mean"))


def test_sum_types_never_overflow():
    assert sum_dtype(np.uint8, 4) == np.uint16      # 255 * 4 needs 10 bits
    assert sum_dtype(np.uint8, 256) == np.uint16    # 255 * 256 < 2**16
    assert sum_dtype(np.uint8, 257) == np.uint32
    assert sum_dtype(np.uint16, 4) == np.uint32
    assert sum_dtype(np.int16, 4) == np.int32
    assert sum_dtype(np.float32, 4) == np.float32
    # the worst case: every pixel at the maximum
    s = Series(width=4, height=4, num_frames=2, bits_per_pixel=8)
    frames = np.full((2, 4, 4), 255, np.uint8)
    out = frames.reshape(2, 1, 4, 1, 4).sum(axis=(-3, -1), dtype=sum_dtype(np.uint8, 16))
    assert int(out.max()) == 255 * 16 and s is not None


def test_binning_that_does_not_divide_is_refused(scan, tmp_path):
    with pytest.raises(tvips_ks.ArgumentError, match="does not divide"):
        converted(scan, tmp_path, binning=3)
    assert np.array_equal(converted(scan, tmp_path, binning=3, signal_crop=((1, 31), (1, 31))),
                          binned(np.asarray(scan.data)[..., 1:31, 1:31], 3, "sum"))


def test_linscale_to_8_bits(scan, data, tmp_path):
    got = converted(scan, tmp_path, linscale=(100, 2500))
    assert got.dtype == np.uint8 and np.array_equal(got, scaled(data, 100, 2500))
    # after binning: 32-bit sums, clipped into a table, or computed when the span is huge
    for lo, hi in ((0, 8000), (-3.5, 5000.25), (100, 2**21)):
        got = converted(scan, tmp_path, binning=2, linscale=(lo, hi))
        assert np.array_equal(got, scaled(binned(data, 2, "sum"), lo, hi))
    # floats (mean binning) are computed
    got = converted(scan, tmp_path, binning=2, bin_mode="mean", linscale=(10.5, 2000))
    assert np.array_equal(got, scaled(binned(data, 2, "mean"), 10.5, 2000))
    with pytest.raises(tvips_ks.ArgumentError, match="low < high"):
        converted(scan, tmp_path, linscale=(5, 5))


def test_percentile_scaling_from_the_whole_array_when_it_fits_the_sample(scan, data, tmp_path):
    got = converted(scan, tmp_path, percentile=(0.5, 99.5))
    lo, hi = np.percentile(data, (0.5, 99.5))
    assert np.array_equal(got, scaled(data, lo, hi))
    with pytest.raises(tvips_ks.ArgumentError, match="percentile"):
        converted(scan, tmp_path, percentile=(50, 10))


def test_percentile_from_a_bounded_sample(scan, data):
    plan = make_plan(scan, percentile=(1, 99), sample_frames=10)
    record = plan.record["percentile"]
    assert record["sample_frames"] == 10
    picks = np.linspace(0, data.shape[0] * data.shape[1] - 1, 10).round().astype(int)
    sample = data.reshape(-1, 32, 32)[picks]
    assert record["values"] == list(np.percentile(sample, (1, 99)))


def test_hot_pixels_given(scan, data, tmp_path):
    hot = [(0, 0), (5, 17), (31, 31)]
    got = converted(scan, tmp_path, hot_pixels=hot, binning=2)
    ref = data.copy()
    for y, x in hot:
        ref[..., y, x] = 0
    assert np.array_equal(got, binned(ref, 2, "sum"))
    with pytest.raises(tvips_ks.ArgumentError, match="outside"):
        converted(scan, tmp_path, hot_pixels=[(32, 0)])


def test_hot_pixels_detected_from_the_mean_pattern(tmp_path):
    ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(3)
    s = Series(width=24, height=20, num_frames=30, seed=1)
    # a smooth pattern with a bright disk (not hot) and three stuck pixels
    yy, xx = np.mgrid[:20, :24]
    disk = ((yy - 10) ** 2 + (xx - 12) ** 2 <= 16) * 3000
    s.images[:] = rng.poisson(100 + disk, (30, 20, 24)).astype(np.uint16)
    stuck = [(0, 3), (15, 23), (10, 12)]  # on two edges of the frame, and inside the disk
    for y, x in stuck:
        s.images[:, y, x] = 60000
    path = s.write(tmp_path)[0]
    ds = tvips_ks.open(path)
    got = converted(ds, tmp_path, hot_pixels="auto")  # k = 50 by default
    mean = s.images.mean(axis=0, dtype=np.float64)
    noise = mean - ndimage.median_filter(mean, size=3, mode="nearest")
    mad = np.median(np.abs(noise - np.median(noise)))
    ring = np.ones((3, 3), bool)
    ring[1, 1] = False
    neighbours = ndimage.maximum_filter(mean, footprint=ring, mode="constant", cval=-np.inf)
    expected = np.argwhere(mean - neighbours > 50 * mad)
    assert sorted(map(tuple, expected.tolist())) == sorted(stuck)
    ref = s.images.copy()
    ref[:, expected[:, 0], expected[:, 1]] = 0
    assert np.array_equal(got, ref)


def test_all_steps_in_order(scan, data, tmp_path):
    got = converted(scan, tmp_path, scan_crop=((1, 11), (0, 16)), hot_pixels=[(16, 16)],
                    signal_crop=((0, 32), (4, 28)), binning=4, bin_mode="mean",
                    linscale=(0, 2000))
    ref = data[1:11].copy()
    ref[..., 16, 16] = 0
    assert np.array_equal(got, scaled(binned(ref[..., :, 4:28], 4, "mean"), 0, 2000))


def test_cli_flags_are_the_library_keywords(scan, data, tmp_path):
    out = tmp_path / "c.npy"
    proc = subprocess.run([sys.executable, "-m", "tvips_ks", "convert", str(EXAMPLE), str(out),
                           "--scan-shape", "12,16", "--scan-start-frame", "5",
                           "--scan-crop", "2:10,1:13", "--signal-crop", "0:32,0:32",
                           "--bin", "2", "--linscale", "0-6000", "--hot-pixels", "3,4;5,6",
                           "--block-mb", "0.01"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    ref = data[2:10, 1:13].copy()
    ref[..., 3, 4] = ref[..., 5, 6] = 0
    assert np.array_equal(np.load(out), scaled(binned(ref, 2, "sum"), 0, 6000))
    proc = subprocess.run([sys.executable, "-m", "tvips_ks", "convert", str(EXAMPLE), str(out),
                           "--linscale", "zero-1"], capture_output=True, text=True)
    assert proc.returncode == 2 and "--linscale" in proc.stderr


def test_a_path_is_opened_with_open_kwargs(data, tmp_path, capsys):
    out = tmp_path / "p.npy"
    tvips_ks.convert(EXAMPLE, out, open_kwargs=SCAN, scan_crop=((0, 2), (0, 16)), progress=True)
    assert np.array_equal(np.load(out), data[:2])
    assert "converting to npy" in capsys.readouterr().err  # the progress bar, when asked for
    with pytest.raises(tvips_ks.ArgumentError, match="open the series with them"):
        tvips_ks.convert(tvips_ks.open(EXAMPLE), tmp_path / "q.npy", open_kwargs=SCAN)


def test_blocks_come_in_order_with_a_bounded_number_read_ahead(scan, data, monkeypatch):
    """Plan.blocks reads AHEAD blocks in worker threads, in order, never more at once."""
    import threading
    import time

    from tvips_ks.export import process

    plan = make_plan(scan, linscale=(0, 4000))
    real, lock = process.Plan.read, threading.Lock()
    state = {"read": 0, "yielded": 0, "most": 0}

    def read(self, slices):
        time.sleep(0.002 * (hash(str(slices)) % 3))  # finish out of order
        out = real(self, slices)
        with lock:
            state["read"] += 1
            state["most"] = max(state["most"], state["read"] - state["yielded"])
        return out
    monkeypatch.setattr(process.Plan, "read", read)
    got, rows = [], 0
    for slices, block in plan.blocks(block_bytes=16 * 32 * 32 * 2):  # a scan row a block
        state["yielded"] += 1
        assert slices[0].start == rows  # in order
        rows = slices[0].stop
        got.append(block)
    assert rows == data.shape[0] and len(got) > process.AHEAD + 1
    assert np.array_equal(np.concatenate(got), scaled(data, 0, 4000))
    assert 1 <= state["most"] <= process.AHEAD + 1


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.uint32, np.int64])
@pytest.mark.parametrize("step", [7, 64, 2**18])
def test_scaling_tables_look_up_every_pixel_in_slices(monkeypatch, dtype, step):
    """scale_lut's look-ups, a slice at a time, equal the arithmetic scaling of each pixel."""
    from tvips_ks.export import process

    monkeypatch.setattr(process, "LOOKUP_STEP", step)
    info = np.iinfo(dtype)
    lo_v, hi_v = max(int(info.min), -3000), min(int(info.max), 70000)
    values = np.random.default_rng(5).integers(lo_v, hi_v, (3, 17, 19)).astype(dtype)
    values.flat[:2] = info.min, info.max
    lo, hi = 10.5, 230.0 if info.max < 1000 else 4000.0
    step_fn = process.scale_lut(np.dtype(dtype), lo, hi)
    assert step_fn is not None
    got = step_fn(values)
    assert got.dtype == np.uint8 and got.shape == values.shape
    assert np.array_equal(got, scaled(values, lo, hi))
