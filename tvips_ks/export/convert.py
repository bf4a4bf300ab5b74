"""Streaming export of a series, processed on the way, to the format its suffix names.

The data go out block by block: each block is a run of whole positions read
through a short-lived memory map of just its records
(:func:`tvips_ks.io.gather.read_block`, the body of every dask task), passed
through the processing plan (:mod:`tvips_ks.export.process`: frame range,
crops, hot pixels, binning, 8-bit scaling), written, and dropped, so memory
stays bounded by one block (``block_bytes`` of frames read, 32 MiB by
default) whatever the size of the series.

Outputs (one module each in :mod:`tvips_ks.export.formats`):

* ``.npy`` with a sidecar ``OUT.headers.npz``; zarr v3 (``*.zarr``); HDF5
  (``*.h5``): the main header, every frame header and the frame index travel
  with the data; zarr and HDF5 take ``compression``;
* ``.blo``: the NanoMegas ASTAR blockfile (8-bit square frames of a scan);
* ``.hspy`` / ``.zspy``: HyperSpy's files, with axes, calibrations and metadata;
* ``.mrc``: the frames as one stack, the voxel size from the signal calibration;
* ``.tif`` / ``.tiff``: a multi-page (Big)TIFF, one page per frame;
* SMV ``.img``: one file per frame with the MicroED geometry in its header.

Outputs are written under temporary names next to the targets and moved into
place when complete (:mod:`tvips_ks.io.atomic`): a failed or interrupted
conversion leaves nothing behind, and an existing output is replaced only
with ``overwrite=True``.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np

from ..dataset import TvipsDataset
from ..errors import ArgumentError
from ..io.atomic import AtomicOutputs
from ..progress import Progress
from .formats import ALIASES, BY_NAME, BY_SUFFIX
from .formats.common import Job, header_dict
from .process import SAMPLE_FRAMES, make_plan

__all__ = ["convert", "format_of", "header_dict", "FORMATS", "writer_of"]

#: output suffix -> format name
FORMATS = {s: w.NAME for s, w in BY_SUFFIX.items()}
_BLOCK_BYTES = 32 * 2**20


def _names() -> str:
    return ", ".join(sorted(BY_NAME))


def writer_of(out, fmt=None):
    """The writer module for ``fmt`` or, without it, for the suffix of ``out``."""
    if fmt is not None:
        fmt = ALIASES.get(fmt, fmt)
        if fmt not in BY_NAME:
            raise ArgumentError(f"unknown output format {fmt!r}: use one of {_names()}")
        return BY_NAME[fmt]
    suffix = Path(out).suffix.lower()
    if suffix not in BY_SUFFIX:
        raise ArgumentError(f"cannot tell the output format from {Path(out).name!r}: name it "
                            f"*.npy, *.zarr, *.h5, *.blo, *.hspy, *.zspy, *.mrc, *.tif or "
                            f"*.img (or give the format: {_names()})")
    return BY_SUFFIX[suffix]


def format_of(out, fmt=None) -> str:
    """The format name (``"npy"``, ``"blo"``, …) from ``fmt`` or the suffix of ``out``."""
    return writer_of(out, fmt).NAME


def _open(source, open_kwargs):
    if isinstance(source, (str, os.PathLike)):
        return TvipsDataset(source, **open_kwargs)
    if open_kwargs:
        raise ArgumentError(f"{', '.join(open_kwargs)}: options of open(), given with an "
                            f"opened dataset; open the series with them instead")
    return source


def convert(source, out, *, fmt=None, overwrite: bool = False,
            block_bytes: int = _BLOCK_BYTES, progress=None, frames=None, scan_crop=None,
            signal_crop=None, binning: int = 1, bin_mode: str = "sum", linscale=None,
            percentile=None, hot_pixels=None, hot_k: float = 50.0,
            sample_frames: int = SAMPLE_FRAMES, open_kwargs=None, **options) -> dict:
    """Write a series (``ds.data``, arranged by its scan) to ``out``, processed on the way.

    ``source`` is an opened dataset or a path (opened with ``open_kwargs``).
    ``fmt`` names the format (default: from the suffix of ``out``).

    Processing, applied to every block in this order (see
    :mod:`tvips_ks.export.process`): ``frames`` (a slice or ``(start, stop)``
    of a stack), ``scan_crop`` (one slice per scan axis), ``hot_pixels``
    (``(y, x)`` pairs, or ``"auto"``: isolated spikes of the mean pattern,
    ``hot_k`` noise MADs above all their neighbours), ``signal_crop``
    (``((y0, y1), (x0, x1))``), ``binning`` N with ``bin_mode`` ``"sum"`` (widened integers) or ``"mean"`` (float32), and
    ``linscale=(lo, hi)`` or ``percentile=(p_lo, p_hi)`` to 8 bits.

    ``options`` are the writer's own (``compression`` for zarr and HDF5; the
    geometry of SMV; see each module of :mod:`tvips_ks.export.formats`).

    Returns a summary: ``path``, ``paths`` (every file written), ``format``,
    ``shape``, ``dtype``, ``nbytes`` (written), ``read_bytes``, ``seconds``,
    ``block_shape``, ``processing`` and (for npy) ``sidecar``.
    """
    writer = writer_of(out, fmt)
    unknown = sorted(set(options) - set(writer.OPTIONS))
    if unknown:
        raise ArgumentError(f"{', '.join(unknown)}: not an option of the {writer.NAME} writer"
                            + (f" (its options: {', '.join(writer.OPTIONS)})"
                               if writer.OPTIONS else ""))
    if block_bytes < 1:
        raise ArgumentError(f"block_bytes must be positive, got {block_bytes}")
    ds = _open(source, dict(open_kwargs or {}))
    out = Path(out).absolute()
    plan = make_plan(ds, frames=frames, scan_crop=scan_crop, signal_crop=signal_crop,
                     binning=binning, bin_mode=bin_mode, linscale=linscale,
                     percentile=percentile, hot_pixels=hot_pixels, hot_k=hot_k,
                     sample_frames=sample_frames)
    opts = {**writer.OPTIONS, **options}
    bar = Progress(plan.num_positions, f"converting to {writer.NAME}", progress)
    job = Job(ds=ds, plan=plan, out=out, opts=opts, bar=bar, block_bytes=int(block_bytes))
    writer.check(job)
    finals = writer.outputs(job) if hasattr(writer, "outputs") else [out]
    existing = [p for p in finals if p.exists() or p.is_symlink()]
    if existing and not overwrite:
        raise ArgumentError(f"{existing[0]} exists; pass overwrite=True (--overwrite) to "
                            f"replace it")
    for directory in {p.parent for p in finals}:
        if not directory.is_dir():
            raise ArgumentError(f"the directory {directory} does not exist")

    start = time.monotonic()
    with AtomicOutputs(finals, replace=existing) as temps:
        writer.write(temps, job)
    seconds = time.monotonic() - start
    chunks = plan.chunks(block_bytes)
    return {"path": out, "paths": finals, "format": writer.NAME, "shape": plan.shape,
            "dtype": np.dtype(plan.dtype),
            "nbytes": math.prod(plan.shape) * np.dtype(plan.dtype).itemsize,
            "read_bytes": plan.num_positions * plan.in_frame_bytes, "seconds": seconds,
            "block_shape": (*chunks, *plan.frame_shape), "processing": plan.record,
            "sidecar": finals[1] if writer.NAME == "npy" else None}
