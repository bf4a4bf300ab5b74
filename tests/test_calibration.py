"""Calibrations given once (issue 15): every entry point carries them, conversions are exact,
conflicts are refused."""

from __future__ import annotations

import json
import math
import pickle

import numpy as np
import pytest
from builders import Series

import tvips_ks
from tvips_ks import ArgumentError
from tvips_ks.calibration import Calibration, electron_wavelength_nm
from tvips_ks.cli import main
from tvips_ks.export.convert import convert

EXAMPLE = tvips_ks.example_path()
SCAN = dict(scan_shape=(12, 16), scan_start_frame=5)  # the example's scan
# The example records a 15.6 µm detector pixel at 300 kV: 0.01/nm × λ × L = 15.6 µm at L = 792 mm
# CODATA 2018, in the energy form λ = hc / sqrt(E (E + 2 m c²)), independent of the library's
HC_EV_NM = 1239.841984
MC2_EV = 510998.95


def hand_wavelength_nm(kv):
    e = kv * 1e3
    return HC_EV_NM / math.sqrt(e * (e + 2 * MC2_EV))


@pytest.fixture
def camera(tmp_path):
    """A camera file: detector pixel 15600 nm, binned 2x2 (31.2 µm), 300 kV, 12 frames."""
    Series(num_frames=12, width=6, height=6).write(tmp_path, "cam")
    return tmp_path / "cam_000.tvips"


# -- the wavelength and the unit conversions -----------------------------------------------

@pytest.mark.parametrize("kv", [60, 80, 120, 200, 300])
def test_wavelength_is_relativistic(kv):
    assert electron_wavelength_nm(kv) == pytest.approx(hand_wavelength_nm(kv), rel=1e-9)
    nonrelativistic = HC_EV_NM / math.sqrt(2 * MC2_EV * kv * 1e3)
    assert electron_wavelength_nm(kv) < nonrelativistic * (1 - kv / 3100)  # a few % at 60 kV


def test_wavelength_matches_the_textbook_values():
    assert electron_wavelength_nm(200) * 1e3 == pytest.approx(2.5079, abs=1e-4)  # pm
    assert electron_wavelength_nm(300) * 1e3 == pytest.approx(1.9687, abs=1e-4)
    with pytest.raises(ArgumentError, match="positive high tension"):
        electron_wavelength_nm(0)


def test_reciprocal_angstrom_is_ten_per_nm_and_mrad_goes_through_the_wavelength():
    c = Calibration.from_arguments(diffraction_pixel_size=(0.0013, "1/Å"))
    assert (c.diffraction_pixel, c.diffraction_units) == (0.0013 * 10, "1/nm")
    assert c.diffraction_given == (0.0013, "1/Å")
    assert Calibration.from_arguments(diffraction_pixel_size="0.0013/A").diffraction_pixel \
        == 0.0013 * 10
    lam = hand_wavelength_nm(300)
    assert c.diffraction_mrad(300) == pytest.approx(0.013 * lam * 1e3, rel=1e-9)
    m = Calibration.from_arguments(diffraction_pixel_size="0.05mrad")
    assert (m.diffraction_pixel, m.diffraction_units) == (0.05, "mrad")
    assert m.diffraction_per_nm(200) == pytest.approx(0.05e-3 / hand_wavelength_nm(200),
                                                      rel=1e-9)
    assert m.diffraction_mrad(200) == 0.05
    # round trip
    back = Calibration.from_arguments(diffraction_pixel_size=(m.diffraction_per_nm(200), "1/nm"))
    assert back.diffraction_mrad(200) == pytest.approx(0.05, rel=1e-12)


@pytest.mark.parametrize("text, expected", [
    ("2.5nm", ((2.5, 2.5), "nm")), ("2.5,3nm", ((2.5, 3.0), "nm")),
    ("2.5e-3 um", ((0.0025, 0.0025), "µm")), ("12 A", ((12.0, 12.0), "Å")),
    ((4, "pm"), ((4.0, 4.0), "pm")), (((1, 2), "µm"), ((1.0, 2.0), "µm")),
])
def test_scan_step_spellings(text, expected):
    c = Calibration.from_arguments(scan_step=text)
    assert (c.scan_step, c.scan_step_units) == expected


@pytest.mark.parametrize("value, unit", [("250mm", 250.0), ("25cm", 250.0), ("0.25m", 250.0),
                                         (250, 250.0), (np.float32(80), 80.0)])
def test_camera_length_spellings(value, unit):
    assert Calibration.from_arguments(camera_length_mm=value).camera_length_mm == unit


@pytest.mark.parametrize("kwargs, match", [
    (dict(scan_step=(0, "nm")), "finite positive"),
    (dict(scan_step=(-1, "nm")), "finite positive"),
    (dict(scan_step=(math.nan, "nm")), "finite positive"),
    (dict(scan_step=(math.inf, "nm")), "finite positive"),
    (dict(scan_step=(True, "nm")), "positive number"),
    (dict(scan_step="2.5"), "number and its unit"),
    (dict(scan_step="2.5 parsec"), "unknown length unit"),
    (dict(scan_step="1,2,3nm"), "1 or 2 value"),
    (dict(scan_step=2.5), r"\(value, unit\)"),
    (dict(diffraction_pixel_size=(0.01, "nm")), "unknown unit"),
    (dict(diffraction_pixel_size="0.01,0.02/nm"), "one value"),
    (dict(diffraction_pixel_size=(-0.01, "1/nm")), "finite positive"),
    (dict(image_pixel_size=(0.5, "1/nm")), "unknown length unit"),
    (dict(image_pixel_size="0.5,0.6nm"), "1 value"),
    (dict(camera_length_mm=0), "finite positive"),
    (dict(camera_length_mm=math.nan), "finite positive"),
    (dict(camera_length_mm="25 furlong"), "mm, cm or m"),
    (dict(camera_length_mm="250"), "number and its unit"),
    (dict(diffraction_pixel_size=(0.01, "1/nm"), image_pixel_size=(0.5, "nm")), "give one"),
    (dict(image_pixel_size=(0.5, "nm"), camera_length_mm=250), "belongs to a diffraction"),
])
def test_bad_values_and_conflicts_are_refused(kwargs, match):
    with pytest.raises(ArgumentError, match=match):
        Calibration.from_arguments(**kwargs)
    with pytest.raises(ArgumentError, match=match):
        tvips_ks.open(EXAMPLE, **SCAN, **kwargs)


# -- open -> metadata -----------------------------------------------------------------------

def test_open_puts_the_calibration_on_the_axes():
    with tvips_ks.open(EXAMPLE, **SCAN, scan_step=((2.5, 3.0), "nm"),
                       diffraction_pixel_size=(0.002, "1/A"), camera_length_mm="40cm") as ds:
        meta = ds.metadata
        axes = {a.name: a for a in meta.axes}
        assert [(axes[n].scale, axes[n].units, axes[n].source) for n in ("y", "x")] == \
            [(2.5, "nm", "user"), (3.0, "nm", "user")]
        assert [(axes[n].scale, axes[n].units, axes[n].offset, axes[n].source)
                for n in ("dy", "dx")] == [(0.02, "1/nm", 0.0, "user")] * 2
        assert meta.camera_length_mm == 400.0
        assert ds.calibration == Calibration.from_arguments(((2.5, 3.0), "nm"),
                                                            (0.002, "1/A"), None, 400)
        assert pickle.loads(pickle.dumps(ds)).metadata == meta
    with tvips_ks.open(EXAMPLE, **SCAN, image_pixel_size="0.5 nm") as ds:
        assert {(a.scale, a.units, a.source) for a in ds.metadata.signal_axes} == \
            {(0.5, "nm", "user")}
        assert {a.source for a in ds.metadata.navigation_axes} != {"user"}


def test_nothing_given_keeps_the_metadata_as_it_was():
    with tvips_ks.open(EXAMPLE, **SCAN) as plain:
        meta = plain.metadata
        assert not plain.calibration and plain.calibration == Calibration()
    assert meta.camera_length_mm is None
    assert "user" not in {a.source for a in meta.axes}
    assert [(a.scale, a.units) for a in meta.navigation_axes] == [(1.0, "")] * 2
    assert [(a.scale, a.units) for a in meta.signal_axes] == [(1.0, "px")] * 2
    assert meta.camera_length == 80  # the header's mag_total, unconverted


def test_only_the_calibrated_axes_change():
    with tvips_ks.open(EXAMPLE, **SCAN) as a, \
            tvips_ks.open(EXAMPLE, **SCAN, camera_length_mm=100) as b:
        assert a.metadata.axes == b.metadata.axes
    with tvips_ks.open(EXAMPLE, scan_shape=(3, 4, 16), scan_step="7nm") as ds:
        assert [(a.name, a.scale) for a in ds.metadata.navigation_axes] == \
            [("z", 1.0), ("y", 7.0), ("x", 7.0)]
    with tvips_ks.open(EXAMPLE, scan_shape=(16,), scan_step="2,7nm") as ds:
        assert [(a.name, a.scale) for a in ds.metadata.navigation_axes] == [("x", 7.0)]


def test_scan_step_needs_a_scan():
    with pytest.raises(ArgumentError, match="give scan_shape"):
        tvips_ks.open(EXAMPLE, scan_step="2nm")
    with tvips_ks.open(EXAMPLE, frame_index=np.arange(6).reshape(2, 3),
                       scan_step="2nm") as ds:
        assert ds.metadata.axes[0].units == "nm"


# -- conflicts against the header's detector pixel ------------------------------------------

def test_camera_length_and_pixel_must_agree_with_the_detector(camera):
    # 31.2 µm binned detector pixel at 250 mm: 0.1248 mrad, i.e. 0.1248e-3 / λ(300 kV) per nm
    mrad = 31.2e-6 / 0.25 * 1e3
    per_nm = mrad * 1e-3 / hand_wavelength_nm(300)
    for size in ((mrad, "mrad"), (per_nm, "1/nm"), (per_nm / 10, "1/Å"),
                 (mrad * 1.04, "mrad")):  # within 5 %
        with tvips_ks.open(camera, diffraction_pixel_size=size, camera_length_mm=250) as ds:
            assert ds.metadata.camera_length_mm == 250
    for size in ((mrad * 1.06, "mrad"), (per_nm * 10, "1/nm"), (per_nm, "1/Å")):
        with pytest.raises(ArgumentError, match="disagree with the header") as info:
            tvips_ks.open(camera, diffraction_pixel_size=size, camera_length_mm=250)
        assert info.value.path == str(camera)
    with pytest.raises(ArgumentError, match="31.2 µm"):  # a cm read as mm
        tvips_ks.open(camera, diffraction_pixel_size=(mrad, "mrad"), camera_length_mm=25)
    # each alone is fine; so is a file that records no detector pixel (tvips-ks's own)
    tvips_ks.open(camera, diffraction_pixel_size=(1, "mrad"))
    tvips_ks.open(camera, camera_length_mm=25)
    written = camera.parent / "ours.tvips"
    tvips_ks.save(written, np.zeros((2, 4, 4), np.uint16))
    tvips_ks.open(camera.parent / "ours_000.tvips", diffraction_pixel_size=(1, "mrad"),
                  camera_length_mm=25)


def test_without_high_tension_a_reciprocal_pixel_cannot_be_checked(tmp_path):
    Series(num_frames=3, main={"high_tension_kv": 0}).write(tmp_path, "nokv")
    with tvips_ks.open(tmp_path / "nokv_000.tvips", diffraction_pixel_size=(5, "1/nm"),
                       camera_length_mm=250) as ds:
        assert ds.metadata.signal_axes[0].scale == 5
    with pytest.raises(ArgumentError, match="disagree"):  # mrad needs no wavelength
        tvips_ks.open(tmp_path / "nokv_000.tvips", diffraction_pixel_size=(5, "mrad"),
                      camera_length_mm=250)


# -- HyperSpy and RosettaSciIO --------------------------------------------------------------

CALIBRATED = dict(scan_step=((2.5, 3.0), "nm"), diffraction_pixel_size=(0.01, "1/nm"),
                  camera_length_mm=800)


def _check_signal(s):
    am = s.axes_manager
    assert [(a.name, a.scale, a.units) for a in am.navigation_axes] == \
        [("x", 3.0, "nm"), ("y", 2.5, "nm")]
    assert [(a.scale, a.units, a.offset) for a in am.signal_axes] == [(0.01, "1/nm", 0.0)] * 2
    assert s.metadata.Acquisition_instrument.TEM.camera_length == 800.0
    assert s.metadata.Calibration.as_dictionary() == {
        "scan_step_y": 2.5, "scan_step_x": 3.0, "scan_step_units": "nm",
        "diffraction_pixel_size": 0.01, "diffraction_pixel_units": "1/nm",
        "camera_length_mm": 800.0}


def test_to_hyperspy_carries_the_calibration():
    pytest.importorskip("hyperspy")
    with tvips_ks.open(EXAMPLE, **SCAN, **CALIBRATED) as ds:
        _check_signal(ds.to_hyperspy())
        _check_signal(ds.to_hyperspy(lazy=True))
    with tvips_ks.open(EXAMPLE, **SCAN) as ds:
        s = ds.to_hyperspy()
        assert "Calibration" not in s.metadata
        assert s.metadata.Acquisition_instrument.TEM.camera_length == 80.0


def test_rsciio_reader_and_hs_load_take_the_calibration(tmp_path):
    hs = pytest.importorskip("hyperspy.api")
    (d,) = tvips_ks.rsciio.file_reader(EXAMPLE, **SCAN, **CALIBRATED)
    assert [a["scale"] for a in d["axes"]] == [2.5, 3.0, 0.01, 0.01]
    s = hs.load(EXAMPLE, file_format=tvips_ks.rsciio, **SCAN, **CALIBRATED)
    _check_signal(s)
    s.save(tmp_path / "c.hspy")
    _check_signal(hs.load(tmp_path / "c.hspy"))
    (auto,) = tvips_ks.rsciio.file_reader(EXAMPLE, scan_shape="auto", winding_scan_axis="x",
                                          scan_step="4nm")
    assert [a["units"] for a in auto["axes"]][:2] == ["nm", "nm"]


# -- conversion and the command line --------------------------------------------------------

def test_convert_writes_the_calibrated_axes(tmp_path):
    h5py = pytest.importorskip("h5py")
    zarr = pytest.importorskip("zarr")
    with tvips_ks.open(EXAMPLE, **SCAN, **CALIBRATED) as ds:
        expected = [a.as_dict() for a in ds.metadata.axes]
        convert(ds, tmp_path / "c.h5")
        convert(ds, tmp_path / "c.zarr")
        convert(ds, tmp_path / "c.npy")
    assert [(a["scale"], a["units"]) for a in expected] == \
        [(2.5, "nm"), (3.0, "nm"), (0.01, "1/nm"), (0.01, "1/nm")]
    with h5py.File(tmp_path / "c.h5") as f:
        assert json.loads(f["data"].attrs["tvips_json"])["axes"] == expected
    assert zarr.open_group(str(tmp_path / "c.zarr"), mode="r").attrs["tvips"]["axes"] == expected
    attrs = json.loads(str(np.load(tmp_path / "c.npy.headers.npz")["attrs"]))
    assert attrs["axes"] == expected


def _call(capsys, *args):
    capsys.readouterr()
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_convert_and_info_carry_the_calibration(tmp_path, capsys):
    h5py = pytest.importorskip("h5py")
    flags = ("--scan-step", "2.5,3nm", "--diffraction-pixel", "0.001/A",
             "--camera-length", "80cm")
    status, out, err = _call(capsys, "convert", EXAMPLE, tmp_path / "c.h5", "--scan-shape",
                             "12,16", "--scan-start-frame", "5", *flags)
    assert status == 0, err
    with h5py.File(tmp_path / "c.h5") as f:
        axes = json.loads(f["data"].attrs["tvips_json"])["axes"]
    assert [(a["scale"], a["units"]) for a in axes] == \
        [(2.5, "nm"), (3.0, "nm"), (0.01, "1/nm"), (0.01, "1/nm")]
    status, out, err = _call(capsys, "info", EXAMPLE, "--scan-shape", "12,16",
                             "--scan-start-frame", "5", *flags)
    assert status == 0, err
    block = out.split("calibration:", 1)[1].split("\nscan:", 1)[0]
    text = " ".join(block.split())
    assert text == ("scan step 2.5 × 3 nm (y × x), diffraction pixel 0.01 1/nm (given as "
                    "0.001 1/A), camera length 800 mm, axis y 2.5 nm/pixel, axis x 3 "
                    "nm/pixel, axis dy 0.01 1/nm/pixel, axis dx 0.01 1/nm/pixel")
    status, out, err = _call(capsys, "info", EXAMPLE, "--scan-step", "2nm")
    assert status == 0 and "applies once a scan is given (--scan-shape)" in out
    status, out, err = _call(capsys, "info", EXAMPLE)
    assert status == 0 and "calibration:" not in out


def test_cli_refuses_bad_calibrations_in_one_line(tmp_path, capsys):
    for args, match in [(("--diffraction-pixel", "0.01/nm", "--image-pixel", "1nm"),
                         "--diffraction-pixel and --image-pixel both given"),
                        (("--scan-step=-2nm",), "--scan-step must be a finite positive"),
                        (("--camera-length", "250"), "--camera-length: cannot read")]:
        status, out, err = _call(capsys, "convert", EXAMPLE, tmp_path / "x.npy",
                                 "--scan-shape", "12,16", *args)
        assert status == 2 and len(err.splitlines()) == 1 and match in err, err
    assert list(tmp_path.iterdir()) == []
