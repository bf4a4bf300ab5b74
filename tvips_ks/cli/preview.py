"""``tvips-ks preview PATH OUT.png``: VBF image of the scan, per-frame scan signal, mean and
maximum pattern, beam centre."""

from __future__ import annotations

import textwrap

from ..dataset import TvipsDataset
from ..errors import ScanDetectionError
from ..export.preview import DEFAULT_SIZE, render_preview
from ..progress import Progress
from .common import (EXIT_OK, add_scan_options, cli_text, err, out, pair, positive_float,
                     scan_options)


def add_parser(sub):
    p = sub.add_parser("preview", help="PNG: VBF image of the scan, per-frame scan signal, mean "
                       "and maximum pattern, beam centre",
                       description="A PNG with the virtual bright-field image of the scan "
                       "and a plot of the scan positions or rotator index (or the VBF) "
                       "against frame number, with the scan start and end marked (or a "
                       "suggested start where no scan is found), and the mean and maximum "
                       "pattern with the beam centre and the VBF aperture. One pass over "
                       "the series.")
    p.add_argument("path", metavar="PATH")
    p.add_argument("out", metavar="OUT.png")
    add_scan_options(p, default_shape="auto")
    p.add_argument("--vbf-radius", "--radius", dest="radius", type=positive_float,
                   default=None, metavar="R",
                   help="VBF aperture radius in pixels (default: the beam disc's half-maximum "
                        "radius)")
    p.add_argument("--vbf-center", "--center", dest="center", type=pair(float), default=None,
                   metavar="Y,X", help="VBF aperture centre in pixels (default: the beam centre)")
    p.add_argument("--size", type=pair(int), default=None, metavar="WxH",
                   help="image size in pixels (default 1200x900)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing OUT.png")
    p.add_argument("--permissive", action="store_true", help="read a damaged series")
    p.set_defaults(func=run)


def run(args) -> int:
    options = scan_options(args)
    note = None
    try:
        ds = TvipsDataset(args.path, permissive=args.permissive, **options.as_open_kwargs())
    except ScanDetectionError as error:
        text = cli_text(str(error))
        note = f"No scan detected:\n{textwrap.fill(text, 60)}\n\nGive --scan-shape ROWS,COLS"
        err(f"warning: {text.rstrip('.')}; the preview shows the frames only")
        ds = TvipsDataset(args.path, permissive=args.permissive)
    title = ds.scan_options.describe() if isinstance(ds.scan_options.scan_shape, tuple) \
        else None
    summary = render_preview(ds, args.out, size=args.size or DEFAULT_SIZE, radius=args.radius,
                             center=args.center, note=note, title=title,
                             overwrite=args.overwrite,
                             progress=Progress(ds.num_frames, "quick look"))
    look = summary["look"]
    out(f"beam centre: {look.describe_beam_center()}")
    cy, cx = look.vbf_center
    out(f"VBF aperture: centre (y, x) = ({cy:.2f}, {cx:.2f}) px, radius {look.vbf_radius:.2f} px")
    if look.suggested_scan_start is not None:
        start = look.suggested_scan_start
        out(f"suggested scan start: frame {start.frame} (not applied; try --scan-shape "
            f"ROWS,COLS --scan-start-frame {start.frame}): {start.evidence}")
    w, h = summary["size"]
    scan = ""
    if summary["scan_frames"]:
        scan = f", scan frames {summary['scan_frames'][0]}–{summary['scan_frames'][1]}"
    out(f"wrote {summary['path']} ({w}×{h} PNG; right panel: {summary['panel']}{scan})")
    return EXIT_OK
