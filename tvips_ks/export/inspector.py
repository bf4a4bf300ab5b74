"""``tvips-ks inspect``: serve the browser inspector and named series on 127.0.0.1.

The page (``web/`` in the repository, ``tvips_ks/web`` in the wheel) and the
scripts generated from the spec (``generated/javascript``) are served as they
lie next to each other, so the page's relative links work the same from
``file://`` and from here.  The named series are served read-only:

* ``GET /api/series`` lists them: ``{"series": [{"name", "parts": [{"name",
  "size", "url", "strided_url"}]}]}``;
* ``GET /api/series/S/part/P`` is part P of series S, with single-range
  ``Range`` requests (206), so the page reads slices lazily;
* ``GET /api/series/S/part/P/strided?start=&stride=&size=&count=`` is
  ``count`` slices of ``size`` bytes, the k-th at ``start + k * stride``,
  concatenated: the frame headers of a chunk of frames in one request.

Nothing else is served: requests are routed by table lookup (no path from a
request is ever joined to a directory), only GET and HEAD are answered, the
server binds to 127.0.0.1 and refuses requests whose ``Host`` is not this
server (DNS rebinding).
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import webbrowser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from ..errors import ArgumentError, SeriesError
from ..io.naming import list_parts

__all__ = ["serve", "make_server", "asset_root", "series_listing"]

HOST = "127.0.0.1"
#: The page's entry point, relative to the asset root.
PAGE = "web/index.html"
#: The most bytes one strided request may ask for.
MAX_STRIDED_BYTES = 64 * 2**20
#: Bytes sent per write when streaming a file range.
COPY_BYTES = 2**20

_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".png": "image/png", ".txt": "text/plain; charset=utf-8",
          ".json": "application/json"}
_PART_URL = re.compile(r"^/api/series/(\d+)/part/(\d+)(/strided)?$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def asset_root() -> Path:
    """The directory holding ``web/`` and ``generated/javascript/``.

    In the wheel that is the ``tvips_ks`` package (``tvips_ks/web``,
    ``tvips_ks/generated/javascript``); in a checkout it is the repository.
    """
    package = Path(__file__).resolve().parent.parent
    for root in (package, package.parent):
        if (root / PAGE).is_file() and (root / "generated" / "javascript" / "TvipsPos.js").is_file():
            return root
    raise SeriesError("the inspector's page is not installed (tvips_ks/web and "
                      "tvips_ks/generated/javascript are missing): reinstall tvips-ks",
                      path=package)


def _assets(root: Path) -> dict[str, Path]:
    """URL path -> file, for every file of the page and the generated scripts."""
    table = {}
    for sub in ("web", "generated/javascript"):
        for path in sorted((root / sub).iterdir()):
            if path.is_file() and path.suffix in _TYPES:
                table[f"/{sub}/{path.name}"] = path
    return table


def series_listing(paths) -> list[dict]:
    """The series named by ``paths`` (any part, or the bare name): name and parts.

    The parts are those on disk numbered from 000, and the parts after a gap
    too, so the page can report the gap as ``tvips-ks check`` does.  Raises
    :class:`~tvips_ks.errors.TvipsError` for a name that is not a TVIPS series
    or a series without its ``_000`` part.
    """
    series, seen = [], set()
    for given in paths:
        found = list_parts(given)
        parts, after_gap = found.parts, found.after_gap
        key = parts[0].resolve()
        if key in seen:
            continue
        seen.add(key)
        for p in parts + after_gap:
            if not p.is_file():
                raise SeriesError("is not a regular file; give the parts of a series", path=p)
        series.append({"name": parts[0].name, "paths": [p.resolve() for p in parts + after_gap]})
    return series


class _Handler(BaseHTTPRequestHandler):
    server_version = "tvips-ks-inspect"
    protocol_version = "HTTP/1.1"

    # set per server by make_server
    assets: dict = {}
    series: list = []
    allowed_hosts: set = set()
    quiet = True

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        if not self.quiet:
            super().log_message(format, *args)

    # -- responses ------------------------------------------------------------------

    def _send_bytes(self, status, body: bytes, content_type: str, extra=None, head=False):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _error(self, status, message, head=False, extra=None):
        self._send_bytes(status, (message + "\n").encode(), "text/plain; charset=utf-8", extra, head)

    # -- routing --------------------------------------------------------------------

    def do_HEAD(self):  # noqa: N802 (http.server's naming)
        self._route(head=True)

    def do_GET(self):  # noqa: N802
        self._route(head=False)

    def _not_allowed(self):
        self._error(HTTPStatus.METHOD_NOT_ALLOWED, "read-only: only GET and HEAD",
                    extra={"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _route(self, head):
        host = (self.headers.get("Host") or "").lower()
        if host not in self.allowed_hosts:
            self._error(HTTPStatus.FORBIDDEN, "unexpected Host header", head)
            return
        url = urlsplit(self.path)
        path = url.path
        if path in ("/", "/index.html", "/web", "/web/"):
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", "/" + PAGE)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path == "/favicon.ico":
            self.send_response(HTTPStatus.NO_CONTENT)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path == "/api/series":
            body = json.dumps({"series": self._listing()}).encode()
            self._send_bytes(HTTPStatus.OK, body, "application/json", head=head)
            return
        asset = self.assets.get(path)
        if asset is not None:
            try:
                body = asset.read_bytes()
            except OSError as err:
                self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"cannot read {path}: {err}", head)
                return
            self._send_bytes(HTTPStatus.OK, body, _TYPES[asset.suffix], head=head)
            return
        match = _PART_URL.match(path)
        if match:
            s, p = int(match[1]), int(match[2])
            if s >= len(self.series) or p >= len(self.series[s]["paths"]):
                self._error(HTTPStatus.NOT_FOUND, "no such part", head)
            elif match[3]:
                self._strided(self.series[s]["paths"][p], parse_qs(url.query), head)
            else:
                self._part(self.series[s]["paths"][p], head)
            return
        self._error(HTTPStatus.NOT_FOUND, "not found", head)

    def _listing(self):
        out = []
        for s, entry in enumerate(self.series):
            parts = []
            for p, path in enumerate(entry["paths"]):
                try:
                    size = os.stat(path).st_size
                except OSError:
                    continue
                url = f"/api/series/{s}/part/{p}"
                parts.append({"name": path.name, "size": size, "url": url,
                              "strided_url": url + "/strided"})
            out.append({"name": entry["name"], "parts": parts})
        return out

    # -- a part: whole or one range ---------------------------------------------------

    def _part(self, path: Path, head):
        try:
            f = open(path, "rb")
        except OSError as err:
            self._error(HTTPStatus.NOT_FOUND, f"cannot open {path.name}: {err.strerror}", head)
            return
        with f:
            size = os.fstat(f.fileno()).st_size
            start, end, status = 0, size, HTTPStatus.OK
            header = self.headers.get("Range")
            if header is not None:
                match = _RANGE.match(header.strip())
                if not match or match[1] == match[2] == "":
                    self._error(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                                "only one range, bytes=START-END, is supported", head,
                                {"Content-Range": f"bytes */{size}"})
                    return
                if match[1] == "":  # suffix: the last N bytes
                    start, end = max(size - int(match[2]), 0), size
                else:
                    start = int(match[1])
                    end = min(int(match[2]) + 1, size) if match[2] else size
                if start >= size or start >= end:
                    self._error(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                                f"range outside the file ({size} bytes)", head,
                                {"Content-Range": f"bytes */{size}"})
                    return
                status = HTTPStatus.PARTIAL_CONTENT
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(end - start))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Cache-Control", "no-store")
            if status == HTTPStatus.PARTIAL_CONTENT:
                self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
            self.end_headers()
            if head:
                return
            f.seek(start)
            left = end - start
            while left > 0:
                chunk = f.read(min(COPY_BYTES, left))
                if not chunk:
                    break  # the file shrank while being served
                self.wfile.write(chunk)
                left -= len(chunk)

    def _strided(self, path: Path, query, head):
        try:
            start, stride, size, count = (int(query[k][0]) for k in ("start", "stride", "size", "count"))
        except (KeyError, ValueError, IndexError):
            self._error(HTTPStatus.BAD_REQUEST, "give start, stride, size and count (integers)", head)
            return
        if (min(start, stride, size, count) < 0 or size * count > MAX_STRIDED_BYTES
                or count > MAX_STRIDED_BYTES):
            self._error(HTTPStatus.BAD_REQUEST, f"need non-negative values, count and "
                        f"size * count <= {MAX_STRIDED_BYTES}", head)
            return
        try:
            with open(path, "rb") as f:
                total = os.fstat(f.fileno()).st_size
                if count and start + (count - 1) * stride + size > total:
                    self._error(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                                f"the slices end past the end of the file ({total} bytes)", head)
                    return
                out = bytearray(size * count)
                if stride - size <= 2**16:  # close together: read windows, copy the slices out
                    per = max(1, COPY_BYTES * 8 // max(stride, 1))
                    for k in range(0, count, per):
                        n = min(per, count - k)
                        f.seek(start + k * stride)
                        window = f.read((n - 1) * stride + size)
                        for i in range(n):
                            out[(k + i) * size:(k + i + 1) * size] = window[i * stride:i * stride + size]
                else:
                    for k in range(count):
                        f.seek(start + k * stride)
                        out[k * size:(k + 1) * size] = f.read(size)
        except OSError as err:
            self._error(HTTPStatus.NOT_FOUND, f"cannot read {path.name}: {err.strerror}", head)
            return
        self._send_bytes(HTTPStatus.OK, bytes(out), "application/octet-stream", head=head)


def make_server(paths=(), port=None, *, quiet=True) -> ThreadingHTTPServer:
    """A server for the page and the series named by ``paths``, bound to 127.0.0.1.

    ``port`` None or 0 picks a free port (``server.server_address[1]``).
    """
    if port is not None and not 0 <= int(port) <= 65535:
        raise ArgumentError(f"--port must be 0 to 65535, got {port}")
    root = asset_root()
    listing = series_listing(paths)
    handler = type("InspectHandler", (_Handler,), {"assets": _assets(root), "series": listing,
                                                  "quiet": quiet})
    server = ThreadingHTTPServer((HOST, int(port or 0)), handler)
    server.daemon_threads = True
    bound = server.server_address[1]
    handler.allowed_hosts = {f"{HOST}:{bound}", f"localhost:{bound}"}
    return server


def serve(paths=(), port=None, open_browser=True) -> None:
    """Serve the inspector and the named series until interrupted (Ctrl-C).

    Prints the page's URL; opens it in the default browser unless
    ``open_browser`` is false.
    """
    server = make_server(paths, port)
    url = f"http://{HOST}:{server.server_address[1]}/{PAGE}"
    names = ", ".join(s["name"] for s in server.RequestHandlerClass.series) or "no series (drop files on the page)"
    print(f"tvips-ks inspect: serving {names} read-only at {url}", flush=True)
    print("press Ctrl-C to stop", flush=True)
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("tvips-ks inspect: stopped", file=sys.stderr, flush=True)
    finally:
        server.server_close()
