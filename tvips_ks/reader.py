"""Reading a series: the main header, the part table, frame headers and frames.

Data flows one way: paths (``parts``) → main header and ``SeriesLayout``
(``layout``) → the part table (frame counts and byte ranges, from file sizes)
→ frame headers (one strided bulk read per part) and frames (zero-copy
memory-mapped views per part).  No pixel byte is read until it is asked for.
"""

from __future__ import annotations

import errno
import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import (HeaderError, SeriesError, TruncatedRecordError,
                     TruncatedRecordWarning)
from .layout import MAIN_HEADER_DTYPE, SeriesLayout, frame_header_dtype, validate_main_header

__all__ = ["LazyArray", "Part", "read_main_header", "scan_parts", "read_frame_headers", "FrameStack",
           "map_frames"]


def _os_error(err: OSError, path) -> SeriesError:
    hint = {errno.EACCES: "check the file's permissions (and those of its directory)",
            errno.EPERM: "check the file's permissions (and those of its directory)",
            errno.ELOOP: "the path is a symbolic link loop; point the link at the real file",
            errno.EISDIR: "give the path of a .tvips file, not a directory",
            errno.ENOTDIR: "a component of the path is not a directory; check the path",
            errno.ENOENT: "check the path (a dangling symbolic link also gives this)",
            errno.ENAMETOOLONG: "the path is too long; move or rename the series",
            errno.EIO: "the storage reported an I/O error; copy the file from a good source",
            errno.ENOMEM: "not enough address space to map the records; read fewer frames "
                          "at a time (e.g. with to_dask())"}.get(err.errno, "")
    reason = err.strerror or str(err)
    return SeriesError(f"cannot read the file: {reason}{'; ' + hint if hint else ''}", path=path)


def _regular_file_size(path) -> int:
    """Size of ``path``, which must be (a link to) a regular file.

    Checked before any ``open``: opening a FIFO would block for ever, and a
    device or directory has no meaningful size.
    """
    try:
        st = os.stat(path)
    except OSError as err:
        raise _os_error(err, path) from None
    if stat.S_ISDIR(st.st_mode):
        raise SeriesError("is a directory, not a TVIPS file; give the path of a .tvips file",
                          path=path)
    if not stat.S_ISREG(st.st_mode):
        raise SeriesError("is not a regular file (a pipe, socket or device); TVIPS series are "
                          "read from regular files: copy the data to a file first", path=path)
    return st.st_size


def read_main_header(path: Path, *, validate: bool = True) -> np.void:
    """The main header of a series' ``_000`` part, as a numpy record.

    ``validate=False`` returns any 256 bytes unchecked (for ``tvips-ks check``,
    which reports every problem).
    """
    _regular_file_size(path)
    try:
        with open(path, "rb") as f:
            raw = f.read(MAIN_HEADER_DTYPE.itemsize)
    except OSError as err:
        raise _os_error(err, path) from None
    if len(raw) < MAIN_HEADER_DTYPE.itemsize:
        raise HeaderError(f"the file has {len(raw)} bytes, fewer than the "
                          f"{MAIN_HEADER_DTYPE.itemsize}-byte TVIPS main header; it is empty, "
                          f"truncated or not a TVIPS file: check that it was copied completely",
                          path=path, offset=len(raw))
    header = np.frombuffer(raw, dtype=MAIN_HEADER_DTYPE)[0]
    if validate:
        validate_main_header(header, path)
    return header


@dataclass(frozen=True)
class Part:
    """One file of a series and the records it holds."""

    path: Path
    index: int          #: part number, 0 for ``_000``
    offset: int         #: byte offset of the first record (256 in ``_000``, else 0)
    num_frames: int     #: whole records in this part
    first_frame: int    #: series-wide number of its first frame
    size: int           #: file size in bytes when the series was opened
    len_record: int

    @property
    def byte_range(self) -> tuple[int, int]:
        """``[start, stop)`` of the whole records in this file."""
        return self.offset, self.offset + self.num_frames * self.len_record

    @property
    def trailing_bytes(self) -> int:
        """Bytes after the last whole record (a partial record)."""
        return self.size - self.byte_range[1]

    def frame_offset(self, local_frame: int) -> int:
        """Byte offset of the record of a frame of this part."""
        return self.offset + local_frame * self.len_record


def _starts_with_main_header(path, size: int, layout: SeriesLayout) -> bool:
    """Whether a continuation part looks like a ``_000`` part (read only on an error path)."""
    len_main = MAIN_HEADER_DTYPE.itemsize
    if size < len_main or (size - len_main) % layout.len_record:
        return False
    try:
        with open(path, "rb") as f:
            raw = f.read(4)
    except OSError:
        return False
    return raw == len_main.to_bytes(4, "little")


def scan_parts(paths: list[Path], layout: SeriesLayout, *, len_main_header: int,
               permissive: bool = False) -> list[Part]:
    """The part table of a series, from file sizes alone.

    Every part but the last must hold whole records: a remainder there means a
    part of another series (a stale part from an earlier, larger acquisition)
    or a damaged copy.  A partial record at the very end (an acquisition
    stopped mid-frame) is dropped with a warning.  ``permissive=True`` drops
    partial records in any part with a warning instead of refusing.
    """
    parts, first_frame = [], 0
    for index, path in enumerate(paths):
        size = _regular_file_size(path)
        offset = len_main_header if index == 0 else 0
        num_frames, rest = divmod(max(size - offset, 0), layout.len_record)
        part = Part(path, index, offset, num_frames, first_frame, size, layout.len_record)
        if rest:
            last = index == len(paths) - 1
            if not (last or permissive):
                what = ("it starts with a main header: it is the _000 part of a series, renamed "
                        "or copied over this part" if _starts_with_main_header(path, size, layout)
                        else "it belongs to another series or was damaged in copying")
                raise SeriesError(
                    f"this part is {size} bytes, which is not a whole number of "
                    f"{layout.len_record}-byte records ({num_frames} records and {rest} bytes "
                    f"over); {what}. Move it away (and the parts after it) or open with "
                    f"permissive=True to drop the partial record", path=path,
                    offset=part.byte_range[1])
            warnings.warn(TruncatedRecordWarning(
                f"{path}: dropping a partial record of {rest} bytes at byte "
                f"{part.byte_range[1]} (of {layout.len_record} per record); the acquisition "
                f"probably stopped mid-frame. {num_frames} whole frames in this part are read."),
                stacklevel=3)
        parts.append(part)
        first_frame += num_frames
    if first_frame == 0:
        # layout.len_record is a Python int: a header claiming 2^31 × 2^31 pixels gives a
        # huge number here, never an overflow or an allocation
        available = max(max(p.size - p.offset, 0) for p in parts)
        if available:
            why = (f"one record would be {layout.len_record} bytes but the largest part holds "
                   f"only {available}: if the image size ({layout.height}×{layout.width}, "
                   f"{layout.bits_per_pixel}-bit) or the frame-header size "
                   f"({layout.len_frame_header}) looks wrong, the main header is damaged; "
                   f"otherwise the acquisition stopped before its first frame was complete")
        else:
            why = ("there is nothing after the main header: the acquisition recorded no "
                   "frame, or the rest of the data was not copied")
        raise TruncatedRecordError(
            f"the series holds no complete frame (records are {layout.len_record} bytes: "
            f"{layout.len_frame_header}-byte frame header and a {layout.height}×{layout.width} "
            f"image of {layout.bits_per_pixel}-bit pixels); {why}",
            path=paths[0], offset=len_main_header)
    return parts


def _map(part: Part, dtype: np.dtype, start: int = 0, count: int | None = None) -> np.ndarray:
    """A read-only memory map of whole records of a part, one element per record.

    ``start`` and ``count`` select a window of records (all of them by default).
    """
    count = part.num_frames - start if count is None else count
    try:
        return np.memmap(part.path, dtype=dtype, mode="r", shape=(count,),
                         offset=part.offset + start * part.len_record)
    except OSError as err:
        raise _os_error(err, part.path) from None
    except ValueError as err:  # the file shrank since the series was opened
        raise SeriesError(f"cannot map {count} records: {err}; the file was "
                          f"truncated or replaced after the series was opened: open it again",
                          path=part.path, offset=part.offset) from None


#: Frame headers are read through maps of at most this many bytes, unmapped in
#: turn, so the resident pages (one or more per record) stay bounded however
#: large the series is.
_HEADER_WINDOW_BYTES = 64 * 2**20


def read_frame_headers(parts: list[Part], layout: SeriesLayout, *,
                       names: tuple[str, ...] | None = None,
                       padding: bool = False) -> np.ndarray:
    """Every frame header of the series as one packed structured array.

    ``names`` picks fields (those the header size holds); default all. Strided
    reads through windowed memory maps whose elements are one record apart:
    a handful of numpy operations per 64 MiB, never a Python loop over frames.
    """
    full = frame_header_dtype(layout.len_frame_header, padding=padding)
    keep = [n for n in full.names if names is None or n in names]
    out_dtype = np.dtype([(n, full.fields[n][0]) for n in keep]) if names else full
    strided = np.dtype({"names": keep,
                        "formats": [full.fields[n][0] for n in keep],
                        "offsets": [full.fields[n][1] for n in keep],
                        "itemsize": layout.len_record})
    out = np.empty(sum(p.num_frames for p in parts), dtype=out_dtype)
    window = max(1, _HEADER_WINDOW_BYTES // layout.len_record)
    for part in parts:
        for start in range(0, part.num_frames, window):
            count = min(window, part.num_frames - start)
            view = _map(part, strided, start, count)
            first = part.first_frame + start
            dest = out[first:first + count]
            for name in keep:
                dest[name] = view[name]
            del view
    return out


class LazyArray:
    """What numpy-like consumers ask of an array that reads on demand."""

    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    def __len__(self) -> int:
        return self.shape[0]

    def flat_frames(self, start: int, stop: int) -> np.ndarray:
        """Frames ``start:stop`` of the array flattened to ``(n, height, width)`` in C order."""
        raise NotImplementedError


class FrameStack(LazyArray):
    """All frames of a series, ``(num_frames, height, width)``, without reading them.

    Each part is a zero-copy strided view of a read-only memory map.  Indexing
    with an integer, or a slice inside one part, returns such a view; any
    other index gathers just the frames it names into a new array.
    ``np.asarray(stack)`` reads everything.
    """

    def __init__(self, parts: list[Part], layout: SeriesLayout):
        self._parts = [p for p in parts if p.num_frames]
        self._layout = layout
        self._starts = np.array([p.first_frame for p in self._parts], dtype=np.int64)
        self._views = None
        self.shape = (sum(p.num_frames for p in parts), *layout.frame_shape)
        self.dtype = layout.pixel_dtype

    def __repr__(self) -> str:
        return (f"<FrameStack {self.shape[0]} frames of {self.shape[1]}×{self.shape[2]} "
                f"{self.dtype} in {len(self._parts)} part(s)>")

    @property
    def part_views(self) -> list[np.ndarray]:
        """One zero-copy ``(n, height, width)`` view per part (memory-mapped)."""
        if self._views is None:
            self._views = [_map(p, self._layout.image_dtype)["image"] for p in self._parts]
        return self._views

    def close(self) -> None:
        self._views = None

    def _locate(self, frames: np.ndarray) -> np.ndarray:
        return np.searchsorted(self._starts, frames, side="right") - 1

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            key = (key,)
        first, rest = key[0], key[1:]
        n = self.shape[0]
        if isinstance(first, (int, np.integer)):
            i = int(first) + n if first < 0 else int(first)
            if not 0 <= i < n:
                raise IndexError(f"frame {first} is out of range for {n} frames")
            p = int(self._locate(np.array([i]))[0])
            return self.part_views[p][(i - self._parts[p].first_frame, *rest)]
        if isinstance(first, slice):
            start, stop, step = first.indices(n)
            if step == 1 and stop > start:
                p0, p1 = self._locate(np.array([start, stop - 1]))
                if p0 == p1:  # inside one part: a view, no copy
                    base = self._parts[p0].first_frame
                    return self.part_views[p0][(slice(start - base, stop - base), *rest)]
            frames = np.arange(start, stop, step, dtype=np.int64)
        else:
            frames = np.asarray(first)
            if frames.dtype == bool:
                if frames.shape != (n,):
                    raise IndexError(f"boolean index of shape {frames.shape} for {n} frames")
                frames = np.flatnonzero(frames)
            frames = frames.astype(np.int64, copy=False)
            frames = np.where(frames < 0, frames + n, frames)
            if frames.size and (frames.min() < 0 or frames.max() >= n):
                raise IndexError(f"frame index out of range for {n} frames")
        out = self.take(frames.ravel()).reshape(*frames.shape, *self.shape[1:])
        return out[(slice(None),) * frames.ndim + tuple(rest)] if rest else out

    def flat_frames(self, start: int, stop: int) -> np.ndarray:
        return self[start:stop]

    def take(self, frames: np.ndarray, fill: int | None = None) -> np.ndarray:
        """Gather frames (1-D array of frame numbers) into a new array.

        Frame number −1 gives a frame of zeros when ``fill`` is 0 (padding).
        Reads each needed frame once, part by part, in file order.
        """
        frames = np.asarray(frames, dtype=np.int64)
        out = np.empty((frames.size, *self.shape[1:]), dtype=self.dtype)
        valid = frames >= 0
        if fill is not None:
            out[~valid] = fill
        elif not valid.all():
            raise IndexError("negative frame number without a fill value")
        positions = np.flatnonzero(valid)
        wanted = frames[positions]
        owner = self._locate(wanted)
        for p in np.unique(owner):
            sel = owner == p
            local = wanted[sel] - self._parts[p].first_frame
            order = np.argsort(local, kind="stable")  # read in file order
            out[positions[sel][order]] = self.part_views[p][local[order]]
        return out

    def __array__(self, dtype=None, copy=None):
        if copy is False:
            raise ValueError("a FrameStack cannot be turned into an array without a copy")
        out = np.empty(self.shape, dtype=self.dtype)
        for part, view in zip(self._parts, self.part_views):
            out[part.first_frame:part.first_frame + part.num_frames] = view
        return out if dtype is None else out.astype(dtype, copy=False)


def _map_records(path, pos: int, count: int, image: np.dtype, first_frame: int) -> np.ndarray:
    """``count`` records from byte ``pos`` as a ``(count, h, w)`` view of a private memory map.

    The map covers just these records and lives as long as the returned view
    (copy-on-write: the view is writeable and writes never reach the file).
    """
    import mmap

    end = pos + count * image.itemsize
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < end:
                frame = first_frame + max(size - pos, 0) // image.itemsize
                raise SeriesError(f"file ended at byte {size} while reading frame {frame}; it "
                                  f"was truncated or replaced after the series was opened: "
                                  f"open it again", path=path, offset=size)
            base = pos - pos % mmap.ALLOCATIONGRANULARITY
            mapped = mmap.mmap(f.fileno(), end - base, access=mmap.ACCESS_COPY, offset=base)
    except OSError as err:
        raise _os_error(err, path) from None
    return np.ndarray((count,), dtype=image, buffer=mapped, offset=pos - base)["image"]


def map_frames(parts: tuple[tuple[str, int, int, int], ...], len_record: int,
               len_frame_header: int, frame_shape: tuple[int, int], pixel_dtype: str,
               frames: np.ndarray | tuple[int, int]) -> np.ndarray:
    """Frames by byte offset through short-lived memory maps: the dask task body.

    ``parts`` is ``((path, offset, num_frames, first_frame), …)``.  ``frames``
    is a ``(start, stop)`` range or an array of frame numbers (−1 for a frame
    of zeros); the result is ``(n, height, width)``.  A ``(start, stop)`` range inside one part is
    returned as a zero-copy strided view of a private map of just its records
    (unmapped when the view is dropped), so a full pass costs no copy out of
    the page cache; a range across parts is joined into one array.  An array
    of frame numbers is gathered part by part into a new array, one slice
    copy per run of consecutive frames (−1 gives a frame of zeros).
    """
    image = np.dtype({"names": ["image"], "formats": [(pixel_dtype, frame_shape)],
                      "offsets": [len_frame_header], "itemsize": len_record})
    starts = np.array([p[3] for p in parts], dtype=np.int64)
    if isinstance(frames, tuple):
        start, stop = (int(v) for v in frames)
        pieces = []
        while start < stop:
            path, offset, num, first = parts[int(np.searchsorted(starts, start, "right")) - 1]
            count = min(stop, first + num) - start
            pieces.append(_map_records(path, offset + (start - first) * len_record, count,
                                       image, start))
            start += count
        if len(pieces) == 1:
            return pieces[0]
        return (np.concatenate(pieces) if pieces
                else np.empty((0, *frame_shape), dtype=pixel_dtype))
    wanted = np.asarray(frames, dtype=np.int64).ravel()
    out = np.empty((wanted.size, *frame_shape), dtype=pixel_dtype)
    positions = np.flatnonzero(wanted >= 0)
    if positions.size < wanted.size:
        out[wanted < 0] = 0
    real = wanted[positions]
    owner = np.searchsorted(starts, real, side="right") - 1
    for p in np.unique(owner):
        path, offset, _, first = parts[int(p)]
        sel = np.flatnonzero(owner == p)
        local = real[sel] - first
        lo, hi = int(local.min()), int(local.max()) + 1
        view = _map_records(path, offset + lo * len_record, hi - lo, image, first + lo)
        _copy_runs(view, local - lo, positions[sel], out)
    return out


def _copy_runs(view: np.ndarray, src: np.ndarray, dst: np.ndarray, out: np.ndarray) -> None:
    """``out[dst] = view[src]``, one slice copy per run of consecutive frames.

    A scan row (forward, or reversed and rolled by a snake scan) is one to
    three runs, so a block of rows costs a few slice copies; scattered frames
    are gathered with one fancy index instead.
    """
    n = src.size
    if n == 0:
        return
    step_src, step_dst = np.diff(src), np.diff(dst)
    same = np.ones(max(n - 1, 0), dtype=bool)
    same[1:] = step_src[1:] == step_src[:-1]
    breaks = (step_dst != 1) | (np.abs(step_src) != 1) | ~same
    begins = np.flatnonzero(np.concatenate([[True], breaks]))
    if begins.size > max(8, n // 8):
        out[dst] = view[src]
        return
    for b, e in zip(begins.tolist(), [*begins[1:].tolist(), n]):
        a, d, count = int(src[b]), int(dst[b]), e - b
        if count > 1 and src[b + 1] < a:  # a reversed run
            out[d:d + count] = view[a - count + 1:a + 1][::-1]
        else:
            out[d:d + count] = view[a:a + count]
