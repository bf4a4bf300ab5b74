"""A multi-page TIFF (BigTIFF, so any size): one page per position, in C order.

Written with tifffile from a generator of frames, so only one block is held.
The settings and axes go into the first page's description as JSON, and a
length calibration of the signal axes into the resolution tags.
"""

from __future__ import annotations

import json

import numpy as np

from ...errors import ArgumentError, require
from .common import attrs_of

NAME = "tiff"
SUFFIXES = (".tif", ".tiff")
OPTIONS = {}
_PER_CM = {"nm": 1e7, "µm": 1e4, "um": 1e4, "mm": 10.0, "cm": 1.0}


def check(job):
    require("tifffile", extra="convert", purpose="writing TIFF")
    if np.dtype(job.plan.dtype).kind not in "uif":
        raise ArgumentError(f"TIFF cannot hold pixels of type {job.plan.dtype}")


def _frames(job):
    for _, block in job.blocks():
        yield from block.reshape(-1, *block.shape[-2:])


def write(temps, job):
    tifffile = require("tifffile", extra="convert", purpose="writing TIFF")
    plan = job.plan
    extra = {}
    sig = [a for a in plan.axes if not a.navigate]
    if sig[1].units in _PER_CM and sig[0].units == sig[1].units:
        extra = {"resolution": (_PER_CM[sig[1].units] / sig[1].scale,
                                _PER_CM[sig[0].units] / sig[0].scale),
                 "resolutionunit": "CENTIMETER"}
    tifffile.imwrite(temps[0], data=_frames(job), shape=(plan.num_positions, *plan.frame_shape),
                     dtype=plan.dtype, bigtiff=True, photometric="minisblack",
                     description=json.dumps(attrs_of(job.ds, plan)), metadata=None, **extra)
