"""``tvips-ks convert PATH OUT`` or ``PATH... --out-dir D --format F``: streaming, processed.

The format follows OUT's suffix (or ``--format``); processing and each
writer's options are flags here, keywords of :func:`tvips_ks.convert`.  With
several inputs, each series is converted into ``D`` under its own name; a
series that fails is named on stderr and the others go on (exit status 2 if
any failed).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from ..dataset import TvipsDataset
from ..errors import TvipsError
from ..export.convert import convert, writer_of
from ..io.naming import series_title
from .common import (EXIT_ERROR, EXIT_OK, add_scan_options, err, fmt_bytes, message, out, pair,
                     positive_float, scan_options)

FORMAT_NAMES = ("npy", "zarr", "hdf5", "h5", "blo", "hspy", "zspy", "mrc", "tiff", "tif", "smv")
#: the suffix a format gets in --out-dir
SUFFIX = {"npy": ".npy", "zarr": ".zarr", "hdf5": ".h5", "h5": ".h5", "blo": ".blo",
          "hspy": ".hspy", "zspy": ".zspy", "mrc": ".mrc", "tiff": ".tif", "tif": ".tif",
          "smv": "_#####.img"}


def _range(text: str) -> slice:
    match = re.fullmatch(r"\s*(-?\d*)\s*:\s*(-?\d*)\s*(?::\s*(\d+)\s*)?", text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected START:STOP (e.g. 10:500), got {text!r}")
    start, stop, step = (int(v) if v else None for v in match.groups())
    return slice(start, stop, step)


def _ranges(text: str) -> tuple:
    return tuple(_range(p) for p in text.split(","))


def _hot(text: str):
    if text.strip().lower() == "auto":
        return "auto"
    try:
        pixels = [tuple(int(v) for v in p.split(",")) for p in text.split(";") if p.strip()]
    except ValueError:
        pixels = []
    if not pixels or any(len(p) != 2 for p in pixels):
        raise argparse.ArgumentTypeError(f"expected 'auto' or Y,X;Y,X;…, got {text!r}")
    return pixels


def add_parser(sub):
    p = sub.add_parser("convert", help="to .npy, zarr, HDF5, .blo, .hspy, .mrc, .tif or SMV",
                       description="Convert a series (arranged by the scan options), block by "
                       "block with bounded memory, processed on the way, to the format OUT's "
                       "suffix names: .npy (+ OUT.headers.npz), *.zarr (v3), *.h5, *.blo "
                       "(ASTAR/pyxem, 8-bit), *.hspy / *.zspy (HyperSpy), *.mrc, *.tif, or "
                       "SMV NAME_#####.img (one file per frame, MicroED). Several inputs: "
                       "PATH... --out-dir D --format F.")
    p.add_argument("paths", metavar="PATH", nargs="+",
                   help="PATH OUT, or PATH... with --out-dir")
    p.add_argument("--out-dir", metavar="D", default=None,
                   help="convert every PATH into D (with --format)")
    p.add_argument("--format", choices=FORMAT_NAMES, default=None,
                   help="output format (default: from OUT's suffix)")
    add_scan_options(p)
    g = p.add_argument_group("processing (in this order)")
    g.add_argument("--frames", type=_range, metavar="START:STOP",
                   help="a range of the frames of a stack")
    g.add_argument("--scan-crop", type=_ranges, metavar="R0:R1,C0:C1",
                   help="a crop of the scan positions (one range per scan axis)")
    g.add_argument("--hot-pixels", type=_hot, metavar="auto|Y,X;Y,X",
                   help="zero these pixels, or 'auto': spikes of the mean pattern")
    g.add_argument("--hot-k", type=positive_float, default=50.0, metavar="K",
                   help="'auto' hot pixels stand K noise MADs above all 8 neighbours (default 50)")
    g.add_argument("--signal-crop", type=_ranges, metavar="Y0:Y1,X0:X1",
                   help="a crop of every frame")
    g.add_argument("--bin", type=int, default=1, metavar="N", help="N×N binning")
    g.add_argument("--bin-mode", choices=("sum", "mean"), default="sum",
                   help="sum (widened integers, default) or mean (float32)")
    g.add_argument("--linscale", type=pair(float, r"[-,\s]+", "0-1000"), metavar="LOW-HIGH",
                   help="scale LOW…HIGH linearly to 8 bits (0…255, clipped)")
    g.add_argument("--percentile", type=pair(float, r"[,\s]+", "0.1,99.9"),
                   metavar="P_LOW,P_HIGH",
                   help="scale between two percentiles (of a sample of frames) to 8 bits")
    w = p.add_argument_group("writer options")
    w.add_argument("--compression", choices=("zstd", "blosc", "gzip", "none"), default=None,
                   help="zarr: zstd or blosc; HDF5: gzip, zstd or blosc (hdf5plugin); .hspy: "
                   "gzip (its default) or none")
    w.add_argument("--distance", type=positive_float, metavar="MM", help="SMV: camera length")
    w.add_argument("--rotation-rate", type=float, metavar="DEG/S", help="SMV: rotation speed")
    w.add_argument("--osc-range", type=float, metavar="DEG", help="SMV: rotation per frame")
    w.add_argument("--osc-start", type=float, default=0.0, metavar="DEG",
                   help="SMV: angle of the first frame (default 0)")
    w.add_argument("--wavelength", type=positive_float, metavar="Å",
                   help="SMV: default from the high tension")
    w.add_argument("--pixel-size", type=positive_float, metavar="MM",
                   help="SMV: default detector pixel × binning")
    w.add_argument("--beam-center", type=pair(float), metavar="Y,X",
                   help="SMV: in pixels (default the middle of the frame)")
    w.add_argument("--time-zone", default="UTC", metavar="TZ", help="SMV: zone of DATE")
    p.add_argument("--block-mb", type=positive_float, default=32.0, metavar="MB",
                   help="memory per block in MiB (default 32)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    p.add_argument("--permissive", action="store_true",
                   help="convert a damaged series (drop partial records in any part)")
    p.set_defaults(func=run)


def _kwargs(args, fmt) -> dict:
    kwargs = dict(frames=args.frames, scan_crop=args.scan_crop, hot_pixels=args.hot_pixels,
                  hot_k=args.hot_k, signal_crop=args.signal_crop, binning=args.bin,
                  bin_mode=args.bin_mode, linscale=args.linscale, percentile=args.percentile,
                  overwrite=args.overwrite, block_bytes=int(args.block_mb * 2**20))
    name = fmt.NAME
    if args.compression is not None:
        kwargs["compression"] = None if args.compression == "none" else args.compression
    if name == "smv":
        kwargs.update(distance_mm=args.distance, rotation_rate=args.rotation_rate,
                      osc_range=args.osc_range, osc_start=args.osc_start,
                      wavelength=args.wavelength, pixel_size_mm=args.pixel_size,
                      beam_center=args.beam_center, time_zone=args.time_zone)
    return kwargs


def _one(args, path, target, options) -> None:
    writer = writer_of(target, args.format)
    ds = TvipsDataset(path, permissive=args.permissive, **options.as_open_kwargs())
    if ds.scan is not None:
        out(f"scan: {ds.scan.describe()} (detected by {ds.scan.method})")
    summary = convert(ds, target, fmt=args.format, **_kwargs(args, writer))
    rate = summary["read_bytes"] / max(summary["seconds"], 1e-9)
    paths = summary["paths"]
    where = summary["path"] if len(paths) == 1 or summary["sidecar"] else \
        f"{len(paths)} files {paths[0].name} … {paths[-1].name}"
    out(f"wrote {where} ({summary['format']}): shape {summary['shape']} "
        f"{summary['dtype']}, {fmt_bytes(summary['nbytes'])} in {summary['seconds']:.2f} s "
        f"({fmt_bytes(int(rate))}/s read)")
    if summary["sidecar"]:
        out(f"wrote {summary['sidecar']} (main header, frame headers, frame index)")


def run(args) -> int:
    options = scan_options(args)
    if args.out_dir is None:
        if len(args.paths) != 2:
            err("error: give PATH OUT, or several PATHs with --out-dir D --format F")
            return EXIT_ERROR
        path, target = args.paths
        writer_of(target, args.format)  # a bad OUT is refused before the series is opened
        _one(args, path, target, options)
        return EXIT_OK
    if args.format is None:
        err("error: --out-dir needs --format (npy, zarr, hdf5, blo, hspy, zspy, mrc, tiff, smv)")
        return EXIT_ERROR
    out_dir = Path(args.out_dir)
    if not out_dir.is_dir():
        err(f"error: the directory {out_dir} does not exist")
        return EXIT_ERROR
    failed = 0
    for path in args.paths:
        target = out_dir / (series_title(Path(path)) + SUFFIX[args.format])
        try:
            _one(args, path, target, options)
        except (TvipsError, OSError) as error:
            err(f"{path}: not converted: {message(error)}")
            failed += 1
    if failed:
        err(f"{failed} of {len(args.paths)} series not converted")
    return EXIT_ERROR if failed else EXIT_OK
