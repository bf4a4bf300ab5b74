"""spec/tvips.ksy, the generator and the generated parsers (issue 2)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml
from kaitaistruct import KaitaiStream, ValidationExprError, ValidationNotAnyOfError, \
    ValidationNotEqualError

from builders import Series

from tvips_ks.generated import Tvips, TvipsPos, tables as layout

ROOT = Path(__file__).resolve().parent.parent
KSY = ROOT / "spec" / "tvips.ksy"

MAIN_IDS = ["len_header", "version", "width", "height", "bits_per_pixel", "offset_x",
            "offset_y", "bin_x", "bin_y", "pixel_size_nm", "high_tension_kv", "mag_total",
            "len_frame_header", "filler"]


@pytest.fixture(scope="module")
def ksy():
    return yaml.safe_load(KSY.read_text())


# ----------------------------------------------------------------------------- the spec


def test_meta_follows_the_style_guide(ksy):
    meta = ksy["meta"]
    assert list(meta)[:1] == ["id"] and meta["id"] == KSY.stem
    for key in ("title", "file-extension", "license", "ks-version", "endian"):
        assert key in meta, key
    assert meta["endian"] == "le"
    assert str(meta["ks-version"]) == "0.11"


def test_every_type_and_field_has_a_doc_and_snake_case_id(ksy):
    def check(where, attrs):
        for attr in attrs:
            assert attr.get("doc"), f"{where}/{attr['id']} has no doc"
            assert re.fullmatch(r"[a-z][a-z0-9_]*", attr["id"]), attr["id"]

    check("/seq", ksy["seq"])
    for name, spec in ksy["types"].items():
        assert spec.get("doc"), f"type {name} has no doc"
        check(f"/types/{name}/seq", spec.get("seq", []))
        check(f"/types/{name}/params", spec.get("params", []))
        for inst, ispec in spec.get("instances", {}).items():
            assert ispec.get("doc"), f"{name}.{inst} has no doc"


def test_main_header_ids_and_vendor_names(ksy):
    seq = ksy["types"]["main_header"]["seq"]
    assert [a["id"] for a in seq] == MAIN_IDS
    orig = {a["id"]: a.get("-orig-id") for a in seq}
    assert orig["len_header"] == "ISize" and orig["width"] == "IXDim"
    assert orig["height"] == "IYDim" and orig["len_frame_header"] == "IImgHeaderBytes"
    assert seq[-1]["size"] == 204


def test_frame_header_names_and_offsets_of_the_issue(ksy):
    ids = [a["id"] for a in ksy["types"]["frame_header"]["seq"]]
    assert ids[:13] == ["counter", "timestamp_s", "timestamp_ms", "lut_index", "faraday",
                        "tem_magnification", "tem_mode", "stage_x", "stage_y", "stage_z",
                        "stage_alpha", "stage_beta", "rotator_index"]
    assert ids[-1] == "padding"
    offsets = {f.id: f.offset for f in layout.FRAME_HEADER_FIELDS}
    assert offsets["scan_x"] == 68 and offsets["scan_y"] == 72
    assert offsets["rotator_index"] == 48
    last = layout.FRAME_HEADER_FIELDS[-1]
    assert last.offset + last.size == 108
    assert ksy["enums"]["tem_mode"][1]["id"] == "imaging"
    assert ksy["enums"]["tem_mode"][2]["id"] == "diffraction"


def test_two_entry_points_use_params_not_root(ksy):
    """A continuation part is readable on its own: no type may reach for _root."""
    assert "continuation_part" in ksy["types"]
    assert "_root" not in KSY.read_text().split("types:", 1)[1]


# ------------------------------------------------------------------------ the generator


def test_generated_files_match_the_spec():
    proc = subprocess.run([sys.executable, "spec/generate.py", "--check"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_check_names_stale_files_after_a_spec_change(tmp_path):
    """Editing the spec without regenerating makes --check fail and name the files."""
    for sub in ("spec", "generated", "docs"):
        shutil.copytree(ROOT / sub, tmp_path / sub)
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    ksy = tmp_path / "spec" / "tvips.ksy"
    ksy.write_text(ksy.read_text().replace("doc: Camera binning along x.",
                                           "doc: Camera binning along x (edited)."))
    proc = subprocess.run([sys.executable, "spec/generate.py", "--check"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "stale: docs/format.md" in proc.stderr
    assert "stale: generated/javascript/Tvips.js" in proc.stderr
    # a file in generated/ that the spec does not produce is reported too
    (tmp_path / "generated" / "python" / "stray.py").write_text("")
    proc = subprocess.run([sys.executable, "spec/generate.py", "--check"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert "not generated from the spec: generated/python/stray.py" in proc.stderr


def test_generator_refuses_a_field_condition_that_does_not_match_its_offset(tmp_path):
    for sub in ("spec", "generated", "docs"):
        shutil.copytree(ROOT / sub, tmp_path / sub)
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    ksy = tmp_path / "spec" / "tvips.ksy"
    ksy.write_text(ksy.read_text().replace("if: _io.size >= 72", "if: _io.size >= 70"))
    proc = subprocess.run([sys.executable, "spec/generate.py", "--check"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "/types/frame_header/seq/17" in proc.stderr and "_io.size >= 72" in proc.stderr


def test_generator_refuses_a_spec_that_breaks_the_style_guides_naming(tmp_path):
    """The compiler's style warnings (dropped by its JS API) fail generation."""
    for sub in ("spec", "generated", "docs"):
        shutil.copytree(ROOT / sub, tmp_path / sub)
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    ksy = tmp_path / "spec" / "tvips.ksy"
    text = ksy.read_text()
    # a byte-size field named the way the guide forbids (`size_of_x` for `len_x`)
    top_records = """  - id: records
    type: record(header)
    repeat: eos
"""
    assert top_records in text
    text = text.replace(top_records, """  - id: size_of_trailer
    type: u4
    doc: A size.
  - id: trailer
    size: size_of_trailer
    doc: A blob of that size.
""" + top_records, 1)
    ksy.write_text(text)
    proc = subprocess.run([sys.executable, "spec/generate.py", "--check"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "use `len_" in proc.stderr and "ksy_style_guide" in proc.stderr


def test_format_document_lists_every_field_at_its_offset():
    text = (ROOT / "docs" / "format.md").read_text()
    for f in layout.MAIN_HEADER_FIELDS + layout.FRAME_HEADER_FIELDS:
        assert re.search(rf"^\| {f.offset} \| {f.size} \| [^|]+ \| `{f.id}` \| {f.orig_id} \|",
                         text, re.M), f.id


def test_layout_tables_agree_with_the_parsers_positions():
    """Offsets in the generated tables = positions the Kaitai parser records."""
    s = Series(len_frame_header=180, num_frames=1)
    raw = s.main_header_bytes() + s.record_bytes(0)
    parsed = TvipsPos.from_bytes(raw)
    for f in layout.MAIN_HEADER_FIELDS:
        assert parsed.header._debug[f.id] == {"start": f.offset, "end": f.offset + f.size}
    fh = parsed.records[0].frame_header
    for f in layout.FRAME_HEADER_FIELDS:
        assert fh._debug[f.id] == {"start": f.offset, "end": f.offset + f.size}, f.id
    assert fh._debug["padding"] == {"start": 108, "end": 180}
    assert parsed.records[0]._debug["image"]["start"] == 256 + 180


# ------------------------------------------------------- the generated Python parser


def parse_series(paths):
    first = Tvips.from_file(str(paths[0]))
    records = list(first.records)
    for path in paths[1:]:
        with open(path, "rb") as f:
            part = Tvips.ContinuationPart(first.header, KaitaiStream(f))
            records.extend(part.records)
    return first.header, records


def assert_parsed_equals(series: Series, paths):
    header, records = parse_series(paths)
    for name, value in series.main_values.items():
        assert getattr(header, name) == value, name
    assert header.filler == series.filler[:204].ljust(204, b"\0")
    assert len(records) == series.num_frames
    expected = series.expected_frame_headers()
    for i, record in enumerate(records):
        fh = record.frame_header
        for name, values in expected.items():
            assert getattr(fh, name) == values[i], (i, name)
        for name in set(f.id for f in layout.FRAME_HEADER_FIELDS) - set(expected):
            assert not hasattr(fh, name), f"{name} exists in a {series.len_in_use}-byte header"
        assert fh.padding == series.padding[i]
        image = np.frombuffer(record.image, dtype=series.images.dtype.newbyteorder("<"))
        assert np.array_equal(image.reshape(series.height, series.width), series.images[i])


@pytest.mark.parametrize("series", [
    Series(version=1, len_frame_header=0, num_frames=5),
    Series(version=1, len_frame_header=60, num_frames=4, bits_per_pixel=8),
    Series(len_frame_header=108, num_frames=6, frames_per_part=(2, 3, 1)),
    Series(len_frame_header=180, num_frames=5, width=7, height=3),
    Series(len_frame_header=62, num_frames=3, bits_per_pixel=8, width=9, height=2),
    Series(len_frame_header=12, num_frames=2, bits_per_pixel=32),
], ids=["v1", "v1-8bit-field60", "v2-108-split", "v2-180-nonsquare", "v2-62-partial-field",
        "v2-12-32bit"])
def test_python_parser_reads_byte_built_series(tmp_path, series):
    assert_parsed_equals(series, series.write(tmp_path))


@pytest.mark.parametrize("field,value,path", [
    ("len_header", 512, "/types/main_header/seq/0"),
    ("version", 3, "/types/main_header/seq/1"),
    ("bits_per_pixel", 12, "/types/main_header/seq/4"),
    ("len_frame_header", 8, "/types/main_header/seq/12"),
])
def test_python_parser_rejects_invalid_headers_with_the_field_path(field, value, path):
    s = Series(num_frames=1, main={field: value})
    error = {"len_header": ValidationNotEqualError, "len_frame_header": ValidationExprError}.get(
        field, ValidationNotAnyOfError)
    with pytest.raises(error) as info:
        Tvips.from_bytes(s.main_header_bytes() + s.record_bytes(0))
    assert info.value.src_path == path


# ------------------------------------------- files written by RosettaSciIO (an oracle)


def rsciio_write(path, data, **kwargs):
    from rsciio.tvips import file_writer

    axes = [dict(name=f"n{i}", size=n, scale=1.0, offset=0.0, units="", navigate=True)
            for i, n in enumerate(data.shape[:-2])]
    axes += [dict(name=n, size=s, scale=1.0, offset=0.0, units="1/nm", navigate=False)
             for n, s in zip(("dy", "dx"), data.shape[-2:])]
    signal = dict(data=data, axes=axes, attributes={"_lazy": False},
                  metadata={"General": {"date": "2021-07-01", "time": "12:00:00",
                                        "time_zone": "UTC"},
                            "Acquisition_instrument": {"TEM": {"beam_energy": 200.0,
                                                               "beam_current": 23.0}}})
    file_writer(str(path), signal, **kwargs)


@pytest.mark.parametrize("kwargs", [
    {},
    {"frame_header_extra_bytes": 20},
    {"max_file_size": 700, "frame_header_extra_bytes": 8},
    {"max_file_size": 400},
])
def test_python_parser_reads_rosettasciio_files(tmp_path, kwargs):
    data = np.arange(2 * 3 * 4 * 5, dtype=np.uint16).reshape(2, 3, 4, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # RosettaSciIO's own notices
        rsciio_write(tmp_path / "r.tvips", data, **kwargs)
    paths = sorted(tmp_path.glob("r_*.tvips"))
    header, records = parse_series(paths)
    extra = kwargs.get("frame_header_extra_bytes", 0)
    assert (header.len_header, header.version, header.width, header.height,
            header.bits_per_pixel, header.len_frame_header, header.high_tension_kv) == \
        (256, 2, 5, 4, 16, 60 + extra, 200)
    assert header.filler.startswith(b"HYPERSPY ")
    assert len(records) == 6
    t0 = 1625140800  # 2021-07-01 12:00:00 UTC
    for i, record in enumerate(records):
        fh = record.frame_header
        assert fh.rotator_index == i + 1
        assert fh.tem_mode == Tvips.TemMode.diffraction
        assert fh.faraday == 23.0
        assert fh.timestamp_s + fh.timestamp_ms / 1000 == pytest.approx(t0 + i * 0.001)
        # RosettaSciIO zero-fills its extra bytes; the spec reads the known
        # extension fields there (as 0) and the rest as padding
        known_end = min(108, (60 + extra) // 4 * 4)
        assert fh.padding == b"\0" * (60 + extra - known_end)
        for f in layout.FRAME_HEADER_FIELDS:
            if 60 <= f.offset and f.offset + f.size <= 60 + extra:
                assert getattr(fh, f.id) == 0
        assert np.array_equal(np.frombuffer(record.image, "<u2").reshape(4, 5),
                              data.reshape(6, 4, 5)[i])
    if "max_file_size" in kwargs:
        assert len(paths) > 1
        assert all(p.stat().st_size <= max(kwargs["max_file_size"], 256 + 100 + extra)
                   for p in paths)


# ----------------------------------------------------------- cross-language conformance


def python_summary(paths):
    header, records = parse_series(paths)
    names = [f.id for f in layout.MAIN_HEADER_FIELDS if f.id != "filler"]
    summary_header = {n: getattr(header, n) for n in names}
    summary_header["filler"] = header.filler.hex()
    summary_header["len_record"] = header.len_record
    parts = []
    all_parts = [Tvips.from_file(str(paths[0])).records]
    for path in paths[1:]:
        with open(path, "rb") as f:
            all_parts.append(Tvips.ContinuationPart(header, KaitaiStream(f)).records)
    for part in all_parts:
        out = []
        for record in part:
            fh = record.frame_header
            fields = {f.id: (int(getattr(fh, f.id)) if f.ksy_type == "u4" else
                             getattr(fh, f.id))
                      for f in layout.FRAME_HEADER_FIELDS if hasattr(fh, f.id)}
            fields["padding"] = fh.padding.hex()
            out.append({"frame_header": fields,
                        "image_sha256": hashlib.sha256(record.image).hexdigest()})
        parts.append(out)
    return {"header": summary_header, "parts": parts}


def js_summary(paths):
    proc = subprocess.run(["node", str(ROOT / "tests" / "js" / "summarize.js"),
                           *map(str, paths)], capture_output=True, text=True)
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.parametrize("series", [
    Series(version=1, len_frame_header=0, num_frames=5, frames_per_part=(2, 3)),
    Series(len_frame_header=108, num_frames=7, frames_per_part=(1, 4, 2), bits_per_pixel=8),
    Series(len_frame_header=180, num_frames=3, width=6, height=2),
    Series(len_frame_header=66, num_frames=4, bits_per_pixel=32),
], ids=["v1-split", "v2-108-8bit-split", "v2-180-nonsquare", "v2-66-32bit"])
def test_javascript_parser_agrees_with_python(tmp_path, series):
    paths = series.write(tmp_path)
    code, js = js_summary(paths)
    assert code == 0, js
    assert js == python_summary(paths)
    # and both agree with the independent builder
    assert js["parts"][0][0]["frame_header"]["counter"] == series.header_values[0]["counter"]


def test_javascript_parser_reads_the_shipped_example():
    import tvips_ks

    first = Path(str(tvips_ks.example_path()))
    paths = sorted(first.parent.glob("example_*.tvips"))
    code, js = js_summary(paths)
    assert code == 0
    assert js == python_summary(paths)


@pytest.mark.parametrize("field,value,path", [
    ("version", 3, "/types/main_header/seq/1"),
    ("bits_per_pixel", 128, "/types/main_header/seq/4"),
    ("width", 0, "/types/main_header/seq/2"),
    ("len_frame_header", 11, "/types/main_header/seq/12"),
])
def test_javascript_parser_rejects_invalid_headers_with_the_field_path(tmp_path, field, value,
                                                                       path):
    s = Series(num_frames=1, main={field: value})
    code, js = js_summary(s.write(tmp_path))
    assert code == 1
    assert js["src_path"] == path and js["error"].startswith("Validation")


# ------------------------------------------------------------------- the installed wheel


def test_the_installed_wheel_carries_the_generated_package(tmp_path):
    """Users install the package, not the repository: tvips_ks.generated must ship."""
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "-w", str(tmp_path / "dist"), str(ROOT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("tvips_ks-*.whl"))
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target",
                           str(site), str(wheel)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    code = ("import tvips_ks, tvips_ks.generated as g; "
            "print(tvips_ks.__file__); print(g.Tvips.__module__); "
            "ds = tvips_ks.open(tvips_ks.example_path()); print(ds.num_frames)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split()
    assert lines[0].startswith(str(site))
    assert lines[1] == "tvips_ks.generated.tvips"
    assert lines[2] == "200"
