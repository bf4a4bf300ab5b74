"""Behaviours no other test pinned down (issue 19): each was a surviving mutant.

When plausible single bugs were put into the core one at a time, these went
unnoticed: dask chunks of parts that fill a chunk exactly or are empty, a dask
read that differed from the numpy read, saving over a one-part series,
constant time stamps, ``check``'s boundaries and exit status, a neighbouring
four-digit file, ``file_writer``'s minimum part size and Ctrl-C in the CLI.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from builders import Series

import tvips_ks
import tvips_ks.rsciio as ks_rsciio
from tvips_ks import SeriesError, TvipsWarning
from tvips_ks.audit.check import check_series
from tvips_ks.cli import main as cli_main
from tvips_ks.generated import tables
from tvips_ks.io.chunks import normalize_nav_chunks, part_aligned


# -- dask chunks ------------------------------------------------------------------------------

@pytest.mark.parametrize("parts,per_chunk,expected", [
    ([3, 1], 4, (4,)),             # neighbours that fill a chunk exactly are merged
    ([4], 4, (4,)),                # a part of exactly one chunk is not cut
    ([2, 2, 2], 4, (4, 2)),
    ([5], 4, (3, 2)),              # near-equal pieces, the larger first
    ([9], 4, (3, 3, 3)),
    ([0, 3, 0, 1], 4, (4,)),       # empty parts give no chunk
    ([3, 2], 4, (3, 2)),
    ([1, 1, 1, 1, 1], 2, (2, 2, 1)),
])
def test_part_aligned_chunks(parts, per_chunk, expected):
    assert part_aligned(parts, per_chunk) == expected
    assert sum(expected) == sum(parts)


def write(tmp_path, series: Series, stem="s"):
    return series.write(tmp_path, stem)[0]


@pytest.fixture
def with_empty_part(tmp_path):
    """A series of 5 frames whose middle part is an empty file."""
    s = Series(num_frames=5, frames_per_part=(3, 0, 2), width=3, height=2, seed=7)
    return write(tmp_path, s), s


@pytest.mark.parametrize("chunks", [False, None])
def test_no_zero_size_chunk_for_an_empty_part(with_empty_part, chunks):
    path, s = with_empty_part
    with tvips_ks.open(path, rechunking=chunks) as ds:  # to_dask(chunks=None): rechunking
        lazy = ds.to_dask()
        assert lazy.chunks == ((3, 2), (2,), (3,))
        np.testing.assert_array_equal(lazy.compute(), s.images)
    assert normalize_nav_chunks(False, (5,), (2, 3), np.uint16, [3, 0, 2]) == \
        ((3, 2), (2,), (3,))


def test_auto_chunks_of_a_series_with_an_empty_part(with_empty_part):
    path, s = with_empty_part
    with tvips_ks.open(path) as ds:
        lazy = ds.to_dask()
        assert lazy.chunks == ((5,), (2,), (3,))
        np.testing.assert_array_equal(lazy.compute(), s.images)


def expected_flyback_index(num_frames, shape, start, pad):
    """Frame of each position of a fly-back scan (research notes 3.5), -1 past the end."""
    k = start + np.arange(int(np.prod(shape)))
    k[(k < 0) | (k >= num_frames)] = -1
    return k.reshape(shape)


def test_negative_start_with_pad_and_one_chunk_per_row(tmp_path):
    s = Series(num_frames=10, frames_per_part=(4, 6), width=3, height=2, seed=8)
    path = write(tmp_path, s)
    with tvips_ks.open(path, scan_shape=(3, 4), scan_start_frame=-2, pad=True) as ds:
        eager = np.asarray(ds.data)
        lazy = ds.to_dask(chunks=False)
        assert lazy.chunks[:2] == ((1, 1, 1), (4,))
        np.testing.assert_array_equal(lazy.compute(), eager)
    index = expected_flyback_index(10, (3, 4), -2, True)
    np.testing.assert_array_equal(ds.frame_index, index)
    expected = np.where((index >= 0)[..., None, None], s.images[index], 0)
    np.testing.assert_array_equal(eager, expected)


SCANS = [  # (scan_shape, scan_start_frame, winding_scan_axis, hysteresis, pad)
    ((3, 4), 0, None, 0, False),
    ((3, 4), -3, None, 0, True),
    ((3, 4), 2, None, 0, True),
    ((2, 5), 1, None, 0, False),
    ((3, 4), 0, "x", 0, False),
    ((3, 4), -1, "x", 1, True),
    ((3, 4), 1, "y", 1, True),
    ((4, 3), 0, "y", -1, False),
    ((2, 2, 3), 0, "x", 0, False),
    ((12,), 0, None, 0, False),
    ((3, 5), -4, "x", 2, True),
]
CHUNKINGS = ["auto", False, None, True, (1, 2, -1, -1), {0: 2}, "uneven"]


def chunkings(shape):
    """CHUNKINGS for a scan of ``shape``: "uneven" cuts the first scan axis 1 + rest."""
    for chunks in CHUNKINGS:
        if chunks == "uneven":
            first = (1, shape[0] - 1) if shape[0] > 1 else (1,)
            yield (first,) + (-1,) * (len(shape) + 1)
        elif not isinstance(chunks, tuple) or len(chunks) == len(shape) + 2:
            yield chunks


@pytest.mark.parametrize("scan", SCANS, ids=lambda s: "-".join(map(str, s)))
def test_dask_equals_numpy_for_every_scan_and_chunking(tmp_path, scan):
    shape, start, winding, hysteresis, pad = scan
    s = Series(num_frames=12, frames_per_part=(5, 0, 4, 3), width=3, height=2, seed=9)
    path = write(tmp_path, s)
    with tvips_ks.open(path, scan_shape=shape, scan_start_frame=start,
                       winding_scan_axis=winding, hysteresis=hysteresis, pad=pad) as ds:
        eager = np.asarray(ds.data)
        index = ds.frame_index
        expected = np.where((index >= 0)[..., None, None], s.images[index], 0)
        np.testing.assert_array_equal(eager, expected)
        if winding is None:
            np.testing.assert_array_equal(index, expected_flyback_index(12, shape, start, pad))
        for chunks in chunkings(shape):
            lazy = ds.to_dask(chunks=chunks)
            assert lazy.shape == eager.shape and lazy.dtype == eager.dtype
            assert all(c for axis in lazy.chunks for c in axis), chunks  # no empty chunk
            np.testing.assert_array_equal(lazy.compute(), eager, err_msg=str(chunks))


@pytest.mark.parametrize("chunks", CHUNKINGS[:4] + [(2, -1, -1), {0: 3}, ((1, 5, 3), -1, -1)])
def test_dask_equals_numpy_for_a_stack(tmp_path, chunks):
    s = Series(num_frames=9, frames_per_part=(2, 3, 0, 4), width=2, height=3, seed=10)
    path = write(tmp_path, s)
    with tvips_ks.open(path) as ds:
        lazy = ds.to_dask(chunks=chunks)
        assert all(c for axis in lazy.chunks for c in axis)
        np.testing.assert_array_equal(lazy.compute(), s.images)
        np.testing.assert_array_equal(np.asarray(ds.data), s.images)


# -- saving over a series -----------------------------------------------------------------------

def snapshot(directory):
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.mark.parametrize("target", ["s.tvips", "s_000.tvips"])
def test_saving_over_a_single_part_series_needs_overwrite(tmp_path, target):
    first = np.arange(2 * 3 * 4, dtype=np.uint16).reshape(2, 3, 4)
    assert tvips_ks.save(tmp_path / "s.tvips", first) == [tmp_path / "s_000.tvips"]
    before = snapshot(tmp_path)
    with pytest.raises(SeriesError, match=r"already exists here \(1 part\(s\)\).*overwrite=True"):
        tvips_ks.save(tmp_path / target, first + 1)
    assert snapshot(tmp_path) == before
    tvips_ks.save(tmp_path / target, first + 1, overwrite=True)
    with tvips_ks.open(tmp_path / "s_000.tvips") as ds:
        np.testing.assert_array_equal(np.asarray(ds.data), first + 1)


# -- time stamps --------------------------------------------------------------------------------

def test_constant_time_stamps_give_no_frame_interval(tmp_path):
    s = Series(num_frames=4, seed=11, frames=dict(timestamp_s=1_700_000_000, timestamp_ms=250))
    with tvips_ks.open(write(tmp_path, s)) as ds:
        meta = ds.metadata
    assert meta.frame_interval_s is None
    assert meta.acquisition_time == datetime(2023, 11, 14, 22, 13, 20, 250000, timezone.utc)
    [nav] = meta.navigation_axes
    assert nav.units != "s" and nav.scale == 1  # frames, not a time axis of step 0


def test_time_stamps_going_back_give_no_frame_interval(tmp_path):
    s = Series(num_frames=3, seed=12, frames=dict(timestamp_s=[5, 4, 3], timestamp_ms=0))
    with tvips_ks.open(write(tmp_path, s)) as ds:
        assert ds.metadata.frame_interval_s is None


# -- check ----------------------------------------------------------------------------------

def check_of(tmp_path, stem="c", **frames):
    n = len(next(iter(frames.values())))
    values = dict(frames)
    values["counter"] = list(range(1, n + 1))
    s = Series(num_frames=n, seed=13, frames=values)
    return check_series(write(tmp_path, s, stem))


def test_check_reports_a_time_stamp_one_millisecond_back(tmp_path):
    res = check_of(tmp_path, timestamp_s=[10, 10, 10, 10], timestamp_ms=[0, 5, 4, 9],
                   rotator_index=[0, 0, 0, 0])
    assert [(p.kind, p.frame) for p in res.problems] == [("timestamp", 2)]
    assert "goes back by 0.001 s" in res.problems[0].message


@pytest.mark.parametrize("restart", [0, 1])
def test_check_accepts_a_rotator_index_restarting_at_0_or_1(tmp_path, restart):
    res = check_of(tmp_path, timestamp_s=list(range(6)), timestamp_ms=[0] * 6,
                   rotator_index=[1, 2, 3, restart, 2, 3])
    assert res.ok, [str(p) for p in res.problems]


def test_check_reports_a_rotator_index_falling_to_2(tmp_path):
    res = check_of(tmp_path, timestamp_s=list(range(6)), timestamp_ms=[0] * 6,
                   rotator_index=[1, 2, 3, 2, 3, 4])
    assert [(p.kind, p.frame) for p in res.problems] == [("rotator", 3)]


def test_check_exits_2_when_an_unreadable_path_comes_before_a_problem(tmp_path, capsys):
    s = Series(num_frames=3, seed=14, frames=dict(counter=[1, 2, 5], timestamp_s=[1, 2, 3]))
    bad = write(tmp_path, s, "bad")
    missing = tmp_path / "none_000.tvips"
    for paths, status in [([missing, bad], 2), ([bad, missing], 2), ([bad], 1), ([missing], 2)]:
        capsys.readouterr()
        assert cli_main(["check", *map(str, paths)]) == status, paths
        out, err = capsys.readouterr()
        assert ("counter jumps from 2 to 5" in out) == (bad in paths)
        assert ("does not exist" in err) == (missing in paths)


# -- naming -----------------------------------------------------------------------------------

def test_a_four_digit_neighbour_is_not_a_part(tmp_path):
    s = Series(num_frames=4, frames_per_part=(2, 2), seed=15,
               frames=dict(counter=[1, 2, 3, 4], timestamp_s=[1, 2, 3, 4], rotator_index=0))
    first = write(tmp_path, s)
    (tmp_path / "s_0001.tvips").write_bytes(s.part_bytes()[1] * 2)
    (tmp_path / "s_01.tvips").write_bytes(b"junk")
    (tmp_path / "s_002.tvips.bak").write_bytes(b"junk")
    with tvips_ks.open(first) as ds:
        assert [p.path.name for p in ds.files] == ["s_000.tvips", "s_001.tvips"]
        np.testing.assert_array_equal(np.asarray(ds.data), s.images)
    assert check_series(first).ok


# -- RosettaSciIO's file_writer: the minimum part size ---------------------------------------------

@pytest.mark.parametrize("version,extra", [(2, 0), (2, 8), (2, 100), (1, 0)])
def test_file_writer_raises_a_small_max_file_size_to_the_minimum(tmp_path, version, extra):
    hs = pytest.importorskip("hyperspy.api")
    data = np.arange(3 * 4 * 5, dtype=np.uint16).reshape(3, 4, 5)
    signal = hs.signals.Signal2D(data)._to_dictionary()
    len_frame_header = 12 if version == 1 else tables.LEN_FRAME_HEADER_CORE + extra
    record = len_frame_header + 4 * 5 * 2
    minimum = 256 + record
    with pytest.warns(TvipsWarning, match=f"below the minimum file size for this dataset, "
                                          f"{minimum} bytes"):
        ks_rsciio.file_writer(tmp_path / "w.tvips", signal, max_file_size=100,
                              version=version, frame_header_extra_bytes=extra)
    parts = sorted(tmp_path.glob("w_*.tvips"))
    # the minimum holds the main header and one record; later parts hold whole records
    # up to that size, here the other two frames
    assert minimum // record >= 2
    assert [p.stat().st_size for p in parts] == [minimum, 2 * record]
    with tvips_ks.open(parts[0]) as ds:
        assert ds.layout.len_record == record
        np.testing.assert_array_equal(np.asarray(ds.data), data)


def test_file_writer_keeps_a_max_file_size_at_the_minimum(tmp_path, recwarn):
    hs = pytest.importorskip("hyperspy.api")
    signal = hs.signals.Signal2D(np.zeros((3, 4, 5), dtype=np.uint8))
    minimum = 256 + 68 + 20
    ks_rsciio.file_writer(tmp_path / "w.tvips", signal, max_file_size=minimum,
                          frame_header_extra_bytes=8)
    assert not [w for w in recwarn if issubclass(w.category, TvipsWarning)]
    assert [p.stat().st_size for p in sorted(tmp_path.glob("w_*.tvips"))] == \
        [minimum, 2 * 88]


# -- the command line -----------------------------------------------------------------------------

@pytest.mark.parametrize("command,target", [
    (["check"], "tvips_ks.cli.check.check_series"),
    (["info"], "tvips_ks.cli.info.run"),
])
def test_ctrl_c_exits_130(tmp_path, capsys, monkeypatch, command, target):
    path = write(tmp_path, Series(num_frames=2, seed=16))

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(target, interrupted)
    capsys.readouterr()
    assert cli_main([*command, str(path)]) == 130
    out, err = capsys.readouterr()
    assert out == "" and err.strip().endswith("interrupted")
    assert len(err.strip().splitlines()) == 1

