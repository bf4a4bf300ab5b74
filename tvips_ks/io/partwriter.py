"""Putting a series' records on disk: one reused buffer, large writes, early write-back.

:func:`tvips_ks.save` decides what each record holds; :class:`PartWriter`
lays the records out in the parts, in order, and makes every part durable
once all are written (before any is renamed into place).  Speed here is memory traffic and the disk:

* the records of a batch are built in one buffer allocated once, so no
  batch pays for fresh pages (zeroing them, and faulting them in);
* a batch goes to the kernel in writes of ``WRITE_PIECE`` bytes: 32 MiB
  ``write(2)`` calls took about 1.4–1.5 times as long here (medians; up to 4
  times in single runs) as the same bytes in 1 MiB pieces, measured through
  ``save`` of 2 GiB and ``.npy`` conversion, alternating the two;
* its pages are handed to the disk at once (:func:`hints.start_writeback`),
  so the disk writes while the next batch is built, and the ``fsync`` calls
  at the end wait for little;
* the parts are synced after the last byte, not one by one between them,
  so the disk gets one stream rather than a stop-and-wait at every part.

The files are the temporary names of :class:`AtomicOutputs`; an error
propagates and leaves cleaning up to it.
"""

from __future__ import annotations

import errno
import os

import numpy as np

from .hints import start_writeback

__all__ = ["PartWriter", "write_fully", "WRITE_PIECE"]

#: Bytes per ``write(2)`` call (see the module's docstring).
WRITE_PIECE = 2**20


def write_fully(f, data) -> int:
    """Write all of ``data`` to the file object ``f``, ``WRITE_PIECE`` bytes at a time.

    One ``write`` may take less than asked (a signal, a full disk): the rest
    is written again; a write that takes nothing is an ``OSError``.
    """
    view = memoryview(data).cast("B")
    total = view.nbytes
    while view.nbytes:
        count = f.write(view[:WRITE_PIECE])
        if not count:
            raise OSError(errno.EIO, "the file system took no bytes of a write", f.name)
        view = view[count:]
    return total


def _make_durable(path) -> None:
    """``fsync`` a written part (through a new descriptor: the writing one is closed)."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class PartWriter:
    """Append records to ``paths`` (``capacities[i]`` records in part ``i``).

    The first part starts with ``main_header``.  ``buffer_records`` records
    are built at a time; bytes of a header that ``fill_headers`` never sets
    stay zero, as the buffer starts zeroed and every batch sets the same
    fields.
    """

    def __init__(self, paths, capacities, main_header: bytes, record_dtype: np.dtype,
                 buffer_records: int):
        self._paths, self._capacities = list(paths), list(capacities)
        self._main_header = main_header
        self._records = np.zeros(max(1, buffer_records), dtype=record_dtype)
        self._files = []
        self._room = 0
        self._position = 0

    def write(self, first: int, frames: np.ndarray, fill_headers) -> None:
        """The records of frames ``first, first + 1, …`` (``frames`` is ``(n, h, w)``).

        ``fill_headers(records, first)`` sets the header fields of a batch of
        records in place.
        """
        done = 0
        while done < len(frames):
            if self._room == 0:
                self._next_part()
            take = min(self._room, len(frames) - done, len(self._records))
            batch = self._records[:take]
            fill_headers(batch, first + done)
            batch["image"] = frames[done:done + take]
            self._write(batch.view(np.uint8))
            done += take
            self._room -= take

    def finish(self) -> None:
        """Make every part durable."""
        self.close()
        for path in self._paths[:len(self._files)]:
            _make_durable(path)

    def close(self) -> None:
        for f in self._files:
            f.close()

    def _next_part(self) -> None:
        if self._files:
            self._files[-1].close()
        part = len(self._files)
        self._files.append(open(self._paths[part], "wb", buffering=0))
        self._room = self._capacities[part]
        self._position = 0
        if part == 0:
            self._write(self._main_header)

    def _write(self, data) -> None:
        f = self._files[-1]
        start = self._position
        self._position += write_fully(f, data)
        start_writeback(f.fileno(), start, self._position - start)
