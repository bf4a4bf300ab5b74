"""The part table: which file holds which frames, and where each record starts.

Built from the file sizes alone (no pixel is read): ``_000`` holds the main
header then whole records, every other part whole records only.  The table
is the one place that turns a frame number into a file and a byte offset; the
frame stack, the dask tasks, ``check``, ``dump`` and ``convert`` all ask it.
It pickles to paths and a few integers, so it travels to dask workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import SeriesError, TruncatedRecordError, TruncatedRecordWarning, warn
from ..format import RecordLayout
from ..generated import tables
from .files import regular_file_size, starts_like_main_header

__all__ = ["Part", "PartTable", "measure_parts", "build_part_table"]


@dataclass(frozen=True)
class Part:
    """One file of a series and the whole records it holds."""

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


def measure_parts(paths: list[Path], layout: RecordLayout) -> list[Part]:
    """Every file as a :class:`Part` with its whole records, from its size alone.

    Nothing is judged here: :func:`build_part_table` (open) refuses or warns,
    and ``check`` reports.
    """
    parts, first_frame = [], 0
    for index, path in enumerate(paths):
        size = regular_file_size(path)
        offset = tables.LEN_MAIN_HEADER if index == 0 else 0
        num_frames = max(size - offset, 0) // layout.len_record
        parts.append(Part(Path(path), index, offset, num_frames, first_frame, size,
                          layout.len_record))
        first_frame += num_frames
    return parts


class PartTable:
    """Frame number → (part, byte offset of its record), for a series' parts.

    Parts without a whole record are kept in :attr:`parts` (they are files of
    the series) but never located.
    """

    def __init__(self, parts: list[Part], layout: RecordLayout):
        self.parts = tuple(parts)
        self.layout = layout
        self.used = tuple(p for p in parts if p.num_frames)
        self.starts = np.array([p.first_frame for p in self.used], dtype=np.int64)
        self.num_frames = sum(p.num_frames for p in parts)

    def __repr__(self) -> str:
        return f"<PartTable {self.num_frames} frames in {len(self.parts)} part(s)>"

    def __eq__(self, other) -> bool:
        return (isinstance(other, PartTable) and self.parts == other.parts
                and self.layout == other.layout)

    def __hash__(self) -> int:
        return hash((self.parts, self.layout))

    def locate(self, frames) -> np.ndarray:
        """Index into :attr:`used` of the part holding each frame (frames must exist)."""
        return np.searchsorted(self.starts, frames, side="right") - 1

    def part_of(self, frame: int) -> Part:
        return self.used[int(self.locate(frame))]

    def record_offset(self, frame: int) -> tuple[Part, int]:
        """The part holding ``frame`` and the byte offset of its record in that file."""
        part = self.part_of(frame)
        return part, part.offset + (frame - part.first_frame) * part.len_record

    def field_offset(self, frame: int, field: str) -> tuple[Part, int]:
        """The part holding ``frame`` and the byte offset of one of its frame-header fields."""
        part, record = self.record_offset(frame)
        offset = next(f.offset for f in tables.FRAME_HEADER_FIELDS if f.id == field)
        return part, record + offset

    def __reduce__(self):
        return (PartTable, (list(self.parts), self.layout))


def build_part_table(paths: list[Path], layout: RecordLayout, *,
                     permissive: bool = False) -> PartTable:
    """The part table of a series to read, refusing what cannot be read exactly.

    Every part but the last must hold whole records: a remainder there means a
    part of another series (a stale part from an earlier, larger acquisition)
    or a damaged copy.  A partial record at the very end (an acquisition
    stopped mid-frame) is dropped with a warning.  ``permissive=True`` drops
    partial records in any part with a warning instead of refusing.
    """
    parts = measure_parts(paths, layout)
    for part in parts:
        rest = part.trailing_bytes
        if not rest or part.size < part.offset:
            continue
        last = part.index == len(parts) - 1
        if not last and not permissive:
            what = ("it looks like the _000 part of a series, renamed or copied over this part"
                    if starts_like_main_header(part.path, part.size, layout.len_record)
                    else "it belongs to another series or was damaged in copying")
            raise SeriesError(
                f"this part is {part.size} bytes, which is not a whole number of "
                f"{layout.len_record}-byte records ({part.num_frames} records and {rest} bytes "
                f"over); {what}. Move it away (and the parts after it) or open with "
                f"permissive=True to drop the partial record", path=part.path,
                offset=part.byte_range[1])
        warn(TruncatedRecordWarning(
            f"{part.path}: dropping a partial record of {rest} bytes at byte "
            f"{part.byte_range[1]} (of {layout.len_record} per record); the acquisition "
            f"probably stopped mid-frame. {part.num_frames} whole frames in this part are read."))
    table = PartTable(parts, layout)
    if table.num_frames == 0:
        _refuse_empty(parts, layout)
    return table


def _refuse_empty(parts: list[Part], layout: RecordLayout):
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
        path=parts[0].path, offset=tables.LEN_MAIN_HEADER)


def check_unchanged(part: Part, size: int, end: int, frame: int) -> None:
    """Refuse to map up to byte ``end`` of a part that is now only ``size`` bytes."""
    if size < end:
        raise SeriesError(
            f"the file is now {size} bytes, shorter than when the series was opened "
            f"({part.size}), so frame {frame} is gone: it was truncated or replaced "
            f"after the series was opened (an acquisition restarting over it?). Open it again",
            path=part.path, offset=size)

