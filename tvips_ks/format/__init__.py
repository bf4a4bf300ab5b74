"""What the spec says, in the forms the library uses.

* :mod:`.dtypes`: numpy dtypes of the main header, frame headers and records,
  and :class:`RecordLayout`, the sizes a main header fixes;
* :mod:`.rules`: the spec's rules for a main header, at a strict and a
  permissive level.

Everything here is built from ``tvips_ks.generated.tables`` (generated from
spec/tvips.ksy); no byte offset or rule is typed here.
"""

from .dtypes import (LEN_FILLER, MAIN_HEADER_DTYPE, RecordLayout, frame_header_dtype,
                     frame_header_fields, tem_mode_code, tem_mode_name)
from .rules import header_violations, layout_usable, validate_main_header

__all__ = ["LEN_FILLER", "MAIN_HEADER_DTYPE", "RecordLayout", "frame_header_dtype", "frame_header_fields",
           "tem_mode_code", "tem_mode_name", "header_violations", "layout_usable",
           "validate_main_header"]
