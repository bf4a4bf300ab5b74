"""The construct mirror (generated from the spec) and the numpy bulk dtypes agree with
spec/tvips.ksy and with the Kaitai parser (issues 4, 13)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from construct import Bytes, Check, CheckError, ExprValidator, FormatField, IfThenElse

from tvips_ks.generated import Tvips
from tvips_ks.format import MAIN_HEADER_DTYPE, frame_header_dtype
from tvips_ks.generated.structs import FRAME_HEADER_FIELDS, FrameHeader, MainHeader

KSY = yaml.safe_load((Path(__file__).resolve().parent.parent / "spec" / "tvips.ksy").read_text())
KSY_SIZES = {"u4": 4, "f4": 4}


def construct_kind(sub):
    """('u4'|'f4'|'bytes[N]') of a construct field, looking through OneOf/If."""
    while isinstance(sub, (ExprValidator, IfThenElse)):
        sub = sub.subcon if isinstance(sub, ExprValidator) else sub.thensubcon
    if isinstance(sub, FormatField):
        return {"<L": "u4", "<f": "f4"}[sub.fmtstr]
    if isinstance(sub, Bytes):
        return f"bytes[{sub.length}]"
    raise AssertionError(f"unexpected construct {sub!r}")


def ksy_kind(attr):
    return attr["type"] if "type" in attr else f"bytes[{attr['size']}]"


def offsets(kinds):
    out, pos = [], 0
    for kind in kinds:
        out.append(pos)
        pos += KSY_SIZES.get(kind) or int(kind[6:-1])
    return out


def test_main_header_mirror_has_the_spec_ids_types_and_offsets():
    spec = [(a["id"], ksy_kind(a)) for a in KSY["types"]["main_header"]["seq"]]
    mirror = [(sc.name, construct_kind(sc.subcon)) for sc in MainHeader.subcons
              if not isinstance(sc, Check)]
    assert mirror == spec
    assert offsets([k for _, k in mirror]) == offsets([k for _, k in spec])
    assert MainHeader.sizeof() == 256


def test_frame_header_mirror_has_the_spec_ids_types_and_conditions():
    seq = KSY["types"]["frame_header"]["seq"]
    spec = [(a["id"], ksy_kind(a)) for a in seq if a["id"] != "padding"]
    mirror = [(name, construct_kind(sub)) for name, sub, _ in FRAME_HEADER_FIELDS]
    assert mirror == spec
    # each field's condition in the spec is "the header covers it"; the mirror
    # derives the same bound from the running offset
    for attr, offset, (_, _, end) in zip(seq, offsets([k for _, k in spec]),
                                         FRAME_HEADER_FIELDS):
        assert end == offset + 4
        if "if" in attr:
            assert attr["if"] == f"_io.size >= {end}"
    assert seq[-1]["id"] == "padding" and seq[-1]["size-eos"] is True


def header_values(len_frame_header, rng):
    values = {}
    for name, sub, _ in FRAME_HEADER_FIELDS:
        kind = construct_kind(sub)
        values[name] = (int(rng.integers(0, 2**32)) if kind == "u4"
                        else float(np.float32(rng.normal() * 100)))
    values["tem_mode"] = int(rng.integers(1, 3))
    return values


@pytest.mark.parametrize("len_frame_header", [12, 60, 62, 76, 108, 180])
def test_construct_bytes_parse_through_kaitai_and_equal_numpy_bytes(len_frame_header):
    rng = np.random.default_rng(len_frame_header)
    version = 1 if len_frame_header == 12 else 2
    main = dict(len_header=256, version=version, width=3, height=2, bits_per_pixel=16,
                offset_x=1, offset_y=2, bin_x=1, bin_y=4, pixel_size_nm=15600,
                high_tension_kv=200, mag_total=9000, len_frame_header=len_frame_header,
                filler=bytes(range(204)))
    main_bytes = MainHeader.build(main)
    # the numpy main-header dtype reads construct's bytes to the same values
    as_numpy = np.frombuffer(main_bytes, MAIN_HEADER_DTYPE)[0]
    for key, value in main.items():
        assert (bytes(as_numpy[key]) if key == "filler" else int(as_numpy[key])) == value

    frames = [header_values(len_frame_header, rng) for _ in range(3)]
    dtype = frame_header_dtype(len_frame_header, padding=True)
    bulk = np.zeros(3, dtype)
    construct_bytes = b""
    for i, values in enumerate(frames):
        present = {n: (v if n in dtype.names else None) for n, v in values.items()}
        pad = len_frame_header - max((dtype.fields[n][1] + 4 for n in dtype.names
                                      if n != "padding"), default=0)
        present["padding"] = bytes(range(pad))
        built = FrameHeader.build(present, len_frame_header=len_frame_header)
        assert len(built) == len_frame_header
        construct_bytes += built
        for n in dtype.names:
            bulk[i][n] = present[n]
    assert bulk.tobytes() == construct_bytes

    image = np.arange(6, dtype="<u2").reshape(2, 3)
    raw = main_bytes + b"".join(construct_bytes[i * len_frame_header:(i + 1) * len_frame_header]
                                + image.tobytes() for i in range(3))
    parsed = Tvips.from_bytes(raw)
    for key, value in main.items():
        assert getattr(parsed.header, key) == value
    for record, values in zip(parsed.records, frames):
        for name, value in values.items():
            if name in dtype.names:
                assert getattr(record.frame_header, name) == value, name
            else:
                assert not hasattr(record.frame_header, name)
        assert np.array_equal(np.frombuffer(record.image, "<u2").reshape(2, 3), image)


GOOD_MAIN = dict(len_header=256, version=2, width=3, height=2, bits_per_pixel=16, offset_x=0,
                 offset_y=0, bin_x=1, bin_y=1, pixel_size_nm=0, high_tension_kv=0, mag_total=0,
                 len_frame_header=60, filler=bytes(204))


@pytest.mark.parametrize("field,value", [
    ("len_header", 255), ("version", 3), ("version", 0), ("width", 0), ("height", 0),
    ("bits_per_pixel", 12), ("len_frame_header", 11)])
def test_the_mirror_refuses_what_the_kaitai_parser_refuses(field, value):
    """The generated mirror carries the spec's rules: what it cannot build, Kaitai cannot
    parse, and the reverse."""
    values = dict(GOOD_MAIN, **{field: value})
    with pytest.raises(CheckError):
        MainHeader.build(values)
    raw = MainHeader.build(GOOD_MAIN)
    damaged = np.frombuffer(raw, MAIN_HEADER_DTYPE).copy()
    damaged[field] = value
    import kaitaistruct
    with pytest.raises(kaitaistruct.ValidationFailedError):
        Tvips.MainHeader(kaitaistruct.KaitaiStream(kaitaistruct.BytesIO(damaged.tobytes())))


def test_version_1_needs_no_frame_header_size():
    MainHeader.build(dict(GOOD_MAIN, version=1, len_frame_header=0))
