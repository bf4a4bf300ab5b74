"""Validating a whole series: ``check_series(path) -> list[Problem]``.

The checks, in order:

* the main header against the spec's validation rules;
* part numbering: ``_000`` first, no gaps (parts after a gap are listed, not read);
* whole records per part: a continuation part that is not a whole number of
  records is *stale* (from another acquisition, with another record size) or
  a damaged copy; a partial record at the very end of the last part is an
  acquisition that stopped mid-frame; parts holding no record at all;
* frame-header continuity across the whole series: ``counter`` steps by one,
  timestamps never go back (and ``timestamp_ms`` stays in 0..999), no huge
  forward time jumps, and the ``rotator_index`` (when the headers hold it)
  never falls back except to restart at 0 or 1 and never leaps absurdly.

Everything but the main header is decided from file sizes and from a few
frame-header fields read in bulk: one strided memory-mapped pass per part, no
Python loop over frames, so a multi-GiB series is checked in about the time
the page cache needs to deliver one page per record.

Only a series that cannot be read at all raises (a :class:`TvipsError` for a
bad name, a missing ``_000`` or a ``_000`` too short for a main header, or an
``OSError``); anything else found is returned as a :class:`Problem`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..format import RecordLayout, header_violations, layout_usable
from ..io.files import read_main_header
from ..io.headers import read_frame_headers
from ..io.naming import list_parts
from ..io.parts import PartTable, measure_parts
from ..timing import format_utc, frame_times_ms

__all__ = ["Problem", "SeriesCheck", "check_series", "KINDS", "CHECKED_FIELDS"]

#: Problem kinds, in the order the checks run.
KINDS = ("header", "numbering", "stale-part", "empty-part", "partial-record", "no-frames",
         "counter", "timestamp", "rotator")

#: Fields the continuity checks read from every frame header (when present).
CHECKED_FIELDS = ("counter", "timestamp_s", "timestamp_ms", "rotator_index")
#: A forward time jump is reported when it exceeds both of these.
_TIME_JUMP_MIN_S = 60.0
_TIME_JUMP_FACTOR = 1000.0
#: A forward rotator jump is reported when it exceeds both of these.
_ROTATOR_JUMP_MIN = 1000
_ROTATOR_JUMP_FACTOR = 100


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a series, located as precisely as the check allows."""

    path: str                 #: the file the problem is in
    kind: str                 #: one of :data:`KINDS`
    message: str
    offset: int | None = None  #: byte offset in ``path``, when it applies
    frame: int | None = None   #: series-wide frame number, when it applies

    def __str__(self) -> str:
        where = [self.path]
        if self.offset is not None:
            where.append(f"byte {self.offset}")
        return f"{': '.join(where)}: {self.message}"


@dataclass
class SeriesCheck:
    """What :func:`check_series` looked at, besides the problems."""

    path: Path                       #: the ``_000`` part
    parts: list                      #: paths of the parts that were checked
    num_frames: int                  #: whole frames in the checked parts
    problems: list[Problem]
    omitted: dict[str, int]          #: problems per kind left out by ``max_per_kind``

    @property
    def ok(self) -> bool:
        return not self.problems


class _Collector:
    def __init__(self, max_per_kind):
        self.problems: list[Problem] = []
        self.max_per_kind = max_per_kind
        self.counts: dict[str, int] = {}
        self.omitted: dict[str, int] = {}

    def add(self, problem: Problem) -> None:
        n = self.counts.get(problem.kind, 0)
        self.counts[problem.kind] = n + 1
        if self.max_per_kind is not None and n >= self.max_per_kind:
            self.omitted[problem.kind] = self.omitted.get(problem.kind, 0) + 1
        else:
            self.problems.append(problem)

    def add_each(self, kind: str, events, problem) -> None:
        """``problem(i)`` for each event ``i``, as long as there is room; the rest counted."""
        room = (None if self.max_per_kind is None
                else max(self.max_per_kind - self.counts.get(kind, 0), 0))
        events = np.asarray(events)
        kept = events if room is None else events[:room]
        for i in kept:
            self.add(problem(int(i)))
        left = events.size - kept.size
        if left:
            self.omitted[kind] = self.omitted.get(kind, 0) + left
            self.counts[kind] = self.counts.get(kind, 0) + left


class _Locator:
    """Problems at a frame: the part and byte offset of the field concerned."""

    def __init__(self, table: PartTable):
        self.table = table

    def problem(self, kind: str, frame: int, field: str, message: str) -> Problem:
        part, offset = self.table.field_offset(frame, field)
        if frame == part.first_frame and part.index > 0:
            message += (f" (at the start of part {part.path.name}: is this part from "
                        f"another acquisition?)")
        return Problem(str(part.path), kind, f"frame {frame}: {message}", offset, frame)


def _check_counter(c: np.ndarray, loc: _Locator, out: _Collector) -> None:
    if c.size < 2 or (c == c[0]).all():  # a writer that leaves it constant (HyperSpy: 0)
        return
    c = c.astype(np.int64)
    step = np.diff(c)

    def problem(i):
        a, b = int(c[i]), int(c[i + 1])
        if b > a:
            what = (f"counter jumps from {a} to {b}: {b - a - 1} frame(s) missing or "
                    f"the counter is not continuous")
        elif b == a:
            what = f"counter repeats {a}: a duplicated frame?"
        else:
            what = f"counter goes back from {a} to {b}"
        return loc.problem("counter", i + 1, "counter", what)

    out.add_each("counter", np.flatnonzero(step != 1), problem)


def _check_time(s: np.ndarray, ms: np.ndarray, loc: _Locator, out: _Collector) -> None:
    bad_ms = np.flatnonzero(ms > 999)
    if bad_ms.size:
        i = int(bad_ms[0])
        more = f" (and in {bad_ms.size - 1} more frame(s))" if bad_ms.size > 1 else ""
        out.add(loc.problem("timestamp", i, "timestamp_ms",
                            f"timestamp_ms is {int(ms[i])}, outside 0..999{more}"))
    t = frame_times_ms({"timestamp_s": s, "timestamp_ms": ms})
    if t.size < 2:
        return
    step = np.diff(t)
    positive = step[step > 0]
    median = float(np.median(positive)) if positive.size else 0.0
    threshold = max(_TIME_JUMP_MIN_S * 1000, _TIME_JUMP_FACTOR * median)
    back = np.flatnonzero(step < 0)
    leap = np.flatnonzero(step > threshold)

    def problem(i):
        d = int(step[i])
        a, b = format_utc(int(t[i])), format_utc(int(t[i + 1]))
        if d < 0:
            what = f"timestamp goes back by {-d / 1000:.3f} s (from {a} to {b} UTC)"
        else:
            what = (f"timestamp jumps forward by {d / 1000:.3f} s (from {a} to {b} UTC; "
                    f"frames are {median / 1000:.3f} s apart elsewhere)")
        return loc.problem("timestamp", i + 1, "timestamp_s", what)

    out.add_each("timestamp", np.union1d(back, leap), problem)


def _check_rotator(r: np.ndarray, loc: _Locator, out: _Collector) -> None:
    if r.size < 2 or (r == r[0]).all():  # no rotator information (EM-Scan, HyperSpy 1..N aside)
        return
    r = r.astype(np.int64)  # signed: a decrease must not look like a huge increase
    step = np.diff(r)
    positive = step[step > 0]
    median = float(np.median(positive)) if positive.size else 1.0
    threshold = max(_ROTATOR_JUMP_MIN, _ROTATOR_JUMP_FACTOR * median)
    # a fall to 0 or 1 is the end of a scan or the start of the next one; others are not
    back = np.flatnonzero((step < 0) & (r[1:] > 1))
    leap = np.flatnonzero(step > threshold)

    def problem(i):
        a, b = int(r[i]), int(r[i + 1])
        if b < a:
            what = (f"rotator_index falls from {a} to {b} (a scan point index goes back "
                    f"without restarting at 0 or 1)")
        else:
            what = (f"rotator_index leaps from {a} to {b} ({b - a - 1} scan points "
                    f"skipped; elsewhere it steps by {median:g})")
        return loc.problem("rotator", i + 1, "rotator_index", what)

    out.add_each("rotator", np.union1d(back, leap), problem)


def check_series(path, *, max_per_kind: int | None = None,
                 frame_headers: np.ndarray | None = None) -> SeriesCheck:
    """Check a whole series; ``path`` is any part of it (or its bare name).

    Returns a :class:`SeriesCheck` whose ``problems`` are empty for a clean
    series.  ``max_per_kind`` keeps at most that many problems of each kind
    (the rest are counted in ``omitted``).  ``frame_headers``, the series'
    frame headers if already read (with at least :data:`CHECKED_FIELDS`, in
    the numbering of a permissive open), saves reading them again.  Raises
    :class:`TvipsError` only when the series cannot be read at all.
    """
    out = _Collector(max_per_kind)
    found = list_parts(path)
    first = found.first
    header = read_main_header(first)  # raises only when < 256 bytes
    for v in header_violations(header):
        out.add(Problem(str(first), "header", v.text(), v.offset))
    if not layout_usable(header):
        return SeriesCheck(first, [first], 0, out.problems, out.omitted)
    layout = RecordLayout.from_header(header)

    if found.missing is not None:
        later = ", ".join(p.name for p in found.after_gap[:3]) + (
            ", …" if len(found.after_gap) > 3 else "")
        out.add(Problem(str(found.missing), "numbering",
                        f"part {found.missing.name} is missing but later parts exist ({later}); "
                        f"the series is read up to the gap, so the {len(found.after_gap)} later "
                        f"part(s) are not checked"))

    parts = measure_parts(found.parts, layout)
    checked, stale = [], False
    for part in parts:
        rest, last = part.trailing_bytes, part.index == len(parts) - 1
        if part.num_frames == 0 and part.index > 0 and part.size == 0:
            out.add(Problem(str(part.path), "empty-part", "the part is empty (0 bytes)"))
        if stale:  # parts after a stale one are listed, not read
            continue
        if rest and not last and part.size >= part.offset:
            stale = True
            out.add(Problem(
                str(part.path), "stale-part",
                f"{part.size} bytes is not a whole number of {layout.len_record}-byte records "
                f"({part.num_frames} records and {rest} bytes over): a stale part of another "
                f"acquisition (another record size) or a damaged copy; readers refuse the series "
                f"(tvips_ks.open needs permissive=True); move it and the parts after it "
                f"away. Frame headers from here on are not checked", part.byte_range[1]))
            continue
        if rest:
            out.add(Problem(
                str(part.path), "partial-record",
                f"partial record of {rest} bytes after {part.num_frames} whole record(s) "
                f"(records are {layout.len_record} bytes): the acquisition stopped mid-frame; "
                f"readers drop it", part.byte_range[1]))
        checked.append(part)
    table = PartTable(checked, layout)
    if table.num_frames == 0:
        out.add(Problem(str(first), "no-frames",
                        f"the series holds no complete frame (records are {layout.len_record} "
                        f"bytes)"))
        return SeriesCheck(first, [p.path for p in checked], 0, out.problems, out.omitted)
    if frame_headers is None:
        headers = read_frame_headers(table, names=CHECKED_FIELDS)
    else:
        headers = frame_headers[:table.num_frames]
    loc = _Locator(table)
    _check_counter(headers["counter"], loc, out)
    _check_time(headers["timestamp_s"], headers["timestamp_ms"], loc, out)
    if "rotator_index" in headers.dtype.names:
        _check_rotator(headers["rotator_index"], loc, out)
    order = {k: i for i, k in enumerate(KINDS)}
    problems = sorted(out.problems, key=lambda q: (order.get(q.kind, len(KINDS)),))
    return SeriesCheck(first, [p.path for p in checked], table.num_frames, problems, out.omitted)
