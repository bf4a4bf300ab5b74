"""Reading frames: the one routine every read path goes through.

:func:`read_frames` takes a part table and either a range of frames or an
array of frame numbers (−1 for a frame of zeros) and returns
``(n, height, width)`` (or the pixels a basic signal key selects).  It maps
just the records it needs, for as long as the result lives:

* a range inside one part is a zero-copy view of a private (copy-on-write)
  map of just its records: writable, and writing never reaches the file or a
  later read;
* anything else is gathered into a new array: whole frames with ``preadv``
  straight into it (one call per run of consecutive records, the frame headers
  between them read into a scratch buffer), so that nothing but the result is
  resident and no page fault or unmapping is paid per frame; a pixel
  selection (``pixels``) through maps of bounded windows, one slice copy per
  run of consecutive frames.

Before mapping or reading, each file's size is checked against the table (and
a read that comes back short is refused the same way), so a file that shrank
after the series was opened gives a :class:`SeriesError` instead of a bus
error or stale zeros.  The frame stack, scan arrays, dask tasks, convert and save
all read here.
"""

from __future__ import annotations

import mmap
import os

import numpy as np

from .chunks import block_frames
from .files import os_error
from .hints import advise_read
from .parts import Part, PartTable, check_unchanged

__all__ = ["read_frames", "read_block", "map_records", "WINDOW_BYTES"]

#: A gather maps at most this many bytes of one file at a time, so its address
#: space and resident pages stay bounded however scattered the frames are.
WINDOW_BYTES = 16 * 2**20

#: Buffers per ``preadv``/``writev`` call (the kernel's limit, ``IOV_MAX``, is 1024 on Linux).
IOV_BATCH = min(os.sysconf("SC_IOV_MAX"), 1024) if hasattr(os, "sysconf") else 16  # also .blo's writev
PREAD = hasattr(os, "preadv")
PREAD_BYTES = 2**30


def map_records(part: Part, first: int, count: int, dtype: np.dtype, *,
                read_all: bool = False) -> np.ndarray:
    """``count`` records of ``part`` from its local record ``first``, as one element each.

    A private map of just these records, alive as long as the returned array.
    ``read_all``: the caller reads every record, so the kernel is asked to
    read them all ahead (a no-op for pages already cached).
    """
    pos = part.offset + first * part.len_record
    end = pos + count * part.len_record
    try:
        with open(part.path, "rb") as f:
            check_unchanged(part, os.fstat(f.fileno()).st_size, end,
                            part.first_frame + first)
            base = pos - pos % mmap.ALLOCATIONGRANULARITY
            mapped = mmap.mmap(f.fileno(), end - base, access=mmap.ACCESS_COPY, offset=base)
            if read_all:
                advise_read(f.fileno(), pos, end - pos)
    except OSError as err:
        raise os_error(err, part.path) from None
    return np.ndarray((count,), dtype=dtype, buffer=mapped, offset=pos - base)


def _images(table: PartTable, part: Part, first: int, count: int, read_all=False
            ) -> np.ndarray:
    return map_records(part, first, count, table.layout.image_dtype, read_all=read_all)["image"]


def _out_shape(table: PartTable, pixels: tuple) -> tuple[int, ...]:
    probe = np.broadcast_to(np.empty((), dtype="V0"), table.layout.frame_shape)
    return probe[pixels].shape


def read_frames(table: PartTable, frames, pixels: tuple = (), out=None) -> np.ndarray:
    """Frames ``(start, stop)`` or ``frames`` (an array of frame numbers, −1 for zeros).

    ``pixels`` is a basic index (ints and slices) into each frame, applied
    while reading so that only those pixels are copied.  Returns
    ``(n, *selected frame shape)``; ``out`` (of that shape and the pixel dtype)
    receives what has to be gathered instead of a new array.
    """
    layout = table.layout
    if isinstance(frames, tuple):
        start, stop = (int(v) for v in frames)
        pieces = []
        while start < stop:
            part = table.part_of(start)
            count = min(stop, part.first_frame + part.num_frames) - start
            pieces.append(_images(table, part, start - part.first_frame, count, read_all=True)
                          [(slice(None), *pixels)])
            start += count
        if len(pieces) == 1:
            return pieces[0]
        if pieces:
            return np.concatenate(pieces, out=out)
        return np.empty((0, *_out_shape(table, pixels)), dtype=layout.pixel_dtype)
    wanted = np.asarray(frames, dtype=np.int64).ravel()
    if out is None:
        out = np.empty((wanted.size, *_out_shape(table, pixels)), dtype=layout.pixel_dtype)
    positions = np.flatnonzero(wanted >= 0)
    if positions.size < wanted.size:
        out[wanted < 0] = 0
    real = wanted[positions]
    owner = table.locate(real)
    window = max(1, WINDOW_BYTES // layout.len_record)
    direct = PREAD and _whole_frames(pixels, layout.frame_shape) and out.flags.c_contiguous \
        and out.dtype == layout.pixel_dtype
    for p in np.unique(owner):
        part = table.used[int(p)]
        sel = np.flatnonzero(owner == p)
        local = real[sel] - part.first_frame
        order = np.argsort(local, kind="stable")  # read in file order, window by window
        local, sel = local[order], sel[order]
        if direct:
            _pread_frames(part, layout, local, positions[sel], out)
            continue
        cuts = np.flatnonzero(np.diff(local // window)) + 1
        for run in np.split(np.arange(local.size), cuts):
            lo, hi = int(local[run[0]]), int(local[run[-1]]) + 1
            view = _images(table, part, lo, hi - lo)
            src = local[run] - lo
            dst = positions[sel[run]]
            if pixels:
                view = view[(slice(None), *pixels)]
            _copy_runs(view, src, dst, out)
    return out


def _whole_frames(pixels: tuple, frame_shape: tuple) -> bool:
    """Whether the basic index ``pixels`` (none, or one int or slice per frame axis)
    keeps every pixel of a frame, in order."""
    return all(isinstance(p, slice) and p.indices(n) == (0, n, 1)
               for p, n in zip(pixels, frame_shape))


def _pread_frames(part: Part, layout, local: np.ndarray, dst: np.ndarray,
                  out: np.ndarray) -> None:
    """``out[dst] = frames local`` of ``part`` (``local`` sorted), read with ``preadv``."""
    if local.size == 0:
        return
    len_header, len_record = layout.len_frame_header, layout.len_record
    rows = out.reshape(out.shape[0], -1).view(np.uint8)  # one contiguous row per frame
    scratch = bytearray(len_header) if len_header else None
    # runs of consecutive records, cut so that a call holds at most IOV_BATCH buffers
    # and PREAD_BYTES (one read returns at most 2 GiB - 4 KiB on Linux)
    limit = (IOV_BATCH + 1) // 2 if len_header else IOV_BATCH
    limit = max(1, min(limit, PREAD_BYTES // len_record))
    starts = np.flatnonzero(np.diff(local) != 1) + 1
    bounds = [0, *starts.tolist(), local.size]
    try:
        fd = os.open(part.path, os.O_RDONLY | os.O_CLOEXEC)  # preadv: POSIX, so is this
    except OSError as err:
        raise os_error(err, part.path) from None
    try:
        end = part.offset + (int(local[-1]) + 1) * len_record
        check_unchanged(part, os.fstat(fd).st_size, end, part.first_frame + int(local[-1]))
        for a, b in zip(bounds[:-1], bounds[1:]):
            for lo in range(a, b, limit):
                hi = min(b, lo + limit)
                buffers = []
                for k in range(lo, hi):
                    if scratch is not None and k > lo:
                        buffers.append(scratch)
                    buffers.append(rows[int(dst[k])])
                pos = part.offset + int(local[lo]) * len_record + len_header
                want = (hi - lo) * layout.len_image + (hi - lo - 1) * len_header
                if os.preadv(fd, buffers, pos) != want:  # short: did the file shrink?
                    check_unchanged(part, os.fstat(fd).st_size, pos + want,
                                    part.first_frame + int(local[lo]))
                    view = map_records(part, int(local[lo]), int(local[hi - 1] - local[lo]) + 1,
                                       layout.image_dtype)["image"]
                    for k in range(lo, hi):  # not shrunk: read this run through a map
                        out[int(dst[k])] = view[int(local[k] - local[lo])]
    except OSError as err:
        raise os_error(err, part.path) from None
    finally:
        os.close(fd)


def read_block(table: PartTable, frame_index, block: tuple) -> np.ndarray:
    """The frames behind one block of positions (slices of the scan), ``(*block, h, w)``.

    ``frame_index`` None means the frames in file order.  The body of every
    dask task and of every streamed conversion.
    """
    shape = tuple(s.stop - s.start for s in block) + table.layout.frame_shape
    return read_frames(table, block_frames(frame_index, block)).reshape(shape)


def _copy_runs(view: np.ndarray, src: np.ndarray, dst: np.ndarray, out: np.ndarray) -> None:
    """``out[dst] = view[src]``, one slice copy per run of consecutive frames.

    ``src`` is sorted here (file order), so runs are forward; a run that is
    also consecutive in ``dst`` (forward or backward: a snake row) is one slice
    copy.  Scattered frames are gathered with one fancy index instead.
    """
    n = src.size
    if n == 0:
        return
    step_src, step_dst = np.diff(src), np.diff(dst)
    same = np.ones(max(n - 1, 0), dtype=bool)
    same[1:] = step_dst[1:] == step_dst[:-1]
    breaks = (step_src != 1) | (np.abs(step_dst) != 1) | ~same
    begins = np.flatnonzero(np.concatenate([[True], breaks]))
    if begins.size > max(8, n // 8):
        out[dst] = view[src]
        return
    for b, e in zip(begins.tolist(), [*begins[1:].tolist(), n]):
        a, d, count = int(src[b]), int(dst[b]), e - b
        if count > 1 and dst[b + 1] < d:  # a run written backwards (a reversed scan row)
            out[d - count + 1:d + 1] = view[a:a + count][::-1]
        else:
            out[d:d + count] = view[a:a + count]
