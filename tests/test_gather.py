"""Gathering frames (tvips_ks.io.gather.read_frames): the preadv path for whole frames
and the mapped path for pixel selections give numpy's answer for any set of frames,
across parts, in batches, after a short read, and refuse a file that shrank."""

from __future__ import annotations

import os

import numpy as np
import pytest

import tvips_ks
import tvips_ks.io.gather as gather
from tvips_ks.io.gather import read_frames

LEN_RECORD = 60 + 6 * 7 * 2


@pytest.fixture
def series(tmp_path):
    data = np.random.default_rng(3).integers(0, 2**16, (40, 6, 7), dtype=np.uint16)
    paths = tvips_ks.save(tmp_path / "g.tvips", data, max_file_size=256 + LEN_RECORD * 15)
    assert len(paths) == 3
    return data, tvips_ks.open(paths[0]).table


WANTED = [
    np.arange(40),                       # every frame, in order, across parts
    np.arange(39, -1, -1),               # reversed
    np.array([3, 3, 17, -1, 0, 39, 14, 15, 16, 30]),  # repeats, zeros, part edges
    np.random.default_rng(1).permutation(40)[:25],
    np.array([], dtype=np.int64),
]


@pytest.mark.parametrize("direct", [True, False], ids=["preadv", "mapped"])
@pytest.mark.parametrize("batch", [1, 3, 1024])
@pytest.mark.parametrize("k", range(len(WANTED)))
def test_gather_equals_numpy(series, monkeypatch, direct, batch, k):
    data, table = series
    monkeypatch.setattr(gather, "PREAD", direct and gather.PREAD)
    monkeypatch.setattr(gather, "IOV_BATCH", batch)
    wanted = WANTED[k]
    expected = np.where((wanted >= 0)[:, None, None], data[np.maximum(wanted, 0)], 0)
    got = read_frames(table, wanted)
    assert got.dtype == data.dtype and np.array_equal(got, expected)


def test_gather_into_a_given_buffer_and_a_pixel_selection(series):
    data, table = series
    wanted = np.array([20, 2, 33, 34])
    out = np.full((4, 6, 7), 7, dtype=np.uint16)
    assert read_frames(table, wanted, out=out) is out
    assert np.array_equal(out, data[wanted])
    assert np.array_equal(read_frames(table, wanted, (slice(1, 4), 2)), data[wanted, 1:4, 2])
    strided = np.zeros((4, 6, 14), dtype=np.uint16)[:, :, ::2]  # not contiguous: mapped path
    assert np.array_equal(read_frames(table, wanted, out=strided), data[wanted])


def test_a_short_read_of_an_unchanged_file_is_read_again_through_a_map(series, monkeypatch):
    data, table = series
    real = os.preadv
    monkeypatch.setattr(gather.os, "preadv", lambda fd, bufs, pos: real(fd, bufs[:1], pos))
    wanted = np.array([5, 6, 7, 20, 21])
    assert np.array_equal(read_frames(table, wanted), data[wanted])


def test_a_file_that_shrank_is_refused_not_read_as_zeros(series):
    data, table = series
    last = table.used[-1]
    os.truncate(last.path, last.offset + 2 * LEN_RECORD)
    assert np.array_equal(read_frames(table, np.array([0, 31])), data[[0, 31]])
    with pytest.raises(tvips_ks.SeriesError, match="shorter than when the series was opened"):
        read_frames(table, np.array([0, 35]))


# -- writing in pieces (tvips_ks.io.partwriter.write_fully) ---------------------------------

class ShortWriter:
    """A file object whose writes take at most ``limit`` bytes, or none."""

    name = "stand-in"

    def __init__(self, limit):
        self.limit, self.calls, self.data = limit, [], bytearray()

    def write(self, view):
        self.calls.append(len(view))
        taken = bytes(view[:self.limit])
        self.data += taken
        return len(taken)


def test_write_fully_writes_everything_in_pieces_and_again_after_short_writes(monkeypatch):
    from tvips_ks.io import partwriter
    monkeypatch.setattr(partwriter, "WRITE_PIECE", 8)
    data = np.arange(30, dtype=np.uint16)  # 60 bytes
    f = ShortWriter(limit=5)
    assert partwriter.write_fully(f, data) == 60
    assert bytes(f.data) == data.tobytes()
    assert max(f.calls) <= 8 and len(f.calls) == 12


def test_write_fully_refuses_a_write_that_takes_nothing():
    from tvips_ks.io import partwriter
    with pytest.raises(OSError, match="took no bytes.*stand-in"):
        partwriter.write_fully(ShortWriter(limit=0), b"abc")


def test_scattered_whole_frames_from_an_array_index_are_read_without_a_map(series, monkeypatch):
    """ds.frames[idx] (the arrays pass full slices as the pixel key) takes the preadv path."""
    if not gather.PREAD:
        pytest.skip("no preadv on this platform")
    data, table = series

    def no_map(*args, **kwargs):
        raise AssertionError("mapped a window for whole frames")
    monkeypatch.setattr(gather, "map_records", no_map)
    ds = tvips_ks.open(table.used[0].path)
    idx = np.array([33, 2, 17, 16, 39])
    assert np.array_equal(ds.frames[idx], data[idx])
    assert np.array_equal(ds.frames[idx, :, ::1], data[idx])


@pytest.mark.parametrize("pixels, whole", [
    ((), True), ((slice(None),), True), ((slice(None), slice(None)), True),
    ((slice(0, 6), slice(0, 100)), True), ((slice(0, 5),), False),
    ((slice(None), slice(None, None, -1)), False), ((slice(None), 3), False),
])
def test_which_pixel_keys_keep_whole_frames(pixels, whole):
    assert gather._whole_frames(pixels, (6, 7)) is whole
