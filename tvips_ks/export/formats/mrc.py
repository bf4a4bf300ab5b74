"""MRC (``.mrc``): the positions as one stack of frames (MRC 2014, via mrcfile).

mrcfile writes the header (a stack of ``n`` sections), then the blocks go in
with plain writes at their offsets, and the statistics (min, max, mean, rms),
gathered on the way, go into the header last.  The voxel size is the signal
pixel in Å when the signal axes are in a length unit; otherwise it is left
at 0 (unknown), as MRC readers expect.  MRC holds 8-bit (as 16-bit), 16-bit
and float32 pixels; wider sums are refused.  mrcfile is used for the header only.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import ArgumentError, require
from ...io.partwriter import write_fully

NAME = "mrc"
SUFFIXES = (".mrc",)
OPTIONS = {}
#: numpy type -> (MRC mode, type written); unsigned bytes are widened (mode 0 is signed)
MODES = {np.dtype("i1"): (0, "i1"), np.dtype("u1"): (6, "<u2"), np.dtype("i2"): (1, "<i2"),
         np.dtype("u2"): (6, "<u2"), np.dtype("f4"): (2, "<f4"), np.dtype("f2"): (12, "<f2")}
_ANGSTROM = {"nm": 10.0, "Å": 1.0, "A": 1.0, "pm": 0.01, "µm": 1e4, "um": 1e4}


def check(job):
    require("mrcfile", extra="convert", purpose="writing MRC")
    if np.dtype(job.plan.dtype) not in MODES:
        raise ArgumentError(f"MRC holds 8-bit, 16-bit and float32 pixels, not "
                            f"{job.plan.dtype}: bin with bin_mode='mean' (--bin-mode mean) or "
                            f"scale to 8 bits (--linscale)")


def voxel_size(plan) -> float:
    """The signal pixel in Å, or 0 when the signal is not in a length unit."""
    sig = [a for a in plan.axes if not a.navigate]
    if sig[1].units in _ANGSTROM and sig[0].units == sig[1].units and sig[0].scale == sig[1].scale:
        return float(sig[1].scale * _ANGSTROM[sig[1].units])
    return 0.0


#: Values converted to float64 at a time for the statistics (8 MiB).
STATS_STEP = 2**20


def write(temps, job):
    mrcfile = require("mrcfile", extra="convert", purpose="writing MRC")
    plan = job.plan
    mode, stored = MODES[np.dtype(plan.dtype)]
    n = plan.num_positions
    with mrcfile.new_mmap(temps[0], shape=(n, *plan.frame_shape), mrc_mode=mode,
                          overwrite=True) as mrc:
        size = voxel_size(plan)
        mrc.voxel_size = (size, size, size)
        mrc.set_image_stack()
        data_offset = mrc.header.nbytes + mrc.extended_header.nbytes
        head = mrc.header.copy()
    frame_bytes = int(np.prod(plan.frame_shape)) * np.dtype(stored).itemsize
    lo, hi, total, squares, done = math.inf, -math.inf, 0.0, 0.0, 0
    with open(temps[0], "r+b", buffering=0) as f:
        for _, block in job.blocks():
            block = np.ascontiguousarray(block, dtype=stored)
            count = int(np.prod(block.shape[:-2]))
            f.seek(data_offset + done * frame_bytes)
            write_fully(f, block)
            done += count
            lo, hi = min(lo, float(block.min())), max(hi, float(block.max()))
            flat = block.reshape(-1)
            for start in range(0, flat.size, STATS_STEP):  # float64 a megavalue at a time
                values = flat[start:start + STATS_STEP].astype(np.float64)
                total += float(values.sum())
                squares += float(np.square(values, out=values).sum())  # no BLAS call per frame
    count = n * int(np.prod(plan.frame_shape))
    mean = total / count
    # patched in place: reopening with mrcfile would rewrite (and cut) the data it did not load
    head.dmin, head.dmax, head.dmean = lo, hi, mean
    head.rms = math.sqrt(max(squares / count - mean * mean, 0.0))
    with open(temps[0], "r+b") as f:
        f.write(head.tobytes())
