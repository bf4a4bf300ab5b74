"""What a series says about its acquisition: time, optics, mode and axis calibration.

The format stores little, and some of it ambiguously; every value here says
where it comes from.

* Time: the first frame's time stamps, read as a Unix time and returned as a
  UTC-aware datetime; the frame interval over the whole series
  (:mod:`tvips_ks.timing`).
* Mode: the first frame's ``tem_mode`` (version 2 headers only).
* ``mag_total`` is a magnification in imaging and, per the TVIPS script, a
  camera length (unit undocumented) in diffraction; 0 means none was
  recorded (real diffraction files hold 0).
* Signal calibration: ``pixel_size_nm`` means two different things.  Camera
  files hold the unbinned *detector* pixel size; HyperSpy/RosettaSciIO (and
  tvips-ks) write the calibrated signal scale there, in nm or 1/nm by mode,
  and mark their files with their name in the header filler.  So: a file
  written by HyperSpy or tvips-ks gets ``pixel_size_nm`` as its scale; a
  camera file in imaging mode gets ``pixel_size_nm × bin_x / mag_total`` nm
  (specimen pixel); anything else stays in detector pixels (``px``), because
  a reciprocal calibration needs a camera length whose unit the format does
  not record.
* User calibrations (:class:`tvips_ks.calibration.Calibration`, given to
  ``open``) replace these: the scan step on the ``y``/``x`` scan axes, the
  diffraction or image pixel on the signal axes (offset 0), each with
  ``source="user"``, and ``camera_length_mm``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from .calibration import Calibration
from .format import LEN_FILLER, tem_mode_name
from .timing import time_span

__all__ = ["Axis", "Metadata", "build_metadata", "writer_of", "nav_axis_names", "FILLER_TVIPS_KS",
           "signal_calibration", "header_detector_pixel_nm", "USER"]

#: Filler tvips-ks writes into the main header, marking the calibrated-scale
#: convention for ``pixel_size_nm``.
FILLER_TVIPS_KS = (b"TVIPS-KS " * (LEN_FILLER // 9 + 1))[:LEN_FILLER]

#: The ``source`` of an axis calibrated by the user.
USER = "user"

_HYPERSPY = b"HYPERSPY"
_TVIPS_KS = FILLER_TVIPS_KS[:8]


@dataclass(frozen=True)
class Axis:
    """One axis of ``ds.data``, in HyperSpy's terms."""

    name: str
    size: int
    scale: float = 1.0
    offset: float = 0.0
    units: str = ""
    navigate: bool = True
    source: str = ""

    def as_dict(self) -> dict:
        return dict(name=self.name, size=self.size, scale=self.scale, offset=self.offset,
                    units=self.units, navigate=self.navigate)


@dataclass(frozen=True)
class Metadata:
    acquisition_time: datetime | None
    high_tension_kv: int
    mode: str | None                 #: "imaging", "diffraction" or None (unknown)
    magnification: int | None        #: ``mag_total`` in imaging mode, when not 0
    camera_length: int | None        #: ``mag_total`` in diffraction mode when not 0; unit undocumented
    detector_pixel_size_nm: int | None  #: camera files: the unbinned detector pixel
    binning: tuple[int, int]
    writer: str                      #: "camera", "hyperspy" or "tvips-ks" (from the filler)
    frame_interval_s: float | None   #: (last − first frame time) / (frames − 1)
    axes: tuple[Axis, ...] = field(default=())
    camera_length_mm: float | None = None  #: given by the user (the format has no unit for it)

    @property
    def binned_pixel_size_nm(self) -> tuple[int, int] | None:
        """The detector pixel as binned in these frames, ``(y, x)`` in nm (camera files)."""
        return _binned(self.detector_pixel_size_nm, self.binning)

    @property
    def navigation_axes(self) -> tuple[Axis, ...]:
        return tuple(a for a in self.axes if a.navigate)

    @property
    def signal_axes(self) -> tuple[Axis, ...]:
        return tuple(a for a in self.axes if not a.navigate)


def _binned(size_nm, binning) -> tuple[int, int] | None:
    if not size_nm:
        return None
    return size_nm * max(binning[1], 1), size_nm * max(binning[0], 1)


def header_detector_pixel_nm(header: np.void) -> tuple[int, int] | None:
    """The binned detector pixel ``(y, x)`` in nm a camera file's header records, else None."""
    if writer_of(header) != "camera":
        return None
    return _binned(int(header["pixel_size_nm"]), (int(header["bin_x"]), int(header["bin_y"])))


def _calibrated(axes, calibration: Calibration) -> tuple[Axis, ...]:
    """The axes with the user's scan step (on ``y``/``x``) and signal pixel applied."""
    out = []
    for axis in axes:
        if axis.navigate and calibration.scan_step is not None and axis.name in ("y", "x"):
            step = calibration.scan_step[0 if axis.name == "y" else 1]
            axis = replace(axis, scale=step, offset=0.0, units=calibration.scan_step_units,
                           source=USER)
        elif not axis.navigate and calibration.signal is not None:
            scale, units = calibration.signal
            axis = replace(axis, scale=scale, offset=0.0, units=units, source=USER)
        out.append(axis)
    return tuple(out)


def writer_of(header: np.void) -> str:
    """Who wrote a series, from its filler: "hyperspy", "tvips-ks" or "camera"."""
    filler = bytes(header["filler"])
    if filler.startswith(_HYPERSPY):
        return "hyperspy"
    if filler.startswith(_TVIPS_KS):
        return "tvips-ks"
    return "camera"


def nav_axis_names(ndim: int) -> list[str]:
    """Names of the scan axes, fastest last: ``x``, ``y``, ``z``, then ``axis3``, …"""
    names = ["x", "y", "z"] + [f"axis{k}" for k in range(3, ndim)]
    return names[:ndim][::-1]


def signal_calibration(header, mode, writer):
    """``(scale, units, source)`` of the signal axes a main header gives (mode by name)."""
    size_nm, mag = int(header["pixel_size_nm"]), int(header["mag_total"])
    if writer in ("hyperspy", "tvips-ks") and size_nm > 0:
        units = "1/nm" if mode == "diffraction" else "nm"
        return (float(size_nm), units,
                f"pixel_size_nm, which {writer} writes as the calibrated signal scale "
                f"({units}, by the frame headers' tem_mode)")
    if mode == "imaging" and size_nm > 0 and mag > 0:
        return (size_nm * int(header["bin_x"] or 1) / mag, "nm",
                "detector pixel size (pixel_size_nm) × bin_x / mag_total: the specimen-plane "
                "pixel size")
    why = ("diffraction needs a camera length whose unit the format does not record"
           if mode == "diffraction" else "pixel size or magnification missing or mode unknown")
    return 1.0, "px", f"uncalibrated detector pixels ({why})"


def build_metadata(header: np.void, frame_headers: np.ndarray, nav_shape: tuple[int, ...],
                   is_scan: bool, calibration: Calibration | None = None) -> Metadata:
    first = frame_headers[0] if len(frame_headers) else None
    mode = None
    if first is not None and "tem_mode" in frame_headers.dtype.names:
        mode = tem_mode_name(first["tem_mode"])
    writer = writer_of(header)
    span = time_span(frame_headers)
    interval = span.interval_s

    scale, units, source = signal_calibration(header, mode, writer)
    offset_x = offset_y = 0.0
    if writer in ("hyperspy", "tvips-ks"):  # they store calibrated offsets there
        offset_x, offset_y = float(header["offset_x"]), float(header["offset_y"])
    signal = (
        Axis("dy", int(header["height"]), scale, offset_y, units, False, source),
        Axis("dx", int(header["width"]), scale, offset_x, units, False, source),
    )
    if is_scan:
        nav = tuple(Axis(n, s, 1.0, 0.0, "", True,
                         "scan step not recorded in the format: scale 1 per position")
                    for n, s in zip(nav_axis_names(len(nav_shape)), nav_shape))
    elif interval:
        nav = (Axis("time", nav_shape[0], interval, 0.0, "s", True,
                    "frame time stamps: (last − first) / (frames − 1); offset 0 at the first "
                    "frame"),)
    else:
        nav = (Axis("frame", nav_shape[0], 1.0, 0.0, "", True,
                    "frame timestamps do not advance: frame number"),)
    mag = int(header["mag_total"])
    return Metadata(
        acquisition_time=span.first,
        high_tension_kv=int(header["high_tension_kv"]),
        mode=mode,
        magnification=mag if mode != "diffraction" and mag else None,
        camera_length=mag if mode == "diffraction" and mag else None,
        detector_pixel_size_nm=int(header["pixel_size_nm"]) or None if writer == "camera"
        else None,
        binning=(int(header["bin_x"]), int(header["bin_y"])),
        writer=writer,
        frame_interval_s=interval,
        axes=_calibrated(nav + signal, calibration) if calibration else nav + signal,
        camera_length_mm=calibration.camera_length_mm if calibration else None,
    )
