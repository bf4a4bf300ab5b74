"""HyperSpy's own files, ``.hspy`` (HDF5) and ``.zspy`` (zarr), written by HyperSpy.

``.zspy`` is a zarr v2 hierarchy that RosettaSciIO writes and reads.  With zarr 2
installed, HyperSpy's ``save`` writes it; RosettaSciIO 0.15's ``file_writer``
opens a zarr-2-only store class, so with zarr 3 the same writer class
(``ZspyWriter``) is handed a group opened with ``zarr_format=2`` instead: the
file is what HyperSpy would write, and ``hs.load`` reads it with either zarr.

The signal is lazy: a dask array whose tasks read their positions through
the plan (the same blocks as every writer), with the plan's axes (cropped,
binned: scales and offsets follow) and the metadata and original metadata of
:meth:`TvipsDataset.to_hyperspy`.  HyperSpy stores it chunk by chunk, compressed as HyperSpy does by default
(gzip for .hspy, Blosc zstd for .zspy); ``compression``: None, ``"gzip"``, or
``"lzf"`` (.hspy only).
"""

from __future__ import annotations

import warnings

import numpy as np

from ...errors import ArgumentError, require
from ...hyperspy.read import signal_dict, signal_type_known
from ...io.daskio import to_dask

NAME = "hspy"
SUFFIXES = (".hspy", ".zspy")
OPTIONS = {"compression": "default"}  # HyperSpy's; None writes several times faster
COMPRESSIONS = {"HSPY": ("default", None, "gzip", "lzf"), "ZSPY": ("default", None, "gzip")}


def _file_format(job) -> str:
    return "ZSPY" if job.out.suffix.lower() == ".zspy" else "HSPY"


def check(job):
    require("hyperspy.api", extra="hyperspy", purpose="writing .hspy/.zspy")
    allowed = COMPRESSIONS[_file_format(job)]
    if job.opts["compression"] not in allowed:
        raise ArgumentError(f"{job.out.suffix} compression is "
                            f"{', '.join(map(str, allowed[1:]))} (or left out), got "
                            f"{job.opts['compression']!r}")
    if _file_format(job) == "ZSPY":
        require("zarr", extra="convert", purpose="writing .zspy")
        require("numcodecs", extra="convert", purpose="writing .zspy")


def signal(job):
    """The plan as a lazy HyperSpy signal."""
    dict2signal = require("hyperspy.io", extra="hyperspy", purpose="writing .hspy").dict2signal
    plan, ds, bar = job.plan, job.ds, job.bar
    nav_chunks = plan.chunks(job.block_bytes)
    raw = to_dask(plan.table, plan.nav_shape, plan.frame_index,
                  chunks=(*nav_chunks, *ds.layout.frame_shape))

    def process(block):
        out = plan.apply(block)
        bar.update(int(np.prod(out.shape[:-2])))
        return out
    data = raw.map_blocks(process, dtype=plan.dtype,
                          chunks=(*raw.chunks[:-2], (plan.frame_shape[0],),
                                  (plan.frame_shape[1],)))
    d = signal_dict(ds, lazy=True)
    d["data"] = data
    d["axes"] = [dict(a.as_dict(), index_in_array=i, scale=float(a.scale),
                      offset=float(a.offset)) for i, a in enumerate(plan.axes)]
    if plan.frame_index is not None:
        d["original_metadata"]["frame_index"] = np.asarray(plan.frame_index).copy()
    if plan.record:
        d["original_metadata"]["tvips_ks_processing"] = plan.record
    signal_type = d["metadata"]["Signal"].get("signal_type")
    if signal_type and not signal_type_known(signal_type):
        del d["metadata"]["Signal"]["signal_type"]
    return dict2signal(d, lazy=True)


def write(temps, job):
    sig, compression = signal(job), job.opts["compression"]
    if _file_format(job) == "HSPY":
        sig.save(str(temps[0]), file_format="HSPY", overwrite=True, show_progressbar=False,
                 compression="gzip" if compression == "default" else compression)
        return
    numcodecs = require("numcodecs", extra="convert", purpose="writing .zspy")
    compressor = {"default": numcodecs.Blosc(cname="zstd", clevel=1,  # RosettaSciIO's default
                                             shuffle=numcodecs.Blosc.SHUFFLE),
                  "gzip": numcodecs.GZip(level=1), None: None}[compression]
    zarr = require("zarr", extra="convert", purpose="writing .zspy")
    if hasattr(zarr.storage, "NestedDirectoryStore"):  # zarr 2: HyperSpy's own path
        sig.save(str(temps[0]), file_format="ZSPY", overwrite=True, show_progressbar=False,
                 compressor=compressor)
    else:
        _write_zspy_with_zarr3(sig, temps[0], compressor)


def _write_zspy_with_zarr3(sig, path, compressor):
    """What HyperSpy's ``save`` does for .zspy, with a group zarr 3 can open."""
    zarr = require("zarr", extra="convert", purpose="writing .zspy")
    zspy = require("rsciio.zspy._api", extra="hyperspy", purpose="writing .zspy")
    from hyperspy.io import _add_file_load_save_metadata
    from hyperspy.misc.utils import get_object_package_info
    from rsciio import IO_PLUGINS
    from rsciio._hierarchical import version

    plugin = next(p for p in IO_PLUGINS if p["name"] == "ZSPY")
    sig = _add_file_load_save_metadata("save", sig, plugin)
    d = sig._to_dictionary(add_models=True)
    d["package_info"] = get_object_package_info(sig)
    root = zarr.open_group(store=str(path), mode="w", zarr_format=2)
    root.attrs.update({"file_format": "ZSpy", "file_format_version": version})
    title = d["metadata"]["General"]["title"] or "__unnamed__"
    group = root.require_group("Experiments").require_group(title.replace("/", "-"))
    with warnings.catch_warnings():  # zarr 3 deprecates the zarr 2 calls the writer makes
        warnings.simplefilter("ignore", getattr(zarr.errors, "ZarrDeprecationWarning", Warning))
        zspy.ZspyWriter(root, d, _Zarr2StyleGroup(group), compressor=compressor,
                        show_progressbar=False).write()
    zarr.consolidate_metadata(str(path), zarr_format=2)



class _Zarr2StyleGroup:
    """A zarr 3 group answering the zarr 2 calls RosettaSciIO 0.15's writer makes.

    Two differ: ``create_dataset(name, data=...)`` needs the shape in zarr 3, and
    ``chunks=True`` (h5py's "guess") is not a chunk shape there; metadata arrays are
    small, so they are stored as one chunk.
    """

    def __init__(self, group):
        self._group = group

    def __getattr__(self, name):
        return getattr(self._group, name)

    def __contains__(self, key):
        return key in self._group

    def __getitem__(self, key):
        return self._group[key]

    def __delitem__(self, key):
        del self._group[key]

    def require_group(self, name, **kwds):
        return _Zarr2StyleGroup(self._group.require_group(name, **kwds))

    def create_group(self, name, **kwds):
        return _Zarr2StyleGroup(self._group.create_group(name, **kwds))

    def require_dataset(self, name, shape, chunks=None, **kwds):
        if chunks is True or chunks is None:
            chunks = tuple(max(1, n) for n in shape)
        return self._group.require_dataset(name, shape=shape, chunks=chunks, **kwds)

    def create_dataset(self, name, data=None, **kwds):
        if data is None:
            return self._group.create_dataset(name, **kwds)
        data = np.asarray(data)
        kwds.setdefault("chunks", tuple(max(1, n) for n in data.shape))
        array = self._group.create_dataset(name, shape=data.shape, dtype=data.dtype, **kwds)
        array[...] = data
        return array
