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


# -- save: what a refusal names ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["offset_x", "offset_y", "bin_x", "bin_y", "pixel_size_nm",
                                  "high_tension_kv", "mag_total"])
def test_a_main_header_value_out_of_range_is_refused_by_its_argument_name(tmp_path, name):
    message = _refused_kw(tmp_path / "d", **{name: -1})
    # the user finds the argument they passed in the message
    assert message.startswith(f"{name}=-1 does not fit"), message


def test_a_frame_header_longer_than_the_main_header_can_state_is_refused_by_its_name(tmp_path):
    # 60 bytes of core header plus 2**32 extra bytes: beyond the u4 field len_frame_header
    message = _refused_kw(tmp_path / "d", frame_header_extra_bytes=2**32)
    assert message.startswith(f"len_frame_header={60 + 2**32} does not fit"), message


def test_pixels_of_another_type_are_refused_with_the_sizes_the_format_has(tmp_path):
    with pytest.raises(tvips_ks.ArgumentError) as info:
        tvips_ks.save(tmp_path / "f.tvips", np.zeros((1, 2, 2), np.float32))
    # the format's bits_per_pixel values (spec: 8, 16, 32 and 64-bit unsigned pixels)
    assert "unsigned integers of 8, 16, 32, 64 bits; got float32" in str(info.value)


def test_frame_headers_of_another_kind_are_refused_naming_that_kind(tmp_path):
    with pytest.raises(tvips_ks.ArgumentError) as info:
        tvips_ks.save(tmp_path / "l.tvips", frames(2), frame_headers=[1, 2])
    assert str(info.value).endswith("got list")


@pytest.mark.parametrize("shape", [(5,), ()])
def test_data_without_two_dimensions_is_refused_with_its_shape(tmp_path, shape):
    with pytest.raises(tvips_ks.ArgumentError) as info:
        tvips_ks.save(tmp_path / "s.tvips", np.zeros(shape, np.uint16))
    assert f"got shape {shape}" in str(info.value)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("shape", [(0, 4, 4), (2, 0, 4), (2, 4, 0), (3, 0, 0)])
def test_data_without_a_complete_frame_is_refused_with_its_shape(tmp_path, shape):
    with pytest.raises(tvips_ks.ArgumentError) as info:
        tvips_ks.save(tmp_path / "e.tvips", np.zeros(shape, np.uint16))
    assert str(info.value) == f"data of shape {shape} holds no complete frame"
    assert not any(tmp_path.iterdir())


def test_an_unknown_mode_is_refused_listing_the_modes(tmp_path):
    message = _refused_kw(tmp_path / "d", mode=3)
    assert "1 (imaging)" in message and "2 (diffraction)" in message, message


def test_extra_header_bytes_in_version_1_are_refused_saying_why(tmp_path):
    message = _refused_kw(tmp_path / "d", version=1, frame_header_extra_bytes=4)
    # version 1 frame headers have a fixed size: the spec's 12 bytes
    assert "version 2 only" in message and "12 bytes" in message, message


def test_an_existing_series_is_named_by_its_first_part(tmp_path):
    tvips_ks.save(tmp_path / "x.tvips", frames(3), max_file_size=256 + 2 * (60 + 32))
    with pytest.raises(tvips_ks.SeriesError) as info:
        tvips_ks.save(tmp_path / "x.tvips", frames(1))
    assert info.value.path == str(tmp_path / "x_000.tvips")
    assert "2 part(s)" in str(info.value)


# -- save: what it accepts as data -----------------------------------------------------------

def test_any_buffer_of_unsigned_pixels_is_written(tmp_path):
    """A memoryview has a shape but no dtype: it is read through numpy."""
    data = frames(2, seed=5)
    tvips_ks.save(tmp_path / "m.tvips", memoryview(data))
    with tvips_ks.open(tmp_path / "m_000.tvips") as ds:
        np.testing.assert_array_equal(np.asarray(ds.frames), data)


# -- save: the time stamps' range ----------------------------------------------------------

def test_the_last_default_time_stamp_may_fall_in_the_last_second_of_the_u4_range(tmp_path):
    # 3 frames 1.25 s apart from 2**32 - 3 s: the last one at (2**32 - 1) s + 500 ms
    tvips_ks.save(tmp_path / "t.tvips", frames(3), start_time=2**32 - 3, frame_interval=1.25)
    with tvips_ks.open(tmp_path / "t_000.tvips") as ds:
        assert ds.frame_headers["timestamp_s"].tolist() == [2**32 - 3, 2**32 - 2, 2**32 - 1]
        assert ds.frame_headers["timestamp_ms"].tolist() == [0, 250, 500]


def test_a_last_default_time_stamp_one_second_beyond_the_u4_range_is_refused(tmp_path):
    # 3 frames 1 s apart from 2**32 - 2 s: the last at 2**32 s, which the field cannot hold
    with pytest.raises(tvips_ks.ArgumentError, match="2106"):
        tvips_ks.save(tmp_path / "t.tvips", frames(3), start_time=2**32 - 2, frame_interval=1)
    assert not any(tmp_path.iterdir())
    # one frame fewer ends at 2**32 - 1 s: accepted
    tvips_ks.save(tmp_path / "t.tvips", frames(2), start_time=2**32 - 2, frame_interval=1)


# -- save: the frame headers' padding bytes --------------------------------------------------

def _padding_dtype(len_frame_header):
    from tvips_ks.format.dtypes import frame_header_dtype
    return frame_header_dtype(len_frame_header, padding=True)["padding"]


def test_padding_bytes_given_before_other_fields_do_not_hide_them(tmp_path):
    # 180-byte frame headers: the known fields end at byte 108, 72 bytes of padding follow
    pad = np.frombuffer(bytes(range(72)) * 2, dtype=_padding_dtype(180))
    headers = {"padding": pad, "counter": [7, 9], "dens_bias_limit_i": [1.5, 2.5]}
    tvips_ks.save(tmp_path / "p.tvips", frames(2), frame_headers=headers,
                  frame_header_extra_bytes=180 - 108)
    raw = (tmp_path / "p_000.tvips").read_bytes()
    record = 180 + 32
    for i, counter in enumerate([7, 9]):
        header = raw[256 + i * record: 256 + i * record + 180]
        assert int.from_bytes(header[:4], "little") == counter
        assert header[108:180] == bytes(range(72))


def test_one_padding_value_is_written_in_every_frame_header(tmp_path):
    pad = np.frombuffer(bytes(range(100, 172)), dtype=_padding_dtype(180))[0]
    tvips_ks.save(tmp_path / "p.tvips", frames(3), frame_headers={"padding": pad,
                                                                  "dens_bias_limit_i": 0.5},
                  frame_header_extra_bytes=180 - 108)
    raw = (tmp_path / "p_000.tvips").read_bytes()
    for i in range(3):
        start = 256 + i * (180 + 32)
        assert raw[start + 108: start + 180] == bytes(range(100, 172))


# -- save: a signal read from a TVIPS series gives its headers back ---------------------------

def _read_as_signal(tmp_path, **series):
    """A series built byte by byte (tests/builders.py), read by the RosettaSciIO-style reader."""
    s = Series(**series)
    src = tmp_path / "src"
    src.mkdir()
    [path] = s.write(src)
    [signal] = tvips_ks.rsciio.file_reader(str(path))
    return s, signal


def _quietly(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TvipsWarning)
        return tvips_ks.save(*args, **kwargs)


def test_a_signal_from_a_series_gives_back_its_frame_headers_and_their_size(tmp_path):
    # 180-byte frame headers: 108 bytes of known fields and 72 bytes of padding
    s, signal = _read_as_signal(tmp_path, num_frames=3, len_frame_header=180, seed=8,
                                frames={"tem_mode": 2})
    _quietly(tmp_path / "c.tvips", signal)
    copy = (tmp_path / "c_000.tvips").read_bytes()
    assert len(copy) == 256 + 3 * (180 + s.images[0].nbytes)
    assert int.from_bytes(copy[48:52], "little") == 180  # the main header's len_frame_header
    with tvips_ks.open(tmp_path / "c_000.tvips") as ds:
        for name in ("counter", "stage_x", "rotator_index", "dens_bias_limit_i"):
            np.testing.assert_array_equal(ds.frame_headers[name],
                                          np.asarray(s.expected_frame_headers()[name],
                                                     dtype=ds.frame_headers[name].dtype))
    for i in range(3):
        start = 256 + i * (180 + s.images[0].nbytes)
        assert copy[start + 108:start + 180] == s.padding[i]


def test_frame_headers_given_with_a_signal_win_over_the_signals_own(tmp_path):
    s, signal = _read_as_signal(tmp_path, num_frames=3, len_frame_header=100, seed=9,
                                frames={"tem_mode": 2})
    _quietly(tmp_path / "c.tvips", signal, frame_headers={"stage_x": [0.5, 1.5, 2.5]})
    with tvips_ks.open(tmp_path / "c_000.tvips") as ds:
        assert ds.frame_headers["stage_x"].tolist() == [0.5, 1.5, 2.5]
        assert ds.frame_headers["counter"].tolist() == s.expected_frame_headers()["counter"]


def test_a_signal_from_a_version_2_series_can_be_written_as_version_1(tmp_path):
    s, signal = _read_as_signal(tmp_path, num_frames=3, len_frame_header=100, seed=10,
                                frames={"tem_mode": 2})
    _quietly(tmp_path / "v.tvips", signal, version=1)
    # version 1: 12-byte frame headers, which hold the counter and the time stamps only
    assert (tmp_path / "v_000.tvips").stat().st_size == 256 + 3 * (12 + s.images[0].nbytes)
    assert int.from_bytes((tmp_path / "v_000.tvips").read_bytes()[4:8], "little") == 1
    with tvips_ks.open(tmp_path / "v_000.tvips") as ds:
        assert ds.frame_headers["counter"].tolist() == s.expected_frame_headers()["counter"]


def test_the_mode_given_with_a_signal_wins_over_its_frame_headers_mode(tmp_path):
    _, signal = _read_as_signal(tmp_path, num_frames=3, len_frame_header=100, seed=11,
                                frames={"tem_mode": 2})
    _quietly(tmp_path / "i.tvips", signal, mode=1)
    with tvips_ks.open(tmp_path / "i_000.tvips") as ds:
        assert ds.frame_headers["tem_mode"].tolist() == [1, 1, 1]


# -- PartWriter and write_fully ----------------------------------------------------------------

from tvips_ks.io.partwriter import PartWriter, write_fully  # noqa: E402


class _TakesNothing:
    name = "/somewhere/full.tvips"

    def write(self, data):
        return 0


def test_a_write_that_takes_no_bytes_is_an_io_error_naming_the_file():
    with pytest.raises(OSError) as info:
        write_fully(_TakesNothing(), b"abc")
    assert info.value.errno == errno.EIO
    assert info.value.filename == "/somewhere/full.tvips"
    assert info.value.strerror == "the file system took no bytes of a write"


class _TakesTwo:
    """A file that takes at most two bytes per write, as a write interrupted by a signal."""
    name = "short"

    def __init__(self):
        self.chunks = []

    def write(self, data):
        self.chunks.append(bytes(data[:2]))
        return len(self.chunks[-1])


def test_short_writes_are_continued_until_every_byte_is_written():
    f = _TakesTwo()
    assert write_fully(f, np.arange(5, dtype="<u2")) == 10
    assert b"".join(f.chunks) == np.arange(5, dtype="<u2").tobytes()


def _record_dtype(width=3, height=2):
    from tvips_ks.format.dtypes import RecordLayout
    return RecordLayout(2, width, height, 16, 60).record_dtype


def _counting(records, first):
    records["counter"] = np.arange(first, first + len(records)) + 1


def test_part_writer_builds_at_most_its_buffer_of_records_at_a_time(tmp_path):
    sizes = []

    def fill(records, first):
        sizes.append(len(records))
        _counting(records, first)

    paths = [tmp_path / "a", tmp_path / "b"]
    images = np.arange(7 * 6, dtype=np.uint16).reshape(7, 2, 3)
    out = PartWriter(paths, [4, 3], b"M" * 256, _record_dtype(), buffer_records=2)
    out.write(0, images, fill)   # more frames at once than the buffer holds
    out.finish()
    assert max(sizes) == 2 and sum(sizes) == 7
    records = np.fromfile(paths[0], dtype=_record_dtype(), offset=256).tolist() + \
        np.fromfile(paths[1], dtype=_record_dtype()).tolist()
    assert [r[0] for r in records] == list(range(1, 8))  # counter: every frame once, in order
    assert paths[0].read_bytes()[:256] == b"M" * 256
    data = np.concatenate([np.fromfile(paths[0], dtype=_record_dtype(), offset=256)["image"],
                           np.fromfile(paths[1], dtype=_record_dtype())["image"]])
    np.testing.assert_array_equal(data, images)


def test_part_writer_with_a_one_record_buffer_builds_one_record_at_a_time(tmp_path):
    sizes = []
    out = PartWriter([tmp_path / "a"], [3], b"M" * 256, _record_dtype(), buffer_records=1)
    out.write(0, np.zeros((3, 2, 3), np.uint16), lambda r, first: sizes.append(len(r)))
    out.finish()
    assert sizes == [1, 1, 1]


def test_part_writer_hands_each_batch_to_the_kernel_before_the_next(tmp_path):
    """The write-back hint covers bytes already in the file, not in a Python buffer."""
    path = tmp_path / "a"
    out = PartWriter([path], [4], b"M" * 256, _record_dtype(), buffer_records=1)
    len_record = _record_dtype().itemsize
    out.write(0, np.zeros((1, 2, 3), np.uint16), _counting)
    assert path.stat().st_size == 256 + len_record  # on the file while it is still open
    out.write(1, np.zeros((2, 2, 3), np.uint16), _counting)
    assert path.stat().st_size == 256 + 3 * len_record
    out.finish()


def test_save_builds_one_record_at_a_time_when_a_record_exceeds_the_batch(tmp_path,
                                                                          monkeypatch):
    seen = []

    class Recording(PartWriter):
        def __init__(self, *args):
            seen.append(args[-1])  # buffer_records
            super().__init__(*args)

    monkeypatch.setattr(tvips_ks.io.writer, "_BATCH_BYTES", 10)  # below one 92-byte record
    monkeypatch.setattr(tvips_ks.io.writer, "PartWriter", Recording)
    tvips_ks.save(tmp_path / "b.tvips", frames(3))
    assert seen == [1]
    with tvips_ks.open(tmp_path / "b_000.tvips") as ds:
        np.testing.assert_array_equal(np.asarray(ds.frames), frames(3))


# -- RosettaSciIO's file_reader: its defaults and what it passes on ----------------------------

def _snake_series(directory, rows=4, cols=5, hysteresis=0):
    """A series whose frame headers hold the scan positions of a snake along x.

    As RosettaSciIO lays a snake out: every even row runs backwards, then is rolled
    cyclically by ``hysteresis`` along x.  Frame f shows the value 20 * f in pixel 0.
    """
    position_of = {}
    for y in range(rows):
        xs = list(range(cols))
        if y % 2 == 0:
            xs = xs[::-1]
            xs = xs[-hysteresis:] + xs[:-hysteresis] if hysteresis else xs
        for i, x in enumerate(xs):
            position_of[(y, x)] = y * cols + i
    num = rows * cols
    scan_x, scan_y = np.zeros(num), np.zeros(num)
    for (y, x), frame in position_of.items():
        scan_x[frame], scan_y[frame] = x, y
    data = (np.arange(num, dtype=np.uint16) * 20)[:, None, None] * np.ones((1, 4, 5), np.uint16)
    tvips_ks.save(directory / "snake.tvips", data,
                  frame_headers={"scan_x": scan_x, "scan_y": scan_y})
    return str(directory / "snake_000.tvips"), position_of


def _frames_at(signal):
    """The frame number at each scan position of a read signal (pixel 0 holds 20 * frame)."""
    return np.asarray(signal["data"])[..., 0, 0] // 20


def _raster_wound(rows, cols, axis, hysteresis):
    """RosettaSciIO's arrangement of frames 0, 1, … of a rows × cols scan with a winding,
    restated: "x" reverses every even row and rolls it by hysteresis along x; "y" does
    the same to every even column along y."""
    index = np.arange(rows * cols).reshape(rows, cols)
    if axis == "x":
        index[::2, :] = np.roll(index[::2, ::-1], hysteresis, axis=1)
    elif axis == "y":
        index[:, ::2] = np.roll(index[::-1, ::2], hysteresis, axis=0)
    return index


def test_file_reader_reads_eagerly_unwound_and_in_auto_chunks_by_default(tmp_path):
    path, _ = _snake_series(tmp_path)
    [eager] = tvips_ks.rsciio.file_reader(path, scan_shape=(4, 5), winding_scan_axis="x")
    assert isinstance(eager["data"], np.ndarray)
    # hysteresis 0 by default
    np.testing.assert_array_equal(_frames_at(eager), _raster_wound(4, 5, "x", 0))
    [lazy] = tvips_ks.rsciio.file_reader(path, lazy=True)
    [auto] = tvips_ks.rsciio.file_reader(path, lazy=True, rechunking="auto")
    assert lazy["data"].chunks == auto["data"].chunks


@pytest.mark.parametrize("scan_shape", [(4, 5), "auto"])
def test_file_reader_passes_lazy_and_rechunking_on(tmp_path, scan_shape):
    path, _ = _snake_series(tmp_path)
    [lazy] = tvips_ks.rsciio.file_reader(path, scan_shape=scan_shape, lazy=True,
                                         rechunking=False)
    assert not isinstance(lazy["data"], np.ndarray)
    # rechunking=False: one chunk per scan row
    assert lazy["data"].chunks[:2] == ((1, 1, 1, 1), (5,))
    for wsa in (None, "y"):
        [lazy] = tvips_ks.rsciio.file_reader(path, scan_shape=scan_shape, lazy=True,
                                             rechunking=False, winding_scan_axis=wsa)
        assert lazy["data"].chunks[:2] == ((1, 1, 1, 1), (5,))
        # dask chunks as asked: two rows per chunk
        [lazy] = tvips_ks.rsciio.file_reader(path, scan_shape=scan_shape, lazy=True,
                                             rechunking=(2, 5, 4, 5), winding_scan_axis=wsa)
        assert lazy["data"].chunks == ((2, 2), (5,), (4,), (5,))


def _axes(signal):
    return {a["name"]: (a["scale"], a["units"]) for a in signal["axes"]}


@pytest.mark.parametrize("scan_shape,wsa", [((4, 5), None), ("auto", None), ("auto", "x")])
def test_file_reader_passes_each_calibration_on(tmp_path, scan_shape, wsa):
    path, _ = _snake_series(tmp_path)
    read = lambda **kw: tvips_ks.rsciio.file_reader(  # noqa: E731
        path, scan_shape=scan_shape, winding_scan_axis=wsa, **kw)[0]
    axes = _axes(read(scan_step=(2.5, "nm")))
    assert axes["x"] == axes["y"] == (2.5, "nm")
    axes = _axes(read(diffraction_pixel_size="0.01/nm"))
    assert axes["dx"] == axes["dy"] == (0.01, "1/nm")
    assert axes["x"] == (1.0, "")  # the scan uncalibrated
    axes = _axes(read(image_pixel_size=(2, "nm")))
    assert axes["dx"] == (2.0, "nm")
    signal = read(camera_length_mm=300)
    assert signal["metadata"]["Acquisition_instrument"]["TEM"]["camera_length"] == 300.0
    assert _axes(signal)["dx"][0] == 1.0  # a camera length alone calibrates no axis


def test_file_reader_refuses_a_scan_shape_string_other_than_auto(tmp_path):
    path, _ = _snake_series(tmp_path)
    with pytest.raises(tvips_ks.ArgumentError, match="'bogus'"):
        tvips_ks.rsciio.file_reader(path, scan_shape="bogus")


@pytest.mark.parametrize("hysteresis", [0, 1])
@pytest.mark.parametrize("axis,user_hysteresis", [("x", 1), ("y", 1), ("y", 0)])
def test_an_auto_scan_read_with_a_winding_takes_the_users_winding(tmp_path, hysteresis, axis,
                                                                    user_hysteresis):
    """RosettaSciIO: scan_shape="auto" finds the shape, and the winding is the user's,
    applied to the frames in acquisition order, whatever snake the file holds."""
    path, position_of = _snake_series(tmp_path, hysteresis=hysteresis)
    [plain] = tvips_ks.rsciio.file_reader(path, scan_shape="auto")
    # without a winding: each frame at the position its header gives
    expected = np.zeros((4, 5), int)
    for (y, x), frame in position_of.items():
        expected[y, x] = frame
    np.testing.assert_array_equal(_frames_at(plain), expected)
    [wound] = tvips_ks.rsciio.file_reader(path, scan_shape="auto", winding_scan_axis=axis,
                                          hysteresis=user_hysteresis)
    np.testing.assert_array_equal(_frames_at(wound), _raster_wound(4, 5, axis, user_hysteresis))


def test_a_later_part_names_the_first_part_to_load(tmp_path):
    tvips_ks.save(tmp_path / "foo.tvips", frames(3), max_file_size=256 + 92)
    with pytest.warns(TvipsWarning) as caught:
        assert tvips_ks.rsciio.file_reader(str(tmp_path / "foo_002.tvips")) == []
    message = str(caught[0].message)
    assert "part 2 of the series foo_000.tvips" in message
    assert message.endswith("(load foo_000.tvips)")
