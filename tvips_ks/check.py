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

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .errors import HeaderError
from .generated import layout as spec
from .layout import SeriesLayout, frame_header_fields, validate_main_header
from .parts import list_parts
from .reader import Part, read_frame_headers, read_main_header

__all__ = ["Problem", "SeriesCheck", "check_series", "layout_usable", "KINDS"]

#: Problem kinds, in the order the checks run.
KINDS = ("header", "numbering", "stale-part", "empty-part", "partial-record", "no-frames",
         "counter", "timestamp", "rotator")

#: Fields the continuity checks read from every frame header (when present).
_CHECKED_FIELDS = ("counter", "timestamp_s", "timestamp_ms", "rotator_index")
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

    def room(self, kind: str) -> int | None:
        """How many more problems of ``kind`` will be kept (None: no limit)."""
        if self.max_per_kind is None:
            return None
        return max(self.max_per_kind - self.counts.get(kind, 0), 0)


def layout_usable(header: np.void) -> bool:
    """Whether the record size can be computed from this header at all."""
    version = int(header["version"])
    return (version in spec.VERSIONS and int(header["width"]) >= spec.MIN_WIDTH
            and int(header["height"]) >= spec.MIN_HEIGHT
            and int(header["bits_per_pixel"]) in spec.BITS_PER_PIXEL
            and (version == 1 or int(header["len_frame_header"]) >= spec.MIN_LEN_FRAME_HEADER_V2))


class _Locator:
    """Frame number -> (part, byte offset of a field in it)."""

    def __init__(self, parts: list[Part], layout: SeriesLayout):
        self.parts = parts
        self.starts = np.array([p.first_frame for p in parts], dtype=np.int64)
        self.layout = layout
        self.offsets = {f.id: f.offset for f in frame_header_fields(layout.len_frame_header)}

    def part(self, frame: int) -> Part:
        return self.parts[int(np.searchsorted(self.starts, frame, side="right")) - 1]

    def problem(self, kind: str, frame: int, field: str, message: str) -> Problem:
        part = self.part(frame)
        offset = (part.offset + (frame - part.first_frame) * self.layout.len_record
                  + self.offsets[field])
        if frame == part.first_frame and part.index > 0:
            message += (f" (at the start of part {part.path.name}: is this part from "
                        f"another acquisition?)")
        return Problem(str(part.path), kind, f"frame {frame}: {message}", offset, frame)


def _fmt_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000.0, tz=timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S.%f")[:-3]


def _check_counter(c: np.ndarray, loc: _Locator, out: _Collector) -> None:
    if c.size < 2 or (c == c[0]).all():  # a writer that leaves it constant (HyperSpy: 0)
        return
    c = c.astype(np.int64)
    step = np.diff(c)
    bad = np.flatnonzero(step != 1)
    room = out.room("counter")
    for k, i in enumerate(bad):
        if room is not None and k >= room:
            out.omitted["counter"] = out.omitted.get("counter", 0) + bad.size - k
            out.counts["counter"] = out.counts.get("counter", 0) + bad.size - k
            break
        a, b = int(c[i]), int(c[i + 1])
        if b > a:
            what = (f"counter jumps from {a} to {b}: {b - a - 1} frame(s) missing or "
                    f"the counter is not continuous")
        elif b == a:
            what = f"counter repeats {a}: a duplicated frame?"
        else:
            what = f"counter goes back from {a} to {b}"
        out.add(loc.problem("counter", int(i) + 1, "counter", what))


def _check_time(s: np.ndarray, ms: np.ndarray, loc: _Locator, out: _Collector) -> None:
    bad_ms = np.flatnonzero(ms > 999)
    if bad_ms.size:
        i = int(bad_ms[0])
        more = f" (and in {bad_ms.size - 1} more frame(s))" if bad_ms.size > 1 else ""
        out.add(loc.problem("timestamp", i, "timestamp_ms",
                            f"timestamp_ms is {int(ms[i])}, outside 0..999{more}"))
    t = s.astype(np.int64) * 1000 + ms.astype(np.int64)
    if t.size < 2:
        return
    step = np.diff(t)
    positive = step[step > 0]
    median = float(np.median(positive)) if positive.size else 0.0
    threshold = max(_TIME_JUMP_MIN_S * 1000, _TIME_JUMP_FACTOR * median)
    back = np.flatnonzero(step < 0)
    leap = np.flatnonzero(step > threshold)
    events = np.union1d(back, leap)
    room = out.room("timestamp")
    for k, i in enumerate(events):
        if room is not None and k >= room:
            out.omitted["timestamp"] = out.omitted.get("timestamp", 0) + events.size - k
            out.counts["timestamp"] = out.counts.get("timestamp", 0) + events.size - k
            break
        d = int(step[i])
        a, b = _fmt_time(int(t[i])), _fmt_time(int(t[i + 1]))
        if d < 0:
            what = f"timestamp goes back by {-d / 1000:.3f} s (from {a} to {b} UTC)"
        else:
            what = (f"timestamp jumps forward by {d / 1000:.3f} s (from {a} to {b} UTC; "
                    f"frames are {median / 1000:.3f} s apart elsewhere)")
        out.add(loc.problem("timestamp", int(i) + 1, "timestamp_s", what))


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
    events = np.union1d(back, leap)
    room = out.room("rotator")
    for k, i in enumerate(events):
        if room is not None and k >= room:
            out.omitted["rotator"] = out.omitted.get("rotator", 0) + events.size - k
            out.counts["rotator"] = out.counts.get("rotator", 0) + events.size - k
            break
        a, b = int(r[i]), int(r[i + 1])
        if b < a:
            what = (f"rotator_index falls from {a} to {b} (a scan point index goes back "
                    f"without restarting at 0 or 1)")
        else:
            what = (f"rotator_index leaps from {a} to {b} ({b - a - 1} scan points "
                    f"skipped; elsewhere it steps by {median:g})")
        out.add(loc.problem("rotator", int(i) + 1, "rotator_index", what))


def check_series(path, *, max_per_kind: int | None = None) -> SeriesCheck:
    """Check a whole series; ``path`` is any part of it (or its bare name).

    Returns a :class:`SeriesCheck` whose ``problems`` are empty for a clean
    series.  ``max_per_kind`` keeps at most that many problems of each kind
    (the rest are counted in ``omitted``).  Raises :class:`TvipsError` or
    ``OSError`` only when the series cannot be read at all.
    """
    out = _Collector(max_per_kind)
    paths, after_gap, gap = list_parts(path)
    first = paths[0]
    header = read_main_header(first, validate=False)  # raises only when < 256 bytes
    try:
        validate_main_header(header, first)
    except HeaderError as err:
        prefix = f"{err.path}: byte {err.offset}: " if err.offset is not None else f"{err.path}: "
        text = str(err)
        out.add(Problem(str(first), "header", text[len(prefix):] if text.startswith(prefix)
                        else text, err.offset))
    if not layout_usable(header):
        return SeriesCheck(first, [first], 0, out.problems, out.omitted)
    layout = SeriesLayout.from_header(header)

    if gap is not None:
        later = ", ".join(p.name for p in after_gap[:3]) + (", …" if len(after_gap) > 3 else "")
        out.add(Problem(str(gap), "numbering",
                        f"part {gap.name} is missing but later parts exist ({later}); the "
                        f"series is read up to the gap, so the {len(after_gap)} later "
                        f"part(s) are not checked"))

    parts: list[Part] = []
    first_frame = 0
    stale_at = None
    for index, p in enumerate(paths):
        size = os.stat(p).st_size
        offset = spec.LEN_MAIN_HEADER if index == 0 else 0
        n, rest = divmod(max(size - offset, 0), layout.len_record)
        last = index == len(paths) - 1
        if rest and not last:
            out.add(Problem(
                str(p), "stale-part",
                f"{size} bytes is not a whole number of {layout.len_record}-byte records "
                f"({n} records and {rest} bytes over): a stale part of another acquisition "
                f"(another record size) or a damaged copy; readers refuse the series "
                f"(tvips_ks.open needs permissive=True); move it and the parts after it "
                f"away. Frame headers from here on are not checked",
                offset + n * layout.len_record))
            if stale_at is None:
                stale_at = index
        elif rest:
            out.add(Problem(
                str(p), "partial-record",
                f"partial record of {rest} bytes after {n} whole record(s) (records are "
                f"{layout.len_record} bytes): the acquisition stopped mid-frame; readers drop "
                f"it", offset + n * layout.len_record))
        if n == 0 and index > 0 and size == 0:
            out.add(Problem(str(p), "empty-part", "the part is empty (0 bytes)"))
        if stale_at is None:
            parts.append(Part(p, index, offset, n, first_frame, size, layout.len_record))
            first_frame += n
    num_frames = first_frame
    if num_frames == 0:
        out.add(Problem(str(first), "no-frames",
                        f"the series holds no complete frame (records are {layout.len_record} "
                        f"bytes)"))
        return SeriesCheck(first, [p.path for p in parts], 0, out.problems, out.omitted)
    headers = read_frame_headers(parts, layout, names=_CHECKED_FIELDS)
    loc = _Locator([p for p in parts if p.num_frames], layout)
    _check_counter(headers["counter"], loc, out)
    _check_time(headers["timestamp_s"], headers["timestamp_ms"], loc, out)
    if "rotator_index" in headers.dtype.names:
        _check_rotator(headers["rotator_index"], loc, out)
    order = {k: i for i, k in enumerate(KINDS)}
    problems = sorted(out.problems, key=lambda q: (order.get(q.kind, len(KINDS)),))
    return SeriesCheck(first, [p.path for p in parts], num_frames, problems, out.omitted)
