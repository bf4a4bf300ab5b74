"""Writing: behaviour the mutation run (tests/mutation/run.py) found unpinned.

``AtomicOutputs.reserve`` is reached from the command line's HDF5 conversion, which the
edge tests drive in a subprocess only (where mutmut cannot see which test calls it); these
call it in-process.
"""

from __future__ import annotations

import errno
import os
import stat

import pytest

from tvips_ks.io.atomic import AtomicOutputs


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
