"""Quick looks (issue 15): mean, maximum, beam centre, VBF and the scan-start suggestion,
against numpy references on small synthetic series."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tvips_ks
from tvips_ks import ArgumentError
from tvips_ks.export.quicklook import estimate_beam_center, suggest_scan_start

H, W = 32, 40


def disc_pattern(cy, cx, radius, level=400.0, shape=(H, W), oversample=8):
    """A flat disc with its edge pixels partly covered (area-weighted), on a weak background."""
    sub = (np.arange(oversample) + 0.5) / oversample - 0.5
    yy = np.arange(shape[0])[:, None, None, None] + sub[None, None, :, None]
    xx = np.arange(shape[1])[None, :, None, None] + sub[None, None, None, :]
    cover = ((yy - cy) ** 2 + (xx - cx) ** 2 <= radius ** 2).mean(axis=(2, 3))
    return 5.0 + level * cover


def synthetic(num_blank=7, num_beam=53, center=(13.3, 17.6), radius=6.2, seed=3):
    """Blank frames, then a beam disc whose brightness varies from frame to frame (a specimen)."""
    rng = np.random.default_rng(seed)
    pattern = disc_pattern(*center, radius)
    frames = [rng.poisson(2.0, (H, W)) for _ in range(num_blank)]
    for _ in range(num_beam):
        frames.append(rng.poisson(pattern * rng.uniform(0.6, 1.0)))
    return np.asarray(frames, dtype=np.uint16)


@pytest.fixture
def series(tmp_path):
    data = synthetic()
    tvips_ks.save(tmp_path / "s.tvips", data)
    return tmp_path / "s_000.tvips", data


def reference_vbf(data, center, radius):
    yy, xx = np.indices(data.shape[1:])
    mask = (yy - center[0]) ** 2 + (xx - center[1]) ** 2 <= radius ** 2
    return data[:, mask].astype(np.float64).mean(axis=1)


@pytest.mark.parametrize("block_bytes", [1, 3 * H * W * 2, 2**25])
def test_mean_max_and_vbf_equal_numpy(series, block_bytes):
    path, data = series
    with tvips_ks.open(path) as ds:
        q = tvips_ks.quicklook(ds, vbf_center=(12, 18.5), vbf_radius=4.5,
                               block_bytes=block_bytes)
    np.testing.assert_array_equal(q.mean, data.astype(np.float64).mean(axis=0))
    np.testing.assert_array_equal(q.maximum, data.max(axis=0))
    assert q.maximum.dtype == data.dtype
    np.testing.assert_array_equal(q.vbf, reference_vbf(data, (12, 18.5), 4.5))
    np.testing.assert_array_equal(q.intensity, data.astype(np.float64).mean(axis=(1, 2)))
    assert (q.vbf_center, q.vbf_radius, q.vbf_aperture) == ((12.0, 18.5), 4.5, "given")
    assert q.vbf_image is None


@pytest.mark.parametrize("dtype, scale", [(np.uint8, 1), (np.uint32, 70_000)])
def test_exact_for_every_pixel_type(tmp_path, dtype, scale):
    """uint8 sums in uint32, uint32 (past 2**32 in a block) in float64: both exact."""
    data = (synthetic(num_blank=2, num_beam=10).astype(np.uint64) * scale).astype(dtype)
    with warnings.catch_warnings():  # 32-bit pixels: a warning that others cannot read them
        warnings.simplefilter("ignore", tvips_ks.TvipsWarning)
        tvips_ks.save(tmp_path / "t.tvips", data)
    with tvips_ks.open(tmp_path / "t_000.tvips") as ds:
        assert ds.dtype == dtype
        q = tvips_ks.quicklook(ds, vbf_center=(13, 17), vbf_radius=5)
    np.testing.assert_array_equal(q.mean, data.astype(np.float64).mean(axis=0))
    np.testing.assert_array_equal(q.maximum, data.max(axis=0))
    np.testing.assert_array_equal(q.intensity, data.astype(np.float64).mean(axis=(1, 2)))
    np.testing.assert_array_equal(q.vbf, reference_vbf(data, (13, 17), 5))


def test_reads_block_by_block(series):
    path, data = series
    with tvips_ks.open(path) as ds:
        frames = ds.frames
        seen = []

        class Spy:
            shape, dtype = frames.shape, frames.dtype

            def __getitem__(self, key):
                out = frames[key]
                seen.append(len(out))
                return out

        ds.frames = Spy()
        tvips_ks.quicklook(ds, vbf_center=(10, 10), vbf_radius=3, block_bytes=5 * H * W * 2)
    assert seen == [5] * 12  # 60 frames, 5 per block, each read once


@pytest.mark.parametrize("center, radius", [((13.3, 17.6), 6.2), ((20.81, 9.45), 4.0),
                                            ((15.5, 19.5), 9.0)])
def test_beam_centre_within_half_a_pixel(center, radius):
    rng = np.random.default_rng(0)
    pattern = rng.poisson(disc_pattern(*center, radius) * 20) / 20
    (y, x), method, found_radius = estimate_beam_center(pattern)
    assert method == "thresholded disc"
    assert abs(y - center[0]) < 0.5 and abs(x - center[1]) < 0.5
    assert found_radius == pytest.approx(radius, abs=0.5)


def test_beam_centre_ignores_a_hot_pixel_and_a_diffraction_spot():
    pattern = disc_pattern(13.3, 17.6, 6.2)
    pattern[2, 37] = 60000     # a hot pixel
    pattern[26:29, 2:5] += 300  # a Bragg spot off the axis
    (y, x), method, _ = estimate_beam_center(pattern)
    assert method == "thresholded disc"
    assert abs(y - 13.3) < 0.5 and abs(x - 17.6) < 0.5
    # the plain centre of mass is pulled away: the refinement is what makes it right
    weights = np.clip(pattern - np.median(pattern), 0, None)
    com_x = (weights * np.arange(W)).sum() / weights.sum()
    assert abs(com_x - 17.6) > 1


def test_flat_and_spotless_patterns():
    (y, x), method, radius = estimate_beam_center(np.full((H, W), 7.0))
    assert ((y, x), radius) == (((H - 1) / 2, (W - 1) / 2), None) and "flat" in method
    single = np.zeros((H, W))
    single[4, 30] = 10.0  # a lone pixel: the 3x3 minimum removes it
    (y, x), method, radius = estimate_beam_center(single)
    assert (y, x) == (4.0, 30.0) and method.startswith("centre of mass") and radius is None


def test_default_aperture_is_a_disc_around_the_beam(series):
    path, data = series
    with tvips_ks.open(path) as ds:
        q = tvips_ks.quicklook(ds)
    assert q.beam_center_method == "thresholded disc"
    assert abs(q.beam_center[0] - 13.3) < 0.5 and abs(q.beam_center[1] - 17.6) < 0.5
    assert np.hypot(q.vbf_center[0] - 13.3, q.vbf_center[1] - 17.6) < 0.5
    assert q.vbf_radius == pytest.approx(6.2, abs=0.6)
    assert "spread over the series" in q.vbf_aperture
    np.testing.assert_array_equal(q.vbf, reference_vbf(data, q.vbf_center, q.vbf_radius))
    with tvips_ks.open(path) as ds:  # a given radius keeps the beam's centre
        r = tvips_ks.quicklook(ds, vbf_radius=2)
    assert (r.vbf_center, r.vbf_radius) == (q.vbf_center, 2.0)
    np.testing.assert_array_equal(r.vbf, reference_vbf(data, q.vbf_center, 2))


def test_scan_start_is_suggested_not_applied(series):
    path, data = series
    with tvips_ks.open(path) as ds:
        q = tvips_ks.quicklook(ds, vbf_center=(13, 17), vbf_radius=5)
        assert ds.frame_index is None  # nothing applied
    s = q.suggested_scan_start
    assert s.frame == 7 and s.signal == "mean intensity"
    assert s.level_before == np.median(data[:7].mean(axis=(1, 2)))
    assert "rises at frame 7" in s.evidence and q.scan_start_note == s.evidence
    # a scan given: the VBF over it, and no suggestion
    with tvips_ks.open(path, scan_shape=(6, 9), scan_start_frame=7, pad=True) as ds:
        q = tvips_ks.quicklook(ds, vbf_center=(13, 17), vbf_radius=5)
        index = ds.frame_index
    assert q.suggested_scan_start is None and "given or detected" in q.scan_start_note
    vbf = reference_vbf(data, (13, 17), 5)
    expected = np.where(index >= 0, vbf[np.clip(index, 0, None)], np.nan)
    np.testing.assert_array_equal(q.vbf_image, expected)
    assert np.isnan(q.vbf_image[-1, -1])  # 60 frames: the last position is padding


def test_no_step_no_suggestion(tmp_path):
    data = synthetic(num_blank=0, num_beam=40)
    tvips_ks.save(tmp_path / "b.tvips", data)
    with tvips_ks.open(tmp_path / "b_000.tvips") as ds:
        q = tvips_ks.quicklook(ds)
    assert q.suggested_scan_start is None
    assert q.scan_start_note.count("no step-wise rise") == 2  # intensity, then the VBF


def test_suggestion_from_the_vbf_when_the_intensity_is_flat():
    # the beam moves onto the aperture at frame 10: total intensity constant, VBF steps
    rng = np.random.default_rng(1)
    intensity = 100 + rng.normal(0, 0.1, 40)
    vbf = np.r_[rng.normal(3, 0.1, 10), rng.normal(50, 0.1, 30)]
    none, note = suggest_scan_start(intensity)
    assert none is None and "no step-wise rise of the mean intensity" in note
    found, evidence = suggest_scan_start(vbf, "virtual bright field")
    assert found.frame == 10 and "virtual bright field rises at frame 10" in evidence
    assert suggest_scan_start([1, 2, 3])[0] is None  # too few frames


def test_bad_arguments(series):
    path, _ = series
    with tvips_ks.open(path) as ds:
        with pytest.raises(ArgumentError, match="holds no pixel"):
            tvips_ks.quicklook(ds, vbf_center=(500, 500), vbf_radius=3)
        with pytest.raises(ArgumentError, match="radius must be a finite number"):
            tvips_ks.quicklook(ds, vbf_center=(5, 5), vbf_radius=float("nan"))
        with pytest.raises(ArgumentError, match="block_bytes"):
            tvips_ks.quicklook(ds, block_bytes=0)
    with pytest.raises(ArgumentError, match="2-D"):
        estimate_beam_center(np.zeros(5))


# -- tvips-ks preview -----------------------------------------------------------------------

def test_preview_prints_and_draws_the_quick_look(series, tmp_path, capsys):
    from PIL import Image

    from tvips_ks.cli import main

    path, data = series
    out = tmp_path / "look.png"
    capsys.readouterr()
    status = main([
        "preview", str(path), str(out), "--scan-shape", "none", "--vbf-center", "12,18.5",
        "--vbf-radius", "4.5"])
    stdout, stderr = capsys.readouterr()
    assert status == 0, stderr
    lines = stdout.splitlines()
    assert lines[0].startswith("beam centre: (y, x) = (13.")
    assert lines[1] == "VBF aperture: centre (y, x) = (12.00, 18.50) px, radius 4.50 px"
    assert lines[2].startswith("suggested scan start: frame 7 (not applied; try --scan-shape "
                               "ROWS,COLS --scan-start-frame 7): the mean intensity rises")
    assert lines[3] == f"wrote {out} (1200×900 PNG; right panel: rotator_index)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["look.png", "s_000.tvips"]
    with Image.open(out) as image:
        assert image.size == (1200, 900)
        pixels = np.asarray(image.convert("RGB"))
    # the beam-centre marker (tab:red) and the aperture circle (tab:cyan) are drawn
    red = (np.abs(pixels.astype(int) - (214, 39, 40)).sum(axis=-1) < 30).sum()
    cyan = (np.abs(pixels.astype(int) - (23, 190, 207)).sum(axis=-1) < 30).sum()
    assert red > 20 and cyan > 20


def test_render_preview_reuses_a_quick_look(series, tmp_path):
    from tvips_ks.export.preview import render_preview

    path, data = series
    with tvips_ks.open(path, scan_shape=(6, 9), scan_start_frame=7, pad=True) as ds:
        look = tvips_ks.quicklook(ds, vbf_center=(13, 17), vbf_radius=5)
        summary = render_preview(ds, tmp_path / "p.png", look=look)
    assert summary["look"] is look and summary["scan_frames"] == (7, 59)
    with pytest.raises(ArgumentError, match="exists"):
        with tvips_ks.open(path) as ds:
            render_preview(ds, tmp_path / "p.png")
