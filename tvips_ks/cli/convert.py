"""``tvips-ks convert PATH OUT``: to .npy, zarr (v3) or HDF5, streaming."""

from __future__ import annotations

from ..dataset import TvipsDataset
from ..export.convert import convert, format_of
from .common import EXIT_OK, add_scan_options, fmt_bytes, out, positive_float, scan_options


def add_parser(sub):
    p = sub.add_parser("convert", help="to .npy, zarr (v3) or HDF5, streaming",
                       description="Convert a series (arranged by the scan options) to .npy "
                       "(with a sidecar OUT.headers.npz), a zarr v3 group (*.zarr) or HDF5 "
                       "(*.h5, *.hdf5), block by block with bounded memory. The main header "
                       "and every frame header travel with the data.")
    p.add_argument("path", metavar="PATH")
    p.add_argument("out", metavar="OUT", help="*.npy, *.zarr, *.h5 or *.hdf5")
    add_scan_options(p)
    p.add_argument("--format", choices=("npy", "zarr", "hdf5", "h5"), default=None,
                   help="output format (default: from OUT's suffix)")
    p.add_argument("--block-mb", type=positive_float, default=32.0, metavar="MB",
                   help="memory per block in MiB (default 32)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    p.add_argument("--permissive", action="store_true",
                   help="convert a damaged series (drop partial records in any part)")
    p.set_defaults(func=run)


def run(args) -> int:
    options = scan_options(args)
    fmt = format_of(args.out, args.format)
    ds = TvipsDataset(args.path, permissive=args.permissive, **options.as_open_kwargs())
    if ds.scan is not None:
        out(f"scan: {ds.scan.describe()} (detected by {ds.scan.method})")
    summary = convert(ds, args.out, fmt=fmt, overwrite=args.overwrite,
                      block_bytes=int(args.block_mb * 2**20))
    rate = summary["nbytes"] / max(summary["seconds"], 1e-9)
    out(f"wrote {summary['path']} ({summary['format']}): shape {summary['shape']} "
        f"{summary['dtype']}, {fmt_bytes(summary['nbytes'])} in {summary['seconds']:.2f} s "
        f"({fmt_bytes(int(rate))}/s)")
    if summary["sidecar"]:
        out(f"wrote {summary['sidecar']} (main header, frame headers, frame index)")
    return EXIT_OK
