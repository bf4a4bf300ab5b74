#!/usr/bin/env python3
"""Generate every artifact that derives from spec/tvips.ksy.

    python spec/generate.py           # regenerate generated/ and docs/format.md
    python spec/generate.py --check   # exit 1, naming the stale files, if they differ

Artifacts (all from the one .ksy, all covered by --check):

* ``generated/python/tvips.py``      the Kaitai Python parser (pinned compiler)
* ``generated/python/tvips_pos.py``  the same, recording field positions (--read-pos),
                                     for layout audits (``tvips-ks dump``)
* ``generated/python/tables.py``     the field tables (offsets, types, vendor names,
                                     validation values) that the numpy bulk path is
                                     built from, so no byte offset is typed twice and
                                     nothing parses YAML at import time
* ``generated/python/structs.py``    the construct mirror of the spec (main and frame
                                     headers with the spec's validation rules), which
                                     the writer builds headers with
* ``generated/python/__init__.py``   the package that ships as ``tvips_ks.generated``
* ``generated/javascript/Tvips.js``  the Kaitai JavaScript parser
* ``generated/javascript/TvipsPos.js``       the same, recording field positions, and
  ``generated/javascript/TvipsLayout.js``    the field tables (offsets, types, vendor
  ``generated/javascript/KaitaiStream.js``   names, docs), and the pinned npm runtime
  ``generated/javascript/KaitaiStream.LICENSE.txt``  (Apache-2.0) vendored with its
                                     licence: what the browser inspector (``web/``)
                                     loads as classic scripts, from ``file://`` too
* ``docs/format.md``                 the layout as a document

The compiler is the npm build of kaitai-struct-compiler 0.11.0, pinned in
package.json/package-lock.json (``npm ci`` installs it); ``spec/ksc.js`` is its
command line. The YAML is read by the same js-yaml the compiler is fed from, so
the layout and the parsers cannot see two different specs.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KSY = ROOT / "spec" / "tvips.ksy"
KSC = ROOT / "spec" / "ksc.js"

# Size in bytes and little-endian numpy type of each Kaitai primitive the spec uses.
PRIMITIVES = {
    "u1": (1, "<u1"), "u2": (2, "<u2"), "u4": (4, "<u4"), "u8": (8, "<u8"),
    "s1": (1, "<i1"), "s2": (2, "<i2"), "s4": (4, "<i4"), "s8": (8, "<i8"),
    "f4": (4, "<f4"), "f8": (8, "<f8"),
}
FIELD_IF = re.compile(r"^_io\.size >= (\d+)$")
LEN_FRAME_HEADER_VALID = re.compile(r"^version == 1 or _ >= (\d+)$")
FRAME_HEADER_IN_USE = re.compile(r"^version == 1 \? (\d+) : len_frame_header$")


class SpecError(Exception):
    """The .ksy does not have the shape this generator derives the layout from."""


def run_node(*args: str) -> str:
    try:
        proc = subprocess.run(["node", str(KSC), *args], cwd=ROOT, capture_output=True,
                              text=True, check=False)
    except FileNotFoundError:
        sys.exit("generate.py: node is not installed; it runs the pinned Kaitai compiler")
    if proc.returncode != 0:
        hint = ""
        if "Cannot find module" in proc.stderr:
            hint = "\n(run `npm ci` in the repository root to install the pinned compiler)"
        sys.exit(f"generate.py: node spec/ksc.js {' '.join(args)} failed:\n{proc.stderr}{hint}")
    return proc.stdout


def load_spec() -> dict:
    return json.loads(run_node("--dump-json", str(KSY)))


# --------------------------------------------------------------------------- layout


def field_table(type_spec: dict, type_name: str) -> list[dict]:
    """Walk a type's seq of fixed-size fields and give each its offset."""
    fields, offset = [], 0
    for index, attr in enumerate(type_spec["seq"]):
        where = f"/types/{type_name}/seq/{index}"
        if attr.get("size-eos"):
            fields.append(dict(id=attr["id"], offset=offset, size=None, ksy_type="bytes",
                               dtype=None, orig_id=attr.get("-orig-id"),
                               doc=attr.get("doc", "").strip(), condition=None, valid=None,
                               enum=None))
            continue
        if "type" in attr and attr["type"] in PRIMITIVES:
            size, dtype = PRIMITIVES[attr["type"]]
            ksy_type = attr["type"]
        elif isinstance(attr.get("size"), int) and "type" not in attr:
            size, dtype, ksy_type = attr["size"], f"V{attr['size']}", f"bytes[{attr['size']}]"
        else:
            raise SpecError(f"{where}: only fixed-size primitives and byte arrays can be laid out")
        condition = attr.get("if")
        if condition is not None:
            match = FIELD_IF.match(condition)
            if not match or int(match.group(1)) != offset + size:
                raise SpecError(f"{where}: `if` must be `_io.size >= {offset + size}` "
                                f"(the field exists when the header covers it), got {condition!r}")
        fields.append(dict(id=attr["id"], offset=offset, size=size, ksy_type=ksy_type,
                           dtype=dtype, orig_id=attr.get("-orig-id"),
                           doc=attr.get("doc", "").strip(), condition=condition,
                           valid=attr.get("valid"), enum=attr.get("enum")))
        offset += size
    return fields


def derive_layout(spec: dict) -> dict:
    types = spec["types"]
    main = field_table(types["main_header"], "main_header")
    frame = field_table(types["frame_header"], "frame_header")
    by_id = {f["id"]: f for f in main}

    len_main = sum(f["size"] for f in main)
    if by_id["len_header"]["valid"] != len_main:
        raise SpecError(f"main_header is {len_main} bytes but len_header is validated as "
                        f"{by_id['len_header']['valid']!r}")
    known = [f for f in frame if f["size"] is not None]
    v1 = [f for f in known if f["condition"] is None]
    len_v1 = sum(f["size"] for f in v1)
    in_use = types["main_header"]["instances"]["len_frame_header_in_use"]["value"]
    match = FRAME_HEADER_IN_USE.match(in_use)
    if not match or int(match.group(1)) != len_v1:
        raise SpecError(f"len_frame_header_in_use must be `version == 1 ? {len_v1} : "
                        f"len_frame_header`, got {in_use!r}")
    match = LEN_FRAME_HEADER_VALID.match(by_id["len_frame_header"]["valid"]["expr"])
    if not match:
        raise SpecError("len_frame_header must be validated as `version == 1 or _ >= N`")
    len_core = types["frame_header"].get("instances", {}).get("len_core", {}).get("value")
    if not isinstance(len_core, int) or len_core not in {f["offset"] + f["size"] for f in known}:
        raise SpecError(f"frame_header needs an instance len_core whose value is the end of a "
                        f"field, got {len_core!r}")
    enums = {
        name: {int(k): (v["id"], v.get("doc", "").strip()) if isinstance(v, dict) else (v, "")
               for k, v in values.items()}
        for name, values in spec.get("enums", {}).items()
    }
    return dict(
        main=main, frame=frame, enums=enums, len_main=len_main, len_v1=len_v1,
        min_len_frame_header_v2=int(match.group(1)), len_core=len_core,
        versions=tuple(by_id["version"]["valid"]["any-of"]),
        bits_per_pixel=tuple(by_id["bits_per_pixel"]["valid"]["any-of"]),
        min_width=by_id["width"]["valid"]["min"], min_height=by_id["height"]["valid"]["min"],
        title=spec["meta"]["title"],
        doc=spec.get("doc", "").strip(),
        image_doc=next(a for a in types["record"]["seq"] if a["id"] == "image")["doc"].strip(),
        sources=sources(spec),
    )


def doc_refs(node: dict) -> list[str]:
    """A node's ``doc-ref`` as a list (Kaitai allows one string or a list)."""
    refs = node.get("doc-ref", [])
    return [refs] if isinstance(refs, str) else list(refs)


def markdown_ref(ref: str) -> str:
    """``URL description`` as a Markdown link; a bare URL as an autolink."""
    url, _, text = ref.strip().partition(" ")
    if not url.startswith(("http://", "https://")):
        return ref.strip()
    return f"[{text.strip()}]({url})" if text.strip() else f"<{url}>"


def sources(spec: dict) -> list[tuple[str, list[str]]]:
    """(where, refs) for the spec itself and every seq attribute that has a doc-ref."""
    found = [("the format", doc_refs(spec))] if doc_refs(spec) else []
    for type_name, type_spec in spec.get("types", {}).items():
        for attr in type_spec.get("seq", []):
            if doc_refs(attr):
                found.append((f"`{type_name}.{attr['id']}`", doc_refs(attr)))
    return found


def first_paragraph(doc: str) -> str:
    return " ".join(doc.split("\n\n")[0].split())


def render_layout_module(layout: dict) -> str:
    def fields(rows):
        out = []
        for f in rows:
            if f["size"] is None:
                continue
            out.append(f"    Field({f['id']!r}, {f['orig_id']!r}, {f['offset']}, {f['size']}, "
                       f"{f['ksy_type']!r}, {f['dtype']!r}, {f['enum']!r},\n"
                       f"          {first_paragraph(f['doc'])!r}),")
        return "\n".join(out)

    padding = [f for f in layout["frame"] if f["size"] is None]
    enums = "\n".join(
        f"    {name!r}: {{{', '.join(f'{k}: {v[0]!r}' for k, v in values.items())}}},"
        for name, values in layout["enums"].items())
    return f'''"""Field tables of the TVIPS format, generated from spec/tvips.ksy.

Generated by spec/generate.py: do not edit. Offsets and sizes are in bytes;
``dtype`` is the little-endian numpy type of the field.
"""

from typing import NamedTuple


class Field(NamedTuple):
    id: str
    orig_id: str
    offset: int
    size: int
    ksy_type: str
    dtype: str
    enum: str
    doc: str


#: The main header at the start of the ``_000`` file.
MAIN_HEADER_FIELDS = (
{fields(layout["main"])}
)

#: Every known frame-header field; a field exists in a series when its
#: ``offset + size`` is at most the series' frame-header size.
FRAME_HEADER_FIELDS = (
{fields(layout["frame"])}
)

#: Name of the field that holds the bytes after the last whole known field.
FRAME_HEADER_PADDING = {padding[0]["id"]!r}

LEN_MAIN_HEADER = {layout["len_main"]}
LEN_FRAME_HEADER_V1 = {layout["len_v1"]}
#: The version 2 frame header every known reader understands (HyperSpy writes this size).
LEN_FRAME_HEADER_CORE = {layout["len_core"]}
MIN_LEN_FRAME_HEADER_V2 = {layout["min_len_frame_header_v2"]}
VERSIONS = {layout["versions"]!r}
BITS_PER_PIXEL = {layout["bits_per_pixel"]!r}
MIN_WIDTH = {layout["min_width"]}
MIN_HEIGHT = {layout["min_height"]}

ENUMS = {{
{enums}
}}
'''


CONSTRUCT_TYPES = {"u4": "Int32ul", "f4": "Float32l"}


def _construct_checks(f: dict) -> list[str]:
    """The construct form of a field's `valid` rule (the forms this spec uses)."""
    valid = f["valid"]
    if valid is None:
        return []
    if isinstance(valid, int):
        return [f"Check(this.{f['id']} == {valid})"]
    if "any-of" in valid:
        return [f"Check(lambda ctx: ctx.{f['id']} in {tuple(valid['any-of'])!r})"]
    if "min" in valid:
        return [f"Check(this.{f['id']} >= {valid['min']})"]
    match = LEN_FRAME_HEADER_VALID.match(valid.get("expr", ""))
    if match:
        return [f"Check((this.version == 1) | (this.{f['id']} >= {match.group(1)}))"]
    raise SpecError(f"{f['id']}: no construct form for the rule {valid!r}")


def render_structs_module(layout: dict) -> str:
    def kind(f):
        if f["ksy_type"] in CONSTRUCT_TYPES:
            return CONSTRUCT_TYPES[f["ksy_type"]]
        if f["ksy_type"].startswith("bytes["):
            return f"Bytes({f['size']})"
        raise SpecError(f"{f['id']}: no construct type for {f['ksy_type']}")

    main = []
    for f in layout["main"]:
        main.append(f"    {f['id']!r} / {kind(f)},")
        main.extend(f"    {check}," for check in _construct_checks(f))
    known = [f for f in layout["frame"] if f["size"] is not None]
    frame = "\n".join(f"    ({f['id']!r}, {kind(f)}, {f['offset'] + f['size']})," for f in known)
    padding = next(f["id"] for f in layout["frame"] if f["size"] is None)
    return f'''"""construct mirror of spec/tvips.ksy: the headers as declarative structs, for writing.

Generated by spec/generate.py: do not edit. The fields, their order, types and
validation rules are the spec's; build and parse with construct.
"""

from construct import Bytes, Check, Float32l, If, Int32ul, Struct, this

__all__ = ["MainHeader", "FrameHeader", "FRAME_HEADER_FIELDS"]

#: The main header; building it checks the spec's validation rules.
MainHeader = Struct(
{chr(10).join(main)}
)

#: (id, construct type, end offset) of every known frame-header field, in spec order.
FRAME_HEADER_FIELDS = (
{frame}
)


def known_end(len_frame_header: int) -> int:
    """End of the last whole known field in a frame header of this size."""
    return max((end for _, _, end in FRAME_HEADER_FIELDS if end <= len_frame_header), default=0)


#: A frame header: build or parse with ``len_frame_header=`` the size in use
#: (12 for version 1); a field exists when the header holds it whole (absent: None),
#: and the bytes after the last whole field are ``{padding}``.
FrameHeader = Struct(
    *(name / If(this._params.len_frame_header >= end, sub) for name, sub, end in FRAME_HEADER_FIELDS),
    {padding!r} / Bytes(lambda ctx: ctx._params.len_frame_header - known_end(ctx._params.len_frame_header)),
)
'''


INIT_MODULE = '''"""Readers generated from spec/tvips.ksy by the Kaitai Struct compiler 0.11.0.

Generated by spec/generate.py: do not edit.

* ``Tvips``: the Kaitai parser (``Tvips.from_file(path_000)``, and
  ``Tvips.ContinuationPart(main_header, KaitaiStream(f))`` for ``_001``, …).
* ``TvipsPos``: the same parser recording each field's byte range in ``_debug``.
* ``tables``: the field tables the numpy bulk path is built from.
* ``structs``: the construct mirror the writer builds headers with.

The parsers and construct are imported on first use, so importing the tables
costs nothing more than the tables.
"""

from . import tables

__all__ = ["Tvips", "TvipsPos", "tables", "structs"]


def __getattr__(name):
    if name == "Tvips":
        from .tvips import Tvips

        return Tvips
    if name == "TvipsPos":
        from .tvips_pos import Tvips as TvipsPos

        return TvipsPos
    if name == "structs":
        from . import structs

        return structs
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
'''


def render_format_doc(layout: dict, compiler_version: str) -> str:
    def table(rows):
        lines = ["| offset | size | type | id | original name | description |",
                 "| ---: | ---: | --- | --- | --- | --- |"]
        for f in rows:
            size = f["size"] if f["size"] is not None else "rest"
            ksy_type = f["ksy_type"] + (f" (enum `{f['enum']}`)" if f["enum"] else "")
            doc = " ".join(f["doc"].split()).replace("|", "\\|")
            lines.append(f"| {f['offset']} | {size} | {ksy_type} | `{f['id']}` | "
                         f"{f['orig_id'] or ''} | {doc} |")
        return "\n".join(lines)

    source_lines = []
    for where, refs in layout["sources"]:
        source_lines.append(f"- {where}: " + "; ".join(markdown_ref(r) for r in refs))

    enum_lines = []
    for name, values in layout["enums"].items():
        enum_lines.append(f"`{name}`:\n")
        for k, (ident, doc) in values.items():
            enum_lines.append(f"- {k} `{ident}`: {doc}")
    return f"""# TVIPS stream format: byte layout

Generated from `spec/tvips.ksy` by `spec/generate.py` ({compiler_version}); do not edit.
All values are little-endian and packed.

{layout["doc"]}

## Files

A series is `name_000.tvips`, `name_001.tvips`, …, or one file `name.tvips`
without a part number, laid out like a `_000` file. Only `_000` (or the single
file) starts with the {layout["len_main"]}-byte main header. Every file then
holds whole records; a record is
a frame header followed by an image of `height` rows of `width` pixels, each an
unsigned integer of `bits_per_pixel / 8` bytes. Record size:
`len_frame_header_in_use + width * height * bits_per_pixel / 8`, where
`len_frame_header_in_use` is {layout["len_v1"]} for version 1 and `len_frame_header`
for version 2.

Frame *k* of a file starts at `{layout["len_main"]} + k * len_record` in `_000`
and at `k * len_record` in the other files.

{" ".join(layout["image_doc"].split())}

## Main header ({layout["len_main"]} bytes, `_000` or the single file only)

{table(layout["main"])}

Validation: `len_header` = {layout["len_main"]}; `version` in {list(layout["versions"])};
`width` ≥ {layout["min_width"]}; `height` ≥ {layout["min_height"]}; `bits_per_pixel` in
{list(layout["bits_per_pixel"])}; for version 2, `len_frame_header` ≥
{layout["min_len_frame_header_v2"]}.

## Frame header

Version 1: the first {layout["len_v1"]} bytes below. Version 2: `len_frame_header`
bytes; a field exists only when the header holds it whole (offset + size ≤
`len_frame_header`), and the bytes after the last whole field are `padding`.

{table(layout["frame"])}

## Enums

{chr(10).join(enum_lines)}

## Sources

{chr(10).join(source_lines)}
"""


# --------------------------------------------------------------------------- browser

#: Where the pinned npm JavaScript runtime lives (``npm ci`` installs it).
KAITAI_JS_RUNTIME = ROOT / "node_modules" / "kaitai-struct"


def js_name(ident: str) -> str:
    """The Kaitai compiler's JavaScript name of a snake_case id (lower camel case)."""
    head, *rest = ident.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def _js_field(f: dict) -> dict:
    return {"id": f["id"], "jsName": js_name(f["id"]), "origId": f["orig_id"] or "",
            "offset": f["offset"], "size": f["size"], "ksyType": f["ksy_type"],
            "dtype": f["dtype"], "enum": f["enum"], "doc": first_paragraph(f["doc"]),
            "docFull": " ".join(f["doc"].split())}


def render_js_layout_module(spec: dict, layout: dict, pos_js: str, compiler_version: str) -> str:
    """``TvipsLayout.js``: the field tables for the browser, as a UMD classic script.

    Every ``jsName`` is checked against the position-recording parser the same
    spec compiled to, so the page can look a field up in the parser's
    ``_debug`` and in these tables by the same name.
    """
    types = spec["types"]
    instances = [{"id": name, "jsName": js_name(name),
                  "doc": " ".join(inst.get("doc", "").split())}
                 for name, inst in types["main_header"].get("instances", {}).items()]
    record = {attr["id"]: {"id": attr["id"], "jsName": js_name(attr["id"]),
                           "doc": " ".join(attr.get("doc", "").split())}
              for attr in types["record"]["seq"]}
    tables = {
        "title": layout["title"],
        "compiler": compiler_version,
        "mainHeaderFields": [_js_field(f) for f in layout["main"]],
        "frameHeaderFields": [_js_field(f) for f in layout["frame"]],
        "framePadding": next(f["id"] for f in layout["frame"] if f["size"] is None),
        "mainHeaderInstances": instances,
        "record": record,
        "typeDocs": {name: " ".join(t.get("doc", "").split()) for name, t in types.items()},
        "lenMainHeader": layout["len_main"],
        "lenFrameHeaderV1": layout["len_v1"],
        "minLenFrameHeaderV2": layout["min_len_frame_header_v2"],
        "versions": list(layout["versions"]),
        "bitsPerPixel": list(layout["bits_per_pixel"]),
        "minWidth": layout["min_width"],
        "minHeight": layout["min_height"],
        "enums": {name: {str(k): {"id": v[0], "doc": " ".join(v[1].split())}
                         for k, v in values.items()}
                  for name, values in layout["enums"].items()},
    }
    for f in tables["mainHeaderFields"] + tables["frameHeaderFields"]:
        if f"this._debug.{f['jsName']} = " not in pos_js:
            raise SpecError(f"field {f['id']}: the compiled parser has no position record "
                            f"`_debug.{f['jsName']}`; js_name() no longer matches the compiler")
    for inst in instances:
        if f"'{inst['jsName']}', {{" not in pos_js:
            raise SpecError(f"instance {inst['id']}: the compiled parser has no property "
                            f"{inst['jsName']!r}")
    body = json.dumps(tables, indent=1, ensure_ascii=False)
    return f"""// Field tables of the TVIPS format, generated from spec/tvips.ksy by spec/generate.py
// ({compiler_version}): do not edit. Offsets and sizes are in bytes; `jsName` is the
// name the generated parser (Tvips.js, TvipsPos.js) gives a field; `doc` is the first
// paragraph of the spec's doc, `docFull` all of it.
(function (root, factory) {{
  if (typeof module === 'object' && module.exports) {{
    module.exports = factory();
  }} else {{
    root.TvipsLayout = factory();
  }}
}})(typeof self !== 'undefined' ? self : this, function () {{
  'use strict';
  return {body};
}});
"""


def write_browser_artifacts(out: Path, spec: dict, layout: dict, compiler_version: str) -> None:
    """The browser inspector's generated scripts, under ``out/generated/javascript``."""
    runtime = KAITAI_JS_RUNTIME / "KaitaiStream.js"
    if not runtime.is_file():
        sys.exit(f"generate.py: {runtime.relative_to(ROOT)} is missing (run `npm ci` in the "
                 f"repository root to install the pinned runtime)")
    version = json.loads((KAITAI_JS_RUNTIME / "package.json").read_text())["version"]
    if version != "0.11.0":
        sys.exit(f"generate.py: node_modules/kaitai-struct is {version}, not the pinned 0.11.0 "
                 f"(run `npm ci`)")
    js_dir = out / "generated" / "javascript"
    js_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        run_node("-t", "javascript", "--read-pos", "-d", tmp, str(KSY))
        pos_js = (Path(tmp) / "Tvips.js").read_text()
    (js_dir / "TvipsPos.js").write_text(pos_js)
    (js_dir / "TvipsLayout.js").write_text(
        render_js_layout_module(spec, layout, pos_js, compiler_version))
    shutil.copyfile(runtime, js_dir / "KaitaiStream.js")
    shutil.copyfile(KAITAI_JS_RUNTIME / "LICENSE", js_dir / "KaitaiStream.LICENSE.txt")


# --------------------------------------------------------------------------- outputs


def generate_into(out: Path) -> list[Path]:
    """Write every artifact under ``out`` (laid out like the repository)."""
    spec = load_spec()
    layout = derive_layout(spec)
    compiler_version = run_node("--version").strip()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # --warnings: the kaitai_struct_formats style guide's naming rules are errors here
        run_node("-t", "python", "--warnings", "-d", str(tmp / "py"), str(KSY))
        run_node("-t", "python", "--read-pos", "-d", str(tmp / "pypos"), str(KSY))
        run_node("-t", "javascript", "-d", str(tmp / "js"), str(KSY))
        py_dir = out / "generated" / "python"
        js_dir = out / "generated" / "javascript"
        py_dir.mkdir(parents=True, exist_ok=True)
        js_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp / "py" / "tvips.py", py_dir / "tvips.py")
        shutil.copyfile(tmp / "pypos" / "tvips.py", py_dir / "tvips_pos.py")
        shutil.copyfile(tmp / "js" / "Tvips.js", js_dir / "Tvips.js")
    (py_dir / "tables.py").write_text(render_layout_module(layout))
    (py_dir / "structs.py").write_text(render_structs_module(layout))
    (py_dir / "__init__.py").write_text(INIT_MODULE)
    docs = out / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "format.md").write_text(render_format_doc(layout, compiler_version))
    write_browser_artifacts(out, spec, layout, compiler_version)
    return sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed files instead of writing them")
    args = parser.parse_args(argv)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            produced = generate_into(Path(tmp))
            if not args.check:
                for rel in produced:
                    (ROOT / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(Path(tmp) / rel, ROOT / rel)
                    print(rel)
                return 0
            stale = [rel for rel in produced
                     if not (ROOT / rel).is_file()
                     or (ROOT / rel).read_bytes() != (Path(tmp) / rel).read_bytes()]
            extra = sorted(
                p.relative_to(ROOT) for p in (ROOT / "generated").rglob("*")
                if p.is_file() and "__pycache__" not in p.parts
                and p.relative_to(ROOT) not in produced)
    except SpecError as err:
        print(f"generate.py: {KSY.relative_to(ROOT)}: {err}", file=sys.stderr)
        return 1
    for rel in stale:
        print(f"stale: {rel} (run `python spec/generate.py`)", file=sys.stderr)
    for rel in extra:
        print(f"not generated from the spec: {rel}", file=sys.stderr)
    if stale or extra:
        return 1
    print(f"generated files match {KSY.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
