"""Exact at the edges (issue 12): files that shrink, datasets that travel, time and metadata
that survive a round trip, values that are checked, errors that are the library's.

(Indexing is in test_indexing.py; memory on every path is measured in benchmarks/ and
guarded in test_memory.py.)
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import warnings
from datetime import datetime, timezone

import numpy as np
import pytest

import tvips_ks
import tvips_ks.audit.check
from builders import Series
from tvips_ks import ArgumentError, SeriesError, TvipsWarning, WriteError


def frames(n, h=4, w=4, seed=0, dtype="u2"):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 1000, (n, h, w)).astype(dtype)


# -- 3. a file that shrinks under an open dataset ------------------------------------------------

@pytest.fixture
def shrinking(tmp_path):
    s = Series(num_frames=100, frames_per_part=(40, 60), height=16, width=16, seed=2)
    paths = s.write(tmp_path)
    return paths, s


def _truncate(path, records_left, s):
    os.truncate(path, records_left * s.len_record)


def test_reading_after_the_file_shrank_raises_instead_of_crashing(shrinking):
    paths, s = shrinking
    ds = tvips_ks.open(paths[0], scan_shape=(10, 10))
    np.testing.assert_array_equal(ds.frames[0], s.images[0])
    _truncate(paths[1], 10, s)  # an acquisition restarting over the series
    for read in (lambda: ds.frames[99].sum(), lambda: ds.data[9, 9], lambda: ds.frames[45:99],
                 lambda: np.asarray(ds.frames), lambda: ds.frame_headers,
                 lambda: ds.to_dask().sum().compute(scheduler="threads"),
                 lambda: ds.frames[[1, 98]]):
        with pytest.raises(SeriesError, match="truncated or replaced") as info:
            read()
        assert info.value.path == str(paths[1])
    np.testing.assert_array_equal(ds.frames[45], s.images[45])  # what is still there reads


def test_a_shrinking_file_never_kills_the_process(shrinking):
    """The same in a fresh interpreter, which would die of SIGBUS if a map reached past the end."""
    paths, s = shrinking
    code = f"""
import os, tvips_ks
ds = tvips_ks.open({str(paths[0])!r})
ds.frames[0]
os.truncate({str(paths[1])!r}, {10 * s.len_record})
try:
    ds.frames[99].sum()
except tvips_ks.SeriesError as err:
    print("SeriesError", err.path)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["SeriesError", str(paths[1])]


# -- 4. datasets and graphs that travel -----------------------------------------------------------

def test_a_graph_runs_on_workers_started_in_another_directory(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    s = Series(num_frames=24, frames_per_part=(10, 14), height=8, width=8, seed=5)
    (tmp_path / "data").mkdir()
    s.write(tmp_path / "data")
    monkeypatch.chdir(tmp_path / "data")
    ds = tvips_ks.open("series_000.tvips", scan_shape=(4, 6))
    array = ds.to_dask(chunks=(1, 6, 8, 8))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        client.run(os.chdir, str(elsewhere))
        assert set(client.run(os.getcwd).values()) == {str(elsewhere)}
        got = client.compute(array.sum(axis=(-2, -1))).result()
    np.testing.assert_array_equal(got, s.images.reshape(4, 6, 8, 8).sum(axis=(-2, -1)))


# -- 5. time and metadata that survive -------------------------------------------------------------

@pytest.mark.parametrize("rate", [3000, 400, 7, 1000])
def test_the_frame_interval_is_the_span_over_the_frames(tmp_path, rate):
    """At 3000 frames/s the millisecond time stamps step by 0 or 1 ms; the interval over the
    whole series is still 1/3000 s to a millisecond, in metadata, info and HyperSpy alike."""
    n = 3000
    tvips_ks.save(tmp_path / "t.tvips", frames(n, 2, 2), frame_interval=1 / rate,
                  start_time=datetime(2025, 1, 1, tzinfo=timezone.utc))
    with tvips_ks.open(tmp_path / "t.tvips") as ds:
        interval = ds.metadata.frame_interval_s
        times = ds.frame_headers["timestamp_s"] * 1000 + ds.frame_headers["timestamp_ms"]
        assert interval == pytest.approx((int(times[-1]) - int(times[0])) / 1000 / (n - 1))
        assert interval == pytest.approx(1 / rate, abs=0.001 / (n - 1))
        signal = ds.to_hyperspy(lazy=True)
        assert signal.axes_manager[0].scale == pytest.approx(interval)
    info = subprocess.run([sys.executable, "-m", "tvips_ks", "info", str(tmp_path / "t_000.tvips"),
                           "--no-detect"], capture_output=True, text=True, timeout=120)
    line = next(x for x in info.stdout.splitlines() if x.startswith("frame rate:"))
    assert line.split()[2] == f"{1 / interval:,.1f}"


def test_constant_time_stamps_give_no_interval(tmp_path):
    tvips_ks.save(tmp_path / "c.tvips", frames(5), frame_interval=0)
    with tvips_ks.open(tmp_path / "c.tvips") as ds:
        assert ds.metadata.frame_interval_s is None
        assert ds.metadata.axes[0].name == "frame"


@pytest.mark.parametrize("scan", [{}, {"scan_shape": "auto"}], ids=["stack", "scan"])
def test_saving_a_signal_read_from_tvips_keeps_every_header(tmp_path, scan):
    """save(out, open(example).to_hyperspy()): every frame-header field, the 108-byte headers,
    the 2 ms spacing, the camera's main header."""
    with tvips_ks.open(tvips_ks.example_path(), **scan) as ds:
        signal = ds.to_hyperspy()
        order = ds.frame_index.ravel() if ds.frame_index is not None else slice(None)
        want_headers = ds.frame_headers[order]
        want_main = ds.header
        want_interval = ds.metadata.frame_interval_s
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (path, *_) = tvips_ks.save(tmp_path / "copy.tvips", signal)
    with tvips_ks.open(path) as copy:
        assert copy.layout.len_frame_header == 108
        assert copy.frame_headers.dtype.names == want_headers.dtype.names
        for name in want_headers.dtype.names:
            np.testing.assert_array_equal(copy.frame_headers[name], want_headers[name],
                                          err_msg=name)
        for name in ("pixel_size_nm", "mag_total", "bin_x", "bin_y", "high_tension_kv",
                     "filler", "offset_x", "offset_y"):
            assert copy.header[name] == want_main[name], name
        if not scan:
            assert copy.metadata.frame_interval_s == want_interval == 0.002


def test_a_changed_signal_is_written_from_its_metadata_not_from_its_source(tmp_path):
    with tvips_ks.open(tvips_ks.example_path()) as ds:
        signal = ds.to_hyperspy()
    signal.metadata.General.time = "11:00:00"  # the user corrects the clock
    signal.metadata.Acquisition_instrument.TEM.Stage.tilt_alpha = 12.5
    (path, *_) = tvips_ks.save(tmp_path / "edited.tvips", signal)
    with tvips_ks.open(path) as copy:
        assert copy.metadata.acquisition_time.time().isoformat() == "11:00:00"
        assert (copy.frame_headers["stage_alpha"] == np.float32(12.5)).all()
        assert copy.frame_headers["scan_x"].max() == 15  # what was not changed stays


def test_a_cropped_signal_is_written_from_its_metadata_with_a_warning(tmp_path):
    with tvips_ks.open(tvips_ks.example_path()) as ds:
        signal = ds.to_hyperspy().inav[10:20]
    with pytest.warns(TvipsWarning, match="cropped or reshaped"):
        (path, *_) = tvips_ks.save(tmp_path / "crop.tvips", signal)
    with tvips_ks.open(path) as copy:
        assert copy.num_frames == 10 and copy.layout.len_frame_header == 60


def test_magnification_with_pixel_units_stays_a_magnification(tmp_path):
    hs = pytest.importorskip("hyperspy.api")
    s = hs.signals.Signal2D(frames(3))
    s.metadata.set_item("Acquisition_instrument.TEM.magnification", 5000.0)
    tvips_ks.save(tmp_path / "m.tvips", s)
    with tvips_ks.open(tmp_path / "m.tvips") as ds:
        assert ds.metadata.mode == "imaging"
        assert ds.metadata.magnification == 5000 and ds.metadata.camera_length is None
    s = hs.signals.Signal2D(frames(3))
    s.metadata.set_item("Acquisition_instrument.TEM.camera_length", 80.0)
    tvips_ks.save(tmp_path / "c.tvips", s)
    with tvips_ks.open(tmp_path / "c.tvips") as ds:
        assert ds.metadata.mode == "diffraction"
        assert ds.metadata.camera_length == 80 and ds.metadata.magnification is None


def test_no_camera_length_is_none_not_zero(tmp_path):
    tvips_ks.save(tmp_path / "z.tvips", frames(2), mode=2, mag_total=0)
    with tvips_ks.open(tmp_path / "z.tvips") as ds:
        assert ds.metadata.camera_length is None and ds.metadata.magnification is None


# -- 6. values are checked, never wrapped ------------------------------------------------------------

@pytest.mark.parametrize("kwargs,match", [
    (dict(frame_headers={"counter": 2**40}), "counter"),
    (dict(frame_headers={"counter": -1}), "counter"),
    (dict(frame_headers={"rotator_index": [1.5, 2, 3]}), "whole numbers"),
    (dict(frame_headers={"stage_x": 1e39}), "float32"),
    (dict(frame_headers={"counter": "12"}), "numbers"),
    (dict(frame_headers={"scan_x": ["a", "b", "c"]}), "numbers"),
    (dict(frame_headers=[1, 2, 3]), "mapping"),
    (dict(start_time=-5), "1970"),
    (dict(start_time=datetime(1960, 1, 1, tzinfo=timezone.utc)), "1970"),
    (dict(start_time=2**32), "2106"),
    (dict(start_time="yesterday"), "start_time"),
    (dict(start_time=2**32 - 1, frame_interval=10.0), "2106"),
    (dict(frame_interval=-0.5), "frame_interval"),
    (dict(frame_interval=float("nan")), "frame_interval"),
    (dict(frame_interval="1 ms"), "frame_interval"),
    (dict(filler="TVIPS"), "bytes"),
    (dict(filler=b"x" * 205), "204"),
    (dict(high_tension_kv=2**32), "32-bit"),
    (dict(high_tension_kv="300"), "number"),
    (dict(high_tension_kv=float("inf")), "finite"),
    (dict(bin_x=-1), "32-bit"),
    (dict(max_file_size=1.5e9), "whole number"),
    (dict(frame_header_extra_bytes=2.5), "frame_header_extra_bytes"),
    (dict(version=True), "version"),
    (dict(mode=True), "mode"),
])
def test_save_refuses_what_a_field_cannot_hold(tmp_path, kwargs, match):
    with pytest.raises(ArgumentError, match=match):
        tvips_ks.save(tmp_path / "x.tvips", frames(3), **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_values_at_the_edges_of_their_fields_are_written_exactly(tmp_path):
    tvips_ks.save(tmp_path / "e.tvips", frames(3), high_tension_kv=2**32 - 1,
                  frame_headers={"counter": [0, 1, 2**32 - 1], "stage_x": np.float32(3.4e38),
                                 "faraday": np.nan},
                  start_time=datetime(2106, 2, 7, 6, 28, 13, tzinfo=timezone.utc),
                  frame_interval=0.0)
    with tvips_ks.open(tmp_path / "e.tvips") as ds:
        assert int(ds.header["high_tension_kv"]) == 2**32 - 1
        assert ds.frame_headers["counter"].tolist() == [0, 1, 2**32 - 1]
        assert (ds.frame_headers["stage_x"] == np.float32(3.4e38)).all()
        assert np.isnan(ds.frame_headers["faraday"]).all()
        assert int(ds.frame_headers["timestamp_s"][0]) == 2**32 - 3


@pytest.mark.parametrize("kwargs,match", [
    (dict(scan_shape=(64.7, 64)), "integer"),
    (dict(scan_shape=(8, 8), scan_start_frame=10**20, pad=True), "beyond any series"),
    (dict(scan_shape=(8, 8), scan_start_frame=2.0), "integer"),
    (dict(scan_shape=(8, 8), hysteresis=2.5, winding_scan_axis="x"), "integer"),
    (dict(scan_shape=(8, 8), hysteresis=2), "winding"),
    (dict(scan_shape="auto", pad=True), "auto"),
    (dict(scan_shape=(8, 8), pad="yes"), "pad"),
    (dict(scan_shape=8), "tuple"),
])
def test_scan_options_are_checked_once_the_same_way_everywhere(tmp_path, kwargs, match):
    tvips_ks.save(tmp_path / "s.tvips", frames(64))
    with pytest.raises(ArgumentError, match=match):
        tvips_ks.open(tmp_path / "s.tvips", **kwargs)


def test_a_padded_scan_past_the_last_frame_warns(tmp_path):
    tvips_ks.save(tmp_path / "s.tvips", frames(10))
    with pytest.warns(TvipsWarning, match="holds no frame"):
        ds = tvips_ks.open(tmp_path / "s.tvips", scan_shape=(2, 2), scan_start_frame=10, pad=True)
    assert not np.asarray(ds.data).any()


# -- 7. every error is the library's, and names the user's file -------------------------------------

@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_write_failure_names_the_file_not_the_temporary(tmp_path, monkeypatch, code):
    import builtins

    real_open = builtins.open

    def failing_open(file, mode="r", *args, **kwargs):
        if "w" in mode and str(file).endswith(".partial"):
            raise OSError(code, os.strerror(code), str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", failing_open)
    with pytest.raises(WriteError) as info:
        tvips_ks.save(tmp_path / "w.tvips", frames(3))
    monkeypatch.undo()
    assert info.value.path == str(tmp_path / "w_000.tvips")
    assert os.strerror(code) in str(info.value) and ".partial" not in str(info.value)
    assert info.value.__cause__.errno == code
    assert list(tmp_path.iterdir()) == []


# RLIMIT_FSIZE makes writes fail with EFBIG, as a full disk fails them with ENOSPC.
_FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
"""


def _source_and_out(tmp_path, num_frames):
    src = tmp_path / "src"
    src.mkdir()
    tvips_ks.save(src / "s.tvips", frames(num_frames, 64, 64))
    out = tmp_path / "out"
    out.mkdir()
    return src, out


def test_a_full_file_system_in_a_subprocess_gives_one_line_and_nothing_behind(tmp_path):
    src, out = _source_and_out(tmp_path, 64)
    code = _FULL_DISK + f"""
import tvips_ks
import tvips_ks.audit.check
ds = tvips_ks.open({str(src / 's_000.tvips')!r})
try:
    tvips_ks.save({str(out / 'copy.tvips')!r}, ds.frames)
except tvips_ks.WriteError as err:
    print(type(err.__cause__).__name__, err.path)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["OSError", str(out / "copy_000.tvips")]
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("name", ["c.h5", "c.npy", "c.zarr"])
def test_convert_onto_a_full_file_system_prints_one_line_and_leaves_nothing(tmp_path, name):
    """HDF5 used to crash the interpreter (exit 139) when a write failed inside it."""
    pytest.importorskip("h5py")
    pytest.importorskip("zarr")
    src, out = _source_and_out(tmp_path, 256)
    code = _FULL_DISK + """
from tvips_ks.cli import main
sys.exit(main([sys.argv[1], sys.argv[2], sys.argv[3]]))
"""
    proc = subprocess.run([sys.executable, "-c", code, "convert", str(src / "s_000.tvips"),
                           str(out / name)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"tvips-ks: {out / name}: cannot write the file")
    assert list(out.iterdir()) == []


def test_to_dask_without_dask_says_how_to_install_it(tmp_path, monkeypatch):
    tvips_ks.save(tmp_path / "d.tvips", frames(3))
    ds = tvips_ks.open(tmp_path / "d.tvips")
    monkeypatch.setitem(sys.modules, "dask.array", None)  # import dask.array fails
    with pytest.raises(tvips_ks.MissingDependencyError, match=r"pip install 'tvips-ks\[dask\]'") \
            as info:
        ds.to_dask()
    assert isinstance(info.value, ImportError) and isinstance(info.value, tvips_ks.TvipsError)


def test_info_shows_no_numpy_warning_on_nan_fields(tmp_path):
    tvips_ks.save(tmp_path / "n.tvips", frames(6),
                  frame_headers={"stage_x": [np.nan, np.inf, -np.inf, 0, 1, np.nan],
                                 "faraday": np.nan})
    proc = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-m", "tvips_ks", "info",
                           str(tmp_path / "n_000.tvips")], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr and "invalid value" not in proc.stderr


# -- naming: parts without the underscore -----------------------------------------------------------

def test_a_single_file_beside_what_looks_like_its_next_part_warns(tmp_path):
    """Image000.tvips + Image001.tvips (no underscore): read as a single file, with a warning
    that says how to read them as one series (issue 14: Leginon's naming)."""
    s = Series(num_frames=6, frames_per_part=(2, 4))
    parts = s.write(tmp_path)
    parts[0].rename(tmp_path / "Image000.tvips")
    parts[1].rename(tmp_path / "Image001.tvips")
    with pytest.warns(TvipsWarning, match=r"Image001\.tvips.*Image_000\.tvips"):
        ds = tvips_ks.open(tmp_path / "Image000.tvips")
    assert ds.num_frames == 2
    (tmp_path / "Image000.tvips").rename(tmp_path / "Image_000.tvips")
    (tmp_path / "Image001.tvips").rename(tmp_path / "Image_001.tvips")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(np.asarray(tvips_ks.open(tmp_path / "Image_000.tvips")
                                                 .frames), s.images)


# -- one set of header rules (issue 13) ----------------------------------------------------------------

def test_one_set_of_header_rules_for_open_check_info_dump_and_convert(tmp_path):
    """A version-3 series: the permissive level reads its 4 frames everywhere, the strict one
    refuses it everywhere (before the consolidation info exited 2 and check read 0 frames)."""
    s = Series(num_frames=4, main={"version": 3}, len_frame_header=60)
    path = s.write(tmp_path)[0]
    with pytest.raises(tvips_ks.HeaderError, match="version") as info:
        tvips_ks.open(path)
    assert info.value.offset == 4
    with tvips_ks.open(path, permissive=True) as ds:
        assert ds.num_frames == 4
        np.testing.assert_array_equal(np.asarray(ds.frames), s.images)
    result = tvips_ks.audit.check.check_series(path)
    assert result.num_frames == 4
    headers = [p for p in result.problems if p.kind == "header"]
    assert len(headers) == 1 and headers[0].offset == 4  # (the builder's random counters
    assert "permissive=True" in headers[0].message       # and times are reported too)

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "tvips_ks", *map(str, args)],
                              capture_output=True, text=True, timeout=120)

    proc = cli("info", path, "--no-detect")
    assert proc.returncode == 0, proc.stderr
    assert "4 frames" in proc.stdout and "version" in proc.stdout
    proc = cli("check", path)
    assert proc.returncode == 1 and "--permissive" in proc.stdout
    assert "permissive=True" not in proc.stdout
    proc = cli("dump", path, "--json")
    assert proc.returncode == 2 and "version" in proc.stderr  # the Kaitai parser's own rule
    proc = cli("convert", path, tmp_path / "out.npy")
    assert proc.returncode == 2 and "--permissive" in proc.stderr
    proc = cli("convert", path, tmp_path / "out.npy", "--permissive")
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), s.images)
