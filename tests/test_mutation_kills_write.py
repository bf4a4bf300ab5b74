"""Writing: behaviour the mutation run (tests/mutation/run.py) found unpinned.

``AtomicOutputs.reserve`` is reached from the command line's HDF5 conversion, which the
edge tests drive in a subprocess only (where mutmut cannot see which test calls it); these
call it in-process.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
import warnings

import numpy as np
import pytest

import tvips_ks
import tvips_ks.io.writer
import tvips_ks.rsciio
from builders import Series
from tvips_ks import TvipsWarning
from tvips_ks.io.atomic import AtomicOutputs

def frames(n, seed=0):
    return np.random.default_rng(seed).integers(0, 2**16, (n, 4, 4), dtype=np.uint16)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_reserve_leaves_an_empty_file_readable_and_writable_as_umask_allows(tmp_path):
    temp = tmp_path / "t.h5.partial"
    AtomicOutputs.reserve(temp, 1 << 20)
    assert temp.stat().st_size == 0  # the room is proven, then handed back to the writer
    assert stat.S_IMODE(temp.stat().st_mode) == 0o666 & ~_umask()
    with open(temp, "r+b") as f:  # the writer truncates and writes it
        f.write(b"x")


def test_reserve_empties_a_file_that_was_there(tmp_path):
    temp = tmp_path / "t.h5.partial"
    temp.write_bytes(b"old content")
    AtomicOutputs.reserve(temp, 10)
    assert temp.read_bytes() == b""


def test_reserve_asks_for_the_whole_size_from_the_start(tmp_path, monkeypatch):
    calls = []
    real = os.posix_fallocate

    def recording(fd, offset, length):
        calls.append((offset, length))
        return real(fd, offset, length)

    monkeypatch.setattr(os, "posix_fallocate", recording)
    AtomicOutputs.reserve(tmp_path / "a", 12345)
    AtomicOutputs.reserve(tmp_path / "b", 7.0)  # sizes computed in floats are whole bytes
    assert calls == [(0, 12345), (0, 7)]
    assert all(type(n) is int for _, n in calls)


def test_reserve_fails_when_the_room_is_not_there(tmp_path):
    """2**62 bytes is more than any file system here holds (ext4 and overlay: EFBIG)."""
    with pytest.raises(OSError) as info:
        AtomicOutputs.reserve(tmp_path / "huge", 2 ** 62)
    assert info.value.errno in (errno.EFBIG, errno.ENOSPC)


@pytest.mark.parametrize("code,raised", [(errno.EOPNOTSUPP, False), (errno.EINVAL, False),
                                         (errno.ENOSPC, True), (errno.EIO, True)])
def test_reserve_proves_nothing_on_a_file_system_without_fallocate(tmp_path, monkeypatch,
                                                                   code, raised):
    def refuse(fd, offset, length):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "posix_fallocate", refuse)
    temp = tmp_path / "t"
    if raised:
        with pytest.raises(OSError) as info:
            AtomicOutputs.reserve(temp, 100)
        assert info.value.errno == code
    else:
        AtomicOutputs.reserve(temp, 100)
        assert temp.stat().st_size == 0


# -- AtomicOutputs: naming the files a failure concerns ---------------------------------------

def test_two_writers_of_one_file_never_share_a_temporary(tmp_path):
    final = tmp_path / "s_000.tvips"
    a, b = AtomicOutputs([final]), AtomicOutputs([final])
    assert a.temps[0] != b.temps[0]
    assert a.temps[0].parent == final.parent and a.temps[0].name.startswith(".s_000.tvips.")


# -- RosettaSciIO's file_writer: its defaults and what it passes on ----------------------------

def _signal():
    """A 4-frame 5×6 uint16 stack in a RosettaSciIO signal dict (diffraction units)."""
    hs = pytest.importorskip("hyperspy.api")
    s = hs.signals.Signal2D(np.arange(4 * 5 * 6, dtype=np.uint16).reshape(4, 5, 6))
    for axis in s.axes_manager.signal_axes:
        axis.units = "1/nm"
    return s._to_dictionary()


def test_file_writer_defaults_to_no_extra_header_bytes(tmp_path):
    tvips_ks.rsciio.file_writer(tmp_path / "x.tvips", _signal())
    # the main header, then 4 records of the 60-byte core header and 5×6×2 bytes
    assert (tmp_path / "x_000.tvips").stat().st_size == 256 + 4 * (60 + 60)


def test_file_writer_passes_the_mode_on(tmp_path):
    tvips_ks.rsciio.file_writer(tmp_path / "d.tvips", _signal(), mode=2)
    # imaging asked for a signal in diffraction units: written as asked, uncalibrated
    with pytest.warns(TvipsWarning, match="does not match the signal units"):
        tvips_ks.rsciio.file_writer(tmp_path / "i.tvips", _signal(), mode=1)
    for name, mode in [("d_000.tvips", 2), ("i_000.tvips", 1)]:
        with tvips_ks.open(tmp_path / name) as ds:
            assert set(ds.frame_headers["tem_mode"].tolist()) == {mode}


def test_file_writer_replaces_an_existing_series_with_its_surplus_parts(tmp_path):
    """HyperSpy asks the user before it calls the writer, so the writer overwrites."""
    # _000: the main header and 1 record; _001: the other 3 records (no main header)
    tvips_ks.rsciio.file_writer(tmp_path / "x.tvips", _signal(), max_file_size=256 + 120)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x_000.tvips", "x_001.tvips"]
    tvips_ks.rsciio.file_writer(tmp_path / "x.tvips", _signal())
    assert [p.name for p in tmp_path.iterdir()] == ["x_000.tvips"]


@pytest.mark.parametrize("show,drawn", [(None, True), (True, True), (False, False)])
def test_file_writer_draws_a_progress_bar_on_a_terminal_unless_told_not_to(
        tmp_path, capsys, monkeypatch, show, drawn):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    kwargs = {} if show is None else {"show_progressbar": show}
    tvips_ks.rsciio.file_writer(tmp_path / "x.tvips", _signal(), **kwargs)
    assert ("writing TVIPS" in capsys.readouterr().err) == drawn


# -- save: dask data chunk by chunk, frame-header columns, main-header values -------------------

def test_dask_data_is_computed_chunk_by_chunk_and_lands_in_order(tmp_path, monkeypatch):
    da = pytest.importorskip("dask.array")
    from dask.callbacks import Callback

    # 7 frames of 2×3, in blocks taller than a frame
    data = np.random.default_rng(3).integers(0, 2**16, (7, 2, 3), dtype=np.uint16)
    lazy = da.from_array(data, chunks=(3, 2, 3))      # blocks of 3, 3 and 1 frames
    monkeypatch.setattr(tvips_ks.io.writer, "_BATCH_BYTES", 1)  # one frame per batch
    computes = []
    with Callback(start=lambda dsk: computes.append(len(dsk))):
        tvips_ks.save(tmp_path / "d.tvips", lazy)
    assert len(computes) == 3  # one compute per block: never the whole array at once
    with tvips_ks.open(tmp_path / "d_000.tvips") as ds:
        np.testing.assert_array_equal(np.asarray(ds.frames), data)
        assert ds.frame_headers["counter"].tolist() == list(range(1, 8))


def _refused(tmp_path, **headers):
    with pytest.raises(tvips_ks.ArgumentError) as info:
        tvips_ks.save(tmp_path / "r.tvips", frames(3), frame_headers=headers)
    assert not any(tmp_path.iterdir())
    return str(info.value)


def test_frame_header_columns_that_are_not_numbers_are_refused_by_name(tmp_path):
    assert "frame_headers['counter']" in _refused(tmp_path, counter=[[1, 2], [3]])
    assert "must hold numbers" in _refused(tmp_path, counter=[True, False, True])
    message = _refused(tmp_path, stage_x=["a", "b", "c"])
    assert message.endswith("values such as ['a']")


def test_whole_floats_are_counters_and_other_floats_are_refused(tmp_path):
    tvips_ks.save(tmp_path / "f.tvips", frames(3), frame_headers={"counter": [1.0, 2.0, 5.0]})
    with tvips_ks.open(tmp_path / "f_000.tvips") as ds:
        assert ds.frame_headers["counter"].tolist() == [1, 2, 5]
    for i, bad in enumerate(([1.0, 2.5, 3.0], [1.0, float("nan"), 3.0],
                             [1.0, float("inf"), 3.0])):
        (tmp_path / str(i)).mkdir()
        assert "not whole" in _refused(tmp_path / str(i), counter=bad)


@pytest.mark.parametrize("values,bad", [([5, -1, 7], -1), ([0, 2**32, 1], 2**32),
                                        ([0, 1, 2**32 + 5], 2**32 + 5)])
def test_the_value_a_counter_cannot_hold_is_named(tmp_path, values, bad):
    message = _refused(tmp_path, counter=values)
    assert re.search(rf"holds (np\.int64\()?{bad}\)?, which", message), message


def test_the_largest_float32_is_stored_exactly(tmp_path):
    top = float(np.finfo(np.float32).max)
    tvips_ks.save(tmp_path / "m.tvips", frames(3), frame_headers={"stage_x": [top, -top, 0.0]})
    with tvips_ks.open(tmp_path / "m_000.tvips") as ds:
        assert ds.frame_headers["stage_x"].tolist() == [top, -top, 0.0]


def test_a_series_saved_from_its_frames_and_headers_is_the_same_bytes(tmp_path):
    s = Series(num_frames=5, len_frame_header=100, width=3, height=2, seed=44)
    src = tmp_path / "src"
    src.mkdir()
    [path] = s.write(src)
    with tvips_ks.open(path) as ds:
        tvips_ks.save(tmp_path / "c.tvips", ds.frames, frame_headers=ds.frame_headers)
    copy = (tmp_path / "c_000.tvips").read_bytes()
    original = path.read_bytes()
    assert len(copy) == len(original)
    assert copy[256:] == original[256:]  # every record: its 100-byte header and pixels


def test_a_rounded_main_header_value_warns(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tvips_ks.save(tmp_path / "h.tvips", frames(2), high_tension_kv=199.6)
    [w] = [w for w in caught if issubclass(w.category, TvipsWarning)]
    assert "stored as the integer 200" in str(w.message)


def test_the_filler_is_padded_with_zero_bytes_and_must_be_bytes(tmp_path):
    tvips_ks.save(tmp_path / "z.tvips", frames(1), filler=b"ab")
    # the filler follows the 13 four-byte fields of the main header
    assert (tmp_path / "z_000.tvips").read_bytes()[52:256] == b"ab" + bytes(202)
    assert _refused_kw(tmp_path / "y", filler="ab").endswith("got str")


def _refused_kw(directory, **kwargs):
    directory.mkdir()
    with pytest.raises(tvips_ks.ArgumentError) as info:
        tvips_ks.save(directory / "r.tvips", frames(1), **kwargs)
    return str(info.value)


def test_saving_into_a_missing_directory_names_it(tmp_path):
    with pytest.raises(tvips_ks.ArgumentError) as info:
        tvips_ks.save(tmp_path / "nowhere" / "s.tvips", frames(1))
    assert str(tmp_path / "nowhere") in str(info.value)


@pytest.mark.parametrize("start", [0, 2**32 - 1])
def test_start_times_at_both_ends_of_the_u4_seconds_are_accepted(tmp_path, start):
    tvips_ks.save(tmp_path / "t.tvips", frames(1), start_time=start)
    with tvips_ks.open(tmp_path / "t_000.tvips") as ds:
        assert ds.frame_headers["timestamp_s"].tolist() == [start]
        assert ds.frame_headers["timestamp_ms"].tolist() == [0]


def test_explicit_time_stamps_are_not_refused_for_a_default_that_would_overflow(tmp_path):
    # frames 10**9 s apart would pass 2106, but the time stamps are given explicitly
    tvips_ks.save(tmp_path / "e.tvips", frames(6), frame_interval=10**9,
                  frame_headers={"timestamp_s": [1, 2, 3, 4, 5, 6]})
    with tvips_ks.open(tmp_path / "e_000.tvips") as ds:
        assert ds.frame_headers["timestamp_s"].tolist() == [1, 2, 3, 4, 5, 6]
    with pytest.raises(tvips_ks.ArgumentError, match="2106"):
        tvips_ks.save(tmp_path / "f.tvips", frames(6), frame_interval=10**9)


@pytest.mark.parametrize("error", [ValueError("not an OSError"), KeyboardInterrupt()])
def test_other_exceptions_pass_through_and_leave_nothing(tmp_path, error):
    final = tmp_path / "o_000.tvips"
    with pytest.raises(type(error)):
        with AtomicOutputs([final]) as temps:
            temps[0].write_bytes(b"half")
            raise error
    assert not any(tmp_path.iterdir())
