"""One file of a series on disk: its size, its main header, and what an OS error means."""

from __future__ import annotations

import errno
import os
import stat

import numpy as np

from ..errors import HeaderError, SeriesError
from ..format import MAIN_HEADER_DTYPE

__all__ = ["os_error", "regular_file_size", "read_main_header_bytes", "read_main_header",
           "starts_like_main_header"]

_HINTS = {
    errno.EACCES: "check the file's permissions (and those of its directory)",
    errno.EPERM: "check the file's permissions (and those of its directory)",
    errno.ELOOP: "the path is a symbolic link loop; point the link at the real file",
    errno.EISDIR: "give the path of a .tvips file, not a directory",
    errno.ENOTDIR: "a component of the path is not a directory; check the path",
    errno.ENOENT: "check the path (a dangling symbolic link also gives this)",
    errno.ENAMETOOLONG: "the path is too long; move or rename the series",
    errno.EIO: "the storage reported an I/O error; copy the file from a good source",
    errno.ENOMEM: "not enough address space to map the records; read fewer frames at a time "
                  "(e.g. with to_dask())",
}


def os_error(err: OSError, path) -> SeriesError:
    """A :class:`SeriesError` naming ``path``, saying what to do about ``err``."""
    hint = _HINTS.get(err.errno, "")
    reason = err.strerror or str(err)
    return SeriesError(f"cannot read the file: {reason}{'; ' + hint if hint else ''}", path=path)


def regular_file_size(path) -> int:
    """Size of ``path``, which must be (a link to) a regular file.

    Checked before any ``open``: opening a FIFO would block for ever, and a
    device or directory has no meaningful size.
    """
    try:
        st = os.stat(path)
    except OSError as err:
        raise os_error(err, path) from None
    if stat.S_ISDIR(st.st_mode):
        raise SeriesError("is a directory, not a TVIPS file; give the path of a .tvips file",
                          path=path)
    if not stat.S_ISREG(st.st_mode):
        raise SeriesError("is not a regular file (a pipe, socket or device); TVIPS series are "
                          "read from regular files: copy the data to a file first", path=path)
    return st.st_size


def read_main_header_bytes(path) -> bytes:
    """The first 256 bytes of ``path``; :class:`HeaderError` when the file is shorter."""
    regular_file_size(path)
    try:
        with open(path, "rb") as f:
            raw = f.read(MAIN_HEADER_DTYPE.itemsize)
    except OSError as err:
        raise os_error(err, path) from None
    if len(raw) < MAIN_HEADER_DTYPE.itemsize:
        raise HeaderError(f"the file has {len(raw)} bytes, fewer than the "
                          f"{MAIN_HEADER_DTYPE.itemsize}-byte TVIPS main header; it is empty, "
                          f"truncated or not a TVIPS file: check that it was copied completely",
                          path=path, offset=len(raw))
    return raw


def read_main_header(path) -> np.void:
    """The main header of ``path`` as a numpy record, unjudged.

    Raises :class:`HeaderError` only when the file is too short to hold one;
    :mod:`tvips_ks.format.rules` judges the values.
    """
    return np.frombuffer(read_main_header_bytes(path), dtype=MAIN_HEADER_DTYPE)[0].copy()


def starts_like_main_header(path, size: int, len_record: int) -> bool:
    """Whether a continuation part looks like a ``_000`` part (read only on an error path)."""
    len_main = MAIN_HEADER_DTYPE.itemsize
    if size < len_main or (size - len_main) % len_record:
        return False
    try:
        with open(path, "rb") as f:
            raw = f.read(4)
    except OSError:
        return False
    return raw == len_main.to_bytes(4, "little")
