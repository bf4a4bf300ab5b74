"""Pending kill tests for the read group (moved into test_mutation_kills_read.py once the
mutation run that uses that file is over)."""

import os

import numpy as np
import pytest

import tvips_ks
from builders import Series
from tvips_ks import arrays


def _one_part(tmp_path, n=10):
    data = np.random.default_rng(9).integers(0, 2**16, (n, 2, 3), dtype=np.uint16)
    path = tvips_ks.save(tmp_path / "s.tvips", data)[0]
    table = tvips_ks.open(path).table
    return data, table, table.used[0]


@pytest.fixture(scope="module")
def three_parts(tmp_path_factory):
    s = Series(num_frames=30, frames_per_part=(7, 13, 10), height=3, width=4, seed=3)
    return s.write(tmp_path_factory.mktemp("three"))[0], s.images


@pytest.mark.parametrize("key, how", [
    (slice(2, 20), (2, 20)),           # a plain run across parts: one range
    (slice(0, 7, 2), (0, 7)),          # stepped, ending on the part's last frame: its map
    (slice(19, 7, -3), (10, 20)),      # stepped backwards inside the second part
    (slice(6, 12, 2), [6, 8, 10]),     # stepped across parts: only its own frames
    (slice(5, 5), []),                 # empty: nothing
], ids=["run", "stepped-to-part-end", "backwards", "stepped-across", "empty"])
def test_a_run_of_frames_is_read_as_a_span_of_one_part_or_as_its_own_frames(
        three_parts, monkeypatch, key, how):
    path, images = three_parts
    calls = []
    real = arrays.read_frames

    def spy(table, frames, pixels=()):
        calls.append(frames if isinstance(frames, tuple) else np.asarray(frames).tolist())
        return real(table, frames, pixels)

    monkeypatch.setattr(arrays, "read_frames", spy)
    with tvips_ks.open(path) as ds:
        got = ds.frames[key]
    assert calls == [how]
    assert got.shape == images[key].shape and got.dtype == images.dtype
    np.testing.assert_array_equal(got, images[key])


def test_an_array_that_cannot_be_made_without_a_copy_names_its_type(three_parts):
    path, _ = three_parts
    with tvips_ks.open(path, scan_shape=(5, 6)) as ds:
        with pytest.raises(ValueError, match="a ScanArray is read"):
            np.asarray(ds.data, copy=False)


def test_a_read_error_in_the_middle_of_a_gather_names_the_part(tmp_path, monkeypatch):
    import errno

    from tvips_ks.io import gather

    data, table, part = _one_part(tmp_path)

    def fail(fd, buffers, pos):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(gather.os, "preadv", fail)
    with pytest.raises(tvips_ks.SeriesError) as info:
        gather.read_frames(table, np.array([3, 1]))
    assert info.value.path == str(part.path)
    assert os.strerror(errno.EIO) in str(info.value)


def test_the_kernel_is_asked_to_read_ahead_only_for_runs_read_whole(tmp_path, monkeypatch):
    """A range of frames is read in full, so its records are announced to the kernel; the
    windows mapped to pick a few scattered frames' pixels are not (the hint would read
    every record of the window)."""
    from tvips_ks.io import gather

    data, table, part = _one_part(tmp_path)
    hints = []
    monkeypatch.setattr(gather, "advise_read", lambda fd, pos, length: hints.append((pos, length)))
    gather.read_frames(table, (2, 6))
    assert hints == [(part.offset + 2 * part.len_record, 4 * part.len_record)]
    hints.clear()
    got = gather.read_frames(table, np.array([7, 1]), (slice(0, 2), 1))
    np.testing.assert_array_equal(got, data[[7, 1], 0:2, 1])
    assert hints == []


def test_a_scan_is_cut_into_views_unless_they_cost_more_tasks_than_gathering(tmp_path,
                                                                             monkeypatch):
    """7 frames of 256 bytes, gathered 3 at a time (ceil(7 / 3) = 3 blocks), or cut into
    views of 2 (4 blocks): one extra task, worth 1500 bytes of copying here, is less than
    copying the 1792 bytes, so the views are kept."""
    from tvips_ks.io import chunks, daskio, views

    monkeypatch.setattr(chunks, "GATHER_CHUNK_BYTES", 3 * 256)
    monkeypatch.setattr(daskio, "GATHER_CHUNK_BYTES", 3 * 256)
    monkeypatch.setattr(daskio, "SCAN_VIEW_BYTES", 2 * 256)
    monkeypatch.setattr(views, "TASK_COST_BYTES", 1500)
    data = np.arange(8 * 16 * 8, dtype=np.uint16).reshape(8, 16, 8)  # 256-byte frames
    path = tvips_ks.save(tmp_path / "s.tvips", data)[0]
    with tvips_ks.open(path, scan_shape=(7,), scan_start_frame=1) as ds:
        arr = ds.to_dask()
        assert arr.chunks == ((2, 2, 2, 1), (16,), (8,))
        np.testing.assert_array_equal(arr.compute(), data[1:])
        monkeypatch.setattr(views, "TASK_COST_BYTES", 1800)  # now the extra task costs more
        assert ds.to_dask().chunks == ((3, 3, 1), (16,), (8,))
