"""``tvips_ks.save``: write a series that every TVIPS reader accepts, losing nothing.

The main header is built by the construct mirror generated from the spec
(``tvips_ks.generated.structs``); frame headers and images go out in bulk as
numpy structured records (dtypes from the spec's tables), one batch of whole
records at a time (:class:`PartWriter`), so memory stays bounded by a batch
(or a dask chunk).
Every value is checked against the field that is to hold it: what a field
cannot hold is refused, never wrapped.  Parts are written under temporary
names and moved into place together (:class:`AtomicOutputs`); an existing
series is replaced only with ``overwrite=True``, surplus parts included.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from numbers import Integral, Real
from pathlib import Path

import numpy as np

from ..arrays import LazyArray
from ..errors import ArgumentError, SeriesError, TvipsWarning, warn
from ..format import LEN_FILLER, RecordLayout, tem_mode_code
from ..generated import tables
from ..hyperspy.write import save_arguments_from_signal
from ..metadata import FILLER_TVIPS_KS
from ..progress import Progress
from .atomic import AtomicOutputs
from .naming import parse_series_name
from .partwriter import PartWriter

__all__ = ["save"]

_BATCH_BYTES = 32 * 2**20
_U4_MAX = 2**32 - 1
_F4_MAX = float(np.finfo(np.float32).max)
_V1_FIELDS = {f.id for f in tables.FRAME_HEADER_FIELDS
              if f.offset + f.size <= tables.LEN_FRAME_HEADER_V1}
_KNOWN_FIELDS = {f.id: f for f in tables.FRAME_HEADER_FIELDS}
#: pixel sizes camera software writes and reads; others are HyperSpy's
_CAMERA_BITS = (8, 16)


def _pixel_dtype(data) -> np.dtype:
    dtype = np.dtype(data.dtype)
    bits = [b for b in tables.BITS_PER_PIXEL]
    if dtype.kind != "u" or dtype.itemsize * 8 not in bits:
        raise ArgumentError(
            f"TVIPS images are unsigned integers of {', '.join(str(b) for b in bits)} bits; "
            f"got {dtype}. Convert explicitly, e.g. data.astype('uint16') after checking the "
            f"value range, rather than writing {dtype} bit patterns that readers would "
            f"misinterpret")
    if dtype.itemsize * 8 not in _CAMERA_BITS:
        warn(TvipsWarning(
            f"writing {dtype.itemsize * 8}-bit pixels: RosettaSciIO and tvips-ks read them, but "
            f"camera software and LiberTEM read 8- and 16-bit series only"))
    return dtype


def _u4(name: str, value) -> int:
    """A main-header value as the format's unsigned 32-bit integer."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.number)):
        raise ArgumentError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(float(value)):
        raise ArgumentError(f"{name}={value!r} is not a finite number")
    rounded = int(round(float(value))) if not isinstance(value, (Integral, np.integer)) \
        else int(value)
    if not 0 <= rounded <= _U4_MAX:
        raise ArgumentError(f"{name}={value!r} does not fit the format's unsigned 32-bit field "
                            f"(0 to {_U4_MAX})")
    if rounded != value:
        warn(TvipsWarning(
            f"{name}={value!r} is stored as the integer {rounded}: the main header holds "
            f"whole numbers only"))
    return rounded


def _epoch_ms(start_time) -> int:
    if start_time is None:
        start_time = datetime.now(timezone.utc)
    if isinstance(start_time, datetime):
        if start_time.tzinfo is None:
            raise ArgumentError("start_time must be timezone-aware (e.g. "
                                "datetime(..., tzinfo=timezone.utc)); naive times are ambiguous")
        seconds = start_time.timestamp()
    elif isinstance(start_time, (Real, np.number)) and not isinstance(start_time, (bool, np.bool_)):
        seconds = float(start_time)
    else:
        raise ArgumentError(f"start_time must be an aware datetime or Unix seconds, got "
                            f"{start_time!r}")
    if not (math.isfinite(seconds) and 0 <= seconds <= _U4_MAX):
        raise ArgumentError(
            f"start_time {start_time!r} is outside what the frame headers' unsigned 32-bit "
            f"Unix seconds can hold (1970-01-01 to 2106-02-07 UTC)")
    return int(round(seconds * 1000))


def _column(name: str, values, num_frames: int) -> np.ndarray:
    """One frame-header field's values, checked against the field's type."""
    field = _KNOWN_FIELDS[name]
    try:
        column = np.asarray(values)
    except (TypeError, ValueError) as err:
        raise ArgumentError(f"frame_headers[{name!r}]: {err}") from None
    if column.ndim and column.shape != (num_frames,):
        raise ArgumentError(f"frame_headers[{name!r}] has shape {column.shape}; it must "
                            f"be a scalar or have one value per frame ({num_frames})")
    if column.dtype.kind not in "uifb" or column.dtype.kind == "b":
        raise ArgumentError(f"frame_headers[{name!r}] must hold numbers, got {column.dtype} "
                            f"values such as {column.ravel()[:1].tolist()}")
    if field.ksy_type == "u4":
        if column.dtype.kind == "f":
            if not np.all(np.isfinite(column)) or np.any(column != np.round(column)):
                raise ArgumentError(f"frame_headers[{name!r}] holds values that are not whole "
                                    f"numbers; the field is an unsigned 32-bit integer")
        if column.size and (column.min() < 0 or column.max() > _U4_MAX):
            bad = column.min() if column.min() < 0 else column.max()
            raise ArgumentError(f"frame_headers[{name!r}] holds {bad!r}, which the field's "
                                f"unsigned 32-bit integer cannot hold (0 to {_U4_MAX})")
        return column.astype(np.uint32)
    with np.errstate(invalid="ignore"):
        big = np.abs(column.astype(np.float64)) > _F4_MAX
    if np.any(big & np.isfinite(column)):
        raise ArgumentError(f"frame_headers[{name!r}] holds values beyond the float32 range "
                            f"(±{_F4_MAX:.4g}) of the field")
    return column.astype(np.float32)


class _FrameHeaderSource:
    """Per-frame header values for any range of frames, defaults filled in."""

    def __init__(self, values, num_frames, version, mode, start_time, frame_interval):
        values = _header_columns(values)
        names = tuple(values)
        self._values = {}
        self._padding = None
        for name in names:
            if name == tables.FRAME_HEADER_PADDING:
                self._padding = np.asarray(values[name])
                continue
            if name not in _KNOWN_FIELDS:
                raise ArgumentError(f"frame_headers has an unknown field {name!r}; known fields: "
                                    f"{', '.join(_KNOWN_FIELDS)}")
            if version == 1 and name not in _V1_FIELDS:
                raise ArgumentError(f"frame_headers field {name!r} does not exist in version 1 "
                                    f"({tables.LEN_FRAME_HEADER_V1}-byte frame headers: "
                                    f"{', '.join(sorted(_V1_FIELDS))})")
            self._values[name] = _column(name, values[name], num_frames)
        if isinstance(frame_interval, (bool, np.bool_)) or not isinstance(frame_interval,
                                                                           (Real, np.number)):
            raise ArgumentError(f"frame_interval must be a number of seconds, got "
                                f"{frame_interval!r}")
        if not (math.isfinite(frame_interval) and frame_interval >= 0):
            raise ArgumentError(f"frame_interval must be a finite number of seconds >= 0, got "
                                f"{frame_interval!r}")
        self.num_frames = num_frames
        self._mode = mode
        self._start_ms = _epoch_ms(start_time)
        self._interval_ms = float(frame_interval) * 1000.0
        if "timestamp_s" not in self._values:
            last = self._start_ms + round((num_frames - 1) * self._interval_ms)
            if last // 1000 > _U4_MAX:
                raise ArgumentError(
                    f"the last of {num_frames} frames, {frame_interval} s apart from "
                    f"start_time, falls after 2106-02-07, beyond the frame headers' unsigned "
                    f"32-bit Unix seconds")

    @property
    def end_of_fields(self) -> int:
        """End of the last known field that has values."""
        return max((_KNOWN_FIELDS[n].offset + _KNOWN_FIELDS[n].size for n in self._values),
                   default=0)

    def fill(self, records: np.ndarray, start: int) -> None:
        """Set the header fields of ``records`` (frames ``start, start + 1, …``) in place."""
        names = set(records.dtype.names)
        index = np.arange(start, start + len(records), dtype=np.int64)
        ms = self._start_ms + np.round(index * self._interval_ms).astype(np.int64)
        defaults = {"counter": index + 1, "rotator_index": index + 1,
                    "timestamp_s": ms // 1000, "timestamp_ms": ms % 1000,
                    "tem_mode": self._mode}
        for name, value in defaults.items():
            if name in names:
                records[name] = value
        stop = start + len(records)
        for name, column in self._values.items():
            records[name] = column[start:stop] if column.ndim else column
        if self._padding is not None and tables.FRAME_HEADER_PADDING in names:
            pad = self._padding[start:stop] if self._padding.ndim else self._padding
            if (np.dtype(pad.dtype).itemsize
                    == records.dtype[tables.FRAME_HEADER_PADDING].itemsize):
                records[tables.FRAME_HEADER_PADDING] = pad


def _frame_batches(data, num_frames, frame_shape, frames_per_batch):
    """Yield ``(start, frames)`` in order: dask data chunk by chunk, another series'
    frames (``ds.frames``, ``ds.data``) batch by batch, never all at once."""
    if hasattr(data, "dask") and hasattr(data, "blocks"):
        flat = data.reshape(num_frames, *frame_shape)
        start = 0
        for block in flat.blocks:
            values = np.asarray(block.compute())
            for i in range(0, values.shape[0], frames_per_batch):
                yield start + i, values[i:i + frames_per_batch]
            start += values.shape[0]
        return
    if isinstance(data, LazyArray):  # another series' frames: read batch by batch
        for i in range(0, num_frames, frames_per_batch):
            yield i, data.flat_frames(i, min(i + frames_per_batch, num_frames))
        return
    flat = np.reshape(np.asarray(data), (num_frames, *frame_shape))
    for i in range(0, num_frames, frames_per_batch):
        yield i, flat[i:i + frames_per_batch]


def _existing_parts(name) -> list[Path]:
    try:
        return [name.part(n) for n in name.numbers()]
    except FileNotFoundError:
        raise ArgumentError(f"the directory {name.directory} does not exist") from None


class _Default:
    """A keyword default that ``save`` can tell apart from the same value given explicitly."""

    def __init__(self, value):
        self.value = value

    def __repr__(self) -> str:
        return repr(self.value)


#: save() arguments a HyperSpy signal can supply; explicit values win.
_FROM_SIGNAL = ("mode", "frame_headers", "start_time", "frame_interval", "high_tension_kv",
                "pixel_size_nm", "mag_total", "offset_x", "offset_y", "bin_x", "bin_y",
                "filler", "len_frame_header")


def _is_signal(data) -> bool:
    """A HyperSpy signal, or a RosettaSciIO signal dict (``data`` and ``axes``)."""
    return hasattr(data, "axes_manager") or (isinstance(data, dict) and "data" in data
                                              and "axes" in data)


def _header_columns(frame_headers) -> dict:
    if isinstance(frame_headers, np.ndarray) and frame_headers.dtype.names:
        return {name: frame_headers[name] for name in frame_headers.dtype.names}
    if frame_headers is not None and not hasattr(frame_headers, "keys"):
        raise ArgumentError(f"frame_headers must be a mapping of field names to values or a "
                            f"structured array, got {type(frame_headers).__name__}")
    return dict(frame_headers or {})


def _filler(filler) -> bytes:
    if filler is None:
        return FILLER_TVIPS_KS
    if not isinstance(filler, (bytes, bytearray, memoryview)):
        raise ArgumentError(f"filler must be bytes (at most {LEN_FILLER}), got "
                            f"{type(filler).__name__}")
    filler = bytes(filler)
    if len(filler) > LEN_FILLER:
        raise ArgumentError(f"filler is {len(filler)} bytes; the main header has room for "
                            f"{LEN_FILLER}")
    return filler.ljust(LEN_FILLER, b"\0")


def _part_capacities(num_frames, len_record, max_file_size) -> list[int]:
    if max_file_size is None:
        return [num_frames]
    if isinstance(max_file_size, (bool, np.bool_)) or not isinstance(max_file_size,
                                                                      (Integral, np.integer)):
        raise ArgumentError(f"max_file_size must be a whole number of bytes, got "
                            f"{max_file_size!r}")
    max_file_size = int(max_file_size)
    if max_file_size < tables.LEN_MAIN_HEADER + len_record:
        raise ArgumentError(
            f"max_file_size={max_file_size} is smaller than the main header plus one record "
            f"({tables.LEN_MAIN_HEADER} + {len_record} bytes)")
    first_cap = (max_file_size - tables.LEN_MAIN_HEADER) // len_record
    other_cap = max_file_size // len_record
    caps = [min(first_cap, num_frames)]
    while sum(caps) < num_frames:
        caps.append(min(other_cap, num_frames - sum(caps)))
    return caps


def save(path, data, *, max_file_size=None, version=2, frame_header_extra_bytes=0, mode=None,
         frame_headers=None, start_time=None, frame_interval=_Default(0.001),
         high_tension_kv=_Default(0), pixel_size_nm=_Default(0), mag_total=_Default(0),
         bin_x=_Default(1), bin_y=_Default(1), offset_x=_Default(0), offset_y=_Default(0),
         filler=None, overwrite=False, progress=None) -> list[Path]:
    """Write ``data`` as a TVIPS series and return the paths of its parts.

    ``data`` is a numpy or dask array ``(..., height, width)`` of uint8 or
    uint16 (uint32 and uint64, as HyperSpy writes them, with a warning); a
    2-D image is one frame, and the leading axes are flattened in C order.
    A HyperSpy signal (or RosettaSciIO's signal dict) is also accepted: its
    signal axes give ``pixel_size_nm``, the offsets and the mode, its metadata
    the times, optics and stage, and a signal read from a TVIPS series gives
    back that series' headers (see :mod:`tvips_ks.hyperspy.write`); arguments
    given explicitly win, and ``frame_headers`` fields are merged over the
    signal's.

    ``path``: ``scan.tvips`` or ``scan_000.tvips`` both write ``scan_000.tvips``,
    ``scan_001.tvips``, …  ``max_file_size`` splits the series into parts of at
    most that many bytes holding whole records.  ``version`` 1 writes 12-byte
    frame headers; version 2 writes the 60-byte core (longer when
    ``frame_headers`` sets a field beyond it, such as ``scan_x``), followed by
    ``frame_header_extra_bytes`` zero bytes.  ``mode`` is the frame headers'
    ``tem_mode`` (1 imaging, 2 diffraction; default 2, as RosettaSciIO).

    ``frame_headers``: per-frame values, a mapping of field name to a scalar
    or one value per frame, or a structured array such as another dataset's
    ``frame_headers``.  Defaults: ``counter`` and ``rotator_index`` 1…N,
    timestamps from ``start_time`` (an aware datetime or Unix seconds; default
    now) every ``frame_interval`` seconds.  Main-header values:
    ``high_tension_kv``, ``pixel_size_nm``, ``mag_total``, ``bin_x``/``bin_y``,
    ``offset_x``/``offset_y`` and the 204-byte ``filler``.  A value a field
    cannot hold (a negative counter, a date before 1970) is refused with
    :class:`ArgumentError`, never wrapped.

    Nothing is lost: an existing series is replaced only with
    ``overwrite=True``; parts are written to temporary files and renamed into
    place after the last byte is written, so a failure (a :class:`WriteError`
    for a full disk) leaves the previous series untouched and no partial
    files behind.
    """
    options = dict(mode=mode, frame_headers=frame_headers, start_time=start_time,
                   frame_interval=frame_interval, high_tension_kv=high_tension_kv,
                   pixel_size_nm=pixel_size_nm, mag_total=mag_total, offset_x=offset_x,
                   offset_y=offset_y, bin_x=bin_x, bin_y=bin_y, filler=filler,
                   len_frame_header=None)
    given = {k: v for k, v in options.items() if v is not None and not isinstance(v, _Default)}
    settings = {k: v.value if isinstance(v, _Default) else v for k, v in options.items()}
    if _is_signal(data):  # HyperSpy signal or RosettaSciIO dict: its values fill the gaps
        data, from_signal = save_arguments_from_signal(data, mode=mode, given=given,
                                                       version=version)
        columns = _header_columns(from_signal.pop("frame_headers", None))
        settings.update(from_signal)
        settings.update(given)
        if columns or frame_headers is not None:
            settings["frame_headers"] = {**columns, **_header_columns(frame_headers)}
    (mode, frame_headers, start_time, frame_interval, high_tension_kv, pixel_size_nm,
     mag_total, offset_x, offset_y, bin_x, bin_y, filler, len_frame_header) = (
        settings[k] for k in _FROM_SIGNAL)

    if not hasattr(data, "shape") or not hasattr(data, "dtype"):
        data = np.asarray(data)
    if len(data.shape) < 2:
        raise ArgumentError(f"data must have at least 2 dimensions (height, width), got shape "
                            f"{tuple(data.shape)}")
    dtype = _pixel_dtype(data)
    height, width = (int(s) for s in data.shape[-2:])
    num_frames = math.prod(int(s) for s in data.shape[:-2])
    if num_frames == 0 or height == 0 or width == 0:
        raise ArgumentError(f"data of shape {tuple(data.shape)} holds no complete frame")
    if isinstance(version, (bool, np.bool_)) or version not in tables.VERSIONS:
        raise ArgumentError(f"version must be one of {list(tables.VERSIONS)}, got {version!r}")
    if mode is None:
        mode = tem_mode_code("diffraction")
    if isinstance(mode, (bool, np.bool_)) or mode not in tables.ENUMS["tem_mode"]:
        modes = ", ".join(f"{k} ({v})" for k, v in tables.ENUMS["tem_mode"].items())
        raise ArgumentError(f"mode must be one of {modes}, got {mode!r}")
    if isinstance(frame_header_extra_bytes, (bool, np.bool_)) or not isinstance(
            frame_header_extra_bytes, (Integral, np.integer)) or frame_header_extra_bytes < 0:
        raise ArgumentError(f"frame_header_extra_bytes must be an integer ≥ 0, got "
                            f"{frame_header_extra_bytes!r}")
    extra = int(frame_header_extra_bytes)
    if version == 1 and extra:
        raise ArgumentError(f"frame_header_extra_bytes applies to version 2 only (version 1 "
                            f"frame headers are always {tables.LEN_FRAME_HEADER_V1} bytes)")

    source = _FrameHeaderSource(frame_headers, num_frames, version, int(mode), start_time,
                                frame_interval)
    if version == 1:
        len_frame_header = tables.LEN_FRAME_HEADER_V1
    else:
        core = max(tables.LEN_FRAME_HEADER_CORE, source.end_of_fields)
        if len_frame_header is not None and "len_frame_header" not in given and not extra:
            core = max(core, int(len_frame_header))  # the size of the signal's source series
        len_frame_header = core + extra
    from ..generated.structs import MainHeader

    main_header = MainHeader.build(dict(
        len_header=tables.LEN_MAIN_HEADER, version=version, width=width, height=height,
        bits_per_pixel=dtype.itemsize * 8, offset_x=_u4("offset_x", offset_x),
        offset_y=_u4("offset_y", offset_y), bin_x=_u4("bin_x", bin_x), bin_y=_u4("bin_y", bin_y),
        pixel_size_nm=_u4("pixel_size_nm", pixel_size_nm),
        high_tension_kv=_u4("high_tension_kv", high_tension_kv),
        mag_total=_u4("mag_total", mag_total),
        len_frame_header=_u4("len_frame_header", len_frame_header), filler=_filler(filler)))
    layout = RecordLayout(version, width, height, dtype.itemsize * 8, len_frame_header)
    caps = _part_capacities(num_frames, layout.len_record, max_file_size)

    name, _ = parse_series_name(path)
    existing = _existing_parts(name)
    if existing and not overwrite:
        raise SeriesError(f"a series already exists here ({len(existing)} part(s)); pass "
                          f"overwrite=True to replace it", path=existing[0])
    finals = [name.part(i) for i in range(len(caps))]
    frames_per_batch = max(1, _BATCH_BYTES // layout.len_record)
    bar = Progress(num_frames, "writing TVIPS", progress)
    with AtomicOutputs(finals, replace=existing) as temps:
        out = PartWriter(temps, caps, main_header, layout.record_dtype,
                         min(frames_per_batch, num_frames))
        try:
            for start, frames in _frame_batches(data, num_frames, (height, width),
                                                frames_per_batch):
                out.write(start, frames, source.fill)
                bar.update(len(frames))
            out.finish()
        finally:
            out.close()
    return finals
