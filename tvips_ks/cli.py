"""``tvips-ks``: audit, check and convert TVIPS series from the command line.

    tvips-ks info [PATH]                      series summary (the shipped example without PATH)
    tvips-ks dump PATH [--frames 0:3] [--json]  byte layout, field by field, from the spec
    tvips-ks check PATH...                    validate whole series; exit 0 clean, 1 problems
    tvips-ks convert PATH OUT [scan options]  to .npy (+ .headers.npz), .zarr (v3) or .h5
    tvips-ks preview PATH OUT.png [scan options]  VBF image and per-frame scan signal
    tvips-ks inspect [PATH...] [--port N] [--no-browser]  the browser inspector

Scan options mirror ``tvips_ks.open``: ``--scan-shape 64,64`` or ``auto``,
``--scan-start-frame N``, ``--winding x|y``, ``--hysteresis N``, ``--pad``.

Exit status: 0 success, 1 problems found (``check``), 2 unreadable input or a
bad argument.  Errors are one line on stderr (``tvips-ks: …``), never a
traceback (set ``TVIPS_KS_DEBUG=1`` to get one for an unexpected error).
Progress bars go to stderr, and only when it is a terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import sys
import textwrap
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .errors import ArgumentError, ScanDetectionError, TvipsError

__all__ = ["main"]

PROG = "tvips-ks"
EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


# -- argument parsing -----------------------------------------------------------------

class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage block) that ``main`` turns into status 2."""

    def error(self, message):
        raise _UsageError(f"{message} (see '{self.prog} --help')")


def _scan_shape(text: str):
    value = text.strip().lower()
    if value == "auto":
        return "auto"
    if value == "none":
        return None
    parts = [p for p in re.split(r"[,x×\s]+", value) if p]
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        dims = ()
    if not dims or any(d < 1 for d in dims):
        raise argparse.ArgumentTypeError(
            f"expected ROWS,COLS (e.g. 64,64; any number of positive sizes) or 'auto', "
            f"got {text!r}")
    return dims


def _pair(kind):
    def parse(text: str):
        parts = [p for p in re.split(r"[,x×\s]+", text.strip().lower()) if p]
        try:
            values = tuple(kind(p) for p in parts)
        except ValueError:
            values = ()
        if len(values) != 2:
            raise argparse.ArgumentTypeError(f"expected two numbers like 1200x500, got {text!r}")
        return values
    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def _add_scan_options(p, default_shape=None):
    g = p.add_argument_group("scan options (as tvips_ks.open)")
    shape_help = ("ROWS,COLS (any number of sizes, e.g. 64,64 or 10,64,64) or 'auto' to "
                  "detect it" + (f" (default: {default_shape})" if default_shape else
                                 " (default: the frames as a stack)"))
    g.add_argument("--scan-shape", type=_scan_shape, default=default_shape, metavar="SHAPE",
                   help=shape_help)
    g.add_argument("--scan-start-frame", type=int, default=None, metavar="N",
                   help="frame at the first scan position (default 0; may be negative)")
    g.add_argument("--winding", choices=("x", "y"), default=None,
                   help="snake scan: reverse every other row (x) or column (y)")
    g.add_argument("--hysteresis", type=int, default=None, metavar="N",
                   help="cyclic shift of the reversed rows of a snake scan")
    g.add_argument("--pad", action="store_true",
                   help="let the scan run past the last frame (missing positions are zeros)")


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(prog=PROG, description="Audit, check and convert TVIPS camera series "
                     "(NAME_000.tvips, NAME_001.tvips, …).",
                     epilog="Exit status: 0 ok, 1 problems found (check), 2 unreadable input "
                            "or bad arguments.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("info", help="series summary (the shipped example without PATH)",
                       description="Summary of a series: parts and frame counts, the main "
                       "header, the frame-header fields, time span and frame rate, the scan "
                       "and anomalies. Without PATH it runs on the example series shipped in "
                       "the package.")
    p.add_argument("path", nargs="?", metavar="PATH", help="any part of the series")
    _add_scan_options(p)
    p.add_argument("--no-detect", action="store_true", help="do not detect the scan")
    p.add_argument("--max-anomalies", type=_nonneg_int, default=5, metavar="N",
                   help="anomalies listed per kind (default 5; 0 lists none)")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("dump", help="byte layout of the headers, field by field, from the spec",
                       description="The main header and the chosen frame headers field by "
                       "field: absolute offset in the file, size, type, id, original (vendor) "
                       "name, value and doc, from the position-recording parser generated "
                       "from spec/tvips.ksy.")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--frames", default="0", metavar="SEL",
                   help="frames to dump: N, START:STOP[:STEP] or a comma-separated list "
                        "of these; negative numbers count from the end (default 0)")
    p.add_argument("--no-main-header", action="store_true", help="leave the main header out")
    p.add_argument("--json", action="store_true", help="JSON for machines")
    p.set_defaults(func=cmd_dump)

    p = sub.add_parser("check", help="validate whole series (exit 0 clean, 1 problems)",
                       description="Validate series: the main header, part numbering, stale "
                       "parts, whole records per part, a partial trailing record, counter "
                       "continuity, monotonic timestamps and rotator-index sanity. One line "
                       "per problem, 'PATH: problem'. Exit status 0 clean, 1 problems found, "
                       "2 unreadable.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="any part of each series")
    p.add_argument("--max-per-kind", type=_nonneg_int, default=20, metavar="N",
                   help="problems listed per kind and series (default 20)")
    p.add_argument("--all", action="store_true", help="list every problem")
    p.add_argument("-q", "--quiet", action="store_true", help="no line for a clean series")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("convert", help="to .npy, zarr (v3) or HDF5, streaming",
                       description="Convert a series (arranged by the scan options) to .npy "
                       "(with a sidecar OUT.headers.npz), a zarr v3 group (*.zarr) or HDF5 "
                       "(*.h5, *.hdf5), block by block with bounded memory. The main header "
                       "and every frame header travel with the data.")
    p.add_argument("path", metavar="PATH")
    p.add_argument("out", metavar="OUT", help="*.npy, *.zarr, *.h5 or *.hdf5")
    _add_scan_options(p)
    p.add_argument("--format", choices=("npy", "zarr", "hdf5", "h5"), default=None,
                   help="output format (default: from OUT's suffix)")
    p.add_argument("--block-mb", type=_positive_float, default=32.0, metavar="MB",
                   help="memory per block in MiB (default 32)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    p.add_argument("--permissive", action="store_true",
                   help="convert a damaged series (drop partial records in any part)")
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("preview", help="PNG: VBF image of the scan and the per-frame scan signal",
                       description="A PNG with the virtual bright-field image of the scan "
                       "and a plot of the scan positions or rotator index (or the VBF) "
                       "against frame number, with the scan start and end marked.")
    p.add_argument("path", metavar="PATH")
    p.add_argument("out", metavar="OUT.png")
    _add_scan_options(p, default_shape="auto")
    p.add_argument("--radius", type=_positive_float, default=None, metavar="PX",
                   help="bright-field disk radius in pixels (default min(h, w) // 8)")
    p.add_argument("--center", type=_pair(float), default=None, metavar="Y,X",
                   help="disk centre in pixels (default: the frame centre)")
    p.add_argument("--size", type=_pair(int), default=None, metavar="WxH",
                   help="image size in pixels (default 1200x520)")
    p.add_argument("--permissive", action="store_true", help="read a damaged series")
    p.set_defaults(func=cmd_preview)

    p = sub.add_parser("inspect", help="browser inspector: serve the page and series on 127.0.0.1",
                       description="Serve the browser inspector and the named series, read-only, "
                       "on 127.0.0.1, and open it in the browser. The page also works on its own "
                       "from file:// (drop the parts on it).")
    p.add_argument("paths", nargs="*", metavar="PATH", help="any part of each series to serve")
    p.add_argument("--port", type=_nonneg_int, default=None, metavar="N",
                   help="port to listen on (default: a free one)")
    p.add_argument("--no-browser", action="store_true", help="print the URL, do not open a browser")
    p.set_defaults(func=cmd_inspect)
    return parser


# -- shared helpers ---------------------------------------------------------------------

def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def _err(line: str) -> None:
    sys.stderr.write(f"{PROG}: {line}\n")
    sys.stderr.flush()


def _scan_kwargs(args) -> dict:
    shape = args.scan_shape
    given = [name for name, value in (("--scan-start-frame", args.scan_start_frame),
                                      ("--winding", args.winding),
                                      ("--hysteresis", args.hysteresis)) if value is not None]
    if shape is None and (given or args.pad):
        raise ArgumentError(f"{', '.join(given + (['--pad'] if args.pad else []))} "
                            f"need(s) --scan-shape")
    if shape == "auto" and (given or args.pad):
        raise ArgumentError(f"{', '.join(given + (['--pad'] if args.pad else []))} cannot be "
                            f"combined with --scan-shape auto (detection finds the scan); "
                            f"give an explicit --scan-shape")
    if args.winding is None and args.hysteresis:
        raise ArgumentError("--hysteresis applies to a snake scan: give --winding x or y")
    kwargs = {"scan_shape": shape}
    if shape is not None and shape != "auto":
        kwargs.update(scan_start_frame=args.scan_start_frame or 0,
                      winding_scan_axis=args.winding, hysteresis=args.hysteresis or 0,
                      pad=args.pad)
    return kwargs


def _open(path, kwargs, permissive=False):
    from . import open as tvips_open

    return tvips_open(path, permissive=permissive, **kwargs)


@contextlib.contextmanager
def _quiet_warnings():
    from .errors import TvipsWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TvipsWarning)
        yield


def _describe_scan(shape, start, winding, hysteresis) -> str:
    text = f"{' × '.join(str(s) for s in shape)} from frame {start}"
    if winding:
        text += f", snake along {winding} (hysteresis {hysteresis})"
    else:
        text += ", fly-back (no winding)"
    return text


def _fmt_bytes(n: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def _fmt_float(value) -> str:
    return str(np.float32(value))


# -- info ---------------------------------------------------------------------------------

def _kv(key: str, value: str = "", width: int = 14) -> None:
    lines = value.split("\n") if value else [""]
    _out(f"{key + ':':<{width}}{lines[0]}".rstrip())
    for line in lines[1:]:
        _out(f"{'':<{width}}{line}".rstrip())


def _wrap(items, width=84) -> str:
    return "\n".join(textwrap.wrap(", ".join(items), width=width, break_on_hyphens=False)
                     or [""])


def _field_summary(fh: np.ndarray) -> tuple[list, list, list]:
    """(varying, constant non-zero as 'name value', all-zero) field names."""
    from .generated import layout as spec

    enums = {f.id: spec.ENUMS.get(f.enum, {}) for f in spec.FRAME_HEADER_FIELDS if f.enum}
    varying, constant, zero = [], [], []
    for name in fh.dtype.names:
        bits = np.ascontiguousarray(fh[name]).view(np.uint32)
        if bits.size and (bits != bits[0]).any():
            varying.append(name)
            continue
        value = fh[name][0] if len(fh) else 0
        if bits.size == 0 or bits[0] == 0:
            zero.append(name)
            continue
        text = _fmt_float(value) if fh.dtype[name].kind == "f" else str(int(value))
        if name in enums and int(value) in enums[name]:
            text += f" ({enums[name][int(value)]})"
        constant.append(f"{name} {text}")
    return varying, constant, zero


def cmd_info(args) -> int:
    from . import example_path
    from .check import layout_usable, check_series
    from .generated import layout as spec
    from .layout import frame_header_fields
    from .metadata import writer_of
    from .parts import find_parts
    from .reader import read_main_header

    path = Path(args.path) if args.path else Path(str(example_path()))
    kwargs = _scan_kwargs(args)
    paths = find_parts(path)
    header = read_main_header(paths[0], validate=False)
    checked = check_series(path, max_per_kind=args.max_anomalies)

    _kv("series", f"{paths[0]}" + ("  (the example shipped with tvips-ks)" if not args.path
                                   else ""))
    usable = layout_usable(header)
    ds = None
    if usable:
        with _quiet_warnings():
            ds = _open(path, {} if kwargs["scan_shape"] == "auto" else kwargs, permissive=True)
        layout = ds.layout
        total = sum(p.size for p in ds.files)
        lines = [f"{len(ds.files)} part(s), {ds.num_frames} frames, {_fmt_bytes(total)}"]
        name_w = max(len(p.path.name) for p in ds.files)
        for p in ds.files:
            frames = (f"frames {p.first_frame}–{p.first_frame + p.num_frames - 1}"
                      if p.num_frames else "no frames")
            extra = f", {p.trailing_bytes} bytes over" if p.trailing_bytes else ""
            lines.append(f"{p.path.name:<{name_w}}  {p.num_frames:>7} frames  {frames:<20} "
                         f"bytes {p.byte_range[0]}–{p.byte_range[1]}{extra}")
        _kv("parts", "\n".join(lines))
        _kv("frames", f"{ds.num_frames} × {layout.height} × {layout.width} {layout.pixel_dtype} "
                      f"({layout.bits_per_pixel} bits per pixel, {layout.len_image} bytes "
                      f"per image)")
        _kv("records", f"{layout.len_record} bytes: {layout.len_frame_header}-byte frame "
                       f"header (version {layout.version}) + image")
    items = []
    for f in spec.MAIN_HEADER_FIELDS:
        if f.dtype.startswith("V"):
            continue
        items.append(f"{f.id}={int(header[f.id])}")
    _kv("main header", _wrap(items))
    filler = bytes(header["filler"])
    shown = filler[:24].decode("latin-1")
    shown = "".join(c if c.isprintable() else "." for c in shown)
    _kv("filler", f"{shown!r}… ({writer_of(header)} convention)")
    if not usable:
        _kv("anomalies", "\n".join(_anomaly_lines(checked)) or "none")
        _err("the main header does not describe a readable layout")
        return EXIT_ERROR

    fields = frame_header_fields(layout.len_frame_header)
    end = max((f.offset + f.size for f in fields), default=0)
    padding = layout.len_frame_header - end
    fh = ds.frame_headers
    varying, constant, zero = _field_summary(fh)
    desc = [f"{layout.len_frame_header} bytes: {len(fields)} known field(s) in bytes 0–{end}"
            + (f", {padding} byte(s) of padding after them" if padding else ", no padding")]
    if varying:
        desc.append("varying:  " + ", ".join(varying))
    if constant:
        desc.append("constant: " + ", ".join(constant))
    if zero:
        desc.append("zero:     " + ", ".join(zero))
    _kv("frame header", "\n".join(
        line for d in desc for line in textwrap.wrap(d, 84, subsequent_indent="          ")))

    if len(fh):
        t = fh["timestamp_s"].astype(np.int64) * 1000 + fh["timestamp_ms"].astype(np.int64)

        def when(ms):
            return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime(
                "%Y-%m-%d %H:%M:%S.%f")[:-3]

        if len(t) > 1 and t[-1] != t[0]:
            span = (int(t[-1]) - int(t[0])) / 1000
            a, b = when(int(t[0])), when(int(t[-1]))
            if a[:10] == b[:10]:
                b = b[11:]
            _kv("time span", f"{a} → {b} UTC ({span:.3f} s)")
            steps = np.diff(t)
            steps = steps[steps > 0]
            if steps.size:
                median = float(np.median(steps)) / 1000
                rate = f"{1 / median:,.1f} frames/s (median interval {median * 1000:.3f} ms"
                if span > 0:
                    rate += f"; {(len(t) - 1) / span:,.1f} frames/s on average"
                _kv("frame rate", rate + ")")
        else:
            _kv("time span", f"every frame at {when(int(t[0]))} UTC (timestamps do not "
                             f"advance)")
            _kv("frame rate", "unknown")
    meta = ds.metadata
    optics = [meta.mode or "mode unknown", f"{meta.high_tension_kv} kV"]
    if meta.camera_length is not None:
        optics.append(f"camera length {meta.camera_length} (mag_total; unit undocumented)")
    elif meta.magnification is not None:
        optics.append(f"magnification {meta.magnification}")
    if meta.detector_pixel_size_nm:
        optics.append(f"detector pixel {meta.detector_pixel_size_nm} nm")
    optics.append(f"binning {meta.binning[0]}×{meta.binning[1]}")
    _kv("optics", _wrap(optics))

    if kwargs["scan_shape"] not in (None, "auto"):
        _kv("scan", _describe_scan(ds.nav_shape, kwargs["scan_start_frame"],
                                   kwargs["winding_scan_axis"], kwargs["hysteresis"])
            + " (as given)")
    elif args.no_detect:
        _kv("scan", "not detected (--no-detect)")
    else:
        try:
            from .detect import detect_scan

            scan = detect_scan(ds)
        except ImportError as err:
            _kv("scan", f"detection unavailable ({err})")
        except TvipsError as err:
            _kv("scan", "none detected:\n" + textwrap.fill(str(err), 84))
        else:
            kw = scan.as_open_kwargs()
            lines = [_describe_scan(scan.scan_shape, scan.scan_start_frame,
                                    scan.winding_scan_axis, scan.hysteresis),
                     f"detected by {scan.method}: {scan.num_frames_before} frame(s) before, "
                     f"{scan.num_frames_after} after, {scan.num_frames_agree} agree",
                     *textwrap.wrap(str(scan.evidence), 84),
                     "open(path, " + ", ".join(f"{k}={v!r}" for k, v in kw.items()) + ")"
                     + ("" if getattr(scan, "kwargs_exact", True) else
                        "  (approximate: repeated/skipped points need scan_shape='auto')")]
            _kv("scan", "\n".join(lines))
    _kv("anomalies", "\n".join(_anomaly_lines(checked)) or "none")
    return EXIT_OK


def _anomaly_lines(checked) -> list[str]:
    lines = []
    for p in checked.problems:
        where = Path(p.path).name + (f": byte {p.offset}" if p.offset is not None else "")
        lines.extend(textwrap.wrap(f"{where}: {p.message}", 84, subsequent_indent="  "))
    for kind, n in checked.omitted.items():
        lines.append(f"… and {n} more {kind} problem(s) ('tvips-ks check' lists them)")
    return lines


# -- dump ---------------------------------------------------------------------------------

def _frame_selection(text: str, n: int) -> list[int]:
    frames = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            bits = [int(b) if b.strip() else None for b in item.split(":")]
        except ValueError:
            bits = []
        if not 1 <= len(bits) <= 3 or (len(bits) == 1 and bits[0] is None) or bits[2:] == [0]:
            raise ArgumentError(f"--frames: cannot read {item!r}; use N, START:STOP[:STEP] "
                                f"or a comma-separated list of them")
        if len(bits) > 1:
            frames.extend(range(*slice(*bits).indices(n)))
            continue
        k = bits[0]
        if not -n <= k < n:
            raise ArgumentError(f"--frames: frame {k} is out of range; the series has {n} "
                                f"frames (0 to {n - 1})")
        frames.append(k % n)
    if not frames:
        raise ArgumentError(f"--frames {text!r} selects no frame of the {n} in the series")
    return frames


def _json_value(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, float):
        f = float(str(np.float32(value)))
        return f if math.isfinite(f) else str(f)
    if hasattr(value, "value") and not isinstance(value, (int, float)):  # IntEnum member
        return int(value.value)
    return int(value) if isinstance(value, (int, np.integer)) else value


def _text_value(value, row) -> str:
    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
        if not raw:
            return "(none)"
        if not any(raw):
            return f"{len(raw)} zero bytes"
        preview = "".join(chr(b) if 32 <= b < 127 else "." for b in raw[:20])
        return f"'{preview}{'…' if len(raw) > 20 else ''}'"
    if row.get("enum"):
        return f"{row['value']} ({row['enum']})"
    if isinstance(value, float):
        return _fmt_float(value)
    return str(row["value"])


def _rows(obj, base: int, spec_fields: dict, default_doc: dict) -> list[dict]:
    """Field rows of a parsed TvipsPos object: positions from its ``_debug``."""
    from .generated import layout as spec

    rows = []
    for name in obj.SEQ_FIELDS:
        pos = obj._debug.get(name)
        if not pos or "end" not in pos or not hasattr(obj, name):
            continue
        value = getattr(obj, name)
        meta = spec_fields.get(name)
        size = pos["end"] - pos["start"]
        row = {"offset": base + pos["start"], "size": size,
               "type": (meta.ksy_type if meta else f"bytes[{size}]"), "id": name,
               "orig_id": meta.orig_id if meta else "", "value": _json_value(value),
               "doc": meta.doc if meta else default_doc.get(name, "")}
        if meta and meta.enum:
            row["enum"] = spec.ENUMS.get(meta.enum, {}).get(int(row["value"]))
        row["text"] = _text_value(value, row)
        rows.append(row)
    return rows


def _first_sentence(doc: str) -> str:
    match = re.search(r"(?<!e\.g)(?<!i\.e)\.(\s|$)", doc)
    return doc[:match.start() + 1] if match else doc


def _print_table(title: str, rows: list[dict], error: str | None = None) -> None:
    _out(title)
    head = ("offset", "size", "type", "id", "original name", "value", "doc")
    cells = [(str(r["offset"]), str(r["size"]), r["type"], r["id"], r["orig_id"], r["text"],
              _first_sentence(r["doc"])) for r in rows]
    widths = [max(len(c[i]) for c in [head, *cells]) for i in range(6)]
    right = (True, True, False, False, False, False)

    def fmt(c):
        parts = [(c[i].rjust(widths[i]) if right[i] else c[i].ljust(widths[i]))
                 for i in range(6)]
        return ("  " + "  ".join(parts) + "  " + c[6]).rstrip()

    _out(fmt(head))
    for c in cells:
        _out(fmt(c))
    if error:
        _out(f"  !! {error}")
    _out()


def cmd_dump(args) -> int:
    import kaitaistruct
    from kaitaistruct import BytesIO, KaitaiStream

    from .generated import TvipsPos
    from .generated import layout as spec
    from .parts import find_parts

    class LenientMainHeader(TvipsPos.MainHeader):
        """Keeps the fields read before a validation failure (to show where it failed)."""

        error = None

        def _read(self):
            try:
                super()._read()
            except kaitaistruct.KaitaiStructError as err:
                self.error = err

    paths = find_parts(args.path)
    first = paths[0]
    with open(first, "rb") as f:
        raw = f.read(spec.LEN_MAIN_HEADER)
    if len(raw) < spec.LEN_MAIN_HEADER:
        raise TvipsError(f"the file has {len(raw)} bytes, fewer than the "
                         f"{spec.LEN_MAIN_HEADER}-byte main header", path=first)
    main = LenientMainHeader(KaitaiStream(BytesIO(raw)))
    main_fields = {f.id: f for f in spec.MAIN_HEADER_FIELDS}
    main_rows = _rows(main, 0, main_fields, {})
    result = {"path": str(first), "main_header": {"path": str(first), "start": 0,
                                                  "end": spec.LEN_MAIN_HEADER,
                                                  "fields": main_rows},
              "frames": []}
    if main.error is not None:
        message = (f"the main header does not match the spec: {main.error} (field "
                   f"{main_rows[-1]['id'] if main_rows else '?'})")
        result["error"] = message
        if args.json:
            _print_json(result)
        else:
            _print_table(f"main header: {first.name}, bytes 0–{spec.LEN_MAIN_HEADER}",
                         main_rows, message)
        _err(f"{first}: {message}")
        return EXIT_ERROR

    with _quiet_warnings():
        ds = _open(args.path, {}, permissive=True)
    layout = ds.layout
    frames = _frame_selection(args.frames, ds.num_frames)
    starts = np.array([p.first_frame for p in ds.files], dtype=np.int64)
    frame_fields = {f.id: f for f in spec.FRAME_HEADER_FIELDS}
    pad_doc = {spec.FRAME_HEADER_PADDING: "Bytes after the last whole known field of the "
               "frame header (zero padding, or site- or software-specific values)."}
    len_image = main.len_image
    result["layout"] = {"version": layout.version, "width": layout.width,
                        "height": layout.height, "bits_per_pixel": layout.bits_per_pixel,
                        "len_frame_header": main.len_frame_header_in_use,
                        "len_image": len_image, "len_record": main.len_record,
                        "num_frames": ds.num_frames, "parts": [str(p.path) for p in ds.files]}
    if not args.json:
        if not args.no_main_header:
            _print_table(f"main header: {first.name}, bytes 0–{spec.LEN_MAIN_HEADER} "
                         f"(version {main.version}, record {main.len_record} bytes = "
                         f"{main.len_frame_header_in_use}-byte frame header + "
                         f"{len_image}-byte image)", main_rows)
    handles = {}
    try:
        for k in frames:
            part = ds.files[int(np.searchsorted(starts, k, side="right")) - 1]
            record = part.offset + (k - part.first_frame) * main.len_record
            f = handles.get(part.index)
            if f is None:
                f = handles[part.index] = open(part.path, "rb")
            f.seek(record)
            raw = f.read(main.len_frame_header_in_use)
            if len(raw) < main.len_frame_header_in_use:
                raise TvipsError(f"frame {k}: the file ends inside its frame header",
                                 path=part.path, offset=record + len(raw))
            fh = TvipsPos.FrameHeader(KaitaiStream(BytesIO(raw)))
            rows = _rows(fh, record, frame_fields, pad_doc)
            image_at = record + main.len_frame_header_in_use
            rows.append({"offset": image_at, "size": len_image, "type": f"bytes[{len_image}]",
                         "id": "image", "orig_id": "", "value": None,
                         "doc": f"The image: {layout.height} rows of {layout.width} "
                                f"little-endian u{layout.bits_per_pixel // 8} pixels.",
                         "text": f"{layout.height}×{layout.width} {layout.pixel_dtype}"})
            entry = {"frame": k, "path": str(part.path), "part": part.index,
                     "record_offset": record, "record_size": main.len_record, "fields": rows}
            if args.json:
                result["frames"].append(entry)
            else:
                _print_table(f"frame {k}: {part.path.name}, record bytes {record}–"
                             f"{record + main.len_record} (frame {k - part.first_frame} of "
                             f"this part)", rows)
    finally:
        for f in handles.values():
            f.close()
    if args.json:
        if args.no_main_header:
            del result["main_header"]
        _print_json(result)
    return EXIT_OK


def _print_json(result) -> None:
    def strip(rows):
        return [{k: v for k, v in r.items() if k != "text"} for r in rows]

    if "main_header" in result:
        result["main_header"]["fields"] = strip(result["main_header"]["fields"])
    for entry in result["frames"]:
        entry["fields"] = strip(entry["fields"])
    json.dump(result, sys.stdout, indent=1, allow_nan=False)
    sys.stdout.write("\n")


# -- check --------------------------------------------------------------------------------

def cmd_check(args) -> int:
    from .check import check_series

    status = EXIT_OK
    for path in args.paths:
        try:
            res = check_series(path, max_per_kind=None if args.all else args.max_per_kind)
        except (TvipsError, OSError) as err:
            _err(_message(err))
            status = EXIT_ERROR
            continue
        for problem in res.problems:
            _out(str(problem))
        for kind, n in res.omitted.items():
            _out(f"{res.path}: … and {n} more {kind} problem(s) (--all lists every one)")
        if res.ok:
            if not args.quiet:
                _out(f"{res.path}: ok ({res.num_frames} frames in {len(res.parts)} part(s))")
        elif status == EXIT_OK:
            status = EXIT_PROBLEMS
        sys.stdout.flush()
    return status


# -- convert ------------------------------------------------------------------------------

def cmd_convert(args) -> int:
    from .convert import convert, format_of

    kwargs = _scan_kwargs(args)
    fmt = format_of(args.out, args.format)
    ds = _open(args.path, kwargs, permissive=args.permissive)
    try:
        if ds.scan is not None:
            s = ds.scan
            text = _describe_scan(s.scan_shape, s.scan_start_frame, s.winding_scan_axis,
                                  s.hysteresis)
            _out(f"scan: {text} (detected by {s.method})")
        summary = convert(ds, args.out, fmt=fmt, overwrite=args.overwrite,
                          block_bytes=int(args.block_mb * 2**20),
                          scan_options={k: v for k, v in kwargs.items() if v is not None})
    finally:
        ds.close()
    rate = summary["nbytes"] / max(summary["seconds"], 1e-9)
    _out(f"wrote {summary['path']} ({summary['format']}): shape {summary['shape']} "
         f"{summary['dtype']}, {_fmt_bytes(summary['nbytes'])} in {summary['seconds']:.2f} s "
         f"({_fmt_bytes(int(rate))}/s)")
    if summary["sidecar"]:
        _out(f"wrote {summary['sidecar']} (main header, frame headers, frame index)")
    return EXIT_OK


# -- preview ------------------------------------------------------------------------------

def cmd_preview(args) -> int:
    from .progress import Progress
    from .preview import DEFAULT_SIZE, render_preview

    kwargs = _scan_kwargs(args)
    note = None
    try:
        ds = _open(args.path, kwargs, permissive=args.permissive)
    except ScanDetectionError as err:
        note = f"No scan detected:\n{textwrap.fill(str(err), 60)}\n\nGive --scan-shape ROWS,COLS"
        _err(f"warning: {str(err).rstrip('.')}; the preview shows the frames only")
        ds = _open(args.path, {}, permissive=args.permissive)
    try:
        bar = Progress(ds.num_frames, "virtual bright field")
        given = ", ".join(f"{k}={v!r}" for k, v in kwargs.items()
                          if v is not None and k != "pad" and kwargs["scan_shape"] != "auto")
        summary = render_preview(ds, args.out, size=args.size or DEFAULT_SIZE,
                                 radius=args.radius, center=args.center, note=note,
                                 title=given or None, progress=bar)
    finally:
        ds.close()
    w, h = summary["size"]
    scan = ""
    if summary["scan_frames"]:
        scan = f", scan frames {summary['scan_frames'][0]}–{summary['scan_frames'][1]}"
    _out(f"wrote {summary['path']} ({w}×{h} PNG; right panel: {summary['panel']}{scan})")
    return EXIT_OK


# -- inspect ------------------------------------------------------------------------------

def cmd_inspect(args) -> int:
    from .inspect_server import serve

    serve(args.paths, port=args.port, open_browser=not args.no_browser)
    return EXIT_OK


# -- entry point --------------------------------------------------------------------------

def _message(err: BaseException) -> str:
    if isinstance(err, OSError) and not isinstance(err, TvipsError):
        reason = err.strerror or str(err)
        return f"{err.filename}: {reason}" if err.filename else reason
    return str(err).replace("\n", " ")


def _show_warning(message, category, filename, lineno, file=None, line=None):
    _err(f"warning: {str(message).strip()}".replace("\n", " "))


def main(argv=None) -> int:
    """Run the ``tvips-ks`` command line; returns the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as err:
        _err(f"error: {err}")
        return EXIT_ERROR
    except SystemExit as exit_:  # --help, --version
        return exit_.code if isinstance(exit_.code, int) else EXIT_OK
    if args.command is None:
        _err("error: choose a command: info, dump, check, convert, preview or inspect "
             "(see 'tvips-ks --help')")
        return EXIT_ERROR
    debug = bool(os.environ.get("TVIPS_KS_DEBUG"))
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return args.func(args)
        except BrokenPipeError:  # e.g. `tvips-ks dump … | head`
            with contextlib.suppress(OSError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            return EXIT_OK
        except KeyboardInterrupt:
            _err("interrupted")
            return 130
        except (TvipsError, OSError) as err:
            if debug:
                raise
            _err(_message(err))
            return EXIT_ERROR
        except MemoryError:
            if debug:
                raise
            _err("out of memory")
            return EXIT_ERROR
        except Exception as err:  # never a traceback for the user
            if debug:
                raise
            _err(f"unexpected error: {type(err).__name__}: {_message(err)} (set "
                 f"TVIPS_KS_DEBUG=1 for a traceback)")
            return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
