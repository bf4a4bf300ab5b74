"""What a series says about its acquisition: time, optics, mode and axis calibration.

The format stores little, and some of it ambiguously; every value here says
where it comes from.

* Time: ``timestamp_s`` + ``timestamp_ms`` of the first frame, read as a Unix
  time and returned as a UTC-aware datetime.  (TVIPS staff are quoted saying the
  acquisition PC records local time; if so the wall-clock value is right and the
  zone is the PC's, which the file does not record.)
* Mode: the first frame's ``tem_mode`` (version 2 headers only).
* ``mag_total`` is a magnification in imaging and, per the TVIPS script, a
  camera length (unit undocumented) in diffraction.
* Signal calibration: ``pixel_size_nm`` means two different things.  Camera
  files hold the *detector* pixel size; HyperSpy/RosettaSciIO (and tvips-ks)
  write the calibrated signal scale there, in nm or 1/nm by mode, and mark
  their files with their name in the header filler.  So: a file written by
  HyperSpy or tvips-ks gets ``pixel_size_nm`` as its scale; a camera file in
  imaging mode gets ``pixel_size_nm × bin_x / mag_total`` nm (specimen pixel);
  anything else stays in detector pixels (``px``), because a reciprocal
  calibration needs a camera length whose unit the format does not record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

__all__ = ["Axis", "Metadata", "build_metadata", "writer_of", "FILLER_TVIPS_KS"]

#: Filler tvips-ks writes into the main header (204 bytes), marking the
#: calibrated-scale convention for ``pixel_size_nm``.
FILLER_TVIPS_KS = (b"TVIPS-KS " * 23)[:204]
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
    magnification: int | None        #: ``mag_total`` in imaging mode
    camera_length: int | None        #: ``mag_total`` in diffraction mode; unit undocumented
    detector_pixel_size_nm: int | None
    binning: tuple[int, int]
    writer: str                      #: "camera", "hyperspy" or "tvips-ks" (from the filler)
    frame_interval_s: float | None   #: median spacing of frame timestamps
    axes: tuple[Axis, ...] = field(default=())

    @property
    def navigation_axes(self) -> tuple[Axis, ...]:
        return tuple(a for a in self.axes if a.navigate)

    @property
    def signal_axes(self) -> tuple[Axis, ...]:
        return tuple(a for a in self.axes if not a.navigate)


def writer_of(header: np.void) -> str:
    filler = bytes(header["filler"])
    if filler.startswith(_HYPERSPY):
        return "hyperspy"
    if filler.startswith(_TVIPS_KS):
        return "tvips-ks"
    return "camera"


def _times_ms(frame_headers: np.ndarray) -> np.ndarray:
    """Frame times in whole milliseconds, exact (no float epoch arithmetic)."""
    return (frame_headers["timestamp_s"].astype(np.int64) * 1000
            + frame_headers["timestamp_ms"].astype(np.int64))


def _signal_calibration(header, mode, writer):
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
                   is_scan: bool) -> Metadata:
    first = frame_headers[0] if len(frame_headers) else None
    mode = None
    if first is not None and "tem_mode" in frame_headers.dtype.names:
        mode = {1: "imaging", 2: "diffraction"}.get(int(first["tem_mode"]))
    writer = writer_of(header)
    acquisition_time = None
    if first is not None:
        acquisition_time = datetime.fromtimestamp(
            int(first["timestamp_s"]) + int(first["timestamp_ms"]) / 1000.0, tz=timezone.utc)
    interval = None
    if len(frame_headers) > 1:
        steps = np.diff(_times_ms(frame_headers))
        steps = steps[steps > 0]
        if steps.size:
            interval = float(np.median(steps)) / 1000.0

    scale, units, source = _signal_calibration(header, mode, writer)
    offset_x = offset_y = 0.0
    if writer in ("hyperspy", "tvips-ks"):  # they store calibrated offsets there
        offset_x, offset_y = float(header["offset_x"]), float(header["offset_y"])
    signal = (
        Axis("dy", int(header["height"]), scale, offset_y, units, False, source),
        Axis("dx", int(header["width"]), scale, offset_x, units, False, source),
    )
    if is_scan:
        names = [""] * len(nav_shape)
        names[-1] = "x"
        if len(nav_shape) > 1:
            names[-2] = "y"
        nav = tuple(Axis(n, s, 1.0, 0.0, "", True,
                         "scan step not recorded in the format: scale 1 per position")
                    for n, s in zip(names, nav_shape))
    elif interval:
        nav = (Axis("time", nav_shape[0], interval, 0.0, "s", True,
                    "median spacing of the frame timestamps; offset 0 at the first frame"),)
    else:
        nav = (Axis("frame", nav_shape[0], 1.0, 0.0, "", True,
                    "frame timestamps do not advance: frame number"),)
    return Metadata(
        acquisition_time=acquisition_time,
        high_tension_kv=int(header["high_tension_kv"]),
        mode=mode,
        magnification=int(header["mag_total"]) if mode != "diffraction" else None,
        camera_length=int(header["mag_total"]) if mode == "diffraction" else None,
        detector_pixel_size_nm=int(header["pixel_size_nm"]) if writer == "camera" else None,
        binning=(int(header["bin_x"]), int(header["bin_y"])),
        writer=writer,
        frame_interval_s=interval,
        axes=nav + signal,
    )
