"""A dataset as RosettaSciIO's reader dict, or as a HyperSpy signal.

Conventions (HyperSpy's documented metadata structure; see docs/hyperspy.md):

* ``General.date``/``time`` are the acquisition time in UTC with
  ``General.time_zone = "UTC"`` (the file's Unix time stamps are UTC).
* ``Acquisition_instrument.TEM.beam_energy`` in keV (= the header's kV),
  ``magnification`` in imaging mode and ``camera_length`` in diffraction mode
  (the header's ``mag_total``, unconverted, when not 0: the format does not
  record the unit; HyperSpy's is mm) or the user's ``camera_length_mm``
  when given to ``open``, ``beam_current`` from the Faraday reading.
* ``Calibration``: the calibrations given to ``open`` (scan step, diffraction
  or image pixel size with their units, camera length in mm), when any; the
  axes carry them too.
* ``Acquisition_instrument.TEM.Stage``: ``x``/``y``/``z`` in mm (the frame
  headers hold nm, per LiberTEM), ``tilt_alpha``/``tilt_beta`` in degrees.
  Values of the first frame of the series; every frame's values are in
  ``original_metadata.frame_headers``.
* ``original_metadata``: ``main_header`` (the spec's field names),
  ``tvips_header`` (the same values under RosettaSciIO's names),
  ``frame_headers`` (one array per field, every frame of the series, in file
  order, with the bytes after the last known field as ``padding``) and, for a
  scan, ``frame_index`` (the frame behind each position, −1 for padding).
  :mod:`.write` gives these back when the signal is saved unchanged.
"""

from __future__ import annotations

import os
from datetime import timezone
from decimal import Decimal

import numpy as np

from ..errors import require
from ..format import frame_header_dtype
from ..generated import tables
from ..io.headers import read_frame_headers
from ..io.naming import series_title
from .times import iso_time

__all__ = ["signal_dict", "to_hyperspy", "SIGNAL_TYPE_DIFFRACTION", "MM_PER_NM",
           "RSCIIO_HEADER_NAMES"]

SIGNAL_TYPE_DIFFRACTION = "diffraction"
MM_PER_NM = Decimal("1e-6")

#: RosettaSciIO's names of the main-header fields, in file order (for code
#: that reads ``original_metadata.tvips_header``).
RSCIIO_HEADER_NAMES = {
    "len_header": "size", "version": "version", "width": "dimx", "height": "dimy",
    "bits_per_pixel": "bitsperpixel", "offset_x": "offsetx", "offset_y": "offsety",
    "bin_x": "binx", "bin_y": "biny", "pixel_size_nm": "pixelsize", "high_tension_kv": "ht",
    "mag_total": "magtotal", "len_frame_header": "frameheaderbytes", "filler": "dummy",
}


def f32(value) -> float:
    """A float32 value as the shortest Python float that round-trips (10.3, not 10.30000019)."""
    return float(str(np.float32(value)))


def _scalar(value):
    """A numpy scalar as the Python value HyperSpy and YAML/HDF5 writers handle."""
    if isinstance(value, np.void) or isinstance(value, (bytes, np.bytes_)):
        return bytes(value)
    if isinstance(value, np.floating):
        return f32(value) if value.dtype == np.float32 else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _metadata(ds) -> dict:
    meta = ds.metadata
    general = {"original_filename": os.path.basename(ds.path), "title": series_title(ds.path)}
    if meta.acquisition_time is not None:
        moment = meta.acquisition_time.astimezone(timezone.utc)
        general.update(date=moment.date().isoformat(), time=iso_time(moment), time_zone="UTC")
    tem = {}
    if meta.high_tension_kv:
        tem["beam_energy"] = float(meta.high_tension_kv)
    if meta.magnification:
        tem["magnification"] = float(meta.magnification)
    if meta.camera_length_mm is not None:
        tem["camera_length"] = float(meta.camera_length_mm)
    elif meta.camera_length:
        tem["camera_length"] = float(meta.camera_length)
    headers = ds.frame_headers
    if len(headers):
        first = headers[0]
        names = headers.dtype.names
        if "faraday" in names and first["faraday"] != 0:
            tem["beam_current"] = f32(first["faraday"])
        stage = {}
        for key, field in (("tilt_alpha", "stage_alpha"), ("tilt_beta", "stage_beta")):
            if field in names:
                stage[key] = f32(first[field])
        for key in ("x", "y", "z"):
            field = f"stage_{key}"
            if field in names:
                stage[key] = float(Decimal(str(np.float32(first[field]))) * MM_PER_NM)
        if stage:
            tem["Stage"] = stage
    out = {"General": general, "Signal": {}}
    if tem:
        out["Acquisition_instrument"] = {"TEM": tem}
    calibration = getattr(ds, "calibration", None)
    if calibration:
        out["Calibration"] = calibration.as_metadata()
    if meta.mode == "diffraction" or (calibration and calibration.diffraction_pixel):
        out["Signal"]["signal_type"] = SIGNAL_TYPE_DIFFRACTION
    return out


def _original_metadata(ds) -> dict:
    header = ds.header
    main = {name: _scalar(header[name]) for name in header.dtype.names}
    rsciio_names = {RSCIIO_HEADER_NAMES.get(name, name): value for name, value in main.items()}
    padded = frame_header_dtype(ds.layout.len_frame_header, padding=True)
    if padded.names == ds.frame_headers.dtype.names:
        raw = ds.frame_headers
    else:  # bytes after the last known field: read them too, as they are
        raw = read_frame_headers(ds.table, padding=True)
    frames = {}
    for name in raw.dtype.names:
        column = raw[name]
        if name == tables.FRAME_HEADER_PADDING:  # (frames, n) uint8
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


def signal_type_known(signal_type: str) -> bool:
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
    dict2signal = require("hyperspy.io", extra="hyperspy", purpose="to_hyperspy()").dict2signal
    d = signal_dict(ds, lazy=lazy)
    signal_type = d["metadata"]["Signal"].get("signal_type")
    if signal_type and not signal_type_known(signal_type):
        del d["metadata"]["Signal"]["signal_type"]
    return dict2signal(d, lazy=lazy)
