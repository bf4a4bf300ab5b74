"""tvips_ks.open: assembling a series, lazily and exactly (issue 3)."""

from __future__ import annotations

import pickle
import warnings
from datetime import datetime, timezone

import numpy as np
import pytest

from builders import Series

import tvips_ks
from tvips_ks import ArgumentError, SeriesError, TruncatedRecordError, TruncatedRecordWarning


# -------------------------------------------------------------------- finding the series


@pytest.fixture
def split(tmp_path):
    s = Series(len_frame_header=108, num_frames=6, frames_per_part=(1, 3, 2))
    return s, s.write(tmp_path)


@pytest.mark.parametrize("which", ["series_000.tvips", "series_001.tvips", "series_002.tvips",
                                   "series.tvips"])
@pytest.mark.parametrize("as_path", [False, True])
def test_any_part_or_the_bare_name_opens_the_whole_series(split, which, as_path):
    s, paths = split
    target = paths[0].parent / which
    with tvips_ks.open(target if as_path else str(target)) as ds:
        assert ds.path == paths[0]
        assert [p.path for p in ds.files] == paths
        assert [p.num_frames for p in ds.files] == [1, 3, 2]
        assert np.array_equal(np.asarray(ds.frames), s.images)


def test_extension_is_case_insensitive(tmp_path):
    s = Series(num_frames=3, frames_per_part=(1, 2))
    paths = s.write(tmp_path, ext=".TVIPS")
    with tvips_ks.open(tmp_path / "series_001.TVIPS") as ds:
        assert [p.path for p in ds.files] == paths
        assert ds.num_frames == 3


def test_a_neighbouring_series_is_never_mixed_in(tmp_path):
    a = Series(num_frames=2, seed=1)
    b = Series(num_frames=3, seed=2)
    a.write(tmp_path, stem="scan")
    b.write(tmp_path, stem="scan_b")
    Series(num_frames=1, seed=3).write(tmp_path, stem="scan2")
    with tvips_ks.open(tmp_path / "scan_000.tvips") as ds:
        assert ds.num_frames == 2 and len(ds.files) == 1
        assert np.array_equal(np.asarray(ds.frames), a.images)


def test_a_gap_in_the_numbering_is_an_error_naming_the_missing_part(tmp_path):
    paths = Series(num_frames=6, frames_per_part=(1, 3, 2)).write(tmp_path)
    paths[1].unlink()
    with pytest.raises(SeriesError, match="series_001.tvips is missing") as info:
        tvips_ks.open(paths[0])
    assert info.value.path.endswith("series_001.tvips")


def test_the_main_header_always_comes_from_000(tmp_path):
    paths = Series(num_frames=3, frames_per_part=(1, 2)).write(tmp_path)
    paths[0].unlink()
    with pytest.raises(SeriesError, match="series_000.tvips"):
        tvips_ks.open(paths[1])


def test_a_name_that_is_not_a_tvips_name_is_refused(tmp_path):
    with pytest.raises(ArgumentError, match="not a TVIPS file name"):
        tvips_ks.open(tmp_path / "scan_000.bin")


# ------------------------------------------------------------------- what it returns


@pytest.mark.parametrize("series", [
    Series(version=1, len_frame_header=0, num_frames=4),
    Series(len_frame_header=60, num_frames=5, bits_per_pixel=8, width=7, height=3),
    Series(len_frame_header=108, num_frames=6, frames_per_part=(2, 2, 2)),
    Series(len_frame_header=180, num_frames=3, width=4, height=9),
    Series(len_frame_header=62, num_frames=2, bits_per_pixel=32),
    Series(len_frame_header=60, num_frames=1),
], ids=["v1", "v2-60-8bit-nonsquare", "v2-108-split", "v2-180-tall", "v2-62-32bit",
        "single-frame"])
def test_header_frame_headers_and_frames_equal_the_bytes_written(tmp_path, series):
    series.write(tmp_path)
    with tvips_ks.open(tmp_path / "series_000.tvips") as ds:
        for name, value in series.main_values.items():
            assert int(ds.header[name]) == value, name
        fh = ds.frame_headers
        expected = series.expected_frame_headers()
        assert list(fh.dtype.names) == list(expected)
        for name, values in expected.items():
            assert fh[name].tolist() == values, name
        assert ds.frames.shape == (series.num_frames, series.height, series.width)
        assert ds.frames.dtype == np.dtype(f"<u{series.bits_per_pixel // 8}")
        assert np.array_equal(np.asarray(ds.frames), series.images)
        assert np.array_equal(np.asarray(ds.data), series.images)
        for i in range(series.num_frames):  # row-major (height, width), frame by frame
            assert np.array_equal(ds.frames[i], series.images[i])
        assert np.array_equal(ds.to_dask().compute(), series.images)
        assert ds.frame_index is None


def test_frames_are_zero_copy_private_maps(split):
    """A run of frames inside one part is a strided view of a private map of just its records:
    no copy; writable like any numpy array, but writing reaches neither the file nor a later
    read (docs/architecture.md, "What indexing returns")."""
    import mmap

    s, paths = split
    before = [p.read_bytes() for p in paths]
    with tvips_ks.open(paths[0]) as ds:
        view = ds.frames[2:4]  # inside part 1
        base = view
        while isinstance(base, np.ndarray):
            base = base.base
        assert isinstance(base, mmap.mmap)
        assert view.strides[0] == s.len_record  # strided over the records, no copy
        assert np.array_equal(view, s.images[2:4])
        assert view.flags.writeable
        view[...] = 0
        assert np.array_equal(ds.frames[2:4], s.images[2:4])
        across = ds.frames[0:4]  # across parts 0 and 1: a new array, writable too
        base = across
        while isinstance(base, np.ndarray):
            base = base.base
        assert base is None and across.flags.writeable
    assert [p.read_bytes() for p in paths] == before


def _bytes_read() -> int:
    with open("/proc/self/io") as f:
        return int(next(line for line in f if line.startswith("rchar")).split()[1])


def test_opening_reads_no_pixel_byte(tmp_path):
    s = Series(len_frame_header=60, num_frames=40, width=512, height=512)  # 20 MiB
    s.write(tmp_path)
    before = _bytes_read()
    ds = tvips_ks.open(tmp_path / "series_000.tvips", scan_shape=(5, 8))
    _ = ds.frames, ds.data, ds.to_dask()
    assert _bytes_read() - before < 64 * 1024
    ds.close()


def test_frame_headers_are_read_in_bulk_not_per_frame(tmp_path, monkeypatch):
    Series(len_frame_header=108, num_frames=50, frames_per_part=(10, 40)).write(tmp_path)
    import tvips_ks.io.headers as headers

    calls = []
    real = headers.map_records
    monkeypatch.setattr(headers, "map_records", lambda part, *args: calls.append(part)
                        or real(part, *args))
    with tvips_ks.open(tmp_path / "series_000.tvips") as ds:
        assert ds.frame_headers.shape == (50,)
    assert len(calls) == 2  # one strided read per part


def test_indexing_a_few_positions_reads_only_those_frames(tmp_path, monkeypatch):
    s = Series(num_frames=24, frames_per_part=(5, 19))
    s.write(tmp_path)
    import tvips_ks.arrays as arrays

    asked = []
    real = arrays.read_frames

    def spy(table, frames, pixels=()):
        asked.append(list(range(*frames)) if isinstance(frames, tuple)
                     else np.asarray(frames).tolist())
        return real(table, frames, pixels)

    monkeypatch.setattr(arrays, "read_frames", spy)
    with tvips_ks.open(tmp_path / "series_000.tvips", scan_shape=(4, 6)) as ds:
        got = ds.data[2, 3]
        assert np.array_equal(got, s.images[15])
        got = ds.data[1:3, ::5, 1]
        assert np.array_equal(got, s.images[[[6, 11], [12, 17]]][:, :, 1])
    assert asked == [[15], [6, 11, 12, 17]]


# --------------------------------------------------------------------- scan options


def test_scan_options_and_frame_index(tmp_path):
    s = Series(num_frames=14)
    s.write(tmp_path)
    with tvips_ks.open(tmp_path / "series.tvips", scan_shape=(3, 4), scan_start_frame=1,
                       winding_scan_axis="x", hysteresis=1) as ds:
        # RosettaSciIO's verified table for "x", h=1 on frames 0..11, shifted by 1
        expected = np.array([[0, 3, 2, 1], [4, 5, 6, 7], [8, 11, 10, 9]]) + 1
        assert np.array_equal(ds.frame_index, expected)
        assert ds.data.shape == (3, 4, 4, 5)
        assert np.array_equal(np.asarray(ds.data), s.images[expected])
        assert np.array_equal(ds.to_dask().compute(), s.images[expected])


def test_a_scan_beyond_the_last_frame_is_an_error_or_zero_padded(tmp_path):
    s = Series(num_frames=10)
    s.write(tmp_path)
    with pytest.raises(ArgumentError, match="pad=True"):
        tvips_ks.open(tmp_path / "series.tvips", scan_shape=(3, 4))
    with tvips_ks.open(tmp_path / "series.tvips", scan_shape=(3, 4), pad=True) as ds:
        assert ds.frame_index.ravel().tolist() == list(range(10)) + [-1, -1]
        data = np.asarray(ds.data)
        assert np.array_equal(data.reshape(12, 4, 5)[:10], s.images)
        assert not data.reshape(12, 4, 5)[10:].any()
        assert np.array_equal(ds.to_dask().compute(), data)


@pytest.mark.parametrize("shape", [(12,), (2, 3, 2)])
def test_scan_shapes_of_any_length(tmp_path, shape):
    s = Series(num_frames=12)
    s.write(tmp_path)
    with tvips_ks.open(tmp_path / "series.tvips", scan_shape=shape) as ds:
        assert ds.data.shape == (*shape, 4, 5)
        assert np.array_equal(np.asarray(ds.data), s.images.reshape(*shape, 4, 5))
        names = [a.name for a in ds.metadata.navigation_axes]
        assert names[-1] == "x" and len(names) == len(shape)


def test_winding_without_a_scan_shape_is_refused(tmp_path):
    Series(num_frames=4).write(tmp_path)
    with pytest.raises(ArgumentError, match="scan_shape"):
        tvips_ks.open(tmp_path / "series.tvips", winding_scan_axis="x")


@pytest.mark.parametrize("bad", ["square", (0, 3), (2.5, "x")])
def test_bad_scan_shapes_are_refused(tmp_path, bad):
    Series(num_frames=4).write(tmp_path)
    with pytest.raises(ArgumentError):
        tvips_ks.open(tmp_path / "series.tvips", scan_shape=bad)


# ----------------------------------------------------------------------------- dask


@pytest.mark.parametrize("rechunking", ["auto", True, False, {0: 2}, None])
def test_to_dask_chunks_whole_frames_and_never_one_element(split, rechunking):
    s, paths = split
    with tvips_ks.open(paths[0], rechunking=rechunking) as ds:
        arr = ds.to_dask()
        assert arr.chunks[1:] == ((s.height,), (s.width,))
        if rechunking in (False, None):
            assert arr.chunks[0] == (1, 3, 2)  # one chunk per part
        elif rechunking == {0: 2}:
            assert arr.chunks[0] == (2, 2, 2)
        else:
            assert arr.chunks[0] == (6,)
        assert np.array_equal(arr.compute(), s.images)


def test_dask_graph_holds_paths_and_offsets_not_arrays(tmp_path):
    s = Series(num_frames=64, width=64, height=64)
    s.write(tmp_path)
    with tvips_ks.open(tmp_path / "series.tvips", scan_shape=(8, 8), winding_scan_axis="x",
                       hysteresis=2) as ds:
        arr = ds.to_dask(chunks=(2, 8, 64, 64))
        graph = dict(arr.__dask_graph__())
        size = len(pickle.dumps(graph))
        assert size < 20_000 < s.images.nbytes
        for task in graph.values():
            for arg in task[1:]:
                assert not isinstance(arg, np.memmap)
                assert not (isinstance(arg, np.ndarray) and arg.size > 16)
        assert np.array_equal(arr.compute(), np.asarray(ds.data))


# ------------------------------------------------------------------ truncation


def test_a_trailing_partial_record_is_dropped_with_a_warning(tmp_path):
    s = Series(num_frames=5, frames_per_part=(2, 3))
    paths = s.write(tmp_path)
    with open(paths[1], "ab") as f:
        f.write(b"\x01" * 37)
    with pytest.warns(TruncatedRecordWarning, match="37 bytes"):
        ds = tvips_ks.open(paths[0])
    assert ds.num_frames == 5
    assert ds.files[1].trailing_bytes == 37
    assert np.array_equal(np.asarray(ds.frames), s.images)


def test_a_series_with_no_complete_frame_is_an_error(tmp_path):
    s = Series(num_frames=1)
    (path,) = s.write(tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw[:300])
    with pytest.warns(TruncatedRecordWarning), pytest.raises(TruncatedRecordError):
        tvips_ks.open(path)


# ----------------------------------------------------------------------- metadata


def test_metadata_time_mode_and_calibration_of_a_camera_file(tmp_path):
    s = Series(len_frame_header=60, num_frames=3,
               main=dict(pixel_size_nm=15600, mag_total=250, bin_x=2))
    for i, v in enumerate(s.header_values):
        v.update(timestamp_s=1625140800 + i, timestamp_ms=500, tem_mode=1)
    s.write(tmp_path)
    with tvips_ks.open(tmp_path / "series.tvips") as ds:
        md = ds.metadata
        assert md.acquisition_time == datetime(2021, 7, 1, 12, 0, 0, 500000, tzinfo=timezone.utc)
        assert md.acquisition_time.tzinfo is not None
        assert md.mode == "imaging" and md.magnification == 250 and md.camera_length is None
        assert md.high_tension_kv == 300 and md.writer == "camera"
        dy, dx = md.signal_axes
        assert dx.scale == pytest.approx(15600 * 2 / 250) and dx.units == "nm"
        assert "detector pixel size" in dx.source
        (time,) = md.navigation_axes
        assert time.units == "s" and time.scale == pytest.approx(1.0)


def test_a_camera_diffraction_file_is_not_given_a_fake_calibration(tmp_path):
    s = Series(len_frame_header=60, num_frames=2)
    for v in s.header_values:
        v["tem_mode"] = 2
    s.write(tmp_path)
    with tvips_ks.open(tmp_path / "series.tvips") as ds:
        assert ds.metadata.mode == "diffraction" and ds.metadata.camera_length == 250
        assert all(a.units == "px" and a.scale == 1 for a in ds.metadata.signal_axes)


def test_the_example_series_opens(tmp_path):
    with tvips_ks.open(tvips_ks.example_path()) as ds:
        assert ds.num_frames == 200 and len(ds.files) == 3
        assert ds.layout.len_frame_header == 108
        assert ds.frame_headers["scan_x"][5:21].tolist() == list(range(16))


# ----------------------------------------------------- RosettaSciIO as an oracle


def rsciio_series(tmp_path, shape=(2, 3, 4, 5), **kwargs):
    from rsciio.tvips import file_writer

    data = np.arange(np.prod(shape), dtype=np.uint16).reshape(shape)
    axes = [dict(name=f"n{i}", size=n, scale=1.0, offset=0.0, units="", navigate=True)
            for i, n in enumerate(shape[:-2])]
    axes += [dict(name=n, size=v, scale=1.0, offset=0.0, units="1/nm", navigate=False)
             for n, v in zip(("dy", "dx"), shape[-2:])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        file_writer(str(tmp_path / "r.tvips"), dict(data=data, axes=axes, metadata={},
                                                   attributes={"_lazy": False}), **kwargs)
    return data, tmp_path / "r_000.tvips"


@pytest.mark.parametrize("writer", [{}, {"max_file_size": 500, "frame_header_extra_bytes": 12}])
@pytest.mark.parametrize("options", [
    dict(),
    dict(scan_shape=(2, 3)),
    dict(scan_shape=(2, 2), scan_start_frame=1, winding_scan_axis="x", hysteresis=1),
    dict(scan_shape=(2, 3), winding_scan_axis="y", hysteresis=-1),
    dict(scan_shape=(3, 2), winding_scan_axis="x"),
    dict(scan_shape=(1, 2, 3), winding_scan_axis="x", hysteresis=1),
])
@pytest.mark.parametrize("lazy", [False, True])
def test_data_equals_rosettasciio_on_files_it_writes(tmp_path, writer, options, lazy):
    from rsciio.tvips import file_reader

    data, first = rsciio_series(tmp_path, **writer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = file_reader(str(first), lazy=lazy, **options)[0]["data"]
    theirs = np.asarray(theirs.compute() if lazy else theirs)
    with tvips_ks.open(first, **options) as ds:
        ours = ds.to_dask().compute() if lazy else np.asarray(ds.data)
        assert ours.dtype == theirs.dtype
        assert np.array_equal(ours, theirs)
        # the frame headers RosettaSciIO writes: rotator index 1..N, the mode, 60+extra bytes
        assert ds.frame_headers["rotator_index"].tolist() == list(range(1, 7))
        assert ds.layout.len_frame_header == 60 + writer.get("frame_header_extra_bytes", 0)
        assert ds.metadata.writer == "hyperspy"


def test_rotator_auto_scan_where_rosettasciio_returns_an_empty_dataset(tmp_path):
    """The usual drop to 0 after a scan: RosettaSciIO's unsigned diff gives (0, 0)."""
    rot = [0, 0, 0, 1, 2, 3, 4, 4, 5, 6, 8, 9, 0, 0]
    s = Series(len_frame_header=60, num_frames=len(rot))
    for v, r in zip(s.header_values, rot):
        v["rotator_index"] = r
    s.write(tmp_path)
    with tvips_ks.open(tmp_path / "series.tvips", scan_shape="auto") as ds:
        assert ds.frame_index.shape == (3, 3)
        assert ds.frame_index.tolist() == [[3, 4, 5], [6, 8, 9], [9, 10, 11]]
        assert np.array_equal(np.asarray(ds.data), s.images[ds.frame_index])


def test_frame_headers_are_read_through_bounded_windows(tmp_path, monkeypatch):
    """However large the series, no more than a window of records is mapped at once."""
    s = Series(len_frame_header=108, num_frames=50, frames_per_part=(10, 40))
    s.write(tmp_path)
    import tvips_ks.io.headers as headers

    monkeypatch.setattr(headers, "_WINDOW_BYTES", 7 * s.len_record)
    counts = []
    real = headers.map_records
    monkeypatch.setattr(headers, "map_records", lambda part, first, count, dtype:
                        counts.append(count) or real(part, first, count, dtype))
    with tvips_ks.open(tmp_path / "series_000.tvips") as ds:
        for name, values in s.expected_frame_headers().items():
            assert ds.frame_headers[name].tolist() == values
    assert max(counts) == 7 and sum(counts) == 50 and len(counts) == 2 + 6


def test_an_explicit_frame_index_arranges_the_data(tmp_path):
    """A detection's map, inspected or edited, goes back into open() as it is."""
    s = Series(len_frame_header=60, num_frames=8)
    for v, r in zip(s.header_values, [0, 1, 2, 3, 4, 0, 0, 0]):
        v["rotator_index"] = r
    s.write(tmp_path)
    index = np.array([[7, 6, 5], [2, -1, 2]])
    with tvips_ks.open(tmp_path / "series.tvips", frame_index=index) as ds:
        assert ds.data.shape == (2, 3, 4, 5)
        assert np.array_equal(ds.frame_index, index)
        expected = s.images[index.clip(0)] * (index >= 0)[..., None, None]
        assert np.array_equal(np.asarray(ds.data), expected)
        assert np.array_equal(ds.to_dask().compute(), expected)
    with tvips_ks.open(tmp_path / "series.tvips", scan_shape="auto") as auto:
        assert auto.frame_index.tolist() == [[1, 2], [3, 4]]
        with tvips_ks.open(tmp_path / "series.tvips", frame_index=auto.frame_index) as again:
            assert np.array_equal(np.asarray(again.data), np.asarray(auto.data))


@pytest.mark.parametrize("index,kwargs,match", [
    ([[0, 8]], {}, "frame numbers run from 0 to 7"),
    ([[0, -2]], {}, "holds -2"),
    ([[0.5, 1]], {}, "integer array"),
    ([], {}, "non-empty"),
    ([[0, 1]], {"scan_shape": (1, 2)}, "without scan_shape"),
])
def test_a_bad_frame_index_is_refused(tmp_path, index, kwargs, match):
    Series(len_frame_header=60, num_frames=8).write(tmp_path)
    with pytest.raises(ArgumentError, match=match):
        tvips_ks.open(tmp_path / "series.tvips", frame_index=np.array(index), **kwargs)


def test_validate_prints_problems_and_says_whether_the_series_is_clean(tmp_path):
    import io

    s = Series(len_frame_header=60, num_frames=4)
    for i, v in enumerate(s.header_values):
        v.update(counter=i + 1, timestamp_s=1000 + i, timestamp_ms=0, rotator_index=i + 1)
    paths = s.write(tmp_path)
    out = io.StringIO()
    assert tvips_ks.validate(paths[0], print_file=out) is True and out.getvalue() == ""
    with open(paths[0], "ab") as f:
        f.write(b"\0" * 10)
    out = io.StringIO()
    assert tvips_ks.validate(paths[0], print_file=out) is False
    assert "partial record of 10 bytes" in out.getvalue()
    out = io.StringIO()
    assert tvips_ks.validate(tmp_path / "missing_000.tvips", print_file=out) is False
    assert "does not exist" in out.getvalue()
