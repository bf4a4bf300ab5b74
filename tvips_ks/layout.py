"""numpy dtypes of the TVIPS layout, built from the tables generated from the spec.

Nothing here types a byte offset: every offset and type comes from
``tvips_ks.generated.layout``, which ``spec/generate.py`` derives from
``spec/tvips.ksy``.  This module turns those tables into the structured dtypes
the bulk paths use (reading many frame headers at once, memory-mapping
records) and checks a main header against the spec's validation rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .errors import HeaderError
from .generated import layout as spec

__all__ = [
    "MAIN_HEADER_DTYPE",
    "SeriesLayout",
    "frame_header_dtype",
    "frame_header_fields",
    "validate_main_header",
]


def _dtype_of(fields, itemsize: int) -> np.dtype:
    return np.dtype({
        "names": [f.id for f in fields],
        "formats": [f.dtype for f in fields],
        "offsets": [f.offset for f in fields],
        "itemsize": itemsize,
    })


#: The 256-byte main header as one numpy record (``filler`` as raw bytes).
MAIN_HEADER_DTYPE = _dtype_of(spec.MAIN_HEADER_FIELDS, spec.LEN_MAIN_HEADER)


def frame_header_fields(len_frame_header_in_use: int):
    """The known frame-header fields that a header of this size holds whole."""
    return tuple(f for f in spec.FRAME_HEADER_FIELDS
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
        descr["names"].append(spec.FRAME_HEADER_PADDING)
        descr["formats"].append(f"V{len_frame_header_in_use - end}")
        descr["offsets"].append(end)
    return np.dtype(descr)


def _field_offset(name: str) -> int:
    return next(f.offset for f in spec.MAIN_HEADER_FIELDS if f.id == name)


def validate_main_header(header: np.void, path, *, strict: bool = True) -> None:
    """Raise :class:`HeaderError` if ``header`` breaks a rule of the spec.

    The rules are the spec's ``valid:`` keys, so the numpy path rejects
    exactly what the generated Kaitai parsers reject.  With ``strict=False``
    (``open(..., permissive=True)``) only the rules without which the records
    cannot be read are kept: ``width``, ``height`` and ``bits_per_pixel`` (a
    record of zero bytes, or of pixels that are not whole bytes, has no
    layout) and a frame header of at least 12 bytes (the counter and time
    stamps every frame header holds); ``len_header`` and an unknown
    ``version`` (read as version 2) are then tolerated.
    """
    def fail(name, message, relaxable=False):
        hint = ("; if the rest of the header looks right, open(..., permissive=True) reads the "
                "series anyway" if relaxable else "")
        raise HeaderError(f"main header field {name!r} {message}; this is not a valid TVIPS "
                          f"main header (is it the _000 part of a series?){hint}",
                          path=path, offset=_field_offset(name))

    if strict and int(header["len_header"]) != spec.LEN_MAIN_HEADER:
        fail("len_header", f"is {int(header['len_header'])}, the format requires "
                           f"{spec.LEN_MAIN_HEADER}", relaxable=True)
    version = int(header["version"])
    if strict and version not in spec.VERSIONS:
        fail("version", f"is {version}, known versions are {list(spec.VERSIONS)}",
             relaxable=True)
    if int(header["width"]) < spec.MIN_WIDTH:
        fail("width", f"is {int(header['width'])}, an image needs at least {spec.MIN_WIDTH} "
                      f"column")
    if int(header["height"]) < spec.MIN_HEIGHT:
        fail("height", f"is {int(header['height'])}, an image needs at least "
                       f"{spec.MIN_HEIGHT} row")
    bpp = int(header["bits_per_pixel"])
    if bpp not in spec.BITS_PER_PIXEL:
        fail("bits_per_pixel", f"is {bpp}, supported values are {list(spec.BITS_PER_PIXEL)}")
    if version != 1 and int(header["len_frame_header"]) < spec.MIN_LEN_FRAME_HEADER_V2:
        fail("len_frame_header", f"is {int(header['len_frame_header'])}, version {version} "
                                 f"needs at least {spec.MIN_LEN_FRAME_HEADER_V2}")


@dataclass(frozen=True)
class SeriesLayout:
    """Sizes and dtypes of one series' records, fixed by its main header."""

    version: int
    width: int
    height: int
    bits_per_pixel: int
    len_frame_header: int  # the size in use: 12 for version 1

    @classmethod
    def from_header(cls, header: np.void) -> "SeriesLayout":
        version = int(header["version"])
        return cls(
            version=version,
            width=int(header["width"]),
            height=int(header["height"]),
            bits_per_pixel=int(header["bits_per_pixel"]),
            len_frame_header=(spec.LEN_FRAME_HEADER_V1 if version == 1
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
    def header_dtype(self) -> np.dtype:
        """Frame-header fields only, spaced one record apart (for strided bulk reads)."""
        base = frame_header_dtype(self.len_frame_header)
        return np.dtype({"names": list(base.names),
                         "formats": [base.fields[n][0] for n in base.names],
                         "offsets": [base.fields[n][1] for n in base.names],
                         "itemsize": self.len_record})

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
