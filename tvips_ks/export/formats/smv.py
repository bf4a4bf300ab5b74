"""SMV (``.img``), one file per frame, with the MicroED geometry in the header.

The header is the text DIALS, XDS and FabIO read (the keys Hattne's
``tvips2smv`` writes for MicroED): ``HEADER_BYTES=512``, little-endian
unsigned 16-bit pixels, ``SIZE1`` (columns) × ``SIZE2`` (rows),
``PIXEL_SIZE`` and ``DISTANCE`` in mm, ``WAVELENGTH`` in Å,
``OSC_START``/``PHI`` and ``OSC_RANGE`` in degrees, ``BEAM_CENTER_X``/``Y``
in mm in ADSC's axes (X along the rows' direction, the slow axis; Y along the
columns, the fast axis: DIALS's ADSC reader takes (Y, X) as (fast, slow)), ``DATE`` (the frame's own time stamp, in the chosen time zone) and
``TIME`` (the exposure: the frame interval), padded with spaces to 512 bytes.

Geometry, each from an option or the series:

* ``distance_mm``: default the calibrated camera length of the metadata, if any;
* ``osc_range`` (degrees per frame) or ``rotation_rate`` (degrees per second,
  times the frame interval); ``osc_start`` (degrees at the first frame);
* ``wavelength``: default from the high tension, relativistic;
* ``pixel_size_mm``: default the detector pixel × the camera's binning × the
  conversion's binning;
* ``beam_center``: ``(y, x)`` in pixels, default the middle of the frame;
* ``time_zone``: an IANA name for ``DATE`` (default UTC).

``OUT`` is ``name_#####.img`` (the run of ``#`` becomes the frame number,
from ``first_number``, 1 by default) or a directory (``series_#####.img`` in it).
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from ...errors import ArgumentError
from ...io.naming import series_title
from ...timing import frame_times_ms

NAME = "smv"
SUFFIXES = (".img",)
OPTIONS = {"distance_mm": None, "osc_range": None, "rotation_rate": None, "osc_start": 0.0,
           "wavelength": None, "pixel_size_mm": None, "beam_center": None, "time_zone": "UTC",
           "first_number": 1}
HEADER_BYTES = 512
U16_MAX = np.iinfo(np.uint16).max
DATE_FORMAT = "%a %b %d %H:%M:%S %Y"
# CODATA 2018
_H, _M0, _E, _C = 6.62607015e-34, 9.1093837015e-31, 1.602176634e-19, 299792458.0


def wavelength_angstrom(kv: float) -> float:
    """The relativistic electron wavelength at ``kv`` kilovolts, in Å."""
    volts = kv * 1e3
    momentum = math.sqrt(2 * _M0 * _E * volts * (1 + _E * volts / (2 * _M0 * _C ** 2)))
    return _H / momentum * 1e10


def names(job) -> list[Path]:
    """The file of each position."""
    out, n = job.out, job.plan.num_positions
    if out.is_dir() or out.suffix.lower() != ".img":
        out = out / f"{series_title(job.ds.path)}_#####.img"
    match = list(re.finditer(r"#+", out.name))
    first = int(job.opts["first_number"])
    if first < 0:
        raise ArgumentError(f"first_number must be >= 0, got {first}")
    if not match:
        if n > 1:
            out = out.with_name(f"{out.stem}_#####{out.suffix}")
            match = list(re.finditer(r"#+", out.name))
        else:
            return [out]
    run = match[-1]
    width = run.end() - run.start()
    if len(str(first + n - 1)) > width:
        raise ArgumentError(f"{out.name}: {width} '#' cannot number {n} frames from {first}; "
                            f"use more '#'")
    return [out.with_name(f"{out.name[:run.start()]}{i:0{width}d}{out.name[run.end():]}")
            for i in range(first, first + n)]


def outputs(job):
    return names(job)


def geometry(job) -> dict:
    """The header values shared by every frame (and the per-frame step)."""
    opts, meta, plan = job.opts, job.ds.metadata, job.plan
    distance = opts["distance_mm"] or getattr(meta, "camera_length_mm", None)
    if not distance or distance <= 0:
        raise ArgumentError("SMV needs the camera length: pass distance_mm (--distance MM)")
    interval = meta.frame_interval_s
    if opts["osc_range"] is not None and opts["rotation_rate"] is not None:
        raise ArgumentError("give osc_range or rotation_rate, not both")
    if opts["osc_range"] is not None:
        osc = float(opts["osc_range"])
    elif opts["rotation_rate"] is not None:
        if not interval:
            raise ArgumentError("rotation_rate needs the frame interval, and the time stamps "
                                "of this series do not advance: pass osc_range (--osc-range)")
        osc = float(opts["rotation_rate"]) * interval
    else:
        raise ArgumentError("SMV needs the rotation per frame: pass rotation_rate (deg/s, "
                            "--rotation-rate) or osc_range (deg per frame, --osc-range)")
    wavelength = opts["wavelength"]
    if wavelength is None:
        if not meta.high_tension_kv:
            raise ArgumentError("the header holds no high tension: pass wavelength (Å, "
                                "--wavelength)")
        wavelength = wavelength_angstrom(meta.high_tension_kv)
    binning = plan.record.get("binning", {}).get("factor", 1)
    pixel = opts["pixel_size_mm"]
    if pixel is None:
        binned = meta.binned_pixel_size_nm
        if binned is None or binned[0] != binned[1]:
            raise ArgumentError("the header gives no square detector pixel: pass pixel_size_mm "
                                "(--pixel-size MM)")
        pixel = binned[1] * 1e-6 * binning
    h, w = plan.frame_shape
    cy, cx = opts["beam_center"] if opts["beam_center"] is not None else (h / 2, w / 2)
    try:
        zone = ZoneInfo(opts["time_zone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ArgumentError(f"unknown time zone {opts['time_zone']!r}: use an IANA name such "
                            f"as UTC or America/New_York") from None
    return {"distance": float(distance), "osc": osc, "start": float(opts["osc_start"]),
            "wavelength": float(wavelength), "pixel": float(pixel), "cy": float(cy),
            "cx": float(cx), "exposure": interval or 0.0, "zone": zone,
            "bin": (meta.binning[0] * binning, meta.binning[1] * binning)}


def check(job):
    if np.dtype(job.plan.dtype).kind not in "iu":
        raise ArgumentError(f"SMV holds unsigned 16-bit pixels, not {job.plan.dtype}: bin with "
                            f"the default sum, or scale to 8 bits (--linscale)")
    geometry(job)


def header(geo: dict, h: int, w: int, k: int, when: datetime | None) -> bytes:
    """The 512-byte header of frame ``k`` (counted from 0) of the sweep."""
    phi = geo["start"] + k * geo["osc"]
    date = when.astimezone(geo["zone"]).strftime(DATE_FORMAT) if when else ""
    lines = [
        "{", f"HEADER_BYTES={HEADER_BYTES};", "DIM=2;", "BYTE_ORDER=little_endian;",
        "TYPE=unsigned_short;", f"SIZE1={w};", f"SIZE2={h};",
        f"PIXEL_SIZE={geo['pixel']:.6f};", f"BIN={geo['bin'][0]}x{geo['bin'][1]};",
        f"DATE={date};", f"TIME={geo['exposure']:.6f};", f"DISTANCE={geo['distance']:.6f};",
        "TWOTHETA=0.000000;", f"PHI={phi:.6f};", f"OSC_START={phi:.6f};",
        f"OSC_RANGE={geo['osc']:.6f};", f"WAVELENGTH={geo['wavelength']:.8f};",
        # ADSC's (Mosflm's) axes, as DIALS reads them: X along the slow axis (rows),
        # Y along the fast axis (columns), in mm from the first pixel
        f"BEAM_CENTER_X={geo['cy'] * geo['pixel']:.6f};",
        f"BEAM_CENTER_Y={geo['cx'] * geo['pixel']:.6f};", "IMAGE_PEDESTAL=0;",
        "DETECTOR_SN=unknown;", "}",
    ]
    text = ("\n".join(lines) + "\n").encode("ascii")
    return text.ljust(HEADER_BYTES, b" ")


def write(temps, job):
    geo = geometry(job)
    h, w = job.plan.frame_shape
    frames = job.plan.frame_numbers()
    times = frame_times_ms(job.ds.frame_headers)
    first = job.ds.metadata.acquisition_time
    k = 0
    for _, block in job.blocks():
        block = block.reshape(-1, h, w)
        if block.dtype.itemsize > 2 or block.dtype.kind == "i":
            lo, hi = int(block.min()), int(block.max())
            if lo < 0 or hi > U16_MAX:
                raise ArgumentError(f"frame values {lo}…{hi} do not fit SMV's unsigned 16 "
                                    f"bits: bin with bin_mode='mean', or scale (--linscale)")
        for frame in block.astype("<u2", copy=False):
            number = int(frames[k])
            when = (datetime.fromtimestamp(int(times[number]) / 1000, tz=timezone.utc)
                    if number >= 0 else first)
            with open(temps[k], "wb") as f:
                f.write(header(geo, h, w, k, when))
                f.write(np.ascontiguousarray(frame).tobytes())
            k += 1
