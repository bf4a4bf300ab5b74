"""The :func:`tvips_ks.save` arguments a HyperSpy signal implies.

From the signal's axes and metadata: pixel size, offsets and mode from the
two signal axes, times from ``General``, optics and stage from
``Acquisition_instrument.TEM``.  A signal read from a TVIPS series carries
that series' headers in ``original_metadata``; whatever the user has not
changed since (axes, date, optics) is written back from there exactly:
every frame-header field, the bytes after the known ones, the frame-header
size, the time stamps and the main-header values.  What the user changed is
derived from the signal instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal

import numpy as np

from ..errors import ArgumentError, TvipsWarning, warn
from ..format import MAIN_HEADER_DTYPE, tem_mode_code, tem_mode_name
from ..generated import tables
from ..metadata import signal_calibration, writer_of
from ..timing import frame_times_ms
from .read import MM_PER_NM, SIGNAL_TYPE_DIFFRACTION, f32
from .times import get, parse_start
from .units import length_kind, seconds_factor

__all__ = ["save_arguments_from_signal"]

_IMAGING, _DIFFRACTION = tem_mode_code("imaging"), tem_mode_code("diffraction")
_V1_FIELDS = {f.id for f in tables.FRAME_HEADER_FIELDS
              if f.offset + f.size <= tables.LEN_FRAME_HEADER_V1}
_TEM = "Acquisition_instrument.TEM"


def _number(tree: Mapping, *keys) -> float | None:
    """The first of ``keys`` that holds a finite number."""
    for key in keys:
        value = get(tree, key)
        if isinstance(value, (bool, np.bool_)) or value is None:
            continue
        try:
            value = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(value):
            return value
    return None


def _as_dict(signal_or_dict) -> dict:
    """A signal's data, axes (array order) and metadata as RosettaSciIO's writer dict."""
    if isinstance(signal_or_dict, Mapping):
        if "data" not in signal_or_dict or "axes" not in signal_or_dict:
            raise ArgumentError("a signal dictionary needs 'data' and 'axes' entries "
                                "(RosettaSciIO's convention)")
        return dict(signal_or_dict)
    manager = signal_or_dict.axes_manager
    axes = sorted((*manager.navigation_axes, *manager.signal_axes),
                  key=lambda a: a.index_in_array)
    return {"data": signal_or_dict.data,
            "axes": [dict(a.get_axis_dictionary(), navigate=a.navigate) for a in axes],
            "metadata": signal_or_dict.metadata.as_dictionary(),
            "original_metadata": signal_or_dict.original_metadata.as_dictionary()}


def _whole(name: str, value: float, units: str, what: str) -> int:
    """``value`` rounded to the header's whole numbers, warning when that loses precision."""
    rounded = int(round(value))
    unit = f" {units}" if units else ""
    if rounded < 0:
        warn(TvipsWarning(f"{name}: the {what} {value:g}{unit} is negative, which the header's "
                          f"unsigned field cannot hold; 0 is written (the {what} is lost)"))
        return 0
    if not math.isclose(rounded, value, rel_tol=1e-6, abs_tol=1e-9):
        lost = "; the calibration is lost" if rounded == 0 and name == "pixel_size_nm" else ""
        warn(TvipsWarning(f"{name}: the {what} {value:.6g}{unit} is stored as {rounded}{unit}: "
                          f"the TVIPS main header holds whole numbers only{lost}"))
    return rounded


def _mode(axes, metadata, mode):
    """The mode: given, else from the signal units, else from the metadata present."""
    if mode is not None:
        return mode
    kind = next((k for k in (length_kind(a.get("units"))[0] for a in axes[-2:]) if k), None)
    if kind is not None:
        return {"length": _IMAGING, "reciprocal": _DIFFRACTION}[kind]
    signal_type = str(get(metadata, "Signal.signal_type") or "").lower()
    if SIGNAL_TYPE_DIFFRACTION in signal_type:
        return _DIFFRACTION
    has_camera = _number(metadata, f"{_TEM}.camera_length") is not None
    has_mag = _number(metadata, f"{_TEM}.magnification") is not None
    if has_camera != has_mag:
        return _DIFFRACTION if has_camera else _IMAGING
    return None


def _calibration(axes, mode, given) -> dict:
    """pixel_size_nm, offset_x and offset_y from the signal axes (in nm or 1/nm by mode)."""
    y_axis, x_axis = axes[-2], axes[-1]
    kind_y, factor_y = length_kind(y_axis.get("units"))
    kind_x, factor_x = length_kind(x_axis.get("units"))
    out = {}
    wanted = [k for k in ("pixel_size_nm", "offset_x", "offset_y") if k not in given]
    if not wanted:
        return out
    kind = {_IMAGING: "length", _DIFFRACTION: "reciprocal"}.get(mode)
    units = {_IMAGING: "nm", _DIFFRACTION: "1/nm"}.get(mode, "")
    uniform = all(a.get("_type", "UniformDataAxis") == "UniformDataAxis" for a in (y_axis, x_axis))
    scale_y, scale_x = float(y_axis.get("scale", 1.0)), float(x_axis.get("scale", 1.0))
    off_y, off_x = float(y_axis.get("offset", 0.0)), float(x_axis.get("offset", 0.0))
    calibrated = (kind_y or kind_x) is not None or scale_y != 1 or scale_x != 1 or off_y or off_x
    if not uniform or kind is None or kind_y != kind or kind_x not in (kind, None):
        if calibrated:
            why = ("the signal axes are non-uniform" if not uniform else
                   f"units {y_axis.get('units')!r} are neither a length nor a reciprocal length"
                   if (kind_y or kind_x) is None else
                   f"mode={mode} ({tem_mode_name(mode)}) does not match the signal units "
                   f"{y_axis.get('units')!r}")
            warn(TvipsWarning(f"the signal calibration cannot be stored ({why}); pixel_size_nm "
                              f"and the offsets are written as 0, which readers show as "
                              f"uncalibrated pixels"))
        out.update({k: 0 for k in wanted})
        return out
    if kind_x is None:
        factor_x = factor_y
    size_y, size_x = scale_y * factor_y, scale_x * factor_x
    if not math.isclose(size_y, size_x, rel_tol=1e-6):
        warn(TvipsWarning(f"the signal axes have different scales ({size_y:g} and {size_x:g} "
                          f"{units}); the header holds one pixel size, the y axis's is written"))
    values = {"pixel_size_nm": (size_y, "pixel size"), "offset_x": (off_x * factor_x, "x offset"),
              "offset_y": (off_y * factor_y, "y offset")}
    for name in wanted:
        value, what = values[name]
        out[name] = _whole(name, value, units, what)
    return out


def _derived_frame_headers(metadata) -> dict:
    """Per-series values from ``TEM``: beam current and stage."""
    out = {}
    current = _number(metadata, f"{_TEM}.beam_current")
    if current is not None:
        out["faraday"] = np.float32(current)
    for key in ("x", "y", "z"):
        value = _number(metadata, f"{_TEM}.Stage.{key}")
        if value is not None:
            out[f"stage_{key}"] = np.float32(float(Decimal(repr(value)) / MM_PER_NM))
    for key in ("alpha", "beta"):
        # HyperSpy's key first, then RosettaSciIO's writer's (TEM.tilt_*) and old HyperSpy's
        keys = [f"{_TEM}.Stage.tilt_{key}", f"{_TEM}.tilt_{key}"]
        if key == "alpha":
            keys.append(f"{_TEM}.tilt_stage")
        value = _number(metadata, *keys)
        if value is not None:
            out[f"stage_{key}"] = np.float32(value)
    return out


# -- the source series' headers -------------------------------------------------------------

def _source_headers(original, num_positions):
    """``(main header record, {field: per-position column})`` of the series a signal was
    read from, or None when the signal does not carry them or no longer matches them."""
    if not isinstance(original, Mapping):
        return None
    main, columns = original.get("main_header"), original.get("frame_headers")
    if not isinstance(main, Mapping) or not isinstance(columns, Mapping) or not columns:
        return None
    try:
        header = np.zeros((), dtype=MAIN_HEADER_DTYPE)
        for name in MAIN_HEADER_DTYPE.names:
            value = main[name]
            header[name] = np.void(bytes(value)) if name == "filler" else int(value)
        columns = {name: np.asarray(value) for name, value in columns.items()}
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    num_frames = len(next(iter(columns.values())))
    frame_index = original.get("frame_index")
    if frame_index is not None and np.size(frame_index) == num_positions:
        rows = np.asarray(frame_index, dtype=np.int64).ravel()
    elif num_frames == num_positions:
        rows = np.arange(num_positions)
    else:
        warn(TvipsWarning(
            f"the signal's original_metadata holds the headers of {num_frames} frames, but the "
            f"signal has {num_positions} positions (it was cropped or reshaped): the frame "
            f"headers are derived from the signal's metadata instead"))
        return None
    if rows.size and (rows.min() < -1 or rows.max() >= num_frames):
        return None
    out = {}
    for name, column in columns.items():
        if len(column) != num_frames:
            return None
        picked = column[np.clip(rows, 0, None)]
        if (rows < 0).any():  # padded positions: no frame, zero headers
            picked = picked.copy()
            picked[rows < 0] = 0
        if name == tables.FRAME_HEADER_PADDING:
            picked = np.ascontiguousarray(picked, dtype=np.uint8)
            picked = picked.reshape(len(rows), -1).view(f"V{picked.shape[-1]}")[:, 0]
        out[name] = picked
    return header[()], out, columns


def _time_from_source(metadata, nav_axes, columns, derived_start, derived_interval):
    """Whether the signal's date and time axis are still those of its source series."""
    if "timestamp_s" not in columns or "timestamp_ms" not in columns:
        return False
    structured = np.zeros(len(columns["timestamp_s"]),
                          dtype=[("timestamp_s", "<u4"), ("timestamp_ms", "<u4")])
    structured["timestamp_s"], structured["timestamp_ms"] = (columns["timestamp_s"],
                                                            columns["timestamp_ms"])
    times = frame_times_ms(structured)
    if not times.size:
        return False
    if derived_start is not None and round(derived_start.timestamp() * 1000) != int(times[0]):
        return False
    if derived_interval is not None and times.size > 1:
        span = (int(times[-1]) - int(times[0])) / 1000.0 / (times.size - 1)
        if not math.isclose(span, derived_interval, rel_tol=1e-6, abs_tol=1e-9):
            return False
    return True


def _axes_match_source(axes, header, mode) -> bool:
    """Whether the signal axes are what reading the source header gives."""
    scale, units, _ = signal_calibration(header, tem_mode_name(mode) if mode else None,
                                         writer_of(header))
    calibrated = writer_of(header) in ("hyperspy", "tvips-ks")
    offsets = ((float(header["offset_y"]), float(header["offset_x"])) if calibrated
               else (0.0, 0.0))
    for axis, offset in zip(axes[-2:], offsets):
        if not (math.isclose(float(axis.get("scale", 1.0)), scale, rel_tol=1e-9)
                and math.isclose(float(axis.get("offset", 0.0)), offset, abs_tol=1e-9)
                and str(axis.get("units") or "") in (units, "" if units == "px" else units)):
            return False
    return True


def save_arguments_from_signal(signal_or_dict, mode=None, *, given=(), version=2):
    """``(data, arguments)`` for :func:`tvips_ks.save` from a HyperSpy signal or its dict.

    ``signal_or_dict`` is a signal (anything with ``axes_manager``) or a
    RosettaSciIO signal dict (``data``, ``axes`` in array order,
    ``metadata``, ``original_metadata``).  The two signal axes give
    ``pixel_size_nm``, ``offset_x``/``offset_y`` (converted to nm or 1/nm,
    rounded to the header's whole numbers with a :class:`TvipsWarning` when
    precision is lost).  The mode, when ``mode`` is None, follows the signal
    units (a length → imaging, a reciprocal length → diffraction), else the
    metadata present (``Signal.signal_type`` diffraction or a
    ``camera_length`` → diffraction, a ``magnification`` → imaging);
    ``mag_total`` is the magnification in imaging and the camera length in
    diffraction, never the one for the other.  ``General.date``/``time``/
    ``time_zone`` give ``start_time``; a time axis as the fastest navigation
    axis gives ``frame_interval``; ``TEM`` gives ``high_tension_kv`` and the
    beam current and stage (per-frame ``frame_headers``).

    A signal read from a TVIPS series gets back from ``original_metadata``
    what it has not changed: every frame-header field in the order of its
    positions, the frame-header size and its padding bytes, the time stamps,
    and the main header's pixel size, offsets, binning and filler.

    Arguments named in ``given`` (the caller sets them itself) are neither
    derived nor warned about, except ``frame_headers``, whose fields the
    caller merges over these.  The data is returned with its signal axes last.
    """
    modes = tables.ENUMS["tem_mode"]
    if mode is not None and mode not in modes:
        raise ArgumentError(f"mode must be one of {', '.join(f'{k} ({v})' for k, v in modes.items())}, "
                            f"got {mode!r}")
    d = _as_dict(signal_or_dict)
    given = set(given)
    data = d["data"]
    axes = list(d["axes"])
    metadata = d.get("metadata") or {}
    if len(axes) != len(data.shape):
        raise ArgumentError(f"the signal has {len(axes)} axes for data of shape "
                            f"{tuple(data.shape)}")
    if all("navigate" in a for a in axes):
        signal_idx = [i for i, a in enumerate(axes) if not a["navigate"]]
    else:
        signal_idx = list(range(len(axes)))[-2:]
    if len(signal_idx) != 2:
        raise ArgumentError(f"only 2-D signals (Signal2D) can be written as TVIPS frames; this "
                            f"signal has {len(signal_idx)} signal dimension(s)")
    nav_idx = [i for i in range(len(axes)) if i not in signal_idx]
    order = nav_idx + signal_idx
    if order != list(range(len(axes))):
        data = data.transpose(order)
        axes = [axes[i] for i in order]
    nav_axes = axes[:-2]
    num_positions = math.prod(int(s) for s in data.shape[:-2])
    source = _source_headers(d.get("original_metadata"), num_positions)

    out = {}
    if source is not None and mode is None and "tem_mode" in source[1]:
        source_mode = int(source[1]["tem_mode"][0]) if num_positions else None
        mode = source_mode if source_mode in modes and _axes_match_source(
            axes, source[0], source_mode) else None
    mode = _mode(axes, metadata, mode)
    if mode is not None:
        out["mode"] = mode
    if source is not None and _axes_match_source(axes, source[0], mode):
        header = source[0]
        for name in ("pixel_size_nm", "offset_x", "offset_y", "bin_x", "bin_y"):
            if name not in given:
                out[name] = int(header[name])
        if "filler" not in given:
            out["filler"] = bytes(header["filler"])
    else:
        out.update(_calibration(axes, mode, given))

    start = parse_start(metadata) if "start_time" not in given else None
    if start is not None:
        out["start_time"] = start
    interval = None
    if "frame_interval" not in given and nav_axes:
        fastest = nav_axes[-1]
        factor = seconds_factor(fastest.get("units"))
        if factor is not None and fastest.get("_type", "UniformDataAxis") == "UniformDataAxis":
            interval = float(fastest.get("scale", 0.0)) * factor
            if interval > 0:
                out["frame_interval"] = interval

    energy = _number(metadata, f"{_TEM}.beam_energy")
    if energy is not None and "high_tension_kv" not in given:
        out["high_tension_kv"] = _whole("high_tension_kv", energy, "kV", "beam energy")
    if "mag_total" not in given:
        key = {_IMAGING: "magnification", _DIFFRACTION: "camera_length"}.get(mode)
        value = _number(metadata, f"{_TEM}.{key}") if key else None
        other = {_IMAGING: "camera_length", _DIFFRACTION: "magnification"}.get(mode)
        if other and _number(metadata, f"{_TEM}.{other}") is not None and value is None:
            warn(TvipsWarning(f"TEM.{other} is not written: in {tem_mode_name(mode)} mode the "
                              f"header's mag_total holds the {key.replace('_', ' ')}"))
        if value is not None:
            out["mag_total"] = _whole("mag_total", value, "", key.replace("_", " "))

    frame_headers = _derived_frame_headers(metadata)
    if source is not None:
        header, columns, series_columns = source
        keep_time = _time_from_source(metadata, nav_axes, series_columns, start,
                                      out.get("frame_interval"))
        merged = dict(columns)
        if not keep_time:
            merged.pop("timestamp_s", None)
            merged.pop("timestamp_ms", None)
        else:
            out.pop("start_time", None)
            out.pop("frame_interval", None)
        if "mode" in given:
            merged.pop("tem_mode", None)
        for name, value in frame_headers.items():  # a changed value wins over the source's
            if name not in merged or not num_positions or f32(merged[name][0]) != f32(value):
                merged[name] = value
        frame_headers = merged
        if int(header["version"]) != 1 and version != 1:
            out["len_frame_header"] = int(header["len_frame_header"])
    if version == 1:  # version 1 frame headers hold the counter and time stamps only
        frame_headers = {k: v for k, v in frame_headers.items() if k in _V1_FIELDS}
    if frame_headers:
        out["frame_headers"] = frame_headers
    return data, out
