"""tvips-ks in the HyperSpy ecosystem, tested against the real HyperSpy and RosettaSciIO.

The same series are read through ``rsciio.tvips.file_reader`` and
``tvips_ks.rsciio.file_reader`` over the reader options, and compared: data
exactly, axes and metadata field by field.  Where RosettaSciIO is wrong
(research notes §3.11 reader bugs, §4.9 writer bugs) the test asserts
tvips-ks's value and names the difference; docs/hyperspy.md lists them all.
"""

from __future__ import annotations

import os
import time
import warnings
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

hs = pytest.importorskip("hyperspy.api")
rs_tvips = pytest.importorskip("rsciio.tvips")
da = pytest.importorskip("dask.array")

import tvips_ks  # noqa: E402
import tvips_ks.rsciio as ks_tvips  # noqa: E402
from tvips_ks.errors import ArgumentError, TvipsWarning  # noqa: E402
from tvips_ks.hyperspy.write import save_arguments_from_signal  # noqa: E402

# RosettaSciIO's writer warns about unitless signal axes; that is its business, not ours
pytestmark = pytest.mark.filterwarnings(
    "ignore:Image scale units could not be converted:UserWarning")

TEM = "Acquisition_instrument.TEM"
START = datetime(2023, 5, 1, 12, 34, 56, tzinfo=timezone.utc)
START_EPOCH = int(START.timestamp())


@pytest.fixture(autouse=True)
def _local_time_zone_utc():
    """RosettaSciIO reads time stamps in local time; run in UTC unless a test says otherwise."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    if hasattr(time, "tzset"):
        time.tzset()
    yield
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    if hasattr(time, "tzset"):
        time.tzset()


def _compute(data):
    return np.asarray(data.compute() if hasattr(data, "compute") else data)


def _flat(tree, prefix=""):
    out = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, name + "."))
        else:
            out[name] = value
    return out


def _signal(shape, *, dtype=np.uint16, signal_scale=1.0, signal_units=None, signal_offset=0.0,
            nav_scale=1.0, nav_units=None, metadata=None):
    data = np.arange(int(np.prod(shape)), dtype=np.uint64).reshape(shape)
    s = hs.signals.Signal2D((data % np.iinfo(dtype).max).astype(dtype))
    for ax in s.axes_manager.signal_axes:
        ax.scale, ax.offset = signal_scale, signal_offset
        if signal_units is not None:
            ax.units = signal_units
    for ax in s.axes_manager.navigation_axes:
        ax.scale = nav_scale
        if nav_units is not None:
            ax.units = nav_units
    for key, value in (metadata or {}).items():
        s.metadata.set_item(key, value)
    return s


def _dated(**extra):
    return {"General.date": "2023-05-01", "General.time": "12:34:56", "General.time_zone": "UTC",
            **extra}


# -- series written by both writers ------------------------------------------------------

SERIES = {
    # RosettaSciIO's writer, diffraction (1/nm), split into parts, extra frame-header bytes
    "rsciio-diffraction": dict(
        writer="rsciio", shape=(3, 4, 5, 6), signal_scale=2.0, signal_units="1/nm",
        nav_scale=2.0, nav_units="ms", max_file_size=700, frame_header_extra_bytes=8,
        metadata=_dated(**{f"{TEM}.beam_energy": 200.0, f"{TEM}.camera_length": 80.0,
                           f"{TEM}.beam_current": 1.5, f"{TEM}.tilt_alpha": 5.0,
                           f"{TEM}.Stage.x": 1250.0, f"{TEM}.Stage.z": 0.5})),
    # tvips-ks's writer, imaging (nm), a time series, offsets, tilts and stage in HyperSpy's keys
    "tvips-ks-imaging": dict(
        writer="tvips-ks", shape=(12, 5, 6), signal_scale=3.0, signal_units="nm",
        signal_offset=6.0, nav_scale=50.0, nav_units="ms", max_file_size=800,
        frame_header_extra_bytes=4,
        metadata=_dated(**{f"{TEM}.beam_energy": 300.0, f"{TEM}.magnification": 25000.0,
                           f"{TEM}.Stage.tilt_alpha": 10.5, f"{TEM}.Stage.tilt_beta": -2.25,
                           f"{TEM}.Stage.x": 0.0125, f"{TEM}.Stage.y": -0.5,
                           f"{TEM}.Stage.z": 0.001})),
    # RosettaSciIO's file_writer called with the signal dict: uint8, one part, a "+02:00" zone;
    # it takes pixelsize from the time axis (0.1 s), writing 0
    "rsciio-dict-uint8": dict(
        writer="rsciio-dict", shape=(12, 5, 6), dtype=np.uint8, signal_scale=1.0,
        signal_units="nm", nav_scale=0.1, nav_units="s", max_file_size=None,
        frame_header_extra_bytes=0, mode=1,
        metadata={"General.date": "2023-05-01", "General.time": "14:34:56",
                  "General.time_zone": "+02:00", f"{TEM}.beam_energy": 120.0,
                  f"{TEM}.magnification": 8000.0}),
}


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    """Each SERIES entry written once: name -> (path of _000, the signal written)."""
    root = tmp_path_factory.mktemp("series")
    out = {}
    for name, spec in SERIES.items():
        s = _signal(spec["shape"], dtype=spec.get("dtype", np.uint16),
                    signal_scale=spec["signal_scale"],
                    signal_units=spec["signal_units"], signal_offset=spec.get("signal_offset", 0.0),
                    nav_scale=spec["nav_scale"], nav_units=spec["nav_units"],
                    metadata=spec["metadata"])
        path = root / f"{name}.tvips"
        if spec["writer"] == "rsciio":
            s.save(path, max_file_size=spec["max_file_size"],
                   frame_header_extra_bytes=spec["frame_header_extra_bytes"])
        elif spec["writer"] == "rsciio-dict":
            rs_tvips.file_writer(str(path), s._to_dictionary(), mode=spec["mode"],
                                 max_file_size=spec["max_file_size"],
                                 frame_header_extra_bytes=spec["frame_header_extra_bytes"])
        else:
            tvips_ks.save(path, s, max_file_size=spec["max_file_size"],
                          frame_header_extra_bytes=spec["frame_header_extra_bytes"])
        first = root / f"{name}_000.tvips"
        assert (root / f"{name}_001.tvips").exists() == bool(spec["max_file_size"])
        out[name] = (first, s)
    return out


READ_OPTIONS = [
    pytest.param({}, id="stack"),
    pytest.param(dict(scan_shape=(3, 4)), id="scan3x4"),
    pytest.param(dict(scan_shape=(10,), scan_start_frame=2), id="scan1d"),
    pytest.param(dict(scan_shape=(2, 5), scan_start_frame=1, winding_scan_axis="x",
                      hysteresis=1), id="wind-x+1"),
    pytest.param(dict(scan_shape=(2, 5), winding_scan_axis="y", hysteresis=-1), id="wind-y-1"),
    pytest.param(dict(scan_shape=(2, 5), scan_start_frame=2, winding_scan_axis="y",
                      hysteresis=1), id="wind-y+1"),
    pytest.param(dict(scan_shape=(2, 2, 3), winding_scan_axis="x", hysteresis=-1), id="scan3d"),
]
LOADING = [
    pytest.param(dict(lazy=False), id="eager"),
    pytest.param(dict(lazy=True, rechunking=False), id="lazy-norechunk"),
    pytest.param(dict(lazy=True, rechunking="auto"), id="lazy-auto"),
    pytest.param(dict(lazy=True, rechunking={0: 2}), id="lazy-dict"),
]


def _assert_axes_match(ours, theirs, options, first_time):
    """Axes field by field; the differences are RosettaSciIO's reader bugs or placeholders."""
    assert len(ours) == len(theirs)
    scan = options.get("scan_shape")
    n_nav = len(scan) if scan else 1
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a["size"] == b["size"]
        assert a["navigate"] == b["navigate"] == (i < n_nav)
        assert type(a["scale"]) is float and type(a["offset"]) is float  # not numpy uint32
    if scan is not None and len(scan) == 1:
        # DIFFERENCE (reader bug 4): a 1-tuple scan_shape mislabels RosettaSciIO's axes:
        # the frame axes get "x"/"dy" and the y signal axis loses its unit and scale.
        assert [b["name"] for b in theirs] == ["y", "x", "dy"]
        assert [a["name"] for a in ours] == ["x", "dy", "dx"]
        assert theirs[1]["units"] == "nm" and theirs[1]["scale"] == 1
        signal_pairs = [(ours[1], theirs[2]), (ours[2], theirs[2])]
    else:
        # DIFFERENCE: RosettaSciIO leaves the axes before y unnamed (''); tvips-ks names
        # them z, axis3, … (issue 12)
        names = [b["name"] for b in theirs]
        lead = max(len(names) - 4, 0)
        assert names[:lead] == [""] * lead
        assert [a["name"] for a in ours] == ["z", "axis3"][:lead][::-1] + names[lead:]
        signal_pairs = list(zip(ours[-2:], theirs[-2:]))
    for a, b in signal_pairs:  # the signal calibration: pixel_size_nm, offsets, mode's unit
        if b["scale"] == 0:
            # DIFFERENCE (reader bug 10): pixelsize 0 means "no calibration"; RosettaSciIO
            # presents it as a scale of 0 nm, tvips-ks as uncalibrated pixels
            assert (a["units"], a["scale"], a["offset"]) == ("px", 1.0, 0.0)
            continue
        assert a["units"] == b["units"]
        assert a["scale"] == float(b["scale"])
        assert a["offset"] == float(b["offset"])
    nav_ours, nav_theirs = ours[:n_nav], theirs[:n_nav]
    if scan is None:
        (a,), (b,) = nav_ours, nav_theirs
        assert a["name"] == b["name"] == "time" and a["units"] == b["units"] == "s"
        # DIFFERENCE: RosettaSciIO subtracts float64 epoch times (t[1] - t[0]), which
        # leaves a rounding error of ~1e-7 s; tvips-ks uses exact integer milliseconds
        assert a["scale"] == pytest.approx(float(b["scale"]), abs=1e-6)
        assert a["scale"] * 1000 == round(a["scale"] * 1000)
        # DIFFERENCE: RosettaSciIO's time axis starts at the absolute Unix time of the
        # first frame; tvips-ks starts at 0 (the absolute time is General.date/time).
        assert b["offset"] == pytest.approx(first_time)
        assert a["offset"] == 0.0
    else:
        for a, b in zip(nav_ours, nav_theirs):
            assert a["scale"] == b["scale"] == 1 and a["offset"] == b["offset"] == 0
            # DIFFERENCE: RosettaSciIO labels the uncalibrated scan axes "nm" (a
            # placeholder); the format records no scan step, so tvips-ks leaves them unitless.
            if len(scan) > 1:
                assert b["units"] == ("nm" if b["name"] in ("x", "y") else "")
            assert a["units"] == ""


def _assert_metadata_match(ours, theirs, mode):
    """Metadata field by field; every RosettaSciIO key is either equal or a named difference."""
    flat_ours, flat_theirs = _flat(ours), _flat(theirs)
    expected_extra = {"General.title"}
    for key, value in flat_theirs.items():
        if key == f"{TEM}.magnification" and mode == "diffraction":
            # DIFFERENCE (reader bug 11): in diffraction mag_total is a camera length
            assert key not in flat_ours
            assert flat_ours[f"{TEM}.camera_length"] == float(value)
            expected_extra.add(f"{TEM}.camera_length")
        elif key == f"{TEM}.defocus":
            # DIFFERENCE (reader bug 11): offset 56 is a DENS holder's temperature set-point
            # (LiberTEM), not a defocus; tvips-ks keeps it in original_metadata only.
            assert key not in flat_ours
        elif key == f"{TEM}.beam_current" and value == 0:
            # DIFFERENCE: a zero Faraday reading means "not measured"; not reported
            assert key not in flat_ours
        elif key.startswith(f"{TEM}.Stage.") and key[-1] in "xyz":
            # DIFFERENCE: the frame headers hold nm (LiberTEM); HyperSpy's Stage unit is mm
            assert flat_ours[key] == pytest.approx(float(value) * 1e-6, rel=1e-6, abs=1e-12)
        else:
            assert flat_ours[key] == value, key
            assert type(flat_ours[key]) in (str, float, int), key
    assert set(flat_ours) - set(flat_theirs) == expected_extra
    # DIFFERENCE: tvips-ks titles the signal with the series name; RosettaSciIO leaves it empty
    assert flat_ours["General.title"] == flat_ours["General.original_filename"][:-len("_000.tvips")]


def _assert_original_metadata_match(ours, theirs, num_frames, options):
    # RosettaSciIO's main header dict, same names and values
    assert set(ours["tvips_header"]) == set(theirs["tvips_header"])
    for key, value in theirs["tvips_header"].items():
        assert ours["tvips_header"][key] == (bytes(value) if isinstance(value, bytes) else value)
    # DIFFERENCE: tvips-ks also exposes the frame headers (one array per field, all frames)
    # and, for a scan, the frame behind each position; RosettaSciIO has neither.
    assert set(theirs) == {"tvips_header"}
    frames = ours["frame_headers"]
    assert all(len(column) == num_frames for column in frames.values())
    assert np.array_equal(frames["rotator_index"], np.arange(1, num_frames + 1))
    assert ("frame_index" in ours) == ("scan_shape" in options)


@pytest.mark.parametrize("loading", LOADING)
@pytest.mark.parametrize("options", READ_OPTIONS)
@pytest.mark.parametrize("name", list(SERIES))
def test_file_reader_matches_rsciio(series, name, options, loading):
    path, _ = series[name]
    (theirs,) = rs_tvips.file_reader(str(path), **options, **loading)
    (ours,) = ks_tvips.file_reader(path, **options, **loading)
    assert set(ours) == set(theirs)  # data, axes, metadata, original_metadata, mapping

    assert isinstance(ours["data"], da.Array) == loading["lazy"] == isinstance(theirs["data"],
                                                                             da.Array)
    assert ours["data"].dtype == theirs["data"].dtype
    assert ours["data"].shape == theirs["data"].shape
    np.testing.assert_array_equal(_compute(ours["data"]), _compute(theirs["data"]))
    if loading["lazy"]:
        chunks = ours["data"].chunks
        assert all(len(c) == 1 for c in chunks[-2:])  # whole frames per chunk
        if loading["rechunking"] == {0: 2}:
            assert chunks[0] == theirs["data"].chunks[0]

    with tvips_ks.open(path) as ds:
        first_time = float(ds.frame_headers["timestamp_s"][0])
        num_frames = ds.num_frames
        mode = ds.metadata.mode
    _assert_axes_match(ours["axes"], theirs["axes"], options, first_time)
    _assert_metadata_match(ours["metadata"], theirs["metadata"], mode)
    _assert_original_metadata_match(ours["original_metadata"], theirs["original_metadata"],
                                    num_frames, options)


def test_file_reader_signature_matches_rsciio():
    import inspect

    ours = inspect.signature(ks_tvips.file_reader).parameters
    theirs = inspect.signature(rs_tvips.file_reader).parameters
    # RosettaSciIO's parameters, then open's calibrations, keyword-only (issue 15)
    positional = [p for p in ours.values() if p.kind != p.KEYWORD_ONLY]
    assert [(p.name, p.default) for p in positional] == \
        [(p.name, p.default) for p in theirs.values()]
    assert [(p.name, p.default) for p in ours.values() if p.kind == p.KEYWORD_ONLY] == \
        [(name, None) for name in ("scan_step", "diffraction_pixel_size", "image_pixel_size",
                                   "camera_length_mm")]
    ours = inspect.signature(ks_tvips.file_writer).parameters
    theirs = inspect.signature(rs_tvips.file_writer).parameters
    assert [(p.name, p.default) for p in ours.values()] == \
        [(p.name, p.default) for p in theirs.values()]


def test_auto_scan_matches_rsciio_on_increasing_rotator(tmp_path):
    s = _signal((4, 4, 3, 3), metadata=_dated())
    s.save(tmp_path / "auto.tvips")  # RosettaSciIO writes rotator_index 1..16
    path = tmp_path / "auto_000.tvips"
    (theirs,) = rs_tvips.file_reader(str(path), scan_shape="auto")
    (ours,) = ks_tvips.file_reader(path, scan_shape="auto")
    np.testing.assert_array_equal(ours["data"], theirs["data"])
    assert [a["size"] for a in ours["axes"]] == [4, 4, 3, 3]


# -- the named reader differences, one by one --------------------------------------------


def test_time_is_utc_where_rsciio_labels_local_time_utc(series):
    """DIFFERENCE (reader bug 3): RosettaSciIO reads local time and labels it UTC."""
    path, _ = series["tvips-ks-imaging"]
    os.environ["TZ"] = "Asia/Tokyo"
    time.tzset()
    (theirs,) = rs_tvips.file_reader(str(path))
    (ours,) = ks_tvips.file_reader(path)
    assert (theirs["metadata"]["General"]["time"], theirs["metadata"]["General"]["time_zone"]) \
        == ("21:34:56", "UTC")  # 12:34:56 UTC shown as Tokyo wall time, labelled UTC
    assert {k: ours["metadata"]["General"][k] for k in ("date", "time", "time_zone")} == \
        {"date": "2023-05-01", "time": "12:34:56", "time_zone": "UTC"}


def test_single_frame_reads_where_rsciio_fails(tmp_path):
    """DIFFERENCE (reader bug 2): a one-frame stack raises IndexError in RosettaSciIO."""
    tvips_ks.save(tmp_path / "one.tvips", np.full((1, 4, 5), 7, np.uint16), start_time=START)
    path = tmp_path / "one_000.tvips"
    with pytest.raises(IndexError):
        rs_tvips.file_reader(str(path))
    (ours,) = ks_tvips.file_reader(path)
    assert ours["data"].shape == (1, 4, 5)
    assert ours["axes"][0]["name"] == "frame" and ours["axes"][0]["size"] == 1


def test_version_1_reads_where_rsciio_fails(tmp_path):
    """DIFFERENCE (reader bug 6, writer bug 7): version 1 (12-byte frame headers)."""
    s = _signal((6, 4, 5), metadata=_dated())
    ks_tvips.file_writer(tmp_path / "v1.tvips", s._to_dictionary(), version=1)
    path = tmp_path / "v1_000.tvips"
    with pytest.raises(ValueError, match="consumes more bytes"):
        rs_tvips.file_reader(str(path))
    (ours,) = ks_tvips.file_reader(path)
    np.testing.assert_array_equal(ours["data"], s.data)
    assert ours["original_metadata"]["main_header"]["version"] == 1
    assert set(ours["original_metadata"]["frame_headers"]) == {"counter", "timestamp_s",
                                                               "timestamp_ms"}
    assert "Acquisition_instrument" not in ours["metadata"]  # no optics in version 1


def test_frames_without_advancing_time_stamps(tmp_path):
    """DIFFERENCE (reader bug 8): equal time stamps give RosettaSciIO a time axis of scale 0;
    tvips-ks gives a unitless frame axis."""
    tvips_ks.save(tmp_path / "z.tvips", np.zeros((3, 4, 5), np.uint16), frame_interval=0,
                  start_time=START)
    (theirs,) = rs_tvips.file_reader(str(tmp_path / "z_000.tvips"))
    (ours,) = ks_tvips.file_reader(tmp_path / "z_000.tvips")
    assert (theirs["axes"][0]["name"], theirs["axes"][0]["scale"]) == ("time", 0.0)
    assert {k: ours["axes"][0][k] for k in ("name", "scale", "units")} == \
        {"name": "frame", "scale": 1.0, "units": ""}


def test_milliseconds_of_the_first_frame_are_kept(tmp_path):
    """DIFFERENCE: RosettaSciIO's General.time drops the first frame's milliseconds."""
    tvips_ks.save(tmp_path / "ms.tvips", np.zeros((3, 4, 5), np.uint16),
                  start_time=START + timedelta(milliseconds=250))
    (theirs,) = rs_tvips.file_reader(str(tmp_path / "ms_000.tvips"))
    (ours,) = ks_tvips.file_reader(tmp_path / "ms_000.tvips")
    assert theirs["metadata"]["General"]["time"] == "12:34:56"
    assert ours["metadata"]["General"]["time"] == "12:34:56.250"


def test_rechunking_true_keeps_whole_frames(series):
    """DIFFERENCE (reader bug 7): rechunking=True gives 1-element chunks in RosettaSciIO."""
    path, _ = series["tvips-ks-imaging"]
    (theirs,) = rs_tvips.file_reader(str(path), lazy=True, rechunking=True)
    (ours,) = ks_tvips.file_reader(path, lazy=True, rechunking=True)
    assert theirs["data"].chunksize == (1, 1, 1)
    assert ours["data"].chunksize == (12, 5, 6)


def test_path_objects_and_bare_names(series):
    """DIFFERENCE: RosettaSciIO needs a str ending in _000.tvips; tvips-ks takes any part or
    the series name, str or Path."""
    path, _ = series["tvips-ks-imaging"]
    with pytest.raises(TypeError):
        rs_tvips.file_reader(path)
    with pytest.raises(ValueError):
        rs_tvips.file_reader(str(path.with_name("tvips-ks-imaging.tvips")))
    (a,) = ks_tvips.file_reader(path.with_name("tvips-ks-imaging.tvips"))
    (b,) = ks_tvips.file_reader(str(path))
    np.testing.assert_array_equal(a["data"], b["data"])
    with pytest.warns(TvipsWarning, match="tvips-ks-imaging_000.tvips"):  # read with _000
        assert ks_tvips.file_reader(str(path.with_name("tvips-ks-imaging_001.tvips"))) == []


def test_frame_header_bytes_beyond_known_fields_are_kept_raw(tmp_path):
    s = _signal((3, 4, 5), metadata=_dated())
    s.save(tmp_path / "x.tvips", frame_header_extra_bytes=6)  # 66 bytes: dens_power + 2 bytes
    (theirs,) = rs_tvips.file_reader(str(tmp_path / "x_000.tvips"))
    (ours,) = ks_tvips.file_reader(tmp_path / "x_000.tvips")
    frames = ours["original_metadata"]["frame_headers"]
    assert frames["padding"].dtype == np.uint8 and frames["padding"].shape == (3, 2)
    assert frames["dens_power"].dtype == np.float32
    assert theirs["original_metadata"]["tvips_header"]["frameheaderbytes"] == 66


def test_numbering_gap_is_refused(tmp_path):
    """DIFFERENCE (reader bug 9): with _001 missing RosettaSciIO silently reads _000 only."""
    s = _signal((10, 4, 5))
    tvips_ks.save(tmp_path / "g.tvips", s, max_file_size=456)  # 2 + 4 + 4 frames
    (tmp_path / "g_001.tvips").unlink()
    assert rs_tvips.file_reader(str(tmp_path / "g_000.tvips"))[0]["data"].shape[0] == 2
    with pytest.raises(tvips_ks.SeriesError, match="missing"):
        ks_tvips.file_reader(tmp_path / "g_000.tvips")


def test_winding_without_scan_shape_is_an_error(series):
    """DIFFERENCE: RosettaSciIO ignores winding_scan_axis and hysteresis without scan_shape."""
    path, _ = series["tvips-ks-imaging"]
    (theirs,) = rs_tvips.file_reader(str(path), winding_scan_axis="x", hysteresis=1)
    assert theirs["data"].shape == (12, 5, 6)
    with pytest.raises(ArgumentError):
        ks_tvips.file_reader(path, winding_scan_axis="x", hysteresis=1)


def test_lazy_reading_holds_no_data(series):
    path, _ = series["tvips-ks-imaging"]
    (ours,) = ks_tvips.file_reader(path, lazy=True)
    graph = dict(ours["data"].__dask_graph__())
    assert not any(isinstance(v, np.ndarray) and v.size > 100 for v in graph.values())


# -- to_hyperspy and the loading one-liners ----------------------------------------------


@pytest.mark.parametrize("lazy", [False, True])
def test_to_hyperspy_axes_and_metadata(series, lazy):
    path, written = series["tvips-ks-imaging"]
    with tvips_ks.open(path, scan_shape=(3, 4)) as ds:
        s = ds.to_hyperspy(lazy=lazy)
        assert isinstance(s.data, da.Array) == lazy
        if lazy:
            assert s.data.name == ds.to_dask().name  # backed by .to_dask()
        frames = ds.frame_headers
    assert isinstance(s, hs.signals.Signal2D) and s._lazy == lazy
    assert type(s).__name__ == ("LazySignal2D" if lazy else "Signal2D")
    np.testing.assert_array_equal(_compute(s.data), written.data.reshape(3, 4, 5, 6))
    am = s.axes_manager
    assert [(a.name, a.size, a.scale, a.offset, a.units, a.navigate) for a in am._axes] == [
        ("y", 3, 1.0, 0.0, "", True), ("x", 4, 1.0, 0.0, "", True),
        ("dy", 5, 3.0, 6.0, "nm", False), ("dx", 6, 3.0, 6.0, "nm", False)]
    md = s.metadata
    assert md.General.title == "tvips-ks-imaging"
    assert md.General.original_filename == "tvips-ks-imaging_000.tvips"
    assert (md.General.date, md.General.time, md.General.time_zone) == \
        ("2023-05-01", "12:34:56", "UTC")
    assert md.get_item(f"{TEM}.beam_energy") == 300.0
    assert md.get_item(f"{TEM}.magnification") == 25000.0
    assert not md.has_item(f"{TEM}.camera_length")
    assert md.get_item(f"{TEM}.Stage").as_dictionary() == {
        "tilt_alpha": 10.5, "tilt_beta": -2.25, "x": 0.0125, "y": -0.5, "z": 0.001}
    assert md.Signal.signal_type == ""
    om = s.original_metadata
    assert om.main_header.pixel_size_nm == 3 and om.tvips_header.pixelsize == 3
    for name in frames.dtype.names:
        np.testing.assert_array_equal(om.frame_headers[name], frames[name])
    # frame_header_extra_bytes=4 makes 64-byte headers: LiberTEM's dens_power field, no padding
    assert "dens_power" in om.frame_headers and "padding" not in om.frame_headers
    np.testing.assert_array_equal(om.frame_index, np.arange(12).reshape(3, 4))


def test_loading_one_liners_agree(series):
    """hs.load through tvips-ks, to_hyperspy and Signal2D(**file_reader) give the same signal."""
    path, _ = series["tvips-ks-imaging"]
    a = tvips_ks.open(path).to_hyperspy()
    b = hs.load(str(path), file_format=ks_tvips)
    c = hs.signals.Signal2D(**ks_tvips.file_reader(path)[0])
    lazy = hs.load(str(path), file_format=ks_tvips, lazy=True)
    assert lazy._lazy and isinstance(lazy.data, da.Array)
    for s in (b, c, lazy):
        np.testing.assert_array_equal(_compute(s.data), a.data)
        assert s.axes_manager.as_dictionary() == a.axes_manager.as_dictionary()
        meta = s.metadata.as_dictionary()
        meta["General"].pop("FileIO", None)
        assert meta == a.metadata.as_dictionary()
    assert b.metadata.General.FileIO["0"]["io_plugin"] == "tvips_ks.rsciio"


def test_diffraction_signal_class_when_registered(series, monkeypatch, caplog):
    """pyxem's diffraction signal when a package registers "diffraction"; else a plain
    Signal2D without HyperSpy's "signal_type not understood" warning."""
    from hyperspy.extensions import ALL_EXTENSIONS

    path, _ = series["rsciio-diffraction"]
    with caplog.at_level("WARNING"):
        plain = tvips_ks.open(path).to_hyperspy()
    assert type(plain) is hs.signals.Signal2D
    assert "not understood" not in caplog.text
    assert plain.axes_manager.signal_axes[0].units == "1/nm"

    # register a stand-in for pyxem's Diffraction2D the way extensions register signals
    signals = dict(ALL_EXTENSIONS["signals"])
    for lazy, cls in ((False, "Diffraction2D"), (True, "LazyDiffraction2D")):
        signals[cls] = {"signal_type": "diffraction", "signal_dimension": 2, "dtype": "real",
                        "lazy": lazy, "module": __name__}
    monkeypatch.setitem(ALL_EXTENSIONS, "signals", signals)
    s = tvips_ks.open(path).to_hyperspy()
    assert type(s) is Diffraction2D and s.metadata.Signal.signal_type == "diffraction"
    s = tvips_ks.open(path).to_hyperspy(lazy=True)
    assert type(s) is LazyDiffraction2D


class Diffraction2D(hs.signals.Signal2D):
    _signal_type = "diffraction"


class LazyDiffraction2D(hs.signals.LazySignal2D, Diffraction2D):
    pass


# -- writing from a signal ---------------------------------------------------------------


def _headers(path):
    with tvips_ks.open(path) as ds:
        return ds.header, ds.frame_headers.copy(), np.asarray(ds.data)


def test_writer_matches_rsciio_where_it_is_right(tmp_path):
    meta = _dated(**{f"{TEM}.beam_energy": 200.0, f"{TEM}.camera_length": 80.0,
                     f"{TEM}.beam_current": 1.5, f"{TEM}.Stage.tilt_alpha": 12.0,
                     f"{TEM}.Stage.x": 0.25})
    s = _signal((3, 4, 5, 6), signal_scale=2.0, signal_units="1/nm", nav_scale=7.0,
                nav_units="ms", metadata=meta)
    s.save(tmp_path / "theirs.tvips", max_file_size=700, frame_header_extra_bytes=8)
    ks_tvips.file_writer(tmp_path / "ours.tvips", s._to_dictionary(), max_file_size=700,
                         frame_header_extra_bytes=8)
    theirs_parts = sorted(tmp_path.glob("theirs_*.tvips"))
    ours_parts = sorted(tmp_path.glob("ours_*.tvips"))
    assert [p.stat().st_size for p in ours_parts] == [p.stat().st_size for p in theirs_parts]

    h_t, f_t, d_t = _headers(theirs_parts[0])
    h_o, f_o, d_o = _headers(ours_parts[0])
    np.testing.assert_array_equal(d_o, d_t)
    for field in ("len_header", "version", "width", "height", "bits_per_pixel", "bin_x", "bin_y",
                  "high_tension_kv", "mag_total", "len_frame_header", "offset_x", "offset_y"):
        assert h_o[field] == h_t[field], field
    for field in ("timestamp_s", "timestamp_ms", "tem_mode", "faraday", "rotator_index",
                  "stage_y", "stage_z", "stage_beta", "lut_index", "tem_magnification"):
        np.testing.assert_array_equal(f_o[field], f_t[field], err_msg=field)
    assert f_o["timestamp_s"][0] == START_EPOCH and list(f_o["timestamp_ms"][:3]) == [0, 7, 14]
    # DIFFERENCE (writer bug 1): RosettaSciIO takes pixelsize from the first navigation axis
    assert (h_t["pixel_size_nm"], h_o["pixel_size_nm"]) == (7, 2)
    # DIFFERENCE (writer bug 4): RosettaSciIO reads tilts from TEM.tilt_alpha, not Stage
    assert set(f_t["stage_alpha"]) == {0.0} and set(f_o["stage_alpha"]) == {12.0}
    # DIFFERENCE: HyperSpy's Stage.x is in mm; the frame header holds nm
    assert set(f_t["stage_x"]) == {np.float32(0.25)} and set(f_o["stage_x"]) == {250000.0}
    # DIFFERENCE: tvips-ks counts frames 1..N (LiberTEM's ICounter); RosettaSciIO writes 0
    assert set(f_t["counter"]) == {0} and list(f_o["counter"]) == list(range(1, 13))
    assert bytes(h_t["filler"]).startswith(b"HYPERSPY")
    assert bytes(h_o["filler"]).startswith(b"TVIPS-KS")


def test_file_writer_and_save_write_the_same_bytes(tmp_path):
    s = _signal((2, 3, 4, 5), signal_scale=4.0, signal_units="nm", nav_scale=20.0,
                nav_units="ms", metadata=_dated(**{f"{TEM}.beam_energy": 300.0}))
    ks_tvips.file_writer(str(tmp_path / "a.tvips"), s._to_dictionary())
    tvips_ks.save(tmp_path / "b.tvips", s)
    assert (tmp_path / "a_000.tvips").read_bytes() == (tmp_path / "b_000.tvips").read_bytes()


@pytest.mark.parametrize("scale, units, expected", [
    (2.0, "nm", (1, 2)), (30.0, "Å", (1, 3)), (30.0, "A", (1, 3)), (0.002, "µm", (1, 2)),
    (0.002, "um", (1, 2)), (2000.0, "pm", (1, 2)), (2e-9, "m", (1, 2)),
    (3.0, "1/nm", (2, 3)), (0.1, "1/Å", (2, 1)), (0.1, "1/A", (2, 1)), (3e-3, "1/pm", (2, 3)),
    (3e9, "1/m", (2, 3)), (0.005, "1/µm", (2, 0.005)), (4.0, "nanometer", (1, 4)),
    (4.0, "nm^-1", (2, 4)), (0.2, "1/\u212b", (2, 2)), (0.003, "\u03bcm", (1, 3)),
    (0.5, "Mm", (1, 5e14)),
])
def test_pixel_size_from_signal_axes(scale, units, expected):
    s = _signal((2, 3, 4), signal_scale=scale, signal_units=units, nav_scale=9.0,
                nav_units="nm")
    mode, size = expected
    if size == int(size):
        _, args = save_arguments_from_signal(s)
        assert (args["mode"], args["pixel_size_nm"]) == (mode, size)
    else:
        with pytest.warns(TvipsWarning, match="calibration is lost"):
            _, args = save_arguments_from_signal(s)
        assert (args["mode"], args["pixel_size_nm"]) == (mode, 0)


def test_rounding_warns_only_when_precision_is_lost(tmp_path):
    s = _signal((2, 4, 5), signal_scale=2.4, signal_units="nm")
    with pytest.warns(TvipsWarning, match=r"pixel size 2\.4 nm is stored as 2 nm") as record:
        tvips_ks.save(tmp_path / "a.tvips", s)
    assert record[0].filename == __file__  # attributed to the caller, not to tvips-ks
    assert _headers(tmp_path / "a_000.tvips")[0]["pixel_size_nm"] == 2
    s = _signal((2, 4, 5), signal_scale=0.25, signal_units="1/nm")
    with pytest.warns(TvipsWarning, match="calibration is lost"):
        tvips_ks.save(tmp_path / "b.tvips", s)
    with tvips_ks.open(tmp_path / "b_000.tvips") as ds:  # read back as uncalibrated pixels
        assert ds.metadata.axes[-1].units == "px"
    s = _signal((2, 4, 5), signal_scale=20 / 7 * 0.7, signal_units="nm",  # 2 up to float error
                metadata={f"{TEM}.beam_energy": 299.7})
    with pytest.warns(TvipsWarning, match="beam energy 299.7 kV is stored as 300 kV"):
        tvips_ks.save(tmp_path / "c.tvips", s)
    assert _headers(tmp_path / "c_000.tvips")[0]["high_tension_kv"] == 300
    s.save(tmp_path / "rs.tvips")  # DIFFERENCE: RosettaSciIO truncates silently
    assert _headers(tmp_path / "rs_000.tvips")[0]["high_tension_kv"] == 299
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, args = save_arguments_from_signal(_signal((2, 4, 5), signal_scale=20 / 7 * 0.7,
                                                     signal_units="nm"))
    assert args["pixel_size_nm"] == 2


def test_negative_offsets_and_unknown_units_warn():
    s = _signal((2, 4, 5), signal_scale=2.0, signal_units="1/nm", signal_offset=-8.0)
    with pytest.warns(TvipsWarning, match="negative"):
        _, args = save_arguments_from_signal(s)
    assert (args["pixel_size_nm"], args["offset_x"], args["offset_y"]) == (2, 0, 0)
    s = _signal((2, 4, 5), signal_scale=2.0, signal_units="eV")
    with pytest.warns(TvipsWarning, match="neither a length nor a reciprocal length"):
        _, args = save_arguments_from_signal(s)
    assert args["pixel_size_nm"] == 0 and "mode" not in args
    with warnings.catch_warnings():  # uncalibrated pixels: nothing to lose, no warning
        warnings.simplefilter("error")
        _, args = save_arguments_from_signal(_signal((2, 4, 5)))
    assert args["pixel_size_nm"] == 0


def test_mode_guessed_from_units_and_explicit_mode_wins(tmp_path):
    s = _signal((2, 4, 5), signal_scale=2.0, signal_units="nm", nav_scale=2.0,
                metadata={f"{TEM}.magnification": 5000.0, f"{TEM}.camera_length": 60.0})
    tvips_ks.save(tmp_path / "img.tvips", s)
    header, frames, _ = _headers(tmp_path / "img_000.tvips")
    assert set(frames["tem_mode"]) == {1} and header["mag_total"] == 5000
    # explicit mode=2 against nm units: the header cannot say nm, so no calibration is
    # written (DIFFERENCE, writer bug 3: RosettaSciIO writes the nm value, read back as 1/nm)
    with pytest.warns(TvipsWarning, match="does not match the signal units"):
        tvips_ks.save(tmp_path / "dif.tvips", s, mode=2)
    header, frames, _ = _headers(tmp_path / "dif_000.tvips")
    assert set(frames["tem_mode"]) == {2} and header["pixel_size_nm"] == 0
    assert header["mag_total"] == 60  # the camera length, in diffraction
    s.save(tmp_path / "rs.tvips", mode=2)
    (theirs,) = rs_tvips.file_reader(str(tmp_path / "rs_000.tvips"))
    assert (theirs["axes"][-1]["units"], theirs["axes"][-1]["scale"]) == ("1/nm", 2)
    # DIFFERENCE (writer bug 10): with both magnification and camera_length set, RosettaSciIO
    # writes mag_total 0; tvips-ks writes the one that matches the mode
    assert _headers(tmp_path / "rs_000.tvips")[0]["mag_total"] == 0


@pytest.mark.parametrize("zone, day, offset_hours", [
    ("UTC", "2023-05-01", 0), (None, "2023-05-01", 0), ("Europe/Berlin", "2023-05-01", 2),
    ("Europe/Berlin", "2023-01-15", 1), ("America/New_York", "2023-01-15", -5),
    ("+02:00", "2023-05-01", 2), ("-05:30", "2023-05-01", -5.5), ("CET", "2023-01-15", 1),
])
def test_time_zones(tmp_path, zone, day, offset_hours):
    meta = {"General.date": day, "General.time": "12:34:56.250"}
    if zone is not None:
        meta["General.time_zone"] = zone
    s = _signal((3, 4, 5), metadata=meta)
    tvips_ks.save(tmp_path / "t.tvips", s)
    local = datetime.fromisoformat(f"{day}T12:34:56.250")
    expected = (local - timedelta(hours=offset_hours)).replace(tzinfo=timezone.utc)
    with tvips_ks.open(tmp_path / "t_000.tvips") as ds:
        assert ds.metadata.acquisition_time == expected
        s2 = ds.to_hyperspy()
    assert s2.metadata.General.time == expected.time().isoformat(timespec="milliseconds")
    assert s2.metadata.General.time_zone == "UTC"
    if zone is not None and "/" in zone:
        # DIFFERENCE (writer bug 5): RosettaSciIO cannot parse IANA zone names
        with pytest.raises(Exception, match="(?i)unknown string format|parser"):
            s.save(tmp_path / "rs.tvips")


def test_unknown_time_zone_warns_and_uses_utc():
    s = _signal((2, 4, 5), metadata=_dated(**{"General.time_zone": "Mars/Olympus_Mons"}))
    with pytest.warns(TvipsWarning, match="not a known time zone"):
        _, args = save_arguments_from_signal(s)
    assert args["start_time"] == START


@pytest.mark.parametrize("units, scale, expected", [
    ("ms", 40.0, 0.04), ("s", 0.5, 0.5), ("µs", 250.0, 0.00025), ("nm", 40.0, None),
    (None, 1.0, None)])
def test_frame_interval_from_a_time_navigation_axis(units, scale, expected):
    s = _signal((3, 4, 5), nav_scale=scale, nav_units=units)
    _, args = save_arguments_from_signal(s)
    assert args.get("frame_interval") == (pytest.approx(expected) if expected else None)


def test_frame_interval_comes_from_the_fastest_navigation_axis(tmp_path):
    s = _signal((2, 3, 4, 5), metadata=_dated())
    s.axes_manager.navigation_axes[0].units = "nm"  # fastest (x) axis: a scan, not time
    s.axes_manager.navigation_axes[1].units = "s"
    _, args = save_arguments_from_signal(s)
    assert "frame_interval" not in args


def test_tilts_and_stage_round_trip_with_hyperspys_keys(tmp_path):
    meta = _dated(**{f"{TEM}.Stage.tilt_alpha": -30.5, f"{TEM}.Stage.tilt_beta": 4.25,
                     f"{TEM}.Stage.x": 1.5, f"{TEM}.Stage.y": -0.002, f"{TEM}.Stage.z": 0.0})
    s = _signal((2, 4, 5), metadata=meta)
    tvips_ks.save(tmp_path / "t.tvips", s)
    back = tvips_ks.open(tmp_path / "t_000.tvips").to_hyperspy()
    assert back.metadata.get_item(f"{TEM}.Stage").as_dictionary() == {
        "tilt_alpha": -30.5, "tilt_beta": 4.25, "x": 1.5, "y": -0.002, "z": 0.0}
    # RosettaSciIO's reader uses the same tilt keys, so it reads them from tvips-ks files
    (theirs,) = rs_tvips.file_reader(str(tmp_path / "t_000.tvips"))
    stage = theirs["metadata"]["Acquisition_instrument"]["TEM"]["Stage"]
    assert (stage["tilt_alpha"], stage["tilt_beta"]) == (-30.5, 4.25)
    # RosettaSciIO's writer key (TEM.tilt_alpha) is accepted as a fallback
    s = _signal((2, 4, 5), metadata={f"{TEM}.tilt_alpha": 7.0})
    assert save_arguments_from_signal(s)[1]["frame_headers"]["stage_alpha"] == 7.0


def test_explicit_arguments_win_over_the_signal(tmp_path):
    meta = _dated(**{f"{TEM}.beam_energy": 200.0, f"{TEM}.magnification": 5000.0,
                     f"{TEM}.Stage.tilt_alpha": 3.0, f"{TEM}.beam_current": 2.0})
    s = _signal((4, 4, 5), signal_scale=2.0, signal_units="nm", signal_offset=4.0,
                nav_scale=10.0, nav_units="ms", metadata=meta)
    start = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    tvips_ks.save(tmp_path / "e.tvips", s, high_tension_kv=0, pixel_size_nm=0, offset_x=1,
                  mag_total=7, start_time=start, frame_interval=0.5,
                  frame_headers={"stage_alpha": 9.0, "scan_x": np.arange(4, dtype=np.float32)})
    header, frames, _ = _headers(tmp_path / "e_000.tvips")
    assert (header["high_tension_kv"], header["pixel_size_nm"], header["offset_x"],
            header["offset_y"], header["mag_total"]) == (0, 0, 1, 4, 7)
    assert list(frames["timestamp_s"] - frames["timestamp_s"][0]) == [0, 0, 1, 1]
    assert frames["timestamp_s"][0] == int(start.timestamp())
    assert set(frames["stage_alpha"]) == {9.0}          # the explicit field wins
    assert set(frames["faraday"]) == {2.0}              # the signal's fields stay
    assert list(frames["scan_x"]) == [0, 1, 2, 3]
    assert set(frames["tem_mode"]) == {1}


def test_round_trip_signal_to_file_to_signal(tmp_path):
    meta = _dated(**{f"{TEM}.beam_energy": 300.0, f"{TEM}.camera_length": 120.0,
                     f"{TEM}.beam_current": 0.5, f"{TEM}.Stage.tilt_alpha": 1.5,
                     f"{TEM}.Stage.tilt_beta": 0.0, f"{TEM}.Stage.x": 0.5,
                     f"{TEM}.Stage.y": 0.0, f"{TEM}.Stage.z": 0.0,
                     "General.title": "round", "Signal.signal_type": ""})
    s = _signal((3, 4, 6, 5), dtype=np.uint8, signal_scale=5.0, signal_units="1/nm",
                signal_offset=10.0, metadata=meta)
    tvips_ks.save(tmp_path / "round.tvips", s)
    back = tvips_ks.open(tmp_path / "round.tvips", scan_shape=(3, 4)).to_hyperspy()
    np.testing.assert_array_equal(back.data, s.data)
    assert back.data.dtype == np.uint8
    for a, b in zip(back.axes_manager.signal_axes, s.axes_manager.signal_axes):
        assert (a.size, a.scale, a.offset, a.units) == (b.size, b.scale, b.offset, b.units)
    want = s.metadata.as_dictionary()
    got = back.metadata.as_dictionary()
    got["General"].pop("original_filename")
    want["Signal"]["signal_type"] = ""  # "diffraction" only where a signal class exists
    assert got == want


def test_rsciio_reads_tvips_ks_files(series):
    """The files tvips-ks writes are read by RosettaSciIO with the same calibration."""
    path, written = series["tvips-ks-imaging"]
    (theirs,) = rs_tvips.file_reader(str(path))
    np.testing.assert_array_equal(theirs["data"], written.data)
    assert [(a["units"], float(a["scale"]), float(a["offset"])) for a in theirs["axes"][1:]] \
        == [("nm", 3.0, 6.0)] * 2
    assert theirs["axes"][0]["scale"] == pytest.approx(0.05, rel=1e-6)
    assert theirs["metadata"]["Acquisition_instrument"]["TEM"]["beam_energy"] == 300


def test_two_dimensional_signal_is_one_frame(tmp_path):
    """DIFFERENCE (writer bug 6): RosettaSciIO cannot write a single image."""
    s = _signal((4, 5), signal_scale=2.0, signal_units="nm")
    with pytest.raises(UnboundLocalError):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s.save(tmp_path / "rs.tvips")
    tvips_ks.save(tmp_path / "one.tvips", s)
    (ours,) = ks_tvips.file_reader(tmp_path / "one_000.tvips")
    assert ours["data"].shape == (1, 4, 5)


def test_file_writer_replaces_stale_parts(tmp_path):
    """DIFFERENCE (writer bug 9): RosettaSciIO leaves surplus parts of a larger series, and
    its reader appends them."""
    big, small = _signal((10, 4, 5)), _signal((2, 4, 5))
    for name, write in (("rs", lambda p, s: s.save(p, overwrite=True, max_file_size=400)),
                        ("ks", lambda p, s: ks_tvips.file_writer(str(p), s._to_dictionary(),
                                                                 max_file_size=400))):
        write(tmp_path / f"{name}.tvips", big)
        write(tmp_path / f"{name}.tvips", small)
    # 1 + 4 + 4 + 1 frames, then 1 + 1 over the first two parts: 7 frames read back
    assert rs_tvips.file_reader(str(tmp_path / "rs_000.tvips"))[0]["data"].shape[0] == 7
    assert sorted(p.name for p in tmp_path.glob("ks_*")) == ["ks_000.tvips", "ks_001.tvips"]
    assert ks_tvips.file_reader(tmp_path / "ks_000.tvips")[0]["data"].shape[0] == 2


def test_file_writer_raises_a_too_small_max_file_size_like_rsciio(tmp_path):
    s = _signal((4, 4, 5))
    with pytest.warns(UserWarning, match="minimum file size"):
        s.save(tmp_path / "rs.tvips", max_file_size=100)
    with pytest.warns(TvipsWarning, match="minimum file size"):
        ks_tvips.file_writer(tmp_path / "ks.tvips", s._to_dictionary(), max_file_size=100)
    sizes = lambda stem: [p.stat().st_size for p in sorted(tmp_path.glob(f"{stem}_*"))]  # noqa
    assert sizes("ks") == sizes("rs") == [256 + 100, 3 * 100]


def test_writer_refuses_data_readers_would_misread(tmp_path):
    """DIFFERENCE (writer bug 8): RosettaSciIO writes signed and float data that every reader
    then reads as unsigned integers."""
    s = hs.signals.Signal2D(np.full((2, 4, 5), -1, np.int16))
    s.save(tmp_path / "rs.tvips")
    assert rs_tvips.file_reader(str(tmp_path / "rs_000.tvips"))[0]["data"].max() == 65535
    with pytest.raises(ArgumentError, match="unsigned"):
        ks_tvips.file_writer(tmp_path / "ks.tvips", s._to_dictionary())


def test_only_two_dimensional_signals_are_written(tmp_path):
    s = hs.signals.Signal1D(np.zeros((3, 4), np.uint16))
    with pytest.raises(ArgumentError, match="2-D signals"):
        tvips_ks.save(tmp_path / "x.tvips", s)


def test_lazy_signal_is_written_chunk_by_chunk(tmp_path):
    s = _signal((4, 3, 4, 5), signal_scale=2.0, signal_units="nm").as_lazy()
    s.data = s.data.rechunk((1, 3, 4, 5))
    tvips_ks.save(tmp_path / "lazy.tvips", s)
    with tvips_ks.open(tmp_path / "lazy.tvips", scan_shape=(4, 3)) as ds:
        np.testing.assert_array_equal(np.asarray(ds.data), s.data.compute())
        assert ds.header["pixel_size_nm"] == 2


def test_signal_dict_with_signal_axes_first_is_reordered(tmp_path):
    """A RosettaSciIO dict whose signal axes are not last: frames come out in navigation order."""
    data = np.arange(4 * 3 * 5, dtype=np.uint16).reshape(4, 3, 5)  # (sig y, nav, sig x)
    axes = [dict(name="dy", size=4, scale=2.0, offset=0.0, units="nm", navigate=False),
            dict(name="x", size=3, scale=1.0, offset=0.0, units="", navigate=True),
            dict(name="dx", size=5, scale=2.0, offset=0.0, units="nm", navigate=False)]
    general = {"date": "2023-05-01", "time": "12:34:56", "time_zone": "UTC"}
    tvips_ks.save(tmp_path / "d.tvips", {"data": data, "axes": axes,
                                         "metadata": {"General": general}})
    with tvips_ks.open(tmp_path / "d.tvips") as ds:
        np.testing.assert_array_equal(np.asarray(ds.data), data.transpose(1, 0, 2))
        assert ds.header["pixel_size_nm"] == 2
        assert ds.metadata.acquisition_time == START
