"""Streaming export of a series to ``.npy``, zarr (v3) or HDF5.

The data go out block by block: each block is a run of whole frames read
through a short-lived memory map of just its records (the body of every dask
task, :func:`tvips_ks.io.gather.read_block`, no dask needed), written to the
output, and dropped, so
memory stays bounded by one block (``block_bytes``, 32 MiB by default)
whatever the size of the series.  Blocks are chunks of the scan that fill the
fastest axes first, so each one is a contiguous run of the C-ordered output.

The headers travel with the data:

* main header: a dict of its fields (``filler`` as a hex string, so nothing is
  lost and it stays JSON), with the conversion settings (scan options, the
  source parts, the tvips-ks version and the axes);
* frame headers: every frame's header (fields named as in the spec), one row
  per frame of the series (not per scan position), plus ``frame_index``, the
  frame behind each scan position (``-1`` for padding);
* ``.npy``: a sidecar ``OUT.headers.npz`` with ``main_header`` (a one-record
  structured array, byte-exact), ``frame_headers`` (structured), ``frame_index``
  and ``attrs`` (a JSON string);
* zarr: a group with the array ``data`` (attributes ``tvips``), a
  ``frame_headers`` group of 1-D arrays, one per field, and ``frame_index``;
* HDF5: the dataset ``data`` (main-header fields and settings as attributes),
  a compound dataset ``frame_headers``, ``main_header`` (one record) and
  ``frame_index``.

Outputs are written under a temporary name next to the target and renamed into
place when complete, so a failed or interrupted conversion leaves nothing
half-written behind.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import ArgumentError, require
from ..generated import tables
from ..io.atomic import AtomicOutputs
from ..io.chunks import iter_blocks, nav_blocks
from ..io.gather import read_block
from ..progress import Progress

__all__ = ["convert", "FORMATS", "format_of", "header_dict"]

FORMATS = {".npy": "npy", ".zarr": "zarr", ".h5": "hdf5", ".hdf5": "hdf5", ".hdf": "hdf5",
           ".nxs": "hdf5"}
_BLOCK_BYTES = 32 * 2**20
_H5_CHUNK_BYTES = 2**20
_ZARR_CHUNK_BYTES = 4 * 2**20


def format_of(out, fmt=None) -> str:
    """``"npy"``, ``"zarr"`` or ``"hdf5"`` from ``fmt`` or the suffix of ``out``."""
    if fmt is not None:
        fmt = {"h5": "hdf5"}.get(fmt, fmt)
        if fmt not in ("npy", "zarr", "hdf5"):
            raise ArgumentError(f"unknown output format {fmt!r}: use npy, zarr or hdf5")
        return fmt
    suffix = Path(out).suffix.lower()
    if suffix not in FORMATS:
        raise ArgumentError(f"cannot tell the output format from {Path(out).name!r}: name it "
                            f"*.npy, *.zarr, *.h5 or *.hdf5 (or give the format)")
    return FORMATS[suffix]


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


def _attrs(ds, nav_shape) -> dict:
    meta = ds.metadata
    scan = None
    if ds.frame_index is not None:
        scan = {"scan_shape": list(nav_shape)}
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
        "axes": [a.as_dict() for a in meta.axes],
        "dims": [a.name for a in meta.axes],
        "acquisition_time": meta.acquisition_time.isoformat() if meta.acquisition_time else None,
    }


def _write_npy(target: Path, ds, shape, dtype, blocks, read, bar) -> None:
    arr = np.lib.format.open_memmap(target, mode="w+", dtype=dtype, shape=shape)
    data_offset = arr.offset
    del arr  # only the header and the size came from the memmap; blocks are written directly
    row = [int(np.prod(shape[i + 1:], dtype=np.int64)) for i in range(len(shape))]
    with open(target, "r+b") as f:
        for slices in blocks:
            block = np.ascontiguousarray(read(slices))
            first = sum(s.start * r for s, r in zip(slices, row))
            f.seek(data_offset + first * dtype.itemsize)
            f.write(memoryview(block).cast("B"))
            bar.update(int(np.prod(block.shape[:-2])))


def _write_npz(path: Path, ds, attrs) -> None:
    index = ds.frame_index if ds.frame_index is not None else np.arange(ds.num_frames)
    with open(path, "wb") as f:
        np.savez(f, main_header=np.array([ds.header], dtype=ds.header.dtype),
                 frame_headers=ds.frame_headers, frame_index=index,
                 attrs=np.array(json.dumps(attrs)))


def _write_zarr(target: Path, ds, shape, dtype, chunks, blocks, read, attrs, bar) -> None:
    zarr = require("zarr", extra="convert", purpose="writing zarr")
    if int(zarr.__version__.split(".")[0]) < 3:
        raise ArgumentError(f"writing zarr v3 needs zarr>=3, found {zarr.__version__}")
    root = zarr.open_group(store=str(target), mode="w", zarr_format=3)
    root.attrs.update({"tvips": attrs})
    frame_bytes = int(np.prod(shape[-2:])) * dtype.itemsize
    data = root.create_array("data", shape=shape, dtype=dtype, dimension_names=attrs["dims"],
                             chunks=_storage_chunks(chunks, shape, frame_bytes,
                                                    _ZARR_CHUNK_BYTES))
    data.attrs.update({"tvips": attrs})
    for slices in blocks:
        block = read(slices)
        data[slices] = block
        bar.update(int(np.prod(block.shape[:-2])))
    fh = ds.frame_headers
    group = root.create_group("frame_headers")
    for name in fh.dtype.names:
        column = np.ascontiguousarray(fh[name])
        a = group.create_array(name, shape=column.shape, dtype=column.dtype,
                               chunks=(max(1, min(column.size, 2**20)),))
        a[...] = column
    index = ds.frame_index if ds.frame_index is not None else np.arange(ds.num_frames)
    a = root.create_array("frame_index", shape=index.shape, dtype=np.int64,
                          chunks=index.shape)
    a[...] = index


def _storage_chunks(chunks, shape, frame_bytes, target):
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


def _hdf5_bytes(ds, shape, dtype, blocks, attrs) -> int:
    """An upper bound of the HDF5 file's size: data, headers, attributes, chunk index."""
    index_len = ds.frame_index.size if ds.frame_index is not None else ds.num_frames
    return (math.prod(shape) * dtype.itemsize + ds.frame_headers.nbytes + ds.header.nbytes
            + 8 * index_len + 4 * len(json.dumps(attrs)) + 512 * len(blocks) + 2**20)


def _write_hdf5(target: Path, ds, shape, dtype, chunks, blocks, read, attrs, bar) -> None:
    h5py = require("h5py", extra="convert", purpose="writing HDF5")
    AtomicOutputs.reserve(target, _hdf5_bytes(ds, shape, dtype, blocks, attrs))
    frame_bytes = int(np.prod(shape[-2:])) * dtype.itemsize
    with h5py.File(target, "w") as f:
        data = f.create_dataset("data", shape=shape, dtype=dtype,
                                chunks=_storage_chunks(chunks, shape, frame_bytes,
                                                       _H5_CHUNK_BYTES))
        for key, value in attrs["main_header"].items():
            data.attrs[key] = value
        for key in ("format", "tvips_ks_version", "num_frames", "len_frame_header",
                    "len_record"):
            data.attrs[key] = attrs[key]
        data.attrs["source"] = attrs["source"]
        data.attrs["dims"] = attrs["dims"]
        data.attrs["tvips_json"] = json.dumps(attrs)
        if attrs["acquisition_time"]:
            data.attrs["acquisition_time"] = attrs["acquisition_time"]
        if attrs["scan"]:
            for key, value in attrs["scan"].items():
                if value is not None:
                    data.attrs[key] = value
        for slices in blocks:
            block = read(slices)
            data[slices] = block
            bar.update(int(np.prod(block.shape[:-2])))
        f.create_dataset("frame_headers", data=ds.frame_headers)
        f.create_dataset("main_header", data=np.array([ds.header], dtype=ds.header.dtype))
        index = ds.frame_index if ds.frame_index is not None else np.arange(ds.num_frames)
        f.create_dataset("frame_index", data=index)


def convert(ds, out, *, fmt=None, overwrite: bool = False, block_bytes: int = _BLOCK_BYTES,
            progress=None) -> dict:
    """Write ``ds.data`` (frames arranged by the dataset's scan) to ``out``.

    ``fmt`` is ``"npy"``, ``"zarr"`` or ``"hdf5"`` (default: from the suffix).
    An existing output is replaced only with ``overwrite=True``, and only once
    the new one is complete.  Returns a summary: ``path``, ``format``,
    ``shape``, ``dtype``, ``nbytes``, ``seconds``, ``block_shape`` and (for
    npy) ``sidecar``.  The dataset's scan options are recorded in the
    attributes.
    """
    out = Path(out).absolute()
    fmt = format_of(out, fmt)
    sidecar = out.with_name(out.name + ".headers.npz") if fmt == "npy" else None
    finals = [out] + ([sidecar] if sidecar else [])
    existing = [p for p in finals if p.exists() or p.is_symlink()]
    if existing and not overwrite:
        raise ArgumentError(f"{existing[0]} exists; pass overwrite=True (--overwrite) to "
                            f"replace it")
    if not out.parent.is_dir():
        raise ArgumentError(f"the directory {out.parent} does not exist")
    if block_bytes < 1:
        raise ArgumentError(f"block_bytes must be positive, got {block_bytes}")

    shape = tuple(int(s) for s in ds.shape)
    nav_shape = shape[:-2]
    dtype = np.dtype(ds.dtype)
    frame_bytes = int(np.prod(shape[-2:])) * dtype.itemsize
    chunks = nav_blocks(nav_shape, frame_bytes, block_bytes)
    blocks = list(iter_blocks(nav_shape, chunks))

    def read(block):
        return read_block(ds.table, ds.frame_index, block)

    attrs = _attrs(ds, nav_shape)
    bar = Progress(math.prod(nav_shape), f"converting to {fmt}", progress)
    start = time.monotonic()
    with AtomicOutputs(finals, replace=existing) as temps:
        if fmt == "npy":
            _write_npy(temps[0], ds, shape, dtype, blocks, read, bar)
            _write_npz(temps[1], ds, attrs)
        elif fmt == "zarr":
            _write_zarr(temps[0], ds, shape, dtype, chunks, blocks, read, attrs, bar)
        else:
            _write_hdf5(temps[0], ds, shape, dtype, chunks, blocks, read, attrs, bar)
    return {"path": out, "format": fmt, "shape": shape, "dtype": dtype,
            "nbytes": math.prod(shape) * dtype.itemsize, "seconds": time.monotonic() - start,
            "block_shape": (*chunks, *shape[-2:]), "sidecar": sidecar}
