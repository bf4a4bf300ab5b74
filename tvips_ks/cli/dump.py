"""``tvips-ks dump PATH``: the byte layout of the headers, field by field, from the spec."""

from __future__ import annotations

import json
import re
import sys
import warnings

from ..audit.dump import frame_header_rows, image_row, main_header_rows
from ..dataset import TvipsDataset
from ..errors import ArgumentError, TvipsWarning
from ..generated import tables
from ..io.naming import find_parts
from .common import EXIT_ERROR, EXIT_OK, err, fmt_float, out


def add_parser(sub):
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
    p.set_defaults(func=run)


def frame_selection(text: str, n: int) -> list[int]:
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


def _text_value(row) -> str:
    value = row.raw
    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
        if not raw:
            return "(none)"
        if not any(raw):
            return f"{len(raw)} zero bytes"
        preview = "".join(chr(b) if 32 <= b < 127 else "." for b in raw[:20])
        return f"'{preview}{'…' if len(raw) > 20 else ''}'"
    if row.enum:
        return f"{row.value} ({row.enum})"
    if isinstance(value, float):
        return fmt_float(value)
    return str(row.value if row.value is not None else value)


def _first_sentence(doc: str) -> str:
    match = re.search(r"(?<!e\.g)(?<!i\.e)\.(\s|$)", doc)
    return doc[:match.start() + 1] if match else doc


def _print_table(title: str, rows, error: str | None = None) -> None:
    out(title)
    head = ("offset", "size", "type", "id", "original name", "value", "doc")
    cells = [(str(r.offset), str(r.size), r.type, r.id, r.orig_id, _text_value(r),
              _first_sentence(r.doc)) for r in rows]
    widths = [max(len(c[i]) for c in [head, *cells]) for i in range(6)]
    right = (True, True, False, False, False, False)

    def fmt(c):
        parts = [(c[i].rjust(widths[i]) if right[i] else c[i].ljust(widths[i]))
                 for i in range(6)]
        return ("  " + "  ".join(parts) + "  " + c[6]).rstrip()

    out(fmt(head))
    for c in cells:
        out(fmt(c))
    if error:
        out(f"  !! {error}")
    out()


def _print_json(result) -> None:
    json.dump(result, sys.stdout, indent=1, allow_nan=False)
    sys.stdout.write("\n")


def run(args) -> int:
    first = find_parts(args.path).first
    main_rows, error = main_header_rows(first)
    main = {"path": str(first), "start": 0, "end": tables.LEN_MAIN_HEADER,
            "fields": [r.as_dict() for r in main_rows]}
    result = {"path": str(first), "main_header": main, "frames": []}
    if error is not None:
        result["error"] = error
        if args.json:
            _print_json(result)
        else:
            _print_table(f"main header: {first.name}, bytes 0–{tables.LEN_MAIN_HEADER}",
                         main_rows, error)
        err(f"{first}: {error}")
        return EXIT_ERROR

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TvipsWarning)
        ds = TvipsDataset(args.path, permissive=True)
    layout, table = ds.layout, ds.table
    frames = frame_selection(args.frames, ds.num_frames)
    result["layout"] = {"version": layout.version, "width": layout.width,
                        "height": layout.height, "bits_per_pixel": layout.bits_per_pixel,
                        "len_frame_header": layout.len_frame_header,
                        "len_image": layout.len_image, "len_record": layout.len_record,
                        "num_frames": ds.num_frames, "parts": [str(p.path) for p in ds.files]}
    if not args.json and not args.no_main_header:
        _print_table(f"main header: {first.name}, bytes 0–{tables.LEN_MAIN_HEADER} "
                     f"(version {layout.version}, record {layout.len_record} bytes = "
                     f"{layout.len_frame_header}-byte frame header + "
                     f"{layout.len_image}-byte image)", main_rows)
    for k in frames:
        part, record = table.record_offset(k)
        rows = frame_header_rows(table, k) + [image_row(table, k)]
        if args.json:
            result["frames"].append({"frame": k, "path": str(part.path), "part": part.index,
                                     "record_offset": record,
                                     "record_size": layout.len_record,
                                     "fields": [r.as_dict() for r in rows]})
        else:
            _print_table(f"frame {k}: {part.path.name}, record bytes {record}–"
                         f"{record + layout.len_record} (frame {k - part.first_frame} of "
                         f"this part)", rows)
    if args.json:
        if args.no_main_header:
            del result["main_header"]
        _print_json(result)
    return EXIT_OK
