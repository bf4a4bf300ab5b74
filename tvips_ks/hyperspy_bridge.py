"""HyperSpy and RosettaSciIO interoperability: signals in, signals out.

Three entry points, all working on plain dictionaries in RosettaSciIO's plugin
convention (``data``, ``axes``, ``metadata``, ``original_metadata``) so that
HyperSpy itself is only needed to build a signal object:

* :func:`signal_dict` — a dataset as RosettaSciIO's reader dict;
* :func:`to_hyperspy` — a dataset as a HyperSpy signal (``TvipsDataset.to_hyperspy``);
* :func:`save_arguments_from_signal` — the :func:`tvips_ks.save` arguments a
  signal (or its dict) implies: pixel size, offsets, mode, times, optics, stage.

Conventions (HyperSpy's documented metadata structure; see docs/hyperspy.md):

* ``General.date``/``time`` are the acquisition time in UTC with
  ``General.time_zone = "UTC"`` (the file's Unix time stamps are UTC).
* ``Acquisition_instrument.TEM.beam_energy`` in keV (= the header's kV),
  ``magnification`` in imaging mode and ``camera_length`` in diffraction mode
  (the header's ``mag_total``, unconverted: the format does not record the
  unit; HyperSpy's is mm), ``beam_current`` from the Faraday reading.
* ``Acquisition_instrument.TEM.Stage``: ``x``/``y``/``z`` in mm (the frame
  headers hold nm, per LiberTEM), ``tilt_alpha``/``tilt_beta`` in degrees.
  Values of the first frame of the series; every frame's values are in
  ``original_metadata.frame_headers``.
* ``original_metadata``: ``main_header`` (the spec's field names),
  ``tvips_header`` (the same values under RosettaSciIO's names),
  ``frame_headers`` (one array per field, every frame of the series, in file
  order) and, for a scan, ``frame_index`` (the frame behind each position,
  −1 for padding).
"""

from __future__ import annotations

import math
import os
import re
import sys
import warnings
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import numpy as np

from .errors import ArgumentError, TvipsWarning

__all__ = ["signal_dict", "to_hyperspy", "save_arguments_from_signal", "SIGNAL_TYPE_DIFFRACTION"]

SIGNAL_TYPE_DIFFRACTION = "diffraction"

#: RosettaSciIO's names of the main-header fields, in file order (for code
#: that reads ``original_metadata.tvips_header``).
_RSCIIO_HEADER_NAMES = {
    "len_header": "size", "version": "version", "width": "dimx", "height": "dimy",
    "bits_per_pixel": "bitsperpixel", "offset_x": "offsetx", "offset_y": "offsety",
    "bin_x": "binx", "bin_y": "biny", "pixel_size_nm": "pixelsize", "high_tension_kv": "ht",
    "mag_total": "magtotal", "len_frame_header": "frameheaderbytes", "filler": "dummy",
}

_MM_PER_NM = Decimal("1e-6")


# -- reading ------------------------------------------------------------------------


def _f32(value) -> float:
    """A float32 value as the shortest Python float that round-trips (10.3, not 10.30000019)."""
    return float(str(np.float32(value)))


def _scalar(value):
    """A numpy scalar as the Python value HyperSpy and YAML/HDF5 writers handle."""
    if isinstance(value, np.void) or isinstance(value, (bytes, np.bytes_)):
        return bytes(value)
    if isinstance(value, np.floating):
        return _f32(value) if value.dtype == np.float32 else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _iso_time(moment: datetime) -> str:
    """``HH:MM:SS``, or ``HH:MM:SS.mmm`` when there are milliseconds (the format's resolution)."""
    moment = moment + timedelta(microseconds=500)  # to the nearest millisecond, not truncated
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return moment.time().isoformat(timespec="milliseconds" if moment.microsecond else "seconds")


def _series_title(path: Path) -> str:
    stem = Path(path).stem
    return re.sub(r"_\d{3}$", "", stem) or stem


def _metadata(ds) -> dict:
    meta = ds.metadata
    general = {"original_filename": os.path.basename(ds.path), "title": _series_title(ds.path)}
    if meta.acquisition_time is not None:
        moment = meta.acquisition_time.astimezone(timezone.utc)
        general.update(date=moment.date().isoformat(), time=_iso_time(moment), time_zone="UTC")
    tem = {}
    if meta.high_tension_kv:
        tem["beam_energy"] = float(meta.high_tension_kv)
    if meta.magnification:
        tem["magnification"] = float(meta.magnification)
    if meta.camera_length:
        tem["camera_length"] = float(meta.camera_length)
    headers = ds.frame_headers
    if len(headers):
        first = headers[0]
        names = headers.dtype.names
        if "faraday" in names and first["faraday"] != 0:
            tem["beam_current"] = _f32(first["faraday"])
        stage = {}
        for key, field in (("tilt_alpha", "stage_alpha"), ("tilt_beta", "stage_beta")):
            if field in names:
                stage[key] = _f32(first[field])
        for key in ("x", "y", "z"):
            field = f"stage_{key}"
            if field in names:
                stage[key] = float(Decimal(str(np.float32(first[field]))) * _MM_PER_NM)
        if stage:
            tem["Stage"] = stage
    out = {"General": general, "Signal": {}}
    if tem:
        out["Acquisition_instrument"] = {"TEM": tem}
    if meta.mode == "diffraction":
        out["Signal"]["signal_type"] = SIGNAL_TYPE_DIFFRACTION
    return out


def _original_metadata(ds) -> dict:
    from .layout import frame_header_dtype
    from .reader import read_frame_headers

    header = ds.header
    main = {name: _scalar(header[name]) for name in header.dtype.names}
    rsciio_names = {_RSCIIO_HEADER_NAMES.get(name, name): value for name, value in main.items()}
    padded = frame_header_dtype(ds.layout.len_frame_header, padding=True)
    if padded.names == ds.frame_headers.dtype.names:
        raw = ds.frame_headers
    else:  # bytes after the last known field: read them too, as they are
        raw = read_frame_headers(ds.files, ds.layout, padding=True)
    frames = {}
    for name in raw.dtype.names:
        column = raw[name]
        if column.dtype.kind == "V":  # bytes after the last known field: (frames, n) uint8
            column = np.frombuffer(column.tobytes(), dtype=np.uint8).reshape(len(raw), -1)
        frames[name] = np.ascontiguousarray(column)
    out = {"main_header": main, "tvips_header": rsciio_names, "frame_headers": frames}
    if ds.frame_index is not None:
        out["frame_index"] = np.asarray(ds.frame_index).copy()
    return out


def _axes(ds) -> list[dict]:
    axes = []
    for index, axis in enumerate(ds.metadata.axes):
        entry = axis.as_dict()
        entry.update(index_in_array=index, scale=float(axis.scale), offset=float(axis.offset))
        axes.append(entry)
    return axes


def signal_dict(ds, lazy: bool = False) -> dict:
    """The dataset as a RosettaSciIO reader dict.

    ``data`` is an in-memory numpy array, or with ``lazy=True`` the dask array
    of :meth:`TvipsDataset.to_dask` (chunks from the ``rechunking`` option).
    ``hs.signals.Signal2D(**signal_dict(ds))`` builds the signal by hand.
    """
    data = ds.to_dask() if lazy else np.asarray(ds.data)
    return {
        "data": data,
        "axes": _axes(ds),
        "metadata": _metadata(ds),
        "original_metadata": _original_metadata(ds),
        "mapping": {},
    }


def _signal_type_known(signal_type: str) -> bool:
    from hyperspy.extensions import ALL_EXTENSIONS

    return any(signal_type == spec.get("signal_type")
               or signal_type in spec.get("signal_type_aliases", ())
               for spec in ALL_EXTENSIONS["signals"].values())


def to_hyperspy(ds, lazy: bool = False):
    """The dataset as a HyperSpy ``Signal2D`` (or ``LazySignal2D`` with ``lazy=True``).

    In diffraction mode the signal type is ``"diffraction"`` when a package
    providing it (pyxem) is installed, giving its diffraction signal class;
    otherwise a plain ``Signal2D`` without a signal type (HyperSpy would only
    warn that it does not understand it).
    """
    try:
        from hyperspy.io import dict2signal
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("to_hyperspy needs HyperSpy: pip install 'tvips-ks[hyperspy]'") from err
    d = signal_dict(ds, lazy=lazy)
    signal_type = d["metadata"]["Signal"].get("signal_type")
    if signal_type and not _signal_type_known(signal_type):
        del d["metadata"]["Signal"]["signal_type"]
    return dict2signal(d, lazy=lazy)


# -- writing ------------------------------------------------------------------------

_LENGTH_NM = {  # exact spellings: case matters ("Mm" is not "mm")
    "m": 1e9, "cm": 1e7, "mm": 1e6, "um": 1e3, "\u00b5m": 1e3, "\u03bcm": 1e3, "micron": 1e3,
    "nm": 1.0, "A": 0.1, "\u00c5": 0.1, "\u212b": 0.1, "angstrom": 0.1, "Angstrom": 0.1,
    "pm": 1e-3,
}
_TIME_S = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, "ns": 1e-9,
           "min": 60.0, "h": 3600.0}
_PIXEL_UNITS = {"", "px", "pixel", "pixels", "<undefined>", "none", "undefined"}
_RECIPROCAL = re.compile(r"^(?:1\s*/\s*(?P<a>.+)"                       # 1/nm
                         r"|(?P<b>.+?)\s*(?:\^|\*\*)\s*\(?-1\)?"        # nm^-1, nm**-1
                         r"|(?P<c>.+?)⁻¹)$")                             # nm⁻¹
_UREG = None


def _pint_factor(units: str, target: str) -> float | None:
    global _UREG
    try:
        import pint
    except ImportError:  # pragma: no cover - pint comes with HyperSpy
        return None
    try:
        if _UREG is None:
            _UREG = pint.UnitRegistry()
        return float(_UREG.Quantity(1.0, units).to(target).magnitude)
    except Exception:  # pint raises many kinds of errors for foreign unit strings
        return None


def _units_text(units) -> str:
    return units.strip() if isinstance(units, str) else ""


def _length_kind(units) -> tuple[str | None, float]:
    """``("length", to-nm factor)``, ``("reciprocal", to-1/nm factor)`` or ``(None, 1)``."""
    text = _units_text(units)
    if text.lower() in _PIXEL_UNITS:
        return None, 1.0
    if text in _LENGTH_NM:
        return "length", _LENGTH_NM[text]
    match = _RECIPROCAL.match(text)
    if match:
        inner = (match["a"] or match["b"] or match["c"]).strip()
        if inner in _LENGTH_NM:
            return "reciprocal", 1.0 / _LENGTH_NM[inner]
    factor = _pint_factor(text, "nm")
    if factor is not None:
        return "length", factor
    factor = _pint_factor(text, "1/nm")
    if factor is not None:
        return "reciprocal", factor
    return None, 1.0


def _seconds_factor(units) -> float | None:
    text = _units_text(units)
    if text in _TIME_S:
        return _TIME_S[text]
    if text.lower() in _PIXEL_UNITS:
        return None
    return _pint_factor(text, "s")


def _get(tree: Mapping, dotted: str):
    node = tree
    for key in dotted.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _number(tree: Mapping, *keys) -> float | None:
    """The first of ``keys`` that holds a finite number."""
    for key in keys:
        value = _get(tree, key)
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
            "metadata": signal_or_dict.metadata.as_dictionary()}


def _warn(message: str) -> None:
    """A TvipsWarning attributed to the first caller outside tvips-ks."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    warnings.warn(TvipsWarning(message), stacklevel=level)


def _whole(name: str, value: float, units: str, what: str) -> int:
    """``value`` rounded to the header's whole numbers, warning when that loses precision."""
    rounded = int(round(value))
    if rounded < 0:
        unit = f" {units}" if units else ""
        _warn(f"{name}: the {what} {value:g}{unit} is negative, which the header's unsigned "
              f"field cannot hold; 0 is written (the {what} is lost)")
        return 0
    if not math.isclose(rounded, value, rel_tol=1e-6, abs_tol=1e-9):
        lost = "; the calibration is lost" if rounded == 0 and name == "pixel_size_nm" else ""
        unit = f" {units}" if units else ""
        _warn(f"{name}: the {what} {value:.6g}{unit} is stored as {rounded}{unit}: the TVIPS "
              f"main header holds whole numbers only{lost}")
    return rounded


def _parse_start(metadata: Mapping):
    """General.date/time/time_zone as an aware datetime (UTC when no zone), or None."""
    day = _get(metadata, "General.date")
    if not day:
        return None
    try:
        moment = datetime.combine(date.fromisoformat(str(day)), time())
    except ValueError:
        _warn(f"General.date {day!r} is not an ISO date (YYYY-MM-DD); the time stamps are "
              f"set to the time of writing")
        return None
    clock = _get(metadata, "General.time")
    if clock:
        try:
            parsed = time.fromisoformat(str(clock))
        except ValueError:
            _warn(f"General.time {clock!r} is not an ISO time (HH:MM:SS); midnight is used")
        else:
            moment = datetime.combine(moment.date(), parsed.replace(tzinfo=None))
            if parsed.tzinfo is not None:
                return moment.replace(tzinfo=parsed.tzinfo)
    return moment.replace(tzinfo=_zone(_get(metadata, "General.time_zone")))


_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*(?P<sign>[+-])(?P<h>\d{1,2}):?(?P<m>\d{2})?$", re.IGNORECASE)


def _zone(name):
    """A tzinfo for HyperSpy's ``General.time_zone``: IANA names, offsets, "UTC"; None → UTC."""
    if name is None or (isinstance(name, str) and not name.strip()):
        return timezone.utc
    text = str(name).strip()
    if text.upper() in ("UTC", "Z", "GMT", "ZULU"):
        return timezone.utc
    match = _OFFSET.match(text)
    if match:
        delta = timedelta(hours=int(match["h"]), minutes=int(match["m"] or 0))
        return timezone(-delta if match["sign"] == "-" else delta)
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(text)
    except (ImportError, ValueError, OSError, KeyError):
        pass
    try:  # dateutil (a HyperSpy dependency) knows Windows names and a few more
        from dateutil import tz

        found = tz.gettz(text)
        if found is not None:
            return found
    except ImportError:  # pragma: no cover
        pass
    _warn(f"General.time_zone {text!r} is not a known time zone (an IANA name such as "
          f"'Europe/Berlin', an offset such as '+02:00', or 'UTC'); the time is taken as UTC")
    return timezone.utc


def _calibration(axes, mode, given) -> dict:
    """pixel_size_nm, offset_x, offset_y and the mode, from the signal axes."""
    y_axis, x_axis = axes[-2], axes[-1]
    kind_y, factor_y = _length_kind(y_axis.get("units"))
    kind_x, factor_x = _length_kind(x_axis.get("units"))
    guessed = {"length": 1, "reciprocal": 2}.get(kind_y or kind_x)
    out = {}
    if mode is None and guessed is not None:
        out["mode"] = mode = guessed
    wanted = [k for k in ("pixel_size_nm", "offset_x", "offset_y") if k not in given]
    if not wanted:
        return out
    kind = {1: "length", 2: "reciprocal"}.get(mode)
    units = {1: "nm", 2: "1/nm"}.get(mode, "")
    uniform = all(a.get("_type", "UniformDataAxis") == "UniformDataAxis" for a in (y_axis, x_axis))
    scale_y, scale_x = float(y_axis.get("scale", 1.0)), float(x_axis.get("scale", 1.0))
    off_y, off_x = float(y_axis.get("offset", 0.0)), float(x_axis.get("offset", 0.0))
    calibrated = (kind_y or kind_x) is not None or scale_y != 1 or scale_x != 1 or off_y or off_x
    if not uniform or kind is None or kind_y != kind or kind_x not in (kind, None):
        if calibrated:
            why = ("the signal axes are non-uniform" if not uniform else
                   f"units {y_axis.get('units')!r} are neither a length nor a reciprocal length"
                   if (kind_y or kind_x) is None else
                   f"mode={mode} ({'imaging' if mode == 1 else 'diffraction'}) does not match "
                   f"the signal units {y_axis.get('units')!r}")
            _warn(f"the signal calibration cannot be stored ({why}); pixel_size_nm and the "
                  f"offsets are written as 0, which readers show as uncalibrated pixels")
        out.update({k: 0 for k in wanted})
        return out
    if kind_x is None:
        factor_x = factor_y
    size_y, size_x = scale_y * factor_y, scale_x * factor_x
    if not math.isclose(size_y, size_x, rel_tol=1e-6):
        _warn(f"the signal axes have different scales ({size_y:g} and {size_x:g} {units}); the "
              f"header holds one pixel size, the y axis's is written")
    values = {"pixel_size_nm": (size_y, "pixel size"), "offset_x": (off_x * factor_x, "x offset"),
              "offset_y": (off_y * factor_y, "y offset")}
    for name in wanted:
        value, what = values[name]
        out[name] = _whole(name, value, units, what)
    return out


def save_arguments_from_signal(signal_or_dict, mode=None, *, given=()):
    """``(data, arguments)`` for :func:`tvips_ks.save` from a HyperSpy signal or its dict.

    ``signal_or_dict`` is a signal (anything with ``axes_manager``) or a
    RosettaSciIO signal dict (``data``, ``axes`` in array order,
    ``metadata``).  The two signal axes give ``pixel_size_nm``,
    ``offset_x``/``offset_y`` (converted to nm or 1/nm, rounded to the
    header's whole numbers with a :class:`TvipsWarning` when precision is lost)
    and, when ``mode`` is None, the mode (a length → 1 imaging, a reciprocal
    length → 2 diffraction).  ``General.date``/``time``/``time_zone`` give
    ``start_time`` (IANA names, offsets such as "+02:00", "UTC"; no zone means
    UTC); a time axis as the fastest navigation axis gives ``frame_interval``;
    ``Acquisition_instrument.TEM`` gives ``high_tension_kv`` (beam_energy),
    ``mag_total`` (magnification in imaging, camera_length in diffraction) and
    per-frame ``frame_headers`` (beam_current → faraday, Stage.x/y/z in mm →
    stage_x/y/z in nm, Stage.tilt_alpha/tilt_beta in degrees).

    Arguments named in ``given`` (the caller sets them itself) are neither
    derived nor warned about, except ``frame_headers``, whose fields the
    caller merges over these.  The data is returned with its signal axes last.
    """
    if mode not in (None, 1, 2):
        raise ArgumentError(f"mode must be 1 (imaging) or 2 (diffraction), got {mode!r}")
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

    out = _calibration(axes, mode, given)
    mode = out.get("mode", mode)
    if "start_time" not in given:
        start = _parse_start(metadata)
        if start is not None:
            out["start_time"] = start
    if "frame_interval" not in given and nav_axes:
        fastest = nav_axes[-1]
        factor = _seconds_factor(fastest.get("units"))
        if factor is not None and fastest.get("_type", "UniformDataAxis") == "UniformDataAxis":
            interval = float(fastest.get("scale", 0.0)) * factor
            if interval > 0:
                out["frame_interval"] = interval

    tem = "Acquisition_instrument.TEM"
    energy = _number(metadata, f"{tem}.beam_energy")
    if energy is not None and "high_tension_kv" not in given:
        out["high_tension_kv"] = _whole("high_tension_kv", energy, "kV", "beam energy")
    if "mag_total" not in given:
        key = {1: "magnification", 2: "camera_length"}.get(mode)
        value = _number(metadata, f"{tem}.{key}") if key else None
        if value is None and mode is None:
            value = _number(metadata, f"{tem}.magnification")
        if value is not None:
            out["mag_total"] = _whole("mag_total", value, "", key or "magnification")
    frame_headers = {}
    current = _number(metadata, f"{tem}.beam_current")
    if current is not None:
        frame_headers["faraday"] = np.float32(current)
    for key in ("x", "y", "z"):
        value = _number(metadata, f"{tem}.Stage.{key}")
        if value is not None:
            frame_headers[f"stage_{key}"] = np.float32(float(Decimal(repr(value)) / _MM_PER_NM))
    for key in ("alpha", "beta"):
        # HyperSpy's key first, then RosettaSciIO's writer's (TEM.tilt_*) and old HyperSpy's
        keys = [f"{tem}.Stage.tilt_{key}", f"{tem}.tilt_{key}"]
        if key == "alpha":
            keys.append(f"{tem}.tilt_stage")
        value = _number(metadata, *keys)
        if value is not None:
            frame_headers[f"stage_{key}"] = np.float32(value)
    if frame_headers:
        out["frame_headers"] = frame_headers
    return data, out
