"""``tvips_ks.save``: write a series that every TVIPS reader accepts, losing nothing.

The main header is built by the construct mirror of the spec
(:mod:`tvips_ks.structs`); frame headers and images go out in bulk as numpy
structured records (the dtypes come from the spec's generated tables), one
batch of whole records at a time, so memory stays bounded by a batch (or a
dask chunk).  Parts are written under temporary names and moved into place
only when every byte has been written; an existing series is replaced only
with ``overwrite=True``, and then its surplus higher-numbered parts are
removed too.
"""

from __future__ import annotations

import os
import uuid
import warnings
from datetime import datetime, timezone
from numbers import Integral, Real
from pathlib import Path

import numpy as np

from .errors import ArgumentError, SeriesError, TvipsWarning
from .generated import layout as spec
from .layout import SeriesLayout, frame_header_dtype
from .metadata import FILLER_TVIPS_KS
from .progress import Progress
from .reader import LazyArray
from .parts import parse_series_name
from .structs import MainHeader

__all__ = ["save"]

_BATCH_BYTES = 32 * 2**20
_LEN_V2_CORE = 60  # the v2 header every reader knows (RosettaSciIO's 15 fields)
_U4_MAX = 2**32 - 1
_V1_FIELDS = {f.id for f in spec.FRAME_HEADER_FIELDS if f.offset + f.size <= spec.LEN_FRAME_HEADER_V1}
_KNOWN_FIELDS = {f.id: f for f in spec.FRAME_HEADER_FIELDS}


def _pixel_dtype(data) -> np.dtype:
    dtype = np.dtype(data.dtype)
    if dtype.kind != "u" or dtype.itemsize not in (1, 2, 4):
        raise ArgumentError(
            f"TVIPS images are unsigned 8- or 16-bit integers (32-bit at most); got {dtype}. "
            f"Convert explicitly, e.g. data.astype('uint16') after checking the value range, "
            f"rather than writing {dtype} bit patterns that readers would misinterpret")
    if dtype.itemsize == 4:
        warnings.warn(TvipsWarning(
            "writing 32-bit pixels: RosettaSciIO reads them, but LiberTEM and TVIPS software "
            "accept only 8- and 16-bit series"), stacklevel=3)
    return dtype


def _u4(name: str, value) -> int:
    """A main-header value as the format's unsigned 32-bit integer."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.number)):
        raise ArgumentError(f"{name} must be a number, got {value!r}")
    rounded = int(round(float(value)))
    if not 0 <= rounded <= _U4_MAX:
        raise ArgumentError(f"{name}={value!r} does not fit the format's unsigned 32-bit field")
    if not isinstance(value, (Integral, np.integer)) and rounded != value:
        warnings.warn(TvipsWarning(
            f"{name}={value!r} is stored as the integer {rounded}: the main header holds "
            f"whole numbers only"), stacklevel=4)
    return rounded


def _epoch_ms(start_time) -> int:
    if start_time is None:
        start_time = datetime.now(timezone.utc)
    if isinstance(start_time, datetime):
        if start_time.tzinfo is None:
            raise ArgumentError("start_time must be timezone-aware (e.g. "
                                "datetime(..., tzinfo=timezone.utc)); naive times are ambiguous")
        return int(round(start_time.timestamp() * 1000))
    return int(round(float(start_time) * 1000))


class _FrameHeaderSource:
    """Per-frame header values for any range of frames, defaults filled in."""

    def __init__(self, values, num_frames, version, mode, start_time, frame_interval):
        names = values.dtype.names if isinstance(values, np.ndarray) else tuple(values or ())
        self._values = {}
        for name in names:
            if name == spec.FRAME_HEADER_PADDING:
                continue
            if name not in _KNOWN_FIELDS:
                raise ArgumentError(f"frame_headers has an unknown field {name!r}; known fields: "
                                    f"{', '.join(_KNOWN_FIELDS)}")
            if version == 1 and name not in _V1_FIELDS:
                raise ArgumentError(f"frame_headers field {name!r} does not exist in version 1 "
                                    f"(12-byte frame headers: {', '.join(sorted(_V1_FIELDS))})")
            column = np.asarray(values[name])
            if column.ndim and column.shape != (num_frames,):
                raise ArgumentError(f"frame_headers[{name!r}] has shape {column.shape}; it must "
                                    f"be a scalar or have one value per frame ({num_frames})")
            self._values[name] = column
        self.num_frames = num_frames
        self._mode = mode
        self._start_ms = _epoch_ms(start_time)
        self._interval_ms = float(frame_interval) * 1000.0

    @property
    def end_of_fields(self) -> int:
        """End of the last known field that has values."""
        return max((_KNOWN_FIELDS[n].offset + _KNOWN_FIELDS[n].size for n in self._values),
                   default=0)

    def block(self, start: int, stop: int, dtype: np.dtype) -> np.ndarray:
        out = np.zeros(stop - start, dtype=dtype)
        names = set(dtype.names)
        index = np.arange(start, stop, dtype=np.int64)
        ms = self._start_ms + np.round(index * self._interval_ms).astype(np.int64)
        defaults = {"counter": index + 1, "rotator_index": index + 1,
                    "timestamp_s": ms // 1000, "timestamp_ms": ms % 1000,
                    "tem_mode": self._mode}
        for name, value in defaults.items():
            if name in names:
                out[name] = value
        for name, column in self._values.items():
            out[name] = column[start:stop] if column.ndim else column
        return out


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


def _finish(f) -> None:
    """Make a part durable before it is renamed into place."""
    f.flush()
    os.fsync(f.fileno())
    f.close()


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
                "pixel_size_nm", "mag_total", "offset_x", "offset_y")


def _is_signal(data) -> bool:
    """A HyperSpy signal, or a RosettaSciIO signal dict (``data`` and ``axes``)."""
    return hasattr(data, "axes_manager") or (isinstance(data, dict) and "data" in data
                                              and "axes" in data)


def _header_columns(frame_headers) -> dict:
    if isinstance(frame_headers, np.ndarray) and frame_headers.dtype.names:
        return {name: frame_headers[name] for name in frame_headers.dtype.names}
    return dict(frame_headers or {})


def save(path, data, *, max_file_size=None, version=2, frame_header_extra_bytes=0, mode=None,
         frame_headers=None, start_time=None, frame_interval=_Default(0.001),
         high_tension_kv=_Default(0), pixel_size_nm=_Default(0), mag_total=_Default(0), bin_x=1,
         bin_y=1, offset_x=_Default(0), offset_y=_Default(0), filler=None, overwrite=False,
         progress=None) -> list[Path]:
    """Write ``data`` as a TVIPS series and return the paths of its parts.

    ``data`` is a numpy or dask array ``(..., height, width)`` of uint8 or
    uint16 (uint32 with a warning); a 2-D image is one frame, and the leading
    axes are flattened in C order.  A HyperSpy signal (or RosettaSciIO's
    signal dict) is also accepted: its signal axes give ``pixel_size_nm``,
    the offsets and the mode, its metadata the times, optics and stage (see
    :func:`tvips_ks.hyperspy_bridge.save_arguments_from_signal`); arguments
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
    ``offset_x``/``offset_y`` and the 204-byte ``filler``.

    Nothing is lost: an existing series is replaced only with
    ``overwrite=True``; parts are written to temporary files and renamed into
    place after the last byte is written, so a failure leaves the previous
    series untouched and no partial files behind.
    """
    options = dict(mode=mode, frame_headers=frame_headers, start_time=start_time,
                   frame_interval=frame_interval, high_tension_kv=high_tension_kv,
                   pixel_size_nm=pixel_size_nm, mag_total=mag_total, offset_x=offset_x,
                   offset_y=offset_y)
    given = {k: v for k, v in options.items() if v is not None and not isinstance(v, _Default)}
    settings = {k: v.value if isinstance(v, _Default) else v for k, v in options.items()}
    if _is_signal(data):  # HyperSpy signal or RosettaSciIO dict: its values fill the gaps
        from .hyperspy_bridge import save_arguments_from_signal

        data, from_signal = save_arguments_from_signal(data, mode=mode, given=given)
        columns = _header_columns(from_signal.pop("frame_headers", None))
        if version == 1:  # version 1 frame headers hold the counter and time stamps only
            columns = {k: v for k, v in columns.items() if k in _V1_FIELDS}
        settings.update(from_signal)
        settings.update(given)
        if columns:
            settings["frame_headers"] = {**columns, **_header_columns(frame_headers)}
    mode, frame_headers, start_time, frame_interval, high_tension_kv, pixel_size_nm, \
        mag_total, offset_x, offset_y = (settings[k] for k in _FROM_SIGNAL)

    if not hasattr(data, "shape") or not hasattr(data, "dtype"):
        data = np.asarray(data)
    if len(data.shape) < 2:
        raise ArgumentError(f"data must have at least 2 dimensions (height, width), got shape "
                            f"{tuple(data.shape)}")
    dtype = _pixel_dtype(data)
    height, width = (int(s) for s in data.shape[-2:])
    num_frames = int(np.prod(data.shape[:-2], dtype=np.int64))
    if num_frames == 0 or height == 0 or width == 0:
        raise ArgumentError(f"data of shape {tuple(data.shape)} holds no complete frame")
    if version not in spec.VERSIONS:
        raise ArgumentError(f"version must be one of {list(spec.VERSIONS)}, got {version!r}")
    if mode is None:
        mode = 2
    if mode not in (1, 2):
        raise ArgumentError(f"mode must be 1 (imaging) or 2 (diffraction), got {mode!r}")
    extra = int(frame_header_extra_bytes)
    if extra < 0:
        raise ArgumentError(f"frame_header_extra_bytes must be ≥ 0, got {extra}")
    if version == 1 and extra:
        raise ArgumentError("frame_header_extra_bytes applies to version 2 only (version 1 "
                            "frame headers are always 12 bytes)")

    source = _FrameHeaderSource(frame_headers, num_frames, version, mode, start_time,
                                frame_interval)
    if version == 1:
        len_frame_header = spec.LEN_FRAME_HEADER_V1
    else:
        len_frame_header = max(_LEN_V2_CORE, source.end_of_fields) + extra
    if filler is None:
        filler = FILLER_TVIPS_KS
    filler = bytes(filler)
    if len(filler) > 204:
        raise ArgumentError(f"filler is {len(filler)} bytes; the main header has room for 204")
    main_header = MainHeader.build(dict(
        len_header=spec.LEN_MAIN_HEADER, version=version, width=width, height=height,
        bits_per_pixel=dtype.itemsize * 8, offset_x=_u4("offset_x", offset_x),
        offset_y=_u4("offset_y", offset_y), bin_x=_u4("bin_x", bin_x), bin_y=_u4("bin_y", bin_y),
        pixel_size_nm=_u4("pixel_size_nm", pixel_size_nm),
        high_tension_kv=_u4("high_tension_kv", high_tension_kv),
        mag_total=_u4("mag_total", mag_total), len_frame_header=len_frame_header,
        filler=filler.ljust(204, b"\0")))
    layout = SeriesLayout(version, width, height, dtype.itemsize * 8, len_frame_header)

    len_record = layout.len_record
    if max_file_size is None:
        first_cap, other_cap = num_frames, num_frames
    else:
        max_file_size = int(max_file_size)
        if max_file_size < spec.LEN_MAIN_HEADER + len_record:
            raise ArgumentError(
                f"max_file_size={max_file_size} is smaller than the main header plus one record "
                f"({spec.LEN_MAIN_HEADER} + {len_record} bytes)")
        first_cap = (max_file_size - spec.LEN_MAIN_HEADER) // len_record
        other_cap = max_file_size // len_record
    caps = [min(first_cap, num_frames)]
    while sum(caps) < num_frames:
        caps.append(min(other_cap, num_frames - sum(caps)))

    name, _ = parse_series_name(path)
    existing = _existing_parts(name)
    if existing and not overwrite:
        raise SeriesError(f"a series already exists here ({len(existing)} part(s)); pass "
                          f"overwrite=True to replace it", path=existing[0])
    finals = [name.part(i) for i in range(len(caps))]
    token = uuid.uuid4().hex[:8]
    temps = [p.with_name(f".{p.name}.{token}.partial") for p in finals]

    record_dtype = layout.record_dtype
    header_dtype = frame_header_dtype(len_frame_header, padding=True)
    frames_per_batch = max(1, _BATCH_BYTES // len_record)
    bar = Progress(num_frames, "writing TVIPS", progress)
    files = []
    try:
        part, room = 0, caps[0]
        files.append(open(temps[0], "wb"))
        files[0].write(main_header)
        for start, frames in _frame_batches(data, num_frames, (height, width),
                                            frames_per_batch):
            done = 0
            while done < len(frames):
                if room == 0:
                    _finish(files[-1])
                    part += 1
                    room = caps[part]
                    files.append(open(temps[part], "wb"))
                take = min(room, len(frames) - done)
                first = start + done
                records = np.empty(take, dtype=record_dtype)
                headers = source.block(first, first + take, header_dtype)
                for field in header_dtype.names:
                    records[field] = headers[field]
                records["image"] = frames[done:done + take]
                files[-1].write(records.view(np.uint8))
                done += take
                room -= take
            bar.update(len(frames))
        _finish(files[-1])
    except BaseException:
        for f in files:
            f.close()
        _remove_quietly(temps)
        raise
    _commit(temps, finals, existing, token)
    return finals


def _remove_quietly(paths) -> None:
    for path in paths:
        try:
            os.unlink(path)
        except OSError:
            pass


def _commit(temps: list[Path], finals: list[Path], existing: list[Path], token: str) -> None:
    """Move the written parts into place, all or nothing.

    The previous series (every existing part, the surplus ones included) is
    first renamed aside to hidden backups, then the new parts are renamed into
    place, then the backups are removed.  If any rename fails (or the process
    is interrupted) the new parts are removed and the backups renamed back,
    so the previous series is left byte for byte as it was.  Renames within
    one directory never copy data.
    """
    backups = [p.with_name(f".{p.name}.{token}.old") for p in existing]
    moved_aside, placed = [], []
    try:
        for old, backup in zip(existing, backups):
            os.replace(old, backup)
            moved_aside.append((old, backup))
        for temp, final in zip(temps, finals):
            os.replace(temp, final)
            placed.append(final)
    except BaseException as err:
        _remove_quietly(placed)
        _remove_quietly(temps)
        lost = []
        for old, backup in moved_aside:
            try:
                os.replace(backup, old)
            except OSError:
                lost.append((old, backup))
        if lost:  # never delete a backup we could not restore: name it instead
            names = ", ".join(f"{b.name} (was {o.name})" for o, b in lost)
            raise SeriesError(
                f"writing the new series failed ({err!r}) and the previous parts could not be "
                f"renamed back; they are intact under the hidden names {names}: rename them "
                f"back by hand", path=lost[0][1]) from err
        raise
    leftover = []
    for backup in backups:
        try:
            os.unlink(backup)
        except OSError:
            leftover.append(backup)
    if leftover:
        warnings.warn(TvipsWarning(
            f"the new series is in place, but the previous parts could not be removed: "
            f"{', '.join(str(p) for p in leftover)}; delete them by hand"), stacklevel=3)
