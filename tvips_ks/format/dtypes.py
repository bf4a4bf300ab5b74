"""numpy dtypes of the TVIPS layout, built from the tables generated from the spec.

Every offset and type comes from ``tvips_ks.generated.tables``; this module
turns them into the structured dtypes the bulk paths use (reading many frame
headers at once, memory-mapping records).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..generated import tables

__all__ = ["MAIN_HEADER_DTYPE", "RecordLayout", "frame_header_dtype", "frame_header_fields",
           "tem_mode_code", "tem_mode_name", "LEN_FILLER"]


def _dtype_of(fields, itemsize: int) -> np.dtype:
    return np.dtype({
        "names": [f.id for f in fields],
        "formats": [f.dtype for f in fields],
        "offsets": [f.offset for f in fields],
        "itemsize": itemsize,
    })


#: The 256-byte main header as one numpy record (``filler`` as raw bytes).
MAIN_HEADER_DTYPE = _dtype_of(tables.MAIN_HEADER_FIELDS, tables.LEN_MAIN_HEADER)

#: Size of the main header's filler (the bytes after the last field).
LEN_FILLER = next(f.size for f in tables.MAIN_HEADER_FIELDS if f.id == "filler")

_TEM_MODES = tables.ENUMS["tem_mode"]


def tem_mode_name(code) -> str | None:
    """``"imaging"``/``"diffraction"`` for a ``tem_mode`` value, None for any other."""
    return _TEM_MODES.get(int(code))


def tem_mode_code(name: str) -> int:
    """The ``tem_mode`` value of ``"imaging"`` or ``"diffraction"``."""
    return next(code for code, ident in _TEM_MODES.items() if ident == name)


def frame_header_fields(len_frame_header_in_use: int):
    """The known frame-header fields that a header of this size holds whole."""
    return tuple(f for f in tables.FRAME_HEADER_FIELDS
                 if f.offset + f.size <= len_frame_header_in_use)


@lru_cache(maxsize=64)
def frame_header_dtype(len_frame_header_in_use: int, *, padding: bool = False) -> np.dtype:
    """Structured dtype of one frame header of ``len_frame_header_in_use`` bytes.

    With ``padding=True`` the bytes after the last whole known field are a
    ``padding`` void field (absent when there are none).
    """
    fields = frame_header_fields(len_frame_header_in_use)
    descr = {
        "names": [f.id for f in fields],
        "formats": [f.dtype for f in fields],
        "offsets": [f.offset for f in fields],
        "itemsize": len_frame_header_in_use,
    }
    end = max((f.offset + f.size for f in fields), default=0)
    if padding and end < len_frame_header_in_use:
        descr["names"].append(tables.FRAME_HEADER_PADDING)
        descr["formats"].append(f"V{len_frame_header_in_use - end}")
        descr["offsets"].append(end)
    return np.dtype(descr)


@dataclass(frozen=True)
class RecordLayout:
    """Sizes and dtypes of one series' records, fixed by its main header."""

    version: int
    width: int
    height: int
    bits_per_pixel: int
    len_frame_header: int  # the size in use: 12 for version 1

    @classmethod
    def from_header(cls, header: np.void) -> "RecordLayout":
        """The layout a main header describes; any version but 1 reads as version 2."""
        version = int(header["version"])
        return cls(
            version=version,
            width=int(header["width"]),
            height=int(header["height"]),
            bits_per_pixel=int(header["bits_per_pixel"]),
            len_frame_header=(tables.LEN_FRAME_HEADER_V1 if version == 1
                              else int(header["len_frame_header"])),
        )

    @property
    def pixel_dtype(self) -> np.dtype:
        return np.dtype(f"<u{self.bits_per_pixel // 8}")

    @property
    def frame_shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    @property
    def len_image(self) -> int:
        return self.width * self.height * (self.bits_per_pixel // 8)

    @property
    def len_record(self) -> int:
        return self.len_frame_header + self.len_image

    @property
    def image_dtype(self) -> np.dtype:
        """The image of a record, spaced one record apart (a strided frame view)."""
        return np.dtype({"names": ["image"],
                         "formats": [(self.pixel_dtype, self.frame_shape)],
                         "offsets": [self.len_frame_header],
                         "itemsize": self.len_record})

    @property
    def record_dtype(self) -> np.dtype:
        """A whole record: the frame header (with padding) then the image."""
        base = frame_header_dtype(self.len_frame_header, padding=True)
        names = list(base.names) + ["image"]
        return np.dtype({"names": names,
                         "formats": [base.fields[n][0] for n in base.names]
                                    + [(self.pixel_dtype, self.frame_shape)],
                         "offsets": [base.fields[n][1] for n in base.names]
                                    + [self.len_frame_header],
                         "itemsize": self.len_record})
