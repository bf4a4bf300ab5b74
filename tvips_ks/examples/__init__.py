"""A small example series shipped with tvips-ks (``example_000.tvips`` …).

It imitates an EM-Scan 4D-STEM acquisition: 5 beam-blanked frames, a 12 × 16
fly-back raster of 32 × 32 uint16 diffraction patterns whose central disk is
modulated by a specimen-like field, then 3 trailing frames; version 2 frame
headers of 108 bytes carry ``scan_x``/``scan_y``; 3 parts.  It is built
deterministically by :func:`make_example` (``python -m tvips_ks.examples``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from importlib.resources import files
from pathlib import Path

import numpy as np

from ..io.writer import save

SCAN_SHAPE = (12, 16)
FRAMES_BEFORE = 5
FRAMES_AFTER = 3
FRAME_SHAPE = (32, 32)
START_TIME = datetime(2024, 5, 17, 9, 30, 0, tzinfo=timezone.utc)
MAX_FILE_SIZE = 180_000
#: camera software fills the header with "TVIPS " (not tvips-ks's mark), so the
#: example reads like a camera file: pixel_size_nm is the detector pixel size.
CAMERA_FILLER = (b"TVIPS " * 34)[:204]


def example_path() -> Path:
    """Path of the small example series shipped with the package (its ``_000`` part)."""
    return Path(str(files(__name__).joinpath("example_000.tvips")))


def example_frames(seed: int = 7):
    """The example's frames and per-frame header values."""
    rng = np.random.default_rng(seed)
    rows, cols = SCAN_SHAPE
    n_scan = rows * cols
    n = FRAMES_BEFORE + n_scan + FRAMES_AFTER
    yy, xx = np.mgrid[:FRAME_SHAPE[0], :FRAME_SHAPE[1]]
    cy, cx = (FRAME_SHAPE[0] - 1) / 2, (FRAME_SHAPE[1] - 1) / 2
    disk = ((yy - cy) ** 2 + (xx - cx) ** 2 <= 5**2).astype(np.float64)
    spots = np.zeros(FRAME_SHAPE)
    for dy, dx in [(-10, 0), (10, 0), (0, -10), (0, 10), (-10, -10), (10, 10)]:
        spots += np.exp(-(((yy - cy - dy) ** 2 + (xx - cx - dx) ** 2) / 2.0))
    # a smooth specimen: transmission of the central disk and diffraction strength
    sy, sx = np.mgrid[:rows, :cols]
    specimen = 0.5 + 0.4 * np.sin(sx / 2.5) * np.cos(sy / 3.0)
    thickness = specimen.ravel()
    frames = np.empty((n, *FRAME_SHAPE), dtype=np.uint16)
    frames[:FRAMES_BEFORE] = rng.poisson(2.0, (FRAMES_BEFORE, *FRAME_SHAPE))
    scan = (3000 * thickness[:, None, None] * disk
            + 1500 * (1 - thickness)[:, None, None] * spots + 20)
    frames[FRAMES_BEFORE:FRAMES_BEFORE + n_scan] = rng.poisson(scan)
    frames[FRAMES_BEFORE + n_scan:] = rng.poisson(2.0, (FRAMES_AFTER, *FRAME_SHAPE))
    scan_x = np.zeros(n, np.float32)
    scan_y = np.zeros(n, np.float32)
    scan_x[FRAMES_BEFORE:FRAMES_BEFORE + n_scan] = np.tile(np.arange(cols), rows)
    scan_y[FRAMES_BEFORE:FRAMES_BEFORE + n_scan] = np.repeat(np.arange(rows), cols)
    headers = {"scan_x": scan_x, "scan_y": scan_y, "stage_x": np.float32(1250.0),
               "stage_alpha": np.float32(-3.5), "tem_magnification": 80}
    return frames, headers


def make_example(directory, overwrite: bool = False) -> list[Path]:
    """Write the example series into ``directory`` and return its parts."""
    frames, headers = example_frames()
    return save(Path(directory) / "example.tvips", frames, max_file_size=MAX_FILE_SIZE,
                version=2, frame_header_extra_bytes=32, mode=2, filler=CAMERA_FILLER, frame_headers=headers,
                start_time=START_TIME, frame_interval=0.002, high_tension_kv=300,
                pixel_size_nm=15600, mag_total=80, overwrite=overwrite, progress=False)
