"""Every output of tvips_ks.convert read back by its consumer's reader.

.blo by RosettaSciIO's blockfile reader, .hspy by HyperSpy, .mrc by mrcfile,
.tif by tifffile, SMV by FabIO, zarr by zarr and HDF5 by h5py (with
hdf5plugin for its filters); values compared exactly with ``ds.data``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest

import tvips_ks
from tvips_ks.export.formats import blo as blo_writer
from tvips_ks.export.formats.smv import wavelength_angstrom

from builders import Series, xf416_standin

EXAMPLE = tvips_ks.example_path()
SCAN = dict(scan_shape=(12, 16), scan_start_frame=5)


def scaled(a, lo, hi):
    """The 8-bit scaling the docs promise, written out independently."""
    return np.rint(np.clip((a.astype(np.float64) - lo) * 255.0 / (hi - lo), 0, 255)).astype(
        np.uint8)


@pytest.fixture(scope="module")
def scan():
    return tvips_ks.open(EXAMPLE, **SCAN)


@pytest.fixture
def imaging(tmp_path):
    """A stack in imaging mode: the signal is calibrated in nm (15600 × 2 / 250)."""
    s = Series(width=8, height=6, num_frames=7, frames={"tem_mode": 1}, seed=3)
    return s, s.write(tmp_path)[0]


def cli(*args):
    return subprocess.run([sys.executable, "-m", "tvips_ks", *map(str, args)],
                          capture_output=True, text=True)


# -- .blo -------------------------------------------------------------------------------

def test_blo_read_back_by_rosettasciio(scan, tmp_path):
    from rsciio.blockfile import file_reader

    out = tmp_path / "scan.blo"
    summary = tvips_ks.convert(scan, out, linscale=(20, 3000))
    assert summary["format"] == "blo" and summary["dtype"] == np.uint8
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a header RosettaSciIO does not recognise warns
        d = file_reader(str(out))[0]
    expected = scaled(np.asarray(scan.data), 20, 3000)
    assert d["data"].shape == (12, 16, 32, 32)
    assert np.array_equal(d["data"], expected)
    header = d["original_metadata"]["blockfile_header"]
    assert (header["NX"], header["NY"], header["DP_SZ"]) == (16, 12, 32)
    assert header["Beam_energy"] == 300_000
    # the acquisition time as a serial date, back to the series' first frame time
    assert d["metadata"]["General"]["date"] == "2024-05-17"
    # the virtual image: one byte per position, the mean of its 8-bit frame
    raw = out.read_bytes()
    image = np.frombuffer(raw, np.uint8, 12 * 16, offset=blo_writer.IMAGE_OFFSET)
    assert np.array_equal(image, np.floor(expected.mean(axis=(-2, -1)) + 0.5).ravel())
    # each frame: AA 55 and its number
    start, record = int(header["Data_offset_2"]), 6 + 32 * 32
    for k in (0, 1, 12 * 16 - 1):
        assert raw[start + k * record:start + k * record + 2] == b"\xaa\x55"
        assert int.from_bytes(raw[start + k * record + 2:start + k * record + 6], "little") == k
    assert len(raw) == start + 12 * 16 * record


def test_blo_of_a_stack_and_of_8_bit_data(tmp_path):
    from rsciio.blockfile import file_reader

    s = Series(width=6, height=6, num_frames=9, bits_per_pixel=8, seed=5)
    path = s.write(tmp_path)[0]
    out = tmp_path / "stack.blo"
    tvips_ks.convert(path, out)  # 8-bit data needs no scaling
    d = file_reader(str(out))[0]
    assert np.array_equal(d["data"], s.images)


def test_blo_refuses_what_it_cannot_hold(scan, tmp_path):
    with pytest.raises(tvips_ks.ArgumentError, match="linscale"):
        tvips_ks.convert(scan, tmp_path / "a.blo")
    with pytest.raises(tvips_ks.ArgumentError, match="square"):
        tvips_ks.convert(scan, tmp_path / "a.blo", linscale=(0, 100),
                         signal_crop=((0, 32), (0, 30)))
    assert list(tmp_path.iterdir()) == []


# -- HyperSpy ------------------------------------------------------------------------------

def test_hspy_loads_with_axes_calibrations_and_metadata(scan, tmp_path):
    hs = pytest.importorskip("hyperspy.api")
    out = tmp_path / "scan.hspy"
    tvips_ks.convert(scan, out, binning=2)
    s = hs.load(out)
    data = np.asarray(scan.data)
    expected = data.reshape(12, 16, 16, 2, 16, 2).sum(axis=(-3, -1), dtype=np.uint32)
    assert s.data.dtype == np.uint32 and np.array_equal(s.data, expected)
    axes = scan.metadata.axes
    got = s.axes_manager._axes
    assert [a.name for a in got] == [a.name for a in axes]
    for a, b in zip(got[:2], axes[:2]):
        assert (a.size, a.scale, a.units) == (b.size, b.scale, b.units)
    for a, b in zip(got[2:], axes[2:]):
        assert a.size == b.size // 2 and a.scale == pytest.approx(2 * b.scale)
        assert a.units == b.units
    assert s.metadata.Acquisition_instrument.TEM.beam_energy == 300.0
    assert s.original_metadata.tvips_ks_processing.binning.factor == 2


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_hspy_of_an_imaging_stack_keeps_the_nm_calibration(imaging, tmp_path, compression):
    hs = pytest.importorskip("hyperspy.api")
    h5py = pytest.importorskip("h5py")
    s, path = imaging
    tvips_ks.convert(path, tmp_path / "im.hspy", frames=(2, 6), compression=compression)
    with h5py.File(tmp_path / "im.hspy", "r") as f:
        assert f["Experiments/series/data"].compression == compression
    t = hs.load(tmp_path / "im.hspy")
    assert np.array_equal(t.data, s.images[2:6])
    dx = t.axes_manager.signal_axes[0]
    assert dx.units == "nm" and dx.scale == pytest.approx(15600 * 2 / 250)


def test_zspy_loads_in_hyperspy_with_axes_and_metadata(scan, tmp_path):
    hs = pytest.importorskip("hyperspy.api")
    out = tmp_path / "scan.zspy"
    tvips_ks.convert(scan, out, scan_crop=((2, 10), (0, 16)))
    expected = np.asarray(scan.data)[2:10]
    for lazy in (False, True):
        s = hs.load(out, lazy=lazy)
        assert np.array_equal(np.asarray(s.data), expected)
    axes = scan.metadata.axes
    got = s.axes_manager._axes
    assert [a.name for a in got] == [a.name for a in axes]
    assert [a.size for a in got] == [8, 16, 32, 32]
    for a, b in zip(got, axes):
        assert (a.scale, a.units) == (b.scale, b.units)
    assert got[0].offset == pytest.approx(axes[0].offset + 2 * axes[0].scale)
    assert s.metadata.Acquisition_instrument.TEM.beam_energy == 300.0
    assert s.metadata.get_item("General.FileIO.0.operation") == "save"
    start = SCAN["scan_start_frame"]
    assert np.array_equal(np.asarray(s.original_metadata.frame_index),
                          start + np.arange(2 * 16, 10 * 16).reshape(8, 16))
    assert list(tmp_path.iterdir()) == [out]  # no temporary left beside it


@pytest.mark.parametrize("compression, codec", [("default", "blosc"), ("gzip", "gzip"),
                                                (None, None)])
def test_zspy_compression_is_applied_to_the_data(scan, tmp_path, compression, codec):
    pytest.importorskip("hyperspy.api")
    zarr = pytest.importorskip("zarr")
    out = tmp_path / "scan.zspy"
    options = {} if compression == "default" else {"compression": compression}
    tvips_ks.convert(scan, out, **options)
    data = zarr.open_group(str(out), mode="r")["Experiments/example/data"]
    found = data.metadata.compressor  # a zarr v2 array, as RosettaSciIO writes it
    assert (found.codec_id if found is not None else None) == codec


def test_zspy_from_the_command_line_uncompressed(tmp_path):
    hs = pytest.importorskip("hyperspy.api")
    zarr = pytest.importorskip("zarr")
    out = tmp_path / "scan.zspy"
    proc = cli("convert", EXAMPLE, out, "--scan-shape", "12,16", "--scan-start-frame", "5",
               "--compression", "none")
    assert proc.returncode == 0, proc.stderr
    assert zarr.open_group(str(out), mode="r")["Experiments/example/data"].metadata.compressor \
        is None
    assert np.array_equal(hs.load(out).data,
                          np.asarray(tvips_ks.open(EXAMPLE, **SCAN).data))


def test_zspy_refuses_lzf_before_writing(scan, tmp_path):
    pytest.importorskip("hyperspy.api")
    with pytest.raises(tvips_ks.ArgumentError, match="compression"):
        tvips_ks.convert(scan, tmp_path / "scan.zspy", compression="lzf")
    assert list(tmp_path.iterdir()) == []


# -- MRC, TIFF ------------------------------------------------------------------------------

def test_mrc_read_back_with_voxel_size(imaging, tmp_path):
    mrcfile = pytest.importorskip("mrcfile")
    s, path = imaging
    out = tmp_path / "im.mrc"
    tvips_ks.convert(path, out)
    with mrcfile.open(out, permissive=False) as mrc:
        assert np.array_equal(mrc.data, s.images)
        assert mrc.is_image_stack()
        assert float(mrc.voxel_size.x) == pytest.approx(15600 * 2 / 250 * 10, rel=1e-6)
        assert float(mrc.header.dmax) == s.images.max()
        assert float(mrc.header.dmean) == pytest.approx(s.images.mean(), rel=1e-6)
        assert float(mrc.header.dmin) == s.images.min()
        assert float(mrc.header.rms) == pytest.approx(s.images.astype(float).std(), rel=1e-5)
        assert mrcfile.validate(str(out), print_file=open("/dev/null", "w"))


def test_mrc_of_a_scan_is_a_stack_and_refuses_wide_sums(scan, tmp_path):
    mrcfile = pytest.importorskip("mrcfile")
    tvips_ks.convert(scan, tmp_path / "s.mrc", linscale=(0, 4000))
    with mrcfile.open(tmp_path / "s.mrc") as mrc:
        expected = scaled(np.asarray(scan.data), 0, 4000).reshape(-1, 32, 32)
        assert np.array_equal(mrc.data, expected)
        assert float(mrc.voxel_size.x) == 0  # uncalibrated pixels: unknown
    with pytest.raises(tvips_ks.ArgumentError, match="--bin-mode mean"):
        tvips_ks.convert(scan, tmp_path / "w.mrc", binning=2)


def test_tiff_is_a_multipage_stack(scan, tmp_path):
    tifffile = pytest.importorskip("tifffile")
    out = tmp_path / "scan.tif"
    tvips_ks.convert(scan, out, scan_crop=((2, 5), (0, 16)))
    with tifffile.TiffFile(out) as tif:
        assert len(tif.pages) == 3 * 16
        data = tif.asarray()
        attrs = json.loads(tif.pages[0].description)
    assert np.array_equal(data, np.asarray(scan.data)[2:5].reshape(-1, 32, 32))
    assert attrs["processing"]["scan_crop"] == [[2, 5, 1], [0, 16, 1]]


# -- SMV ---------------------------------------------------------------------------------

def test_smv_one_file_per_frame_read_by_fabio(tmp_path):
    fabio = pytest.importorskip("fabio")
    s = xf416_standin(num_frames=5, width=16, height=16)
    path = s.write(tmp_path)[0]
    out = tmp_path / "sweep_###.img"
    summary = tvips_ks.convert(path, out, distance_mm=960, rotation_rate=0.5,
                               osc_start=-30, time_zone="America/New_York")
    names = [p.name for p in summary["paths"]]
    assert names == [f"sweep_{i:03d}.img" for i in range(1, 6)]
    zone = ZoneInfo("America/New_York")
    for k, p in enumerate(summary["paths"]):
        img = fabio.open(p)
        assert img.data.dtype == np.uint16 and np.array_equal(img.data, s.images[k])
        h = img.header
        assert int(h["HEADER_BYTES"]) == 512 and h["TYPE"] == "unsigned_short"
        assert (int(h["SIZE1"]), int(h["SIZE2"])) == (16, 16)
        assert float(h["DISTANCE"]) == 960
        assert float(h["OSC_RANGE"]) == pytest.approx(0.5)  # 0.5 deg/s, one frame a second
        assert float(h["OSC_START"]) == pytest.approx(-30 + 0.5 * k)
        assert float(h["PHI"]) == float(h["OSC_START"])
        assert float(h["WAVELENGTH"]) == pytest.approx(0.019687, abs=1e-6)  # 300 kV
        assert float(h["PIXEL_SIZE"]) == pytest.approx(15500 * 2 * 1e-6)
        assert float(h["BEAM_CENTER_X"]) == pytest.approx(8 * 0.031)
        when = datetime.fromtimestamp(1_713_400_000 + k, tz=timezone.utc).astimezone(zone)
        assert h["DATE"] == when.strftime("%a %b %d %H:%M:%S %Y")
        assert float(h["TIME"]) == pytest.approx(1.0)


def test_smv_header_is_what_dials_adsc_reader_takes(tmp_path):
    """The checks and geometry of dxtbx's FormatSMVADSC (DIALS), applied to our header."""
    fabio = pytest.importorskip("fabio")
    s = xf416_standin(num_frames=2, width=24, height=16)
    out = tmp_path / "sweep_##.img"
    summary = tvips_ks.convert(s.write(tmp_path)[0], out, distance_mm=500, osc_range=0.25,
                               beam_center=(5, 11))
    h = fabio.open(summary["paths"][1]).header
    wanted = {"BEAM_CENTER_X", "BEAM_CENTER_Y", "DISTANCE", "WAVELENGTH", "PIXEL_SIZE",
              "OSC_START", "OSC_RANGE", "SIZE1", "SIZE2", "BYTE_ORDER", "TIME", "DATE"}
    assert wanted <= set(h) and "DTREK_DATE_TIME" not in h
    pixel = float(h["PIXEL_SIZE"])
    # dxtbx: beam centre (fast, slow) = (BEAM_CENTER_Y, BEAM_CENTER_X); fast = columns
    fast_mm, slow_mm = float(h["BEAM_CENTER_Y"]), float(h["BEAM_CENTER_X"])
    assert (slow_mm / pixel, fast_mm / pixel) == pytest.approx((5, 11))
    assert (int(h["SIZE1"]), int(h["SIZE2"])) == (24, 16)  # SIZE1 = fast = columns
    time.strptime(h["DATE"], "%a %b %d %H:%M:%S %Y")
    assert float(h["TIME"]) >= 0 and float(h["OSC_START"]) == pytest.approx(0.25)


def test_smv_needs_its_geometry_and_writes_nothing_otherwise(tmp_path):
    s = xf416_standin(num_frames=3, width=8, height=8)
    path = s.write(tmp_path)[0]
    out = tmp_path / "o" / "s_##.img"
    out.parent.mkdir()
    with pytest.raises(tvips_ks.ArgumentError, match="distance_mm"):
        tvips_ks.convert(path, out, osc_range=0.1)
    with pytest.raises(tvips_ks.ArgumentError, match="rotation_rate"):
        tvips_ks.convert(path, out, distance_mm=500)
    with pytest.raises(tvips_ks.ArgumentError, match="time zone"):
        tvips_ks.convert(path, out, distance_mm=500, osc_range=0.1, time_zone="Mars/Olympus")
    # a sum that does not fit 16 bits is refused part-way: nothing is left behind
    with pytest.raises(tvips_ks.ArgumentError, match="16 bits"):
        tvips_ks.convert(path, out, distance_mm=500, osc_range=0.1, binning=2)
    assert list(out.parent.iterdir()) == []
    assert wavelength_angstrom(200) == pytest.approx(0.025079, abs=1e-6)


def test_smv_into_a_directory_and_overwrite_consent(tmp_path):
    s = xf416_standin(num_frames=2, width=8, height=8)
    path = s.write(tmp_path)[0]
    d = tmp_path / "sweep"
    d.mkdir()
    kwargs = dict(fmt="smv", distance_mm=500, osc_range=0.2)
    summary = tvips_ks.convert(path, d, **kwargs)
    assert [p.name for p in summary["paths"]] == ["series_00001.img", "series_00002.img"]
    before = summary["paths"][0].read_bytes()
    with pytest.raises(tvips_ks.ArgumentError, match="overwrite"):
        tvips_ks.convert(path, d, **dict(kwargs, osc_range=0.3))
    assert summary["paths"][0].read_bytes() == before
    tvips_ks.convert(path, d, overwrite=True, **dict(kwargs, osc_range=0.3))
    assert b"OSC_RANGE=0.300000;" in summary["paths"][0].read_bytes()[:512]


# -- compression of zarr and HDF5 ---------------------------------------------------------------

@pytest.mark.parametrize("compression", ["zstd", "blosc"])
def test_zarr_compressed(scan, tmp_path, compression):
    zarr = pytest.importorskip("zarr")
    out = tmp_path / "c.zarr"
    tvips_ks.convert(scan, out, compression=compression)
    data = zarr.open_group(str(out), mode="r")["data"]
    assert np.array_equal(data[...], np.asarray(scan.data))
    codecs = json.loads((out / "data" / "zarr.json").read_text())["codecs"]
    assert any(compression in c["name"] for c in codecs)


@pytest.mark.parametrize("compression", ["gzip", "zstd", "blosc"])
def test_hdf5_compressed(scan, tmp_path, compression):
    h5py = pytest.importorskip("h5py")
    import hdf5plugin  # noqa: F401  (registers the zstd and blosc filters for reading)

    out = tmp_path / "c.h5"
    tvips_ks.convert(scan, out, compression=compression)
    with h5py.File(out, "r") as f:
        assert np.array_equal(f["data"][...], np.asarray(scan.data))
        filters = f["data"]._filters
    assert filters and (compression == "gzip") == ("gzip" in filters)
    assert out.stat().st_size < np.asarray(scan.data).nbytes


def test_compression_refusals(scan, tmp_path):
    with pytest.raises(tvips_ks.ArgumentError, match="cannot be compressed"):
        tvips_ks.convert(scan, tmp_path / "a.npy", compression="zstd")
    with pytest.raises(tvips_ks.ArgumentError, match="gzip"):
        tvips_ks.convert(scan, tmp_path / "a.zarr", compression="gzip")
    with pytest.raises(tvips_ks.ArgumentError, match="not an option of the blo writer"):
        tvips_ks.convert(scan, tmp_path / "a.blo", compression="gzip")
    assert list(tmp_path.iterdir()) == []


# -- several inputs --------------------------------------------------------------------------

def test_cli_batch_goes_on_past_a_bad_series(tmp_path):
    from rsciio.blockfile import file_reader

    good = []
    for name, seed in (("a", 1), ("b", 2)):
        s = Series(width=8, height=8, num_frames=6, bits_per_pixel=8, seed=seed)
        good.append((name, s, s.write(tmp_path, stem=name)[0]))
    bad = tmp_path / "bad_000.tvips"
    bad.write_bytes(b"not a tvips file" * 20)
    out = tmp_path / "out"
    out.mkdir()
    proc = cli("convert", good[0][2], bad, good[1][2], "--out-dir", out, "--format", "blo")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len([line for line in lines if "bad_000.tvips" in line]) == 1
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a.blo", "b.blo"]
    for name, s, _ in good:
        assert np.array_equal(file_reader(str(out / f"{name}.blo"))[0]["data"], s.images)
    # every series good: status 0; the single-input form still works
    assert cli("convert", good[0][2], good[1][2], "--out-dir", out, "--format", "npy"
               ).returncode == 0
    assert cli("convert", good[0][2], tmp_path / "one.tif").returncode == 0
