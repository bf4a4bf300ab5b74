"""tvips_ks.save: writing series, losing nothing (issue 4)."""

from __future__ import annotations

import errno
import os
import warnings
from datetime import datetime, timezone

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tvips_ks
from tvips_ks import ArgumentError, SeriesError, TvipsWarning


def frames(shape, dtype="u2", seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)


# ------------------------------------------------------------------------ round trips


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    nav=st.lists(st.integers(1, 4), min_size=0, max_size=2),
    height=st.integers(1, 6), width=st.integers(1, 6),
    dtype=st.sampled_from(["u1", "u2"]),
    version=st.sampled_from([1, 2]),
    extra=st.integers(0, 60),
    split=st.booleans(),
    values=st.fixed_dictionaries({
        "high_tension_kv": st.integers(0, 2**32 - 1), "pixel_size_nm": st.integers(0, 10**6),
        "mag_total": st.integers(0, 10**6), "bin_x": st.integers(1, 8),
        "bin_y": st.integers(1, 8), "offset_x": st.integers(0, 4096),
        "offset_y": st.integers(0, 4096)}),
    seed=st.integers(0, 2**16),
)
def test_save_then_open_gives_back_data_and_every_header_value(
        tmp_path_factory, nav, height, width, dtype, version, extra, split, values, seed):
    tmp = tmp_path_factory.mktemp("rt")
    data = frames((*nav, height, width), dtype, seed)
    n = int(np.prod(nav, dtype=int))
    rng = np.random.default_rng(seed)
    headers = {"counter": rng.integers(0, 2**32, n), "timestamp_s": rng.integers(0, 2**32, n),
               "timestamp_ms": rng.integers(0, 1000, n)}
    if version == 2:
        headers.update(rotator_index=rng.integers(0, 2**32, n),
                       stage_alpha=rng.normal(size=n).astype(np.float32),
                       scan_x=rng.integers(0, 100, n).astype(np.float32), tem_mode=1)
    len_fh = 12 if version == 1 else 72 + extra  # scan_x ends at 72
    record = len_fh + height * width * np.dtype(dtype).itemsize
    max_file_size = 256 + record * 2 if split else None
    paths = tvips_ks.save(tmp / "x.tvips", data, version=version,
                          frame_header_extra_bytes=extra if version == 2 else 0,
                          frame_headers=headers, max_file_size=max_file_size, **values)
    expected_parts = 1 if not split else 1 + max(0, -(-(n - 2) // ((256 + 2 * record) // record)))
    assert len(paths) == expected_parts
    with tvips_ks.open(paths[0]) as ds:
        assert np.array_equal(np.asarray(ds.frames), data.reshape(n, height, width))
        for key, value in values.items():
            assert int(ds.header[key]) == value
        assert int(ds.header["version"]) == version
        assert ds.layout.len_frame_header == len_fh
        fh = ds.frame_headers
        for key, value in headers.items():
            assert np.array_equal(fh[key], np.broadcast_to(value, n).astype(fh[key].dtype)), key
    for p in paths:
        assert max_file_size is None or p.stat().st_size <= max_file_size


def test_default_frame_headers(tmp_path):
    start = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    tvips_ks.save(tmp_path / "x.tvips", frames((5, 2, 2)), start_time=start,
                  frame_interval=0.4, mode=1)
    with tvips_ks.open(tmp_path / "x.tvips") as ds:
        fh = ds.frame_headers
        assert fh["counter"].tolist() == [1, 2, 3, 4, 5]
        assert fh["rotator_index"].tolist() == [1, 2, 3, 4, 5]
        t = fh["timestamp_s"] + fh["timestamp_ms"] / 1000
        assert np.allclose(t - start.timestamp(), [0, 0.4, 0.8, 1.2, 1.6])
        assert (fh["tem_mode"] == 1).all()
        assert ds.layout.len_frame_header == 60
        assert ds.metadata.acquisition_time == start


def test_a_2d_image_is_one_frame_and_both_names_give_000(tmp_path):
    image = frames((3, 4))
    assert tvips_ks.save(tmp_path / "a.tvips", image) == [tmp_path / "a_000.tvips"]
    assert tvips_ks.save(tmp_path / "b_000.tvips", image) == [tmp_path / "b_000.tvips"]
    with tvips_ks.open(tmp_path / "a_000.tvips") as ds:
        assert ds.num_frames == 1 and np.array_equal(ds.frames[0], image)


def test_version_1_writes_12_byte_frame_headers(tmp_path):
    data = frames((3, 2, 2))
    tvips_ks.save(tmp_path / "v1.tvips", data, version=1)
    assert (tmp_path / "v1_000.tvips").stat().st_size == 256 + 3 * (12 + 8)
    with pytest.raises(ArgumentError, match="does not exist in version 1"):
        tvips_ks.save(tmp_path / "v1b.tvips", data, version=1, frame_headers={"scan_x": 1.0})


def test_fields_beyond_the_core_lengthen_the_header(tmp_path):
    tvips_ks.save(tmp_path / "s.tvips", frames((4, 2, 2)),
                  frame_headers={"scan_x": np.arange(4, dtype=np.float32),
                                 "scan_y": np.zeros(4, np.float32)},
                  frame_header_extra_bytes=32)
    with tvips_ks.open(tmp_path / "s.tvips") as ds:
        assert ds.layout.len_frame_header == 108
        assert ds.frame_headers["scan_x"].tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("dtype", ["f4", "i2", "?", "i8", "c8", "f8"])
def test_unsupported_pixel_types_are_refused(tmp_path, dtype):
    with pytest.raises(ArgumentError, match="unsigned"):
        tvips_ks.save(tmp_path / "x.tvips", np.zeros((2, 3, 3), dtype))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("dtype", ["u4", "u8"])
def test_uint32_and_uint64_are_written_with_a_warning(tmp_path, dtype):
    """HyperSpy writes them; camera software reads 8 and 16 bits only (issue 14)."""
    data = frames((2, 3, 3), dtype)
    with pytest.warns(TvipsWarning, match=f"{np.dtype(dtype).itemsize * 8}-bit"):
        tvips_ks.save(tmp_path / "x.tvips", data)
    with tvips_ks.open(tmp_path / "x.tvips") as ds:
        assert np.array_equal(np.asarray(ds.frames), data)


def test_rounded_header_values_warn(tmp_path):
    with pytest.warns(TvipsWarning, match="integer 3"):
        tvips_ks.save(tmp_path / "x.tvips", frames((1, 2, 2)), pixel_size_nm=2.6)
    with pytest.raises(ArgumentError, match="unsigned 32-bit"):
        tvips_ks.save(tmp_path / "y.tvips", frames((1, 2, 2)), offset_x=-2)


@pytest.mark.parametrize("kwargs,match", [
    (dict(max_file_size=256 + 60 + 7), "smaller than the main header plus one record"),
    (dict(version=3), "version"),
    (dict(mode=5), "mode"),
    (dict(frame_header_extra_bytes=-1), "frame_header_extra_bytes"),
    (dict(frame_headers={"nonsense": 1}), "unknown field"),
    (dict(frame_headers={"counter": [1, 2]}), "one value per frame"),
    (dict(start_time=datetime(2020, 1, 1)), "timezone-aware"),
])
def test_bad_arguments_are_refused_before_anything_is_written(tmp_path, kwargs, match):
    with pytest.raises(ArgumentError, match=match):
        tvips_ks.save(tmp_path / "x.tvips", frames((3, 2, 4)), **kwargs)
    assert not list(tmp_path.iterdir())


def test_max_file_size_splits_into_whole_records(tmp_path):
    data = frames((10, 3, 3))  # record 60 + 18 = 78
    paths = tvips_ks.save(tmp_path / "x.tvips", data, max_file_size=256 + 78 * 3)
    sizes = [p.stat().st_size for p in paths]
    assert sizes == [256 + 78 * 3, 78 * 6, 78 * 1]
    with tvips_ks.open(paths[2]) as ds:
        assert [p.num_frames for p in ds.files] == [3, 6, 1]
        assert np.array_equal(np.asarray(ds.frames), data)


def test_dask_input_is_written_chunk_by_chunk(tmp_path):
    da = pytest.importorskip("dask.array")
    data = frames((6, 5, 4, 4))
    computed = []

    def record(block):
        computed.append(block.shape)
        return block

    lazy = da.from_array(data, chunks=(2, 5, 4, 4)).map_blocks(record, dtype=data.dtype,
                                                            meta=np.empty((0,) * 4, data.dtype))
    tvips_ks.save(tmp_path / "d.tvips", lazy, max_file_size=256 + 92 * 7)
    assert computed == [(2, 5, 4, 4)] * 3
    with tvips_ks.open(tmp_path / "d.tvips") as ds:
        assert np.array_equal(np.asarray(ds.frames), data.reshape(30, 4, 4))


def test_progress_bar_on_request(tmp_path, capsys):
    tvips_ks.save(tmp_path / "p.tvips", frames((4, 2, 2)), progress=True)
    assert "4/4 frames" in capsys.readouterr().err
    tvips_ks.save(tmp_path / "q.tvips", frames((4, 2, 2)), progress=False)
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------------ nothing lost


def snapshot(directory):
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.fixture
def previous(tmp_path):
    tvips_ks.save(tmp_path / "s.tvips", frames((9, 4, 4), seed=1), max_file_size=256 + 92 * 3)
    return snapshot(tmp_path)


def test_an_existing_series_is_not_replaced_without_consent(tmp_path, previous):
    with pytest.raises(SeriesError, match="overwrite=True"):
        tvips_ks.save(tmp_path / "s_000.tvips", frames((2, 4, 4)))
    assert snapshot(tmp_path) == previous


def test_an_overwrite_with_fewer_parts_removes_the_surplus(tmp_path, previous):
    assert len(previous) == 3  # 3 + 5 + 1 records
    new = frames((2, 4, 4), seed=2)
    assert tvips_ks.save(tmp_path / "s.tvips", new, overwrite=True) == [tmp_path / "s_000.tvips"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s_000.tvips"]
    with tvips_ks.open(tmp_path / "s.tvips") as ds:
        assert np.array_equal(np.asarray(ds.frames), new)


class Exploding:
    """An array-like whose frames fail part-way through."""

    shape = (9, 4, 4)
    dtype = np.dtype("u2")

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("source failed")


def test_a_failing_data_source_leaves_the_previous_series_intact(tmp_path, previous):
    with pytest.raises(RuntimeError, match="source failed"):
        tvips_ks.save(tmp_path / "s.tvips", Exploding(), overwrite=True)
    assert snapshot(tmp_path) == previous


def test_a_failing_dask_compute_leaves_the_previous_series_intact(tmp_path, previous):
    da = pytest.importorskip("dask.array")
    good = frames((9, 4, 4), seed=3)

    def boom(block, block_info=None):
        if block_info[0]["chunk-location"][0] == 2:
            raise RuntimeError("compute failed")
        return block

    lazy = da.from_array(good, chunks=(3, 4, 4)).map_blocks(boom, dtype=good.dtype,
                                                          meta=np.empty((0,) * 3, good.dtype))
    with pytest.raises(RuntimeError, match="compute failed"):
        tvips_ks.save(tmp_path / "s.tvips", lazy, overwrite=True, max_file_size=256 + 92 * 3)
    assert snapshot(tmp_path) == previous


def test_a_full_disk_leaves_the_previous_series_intact(tmp_path, previous, monkeypatch):
    import builtins

    real_open = builtins.open
    written = {"n": 0}

    class FullDisk:
        def __init__(self, f):
            self._f = f

        def write(self, b):
            written["n"] += len(memoryview(b).cast("B"))
            if written["n"] > 600:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self._f.write(b)

        def __getattr__(self, name):
            return getattr(self._f, name)

    def fake_open(file, mode="r", *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        return FullDisk(f) if "w" in mode and str(file).endswith(".partial") else f

    monkeypatch.setattr(builtins, "open", fake_open)
    with pytest.raises(tvips_ks.WriteError, match="No space left") as info:
        tvips_ks.save(tmp_path / "s.tvips", frames((9, 4, 4), seed=4), overwrite=True,
                      max_file_size=256 + 92 * 3)
    monkeypatch.undo()
    assert snapshot(tmp_path) == previous
    # the error names the user's file, not the hidden temporary one, and keeps the OSError
    assert info.value.path.endswith(("s_000.tvips", "s_001.tvips", "s_002.tvips"))
    assert ".partial" not in str(info.value)
    assert isinstance(info.value.__cause__, OSError)
    assert info.value.__cause__.errno == errno.ENOSPC


# ------------------------------------------------------- other readers accept our files


@pytest.mark.parametrize("kwargs", [{}, {"max_file_size": 256 + 100 * 2},
                                    {"frame_header_extra_bytes": 20}])
def test_rosettasciio_reads_what_tvips_ks_writes(tmp_path, kwargs):
    from rsciio.tvips import file_reader

    data = frames((2, 3, 4, 5))
    tvips_ks.save(tmp_path / "w.tvips", data, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = file_reader(str(tmp_path / "w_000.tvips"), scan_shape=(2, 3))[0]
    assert np.array_equal(theirs["data"], data)


def test_the_generated_parser_reads_what_tvips_ks_writes(tmp_path):
    from tvips_ks.generated import Tvips

    data = frames((3, 2, 5), "u1")
    tvips_ks.save(tmp_path / "k.tvips", data, frame_headers={"rotator_index": [7, 8, 9]})
    parsed = Tvips.from_file(str(tmp_path / "k_000.tvips"))
    assert [r.frame_header.rotator_index for r in parsed.records] == [7, 8, 9]
    assert [bytes(r.image) for r in parsed.records] == [f.tobytes() for f in data]
    assert os.path.getsize(tmp_path / "k_000.tvips") == 256 + 3 * (60 + 10)


@pytest.mark.parametrize("which", ["frames", "data"])
def test_another_series_is_copied_batch_by_batch(tmp_path, monkeypatch, which):
    """save(out, ds.frames / ds.data) streams; it never reads the source whole."""
    data = frames((12, 8, 8), seed=5)
    tvips_ks.save(tmp_path / "src.tvips", data, max_file_size=256 + 188 * 5)
    import tvips_ks.io.writer as writer

    monkeypatch.setattr(writer, "_BATCH_BYTES", 188 * 3)  # 3 records per batch
    with tvips_ks.open(tmp_path / "src.tvips", scan_shape=(3, 4), winding_scan_axis="x") as ds:
        source = getattr(ds, which)
        monkeypatch.setattr(type(source), "__array__", lambda *a, **k: pytest.fail("read whole"))
        tvips_ks.save(tmp_path / "copy.tvips", source, frame_headers=ds.frame_headers
                      if which == "frames" else None)
        expected = np.asarray(ds.frames[:]) if which == "frames" else \
            data[ds.frame_index.ravel()]
        with tvips_ks.open(tmp_path / "copy.tvips") as copy:
            assert np.array_equal(np.asarray(copy.frames[:]), expected)
            if which == "frames":
                assert np.array_equal(copy.frame_headers, ds.frame_headers)
