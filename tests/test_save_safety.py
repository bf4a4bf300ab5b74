"""tvips_ks.save never loses data: failures in every phase of a write (issue 9).

tests/test_save.py covers a data source raising, a dask compute error and a
full disk while the parts are written.  Here: the rename phase (the new parts
moved into place, the previous ones moved aside), interrupts (KeyboardInterrupt)
in every phase, a failing fsync, a backup that cannot be restored, and saving
a series onto itself.  In every failure the previous series is byte for byte
intact and the directory holds nothing else: no ``.partial`` or backup files.
"""

from __future__ import annotations

import errno
import os
import sys

import numpy as np
import pytest

import tvips_ks
from tvips_ks import TvipsWarning, WriteError

RECORD = 60 + 4 * 4 * 2  # a 4×4 uint16 frame with the 60-byte core header


def frames(n, seed=0):
    return np.random.default_rng(seed).integers(0, 2**16, (n, 4, 4), dtype=np.uint16)


def snapshot(directory):
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.fixture
def previous(tmp_path):
    tvips_ks.save(tmp_path / "s.tvips", frames(9, seed=1), max_file_size=256 + RECORD * 3)
    before = snapshot(tmp_path)
    assert sorted(before) == ["s_000.tvips", "s_001.tvips", "s_002.tvips"]
    return before


def assert_untouched(directory, before):
    after = snapshot(directory)
    leftovers = sorted(set(after) - set(before))
    assert not leftovers, f"left behind: {leftovers}"
    assert after == before


class FailingCall:
    """Wraps a function; the ``fail_on``-th call matching ``when`` raises ``error``."""

    def __init__(self, real, fail_on, error, when=lambda *args: True):
        self.real, self.fail_on, self.error, self.when = real, fail_on, error, when
        self.calls = []

    def __call__(self, *args, **kwargs):
        if self.when(*args):
            self.calls.append(args)
            if len(self.calls) == self.fail_on:
                raise self.error
        return self.real(*args, **kwargs)


def is_new_part(src, dst):
    return str(src).endswith(".partial")


def is_backup(src, dst):
    return str(dst).endswith(".old")


@pytest.mark.parametrize("fail_on,when", [
    (1, is_backup), (3, is_backup), (1, is_new_part), (2, is_new_part), (4, is_new_part),
], ids=["first-move-aside", "last-move-aside", "first-new-part", "second-new-part",
        "last-new-part"])
@pytest.mark.parametrize("error", [OSError(errno.EXDEV, "rename failed"), KeyboardInterrupt()],
                         ids=["oserror", "interrupt"])
def test_a_failure_in_the_rename_phase_leaves_the_previous_series(tmp_path, previous,
                                                                  monkeypatch, fail_on, when,
                                                                  error):
    fake = FailingCall(os.replace, fail_on, error, when)
    monkeypatch.setattr(os, "replace", fake)
    # an OSError reaches the user as the library's WriteError (the OSError as its cause)
    with pytest.raises(WriteError if isinstance(error, OSError) else type(error)) as info:
        # four parts replace three: a new part has no predecessor
        tvips_ks.save(tmp_path / "s.tvips", frames(18, seed=2), overwrite=True,
                      max_file_size=256 + RECORD * 3)
    monkeypatch.undo()
    assert len(fake.calls) == fail_on
    assert_untouched(tmp_path, previous)
    if isinstance(error, OSError):
        assert info.value.__cause__ is error and ".partial" not in str(info.value)


def test_a_failure_renaming_into_an_empty_directory_leaves_it_empty(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "replace", FailingCall(os.replace, 2, OSError(errno.EIO, "I/O")))
    with pytest.raises(WriteError, match="I/O"):
        tvips_ks.save(tmp_path / "n.tvips", frames(6), max_file_size=256 + RECORD * 3)
    monkeypatch.undo()
    assert snapshot(tmp_path) == {}


class Interrupting:
    """A numpy-convertible source interrupted (Ctrl-C) when it is read."""

    shape = (9, 4, 4)
    dtype = np.dtype("u2")

    def __array__(self, dtype=None, copy=None):
        raise KeyboardInterrupt


def test_an_interrupt_while_reading_the_source_leaves_the_previous_series(tmp_path, previous):
    with pytest.raises(KeyboardInterrupt):
        tvips_ks.save(tmp_path / "s.tvips", Interrupting(), overwrite=True)
    assert_untouched(tmp_path, previous)


def test_an_interrupt_between_dask_chunks_leaves_the_previous_series(tmp_path, previous):
    da = pytest.importorskip("dask.array")
    good = frames(12, seed=3)

    def stop_at_third(block, block_info=None):
        if block_info[0]["chunk-location"][0] == 2:
            raise KeyboardInterrupt
        return block

    lazy = da.from_array(good, chunks=(3, 4, 4)).map_blocks(
        stop_at_third, dtype=good.dtype, meta=np.empty((0,) * 3, good.dtype))
    with pytest.raises(KeyboardInterrupt):
        tvips_ks.save(tmp_path / "s.tvips", lazy, overwrite=True, max_file_size=256 + RECORD * 3)
    assert_untouched(tmp_path, previous)


@pytest.mark.parametrize("fail_on", [1, 2])
def test_a_failing_fsync_leaves_the_previous_series(tmp_path, previous, monkeypatch, fail_on):
    monkeypatch.setattr(os, "fsync", FailingCall(os.fsync, fail_on,
                                                 OSError(errno.EIO, "fsync failed")))
    with pytest.raises(WriteError, match="fsync failed"):
        tvips_ks.save(tmp_path / "s.tvips", frames(9, seed=4), overwrite=True,
                      max_file_size=256 + RECORD * 3)
    monkeypatch.undo()
    assert_untouched(tmp_path, previous)


def test_a_backup_that_cannot_be_restored_is_named_not_deleted(tmp_path, previous, monkeypatch):
    """Worst case: placing a new part fails, and so does renaming an old part back."""
    real = os.replace

    def replace(src, dst):
        if str(src).endswith(".partial") and str(dst).endswith("s_001.tvips"):
            raise OSError(errno.EIO, "placing failed")
        if str(src).endswith(".old") and str(dst).endswith("s_002.tvips"):
            raise OSError(errno.EIO, "restoring failed")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(WriteError, match="rename them back by hand") as info:
        tvips_ks.save(tmp_path / "s.tvips", frames(9, seed=5), overwrite=True,
                      max_file_size=256 + RECORD * 3)
    monkeypatch.undo()
    backup = info.value.path
    assert backup.endswith(".old") and ".s_002.tvips." in backup
    assert f"{os.path.basename(backup)} (was s_002.tvips)" in str(info.value)
    after = snapshot(tmp_path)
    # every byte of the previous series still exists: two parts in place, one under its backup
    assert after.pop(os.path.basename(backup)) == previous["s_002.tvips"]
    assert after == {k: v for k, v in previous.items() if k != "s_002.tvips"}


def test_a_backup_that_cannot_be_removed_after_success_is_reported(tmp_path, previous,
                                                                   monkeypatch):
    real = os.unlink

    def unlink(path, *args, **kwargs):
        if str(path).endswith(".old"):
            raise OSError(errno.EBUSY, "busy")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)
    new = frames(2, seed=6)
    with pytest.warns(TvipsWarning, match="could not be removed") as caught:
        tvips_ks.save(tmp_path / "s.tvips", new, overwrite=True)
    monkeypatch.undo()
    [w] = caught.list
    left = sorted(p for p in tmp_path.iterdir() if p.name.endswith(".old"))
    assert len(left) == 3  # the three previous parts, moved aside, each named
    assert all(str(p) in str(w.message) for p in left)
    if "mutmut" not in sys.modules:  # mutmut's trampolines add stack frames
        assert w.filename == __file__  # stacklevel: the line that called save
    with tvips_ks.open(tmp_path / "s.tvips") as ds:
        assert ds.num_frames == 2 and np.array_equal(np.asarray(ds.frames), new)


def test_a_successful_overwrite_leaves_no_temporary_file(tmp_path, previous):
    new = frames(4, seed=7)
    tvips_ks.save(tmp_path / "s.tvips", new, overwrite=True, max_file_size=256 + RECORD * 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s_000.tvips", "s_001.tvips"]
    with tvips_ks.open(tmp_path / "s.tvips") as ds:
        assert np.array_equal(np.asarray(ds.frames), new)


@pytest.mark.parametrize("source", ["dask", "frames"])
def test_a_series_can_be_saved_onto_itself(tmp_path, previous, source):
    """Re-splitting a series in place reads it whole before the old parts go away."""
    with tvips_ks.open(tmp_path / "s.tvips") as ds:
        data = np.asarray(ds.frames)
        headers = ds.frame_headers
        lazy = ds.to_dask() if source == "dask" else ds.frames
        tvips_ks.save(tmp_path / "s.tvips", lazy, overwrite=True, frame_headers=headers,
                      max_file_size=256 + RECORD * 5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s_000.tvips", "s_001.tvips"]
    with tvips_ks.open(tmp_path / "s.tvips") as ds:
        assert np.array_equal(np.asarray(ds.frames), data)
        assert np.array_equal(ds.frame_headers["counter"], headers["counter"])
