"""What every writer shares: the series' headers and settings as attributes, storage chunks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ... import __version__
from ...generated import tables
from ...progress import Progress

__all__ = ["Job", "header_dict", "attrs_of", "storage_chunks", "frame_index_of"]


@dataclass
class Job:
    """One conversion as a writer sees it: the dataset, the plan, its options."""

    ds: object
    plan: object          #: :class:`tvips_ks.export.process.Plan`
    out: Path             #: the final path the user named
    opts: dict            #: the writer's own options, defaults filled in
    bar: Progress
    block_bytes: int

    def blocks(self):
        """``(slices, block)`` of the processed positions, ticking the progress bar."""
        for slices, block in self.plan.blocks(self.block_bytes):
            yield slices, block
            self.bar.update(int(np.prod(block.shape[:-2])))


def header_dict(header: np.void) -> dict:
    """The main header as a JSON-able dict (``filler`` as a hex string)."""
    out = {}
    for field in tables.MAIN_HEADER_FIELDS:
        value = header[field.id]
        out[field.id] = bytes(value).hex() if field.dtype.startswith("V") else int(value)
    return out


def _jsonable(value):
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def frame_index_of(ds, plan) -> np.ndarray:
    """The series frame behind each written position (−1 for padding)."""
    if plan.frame_index is not None:
        return np.asarray(plan.frame_index)
    return np.arange(ds.num_frames)


def attrs_of(ds, plan) -> dict:
    """The settings and headers every output records (JSON-able)."""
    meta = ds.metadata
    scan = None
    if ds.frame_index is not None:
        scan = {"scan_shape": list(plan.nav_shape)}
        options = ds.scan.as_open_kwargs() if ds.scan is not None \
            else ds.scan_options.as_open_kwargs()
        scan.update({k: _jsonable(v) for k, v in options.items() if k != "scan_shape"})
        if ds.scan is not None:
            scan["detected_by"] = ds.scan.method
    return {
        "format": "TVIPS",
        "tvips_ks_version": __version__,
        "source": [str(p.path) for p in ds.files],
        "num_frames": int(ds.num_frames),
        "main_header": header_dict(ds.header),
        "len_frame_header": int(ds.layout.len_frame_header),
        "len_record": int(ds.layout.len_record),
        "scan": scan,
        "processing": plan.record,
        "axes": [a.as_dict() for a in plan.axes],
        "dims": [a.name for a in plan.axes],
        "acquisition_time": meta.acquisition_time.isoformat() if meta.acquisition_time else None,
    }


def storage_chunks(chunks, shape, frame_bytes, target):
    """Storage chunks of whole frames, about ``target`` bytes, that tile each block exactly.

    Built from the fastest axis outwards, each axis taking the largest divisor
    of the block's extent that keeps the chunk under ``target``; an axis is
    only grown once the faster axes span the whole block.
    """
    nav = list(chunks)
    room = max(1, target // max(frame_bytes, 1))
    out = [1] * len(nav)
    for i in reversed(range(len(nav))):
        out[i] = max(d for d in range(1, min(nav[i], room) + 1) if nav[i] % d == 0)
        if out[i] < nav[i]:
            break
        room //= out[i]
    return (*out, *shape[-2:])
