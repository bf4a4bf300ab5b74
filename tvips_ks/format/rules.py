"""The spec's rules for a main header, at two levels.

The rules are the spec's ``valid:`` keys (through the generated tables), so
the numpy path rejects exactly what the generated Kaitai parsers reject.

* strict (the default of ``open``): every rule;
* permissive (``open(..., permissive=True)``): only the rules without which
  the records have no layout: ``width`` and ``height`` of at least one pixel,
  whole-byte pixels of a known size, and a version 2 frame header that holds
  at least the counter and time stamps.  A wrong ``len_header`` and an
  unknown ``version`` (read as version 2) are then tolerated.

``open``, ``check``, ``info`` and ``dump`` all judge a header here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import HeaderError
from ..generated import tables

__all__ = ["Violation", "header_violations", "layout_usable", "validate_main_header"]

_OFFSETS = {f.id: f.offset for f in tables.MAIN_HEADER_FIELDS}


@dataclass(frozen=True)
class Violation:
    """One broken rule of a main header."""

    field: str
    message: str
    needed_for_layout: bool  #: broken even at the permissive level

    @property
    def offset(self) -> int:
        return _OFFSETS[self.field]

    def text(self) -> str:
        hint = ("" if self.needed_for_layout else
                "; if the rest of the header looks right, permissive=True reads the series "
                "anyway")
        return (f"main header field {self.field!r} {self.message}; this is not a valid TVIPS "
                f"main header (is it the _000 part of a series?){hint}")


def header_violations(header: np.void) -> list[Violation]:
    """Every rule of the spec that ``header`` breaks, in field order."""
    out = []
    value = {name: int(header[name]) for name in
             ("len_header", "version", "width", "height", "bits_per_pixel", "len_frame_header")}
    if value["len_header"] != tables.LEN_MAIN_HEADER:
        out.append(Violation("len_header", f"is {value['len_header']}, the format requires "
                                           f"{tables.LEN_MAIN_HEADER}", False))
    if value["version"] not in tables.VERSIONS:
        out.append(Violation("version", f"is {value['version']}, known versions are "
                                        f"{list(tables.VERSIONS)}", False))
    if value["width"] < tables.MIN_WIDTH:
        out.append(Violation("width", f"is {value['width']}, an image needs at least "
                                      f"{tables.MIN_WIDTH} column", True))
    if value["height"] < tables.MIN_HEIGHT:
        out.append(Violation("height", f"is {value['height']}, an image needs at least "
                                       f"{tables.MIN_HEIGHT} row", True))
    if value["bits_per_pixel"] not in tables.BITS_PER_PIXEL:
        out.append(Violation("bits_per_pixel", f"is {value['bits_per_pixel']}, supported values "
                                               f"are {list(tables.BITS_PER_PIXEL)}", True))
    if value["version"] != 1 and value["len_frame_header"] < tables.MIN_LEN_FRAME_HEADER_V2:
        out.append(Violation("len_frame_header", f"is {value['len_frame_header']}, version "
                                                 f"{value['version']} needs at least "
                                                 f"{tables.MIN_LEN_FRAME_HEADER_V2}", True))
    return out


def layout_usable(header: np.void) -> bool:
    """Whether the records' layout can be computed from this header (the permissive level)."""
    return not any(v.needed_for_layout for v in header_violations(header))


def validate_main_header(header: np.void, path, *, permissive: bool = False) -> None:
    """Raise :class:`HeaderError` for the first rule ``header`` breaks at this level."""
    for v in header_violations(header):
        if v.needed_for_layout or not permissive:
            raise HeaderError(v.text(), path=path, offset=v.offset)
