"""A series' bytes field by field, as ``tvips-ks dump`` shows them.

The rows come from the position-recording parser generated from the spec
(``TvipsPos``): each field's offset and size are where the parser found it,
its type, vendor name and doc are the spec's.  Nothing here types a layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import kaitaistruct
import numpy as np
from kaitaistruct import BytesIO, KaitaiStream

from ..errors import TvipsError
from ..generated import TvipsPos, tables
from ..io.files import os_error, read_main_header_bytes
from ..io.parts import PartTable

__all__ = ["Row", "main_header_rows", "frame_header_rows", "image_row"]

_MAIN_FIELDS = {f.id: f for f in tables.MAIN_HEADER_FIELDS}
_FRAME_FIELDS = {f.id: f for f in tables.FRAME_HEADER_FIELDS}
_PADDING_DOC = {tables.FRAME_HEADER_PADDING: "Bytes after the last whole known field of the "
                "frame header (zero padding, or site- or software-specific values)."}


@dataclass(frozen=True)
class Row:
    offset: int     #: absolute offset in the file
    size: int
    type: str
    id: str
    orig_id: str
    value: object   #: a JSON value: int, float, hex string for bytes, None for the image
    doc: str
    enum: str | None = None  #: the value's name, for an enum field
    raw: object = None  #: the parsed value (bytes stay bytes)
    is_enum: bool = False

    def as_dict(self) -> dict:
        out = {"offset": self.offset, "size": self.size, "type": self.type, "id": self.id,
               "orig_id": self.orig_id, "value": self.value, "doc": self.doc}
        if self.is_enum:
            out["enum"] = self.enum
        return out


class _LenientMainHeader(TvipsPos.MainHeader):
    """Keeps the fields read before a validation failure (to show where it failed)."""

    error = None

    def _read(self):
        try:
            super()._read()
        except kaitaistruct.KaitaiStructError as err:
            self.error = err


def _json_value(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, float):
        f = float(str(np.float32(value)))
        return f if np.isfinite(f) else str(f)
    if hasattr(value, "value") and not isinstance(value, (int, float)):  # IntEnum member
        return int(value.value)
    return int(value) if isinstance(value, (int, np.integer)) else value


def _rows(obj, base: int, spec_fields: dict, default_doc: dict) -> list[Row]:
    rows = []
    for name in obj.SEQ_FIELDS:
        pos = obj._debug.get(name)
        if not pos or "end" not in pos or not hasattr(obj, name):
            continue
        value = getattr(obj, name)
        meta = spec_fields.get(name)
        size = pos["end"] - pos["start"]
        json_value = _json_value(value)
        enum = (tables.ENUMS.get(meta.enum, {}).get(int(json_value))
                if meta and meta.enum else None)
        rows.append(Row(base + pos["start"], size, meta.ksy_type if meta else f"bytes[{size}]",
                        name, meta.orig_id if meta else "", json_value,
                        meta.doc if meta else default_doc.get(name, ""), enum, value,
                        bool(meta and meta.enum)))
    return rows


def main_header_rows(path) -> tuple[list[Row], str | None]:
    """The main header of ``path`` field by field, and the spec rule it breaks (or None)."""
    main = _LenientMainHeader(KaitaiStream(BytesIO(read_main_header_bytes(path))))
    rows = _rows(main, 0, _MAIN_FIELDS, {})
    error = None
    if main.error is not None:
        error = (f"the main header does not match the spec: {main.error} (field "
                 f"{rows[-1].id if rows else '?'})")
    return rows, error


def frame_header_rows(table: PartTable, frame: int) -> list[Row]:
    """The frame header of ``frame`` field by field, at its absolute offsets."""
    part, record = table.record_offset(frame)
    size = table.layout.len_frame_header
    try:
        with open(part.path, "rb") as f:
            f.seek(record)
            raw = f.read(size)
    except OSError as err:
        raise os_error(err, part.path) from None
    if len(raw) < size:
        raise TvipsError(f"frame {frame}: the file ends inside its frame header",
                         path=part.path, offset=record + len(raw))
    return _rows(TvipsPos.FrameHeader(KaitaiStream(BytesIO(raw))), record, _FRAME_FIELDS,
                 _PADDING_DOC)


def image_row(table: PartTable, frame: int) -> Row:
    """The image of ``frame`` as one row (its bytes are not read)."""
    layout = table.layout
    _, record = table.record_offset(frame)
    return Row(record + layout.len_frame_header, layout.len_image, f"bytes[{layout.len_image}]",
               "image", "", None, f"The image: {layout.height} rows of {layout.width} "
               f"little-endian u{layout.bits_per_pixel // 8} pixels.",
               raw=f"{layout.height}×{layout.width} {layout.pixel_dtype}")
