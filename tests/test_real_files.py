"""Files that real acquisitions and other writers produce (issue 14: every TVIPS file in the wild opens).

What the files in the wild look like (sources in spec/tvips.ksy and docs/format.md):

* The XF416 MicroED deposit, Zenodo record 10995139: one unsplit file per series,
  named ``…_series1.tvips`` (no ``_NNN`` part number), 2,357,249,684 bytes =
  256 + 281 × (180 + 2048 × 2048 × 2); its main header (published by a third
  party) has bin 2×2, ``pixel_size_nm`` 15500 (the unbinned detector pixel),
  300 kV, ``mag_total`` 0 (diffraction), 180-byte frame headers and a filler of
  204 zero bytes.  ``builders.xf416_standin`` builds a small stand-in of it byte
  by byte (16×16 frames), independently of the library.
* HyperSpy/RosettaSciIO writes whatever unsigned dtype it is given: uint32 and
  uint64 data give ``bits_per_pixel`` 32 and 64.  RosettaSciIO's own writer makes
  those files here.

Metadata expectations decided here (documented in the README): for a camera
file, ``Metadata.detector_pixel_size_nm`` is ``pixel_size_nm`` (the unbinned
detector pixel, 15500 for the XF416), ``Metadata.binned_pixel_size_nm`` is the
image pixel ``(pixel_size_nm × bin_y, pixel_size_nm × bin_x)`` in nm, (y, x)
order like the data's axes, ``(31000.0, 31000.0)`` for the XF416 at bin 2; both
are ``None`` for files written by HyperSpy or tvips-ks (their ``pixel_size_nm``
is a calibrated scale, not a detector pixel).  ``Metadata.camera_length`` is
``None`` (not 0) when ``mag_total`` is 0 in diffraction, as
``magnification`` is in imaging: 0 records no value.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import tvips_ks
import tvips_ks.rsciio
from builders import (XF416_FILE_SIZE, XF416_FILLER, XF416_FRAMES, XF416_MAIN, Series,
                      xf416_standin)

DEPOSIT_NAME = "AVAAGA-dry_static_diffraction_300kV_293K_1fps_series1.tvips"  # as in the deposit


def run_cli(*args):
    """``python -m tvips_ks ARGS`` in a subprocess."""
    return subprocess.run([sys.executable, "-m", "tvips_ks", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def write_standin(directory: Path, naming: str, series: Series | None = None) -> Path:
    """The stand-in as the deposit names it (one un-numbered file), or as a numbered series."""
    series = series or xf416_standin()
    if naming == "single":
        return series.write_single(directory, DEPOSIT_NAME)
    return series.write(directory, stem=DEPOSIT_NAME[:-len(".tvips")])[0]


def naming_params():
    """single (the deposit's naming) and numbered (the control)."""
    return ["single", "numbered"]


# -- the stand-in itself --------------------------------------------------------------------

def test_the_standin_has_the_deposits_layout(tmp_path):
    """The builder's stand-in keeps every published main-header value but the frame size."""
    s = xf416_standin()
    path = s.write_single(tmp_path, DEPOSIT_NAME)
    raw = path.read_bytes()
    fields = np.frombuffer(raw[:52], "<u4")
    expected = dict(XF416_MAIN, width=16, height=16)
    assert fields.tolist() == list(expected.values())
    assert raw[52:256] == XF416_FILLER == bytes(204)
    assert len(raw) == 256 + 5 * (180 + 16 * 16 * 2)
    # the deposit's own size is 281 such records of 2048×2048 frames
    assert XF416_FILE_SIZE == 256 + XF416_FRAMES * (180 + 2048 * 2048 * 2)


# -- open ------------------------------------------------------------------------------------

@pytest.mark.parametrize("naming", naming_params())
def test_open_the_standin(tmp_path, naming):
    s = xf416_standin()
    path = write_standin(tmp_path, naming, s)
    with tvips_ks.open(path) as ds:
        assert ds.path == path
        assert [p.path for p in ds.files] == [path]
        assert ds.files[0].offset == 256 and ds.files[0].trailing_bytes == 0
        assert ds.num_frames == 5 and ds.shape == (5, 16, 16) and ds.dtype == np.uint16
        np.testing.assert_array_equal(np.asarray(ds.data), s.images)
        for name, value in XF416_MAIN.items():
            assert int(ds.header[name]) == (16 if name in ("width", "height") else value), name
        assert bytes(ds.header["filler"]) == bytes(204)
        fh = ds.frame_headers
        assert fh.dtype.itemsize == 180
        for name, values in s.expected_frame_headers().items():
            np.testing.assert_array_equal(fh[name], values, err_msg=name)
        assert (fh["tem_mode"] == 2).all()
        # every byte of a 180-byte header reaches the user: bytes 108–180 through to_hyperspy
        padding = ds.to_hyperspy().original_metadata.frame_headers.padding
        assert [bytes(p) for p in padding] == s.padding


def test_an_unnumbered_file_opens_by_any_spelling_of_its_path(tmp_path):
    s = xf416_standin()
    path = s.write_single(tmp_path, "scan.tvips")
    for given in (path, str(path), os.fsencode(path), Path(os.path.relpath(path))):
        with tvips_ks.open(given) as ds:
            assert Path(os.fsdecode(os.fspath(ds.path))).resolve() == path.resolve()
            np.testing.assert_array_equal(ds.data[-1], s.images[-1])


# -- metadata --------------------------------------------------------------------------------

def test_standin_metadata(tmp_path):
    """What the stand-in's header means today (a numbered copy: naming is tested above)."""
    path = write_standin(tmp_path, "numbered")
    with tvips_ks.open(path) as ds:
        m = ds.metadata
        assert m.writer == "camera"           # a zero filler is not HyperSpy's or ours
        assert m.mode == "diffraction" and m.high_tension_kv == 300
        assert m.detector_pixel_size_nm == 15500 and m.binning == (2, 2)
        assert m.magnification is None
        # no camera length, so no reciprocal calibration: detector pixels
        assert [(a.name, a.units, a.scale) for a in m.signal_axes] == [("dy", "px", 1.0),
                                                                      ("dx", "px", 1.0)]
        assert m.frame_interval_s == 1.0
        tem = ds.to_hyperspy().metadata.Acquisition_instrument.TEM
        assert tem.beam_energy == 300
        assert "camera_length" not in tem and "magnification" not in tem


def test_no_camera_length_when_mag_total_is_0(tmp_path):
    path = write_standin(tmp_path, "numbered")
    with tvips_ks.open(path) as ds:
        assert ds.metadata.camera_length is None
        assert ds.metadata.magnification is None


@pytest.mark.parametrize("bin_x,bin_y,expected", [(2, 2, (31000.0, 31000.0)),
                                                  (1, 4, (62000.0, 15500.0)),
                                                  (1, 1, (15500.0, 15500.0))])
def test_binned_pixel_from_the_unbinned_detector_pixel(tmp_path, bin_x, bin_y, expected):
    s = xf416_standin()
    s.main_values.update(bin_x=bin_x, bin_y=bin_y)
    s.write(tmp_path, "scan")
    with tvips_ks.open(tmp_path / "scan_000.tvips") as ds:
        assert ds.metadata.detector_pixel_size_nm == 15500
        assert ds.metadata.binned_pixel_size_nm == expected
    # a HyperSpy-written file holds a calibrated scale there, not a detector pixel
    tvips_ks.save(tmp_path / "ours.tvips", s.images, pixel_size_nm=15500, mode=2)
    with tvips_ks.open(tmp_path / "ours_000.tvips") as ds:
        assert ds.metadata.detector_pixel_size_nm is None
        assert ds.metadata.binned_pixel_size_nm is None


# -- the command line ------------------------------------------------------------------------

@pytest.mark.parametrize("naming", naming_params())
def test_cli_info(tmp_path, naming):
    path = write_standin(tmp_path, naming)
    proc = run_cli("info", path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("series:") and str(path) in lines[0]
    assert re.search(r"1 part\(s\), 5 frames", proc.stdout)
    for text in ("pixel_size_nm=15500", "len_frame_header=180", "mag_total=0", "bin_x=2",
                 "bin_y=2", "300 kV", "180-byte frame header"):
        assert text in proc.stdout, text


@pytest.mark.parametrize("naming", naming_params())
def test_cli_check(tmp_path, naming):
    path = write_standin(tmp_path, naming)
    proc = run_cli("check", path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [f"{path}: ok (5 frames in 1 part(s))"]


@pytest.mark.parametrize("naming", naming_params())
def test_cli_dump_json(tmp_path, naming):
    s = xf416_standin()
    path = write_standin(tmp_path, naming, s)
    proc = run_cli("dump", "--json", "--frames", "0,-1", path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["path"] == str(path)
    main = {f["id"]: f["value"] for f in out["main_header"]["fields"]}
    assert {k: main[k] for k in XF416_MAIN} == dict(XF416_MAIN, width=16, height=16)
    layout = out["layout"]
    assert layout["parts"] == [str(path)] and layout["num_frames"] == 5
    assert layout["len_frame_header"] == 180 and layout["len_record"] == 180 + 512
    first, last = out["frames"]
    assert (first["frame"], last["frame"]) == (0, 4)
    assert last["record_offset"] == 256 + 4 * (180 + 512)
    fields = {f["id"]: f for f in last["fields"]}
    for name, value in s.header_values[4].items():
        assert fields[name]["value"] == value, name
    assert (fields["padding"]["offset"], fields["padding"]["size"]) == (
        last["record_offset"] + 108, 72)
    assert fields["image"]["offset"] == last["record_offset"] + 180


@pytest.mark.parametrize("naming", naming_params())
def test_cli_convert_npy(tmp_path, naming):
    s = xf416_standin()
    path = write_standin(tmp_path, naming, s)
    out = tmp_path / "out.npy"
    proc = run_cli("convert", path, out)
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_array_equal(np.load(out), s.images)
    with np.load(tmp_path / "out.npy.headers.npz") as side:
        assert int(side["main_header"][0]["pixel_size_nm"]) == 15500
        assert int(side["main_header"][0]["len_frame_header"]) == 180
        np.testing.assert_array_equal(side["frame_headers"]["counter"], [1, 2, 3, 4, 5])


@pytest.mark.parametrize("naming", naming_params())
def test_cli_preview(tmp_path, naming):
    from PIL import Image

    path = write_standin(tmp_path, naming)
    out = tmp_path / "p.png"
    proc = run_cli("preview", path, out)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    with Image.open(out) as im:
        assert im.size == (1200, 900)  # the preview's default size since the quick-look panels


# -- HyperSpy and the RosettaSciIO plugin ----------------------------------------------------

@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("naming", naming_params())
def test_to_hyperspy(tmp_path, naming, lazy):
    s = xf416_standin()
    path = write_standin(tmp_path, naming, s)
    with tvips_ks.open(path) as ds:
        sig = ds.to_hyperspy(lazy=lazy)
        np.testing.assert_array_equal(np.asarray(sig.data), s.images)
    assert sig._lazy is lazy
    assert sig.metadata.General.original_filename == path.name
    assert sig.original_metadata.main_header.pixel_size_nm == 15500
    assert sig.original_metadata.main_header.len_frame_header == 180
    assert sig.metadata.Acquisition_instrument.TEM.beam_energy == 300


@pytest.mark.parametrize("naming", naming_params())
def test_rsciio_plugin_reads_the_standin(tmp_path, naming):
    hs = pytest.importorskip("hyperspy.api")
    s = xf416_standin()
    path = write_standin(tmp_path, naming, s)
    d = tvips_ks.rsciio.file_reader(str(path))[0]
    np.testing.assert_array_equal(d["data"], s.images)
    assert d["metadata"]["General"]["original_filename"] == path.name
    sig = hs.load(path, file_format=tvips_ks.rsciio)
    np.testing.assert_array_equal(sig.data, s.images)


# -- a numbered series beside an un-numbered file of the same name -------------------------

@pytest.fixture
def both(tmp_path):
    """scan.tvips (the stand-in) beside scan_000.tvips + scan_001.tvips (another series)."""
    single = xf416_standin(seed=1)
    numbered = Series(num_frames=6, frames_per_part=(2, 4), seed=2)
    single.write_single(tmp_path, "scan.tvips")
    numbered.write(tmp_path, "scan")
    return tmp_path, single, numbered


def test_the_numbered_series_wins(both):
    d, _, numbered = both
    for given in ("scan.tvips", "scan_000.tvips", "scan_001.tvips"):
        with tvips_ks.open(d / given) as ds:
            assert ds.path == d / "scan_000.tvips"
            assert [p.path.name for p in ds.files] == ["scan_000.tvips", "scan_001.tvips"]
            np.testing.assert_array_equal(np.asarray(ds.data), numbered.images)
    data = tvips_ks.rsciio.file_reader(str(d / "scan.tvips"))[0]["data"]
    np.testing.assert_array_equal(data, numbered.images)
    proc = run_cli("info", d / "scan.tvips")
    assert proc.returncode == 0, proc.stderr
    assert str(d / "scan_000.tvips") in proc.stdout.splitlines()[0]


def test_info_says_which_file_was_opened(both):
    d, _, _ = both
    proc = run_cli("info", d / "scan.tvips")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert str(d / "scan_000.tvips") in lines[0]
    assert any("scan.tvips" in line for line in lines), proc.stdout


# -- writing ---------------------------------------------------------------------------------

def test_writing_from_an_unnumbered_name_gives_numbered_parts(tmp_path):
    s = xf416_standin()
    single = s.write_single(tmp_path, "scan.tvips")
    before = single.read_bytes()
    data = np.arange(3 * 4 * 4, dtype=np.uint16).reshape(3, 4, 4)
    tvips_ks.save(tmp_path / "scan.tvips", data)
    tvips_ks.rsciio.file_writer(tmp_path / "other.tvips", {"data": data, "axes": [
        {"size": n, "navigate": i == 0} for i, n in enumerate(data.shape)], "metadata": {}})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other_000.tvips", "scan.tvips",
                                                          "scan_000.tvips"]
    assert single.read_bytes() == before   # the un-numbered file is left alone
    with tvips_ks.open(tmp_path / "scan.tvips") as ds:   # and the new numbered series wins
        np.testing.assert_array_equal(np.asarray(ds.data), data)


# -- beyond 2 and 4 GiB ----------------------------------------------------------------------

@pytest.mark.parametrize("frames", [
    pytest.param(XF416_FRAMES, id="2GiB-the-deposit-size"),
    pytest.param(513, id="4GiB"),
])
@pytest.mark.parametrize("naming", naming_params())
def test_large_files(tmp_path, naming, frames):
    """A sparse file of XF416-sized records (2048×2048 u16, 180-byte headers).

    Only the first and last records hold data; the others are holes (zeros),
    so the file takes no disk space.
    """
    s = Series(width=2048, height=2048, len_frame_header=180, num_frames=2, seed=3,
               main=XF416_MAIN, filler=XF416_FILLER)
    path = tmp_path / (DEPOSIT_NAME if naming == "single" else "big_000.tvips")
    landed = s.write_sparse(path, frames)
    size = path.stat().st_size
    assert size == 256 + frames * (180 + 2048 * 2048 * 2)
    if frames == XF416_FRAMES:
        assert size == XF416_FILE_SIZE and 2**31 < size < 2**32
    else:
        assert size > 2**32
    with tvips_ks.open(path) as ds:
        assert ds.num_frames == frames and landed == [0, frames - 1]
        np.testing.assert_array_equal(ds.data[-1], s.images[1])
        np.testing.assert_array_equal(ds.data[0], s.images[0])
        assert not ds.data[frames // 2].any()
        fh = ds.frame_headers
        assert fh["counter"][-1] == s.header_values[1]["counter"]
        assert fh["timestamp_s"][0] == s.header_values[0]["timestamp_s"]
        assert not fh["counter"][1:-1].any()


# -- data types: what HyperSpy/RosettaSciIO writes -------------------------------------------

def extreme_values(dtype) -> np.ndarray:
    """6 frames of 2×3 holding 0, 1, the maximum and values above the signed range."""
    top = np.iinfo(dtype).max
    values = [0, 1, top, top - 1, top // 2 + 1, 7]
    return np.array(values * 6, dtype=dtype).reshape(6, 2, 3)


def rsciio_write(path: Path, data: np.ndarray) -> Path:
    """Write with RosettaSciIO's own TVIPS writer (the files users have)."""
    hs = pytest.importorskip("hyperspy.api")
    from rsciio.tvips import file_writer

    with warnings.catch_warnings():
        # RosettaSciIO warns that unit-less axes cannot be converted; not what is tested here
        warnings.filterwarnings("ignore", "Image scale units could not be converted")
        file_writer(str(path), hs.signals.Signal2D(data)._to_dictionary())
    return path.with_name(path.stem + "_000" + path.suffix)


@pytest.mark.parametrize("permissive", [False, True])
@pytest.mark.parametrize("dtype", [np.uint32, np.uint64])
def test_rsciio_files_of_uint32_and_uint64_open_exactly(tmp_path, dtype, permissive):
    hs = pytest.importorskip("hyperspy.api")
    data = extreme_values(dtype)
    path = rsciio_write(tmp_path / "sum.tvips", data)
    with tvips_ks.open(path, permissive=permissive) as ds:
        assert int(ds.header["bits_per_pixel"]) == np.dtype(dtype).itemsize * 8
        assert ds.dtype == dtype and ds.metadata.writer == "hyperspy"
        out = np.asarray(ds.data)
        assert out.dtype == dtype
        np.testing.assert_array_equal(out, data)
        np.testing.assert_array_equal(ds.to_dask().compute(), data)
    d = tvips_ks.rsciio.file_reader(str(path))[0]["data"]
    assert d.dtype == dtype
    np.testing.assert_array_equal(d, data)
    sig = hs.load(path, file_format=tvips_ks.rsciio, lazy=True)
    np.testing.assert_array_equal(sig.data.compute(), data)


def test_cli_on_a_uint64_file(tmp_path):
    path = rsciio_write(tmp_path / "sum.tvips", extreme_values(np.uint64))
    proc = run_cli("info", path)
    assert proc.returncode == 0, proc.stderr
    assert "64 bits per pixel" in proc.stdout
    proc = run_cli("check", path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def save_with(writer: str, path: Path, data: np.ndarray) -> None:
    if writer == "save":
        tvips_ks.save(path, data)
    else:
        hs = pytest.importorskip("hyperspy.api")
        tvips_ks.rsciio.file_writer(path, hs.signals.Signal2D(data)._to_dictionary())


CAMERA_BITS = re.compile(r"\b8\b.{0,12}\b16\b")  # the warning says camera software reads 8 and 16


@pytest.mark.parametrize("writer", ["save", "file_writer"])
@pytest.mark.parametrize("dtype", [
    np.uint32,
    np.uint64,
])
def test_writing_uint32_and_uint64_warns_and_round_trips(tmp_path, dtype, writer):
    from rsciio.tvips import file_reader as rsciio_reader

    data = extreme_values(dtype)
    with pytest.warns(tvips_ks.TvipsWarning, match=CAMERA_BITS):
        save_with(writer, tmp_path / "out.tvips", data)
    with tvips_ks.open(tmp_path / "out_000.tvips") as ds:
        assert int(ds.header["bits_per_pixel"]) == np.dtype(dtype).itemsize * 8
        np.testing.assert_array_equal(np.asarray(ds.data), data)
    # RosettaSciIO, the other reader of such files, reads the same values
    back = rsciio_reader(str(tmp_path / "out_000.tvips"))[0]["data"]
    assert back.dtype == dtype
    np.testing.assert_array_equal(back, data)


@pytest.mark.parametrize("writer", ["save", "file_writer"])
@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.float32,
                                   np.float64])
def test_signed_and_float_data_are_refused(tmp_path, dtype, writer):
    """RosettaSciIO writes these as unsigned bit patterns (-1 reads back as 65535)."""
    data = np.arange(-3, 3, dtype=dtype).repeat(4).reshape(6, 2, 2)
    with pytest.raises(tvips_ks.ArgumentError) as err:
        save_with(writer, tmp_path / "out.tvips", data)
    assert np.dtype(dtype).name in str(err.value)
    assert "unsigned" in str(err.value)
    assert list(tmp_path.iterdir()) == []
