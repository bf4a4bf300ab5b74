"""``tvips-ks inspect [PATH...]``: serve the browser inspector and the named series on 127.0.0.1."""

from __future__ import annotations

from ..export.inspector import serve
from .common import EXIT_OK, nonneg_int


def add_parser(sub):
    p = sub.add_parser("inspect", help="browser inspector: serve the page and series on 127.0.0.1",
                       description="Serve the browser inspector and the named series, read-only, "
                       "on 127.0.0.1, and open it in the browser. The page also works on its own "
                       "from file:// (drop the parts on it).")
    p.add_argument("paths", nargs="*", metavar="PATH", help="any part of each series to serve")
    p.add_argument("--port", type=nonneg_int, default=None, metavar="N",
                   help="port to listen on (default: a free one)")
    p.add_argument("--no-browser", action="store_true", help="print the URL, do not open a browser")
    p.set_defaults(func=run)


def run(args) -> int:
    serve(args.paths, port=args.port, open_browser=not args.no_browser)
    return EXIT_OK
