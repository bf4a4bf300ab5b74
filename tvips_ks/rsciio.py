"""A RosettaSciIO-style plugin: ``file_reader``/``file_writer`` with ``rsciio.tvips``'s signatures.

Code written for RosettaSciIO switches by changing its import::

    from tvips_ks.rsciio import file_reader, file_writer   # was: from rsciio.tvips import …

and HyperSpy loads through it with ``hs.load(path, file_format=tvips_ks.rsciio)``
(``reader=`` before HyperSpy 2.4), since a module with a ``file_reader``
function is a reader to HyperSpy.  The reader returns RosettaSciIO's list of
signal dicts (``data``, ``axes``, ``metadata``, ``original_metadata``,
``mapping``); the writer takes the signal dict (``signal._to_dictionary()``,
what HyperSpy hands a plugin) or a signal.  What differs from RosettaSciIO,
field by field, is listed in docs/hyperspy.md.
"""

from __future__ import annotations

import os

import numpy as np

from .calibration import Calibration
from .dataset import open as open_dataset
from .errors import TvipsWarning, warn
from .generated import tables
from .hyperspy.read import signal_dict
from .io.naming import parse_series_name
from .io.writer import save
from .scan.arrange import apply_winding

__all__ = ["file_reader", "file_writer", "format_name", "description", "full_support",
           "file_extensions", "default_extension", "writes", "non_uniform_axis"]

# RosettaSciIO's specification entries, for tools that list plugins.
format_name = "TVIPS"
description = ("TVIPS camera stream files (name_000.tvips, name_001.tvips, …) read and written "
               "by tvips-ks.")
full_support = False
file_extensions = ["tvips", "TVIPS"]
default_extension = 0
writes = True
non_uniform_axis = False

def file_reader(filename, lazy=False, scan_shape=None, scan_start_frame=0,
                winding_scan_axis=None, hysteresis=0, rechunking="auto", *, scan_step=None,
                diffraction_pixel_size=None, image_pixel_size=None, camera_length_mm=None):
    """Read a TVIPS series as RosettaSciIO does: ``[signal_dict]``.

    ``filename`` is the first part of a series (``scan_000.tvips``) or a single
    un-numbered file (``str`` or ``os.PathLike``).  A later part
    (``scan_001.tvips``) gives ``[]`` with a warning: its frames are read with
    the first part, so that ``hs.load("scan_*.tvips", file_format=tvips_ks.rsciio)``
    reads the series once, not once per part.  ``lazy=True`` gives a dask
    array whose chunks follow ``rechunking`` (``"auto"``, ``False``/``None``
    for one chunk per part or scan row, a dask chunks tuple or dict); eager
    reading returns a numpy array.

    The scan options have RosettaSciIO's meaning, including its leniency:
    ``scan_shape="auto"`` ignores ``scan_start_frame`` and applies
    ``winding_scan_axis``/``hysteresis`` to the detected scan, and
    ``hysteresis`` without ``winding_scan_axis`` is ignored.

    The calibrations, keyword-only beyond RosettaSciIO's signature (``scan_step``, ``diffraction_pixel_size`` or
    ``image_pixel_size``, ``camera_length_mm``) are ``open``'s, and land on the
    axes and in the metadata (``hs.load(path, file_format=tvips_ks.rsciio,
    scan_step=(2.5, "nm"))``).
    """
    calibration = Calibration.from_arguments(scan_step, diffraction_pixel_size,
                                             image_pixel_size, camera_length_mm)
    calibrate = calibration.as_open_kwargs()
    name, index = parse_series_name(filename)
    if index:
        warn(TvipsWarning(f"{os.fspath(filename)} is part {index} of the series "
                          f"{name.part(0).name}; its frames are read with that part, so it "
                          f"gives no signal of its own (load {name.part(0).name})"))
        return []
    if winding_scan_axis is None:
        hysteresis = 0  # RosettaSciIO ignores it without a winding
    if isinstance(scan_shape, str) and scan_shape == "auto":
        with open_dataset(filename, scan_shape="auto", rechunking=rechunking,
                          **calibrate) as ds:
            if winding_scan_axis is not None:  # RosettaSciIO: the winding is the user's
                detected = ds.scan
                linear = apply_winding(detected.frame_index, detected.winding_scan_axis,
                                       detected.hysteresis)
                ds = open_dataset(filename, rechunking=rechunking, frame_index=apply_winding(
                    linear, winding_scan_axis, hysteresis), **calibrate)
            return [signal_dict(ds, lazy=lazy)]
    with open_dataset(filename, scan_shape=scan_shape, scan_start_frame=scan_start_frame,
                      winding_scan_axis=winding_scan_axis, hysteresis=hysteresis,
                      rechunking=rechunking, **calibrate) as ds:
        return [signal_dict(ds, lazy=lazy)]


def _minimum_file_size(data, version, frame_header_extra_bytes) -> int:
    height, width = (int(n) for n in data.shape[-2:])
    len_frame_header = (tables.LEN_FRAME_HEADER_V1 if version == 1
                        else tables.LEN_FRAME_HEADER_CORE + int(frame_header_extra_bytes))
    return (tables.LEN_MAIN_HEADER + len_frame_header
            + height * width * np.dtype(data.dtype).itemsize)


def file_writer(filename, signal, max_file_size=None, version=2, frame_header_extra_bytes=0,
                mode=None, show_progressbar=True):
    """Write a signal dict (or a HyperSpy signal) as a TVIPS series, as RosettaSciIO does.

    ``filename`` ``x.tvips`` or ``x_000.tvips`` writes ``x_000.tvips``,
    ``x_001.tvips``, …; an existing series of that name is replaced, surplus
    parts included.  ``max_file_size`` below one record plus the main header is
    raised to that minimum with a warning (RosettaSciIO's behaviour).  The
    signal's axes and metadata are mapped by
    :func:`tvips_ks.hyperspy.write.save_arguments_from_signal`.
    """
    if max_file_size is not None:
        data = signal.data if hasattr(signal, "axes_manager") else signal["data"]
        minimum = _minimum_file_size(data, version, frame_header_extra_bytes)
        if max_file_size < minimum:
            warn(TvipsWarning(
                f"max_file_size={max_file_size} is below the minimum file size for this "
                f"dataset, {minimum} bytes (the main header and one record); using {minimum}"))
            max_file_size = minimum
    save(filename, signal, max_file_size=max_file_size, version=version,
         frame_header_extra_bytes=frame_header_extra_bytes, mode=mode, overwrite=True,
         progress=None if show_progressbar else False)
