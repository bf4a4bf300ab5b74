"""Writing: behaviour the mutation run (tests/mutation/run.py) found unpinned.

``AtomicOutputs.reserve`` is reached from the command line's HDF5 conversion, which the
edge tests drive in a subprocess only (where mutmut cannot see which test calls it); these
call it in-process.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import warnings

import numpy as np
import pytest

import tvips_ks
import tvips_ks.rsciio
from tvips_ks import TvipsWarning, WriteError
from tvips_ks.io.atomic import AtomicOutputs

RECORD = 60 + 4 * 4 * 2  # a 4×4 uint16 frame with the 60-byte core header


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


def _saved(tmp_path):
    tvips_ks.save(tmp_path / "s.tvips", frames(9), max_file_size=256 + RECORD * 3)


def test_a_backup_that_cannot_be_restored_is_named_in_the_message(tmp_path, monkeypatch):
    _saved(tmp_path)
    real = os.replace

    def replace(src, dst):
        if str(src).endswith(".partial") and str(dst).endswith("s_001.tvips"):
            raise OSError(errno.EIO, "placing failed")
        if str(src).endswith(".old") and str(dst).endswith("s_002.tvips"):
            raise OSError(errno.EIO, "restoring failed")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(WriteError) as info:
        tvips_ks.save(tmp_path / "s.tvips", frames(9, 5), overwrite=True,
                      max_file_size=256 + RECORD * 3)
    backup = os.path.basename(info.value.path)
    assert f"{backup} (was s_002.tvips)" in str(info.value)


def test_a_backup_left_behind_is_named_and_the_warning_points_at_the_caller(tmp_path,
                                                                            monkeypatch):
    _saved(tmp_path)
    real = os.unlink

    def unlink(path, *args, **kwargs):
        if str(path).endswith(".old"):
            raise OSError(errno.EBUSY, "busy")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tvips_ks.save(tmp_path / "s.tvips", frames(2), overwrite=True)
    [w] = [w for w in caught if issubclass(w.category, TvipsWarning)]
    left = sorted(p for p in tmp_path.iterdir() if p.name.endswith(".old"))
    assert len(left) == 3  # the three previous parts, moved aside
    assert all(str(p) in str(w.message) for p in left)
    assert w.filename == __file__  # stacklevel: the line that called save


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
