"""``tvips-ks info [PATH]``: a series summary (the shipped example without PATH)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from ..audit.summary import enum_text, summarize
from ..examples import example_path
from ..generated import tables
from ..metadata import USER
from ..scan.options import describe_scan
from ..timing import format_utc
from .common import (EXIT_ERROR, EXIT_OK, add_scan_options, cli_text, err, fmt_bytes,
                     fmt_float, kv, nonneg_int, scan_options, wrap)


def add_parser(sub):
    p = sub.add_parser("info", help="series summary (the shipped example without PATH)",
                       description="Summary of a series: parts and frame counts, the main "
                       "header, the frame-header fields, time span and frame rate, the scan "
                       "and anomalies. Without PATH it runs on the example series shipped in "
                       "the package.")
    p.add_argument("path", nargs="?", metavar="PATH", help="any part of the series")
    add_scan_options(p)
    p.add_argument("--no-detect", action="store_true", help="do not detect the scan")
    p.add_argument("--max-anomalies", type=nonneg_int, default=5, metavar="N",
                   help="anomalies listed per kind (default 5; 0 lists none)")
    p.set_defaults(func=run)


def _parts(s) -> str:
    total = sum(p.size for p in s.parts)
    lines = [f"{len(s.parts)} part(s), {s.num_frames} frames, {fmt_bytes(total)}"]
    name_w = max(len(p.path.name) for p in s.parts)
    for p in s.parts:
        frames = (f"frames {p.first_frame}–{p.first_frame + p.num_frames - 1}"
                  if p.num_frames else "no frames")
        extra = f", {p.trailing_bytes} bytes over" if p.trailing_bytes else ""
        lines.append(f"{p.path.name:<{name_w}}  {p.num_frames:>7} frames  {frames:<20} "
                     f"bytes {p.byte_range[0]}–{p.byte_range[1]}{extra}")
    return "\n".join(lines)


def constant_text(name, value) -> str:
    """``tem_mode 2 (diffraction)``: a constant field as info shows it."""
    text = fmt_float(value) if getattr(value, "dtype", None) is not None and \
        value.dtype.kind == "f" else str(int(value))
    named = enum_text(name, value)
    return f"{name} {text}" + (f" ({named})" if named else "")


def _times(t) -> list[tuple[str, str]]:
    if t.duration_s:
        a, b = format_utc(t.first_ms), format_utc(t.last_ms)
        if a[:10] == b[:10]:
            b = b[11:]
        rate = (f"{t.frame_rate:,.1f} frames/s (one frame every {t.interval_s * 1000:.3f} ms, "
                f"over the whole series)" if t.interval_s else
                "unknown (the last frame is time-stamped before the first)")
        return [("time span", f"{a} → {b} UTC ({t.duration_s:.3f} s)"), ("frame rate", rate)]
    return [("time span", f"every frame at {format_utc(t.first_ms)} UTC (timestamps do not "
                          f"advance)"), ("frame rate", "unknown")]


def _optics(meta) -> str:
    optics = [meta.mode or "mode unknown", f"{meta.high_tension_kv} kV"]
    if meta.camera_length is not None:
        optics.append(f"camera length {meta.camera_length} (mag_total; unit undocumented)")
    elif meta.magnification is not None:
        optics.append(f"magnification {meta.magnification}")
    if meta.detector_pixel_size_nm:
        optics.append(f"detector pixel {meta.detector_pixel_size_nm} nm")
    optics.append(f"binning {meta.binning[0]}×{meta.binning[1]}")
    return wrap(optics)


def _calibration(s) -> str:
    """The calibration as given, and the axes it gives (scan step: a scan given only)."""
    items = [*s.calibration.describe()]
    items.extend(f"axis {a.name} {a.scale:g} {a.units}/pixel" for a in s.metadata.axes
                 if a.source == USER)
    if s.calibration.scan_step is not None and s.scan_given is None:
        items.append("the scan step applies once a scan is given (--scan-shape)")
    return wrap(items)


def _scan(s) -> str:
    if s.scan_given is not None:
        return s.scan_given.describe() + " (as given)"
    if s.scan is not None:
        scan = s.scan
        kw = scan.as_open_kwargs()
        return "\n".join([
            scan_options_text(scan),
            f"detected by {scan.method}: {scan.num_frames_before} frame(s) before, "
            f"{scan.num_frames_after} after, {scan.num_frames_agree} agree",
            *textwrap.wrap(cli_text(str(scan.evidence)), 84),
            "open(path, " + ", ".join(f"{k}={v!r}" for k, v in kw.items()) + ")"
            + ("" if scan.kwargs_exact else
               "  (approximate: repeated/skipped points need scan_shape='auto')")])
    if s.scan_error is not None:
        return "none detected:\n" + textwrap.fill(cli_text(s.scan_error), 84)
    return "not detected (--no-detect)"


def scan_options_text(scan) -> str:
    return describe_scan(scan.scan_shape, scan.scan_start_frame, scan.winding_scan_axis,
                         scan.hysteresis)


def anomaly_lines(checked) -> list[str]:
    lines = []
    for p in checked.problems:
        where = Path(p.path).name + (f": byte {p.offset}" if p.offset is not None else "")
        lines.extend(textwrap.wrap(cli_text(f"{where}: {p.message}"), 84,
                                   subsequent_indent="  "))
    for kind, n in checked.omitted.items():
        lines.append(f"… and {n} more {kind} problem(s) ('tvips-ks check' lists them)")
    return lines


def run(args) -> int:
    path = Path(args.path) if args.path else Path(str(example_path()))
    options = scan_options(args)
    s = summarize(path, options, detect=not args.no_detect,
                  max_anomalies=args.max_anomalies, calibration=options.calibration)
    note = ""
    if not args.path:
        note = "  (the example shipped with tvips-ks)"
    elif s.single:
        note = "  (a single file without a part number)"
    kv("series", f"{s.path}{note}")
    if s.shadowed is not None:
        kv("note", f"the numbered series was opened; {s.shadowed.name} beside it is a "
                   f"separate file (open it by renaming it, or from another directory)")
    if s.usable:
        layout = s.layout
        kv("parts", _parts(s))
        kv("frames", f"{s.num_frames} × {layout.height} × {layout.width} {layout.pixel_dtype} "
                     f"({layout.bits_per_pixel} bits per pixel, {layout.len_image} bytes "
                     f"per image)")
        kv("records", f"{layout.len_record} bytes: {layout.len_frame_header}-byte frame "
                      f"header (version {layout.version}) + image")
    kv("main header", wrap([f"{f.id}={int(s.header[f.id])}" for f in tables.MAIN_HEADER_FIELDS
                            if not f.dtype.startswith("V")]))
    shown = bytes(s.header["filler"])[:24].decode("latin-1")
    shown = "".join(c if c.isprintable() else "." for c in shown)
    kv("filler", f"{shown!r}… ({s.writer} convention)")
    if not s.usable:
        kv("anomalies", "\n".join(anomaly_lines(s.check)) or "none")
        err("the main header does not describe a readable layout")
        return EXIT_ERROR

    f = s.fields
    desc = [f"{f.len_frame_header} bytes: {f.num_known} known field(s) in bytes 0–{f.known_end}"
            + (f", {f.padding} byte(s) of padding after them" if f.padding else ", no padding")]
    if f.varying:
        desc.append("varying:  " + ", ".join(f.varying))
    if f.constant:
        desc.append("constant: " + ", ".join(constant_text(n, v) for n, v in f.constant))
    if f.zero:
        desc.append("zero:     " + ", ".join(f.zero))
    kv("frame header", "\n".join(
        line for d in desc for line in textwrap.wrap(d, 84, subsequent_indent="          ")))
    if s.times is not None and s.times.first_ms is not None:
        for key, value in _times(s.times):
            kv(key, value)
    kv("optics", _optics(s.metadata))
    if s.calibration:
        kv("calibration", _calibration(s))
    kv("scan", _scan(s))
    kv("anomalies", "\n".join(anomaly_lines(s.check)) or "none")
    return EXIT_OK
