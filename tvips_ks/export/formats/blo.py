"""NanoMegas ASTAR blockfile (``.blo``), the 4D-STEM format pyxem and RosettaSciIO read.

Layout (little-endian), as readers expect it:

* a fixed header from byte 0: ``IMGBLO``, a magic 0x0102, the offsets of the
  virtual image and of the frames, the frame size (square), the scan size
  NX × NY (u2 each), the scan step in nm (f8), the beam energy in V, the
  diffraction calibration as 100 × pixels per cm, the camera length in
  0.1 mm and the acquisition time as a serial date (days since 1899-12-30);
  then a free-text note up to the virtual image at 0x1000;
* the virtual image: one byte per position (here the mean of each 8-bit frame,
  rounded half up);
* the frames, each ``AA 55``, its u4 number, then the pixels as bytes.

Frames are 8-bit: 16-bit data needs ``linscale`` or ``percentile``.  The frames are
written in one pass while the virtual image is gathered, then the image is written into
the space left for it.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

import numpy as np

from ... import __version__
from ...errors import ArgumentError
from ...io.gather import IOV_BATCH
from ...io.partwriter import WRITE_PIECE

NAME = "blo"
SUFFIXES = (".blo",)
OPTIONS = {}

HEADER_DTYPE = np.dtype([
    ("ID", "S6"), ("MAGIC", "<u2"), ("Data_offset_1", "<u4"), ("Data_offset_2", "<u4"),
    ("UNKNOWN1", "<u4"), ("DP_SZ", "<u2"), ("DP_rotation", "<u2"), ("NX", "<u2"),
    ("NY", "<u2"), ("Scan_rotation", "<u2"), ("SX", "<f8"), ("SY", "<f8"),
    ("Beam_energy", "<u4"), ("SDP", "<u2"), ("Camera_length", "<u4"),
    ("Acquisition_time", "<f8"), ("Centering", "<f8", 8), ("Distortion", "<f8", 14)])
MAGIC = 0x0102
FRAME_MAGIC = b"\xaa\x55"      # u2 0x55AA, little-endian
IMAGE_OFFSET = 0x1000
FLAGS = 131141                 # the value ASTAR files carry in the unknown word
SERIAL_EPOCH = datetime(1899, 12, 30, tzinfo=timezone.utc)
U2_MAX = np.iinfo(np.uint16).max
_NM = {"nm": 1.0, "µm": 1e3, "um": 1e3, "Å": 0.1, "A": 0.1, "pm": 1e-3, "mm": 1e6}
_CM = {"cm": 1.0, "mm": 0.1, "µm": 1e-4, "um": 1e-4, "nm": 1e-7, "m": 100.0}


def check(job):
    plan = job.plan
    h, w = plan.frame_shape
    if np.dtype(plan.dtype) != np.uint8:
        raise ArgumentError(f"a blockfile holds 8-bit frames and these are {plan.dtype}: "
                            f"scale them with linscale=(low, high) (--linscale LOW-HIGH) or "
                            f"percentile=(0.1, 99.9) (--percentile 0.1,99.9)")
    if h != w:
        raise ArgumentError(f"a blockfile holds square frames and these are {h} × {w}: crop "
                            f"them with signal_crop (--signal-crop)")
    if len(plan.nav_shape) > 2:
        raise ArgumentError(f"a blockfile holds a 1-D or 2-D scan, not {plan.nav_shape}")
    ny, nx = plan.nav_shape if len(plan.nav_shape) == 2 else (1, plan.nav_shape[0])
    if max(nx, ny, h) > U2_MAX:
        raise ArgumentError(f"a blockfile holds at most {U2_MAX} positions per scan axis and "
                            f"{U2_MAX} pixels per side; this is {ny} × {nx} of {h} × {w}: crop "
                            f"it (scan_crop, frames)")


def _nm(axis) -> float:
    return axis.scale * _NM.get(axis.units, 1.0)


def header(job) -> np.ndarray:
    """The header record of ``job``'s blockfile."""
    plan, meta = job.plan, job.ds.metadata
    h = plan.frame_shape[0]
    nav = [a for a in plan.axes if a.navigate]
    sig = [a for a in plan.axes if not a.navigate]
    if len(nav) == 2:
        (ny, nx), sy, sx = plan.nav_shape, _nm(nav[0]), _nm(nav[1])
    else:
        ny, nx = 1, plan.nav_shape[0]
        sy = sx = _nm(nav[0])
    rec = np.zeros((), HEADER_DTYPE)
    rec["ID"], rec["MAGIC"], rec["UNKNOWN1"] = b"IMGBLO", MAGIC, FLAGS
    rec["Data_offset_1"] = IMAGE_OFFSET
    frames_at = IMAGE_OFFSET + nx * ny
    rec["Data_offset_2"] = frames_at + frames_at % 16  # where ASTAR's own files put them
    rec["DP_SZ"], rec["NX"], rec["NY"], rec["SX"], rec["SY"] = h, nx, ny, sx, sy
    rec["Beam_energy"] = int(meta.high_tension_kv) * 1000
    if sig[1].units in _CM and sig[1].scale > 0:
        sdp = round(100.0 / (sig[1].scale * _CM[sig[1].units]))
        rec["SDP"] = sdp if 0 < sdp <= U2_MAX else 0
    camera_mm = getattr(meta, "camera_length_mm", None)
    if camera_mm:
        rec["Camera_length"] = round(float(camera_mm) * 10)
    if meta.acquisition_time is not None:
        rec["Acquisition_time"] = (meta.acquisition_time - SERIAL_EPOCH).total_seconds() / 86400
    return rec


def note(job) -> bytes:
    sources = ", ".join(p.path.name for p in job.ds.files)
    return f"tvips-ks {__version__} from {sources}".encode("latin-1", "replace")


def _write_records(fd: int, heads: np.ndarray, frames: np.ndarray) -> None:
    """Each frame after its 6-byte head, gathered by the kernel (no copy of the frames).

    A call carries at most ``IOV_BATCH`` buffers and about ``WRITE_PIECE`` bytes
    (large single writes are slower here: :mod:`tvips_ks.io.partwriter`).
    """
    if len(frames) == 0:
        return
    pieces = [memoryview(a) for pair in zip(heads, frames) for a in pair]
    per_call = max(2, min(IOV_BATCH, 2 * (WRITE_PIECE // max(1, frames[0].nbytes + 6))))
    for i in range(0, len(pieces), per_call):
        batch = pieces[i:i + per_call]
        done = os.writev(fd, batch)
        want = sum(p.nbytes for p in batch)
        if done < want:  # a short write (a full disk, a signal): finish it plainly
            rest = b"".join(bytes(p) for p in batch)[done:]
            while rest:
                rest = rest[os.write(fd, rest):]


def write(temps, job):
    rec = header(job)
    n = job.plan.num_positions
    pixels = int(np.prod(job.plan.frame_shape))
    image = np.empty(n, np.uint8)
    with open(temps[0], "wb", buffering=0) as f:
        head = rec.tobytes() + note(job)
        f.write(head[:IMAGE_OFFSET].ljust(int(rec["Data_offset_2"]), b"\0"))
        done = 0
        for _, block in job.blocks():
            frames = np.ascontiguousarray(block.reshape(-1, pixels))
            count = frames.shape[0]
            heads = np.empty((count, 6), np.uint8)
            heads[:, :2] = np.frombuffer(FRAME_MAGIC, np.uint8)
            heads[:, 2:] = np.arange(done, done + count, dtype="<u4").view(np.uint8)\
                .reshape(count, 4)
            _write_records(f.fileno(), heads, frames)
            sums = frames.sum(axis=1, dtype=np.uint64)  # the mean, rounded half up, in integers
            image[done:done + count] = (sums * 2 + pixels) // (2 * pixels)
            done += count
        f.seek(IMAGE_OFFSET)
        f.write(image.tobytes())
