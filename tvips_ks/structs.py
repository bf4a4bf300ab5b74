"""A ``construct`` mirror of spec/tvips.ksy, for writing.

It restates the spec field for field, in the spec's order, with the spec's
ids; ``tests/test_structs.py`` reads the .ksy and proves the two agree (ids,
order, types, offsets), and that bytes built here parse through the generated
Kaitai parser to the same values.  The writer builds the main header here; it
writes frame headers in bulk with the numpy dtypes from ``layout`` (construct
builds ~50k headers/s, numpy millions), and the same test checks those bytes
against this mirror too.
"""

from __future__ import annotations

from construct import Bytes, Check, Float32l, If, Int32ul, OneOf, Struct, this

__all__ = ["MainHeader", "FrameHeader", "FRAME_HEADER_FIELDS"]

MainHeader = Struct(
    "len_header" / Int32ul,
    Check(this.len_header == 256),
    "version" / OneOf(Int32ul, [1, 2]),
    "width" / Int32ul,
    Check(this.width >= 1),
    "height" / Int32ul,
    Check(this.height >= 1),
    "bits_per_pixel" / OneOf(Int32ul, [8, 16, 32]),
    "offset_x" / Int32ul,
    "offset_y" / Int32ul,
    "bin_x" / Int32ul,
    "bin_y" / Int32ul,
    "pixel_size_nm" / Int32ul,
    "high_tension_kv" / Int32ul,
    "mag_total" / Int32ul,
    "len_frame_header" / Int32ul,
    Check((this.version == 1) | (this.len_frame_header >= 12)),
    "filler" / Bytes(204),
)

# The frame header: (id, type) in spec order.  A field exists when the
# header, ``len_frame_header`` bytes (12 in version 1), holds it whole.
FRAME_HEADER_FIELDS = (
    ("counter", Int32ul),
    ("timestamp_s", Int32ul),
    ("timestamp_ms", Int32ul),
    ("lut_index", Int32ul),
    ("faraday", Float32l),
    ("tem_magnification", Int32ul),
    ("tem_mode", Int32ul),
    ("stage_x", Float32l),
    ("stage_y", Float32l),
    ("stage_z", Float32l),
    ("stage_alpha", Float32l),
    ("stage_beta", Float32l),
    ("rotator_index", Int32ul),
    ("dens_temperature", Float32l),
    ("dens_temperature_setpoint", Float32l),
    ("dens_power", Float32l),
    ("objective_current", Float32l),
    ("scan_x", Float32l),
    ("scan_y", Float32l),
    ("dens_bias_u_setpoint", Float32l),
    ("dens_bias_u", Float32l),
    ("dens_bias_i_setpoint", Float32l),
    ("dens_bias_i", Float32l),
    ("dens_bias_e_setpoint", Float32l),
    ("dens_bias_r", Float32l),
    ("dens_bias_limit_u", Float32l),
    ("dens_bias_limit_i", Float32l),
)


def _known_end(len_frame_header: int) -> int:
    """End of the last whole known field in a header of this size."""
    end = 0
    for _, sub in FRAME_HEADER_FIELDS:
        if end + sub.sizeof() > len_frame_header:
            break
        end += sub.sizeof()
    return end


def _frame_header() -> Struct:
    members, end = [], 0
    for name, sub in FRAME_HEADER_FIELDS:
        end += sub.sizeof()
        members.append(name / If(this._params.len_frame_header >= end, sub))
    members.append("padding" / Bytes(
        lambda ctx: ctx._params.len_frame_header - _known_end(ctx._params.len_frame_header)))
    return Struct(*members)


#: Build or parse with ``len_frame_header=`` the size in use (12 for version 1);
#: absent fields are ``None``.
FrameHeader = _frame_header()
