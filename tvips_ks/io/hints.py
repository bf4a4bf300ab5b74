"""Telling the kernel what comes next: read-ahead for reads, early write-back for writes.

Hints only: they change when the disk works, never what a read returns or
what a file holds, and a platform without them (or a call that fails) just
goes without.  Both exist for data that are not in the page cache:

* :func:`advise_read` asks for the records a task is about to map
  (``posix_fadvise(WILLNEED)``, step by step over the window), so that the
  disk reads the whole window while the task is still faulting in its first
  pages, instead of one read-around window per page fault, waited for;
* :func:`start_writeback` hands the pages just written to the disk
  (Linux ``sync_file_range(SYNC_FILE_RANGE_WRITE)``, from a background
  thread), so the disk writes while the next batch is built and the closing
  ``fsync`` has little left to wait for, and dirty memory stays near a few
  batches rather than the series.
"""

from __future__ import annotations

import ctypes
import errno
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

__all__ = ["advise_read", "start_writeback", "READ_HINTS", "WRITEBACK"]

#: ``<linux/fs.h>``: start writing the range's dirty pages; do not wait for them.
_SYNC_FILE_RANGE_WRITE = 2

#: Set False to do without read-ahead hints (the benchmarks compare both ways).
READ_HINTS = hasattr(os, "posix_fadvise")

#: Linux reads at most one read-ahead window (``read_ahead_kb``, or the device's
#: largest request if that is more: 128 KiB and about 1 MiB on a laptop's disk)
#: per ``WILLNEED`` call, so a window is asked for in steps of this size.
READ_STEP = 2**20

#: Pages probed across a window before its steps are: all cached, the window is warm.
WARM_PROBES = 4


def _sync_file_range():
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_SYNC_FILE_RANGE = _sync_file_range()

#: Set False to do without early write-back (the benchmarks compare both ways).
WRITEBACK = _SYNC_FILE_RANGE is not None


def advise_read(fd: int, offset: int, length: int) -> bool:
    """Ask the kernel to start reading ``length`` bytes of ``fd`` from ``offset``.

    Returns whether a hint was given.  A window whose pages at 0, 1/4, 1/2 and
    3/4 of its length are cached is taken as warm and left alone; otherwise the
    steps whose first page is already cached are left out: a ``WILLNEED`` costs a walk of its range even when every page
    is there (about 0.2 ms per 1 MiB step here, a quarter of the time numpy takes
    to sum that megabyte), while asking the cache costs one ``preadv`` of a byte
    with ``RWF_NOWAIT`` (about 3 µs).
    """
    if not READ_HINTS or length <= 0:
        return False
    # a warm window is told by a few probes across it, and then nothing more is asked
    if all(_cached(fd, offset + length * k // WARM_PROBES) for k in range(WARM_PROBES)):
        return False
    given = False
    try:
        for start in range(offset, offset + length, READ_STEP):
            if _cached(fd, start):
                continue
            os.posix_fadvise(fd, start, min(READ_STEP, offset + length - start),
                             os.POSIX_FADV_WILLNEED)
            given = True
    except OSError:  # e.g. a pipe or a file system without it: read as usual
        return False
    return given


_PROBE = {"flag": getattr(os, "RWF_NOWAIT", None) if hasattr(os, "preadv") else None}


def _cached(fd: int, offset: int) -> bool:
    """Whether the byte at ``offset`` is in the page cache (False when unknown)."""
    flag = _PROBE["flag"]
    if flag is None:
        return False
    try:
        return os.preadv(fd, [bytearray(1)], offset, flag) == 1
    except BlockingIOError:  # not cached: the read would wait for the disk
        return False
    except OSError as err:
        if err.errno in (errno.EOPNOTSUPP, errno.EINVAL):  # no RWF_NOWAIT: hint every step
            _PROBE["flag"] = None
        return False


def start_writeback(fd: int, offset: int, length: int) -> bool:
    """Start writing ``length`` bytes of ``fd`` from ``offset`` to the disk; do not wait.

    The call is made on a background thread, with a duplicate of ``fd``:
    ``sync_file_range`` itself waits whenever the device's request queue is
    full, and made here it would stall the writer (on a disk slower than the
    writer, that made ``save`` slower than writing without the hint).  At most
    ``WRITEBACK_PENDING`` ranges wait their turn; a range beyond that is left
    to the kernel's own write-back.  Returns whether the range was handed on.
    Durability still comes from ``fsync``, which reports any write error.
    """
    global _pending
    if not WRITEBACK or _SYNC_FILE_RANGE is None or length <= 0:
        return False
    with _lock:
        if _pending >= WRITEBACK_PENDING:
            return False
        try:
            dup = os.dup(fd)
        except OSError:  # out of descriptors, say: go without
            return False
        _pending += 1
        if _pool[0] is None:
            _pool[0] = ThreadPoolExecutor(1, thread_name_prefix="tvips-ks-writeback")
        _pool[0].submit(_writeback, dup, offset, length)
    return True


def _writeback(fd: int, offset: int, length: int) -> None:
    global _pending
    try:
        _SYNC_FILE_RANGE(fd, offset, length, _SYNC_FILE_RANGE_WRITE)
    finally:
        os.close(fd)
        with _lock:
            _pending -= 1


def writeback_idle(timeout: float = 10.0) -> bool:
    """Whether every handed-on range has been started (waits up to ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _lock:
            if not _pending:
                return True
        time.sleep(0.001)
    return False


#: Ranges handed to the write-back thread and not yet started, at most.
WRITEBACK_PENDING = 4
_lock = threading.Lock()
_pending = 0
_pool: list = [None]


def _after_fork_in_child() -> None:
    # the thread does not exist in a forked child: start afresh there
    global _lock, _pending
    _lock, _pending, _pool[0] = threading.Lock(), 0, None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
